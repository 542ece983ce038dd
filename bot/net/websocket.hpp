// A server-side WebSocket connection (RFC 6455) that HttpServer hands to a websocket route's handler
// once it has accepted the upgrade: text messages in and out, with writes queued so that several
// coroutines may send at once, keep-alive pings and a message size limit.
#pragma once

#include "bot/core/metrics.hpp"
#include "bot/net/fwd.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace anju::net {

// A handle to one accepted WebSocket connection. Copies share the connection (a hub may keep one
// to push messages to it); the connection lives until its handler returns, and a copy kept longer
// only sees a closed socket. All members are thread-safe: they run on the connection's strand.
class WebSocket {
public:
    class Impl;
    explicit WebSocket(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

    // The next text message, or nullopt once the connection is closed (by either side, by a
    // timeout, a protocol error, or a message over the size limit, which the server answers with
    // close code 1009). Binary messages are skipped. Call from one coroutine at a time, and do not
    // cancel the call: a message read after the caller gave up is lost.
    asio::awaitable<std::optional<std::string>> receive();

    // Sends one text message (valid UTF-8). Messages go out one at a time in the order of the calls.
    // Returns false if the connection is closed or closing, or the write failed (the connection is
    // then closed). May be called from several coroutines at once.
    asio::awaitable<bool> send(std::string text);

    // Sends a close frame with `code` after the messages already queued; receive() then returns
    // nullopt once the peer answers (or the close handshake times out). Later calls do nothing.
    asio::awaitable<void> close(beast::websocket::close_code code = beast::websocket::close_code::normal,
                                std::string reason = {});

    // False once the connection is closed or closing.
    bool is_open() const;

    // Unique per connection within the process (for hubs that key sockets).
    std::uint64_t id() const;

    const asio::ip::tcp::endpoint& remote() const;

private:
    std::shared_ptr<Impl> impl_;
};

// The server's side of the connection's life; for HttpServer only.
namespace detail {

struct WebSocketSetup {
    std::size_t message_limit = 64 * 1024;                  // larger messages close the connection with 1009
    std::string server_name;                                // the Server header of the 101 answer
    std::string route;                                      // metric label
    metrics::Gauge* open = nullptr;                         // websocket connections open
    metrics::Family<metrics::Counter>* messages = nullptr;  // labels {route, direction}
};

// Wraps `stream` (an HTTP connection on its strand whose upgrade request was read).
std::shared_ptr<WebSocket::Impl> make_websocket(beast::tcp_stream stream, asio::ip::tcp::endpoint remote,
                                                WebSocketSetup setup);

// Answers the upgrade request with 101 and switches to WebSocket framing. Returns false if the
// handshake failed (Beast then answered 400 itself, or the client went away). Call on the strand.
asio::awaitable<bool> accept_websocket(std::shared_ptr<WebSocket::Impl> impl,
                                       http::request<http::string_body> request);

// After the handler returned: closes normally if nobody closed yet, then closes the socket. Call on
// the strand.
asio::awaitable<void> finish_websocket(std::shared_ptr<WebSocket::Impl> impl);

// Graceful stop: queues a close frame with 1001 (going away). Thread-safe.
void websocket_going_away(const std::shared_ptr<WebSocket::Impl>& impl);

// Forced stop: closes the socket; pending operations fail. Thread-safe.
void websocket_abort(const std::shared_ptr<WebSocket::Impl>& impl);

}  // namespace detail
}  // namespace anju::net
