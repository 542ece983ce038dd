// The ticket service's owner-group side (业主群): which groups follow a ticket, the one-line
// acknowledgement with the ticket code, the shared notice when several households of one group
// report the same thing, public progress and closure notices, and rectification announcements.
// Everything posted is one line through group_line() (bot/runtime/owner_groups.hpp). Runs on the store
// thread inside the write job of the change it follows.
#include "bot/core/log.hpp"
#include "bot/runtime/owner_groups.hpp"
#include "bot/runtime/ticket_helpers.hpp"
#include "bot/runtime/ticket_service.hpp"

#include <nlohmann/json.hpp>

namespace anju::runtime {
namespace {

using json = nlohmann::json;
using detail::unix_ms;
using tickets::Status;
using tickets::Ticket;

const log::Logger groups_log{"owner_groups"};

constexpr auto kOriginWindow = std::chrono::hours(24);  // a private report started from a group

// Shared notices go out when this many households of one group have reported the same thing.
bool notice_count(std::size_t n) { return n == 2 || n == 3 || n == 5 || n == 10 || n == 20 || n == 50; }

std::string chat_key(const store::GroupRef& ref) { return ref.channel + "/" + ref.account + "/" + ref.chat; }

}  // namespace

void TicketService::post_to_owner_group(SQLite::Database& db, const store::GroupRef& ref,
                                        const std::string& key, const std::string& text,
                                        std::int64_t ticket_id, Clock::time_point now) {
    auto line = group_line(text);
    if (line.empty()) {
        return;  // nothing left that neighbours may read
    }
    store::OutboxMessage m;
    m.key = key + "@" + chat_key(ref);
    m.channel = ref.channel;
    m.account = ref.account;
    m.target = ref.chat;
    json mentions = json::array();
    if (!ref.member.empty()) {
        mentions.push_back(ref.member);
    }
    m.payload = json{{"text", std::move(line)}, {"mentions", mentions}}.dump();
    m.ticket_id = ticket_id;
    store::enqueue(db, m, unix_ms(now));
}

bool TicketService::tell_group_member(SQLite::Database& db, const std::string& resident,
                                      std::int64_t ticket_id, const std::string& key, const std::string& text,
                                      Clock::time_point now) {
    const auto ref = group_of_conversation(resident);
    if (!ref) {
        return false;
    }
    post_to_owner_group(db, *ref, key, text, ticket_id, now);
    return true;
}

void TicketService::groups_after_filing(SQLite::Database& db, const Filed& filed, const std::string& resident,
                                        Clock::time_point now) {
    if (filed.replayed || resident.empty()) {
        return;
    }
    const auto& t = filed.ticket;
    auto ref = group_of_conversation(resident);
    const bool in_group = ref.has_value();
    if (!ref) {
        ref = store::take_group_origin(db, resident, unix_ms(now - kOriginWindow));
    }
    if (!ref) {
        return;
    }
    store::follow_ticket(db, t.id, *ref, unix_ms(now));
    const auto label = category_label(t);
    if (!in_group) {
        // A known resident went on privately: the group hears the code, nothing personal.
        post_to_owner_group(db, *ref, "T" + std::to_string(t.id) + ":grp-ack:" + ref->member,
                            group_ack_line(t.code, label, filed.duplicate), t.id, now);
    }
    if (t.room.building.empty() || t.category.empty()) {
        return;
    }
    const auto topic = store::group_topic_tickets(db, *ref, t.community, t.room.building, t.category);
    if (!filed.duplicate && notice_count(topic.size())) {
        auto everyone = *ref;
        everyone.member.clear();
        post_to_owner_group(db, everyone,
                            "grp-topic:" + t.community + ":" + t.room.building + ":" + t.category + ":" +
                                std::to_string(topic.front()) + ":" + std::to_string(topic.size()),
                            "【统一跟进】本群已有" + std::to_string(topic.size()) + "位业主反映" +
                                t.room.building + "号楼的" + label +
                                "问题，我们已统一安排处理，进展会在群内同步，请大家不必重复反映。",
                            t.id, now);
        ANJU_LOG_INFO(groups_log) << "shared notice" << kv("chat", ref->chat)
                                  << kv("households", topic.size());
    }
}

void TicketService::group_notices(SQLite::Database& db, const Ticket& t, const tickets::Event& e,
                                  Clock::time_point now) {
    std::string what;
    // A resident's rating closes the ticket as surely as staff closing it: both are the closure.
    const bool closing =
        e.kind == "close" || e.kind == "group_closed" || (e.kind == "rate" && t.status == Status::closed);
    const auto label = category_label(t);
    const auto subject = t.group ? "群体投诉 " + t.code + "（" + t.room.building + "号楼" + label + "，" +
                                       std::to_string(t.households) + "户反映）"
                                 : "工单 " + t.code + "（" + label + "）";
    if (e.kind == "claim") {
        what = "【进展】" + subject + "已由" + t.assignee_name + "接单处理。";
    } else if (e.kind == "arrive") {
        what = "【进展】" + subject + "：工作人员已到场处理。";
    } else if (e.kind == "plan") {
        what = "【处理方案】" + subject + "：" + e.text;
    } else if (e.kind == "progress") {
        what = "【进展】" + subject + "：" + e.text;
    } else if (e.kind == "resolve") {
        what = "【已处理】" + subject + "已处理完成" + (e.text.empty() ? "" : "：" + e.text) +
               "。如仍有问题请@我。";
    } else if (closing) {
        what = "【已办结】" + subject + "已办结，感谢各位业主的反映与监督！";
    } else {
        return;
    }
    // The groups following this ticket and, for a group complaint, those following its households.
    std::vector<store::GroupRef> chats;
    const auto add = [&chats](store::GroupRef ref) {
        ref.member.clear();
        if (std::find(chats.begin(), chats.end(), ref) == chats.end()) {
            chats.push_back(std::move(ref));
        }
    };
    for (auto& ref : store::ticket_followers(db, t.id)) {
        add(std::move(ref));
    }
    if (t.group) {
        for (const auto& m : store::group_members(db, t.id)) {
            for (auto& ref : store::ticket_followers(db, m.id)) {
                add(std::move(ref));
            }
        }
    }
    if (chats.empty()) {
        return;
    }
    // A member who reported in the group hears about their own ticket personally (with an @) in that
    // group; the public notice would say it twice there, except for the closure everyone may see.
    const auto own = group_of_conversation(t.resident);
    const auto key = "T" + std::to_string(t.id) + ":grp:" + e.kind + ":" + std::to_string(unix_ms(e.at));
    for (const auto& chat : chats) {
        const bool is_own =
            own && own->channel == chat.channel && own->account == chat.account && own->chat == chat.chat;
        if (is_own && !closing) {
            continue;
        }
        post_to_owner_group(db, chat, key, what, t.id, now);
    }
}

std::size_t TicketService::announce(SQLite::Database& db, std::string_view community,
                                    std::string_view building, std::int64_t ticket_id,
                                    const std::string& text, const std::string& key, Clock::time_point now) {
    std::vector<store::GroupRef> chats;
    const auto add = [&chats](store::GroupRef ref) {
        ref.member.clear();
        if (std::find(chats.begin(), chats.end(), ref) == chats.end()) {
            chats.push_back(std::move(ref));
        }
    };
    if (const auto* c = directory_.community(community)) {
        for (const auto& g : c->owner_groups) {
            const bool covers =
                building.empty() || g.buildings.empty() ||
                std::find(g.buildings.begin(), g.buildings.end(), building) != g.buildings.end();
            if (covers) {
                add(store::GroupRef{g.channel == "wecom" ? std::string(kWeComOwnerChannel) : g.channel,
                                    g.account, g.chat, ""});
            }
        }
    }
    if (ticket_id != 0) {
        for (auto& ref : store::ticket_followers(db, ticket_id)) {
            add(std::move(ref));
        }
        if (auto t = store::ticket_by_id(db, ticket_id); t && t->group) {
            for (const auto& m : store::group_members(db, t->id)) {
                for (auto& ref : store::ticket_followers(db, m.id)) {
                    add(std::move(ref));
                }
            }
        }
    }
    for (const auto& chat : chats) {
        post_to_owner_group(db, chat, key, text, ticket_id, now);
    }
    return chats.size();
}

}  // namespace anju::runtime
