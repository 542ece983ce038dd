#include "bot/core/clock.hpp"

#include <boost/asio/system_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace anju {

asio::awaitable<void> Clock::sleep_for(duration d) {
    const auto deadline = now() + d;
    co_await sleep_until(deadline);
}

Clock::time_point SystemClock::now() const { return std::chrono::system_clock::now(); }

asio::awaitable<void> SystemClock::sleep_until(time_point deadline) {
    // The timer takes the coroutine's cancellation slot, so `op || clock.sleep_until(t)` cancels it.
    asio::system_timer timer(co_await asio::this_coro::executor, deadline);
    co_await timer.async_wait(asio::use_awaitable);
}

}  // namespace anju
