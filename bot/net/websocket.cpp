#include "bot/net/websocket.hpp"

#include "bot/core/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <boost/system/system_error.hpp>

#include <atomic>
#include <deque>
#include <exception>

namespace anju::net {

namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

const log::Logger ws_log{"websocket"};

// Bounds one write: a peer that stops reading while it keeps the connection alive (it still answers
// pings, so Beast's idle timeout never fires) would otherwise hold every queued send forever.
constexpr std::chrono::seconds kWriteTimeout{30};

std::atomic<std::uint64_t> next_socket_id{0};

}  // namespace

class WebSocket::Impl {
public:
    Impl(beast::tcp_stream stream, tcp::endpoint peer, detail::WebSocketSetup s)
        : ws(std::move(stream)),
          strand(ws.get_executor()),
          remote(std::move(peer)),
          id(next_socket_id.fetch_add(1, std::memory_order_relaxed) + 1),
          setup(std::move(s)),
          write_timer(strand) {
        if (setup.messages != nullptr) {
            received = &setup.messages->with({setup.route, "in"});
            sent = &setup.messages->with({setup.route, "out"});
        }
    }
    ~Impl() { uncount(); }
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    void count() {
        if (setup.open != nullptr && !counted) {
            counted = true;
            setup.open->inc();
        }
    }
    void uncount() {
        if (setup.open != nullptr && counted) {
            counted = false;
            setup.open->dec();
        }
    }

    // Closes the socket at once. On the strand.
    void shut() {
        open.store(false);
        broken = true;
        write_timer.cancel();
        auto& lowest = beast::get_lowest_layer(ws);
        boost::system::error_code ec;
        lowest.socket().shutdown(tcp::socket::shutdown_both, ec);
        lowest.close();
    }

    websocket::stream<beast::tcp_stream> ws;
    asio::any_io_executor strand;  // the connection's strand (the stream's executor)
    tcp::endpoint remote;
    std::uint64_t id;
    detail::WebSocketSetup setup;
    metrics::Counter* received = nullptr;
    metrics::Counter* sent = nullptr;
    std::atomic<bool> open{false};  // accepting sends: accepted, and neither closing nor closed

    // Touched only on the strand.
    asio::steady_timer write_timer;
    bool counted = false;
    bool closing = false;  // a close frame is queued or sent
    bool broken = false;   // the socket is closed or a write failed: nothing more can be written
    bool writing = false;  // a writer holds the turn
    std::deque<std::shared_ptr<asio::steady_timer>> waiting;  // writers waiting for the turn, in order
};

namespace {

using Impl = WebSocket::Impl;

// Runs `work` on the connection's strand and resumes the caller on its own executor with the result.
// The caller waits on a channel of its own, not on co_spawn's completion: cancelling the caller
// must not reach into the spawned frame (Boost 1.81 can emit that cancellation after the frame has
// finished; see adapters/common/strand_call.hpp for the same cure). The work always runs to its end.
template <class T>
asio::awaitable<T> run_on_strand(asio::any_io_executor strand, asio::awaitable<T> work) {
    using Answer = asio::experimental::concurrent_channel<void(boost::system::error_code, T)>;
    auto answer = std::make_shared<Answer>(co_await asio::this_coro::executor, 1);
    asio::co_spawn(strand, std::move(work), [answer](const std::exception_ptr& error, T value) {
        if (error) {
            log::LogFailure(ws_log, "websocket operation")(error);
        }
        answer->try_send(boost::system::error_code{}, std::move(value));
    });
    auto [ec, value] = co_await answer->async_receive(asio::as_tuple(asio::use_awaitable));
    if (ec) {
        throw boost::system::system_error(asio::error::operation_aborted);
    }
    co_return std::move(value);
}

asio::awaitable<void> run_on_strand(asio::any_io_executor strand, asio::awaitable<void> work) {
    using Answer = asio::experimental::concurrent_channel<void(boost::system::error_code)>;
    auto answer = std::make_shared<Answer>(co_await asio::this_coro::executor, 1);
    asio::co_spawn(strand, std::move(work), [answer](const std::exception_ptr& error) {
        log::LogFailure(ws_log, "websocket operation")(error);
        answer->try_send(boost::system::error_code{});
    });
    auto [ec] = co_await answer->async_receive(asio::as_tuple(asio::use_awaitable));
    if (ec) {
        throw boost::system::system_error(asio::error::operation_aborted);
    }
}

// Beast allows one write at a time; writers (and the close frame) take turns in the order they came.
asio::awaitable<void> acquire_turn(const std::shared_ptr<Impl>& self) {
    if (!self->writing) {
        self->writing = true;
        co_return;
    }
    auto turn = std::make_shared<asio::steady_timer>(self->strand, asio::steady_timer::time_point::max());
    self->waiting.push_back(turn);
    // Woken by release_turn() cancelling the timer; the turn is handed over, `writing` stays true.
    co_await turn->async_wait(asio::as_tuple(asio::use_awaitable));
}

void release_turn(const std::shared_ptr<Impl>& self) {
    if (self->waiting.empty()) {
        self->writing = false;
        return;
    }
    auto next = std::move(self->waiting.front());
    self->waiting.pop_front();
    next->cancel();
}

asio::awaitable<std::optional<std::string>> receive_on_strand(std::shared_ptr<Impl> self) {
    for (;;) {
        if (self->broken) {
            co_return std::nullopt;
        }
        beast::flat_buffer buffer;
        auto [ec, n] = co_await self->ws.async_read(buffer, asio::as_tuple(asio::use_awaitable));
        if (ec) {
            self->open.store(false);
            if (ec != websocket::error::closed) {
                // Timeouts, resets, protocol errors and messages over the limit (Beast has already
                // sent close 1009 for those) end the connection the same way.
                ANJU_LOG_DEBUG(ws_log) << "connection ended" << kv("remote", self->remote)
                                       << kv("route", self->setup.route) << kv("reason", ec.message());
            }
            co_return std::nullopt;
        }
        if (!self->ws.got_text()) {
            continue;  // the protocol is text; binary messages are ignored
        }
        if (self->received != nullptr) {
            self->received->inc();
        }
        co_return beast::buffers_to_string(buffer.data());
    }
}

asio::awaitable<bool> send_on_strand(std::shared_ptr<Impl> self, std::string text) {
    if (!self->open.load() || self->closing) {
        co_return false;
    }
    co_await acquire_turn(self);
    // A close queued after this message does not stop it; a broken socket does.
    if (self->broken) {
        release_turn(self);
        co_return false;
    }
    std::weak_ptr<Impl> weak = self;
    self->write_timer.expires_after(kWriteTimeout);
    self->write_timer.async_wait([weak](const boost::system::error_code& ec) {
        if (ec) {
            return;
        }
        if (auto expired = weak.lock()) {
            ANJU_LOG_INFO(ws_log) << "write timed out; closing" << kv("remote", expired->remote);
            expired->shut();
        }
    });
    auto [ec, n] = co_await self->ws.async_write(asio::buffer(text), asio::as_tuple(asio::use_awaitable));
    self->write_timer.cancel();
    if (ec) {
        self->open.store(false);
        self->broken = true;
    } else if (self->sent != nullptr) {
        self->sent->inc();
    }
    release_turn(self);
    co_return !ec;
}

asio::awaitable<void> close_on_strand(std::shared_ptr<Impl> self, websocket::close_code code,
                                      std::string reason) {
    if (self->closing || self->broken) {
        self->open.store(false);
        co_return;
    }
    self->closing = true;
    self->open.store(false);
    co_await acquire_turn(self);
    if (!self->broken) {
        // Sends the close frame; Beast then waits for the peer's answer (through a pending read, or
        // reading itself) within the handshake timeout.
        const websocket::close_reason why(code, reason);
        auto [ec] = co_await self->ws.async_close(why, asio::as_tuple(asio::use_awaitable));
        if (ec && ec != asio::error::operation_aborted) {
            ANJU_LOG_DEBUG(ws_log) << "close handshake failed" << kv("remote", self->remote)
                                   << kv("reason", ec.message());
        }
    }
    release_turn(self);
}

}  // namespace

asio::awaitable<std::optional<std::string>> WebSocket::receive() {
    auto work = receive_on_strand(impl_);
    co_return co_await run_on_strand(impl_->strand, std::move(work));
}

asio::awaitable<bool> WebSocket::send(std::string text) {
    auto work = send_on_strand(impl_, std::move(text));
    co_return co_await run_on_strand(impl_->strand, std::move(work));
}

asio::awaitable<void> WebSocket::close(websocket::close_code code, std::string reason) {
    auto work = close_on_strand(impl_, code, std::move(reason));
    co_await run_on_strand(impl_->strand, std::move(work));
}

bool WebSocket::is_open() const { return impl_->open.load(); }

std::uint64_t WebSocket::id() const { return impl_->id; }

const asio::ip::tcp::endpoint& WebSocket::remote() const { return impl_->remote; }

namespace detail {

std::shared_ptr<WebSocket::Impl> make_websocket(beast::tcp_stream stream, asio::ip::tcp::endpoint remote,
                                                WebSocketSetup setup) {
    return std::make_shared<WebSocket::Impl>(std::move(stream), std::move(remote), std::move(setup));
}

asio::awaitable<bool> accept_websocket(std::shared_ptr<WebSocket::Impl> impl,
                                       http::request<http::string_body> request) {
    auto& ws = impl->ws;
    // From here on the WebSocket's own timeouts apply (Beast: the lowest layer's must be off):
    // handshake and close within 30 s, a ping after 150 s of silence, closed after 300 s.
    beast::get_lowest_layer(ws).expires_never();
    ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    websocket::permessage_deflate deflate;
    deflate.server_enable = false;  // compression with secrets in the same message leaks them (CRIME)
    deflate.client_enable = false;
    ws.set_option(deflate);
    ws.read_message_max(impl->setup.message_limit);
    ws.set_option(
        websocket::stream_base::decorator([name = impl->setup.server_name](websocket::response_type& res) {
            res.set(http::field::server, name);
        }));
    auto [ec] = co_await ws.async_accept(request, asio::as_tuple(asio::use_awaitable));
    if (ec) {
        ANJU_LOG_DEBUG(ws_log) << "upgrade refused" << kv("remote", impl->remote)
                               << kv("route", impl->setup.route) << kv("reason", ec.message());
        impl->broken = true;
        co_return false;
    }
    impl->open.store(true);
    impl->count();
    co_return true;
}

asio::awaitable<void> finish_websocket(std::shared_ptr<WebSocket::Impl> impl) {
    if (!impl->closing && !impl->broken && impl->open.load()) {
        co_await close_on_strand(impl, websocket::close_code::normal, "");
    }
    impl->shut();
    impl->uncount();
}

void websocket_going_away(const std::shared_ptr<WebSocket::Impl>& impl) {
    asio::co_spawn(impl->strand, close_on_strand(impl, websocket::close_code::going_away, "server stopping"),
                   log::LogFailure(ws_log, "websocket close"));
}

void websocket_abort(const std::shared_ptr<WebSocket::Impl>& impl) {
    asio::post(impl->strand, [impl] { impl->shut(); });
}

}  // namespace detail
}  // namespace anju::net
