#include "bot/core/clock.hpp"

#include "tests/support/async.hpp"
#include "tests/support/fake_clock.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace anju::testing {
namespace {

using namespace std::chrono_literals;
using namespace asio::experimental::awaitable_operators;

asio::awaitable<void> sleep_and_record(Clock& clock, Clock::duration d, std::string name,
                                       std::vector<std::string>& order) {
    co_await clock.sleep_until(clock.now() + d);
    order.push_back(std::move(name));
}

asio::awaitable<int> race_sleep_against_timer(Clock& clock) {
    asio::steady_timer timer(co_await asio::this_coro::executor, 1ms);
    auto result = co_await (clock.sleep_until(clock.now() + 1h) || timer.async_wait(asio::use_awaitable));
    co_return static_cast<int>(result.index());
}

class FakeClockTest : public ::testing::Test {
protected:
    asio::io_context ioc_;
    FakeClock clock_;
};

TEST_F(FakeClockTest, StartsAtAFixedInstant) {
    EXPECT_EQ(clock_.now().time_since_epoch(), std::chrono::seconds{1'795'741'200});
}

TEST_F(FakeClockTest, WakesSleepersInDeadlineOrderOnlyWhenTimeMoves) {
    std::vector<std::string> order;
    asio::co_spawn(ioc_, sleep_and_record(clock_, 30min, "c", order), asio::detached);
    asio::co_spawn(ioc_, sleep_and_record(clock_, 5min, "a", order), asio::detached);
    asio::co_spawn(ioc_, sleep_and_record(clock_, 10min, "b", order), asio::detached);
    ASSERT_TRUE(poll_until(ioc_, [&] { return clock_.sleepers() == 3; }));
    ioc_.poll();
    EXPECT_TRUE(order.empty());

    clock_.advance(12min);
    ASSERT_TRUE(poll_until(ioc_, [&] { return order.size() == 2; }));
    EXPECT_EQ(order, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(clock_.sleepers(), 1U);

    clock_.advance(1h);
    ASSERT_TRUE(poll_until(ioc_, [&] { return order.size() == 3; }));
    EXPECT_EQ(order.back(), "c");
}

TEST_F(FakeClockTest, PastDeadlineCompletesAtOnce) {
    run_coro(ioc_, clock_.sleep_until(clock_.now() - 1s));
    EXPECT_EQ(clock_.sleepers(), 0U);
}

TEST_F(FakeClockTest, SleepIsCancelledByTheAwaitableOrOperator) {
    EXPECT_EQ(run_coro(ioc_, race_sleep_against_timer(clock_)), 1);
    EXPECT_EQ(clock_.sleepers(), 0U);
}

TEST(SystemClock, SleepsUntilTheDeadline) {
    asio::io_context ioc;
    SystemClock clock;
    const auto start = clock.now();
    run_coro(ioc, clock.sleep_until(start + 20ms));
    EXPECT_GE(clock.now() - start, 20ms);
}

TEST(SystemClock, SleepIsCancellable) {
    asio::io_context ioc;
    SystemClock clock;
    EXPECT_EQ(run_coro(ioc, race_sleep_against_timer(clock)), 1);
}

}  // namespace
}  // namespace anju::testing
