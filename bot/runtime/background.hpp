// Long-lived background coroutines (token refreshers, housekeeping, later the scheduler): started
// with a name, cancelled together at shutdown, and never lost silently (failures are logged).
#pragma once

#include "bot/core/fwd.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>

#include <atomic>
#include <chrono>
#include <string>

namespace anju::runtime {

class Background {
public:
    explicit Background(asio::any_io_executor ex);

    // Runs `task` on its own strand until it returns or stop() cancels it. Thread-safe. `name` must
    // be a literal (it is kept for log lines).
    void spawn(std::string_view name, asio::awaitable<void> task);

    // Cancels every task and waits up to `grace` for them to end. Thread-safe; once.
    asio::awaitable<void> stop(std::chrono::milliseconds grace);

    std::size_t running() const { return running_.load(); }

private:
    static asio::awaitable<void> guard(Background* self, std::string_view name, asio::awaitable<void> task);

    asio::any_io_executor ex_;
    asio::experimental::concurrent_channel<void(boost::system::error_code)> stop_;
    std::atomic<std::size_t> running_{0};
};

}  // namespace anju::runtime
