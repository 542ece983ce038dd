// WebSocket routes of HttpServer on loopback: a Beast WebSocket client on 127.0.0.1 talks to the
// real server running on its own threads, as in production.
#include "bot/net/websocket.hpp"

#include "bot/net/http_server.hpp"
#include "tests/support/async.hpp"
#include "tests/support/raw_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <map>
#include <thread>

namespace anju::net {
namespace {

using namespace std::chrono_literals;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using testing::RawClient;
using testing::status_of;

// A WebSocket client on its own io_context, driven from the test thread; every call has a cap.
class WsClient {
public:
    explicit WsClient(std::uint16_t port) : port_(port) {}

    // Connects and asks for the upgrade; returns the HTTP status of the answer (101 when upgraded).
    int connect(const std::string& target, const std::string& origin = {}) {
        return testing::run_coro(ioc_, do_connect(target, origin), 5s);
    }

    bool send(std::string text) { return testing::run_coro(ioc_, do_send(std::move(text)), 5s); }

    // The next text message, or nullopt once the connection closed (close_code() says how).
    std::optional<std::string> read(std::chrono::milliseconds cap = 5s) {
        return testing::run_coro(ioc_, do_read(), cap);
    }

    // The close code the server sent, once read() returned nullopt.
    int close_code() const { return static_cast<int>(ws_.reason().code); }

    // Closes the TCP connection without a close frame, as a browser tab that crashed.
    void drop() {
        boost::system::error_code ec;
        beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ec);
        beast::get_lowest_layer(ws_).close();
    }

private:
    asio::awaitable<int> do_connect(std::string target, std::string origin) {
        auto& lowest = beast::get_lowest_layer(ws_);
        const tcp::endpoint server(asio::ip::make_address("127.0.0.1"), port_);
        co_await lowest.async_connect(server, asio::use_awaitable);
        ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
        if (!origin.empty()) {
            ws_.set_option(websocket::stream_base::decorator(
                [origin](websocket::request_type& req) { req.set(http::field::origin, origin); }));
        }
        websocket::response_type res;
        const auto host = "127.0.0.1:" + std::to_string(port_);
        auto [ec] = co_await ws_.async_handshake(res, host, target, asio::as_tuple(asio::use_awaitable));
        if (ec && res.result_int() == 0) {
            co_return -1;  // no answer at all
        }
        co_return static_cast<int>(res.result_int());
    }

    asio::awaitable<bool> do_send(std::string text) {
        auto [ec, n] = co_await ws_.async_write(asio::buffer(text), asio::as_tuple(asio::use_awaitable));
        co_return !ec;
    }

    asio::awaitable<std::optional<std::string>> do_read() {
        beast::flat_buffer buffer;
        auto [ec, n] = co_await ws_.async_read(buffer, asio::as_tuple(asio::use_awaitable));
        if (ec) {
            co_return std::nullopt;
        }
        co_return beast::buffers_to_string(buffer.data());
    }

    std::uint16_t port_;
    asio::io_context ioc_;
    websocket::stream<beast::tcp_stream> ws_{ioc_};
};

asio::awaitable<void> echo(ServerRequest, WebSocket ws) {
    while (auto text = co_await ws.receive()) {
        auto answer = "echo: " + *text;
        if (!co_await ws.send(std::move(answer))) {
            break;
        }
    }
}

asio::awaitable<void> room(ServerRequest request, WebSocket ws) {
    auto hello = "room=" + std::string(request.param("room"));
    co_await ws.send(std::move(hello));
    co_await echo(std::move(request), ws);
}

// Long enough that two writers interleaving on the wire would corrupt frames.
std::string burst_message(char writer, int i) {
    std::string text = std::string(1, writer) + "-" + std::to_string(i) + ":";
    for (int k = 0; k < 200; ++k) {
        text += "电梯";
    }
    return text;
}

asio::awaitable<void> send_many(WebSocket ws, char writer) {
    for (int i = 0; i < 100; ++i) {
        auto text = burst_message(writer, i);
        co_await ws.send(std::move(text));
    }
}

// On "go", two coroutines on the io_context (not the connection's strand) send 100 messages each.
asio::awaitable<void> burst(ServerRequest, WebSocket ws) {
    while (auto text = co_await ws.receive()) {
        if (*text != "go") {
            continue;
        }
        auto ex = co_await asio::this_coro::executor;
        auto a = asio::co_spawn(ex, send_many(ws, 'a'), asio::deferred);
        auto b = asio::co_spawn(ex, send_many(ws, 'b'), asio::deferred);
        co_await asio::experimental::make_parallel_group(std::move(a), std::move(b))
            .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
        co_await ws.send("done");
    }
}

asio::awaitable<Response> plain(ServerRequest) { co_return make_response(http::status::ok, "plain page"); }

class WebSocketTest : public ::testing::Test {
protected:
    void start(HttpServerOptions options = {}) {
        options.address = "127.0.0.1";
        options.port = 0;
        Router router;
        router.add_websocket("/ws/echo", echo);
        router.add_websocket("/ws/rooms/{room}", room);
        router.add_websocket("/ws/burst", burst);
        router.add_websocket("/ws/track",
                             [this](ServerRequest r, WebSocket ws) { return track(std::move(r), ws); });
        router.add(http::verb::get, "/plain", plain);
        server_ = std::make_unique<HttpServer>(ioc_.get_executor(), options, std::move(router), metrics_);
        auto bound = server_->listen();
        ASSERT_TRUE(bound) << bound.error().message();
        port_ = bound->port();
        server_->start();
        for (unsigned i = 0; i < std::max(2U, testing::test_io_threads()); ++i) {
            threads_.emplace_back([this] { ioc_.run(); });
        }
    }

    void TearDown() override {
        if (server_ && !stopped_) {
            stop_server(1s);
        }
        work_.reset();
        ioc_.stop();
        for (auto& t : threads_) {
            t.join();
        }
    }

    std::future<void> stop_server_async(std::chrono::milliseconds grace) {
        stopped_ = true;
        return asio::co_spawn(ioc_, server_->stop(grace), asio::use_future);
    }
    void stop_server(std::chrono::milliseconds grace) {
        auto done = stop_server_async(grace);
        ASSERT_EQ(done.wait_for(10s), std::future_status::ready);
        done.get();
    }

    // Echoes, and counts handlers that saw their connection end.
    asio::awaitable<void> track(ServerRequest r, WebSocket ws) {
        co_await echo(std::move(r), ws);
        ended_.fetch_add(1);
    }

    bool eventually(const std::function<bool()>& done, std::chrono::milliseconds cap = 5s) {
        const auto deadline = std::chrono::steady_clock::now() + cap;
        while (!done()) {
            if (std::chrono::steady_clock::now() > deadline) {
                return false;
            }
            std::this_thread::sleep_for(2ms);
        }
        return true;
    }

    bool metric_has(const std::string& line) { return metrics_.render().find(line) != std::string::npos; }

    metrics::Registry metrics_;
    asio::io_context ioc_;
    asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(ioc_);
    std::unique_ptr<HttpServer> server_;
    std::uint16_t port_ = 0;
    std::vector<std::thread> threads_;
    bool stopped_ = false;
    std::atomic<int> ended_{0};
};

TEST_F(WebSocketTest, EchoesChineseTextBothWays) {
    start();
    WsClient client(port_);
    ASSERT_EQ(client.connect("/ws/echo"), 101);
    ASSERT_TRUE(client.send("3号楼电梯坏了，有人被困"));
    EXPECT_EQ(client.read(), "echo: 3号楼电梯坏了，有人被困");
    ASSERT_TRUE(client.send("谢谢"));
    EXPECT_EQ(client.read(), "echo: 谢谢");
    EXPECT_EQ(server_->open_connections(), 1U);
    EXPECT_TRUE(metric_has("http_websocket_connections 1"));
    EXPECT_TRUE(metric_has("http_websocket_messages_total{route=\"/ws/echo\",direction=\"in\"} 2"));
    // The server counts a message once its write completed, which may trail the client's read.
    EXPECT_TRUE(eventually(
        [&] { return metric_has("http_websocket_messages_total{route=\"/ws/echo\",direction=\"out\"} 2"); }));
    EXPECT_TRUE(metric_has("http_requests_total{method=\"GET\",route=\"/ws/echo\",status=\"101\"} 1"));
}

TEST_F(WebSocketTest, ConcurrentSendersEachGetEveryMessageThroughIntactAndInOrder) {
    start();
    WsClient client(port_);
    ASSERT_EQ(client.connect("/ws/burst"), 101);
    ASSERT_TRUE(client.send("go"));
    std::map<char, int> next{{'a', 0}, {'b', 0}};
    int received = 0;
    for (;;) {
        auto text = client.read();
        ASSERT_TRUE(text);
        if (*text == "done") {
            break;
        }
        const char writer = text->front();
        ASSERT_TRUE(writer == 'a' || writer == 'b') << text->substr(0, 20);
        EXPECT_EQ(*text, burst_message(writer, next[writer]));
        ++next[writer];
        ++received;
    }
    EXPECT_EQ(received, 200);
    EXPECT_EQ(next['a'], 100);
    EXPECT_EQ(next['b'], 100);
}

TEST_F(WebSocketTest, AMessageOverTheLimitClosesWith1009) {
    start(HttpServerOptions{.websocket_message_limit = 1024});
    WsClient client(port_);
    ASSERT_EQ(client.connect("/ws/track"), 101);
    ASSERT_TRUE(client.send(std::string(1000, 'x')));
    EXPECT_EQ(client.read(), "echo: " + std::string(1000, 'x'));
    ASSERT_TRUE(client.send(std::string(1025, 'x')));
    EXPECT_EQ(client.read(), std::nullopt);
    EXPECT_EQ(client.close_code(), 1009);
    EXPECT_TRUE(eventually([&] { return ended_.load() == 1; }));
    EXPECT_TRUE(eventually([&] { return server_->open_connections() == 0; }));
}

TEST_F(WebSocketTest, APlainGetOnAWebSocketRouteGets426) {
    start();
    RawClient c(port_);
    ASSERT_TRUE(c.send("GET /ws/echo HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    const auto response = c.read_response(2s);
    EXPECT_EQ(status_of(response), 426);
    EXPECT_EQ(testing::header_of(response, "Upgrade"), "websocket");
    // Other methods are not allowed there at all.
    ASSERT_TRUE(c.send("POST /ws/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n"));
    EXPECT_EQ(status_of(c.read_response(2s)), 405);
}

TEST_F(WebSocketTest, AnUpgradeToAPlainRouteIsServedAsHttp) {
    start();
    WsClient client(port_);
    EXPECT_EQ(client.connect("/plain"), 200);
}

TEST_F(WebSocketTest, PagesFromAnotherHostAreRefusedWith403) {
    start();
    WsClient evil(port_);
    EXPECT_EQ(evil.connect("/ws/echo", "http://evil.example"), 403);
    WsClient same_host(port_);
    EXPECT_EQ(same_host.connect("/ws/echo", "http://127.0.0.1:" + std::to_string(port_)), 101);
    WsClient other_port(port_);
    EXPECT_EQ(other_port.connect("/ws/echo", "http://127.0.0.1:1"), 403);
    WsClient no_origin(port_);  // not a browser
    EXPECT_EQ(no_origin.connect("/ws/echo"), 101);
}

TEST_F(WebSocketTest, AllowedOriginsAreConfigurable) {
    start(HttpServerOptions{.websocket_allowed_origins = {"https://chat.example.com"}});
    WsClient allowed(port_);
    EXPECT_EQ(allowed.connect("/ws/echo", "https://chat.example.com"), 101);
    WsClient same_host(port_);  // the list replaces the same-host rule
    EXPECT_EQ(same_host.connect("/ws/echo", "http://127.0.0.1:" + std::to_string(port_)), 403);
}

TEST_F(WebSocketTest, StopSendsGoingAwayAndCompletes) {
    start();
    WsClient client(port_);
    ASSERT_EQ(client.connect("/ws/track"), 101);
    ASSERT_TRUE(client.send("hi"));
    ASSERT_EQ(client.read(), "echo: hi");
    const auto began = std::chrono::steady_clock::now();
    auto stopped = stop_server_async(3s);
    EXPECT_EQ(client.read(), std::nullopt);
    EXPECT_EQ(client.close_code(), 1001);
    ASSERT_EQ(stopped.wait_for(5s), std::future_status::ready);
    stopped.get();
    EXPECT_LT(std::chrono::steady_clock::now() - began, 3s);  // not the grace: the close was answered
    EXPECT_EQ(ended_.load(), 1);
    EXPECT_EQ(server_->open_connections(), 0U);
    EXPECT_TRUE(metric_has("http_websocket_connections 0"));
}

TEST_F(WebSocketTest, RouteParametersReachTheHandler) {
    start();
    WsClient client(port_);
    ASSERT_EQ(client.connect("/ws/rooms/%E4%B8%89%E5%8F%B7%E6%A5%BC"), 101);
    EXPECT_EQ(client.read(), "room=三号楼");
    ASSERT_TRUE(client.send("在吗"));
    EXPECT_EQ(client.read(), "echo: 在吗");
}

TEST_F(WebSocketTest, AClientThatVanishesEndsItsHandler) {
    start();
    {
        WsClient client(port_);
        ASSERT_EQ(client.connect("/ws/track"), 101);
        ASSERT_TRUE(client.send("hi"));
        ASSERT_EQ(client.read(), "echo: hi");
        client.drop();
    }
    EXPECT_TRUE(eventually([&] { return ended_.load() == 1; }));
    EXPECT_TRUE(eventually([&] { return server_->open_connections() == 0; }));
    EXPECT_TRUE(eventually([&] { return metric_has("http_websocket_connections 0"); }));
}

}  // namespace
}  // namespace anju::net
