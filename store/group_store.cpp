#include "store/group_store.hpp"

#include <SQLiteCpp/Statement.h>

namespace anju::store {

std::string member_key(const GroupRef& ref) { return ref.channel + "/" + ref.account + "/" + ref.member; }

void link_member(SQLite::Database& db, std::string_view member, std::string_view resident,
                 std::int64_t now_ms) {
    SQLite::Statement q(db,
                        "INSERT INTO owner_group_links (member, resident, updated_at) VALUES (?, ?, ?) "
                        "ON CONFLICT (member) DO UPDATE SET resident = excluded.resident, "
                        "updated_at = excluded.updated_at");
    q.bind(1, std::string(member));
    q.bind(2, std::string(resident));
    q.bind(3, now_ms);
    q.exec();
}

bool unlink_member(SQLite::Database& db, std::string_view member) {
    SQLite::Statement q(db, "DELETE FROM owner_group_links WHERE member = ?");
    q.bind(1, std::string(member));
    return q.exec() > 0;
}

std::optional<std::string> linked_resident(SQLite::Database& db, std::string_view member) {
    SQLite::Statement q(db, "SELECT resident FROM owner_group_links WHERE member = ?");
    q.bind(1, std::string(member));
    if (!q.executeStep()) {
        return std::nullopt;
    }
    return q.getColumn(0).getString();
}

void set_group_origin(SQLite::Database& db, std::string_view resident, const GroupRef& ref,
                      std::int64_t now_ms) {
    SQLite::Statement q(db,
                        "INSERT INTO group_origins (resident, channel, account, chat, member, at) "
                        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (resident) DO UPDATE SET "
                        "channel = excluded.channel, account = excluded.account, chat = excluded.chat, "
                        "member = excluded.member, at = excluded.at");
    q.bind(1, std::string(resident));
    q.bind(2, ref.channel);
    q.bind(3, ref.account);
    q.bind(4, ref.chat);
    q.bind(5, ref.member);
    q.bind(6, now_ms);
    q.exec();
}

std::optional<GroupRef> take_group_origin(SQLite::Database& db, std::string_view resident,
                                          std::int64_t since_ms) {
    SQLite::Statement q(db,
                        "SELECT channel, account, chat, member, at FROM group_origins WHERE resident = ?");
    q.bind(1, std::string(resident));
    if (!q.executeStep()) {
        return std::nullopt;
    }
    GroupRef ref{q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString(),
                 q.getColumn(3).getString()};
    const auto at = q.getColumn(4).getInt64();
    q.reset();
    SQLite::Statement del(db, "DELETE FROM group_origins WHERE resident = ?");
    del.bind(1, std::string(resident));
    del.exec();
    if (at < since_ms) {
        return std::nullopt;
    }
    return ref;
}

bool follow_ticket(SQLite::Database& db, std::int64_t ticket_id, const GroupRef& ref, std::int64_t now_ms) {
    SQLite::Statement q(
        db,
        "INSERT OR IGNORE INTO ticket_groups (ticket_id, channel, account, chat, member, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)");
    q.bind(1, ticket_id);
    q.bind(2, ref.channel);
    q.bind(3, ref.account);
    q.bind(4, ref.chat);
    q.bind(5, ref.member);
    q.bind(6, now_ms);
    return q.exec() > 0;
}

std::vector<GroupRef> ticket_followers(SQLite::Database& db, std::int64_t ticket_id) {
    SQLite::Statement q(db,
                        "SELECT channel, account, chat, member FROM ticket_groups WHERE ticket_id = ? "
                        "ORDER BY created_at, chat");
    q.bind(1, ticket_id);
    std::vector<GroupRef> out;
    while (q.executeStep()) {
        out.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString(),
                       q.getColumn(3).getString()});
    }
    return out;
}

std::vector<std::int64_t> group_topic_tickets(SQLite::Database& db, const GroupRef& ref,
                                              std::string_view community, std::string_view building,
                                              std::string_view category) {
    SQLite::Statement q(db,
                        "SELECT t.id FROM ticket_groups g JOIN tickets t ON t.id = g.ticket_id "
                        "WHERE g.channel = ? AND g.account = ? AND g.chat = ? AND t.community = ? "
                        "AND t.building = ? AND t.category = ? AND t.is_group = 0 "
                        "AND t.status NOT IN ('confirmed', 'closed', 'cancelled') ORDER BY t.id");
    q.bind(1, ref.channel);
    q.bind(2, ref.account);
    q.bind(3, ref.chat);
    q.bind(4, std::string(community));
    q.bind(5, std::string(building));
    q.bind(6, std::string(category));
    std::vector<std::int64_t> out;
    while (q.executeStep()) {
        out.push_back(q.getColumn(0).getInt64());
    }
    return out;
}

}  // namespace anju::store
