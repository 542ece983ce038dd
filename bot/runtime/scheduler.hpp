// The scheduler: owns every future event of the service. Timers are rows in the store (see
// store/timer_store.hpp), set in the same transaction as the change that causes them; one
// coroutine sleeps on the Clock until the earliest is due, then fires the due ones in order, each
// in its own savepoint inside one write transaction together with its removal, so a timer fires
// once: its effects and its removal commit together. After a restart every pending timer is back;
// those that fell due while the service was down fire at once, in due order.
//
// Handlers run on the store thread inside the write job (like a turn's persist job), so a timer's
// effect on a ticket is serialized with every other change of the ticket; they never do I/O. What
// they owe people goes to the outbox, which `on_fired` kicks after the commit.
#pragma once

#include "bot/core/clock.hpp"
#include "bot/core/metrics.hpp"
#include "store/store.hpp"
#include "store/timer_store.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <string>

namespace anju::runtime {

// Applies a due timer. Throwing rolls back what it did; the timer is tried again later.
using TimerHandler = std::function<void(SQLite::Database&, const store::Timer&, Clock::time_point now)>;

struct SchedulerOptions {
    std::chrono::milliseconds poll{60'000};         // look again at least this often
    std::size_t batch = 200;                        // timers fired per transaction
    std::chrono::milliseconds retry_after{60'000};  // a handler that threw runs again after this
    int max_attempts = 5;                           // then the timer is dropped (logged)
};

class Scheduler {
public:
    Scheduler(asio::any_io_executor ex, store::Store& store, Clock& clock, metrics::Registry& metrics,
              std::function<void()> on_fired = {}, SchedulerOptions options = {});

    // Registers the handler of a timer kind. Before run().
    void handle(std::string kind, TimerHandler handler);

    // Fires timers until cancelled (Background::stop). Spawn once.
    asio::awaitable<void> run();

    // A timer was set that may be earlier than the one being waited for: look again now.
    // Thread-safe, cheap, coalesced.
    void kick();

    // Fires what is due now, in batches, until nothing is; returns how many fired. (run() uses it;
    // tests and benchmarks may call it directly.)
    asio::awaitable<std::size_t> fire_due();

    // Timers fired since start, and the lag of the last one (due → fired). Thread-safe.
    std::uint64_t fired() const { return fired_.load(std::memory_order_relaxed); }

private:
    // Fires one batch in one transaction; returns how many were due.
    std::size_t fire_batch(SQLite::Database& db);

    store::Store& store_;
    Clock& clock_;
    std::function<void()> on_fired_;
    SchedulerOptions options_;
    std::map<std::string, TimerHandler, std::less<>> handlers_;
    asio::experimental::concurrent_channel<void(boost::system::error_code)> kicks_;
    // Set by kick(), cleared when a round starts: a kick the channel could not take (try_send fails
    // while a receive is being torn down by `||`) still prevents the next sleep.
    std::atomic<bool> kicked_{false};
    metrics::Family<metrics::Counter>& fired_total_;
    metrics::Histogram& lag_;
    std::atomic<std::uint64_t> fired_{0};
};

}  // namespace anju::runtime
