#include "bot/net/beast_http_client.hpp"

#include "bot/net/errors.hpp"
#include "bot/net/tls.hpp"
#include "tests/support/async.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/test_certs.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <exception>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace anju::net {
namespace {

using namespace std::chrono_literals;
using anju::testing::kServerCertPem;
using anju::testing::kTestCaPem;
using anju::testing::kWrongHostCertPem;
using anju::testing::kWrongHostKeyPem;
using anju::testing::LoopbackOptions;
using anju::testing::LoopbackResponse;
using anju::testing::LoopbackServer;
using tcp = asio::ip::tcp;
using Result = boost::system::result<HttpResponse>;
using SteadyClock = std::chrono::steady_clock;

TlsClientOptions trusting_test_ca() {
    TlsClientOptions options;
    options.ca_pem = std::string(kTestCaPem);
    options.use_system_roots = false;
    return options;
}

LoopbackOptions tls_server(std::string_view cert_pem = kServerCertPem,
                           std::string_view key_pem = anju::testing::kServerKeyPem) {
    LoopbackOptions options;
    options.tls = true;
    options.cert_pem = cert_pem;
    options.key_pem = key_pem;
    return options;
}

LoopbackResponse ok(std::string body) {
    LoopbackResponse response;
    response.body = std::move(body);
    return response;
}

LoopbackResponse echo_target(const HttpRequest& request) { return ok(request.url); }

HttpRequest get(std::string url, std::chrono::milliseconds timeout = 5s) {
    HttpRequest request;
    request.url = std::move(url);
    request.timeout = timeout;
    return request;
}

// A port on 127.0.0.1 with nobody listening: bound once to learn a free port, then closed.
std::uint16_t closed_port() {
    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    const auto port = acceptor.local_endpoint().port();
    acceptor.close();
    return port;
}

void rethrow(std::exception_ptr error) {
    if (error) {
        std::rethrow_exception(error);
    }
}

asio::awaitable<void> send_and_check(HttpClient& client, HttpRequest request, std::string expected_body,
                                     int& succeeded, int& finished) {
    auto result = co_await client.send(std::move(request));
    if (result && result->status == 200 && result->body == expected_body) {
        ++succeeded;
    }
    ++finished;
}

class BeastHttpClientTest : public ::testing::Test {
protected:
    Result send(HttpRequest request) {
        return anju::testing::run_coro(ioc_, client_.send(std::move(request)));
    }
    Result send_with(HttpClient& client, HttpRequest request) {
        return anju::testing::run_coro(ioc_, client.send(std::move(request)));
    }

    asio::io_context ioc_;
    ssl::context tls_ = make_client_tls_context(trusting_test_ca());
    BeastHttpClient client_{ioc_.get_executor(), tls_};
};

TEST_F(BeastHttpClientTest, GetSendsTargetAndHeadersAndReturnsResponse) {
    LoopbackServer server([](const HttpRequest&) {
        LoopbackResponse response;
        response.headers = {{"X-Reply", "yes"}, {"Content-Type", "text/plain"}};
        response.body = "hello";
        return response;
    });
    auto request = get(server.base_url() + "/cgi-bin/token?grant_type=client_credential&appid=a%20b");
    request.headers = {{"X-Trace", "abc"}};

    const auto result = send(request);

    ASSERT_TRUE(result.has_value()) << result.error().message();
    EXPECT_EQ(result->status, 200);
    EXPECT_EQ(result->body, "hello");
    ASSERT_GE(result->headers.size(), 3U);
    EXPECT_EQ(result->headers[0].first, "X-Reply");
    EXPECT_EQ(result->headers[0].second, "yes");
    EXPECT_EQ(result->headers[1].first, "Content-Type");
    EXPECT_EQ(result->header("content-length"), "5");

    const auto received = server.requests();
    ASSERT_EQ(received.size(), 1U);
    EXPECT_EQ(received[0].method, "GET");
    EXPECT_EQ(received[0].url, "/cgi-bin/token?grant_type=client_credential&appid=a%20b");
    EXPECT_EQ(find_header(received[0].headers, "X-Trace"), "abc");
    EXPECT_EQ(find_header(received[0].headers, "Host"), "127.0.0.1:" + std::to_string(server.port()));
    EXPECT_EQ(find_header(received[0].headers, "User-Agent"), default_user_agent());
    EXPECT_EQ(received[0].body, "");
}

TEST_F(BeastHttpClientTest, PostSendsBodyWithContentLength) {
    LoopbackServer server([](const HttpRequest& request) {
        LoopbackResponse response;
        response.status = 201;
        response.body = "got " + request.body;
        return response;
    });
    auto request = get(server.base_url() + "/cgi-bin/message/custom/send?access_token=SECRET");
    request.method = "POST";
    request.headers = {{"Content-Type", "application/json"}, {"User-Agent", "custom-agent"}};
    request.body = R"({"touser":"u1","msgtype":"text"})";

    const auto result = send(request);

    ASSERT_TRUE(result.has_value()) << result.error().message();
    EXPECT_EQ(result->status, 201);
    EXPECT_EQ(result->body, "got " + request.body);
    const auto received = server.requests();
    ASSERT_EQ(received.size(), 1U);
    EXPECT_EQ(received[0].method, "POST");
    EXPECT_EQ(received[0].body, request.body);
    EXPECT_EQ(find_header(received[0].headers, "Content-Type"), "application/json");
    EXPECT_EQ(find_header(received[0].headers, "Content-Length"), std::to_string(request.body.size()));
    EXPECT_EQ(find_header(received[0].headers, "User-Agent"), "custom-agent");
}

TEST_F(BeastHttpClientTest, SendsEverySupportedMethod) {
    LoopbackServer server([](const HttpRequest& request) { return ok(request.method); });
    for (const std::string method : {"GET", "POST", "PUT", "DELETE", "PATCH"}) {
        auto request = get(server.base_url() + "/m");
        request.method = method;
        const auto result = send(request);
        ASSERT_TRUE(result.has_value()) << method << ": " << result.error().message();
        EXPECT_EQ(result->body, method);
    }
}

TEST_F(BeastHttpClientTest, ClientAndServerErrorStatusesAreSuccessfulResults) {
    LoopbackServer server([](const HttpRequest& request) {
        LoopbackResponse response;
        response.status = request.url == "/missing" ? 404 : 503;
        response.body = request.url == "/missing" ? "not found" : "try later";
        return response;
    });

    const auto missing = send(get(server.base_url() + "/missing"));
    const auto unavailable = send(get(server.base_url() + "/busy"));

    ASSERT_TRUE(missing.has_value()) << missing.error().message();
    EXPECT_EQ(missing->status, 404);
    EXPECT_EQ(missing->body, "not found");
    ASSERT_TRUE(unavailable.has_value()) << unavailable.error().message();
    EXPECT_EQ(unavailable->status, 503);
    EXPECT_EQ(unavailable->body, "try later");
}

TEST_F(BeastHttpClientTest, HeadReturnsHeadersWithoutBody) {
    LoopbackServer server([](const HttpRequest&) { return ok("abcdef"); });
    auto request = get(server.base_url() + "/file");
    request.method = "HEAD";

    const auto result = send(request);

    ASSERT_TRUE(result.has_value()) << result.error().message();
    EXPECT_EQ(result->status, 200);
    EXPECT_EQ(result->header("Content-Length"), "6");
    EXPECT_EQ(result->body, "");
    ASSERT_EQ(server.requests().size(), 1U);
    EXPECT_EQ(server.requests()[0].method, "HEAD");
}

TEST_F(BeastHttpClientTest, TlsSucceedsForIpAddressAndHostName) {
    LoopbackServer server(echo_target, tls_server());
    const auto port = std::to_string(server.port());

    const auto by_ip = send(get("https://127.0.0.1:" + port + "/by-ip"));
    const auto by_name = send(get("https://localhost:" + port + "/by-name"));

    ASSERT_TRUE(by_ip.has_value()) << by_ip.error().message();
    EXPECT_EQ(by_ip->status, 200);
    EXPECT_EQ(by_ip->body, "/by-ip");
    ASSERT_TRUE(by_name.has_value()) << by_name.error().message();
    EXPECT_EQ(by_name->body, "/by-name");
    const auto received = server.requests();
    ASSERT_EQ(received.size(), 2U);
    EXPECT_EQ(find_header(received[1].headers, "Host"), "localhost:" + port);
}

TEST_F(BeastHttpClientTest, TlsFailsForCertificateOfAnotherHost) {
    LoopbackServer server(echo_target, tls_server(kWrongHostCertPem, kWrongHostKeyPem));
    const auto port = std::to_string(server.port());

    const auto by_ip = send(get("https://127.0.0.1:" + port + "/"));
    const auto by_name = send(get("https://localhost:" + port + "/"));

    ASSERT_FALSE(by_ip.has_value());
    EXPECT_EQ(by_ip.error(), make_error_code(errc::tls_failed));
    ASSERT_FALSE(by_name.has_value());
    EXPECT_EQ(by_name.error(), make_error_code(errc::tls_failed));
    EXPECT_TRUE(server.requests().empty());
}

TEST_F(BeastHttpClientTest, TlsFailsWhenCaIsNotTrusted) {
    LoopbackServer server(echo_target, tls_server());
    auto system_only = make_client_tls_context(TlsClientOptions{});
    TlsClientOptions nothing_trusted;
    nothing_trusted.use_system_roots = false;
    auto empty_store = make_client_tls_context(nothing_trusted);
    BeastHttpClient system_client(ioc_.get_executor(), system_only);
    BeastHttpClient empty_client(ioc_.get_executor(), empty_store);

    const auto with_system_roots = send_with(system_client, get(server.base_url() + "/"));
    const auto with_no_roots = send_with(empty_client, get(server.base_url() + "/"));

    ASSERT_FALSE(with_system_roots.has_value());
    EXPECT_EQ(with_system_roots.error(), make_error_code(errc::tls_failed));
    ASSERT_FALSE(with_no_roots.has_value());
    EXPECT_EQ(with_no_roots.error(), make_error_code(errc::tls_failed));
    EXPECT_TRUE(server.requests().empty());
}

TEST_F(BeastHttpClientTest, TlsFailsAgainstPlainHttpServer) {
    LoopbackServer server(echo_target);

    const auto result = send(get("https://127.0.0.1:" + std::to_string(server.port()) + "/"));

    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error(), make_error_code(errc::tls_failed));
}

TEST_F(BeastHttpClientTest, TimesOutWhenServerAnswersLate) {
    auto server = std::make_unique<LoopbackServer>([](const HttpRequest&) {
        LoopbackResponse response;
        response.delay = 10min;
        return response;
    });

    const auto started = SteadyClock::now();
    const auto result = send(get(server->base_url() + "/slow", 200ms));
    const auto elapsed = SteadyClock::now() - started;

    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error(), make_error_code(errc::timeout));
    EXPECT_GE(elapsed, 150ms);
    EXPECT_LT(elapsed, 2s);
    EXPECT_EQ(server->requests().size(), 1U);

    // The server's pending delay is cancelled, not waited for.
    const auto stopping = SteadyClock::now();
    server.reset();
    EXPECT_LT(SteadyClock::now() - stopping, 2s);
}

TEST_F(BeastHttpClientTest, TimesOutInTlsHandshakeAndReadWhenPeerIsSilent) {
    // A listener that never accepts: the kernel completes the TCP handshake from the backlog, and
    // then nothing ever answers.
    tcp::acceptor silent(ioc_, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    const auto port = std::to_string(silent.local_endpoint().port());

    const auto started = SteadyClock::now();
    const auto handshake = send(get("https://127.0.0.1:" + port + "/", 200ms));
    const auto read = send(get("http://127.0.0.1:" + port + "/", 200ms));
    const auto elapsed = SteadyClock::now() - started;

    ASSERT_FALSE(handshake.has_value());
    EXPECT_EQ(handshake.error(), make_error_code(errc::timeout));
    ASSERT_FALSE(read.has_value());
    EXPECT_EQ(read.error(), make_error_code(errc::timeout));
    EXPECT_LT(elapsed, 4s);
}

TEST_F(BeastHttpClientTest, ConnectionRefusedWhenNobodyListens) {
    const auto port = closed_port();

    const auto result = send(get("http://127.0.0.1:" + std::to_string(port) + "/"));

    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error(), make_error_code(errc::connection_refused));
}

TEST_F(BeastHttpClientTest, ProtocolErrorWhenServerClosesWithoutResponse) {
    const auto handler = [](const HttpRequest&) {
        LoopbackResponse response;
        response.close_without_response = true;
        return response;
    };
    LoopbackServer plain(handler);
    LoopbackServer secure(handler, tls_server());

    const auto over_tcp = send(get(plain.base_url() + "/"));
    const auto over_tls = send(get(secure.base_url() + "/"));

    ASSERT_FALSE(over_tcp.has_value());
    EXPECT_EQ(over_tcp.error(), make_error_code(errc::protocol_error));
    ASSERT_FALSE(over_tls.has_value());
    EXPECT_EQ(over_tls.error(), make_error_code(errc::protocol_error));
    EXPECT_EQ(plain.requests().size(), 1U);
    EXPECT_EQ(secure.requests().size(), 1U);
}

TEST_F(BeastHttpClientTest, ResponseLargerThanLimitIsRejected) {
    LoopbackServer server(
        [](const HttpRequest& request) { return ok(std::string(request.url == "/big" ? 4096 : 1024, 'x')); });
    BeastHttpClientOptions options;
    options.max_response_bytes = 1024;
    BeastHttpClient small(ioc_.get_executor(), tls_, options);

    const auto at_limit = send_with(small, get(server.base_url() + "/fits"));
    const auto over_limit = send_with(small, get(server.base_url() + "/big"));

    ASSERT_TRUE(at_limit.has_value()) << at_limit.error().message();
    EXPECT_EQ(at_limit->body.size(), 1024U);
    ASSERT_FALSE(over_limit.has_value());
    EXPECT_EQ(over_limit.error(), make_error_code(errc::response_too_large));
}

TEST_F(BeastHttpClientTest, InvalidUrlMethodOrHeaderIsRejectedBeforeConnecting) {
    for (const std::string url : {"ftp://127.0.0.1/file", "http:///path", "http://127.0.0.1:99999/",
                                  "http://127.0.0.1:0/", "http://127.0.0.1:8x/", "127.0.0.1/path", ""}) {
        const auto result = send(get(url));
        ASSERT_FALSE(result.has_value()) << url;
        EXPECT_EQ(result.error(), make_error_code(errc::invalid_url)) << url;
    }

    auto bad_method = get("http://127.0.0.1:1/");
    bad_method.method = "BREW";
    auto lower_case_method = get("http://127.0.0.1:1/");
    lower_case_method.method = "get";
    auto injected_header = get("http://127.0.0.1:1/");
    injected_header.headers = {{"X-Note", "a\r\nX-Injected: 1"}};
    for (const auto& request : {bad_method, lower_case_method, injected_header}) {
        const auto result = send(request);
        ASSERT_FALSE(result.has_value()) << request.method;
        EXPECT_EQ(result.error(), make_error_code(errc::invalid_url)) << request.method;
    }
}

TEST_F(BeastHttpClientTest, UnresolvableNameFailsQuickly) {
    // RFC 2606 reserves .invalid, so no resolver anywhere answers it. Without DNS the lookup may
    // also hang, which the request deadline must cut short.
    const auto started = SteadyClock::now();
    const auto result = send(get("http://anju-test.invalid/", 2s));
    const auto elapsed = SteadyClock::now() - started;

    ASSERT_FALSE(result.has_value());
    EXPECT_TRUE(result.error() == make_error_code(errc::resolve_failed) ||
                result.error() == make_error_code(errc::timeout))
        << result.error().message();
    EXPECT_LT(elapsed, 4s);
}

TEST_F(BeastHttpClientTest, ManyConcurrentRequestsAllSucceed) {
    LoopbackServer plain(echo_target);
    LoopbackServer secure(echo_target, tls_server());
    constexpr int kPlain = 50;
    constexpr int kSecure = 20;
    int succeeded = 0;
    int finished = 0;
    for (int i = 0; i < kPlain + kSecure; ++i) {
        const auto& server = i < kPlain ? plain : secure;
        const auto target = "/n/" + std::to_string(i);
        asio::co_spawn(ioc_,
                       send_and_check(client_, get(server.base_url() + target), target, succeeded, finished),
                       rethrow);
    }

    ASSERT_TRUE(anju::testing::poll_until(ioc_, [&] { return finished == kPlain + kSecure; }));
    EXPECT_EQ(succeeded, kPlain + kSecure);
    EXPECT_EQ(plain.requests().size(), std::size_t{kPlain});
    EXPECT_EQ(secure.requests().size(), std::size_t{kSecure});
}

TEST_F(BeastHttpClientTest, ConcurrentRequestsFromManyThreadsSucceed) {
    LoopbackServer secure(echo_target, tls_server());
    asio::thread_pool pool(4);
    BeastHttpClient client(pool.get_executor(), tls_);
    constexpr int kRequests = 30;
    std::vector<std::future<Result>> futures;
    for (int i = 0; i < kRequests; ++i) {
        futures.push_back(asio::co_spawn(
            pool, client.send(get(secure.base_url() + "/t/" + std::to_string(i))), asio::use_future));
    }

    for (int i = 0; i < kRequests; ++i) {
        const auto result = futures[static_cast<std::size_t>(i)].get();
        ASSERT_TRUE(result.has_value()) << result.error().message();
        EXPECT_EQ(result->body, "/t/" + std::to_string(i));
    }
    pool.join();
    EXPECT_EQ(secure.requests().size(), std::size_t{kRequests});
}

TEST(TlsContextTest, ThrowsOnMissingCaFile) {
    TlsClientOptions options;
    options.ca_file = "/nonexistent/anju-ca.pem";
    try {
        auto context = make_client_tls_context(options);
        FAIL() << "expected std::runtime_error";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("cannot load CA file '/nonexistent/anju-ca.pem'"),
                  std::string::npos)
            << e.what();
    }
}

TEST(TlsContextTest, ThrowsOnMalformedPem) {
    TlsClientOptions options;
    options.ca_pem = "not a certificate";
    EXPECT_THROW(make_client_tls_context(options), std::runtime_error);
    EXPECT_THROW(make_server_tls_context("not a certificate", anju::testing::kServerKeyPem),
                 std::runtime_error);
    EXPECT_THROW(make_server_tls_context(kServerCertPem, kWrongHostKeyPem), std::runtime_error);
}

// LoopbackServer is the base of future platform fakes, so its own contract is checked here too.
class LoopbackServerTest : public ::testing::Test {
protected:
    asio::io_context ioc_;
};

asio::awaitable<std::vector<std::string>> two_requests_on_one_connection(std::uint16_t port) {
    auto executor = co_await asio::this_coro::executor;
    beast::tcp_stream stream(executor);
    const tcp::endpoint endpoint(asio::ip::address_v4::loopback(), port);
    co_await stream.async_connect(endpoint, asio::use_awaitable);
    beast::flat_buffer buffer;
    std::vector<std::string> bodies;
    for (const char* target : {"/first", "/second"}) {
        http::request<http::string_body> request{http::verb::get, target, 11};
        request.set(http::field::host, "127.0.0.1");
        co_await http::async_write(stream, request, asio::use_awaitable);
        http::response<http::string_body> response;
        co_await http::async_read(stream, buffer, response, asio::use_awaitable);
        bodies.push_back(response.body());
    }
    stream.close();
    co_return bodies;
}

TEST_F(LoopbackServerTest, KeepsConnectionsAlive) {
    LoopbackServer server(echo_target);

    const auto bodies = anju::testing::run_coro(ioc_, two_requests_on_one_connection(server.port()));

    EXPECT_EQ(bodies, (std::vector<std::string>{"/first", "/second"}));
    EXPECT_EQ(server.connections_accepted(), 1U);
    EXPECT_EQ(server.requests().size(), 2U);
}

TEST_F(LoopbackServerTest, HandlerExceptionBecomes500) {
    LoopbackServer server([](const HttpRequest&) -> LoopbackResponse { throw std::runtime_error("boom"); });
    auto tls = make_client_tls_context(trusting_test_ca());
    BeastHttpClient client(ioc_.get_executor(), tls);

    const auto result = anju::testing::run_coro(ioc_, client.send(get(server.base_url() + "/")));

    ASSERT_TRUE(result.has_value()) << result.error().message();
    EXPECT_EQ(result->status, 500);
    EXPECT_EQ(server.requests().size(), 1U);
}

TEST_F(LoopbackServerTest, BaseUrlNamesSchemeAndPort) {
    LoopbackServer plain(echo_target);
    LoopbackServer secure(echo_target, tls_server());

    EXPECT_EQ(plain.base_url(), "http://127.0.0.1:" + std::to_string(plain.port()));
    EXPECT_EQ(secure.base_url(), "https://127.0.0.1:" + std::to_string(secure.port()));
    EXPECT_NE(plain.port(), 0);
    EXPECT_EQ(plain.connections_accepted(), 0U);
}

}  // namespace
}  // namespace anju::net
