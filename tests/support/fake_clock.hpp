// A manual Clock for tests: now() moves only when the test calls advance() or set(), and sleepers
// whose deadline has passed wake in deadline order (rippled's ManualClock, Seastar's manual_clock).
#pragma once

#include "bot/core/clock.hpp"

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace anju::testing {

class FakeClock final : public Clock {
public:
    // Starts at 2026-11-27 09:00:00 Asia/Shanghai (01:00 UTC), a Friday, unless told otherwise.
    FakeClock();
    explicit FakeClock(time_point start);

    time_point now() const override;
    asio::awaitable<void> sleep_until(time_point deadline) override;

    // Moves time forward and wakes every sleeper now due, earliest deadline first. Thread-safe.
    void advance(duration d);
    void set(time_point t);

    // Sleepers currently waiting.
    std::size_t sleepers() const;

private:
    struct Sleeper;
    void wake_due();

    mutable std::mutex mutex_;
    time_point now_;
    std::uint64_t next_seq_ = 0;
    std::vector<std::shared_ptr<Sleeper>> sleepers_;
};

}  // namespace anju::testing
