// Domain time: ticket deadlines, reminders, token expiry, replay windows. Domain code never reads
// the system clock directly; it asks a Clock, so tests can move time with a FakeClock.
// Transport timeouts (socket reads and writes) stay on real steady timers.
#pragma once

#include "bot/core/fwd.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>

namespace anju {

class Clock {
public:
    using time_point = std::chrono::system_clock::time_point;
    using duration = std::chrono::system_clock::duration;

    virtual ~Clock() = default;

    // The current time. Thread-safe.
    virtual time_point now() const = 0;

    // Completes once now() >= deadline, on the caller's executor. Throws system_error with
    // asio::error::operation_aborted if the awaiting coroutine is cancelled first. Thread-safe.
    virtual asio::awaitable<void> sleep_until(time_point deadline) = 0;

    asio::awaitable<void> sleep_for(duration d);
};

// The real wall clock, backed by asio::system_timer.
class SystemClock final : public Clock {
public:
    time_point now() const override;
    asio::awaitable<void> sleep_until(time_point deadline) override;
};

}  // namespace anju
