#include "bot/runtime/webchat_channel.hpp"

#include "bot/core/log.hpp"
#include "bot/core/text.hpp"
#include "bot/runtime/api_json.hpp"
#include "bot/runtime/console_api.hpp"

#include <SQLiteCpp/Statement.h>
#include <nlohmann/json.hpp>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace anju::runtime {
namespace {

using json = nlohmann::json;

const log::Logger webchat_log{"webchat"};

constexpr std::string_view kChannel = "webchat";
constexpr std::string_view kAccount = "web";

bool id_chars(std::string_view id) {
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
               c == '-';
    });
}

std::string string_at(const json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string error_frame(std::string_view message, const std::string& id = {}) {
    json j = {{"type", "error"}, {"message", message}};
    if (!id.empty()) {
        j["id"] = id;
    }
    return dump(j);
}

// Whether `text` has anything but spaces (ASCII and the full-width 　 an IME types).
bool blank(std::string_view text) {
    while (!text.empty()) {
        if (text.front() == ' ' || text.front() == '\t' || text.front() == '\r' || text.front() == '\n') {
            text.remove_prefix(1);
        } else if (text.starts_with("\u3000")) {
            text.remove_prefix(3);
        } else {
            return false;
        }
    }
    return true;
}

std::int64_t unix_ms(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

asio::awaitable<net::Response> chat_page(net::ServerRequest request) {
    request.params = {{"file", "chat.html"}};
    auto res = co_await static_asset(std::move(request));
    co_return res;
}

bool valid_visitor_id(std::string_view id) { return id.size() >= 16 && id.size() <= 64 && id_chars(id); }

bool valid_client_message_id(std::string_view id) { return !id.empty() && id.size() <= 64 && id_chars(id); }

std::string new_visitor_id() {
    // Whoever knows a visitor id reads that visitor's notices: it must not be guessable.
    std::array<unsigned char, 18> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
        throw std::runtime_error("no random bytes for a visitor id");
    }
    constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string id;
    // 18 bytes = 144 bits = 24 characters of 6 bits.
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        const auto v = static_cast<unsigned>(bytes[i] << 16 | bytes[i + 1] << 8 | bytes[i + 2]);
        for (int shift = 18; shift >= 0; shift -= 6) {
            id.push_back(kAlphabet[(v >> shift) & 63U]);
        }
    }
    return id;
}

WebChatChannel::WebChatChannel(store::Store& store, Inbox& inbox, Clock& clock, metrics::Registry& metrics,
                               WebChatChannelOptions options, std::function<void()> queued)
    : store_(store),
      inbox_(inbox),
      clock_(clock),
      options_(std::move(options)),
      queued_(std::move(queued)),
      hub_(metrics),
      messages_(metrics.counter("webchat_messages_total",
                                "Messages from web chat pages, by outcome (accepted, duplicate, refused).",
                                {"outcome"})),
      sessions_(metrics.counter("webchat_sessions_total", "Web chat pages that said hello.").with({})) {}

std::string WebChatChannel::frame(const std::string& id, const std::string& text,
                                  Clock::time_point at) const {
    return dump(json{{"type", "text"}, {"id", id}, {"text", text}, {"at", api::iso(at)}, {"from", "bot"}});
}

asio::awaitable<void> WebChatChannel::session(net::ServerRequest /*request*/, net::WebSocket socket) {
    std::string visitor;
    while (auto incoming = co_await socket.receive()) {
        const auto j = json::parse(*incoming, nullptr, false);
        const auto type = j.is_object() ? string_at(j, "type") : std::string();
        if (type == "hello") {
            auto wanted = string_at(j, "visitor");
            auto chosen = valid_visitor_id(wanted) ? std::move(wanted) : new_visitor_id();
            if (!visitor.empty() && visitor != chosen) {
                hub_.remove(visitor, socket.id());
            }
            visitor = std::move(chosen);
            hub_.add(visitor, socket);
            sessions_.inc();
            auto hello = dump(json{{"type", "hello"}, {"visitor", visitor}, {"name", options_.service_name}});
            co_await socket.send(std::move(hello));
            co_await wake_pending(visitor);
            continue;
        }
        if (type == "text") {
            const auto id = string_at(j, "id");
            const auto text = string_at(j, "text");
            co_await handle_text(socket, visitor, id, text);
            continue;
        }
        messages_.with({"refused"}).inc();
        auto error = j.is_object() ? error_frame("暂不支持这种消息，请发送文字。")
                                   : error_frame("消息格式不正确，请刷新页面后重试。");
        co_await socket.send(std::move(error));
    }
    if (!visitor.empty()) {
        hub_.remove(visitor, socket.id());
    }
}

asio::awaitable<void> WebChatChannel::handle_text(const net::WebSocket& socket, const std::string& visitor,
                                                  const std::string& id, const std::string& text) {
    auto ws = socket;
    std::string refusal;
    if (visitor.empty()) {
        refusal = "连接尚未就绪，请稍候再发。";
    } else if (!valid_client_message_id(id)) {
        refusal = "消息缺少有效编号，请刷新页面后重试。";
    } else if (blank(text)) {
        refusal = "消息不能为空。";
    } else if (utf8_length(text) > options_.max_text) {
        refusal = "消息太长了（最多 " + std::to_string(options_.max_text) + " 字），请分几条发送。";
    }
    if (!refusal.empty()) {
        messages_.with({"refused"}).inc();
        auto error = error_frame(refusal, valid_client_message_id(id) ? id : std::string());
        co_await ws.send(std::move(error));
        co_return;
    }
    InboundMessage message;
    message.channel = std::string(kChannel);
    message.account = std::string(kAccount);
    message.sender = visitor;
    message.kind = MessageKind::text;
    message.text = text;
    message.platform_msg_id = id;
    message.dedupe_key = std::string(kChannel) + "/" + std::string(kAccount) + "/" + visitor + "/" + id;
    message.received_at = clock_.now();
    message.platform_time =
        std::chrono::duration_cast<std::chrono::seconds>(message.received_at.time_since_epoch()).count();
    ANJU_LOG_DEBUG(webchat_log) << "message" << kv("id", id) << kv("text", text);
    bool journaled = true;
    Inbox::Admission admission;
    try {
        admission = co_await inbox_.admit(std::move(message));
    } catch (const std::exception& e) {
        // Not journaled, so not acknowledged: the page sends it again later.
        ANJU_LOG_WARN(webchat_log) << "message not journaled" << kv("error", e.what());
        journaled = false;
    }
    if (!journaled) {
        messages_.with({"refused"}).inc();
        auto error = error_frame("系统繁忙，消息暂未送达，稍后会自动重发。");
        co_await ws.send(std::move(error));
        co_return;
    }
    messages_.with({admission.duplicate ? "duplicate" : "accepted"}).inc();
    auto ack = dump(json{{"type", "ack"}, {"id", id}});
    co_await ws.send(std::move(ack));
}

asio::awaitable<void> WebChatChannel::deliver(std::shared_ptr<Turn> turn, Reply reply) {
    // No HTTP attempt waits on a web chat turn: everything goes out on the sockets.
    turn->decline_passive();
    const auto& message = turn->message();
    const auto now = clock_.now();
    std::size_t next = 0;
    for (; next < reply.texts.size(); ++next) {
        if (reply.texts[next].empty()) {
            continue;
        }
        const auto id = "r-" + message.platform_msg_id + "-" + std::to_string(next);
        auto text = frame(id, reply.texts[next], now);
        auto visitor = message.sender;
        const auto pages = co_await hub_.send(std::move(visitor), std::move(text));
        if (pages == 0) {
            break;
        }
    }
    if (next >= reply.texts.size()) {
        co_return;
    }
    // Every page of the visitor closed since the message came: the rest waits in the outbox.
    std::vector<store::OutboxMessage> queue;
    for (; next < reply.texts.size(); ++next) {
        if (reply.texts[next].empty()) {
            continue;
        }
        store::OutboxMessage m;
        m.key = "W:" + message.dedupe_key + ":" + std::to_string(next);
        m.channel = std::string(kChannel);
        m.account = message.account;
        m.target = message.sender;
        m.payload = dump(json{{"text", reply.texts[next]},
                              {"id", "r-" + message.platform_msg_id + "-" + std::to_string(next)}});
        queue.push_back(std::move(m));
    }
    auto job = [queue = std::move(queue), at = unix_ms(now)](SQLite::Database& db) {
        for (const auto& m : queue) {
            store::enqueue(db, m, at);
        }
    };
    co_await store_.write(std::move(job));
    queued_();
}

asio::awaitable<SendOutcome> WebChatChannel::send_queued(const store::OutboxMessage& m) {
    const auto payload = json::parse(m.payload, nullptr, false);
    const auto text = payload.is_object() ? string_at(payload, "text") : std::string();
    if (text.empty()) {
        co_return SendOutcome::fail("unreadable payload");
    }
    auto id = string_at(payload, "id");
    if (id.empty()) {
        id = "n" + std::to_string(m.id);  // the row id: the same on every attempt
    }
    const auto at =
        m.created_at_ms > 0 ? Clock::time_point{std::chrono::milliseconds{m.created_at_ms}} : clock_.now();
    auto visitor = m.target;
    auto body = frame(id, text, at);
    const auto pages = co_await hub_.send(std::move(visitor), std::move(body));
    if (pages == 0) {
        // Nothing was sent anywhere, so trying again later is safe; the visitor's return makes it due.
        co_return SendOutcome::again("no web chat page of the visitor is open");
    }
    co_return SendOutcome::ok();
}

asio::awaitable<void> WebChatChannel::wake_pending(std::string visitor) {
    const auto now = unix_ms(clock_.now());
    // store/ has no call for "this recipient's queue is due now" (the wait was for the recipient, not
    // the platform); one UPDATE on the outbox's recipient index does it. With all of them due, the
    // dispatcher sends them in queue order, one after the other.
    auto job = [visitor = std::move(visitor), now](SQLite::Database& db) {
        SQLite::Statement q(db,
                            "UPDATE outbox SET next_at = ?1 WHERE state = 'pending' AND channel = ?2"
                            " AND account = ?3 AND target = ?4 AND next_at > ?1");
        q.bind(1, now);
        q.bind(2, std::string(kChannel));
        q.bind(3, std::string(kAccount));
        q.bind(4, visitor);
        q.exec();
    };
    try {
        co_await store_.write(std::move(job));
    } catch (const std::exception& e) {
        // The notices are still pending and go out at their next retry.
        ANJU_LOG_WARN(webchat_log) << "could not wake pending notices" << kv("error", e.what());
    }
    queued_();
}

}  // namespace anju::runtime
