#include "bot/runtime/scheduler.hpp"

#include "bot/core/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace anju::runtime {
namespace {

using namespace asio::experimental::awaitable_operators;

const log::Logger scheduler_log{"scheduler"};

std::int64_t ms(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

bool aborted(const boost::system::system_error& e) { return e.code() == asio::error::operation_aborted; }

}  // namespace

Scheduler::Scheduler(asio::any_io_executor ex, store::Store& store, Clock& clock, metrics::Registry& metrics,
                     std::function<void()> on_fired, SchedulerOptions options)
    : store_(store),
      clock_(clock),
      on_fired_(std::move(on_fired)),
      options_(options),
      kicks_(std::move(ex), 1),
      fired_total_(metrics.counter("timers_fired_total",
                                   "Timers fired, by kind and outcome (ok, retry, dropped).",
                                   {"kind", "outcome"})),
      lag_(metrics
               .histogram("timer_lag_seconds", "How late timers fire after their due time.", {},
                          metrics::latency_buckets())
               .with({})) {}

void Scheduler::handle(std::string kind, TimerHandler handler) {
    handlers_[std::move(kind)] = std::move(handler);
}

void Scheduler::kick() {
    kicked_.store(true);
    kicks_.try_send(boost::system::error_code{});
}

std::size_t Scheduler::fire_batch(SQLite::Database& db) {
    const auto due = store::due_timers(db, ms(clock_.now()), options_.batch);
    for (const auto& timer : due) {
        const auto now = clock_.now();
        const auto it = handlers_.find(timer.kind);
        if (it == handlers_.end()) {
            // A kind this version does not know (written by a newer one, or retired): keep it out
            // of the way rather than fire it wrongly.
            ANJU_LOG_ERROR(scheduler_log)
                << "timer of unknown kind dropped" << kv("key", timer.key) << kv("kind", timer.kind);
            store::delete_timer(db, timer.id);
            fired_total_.with({timer.kind, "dropped"}).inc();
            continue;
        }
        db.exec("SAVEPOINT timer");
        try {
            store::delete_timer(db, timer.id);
            it->second(db, timer, now);
            db.exec("RELEASE timer");
            lag_.observe(static_cast<double>(std::max<std::int64_t>(0, ms(now) - timer.due_at_ms)) / 1000.0);
            fired_total_.with({timer.kind, "ok"}).inc();
            fired_.fetch_add(1, std::memory_order_relaxed);
        } catch (const std::exception& e) {
            db.exec("ROLLBACK TO timer");
            db.exec("RELEASE timer");
            if (timer.attempts + 1 >= options_.max_attempts) {
                ANJU_LOG_ERROR(scheduler_log) << "timer dropped after failing" << kv("key", timer.key)
                                              << kv("attempts", timer.attempts + 1) << kv("error", e.what());
                store::delete_timer(db, timer.id);
                fired_total_.with({timer.kind, "dropped"}).inc();
            } else {
                ANJU_LOG_WARN(scheduler_log)
                    << "timer failed; will retry" << kv("key", timer.key) << kv("error", e.what());
                store::timer_failed(db, timer.id, ms(now + options_.retry_after));
                fired_total_.with({timer.kind, "retry"}).inc();
            }
        }
    }
    return due.size();
}

asio::awaitable<std::size_t> Scheduler::fire_due() {
    std::size_t total = 0;
    for (;;) {
        auto job = [this](SQLite::Database& db) { return fire_batch(db); };
        const auto n = co_await store_.write(std::move(job));
        total += n;
        if (n > 0 && on_fired_) {
            on_fired_();
        }
        if (n < options_.batch) {
            co_return total;
        }
    }
}

asio::awaitable<void> Scheduler::run() {
    for (;;) {
        kicked_.store(false);  // a timer set from here on is seen by this round or the next
        try {
            co_await fire_due();
        } catch (const boost::system::system_error& e) {
            if (aborted(e)) {
                throw;  // shutting down
            }
            ANJU_LOG_ERROR(scheduler_log) << "firing timers failed" << kv("error", e.what());
        } catch (const std::exception& e) {
            ANJU_LOG_ERROR(scheduler_log) << "firing timers failed" << kv("error", e.what());
        }
        std::optional<std::int64_t> next;
        try {
            auto read = [](SQLite::Database& db) { return store::next_timer_due(db); };
            next = co_await store_.run(std::move(read));
        } catch (const boost::system::system_error& e) {
            if (aborted(e)) {
                throw;
            }
            ANJU_LOG_ERROR(scheduler_log) << "timer lookup failed" << kv("error", e.what());
        }
        auto wake = clock_.now() + options_.poll;
        if (next) {
            wake = std::min(wake, Clock::time_point{std::chrono::milliseconds{*next}});
        }
        if (wake <= clock_.now() || kicked_.load()) {
            continue;
        }
        co_await (clock_.sleep_until(wake) || kicks_.async_receive(asio::as_tuple(asio::use_awaitable)));
    }
}

}  // namespace anju::runtime
