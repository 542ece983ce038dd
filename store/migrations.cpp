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
};

}  // namespace

std::span<const Migration> builtin_migrations() { return kMigrations; }

}  // namespace anju::store
