// The monthly complaint analysis (月度投诉分析报告), owned by quality: what was filed in a month and
// how it was handled — shares by nature and category, buildings, each department's on-time rate per
// SLA node, satisfaction, reopens, the unsatisfied list, hotspots, repeat complainants and the change
// from the month before — computed with aggregate SQL over the store, and rendered as JSON, CSV, a
// self-contained HTML page with SVG charts, and a short Chinese summary. Pure of config and I/O
// other than the SQLite connection it is given.
#pragma once

#include "bot/core/clock.hpp"

#include <SQLiteCpp/Database.h>
#include <boost/system/result.hpp>
#include <nlohmann/json.hpp>

#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace anju::reports {

// A calendar month ("2026-11"). Its bounds are local midnights in a fixed UTC offset.
struct MonthKey {
    int year = 0;
    unsigned month = 0;  // 1-12

    std::string to_string() const;  // "2026-11"
    std::string label() const;      // "2026年11月"
    MonthKey previous() const;
    MonthKey next() const;
    // Unix milliseconds of the 1st, 00:00 local time.
    std::int64_t start_ms(int utc_offset_minutes) const;
    friend auto operator<=>(const MonthKey&, const MonthKey&) = default;
};

// "2026-11" → {2026, 11}. Fails with errc::invalid_argument for anything else (a month out of
// 1-12, a year outside 1970-9999, extra characters).
boost::system::result<MonthKey> parse_month(std::string_view text);

// The local month that `t` falls in.
MonthKey month_of(Clock::time_point t, int utc_offset_minutes);

struct ReportOptions {
    int hotspot_min = 3;    // tickets of one building + category (or one elevator) that make a hotspot
    int repeat_min = 3;     // tickets of one room over repeat_months that make a repeat complainant
    int repeat_months = 3;  // the window, ending with the report's month
    int utc_offset_minutes = 480;
    // "elevator" → "电梯"; unset or "" keeps the category's name.
    std::function<std::string(std::string_view)> category_label{};
    // Community id → its name ("sunny" → "阳光花园"); unset or "" keeps the id.
    std::function<std::string(std::string_view)> community_label{};
    std::string community{};  // "" = every community
    std::string title{};      // "" = "2026年11月投诉分析报告"
};

// Tickets filed in the month. A group complaint's parent is counted once in group_complaints and
// nowhere else; the households inside it are counted as ordinary tickets. The status figures are
// the tickets' status when the report was built (on the 1st, that is the month-end picture), so
// filed = open + resolved + closed + cancelled.
struct Totals {
    std::int64_t filed = 0;
    std::int64_t open = 0;      // still someone's work (dispatched … in_progress)
    std::int64_t resolved = 0;  // the handler is done, the resident has not confirmed yet
    std::int64_t closed = 0;    // confirmed or closed
    std::int64_t cancelled = 0;
    std::int64_t group_complaints = 0;  // group-complaint parents (群体性投诉) filed in the month
    std::int64_t emergencies = 0;
    std::int64_t auto_closed = 0;  // confirmed by timeout, not by the resident
};

// A count of tickets with a key (a nature, a category, a community) and its label for people.
struct Share {
    std::string key;
    std::string label;
    std::int64_t count = 0;
};

struct BuildingCount {
    std::string community;
    std::string building;  // "" when the ticket named none
    std::int64_t count = 0;
};

// SLA nodes (milestones) of one department and kind that fell due in the month. A node met by its
// deadline is on time; met after it (or after it was marked missed) is late; not met and either
// marked missed or past due when the report was built is missed; the rest are pending (not due yet).
struct OnTime {
    std::string department;  // "" in the overall figure
    std::string kind;        // claim | on_site | plan | progress | rectification; "" in totals
    std::int64_t due = 0;
    std::int64_t on_time = 0;
    std::int64_t late = 0;
    std::int64_t missed = 0;
    std::int64_t pending = 0;

    std::int64_t decided() const { return on_time + late + missed; }
    // on_time / decided; nullopt when nothing was decided.
    std::optional<double> rate() const;
};

struct Satisfaction {
    std::int64_t satisfied = 0;
    std::int64_t basically = 0;
    std::int64_t unsatisfied = 0;
    std::int64_t unrated = 0;      // confirmed or closed without a rating
    std::int64_t scored = 0;       // tickets with a 1–5 score
    std::int64_t score_total = 0;  // the sum of those scores

    std::int64_t rated() const { return satisfied + basically + unsatisfied; }
    // (满意 + 基本满意) / rated; nullopt when none was rated.
    std::optional<double> rate() const;
    std::optional<double> score_average() const;
};

struct Reopen {
    std::int64_t reopened = 0;  // tickets with at least one reopen event
    std::int64_t resolved = 0;  // tickets resolved at least once (now resolved/closed, or reopened)

    std::optional<double> rate() const;
};

struct UnsatisfiedTicket {
    std::string code;
    std::string community;
    std::string building;
    std::string unit;
    std::string room;
    std::string category;
    std::string category_label;
    std::string department;
    std::string handler;  // the assignee's name (or userid)
    std::string reason;   // what the resident said with the rating, else the latest text in the
                          // ticket's log, else its last progress, else the complaint itself
    std::int64_t created_at_ms = 0;
};

struct Hotspot {
    std::string community;
    std::string building;
    std::string category;
    std::string category_label;
    std::int64_t count = 0;
};

// One elevator (building + unit + number) with many complaints.
struct AssetHotspot {
    std::string community;
    std::string building;
    std::string unit;
    std::string elevator;
    std::int64_t count = 0;
};

// A room with many tickets over the last repeat_months months (专属沟通档案 candidates).
struct RepeatRoom {
    std::string community;
    std::string building;
    std::string unit;
    std::string room;
    std::int64_t tickets = 0;             // over the window
    std::int64_t this_month = 0;          // of those, in the report's month
    std::vector<std::string> categories;  // labels, most frequent first
    std::int64_t last_at_ms = 0;
};

// The main figures of the month before, for month-over-month changes.
struct PreviousMonth {
    MonthKey month;
    Totals totals;
    Satisfaction satisfaction;
    Reopen reopen;
    OnTime on_time;
    std::vector<Share> categories;
};

struct MonthlyReport {
    MonthKey month;
    std::string community;  // "" = every community
    std::string title;
    Clock::time_point generated_at{};
    int utc_offset_minutes = 480;
    int hotspot_min = 3;
    int repeat_min = 3;
    int repeat_months = 3;

    Totals totals;
    std::vector<Share> natures;            // most first
    std::vector<Share> categories;         // most first
    std::vector<BuildingCount> buildings;  // most first
    std::vector<Share> communities;        // most first; only when the report covers several
    std::vector<OnTime> on_time;           // by department, then kind
    OnTime on_time_total;
    Satisfaction satisfaction;
    Reopen reopen;
    std::vector<UnsatisfiedTicket> unsatisfied;  // oldest first
    std::vector<Hotspot> hotspots;               // most first
    std::vector<AssetHotspot> assets;            // most first
    std::vector<RepeatRoom> repeat_rooms;        // most first
    PreviousMonth previous;
    std::string summary;  // summary_zh(), filled by build_monthly_report
};

// Builds the report for `month` from the store's tables (tickets, ticket_events, milestones).
// Read-only; runs a handful of aggregate queries over the month's index ranges. Throws
// SQLite::Exception on a database failure. Call on the thread that owns `db`.
MonthlyReport build_monthly_report(SQLite::Database& db, MonthKey month, const ReportOptions& options,
                                   Clock::time_point generated_at);

// ---- derived figures, shared by the renderers ----

// count / total as a percentage (0 when total is 0).
double percent(std::int64_t count, std::int64_t total);

struct CategoryChange {
    std::string key;
    std::string label;
    std::int64_t count = 0;
    std::int64_t previous = 0;
};
// Every category of the month or the month before, this month's most first.
std::vector<CategoryChange> category_changes(const MonthlyReport& report);

// Labels for people: "工程维修", "接单", "设施类", "3栋" ("" → "未登记楼栋"), "3栋2单元501".
std::string department_label(std::string_view department);
std::string milestone_label(std::string_view kind);
std::string nature_label(std::string_view nature);
std::string building_label(std::string_view building);
std::string room_label(std::string_view building, std::string_view unit, std::string_view room);

// ---- renderers (pure) ----

// The whole report as JSON: counts, and rates/percentages derived from them (null when undefined).
nlohmann::json to_json(const MonthlyReport& report);
// Reads what to_json wrote (a stored report). Fails with errc::invalid_argument when `j` is not
// such a document. Never throws.
boost::system::result<MonthlyReport> from_json(const nlohmann::json& j);
// Sections of rows "section,key,label,value,…" for spreadsheets: UTF-8 with a byte-order mark,
// CRLF line ends, RFC 4180 quoting, text that would start a formula prefixed with '.
std::string to_csv(const MonthlyReport& report);
// One self-contained page (inline CSS and SVG, no scripts, no external resources), every text
// escaped, readable on a phone.
std::string to_html(const MonthlyReport& report);
// 3–6 sentences in Chinese a manager can forward as is, built only from the figures.
std::string summary_zh(const MonthlyReport& report);
// The summary's first sentence (up to and including the first "。").
std::string first_sentence(std::string_view summary);

}  // namespace anju::reports
