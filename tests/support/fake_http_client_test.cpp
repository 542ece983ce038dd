#include "tests/support/fake_http_client.hpp"

#include "tests/support/async.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include <future>
#include <string>
#include <vector>

namespace anju::testing {
namespace {

using Result = FakeHttpClient::Result;

net::HttpRequest make_request(std::string url, std::string method = "GET", std::string body = {}) {
    net::HttpRequest request;
    request.method = std::move(method);
    request.url = std::move(url);
    request.body = std::move(body);
    return request;
}

class FakeHttpClientTest : public ::testing::Test {
protected:
    Result send(net::HttpRequest request) { return run_coro(ioc_, fake_.send(std::move(request))); }

    asio::io_context ioc_;
    FakeHttpClient fake_;
};

TEST_F(FakeHttpClientTest, ReturnsScriptedResultsInOrder) {
    fake_.push_json(200, R"({"errcode":0})");
    fake_.push_error(net::errc::timeout);
    net::HttpResponse not_found;
    not_found.status = 404;
    not_found.body = "missing";
    fake_.push(not_found);
    EXPECT_EQ(fake_.pending(), 3U);

    const auto first = send(make_request("https://api.example/a"));
    const auto second = send(make_request("https://api.example/b"));
    const auto third = send(make_request("https://api.example/c"));

    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->status, 200);
    EXPECT_EQ(first->body, R"({"errcode":0})");
    EXPECT_EQ(first->header("content-type"), "application/json");
    ASSERT_FALSE(second.has_value());
    EXPECT_EQ(second.error(), make_error_code(net::errc::timeout));
    ASSERT_TRUE(third.has_value());
    EXPECT_EQ(third->status, 404);
    EXPECT_EQ(third->body, "missing");
    EXPECT_EQ(fake_.pending(), 0U);
}

TEST_F(FakeHttpClientTest, FailsWithConnectFailedWhenNothingIsScripted) {
    const auto result = send(make_request("https://api.example/"));

    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error(), make_error_code(net::errc::connect_failed));
    EXPECT_EQ(fake_.requests().size(), 1U);
}

TEST_F(FakeHttpClientTest, ResponderAnswersOnceScriptIsExhausted) {
    fake_.push_error(net::errc::tls_failed);
    fake_.set_responder([](const net::HttpRequest& request) -> Result {
        if (request.method == "DELETE") {
            return make_error_code(net::errc::protocol_error);
        }
        net::HttpResponse response;
        response.status = 202;
        response.body = request.method + " " + request.url;
        return response;
    });

    const auto scripted = send(make_request("https://api.example/1"));
    const auto answered = send(make_request("https://api.example/2", "POST"));
    const auto failed = send(make_request("https://api.example/3", "DELETE"));

    ASSERT_FALSE(scripted.has_value());
    EXPECT_EQ(scripted.error(), make_error_code(net::errc::tls_failed));
    ASSERT_TRUE(answered.has_value());
    EXPECT_EQ(answered->status, 202);
    EXPECT_EQ(answered->body, "POST https://api.example/2");
    ASSERT_FALSE(failed.has_value());
    EXPECT_EQ(failed.error(), make_error_code(net::errc::protocol_error));
}

TEST_F(FakeHttpClientTest, ScriptTakesPrecedenceOverResponder) {
    fake_.set_responder([](const net::HttpRequest&) -> Result { return net::HttpResponse{204, {}, {}}; });
    fake_.push_json(500, "{}");

    const auto first = send(make_request("https://api.example/"));
    const auto second = send(make_request("https://api.example/"));

    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->status, 500);
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(second->status, 204);
}

TEST_F(FakeHttpClientTest, RecordsEveryRequest) {
    fake_.push_json(200, "{}");
    auto request = make_request("https://api.example/send?access_token=T", "POST", R"({"text":"hi"})");
    request.headers = {{"Content-Type", "application/json"}};
    request.timeout = std::chrono::milliseconds{1234};

    const auto result = send(request);
    const auto second = send(make_request("https://api.example/other"));

    ASSERT_TRUE(result.has_value());
    const auto recorded = fake_.requests();
    ASSERT_EQ(recorded.size(), 2U);
    EXPECT_EQ(recorded[0].method, "POST");
    EXPECT_EQ(recorded[0].url, "https://api.example/send?access_token=T");
    EXPECT_EQ(recorded[0].body, R"({"text":"hi"})");
    EXPECT_EQ(recorded[0].headers, request.headers);
    EXPECT_EQ(recorded[0].timeout, std::chrono::milliseconds{1234});
    EXPECT_EQ(recorded[1].url, "https://api.example/other");
}

TEST_F(FakeHttpClientTest, IsSafeToUseFromManyThreads) {
    constexpr int kRequests = 200;
    for (int i = 0; i < kRequests / 2; ++i) {
        fake_.push_json(200, "{}");
    }
    fake_.set_responder([](const net::HttpRequest&) -> Result { return net::HttpResponse{201, {}, {}}; });
    asio::thread_pool pool(4);
    std::vector<std::future<Result>> futures;
    for (int i = 0; i < kRequests; ++i) {
        futures.push_back(asio::co_spawn(
            pool, fake_.send(make_request("https://api.example/" + std::to_string(i))), asio::use_future));
    }

    int scripted = 0;
    int answered = 0;
    for (auto& future : futures) {
        const auto result = future.get();
        ASSERT_TRUE(result.has_value());
        scripted += result->status == 200 ? 1 : 0;
        answered += result->status == 201 ? 1 : 0;
    }
    pool.join();

    EXPECT_EQ(scripted, kRequests / 2);
    EXPECT_EQ(answered, kRequests / 2);
    EXPECT_EQ(fake_.requests().size(), std::size_t{kRequests});
}

}  // namespace
}  // namespace anju::testing
