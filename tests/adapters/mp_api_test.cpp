#include "adapters/wechat_mp/api.hpp"
#include "bot/core/log.hpp"
#include "bot/net/beast_http_client.hpp"
#include "bot/net/errors.hpp"
#include "bot/net/tls.hpp"
#include "bot/net/url.hpp"
#include "tests/support/async.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/fake_http_client.hpp"
#include "tests/support/fake_wechat_api.hpp"
#include "tests/support/test_certs.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/channel_error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/system/system_error.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <exception>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace anju::adapters::wechat_mp {
namespace {

using namespace std::chrono_literals;
using anju::testing::FakeClock;
using anju::testing::FakeHttpClient;
using anju::testing::FakeWeChatApi;
using anju::testing::poll_until;
using anju::testing::run_coro;
using Json = nlohmann::json;
using TokenResult = boost::system::result<std::string>;
using SendResult = boost::system::result<void>;

constexpr const char* kAppId = "wx-unit-app";
constexpr const char* kSecret = "unit-secret-5e3b91";
constexpr const char* kBase = "https://api.example.test";

std::string token_json(const std::string& token, int expires_in = 7200) {
    Json body;
    body["access_token"] = token;
    body["expires_in"] = expires_in;
    return body.dump();
}

std::string errcode_json(int errcode) {
    Json body;
    body["errcode"] = errcode;
    body["errmsg"] = errcode == 0 ? "ok" : "something went wrong";
    return body.dump();
}

MpApiOptions unit_options(TokenEndpoint endpoint = TokenEndpoint::stable) {
    MpApiOptions options;
    options.app_id = kAppId;
    options.app_secret = Secret(kSecret);
    options.api_base = kBase;
    options.token_endpoint = endpoint;
    options.request_timeout = 2500ms;
    return options;
}

// The request's access_token query parameter.
std::string token_of(const net::HttpRequest& request) {
    const auto query = request.url.substr(request.url.find('?') + 1);
    const auto params = net::parse_query(query);
    const auto token = net::find_param(params, "access_token");
    return token ? std::string(*token) : std::string();
}

std::string path_of(const net::HttpRequest& request) { return request.url.substr(0, request.url.find('?')); }

// Captures log lines at debug level for one test, and restores stderr and the level afterwards.
class LogCapture {
public:
    LogCapture() : previous_(log::level()) {
        log::set_level(log::Level::debug);
        log::set_sink([this](std::string_view line) {
            std::lock_guard lock(mutex_);
            lines_.emplace_back(line);
        });
    }
    ~LogCapture() {
        log::set_sink({});
        log::set_level(previous_);
    }
    LogCapture(const LogCapture&) = delete;
    LogCapture& operator=(const LogCapture&) = delete;

    std::vector<std::string> lines() const {
        std::lock_guard lock(mutex_);
        return lines_;
    }

private:
    log::Level previous_;
    mutable std::mutex mutex_;
    std::vector<std::string> lines_;
};

// ---------------------------------------------------------------------------------------------------
// Unit tests: FakeHttpClient, FakeClock, no sockets.

class MpApiTest : public ::testing::Test {
protected:
    template <class T>
    T run(asio::awaitable<T> coro) {
        return run_coro(ioc_, std::move(coro));
    }
    void push_token(const std::string& token, int expires_in = 7200) {
        http_.push_json(200, token_json(token, expires_in));
    }
    void push_errcode(int errcode) { http_.push_json(200, errcode_json(errcode)); }

    asio::io_context ioc_;
    FakeClock clock_;
    FakeHttpClient http_;
    MpApi api_{ioc_.get_executor(), http_, clock_, unit_options()};
};

TEST_F(MpApiTest, StableTokenIsFetchedOnceAndCached) {
    push_token("TOKEN-1");

    const auto first = run(api_.access_token());
    const auto second = run(api_.access_token());

    ASSERT_TRUE(first.has_value()) << first.error().message();
    ASSERT_TRUE(second.has_value()) << second.error().message();
    EXPECT_EQ(*first, "TOKEN-1");
    EXPECT_EQ(*second, "TOKEN-1");
    const auto requests = http_.requests();
    ASSERT_EQ(requests.size(), 1U);
    EXPECT_EQ(requests[0].method, "POST");
    EXPECT_EQ(requests[0].url, std::string(kBase) + "/cgi-bin/stable_token");
    EXPECT_EQ(requests[0].timeout, 2500ms);
    EXPECT_EQ(net::find_header(requests[0].headers, "Content-Type"), "application/json; charset=utf-8");
    const auto body = Json::parse(requests[0].body);
    EXPECT_EQ(body.at("grant_type"), "client_credential");
    EXPECT_EQ(body.at("appid"), kAppId);
    EXPECT_EQ(body.at("secret"), kSecret);
    EXPECT_EQ(body.at("force_refresh"), false);
}

TEST_F(MpApiTest, ClassicTokenIsFetchedWithGet) {
    auto options = unit_options(TokenEndpoint::classic);
    options.app_secret = Secret("se cret&=");
    MpApi api(ioc_.get_executor(), http_, clock_, options);
    push_token("TOKEN-1");

    const auto token = run(api.access_token());

    ASSERT_TRUE(token.has_value()) << token.error().message();
    EXPECT_EQ(*token, "TOKEN-1");
    const auto requests = http_.requests();
    ASSERT_EQ(requests.size(), 1U);
    EXPECT_EQ(requests[0].method, "GET");
    EXPECT_EQ(requests[0].url,
              std::string(kBase) +
                  "/cgi-bin/token?grant_type=client_credential&appid=wx-unit-app&secret=se%20cret%26%3D");
    EXPECT_EQ(requests[0].body, "");
}

TEST_F(MpApiTest, TokenIsRefreshedOnlyWithinTheMargin) {
    push_token("TOKEN-1");
    push_token("TOKEN-2");
    ASSERT_EQ(run(api_.access_token()).value(), "TOKEN-1");

    clock_.advance(7200s - 300s - 1s);
    EXPECT_EQ(run(api_.access_token()).value(), "TOKEN-1");
    EXPECT_EQ(http_.requests().size(), 1U);

    clock_.advance(1s);
    EXPECT_EQ(run(api_.access_token()).value(), "TOKEN-2");
    EXPECT_EQ(http_.requests().size(), 2U);
}

// Stable tokens may come with expires_in as low as the margin; they must not be due at once.
TEST_F(MpApiTest, ShortLivedTokenIsRefreshedHalfwayNotOnEveryCall) {
    push_token("TOKEN-1", 300);
    push_token("TOKEN-2", 7200);
    ASSERT_EQ(run(api_.access_token()).value(), "TOKEN-1");
    EXPECT_EQ(run(api_.access_token()).value(), "TOKEN-1");
    clock_.advance(149s);
    EXPECT_EQ(run(api_.access_token()).value(), "TOKEN-1");
    EXPECT_EQ(http_.requests().size(), 1U);

    clock_.advance(1s);
    EXPECT_EQ(run(api_.access_token()).value(), "TOKEN-2");
}

TEST_F(MpApiTest, FailedRefreshIsReturnedAndNotCached) {
    push_errcode(40013);
    push_token("TOKEN-1");

    const auto failed = run(api_.access_token());
    const auto retried = run(api_.access_token());

    ASSERT_FALSE(failed.has_value());
    EXPECT_EQ(failed.error(), make_error_code(errc::bad_credentials));
    ASSERT_TRUE(retried.has_value()) << retried.error().message();
    EXPECT_EQ(*retried, "TOKEN-1");
    EXPECT_EQ(http_.requests().size(), 2U);
}

TEST_F(MpApiTest, KeepsTheCurrentTokenWhenAnEarlyRefreshFails) {
    push_token("TOKEN-1");
    ASSERT_EQ(run(api_.access_token()).value(), "TOKEN-1");
    clock_.advance(7200s - 100s);  // inside the refresh margin, not yet expired
    http_.push_error(net::errc::timeout);
    EXPECT_EQ(run(api_.access_token()).value(), "TOKEN-1");
    clock_.advance(100s);  // expired now: nothing to fall back on
    http_.push_error(net::errc::timeout);
    const auto expired = run(api_.access_token());
    ASSERT_FALSE(expired.has_value());
    EXPECT_EQ(expired.error(), make_error_code(errc::transport));
    EXPECT_EQ(http_.requests().size(), 3U);
}

TEST_F(MpApiTest, WithoutAnAppSecretNoTokenIsRequested) {
    auto options = unit_options();
    options.app_secret = Secret();
    MpApi api(ioc_.get_executor(), http_, clock_, options);
    const auto sent = run(api.send_text("oUser-1", "hi"));
    ASSERT_FALSE(sent.has_value());
    EXPECT_EQ(sent.error(), make_error_code(errc::bad_credentials));
    EXPECT_TRUE(http_.requests().empty());
}

TEST_F(MpApiTest, TokenTransportFailureIsTransport) {
    http_.push_error(net::errc::timeout);
    const auto token = run(api_.access_token());
    ASSERT_FALSE(token.has_value());
    EXPECT_EQ(token.error(), make_error_code(errc::transport));
}

TEST_F(MpApiTest, ASendWithoutATokenIsNoTokenNotTransport) {
    // Nothing was sent, so the outbox may retry it (a transport failure of the send may not be).
    http_.push_error(net::errc::timeout);
    const auto sent = run(api_.send_text("oUser-1", "hi"));
    ASSERT_FALSE(sent.has_value());
    EXPECT_EQ(sent.error(), make_error_code(errc::no_token));
    EXPECT_EQ(http_.requests().size(), 1U);

    // Also when the refresh after a token error fails: the rejected send delivered nothing.
    push_token("TOKEN-1");
    push_errcode(42001);
    http_.push_error(net::errc::connection_refused);
    const auto again = run(api_.send_text("oUser-1", "hi"));
    ASSERT_FALSE(again.has_value());
    EXPECT_EQ(again.error(), make_error_code(errc::no_token));
}

TEST_F(MpApiTest, ASendThatCouldNotConnectIsNotSentButATimeoutMayHaveArrived) {
    push_token("TOKEN-1");
    http_.push_error(net::errc::connection_refused);
    http_.push_error(net::errc::resolve_failed);
    http_.push_error(net::errc::timeout);
    EXPECT_EQ(run(api_.send_text("oUser-1", "hi")).error(), make_error_code(errc::not_sent));
    EXPECT_EQ(run(api_.send_text("oUser-1", "hi")).error(), make_error_code(errc::not_sent));
    EXPECT_EQ(run(api_.send_text("oUser-1", "hi")).error(), make_error_code(errc::transport));
    EXPECT_EQ(http_.requests().size(), 4U);  // the token, then one attempt each: never retried here
}

struct TokenEndpointCase {
    std::string body;
    errc expected;
};

class MpApiTokenEndpointTest : public MpApiTest, public ::testing::WithParamInterface<TokenEndpointCase> {};

TEST_P(MpApiTokenEndpointTest, MapsFailureToErrc) {
    http_.push_json(200, GetParam().body);
    const auto token = run(api_.access_token());
    ASSERT_FALSE(token.has_value());
    EXPECT_EQ(token.error(), make_error_code(GetParam().expected)) << GetParam().body;
    EXPECT_EQ(http_.requests().size(), 1U);
}

INSTANTIATE_TEST_SUITE_P(
    Bodies, MpApiTokenEndpointTest,
    ::testing::Values(
        // At the token endpoint 40001 means a wrong AppSecret, not a stale token.
        TokenEndpointCase{errcode_json(40001), errc::bad_credentials},
        TokenEndpointCase{errcode_json(40013), errc::bad_credentials},
        TokenEndpointCase{errcode_json(40125), errc::bad_credentials},
        TokenEndpointCase{errcode_json(41002), errc::bad_credentials},
        TokenEndpointCase{errcode_json(41004), errc::bad_credentials},
        TokenEndpointCase{errcode_json(40164), errc::bad_credentials},
        TokenEndpointCase{errcode_json(-1), errc::platform_busy},
        TokenEndpointCase{errcode_json(45009), errc::rate_limited},
        TokenEndpointCase{errcode_json(61024), errc::platform_error},
        TokenEndpointCase{"<html>502 Bad Gateway</html>", errc::bad_response},
        TokenEndpointCase{"", errc::bad_response}, TokenEndpointCase{"[1,2]", errc::bad_response},
        TokenEndpointCase{R"({"errcode":0,"errmsg":"ok"})", errc::bad_response},
        TokenEndpointCase{R"({"expires_in":7200})", errc::bad_response},
        TokenEndpointCase{R"({"access_token":"","expires_in":7200})", errc::bad_response},
        TokenEndpointCase{R"({"access_token":"T","expires_in":0})", errc::bad_response},
        TokenEndpointCase{R"({"access_token":"T","expires_in":"7200"})", errc::bad_response},
        TokenEndpointCase{R"({"access_token":42,"expires_in":7200})", errc::bad_response}));

TEST_F(MpApiTest, SendTextPostsCustomMessage) {
    push_token("TOKEN-1");
    push_errcode(0);

    const auto sent = run(api_.send_text("oUser-1", "你好, world"));

    ASSERT_TRUE(sent.has_value()) << sent.error().message();
    const auto requests = http_.requests();
    ASSERT_EQ(requests.size(), 2U);
    EXPECT_EQ(requests[1].method, "POST");
    EXPECT_EQ(requests[1].url, std::string(kBase) + "/cgi-bin/message/custom/send?access_token=TOKEN-1");
    EXPECT_EQ(requests[1].timeout, 2500ms);
    EXPECT_EQ(Json::parse(requests[1].body),
              Json::parse(R"({"touser":"oUser-1","msgtype":"text","text":{"content":"你好, world"}})"));
}

TEST_F(MpApiTest, SendImagePostsMediaId) {
    push_token("TOKEN-1");
    push_errcode(0);

    const auto sent = run(api_.send_image("oUser-1", "MEDIA-9"));

    ASSERT_TRUE(sent.has_value()) << sent.error().message();
    const auto requests = http_.requests();
    ASSERT_EQ(requests.size(), 2U);
    EXPECT_EQ(path_of(requests[1]), std::string(kBase) + "/cgi-bin/message/custom/send");
    EXPECT_EQ(Json::parse(requests[1].body),
              Json::parse(R"({"touser":"oUser-1","msgtype":"image","image":{"media_id":"MEDIA-9"}})"));
}

class MpApiTokenErrorTest : public MpApiTest, public ::testing::WithParamInterface<int> {};

TEST_P(MpApiTokenErrorTest, InvalidatesRefreshesAndRetriesOnce) {
    push_token("TOKEN-1");
    push_errcode(GetParam());
    push_token("TOKEN-2");
    push_errcode(0);

    const auto sent = run(api_.send_text("oUser-1", "hi"));

    ASSERT_TRUE(sent.has_value()) << sent.error().message();
    const auto requests = http_.requests();
    ASSERT_EQ(requests.size(), 4U);
    EXPECT_EQ(token_of(requests[1]), "TOKEN-1");
    EXPECT_EQ(path_of(requests[2]), std::string(kBase) + "/cgi-bin/stable_token");
    EXPECT_EQ(token_of(requests[3]), "TOKEN-2");
    EXPECT_EQ(requests[1].body, requests[3].body);
    // The fresh token is cached.
    EXPECT_EQ(run(api_.access_token()).value(), "TOKEN-2");
    EXPECT_EQ(http_.requests().size(), 4U);
}

INSTANTIATE_TEST_SUITE_P(Errcodes, MpApiTokenErrorTest, ::testing::Values(40001, 40014, 42001));

TEST_F(MpApiTest, SecondTokenErrorIsTokenRejectedWithoutFurtherRetries) {
    push_token("TOKEN-1");
    push_errcode(40001);
    push_token("TOKEN-2");
    push_errcode(42001);

    const auto sent = run(api_.send_text("oUser-1", "hi"));

    ASSERT_FALSE(sent.has_value());
    EXPECT_EQ(sent.error(), make_error_code(errc::token_rejected));
    const auto requests = http_.requests();
    ASSERT_EQ(requests.size(), 4U);
    int sends = 0;
    for (const auto& request : requests) {
        sends += path_of(request) == std::string(kBase) + "/cgi-bin/message/custom/send" ? 1 : 0;
    }
    EXPECT_EQ(sends, 2);
}

TEST_F(MpApiTest, RefreshFailureDuringTheRetryIsReturned) {
    push_token("TOKEN-1");
    push_errcode(40014);
    push_errcode(-1);

    const auto sent = run(api_.send_text("oUser-1", "hi"));

    ASSERT_FALSE(sent.has_value());
    EXPECT_EQ(sent.error(), make_error_code(errc::platform_busy));
    EXPECT_EQ(http_.requests().size(), 3U);
}

TEST_F(MpApiTest, StaleInvalidateDoesNotDropANewerToken) {
    push_token("TOKEN-1");
    push_token("TOKEN-2");
    push_token("TOKEN-3");
    ASSERT_EQ(run(api_.access_token()).value(), "TOKEN-1");

    api_.invalidate("TOKEN-1");
    EXPECT_EQ(run(api_.access_token()).value(), "TOKEN-2");
    api_.invalidate("TOKEN-1");  // a late report about the old token
    EXPECT_EQ(run(api_.access_token()).value(), "TOKEN-2");
    EXPECT_EQ(http_.requests().size(), 2U);

    api_.invalidate("TOKEN-2");
    EXPECT_EQ(run(api_.access_token()).value(), "TOKEN-3");
    EXPECT_EQ(http_.requests().size(), 3U);
}

TEST_F(MpApiTest, TransportTimeoutOnSendIsNotRetried) {
    push_token("TOKEN-1");
    http_.push_error(net::errc::timeout);
    push_errcode(0);  // would be consumed by a (forbidden) retry

    const auto sent = run(api_.send_text("oUser-1", "hi"));

    ASSERT_FALSE(sent.has_value());
    EXPECT_EQ(sent.error(), make_error_code(errc::transport));
    EXPECT_EQ(http_.requests().size(), 2U);
    EXPECT_EQ(http_.pending(), 1U);
}

struct ErrcodeCase {
    int errcode;
    errc expected;
};

class MpApiSendErrcodeTest : public MpApiTest, public ::testing::WithParamInterface<ErrcodeCase> {};

TEST_P(MpApiSendErrcodeTest, MapsToErrcWithoutRetrying) {
    push_token("TOKEN-1");
    push_errcode(GetParam().errcode);
    push_errcode(0);  // would be consumed by a (forbidden) retry

    const auto sent = run(api_.send_text("oUser-1", "hi"));

    ASSERT_FALSE(sent.has_value());
    EXPECT_EQ(sent.error(), make_error_code(GetParam().expected)) << GetParam().errcode;
    EXPECT_EQ(http_.requests().size(), 2U);
    EXPECT_EQ(errc_from_errcode(GetParam().errcode), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Errcodes, MpApiSendErrcodeTest,
    ::testing::Values(ErrcodeCase{40013, errc::bad_credentials}, ErrcodeCase{40125, errc::bad_credentials},
                      ErrcodeCase{41002, errc::bad_credentials}, ErrcodeCase{41004, errc::bad_credentials},
                      ErrcodeCase{40164, errc::bad_credentials}, ErrcodeCase{45015, errc::window_closed},
                      ErrcodeCase{45047, errc::quota_exceeded}, ErrcodeCase{43004, errc::not_subscribed},
                      ErrcodeCase{40003, errc::invalid_recipient}, ErrcodeCase{43019, errc::user_refused},
                      ErrcodeCase{48002, errc::user_refused}, ErrcodeCase{43101, errc::user_refused},
                      ErrcodeCase{45002, errc::content_too_long}, ErrcodeCase{40037, errc::template_invalid},
                      ErrcodeCase{47003, errc::template_invalid}, ErrcodeCase{45009, errc::rate_limited},
                      ErrcodeCase{45011, errc::rate_limited}, ErrcodeCase{-1, errc::platform_busy},
                      ErrcodeCase{48001, errc::platform_error}, ErrcodeCase{44002, errc::platform_error},
                      ErrcodeCase{12345678, errc::platform_error}));

TEST(MpApiErrcodeMapping, TokenErrorsAreTokenRejectedOnceRetriesAreSpent) {
    EXPECT_EQ(errc_from_errcode(40001), errc::token_rejected);
    EXPECT_EQ(errc_from_errcode(40014), errc::token_rejected);
    EXPECT_EQ(errc_from_errcode(42001), errc::token_rejected);
}

class MpApiBadBodyTest : public MpApiTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(MpApiBadBodyTest, IsBadResponse) {
    push_token("TOKEN-1");
    http_.push_json(200, GetParam());

    const auto sent = run(api_.send_text("oUser-1", "hi"));

    ASSERT_FALSE(sent.has_value());
    EXPECT_EQ(sent.error(), make_error_code(errc::bad_response)) << GetParam();
    EXPECT_EQ(http_.requests().size(), 2U);
}

INSTANTIATE_TEST_SUITE_P(Bodies, MpApiBadBodyTest,
                         ::testing::Values("<html>502 Bad Gateway</html>", "", "[]", "null",
                                           R"({"errmsg":"ok"})", R"({"errcode":"0","errmsg":"ok"})",
                                           R"({"errcode":1.5})", R"({"errcode":0,)"));

TEST_F(MpApiTest, HttpErrorStatusWithUnreadableBodyIsBadResponse) {
    push_token("TOKEN-1");
    net::HttpResponse response;
    response.status = 503;
    response.body = "Service Unavailable";
    http_.push(response);

    const auto sent = run(api_.send_text("oUser-1", "hi"));

    ASSERT_FALSE(sent.has_value());
    EXPECT_EQ(sent.error(), make_error_code(errc::bad_response));
}

TEST_F(MpApiTest, TextOverTheLimitIsRejectedWithoutCallingTheApi) {
    std::string text;
    for (int i = 0; i < 682; ++i) {
        text += "好";  // 3 bytes each: 2046
    }
    text += "ab";  // 2048: exactly the limit

    const auto too_long = run(api_.send_text("oUser-1", text + "c"));
    EXPECT_FALSE(too_long.has_value());
    EXPECT_EQ(too_long.error(), make_error_code(errc::content_too_long));
    EXPECT_TRUE(http_.requests().empty());

    push_token("TOKEN-1");
    push_errcode(0);
    const auto at_limit = run(api_.send_text("oUser-1", text));
    ASSERT_TRUE(at_limit.has_value()) << at_limit.error().message();
    EXPECT_EQ(Json::parse(http_.requests().at(1).body).at("text").at("content"), text);
}

TEST_F(MpApiTest, IllFormedUtf8IsReplacedNotThrown) {
    push_token("TOKEN-1");
    push_errcode(0);

    const auto sent = run(api_.send_text("oUser-1",
                                         "a\xff"
                                         "b"));

    ASSERT_TRUE(sent.has_value()) << sent.error().message();
    EXPECT_EQ(Json::parse(http_.requests().at(1).body).at("text").at("content"),
              "a\xEF\xBF\xBD"
              "b");
}

TemplateSpec repair_spec() {
    TemplateSpec spec;
    spec.template_id = "TPL-REPAIR";
    spec.url = "https://example.test/t/1";
    spec.fields = {{"thing1", "{category}"}, {"character_string2", "{code}"}, {"time3", "{time}"}};
    return spec;
}

std::map<std::string, std::string> repair_vars() {
    return {{"category", "水管漏水"}, {"code", "R-2026-0042"}, {"time", "2026-11-27 09:30"}};
}

TEST(RenderTemplate, FillsPlaceholders) {
    const auto message = render_template(repair_spec(), repair_vars(), "oUser-1", "ticket-42-created");

    ASSERT_TRUE(message.has_value()) << message.error().message();
    EXPECT_EQ(message->openid, "oUser-1");
    EXPECT_EQ(message->template_id, "TPL-REPAIR");
    EXPECT_EQ(message->url, "https://example.test/t/1");
    EXPECT_EQ(message->client_msg_id, "ticket-42-created");
    const std::vector<std::pair<std::string, std::string>> expected{
        {"thing1", "水管漏水"}, {"character_string2", "R-2026-0042"}, {"time3", "2026-11-27 09:30"}};
    EXPECT_EQ(message->data, expected);
}

TEST(RenderTemplate, MixesTextAndPlaceholders) {
    TemplateSpec spec;
    spec.fields = {{"thing1", "工单 {code}: {category}!"}};
    const auto message = render_template(spec, repair_vars(), "o", "");
    ASSERT_TRUE(message.has_value());
    EXPECT_EQ(message->data.at(0).second, "工单 R-2026-0042: 水管漏水!");
}

TEST(RenderTemplate, UnknownPlaceholderIsTemplateInvalid) {
    TemplateSpec spec = repair_spec();
    spec.fields.emplace_back("thing4", "{building}");

    const auto message = render_template(spec, repair_vars(), "oUser-1", "id");

    ASSERT_FALSE(message.has_value());
    EXPECT_EQ(message.error(), make_error_code(errc::template_invalid));
}

TEST(RenderTemplate, DoubledBracesAreLiteral) {
    TemplateSpec spec;
    spec.fields = {{"thing1", "{{code}} is {code}; }}{{"}};

    const auto message = render_template(spec, repair_vars(), "o", "");

    ASSERT_TRUE(message.has_value()) << message.error().message();
    EXPECT_EQ(message->data.at(0).second, "{code} is R-2026-0042; }{");
}

TEST(RenderTemplate, StrayBracesAreTemplateInvalid) {
    for (const std::string pattern : {"{", "}", "{}", "a {code", "code}", "{a{code}}", "{code}}"}) {
        TemplateSpec spec;
        spec.fields = {{"thing1", pattern}};
        const auto message = render_template(spec, repair_vars(), "o", "");
        ASSERT_FALSE(message.has_value()) << pattern;
        EXPECT_EQ(message.error(), make_error_code(errc::template_invalid)) << pattern;
    }
}

TEST(RenderTemplate, ValuesAreNotExpandedAgain) {
    TemplateSpec spec;
    spec.fields = {{"thing1", "{note}"}};
    const std::map<std::string, std::string> vars{{"note", "{code} }{"}, {"code", "X"}};

    const auto message = render_template(spec, vars, "o", "");

    ASSERT_TRUE(message.has_value());
    EXPECT_EQ(message->data.at(0).second, "{code} }{");
}

TEST_F(MpApiTest, SendTemplatePostsDataUrlAndClientMsgId) {
    push_token("TOKEN-1");
    http_.push_json(200, R"({"errcode":0,"errmsg":"ok","msgid":200228332})");
    auto message = render_template(repair_spec(), repair_vars(), "oUser-1", "ticket-42-created").value();

    const auto msgid = run(api_.send_template(message));

    ASSERT_TRUE(msgid.has_value()) << msgid.error().message();
    EXPECT_EQ(*msgid, 200228332);
    const auto requests = http_.requests();
    ASSERT_EQ(requests.size(), 2U);
    EXPECT_EQ(requests[1].url, std::string(kBase) + "/cgi-bin/message/template/send?access_token=TOKEN-1");
    EXPECT_EQ(Json::parse(requests[1].body), Json::parse(R"({
        "touser": "oUser-1", "template_id": "TPL-REPAIR", "url": "https://example.test/t/1",
        "client_msg_id": "ticket-42-created",
        "data": {"thing1": {"value": "水管漏水"}, "character_string2": {"value": "R-2026-0042"},
                 "time3": {"value": "2026-11-27 09:30"}}})"));
}

TEST_F(MpApiTest, SendTemplateOmitsEmptyUrlAndClientMsgId) {
    push_token("TOKEN-1");
    push_errcode(0);  // no msgid: accepted all the same
    TemplateMessage message;
    message.openid = "oUser-1";
    message.template_id = "TPL";
    message.data = {{"thing1", "x"}};

    const auto msgid = run(api_.send_template(message));

    ASSERT_TRUE(msgid.has_value()) << msgid.error().message();
    EXPECT_EQ(*msgid, 0);
    const auto body = Json::parse(http_.requests().at(1).body);
    EXPECT_FALSE(body.contains("url"));
    EXPECT_FALSE(body.contains("client_msg_id"));
}

TEST_F(MpApiTest, SendTemplateMapsTemplateErrors) {
    push_token("TOKEN-1");
    push_errcode(40037);
    TemplateMessage message;
    message.openid = "oUser-1";
    message.template_id = "NOPE";

    const auto msgid = run(api_.send_template(message));

    ASSERT_FALSE(msgid.has_value());
    EXPECT_EQ(msgid.error(), make_error_code(errc::template_invalid));
}

// Spawns run_refresher with a cancellation slot; records how it ended.
class RefresherRun {
public:
    RefresherRun(asio::io_context& ioc, MpApi& api) {
        asio::co_spawn(ioc, api.run_refresher(),
                       asio::bind_cancellation_slot(stop_.slot(), [this](const std::exception_ptr& error) {
                           error_ = error;
                           finished_ = true;
                       }));
    }
    void cancel() { stop_.emit(asio::cancellation_type::terminal); }
    bool finished() const { return finished_; }
    // True if it ended by throwing the cancellation as a system_error.
    bool aborted() const {
        if (!error_) {
            return false;
        }
        try {
            std::rethrow_exception(error_);
        } catch (const boost::system::system_error& e) {
            // Clock::sleep_until promises operation_aborted; FakeClock currently lets its channel's
            // channel_cancelled through instead. Either way it is the cancellation, not a failure.
            return e.code() == asio::error::operation_aborted ||
                   e.code() == asio::experimental::error::channel_cancelled;
        }
    }

private:
    asio::cancellation_signal stop_;
    std::exception_ptr error_;
    bool finished_ = false;
};

TEST_F(MpApiTest, RefresherRefreshesBeforeExpiryAndStopsWhenCancelled) {
    push_token("TOKEN-1");
    push_token("TOKEN-2");
    push_token("TOKEN-3");
    RefresherRun refresher(ioc_, api_);
    ASSERT_TRUE(poll_until(ioc_, [&] { return http_.requests().size() == 1 && clock_.sleepers() == 1; }));

    clock_.advance(7200s - 300s - 1s);
    ioc_.poll();
    EXPECT_EQ(http_.requests().size(), 1U);

    clock_.advance(1s);
    ASSERT_TRUE(poll_until(ioc_, [&] { return http_.requests().size() == 2 && clock_.sleepers() == 1; }));
    EXPECT_EQ(run(api_.access_token()).value(), "TOKEN-2");

    clock_.advance(6900s);
    ASSERT_TRUE(poll_until(ioc_, [&] { return http_.requests().size() == 3 && clock_.sleepers() == 1; }));
    EXPECT_EQ(run(api_.access_token()).value(), "TOKEN-3");

    refresher.cancel();
    ASSERT_TRUE(poll_until(ioc_, [&] { return refresher.finished(); }));
    EXPECT_TRUE(refresher.aborted());
    EXPECT_EQ(clock_.sleepers(), 0U);
    EXPECT_EQ(http_.requests().size(), 3U);
}

TEST_F(MpApiTest, RefresherBacksOffAfterFailures) {
    push_errcode(-1);
    push_errcode(-1);
    push_token("TOKEN-1");
    RefresherRun refresher(ioc_, api_);
    ASSERT_TRUE(poll_until(ioc_, [&] { return http_.requests().size() == 1 && clock_.sleepers() == 1; }));

    clock_.advance(29s);
    ioc_.poll();
    EXPECT_EQ(http_.requests().size(), 1U);
    clock_.advance(1s);
    ASSERT_TRUE(poll_until(ioc_, [&] { return http_.requests().size() == 2 && clock_.sleepers() == 1; }));

    clock_.advance(59s);  // the backoff doubled to 60 s
    ioc_.poll();
    EXPECT_EQ(http_.requests().size(), 2U);
    clock_.advance(1s);
    ASSERT_TRUE(poll_until(ioc_, [&] { return http_.requests().size() == 3 && clock_.sleepers() == 1; }));
    EXPECT_EQ(run(api_.access_token()).value(), "TOKEN-1");

    refresher.cancel();
    ASSERT_TRUE(poll_until(ioc_, [&] { return refresher.finished(); }));
    EXPECT_TRUE(refresher.aborted());
}

TEST_F(MpApiTest, RefresherUsesTheTokenSomeoneElseFetched) {
    push_token("TOKEN-1");
    push_token("TOKEN-2");
    RefresherRun refresher(ioc_, api_);
    ASSERT_TRUE(poll_until(ioc_, [&] { return http_.requests().size() == 1 && clock_.sleepers() == 1; }));

    clock_.advance(100s);
    api_.invalidate("TOKEN-1");
    EXPECT_EQ(run(api_.access_token()).value(), "TOKEN-2");  // fetched on demand, due at T0 + 7000 s
    clock_.advance(6800s);  // TOKEN-1's due time wakes the refresher, but TOKEN-2 is still fresh
    ASSERT_TRUE(poll_until(ioc_, [&] { return clock_.sleepers() == 1; }));
    EXPECT_EQ(http_.requests().size(), 2U);

    refresher.cancel();
    ASSERT_TRUE(poll_until(ioc_, [&] { return refresher.finished(); }));
    EXPECT_TRUE(refresher.aborted());
}

TEST_F(MpApiTest, PlatformErrmsgIsLoggedWithoutTheTokenOrTheSecret) {
    LogCapture capture;
    push_token("TOKEN-1");
    Json reply;
    reply["errcode"] = 45015;
    reply["errmsg"] = std::string("response out of time limit, token TOKEN-1 secret ") + kSecret;
    http_.push_json(200, reply.dump());

    const auto sent = run(api_.send_text("oUser-1", "hi"));

    EXPECT_EQ(sent.error(), make_error_code(errc::window_closed));
    bool saw_errmsg = false;
    for (const auto& line : capture.lines()) {
        EXPECT_EQ(line.find("TOKEN-1"), std::string::npos) << line;
        EXPECT_EQ(line.find(kSecret), std::string::npos) << line;
        saw_errmsg =
            saw_errmsg ||
            line.find("response out of time limit, token <redacted> secret <redacted>") != std::string::npos;
    }
    EXPECT_TRUE(saw_errmsg);
}

TEST(MpApiErrc, CategoryAndMessages) {
    EXPECT_STREQ(make_error_code(errc::window_closed).category().name(), "anju.wechat_mp");
    for (int value = static_cast<int>(errc::transport); value <= static_cast<int>(errc::platform_error);
         ++value) {
        const auto message = make_error_code(static_cast<errc>(value)).message();
        EXPECT_FALSE(message.empty());
        EXPECT_NE(message, "unknown WeChat Official Account API error") << value;
    }
    const boost::system::error_code code = errc::platform_busy;
    EXPECT_EQ(code, make_error_code(errc::platform_busy));
}

// ---------------------------------------------------------------------------------------------------
// Loopback tests: BeastHttpClient against FakeWeChatApi on 127.0.0.1.

net::TlsClientOptions no_system_roots() {
    net::TlsClientOptions options;
    options.ca_pem = std::string(anju::testing::kTestCaPem);
    options.use_system_roots = false;
    return options;
}

class MpApiLoopbackTest : public ::testing::Test {
protected:
    MpApiOptions options(TokenEndpoint endpoint = TokenEndpoint::stable) const {
        MpApiOptions options;
        options.app_id = platform_.options().app_id;
        options.app_secret = Secret(platform_.options().app_secret);
        options.api_base = platform_.base_url();
        options.token_endpoint = endpoint;
        return options;
    }
    template <class T>
    T run(asio::awaitable<T> coro) {
        return run_coro(ioc_, std::move(coro));
    }

    FakeWeChatApi platform_;
    asio::io_context ioc_;
    FakeClock clock_;
    ssl::context tls_ = net::make_client_tls_context(no_system_roots());
    net::BeastHttpClient http_{ioc_.get_executor(), tls_};
    MpApi api_{ioc_.get_executor(), http_, clock_, options()};
};

TEST_F(MpApiLoopbackTest, ClassicAndStableEndpointsIssueTokens) {
    MpApi classic(ioc_.get_executor(), http_, clock_, options(TokenEndpoint::classic));

    const auto stable_token = run(api_.access_token());
    const auto classic_token = run(classic.access_token());

    ASSERT_TRUE(stable_token.has_value()) << stable_token.error().message();
    ASSERT_TRUE(classic_token.has_value()) << classic_token.error().message();
    EXPECT_EQ(*stable_token, "TOKEN-1");
    EXPECT_EQ(*classic_token, "TOKEN-2");
    const auto requests = platform_.requests();
    ASSERT_EQ(requests.size(), 2U);
    EXPECT_EQ(requests[0].method, "POST");
    EXPECT_EQ(path_of(requests[0]), "/cgi-bin/stable_token");
    EXPECT_EQ(requests[1].method, "GET");
    EXPECT_EQ(path_of(requests[1]), "/cgi-bin/token");
}

TEST_F(MpApiLoopbackTest, WrongCredentialsAreBadCredentialsOnBothEndpoints) {
    for (const auto endpoint : {TokenEndpoint::stable, TokenEndpoint::classic}) {
        auto wrong_secret = options(endpoint);
        wrong_secret.app_secret = Secret("not-the-secret");
        auto wrong_app = options(endpoint);
        wrong_app.app_id = "wx-someone-else";
        MpApi bad_secret(ioc_.get_executor(), http_, clock_, wrong_secret);
        MpApi bad_app(ioc_.get_executor(), http_, clock_, wrong_app);

        const auto secret_result = run(bad_secret.access_token());
        const auto app_result = run(bad_app.access_token());

        ASSERT_FALSE(secret_result.has_value());
        EXPECT_EQ(secret_result.error(), make_error_code(errc::bad_credentials));
        ASSERT_FALSE(app_result.has_value());
        EXPECT_EQ(app_result.error(), make_error_code(errc::bad_credentials));
    }
    EXPECT_EQ(platform_.token_requests(), 4U);
}

asio::awaitable<void> fetch_token_into(MpApi& api, std::vector<TokenResult>& results) {
    auto token = co_await api.access_token();
    results.push_back(std::move(token));
}

TEST_F(MpApiLoopbackTest, ConcurrentCallersShareOneTokenRequest) {
    platform_.set_response_delay(200ms);
    std::vector<TokenResult> results;
    for (int i = 0; i < 20; ++i) {
        asio::co_spawn(ioc_, fetch_token_into(api_, results), asio::detached);
    }

    ASSERT_TRUE(poll_until(ioc_, [&] { return results.size() == 20; }));

    EXPECT_EQ(platform_.token_requests(), 1U);
    for (const auto& result : results) {
        ASSERT_TRUE(result.has_value()) << result.error().message();
        EXPECT_EQ(*result, "TOKEN-1");
    }
}

TEST_F(MpApiLoopbackTest, ConcurrentCallersOnAThreadPoolShareOneTokenRequest) {
    platform_.set_response_delay(200ms);
    asio::thread_pool pool(4);
    net::BeastHttpClient pool_http(pool.get_executor(), tls_);
    MpApi api(pool.get_executor(), pool_http, clock_, options());
    std::vector<std::future<TokenResult>> futures;
    for (int i = 0; i < 20; ++i) {
        futures.push_back(asio::co_spawn(pool, api.access_token(), asio::use_future));
    }

    for (auto& future : futures) {
        ASSERT_EQ(future.wait_for(20s), std::future_status::ready);
        const auto token = future.get();
        ASSERT_TRUE(token.has_value()) << token.error().message();
        EXPECT_EQ(*token, "TOKEN-1");
    }
    EXPECT_EQ(platform_.token_requests(), 1U);

    // Sends from many threads at once right after the platform expired the token: they all see 42001
    // (or the fresh token), and compare-and-expire plus the single flight cost exactly one refresh.
    platform_.expire_current_token();
    std::vector<std::future<SendResult>> sends;
    for (int i = 0; i < 8; ++i) {
        sends.push_back(
            asio::co_spawn(pool, api.send_text("oUser-" + std::to_string(i), "hi"), asio::use_future));
    }
    for (auto& send : sends) {
        ASSERT_EQ(send.wait_for(20s), std::future_status::ready);
        const auto sent = send.get();
        EXPECT_TRUE(sent.has_value()) << sent.error().message();
    }
    EXPECT_EQ(platform_.custom_messages().size(), 8U);
    EXPECT_EQ(platform_.token_requests(), 2U);
    pool.join();
}

TEST_F(MpApiLoopbackTest, FailedRefreshReachesEveryWaiterAndTheNextCallRetries) {
    platform_.set_response_delay(200ms);
    platform_.fail_next_token_requests(-1, 1);
    std::vector<TokenResult> results;
    for (int i = 0; i < 20; ++i) {
        asio::co_spawn(ioc_, fetch_token_into(api_, results), asio::detached);
    }

    ASSERT_TRUE(poll_until(ioc_, [&] { return results.size() == 20; }));

    EXPECT_EQ(platform_.token_requests(), 1U);
    for (const auto& result : results) {
        ASSERT_FALSE(result.has_value());
        EXPECT_EQ(result.error(), make_error_code(errc::platform_busy));
    }
    platform_.set_response_delay(0ms);
    const auto retried = run(api_.access_token());
    ASSERT_TRUE(retried.has_value()) << retried.error().message();
    EXPECT_EQ(*retried, "TOKEN-1");
    EXPECT_EQ(platform_.token_requests(), 2U);
}

TEST_F(MpApiLoopbackTest, CancelledWaiterDoesNotCancelTheSharedRefresh) {
    platform_.set_response_delay(200ms);
    asio::cancellation_signal cancel_first;
    std::exception_ptr first_error;
    bool first_done = false;
    asio::co_spawn(ioc_, api_.access_token(),
                   asio::bind_cancellation_slot(cancel_first.slot(),
                                                [&](const std::exception_ptr& error, const TokenResult&) {
                                                    first_error = error;
                                                    first_done = true;
                                                }));
    std::vector<TokenResult> others;
    asio::co_spawn(ioc_, fetch_token_into(api_, others), asio::detached);
    ASSERT_TRUE(poll_until(ioc_, [&] { return platform_.token_requests() == 1; }));

    cancel_first.emit(asio::cancellation_type::terminal);
    ASSERT_TRUE(poll_until(ioc_, [&] { return first_done && others.size() == 1; }));

    ASSERT_TRUE(first_error != nullptr);
    try {
        std::rethrow_exception(first_error);
    } catch (const boost::system::system_error& e) {
        EXPECT_EQ(e.code(), asio::error::operation_aborted);
    }
    ASSERT_TRUE(others[0].has_value()) << others[0].error().message();
    EXPECT_EQ(*others[0], "TOKEN-1");
    EXPECT_EQ(run(api_.access_token()).value(), "TOKEN-1");
    EXPECT_EQ(platform_.token_requests(), 1U);
}

TEST_F(MpApiLoopbackTest, PlatformExpiringTheTokenCausesExactlyOneRefresh) {
    ASSERT_TRUE(run(api_.send_text("oUser-1", "first")).has_value());
    platform_.expire_current_token();

    const auto sent = run(api_.send_text("oUser-1", "second"));

    ASSERT_TRUE(sent.has_value()) << sent.error().message();
    EXPECT_EQ(platform_.token_requests(), 2U);
    EXPECT_EQ(platform_.send_requests(), 3U);
    const auto messages = platform_.custom_messages();
    ASSERT_EQ(messages.size(), 2U);
    EXPECT_EQ(messages[0].access_token, "TOKEN-1");
    EXPECT_EQ(messages[0].text, "first");
    EXPECT_EQ(messages[1].access_token, "TOKEN-2");
    EXPECT_EQ(messages[1].text, "second");
    EXPECT_EQ(messages[1].touser, "oUser-1");
    EXPECT_EQ(messages[1].msgtype, "text");
}

TEST_F(MpApiLoopbackTest, TokenErrorTwiceIsTokenRejectedAfterExactlyTwoSends) {
    ASSERT_TRUE(run(api_.access_token()).has_value());
    platform_.fail_next_sends(40001, 2);

    const auto sent = run(api_.send_text("oUser-1", "hi"));

    ASSERT_FALSE(sent.has_value());
    EXPECT_EQ(sent.error(), make_error_code(errc::token_rejected));
    EXPECT_EQ(platform_.send_requests(), 2U);
    EXPECT_EQ(platform_.token_requests(), 2U);
    EXPECT_TRUE(platform_.custom_messages().empty());
}

TEST_F(MpApiLoopbackTest, ClosedWindowIsWindowClosed) {
    platform_.fail_next_sends(45015, 1);

    const auto sent = run(api_.send_text("oUser-1", "hi"));

    ASSERT_FALSE(sent.has_value());
    EXPECT_EQ(sent.error(), make_error_code(errc::window_closed));
    EXPECT_EQ(platform_.send_requests(), 1U);
    EXPECT_EQ(platform_.token_requests(), 1U);
}

TEST_F(MpApiLoopbackTest, BusyPlatformIsNotRetried) {
    platform_.fail_next_sends(-1, 1);

    const auto sent = run(api_.send_image("oUser-1", "MEDIA-1"));

    ASSERT_FALSE(sent.has_value());
    EXPECT_EQ(sent.error(), make_error_code(errc::platform_busy));
    EXPECT_EQ(platform_.send_requests(), 1U);
}

TEST_F(MpApiLoopbackTest, RepeatedClientMsgIdIsDedupedByThePlatform) {
    auto message = render_template(repair_spec(), repair_vars(), "oUser-1", "ticket-42-created").value();
    auto again = message;
    auto other = render_template(repair_spec(), repair_vars(), "oUser-1", "ticket-42-closed").value();

    const auto first = run(api_.send_template(message));
    const auto repeat = run(api_.send_template(again));
    const auto different = run(api_.send_template(other));

    ASSERT_TRUE(first.has_value()) << first.error().message();
    ASSERT_TRUE(repeat.has_value()) << repeat.error().message();
    ASSERT_TRUE(different.has_value()) << different.error().message();
    EXPECT_EQ(*repeat, *first);
    EXPECT_NE(*different, *first);
    EXPECT_EQ(platform_.send_requests(), 3U);
    const auto recorded = platform_.template_messages();
    ASSERT_EQ(recorded.size(), 2U);
    EXPECT_EQ(recorded[0].client_msg_id, "ticket-42-created");
    EXPECT_EQ(recorded[0].template_id, "TPL-REPAIR");
    EXPECT_EQ(recorded[0].url, "https://example.test/t/1");
    EXPECT_EQ(recorded[0].fields.at("thing1"), "水管漏水");
    EXPECT_EQ(recorded[0].fields.at("character_string2"), "R-2026-0042");
    EXPECT_EQ(recorded[0].fields.at("time3"), "2026-11-27 09:30");
    EXPECT_EQ(recorded[0].msgid, *first);
    EXPECT_EQ(recorded[1].client_msg_id, "ticket-42-closed");
}

TEST_F(MpApiLoopbackTest, SendTimeoutIsTransportAndNotRetried) {
    auto fast = options();
    fast.request_timeout = 150ms;
    MpApi api(ioc_.get_executor(), http_, clock_, fast);
    ASSERT_TRUE(run(api.access_token()).has_value());
    platform_.set_response_delay(10s);

    const auto sent = run(api.send_text("oUser-1", "hi"));

    ASSERT_FALSE(sent.has_value());
    EXPECT_EQ(sent.error(), make_error_code(errc::transport));
    EXPECT_EQ(platform_.send_requests(), 1U);
    EXPECT_EQ(platform_.token_requests(), 1U);
}

TEST_F(MpApiLoopbackTest, LogsNeverContainTheTokenOrTheSecret) {
    LogCapture capture;
    // Classic: the secret travels in the URL query.
    MpApi classic(ioc_.get_executor(), http_, clock_, options(TokenEndpoint::classic));
    ASSERT_TRUE(run(classic.send_text("oUser-1", "hello")).has_value());
    platform_.fail_next_sends(40001, 1);  // one token error, a retry with TOKEN-2
    ASSERT_TRUE(run(classic.send_text("oUser-1", "again")).has_value());
    platform_.fail_next_sends(45015, 1);
    EXPECT_EQ(run(classic.send_text("oUser-1", "late")).error(), make_error_code(errc::window_closed));
    auto wrong = options(TokenEndpoint::stable);
    wrong.app_secret = Secret(platform_.options().app_secret + "-wrong");
    MpApi wrong_secret(ioc_.get_executor(), http_, clock_, wrong);
    EXPECT_EQ(run(wrong_secret.access_token()).error(), make_error_code(errc::bad_credentials));

    const auto lines = capture.lines();
    ASSERT_FALSE(lines.empty());
    bool saw_window_closed = false;
    bool saw_call = false;
    for (const auto& line : lines) {
        EXPECT_EQ(line.find("TOKEN-"), std::string::npos) << line;
        EXPECT_EQ(line.find(platform_.options().app_secret), std::string::npos) << line;
        EXPECT_EQ(line.find("access_token="), std::string::npos) << line;
        EXPECT_EQ(line.find("hello"), std::string::npos) << line;  // bodies are never logged
        saw_window_closed = saw_window_closed || (line.find("level=warn") != std::string::npos &&
                                                  line.find("errcode=45015") != std::string::npos &&
                                                  line.find("api=message/custom/send") != std::string::npos);
        saw_call = saw_call ||
                   (line.find("level=debug") != std::string::npos &&
                    line.find("errcode=0") != std::string::npos && line.find("ms=") != std::string::npos);
    }
    EXPECT_TRUE(saw_window_closed);
    EXPECT_TRUE(saw_call);
}

}  // namespace
}  // namespace anju::adapters::wechat_mp
