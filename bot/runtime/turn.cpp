#include "bot/runtime/turn.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace anju::runtime {

// A buffered wake-up, so an offer made between registering and starting to wait is not lost.
struct Turn::Waiter {
    explicit Waiter(const asio::any_io_executor& ex) : wake(ex, 1) {}
    asio::experimental::concurrent_channel<void(boost::system::error_code)> wake;
};

asio::awaitable<std::optional<std::string>> Turn::await_passive(
    std::chrono::steady_clock::time_point deadline) {
    auto ex = co_await asio::this_coro::executor;
    std::shared_ptr<Waiter> waiter;
    {
        std::lock_guard lock(mutex_);
        if (reserved_ > 0) {
            --reserved_;
        }
        switch (delivery_) {
            case Delivery::passive:
                co_return passive_text_;
            case Delivery::not_passive:
                co_return std::nullopt;
            case Delivery::undecided:
                waiter = std::make_shared<Waiter>(ex);
                waiters_.push_back(waiter);
                break;
        }
    }
    // The deadline wakes the waiter through its channel, as an offer does. Not `receive || timer`:
    // with Boost 1.81, when both complete at once on a multi-threaded executor (no strand),
    // parallel_group may emit cancellation into the timer after this coroutine has resumed and
    // destroyed it (heap-use-after-free).
    asio::steady_timer timer(ex, deadline);
    auto on_deadline = [waiter](const boost::system::error_code& ec) {
        if (!ec) {
            waiter->wake.try_send(boost::system::error_code{});
        }
    };
    timer.async_wait(std::move(on_deadline));
    auto [ec] = co_await waiter->wake.async_receive(asio::as_tuple(asio::use_awaitable));
    (void)ec;  // woken, timed out or cancelled: the decision below is all that counts
    timer.cancel();
    std::lock_guard lock(mutex_);
    std::erase(waiters_, waiter);
    // Still registered when the offer came (even if the deadline had just passed): the offer
    // counted on this attempt, so it carries the text.
    if (delivery_ == Delivery::passive) {
        co_return passive_text_;
    }
    co_return std::nullopt;
}

bool Turn::offer_passive(std::string text) {
    std::lock_guard lock(mutex_);
    if (delivery_ != Delivery::undecided) {
        return delivery_ == Delivery::passive;
    }
    if (waiters_.empty() && reserved_ == 0) {
        delivery_ = Delivery::not_passive;
        return false;
    }
    delivery_ = Delivery::passive;
    passive_text_ = std::move(text);
    for (const auto& w : waiters_) {
        w->wake.try_send(boost::system::error_code{});
    }
    return true;
}

void Turn::decline_passive() {
    std::lock_guard lock(mutex_);
    if (delivery_ != Delivery::undecided) {
        return;
    }
    delivery_ = Delivery::not_passive;
    for (const auto& w : waiters_) {
        w->wake.try_send(boost::system::error_code{});
    }
}

void Turn::fail() {
    {
        std::lock_guard lock(mutex_);
        failed_ = true;
    }
    decline_passive();
}

bool Turn::failed() const {
    std::lock_guard lock(mutex_);
    return failed_;
}

bool Turn::settled() const {
    std::lock_guard lock(mutex_);
    return delivery_ != Delivery::undecided;
}

}  // namespace anju::runtime
