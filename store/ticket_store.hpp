// Persistence of tickets: the ticket rows, their append-only event log, the queries the ticket
// service and the admin API need (by code, room, resident, department, assignee, group counts), and
// the outbox of messages the service owes people. Functions take the connection and run inside
// Store::write()/run() jobs; a write job is one transaction.
#pragma once

#include "bot/tickets/ticket.hpp"

#include <SQLiteCpp/Database.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace anju::store {

// Inserts a new ticket (its id and code are set) with its first event. `source` makes filing
// idempotent: a second insert with the same non-empty source returns the existing ticket's id and
// inserts nothing (a re-run turn). Returns the id and whether this call inserted it.
struct Inserted {
    std::int64_t id = 0;
    bool created = false;
};
Inserted insert_ticket(SQLite::Database& db, tickets::Ticket& ticket, const tickets::Event& first,
                       std::string_view source);

// Writes every mutable column of `ticket` and appends `event`. Returns the event's id.
std::int64_t update_ticket(SQLite::Database& db, const tickets::Ticket& ticket, const tickets::Event& event);

// Appends `event` to the log of ticket `ticket_id` without touching the ticket (something that
// happened around it, e.g. a message that could not be delivered). Returns the event's id. Throws
// SQLite::Exception if no such ticket exists (foreign key).
std::int64_t append_event(SQLite::Database& db, std::int64_t ticket_id, const tickets::Event& event);

std::optional<tickets::Ticket> ticket_by_id(SQLite::Database& db, std::int64_t id);
std::optional<tickets::Ticket> ticket_by_code(SQLite::Database& db, std::string_view code);
std::optional<tickets::Ticket> ticket_by_source(SQLite::Database& db, std::string_view source);
std::vector<tickets::Event> ticket_events(SQLite::Database& db, std::int64_t ticket_id);

// An active (open or resolved) ticket of the same room and category, for duplicate reports.
std::optional<tickets::Ticket> active_ticket_for_room(SQLite::Database& db, std::string_view community,
                                                      const dialogs::Room& room, std::string_view category);
// The active group complaint about `category` at `building` in `community`, if any.
std::optional<tickets::Ticket> active_group(SQLite::Database& db, std::string_view community,
                                            std::string_view category, std::string_view building);
// Distinct households (rooms) with an active ticket about `category` at `building` created since
// `since_ms`, not yet inside a group complaint.
std::vector<tickets::Ticket> recent_household_tickets(SQLite::Database& db, std::string_view community,
                                                      std::string_view category, std::string_view building,
                                                      std::int64_t since_ms);
// Puts `child` inside group complaint `parent`.
void set_parent(SQLite::Database& db, std::int64_t child, std::int64_t parent);
std::vector<tickets::Ticket> group_members(SQLite::Database& db, std::int64_t parent);

// Where an open ticket stands against its deadlines, as the console shows it:
//   overdue   a deadline (claim, on-site, plan) has passed, or a milestone was missed and is not yet met;
//   warning   not overdue, and `warn_percent` % of the time to one of its deadlines (counted from
//             filing) is used up;
//   on_track  the rest.
// Tickets that are no longer open (resolved and after) have none.
enum class SlaState { none, on_track, warning, overdue };
std::string_view to_string(SlaState s);
std::optional<SlaState> parse_sla_state(std::string_view text);  // on_track | warning | overdue

struct TicketFilter {
    std::string status;     // a status name; "active" or "open" for the groups; "" for any
    std::string community;  // "" for any
    std::string department;
    std::string assignee;
    std::string resident;
    std::string urgency;       // normal | emergency | difficult; "" for any
    std::string nature;        // service | facility | fee | order; "" for any
    dialogs::Room room;        // parts that are set must match
    std::int64_t from_ms = 0;  // created at or after (0: no bound)
    std::int64_t to_ms = 0;    // created before (0: no bound)
    // SLA filters, judged at now_ms with warn_percent (see SlaState): open and overdue (true) or
    // anything else (false); open tickets in one state (none: no filter).
    std::optional<bool> overdue;
    SlaState sla = SlaState::none;
    std::int64_t now_ms = 0;
    int warn_percent = 80;
    std::size_t limit = 100;
    std::int64_t after_id = 0;  // paging: ids greater than this
};
std::vector<tickets::Ticket> find_tickets(SQLite::Database& db, const TicketFilter& filter);

// The SLA state of each of `tickets` at `now_ms` (same order): one primary-key lookup each.
std::vector<SlaState> sla_states(SQLite::Database& db, const std::vector<tickets::Ticket>& tickets,
                                 std::int64_t now_ms, int warn_percent);

// Open tickets of `community` ("" for all) counted by urgency and SLA state (the console's live view).
struct OpenCount {
    std::string urgency;
    SlaState sla = SlaState::none;
    std::int64_t count = 0;
};
std::vector<OpenCount> open_counts(SQLite::Database& db, std::string_view community, std::int64_t now_ms,
                                   int warn_percent);

// The claims made at or after `since_ms` on tickets of `community` ("" for all), oldest first, at most
// `limit`: the claim event and the ticket as it is now. Events are appended in time order, so the
// first event of the period is found by a binary search over ids and only that period is read.
struct Claim {
    tickets::Event event;
    tickets::Ticket ticket;
};
std::vector<Claim> claims_since(SQLite::Database& db, std::string_view community, std::int64_t since_ms,
                                std::size_t limit);

// ---- outbox ----

struct OutboxMessage {
    std::int64_t id = 0;
    std::string key;      // unique: what the message is
    std::string channel;  // wechat_mp | wecom_app | wecom_chat | wecom_robot | wecom_aibot
    std::string account;
    std::string target;
    std::string payload;  // JSON
    int attempts = 0;
    std::int64_t next_at_ms = 0;
    std::int64_t ticket_id = 0;  // the ticket it is about (0: none), where a failure is recorded
    // Read back from the table (enqueue ignores them):
    std::int64_t created_at_ms = 0;
    std::string state;            // pending | sent | failed
    std::string last_error;       // why the last attempt failed ("" if none did)
    std::int64_t sent_at_ms = 0;  // 0 until sent
};

// Queues a message; a second enqueue with the same key is ignored. Returns whether it was queued.
bool enqueue(SQLite::Database& db, const OutboxMessage& message, std::int64_t now_ms);
// Pending messages due at `now_ms`, oldest first.
std::vector<OutboxMessage> due_messages(SQLite::Database& db, std::int64_t now_ms, std::size_t limit);
// The earliest next_at of a pending message, if any.
std::optional<std::int64_t> next_due(SQLite::Database& db);
void mark_sent(SQLite::Database& db, std::int64_t id, std::int64_t now_ms);
// A failed attempt: retried at `next_at_ms`, or given up (state failed) when `give_up`.
void mark_failed(SQLite::Database& db, std::int64_t id, std::string_view error, std::int64_t next_at_ms,
                 bool give_up);
std::size_t outbox_pending(SQLite::Database& db);

// The dispatchers' view (bot/runtime/outbox.hpp). Messages to one recipient (channel, account,
// target) go out in queue order: a message is held back while an earlier pending one to the same
// recipient has been tried (it waits for a retry) or is due itself. An earlier message that has not
// been tried and is not yet due (scheduled for later, or deferred by a rate limit) holds nothing back.
// `channels` restricts every function below to those channels; empty means all.

// The head of each recipient's queue that is due at `now_ms`, earliest next_at first, at most
// `limit`: never two messages to the same recipient.
std::vector<OutboxMessage> due_heads(SQLite::Database& db, std::int64_t now_ms, std::size_t limit,
                                     const std::vector<std::string>& channels);
// The earliest next_at after `now_ms` of a pending message, if any: when something may next be due.
std::optional<std::int64_t> next_due_after(SQLite::Database& db, std::int64_t now_ms,
                                           const std::vector<std::string>& channels);
// Moves a pending message to `next_at_ms` without counting an attempt (a rate limit said "not yet").
void defer(SQLite::Database& db, std::int64_t id, std::int64_t next_at_ms);
std::size_t outbox_pending(SQLite::Database& db, const std::vector<std::string>& channels);

// A page of the outbox for the admin API, in queue order (id ascending).
struct OutboxFilter {
    std::string state;        // pending | sent | failed; "" for any
    std::string ticket_code;  // only messages about this ticket; "" for any
    std::size_t limit = 100;
    std::int64_t after_id = 0;  // paging: ids greater than this
};
struct OutboxRow {
    OutboxMessage message;
    std::string ticket_code;  // "" when the message is about no ticket
};
std::vector<OutboxRow> find_outbox(SQLite::Database& db, const OutboxFilter& filter);

}  // namespace anju::store
