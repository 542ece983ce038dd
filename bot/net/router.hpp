// Maps (method, path) to a handler. Patterns are literal segments and `{name}` parameters, with an
// optional final `{name...}` that captures the rest of the path: "/wechat/mp/{id}",
// "/assets/{file...}". Matching is exact per segment; parameters are percent-decoded. A route may
// instead take WebSocket connections (add_websocket).
#pragma once

#include "bot/net/fwd.hpp"
#include "bot/net/websocket.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace anju::net {

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

using PathParams = std::vector<std::pair<std::string, std::string>>;

// A response with a body and Content-Type, for handlers.
Response make_response(http::status status, std::string body,
                       std::string_view content_type = "text/plain; charset=utf-8");

// What a handler receives. Owned by the handler's coroutine frame.
struct ServerRequest {
    Request message;
    std::string path;   // decoded path, without the query
    std::string query;  // raw query string, without '?'
    std::string route;  // the matched pattern, e.g. "/wechat/mp/{id}"
    PathParams params;  // path parameters of the matched pattern
    asio::ip::tcp::endpoint remote;
    std::string request_id;  // X-Request-Id from the client, or generated

    // A path parameter by name; empty if the pattern has none by that name.
    std::string_view param(std::string_view name) const;
};

// Handlers are coroutines; they must not throw for bad client input (answer 4xx instead). An
// exception is answered with 500 and logged.
using Handler = std::function<asio::awaitable<Response>(ServerRequest)>;

// A WebSocket route's handler: runs for the life of the connection, which the server has already
// upgraded; the connection is closed when it returns. An exception is logged and closes it with
// 1011. It must not throw for bad client input.
using WsHandler = std::function<asio::awaitable<void>(ServerRequest, WebSocket)>;

class Router {
public:
    // Adds a route. Throws std::invalid_argument on a malformed pattern or a duplicate
    // (method, pattern); routes are set up at start-up. Not thread-safe; read-only once serving.
    void add(http::verb method, std::string_view pattern, Handler handler);

    // Adds a WebSocket route (GET with an Upgrade: websocket header; same pattern syntax and errors
    // as add(), and it counts as the pattern's GET route). The server answers a plain GET on it
    // with 426 Upgrade Required.
    void add_websocket(std::string_view pattern, WsHandler handler);

    enum class Outcome { found, not_found, method_not_allowed };
    struct Match {
        Outcome outcome = Outcome::not_found;
        const Handler* handler = nullptr;      // null for a WebSocket route
        const WsHandler* websocket = nullptr;  // set for a WebSocket route
        std::string route;                     // the pattern that matched
        PathParams params;
        std::vector<http::verb> allowed;  // for method_not_allowed: the methods the path accepts
    };

    // Finds the handler for a request path (already without query). Literal segments win over
    // parameters when both match. HEAD falls back to the GET route. Thread-safe (const).
    Match match(http::verb method, std::string_view path) const;

private:
    struct Segment {
        std::string text;
        bool param = false;
        bool rest = false;
    };
    struct Route {
        http::verb method;
        std::string pattern;
        std::vector<Segment> segments;
        Handler handler;
        WsHandler websocket;
    };
    static std::optional<PathParams> match_segments(const Route& route,
                                                    const std::vector<std::string_view>& parts);

    std::vector<Route> routes_;
};

}  // namespace anju::net
