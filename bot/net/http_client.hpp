// The outbound HTTP seam. Platform adapters (WeChat, WeCom, …) send their API calls through this
// interface, never through Beast directly, so tests can point them at loopback fakes or script
// failures with FakeHttpClient. Base URLs come from config.
#pragma once

#include "bot/core/fwd.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace anju::net {

using Headers = std::vector<std::pair<std::string, std::string>>;

// The first value of a header, compared case-insensitively by name.
std::optional<std::string_view> find_header(const Headers& headers, std::string_view name);

struct HttpRequest {
    std::string method = "GET";  // GET, POST, PUT, DELETE, HEAD, PATCH
    std::string url;             // http://… or https://…; the query may carry tokens: never log it
    Headers headers{};           // Host, Content-Length and User-Agent are added when absent
    std::string body{};
    std::chrono::milliseconds timeout{10'000};  // whole exchange: resolve, connect, TLS, write, read
};

struct HttpResponse {
    int status = 0;
    Headers headers{};
    std::string body{};

    std::optional<std::string_view> header(std::string_view name) const { return find_header(headers, name); }
};

class HttpClient {
public:
    virtual ~HttpClient() = default;

    // Sends one request. Transport failures (bad URL, resolve, connect, TLS, timeout, oversized or
    // malformed response) are errors from anju::net::errc; every HTTP status, 4xx/5xx included, is
    // a successful result. Thread-safe; resumes on the caller's executor.
    virtual asio::awaitable<boost::system::result<HttpResponse>> send(HttpRequest request) = 0;
};

// Splits a URL for display in logs and errors: scheme://host:port/path with the query and any
// user-info removed, since queries carry access tokens.
std::string redact_url(std::string_view url);

}  // namespace anju::net
