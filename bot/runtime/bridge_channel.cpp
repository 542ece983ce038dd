#include "bot/runtime/bridge_channel.hpp"

#include "bot/core/log.hpp"
#include "bot/core/text.hpp"
#include "bot/runtime/owner_groups.hpp"
#include "store/group_store.hpp"
#include "store/ticket_store.hpp"

#include <nlohmann/json.hpp>

namespace anju::runtime {
namespace {

namespace br = adapters::bridge;
using json = nlohmann::json;

const log::Logger bridge_log{"bridge"};

std::int64_t unix_ms(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

std::string strip_mentions(std::string_view text) {
    static constexpr std::string_view kIdeographicSpace = "\u3000";
    std::string_view rest = text;
    const auto skip_spaces = [&rest] {
        for (;;) {
            if (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t' || rest.front() == '\n')) {
                rest.remove_prefix(1);
            } else if (rest.starts_with(kIdeographicSpace)) {
                rest.remove_prefix(kIdeographicSpace.size());
            } else {
                return;
            }
        }
    };
    skip_spaces();
    while (rest.starts_with("@") || rest.starts_with("\xEF\xBC\xA0")) {  // @ or the full-width ＠
        auto end = rest.find_first_of(" \t\n");
        const auto wide = rest.find(kIdeographicSpace);
        if (wide != std::string_view::npos && (end == std::string_view::npos || wide < end)) {
            end = wide;
        }
        if (end == std::string_view::npos) {
            return {};  // only a mention
        }
        rest.remove_prefix(end);
        skip_spaces();
    }
    return std::string(rest);
}

asio::awaitable<GroupAdmission> admit_from_group(store::Store& store, Inbox& inbox, InboundMessage message) {
    const store::GroupRef ref{message.channel, message.account, message.chat, message.sender};
    const auto member = store::member_key(ref);
    auto lookup = [member](SQLite::Database& db) { return store::linked_resident(db, member); };
    const auto linked = co_await store.run(std::move(lookup));
    GroupAdmission out;
    if (linked) {
        // "wechat_mp/demo/oABC": the message joins that conversation.
        const auto a = linked->find('/');
        const auto b = a == std::string::npos ? std::string::npos : linked->find('/', a + 1);
        if (b != std::string::npos) {
            auto remember = [resident = *linked, ref, at = unix_ms(message.received_at)](
                                SQLite::Database& db) { store::set_group_origin(db, resident, ref, at); };
            co_await store.write(std::move(remember));
            message.channel = linked->substr(0, a);
            message.account = linked->substr(a + 1, b - a - 1);
            message.sender = linked->substr(b + 1);
            out.went_private = true;
        }
    }
    if (!out.went_private) {
        message.sender = message.chat + ":" + message.sender;
    }
    out.admission = co_await inbox.admit(std::move(message));
    co_return out;
}

BridgeChannel::BridgeChannel(const config::BridgeConfig& config, store::Store& store, Inbox& inbox,
                             Clock& clock, metrics::Registry& metrics, std::function<void()> queued)
    : config_(config),
      verifier_(config.secret, std::chrono::duration_cast<std::chrono::seconds>(config.replay_window)),
      store_(store),
      inbox_(inbox),
      clock_(clock),
      queued_(std::move(queued)),
      requests_(metrics.counter("bridge_requests_total", "Bridge webhook requests, by outcome.",
                                {"account", "outcome"})) {}

net::Response BridgeChannel::answer(http::status status, std::string body) {
    return net::make_response(status, std::move(body), "application/json; charset=utf-8");
}

asio::awaitable<net::Response> BridgeChannel::handle(net::ServerRequest request) {
    const auto arrived = std::chrono::steady_clock::now();
    const auto now = clock_.now();
    const auto& body = request.message.body();
    const auto ts = request.message[std::string(br::kTimestampHeader)];
    const auto sig = request.message[std::string(br::kSignatureHeader)];
    const std::string_view ts_view(ts.data(), ts.size());
    const std::string_view sig_view(sig.data(), sig.size());
    if (auto ok = verifier_.check(ts_view, sig_view, body, now); !ok) {
        const auto reason = ok.error().reason;
        requests_.with({config_.id, std::string(br::to_string(reason))}).inc();
        ANJU_LOG_WARN(bridge_log) << "request refused" << kv("account", config_.id)
                                  << kv("reason", br::to_string(reason));
        co_return answer(
            reason == br::Refusal::replayed ? http::status::conflict : http::status::unauthorized,
            br::render_refused(ok.error()));
    }
    auto parsed = br::parse(body);
    if (!parsed) {
        requests_.with({config_.id, std::string(br::to_string(parsed.error().reason))}).inc();
        ANJU_LOG_WARN(bridge_log) << "bad request" << kv("account", config_.id)
                                  << kv("problem", parsed.error().message);
        co_return answer(http::status::bad_request, br::render_refused(parsed.error()));
    }
    auto& m = *parsed;
    if (m.type != "message" || !m.mentioned) {
        requests_.with({config_.id, "ignored"}).inc();
        co_return answer(http::status::ok, br::render_ok());
    }
    auto text = strip_mentions(m.text);
    if (text.empty()) {
        requests_.with({config_.id, "empty"}).inc();
        co_return answer(
            http::status::ok,
            br::render_reply("您好，我是物业服务助手。请@我并说明遇到的问题，例如「3号楼电梯坏了」。",
                             {m.sender}));
    }
    InboundMessage message;
    message.channel = std::string(kBridgeChannel);
    message.account = config_.id;
    message.sender = m.sender;
    message.chat = m.group;
    message.kind = MessageKind::text;
    message.text = std::move(text);
    message.platform_msg_id = m.msgid;
    message.dedupe_key = "bridge/" + config_.id + "/" + m.msgid;
    message.platform_time = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    message.received_at = now;
    GroupAdmission admitted;
    try {
        admitted = co_await admit_from_group(store_, inbox_, std::move(message));
    } catch (const std::exception& e) {
        requests_.with({config_.id, "unavailable"}).inc();
        ANJU_LOG_ERROR(bridge_log) << "message not journaled" << kv("account", config_.id)
                                   << kv("error", e.what());
        co_return answer(http::status::service_unavailable,
                         br::render_refused({br::Refusal::unavailable, "temporarily unavailable, retry"}));
    }
    auto& turn = admitted.admission.turn;
    if (admitted.went_private) {
        turn->decline_passive();
        requests_.with({config_.id, "private"}).inc();
        co_return answer(http::status::ok, br::render_reply(group_private_line(), {m.sender}));
    }
    auto reply = co_await turn->await_passive(arrived + config_.reply_deadline);
    if (!reply && turn->failed()) {
        requests_.with({config_.id, "failed"}).inc();
        co_return answer(http::status::service_unavailable,
                         br::render_refused({br::Refusal::unavailable, "temporarily unavailable, retry"}));
    }
    requests_.with({config_.id, reply ? "answered" : "accepted"}).inc();
    if (!reply) {
        co_return answer(http::status::ok, br::render_ok());
    }
    co_return answer(http::status::ok, br::render_reply(*reply, {m.sender}));
}

asio::awaitable<void> BridgeChannel::deliver(std::shared_ptr<Turn> turn, Reply reply) {
    const auto& message = turn->message();
    auto line = group_answer(reply.texts);
    if (line.empty()) {
        turn->decline_passive();
        co_return;
    }
    if (line.size() > br::kMaxTextBytes) {
        // The same cut in the response as in a post (a restatement can echo a 4000-character text).
        line = split_utf8(line, br::kMaxTextBytes).front();
    }
    if (turn->offer_passive(line)) {
        co_return;
    }
    // Too late for the response: posted into the group through the outbox.
    const auto ref = group_of_conversation(message.conversation_key());
    if (!ref) {
        co_return;
    }
    store::OutboxMessage out;
    out.key = "reply:" + message.dedupe_key;
    out.channel = ref->channel;
    out.account = ref->account;
    out.target = ref->chat;
    out.payload = json{{"text", line}, {"mentions", json::array({ref->member})}}.dump();
    auto job = [out, now = unix_ms(clock_.now())](SQLite::Database& db) { store::enqueue(db, out, now); };
    try {
        co_await store_.write(std::move(job));
    } catch (const std::exception& e) {
        ANJU_LOG_ERROR(bridge_log) << "answer not queued" << kv("account", config_.id)
                                   << kv("error", e.what());
        co_return;
    }
    if (queued_) {
        queued_();
    }
}

}  // namespace anju::runtime
