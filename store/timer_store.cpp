#include "store/timer_store.hpp"

#include <SQLiteCpp/Statement.h>

namespace anju::store {
namespace {

Timer timer_from(SQLite::Statement& q) {
    Timer t;
    t.id = q.getColumn(0).getInt64();
    t.key = q.getColumn(1).getString();
    t.kind = q.getColumn(2).getString();
    t.ticket_id = q.getColumn(3).getInt64();
    t.due_at_ms = q.getColumn(4).getInt64();
    t.data = q.getColumn(5).getString();
    t.attempts = q.getColumn(6).getInt();
    return t;
}

constexpr const char* kTimerColumns = "id, key, kind, ticket_id, due_at, data, attempts";

std::optional<std::int64_t> optional_int(const SQLite::Column& c) {
    if (c.isNull()) {
        return std::nullopt;
    }
    return c.getInt64();
}

Milestone milestone_from(SQLite::Statement& q) {
    Milestone m;
    m.ticket_id = q.getColumn(0).getInt64();
    m.name = q.getColumn(1).getString();
    m.department = q.getColumn(2).getString();
    m.due_at_ms = q.getColumn(3).getInt64();
    m.met_at_ms = optional_int(q.getColumn(4));
    m.missed_at_ms = optional_int(q.getColumn(5));
    return m;
}

constexpr const char* kMilestoneColumns = "ticket_id, name, department, due_at, met_at, missed_at";

Rectification rectification_from(SQLite::Statement& q) {
    Rectification r;
    r.id = q.getColumn(0).getInt64();
    r.ticket_id = q.getColumn(1).getInt64();
    r.department = q.getColumn(2).getString();
    r.reason = q.getColumn(3).getString();
    r.detail = q.getColumn(4).getString();
    r.created_at_ms = q.getColumn(5).getInt64();
    r.due_at_ms = q.getColumn(6).getInt64();
    r.answered_at_ms = optional_int(q.getColumn(7));
    r.answered_by = q.getColumn(8).getString();
    r.answer = q.getColumn(9).getString();
    return r;
}

constexpr const char* kRectificationColumns =
    "id, ticket_id, department, reason, detail, created_at, due_at, answered_at, answered_by, answer";

// Escapes LIKE wildcards so a key prefix matches literally.
std::string like_prefix(std::string_view prefix) {
    std::string out;
    for (const char c : prefix) {
        if (c == '%' || c == '_' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    return out + "%";
}

}  // namespace

// ---- timers ----

void set_timer(SQLite::Database& db, std::string_view key, std::string_view kind, std::int64_t ticket_id,
               std::int64_t due_at_ms, std::string_view data) {
    SQLite::Statement q(
        db,
        "INSERT INTO timers (key, kind, ticket_id, due_at, data) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, ticket_id = excluded.ticket_id,"
        " due_at = excluded.due_at, data = excluded.data, attempts = 0");
    q.bind(1, std::string(key));
    q.bind(2, std::string(kind));
    q.bind(3, ticket_id);
    q.bind(4, due_at_ms);
    q.bind(5, std::string(data));
    q.exec();
}

bool cancel_timer(SQLite::Database& db, std::string_view key) {
    SQLite::Statement q(db, "DELETE FROM timers WHERE key = ?");
    q.bind(1, std::string(key));
    return q.exec() > 0;
}

std::size_t cancel_ticket_timers(SQLite::Database& db, std::int64_t ticket_id, std::string_view prefix) {
    // "ticket_id != 0" lets SQLite use the partial index timers_ticket (it cannot tell a bound
    // parameter is not 0).
    SQLite::Statement q(
        db, "DELETE FROM timers WHERE ticket_id = ? AND ticket_id != 0 AND key LIKE ? ESCAPE '\\'");
    q.bind(1, ticket_id);
    q.bind(2, like_prefix(prefix));
    return static_cast<std::size_t>(q.exec());
}

std::optional<Timer> timer_by_key(SQLite::Database& db, std::string_view key) {
    SQLite::Statement q(db, std::string("SELECT ") + kTimerColumns + " FROM timers WHERE key = ?");
    q.bind(1, std::string(key));
    if (!q.executeStep()) {
        return std::nullopt;
    }
    return timer_from(q);
}

std::optional<std::int64_t> next_timer_due(SQLite::Database& db) {
    SQLite::Statement q(db, "SELECT min(due_at) FROM timers");
    if (!q.executeStep() || q.getColumn(0).isNull()) {
        return std::nullopt;
    }
    return q.getColumn(0).getInt64();
}

std::vector<Timer> due_timers(SQLite::Database& db, std::int64_t now_ms, std::size_t limit) {
    SQLite::Statement q(db, std::string("SELECT ") + kTimerColumns +
                                " FROM timers WHERE due_at <= ? ORDER BY due_at, id LIMIT ?");
    q.bind(1, now_ms);
    q.bind(2, static_cast<std::int64_t>(limit));
    std::vector<Timer> out;
    while (q.executeStep()) {
        out.push_back(timer_from(q));
    }
    return out;
}

void delete_timer(SQLite::Database& db, std::int64_t id) {
    SQLite::Statement q(db, "DELETE FROM timers WHERE id = ?");
    q.bind(1, id);
    q.exec();
}

void timer_failed(SQLite::Database& db, std::int64_t id, std::int64_t retry_at_ms) {
    SQLite::Statement q(db, "UPDATE timers SET due_at = ?, attempts = attempts + 1 WHERE id = ?");
    q.bind(1, retry_at_ms);
    q.bind(2, id);
    q.exec();
}

std::size_t timer_count(SQLite::Database& db) {
    SQLite::Statement q(db, "SELECT count(*) FROM timers");
    q.executeStep();
    return static_cast<std::size_t>(q.getColumn(0).getInt64());
}

// ---- SLA milestones ----

void set_milestone(SQLite::Database& db, std::int64_t ticket_id, std::string_view name,
                   std::string_view department, std::int64_t due_at_ms) {
    SQLite::Statement q(db,
                        "INSERT INTO milestones (ticket_id, name, department, due_at) VALUES (?, ?, ?, ?)"
                        " ON CONFLICT (ticket_id, name) DO UPDATE SET department = excluded.department,"
                        " due_at = excluded.due_at WHERE met_at IS NULL AND missed_at IS NULL");
    q.bind(1, ticket_id);
    q.bind(2, std::string(name));
    q.bind(3, std::string(department));
    q.bind(4, due_at_ms);
    q.exec();
}

bool meet_milestone(SQLite::Database& db, std::int64_t ticket_id, std::string_view name, std::int64_t at_ms) {
    SQLite::Statement q(
        db, "UPDATE milestones SET met_at = ? WHERE ticket_id = ? AND name = ? AND met_at IS NULL");
    q.bind(1, at_ms);
    q.bind(2, ticket_id);
    q.bind(3, std::string(name));
    return q.exec() > 0;
}

bool miss_milestone(SQLite::Database& db, std::int64_t ticket_id, std::string_view name, std::int64_t at_ms) {
    SQLite::Statement q(db,
                        "UPDATE milestones SET missed_at = ? WHERE ticket_id = ? AND name = ?"
                        " AND met_at IS NULL AND missed_at IS NULL");
    q.bind(1, at_ms);
    q.bind(2, ticket_id);
    q.bind(3, std::string(name));
    return q.exec() > 0;
}

std::optional<Milestone> milestone(SQLite::Database& db, std::int64_t ticket_id, std::string_view name) {
    SQLite::Statement q(
        db, std::string("SELECT ") + kMilestoneColumns + " FROM milestones WHERE ticket_id = ? AND name = ?");
    q.bind(1, ticket_id);
    q.bind(2, std::string(name));
    if (!q.executeStep()) {
        return std::nullopt;
    }
    return milestone_from(q);
}

std::vector<Milestone> milestones_of(SQLite::Database& db, std::int64_t ticket_id) {
    SQLite::Statement q(db, std::string("SELECT ") + kMilestoneColumns +
                                " FROM milestones WHERE ticket_id = ? ORDER BY due_at, name");
    q.bind(1, ticket_id);
    std::vector<Milestone> out;
    while (q.executeStep()) {
        out.push_back(milestone_from(q));
    }
    return out;
}

void drop_open_milestones(SQLite::Database& db, std::int64_t ticket_id) {
    SQLite::Statement q(
        db, "DELETE FROM milestones WHERE ticket_id = ? AND met_at IS NULL AND missed_at IS NULL");
    q.bind(1, ticket_id);
    q.exec();
}

std::vector<TicketEvent> events_between(SQLite::Database& db, std::int64_t first_id, std::int64_t last_id,
                                        std::int64_t since_ms) {
    SQLite::Statement q(db,
                        "SELECT ticket_id, at, actor_name, kind, text FROM ticket_events"
                        " WHERE ticket_id BETWEEN ? AND ? AND at >= ? ORDER BY ticket_id, id");
    q.bind(1, first_id);
    q.bind(2, last_id);
    q.bind(3, since_ms);
    std::vector<TicketEvent> out;
    while (q.executeStep()) {
        TicketEvent e;
        e.ticket_id = q.getColumn(0).getInt64();
        e.at_ms = q.getColumn(1).getInt64();
        e.actor_name = q.getColumn(2).getString();
        e.kind = q.getColumn(3).getString();
        e.text = q.getColumn(4).getString();
        out.push_back(std::move(e));
    }
    return out;
}

// ---- rectification orders ----

std::optional<std::int64_t> open_rectification(SQLite::Database& db, std::int64_t ticket_id,
                                               std::string_view department, std::string_view reason,
                                               std::string_view detail, std::int64_t now_ms,
                                               std::int64_t due_ms) {
    SQLite::Statement q(
        db,
        "INSERT INTO rectifications (ticket_id, department, reason, detail, created_at, due_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (ticket_id, reason) DO NOTHING");
    q.bind(1, ticket_id);
    q.bind(2, std::string(department));
    q.bind(3, std::string(reason));
    q.bind(4, std::string(detail));
    q.bind(5, now_ms);
    q.bind(6, due_ms);
    if (q.exec() == 0) {
        return std::nullopt;
    }
    return db.getLastInsertRowid();
}

std::optional<Rectification> answer_rectification(SQLite::Database& db, std::int64_t ticket_id,
                                                  std::string_view by, std::string_view answer,
                                                  std::int64_t now_ms) {
    SQLite::Statement find(db, std::string("SELECT ") + kRectificationColumns +
                                   " FROM rectifications WHERE ticket_id = ? AND answered_at IS NULL"
                                   " ORDER BY id LIMIT 1");
    find.bind(1, ticket_id);
    if (!find.executeStep()) {
        return std::nullopt;
    }
    auto r = rectification_from(find);
    SQLite::Statement q(
        db, "UPDATE rectifications SET answered_at = ?, answered_by = ?, answer = ? WHERE id = ?");
    q.bind(1, now_ms);
    q.bind(2, std::string(by));
    q.bind(3, std::string(answer));
    q.bind(4, r.id);
    q.exec();
    r.answered_at_ms = now_ms;
    r.answered_by = std::string(by);
    r.answer = std::string(answer);
    return r;
}

std::optional<Rectification> rectification_by_id(SQLite::Database& db, std::int64_t id) {
    SQLite::Statement q(db,
                        std::string("SELECT ") + kRectificationColumns + " FROM rectifications WHERE id = ?");
    q.bind(1, id);
    if (!q.executeStep()) {
        return std::nullopt;
    }
    return rectification_from(q);
}

std::vector<Rectification> rectifications_of(SQLite::Database& db, std::int64_t ticket_id) {
    SQLite::Statement q(db, std::string("SELECT ") + kRectificationColumns +
                                " FROM rectifications WHERE ticket_id = ? ORDER BY id");
    q.bind(1, ticket_id);
    std::vector<Rectification> out;
    while (q.executeStep()) {
        out.push_back(rectification_from(q));
    }
    return out;
}

// ---- residents' preferences ----

void set_daily_push(SQLite::Database& db, std::string_view resident, bool on, std::int64_t now_ms) {
    SQLite::Statement q(db,
                        "INSERT INTO resident_prefs (resident, daily_push, updated_at) VALUES (?, ?, ?)"
                        " ON CONFLICT (resident) DO UPDATE SET daily_push = excluded.daily_push,"
                        " updated_at = excluded.updated_at");
    q.bind(1, std::string(resident));
    q.bind(2, on ? 1 : 0);
    q.bind(3, now_ms);
    q.exec();
}

bool daily_push_enabled(SQLite::Database& db, std::string_view resident) {
    SQLite::Statement q(db, "SELECT daily_push FROM resident_prefs WHERE resident = ?");
    q.bind(1, std::string(resident));
    return !q.executeStep() || q.getColumn(0).getInt() != 0;
}

}  // namespace anju::store
