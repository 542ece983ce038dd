#include "tests/support/fake_clock.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>

namespace anju::testing {

// A buffered channel rather than a timer: advance() may run on another thread before the sleeper
// has started waiting, and a buffered send is never lost.
struct FakeClock::Sleeper {
    Sleeper(const asio::any_io_executor& ex, time_point d, std::uint64_t s)
        : wake(ex, 1), deadline(d), seq(s) {}
    asio::experimental::concurrent_channel<void(boost::system::error_code)> wake;
    time_point deadline;
    std::uint64_t seq;
};

FakeClock::FakeClock()
    : FakeClock(time_point{std::chrono::seconds{1'795'741'200}}) {}  // 2026-11-27T01:00:00Z

FakeClock::FakeClock(time_point start) : now_(start) {}

Clock::time_point FakeClock::now() const {
    std::lock_guard lock(mutex_);
    return now_;
}

asio::awaitable<void> FakeClock::sleep_until(time_point deadline) {
    auto ex = co_await asio::this_coro::executor;
    std::shared_ptr<Sleeper> sleeper;
    {
        std::lock_guard lock(mutex_);
        if (now_ >= deadline) {
            co_return;
        }
        sleeper = std::make_shared<Sleeper>(ex, deadline, next_seq_++);
        sleepers_.push_back(sleeper);
    }
    auto [ec] = co_await sleeper->wake.async_receive(asio::as_tuple(asio::use_awaitable));
    {
        std::lock_guard lock(mutex_);
        std::erase(sleepers_, sleeper);
    }
    if (ec) {
        // The channel reports cancellation as channel_cancelled; Clock promises operation_aborted.
        throw boost::system::system_error(asio::error::operation_aborted);
    }
}

void FakeClock::advance(duration d) {
    {
        std::lock_guard lock(mutex_);
        now_ += d;
    }
    wake_due();
}

void FakeClock::set(time_point t) {
    {
        std::lock_guard lock(mutex_);
        now_ = t;
    }
    wake_due();
}

std::size_t FakeClock::sleepers() const {
    std::lock_guard lock(mutex_);
    return sleepers_.size();
}

void FakeClock::wake_due() {
    std::vector<std::shared_ptr<Sleeper>> due;
    {
        std::lock_guard lock(mutex_);
        for (auto it = sleepers_.begin(); it != sleepers_.end();) {
            if ((*it)->deadline <= now_) {
                due.push_back(*it);
                it = sleepers_.erase(it);
            } else {
                ++it;
            }
        }
    }
    std::sort(due.begin(), due.end(), [](const auto& a, const auto& b) {
        return a->deadline != b->deadline ? a->deadline < b->deadline : a->seq < b->seq;
    });
    for (const auto& s : due) {
        s->wake.try_send(boost::system::error_code{});
    }
}

}  // namespace anju::testing
