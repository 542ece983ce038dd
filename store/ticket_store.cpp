#include "store/ticket_store.hpp"

#include "bot/tickets/code.hpp"
#include "dialogs/state_json.hpp"

#include <SQLiteCpp/Statement.h>
#include <nlohmann/json.hpp>

namespace anju::store {
namespace {

using json = nlohmann::json;
using tickets::Ticket;

std::int64_t ms(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
Clock::time_point at_ms(std::int64_t v) { return Clock::time_point{std::chrono::milliseconds{v}}; }

constexpr const char* kColumns =
    "id, code, community, resident, resident_name, resident_phone, building, unit, room, channel, nature, "
    "category, urgency, slots, description, expectation, evidence, attachments, department, first_responder, "
    "assignee, assignee_name, butler, status, created_at, updated_at, claim_due, on_site_due, plan_due, "
    "confirm_due, escalation, satisfaction, score, key_review, auto_closed, parent_id, is_group, households, "
    "last_progress";

dialogs::SlotMap slots_from(const std::string& text) {
    dialogs::SlotMap slots;
    const auto j = nlohmann::ordered_json::parse(text, nullptr, false);
    if (j.is_object()) {
        for (const auto& [k, v] : j.items()) {
            if (v.is_string()) {
                slots.set(k, v.get<std::string>());
            } else if (v.is_boolean()) {
                slots.set(k, v.get<bool>() ? "true" : "false");
            } else if (v.is_number()) {
                slots.set(k, v.dump());
            }
        }
    }
    return slots;
}

std::vector<std::string> strings_from(const std::string& text) {
    std::vector<std::string> out;
    const auto j = json::parse(text, nullptr, false);
    if (j.is_array()) {
        for (const auto& v : j) {
            if (v.is_string()) {
                out.push_back(v.get<std::string>());
            }
        }
    }
    return out;
}

std::vector<Attachment> attachments_from(const std::string& text) {
    std::vector<Attachment> out;
    const auto j = json::parse(text, nullptr, false);
    if (j.is_array()) {
        for (const auto& a : j) {
            if (a.is_object()) {
                out.push_back({a.value("kind", ""), a.value("media_id", ""), a.value("url", ""),
                               a.value("format", "")});
            }
        }
    }
    return out;
}

std::optional<Clock::time_point> optional_time(const SQLite::Column& c) {
    if (c.isNull()) {
        return std::nullopt;
    }
    return at_ms(c.getInt64());
}

void bind_time(SQLite::Statement& s, int index, const std::optional<Clock::time_point>& t) {
    if (t) {
        s.bind(index, ms(*t));
    } else {
        s.bind(index);
    }
}

Ticket read_ticket(SQLite::Statement& row) {
    Ticket t;
    int c = 0;
    t.id = row.getColumn(c++).getInt64();
    t.code = row.getColumn(c++).getString();
    t.community = row.getColumn(c++).getString();
    t.resident = row.getColumn(c++).getString();
    t.resident_name = row.getColumn(c++).getString();
    t.resident_phone = row.getColumn(c++).getString();
    t.room.building = row.getColumn(c++).getString();
    t.room.unit = row.getColumn(c++).getString();
    t.room.room = row.getColumn(c++).getString();
    t.channel = row.getColumn(c++).getString();
    t.nature = dialogs::parse_nature(row.getColumn(c++).getString()).value_or(dialogs::Nature::none);
    t.category = row.getColumn(c++).getString();
    t.urgency = dialogs::parse_urgency(row.getColumn(c++).getString()).value_or(dialogs::Urgency::normal);
    t.slots = slots_from(row.getColumn(c++).getString());
    t.description = row.getColumn(c++).getString();
    t.expectation = row.getColumn(c++).getString();
    t.evidence = strings_from(row.getColumn(c++).getString());
    t.attachments = attachments_from(row.getColumn(c++).getString());
    t.department = row.getColumn(c++).getString();
    t.first_responder = row.getColumn(c++).getString();
    t.assignee = row.getColumn(c++).getString();
    t.assignee_name = row.getColumn(c++).getString();
    t.butler = row.getColumn(c++).getString();
    t.status = tickets::parse_status(row.getColumn(c++).getString()).value_or(tickets::Status::dispatched);
    t.created_at = at_ms(row.getColumn(c++).getInt64());
    t.updated_at = at_ms(row.getColumn(c++).getInt64());
    t.claim_due = optional_time(row.getColumn(c++));
    t.on_site_due = optional_time(row.getColumn(c++));
    t.plan_due = optional_time(row.getColumn(c++));
    t.confirm_due = optional_time(row.getColumn(c++));
    t.escalation = row.getColumn(c++).getInt();
    t.satisfaction =
        tickets::parse_satisfaction(row.getColumn(c++).getString()).value_or(tickets::Satisfaction::none);
    t.score = row.getColumn(c++).getInt();
    t.key_review = row.getColumn(c++).getInt() != 0;
    t.auto_closed = row.getColumn(c++).getInt() != 0;
    t.parent_id = row.getColumn(c++).getInt64();
    t.group = row.getColumn(c++).getInt() != 0;
    t.households = row.getColumn(c++).getInt();
    t.last_progress = row.getColumn(c++).getString();
    return t;
}

std::optional<Ticket> one(SQLite::Statement& q) {
    if (!q.executeStep()) {
        return std::nullopt;
    }
    return read_ticket(q);
}

std::vector<Ticket> all(SQLite::Statement& q) {
    std::vector<Ticket> out;
    while (q.executeStep()) {
        out.push_back(read_ticket(q));
    }
    return out;
}

}  // namespace

std::int64_t append_event(SQLite::Database& db, std::int64_t ticket_id, const tickets::Event& e) {
    SQLite::Statement insert(db,
                             "INSERT INTO ticket_events (ticket_id, at, actor, actor_name, kind, text, data)"
                             " VALUES (?, ?, ?, ?, ?, ?, ?)");
    insert.bind(1, ticket_id);
    insert.bind(2, ms(e.at));
    insert.bind(3, e.actor);
    insert.bind(4, e.actor_name);
    insert.bind(5, e.kind);
    insert.bind(6, e.text);
    insert.bind(7, e.data);
    insert.exec();
    return db.getLastInsertRowid();
}

namespace {

constexpr const char* kActive = "('dispatched','claimed','on_site','planned','in_progress','resolved')";
constexpr const char* kOpen = "('dispatched','claimed','on_site','planned','in_progress')";

}  // namespace

Inserted insert_ticket(SQLite::Database& db, Ticket& t, const tickets::Event& first,
                       std::string_view source) {
    if (!source.empty()) {
        if (auto existing = ticket_by_source(db, source)) {
            t = *existing;
            return {existing->id, false};
        }
    }
    SQLite::Statement insert(
        db,
        "INSERT INTO tickets (source, community, resident, resident_name, resident_phone, building, unit, "
        "room,"
        " channel, nature, category, urgency, slots, description, expectation, evidence, attachments,"
        " department, first_responder, assignee, assignee_name, butler, status, created_at, updated_at,"
        " claim_due, on_site_due, plan_due, confirm_due, escalation, satisfaction, score, key_review,"
        " auto_closed, parent_id, is_group, households, last_progress)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?,"
        " ?, ?, ?, ?, ?, ?)");
    int c = 1;
    if (source.empty()) {
        insert.bind(c++);
    } else {
        insert.bind(c++, std::string(source));
    }
    insert.bind(c++, t.community);
    insert.bind(c++, t.resident);
    insert.bind(c++, t.resident_name);
    insert.bind(c++, t.resident_phone);
    insert.bind(c++, t.room.building);
    insert.bind(c++, t.room.unit);
    insert.bind(c++, t.room.room);
    insert.bind(c++, t.channel);
    insert.bind(c++, std::string(dialogs::to_string(t.nature)));
    insert.bind(c++, t.category);
    insert.bind(c++, std::string(dialogs::to_string(t.urgency)));
    insert.bind(c++, dialogs::slots_json(t.slots));
    insert.bind(c++, t.description);
    insert.bind(c++, t.expectation);
    insert.bind(c++, dialogs::strings_json(t.evidence));
    insert.bind(c++, dialogs::attachments_json(t.attachments));
    insert.bind(c++, t.department);
    insert.bind(c++, t.first_responder);
    insert.bind(c++, t.assignee);
    insert.bind(c++, t.assignee_name);
    insert.bind(c++, t.butler);
    insert.bind(c++, std::string(tickets::to_string(t.status)));
    insert.bind(c++, ms(t.created_at));
    insert.bind(c++, ms(t.updated_at));
    bind_time(insert, c++, t.claim_due);
    bind_time(insert, c++, t.on_site_due);
    bind_time(insert, c++, t.plan_due);
    bind_time(insert, c++, t.confirm_due);
    insert.bind(c++, t.escalation);
    insert.bind(c++, std::string(tickets::to_string(t.satisfaction)));
    insert.bind(c++, t.score);
    insert.bind(c++, t.key_review ? 1 : 0);
    insert.bind(c++, t.auto_closed ? 1 : 0);
    insert.bind(c++, t.parent_id);
    insert.bind(c++, t.group ? 1 : 0);
    insert.bind(c++, t.households);
    insert.bind(c++, t.last_progress);
    insert.exec();
    t.id = db.getLastInsertRowid();
    t.code = tickets::make_code(t.id);
    SQLite::Statement code(db, "UPDATE tickets SET code = ? WHERE id = ?");
    code.bind(1, t.code);
    code.bind(2, t.id);
    code.exec();
    append_event(db, t.id, first);
    return {t.id, true};
}

std::int64_t update_ticket(SQLite::Database& db, const Ticket& t, const tickets::Event& event) {
    SQLite::Statement update(
        db,
        "UPDATE tickets SET resident_name = ?, resident_phone = ?, building = ?, unit = ?, room = ?, nature "
        "= ?,"
        " category = ?, urgency = ?, slots = ?, description = ?, expectation = ?, evidence = ?, attachments "
        "= ?,"
        " department = ?, first_responder = ?, assignee = ?, assignee_name = ?, butler = ?, status = ?,"
        " updated_at = ?, claim_due = ?, on_site_due = ?, plan_due = ?, confirm_due = ?, escalation = ?,"
        " satisfaction = ?, score = ?, key_review = ?, auto_closed = ?, parent_id = ?, is_group = ?,"
        " households = ?, last_progress = ? WHERE id = ?");
    int c = 1;
    update.bind(c++, t.resident_name);
    update.bind(c++, t.resident_phone);
    update.bind(c++, t.room.building);
    update.bind(c++, t.room.unit);
    update.bind(c++, t.room.room);
    update.bind(c++, std::string(dialogs::to_string(t.nature)));
    update.bind(c++, t.category);
    update.bind(c++, std::string(dialogs::to_string(t.urgency)));
    update.bind(c++, dialogs::slots_json(t.slots));
    update.bind(c++, t.description);
    update.bind(c++, t.expectation);
    update.bind(c++, dialogs::strings_json(t.evidence));
    update.bind(c++, dialogs::attachments_json(t.attachments));
    update.bind(c++, t.department);
    update.bind(c++, t.first_responder);
    update.bind(c++, t.assignee);
    update.bind(c++, t.assignee_name);
    update.bind(c++, t.butler);
    update.bind(c++, std::string(tickets::to_string(t.status)));
    update.bind(c++, ms(t.updated_at));
    bind_time(update, c++, t.claim_due);
    bind_time(update, c++, t.on_site_due);
    bind_time(update, c++, t.plan_due);
    bind_time(update, c++, t.confirm_due);
    update.bind(c++, t.escalation);
    update.bind(c++, std::string(tickets::to_string(t.satisfaction)));
    update.bind(c++, t.score);
    update.bind(c++, t.key_review ? 1 : 0);
    update.bind(c++, t.auto_closed ? 1 : 0);
    update.bind(c++, t.parent_id);
    update.bind(c++, t.group ? 1 : 0);
    update.bind(c++, t.households);
    update.bind(c++, t.last_progress);
    update.bind(c++, t.id);
    update.exec();
    return append_event(db, t.id, event);
}

std::optional<Ticket> ticket_by_id(SQLite::Database& db, std::int64_t id) {
    SQLite::Statement q(db, std::string("SELECT ") + kColumns + " FROM tickets WHERE id = ?");
    q.bind(1, id);
    return one(q);
}

std::optional<Ticket> ticket_by_code(SQLite::Database& db, std::string_view code) {
    SQLite::Statement q(db, std::string("SELECT ") + kColumns + " FROM tickets WHERE code = ?");
    q.bind(1, std::string(code));
    return one(q);
}

std::optional<Ticket> ticket_by_source(SQLite::Database& db, std::string_view source) {
    SQLite::Statement q(db, std::string("SELECT ") + kColumns + " FROM tickets WHERE source = ?");
    q.bind(1, std::string(source));
    return one(q);
}

std::vector<tickets::Event> ticket_events(SQLite::Database& db, std::int64_t ticket_id) {
    SQLite::Statement q(
        db,
        "SELECT id, at, actor, actor_name, kind, text, data FROM ticket_events WHERE ticket_id = ?"
        " ORDER BY id");
    q.bind(1, ticket_id);
    std::vector<tickets::Event> out;
    while (q.executeStep()) {
        tickets::Event e;
        e.id = q.getColumn(0).getInt64();
        e.at = at_ms(q.getColumn(1).getInt64());
        e.actor = q.getColumn(2).getString();
        e.actor_name = q.getColumn(3).getString();
        e.kind = q.getColumn(4).getString();
        e.text = q.getColumn(5).getString();
        e.data = q.getColumn(6).getString();
        out.push_back(std::move(e));
    }
    return out;
}

std::optional<Ticket> active_ticket_for_room(SQLite::Database& db, std::string_view community,
                                             const dialogs::Room& room, std::string_view category) {
    SQLite::Statement q(db,
                        std::string("SELECT ") + kColumns +
                            " FROM tickets WHERE community = ? AND building = ? AND unit = ? AND room = ? AND"
                            " category = ? AND is_group = 0 AND status IN " +
                            kActive + " ORDER BY id DESC LIMIT 1");
    q.bind(1, std::string(community));
    q.bind(2, room.building);
    q.bind(3, room.unit);
    q.bind(4, room.room);
    q.bind(5, std::string(category));
    return one(q);
}

std::optional<Ticket> active_group(SQLite::Database& db, std::string_view community,
                                   std::string_view category, std::string_view building) {
    SQLite::Statement q(
        db, std::string("SELECT ") + kColumns +
                " FROM tickets WHERE community = ? AND category = ? AND building = ? AND is_group = 1"
                " AND status IN " +
                kActive + " ORDER BY id DESC LIMIT 1");
    q.bind(1, std::string(community));
    q.bind(2, std::string(category));
    q.bind(3, std::string(building));
    return one(q);
}

std::vector<Ticket> recent_household_tickets(SQLite::Database& db, std::string_view community,
                                             std::string_view category, std::string_view building,
                                             std::int64_t since_ms) {
    SQLite::Statement q(db, std::string("SELECT ") + kColumns +
                                " FROM tickets WHERE community = ? AND category = ? AND building = ? AND"
                                " is_group = 0 AND parent_id = 0 AND created_at >= ? AND status IN " +
                                kActive + " ORDER BY id");
    q.bind(1, std::string(community));
    q.bind(2, std::string(category));
    q.bind(3, std::string(building));
    q.bind(4, since_ms);
    return all(q);
}

void set_parent(SQLite::Database& db, std::int64_t child, std::int64_t parent) {
    SQLite::Statement q(db, "UPDATE tickets SET parent_id = ? WHERE id = ?");
    q.bind(1, parent);
    q.bind(2, child);
    q.exec();
}

std::vector<Ticket> group_members(SQLite::Database& db, std::int64_t parent) {
    SQLite::Statement q(db,
                        std::string("SELECT ") + kColumns + " FROM tickets WHERE parent_id = ? ORDER BY id");
    q.bind(1, parent);
    return all(q);
}

namespace {

// The SLA judgement as SQL over the `tickets` row (and its milestones), so the list filter, the state
// shown per ticket and the live view's counts agree. `now_ms` and `warn_percent` are numbers, written
// into the text. A NULL deadline compares as NULL, hence the coalesce(…, 0).
std::string sla_overdue_sql(std::int64_t now_ms) {
    const auto n = std::to_string(now_ms);
    return "(coalesce(tickets.claim_due <= " + n + ", 0) OR coalesce(tickets.on_site_due <= " + n +
           ", 0) OR coalesce(tickets.plan_due <= " + n +
           ", 0) OR EXISTS (SELECT 1 FROM milestones m WHERE m.ticket_id = tickets.id AND m.met_at IS NULL"
           " AND (m.missed_at IS NOT NULL OR m.due_at <= " +
           n + ")))";
}

std::string sla_warning_sql(std::int64_t now_ms, int warn_percent) {
    const auto n = std::to_string(now_ms);
    const auto p = std::to_string(warn_percent);
    std::string sql = "(0";
    for (const char* due : {"tickets.claim_due", "tickets.on_site_due", "tickets.plan_due"}) {
        sql += std::string(" OR coalesce(") + due + " > " + n + " AND tickets.created_at + (" + due +
               " - tickets.created_at) * " + p + " / 100 <= " + n + ", 0)";
    }
    return sql + ")";
}

// 0 none, 1 on_track, 2 warning, 3 overdue: the SlaState enumerators' order.
std::string sla_case_sql(std::int64_t now_ms, int warn_percent) {
    return std::string("(CASE WHEN tickets.status NOT IN ") + kOpen + " THEN 0 WHEN " +
           sla_overdue_sql(now_ms) + " THEN 3 WHEN " + sla_warning_sql(now_ms, warn_percent) +
           " THEN 2 ELSE 1 END)";
}

SlaState sla_from_int(int v) { return v >= 0 && v <= 3 ? static_cast<SlaState>(v) : SlaState::none; }

}  // namespace

std::string_view to_string(SlaState s) {
    switch (s) {
        case SlaState::on_track:
            return "on_track";
        case SlaState::warning:
            return "warning";
        case SlaState::overdue:
            return "overdue";
        case SlaState::none:
            break;
    }
    return "none";
}

std::optional<SlaState> parse_sla_state(std::string_view text) {
    for (const auto s : {SlaState::on_track, SlaState::warning, SlaState::overdue}) {
        if (to_string(s) == text) {
            return s;
        }
    }
    return std::nullopt;
}

std::vector<Ticket> find_tickets(SQLite::Database& db, const TicketFilter& f) {
    std::string sql = std::string("SELECT ") + kColumns + " FROM tickets WHERE id > ?";
    std::vector<std::string> binds;
    if (f.status == "active") {
        sql += std::string(" AND status IN ") + kActive;
    } else if (f.status == "open") {
        sql += std::string(" AND status IN ") + kOpen;
    } else if (!f.status.empty()) {
        sql += " AND status = ?";
        binds.push_back(f.status);
    }
    const auto where = [&](const char* column, const std::string& value) {
        if (!value.empty()) {
            sql += std::string(" AND ") + column + " = ?";
            binds.push_back(value);
        }
    };
    where("community", f.community);
    where("department", f.department);
    where("assignee", f.assignee);
    where("resident", f.resident);
    where("urgency", f.urgency);
    where("nature", f.nature);
    where("building", f.room.building);
    where("unit", f.room.unit);
    where("room", f.room.room);
    if (f.from_ms > 0) {
        sql += " AND created_at >= " + std::to_string(f.from_ms);
    }
    if (f.to_ms > 0) {
        sql += " AND created_at < " + std::to_string(f.to_ms);
    }
    if (f.overdue) {
        // Only open tickets can be overdue; the status test comes first so SQLite can use the status
        // index for "overdue=true".
        const auto open_and_overdue = std::string("status IN ") + kOpen + " AND " + sla_overdue_sql(f.now_ms);
        sql += *f.overdue ? " AND " + open_and_overdue : " AND NOT (" + open_and_overdue + ")";
    }
    if (f.sla != SlaState::none) {
        sql += std::string(" AND status IN ") + kOpen + " AND " + sla_case_sql(f.now_ms, f.warn_percent) +
               " = " + std::to_string(static_cast<int>(f.sla));
    }
    sql += " ORDER BY id LIMIT ?";
    SQLite::Statement q(db, sql);
    int c = 1;
    q.bind(c++, f.after_id);
    for (const auto& b : binds) {
        q.bind(c++, b);
    }
    q.bind(c++, static_cast<std::int64_t>(f.limit));
    return all(q);
}

std::vector<SlaState> sla_states(SQLite::Database& db, const std::vector<Ticket>& tickets,
                                 std::int64_t now_ms, int warn_percent) {
    std::vector<SlaState> out;
    out.reserve(tickets.size());
    if (tickets.empty()) {
        return out;
    }
    SQLite::Statement q(db, "SELECT " + sla_case_sql(now_ms, warn_percent) + " FROM tickets WHERE id = ?");
    for (const auto& t : tickets) {
        q.reset();
        q.bind(1, t.id);
        out.push_back(q.executeStep() ? sla_from_int(q.getColumn(0).getInt()) : SlaState::none);
    }
    return out;
}

std::vector<OpenCount> open_counts(SQLite::Database& db, std::string_view community, std::int64_t now_ms,
                                   int warn_percent) {
    std::string sql = "SELECT urgency, " + sla_case_sql(now_ms, warn_percent) +
                      " AS sla, count(*) FROM tickets WHERE status IN " + kOpen;
    if (!community.empty()) {
        sql += " AND community = ?";
    }
    sql += " GROUP BY 1, 2 ORDER BY 1, 2";
    SQLite::Statement q(db, sql);
    if (!community.empty()) {
        q.bind(1, std::string(community));
    }
    std::vector<OpenCount> out;
    while (q.executeStep()) {
        out.push_back(
            {q.getColumn(0).getString(), sla_from_int(q.getColumn(1).getInt()), q.getColumn(2).getInt64()});
    }
    return out;
}

std::vector<Claim> claims_since(SQLite::Database& db, std::string_view community, std::int64_t since_ms,
                                std::size_t limit) {
    // The first event at or after since_ms, by binary search over the id range: events are appended
    // as they happen, so `at` grows with `id` (a few seconds of disorder between concurrent writers
    // are covered by the slack, and the exact bound is applied below).
    constexpr std::int64_t kSlackMs = 10 * 60 * 1000;
    SQLite::Statement bounds(db, "SELECT coalesce(min(id), 0), coalesce(max(id), 0) FROM ticket_events");
    bounds.executeStep();
    std::int64_t lo = bounds.getColumn(0).getInt64();
    std::int64_t hi = bounds.getColumn(1).getInt64() + 1;
    SQLite::Statement probe(db, "SELECT id, at FROM ticket_events WHERE id >= ? ORDER BY id LIMIT 1");
    while (lo < hi) {
        const auto mid = lo + (hi - lo) / 2;
        probe.reset();
        probe.bind(1, mid);
        if (!probe.executeStep()) {
            hi = mid;
            continue;
        }
        const auto id = probe.getColumn(0).getInt64();
        if (probe.getColumn(1).getInt64() >= since_ms - kSlackMs) {
            hi = mid;
        } else {
            lo = id + 1;
        }
    }
    SQLite::Statement q(
        db,
        "SELECT e.id, e.at, e.actor, e.actor_name, e.kind, e.text, e.data, e.ticket_id"
        " FROM ticket_events e WHERE e.id >= ? AND e.kind = 'claim' AND e.at >= ? ORDER BY e.id");
    q.bind(1, lo);
    q.bind(2, since_ms);
    std::vector<Claim> out;
    while (out.size() < limit && q.executeStep()) {
        Claim c;
        c.event.id = q.getColumn(0).getInt64();
        c.event.at = at_ms(q.getColumn(1).getInt64());
        c.event.actor = q.getColumn(2).getString();
        c.event.actor_name = q.getColumn(3).getString();
        c.event.kind = q.getColumn(4).getString();
        c.event.text = q.getColumn(5).getString();
        c.event.data = q.getColumn(6).getString();
        auto t = ticket_by_id(db, q.getColumn(7).getInt64());
        if (!t || (!community.empty() && t->community != community)) {
            continue;
        }
        c.ticket = std::move(*t);
        out.push_back(std::move(c));
    }
    return out;
}

bool enqueue(SQLite::Database& db, const OutboxMessage& m, std::int64_t now_ms) {
    SQLite::Statement insert(
        db,
        "INSERT INTO outbox (key, channel, account, target, payload, next_at, created_at, ticket_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING");
    insert.bind(1, m.key);
    insert.bind(2, m.channel);
    insert.bind(3, m.account);
    insert.bind(4, m.target);
    insert.bind(5, m.payload);
    insert.bind(6, m.next_at_ms > 0 ? m.next_at_ms : now_ms);
    insert.bind(7, now_ms);
    insert.bind(8, m.ticket_id);
    return insert.exec() == 1;
}

std::vector<OutboxMessage> due_messages(SQLite::Database& db, std::int64_t now_ms, std::size_t limit) {
    SQLite::Statement q(
        db,
        "SELECT id, key, channel, account, target, payload, attempts, next_at, ticket_id FROM outbox"
        " WHERE state = 'pending' AND next_at <= ? ORDER BY next_at, id LIMIT ?");
    q.bind(1, now_ms);
    q.bind(2, static_cast<std::int64_t>(limit));
    std::vector<OutboxMessage> out;
    while (q.executeStep()) {
        OutboxMessage m;
        m.id = q.getColumn(0).getInt64();
        m.key = q.getColumn(1).getString();
        m.channel = q.getColumn(2).getString();
        m.account = q.getColumn(3).getString();
        m.target = q.getColumn(4).getString();
        m.payload = q.getColumn(5).getString();
        m.attempts = q.getColumn(6).getInt();
        m.next_at_ms = q.getColumn(7).getInt64();
        m.ticket_id = q.getColumn(8).getInt64();
        out.push_back(std::move(m));
    }
    return out;
}

std::optional<std::int64_t> next_due(SQLite::Database& db) {
    SQLite::Statement q(db, "SELECT min(next_at) FROM outbox WHERE state = 'pending'");
    if (!q.executeStep() || q.getColumn(0).isNull()) {
        return std::nullopt;
    }
    return q.getColumn(0).getInt64();
}

void mark_sent(SQLite::Database& db, std::int64_t id, std::int64_t now_ms) {
    SQLite::Statement q(
        db, "UPDATE outbox SET state = 'sent', sent_at = ?, attempts = attempts + 1 WHERE id = ?");
    q.bind(1, now_ms);
    q.bind(2, id);
    q.exec();
}

void mark_failed(SQLite::Database& db, std::int64_t id, std::string_view error, std::int64_t next_at_ms,
                 bool give_up) {
    SQLite::Statement q(db,
                        "UPDATE outbox SET state = ?, attempts = attempts + 1, last_error = ?, next_at = ?"
                        " WHERE id = ?");
    q.bind(1, give_up ? "failed" : "pending");
    q.bind(2, std::string(error));
    q.bind(3, next_at_ms);
    q.bind(4, id);
    q.exec();
}

std::size_t outbox_pending(SQLite::Database& db) {
    return static_cast<std::size_t>(
        db.execAndGet("SELECT count(*) FROM outbox WHERE state = 'pending'").getInt64());
}

namespace {

constexpr const char* kOutboxColumns =
    "o.id, o.key, o.channel, o.account, o.target, o.payload, o.attempts, o.next_at, o.ticket_id, "
    "o.created_at, "
    "o.state, o.last_error, o.sent_at";

OutboxMessage read_outbox(SQLite::Statement& q) {
    OutboxMessage m;
    int c = 0;
    m.id = q.getColumn(c++).getInt64();
    m.key = q.getColumn(c++).getString();
    m.channel = q.getColumn(c++).getString();
    m.account = q.getColumn(c++).getString();
    m.target = q.getColumn(c++).getString();
    m.payload = q.getColumn(c++).getString();
    m.attempts = q.getColumn(c++).getInt();
    m.next_at_ms = q.getColumn(c++).getInt64();
    m.ticket_id = q.getColumn(c++).getInt64();
    m.created_at_ms = q.getColumn(c++).getInt64();
    m.state = q.getColumn(c++).getString();
    m.last_error = q.getColumn(c++).getString();
    const auto sent = q.getColumn(c++);
    m.sent_at_ms = sent.isNull() ? 0 : sent.getInt64();
    return m;
}

// " AND o.channel IN (?N, ?N+1, …)" for parameters numbered from `first`; "" when `channels` is empty.
std::string channel_clause(const std::vector<std::string>& channels, int first) {
    if (channels.empty()) {
        return {};
    }
    std::string sql = " AND o.channel IN (";
    for (std::size_t i = 0; i < channels.size(); ++i) {
        sql += (i == 0 ? "?" : ", ?") + std::to_string(first + static_cast<int>(i));
    }
    return sql + ")";
}

void bind_channels(SQLite::Statement& q, const std::vector<std::string>& channels, int first) {
    for (std::size_t i = 0; i < channels.size(); ++i) {
        q.bind(first + static_cast<int>(i), channels[i]);
    }
}

}  // namespace

std::vector<OutboxMessage> due_heads(SQLite::Database& db, std::int64_t now_ms, std::size_t limit,
                                     const std::vector<std::string>& channels) {
    // The outer scan walks outbox_pending (next_at, id); the check for an earlier message to the same
    // recipient is a seek in outbox_recipient (channel, account, target, id).
    SQLite::Statement q(db, std::string("SELECT ") + kOutboxColumns +
                                " FROM outbox o WHERE o.state = 'pending' AND o.next_at <= ?1" +
                                channel_clause(channels, 3) +
                                " AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.state = 'pending'"
                                " AND p.channel = o.channel AND p.account = o.account AND p.target = o.target"
                                " AND p.id < o.id AND (p.attempts > 0 OR p.next_at <= ?1))"
                                " ORDER BY o.next_at, o.id LIMIT ?2");
    q.bind(1, now_ms);
    q.bind(2, static_cast<std::int64_t>(limit));
    bind_channels(q, channels, 3);
    std::vector<OutboxMessage> out;
    while (q.executeStep()) {
        out.push_back(read_outbox(q));
    }
    return out;
}

std::optional<std::int64_t> next_due_after(SQLite::Database& db, std::int64_t now_ms,
                                           const std::vector<std::string>& channels) {
    SQLite::Statement q(db,
                        "SELECT min(o.next_at) FROM outbox o WHERE o.state = 'pending' AND o.next_at > ?1" +
                            channel_clause(channels, 2));
    q.bind(1, now_ms);
    bind_channels(q, channels, 2);
    if (!q.executeStep() || q.getColumn(0).isNull()) {
        return std::nullopt;
    }
    return q.getColumn(0).getInt64();
}

void defer(SQLite::Database& db, std::int64_t id, std::int64_t next_at_ms) {
    SQLite::Statement q(db, "UPDATE outbox SET next_at = ? WHERE id = ? AND state = 'pending'");
    q.bind(1, next_at_ms);
    q.bind(2, id);
    q.exec();
}

std::size_t outbox_pending(SQLite::Database& db, const std::vector<std::string>& channels) {
    SQLite::Statement q(
        db, "SELECT count(*) FROM outbox o WHERE o.state = 'pending'" + channel_clause(channels, 1));
    bind_channels(q, channels, 1);
    q.executeStep();
    return static_cast<std::size_t>(q.getColumn(0).getInt64());
}

std::vector<OutboxRow> find_outbox(SQLite::Database& db, const OutboxFilter& f) {
    std::string sql = std::string("SELECT ") + kOutboxColumns +
                      ", coalesce(t.code, '') FROM outbox o LEFT JOIN tickets t ON t.id = o.ticket_id"
                      " WHERE o.id > ?";
    if (!f.state.empty()) {
        sql += " AND o.state = ?";
    }
    if (!f.ticket_code.empty()) {
        // "ticket_id != 0" lets SQLite use the partial index outbox_ticket instead of scanning the outbox.
        sql += " AND o.ticket_id != 0 AND o.ticket_id = (SELECT id FROM tickets WHERE code = ?)";
    }
    sql += " ORDER BY o.id LIMIT ?";
    SQLite::Statement q(db, sql);
    int c = 1;
    q.bind(c++, f.after_id);
    if (!f.state.empty()) {
        q.bind(c++, f.state);
    }
    if (!f.ticket_code.empty()) {
        q.bind(c++, f.ticket_code);
    }
    q.bind(c++, static_cast<std::int64_t>(f.limit));
    std::vector<OutboxRow> out;
    while (q.executeStep()) {
        OutboxRow row;
        row.message = read_outbox(q);
        row.ticket_code = q.getColumn(13).getString();
        out.push_back(std::move(row));
    }
    return out;
}

}  // namespace anju::store
