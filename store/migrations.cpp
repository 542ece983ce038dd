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
};

}  // namespace

std::span<const Migration> builtin_migrations() { return kMigrations; }

}  // namespace anju::store
