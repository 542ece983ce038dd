// anju's schema history. Append new steps at the end; never edit a step that has shipped, since
// databases in the field have already applied it.
#include "store/store.hpp"

namespace anju::store {
namespace {

constexpr Migration kMigrations[] = {
    {1, "meta",
     R"sql(
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('created_at', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
)sql"},
    {2, "inbound journal",
     R"sql(
CREATE TABLE inbound_messages (
    id              INTEGER PRIMARY KEY,
    dedupe_key      TEXT NOT NULL UNIQUE,   -- the same for every re-delivery of one message
    channel         TEXT NOT NULL,
    account         TEXT NOT NULL,
    sender          TEXT NOT NULL,
    kind            TEXT NOT NULL,
    platform_msg_id TEXT NOT NULL DEFAULT '',
    payload         TEXT NOT NULL,          -- the normalised message as JSON
    received_at     INTEGER NOT NULL,       -- unix milliseconds
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'answered')),
    reply           TEXT,                   -- the turn's reply as JSON, once answered
    answered_at     INTEGER
);
CREATE INDEX inbound_messages_pending ON inbound_messages (id) WHERE state = 'pending';
CREATE INDEX inbound_messages_sender ON inbound_messages (channel, account, sender, received_at);
)sql"},
    {3, "dialogs and complaint drafts",
     R"sql(
CREATE TABLE dialog_sessions (
    conversation TEXT PRIMARY KEY,         -- channel/account/sender
    state        TEXT NOT NULL,            -- the dialog's state as JSON
    updated_at   INTEGER NOT NULL          -- unix milliseconds
) WITHOUT ROWID;
CREATE TABLE complaint_drafts (
    id              INTEGER PRIMARY KEY,
    ref             TEXT NOT NULL UNIQUE,  -- conversation + '#' + its number in that conversation
    resident        TEXT NOT NULL,
    building        TEXT NOT NULL DEFAULT '',
    unit            TEXT NOT NULL DEFAULT '',
    room            TEXT NOT NULL DEFAULT '',
    nature          TEXT NOT NULL,
    category        TEXT NOT NULL,
    urgency         TEXT NOT NULL,
    slots           TEXT NOT NULL,         -- JSON object
    description     TEXT NOT NULL,
    expectation     TEXT NOT NULL,
    evidence        TEXT NOT NULL,         -- JSON array
    attachments     TEXT NOT NULL,         -- JSON array
    confirmed       INTEGER NOT NULL,
    needs_call      INTEGER NOT NULL,
    handover_reason TEXT NOT NULL DEFAULT '',
    source_message  TEXT NOT NULL DEFAULT '',  -- dedupe key of the message that completed it
    status          TEXT NOT NULL DEFAULT 'new',  -- the ticket layer takes it from here
    created_at      INTEGER NOT NULL
);
CREATE INDEX complaint_drafts_status ON complaint_drafts (status, id);
CREATE INDEX complaint_drafts_resident ON complaint_drafts (resident, created_at);
CREATE TABLE complaint_followups (
    id          INTEGER PRIMARY KEY,
    draft_ref   TEXT NOT NULL,
    text        TEXT NOT NULL,
    attachments TEXT NOT NULL,             -- JSON array
    created_at  INTEGER NOT NULL
);
CREATE INDEX complaint_followups_ref ON complaint_followups (draft_ref, id);
)sql"},
    {4, "tickets and the outbox",
     R"sql(
CREATE TABLE tickets (
    id              INTEGER PRIMARY KEY,
    code            TEXT UNIQUE,               -- public code (工单号), set right after the insert
    source          TEXT UNIQUE,               -- what it was filed from (a draft ref, an API key); NULL: nothing
    community       TEXT NOT NULL,
    resident        TEXT NOT NULL DEFAULT '',  -- conversation key; '' for a walk-in without an account
    resident_name   TEXT NOT NULL DEFAULT '',
    resident_phone  TEXT NOT NULL DEFAULT '',
    building        TEXT NOT NULL DEFAULT '',
    unit            TEXT NOT NULL DEFAULT '',
    room            TEXT NOT NULL DEFAULT '',
    channel         TEXT NOT NULL,
    nature          TEXT NOT NULL,
    category        TEXT NOT NULL,
    urgency         TEXT NOT NULL,
    slots           TEXT NOT NULL,             -- JSON object
    description     TEXT NOT NULL,
    expectation     TEXT NOT NULL,
    evidence        TEXT NOT NULL,             -- JSON array
    attachments     TEXT NOT NULL,             -- JSON array
    department      TEXT NOT NULL,
    first_responder TEXT NOT NULL DEFAULT '',
    assignee        TEXT NOT NULL DEFAULT '',
    assignee_name   TEXT NOT NULL DEFAULT '',
    butler          TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL,
    created_at      INTEGER NOT NULL,          -- unix milliseconds, like every time below
    updated_at      INTEGER NOT NULL,
    claim_due       INTEGER,
    on_site_due     INTEGER,
    plan_due        INTEGER,
    confirm_due     INTEGER,
    escalation      INTEGER NOT NULL DEFAULT 0,
    satisfaction    TEXT NOT NULL DEFAULT 'none',
    score           INTEGER NOT NULL DEFAULT 0,
    key_review      INTEGER NOT NULL DEFAULT 0,
    auto_closed     INTEGER NOT NULL DEFAULT 0,
    parent_id       INTEGER NOT NULL DEFAULT 0,  -- a household's ticket inside a group complaint
    is_group        INTEGER NOT NULL DEFAULT 0,
    households      INTEGER NOT NULL DEFAULT 1,
    last_progress   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX tickets_room ON tickets (community, building, unit, room, category, status);
CREATE INDEX tickets_place ON tickets (community, category, building, created_at);
CREATE INDEX tickets_resident ON tickets (resident, status);
CREATE INDEX tickets_status ON tickets (status, department);
CREATE INDEX tickets_assignee ON tickets (assignee, status);
CREATE INDEX tickets_parent ON tickets (parent_id) WHERE parent_id != 0;
CREATE TABLE ticket_events (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id),
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,   -- staff:<userid>, resident:<conversation>, system
    actor_name TEXT NOT NULL,
    kind       TEXT NOT NULL,
    text       TEXT NOT NULL,
    data       TEXT NOT NULL    -- JSON details, '' when none
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);
CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY,
    key        TEXT NOT NULL UNIQUE,       -- what the message is, so a re-run turn never sends it twice
    channel    TEXT NOT NULL,              -- wechat_mp | wecom_app | wecom_chat | wecom_robot | wecom_aibot
    account    TEXT NOT NULL,              -- the config id that sends it
    target     TEXT NOT NULL,              -- openid, userids, chatid, robot ref or response URL
    payload    TEXT NOT NULL,              -- JSON: text / markdown / mentions / template + vars
    state      TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_at    INTEGER NOT NULL,           -- not before this (unix milliseconds)
    last_error TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    sent_at    INTEGER
);
CREATE INDEX outbox_pending ON outbox (next_at, id) WHERE state = 'pending';
)sql"},
    {5, "timers, milestones, rectifications, push preferences",
     R"sql(
CREATE TABLE timers (
    id        INTEGER PRIMARY KEY,
    key       TEXT NOT NULL UNIQUE,      -- what it is for ("T12:claim:due", "daily_push"); set again = moved
    kind      TEXT NOT NULL,             -- the handler: sla_warn, sla_due, escalate, auto_close, daily_push, …
    ticket_id INTEGER NOT NULL DEFAULT 0,
    due_at    INTEGER NOT NULL,          -- unix milliseconds
    data      TEXT NOT NULL DEFAULT '',  -- JSON for the handler
    attempts  INTEGER NOT NULL DEFAULT 0 -- failed firings (the handler threw)
);
CREATE INDEX timers_due ON timers (due_at, id);
CREATE INDEX timers_ticket ON timers (ticket_id) WHERE ticket_id != 0;
CREATE TABLE milestones (
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id),
    name       TEXT NOT NULL,            -- claim, on_site, plan, progress:YYYY-MM-DD, rectification:N
    department TEXT NOT NULL,
    due_at     INTEGER NOT NULL,
    met_at     INTEGER,                  -- set when met (possibly late)
    missed_at  INTEGER,                  -- set when the deadline passed unmet
    PRIMARY KEY (ticket_id, name)
) WITHOUT ROWID;
CREATE INDEX milestones_due ON milestones (department, due_at);
CREATE TABLE rectifications (
    id          INTEGER PRIMARY KEY,
    ticket_id   INTEGER NOT NULL REFERENCES tickets (id),
    department  TEXT NOT NULL,
    reason      TEXT NOT NULL,           -- overdue:<milestone>, reopened, unsatisfied
    detail      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    due_at      INTEGER NOT NULL,
    answered_at INTEGER,
    answered_by TEXT NOT NULL DEFAULT '',
    answer      TEXT NOT NULL DEFAULT '',
    UNIQUE (ticket_id, reason)
);
CREATE TABLE resident_prefs (
    resident   TEXT PRIMARY KEY,
    daily_push INTEGER NOT NULL DEFAULT 1,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;
ALTER TABLE outbox ADD COLUMN ticket_id INTEGER NOT NULL DEFAULT 0;
CREATE INDEX outbox_recipient ON outbox (channel, account, target, id) WHERE state = 'pending';
CREATE INDEX outbox_ticket ON outbox (ticket_id) WHERE ticket_id != 0;
-- A room's complaint file without naming the community, and status pages in id order.
CREATE INDEX tickets_room_only ON tickets (building, unit, room);
CREATE INDEX tickets_status_id ON tickets (status, id);
)sql"},
    {6, "owner groups: known members, where a report came from, groups following tickets",
     R"sql(
CREATE TABLE owner_group_links (
    member     TEXT PRIMARY KEY,   -- "bridge/<account>/<user>": a member of the account's groups
    resident   TEXT NOT NULL,      -- their private conversation ("wechat_mp/demo/o…")
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE group_origins (
    resident TEXT PRIMARY KEY,     -- a private conversation that was started from a group
    channel  TEXT NOT NULL,
    account  TEXT NOT NULL,
    chat     TEXT NOT NULL,
    member   TEXT NOT NULL,
    at       INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE ticket_groups (
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id),
    channel    TEXT NOT NULL,
    account    TEXT NOT NULL,
    chat       TEXT NOT NULL,
    member     TEXT NOT NULL DEFAULT '',  -- who reported it there, for the @
    created_at INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, channel, account, chat)
) WITHOUT ROWID;
CREATE INDEX ticket_groups_chat ON ticket_groups (channel, account, chat);
)sql"},
    {7, "monthly reports: month ranges of tickets and deadlines, reopen events, stored reports",
     R"sql(
-- The monthly analysis reads one month of tickets by creation time and one month of SLA nodes by
-- deadline. Both indexes cover every column the report's aggregates read, so a month is counted
-- from a few MiB of index instead of the tickets' rows (a cold cache reads a tenth as much).
-- Reopens are few, so a partial index answers "was this ticket ever reopened" without reading its
-- event log (kind is in it so that no event row is read either).
CREATE INDEX tickets_month ON tickets (created_at, community, building, unit, room, category, nature, urgency,
                                       status, satisfaction, score, auto_closed, is_group);
CREATE INDEX milestones_due_at ON milestones (due_at, department, met_at, missed_at);
CREATE INDEX ticket_events_reopen ON ticket_events (ticket_id, kind) WHERE kind = 'reopen';
CREATE TABLE reports (
    month      TEXT NOT NULL,             -- "2026-11"
    community  TEXT NOT NULL,             -- '' for every community
    format     TEXT NOT NULL,             -- what body holds: 'json'
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL,          -- unix milliseconds
    PRIMARY KEY (month, community)
) WITHOUT ROWID;
)sql"},
};

}  // namespace

std::span<const Migration> builtin_migrations() { return kMigrations; }

}  // namespace anju::store
