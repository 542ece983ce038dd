#include "dialogs/types.hpp"

#include <algorithm>

namespace anju::dialogs {

std::string_view to_string(Nature n) {
    switch (n) {
        case Nature::service:
            return "service";
        case Nature::facility:
            return "facility";
        case Nature::fee:
            return "fee";
        case Nature::order:
            return "order";
        case Nature::none:
            break;
    }
    return "none";
}

std::string_view to_string(Urgency u) {
    switch (u) {
        case Urgency::emergency:
            return "emergency";
        case Urgency::difficult:
            return "difficult";
        case Urgency::normal:
            break;
    }
    return "normal";
}

std::optional<Nature> parse_nature(std::string_view text) {
    for (const auto n : {Nature::none, Nature::service, Nature::facility, Nature::fee, Nature::order}) {
        if (to_string(n) == text) {
            return n;
        }
    }
    return std::nullopt;
}

std::optional<Urgency> parse_urgency(std::string_view text) {
    for (const auto u : {Urgency::normal, Urgency::emergency, Urgency::difficult}) {
        if (to_string(u) == text) {
            return u;
        }
    }
    return std::nullopt;
}

std::optional<std::string_view> SlotMap::get(std::string_view name) const {
    for (const auto& [key, value] : items_) {
        if (key == name) {
            return std::string_view(value);
        }
    }
    return std::nullopt;
}

void SlotMap::set(std::string name, std::string value) {
    for (auto& [key, existing] : items_) {
        if (key == name) {
            existing = std::move(value);
            return;
        }
    }
    items_.emplace_back(std::move(name), std::move(value));
}

void SlotMap::erase(std::string_view name) {
    std::erase_if(items_, [&](const auto& item) { return item.first == name; });
}

void SlotMap::merge_missing(const SlotMap& other) {
    for (const auto& [key, value] : other.items_) {
        if (!has(key)) {
            items_.emplace_back(key, value);
        }
    }
}

std::string Room::display() const {
    std::string out;
    if (!building.empty()) {
        out += building + "栋";
    }
    if (!unit.empty()) {
        out += unit + "单元";
    }
    if (!room.empty()) {
        out += room;
        if (building.empty() && unit.empty()) {
            out += "室";
        }
    }
    return out;
}

}  // namespace anju::dialogs
