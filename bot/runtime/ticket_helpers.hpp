// Small helpers shared by the ticket service's source files (ticket_service.cpp, ticket_sla.cpp).
// Internal to bot/runtime.
#pragma once

#include "bot/core/clock.hpp"
#include "bot/tickets/ticket.hpp"

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace anju::runtime::detail {

inline std::int64_t unix_ms(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

inline Clock::time_point from_unix_ms(std::int64_t v) {
    return Clock::time_point{std::chrono::milliseconds{v}};
}

inline std::string join(const std::vector<std::string>& items, std::string_view sep) {
    std::string out;
    for (const auto& i : items) {
        if (!out.empty()) {
            out += sep;
        }
        out += i;
    }
    return out;
}

inline void add_unique(std::vector<std::string>& v, const std::string& item) {
    if (!item.empty() && std::find(v.begin(), v.end(), item) == v.end()) {
        v.push_back(item);
    }
}

// An event by the system (timers, automatic steps).
inline tickets::Event event(std::string kind, std::string text, Clock::time_point now,
                            std::string data = {}) {
    tickets::Event e;
    e.at = now;
    e.actor = "system";
    e.actor_name = "系统";
    e.kind = std::move(kind);
    e.text = std::move(text);
    e.data = std::move(data);
    return e;
}

}  // namespace anju::runtime::detail
