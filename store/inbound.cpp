#include "store/inbound.hpp"

#include <SQLiteCpp/Statement.h>

namespace anju::store {
namespace {

constexpr const char* kColumns =
    "id, dedupe_key, channel, account, sender, kind, platform_msg_id, payload, received_at, state, reply, "
    "answered_at";

StoredInbound read_row(SQLite::Statement& row) {
    StoredInbound s;
    s.id = row.getColumn(0).getInt64();
    s.record.dedupe_key = row.getColumn(1).getString();
    s.record.channel = row.getColumn(2).getString();
    s.record.account = row.getColumn(3).getString();
    s.record.sender = row.getColumn(4).getString();
    s.record.kind = row.getColumn(5).getString();
    s.record.platform_msg_id = row.getColumn(6).getString();
    s.record.payload = row.getColumn(7).getString();
    s.record.received_at_ms = row.getColumn(8).getInt64();
    s.answered = row.getColumn(9).getString() == "answered";
    s.reply = row.getColumn(10).isNull() ? std::string() : row.getColumn(10).getString();
    s.answered_at_ms = row.getColumn(11).isNull() ? 0 : row.getColumn(11).getInt64();
    return s;
}

}  // namespace

bool insert_inbound(SQLite::Database& db, const InboundRecord& r) {
    SQLite::Statement insert(db,
                             "INSERT INTO inbound_messages (dedupe_key, channel, account, sender, kind,"
                             " platform_msg_id, payload, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                             " ON CONFLICT (dedupe_key) DO NOTHING");
    insert.bind(1, r.dedupe_key);
    insert.bind(2, r.channel);
    insert.bind(3, r.account);
    insert.bind(4, r.sender);
    insert.bind(5, r.kind);
    insert.bind(6, r.platform_msg_id);
    insert.bind(7, r.payload);
    insert.bind(8, r.received_at_ms);
    return insert.exec() == 1;
}

std::optional<StoredInbound> find_inbound(SQLite::Database& db, std::string_view dedupe_key) {
    SQLite::Statement select(
        db, std::string("SELECT ") + kColumns + " FROM inbound_messages WHERE dedupe_key = ?");
    select.bind(1, std::string(dedupe_key));
    if (!select.executeStep()) {
        return std::nullopt;
    }
    return read_row(select);
}

bool record_reply(SQLite::Database& db, std::string_view dedupe_key, std::string_view reply_json,
                  std::int64_t answered_at_ms) {
    SQLite::Statement update(db,
                             "UPDATE inbound_messages SET state = 'answered', reply = ?, answered_at = ?"
                             " WHERE dedupe_key = ?");
    update.bind(1, std::string(reply_json));
    update.bind(2, answered_at_ms);
    update.bind(3, std::string(dedupe_key));
    return update.exec() == 1;
}

std::vector<StoredInbound> pending_inbound(SQLite::Database& db, std::size_t limit) {
    SQLite::Statement select(db, std::string("SELECT ") + kColumns +
                                     " FROM inbound_messages WHERE state = 'pending' ORDER BY id LIMIT ?");
    select.bind(1, static_cast<std::int64_t>(limit));
    std::vector<StoredInbound> rows;
    while (select.executeStep()) {
        rows.push_back(read_row(select));
    }
    return rows;
}

}  // namespace anju::store
