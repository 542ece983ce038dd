// A real HTTP/1.1 server on 127.0.0.1 with an ephemeral port, for integration tests and the fake
// platforms built on it (WeChat, WeCom): a handler turns each received request into a response.
// It runs on its own thread and io_context, so tests may use it from any code, blocking or not.
#pragma once

#include "bot/net/http_client.hpp"
#include "tests/support/test_certs.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace anju::testing {

struct LoopbackResponse {
    int status = 200;
    net::Headers headers;  // sent as given; Content-Length is set from the body
    std::string body;
    std::chrono::milliseconds delay{0};   // wait this long (on a timer) before answering
    bool close_without_response = false;  // read the request, then close the connection
};

struct LoopbackOptions {
    bool tls = false;                            // serve HTTPS with the certificate below
    std::string_view cert_pem = kServerCertPem;  // signed by kTestCaPem
    std::string_view key_pem = kServerKeyPem;
};

class LoopbackServer {
public:
    // Called on the server thread for every request, in arrival order per connection, after the request
    // has been recorded. The request's url is the request target ("/path?query"). It should not block
    // (use LoopbackResponse::delay instead). If it throws a std::exception, the client gets a 500.
    using Handler = std::function<LoopbackResponse(const net::HttpRequest&)>;

    // Binds 127.0.0.1:0 and starts serving before returning. Throws if the socket or the TLS material
    // cannot be set up.
    explicit LoopbackServer(Handler handler, LoopbackOptions options = {});
    // Closes the listener and every connection, cancels pending delays and joins the thread.
    ~LoopbackServer();
    LoopbackServer(const LoopbackServer&) = delete;
    LoopbackServer& operator=(const LoopbackServer&) = delete;

    // The ephemeral port the server listens on. Thread-safe.
    std::uint16_t port() const;
    // "http://127.0.0.1:PORT" or "https://127.0.0.1:PORT", without a trailing slash.
    std::string base_url() const;
    // Every request received so far, in arrival order. Thread-safe.
    std::vector<net::HttpRequest> requests() const;
    // Connections accepted so far (keep-alive requests share one). Thread-safe.
    std::size_t connections_accepted() const;

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace anju::testing
