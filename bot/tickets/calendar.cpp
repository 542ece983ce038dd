#include "bot/tickets/calendar.hpp"

#include <cstdio>

namespace anju::tickets {
namespace {

constexpr std::chrono::hours kWorkStart{9};

std::int64_t parse_day(const std::string& date) {
    const int y = std::stoi(date.substr(0, 4));
    const auto m = static_cast<unsigned>(std::stoi(date.substr(5, 2)));
    const auto d = static_cast<unsigned>(std::stoi(date.substr(8, 2)));
    return days_from_civil(y, m, d);
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

}  // namespace

std::int64_t days_from_civil(int year, unsigned month, unsigned day) {
    const std::int64_t y = static_cast<std::int64_t>(year) - (month <= 2 ? 1 : 0);
    const std::int64_t era = floor_div(y, 400);
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned mp = month > 2 ? month - 3 : month + 9;
    const unsigned doy = (153 * mp + 2) / 5 + day - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t days, int& year, unsigned& month, unsigned& day) {
    const std::int64_t z = days + 719468;
    const std::int64_t era = floor_div(z, 146097);
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    day = doy - (153 * mp + 2) / 5 + 1;
    month = mp < 10 ? mp + 3 : mp - 9;
    year = static_cast<int>(y + (month <= 2 ? 1 : 0));
}

Calendar::Calendar(const config::CalendarConfig& config, int utc_offset_minutes)
    : offset_(utc_offset_minutes) {
    for (const auto& d : config.holidays) {
        holidays_.insert(parse_day(d));
    }
    for (const auto& d : config.workdays) {
        workdays_.insert(parse_day(d));
    }
}

std::int64_t Calendar::local_day(Clock::time_point t) const {
    const auto local = std::chrono::duration_cast<std::chrono::minutes>(t.time_since_epoch()) + offset_;
    return floor_div(local.count(), 24 * 60);
}

bool Calendar::working(std::int64_t day) const {
    if (workdays_.count(day) != 0) {
        return true;
    }
    if (holidays_.count(day) != 0) {
        return false;
    }
    // 1970-01-01 was a Thursday: weekday 0 = Monday.
    const auto weekday = ((day % 7) + 7 + 3) % 7;
    return weekday < 5;
}

bool Calendar::working_day(Clock::time_point t) const { return working(local_day(t)); }

Clock::time_point Calendar::add(Clock::time_point t, const Duration& d) const {
    if (!d.is_working_days()) {
        return t + d.fixed;
    }
    auto day = local_day(t);
    auto at = t;
    if (!working(day)) {
        while (!working(day)) {
            ++day;
        }
        // 09:00 local of that day.
        at = Clock::time_point{
            std::chrono::duration_cast<Clock::duration>(std::chrono::hours(24) * day + kWorkStart - offset_)};
    }
    auto start_day = day;
    int left = d.working_days;
    while (left > 0) {
        ++day;
        if (working(day)) {
            --left;
        }
    }
    return at + std::chrono::hours(24) * (day - start_day);
}

std::string Calendar::date(Clock::time_point t) const {
    int y = 0;
    unsigned m = 0;
    unsigned dd = 0;
    civil_from_days(local_day(t), y, m, dd);
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", y, m, dd);
    return buf;
}

std::string Calendar::month(Clock::time_point t) const { return date(t).substr(0, 7); }

Clock::time_point Calendar::day_start(Clock::time_point t) const {
    return Clock::time_point{
        std::chrono::duration_cast<Clock::duration>(std::chrono::hours(24) * local_day(t) - offset_)};
}

Clock::time_point Calendar::next_time_of_day(Clock::time_point t, int minute_of_day) const {
    auto at = day_start(t) + std::chrono::minutes(minute_of_day);
    while (at <= t) {
        at += std::chrono::hours(24);
    }
    return at;
}

Clock::time_point Calendar::next_month_start(Clock::time_point t, int minute_of_day) const {
    int y = 0;
    unsigned m = 0;
    unsigned d = 0;
    civil_from_days(local_day(t), y, m, d);
    for (int i = 0; i < 2; ++i) {
        const auto first = days_from_civil(y, m, 1);
        const auto at = Clock::time_point{std::chrono::duration_cast<Clock::duration>(
            std::chrono::hours(24) * first + std::chrono::minutes(minute_of_day) - offset_)};
        if (at > t) {
            return at;
        }
        m = m == 12 ? 1 : m + 1;
        y = m == 1 ? y + 1 : y;
    }
    return t;  // unreachable: next month's 1st is always after t
}

std::optional<int> minute_of_day(std::string_view s) {
    const auto digit = [&s](std::size_t i) { return s[i] >= '0' && s[i] <= '9'; };
    if (s.size() != 5 || s[2] != ':' || !digit(0) || !digit(1) || !digit(3) || !digit(4)) {
        return std::nullopt;
    }
    const int h = (s[0] - '0') * 10 + (s[1] - '0');
    const int m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 23 || m > 59) {
        return std::nullopt;
    }
    return h * 60 + m;
}

std::string Calendar::format(Clock::time_point t) const {
    const auto day = local_day(t);
    int y = 0;
    unsigned m = 0;
    unsigned dd = 0;
    civil_from_days(day, y, m, dd);
    const auto local = std::chrono::duration_cast<std::chrono::minutes>(t.time_since_epoch()) + offset_;
    const auto minute_of_day = local.count() - day * 24 * 60;
    char buf[48];
    std::snprintf(buf, sizeof buf, "%u月%u日 %02lld:%02lld", m, dd,
                  static_cast<long long>(minute_of_day / 60), static_cast<long long>(minute_of_day % 60));
    return buf;
}

std::string Calendar::format_relative(Clock::time_point t, Clock::time_point now) const {
    const auto diff = local_day(t) - local_day(now);
    const auto full = format(t);
    const auto time = full.substr(full.find(' ') + 1);
    if (diff == 0) {
        return "今天 " + time;
    }
    if (diff == 1) {
        return "明天 " + time;
    }
    return full;
}

}  // namespace anju::tickets
