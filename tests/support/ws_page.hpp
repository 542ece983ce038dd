// A browser page's WebSocket, for loopback tests of the pages anju serves (/chat/ws, /workgroup/ws):
// a Beast client on its own io_context, driven from the test thread. A reader coroutine collects the
// JSON frames the server sends; every wait has a cap, so a missing frame fails the test instead of
// hanging it.
#pragma once

#include "bot/net/fwd.hpp"
#include "tests/support/async.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <string>

namespace anju::testing {

class WsPage {
public:
    using json = nlohmann::json;

    WsPage(std::uint16_t port, std::string path) : port_(port), path_(std::move(path)) {}

    // Opens the socket; returns the HTTP status of the upgrade's answer (101), or -1.
    int open(const std::string& origin = {}) {
        const auto status = run_coro(ioc_, do_open(origin), std::chrono::seconds(5));
        if (status == 101) {
            asio::co_spawn(ioc_, read_loop(), [](const std::exception_ptr&) {});
        }
        return status;
    }

    void send_raw(std::string text) {
        EXPECT_TRUE(run_coro(ioc_, do_send(std::move(text)), std::chrono::seconds(5)));
    }
    void send(const json& frame) { send_raw(frame.dump()); }

    // The oldest unclaimed frame of `type` ("" for any) for which `match` holds, leaving the others
    // for later calls; a null json if none came within `cap` (or the socket closed).
    template <class Match>
    json next_if(const std::string& type, Match match,
                 std::chrono::milliseconds cap = std::chrono::seconds(10)) {
        auto find = [&] {
            return std::find_if(frames_.begin(), frames_.end(), [&](const json& f) {
                return (type.empty() || f.value("type", "") == type) && match(f);
            });
        };
        poll_until(
            ioc_, [&] { return find() != frames_.end() || closed_; }, cap);
        const auto it = find();
        if (it == frames_.end()) {
            return {};
        }
        auto frame = *it;
        frames_.erase(it);
        return frame;
    }
    json next(const std::string& type = {}, std::chrono::milliseconds cap = std::chrono::seconds(10)) {
        return next_if(
            type, [](const json&) { return true; }, cap);
    }

    void close() { run_coro(ioc_, do_close(), std::chrono::seconds(5)); }
    bool closed() const { return closed_; }

private:
    asio::awaitable<int> do_open(std::string origin) {
        namespace websocket = beast::websocket;
        auto& lowest = beast::get_lowest_layer(ws_);
        const asio::ip::tcp::endpoint server(asio::ip::make_address("127.0.0.1"), port_);
        co_await lowest.async_connect(server, asio::use_awaitable);
        if (!origin.empty()) {
            ws_.set_option(websocket::stream_base::decorator(
                [origin](websocket::request_type& req) { req.set(http::field::origin, origin); }));
        }
        websocket::response_type res;
        const auto host = "127.0.0.1:" + std::to_string(port_);
        auto [ec] = co_await ws_.async_handshake(res, host, path_, asio::as_tuple(asio::use_awaitable));
        if (ec && res.result_int() == 0) {
            co_return -1;
        }
        co_return static_cast<int>(res.result_int());
    }
    asio::awaitable<bool> do_send(std::string text) {
        auto [ec, n] = co_await ws_.async_write(asio::buffer(text), asio::as_tuple(asio::use_awaitable));
        co_return !ec;
    }
    asio::awaitable<void> read_loop() {
        for (;;) {
            beast::flat_buffer buffer;
            auto [ec, n] = co_await ws_.async_read(buffer, asio::as_tuple(asio::use_awaitable));
            if (ec) {
                closed_ = true;
                co_return;
            }
            const auto raw = beast::buffers_to_string(buffer.data());
            auto frame = json::parse(raw, nullptr, false);
            EXPECT_TRUE(frame.is_object()) << raw;
            frames_.push_back(std::move(frame));
        }
    }
    asio::awaitable<void> do_close() {
        auto [ec] = co_await ws_.async_close(beast::websocket::close_code::normal,
                                             asio::as_tuple(asio::use_awaitable));
        (void)ec;
    }

    std::uint16_t port_;
    std::string path_;
    asio::io_context ioc_;
    beast::websocket::stream<beast::tcp_stream> ws_{ioc_};
    std::deque<json> frames_;
    bool closed_ = false;
};

}  // namespace anju::testing
