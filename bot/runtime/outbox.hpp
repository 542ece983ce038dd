// The outbox dispatcher: delivers the messages the service owes people (resident updates, work-group
// cards, staff alerts) from the durable outbox table. Messages to one recipient go out in queue order;
// different recipients are served concurrently, each platform within its rate limits. A failure that
// may pass (network, rate limits, a busy platform) is retried with growing delays; one that cannot
// succeed (an unknown recipient, content the platform refuses) is given up at once; a request that
// may already have been delivered is never resent unless the platform drops repeats of it (template
// client_msg_id, WeCom duplicate check), PROTOCOLS.md §3.2. What is given up is recorded on its
// ticket. A message is marked sent only after the platform accepted it.
#pragma once

#include "bot/core/clock.hpp"
#include "bot/core/metrics.hpp"
#include "config/config.hpp"
#include "store/store.hpp"
#include "store/ticket_store.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/strand.hpp>
#include <boost/system/error_code.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace anju::runtime {

class WeChatMpChannel;

struct SendOutcome {
    enum class Kind {
        sent,     // the platform accepted it
        retry,    // it was not delivered, for a reason that may pass: try again later
        give_up,  // it was not delivered and cannot be: unknown recipient, content refused
        unknown,  // the request may have been delivered (no answer after sending it): see idempotent_for
    };
    Kind kind = Kind::sent;
    std::string error;  // for the log, the outbox row and the ticket event; never a secret
    // For unknown: how long the platform drops a repeat of the request (its idempotency key's
    // lifetime: template client_msg_id 10 min, WeCom message/send duplicate_check_interval). A resend
    // within that time is safe; without one (zero) the message is never resent.
    std::chrono::milliseconds idempotent_for{0};

    static SendOutcome ok() { return {}; }
    static SendOutcome again(std::string why) { return {Kind::retry, std::move(why), {}}; }
    static SendOutcome fail(std::string why) { return {Kind::give_up, std::move(why), {}}; }
    static SendOutcome unsure(std::string why, std::chrono::milliseconds idempotent_for = {}) {
        return {Kind::unknown, std::move(why), idempotent_for};
    }
};

// What a failed send means for the outbox. `ec` is an error of adapters::wechat_mp, adapters::wecom or
// anju::net. A transport failure after the request may have reached the platform (errc::transport,
// net timeouts and broken responses) is unknown, resendable within `idempotent_for` (the request's
// idempotency window; zero when it has none). Errors no retry can fix (unknown or unsubscribed
// recipient, refused content, no permission, a bad template) give up; everything else, including a
// token that could not be had (nothing was sent), is retried. A success (`!ec`) is sent. Pure,
// thread-safe.
SendOutcome outcome_for(const boost::system::error_code& ec, std::chrono::milliseconds idempotent_for = {});

// Delivers one message through its channel.
using OutboxTransport = std::function<asio::awaitable<SendOutcome>(const store::OutboxMessage&)>;

// Messages allowed per window; 0 means no limit.
struct OutboxRates {
    int robot_per_minute = 20;           // wecom_robot: per robot (account + target)
    int app_per_member_per_minute = 30;  // wecom_app: per member (each userid of the target)
    int appchat_per_minute = 200;        // wecom_chat: per group chat (account + target)
    int wechat_mp_per_second = 200;      // wechat_mp: per account, all residents together
    int owner_group_per_minute = 20;     // bridge, wecom_owner: per owner group (account + target)
};

struct OutboxOptions {
    std::chrono::milliseconds poll{30'000};          // look again at least this often
    std::chrono::milliseconds first_retry{30'000};   // then doubling …
    std::chrono::milliseconds max_retry{3'600'000};  // … up to this
    int max_attempts = 10;                           // then give up
    std::size_t batch = 20;                          // due messages read per look (at least concurrency)
    std::vector<std::string> channels;               // the channels this dispatcher serves; empty: all
    std::size_t concurrency = 4;                     // sends at once, each to a different recipient
    OutboxRates rates;
};

// The options of the dispatcher for `channels` (empty: all) from the config's outbox section.
OutboxOptions outbox_options(const config::OutboxConfig& config, std::vector<std::string> channels = {});

// Sliding-window rate limits by key: at most `limit` sends in any `window`. Unlike a token bucket
// (which lets a full bucket plus its refill through within one window), this never exceeds the limit
// in any window, fixed or sliding, whichever the platform counts. Not thread-safe.
class RateLimiter {
public:
    // Records one send under every key and returns nullopt if each key has room at `now`; otherwise
    // records nothing and returns when all of them will have room.
    std::optional<Clock::time_point> acquire(const std::vector<std::string>& keys, int limit,
                                             Clock::duration window, Clock::time_point now);

private:
    void sweep(Clock::time_point now, Clock::duration window);

    std::unordered_map<std::string, std::deque<Clock::time_point>> sent_;  // per key, oldest first
    std::size_t since_sweep_ = 0;
};

class OutboxSender {
public:
    // Serves the channels of options.channels. Two senders must not share a channel. `ex` runs the
    // sends (on a strand of its own); the references must outlive the sender.
    OutboxSender(asio::any_io_executor ex, store::Store& store, Clock& clock, OutboxTransport transport,
                 metrics::Registry& metrics, OutboxOptions options = {});

    // Sends due messages until cancelled (Background::stop); returns (throwing operation_aborted) only
    // after every send in flight has finished. Spawn once.
    asio::awaitable<void> run();

    // Something was queued: look now instead of at the next poll. Thread-safe, cheap, coalesced.
    void kick();

    const OutboxOptions& options() const { return options_; }

private:
    struct Pass;

    // One look: sends the due heads, `concurrency` at a time. Returns the pass's counts.
    asio::awaitable<std::shared_ptr<Pass>> send_due();
    // A worker of a pass, on strand_: takes messages from the pass until none are left.
    asio::awaitable<void> work(std::shared_ptr<Pass> pass);
    asio::awaitable<void> send_one(store::OutboxMessage message, std::shared_ptr<Pass> pass);
    // What becomes of a failed attempt.
    struct Failure {
        std::string error;            // for the row, the log and the ticket
        std::int64_t next_at_ms = 0;  // when it is tried again
        bool give_up = false;
        std::string_view outcome = "failed";  // metric label: retry, failed or unknown
    };
    Failure decide(const store::OutboxMessage& message, const SendOutcome& outcome, Clock::time_point now);
    // Records a failed attempt: retried later, or given up with an event on the ticket (one transaction).
    asio::awaitable<void> record_failure(const store::OutboxMessage& message, const Failure& failure);
    // When `message` may go out under the rate limits (nullopt: now; a send is then counted).
    std::optional<Clock::time_point> rate_limit(const store::OutboxMessage& message, Clock::time_point now);
    std::chrono::milliseconds backoff(int attempts) const;

    asio::strand<asio::any_io_executor> strand_;
    store::Store& store_;
    Clock& clock_;
    OutboxTransport transport_;
    OutboxOptions options_;
    std::string name_;  // the channels served, for logs and metrics
    asio::experimental::concurrent_channel<void(boost::system::error_code)> kicks_;
    // Set by kick(), cleared when a pass starts: a kick whose wake-up the channel could not take
    // (try_send fails while a receive is being torn down by `||`) still prevents the next sleep.
    std::atomic<bool> kicked_{false};
    metrics::Family<metrics::Counter>& outcomes_;
    metrics::Gauge& pending_;
    std::size_t passes_ = 0;

    // Touched only on strand_.
    RateLimiter limiter_;
    // Messages that had an attempt which may have been delivered and were kept for a resend within
    // the platform's idempotency window: the last moment a resend is still safe. Lost on restart (as
    // is the knowledge of a send in flight at a crash).
    std::unordered_map<std::int64_t, Clock::time_point> resend_before_;
};

// Sends a queued wechat_mp message through `channel`: payload {"text", "template"?, "vars"?} as a
// customer-service text, or the template once WeChat says the 48-hour window has closed, with the
// outbox key as the template's client_msg_id. Maps failures with outcome_for: a customer-service
// text that may have been delivered is unknown and never resent; a template is resendable within
// WeChat's client_msg_id window. Thread-safe.
asio::awaitable<SendOutcome> send_wechat_mp(WeChatMpChannel& channel, const store::OutboxMessage& message);

}  // namespace anju::runtime
