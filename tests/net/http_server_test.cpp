#include "bot/net/http_server.hpp"

#include "bot/net/beast_http_client.hpp"
#include "bot/net/tls.hpp"
#include "tests/support/async.hpp"
#include "tests/support/raw_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

namespace anju::net {
namespace {

using namespace std::chrono_literals;
using testing::body_of;
using testing::header_of;
using testing::RawClient;
using testing::status_of;

using Gate = asio::experimental::concurrent_channel<void(boost::system::error_code)>;

asio::awaitable<Response> echo(ServerRequest r) {
    std::string body = std::string(r.message.method_string()) + " " + r.path +
                       " id=" + std::string(r.param("id")) + " query=" + r.query +
                       " body=" + r.message.body();
    co_return make_response(http::status::ok, std::move(body));
}

asio::awaitable<Response> throws(ServerRequest) {
    throw std::runtime_error("handler bug");
    co_return Response{};
}

// Runs an HttpServer on its own io_context and threads, as in production, and talks to it over
// real sockets on 127.0.0.1 from the test thread.
class HttpServerTest : public ::testing::Test {
protected:
    void start(HttpServerOptions options = {}) {
        options.address = "127.0.0.1";
        options.port = 0;
        router_.add(http::verb::get, "/echo/{id}", echo);
        router_.add(http::verb::post, "/echo/{id}", echo);
        router_.add(http::verb::get, "/throw", throws);
        router_.add(http::verb::get, "/slow", [this](ServerRequest) { return slow(); });
        server_ = std::make_unique<HttpServer>(ioc_.get_executor(), options, std::move(router_), metrics_);
        auto bound = server_->listen();
        ASSERT_TRUE(bound) << bound.error().message();
        port_ = bound->port();
        server_->start();
        for (unsigned i = 0; i < testing::test_io_threads(); ++i) {
            threads_.emplace_back([this] { ioc_.run(); });
        }
    }

    void TearDown() override {
        if (server_ && !stopped_) {
            stop_server(1s);
        }
        release_slow();
        work_.reset();
        ioc_.stop();
        for (auto& t : threads_) {
            t.join();
        }
    }

    // Runs server_->stop(grace) to completion on the server's io_context.
    void stop_server(std::chrono::milliseconds grace) {
        stopped_ = true;
        auto done = asio::co_spawn(ioc_, server_->stop(grace), asio::use_future);
        ASSERT_EQ(done.wait_for(10s), std::future_status::ready);
        done.get();
    }

    std::future<void> stop_server_async(std::chrono::milliseconds grace) {
        stopped_ = true;
        return asio::co_spawn(ioc_, server_->stop(grace), asio::use_future);
    }

    // A handler that waits until the test releases it.
    asio::awaitable<Response> slow() {
        slow_entered_.fetch_add(1);
        auto [ec] = co_await gate_.async_receive(asio::as_tuple(asio::use_awaitable));
        co_return make_response(http::status::ok, ec ? "gate closed" : "slow done");
    }
    void release_slow() {
        for (int i = 0; i < 8; ++i) {
            gate_.try_send(boost::system::error_code{});
        }
    }
    bool wait_for_slow_handlers(int n) {
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while (slow_entered_.load() < n) {
            if (std::chrono::steady_clock::now() > deadline) {
                return false;
            }
            std::this_thread::yield();
        }
        return true;
    }

    boost::system::result<HttpResponse> fetch(HttpRequest request) {
        asio::io_context client_ioc;
        auto tls = make_client_tls_context({});
        BeastHttpClient client(client_ioc.get_executor(), tls);
        if (request.url.starts_with("/")) {
            request.url = "http://127.0.0.1:" + std::to_string(port_) + request.url;
        }
        return testing::run_coro(client_ioc, client.send(std::move(request)));
    }

    std::string metric_text() { return metrics_.render(); }

    // Server-side bookkeeping may trail what the client saw (a timed-out socket is closed before
    // the read handler counts it), so wait for it.
    bool metric_eventually(const std::string& line) {
        return testing::poll_until(
            ioc_, [&] { return metric_text().find(line) != std::string::npos; }, 2s);
    }

    metrics::Registry metrics_;
    asio::io_context ioc_;
    asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(ioc_);
    Router router_;
    std::unique_ptr<HttpServer> server_;
    std::uint16_t port_ = 0;
    std::vector<std::thread> threads_;
    bool stopped_ = false;
    Gate gate_{ioc_, 8};
    std::atomic<int> slow_entered_{0};
};

std::string get(std::string_view target, std::string_view extra_headers = "") {
    return "GET " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + std::string(extra_headers) +
           "\r\n";
}

TEST_F(HttpServerTest, RoutesRequestsWithPathParametersQueryAndBody) {
    start();
    auto r = fetch({.method = "POST", .url = "/echo/main?signature=abc&nonce=1", .body = "<xml>电梯</xml>"});
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "POST /echo/main id=main query=signature=abc&nonce=1 body=<xml>电梯</xml>");
    EXPECT_EQ(r->header("Server"), "anju/" ANJU_VERSION);
    EXPECT_EQ(r->header("Content-Type"), "text/plain; charset=utf-8");
}

TEST_F(HttpServerTest, AnswersUnknownPathsAndMethodsWithoutCallingAHandler) {
    start();
    auto r = fetch({.url = "/nope"});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
    r = fetch({.method = "DELETE", .url = "/echo/x"});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 405);
    EXPECT_EQ(r->header("Allow"), "GET, HEAD, POST");
}

TEST_F(HttpServerTest, HeadGetsTheHeadersOfGetWithoutTheBody) {
    start();
    RawClient c(port_);
    ASSERT_TRUE(c.send("HEAD /echo/x HTTP/1.1\r\nHost: h\r\n\r\n"));
    const auto head = c.read_response(2s);
    EXPECT_EQ(status_of(head), 200);
    EXPECT_EQ(header_of(head, "Content-Length"),
              std::to_string(std::string("HEAD /echo/x id=x query= body=").size()));
    EXPECT_EQ(body_of(head), "");
    // The connection is still in sync: the next response is a whole one.
    ASSERT_TRUE(c.send(get("/echo/y")));
    EXPECT_EQ(body_of(c.read_response()), "GET /echo/y id=y query= body=");
}

TEST_F(HttpServerTest, KeepsConnectionsAliveAcrossRequestsIncludingPipelined) {
    start();
    RawClient c(port_);
    ASSERT_TRUE(c.send(get("/echo/1") + get("/echo/2")));
    const auto first = c.read_response();
    const auto second = c.read_response();
    EXPECT_EQ(body_of(first), "GET /echo/1 id=1 query= body=");
    EXPECT_EQ(body_of(second), "GET /echo/2 id=2 query= body=");
    ASSERT_TRUE(c.send(get("/echo/3")));
    EXPECT_EQ(status_of(c.read_response()), 200);
    EXPECT_FALSE(c.closed());
    EXPECT_EQ(server_->open_connections(), 1U);
    ASSERT_TRUE(c.send(get("/echo/4", "Connection: close\r\n")));
    const auto last = c.read_response();
    EXPECT_EQ(header_of(last, "Connection"), "close");
    c.read_until_close(2s);
    EXPECT_TRUE(c.closed());
}

TEST_F(HttpServerTest, RefusesABodyOverTheLimitWith413BeforeReadingIt) {
    HttpServerOptions options;
    options.body_limit = 1024;
    start(options);
    RawClient c(port_);
    // Only the header is sent: the server must answer without waiting for the 5000 bytes.
    ASSERT_TRUE(c.send("POST /echo/x HTTP/1.1\r\nHost: h\r\nContent-Length: 5000\r\n\r\n"));
    const auto response = c.read_response(2s);
    EXPECT_EQ(status_of(response), 413);
    EXPECT_EQ(header_of(response, "Connection"), "close");
    EXPECT_NE(metric_text().find("http_client_errors_total{reason=\"body_too_large\"} 1"), std::string::npos);

    auto ok = fetch({.method = "POST", .url = "/echo/x", .body = std::string(1024, 'a')});
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200);
}

TEST_F(HttpServerTest, RefusesAChunkedBodyThatGrowsOverTheLimit) {
    HttpServerOptions options;
    options.body_limit = 1024;
    start(options);
    RawClient c(port_);
    ASSERT_TRUE(c.send("POST /echo/x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"));
    ASSERT_TRUE(c.send("400\r\n" + std::string(1024, 'a') + "\r\n"));
    ASSERT_TRUE(c.send("10\r\n" + std::string(16, 'b') + "\r\n0\r\n\r\n"));
    EXPECT_EQ(status_of(c.read_response(2s)), 413);
}

TEST_F(HttpServerTest, DefaultBodyLimitIsOneMebibyte) {
    start();
    auto r = fetch({.method = "POST", .url = "/echo/x", .body = std::string(1024 * 1024 + 1, 'a')});
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->status, 413);
}

TEST_F(HttpServerTest, RefusesOversizedHeadersWith431) {
    HttpServerOptions options;
    options.header_limit = 2048;
    start(options);
    RawClient c(port_);
    ASSERT_TRUE(c.send(get("/echo/x", "X-Big: " + std::string(4096, 'x') + "\r\n")));
    EXPECT_EQ(status_of(c.read_response(2s)), 431);
}

TEST_F(HttpServerTest, AnswersMalformedRequestsWith400) {
    start();
    for (const char* bad :
         {"GARBAGE\r\n\r\n", "GET /x HTTP/9.9\r\n\r\n", "GET /x HTTP/1.1\r\nBad Header\r\n\r\n",
          "POST /echo/x HTTP/1.1\r\nContent-Length: abc\r\n\r\n"}) {
        RawClient c(port_);
        ASSERT_TRUE(c.send(bad));
        EXPECT_EQ(status_of(c.read_response(2s)), 400) << bad;
    }
    RawClient c(port_);
    ASSERT_TRUE(c.send("GET http://other.example/x HTTP/1.1\r\nHost: h\r\n\r\n"));
    EXPECT_EQ(status_of(c.read_response(2s)), 400);
}

TEST_F(HttpServerTest, DropsAClientThatSendsTooSlowly) {
    HttpServerOptions options;
    options.read_timeout = 200ms;
    start(options);
    RawClient slow(port_);
    ASSERT_TRUE(slow.send("GET /echo/x HTTP/1.1\r\nHost: h\r\n"));  // never finishes the header
    const auto started = std::chrono::steady_clock::now();
    const auto got = slow.read_until_close(5s);
    EXPECT_TRUE(slow.closed());
    EXPECT_EQ(got, "");
    EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
    EXPECT_TRUE(metric_eventually("http_client_errors_total{reason=\"read_timeout\"} 1")) << metric_text();
    // Others are served meanwhile and afterwards.
    auto r = fetch({.url = "/echo/ok"});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
}

TEST_F(HttpServerTest, DropsAClientThatStallsInTheBody) {
    HttpServerOptions options;
    options.read_timeout = 200ms;
    start(options);
    RawClient slow(port_);
    ASSERT_TRUE(slow.send("POST /echo/x HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nonly part"));
    slow.read_until_close(5s);
    EXPECT_TRUE(slow.closed());
}

TEST_F(HttpServerTest, ClosesIdleKeepAliveConnections) {
    HttpServerOptions options;
    options.idle_timeout = 150ms;
    start(options);
    RawClient c(port_);
    ASSERT_TRUE(c.send(get("/echo/x")));
    EXPECT_EQ(status_of(c.read_response()), 200);
    c.read_until_close(5s);
    EXPECT_TRUE(c.closed());
    EXPECT_TRUE(testing::poll_until(
        ioc_, [this] { return server_->open_connections() == 0; }, 2s));
}

TEST_F(HttpServerTest, AnswersWith503OverTheConnectionCap) {
    HttpServerOptions options;
    options.max_connections = 2;
    start(options);
    RawClient a(port_);
    RawClient b(port_);
    ASSERT_TRUE(a.send(get("/echo/a")));
    ASSERT_TRUE(b.send(get("/echo/b")));
    EXPECT_EQ(status_of(a.read_response()), 200);
    EXPECT_EQ(status_of(b.read_response()), 200);
    RawClient over(port_);
    ASSERT_TRUE(over.connected());
    const auto refused = over.read_response(2s);
    EXPECT_EQ(status_of(refused), 503);
    EXPECT_EQ(header_of(refused, "Retry-After"), "1");
    EXPECT_NE(metric_text().find("http_connections_rejected_total 1"), std::string::npos);
    // A slot frees up when a connection closes.
    ASSERT_TRUE(a.send(get("/echo/a", "Connection: close\r\n")));
    a.read_until_close(2s);
    ASSERT_TRUE(testing::poll_until(
        ioc_, [this] { return server_->open_connections() < 2; }, 2s));
    auto r = fetch({.url = "/echo/again"});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
}

TEST_F(HttpServerTest, TurnsAHandlerExceptionInto500AndKeepsServing) {
    start();
    auto r = fetch({.url = "/throw"});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 500);
    EXPECT_EQ(r->body, "internal error\n");  // no details leak to the client
    r = fetch({.url = "/echo/x"});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
}

TEST_F(HttpServerTest, Sends100ContinueBeforeReadingAnExpectedBody) {
    start();
    RawClient c(port_);
    ASSERT_TRUE(
        c.send("POST /echo/x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
    const auto interim = c.read_response(2s);
    EXPECT_EQ(status_of(interim), 100);
    ASSERT_TRUE(c.send("hello"));
    EXPECT_EQ(body_of(c.read_response()), "POST /echo/x id=x query= body=hello");
}

TEST_F(HttpServerTest, EchoesASaneRequestIdAndGeneratesOtherwise) {
    start();
    auto r = fetch({.url = "/echo/x", .headers = {{"X-Request-Id", "wx-123.abc"}}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->header("X-Request-Id"), "wx-123.abc");
    r = fetch({.url = "/echo/x", .headers = {{"X-Request-Id", "bad id with spaces"}}});
    ASSERT_TRUE(r);
    const auto generated = r->header("X-Request-Id");
    ASSERT_TRUE(generated);
    EXPECT_NE(*generated, "bad id with spaces");
    EXPECT_FALSE(generated->empty());
}

TEST_F(HttpServerTest, CountsRequestsByRouteAndStatusAndRecordsLatency) {
    start();
    ASSERT_TRUE(fetch({.url = "/echo/a"}));
    ASSERT_TRUE(fetch({.url = "/echo/b"}));
    ASSERT_TRUE(fetch({.url = "/missing"}));
    const auto text = metric_text();
    EXPECT_NE(text.find("http_requests_total{method=\"GET\",route=\"/echo/{id}\",status=\"200\"} 2"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("http_requests_total{method=\"GET\",route=\"-\",status=\"404\"} 1"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("http_request_duration_seconds_count{route=\"/echo/{id}\"} 2"), std::string::npos)
        << text;
    EXPECT_NE(text.find("http_open_connections "), std::string::npos);
}

TEST_F(HttpServerTest, ReportsABusyPortWhenListening) {
    start();
    HttpServerOptions options;
    options.port = port_;
    metrics::Registry other;
    HttpServer second(ioc_.get_executor(), options, Router{}, other);
    auto bound = second.listen();
    ASSERT_FALSE(bound);
    EXPECT_EQ(bound.error(), asio::error::address_in_use);
}

TEST_F(HttpServerTest, GracefulStopLetsTheRequestInFlightFinish) {
    start();
    auto in_flight = std::async(std::launch::async, [this] { return fetch({.url = "/slow"}); });
    ASSERT_TRUE(wait_for_slow_handlers(1));
    RawClient idle(port_);
    ASSERT_TRUE(idle.connected());
    ASSERT_TRUE(testing::poll_until(
        ioc_, [this] { return server_->open_connections() == 2; }, 2s));

    auto stopped = stop_server_async(5s);
    // The idle keep-alive connection is closed at once; new connections are refused.
    idle.read_until_close(2s);
    EXPECT_TRUE(idle.closed());
    const auto deadline = std::chrono::steady_clock::now() + 2s;
    bool refused = false;
    while (!refused && std::chrono::steady_clock::now() < deadline) {
        RawClient late(port_);
        refused = !late.connected();
    }
    EXPECT_TRUE(refused);
    EXPECT_EQ(stopped.wait_for(50ms), std::future_status::timeout);  // still waiting for /slow

    release_slow();
    auto response = in_flight.get();
    ASSERT_TRUE(response) << response.error().message();
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "slow done");
    EXPECT_EQ(response->header("Connection"), "close");
    ASSERT_EQ(stopped.wait_for(5s), std::future_status::ready);
    stopped.get();
    EXPECT_EQ(server_->open_connections(), 0U);
}

TEST_F(HttpServerTest, GracefulStopClosesWhatOutlivesTheGrace) {
    start();
    RawClient c(port_);
    ASSERT_TRUE(c.send(get("/slow")));
    ASSERT_TRUE(wait_for_slow_handlers(1));
    const auto started = std::chrono::steady_clock::now();
    stop_server(100ms);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
    const auto got = c.read_until_close(2s);
    EXPECT_TRUE(c.closed());
    EXPECT_EQ(got, "");
}

TEST_F(HttpServerTest, StopWithNothingOpenIsImmediate) {
    start();
    const auto started = std::chrono::steady_clock::now();
    stop_server(10s);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
    RawClient late(port_);
    EXPECT_FALSE(late.connected());
}

}  // namespace
}  // namespace anju::net
