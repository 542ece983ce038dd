// Persistence of time: timers (every future thing the service owes: SLA warnings and deadlines,
// escalation steps, auto-close, the daily push, the monthly report), the SLA milestones of each
// ticket with when they were met or missed, rectification orders (整改单), and residents' push
// preferences. Functions take the connection and run inside Store::write()/run() jobs, so a timer
// is set, moved or cancelled in the same transaction as the change that causes it.
#pragma once

#include <SQLiteCpp/Database.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace anju::store {

// ---- timers ----

struct Timer {
    std::int64_t id = 0;
    std::string key;  // unique: what it is for ("T12:claim:due")
    std::string kind;
    std::int64_t ticket_id = 0;
    std::int64_t due_at_ms = 0;
    std::string data;  // JSON for the handler, "" when none
    int attempts = 0;
};

// Sets the timer `key` (inserted, or moved and re-described when it exists).
void set_timer(SQLite::Database& db, std::string_view key, std::string_view kind, std::int64_t ticket_id,
               std::int64_t due_at_ms, std::string_view data = {});
// Removes the timer `key`; returns whether there was one.
bool cancel_timer(SQLite::Database& db, std::string_view key);
// Removes every timer of `ticket_id` whose key starts with `prefix` ("" = all of the ticket's).
std::size_t cancel_ticket_timers(SQLite::Database& db, std::int64_t ticket_id, std::string_view prefix = {});
std::optional<Timer> timer_by_key(SQLite::Database& db, std::string_view key);
// The earliest due time of any timer.
std::optional<std::int64_t> next_timer_due(SQLite::Database& db);
// Timers due at `now_ms`, in due order (then id), at most `limit`.
std::vector<Timer> due_timers(SQLite::Database& db, std::int64_t now_ms, std::size_t limit);
void delete_timer(SQLite::Database& db, std::int64_t id);
// A firing that failed: try again at `retry_at_ms`.
void timer_failed(SQLite::Database& db, std::int64_t id, std::int64_t retry_at_ms);
std::size_t timer_count(SQLite::Database& db);

// ---- SLA milestones ----

struct Milestone {
    std::int64_t ticket_id = 0;
    std::string name;  // claim, on_site, plan, progress:2026-11-27, rectification:3
    std::string department;
    std::int64_t due_at_ms = 0;
    std::optional<std::int64_t> met_at_ms;
    std::optional<std::int64_t> missed_at_ms;
};

// Adds (or, while neither met nor missed, re-times) a milestone.
void set_milestone(SQLite::Database& db, std::int64_t ticket_id, std::string_view name,
                   std::string_view department, std::int64_t due_at_ms);
// Records that it was met at `at_ms` (late or not); returns false when it was already met or does
// not exist.
bool meet_milestone(SQLite::Database& db, std::int64_t ticket_id, std::string_view name, std::int64_t at_ms);
// Records that its deadline passed unmet; returns false when it was met (or missed) already.
bool miss_milestone(SQLite::Database& db, std::int64_t ticket_id, std::string_view name, std::int64_t at_ms);
std::optional<Milestone> milestone(SQLite::Database& db, std::int64_t ticket_id, std::string_view name);
std::vector<Milestone> milestones_of(SQLite::Database& db, std::int64_t ticket_id);
// Removes the milestones of a ticket that were neither met nor missed (it was grouped or cancelled:
// they no longer count).
void drop_open_milestones(SQLite::Database& db, std::int64_t ticket_id);

// The events of tickets `first_id`..`last_id` at or after `since_ms`, by ticket then id (the daily
// progress push reads a page of tickets at once).
struct TicketEvent {
    std::int64_t ticket_id = 0;
    std::int64_t at_ms = 0;
    std::string actor_name;
    std::string kind;
    std::string text;
};
std::vector<TicketEvent> events_between(SQLite::Database& db, std::int64_t first_id, std::int64_t last_id,
                                        std::int64_t since_ms);

// ---- rectification orders (整改单) ----

struct Rectification {
    std::int64_t id = 0;
    std::int64_t ticket_id = 0;
    std::string department;
    std::string reason;  // overdue:<milestone>, reopened, unsatisfied
    std::string detail;
    std::int64_t created_at_ms = 0;
    std::int64_t due_at_ms = 0;
    std::optional<std::int64_t> answered_at_ms;
    std::string answered_by;
    std::string answer;
};

// Opens an order; a second one for the same ticket and reason is not opened (returns nullopt).
std::optional<std::int64_t> open_rectification(SQLite::Database& db, std::int64_t ticket_id,
                                               std::string_view department, std::string_view reason,
                                               std::string_view detail, std::int64_t now_ms,
                                               std::int64_t due_ms);
// Answers the oldest unanswered order of the ticket; returns it, or nullopt when none is open.
std::optional<Rectification> answer_rectification(SQLite::Database& db, std::int64_t ticket_id,
                                                  std::string_view by, std::string_view answer,
                                                  std::int64_t now_ms);
std::optional<Rectification> rectification_by_id(SQLite::Database& db, std::int64_t id);
std::vector<Rectification> rectifications_of(SQLite::Database& db, std::int64_t ticket_id);

// ---- residents' preferences ----

void set_daily_push(SQLite::Database& db, std::string_view resident, bool on, std::int64_t now_ms);
bool daily_push_enabled(SQLite::Database& db, std::string_view resident);

}  // namespace anju::store
