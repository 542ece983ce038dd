// Local time and working days for a community: Monday to Friday minus holidays plus adjusted
// working weekend days (调休), in the community's fixed UTC offset (China has no daylight saving).
// Deadlines such as "a plan within 2 working days" are counted here. Pure.
#pragma once

#include "bot/core/clock.hpp"
#include "bot/core/units.hpp"
#include "config/config.hpp"

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace anju::tickets {

class Calendar {
public:
    Calendar() = default;
    Calendar(const config::CalendarConfig& config, int utc_offset_minutes);

    // Whether the local day of `t` is a working day.
    bool working_day(Clock::time_point t) const;

    // `t` plus `d`: a fixed length, or that many working days later at the same local time. A
    // start outside working days counts from the next working day at 09:00.
    Clock::time_point add(Clock::time_point t, const Duration& d) const;

    // "11月27日 14:30" in local time; with the date as "今天 14:30" / "明天 09:00" relative to `now`.
    std::string format(Clock::time_point t) const;
    std::string format_relative(Clock::time_point t, Clock::time_point now) const;
    // "2026-11-27" (local).
    std::string date(Clock::time_point t) const;
    // "2026-11" (local).
    std::string month(Clock::time_point t) const;

    // The local midnight that starts the day of `t`.
    Clock::time_point day_start(Clock::time_point t) const;
    // The first moment after `t` whose local time of day is `minute_of_day` (0-1439).
    Clock::time_point next_time_of_day(Clock::time_point t, int minute_of_day) const;
    // The first moment after `t` that is the 1st of a month at `minute_of_day` local.
    Clock::time_point next_month_start(Clock::time_point t, int minute_of_day) const;

private:
    // Days since 1970-01-01 of the local date of `t`, and back.
    std::int64_t local_day(Clock::time_point t) const;
    bool working(std::int64_t day) const;

    std::chrono::minutes offset_{8 * 60};
    std::set<std::int64_t> holidays_;
    std::set<std::int64_t> workdays_;
};

// "18:00" → 1080; nullopt when it is not HH:MM.
std::optional<int> minute_of_day(std::string_view hhmm);

// Days since 1970-01-01 of a proleptic Gregorian date, and back (Howard Hinnant's algorithms).
std::int64_t days_from_civil(int year, unsigned month, unsigned day);
void civil_from_days(std::int64_t days, int& year, unsigned& month, unsigned& day);

}  // namespace anju::tickets
