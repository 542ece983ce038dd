#include "tests/support/loopback_server.hpp"

#include "bot/core/log.hpp"
#include "bot/net/fwd.hpp"
#include "bot/net/tls.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <atomic>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>

namespace anju::testing {
namespace {

using tcp = asio::ip::tcp;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

const log::Logger loopback_log{"loopback_server"};

// Per read, write and handshake; idle keep-alive connections are closed by the destructor anyway.
constexpr auto kIoTimeout = std::chrono::seconds(30);
constexpr std::uint64_t kBodyLimit = std::uint64_t{64} * 1024 * 1024;

net::HttpRequest to_http_request(Request& request) {
    net::HttpRequest received;
    received.method = std::string(request.method_string());
    received.url = std::string(request.target());
    for (const auto& field : request) {
        received.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    received.body = std::move(request.body());
    return received;
}

Response to_response(LoopbackResponse reply, const Request& request) {
    Response response;
    response.version(request.version());
    response.result(static_cast<unsigned>(reply.status));
    for (const auto& [name, value] : reply.headers) {
        response.insert(name, value);
    }
    if (!net::find_header(reply.headers, "Connection")) {
        response.keep_alive(request.keep_alive());
    }
    if (request.method() == http::verb::head) {
        // A HEAD response announces the length of the body a GET would get, and sends none.
        response.content_length(reply.body.size());
    } else {
        response.body() = std::move(reply.body);
        response.prepare_payload();
    }
    return response;
}

}  // namespace

struct LoopbackServer::State {
    State(Handler h, const LoopbackOptions& options);

    asio::awaitable<void> accept_loop();
    asio::awaitable<void> serve_plain(tcp::socket socket);
    asio::awaitable<void> serve_tls(tcp::socket socket);
    template <class Stream>
    asio::awaitable<void> session(Stream& stream);
    LoopbackResponse respond(const net::HttpRequest& request);
    void stop();

    // Declaration order matters for destruction: everything a leftover coroutine frame touches
    // (tls_context, sessions) must outlive `io`, which destroys such frames.
    Handler handler;
    std::optional<ssl::context> tls_context;
    std::atomic<std::size_t> connections{0};
    mutable std::mutex mutex;
    std::vector<net::HttpRequest> requests;  // guarded by mutex

    // Server thread only: how to abort each live session (close its socket, cancel its delay).
    bool stopping = false;
    std::uint64_t next_session = 0;
    std::map<std::uint64_t, std::function<void()>> sessions;

    asio::io_context io{1};
    tcp::acceptor acceptor{io};
    std::uint16_t port = 0;
    std::thread thread;
};

LoopbackServer::State::State(Handler h, const LoopbackOptions& options) : handler(std::move(h)) {
    if (options.tls) {
        tls_context.emplace(net::make_server_tls_context(options.cert_pem, options.key_pem));
    }
    const tcp::endpoint endpoint(asio::ip::address_v4::loopback(), 0);
    acceptor.open(endpoint.protocol());
    acceptor.bind(endpoint);
    acceptor.listen();
    port = acceptor.local_endpoint().port();
}

asio::awaitable<void> LoopbackServer::State::accept_loop() {
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
        if (stopping || !acceptor.is_open()) {
            co_return;
        }
        if (ec) {
            ANJU_LOG_WARN(loopback_log) << "accept failed" << kv("error", ec.message());
            continue;
        }
        connections.fetch_add(1);
        if (tls_context) {
            asio::co_spawn(io, serve_tls(std::move(socket)),
                           log::LogFailure(loopback_log, "loopback connection"));
        } else {
            asio::co_spawn(io, serve_plain(std::move(socket)),
                           log::LogFailure(loopback_log, "loopback connection"));
        }
    }
}

asio::awaitable<void> LoopbackServer::State::serve_plain(tcp::socket socket) {
    PlainStream stream(std::move(socket));
    co_await session(stream);
}

asio::awaitable<void> LoopbackServer::State::serve_tls(tcp::socket socket) {
    TlsStream stream(std::move(socket), *tls_context);
    co_await session(stream);
}

template <class Stream>
asio::awaitable<void> LoopbackServer::State::session(Stream& stream) {
    auto& socket = beast::get_lowest_layer(stream);
    asio::steady_timer delay(io);
    const auto id = next_session++;
    sessions.emplace(id, [&socket, &delay] {
        socket.close();
        delay.cancel();
    });
    // Runs however the coroutine ends, also when a leftover frame is destroyed with `io`.
    struct Unregister {
        State& state;
        std::uint64_t id;
        ~Unregister() { state.sessions.erase(id); }
    } unregister{*this, id};

    if constexpr (std::is_same_v<Stream, TlsStream>) {
        socket.expires_after(kIoTimeout);
        auto [handshake_ec] =
            co_await stream.async_handshake(ssl::stream_base::server, asio::as_tuple(asio::use_awaitable));
        if (handshake_ec) {
            // Expected in the tests where the client rejects our certificate.
            socket.close();
            co_return;
        }
    }

    beast::flat_buffer buffer;
    for (;;) {
        if (stopping) {
            break;
        }
        http::request_parser<http::string_body> parser;
        parser.body_limit(kBodyLimit);
        socket.expires_after(kIoTimeout);
        auto [read_ec, read] =
            co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
        if (read_ec) {
            break;  // the client closed the connection, went idle, sent garbage, or we are stopping
        }
        auto request = parser.release();
        auto received = to_http_request(request);
        auto reply = respond(received);
        if (reply.close_without_response) {
            break;
        }
        if (reply.delay > std::chrono::milliseconds::zero()) {
            delay.expires_after(reply.delay);
            auto [delay_ec] = co_await delay.async_wait(asio::as_tuple(asio::use_awaitable));
            if (delay_ec) {
                break;  // cancelled by the destructor
            }
        }
        auto response = to_response(std::move(reply), request);
        socket.expires_after(kIoTimeout);
        auto [write_ec, written] =
            co_await http::async_write(stream, response, asio::as_tuple(asio::use_awaitable));
        if (write_ec || !response.keep_alive()) {
            break;
        }
    }
    // A plain TCP close, also for TLS: tests do not need close_notify, and clients that expected a
    // response see the truncation they are meant to.
    boost::system::error_code ignored;
    socket.socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket.close();
}

LoopbackResponse LoopbackServer::State::respond(const net::HttpRequest& request) {
    {
        std::lock_guard lock(mutex);
        requests.push_back(request);
    }
    try {
        return handler(request);
    } catch (const std::exception& e) {
        ANJU_LOG_ERROR(loopback_log) << "loopback handler threw" << kv("what", e.what());
        LoopbackResponse failure;
        failure.status = 500;
        failure.body = std::string("loopback handler threw: ") + e.what();
        return failure;
    }
}

void LoopbackServer::State::stop() {
    stopping = true;
    boost::system::error_code ignored;
    acceptor.close(ignored);
    // Closing completes the sessions' pending operations later, through the io_context, so the map
    // is not modified while we walk it; the copy keeps that true even if that ever changes.
    const auto live = sessions;
    for (const auto& [id, abort] : live) {
        abort();
    }
}

LoopbackServer::LoopbackServer(Handler handler, LoopbackOptions options)
    : state_(std::make_unique<State>(std::move(handler), options)) {
    asio::co_spawn(state_->io, state_->accept_loop(), log::LogFailure(loopback_log, "loopback accept loop"));
    state_->thread = std::thread([state = state_.get()] { state->io.run(); });
}

// Stops gracefully: once the listener and every connection are closed and the delays cancelled, all
// coroutines finish and io.run() returns on its own, so nothing is destroyed mid-operation.
LoopbackServer::~LoopbackServer() {
    asio::post(state_->io, [state = state_.get()] { state->stop(); });
    state_->thread.join();
}

std::uint16_t LoopbackServer::port() const { return state_->port; }

std::string LoopbackServer::base_url() const {
    return std::string(state_->tls_context ? "https" : "http") +
           "://127.0.0.1:" + std::to_string(state_->port);
}

std::vector<net::HttpRequest> LoopbackServer::requests() const {
    std::lock_guard lock(state_->mutex);
    return state_->requests;
}

std::size_t LoopbackServer::connections_accepted() const { return state_->connections.load(); }

}  // namespace anju::testing
