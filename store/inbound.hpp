// The inbound journal: every message a resident or staff member sends is written here, keyed by its
// de-duplication key, before anything acts on it; the turn's reply is recorded on the same row.
// Functions take the connection and run inside Store::write()/run() jobs.
#pragma once

#include <SQLiteCpp/Database.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace anju::store {

struct InboundRecord {
    std::string dedupe_key;
    std::string channel;
    std::string account;
    std::string sender;
    std::string kind;
    std::string platform_msg_id;
    std::string payload;  // the normalised message as JSON
    std::int64_t received_at_ms = 0;
};

struct StoredInbound {
    std::int64_t id = 0;
    InboundRecord record;
    bool answered = false;
    std::string reply;  // JSON, when answered
    std::int64_t answered_at_ms = 0;
};

// Inserts the message unless one with the same dedupe key is already journaled. Returns true if
// this call inserted it. Atomic: of two concurrent deliveries exactly one gets true.
bool insert_inbound(SQLite::Database& db, const InboundRecord& record);

std::optional<StoredInbound> find_inbound(SQLite::Database& db, std::string_view dedupe_key);

// Records the turn's reply and marks the message answered. Returns false if no such message.
bool record_reply(SQLite::Database& db, std::string_view dedupe_key, std::string_view reply_json,
                  std::int64_t answered_at_ms);

// Messages journaled but never answered (e.g. the process stopped mid-turn), oldest first.
std::vector<StoredInbound> pending_inbound(SQLite::Database& db, std::size_t limit);

}  // namespace anju::store
