// Persistence of owner groups (业主群): which group members are known residents with a private
// channel (so the bot continues with them privately), the group a resident last spoke in (so the
// ticket their conversation leads to is announced there), and which groups follow each ticket (for
// shared progress and closure notices). Functions take the connection and run inside
// Store::write()/run() jobs.
#pragma once

#include <SQLiteCpp/Database.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace anju::store {

// One owner group on one platform, and who in it (for the @).
struct GroupRef {
    std::string channel;  // "bridge" or "wecom_bot"
    std::string account;  // the channel's config id
    std::string chat;     // the group's id on the platform
    std::string member;   // the member's id in the group ("" for a group-wide notice)
    friend bool operator==(const GroupRef&, const GroupRef&) = default;
};

// "bridge/<account>/<member>": a group member, the same in every group of that account.
std::string member_key(const GroupRef& ref);

// Links a group member to a resident's private conversation ("wechat_mp/demo/o…"). Replaces a link.
void link_member(SQLite::Database& db, std::string_view member, std::string_view resident,
                 std::int64_t now_ms);
bool unlink_member(SQLite::Database& db, std::string_view member);
std::optional<std::string> linked_resident(SQLite::Database& db, std::string_view member);

// Remembers that `resident` just spoke in `ref` (the last group wins).
void set_group_origin(SQLite::Database& db, std::string_view resident, const GroupRef& ref,
                      std::int64_t now_ms);
// The group `resident` spoke in at or after `since_ms`, removed as it is read (one ticket per report).
std::optional<GroupRef> take_group_origin(SQLite::Database& db, std::string_view resident,
                                          std::int64_t since_ms);

// The group follows ticket `ticket_id`; returns whether it did not already.
bool follow_ticket(SQLite::Database& db, std::int64_t ticket_id, const GroupRef& ref, std::int64_t now_ms);
// The groups following the ticket, in the order they started.
std::vector<GroupRef> ticket_followers(SQLite::Database& db, std::int64_t ticket_id);
// Active tickets followed by the group `ref` (member ignored) about `category` at `building` of
// `community`: how many households of one group report the same thing.
std::vector<std::int64_t> group_topic_tickets(SQLite::Database& db, const GroupRef& ref,
                                              std::string_view community, std::string_view building,
                                              std::string_view category);

}  // namespace anju::store
