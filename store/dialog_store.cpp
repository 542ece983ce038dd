#include "store/dialog_store.hpp"

#include <SQLiteCpp/Statement.h>

namespace anju::store {
namespace {

constexpr const char* kDraftColumns =
    "id, ref, resident, building, unit, room, nature, category, urgency, slots, description, expectation, "
    "evidence, attachments, confirmed, needs_call, handover_reason, source_message, status, created_at";

DraftRecord read_draft(SQLite::Statement& row) {
    DraftRecord d;
    int c = 0;
    d.id = row.getColumn(c++).getInt64();
    d.ref = row.getColumn(c++).getString();
    d.resident = row.getColumn(c++).getString();
    d.building = row.getColumn(c++).getString();
    d.unit = row.getColumn(c++).getString();
    d.room = row.getColumn(c++).getString();
    d.nature = row.getColumn(c++).getString();
    d.category = row.getColumn(c++).getString();
    d.urgency = row.getColumn(c++).getString();
    d.slots_json = row.getColumn(c++).getString();
    d.description = row.getColumn(c++).getString();
    d.expectation = row.getColumn(c++).getString();
    d.evidence_json = row.getColumn(c++).getString();
    d.attachments_json = row.getColumn(c++).getString();
    d.confirmed = row.getColumn(c++).getInt() != 0;
    d.needs_call = row.getColumn(c++).getInt() != 0;
    d.handover_reason = row.getColumn(c++).getString();
    d.source_message = row.getColumn(c++).getString();
    d.status = row.getColumn(c++).getString();
    d.created_at_ms = row.getColumn(c++).getInt64();
    return d;
}

}  // namespace

std::optional<std::string> load_dialog_state(SQLite::Database& db, std::string_view conversation) {
    SQLite::Statement select(db, "SELECT state FROM dialog_sessions WHERE conversation = ?");
    select.bind(1, std::string(conversation));
    if (!select.executeStep()) {
        return std::nullopt;
    }
    return select.getColumn(0).getString();
}

void save_dialog_state(SQLite::Database& db, std::string_view conversation, std::string_view state_json,
                       std::int64_t updated_at_ms) {
    SQLite::Statement upsert(db,
                             "INSERT INTO dialog_sessions (conversation, state, updated_at) VALUES (?, ?, ?)"
                             " ON CONFLICT (conversation) DO UPDATE SET state = excluded.state,"
                             " updated_at = excluded.updated_at");
    upsert.bind(1, std::string(conversation));
    upsert.bind(2, std::string(state_json));
    upsert.bind(3, updated_at_ms);
    upsert.exec();
}

bool insert_draft(SQLite::Database& db, const DraftRecord& d) {
    SQLite::Statement insert(
        db,
        "INSERT INTO complaint_drafts (ref, resident, building, unit, room, nature, category,"
        " urgency, slots, description, expectation, evidence, attachments, confirmed, needs_call,"
        " handover_reason, source_message, status, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (ref) DO NOTHING");
    int c = 1;
    insert.bind(c++, d.ref);
    insert.bind(c++, d.resident);
    insert.bind(c++, d.building);
    insert.bind(c++, d.unit);
    insert.bind(c++, d.room);
    insert.bind(c++, d.nature);
    insert.bind(c++, d.category);
    insert.bind(c++, d.urgency);
    insert.bind(c++, d.slots_json);
    insert.bind(c++, d.description);
    insert.bind(c++, d.expectation);
    insert.bind(c++, d.evidence_json);
    insert.bind(c++, d.attachments_json);
    insert.bind(c++, d.confirmed ? 1 : 0);
    insert.bind(c++, d.needs_call ? 1 : 0);
    insert.bind(c++, d.handover_reason);
    insert.bind(c++, d.source_message);
    insert.bind(c++, d.status);
    insert.bind(c++, d.created_at_ms);
    return insert.exec() == 1;
}

std::vector<DraftRecord> drafts_of(SQLite::Database& db, std::string_view resident) {
    SQLite::Statement select(db, std::string("SELECT ") + kDraftColumns +
                                     " FROM complaint_drafts WHERE resident = ? ORDER BY created_at, id");
    select.bind(1, std::string(resident));
    std::vector<DraftRecord> out;
    while (select.executeStep()) {
        out.push_back(read_draft(select));
    }
    return out;
}

std::vector<DraftRecord> drafts_with_status(SQLite::Database& db, std::string_view status,
                                            std::size_t limit) {
    SQLite::Statement select(db, std::string("SELECT ") + kDraftColumns +
                                     " FROM complaint_drafts WHERE status = ? ORDER BY id LIMIT ?");
    select.bind(1, std::string(status));
    select.bind(2, static_cast<std::int64_t>(limit));
    std::vector<DraftRecord> out;
    while (select.executeStep()) {
        out.push_back(read_draft(select));
    }
    return out;
}

void insert_followup(SQLite::Database& db, std::string_view draft_ref, std::string_view text,
                     std::string_view attachments_json, std::int64_t created_at_ms) {
    SQLite::Statement insert(
        db, "INSERT INTO complaint_followups (draft_ref, text, attachments, created_at) VALUES (?, ?, ?, ?)");
    insert.bind(1, std::string(draft_ref));
    insert.bind(2, std::string(text));
    insert.bind(3, std::string(attachments_json));
    insert.bind(4, created_at_ms);
    insert.exec();
}

std::vector<FollowupRecord> followups_of(SQLite::Database& db, std::string_view draft_ref) {
    SQLite::Statement select(db,
                             "SELECT draft_ref, text, attachments, created_at FROM complaint_followups WHERE "
                             "draft_ref = ? ORDER BY id");
    select.bind(1, std::string(draft_ref));
    std::vector<FollowupRecord> out;
    while (select.executeStep()) {
        out.push_back({select.getColumn(0).getString(), select.getColumn(1).getString(),
                       select.getColumn(2).getString(), select.getColumn(3).getInt64()});
    }
    return out;
}

}  // namespace anju::store
