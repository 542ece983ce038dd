#include "bot/reports/format.hpp"

#include "bot/tickets/calendar.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace anju::reports::detail {
namespace {

constexpr std::int64_t kDayMs = 86'400'000;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

struct Civil {
    int year = 0;
    unsigned month = 0;
    unsigned day = 0;
    int hour = 0;
    int minute = 0;
    int second = 0;
};

Civil civil(std::int64_t local_ms) {
    Civil c;
    const auto day = floor_div(local_ms, kDayMs);
    tickets::civil_from_days(day, c.year, c.month, c.day);
    const auto seconds = (local_ms - day * kDayMs) / 1000;
    c.hour = static_cast<int>(seconds / 3600);
    c.minute = static_cast<int>(seconds / 60 % 60);
    c.second = static_cast<int>(seconds % 60);
    return c;
}

std::string trim_zero(std::string text) {
    if (text.size() > 2 && text.ends_with(".0")) {
        text.resize(text.size() - 2);
    }
    return text;
}

bool read_int(std::string_view text, std::size_t at, std::size_t len, int& out) {
    if (at + len > text.size()) {
        return false;
    }
    const auto* begin = text.data() + at;
    auto [p, ec] = std::from_chars(begin, begin + len, out);
    return ec == std::errc{} && p == begin + len;
}

}  // namespace

double rounded(double value, int decimals) {
    const double scale = std::pow(10.0, decimals);
    return std::round(value * scale) / scale;
}

std::string percent_value_text(double percent) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", percent);
    return trim_zero(buf) + "%";
}

std::string percent_text(std::optional<double> fraction) {
    if (!fraction) {
        return "—";
    }
    return percent_value_text(*fraction * 100.0);
}

std::string decimal_text(double value) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", value);
    return trim_zero(buf);
}

std::string iso_local(std::int64_t ms, int utc_offset_minutes) {
    const auto c = civil(ms + static_cast<std::int64_t>(utc_offset_minutes) * 60'000);
    const int offset = utc_offset_minutes < 0 ? -utc_offset_minutes : utc_offset_minutes;
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d%c%02d:%02d", c.year, c.month, c.day, c.hour,
                  c.minute, c.second, utc_offset_minutes < 0 ? '-' : '+', offset / 60, offset % 60);
    return buf;
}

std::optional<std::int64_t> parse_iso(std::string_view text) {
    // YYYY-MM-DDTHH:MM:SS then Z or ±HH:MM.
    int year = 0;
    int month = 0;
    int day = 0;
    int hour = 0;
    int minute = 0;
    int second = 0;
    if (text.size() < 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
        text[16] != ':' || !read_int(text, 0, 4, year) || !read_int(text, 5, 2, month) ||
        !read_int(text, 8, 2, day) || !read_int(text, 11, 2, hour) || !read_int(text, 14, 2, minute) ||
        !read_int(text, 17, 2, second) || month < 1 || month > 12 || day < 1 || day > 31) {
        return std::nullopt;
    }
    std::int64_t offset_minutes = 0;
    const auto zone = text.substr(19);
    if (zone != "Z") {
        int oh = 0;
        int om = 0;
        if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || zone[3] != ':' ||
            !read_int(zone, 1, 2, oh) || !read_int(zone, 4, 2, om)) {
            return std::nullopt;
        }
        offset_minutes = (zone[0] == '-' ? -1 : 1) * (oh * 60 + om);
    }
    const auto days =
        tickets::days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
    return days * kDayMs + ((hour * 60 + minute) * 60 + second) * std::int64_t{1000} -
           offset_minutes * 60'000;
}

std::string local_text(std::int64_t ms, int utc_offset_minutes) {
    const auto c = civil(ms + static_cast<std::int64_t>(utc_offset_minutes) * 60'000);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02d:%02d", c.year, c.month, c.day, c.hour, c.minute);
    return buf;
}

std::string signed_text(std::int64_t value) {
    return value > 0 ? "+" + std::to_string(value) : std::to_string(value);
}

std::string community_prefix(const MonthlyReport& report, std::string_view community) {
    if (report.communities.empty()) {
        return {};
    }
    for (const auto& c : report.communities) {
        if (c.key == community) {
            return c.label + " ";
        }
    }
    return std::string(community) + " ";
}

}  // namespace anju::reports::detail
