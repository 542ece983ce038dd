#include "bot/runtime/groups_api.hpp"

#include "bot/core/text.hpp"
#include "bot/net/url.hpp"
#include "bot/runtime/api_json.hpp"
#include "bot/runtime/owner_groups.hpp"
#include "store/group_store.hpp"

#include <nlohmann/json.hpp>

namespace anju::runtime {
namespace {

using json = nlohmann::json;
using api::bad;
using api::reply;

std::int64_t unix_ms(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string string_at(const json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// "wecom" in the API and config is the "wecom_owner" channel inside.
std::string group_channel(std::string_view name) {
    return name == "wecom" ? std::string(kWeComOwnerChannel) : std::string(name);
}

bool plain_id(std::string_view id) {
    if (id.empty() || id.size() > 128) {
        return false;
    }
    for (const char c : id) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || c == '/' || c == ':' || c == '|' || u == 0x7f) {
            return false;
        }
    }
    return true;
}

}  // namespace

GroupsApi::GroupsApi(store::Store& store, TicketService& tickets, Clock& clock, std::function<void()> queued)
    : store_(store), tickets_(tickets), clock_(clock), queued_(std::move(queued)) {}

asio::awaitable<net::Response> GroupsApi::link(net::ServerRequest request) {
    const auto body = json::parse(request.message.body(), nullptr, false);
    if (!body.is_object()) {
        co_return bad("body", "must be a JSON object");
    }
    const auto channel = string_at(body, "channel");
    if (channel != "bridge" && channel != "wecom") {
        co_return bad("channel", "must be \"bridge\" or \"wecom\"");
    }
    const auto account = string_at(body, "account");
    if (!plain_id(account)) {
        co_return bad("account", "must be the channel's config id");
    }
    const auto member = string_at(body, "member");
    if (!plain_id(member)) {
        co_return bad("member", "must be the member's id in the group (no / : |)");
    }
    const auto resident = string_at(body, "resident");
    const auto slash = resident.find('/');
    if (slash == std::string::npos || resident.find('/', slash + 1) == std::string::npos ||
        is_group_channel(resident.substr(0, slash)) || !is_valid_utf8(resident)) {
        co_return bad("resident",
                      "must be a private conversation key, e.g. \"wechat_mp/<account>/<openid>\"");
    }
    const auto key = store::member_key({group_channel(channel), account, "", member});
    auto job = [key, resident, now = unix_ms(clock_.now())](SQLite::Database& db) {
        store::link_member(db, key, resident, now);
    };
    co_await store_.write(std::move(job));
    co_return reply(http::status::ok, {{"member", key}, {"resident", resident}});
}

asio::awaitable<net::Response> GroupsApi::unlink(net::ServerRequest request) {
    std::string channel, account, member;
    for (const auto& [k, v] : net::parse_query(request.query)) {
        if (k == "channel") {
            channel = v;
        } else if (k == "account") {
            account = v;
        } else if (k == "member") {
            member = v;
        } else {
            co_return bad(k, "unknown parameter");
        }
    }
    if (channel != "bridge" && channel != "wecom") {
        co_return bad("channel", "must be \"bridge\" or \"wecom\"");
    }
    if (!plain_id(account)) {
        co_return bad("account", "must be the channel's config id");
    }
    if (!plain_id(member)) {
        co_return bad("member", "must be the member's id in the group");
    }
    const auto key = store::member_key({group_channel(channel), account, "", member});
    auto job = [key](SQLite::Database& db) { return store::unlink_member(db, key); };
    const bool removed = co_await store_.write(std::move(job));
    if (!removed) {
        co_return reply(http::status::not_found, {{"error", "no such link"}, {"member", key}});
    }
    co_return reply(http::status::ok, {{"member", key}, {"removed", true}});
}

asio::awaitable<net::Response> GroupsApi::announce(net::ServerRequest request) {
    const auto body = json::parse(request.message.body(), nullptr, false);
    if (!body.is_object()) {
        co_return bad("body", "must be a JSON object");
    }
    const auto community = string_at(body, "community");
    if (tickets_.directory().community(community) == nullptr) {
        co_return bad("community", "unknown community \"" + community + "\"");
    }
    const auto building = string_at(body, "building");
    const auto code = string_at(body, "ticket");
    auto text = string_at(body, "text");
    if (text.empty() || !is_valid_utf8(text) || utf8_length(text) > 500) {
        co_return bad("text", "must be 1–500 characters of text");
    }
    const auto key =
        "announce:" + std::to_string(unix_ms(clock_.now())) + ":" + community + ":" + building + ":" + code;
    struct Outcome {
        bool known = true;
        std::size_t groups = 0;
    };
    auto job = [this, community, building, code, text = "【整改公告】" + text, key,
                now = clock_.now()](SQLite::Database& db) {
        Outcome out;
        std::int64_t ticket_id = 0;
        if (!code.empty()) {
            auto t = store::ticket_by_code(db, code);
            if (!t) {
                out.known = false;
                return out;
            }
            ticket_id = t->id;
        }
        out.groups = tickets_.announce(db, community, building, ticket_id, text, key, now);
        return out;
    };
    const auto outcome = co_await store_.write(std::move(job));
    if (!outcome.known) {
        co_return bad("ticket", "unknown ticket code \"" + code + "\"");
    }
    if (queued_) {
        queued_();
    }
    co_return reply(http::status::ok, {{"groups", outcome.groups}});
}

}  // namespace anju::runtime
