#include "bot/net/http_server.hpp"

#include "bot/core/log.hpp"
#include "bot/net/url.hpp"

#include <boost/algorithm/string/predicate.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <mutex>
#include <optional>
#include <random>
#include <unordered_map>

namespace anju::net {
namespace {

using tcp = asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

const log::Logger http_log{"http"};

constexpr auto kServerName = "anju/" ANJU_VERSION;
constexpr std::chrono::milliseconds kRejectTimeout{1000};
constexpr std::chrono::milliseconds kLingerTimeout{1000};
constexpr std::chrono::milliseconds kForcedCloseWait{1000};

// A request id that is unique in practice across restarts: a random per-process prefix and a counter.
std::string next_request_id() {
    static const auto prefix = [] {
        std::random_device rd;
        char buf[16];
        std::snprintf(buf, sizeof buf, "%08x", rd());
        return std::string(buf);
    }();
    static std::atomic<std::uint64_t> counter{0};
    return prefix + "-" + std::to_string(counter.fetch_add(1, std::memory_order_relaxed) + 1);
}

bool acceptable_request_id(std::string_view id) {
    if (id.empty() || id.size() > 64) {
        return false;
    }
    for (const char c : id) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        c == '-' || c == '_' || c == '.';
        if (!ok) {
            return false;
        }
    }
    return true;
}

// Half-closes, then reads and discards what the client is still sending for a short while before
// closing (nginx's "lingering close"): closing with unread data makes the kernel send a reset,
// which can destroy the error response before the client reads it.
asio::awaitable<void> lingering_close(beast::tcp_stream& stream) {
    boost::system::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream.expires_after(kLingerTimeout);
    char scratch[4096];
    while (!ec) {
        auto [rec, n] =
            co_await stream.async_read_some(asio::buffer(scratch), asio::as_tuple(asio::use_awaitable));
        ec = rec;
    }
    stream.close();
}

// "https://Example.com:443" → "example.com"; "http://h:8080" → "h:8080". Default ports are dropped so
// an Origin and a Host header that name the same place compare equal.
std::string origin_host(std::string_view origin) {
    std::string_view scheme = "http";
    if (const auto sep = origin.find("://"); sep != std::string_view::npos) {
        scheme = origin.substr(0, sep);
        origin.remove_prefix(sep + 3);
    }
    std::string host(origin.substr(0, origin.find('/')));
    for (auto& c : host) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    const std::string default_port = boost::algorithm::iequals(scheme, "https") ? ":443" : ":80";
    if (host.ends_with(default_port)) {
        host.resize(host.size() - default_port.size());
    }
    return host;
}

// Cross-site WebSocket hijacking guard: a browser always sends Origin on a WebSocket upgrade, so a
// page from another site is refused unless its origin is allowed. Clients without an Origin are
// not browsers and carry no ambient credentials of a user.
bool origin_allowed(const Request& request, const std::vector<std::string>& allowed) {
    const auto origin = request[http::field::origin];
    if (origin.empty()) {
        return true;
    }
    if (allowed.empty()) {
        return origin_host(origin) == origin_host(request[http::field::host]) &&
               !request[http::field::host].empty();
    }
    return std::any_of(allowed.begin(), allowed.end(), [origin](const std::string& a) {
        return a == "*" || boost::algorithm::iequals(a, origin);
    });
}

std::string allow_header(const std::vector<http::verb>& verbs) {
    std::string out;
    for (const auto v : verbs) {
        out += (out.empty() ? "" : ", ") + std::string(http::to_string(v));
        if (v == http::verb::get) {
            out += ", HEAD";
        }
    }
    return out;
}

}  // namespace

// State shared by the server object and its connection coroutines. Connections hold it by
// shared_ptr, so it outlives the HttpServer if a coroutine frame is destroyed late.
struct HttpServer::Shared : std::enable_shared_from_this<HttpServer::Shared> {
    Shared(asio::any_io_executor executor, HttpServerOptions o, Router r, metrics::Registry& metrics)
        : ex(std::move(executor)),
          options(std::move(o)),
          router(std::move(r)),
          acceptor(asio::make_strand(ex)),
          drained(ex, 1),
          requests(metrics.counter("http_requests_total",
                                   "HTTP requests answered, by method, route and status.",
                                   {"method", "route", "status"})),
          latency(metrics.histogram("http_request_duration_seconds",
                                    "Time from a complete request to the end of its response, by route.",
                                    {"route"}, metrics::latency_buckets())),
          open(metrics.gauge("http_open_connections", "HTTP connections currently open.").with({})),
          in_flight(metrics.gauge("http_requests_in_flight", "HTTP requests being handled.").with({})),
          rejected(metrics
                       .counter("http_connections_rejected_total",
                                "Connections answered 503 because max_connections were open.")
                       .with({})),
          dropped(metrics.counter("http_client_errors_total",
                                  "Requests refused or connections dropped for client faults, by reason.",
                                  {"reason"})),
          websockets(
              metrics.gauge("http_websocket_connections", "WebSocket connections currently open.").with({})),
          websocket_messages(metrics.counter("http_websocket_messages_total",
                                             "WebSocket text messages, by route and direction (in, out).",
                                             {"route", "direction"})) {}

    // A request to a WebSocket route that is to be upgraded, handed from handle() to the connection.
    struct Upgrade {
        ServerRequest request;
        const WsHandler* handler = nullptr;
    };

    class Connection;

    asio::awaitable<void> accept_loop();
    asio::awaitable<void> reject(tcp::socket socket);
    // Answers `request`, or for an acceptable upgrade to a WebSocket route fills `upgrade` and
    // returns 101 for the connection to carry out.
    asio::awaitable<Response> handle(ServerRequest request, std::optional<Upgrade>& upgrade);

    // Adds a connection unless stopping (then the caller closes it). Thread-safe.
    bool enter(std::uint64_t id, const std::shared_ptr<Connection>& c);
    void leave(std::uint64_t id);

    asio::any_io_executor ex;
    HttpServerOptions options;
    Router router;
    tcp::acceptor acceptor;
    asio::experimental::concurrent_channel<void(boost::system::error_code)> drained;

    std::mutex mutex;
    bool stopping = false;  // guarded by mutex; also mirrored in stopping_flag for cheap reads
    std::atomic<bool> stopping_flag{false};
    std::unordered_map<std::uint64_t, std::weak_ptr<Connection>> connections;
    std::atomic<std::size_t> count{0};
    std::uint64_t next_id = 0;

    metrics::Family<metrics::Counter>& requests;
    metrics::Family<metrics::Histogram>& latency;
    metrics::Gauge& open;
    metrics::Gauge& in_flight;
    metrics::Counter& rejected;
    metrics::Family<metrics::Counter>& dropped;
    metrics::Gauge& websockets;
    metrics::Family<metrics::Counter>& websocket_messages;
};

class HttpServer::Shared::Connection : public std::enable_shared_from_this<Connection> {
public:
    Connection(std::shared_ptr<Shared> shared, tcp::socket socket, std::uint64_t id)
        : shared_(std::move(shared)), strand_(socket.get_executor()), stream_(std::move(socket)), id_(id) {
        boost::system::error_code ec;
        remote_ = stream_.socket().remote_endpoint(ec);
    }

    asio::awaitable<void> run();

    // Thread-safe: both post to the connection's strand.
    // A WebSocket connection gets a close frame with 1001 instead.
    void close_if_idle() {
        asio::post(strand_, [self = shared_from_this()] {
            if (self->websocket_) {
                if (self->websocket_accepted_) {
                    detail::websocket_going_away(self->websocket_);
                }
            } else if (self->idle_) {
                self->stream_.cancel();
            }
        });
    }
    void force_close() {
        asio::post(strand_, [self = shared_from_this()] {
            if (self->websocket_) {
                detail::websocket_abort(self->websocket_);
                return;
            }
            boost::system::error_code ec;
            self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
            self->stream_.close();
        });
    }

private:
    asio::awaitable<bool> serve_one(beast::flat_buffer& buffer, bool first);
    // Accepts the upgrade and runs the route's handler; the stream then belongs to the WebSocket.
    asio::awaitable<void> serve_websocket(Upgrade upgrade);
    asio::awaitable<void> send_error(http::status status, std::string_view reason, std::string body,
                                     unsigned version);
    void count_drop(std::string_view reason) { shared_->dropped.with({std::string(reason)}).inc(); }

    std::shared_ptr<Shared> shared_;
    asio::any_io_executor strand_;  // the connection's strand, also after stream_ moved to a WebSocket
    beast::tcp_stream stream_;      // moved from once websocket_ is set
    std::uint64_t id_;
    tcp::endpoint remote_;
    bool idle_ = true;  // waiting for a new request; touched only on the strand
    // Set when the connection became a WebSocket, and when its handshake succeeded; strand only.
    std::shared_ptr<WebSocket::Impl> websocket_;
    bool websocket_accepted_ = false;
};

bool HttpServer::Shared::enter(std::uint64_t id, const std::shared_ptr<Connection>& c) {
    std::lock_guard lock(mutex);
    if (stopping) {
        return false;
    }
    connections.emplace(id, c);
    count.fetch_add(1, std::memory_order_relaxed);
    open.inc();
    return true;
}

void HttpServer::Shared::leave(std::uint64_t id) {
    bool signal = false;
    {
        std::lock_guard lock(mutex);
        if (connections.erase(id) == 0) {
            return;
        }
        signal = count.fetch_sub(1, std::memory_order_relaxed) == 1 && stopping;
    }
    open.dec();
    if (signal) {
        drained.try_send(boost::system::error_code{});
    }
}

asio::awaitable<void> HttpServer::Shared::Connection::run() {
    beast::flat_buffer buffer;
    bool first = true;
    while (!shared_->stopping_flag.load(std::memory_order_relaxed)) {
        const bool keep_alive = co_await serve_one(buffer, first);
        first = false;
        if (!keep_alive) {
            break;
        }
    }
    if (!websocket_) {
        boost::system::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
        stream_.close();
    }
    shared_->leave(id_);
}

asio::awaitable<void> HttpServer::Shared::Connection::serve_websocket(Upgrade upgrade) {
    detail::WebSocketSetup setup;
    setup.message_limit = shared_->options.websocket_message_limit;
    setup.server_name = kServerName;
    setup.route = upgrade.request.route;
    setup.open = &shared_->websockets;
    setup.messages = &shared_->websocket_messages;
    auto impl = detail::make_websocket(std::move(stream_), remote_, std::move(setup));
    websocket_ = impl;
    auto handshake = upgrade.request.message;
    if (!co_await detail::accept_websocket(impl, std::move(handshake))) {
        co_await detail::finish_websocket(impl);
        co_return;
    }
    websocket_accepted_ = true;
    if (shared_->stopping_flag.load(std::memory_order_relaxed)) {
        // stop() ran during the handshake; its close_if_idle() saw no accepted socket yet.
        detail::websocket_going_away(impl);
    }
    const auto route = upgrade.request.route;
    WebSocket socket(impl);
    bool failed = false;
    try {
        auto session = (*upgrade.handler)(std::move(upgrade.request), socket);
        co_await std::move(session);
    } catch (const std::exception& e) {
        ANJU_LOG_ERROR(http_log) << "websocket handler failed" << kv("route", route) << kv("remote", remote_)
                                 << kv("error", e.what());
        failed = true;
    }
    if (failed) {
        co_await socket.close(beast::websocket::close_code::internal_error);
    }
    co_await detail::finish_websocket(impl);
}

asio::awaitable<void> HttpServer::Shared::Connection::send_error(http::status status, std::string_view reason,
                                                                 std::string body, unsigned version) {
    count_drop(reason);
    auto res = make_response(status, std::move(body));
    res.version(version);
    res.set(http::field::server, kServerName);
    res.keep_alive(false);
    res.prepare_payload();
    stream_.expires_after(shared_->options.write_timeout);
    auto [ec, n] = co_await http::async_write(stream_, res, asio::as_tuple(asio::use_awaitable));
    if (!ec) {
        co_await lingering_close(stream_);
    }
    shared_->requests.with({"-", "-", std::to_string(static_cast<unsigned>(status))}).inc();
    ANJU_LOG_DEBUG(http_log) << "request refused" << kv("status", static_cast<unsigned>(status))
                             << kv("reason", reason) << kv("remote", remote_)
                             << kv("write_error", ec.message());
}

// Reads one request, answers it, and says whether the connection may carry another.
asio::awaitable<bool> HttpServer::Shared::Connection::serve_one(beast::flat_buffer& buffer, bool first) {
    const auto& opts = shared_->options;
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(opts.header_limit));
    parser.body_limit(opts.body_limit);

    idle_ = true;
    stream_.expires_after(first ? opts.read_timeout : opts.idle_timeout);
    auto [ec, n] =
        co_await http::async_read_header(stream_, buffer, parser, asio::as_tuple(asio::use_awaitable));
    idle_ = false;
    if (ec) {
        if (ec == http::error::body_limit) {
            // Beast refuses a Content-Length above the limit while parsing the header, before any
            // of the body is read.
            co_await send_error(http::status::payload_too_large, "body_too_large",
                                "request body larger than " + std::to_string(opts.body_limit) + " bytes\n",
                                parser.get().version());
        } else if (ec == http::error::header_limit) {
            co_await send_error(http::status::request_header_fields_too_large, "header_too_large",
                                "request header too large\n", 11);
        } else if (ec == beast::error::timeout) {
            // A slow or silent client is dropped; the stream has already closed the socket. An idle
            // keep-alive connection expiring between requests is normal and not counted.
            if (first || buffer.size() > 0) {
                count_drop("read_timeout");
            }
        } else if (ec != http::error::end_of_stream && ec != asio::error::operation_aborted &&
                   ec != asio::error::connection_reset && ec != asio::error::eof &&
                   ec != http::error::partial_message) {
            co_await send_error(http::status::bad_request, "bad_request", "malformed HTTP request\n", 11);
        }
        co_return false;
    }

    const auto version = parser.get().version();
    if (!parser.is_done()) {
        if (boost::algorithm::iequals(parser.get()[http::field::expect], "100-continue")) {
            http::response<http::empty_body> cont{http::status::continue_, version};
            stream_.expires_after(opts.write_timeout);
            auto [cec, cn] = co_await http::async_write(stream_, cont, asio::as_tuple(asio::use_awaitable));
            if (cec) {
                co_return false;
            }
        }
        stream_.expires_after(opts.read_timeout);
        auto [bec, bn] =
            co_await http::async_read(stream_, buffer, parser, asio::as_tuple(asio::use_awaitable));
        if (bec == http::error::body_limit) {
            co_await send_error(http::status::payload_too_large, "body_too_large",
                                "request body larger than " + std::to_string(opts.body_limit) + " bytes\n",
                                version);
            co_return false;
        }
        if (bec == beast::error::timeout) {
            count_drop("read_timeout");
            co_return false;
        }
        if (bec) {
            if (bec != asio::error::operation_aborted && bec != asio::error::connection_reset &&
                bec != http::error::end_of_stream && bec != http::error::partial_message) {
                co_await send_error(http::status::bad_request, "bad_request", "malformed HTTP request body\n",
                                    version);
            }
            co_return false;
        }
    }
    stream_.expires_never();

    ServerRequest request;
    request.message = parser.release();
    const bool is_head = request.message.method() == http::verb::head;
    const bool client_keep_alive = request.message.keep_alive();
    request.remote = remote_;

    std::optional<Upgrade> upgrade;
    Response res = co_await shared_->handle(std::move(request), upgrade);
    if (upgrade) {
        if (!shared_->stopping_flag.load(std::memory_order_relaxed)) {
            co_await serve_websocket(std::move(*upgrade));
            co_return false;
        }
        res = make_response(http::status::service_unavailable, "server stopping\n");
    }

    const bool keep_alive = client_keep_alive && !shared_->stopping_flag.load(std::memory_order_relaxed);
    res.version(version);
    res.keep_alive(keep_alive);
    res.set(http::field::server, kServerName);
    res.prepare_payload();
    if (is_head) {
        res.body().clear();  // Content-Length keeps the size a GET would have sent
    }
    stream_.expires_after(opts.write_timeout);
    auto [wec, wn] = co_await http::async_write(stream_, res, asio::as_tuple(asio::use_awaitable));
    if (wec) {
        count_drop(wec == beast::error::timeout ? "write_timeout" : "write_failed");
        co_return false;
    }
    co_return keep_alive;
}

asio::awaitable<Response> HttpServer::Shared::handle(ServerRequest request, std::optional<Upgrade>& upgrade) {
    const auto started = std::chrono::steady_clock::now();
    in_flight.inc();
    const auto target = std::string_view(request.message.target());
    const auto qmark = target.find('?');
    const auto raw_path = target.substr(0, qmark);
    request.query = qmark == std::string_view::npos ? std::string() : std::string(target.substr(qmark + 1));
    const auto id_header = request.message["X-Request-Id"];
    request.request_id = acceptable_request_id(id_header) ? std::string(id_header) : next_request_id();
    const auto method = request.message.method();
    const auto method_text = std::string(request.message.method_string());
    const auto request_id = request.request_id;

    Response res;
    std::string route = "-";
    if (raw_path.empty() || raw_path.front() != '/') {
        res = make_response(http::status::bad_request, "request target must be an absolute path\n");
    } else if (auto decoded = percent_decode(raw_path, false); !decoded) {
        res = make_response(http::status::bad_request, "malformed percent-encoding in path\n");
    } else {
        request.path = std::move(*decoded);
        auto match = router.match(method, raw_path);
        switch (match.outcome) {
            case Router::Outcome::not_found:
                res = make_response(http::status::not_found, "not found\n");
                break;
            case Router::Outcome::method_not_allowed:
                res = make_response(http::status::method_not_allowed, "method not allowed\n");
                res.set(http::field::allow, allow_header(match.allowed));
                break;
            case Router::Outcome::found: {
                route = match.route;
                request.route = match.route;
                request.params = std::move(match.params);
                if (match.websocket != nullptr) {
                    if (!beast::websocket::is_upgrade(request.message)) {
                        res = make_response(http::status::upgrade_required,
                                            "this URL takes WebSocket connections only\n");
                        res.set(http::field::upgrade, "websocket");
                        res.set(http::field::connection, "Upgrade");
                    } else if (!origin_allowed(request.message, options.websocket_allowed_origins)) {
                        res = make_response(http::status::forbidden, "origin not allowed\n");
                    } else {
                        res = Response{http::status::switching_protocols, 11};
                        upgrade.emplace(Upgrade{std::move(request), match.websocket});
                    }
                    break;
                }
                try {
                    res = co_await (*match.handler)(std::move(request));
                } catch (const std::exception& e) {
                    ANJU_LOG_ERROR(http_log) << "handler failed" << kv("route", route)
                                             << kv("request_id", request_id) << kv("error", e.what());
                    res = make_response(http::status::internal_server_error, "internal error\n");
                }
                break;
            }
        }
    }
    res.set("X-Request-Id", request_id);
    in_flight.dec();

    const auto status = res.result_int();
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
    requests.with({method_text, route, std::to_string(status)}).inc();
    latency.with({route}).observe(elapsed.count());
    if (status >= 500) {
        ANJU_LOG_WARN(http_log) << "request failed" << kv("method", method_text) << kv("route", route)
                                << kv("status", status) << kv("request_id", request_id);
    } else {
        ANJU_LOG_DEBUG(http_log) << "request served" << kv("method", method_text) << kv("route", route)
                                 << kv("status", status) << kv("ms", elapsed.count() * 1000)
                                 << kv("request_id", request_id);
    }
    co_return res;
}

asio::awaitable<void> HttpServer::Shared::reject(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    auto res = make_response(http::status::service_unavailable, "server busy, try again\n");
    res.set(http::field::server, kServerName);
    res.set(http::field::retry_after, "1");
    res.keep_alive(false);
    res.prepare_payload();
    stream.expires_after(kRejectTimeout);
    auto [ec, n] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
    if (!ec) {
        co_await lingering_close(stream);
    }
}

asio::awaitable<void> HttpServer::Shared::accept_loop() {
    auto self = shared_from_this();
    for (;;) {
        tcp::socket socket(asio::make_strand(ex));
        auto [ec] = co_await acceptor.async_accept(socket, asio::as_tuple(asio::use_awaitable));
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) {
            break;
        }
        if (ec) {
            // Out of file descriptors and the like: say so once per failure, and do not spin.
            ANJU_LOG_WARN(http_log) << "accept failed" << kv("category", ec.category().name())
                                    << kv("code", ec.value()) << kv("error", ec.message());
            asio::steady_timer pause(ex, std::chrono::milliseconds(100));
            co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
            continue;
        }
        const auto strand = socket.get_executor();
        if (count.load(std::memory_order_relaxed) >= options.max_connections) {
            rejected.inc();
            asio::co_spawn(strand, reject(std::move(socket)), log::LogFailure(http_log, "503 answer"));
            continue;
        }
        const auto id = ++next_id;
        auto connection = std::make_shared<Connection>(self, std::move(socket), id);
        if (!enter(id, connection)) {
            continue;  // stopping: the connection closes as it goes out of scope
        }
        asio::co_spawn(
            strand, [connection] { return connection->run(); },
            [self, id](const std::exception_ptr& e) {
                log::LogFailure(http_log, "connection")(e);
                if (e) {
                    self->leave(id);
                }
            });
    }
    ANJU_LOG_INFO(http_log) << "stopped accepting connections";
}

HttpServer::HttpServer(asio::any_io_executor ex, HttpServerOptions options, Router router,
                       metrics::Registry& metrics)
    : shared_(std::make_shared<Shared>(std::move(ex), std::move(options), std::move(router), metrics)) {}

HttpServer::~HttpServer() {
    // The accept loop and connections hold shared_; closing the acceptor is all that is needed
    // when stop() was not called (tests tearing down early). Not thread-safe with running I/O.
    boost::system::error_code ec;
    shared_->acceptor.close(ec);
}

boost::system::result<asio::ip::tcp::endpoint> HttpServer::listen() {
    auto& acceptor = shared_->acceptor;
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(shared_->options.address, ec);
    if (ec) {
        return ec;
    }
    const tcp::endpoint endpoint(address, shared_->options.port);
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) {
        acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
        acceptor.bind(endpoint, ec);
    }
    if (!ec) {
        acceptor.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        boost::system::error_code ignored;
        acceptor.close(ignored);
        return ec;
    }
    return acceptor.local_endpoint();
}

void HttpServer::start() {
    auto shared = shared_;
    asio::co_spawn(
        shared->acceptor.get_executor(), [shared] { return shared->accept_loop(); },
        log::LogFailure(http_log, "accept loop"));
}

std::size_t HttpServer::open_connections() const { return shared_->count.load(std::memory_order_relaxed); }

asio::awaitable<void> HttpServer::stop(std::chrono::milliseconds grace) {
    auto shared = shared_;
    asio::post(shared->acceptor.get_executor(), [shared] {
        boost::system::error_code ec;
        shared->acceptor.close(ec);
    });

    std::vector<std::shared_ptr<Shared::Connection>> live;
    {
        std::lock_guard lock(shared->mutex);
        shared->stopping = true;
        shared->stopping_flag.store(true, std::memory_order_relaxed);
        for (const auto& [id, weak] : shared->connections) {
            if (auto c = weak.lock()) {
                live.push_back(std::move(c));
            }
        }
    }
    ANJU_LOG_INFO(http_log) << "stopping" << kv("open_connections", live.size())
                            << kv("grace_ms", grace.count());
    for (const auto& c : live) {
        c->close_if_idle();
    }
    live.clear();

    auto ex = co_await asio::this_coro::executor;
    if (shared->count.load() > 0) {
        asio::steady_timer timer(ex, grace);
        co_await (shared->drained.async_receive(asio::as_tuple(asio::use_awaitable)) ||
                  timer.async_wait(asio::as_tuple(asio::use_awaitable)));
    }
    if (shared->count.load() > 0) {
        {
            std::lock_guard lock(shared->mutex);
            for (const auto& [id, weak] : shared->connections) {
                if (auto c = weak.lock()) {
                    live.push_back(std::move(c));
                }
            }
        }
        ANJU_LOG_WARN(http_log) << "closing connections still busy after the grace period"
                                << kv("connections", live.size());
        for (const auto& c : live) {
            c->force_close();
        }
        live.clear();
        asio::steady_timer timer(ex, kForcedCloseWait);
        co_await (shared->drained.async_receive(asio::as_tuple(asio::use_awaitable)) ||
                  timer.async_wait(asio::as_tuple(asio::use_awaitable)));
    }
    ANJU_LOG_INFO(http_log) << "stopped" << kv("open_connections", shared->count.load());
}

}  // namespace anju::net
