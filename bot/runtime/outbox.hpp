// The outbox sender: delivers the messages the service owes people (resident updates, work-group
// cards, staff alerts) from the durable outbox table, in order, retrying what failed for a
// reason that may pass (network, rate limits, a busy platform) with growing delays, and giving up
// on what cannot succeed (an unknown recipient, content the platform refuses). A message is
// marked sent only after the platform accepted it, so a crash repeats at most the one in flight;
// platform idempotency keys (template client_msg_id) cover that where the platform has them.
#pragma once

#include "bot/core/clock.hpp"
#include "bot/core/metrics.hpp"
#include "store/store.hpp"
#include "store/ticket_store.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

namespace anju::runtime {

struct SendOutcome {
    enum class Kind { sent, retry, give_up };
    Kind kind = Kind::sent;
    std::string error;  // for the log and the outbox row; never a secret

    static SendOutcome ok() { return {}; }
    static SendOutcome again(std::string why) { return {Kind::retry, std::move(why)}; }
    static SendOutcome fail(std::string why) { return {Kind::give_up, std::move(why)}; }
};

// Delivers one message through its channel.
using OutboxTransport = std::function<asio::awaitable<SendOutcome>(const store::OutboxMessage&)>;

struct OutboxOptions {
    std::chrono::milliseconds poll{30'000};          // look again at least this often
    std::chrono::milliseconds first_retry{30'000};   // then doubling …
    std::chrono::milliseconds max_retry{3'600'000};  // … up to this
    int max_attempts = 10;                           // then give up
    std::size_t batch = 20;
};

class OutboxSender {
public:
    OutboxSender(asio::any_io_executor ex, store::Store& store, Clock& clock, OutboxTransport transport,
                 metrics::Registry& metrics, OutboxOptions options = {});

    // Sends due messages until cancelled (Background::stop). Spawn once.
    asio::awaitable<void> run();

    // Something was queued: look now instead of at the next poll. Thread-safe, cheap, coalesced.
    void kick();

private:
    asio::awaitable<std::size_t> send_due();

    store::Store& store_;
    Clock& clock_;
    OutboxTransport transport_;
    OutboxOptions options_;
    asio::experimental::concurrent_channel<void(boost::system::error_code)> kicks_;
    metrics::Family<metrics::Counter>& sent_;
    std::atomic<std::size_t> pending_{0};
};

}  // namespace anju::runtime
