#include "dialogs/slots.hpp"

#include <array>
#include <cctype>

namespace anju::dialogs {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_letter(char c) { return c >= 'a' && c <= 'z'; }

// The ASCII digits ending right before `pos`.
std::string_view digits_before(std::string_view s, std::size_t pos) {
    std::size_t start = pos;
    while (start > 0 && is_digit(s[start - 1])) {
        --start;
    }
    return s.substr(start, pos - start);
}

std::string_view digits_after(std::string_view s, std::size_t pos) {
    std::size_t end = pos;
    while (end < s.size() && is_digit(s[end])) {
        ++end;
    }
    return s.substr(pos, end - pos);
}

std::string strip_zeros(std::string_view digits) {
    std::size_t i = 0;
    while (i + 1 < digits.size() && digits[i] == '0') {
        ++i;
    }
    return std::string(digits.substr(i));
}

bool starts_at(std::string_view s, std::size_t pos, std::string_view word) {
    return s.substr(pos, word.size()) == word;
}

bool ends_at(std::string_view s, std::size_t pos, std::string_view word) {
    return pos >= word.size() && s.substr(pos - word.size(), word.size()) == word;
}

// Skips what residents put between a unit and its room: spaces, "的", "-".
std::size_t skip_filler(std::string_view s, std::size_t pos) {
    for (;;) {
        if (pos < s.size() && (s[pos] == ' ' || s[pos] == '-')) {
            ++pos;
        } else if (starts_at(s, pos, "的")) {
            pos += std::string_view("的").size();
        } else {
            return pos;
        }
    }
}

void scan_home(std::string_view s, Room& room) {
    // 3-2-501: building-unit-room, and 3-501: building-room.
    for (std::size_t i = 0; i < s.size() && room.empty(); ++i) {
        if (!is_digit(s[i]) || (i > 0 && (is_digit(s[i - 1]) || s[i - 1] == '-'))) {
            continue;
        }
        const auto a = digits_after(s, i);
        std::size_t p = i + a.size();
        if (p >= s.size() || s[p] != '-' || a.size() > 3) {
            continue;
        }
        const auto b = digits_after(s, p + 1);
        p += 1 + b.size();
        if (b.empty()) {
            continue;
        }
        if (p < s.size() && s[p] == '-') {
            const auto c = digits_after(s, p + 1);
            if (c.size() >= 3 && c.size() <= 4 && b.size() <= 2 &&
                (p + 1 + c.size() >= s.size() || !is_digit(s[p + 1 + c.size()]))) {
                room = {strip_zeros(a), strip_zeros(b), std::string(c)};
            }
        } else if (b.size() >= 3 && b.size() <= 4 && (p >= s.size() || !is_digit(s[p]))) {
            room = {strip_zeros(a), "", std::string(b)};
        }
    }
    static constexpr std::array<std::string_view, 5> kBuilding = {"号楼", "栋", "幢", "座", "号院"};
    for (const auto marker : kBuilding) {
        for (auto pos = s.find(marker); pos != std::string_view::npos && room.building.empty();
             pos = s.find(marker, pos + 1)) {
            auto digits = digits_before(s, pos);
            std::string building;
            if (!digits.empty()) {
                building = strip_zeros(digits);
            } else if (pos > 0 && is_letter(s[pos - 1]) && (pos < 2 || !is_letter(s[pos - 2]))) {
                building =
                    std::string(1, static_cast<char>(std::toupper(static_cast<unsigned char>(s[pos - 1]))));
            }
            if (building.empty()) {
                continue;
            }
            room.building = building;
            // 3号楼502, 3栋501: a room number straight after the building.
            const auto after = skip_filler(s, pos + marker.size());
            const auto next = digits_after(s, after);
            if (next.size() >= 3 && next.size() <= 4 && room.room.empty()) {
                room.room = std::string(next);
            }
        }
    }
    for (auto pos = s.find("单元"); pos != std::string_view::npos && room.unit.empty();
         pos = s.find("单元", pos + 1)) {
        const auto digits = digits_before(s, pos);
        if (digits.empty() || digits.size() > 2) {
            continue;
        }
        room.unit = strip_zeros(digits);
        const auto after = skip_filler(s, pos + std::string_view("单元").size());
        const auto next = digits_after(s, after);
        if (next.size() >= 3 && next.size() <= 4 && room.room.empty()) {
            room.room = std::string(next);
        }
    }
    // A bare 3-4 digit number is a room when the resident says it is home ("我家是1502", "我住
    // 802") or leaves it at the very end of the message ("…防水没做好，1203").
    if (room.room.empty()) {
        for (std::size_t i = 0; i < s.size(); ++i) {
            if (!is_digit(s[i]) || (i > 0 && (is_digit(s[i - 1]) || s[i - 1] == '-' || s[i - 1] == '.'))) {
                continue;
            }
            const auto digits = digits_after(s, i);
            const auto end = i + digits.size();
            if (digits.size() < 3 || digits.size() > 4 || digits[0] == '0') {
                i = end;
                continue;
            }
            auto before = s.substr(0, i);
            while (!before.empty() && before.back() == ' ') {
                before.remove_suffix(1);
            }
            const bool home = before.ends_with("我家") || before.ends_with("家是") ||
                              before.ends_with("我住") || before.ends_with("住在") ||
                              before.ends_with("我是") || before.ends_with("业主") ||
                              before.ends_with("房号");
            auto after = s.substr(end);
            while (!after.empty() && (after.front() == ' ' || after.front() == '.' || after.front() == '!')) {
                after.remove_prefix(1);
            }
            const bool last =
                after.empty() && (before.empty() || before.back() == ',' || before.back() == ' ' ||
                                  s[i - 1] == ' ' || before.back() == '.');
            if (home || last) {
                room.room = std::string(digits);
                break;
            }
            i = end;
        }
    }
    // 1203室, 501房, 501号房.
    for (const std::string_view marker : {"室", "号房", "房"}) {
        for (auto pos = s.find(marker); pos != std::string_view::npos && room.room.empty();
             pos = s.find(marker, pos + 1)) {
            const auto digits = digits_before(s, pos);
            if (digits.size() >= 3 && digits.size() <= 4) {
                room.room = std::string(digits);
            }
        }
    }
}

std::string scan_floor(std::string_view s) {
    // Basements first: 地下2层, 负1楼, -1层, b2.
    for (const std::string_view prefix : {"地下", "负", "-"}) {
        for (auto pos = s.find(prefix); pos != std::string_view::npos; pos = s.find(prefix, pos + 1)) {
            const auto digits = digits_after(s, pos + prefix.size());
            const auto end = pos + prefix.size() + digits.size();
            if (!digits.empty() && digits.size() <= 2 &&
                (starts_at(s, end, "层") || starts_at(s, end, "楼")) &&
                !(prefix == "-" && pos > 0 && is_digit(s[pos - 1]))) {
                return "-" + strip_zeros(digits);
            }
        }
    }
    for (std::size_t pos = 0; pos + 1 < s.size(); ++pos) {
        if (s[pos] == 'b' && is_digit(s[pos + 1]) && (pos == 0 || !is_letter(s[pos - 1]))) {
            const auto digits = digits_after(s, pos + 1);
            if (digits.size() == 1) {
                return "-" + std::string(digits);
            }
        }
    }
    for (const std::string_view marker : {"楼", "层"}) {
        for (auto pos = s.find(marker); pos != std::string_view::npos; pos = s.find(marker, pos + 1)) {
            const auto digits = digits_before(s, pos);
            if (digits.empty() || digits.size() > 2) {
                continue;
            }
            const auto before = pos - digits.size();
            // "3-5楼"? "第5层" is fine; a building number ("5号楼") never reaches here (号 sits between).
            if (before > 0 && (s[before - 1] == '-' || s[before - 1] == '#')) {
                continue;
            }
            return strip_zeros(digits);
        }
    }
    return {};
}

std::string scan_elevator(std::string_view s) {
    for (const std::string_view marker : {"号电梯", "号梯", "#电梯", "#梯", "#"}) {
        for (auto pos = s.find(marker); pos != std::string_view::npos; pos = s.find(marker, pos + 1)) {
            const auto digits = digits_before(s, pos);
            if (!digits.empty() && digits.size() <= 2) {
                // A bare "2#" only counts with a lift nearby.
                if (marker == "#" && s.find("梯") == std::string_view::npos) {
                    continue;
                }
                return strip_zeros(digits);
            }
        }
    }
    for (auto pos = s.find("电梯"); pos != std::string_view::npos; pos = s.find("电梯", pos + 1)) {
        const auto after = pos + std::string_view("电梯").size();
        const auto digits = digits_after(s, after);
        if (!digits.empty() && digits.size() <= 2 && starts_at(s, after + digits.size(), "号")) {
            return strip_zeros(digits);
        }
    }
    return {};
}

std::string scan_phone(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (!is_digit(s[i]) || (i > 0 && (is_digit(s[i - 1]) || s[i - 1] == '-'))) {
            continue;
        }
        // Digits with single dashes between groups: 138-1234-5678, 010-12345678.
        std::string digits;
        std::size_t j = i;
        while (j < s.size() && (is_digit(s[j]) || (s[j] == '-' && j + 1 < s.size() && is_digit(s[j + 1])))) {
            if (is_digit(s[j])) {
                digits.push_back(s[j]);
            }
            ++j;
        }
        if (digits.size() == 11 && digits[0] == '1' && digits[1] >= '3') {
            return digits;
        }
        if (digits.size() >= 10 && digits.size() <= 12 && digits[0] == '0' &&
            s.substr(i, j - i).find('-') != std::string_view::npos) {
            return digits;
        }
        i = j;
    }
    return {};
}

std::string scan_clock_time(std::string_view s) {
    static constexpr std::array<std::string_view, 16> kPrefixes = {
        "今天", "昨天", "前天", "明天", "今晚", "昨晚", "上午", "下午",
        "晚上", "早上", "凌晨", "中午", "半夜", "夜里", "傍晚", "早晨"};
    for (auto pos = s.find("点"); pos != std::string_view::npos; pos = s.find("点", pos + 1)) {
        const auto digits = digits_before(s, pos);
        if (digits.empty() || digits.size() > 2) {
            continue;
        }
        std::size_t begin = pos - digits.size();
        for (bool extended = true; extended;) {
            extended = false;
            for (const auto prefix : kPrefixes) {
                if (ends_at(s, begin, prefix)) {
                    begin -= prefix.size();
                    extended = true;
                }
            }
        }
        std::size_t end = pos + std::string_view("点").size();
        if (starts_at(s, end, "半")) {
            end += std::string_view("半").size();
        } else if (const auto minutes = digits_after(s, end);
                   !minutes.empty() && starts_at(s, end + minutes.size(), "分")) {
            end += minutes.size() + std::string_view("分").size();
        }
        return std::string(s.substr(begin, end - begin));
    }
    return {};
}

}  // namespace

Room scan_room(std::string_view text) {
    Room room;
    scan_home(text, room);
    return room;
}

SlotMap scan_slots(std::string_view s) {
    SlotMap slots;
    const auto room = scan_room(s);
    if (!room.building.empty()) {
        slots.set("building", room.building);
    }
    if (!room.unit.empty()) {
        slots.set("unit", room.unit);
    }
    if (!room.room.empty()) {
        slots.set("room", room.room);
    }
    auto floor = scan_floor(s);
    if (floor.empty() && room.room.size() >= 3) {
        floor = strip_zeros(room.room.substr(0, room.room.size() - 2));
    }
    if (!floor.empty() && floor != "0") {
        slots.set("floor", floor);
    }
    if (auto elevator = scan_elevator(s); !elevator.empty()) {
        slots.set("elevator", std::move(elevator));
    }
    if (auto phone = scan_phone(s); !phone.empty()) {
        slots.set("phone", std::move(phone));
    }
    if (auto time = scan_clock_time(s); !time.empty()) {
        slots.set("time", std::move(time));
    }
    return slots;
}

}  // namespace anju::dialogs
