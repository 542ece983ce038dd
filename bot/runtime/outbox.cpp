#include "bot/runtime/outbox.hpp"

#include "adapters/wechat_mp/api.hpp"
#include "adapters/wecom/api.hpp"
#include "bot/core/log.hpp"
#include "bot/core/text.hpp"
#include "bot/net/errors.hpp"
#include "bot/runtime/wechat_mp_channel.hpp"
#include "bot/tickets/ticket.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <exception>
#include <utility>

namespace anju::runtime {
namespace {

using namespace asio::experimental::awaitable_operators;
using json = nlohmann::json;

const log::Logger outbox_log{"outbox"};

std::int64_t ms(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

Clock::time_point at_ms(std::int64_t v) { return Clock::time_point{std::chrono::milliseconds{v}}; }

// The string at `key` of a JSON object, "" when absent or not a string (payloads never throw).
std::string string_at(const json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::vector<std::string> split_targets(std::string_view joined) {
    std::vector<std::string> out;
    while (!joined.empty()) {
        const auto bar = joined.find('|');
        if (bar != 0) {
            out.emplace_back(joined.substr(0, bar));
        }
        if (bar == std::string_view::npos) {
            break;
        }
        joined.remove_prefix(bar + 1);
    }
    return out;
}

// Who a message was for, as staff read it on the ticket. Residents are not named (their openid is in
// the outbox, shown to admins only).
std::string recipient_words(const store::OutboxMessage& m) {
    if (m.channel == "wechat_mp") {
        return "业主";
    }
    if (m.channel == "webchat") {
        return "业主（网页聊天）";
    }
    if (m.channel == "wecom_app") {
        std::string names;
        for (const auto& user : split_targets(m.target)) {
            names += (names.empty() ? "" : "、") + user;
        }
        return "员工 " + names;
    }
    if (m.channel == "wecom_chat" || m.channel == "wecom_robot") {
        return "工作群（" + m.target + "）";
    }
    if (m.channel == "wecom_aibot") {
        return "智能机器人会话";
    }
    if (m.channel == "bridge" || m.channel == "wecom_owner") {
        return "业主群（" + m.target + "）";
    }
    return m.channel;
}

// The start of what the message said, for the ticket event.
std::string excerpt(const std::string& payload) {
    const auto j = json::parse(payload, nullptr, false);
    std::string text = j.is_object() ? string_at(j, "text") : std::string();
    if (text.empty() && j.is_object()) {
        text = string_at(j, "markdown");
    }
    constexpr std::size_t kExcerptBytes = 90;  // about 30 Chinese characters
    if (text.size() <= kExcerptBytes) {
        return text;
    }
    return split_utf8(text, kExcerptBytes).front() + "…";
}

// "wechat_mp", "wecom_app+wecom_chat", or "all".
std::string dispatcher_name(const std::vector<std::string>& channels) {
    std::string name;
    for (const auto& channel : channels) {
        name += (name.empty() ? "" : "+") + channel;
    }
    return name.empty() ? "all" : name;
}

tickets::Event delivery_failed_event(const store::OutboxMessage& m, const std::string& error, bool unsure,
                                     Clock::time_point now) {
    tickets::Event e;
    e.at = now;
    e.actor = "system";
    e.actor_name = "系统";
    e.kind = "delivery_failed";
    const auto attempts = m.attempts + 1;
    e.text = "消息未送达：" + recipient_words(m) + "没有收到「" + excerpt(m.payload) + "」。";
    if (unsure) {
        e.text += "请求已发出但没有得到平台答复，可能已经送达；为免重复，不再重发。请核实后另行联系。（" +
                  error + "）";
    } else {
        e.text += "原因：" + error + "（共尝试 " + std::to_string(attempts) + " 次，已放弃）。";
    }
    e.data = json{{"key", m.key},
                  {"channel", m.channel},
                  {"error", error},
                  {"attempts", attempts},
                  {"outcome", unsure ? "unknown" : "given_up"}}
                 .dump(-1, ' ', false, json::error_handler_t::replace);
    return e;
}

}  // namespace

// ---- outcome_for ----

SendOutcome outcome_for(const boost::system::error_code& ec, std::chrono::milliseconds idempotent_for) {
    namespace wc = adapters::wecom;
    namespace mp = adapters::wechat_mp;
    if (!ec) {
        return SendOutcome::ok();
    }
    // No answer after the request may have reached the platform (PROTOCOLS §3.2; WxJava #2098 re-sent
    // user messages on read timeouts): when unsure, assume it arrived. Failures before the request
    // was written (DNS, refused, unreachable, TLS) are `not_sent` and retried like any other.
    const bool unsure = ec == mp::errc::transport || ec == wc::errc::transport || ec == net::errc::timeout ||
                        ec == net::errc::protocol_error || ec == net::errc::response_too_large;
    if (unsure) {
        return SendOutcome::unsure(ec.message(), idempotent_for);
    }
    const bool final = ec == wc::errc::invalid_recipient || ec == wc::errc::invalid_chat ||
                       ec == wc::errc::content_empty || ec == wc::errc::content_too_long ||
                       ec == wc::errc::no_permission || ec == wc::errc::response_url_invalid ||
                       ec == mp::errc::invalid_recipient || ec == mp::errc::not_subscribed ||
                       ec == mp::errc::user_refused || ec == mp::errc::content_too_long ||
                       ec == mp::errc::template_invalid;
    return final ? SendOutcome::fail(ec.message()) : SendOutcome::again(ec.message());
}

OutboxOptions outbox_options(const config::OutboxConfig& config, std::vector<std::string> channels) {
    OutboxOptions o;
    o.poll = config.poll;
    o.first_retry = config.first_retry;
    o.max_retry = config.max_retry;
    o.max_attempts = config.max_attempts;
    o.concurrency = static_cast<std::size_t>(std::max(config.concurrency, 1));
    o.batch = std::max<std::size_t>(o.batch, 5 * o.concurrency);
    o.channels = std::move(channels);
    o.rates.robot_per_minute = config.rates.robot_per_minute;
    o.rates.app_per_member_per_minute = config.rates.app_per_member_per_minute;
    o.rates.appchat_per_minute = config.rates.appchat_per_minute;
    o.rates.wechat_mp_per_second = config.rates.wechat_mp_per_second;
    o.rates.owner_group_per_minute = config.rates.owner_group_per_minute;
    return o;
}

// ---- RateLimiter ----

std::optional<Clock::time_point> RateLimiter::acquire(const std::vector<std::string>& keys, int limit,
                                                      Clock::duration window, Clock::time_point now) {
    if (limit <= 0 || keys.empty()) {
        return std::nullopt;
    }
    if (++since_sweep_ >= 4096) {
        sweep(now, window);
    }
    const auto cap = static_cast<std::size_t>(limit);
    std::optional<Clock::time_point> free_at;
    for (const auto& key : keys) {
        auto& sent = sent_[key];
        while (!sent.empty() && sent.front() + window <= now) {
            sent.pop_front();
        }
        if (sent.size() >= cap) {
            // Room again once the send `limit` places back has left the window.
            const auto at = sent[sent.size() - cap] + window;
            free_at = free_at ? std::max(*free_at, at) : at;
        }
    }
    if (free_at) {
        return free_at;
    }
    for (const auto& key : keys) {
        sent_[key].push_back(now);
    }
    return std::nullopt;
}

void RateLimiter::sweep(Clock::time_point now, Clock::duration window) {
    since_sweep_ = 0;
    // Keys whose last send left the window long ago (the longest window is a minute).
    const auto stale = now - std::max<Clock::duration>(window, std::chrono::minutes(1));
    std::erase_if(
        sent_, [stale](const auto& entry) { return entry.second.empty() || entry.second.back() <= stale; });
}

// ---- OutboxSender ----

struct OutboxSender::Pass {
    std::vector<store::OutboxMessage> due;
    std::size_t next = 0;       // the next message a worker takes
    std::size_t attempted = 0;  // sends tried (not deferred)
};

OutboxSender::OutboxSender(asio::any_io_executor ex, store::Store& store, Clock& clock,
                           OutboxTransport transport, metrics::Registry& metrics, OutboxOptions options)
    : strand_(asio::make_strand(ex)),
      store_(store),
      clock_(clock),
      transport_(std::move(transport)),
      options_(std::move(options)),
      name_(dispatcher_name(options_.channels)),
      kicks_(std::move(ex), 1),
      outcomes_(
          metrics.counter("outbox_messages_total",
                          "Outbox send attempts by channel and outcome (sent, retry, failed, unknown: may "
                          "have been delivered and not resent, deferred: held back by a rate limit).",
                          {"channel", "outcome"})),
      pending_(metrics
                   .gauge("outbox_pending",
                          "Messages waiting in the outbox (at the last look), by dispatcher.", {"dispatcher"})
                   .with({name_})) {
    options_.concurrency = std::max<std::size_t>(options_.concurrency, 1);
    options_.batch = std::max(options_.batch, options_.concurrency);
}

void OutboxSender::kick() {
    kicked_.store(true);
    kicks_.try_send(boost::system::error_code{});
}

std::chrono::milliseconds OutboxSender::backoff(int attempts) const {
    auto delay = options_.first_retry;
    for (int i = 0; i < attempts && delay < options_.max_retry; ++i) {
        delay *= 2;
    }
    return std::min(delay, options_.max_retry);
}

asio::awaitable<void> OutboxSender::run() {
    for (;;) {
        kicked_.store(false);  // what is queued from here on is seen by this pass or the next
        std::shared_ptr<Pass> pass;
        try {
            pass = co_await send_due();
        } catch (const boost::system::system_error& e) {
            if (e.code() == asio::error::operation_aborted) {
                throw;  // shutting down
            }
            ANJU_LOG_ERROR(outbox_log)
                << "outbox pass failed" << kv("dispatcher", name_) << kv("error", e.what());
        } catch (const std::exception& e) {
            ANJU_LOG_ERROR(outbox_log)
                << "outbox pass failed" << kv("dispatcher", name_) << kv("error", e.what());
        }
        // A full pass may have left more due; a send may have unblocked its recipient's next message.
        if (pass && (pass->due.size() >= options_.batch || pass->attempted > 0)) {
            continue;
        }
        const auto now = ms(clock_.now());
        auto read = [now, channels = options_.channels](SQLite::Database& db) {
            return std::make_pair(store::next_due_after(db, now, channels),
                                  store::outbox_pending(db, channels));
        };
        std::optional<std::int64_t> next;
        try {
            auto [earliest, count] = co_await store_.run(std::move(read));
            next = earliest;
            pending_.set(static_cast<std::int64_t>(count));
        } catch (const boost::system::system_error& e) {
            if (e.code() == asio::error::operation_aborted) {
                throw;
            }
            ANJU_LOG_ERROR(outbox_log)
                << "outbox lookup failed" << kv("dispatcher", name_) << kv("error", e.what());
        }
        auto wake = clock_.now() + options_.poll;
        if (next) {
            wake = std::min(wake, at_ms(*next));
        }
        if (wake <= clock_.now() || kicked_.load()) {
            continue;
        }
        co_await (clock_.sleep_until(wake) || kicks_.async_receive(asio::as_tuple(asio::use_awaitable)));
    }
}

asio::awaitable<std::shared_ptr<OutboxSender::Pass>> OutboxSender::send_due() {
    const auto now = ms(clock_.now());
    // Under a backlog the idle path (which counts) is not reached; count now and then instead.
    const bool count = passes_++ % 20 == 0;
    auto read = [now, limit = options_.batch, channels = options_.channels, count](SQLite::Database& db) {
        auto due = store::due_heads(db, now, limit, channels);
        std::optional<std::size_t> pending;
        if (count) {
            pending = store::outbox_pending(db, channels);
        }
        return std::make_pair(std::move(due), pending);
    };
    auto [due, pending] = co_await store_.run(std::move(read));
    if (pending) {
        pending_.set(static_cast<std::int64_t>(*pending));
    }
    auto pass = std::make_shared<Pass>();
    pass->due = std::move(due);
    const auto workers = std::min(options_.concurrency, pass->due.size());
    if (workers == 0) {
        co_return pass;
    }
    // Every message of a pass has its own recipient (due_heads), so workers never reorder one
    // recipient's messages; the next pass starts after all of them finished. The group waits for
    // every worker, also when cancelled, so nothing outlives run().
    using Op = decltype(asio::co_spawn(strand_, std::declval<asio::awaitable<void>>(), asio::deferred));
    std::vector<Op> ops;
    ops.reserve(workers);
    for (std::size_t i = 0; i < workers; ++i) {
        ops.push_back(asio::co_spawn(strand_, work(pass), asio::deferred));
    }
    auto group = asio::experimental::make_parallel_group(std::move(ops));
    auto [order, errors] = co_await group.async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
    for (const auto& error : errors) {
        if (error) {
            std::rethrow_exception(error);
        }
    }
    co_return pass;
}

asio::awaitable<void> OutboxSender::work(std::shared_ptr<Pass> pass) {
    // On strand_: taking the next message is never concurrent.
    while (pass->next < pass->due.size()) {
        auto message = pass->due[pass->next++];
        auto shared = pass;  // moved into the call: no copy is made inside the co_await (README pitfalls)
        co_await send_one(std::move(message), std::move(shared));
    }
}

std::optional<Clock::time_point> OutboxSender::rate_limit(const store::OutboxMessage& m,
                                                          Clock::time_point now) {
    using std::chrono::minutes;
    using std::chrono::seconds;
    const auto& rates = options_.rates;
    if (m.channel == "wecom_robot") {
        return limiter_.acquire({"robot/" + m.account + "/" + m.target}, rates.robot_per_minute, minutes(1),
                                now);
    }
    if (m.channel == "wecom_chat") {
        return limiter_.acquire({"chat/" + m.account + "/" + m.target}, rates.appchat_per_minute, minutes(1),
                                now);
    }
    if (m.channel == "wecom_app") {
        // The platform counts per member, and drops what is over without an error (PROTOCOLS §4.5).
        std::vector<std::string> keys;
        for (const auto& user : split_targets(m.target)) {
            keys.push_back("app/" + m.account + "/" + user);
        }
        return limiter_.acquire(keys, rates.app_per_member_per_minute, minutes(1), now);
    }
    if (m.channel == "wechat_mp") {
        return limiter_.acquire({"mp/" + m.account}, rates.wechat_mp_per_second, seconds(1), now);
    }
    if (m.channel == "bridge" || m.channel == "wecom_owner") {
        return limiter_.acquire({m.channel + "/" + m.account + "/" + m.target}, rates.owner_group_per_minute,
                                minutes(1), now);
    }
    return std::nullopt;
}

asio::awaitable<void> OutboxSender::send_one(store::OutboxMessage m, std::shared_ptr<Pass> pass) {
    if (const auto free_at = rate_limit(m, clock_.now())) {
        // Not an attempt and not an error: the message waits for the limit, and the sender wakes then.
        auto job = [id = m.id, at = ms(*free_at)](SQLite::Database& db) { store::defer(db, id, at); };
        co_await store_.write(std::move(job));
        outcomes_.with({m.channel, "deferred"}).inc();
        co_return;
    }
    ++pass->attempted;
    SendOutcome outcome;
    try {
        outcome = co_await transport_(m);
    } catch (const boost::system::system_error& e) {
        if (e.code() == asio::error::operation_aborted) {
            throw;  // shutting down; the message stays pending
        }
        outcome = SendOutcome::again(e.what());
    } catch (const std::exception& e) {
        outcome = SendOutcome::again(e.what());
    }
    const auto now = clock_.now();
    if (outcome.kind == SendOutcome::Kind::sent) {
        resend_before_.erase(m.id);
        auto job = [id = m.id, at = ms(now)](SQLite::Database& db) { store::mark_sent(db, id, at); };
        co_await store_.write(std::move(job));
        outcomes_.with({m.channel, "sent"}).inc();
        co_return;
    }
    // Decided before the co_await: g++ 12 destroys temporaries written inside a co_await expression
    // twice (README, "Known compiler pitfalls").
    const auto failure = decide(m, outcome, now);
    co_await record_failure(m, failure);
}

OutboxSender::Failure OutboxSender::decide(const store::OutboxMessage& m, const SendOutcome& outcome,
                                           Clock::time_point now) {
    Failure f;
    f.error = outcome.error;
    f.next_at_ms = ms(now);
    if (outcome.kind == SendOutcome::Kind::give_up) {
        resend_before_.erase(m.id);
        f.give_up = true;
        return f;
    }
    // retry or unknown. Once an attempt may have been delivered, every later resend must fall inside
    // the platform's idempotency window; the window is counted from the message's creation, which is
    // no later than any attempt, so this errs on the safe side.
    std::optional<Clock::time_point> deadline;
    if (const auto known = resend_before_.find(m.id); known != resend_before_.end()) {
        deadline = known->second;
    }
    const auto unsure = [&](std::string why) {
        resend_before_.erase(m.id);
        f.error = std::move(why);
        f.give_up = true;
        f.outcome = "unknown";
        return f;
    };
    if (outcome.kind == SendOutcome::Kind::unknown) {
        if (outcome.idempotent_for <= std::chrono::milliseconds::zero()) {
            return unsure("may have been delivered; not resent (" + outcome.error + ")");
        }
        // A margin for clock skew and the resend's own transit.
        const auto end = at_ms(m.created_at_ms) + outcome.idempotent_for - outcome.idempotent_for / 10;
        deadline = deadline ? std::min(*deadline, end) : end;
    }
    auto delay = backoff(m.attempts);
    if (deadline && now + delay > *deadline) {
        delay = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - now);
    }
    if (deadline && delay <= std::chrono::milliseconds::zero()) {
        return unsure("may have been delivered; not resent after the platform's duplicate window (" +
                      outcome.error + ")");
    }
    if (m.attempts + 1 >= options_.max_attempts) {
        if (deadline) {
            return unsure("may have been delivered; not resent (" + outcome.error + ")");
        }
        resend_before_.erase(m.id);
        f.give_up = true;
        return f;
    }
    if (deadline) {
        resend_before_[m.id] = *deadline;
    }
    f.next_at_ms = ms(now + delay);
    f.outcome = "retry";
    return f;
}

asio::awaitable<void> OutboxSender::record_failure(const store::OutboxMessage& m, const Failure& f) {
    std::optional<tickets::Event> event;
    if (f.give_up && m.ticket_id != 0) {
        event = delivery_failed_event(m, f.error, f.outcome == "unknown", clock_.now());
    }
    // Marking it failed and telling its ticket are one transaction: neither happens without the other.
    auto job = [id = m.id, ticket = m.ticket_id, error = f.error, next = f.next_at_ms, give_up = f.give_up,
                event](SQLite::Database& db) {
        store::mark_failed(db, id, error, next, give_up);
        if (event && store::ticket_by_id(db, ticket)) {
            store::append_event(db, ticket, *event);
        }
    };
    co_await store_.write(std::move(job));
    outcomes_.with({m.channel, std::string(f.outcome)}).inc();
    if (f.give_up) {
        ANJU_LOG_ERROR(outbox_log) << "message given up" << kv("key", m.key) << kv("channel", m.channel)
                                   << kv("outcome", f.outcome) << kv("attempts", m.attempts + 1)
                                   << kv("error", f.error);
    } else {
        ANJU_LOG_WARN(outbox_log) << "send failed; will retry" << kv("key", m.key) << kv("channel", m.channel)
                                  << kv("attempt", m.attempts + 1)
                                  << kv("retry_in_ms", f.next_at_ms - ms(clock_.now()))
                                  << kv("error", f.error);
    }
}

// ---- wechat_mp ----

asio::awaitable<SendOutcome> send_wechat_mp(WeChatMpChannel& channel, const store::OutboxMessage& m) {
    const auto payload = json::parse(m.payload, nullptr, false);
    if (!payload.is_object()) {
        co_return SendOutcome::fail("unreadable payload");
    }
    Notification n;
    n.openid = m.target;
    n.text = string_at(payload, "text");
    n.template_name = string_at(payload, "template");
    n.key = m.key;  // the template's client_msg_id: the same across retries
    if (const auto it = payload.find("vars"); it != payload.end() && it->is_object()) {
        for (const auto& [k, v] : it->items()) {
            if (v.is_string()) {
                n.vars.emplace(k, v.get<std::string>());
            }
        }
    }
    auto report = co_await channel.notify_reporting(std::move(n));
    if (report.result) {
        co_return SendOutcome::ok();
    }
    co_return outcome_for(report.result.error(), report.idempotent_for);
}

}  // namespace anju::runtime
