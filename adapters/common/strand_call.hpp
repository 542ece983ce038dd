// Pieces both platform API clients (wechat_mp, wecom) need around their strand and their HTTP calls.
#pragma once

#include "bot/net/errors.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <memory>

namespace anju::adapters {

namespace asio = boost::asio;

// Transport failures that happen before the request is written: it certainly never reached the
// platform, so a message may be sent again without reaching anyone twice.
inline bool never_left(const boost::system::error_code& ec) {
    return ec == net::errc::invalid_url || ec == net::errc::resolve_failed ||
           ec == net::errc::connection_refused || ec == net::errc::connect_failed ||
           ec == net::errc::tls_failed;
}

// Runs `work` on `strand` and resumes the caller on its own executor with the result. The caller
// waits on a channel of its own rather than on co_spawn's completion: cancelling the caller cancels
// only its wait (throwing operation_aborted); the work runs to its end and its answer is dropped.
// Forwarding the cancellation through co_spawn can, with Boost 1.81, emit into the spawned frame's
// slot after that frame has finished (heap-use-after-free under ASan when the outbox was stopped
// with sends waiting for a token).
template <class T>
asio::awaitable<T> on_strand(asio::strand<asio::any_io_executor> strand, asio::awaitable<T> work) {
    using Answer = asio::experimental::concurrent_channel<void(boost::system::error_code, T)>;
    auto answer = std::make_shared<Answer>(co_await asio::this_coro::executor, 1);
    auto run = [answer, work = std::move(work)]() mutable -> asio::awaitable<void> {
        auto value = co_await std::move(work);
        answer->try_send(boost::system::error_code{}, std::move(value));
    };
    asio::co_spawn(strand, std::move(run), asio::detached);
    auto [ec, value] = co_await answer->async_receive(asio::as_tuple(asio::use_awaitable));
    if (ec) {
        throw boost::system::system_error(asio::error::operation_aborted);
    }
    co_return std::move(value);
}

}  // namespace anju::adapters
