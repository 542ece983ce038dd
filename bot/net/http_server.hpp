// anju's HTTP/1.1 server on Boost.Beast: one coroutine per connection on its own strand,
// keep-alive, limits on header and body size, read/write/idle timeouts, a cap on concurrent
// connections, request metrics, WebSocket upgrades on websocket routes, and a graceful stop that
// lets in-flight requests finish.
#pragma once

#include "bot/core/metrics.hpp"
#include "bot/net/fwd.hpp"
#include "bot/net/router.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace anju::net {

struct HttpServerOptions {
    std::string address = "127.0.0.1";
    std::uint16_t port = 8080;                       // 0: any free port (tests)
    std::size_t body_limit = 1024 * 1024;            // larger bodies are answered 413 without being read
    std::size_t header_limit = 16 * 1024;            // larger headers are answered 431
    std::chrono::milliseconds read_timeout{30'000};  // to receive a whole request; slower clients are dropped
    std::chrono::milliseconds write_timeout{30'000};  // to send a whole response
    std::chrono::milliseconds idle_timeout{60'000};   // keep-alive wait for the next request
    std::size_t max_connections = 1024;               // further connections get 503 and are closed
    std::size_t websocket_message_limit = 64 * 1024;  // larger WebSocket messages: closed with 1009
    // Origins (scheme://host[:port]) whose pages may open WebSocket connections; empty: only pages
    // served from the same host and port as the request's Host header; "*": any. Requests without
    // an Origin header (not a browser) are always let through. Others get 403.
    std::vector<std::string> websocket_allowed_origins{};
};

class HttpServer {
public:
    // Registers its metrics in `metrics`, which must outlive the server and every connection.
    HttpServer(asio::any_io_executor ex, HttpServerOptions options, Router router,
               metrics::Registry& metrics);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Binds and listens. Returns the bound endpoint (with the chosen port when options.port is 0),
    // or the bind error (address in use, permission denied, …). Call once, before start().
    boost::system::result<asio::ip::tcp::endpoint> listen();

    // Starts accepting connections. Call once after a successful listen(). Thread-safe.
    void start();

    // Graceful stop: stops accepting, closes idle keep-alive connections, sends open WebSockets a
    // close frame with 1001 (going away), lets requests in flight finish and answer (with
    // Connection: close) within `grace`, then closes whatever is left.
    // Completes once every connection has ended, or 1 s after the forced close at the latest.
    // Thread-safe; call once.
    asio::awaitable<void> stop(std::chrono::milliseconds grace);

    // Connections currently open. Thread-safe.
    std::size_t open_connections() const;

private:
    struct Shared;
    std::shared_ptr<Shared> shared_;
};

}  // namespace anju::net
