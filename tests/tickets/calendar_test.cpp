// The working-day calendar (bot/tickets/calendar.hpp): days_from_civil/civil_from_days against
// std::chrono over 1970–2100 and known dates, working_day() for weekdays, weekends, holidays and
// adjusted working weekend days (调休) in local time, add() of working days and fixed lengths, and
// format()/format_relative()/date() in the community's UTC offset.
#include "bot/tickets/calendar.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace anju::tickets {
namespace {

using namespace std::chrono_literals;
namespace chr = std::chrono;

// A UTC instant.
Clock::time_point utc(int y, unsigned m, unsigned d, int hour = 0, int minute = 0) {
    const chr::sys_days day{chr::year{y} / chr::month{m} / chr::day{d}};
    return chr::time_point_cast<Clock::duration>(day + chr::hours{hour} + chr::minutes{minute});
}

// An instant given in China time (UTC+8).
Clock::time_point cst(int y, unsigned m, unsigned d, int hour = 0, int minute = 0) {
    return utc(y, m, d, hour, minute) - 8h;
}

// National Day 2026 (Thursday 1 – Wednesday 7 October) with two adjusted working weekend days.
config::CalendarConfig golden_week() {
    config::CalendarConfig c;
    c.holidays = {"2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04",
                  "2026-10-05", "2026-10-06", "2026-10-07"};
    c.workdays = {"2026-09-27", "2026-10-10"};
    return c;
}

Duration working_days(int n) { return Duration{0ms, n}; }
Duration fixed(chr::milliseconds d) { return Duration{d, 0}; }

TEST(Civil, KnownDates) {
    struct Row {
        int y;
        unsigned m;
        unsigned d;
        std::int64_t days;
    };
    const std::vector<Row> rows = {
        {1970, 1, 1, 0},      {1969, 12, 31, -1},   {1970, 1, 2, 1},       {2000, 2, 29, 11016},
        {2000, 3, 1, 11017},  {2024, 2, 29, 19782}, {2026, 11, 27, 20784}, {2100, 12, 31, 47846},
        {1900, 1, 1, -25567}, {1900, 3, 1, -25508}, {2100, 3, 1, 47541},   {1600, 1, 1, -135140},
    };
    for (const auto& r : rows) {
        EXPECT_EQ(days_from_civil(r.y, r.m, r.d), r.days) << r.y << "-" << r.m << "-" << r.d;
        int y = 0;
        unsigned m = 0;
        unsigned d = 0;
        civil_from_days(r.days, y, m, d);
        EXPECT_EQ(y, r.y) << r.days;
        EXPECT_EQ(m, r.m) << r.days;
        EXPECT_EQ(d, r.d) << r.days;
    }
}

TEST(Civil, RoundTripsEveryDayFrom1970To2100) {
    const chr::sys_days first{chr::year{1970} / 1 / 1};
    const chr::sys_days last{chr::year{2100} / 12 / 31};
    std::int64_t expected = 0;
    for (auto day = first; day <= last; day += chr::days{1}) {
        const chr::year_month_day ymd{day};
        const int year = static_cast<int>(ymd.year());
        const auto month = static_cast<unsigned>(ymd.month());
        const auto dd = static_cast<unsigned>(ymd.day());
        ASSERT_EQ(days_from_civil(year, month, dd), expected) << year << "-" << month << "-" << dd;
        int y = 0;
        unsigned m = 0;
        unsigned d = 0;
        civil_from_days(expected, y, m, d);
        ASSERT_EQ(y, year) << expected;
        ASSERT_EQ(m, month) << expected;
        ASSERT_EQ(d, dd) << expected;
        ++expected;
    }
    EXPECT_EQ(expected, 47847);
}

TEST(Calendar, WorkingDaysAreWeekdaysMinusHolidaysPlusAdjustedDays) {
    const Calendar cal(golden_week(), 8 * 60);
    struct Row {
        Clock::time_point at;
        bool working;
        const char* what;
    };
    const std::vector<Row> rows = {
        {cst(2026, 11, 23, 10), true, "Monday"},
        {cst(2026, 11, 27, 10), true, "Friday"},
        {cst(2026, 11, 28, 10), false, "Saturday"},
        {cst(2026, 11, 29, 10), false, "Sunday"},
        {cst(2026, 10, 1, 10), false, "National Day (Thursday)"},
        {cst(2026, 10, 7, 23, 59), false, "last holiday (Wednesday)"},
        {cst(2026, 10, 8, 0, 0), true, "first day back (Thursday)"},
        {cst(2026, 10, 10, 10), true, "adjusted working Saturday"},
        {cst(2026, 9, 27, 10), true, "adjusted working Sunday"},
        {cst(2026, 10, 11, 10), false, "ordinary Sunday after the holiday"},
        // Local days, not UTC days: Friday 23:59 and Saturday 00:30 in Shanghai.
        {utc(2026, 11, 27, 15, 59), true, "Friday 23:59 local"},
        {utc(2026, 11, 27, 16, 30), false, "Saturday 00:30 local (Friday in UTC)"},
        {utc(2026, 11, 22, 16, 0), true, "Monday 00:00 local (Sunday in UTC)"},
    };
    for (const auto& r : rows) {
        EXPECT_EQ(cal.working_day(r.at), r.working) << r.what;
    }
    // Without a calendar: Monday to Friday.
    const Calendar plain;
    EXPECT_FALSE(plain.working_day(cst(2026, 11, 28, 10)));
    EXPECT_TRUE(plain.working_day(cst(2026, 10, 1, 10)));
}

TEST(Calendar, AddsWorkingDays) {
    const Calendar cal(golden_week(), 8 * 60);
    struct Row {
        Clock::time_point from;
        int days;
        Clock::time_point to;
        const char* what;
    };
    const std::vector<Row> rows = {
        {cst(2026, 11, 27, 10), 2, cst(2026, 12, 1, 10), "Friday 10:00 → Tuesday 10:00"},
        {cst(2026, 11, 23, 10), 2, cst(2026, 11, 25, 10), "Monday → Wednesday"},
        {cst(2026, 11, 23, 10), 5, cst(2026, 11, 30, 10), "Monday + 5 → next Monday"},
        {cst(2026, 11, 27, 23, 30), 1, cst(2026, 11, 30, 23, 30), "late Friday keeps its time"},
        {cst(2026, 11, 28, 15), 2, cst(2026, 12, 2, 9), "Saturday counts from Monday 09:00"},
        {cst(2026, 11, 29, 23), 2, cst(2026, 12, 2, 9), "Sunday counts from Monday 09:00"},
        {cst(2026, 11, 28, 8), 1, cst(2026, 12, 1, 9), "Saturday + 1 → Tuesday 09:00"},
        {cst(2026, 9, 30, 10), 2, cst(2026, 10, 9, 10), "across the holiday"},
        {cst(2026, 9, 30, 10), 3, cst(2026, 10, 10, 10), "onto an adjusted Saturday"},
        {cst(2026, 10, 1, 10), 2, cst(2026, 10, 10, 9), "from a holiday: first day back 09:00"},
        {cst(2026, 9, 25, 10), 1, cst(2026, 9, 27, 10), "Friday + 1 → adjusted Sunday"},
        {cst(2026, 9, 26, 10), 1, cst(2026, 9, 28, 9), "Saturday before an adjusted Sunday starts Sunday"},
        // Local time decides the day: Saturday 07:00 local is Friday 23:00 UTC.
        {utc(2026, 11, 27, 23), 2, cst(2026, 12, 2, 9), "Saturday morning local"},
    };
    for (const auto& r : rows) {
        EXPECT_EQ(cal.add(r.from, working_days(r.days)), r.to)
            << r.what << ": got " << cal.format(cal.add(r.from, working_days(r.days)));
    }
}

TEST(Calendar, AddsFixedLengthsWhateverTheDay) {
    const Calendar cal(golden_week(), 8 * 60);
    EXPECT_EQ(cal.add(cst(2026, 11, 27, 10), fixed(24h)), cst(2026, 11, 28, 10));
    EXPECT_EQ(cal.add(cst(2026, 11, 28, 10), fixed(15min)), cst(2026, 11, 28, 10, 15));
    EXPECT_EQ(cal.add(cst(2026, 10, 1, 23, 58), fixed(5min)), cst(2026, 10, 2, 0, 3));
    EXPECT_EQ(cal.add(cst(2026, 11, 27, 10), fixed(0ms)), cst(2026, 11, 27, 10));
    EXPECT_EQ(cal.add(cst(2026, 11, 27, 10), fixed(72h)), cst(2026, 11, 30, 10));
}

TEST(Calendar, FormatsInLocalTime) {
    const Calendar cal(golden_week(), 8 * 60);
    EXPECT_EQ(cal.format(utc(2026, 11, 27, 1, 0)), "11月27日 09:00");
    EXPECT_EQ(cal.format(utc(2026, 11, 26, 16, 0)), "11月27日 00:00");
    EXPECT_EQ(cal.format(utc(2026, 11, 26, 15, 59)), "11月26日 23:59");
    EXPECT_EQ(cal.format(utc(2026, 1, 5, 6, 7)), "1月5日 14:07");
    EXPECT_EQ(cal.format(utc(2026, 12, 31, 16, 5)), "1月1日 00:05");
    EXPECT_EQ(cal.date(utc(2026, 11, 26, 16, 0)), "2026-11-27");
    EXPECT_EQ(cal.date(utc(2026, 12, 31, 16, 0)), "2027-01-01");
    EXPECT_EQ(cal.date(utc(2026, 3, 5, 3, 0)), "2026-03-05");

    // Another offset: UTC itself.
    const Calendar london({}, 0);
    EXPECT_EQ(london.format(utc(2026, 11, 27, 1, 0)), "11月27日 01:00");
    EXPECT_EQ(london.date(utc(2026, 11, 26, 23, 0)), "2026-11-26");
    EXPECT_TRUE(london.working_day(utc(2026, 11, 27, 23, 0)));
}

TEST(Calendar, FormatsRelativeToNow) {
    const Calendar cal(golden_week(), 8 * 60);
    const auto nine = utc(2026, 11, 27, 1, 0);  // Friday 09:00 local
    EXPECT_EQ(cal.format_relative(nine, cst(2026, 11, 27, 8, 0)), "今天 09:00");
    // 00:30 local on the 27th is still the 26th in UTC: the local day counts.
    EXPECT_EQ(cal.format_relative(nine, utc(2026, 11, 26, 16, 30)), "今天 09:00");
    EXPECT_EQ(cal.format_relative(nine, cst(2026, 11, 26, 23, 59)), "明天 09:00");
    EXPECT_EQ(cal.format_relative(cst(2026, 11, 28, 0, 1), cst(2026, 11, 27, 23, 59)), "明天 00:01");
    EXPECT_EQ(cal.format_relative(cst(2026, 11, 29, 14, 30), cst(2026, 11, 27, 10)), "11月29日 14:30");
    // In the past: not "today"/"tomorrow".
    EXPECT_EQ(cal.format_relative(cst(2026, 11, 26, 9, 0), cst(2026, 11, 27, 10)), "11月26日 09:00");
    // Across a month end.
    EXPECT_EQ(cal.format_relative(cst(2026, 12, 1, 9, 0), cst(2026, 11, 30, 18, 0)), "明天 09:00");
}

}  // namespace
}  // namespace anju::tickets
