// Persistence for the dialog engine: each conversation's dialog state, the complaint drafts the
// dialog files (the hand-off to the ticket layer), and follow-ups residents add to them.
// Functions take the connection and run inside Store::write()/run() jobs.
#pragma once

#include <SQLiteCpp/Database.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace anju::store {

std::optional<std::string> load_dialog_state(SQLite::Database& db, std::string_view conversation);
void save_dialog_state(SQLite::Database& db, std::string_view conversation, std::string_view state_json,
                       std::int64_t updated_at_ms);

struct DraftRecord {
    std::int64_t id = 0;
    std::string ref;  // unique: conversation + "#" + number
    std::string resident;
    std::string building;
    std::string unit;
    std::string room;
    std::string nature;
    std::string category;
    std::string urgency;
    std::string slots_json = "{}";
    std::string description;
    std::string expectation;
    std::string evidence_json = "[]";
    std::string attachments_json = "[]";
    bool confirmed = false;
    bool needs_call = false;
    std::string handover_reason;
    std::string source_message;
    std::string status = "new";
    std::int64_t created_at_ms = 0;
};

// Inserts a draft; a second insert with the same ref is ignored (a re-run turn). Returns whether
// this call inserted it.
bool insert_draft(SQLite::Database& db, const DraftRecord& draft);

std::vector<DraftRecord> drafts_of(SQLite::Database& db, std::string_view resident);
std::vector<DraftRecord> drafts_with_status(SQLite::Database& db, std::string_view status, std::size_t limit);

void insert_followup(SQLite::Database& db, std::string_view draft_ref, std::string_view text,
                     std::string_view attachments_json, std::int64_t created_at_ms);

struct FollowupRecord {
    std::string draft_ref;
    std::string text;
    std::string attachments_json;
    std::int64_t created_at_ms = 0;
};
std::vector<FollowupRecord> followups_of(SQLite::Database& db, std::string_view draft_ref);

}  // namespace anju::store
