#include "bot/runtime/workgroup_channel.hpp"

#include "bot/core/log.hpp"
#include "bot/core/text.hpp"
#include "bot/runtime/api_json.hpp"
#include "bot/runtime/console_api.hpp"

#include <SQLiteCpp/Statement.h>
#include <nlohmann/json.hpp>

#include <random>

namespace anju::runtime {
namespace {

using json = nlohmann::json;

const log::Logger wg_log{"workgroup"};

constexpr std::string_view kChannel = "web_staff";
constexpr std::size_t kFeed = 100;      // outbox rows shown to a page that opens
constexpr std::size_t kMaxText = 1000;  // characters in one message from the page

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string string_at(const json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string iso_ms(std::int64_t ms) { return api::iso(Clock::time_point{std::chrono::milliseconds{ms}}); }

std::vector<std::string> split_targets(std::string_view joined) {
    std::vector<std::string> out;
    while (!joined.empty()) {
        const auto bar = joined.find('|');
        auto part = joined.substr(0, bar);
        if (!part.empty()) {
            out.emplace_back(part);
        }
        if (bar == std::string_view::npos) {
            break;
        }
        joined.remove_prefix(bar + 1);
    }
    return out;
}

std::string fresh_id() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return std::to_string(rng());
}

}  // namespace

asio::awaitable<net::Response> workgroup_page(net::ServerRequest request) {
    request.params = {{"file", "workgroup.html"}};
    auto res = co_await static_asset(std::move(request));
    co_return res;
}

const config::CommunityConfig* WorkGroupChannel::web_community(const config::TicketsConfig& tickets) {
    if (!tickets.enabled) {
        return nullptr;
    }
    for (const auto& c : tickets.communities) {
        for (const auto& g : c.groups) {
            if (g.web) {
                return &c;
            }
        }
    }
    return nullptr;
}

WorkGroupChannel::WorkGroupChannel(const config::CommunityConfig& community, store::Store& store,
                                   Inbox& inbox, Clock& clock, metrics::Registry& metrics)
    : community_(community),
      store_(store),
      inbox_(inbox),
      clock_(clock),
      messages_(
          metrics.counter("workgroup_messages_total", "Demo work group page messages, by kind.", {"kind"})) {}

std::string WorkGroupChannel::name_of(const std::string& userid) const {
    for (const auto& s : community_.staff) {
        if (s.userid == userid) {
            return s.name;
        }
    }
    return userid;
}

asio::awaitable<std::string> WorkGroupChannel::hello(std::string as) {
    json staff = json::array();
    for (const auto& s : community_.staff) {
        staff.push_back({{"userid", s.userid}, {"name", s.name}, {"roles", s.roles}});
    }
    // The feed: the latest group posts and the one-to-one notices, oldest first.
    auto read = [community = community_.id](SQLite::Database& db) {
        std::vector<json> rows;
        SQLite::Statement q(
            db,
            "SELECT channel, target, payload, created_at FROM outbox "
            "WHERE channel IN ('web_group', 'web_staff') AND account = ? ORDER BY id DESC LIMIT ?");
        q.bind(1, community);
        q.bind(2, static_cast<std::int64_t>(kFeed));
        while (q.executeStep()) {
            auto payload = json::parse(q.getColumn(2).getString(), nullptr, false);
            if (!payload.is_object()) {
                continue;
            }
            rows.push_back({{"channel", q.getColumn(0).getString()},
                            {"target", q.getColumn(1).getString()},
                            {"payload", std::move(payload)},
                            {"at", q.getColumn(3).getInt64()}});
        }
        return rows;
    };
    auto rows = co_await store_.run(std::move(read));
    json feed = json::array();
    for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
        const auto& r = *it;
        const auto at = iso_ms(r["at"].get<std::int64_t>());
        if (r["channel"] == "web_group") {
            feed.push_back({{"type", "group"},
                            {"from", "安居助手"},
                            {"text", string_at(r["payload"], "markdown")},
                            {"markdown", true},
                            {"at", at}});
        } else {
            for (const auto& to : split_targets(r["target"].get<std::string>())) {
                feed.push_back(
                    {{"type", "direct"}, {"to", to}, {"text", string_at(r["payload"], "text")}, {"at", at}});
            }
        }
    }
    co_return dump(json{{"type", "hello"},
                        {"community", {{"id", community_.id}, {"name", community_.name}}},
                        {"staff", std::move(staff)},
                        {"as", as},
                        {"feed", std::move(feed)}});
}

asio::awaitable<void> WorkGroupChannel::broadcast(std::string frame, std::string userid) {
    std::vector<net::WebSocket> to;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [id, page] : pages_) {
            if (userid.empty() || page.as == userid) {
                to.push_back(page.socket);
            }
        }
    }
    for (auto& socket : to) {
        auto copy = frame;
        co_await socket.send(std::move(copy));
    }
}

asio::awaitable<void> WorkGroupChannel::session(net::ServerRequest /*request*/, net::WebSocket socket) {
    {
        std::lock_guard lock(mutex_);
        pages_.emplace(socket.id(), Page{socket, ""});
    }
    const auto known = [this](const std::string& userid) {
        return std::any_of(community_.staff.begin(), community_.staff.end(),
                           [&](const auto& s) { return s.userid == userid; });
    };
    std::string as;
    while (auto incoming = co_await socket.receive()) {
        const auto j = json::parse(*incoming, nullptr, false);
        const auto type = j.is_object() ? string_at(j, "type") : std::string();
        if (type == "hello" || type == "as") {
            auto wanted = string_at(j, type == "hello" ? "as" : "userid");
            as = known(wanted) ? wanted : std::string();
            {
                std::lock_guard lock(mutex_);
                if (auto it = pages_.find(socket.id()); it != pages_.end()) {
                    it->second.as = as;
                }
            }
            if (type == "hello") {
                auto frame = co_await hello(as);
                co_await socket.send(std::move(frame));
            }
            continue;
        }
        if (type != "text") {
            auto error = dump(json{{"type", "error"}, {"message", "消息格式不正确，请刷新页面后重试。"}});
            co_await socket.send(std::move(error));
            continue;
        }
        auto text = string_at(j, "text");
        std::string refusal;
        if (as.empty()) {
            refusal = "请先在上方选择您是哪位员工。";
        } else if (text.empty() || !is_valid_utf8(text)) {
            refusal = "消息不能为空。";
        } else if (utf8_length(text) > kMaxText) {
            refusal = "消息太长了，请分几条发送。";
        }
        if (!refusal.empty()) {
            messages_.with({"refused"}).inc();
            auto error = dump(json{{"type", "error"}, {"message", refusal}});
            co_await socket.send(std::move(error));
            continue;
        }
        messages_.with({"command"}).inc();
        // Said in the group: everyone sees it, as in WeCom.
        auto said = dump(json{{"type", "group"},
                              {"from", name_of(as)},
                              {"userid", as},
                              {"text", text},
                              {"markdown", false},
                              {"at", api::iso(clock_.now())}});
        co_await broadcast(std::move(said));
        auto id = string_at(j, "id");
        InboundMessage message;
        message.channel = std::string(kChannel);
        message.account = community_.id;
        message.sender = as;
        message.kind = MessageKind::text;
        message.text = std::move(text);
        message.chat = "web";
        message.dedupe_key = "web_staff/" + community_.id + "/" + as + "/" + (id.empty() ? fresh_id() : id);
        message.received_at = clock_.now();
        bool journaled = true;
        try {
            auto admission = co_await inbox_.admit(std::move(message));
            admission.turn->decline_passive();
        } catch (const std::exception& e) {
            ANJU_LOG_WARN(wg_log) << "message not journaled" << kv("error", e.what());
            journaled = false;
        }
        if (!journaled) {
            auto error = dump(json{{"type", "error"}, {"message", "暂时无法处理，请稍后再试。"}});
            co_await socket.send(std::move(error));
        }
    }
    std::lock_guard lock(mutex_);
    pages_.erase(socket.id());
}

asio::awaitable<void> WorkGroupChannel::deliver(std::shared_ptr<Turn> turn, Reply reply) {
    turn->decline_passive();
    std::string all;
    for (const auto& t : reply.texts) {
        all += (all.empty() ? "" : "\n") + t;
    }
    if (all.empty()) {
        co_return;
    }
    const auto& sender = turn->message().sender;
    auto frame = dump(json{{"type", "group"},
                           {"from", "安居助手"},
                           {"text", "@" + name_of(sender) + " " + all},
                           {"markdown", false},
                           {"at", api::iso(clock_.now())}});
    co_await broadcast(std::move(frame));
}

asio::awaitable<SendOutcome> WorkGroupChannel::send_queued(const store::OutboxMessage& m) {
    const auto payload = json::parse(m.payload, nullptr, false);
    if (!payload.is_object()) {
        co_return SendOutcome::fail("unreadable payload");
    }
    const auto at = api::iso(clock_.now());
    if (m.channel == "web_group") {
        auto frame = dump(json{{"type", "group"},
                               {"from", "安居助手"},
                               {"text", string_at(payload, "markdown")},
                               {"markdown", true},
                               {"at", at}});
        co_await broadcast(std::move(frame));
        co_return SendOutcome::ok();
    }
    for (const auto& to : split_targets(m.target)) {
        auto frame =
            dump(json{{"type", "direct"}, {"to", to}, {"text", string_at(payload, "text")}, {"at", at}});
        co_await broadcast(std::move(frame), to);
    }
    co_return SendOutcome::ok();
}

}  // namespace anju::runtime
