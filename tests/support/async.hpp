// Test harness for coroutines: run one to completion on a test's io_context, or run the context
// until a condition holds, both with a hard cap so a broken test fails instead of hanging.
#pragma once

#include "bot/core/fwd.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <future>
#include <stdexcept>

namespace anju::testing {

using namespace std::chrono_literals;

// Spawns `coro` on `ioc`, runs the context until it finishes and returns its value (rethrowing its
// exception). Throws std::runtime_error after `cap` of real time.
template <class T>
T run_coro(asio::io_context& ioc, asio::awaitable<T> coro, std::chrono::milliseconds cap = 20s) {
    auto future = asio::co_spawn(ioc, std::move(coro), asio::use_future);
    const auto deadline = std::chrono::steady_clock::now() + cap;
    while (future.wait_for(0s) != std::future_status::ready) {
        if (std::chrono::steady_clock::now() > deadline) {
            throw std::runtime_error("run_coro: the coroutine did not finish in time");
        }
        if (ioc.stopped()) {
            ioc.restart();
        }
        ioc.run_one_for(5ms);
    }
    return future.get();
}

// Runs `ioc` until `done()` is true. Returns false if `cap` of real time passed first.
inline bool poll_until(asio::io_context& ioc, const std::function<bool()>& done,
                       std::chrono::milliseconds cap = 20s) {
    const auto deadline = std::chrono::steady_clock::now() + cap;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        if (ioc.stopped()) {
            ioc.restart();
        }
        ioc.run_one_for(5ms);
    }
    return true;
}

// I/O threads for servers under test: ANJU_TEST_IO_THREADS (the tsan preset sets 4), else 1.
inline unsigned test_io_threads() {
    const char* text = std::getenv("ANJU_TEST_IO_THREADS");
    const int n = text == nullptr ? 1 : std::atoi(text);
    return n >= 1 && n <= 64 ? static_cast<unsigned>(n) : 1U;
}

}  // namespace anju::testing
