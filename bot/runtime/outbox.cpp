#include "bot/runtime/outbox.hpp"

#include "bot/core/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace anju::runtime {
namespace {

using namespace asio::experimental::awaitable_operators;

const log::Logger outbox_log{"outbox"};

std::int64_t ms(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

OutboxSender::OutboxSender(asio::any_io_executor ex, store::Store& store, Clock& clock,
                           OutboxTransport transport, metrics::Registry& metrics, OutboxOptions options)
    : store_(store),
      clock_(clock),
      transport_(std::move(transport)),
      options_(options),
      kicks_(std::move(ex), 1),
      sent_(metrics.counter("outbox_messages_total", "Outbox messages by outcome (sent, retry, failed).",
                            {"outcome"})) {
    metrics.gauge_callback("outbox_pending", "Messages waiting in the outbox (at the last look).",
                           [this] { return static_cast<double>(pending_.load()); });
}

void OutboxSender::kick() { kicks_.try_send(boost::system::error_code{}); }

asio::awaitable<void> OutboxSender::run() {
    for (;;) {
        std::size_t handled = 0;
        try {
            handled = co_await send_due();
        } catch (const boost::system::system_error& e) {
            if (e.code() == asio::error::operation_aborted) {
                throw;  // shutting down
            }
            ANJU_LOG_ERROR(outbox_log) << "outbox pass failed" << kv("error", e.what());
        } catch (const std::exception& e) {
            ANJU_LOG_ERROR(outbox_log) << "outbox pass failed" << kv("error", e.what());
        }
        if (handled >= options_.batch) {
            continue;  // more may be due right away
        }
        auto read = [](SQLite::Database& db) { return store::next_due(db); };
        std::optional<std::int64_t> next;
        try {
            next = co_await store_.run(std::move(read));
        } catch (const boost::system::system_error& e) {
            if (e.code() == asio::error::operation_aborted) {
                throw;
            }
            ANJU_LOG_ERROR(outbox_log) << "outbox lookup failed" << kv("error", e.what());
        }
        auto wake = clock_.now() + options_.poll;
        if (next) {
            wake = std::min(wake, Clock::time_point{std::chrono::milliseconds{*next}});
        }
        if (wake <= clock_.now()) {
            continue;
        }
        co_await (clock_.sleep_until(wake) || kicks_.async_receive(asio::as_tuple(asio::use_awaitable)));
    }
}

asio::awaitable<std::size_t> OutboxSender::send_due() {
    const auto now = ms(clock_.now());
    auto read = [now, limit = options_.batch](SQLite::Database& db) {
        return std::make_pair(store::due_messages(db, now, limit), store::outbox_pending(db));
    };
    auto [due, pending] = co_await store_.run(std::move(read));
    pending_ = pending;
    for (const auto& m : due) {
        SendOutcome outcome;
        try {
            outcome = co_await transport_(m);
        } catch (const std::exception& e) {
            outcome = SendOutcome::again(e.what());
        }
        const auto at = ms(clock_.now());
        if (outcome.kind == SendOutcome::Kind::sent) {
            auto job = [id = m.id, at](SQLite::Database& db) { store::mark_sent(db, id, at); };
            co_await store_.write(std::move(job));
            sent_.with({"sent"}).inc();
            continue;
        }
        const bool give_up =
            outcome.kind == SendOutcome::Kind::give_up || m.attempts + 1 >= options_.max_attempts;
        auto delay = options_.first_retry;
        for (int i = 0; i < m.attempts && delay < options_.max_retry; ++i) {
            delay *= 2;
        }
        delay = std::min(delay, options_.max_retry);
        auto job = [id = m.id, error = outcome.error, next = at + delay.count(),
                    give_up](SQLite::Database& db) { store::mark_failed(db, id, error, next, give_up); };
        co_await store_.write(std::move(job));
        sent_.with({give_up ? "failed" : "retry"}).inc();
        if (give_up) {
            ANJU_LOG_ERROR(outbox_log) << "message given up" << kv("key", m.key) << kv("channel", m.channel)
                                       << kv("attempts", m.attempts + 1) << kv("error", outcome.error);
        } else {
            ANJU_LOG_WARN(outbox_log) << "send failed; will retry" << kv("key", m.key)
                                      << kv("channel", m.channel) << kv("attempt", m.attempts + 1)
                                      << kv("retry_in_ms", delay.count()) << kv("error", outcome.error);
        }
    }
    co_return due.size();
}

}  // namespace anju::runtime
