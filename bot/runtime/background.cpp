#include "bot/runtime/background.hpp"

#include "bot/core/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace anju::runtime {
namespace {

using namespace asio::experimental::awaitable_operators;

const log::Logger background_log{"background"};

}  // namespace

Background::Background(asio::any_io_executor ex) : ex_(std::move(ex)), stop_(ex_, 1) {}

void Background::spawn(std::string_view name, asio::awaitable<void> task) {
    running_.fetch_add(1);
    asio::co_spawn(asio::make_strand(ex_), guard(this, name, std::move(task)),
                   log::LogFailure(background_log, name));
}

asio::awaitable<void> Background::guard(Background* self, std::string_view name, asio::awaitable<void> task) {
    struct Done {
        Background* self;
        ~Done() { self->running_.fetch_sub(1); }
    } done{self};
    // Closing the stop channel completes the receive, and `||` then cancels the task.
    co_await (std::move(task) || self->stop_.async_receive(asio::as_tuple(asio::use_awaitable)));
    ANJU_LOG_DEBUG(background_log) << "task ended" << kv("task", name);
}

asio::awaitable<void> Background::stop(std::chrono::milliseconds grace) {
    stop_.close();
    asio::steady_timer timer(co_await asio::this_coro::executor);
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (running_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
        timer.expires_after(std::chrono::milliseconds(5));
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    if (running_.load() > 0) {
        ANJU_LOG_WARN(background_log)
            << "background tasks still running after the grace period" << kv("tasks", running_.load());
    }
}

}  // namespace anju::runtime
