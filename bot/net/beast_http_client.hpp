// The production HttpClient: HTTP/1.1 over plain TCP or TLS with Boost.Beast, one deadline per
// request covering every stage (resolve, connect, TLS handshake, write, read).
#pragma once

#include "bot/net/fwd.hpp"
#include "bot/net/http_client.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ssl/context.hpp>

#include <cstddef>
#include <string>

namespace anju::net {

// "anju/<version>", the default User-Agent.
std::string default_user_agent();

struct BeastHttpClientOptions {
    std::size_t max_response_bytes = std::size_t{8} * 1024 * 1024;  // body limit; larger → response_too_large
    std::string user_agent = default_user_agent();                  // sent unless the request has one
};

// Sends each request on a fresh connection (no reuse yet: send() opens, exchanges and closes, so a
// per-host pool can later sit between those steps without changing the interface).
//
// Errors (anju::net::errc): invalid_url for a URL parse_url rejects or a method other than GET, POST,
// PUT, DELETE, HEAD or PATCH; resolve_failed; connection_refused when every address refused;
// connect_failed for other connect failures; tls_failed for handshake or certificate failures
// (verify_peer plus host-name verification, SNI for names); timeout once request.timeout has passed,
// whatever the stage; response_too_large when the body exceeds max_response_bytes; protocol_error
// for a malformed response or a peer closing mid-response. Every HTTP status is a success.
//
// Thread-safe: requests share nothing but the ssl::context, which they only read. The context must
// outlive the client and every request in flight. Sockets are created on `ex`; each send() resumes on
// its caller's executor.
class BeastHttpClient final : public HttpClient {
public:
    BeastHttpClient(asio::any_io_executor ex, ssl::context& tls, BeastHttpClientOptions options = {});

    asio::awaitable<boost::system::result<HttpResponse>> send(HttpRequest request) override;

private:
    asio::any_io_executor ex_;
    ssl::context& tls_;
    BeastHttpClientOptions options_;
};

}  // namespace anju::net
