// The WeCom API clients against FakeWeComApi on 127.0.0.1 through the real BeastHttpClient: token caching,
// single-flight refresh and the single retry, app messages with partly invalid recipients, app group
// chats, the group robot webhook, the one-shot 智能机器人 response_url, errcode folding, content limits and
// what the logs may never contain. A few cases the fake cannot produce (bodies that are not JSON, transport
// errors on demand, errmsgs that echo secrets) use FakeHttpClient.
#include "adapters/wecom/api.hpp"
#include "bot/core/log.hpp"
#include "bot/net/beast_http_client.hpp"
#include "bot/net/errors.hpp"
#include "bot/net/tls.hpp"
#include "bot/net/url.hpp"
#include "tests/support/async.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/fake_http_client.hpp"
#include "tests/support/fake_wecom_api.hpp"
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
#include <mutex>
#include <string>
#include <vector>

namespace anju::adapters::wecom {
namespace {

using namespace std::chrono_literals;
using anju::testing::FakeClock;
using anju::testing::FakeHttpClient;
using anju::testing::FakeWeComApi;
using anju::testing::poll_until;
using anju::testing::run_coro;
using Json = nlohmann::json;
using TokenResult = boost::system::result<std::string>;
using ReceiptResult = boost::system::result<SendReceipt>;
using VoidResult = boost::system::result<void>;

std::string path_of(const net::HttpRequest& request) { return request.url.substr(0, request.url.find('?')); }

std::string query_param(const net::HttpRequest& request, std::string_view name) {
    const auto question = request.url.find('?');
    if (question == std::string::npos) {
        return {};
    }
    const auto params = net::parse_query(std::string_view(request.url).substr(question + 1));
    const auto value = net::find_param(params, name);
    return value ? std::string(*value) : std::string();
}

// `count` copies of `piece`.
std::string repeat(std::string_view piece, std::size_t count) {
    std::string out;
    for (std::size_t i = 0; i < count; ++i) {
        out += piece;
    }
    return out;
}

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

// Spawns run_refresher with a cancellation slot; records how it ended.
class RefresherRun {
public:
    RefresherRun(asio::io_context& ioc, WeComApi& api) {
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
            // FakeClock lets its channel's channel_cancelled through; either way it is the cancellation.
            return e.code() == asio::error::operation_aborted ||
                   e.code() == asio::experimental::error::channel_cancelled;
        }
    }

private:
    asio::cancellation_signal stop_;
    std::exception_ptr error_;
    bool finished_ = false;
};

net::TlsClientOptions no_system_roots() {
    net::TlsClientOptions options;
    options.ca_pem = std::string(anju::testing::kTestCaPem);
    options.use_system_roots = false;
    return options;
}

// ---------------------------------------------------------------------------------------------------
// Loopback: BeastHttpClient against FakeWeComApi.

class WeComApiTest : public ::testing::Test {
protected:
    WeComApiOptions options() const {
        WeComApiOptions options;
        options.corp_id = platform_.options().corp_id;
        options.corp_secret = Secret(platform_.options().corp_secret);
        options.agent_id = platform_.options().agent_id;
        options.api_base = platform_.base_url();
        return options;
    }
    RobotWebhookOptions robot_options() const {
        RobotWebhookOptions options;
        options.api_base = platform_.base_url();
        return options;
    }
    Secret robot_key() const { return Secret(*platform_.options().robot_keys.begin()); }
    template <class T>
    T run(asio::awaitable<T> coro) {
        return run_coro(ioc_, std::move(coro));
    }

    FakeWeComApi platform_;
    asio::io_context ioc_;
    FakeClock clock_;
    ssl::context tls_ = net::make_client_tls_context(no_system_roots());
    net::BeastHttpClient http_{ioc_.get_executor(), tls_};
    WeComApi api_{ioc_.get_executor(), http_, clock_, options()};
    RobotWebhook robot_{http_, robot_options()};
};

TEST_F(WeComApiTest, TokenIsFetchedWithGetAndCached) {
    const auto first = run(api_.access_token());
    const auto second = run(api_.access_token());

    ASSERT_TRUE(first.has_value()) << first.error().message();
    ASSERT_TRUE(second.has_value()) << second.error().message();
    EXPECT_EQ(*first, "TOKEN-1");
    EXPECT_EQ(*second, "TOKEN-1");
    EXPECT_EQ(platform_.token_requests(), 1U);
    const auto requests = platform_.requests();
    ASSERT_EQ(requests.size(), 1U);
    EXPECT_EQ(requests[0].method, "GET");
    EXPECT_EQ(path_of(requests[0]), "/cgi-bin/gettoken");
    EXPECT_EQ(query_param(requests[0], "corpid"), platform_.options().corp_id);
    EXPECT_EQ(query_param(requests[0], "corpsecret"), platform_.options().corp_secret);
}

TEST_F(WeComApiTest, SecretsAreSentPercentEncoded) {
    anju::testing::FakeWeComApiOptions odd;
    odd.corp_secret = "se cret&=+/x";
    FakeWeComApi platform(odd);
    auto options = this->options();
    options.api_base = platform.base_url();
    options.corp_secret = Secret(odd.corp_secret);
    WeComApi api(ioc_.get_executor(), http_, clock_, options);

    const auto token = run(api.access_token());

    ASSERT_TRUE(token.has_value()) << token.error().message();
    EXPECT_NE(platform.requests().at(0).url.find("corpsecret=se%20cret%26%3D%2B%2Fx"), std::string::npos);
}

TEST_F(WeComApiTest, WrongCredentialsAreBadCredentials) {
    auto wrong_secret = options();
    wrong_secret.corp_secret = Secret("not-the-secret");
    auto wrong_corp = options();
    wrong_corp.corp_id = "ww0000000000000000";
    auto no_secret = options();
    no_secret.corp_secret = Secret();
    WeComApi bad_secret(ioc_.get_executor(), http_, clock_, wrong_secret);
    WeComApi bad_corp(ioc_.get_executor(), http_, clock_, wrong_corp);
    WeComApi without_secret(ioc_.get_executor(), http_, clock_, no_secret);

    EXPECT_EQ(run(bad_secret.access_token()).error(), make_error_code(errc::bad_credentials));  // 40001
    EXPECT_EQ(run(bad_corp.access_token()).error(), make_error_code(errc::bad_credentials));    // 40013
    EXPECT_EQ(platform_.token_requests(), 2U);
    EXPECT_EQ(run(without_secret.send_text({"zhangsan"}, "hi")).error(),
              make_error_code(errc::bad_credentials));
    EXPECT_EQ(platform_.token_requests(), 2U);  // nothing to ask with

    platform_.fail_next_token_requests(60020, 1);  // IP not whitelisted
    EXPECT_EQ(run(api_.access_token()).error(), make_error_code(errc::bad_credentials));
}

TEST_F(WeComApiTest, TokenIsRefreshedOnlyWithinTheMargin) {
    ASSERT_EQ(run(api_.access_token()).value(), "TOKEN-1");

    clock_.advance(7200s - 300s - 1s);
    EXPECT_EQ(run(api_.access_token()).value(), "TOKEN-1");
    EXPECT_EQ(platform_.token_requests(), 1U);

    clock_.advance(1s);
    EXPECT_EQ(run(api_.access_token()).value(), "TOKEN-2");
    EXPECT_EQ(platform_.token_requests(), 2U);
}

TEST_F(WeComApiTest, ShortLivedTokenIsRefreshedHalfwayNotOnEveryCall) {
    platform_.set_expires_in(300);
    ASSERT_EQ(run(api_.access_token()).value(), "TOKEN-1");
    clock_.advance(149s);
    EXPECT_EQ(run(api_.access_token()).value(), "TOKEN-1");
    EXPECT_EQ(platform_.token_requests(), 1U);
    clock_.advance(1s);
    EXPECT_EQ(run(api_.access_token()).value(), "TOKEN-2");
}

TEST_F(WeComApiTest, KeepsTheCurrentTokenWhenAnEarlyRefreshFails) {
    ASSERT_EQ(run(api_.access_token()).value(), "TOKEN-1");
    clock_.advance(7200s - 100s);  // inside the refresh margin, not yet expired
    platform_.fail_next_token_requests(-1, 2);
    EXPECT_EQ(run(api_.access_token()).value(), "TOKEN-1");
    clock_.advance(100s);  // expired now: nothing to fall back on
    EXPECT_EQ(run(api_.access_token()).error(), make_error_code(errc::platform_busy));
    EXPECT_EQ(run(api_.access_token()).value(), "TOKEN-2");
    EXPECT_EQ(platform_.token_requests(), 4U);
}

asio::awaitable<void> fetch_token_into(WeComApi& api, std::vector<TokenResult>& results) {
    auto token = co_await api.access_token();
    results.push_back(std::move(token));
}

TEST_F(WeComApiTest, ConcurrentCallersShareOneTokenRequest) {
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

TEST_F(WeComApiTest, ConcurrentSendsOnAThreadPoolCostOneRefreshAfterExpiry) {
    asio::thread_pool pool(4);
    net::BeastHttpClient pool_http(pool.get_executor(), tls_);
    WeComApi api(pool.get_executor(), pool_http, clock_, options());
    platform_.set_response_delay(100ms);
    std::vector<std::future<TokenResult>> tokens;
    tokens.reserve(12);
    for (int i = 0; i < 12; ++i) {
        tokens.push_back(asio::co_spawn(pool, api.access_token(), asio::use_future));
    }
    for (auto& token : tokens) {
        ASSERT_EQ(token.wait_for(20s), std::future_status::ready);
        EXPECT_EQ(token.get().value(), "TOKEN-1");
    }
    EXPECT_EQ(platform_.token_requests(), 1U);

    // Sends from many threads right after the platform expired the token: they all see 42001 (or the fresh
    // token), and compare-and-expire plus the single flight cost exactly one refresh.
    platform_.set_response_delay(0ms);
    platform_.expire_current_token();
    std::vector<std::future<ReceiptResult>> sends;
    sends.reserve(8);
    for (int i = 0; i < 8; ++i) {
        sends.push_back(asio::co_spawn(pool, api.send_text({"zhangsan"}, "第" + std::to_string(i) + "条"),
                                       asio::use_future));
    }
    for (auto& send : sends) {
        ASSERT_EQ(send.wait_for(20s), std::future_status::ready);
        const auto sent = send.get();
        EXPECT_TRUE(sent.has_value()) << sent.error().message();
    }
    EXPECT_EQ(platform_.app_messages().size(), 8U);
    EXPECT_EQ(platform_.token_requests(), 2U);
    pool.join();
}

TEST_F(WeComApiTest, FailedRefreshReachesEveryWaiterAndTheNextCallRetries) {
    platform_.set_response_delay(200ms);
    platform_.fail_next_token_requests(-1, 1);
    std::vector<TokenResult> results;
    for (int i = 0; i < 10; ++i) {
        asio::co_spawn(ioc_, fetch_token_into(api_, results), asio::detached);
    }

    ASSERT_TRUE(poll_until(ioc_, [&] { return results.size() == 10; }));

    EXPECT_EQ(platform_.token_requests(), 1U);
    for (const auto& result : results) {
        ASSERT_FALSE(result.has_value());
        EXPECT_EQ(result.error(), make_error_code(errc::platform_busy));
    }
    platform_.set_response_delay(0ms);
    EXPECT_EQ(run(api_.access_token()).value(), "TOKEN-1");
    EXPECT_EQ(platform_.token_requests(), 2U);
}

TEST_F(WeComApiTest, CancelledWaiterDoesNotCancelTheSharedRefresh) {
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
    EXPECT_EQ(others[0].value(), "TOKEN-1");
    EXPECT_EQ(run(api_.access_token()).value(), "TOKEN-1");
    EXPECT_EQ(platform_.token_requests(), 1U);
}

TEST_F(WeComApiTest, PlatformExpiringTheTokenCausesExactlyOneRefresh) {
    ASSERT_TRUE(run(api_.send_text({"zhangsan"}, "first")).has_value());
    platform_.expire_current_token();

    const auto sent = run(api_.send_text({"zhangsan"}, "second"));

    ASSERT_TRUE(sent.has_value()) << sent.error().message();
    EXPECT_EQ(platform_.token_requests(), 2U);
    EXPECT_EQ(platform_.send_requests(), 3U);
    const auto messages = platform_.app_messages();
    ASSERT_EQ(messages.size(), 2U);
    EXPECT_EQ(messages[0].access_token, "TOKEN-1");
    EXPECT_EQ(messages[1].access_token, "TOKEN-2");
    EXPECT_EQ(messages[1].content, "second");
}

class WeComApiTokenErrorTest : public WeComApiTest, public ::testing::WithParamInterface<int> {};

TEST_P(WeComApiTokenErrorTest, InvalidatesRefreshesAndRetriesOnce) {
    ASSERT_TRUE(run(api_.access_token()).has_value());
    platform_.fail_next_sends(GetParam(), 1);

    const auto sent = run(api_.appchat_send_text("CHAT-X", "hi"));

    // The retry reached the platform with a fresh token (and found no such chat).
    EXPECT_EQ(sent.error(), make_error_code(errc::invalid_chat));
    EXPECT_EQ(platform_.token_requests(), 2U);
    EXPECT_EQ(platform_.send_requests(), 2U);
    const auto requests = platform_.requests();
    ASSERT_EQ(requests.size(), 4U);
    EXPECT_EQ(query_param(requests[1], "access_token"), "TOKEN-1");
    EXPECT_EQ(query_param(requests[3], "access_token"), "TOKEN-2");
    EXPECT_EQ(requests[1].body, requests[3].body);
}

INSTANTIATE_TEST_SUITE_P(Errcodes, WeComApiTokenErrorTest, ::testing::Values(40001, 40014, 41001, 42001));

TEST_F(WeComApiTest, TokenErrorTwiceIsTokenRejectedAfterExactlyTwoSends) {
    ASSERT_TRUE(run(api_.access_token()).has_value());
    platform_.fail_next_sends(42001, 2);

    const auto sent = run(api_.send_text({"zhangsan"}, "hi"));

    EXPECT_EQ(sent.error(), make_error_code(errc::token_rejected));
    EXPECT_EQ(platform_.send_requests(), 2U);
    EXPECT_EQ(platform_.token_requests(), 2U);
    EXPECT_TRUE(platform_.app_messages().empty());
}

TEST_F(WeComApiTest, SendTimeoutIsTransportAndNotRetried) {
    auto fast = options();
    fast.request_timeout = 150ms;
    WeComApi api(ioc_.get_executor(), http_, clock_, fast);
    ASSERT_TRUE(run(api.access_token()).has_value());
    platform_.set_response_delay(10s);

    const auto sent = run(api.send_text({"zhangsan"}, "hi"));

    EXPECT_EQ(sent.error(), make_error_code(errc::transport));
    EXPECT_EQ(platform_.send_requests(), 1U);
    EXPECT_EQ(platform_.token_requests(), 1U);
}

TEST_F(WeComApiTest, UnreachablePlatformIsTransport) {
    auto nowhere = options();
    {
        FakeWeComApi gone;
        nowhere.api_base = gone.base_url();
    }  // its port is closed now
    WeComApi api(ioc_.get_executor(), http_, clock_, nowhere);
    EXPECT_EQ(run(api.access_token()).error(), make_error_code(errc::transport));
}

// ---------------------------------------------------------------------------------------------------
// message/send

TEST_F(WeComApiTest, SendTextPostsToTheUsers) {
    const auto sent = run(api_.send_text({"zhangsan", "lisi"}, "3栋电梯困人 😱，请速到场"));

    ASSERT_TRUE(sent.has_value()) << sent.error().message();
    EXPECT_EQ(sent->msgid, "MSG-1");
    EXPECT_TRUE(sent->invalid_users.empty());
    const auto messages = platform_.app_messages();
    ASSERT_EQ(messages.size(), 1U);
    EXPECT_EQ(messages[0].touser, (std::vector<std::string>{"zhangsan", "lisi"}));
    EXPECT_EQ(messages[0].msgtype, "text");
    EXPECT_EQ(messages[0].content, "3栋电梯困人 😱，请速到场");
    EXPECT_EQ(messages[0].agentid, platform_.options().agent_id);
    EXPECT_EQ(messages[0].body.at("touser"), "zhangsan|lisi");
    EXPECT_EQ(messages[0].body.at("safe"), 0);
    const auto requests = platform_.requests();
    EXPECT_EQ(path_of(requests.back()), "/cgi-bin/message/send");
    EXPECT_EQ(net::find_header(requests.back().headers, "Content-Type"), "application/json; charset=utf-8");
}

TEST_F(WeComApiTest, AppMessagesAskForTheDuplicateCheck) {
    ASSERT_TRUE(run(api_.send_text({"zhangsan"}, "工单 K7M3PX 已超时")).has_value());
    auto off = options();
    off.duplicate_check_interval = std::chrono::seconds(0);
    WeComApi unchecked(ioc_.get_executor(), http_, clock_, off);
    ASSERT_TRUE(run(unchecked.send_text({"zhangsan"}, "工单 K7M3PX 已超时")).has_value());

    const auto messages = platform_.app_messages();
    ASSERT_EQ(messages.size(), 2U);
    // A resend of the same request within the interval reaches nobody twice (PROTOCOLS §4.5).
    EXPECT_EQ(messages[0].body.at("enable_duplicate_check"), 1);
    EXPECT_EQ(messages[0].body.at("duplicate_check_interval"), 1800);
    EXPECT_FALSE(messages[1].body.contains("enable_duplicate_check"));
}

TEST_F(WeComApiTest, SendMarkdownPostsMarkdown) {
    const auto sent =
        run(api_.send_markdown({"@all"}, "## 停水通知\n> <font color=\"warning\">明天 9:00–12:00</font>"));

    ASSERT_TRUE(sent.has_value()) << sent.error().message();
    const auto messages = platform_.app_messages();
    ASSERT_EQ(messages.size(), 1U);
    EXPECT_EQ(messages[0].msgtype, "markdown");
    EXPECT_EQ(messages[0].content, "## 停水通知\n> <font color=\"warning\">明天 9:00–12:00</font>");
    EXPECT_EQ(messages[0].body.at("markdown").at("content"), messages[0].content);
}

TEST_F(WeComApiTest, PartlyInvalidRecipientsStillSendAndAreReported) {
    const auto sent = run(api_.send_text({"zhangsan", "Ghost", "nobody"}, "hi"));

    ASSERT_TRUE(sent.has_value()) << sent.error().message();
    EXPECT_EQ(sent->invalid_users, (std::vector<std::string>{"ghost", "nobody"}));
    EXPECT_EQ(sent->msgid, "MSG-1");
    ASSERT_EQ(platform_.app_messages().size(), 1U);
}

TEST_F(WeComApiTest, AllRecipientsInvalidIsInvalidRecipient) {
    const auto sent = run(api_.send_text({"ghost", "nobody"}, "hi"));

    EXPECT_EQ(sent.error(), make_error_code(errc::invalid_recipient));  // 81013
    EXPECT_EQ(platform_.send_requests(), 1U);
    EXPECT_TRUE(platform_.app_messages().empty());
}

TEST_F(WeComApiTest, BadRecipientListsAreRefusedWithoutCallingTheApi) {
    std::vector<std::string> crowd(1001, "zhangsan");
    for (const auto& list : {std::vector<std::string>{}, std::vector<std::string>{"zhangsan", ""},
                             std::vector<std::string>{"zhangsan|lisi"}, crowd}) {
        EXPECT_EQ(run(api_.send_text(list, "hi")).error(), make_error_code(errc::invalid_recipient))
            << list.size();
    }
    EXPECT_EQ(platform_.requests().size(), 0U);
    crowd.pop_back();
    EXPECT_TRUE(run(api_.send_text(crowd, "hi")).has_value());
}

TEST_F(WeComApiTest, ContentLimitsAreCheckedBeforeCalling) {
    const auto emoji_2048 = repeat("😀", 512);  // 4 bytes each
    ASSERT_EQ(emoji_2048.size(), kMaxAppTextBytes);
    EXPECT_TRUE(run(api_.send_text({"zhangsan"}, emoji_2048)).has_value());
    EXPECT_TRUE(run(api_.send_markdown({"zhangsan"}, emoji_2048)).has_value());
    EXPECT_TRUE(run(api_.appchat_create("g", "zhangsan", {"zhangsan", "lisi"}, "G1")).has_value());
    EXPECT_TRUE(run(api_.appchat_send_text("G1", emoji_2048)).has_value());
    const auto requests_before = platform_.requests().size();

    const auto over = emoji_2048 + "a";
    EXPECT_EQ(run(api_.send_text({"zhangsan"}, over)).error(), make_error_code(errc::content_too_long));
    EXPECT_EQ(run(api_.send_markdown({"zhangsan"}, over)).error(), make_error_code(errc::content_too_long));
    EXPECT_EQ(run(api_.appchat_send_text("G1", over)).error(), make_error_code(errc::content_too_long));
    EXPECT_EQ(run(api_.appchat_send_markdown("G1", over)).error(), make_error_code(errc::content_too_long));
    EXPECT_EQ(run(api_.send_text({"zhangsan"}, "")).error(), make_error_code(errc::content_empty));
    EXPECT_EQ(run(api_.appchat_send_markdown("G1", "")).error(), make_error_code(errc::content_empty));
    // 683 stray bytes become 683 U+FFFD (2049 bytes): the limit applies to what would be sent.
    EXPECT_EQ(run(api_.send_text({"zhangsan"}, std::string(683, '\xff'))).error(),
              make_error_code(errc::content_too_long));
    EXPECT_EQ(platform_.requests().size(), requests_before);
}

TEST_F(WeComApiTest, IllFormedUtf8IsReplacedNotThrown) {
    const auto sent = run(api_.send_text({"zhangsan"}, "ok\xff\xfe end"));

    ASSERT_TRUE(sent.has_value()) << sent.error().message();
    EXPECT_EQ(platform_.app_messages().at(0).content, "ok\xEF\xBF\xBD\xEF\xBF\xBD end");
}

struct ErrcodeCase {
    int errcode;
    errc expected;
};

class WeComApiSendErrcodeTest : public WeComApiTest, public ::testing::WithParamInterface<ErrcodeCase> {};

TEST_P(WeComApiSendErrcodeTest, MapsToErrcWithoutRetrying) {
    platform_.fail_next_sends(GetParam().errcode, 1);

    const auto sent = run(api_.send_text({"zhangsan"}, "hi"));

    EXPECT_EQ(sent.error(), make_error_code(GetParam().expected)) << GetParam().errcode;
    EXPECT_EQ(platform_.send_requests(), 1U);
    EXPECT_EQ(platform_.token_requests(), 1U);
}

INSTANTIATE_TEST_SUITE_P(
    Errcodes, WeComApiSendErrcodeTest,
    ::testing::Values(ErrcodeCase{60020, errc::bad_credentials}, ErrcodeCase{45009, errc::rate_limited},
                      ErrcodeCase{45033, errc::rate_limited}, ErrcodeCase{81013, errc::invalid_recipient},
                      ErrcodeCase{82001, errc::invalid_recipient},
                      ErrcodeCase{40003, errc::invalid_recipient}, ErrcodeCase{86001, errc::invalid_chat},
                      ErrcodeCase{86008, errc::invalid_chat}, ErrcodeCase{44004, errc::content_empty},
                      ErrcodeCase{45002, errc::content_too_long}, ErrcodeCase{48002, errc::no_permission},
                      ErrcodeCase{60011, errc::no_permission}, ErrcodeCase{-1, errc::platform_busy},
                      ErrcodeCase{40056, errc::platform_error}, ErrcodeCase{99999, errc::platform_error}));

TEST(WeComApiErrcTest, FoldsErrcodes) {
    for (const auto token_error : {40001, 40014, 41001, 42001}) {
        EXPECT_EQ(errc_from_errcode(token_error), errc::token_rejected) << token_error;
    }
    EXPECT_EQ(errc_from_errcode(40013), errc::bad_credentials);
    EXPECT_EQ(errc_from_errcode(93000), errc::bad_credentials);
    EXPECT_EQ(errc_from_errcode(86003), errc::invalid_chat);
    EXPECT_EQ(errc_from_errcode(86215), errc::platform_error);
}

TEST(WeComApiErrcTest, CategoryAndMessages) {
    EXPECT_STREQ(make_error_code(errc::invalid_chat).category().name(), "anju.wecom");
    for (int value = static_cast<int>(errc::transport); value <= static_cast<int>(errc::platform_error);
         ++value) {
        const auto message = make_error_code(static_cast<errc>(value)).message();
        EXPECT_FALSE(message.empty());
        EXPECT_NE(message, "unknown WeCom API error") << value;
    }
    const boost::system::error_code code = errc::response_url_invalid;
    EXPECT_EQ(code, make_error_code(errc::response_url_invalid));
}

// ---------------------------------------------------------------------------------------------------
// appchat

TEST_F(WeComApiTest, CreatesAGroupChatAndSendsToIt) {
    const auto created =
        run(api_.appchat_create("3栋报修群", "zhangsan", {"zhangsan", "lisi", "wangwu"}, "repair3"));
    ASSERT_TRUE(created.has_value()) << created.error().message();
    EXPECT_EQ(*created, "repair3");
    const auto chosen = run(api_.appchat_create("", "", {"zhangsan", "lisi"}, ""));
    ASSERT_TRUE(chosen.has_value()) << chosen.error().message();
    EXPECT_EQ(*chosen, "CHAT-1");

    ASSERT_TRUE(run(api_.appchat_send_text("repair3", "新工单：3栋2单元电梯困人")).has_value());
    ASSERT_TRUE(run(api_.appchat_send_markdown(*chosen, "**已派单** <@lisi>")).has_value());

    const auto chats = platform_.created_chats();
    ASSERT_EQ(chats.size(), 2U);
    EXPECT_EQ(chats[0].name, "3栋报修群");
    EXPECT_EQ(chats[0].owner, "zhangsan");
    EXPECT_EQ(chats[0].userlist, (std::vector<std::string>{"zhangsan", "lisi", "wangwu"}));
    EXPECT_FALSE(chats[1].body.contains("name"));
    EXPECT_FALSE(chats[1].body.contains("owner"));
    EXPECT_FALSE(chats[1].body.contains("chatid"));
    const auto sent = platform_.appchat_messages();
    ASSERT_EQ(sent.size(), 2U);
    EXPECT_EQ(sent[0].chatid, "repair3");
    EXPECT_EQ(sent[0].msgtype, "text");
    EXPECT_EQ(sent[0].content, "新工单：3栋2单元电梯困人");
    EXPECT_EQ(sent[1].chatid, "CHAT-1");
    EXPECT_EQ(sent[1].msgtype, "markdown");
    EXPECT_EQ(sent[1].content, "**已派单** <@lisi>");
    EXPECT_EQ(sent[1].body.at("safe"), 0);
}

TEST_F(WeComApiTest, AppchatErrors) {
    EXPECT_EQ(run(api_.appchat_send_text("no-such-chat", "hi")).error(), make_error_code(errc::invalid_chat));
    const auto requests = platform_.requests().size();
    EXPECT_EQ(run(api_.appchat_send_text("", "hi")).error(), make_error_code(errc::invalid_chat));
    EXPECT_EQ(platform_.requests().size(), requests);  // refused before calling

    EXPECT_EQ(run(api_.appchat_create("g", "zhangsan", {"zhangsan", "stranger"}, "")).error(),
              make_error_code(errc::invalid_recipient));
    ASSERT_TRUE(run(api_.appchat_create("g", "zhangsan", {"zhangsan", "lisi"}, "taken")).has_value());
    EXPECT_EQ(run(api_.appchat_create("g", "zhangsan", {"zhangsan", "lisi"}, "taken")).error(),
              make_error_code(errc::platform_error));  // 86215
    platform_.fail_next_sends(60011, 1);
    EXPECT_EQ(run(api_.appchat_create("g", "zhangsan", {"zhangsan", "lisi"}, "")).error(),
              make_error_code(errc::no_permission));
}

// ---------------------------------------------------------------------------------------------------
// Group robot webhook

TEST_F(WeComApiTest, RobotTextWithMentions) {
    const auto sent =
        run(robot_.send_text(robot_key(), "请值班人员处理 🙏", {"zhangsan", "@all"}, {"13800001111"}));

    ASSERT_TRUE(sent.has_value()) << sent.error().message();
    const auto messages = platform_.robot_messages();
    ASSERT_EQ(messages.size(), 1U);
    EXPECT_EQ(messages[0].key, robot_key().reveal());
    EXPECT_EQ(messages[0].msgtype, "text");
    EXPECT_EQ(messages[0].content, "请值班人员处理 🙏");
    EXPECT_EQ(messages[0].mentioned_list, (std::vector<std::string>{"zhangsan", "@all"}));
    EXPECT_EQ(messages[0].mentioned_mobile_list, (std::vector<std::string>{"13800001111"}));
    EXPECT_EQ(platform_.token_requests(), 0U);  // no token involved
    EXPECT_EQ(path_of(platform_.requests().at(0)), "/cgi-bin/webhook/send");
}

TEST_F(WeComApiTest, RobotMarkdownAndTheFullWebhookUrl) {
    const Secret url(platform_.webhook_url(robot_key().reveal()));
    ASSERT_TRUE(run(robot_.send_markdown(url, "# 日报\n- 新增工单 **3**")).has_value());
    ASSERT_TRUE(run(robot_.send_text(url, "plain")).has_value());

    const auto messages = platform_.robot_messages();
    ASSERT_EQ(messages.size(), 2U);
    EXPECT_EQ(messages[0].msgtype, "markdown");
    EXPECT_EQ(messages[0].content, "# 日报\n- 新增工单 **3**");
    EXPECT_EQ(messages[0].key, robot_key().reveal());
    EXPECT_FALSE(messages[1].body.at("text").contains("mentioned_list"));
    EXPECT_FALSE(messages[1].body.at("text").contains("mentioned_mobile_list"));
}

TEST_F(WeComApiTest, RobotErrors) {
    EXPECT_EQ(run(robot_.send_text(Secret("unknown-key"), "hi")).error(),
              make_error_code(errc::bad_credentials));
    EXPECT_EQ(platform_.send_requests(), 1U);
    EXPECT_EQ(run(robot_.send_text(Secret(), "hi")).error(), make_error_code(errc::bad_credentials));
    EXPECT_EQ(platform_.send_requests(), 1U);

    platform_.fail_next_sends(45009, 1);
    EXPECT_EQ(run(robot_.send_markdown(robot_key(), "hi")).error(), make_error_code(errc::rate_limited));
    EXPECT_EQ(platform_.send_requests(), 2U);  // not retried

    const auto markdown_4096 = repeat("测", 1365) + "a";  // 3 bytes each
    ASSERT_EQ(markdown_4096.size(), kMaxRobotMarkdownBytes);
    EXPECT_TRUE(run(robot_.send_markdown(robot_key(), markdown_4096)).has_value());
    EXPECT_EQ(run(robot_.send_markdown(robot_key(), markdown_4096 + "b")).error(),
              make_error_code(errc::content_too_long));
    EXPECT_EQ(run(robot_.send_text(robot_key(), std::string(kMaxRobotTextBytes + 1, 'x'))).error(),
              make_error_code(errc::content_too_long));
    EXPECT_EQ(run(robot_.send_text(robot_key(), "")).error(), make_error_code(errc::content_empty));
    EXPECT_EQ(platform_.send_requests(), 3U);
}

// ---------------------------------------------------------------------------------------------------
// 智能机器人 response_url

TEST_F(WeComApiTest, RespondAibotPostsMarkdownOnce) {
    const auto url = platform_.response_url("RC-8f2e1d");

    const auto first = run(robot_.respond_aibot(url, "已收到，工单 **R-2026-0042** 已创建"));
    const auto second = run(robot_.respond_aibot(url, "again"));

    ASSERT_TRUE(first.has_value()) << first.error().message();
    EXPECT_EQ(second.error(), make_error_code(errc::response_url_invalid));
    const auto responses = platform_.aibot_responses();
    ASSERT_EQ(responses.size(), 1U);
    EXPECT_EQ(responses[0].response_code, "RC-8f2e1d");
    EXPECT_EQ(responses[0].msgtype, "markdown");
    EXPECT_EQ(responses[0].content, "已收到，工单 **R-2026-0042** 已创建");
    EXPECT_EQ(platform_.send_requests(), 2U);
    EXPECT_EQ(platform_.token_requests(), 0U);
}

TEST_F(WeComApiTest, RespondAibotErrors) {
    const auto unknown = platform_.base_url() + "/cgi-bin/aibot/response?response_code=never-issued";
    EXPECT_EQ(run(robot_.respond_aibot(unknown, "hi")).error(), make_error_code(errc::response_url_invalid));
    EXPECT_EQ(run(robot_.respond_aibot("", "hi")).error(), make_error_code(errc::response_url_invalid));
    EXPECT_EQ(run(robot_.respond_aibot("not a url", "hi")).error(),
              make_error_code(errc::response_url_invalid));
    EXPECT_EQ(platform_.send_requests(), 1U);

    const auto url = platform_.response_url("RC-2");
    EXPECT_EQ(run(robot_.respond_aibot(url, "")).error(), make_error_code(errc::content_empty));
    EXPECT_EQ(run(robot_.respond_aibot(url, std::string(kMaxAibotMarkdownBytes + 1, 'x'))).error(),
              make_error_code(errc::content_too_long));
    EXPECT_EQ(platform_.send_requests(), 1U);
    // A busy platform does not use the code up; the caller may try again later.
    platform_.fail_next_sends(-1, 1);
    EXPECT_EQ(run(robot_.respond_aibot(url, "hi")).error(), make_error_code(errc::platform_busy));
    EXPECT_TRUE(run(robot_.respond_aibot(url, "hi")).has_value());
}

// ---------------------------------------------------------------------------------------------------
// Proactive refresh

TEST_F(WeComApiTest, RefresherRefreshesBeforeExpiryAndStopsWhenCancelled) {
    RefresherRun refresher(ioc_, api_);
    ASSERT_TRUE(poll_until(ioc_, [&] { return platform_.token_requests() == 1 && clock_.sleepers() == 1; }));

    clock_.advance(7200s - 300s - 1s);
    ioc_.poll();
    EXPECT_EQ(platform_.token_requests(), 1U);

    clock_.advance(1s);
    ASSERT_TRUE(poll_until(ioc_, [&] { return platform_.token_requests() == 2 && clock_.sleepers() == 1; }));
    EXPECT_EQ(run(api_.access_token()).value(), "TOKEN-2");

    refresher.cancel();
    ASSERT_TRUE(poll_until(ioc_, [&] { return refresher.finished(); }));
    EXPECT_TRUE(refresher.aborted());
    EXPECT_EQ(clock_.sleepers(), 0U);
}

TEST_F(WeComApiTest, RefresherBacksOffAfterFailures) {
    platform_.fail_next_token_requests(-1, 2);
    RefresherRun refresher(ioc_, api_);
    ASSERT_TRUE(poll_until(ioc_, [&] { return platform_.token_requests() == 1 && clock_.sleepers() == 1; }));

    clock_.advance(29s);
    ioc_.poll();
    EXPECT_EQ(platform_.token_requests(), 1U);
    clock_.advance(1s);
    ASSERT_TRUE(poll_until(ioc_, [&] { return platform_.token_requests() == 2 && clock_.sleepers() == 1; }));
    clock_.advance(59s);  // the backoff doubled to 60 s
    ioc_.poll();
    EXPECT_EQ(platform_.token_requests(), 2U);
    clock_.advance(1s);
    ASSERT_TRUE(poll_until(ioc_, [&] { return platform_.token_requests() == 3 && clock_.sleepers() == 1; }));
    EXPECT_EQ(run(api_.access_token()).value(), "TOKEN-1");

    refresher.cancel();
    ASSERT_TRUE(poll_until(ioc_, [&] { return refresher.finished(); }));
    EXPECT_TRUE(refresher.aborted());
}

// ---------------------------------------------------------------------------------------------------
// Logs

TEST_F(WeComApiTest, LogsNeverContainSecretsTokensKeysCodesOrBodies) {
    LogCapture capture;
    const auto code = "RC-secret-code-77";
    const auto url = platform_.response_url(code);
    ASSERT_TRUE(run(api_.send_text({"zhangsan", "ghost"}, "hello-body-1")).has_value());
    platform_.fail_next_sends(40014, 1);  // one token error, a retry with TOKEN-2
    ASSERT_TRUE(run(api_.send_markdown({"zhangsan"}, "hello-body-2")).has_value());
    platform_.fail_next_sends(45009, 1);
    EXPECT_EQ(run(api_.send_text({"zhangsan"}, "hello-body-3")).error(), make_error_code(errc::rate_limited));
    ASSERT_TRUE(run(robot_.send_text(robot_key(), "hello-body-4")).has_value());
    const Secret robot_url(platform_.webhook_url(robot_key().reveal()));
    platform_.fail_next_sends(45009, 1);
    EXPECT_EQ(run(robot_.send_text(robot_url, "hello-body-5")).error(), make_error_code(errc::rate_limited));
    ASSERT_TRUE(run(robot_.respond_aibot(url, "hello-body-6")).has_value());
    EXPECT_EQ(run(robot_.respond_aibot(url, "hello-body-7")).error(),
              make_error_code(errc::response_url_invalid));
    auto wrong = options();
    wrong.corp_secret = Secret(platform_.options().corp_secret + "-wrong");
    WeComApi wrong_secret(ioc_.get_executor(), http_, clock_, wrong);
    EXPECT_EQ(run(wrong_secret.access_token()).error(), make_error_code(errc::bad_credentials));

    const auto lines = capture.lines();
    ASSERT_FALSE(lines.empty());
    bool saw_rate_limit = false;
    bool saw_call = false;
    bool saw_invalid_users = false;
    for (const auto& line : lines) {
        EXPECT_EQ(line.find("TOKEN-"), std::string::npos) << line;
        EXPECT_EQ(line.find(platform_.options().corp_secret), std::string::npos) << line;
        EXPECT_EQ(line.find(robot_key().reveal()), std::string::npos) << line;
        EXPECT_EQ(line.find(code), std::string::npos) << line;
        EXPECT_EQ(line.find("access_token="), std::string::npos) << line;
        if (line.find("module=wecom") != std::string::npos) {
            EXPECT_EQ(line.find("127.0.0.1"), std::string::npos) << line;  // the adapter logs no URLs at all
        }
        EXPECT_EQ(line.find("hello-body"), std::string::npos) << line;
        saw_rate_limit = saw_rate_limit || (line.find("level=warn") != std::string::npos &&
                                            line.find("errcode=45009") != std::string::npos &&
                                            line.find("api=message/send") != std::string::npos);
        saw_call = saw_call ||
                   (line.find("level=debug") != std::string::npos &&
                    line.find("errcode=0") != std::string::npos && line.find("ms=") != std::string::npos);
        saw_invalid_users = saw_invalid_users || line.find("invalid=1") != std::string::npos;
    }
    EXPECT_TRUE(saw_rate_limit);
    EXPECT_TRUE(saw_call);
    EXPECT_TRUE(saw_invalid_users);
}

// ---------------------------------------------------------------------------------------------------
// FakeHttpClient: answers the fake platform never gives.

class WeComApiScriptedTest : public ::testing::Test {
protected:
    static WeComApiOptions unit_options() {
        WeComApiOptions options;
        options.corp_id = "ww-unit";
        options.corp_secret = Secret("unit-secret-5e3b91");
        options.agent_id = 7;
        options.api_base = "https://qyapi.example.test";
        options.request_timeout = 2500ms;
        return options;
    }
    template <class T>
    T run(asio::awaitable<T> coro) {
        return run_coro(ioc_, std::move(coro));
    }
    void push_token(const std::string& token) {
        Json body;
        body["errcode"] = 0;
        body["errmsg"] = "ok";
        body["access_token"] = token;
        body["expires_in"] = 7200;
        http_.push_json(200, body.dump());
    }

    asio::io_context ioc_;
    FakeClock clock_;
    FakeHttpClient http_;
    WeComApi api_{ioc_.get_executor(), http_, clock_, unit_options()};
    RobotWebhook robot_{http_, RobotWebhookOptions{"https://qyapi.example.test", 2500ms}};
};

TEST_F(WeComApiScriptedTest, RequestsCarryTheTimeoutAndTheDocumentedUrls) {
    push_token("T-1");
    http_.push_json(200, R"({"errcode":0,"errmsg":"ok","invaliduser":"","msgid":"m1"})");

    const auto sent = run(api_.send_text({"a"}, "hi"));

    ASSERT_TRUE(sent.has_value()) << sent.error().message();
    const auto requests = http_.requests();
    ASSERT_EQ(requests.size(), 2U);
    EXPECT_EQ(requests[0].url,
              "https://qyapi.example.test/cgi-bin/gettoken?corpid=ww-unit&corpsecret=unit-secret-5e3b91");
    EXPECT_EQ(requests[0].timeout, 2500ms);
    EXPECT_EQ(requests[1].url, "https://qyapi.example.test/cgi-bin/message/send?access_token=T-1");
    EXPECT_EQ(requests[1].timeout, 2500ms);
    const auto body = Json::parse(requests[1].body);
    EXPECT_EQ(body.at("agentid"), 7);
    EXPECT_EQ(body.at("text").at("content"), "hi");
}

TEST_F(WeComApiScriptedTest, NumericMsgidAndMissingFieldsAreTolerated) {
    push_token("T-1");
    http_.push_json(200, R"({"errcode":0,"errmsg":"ok","msgid":12345})");
    http_.push_json(200, R"({"errcode":0,"errmsg":"ok"})");

    EXPECT_EQ(run(api_.send_text({"a"}, "hi")).value().msgid, "12345");
    const auto bare = run(api_.send_text({"a"}, "hi"));
    ASSERT_TRUE(bare.has_value());
    EXPECT_EQ(bare->msgid, "");
    EXPECT_TRUE(bare->invalid_users.empty());
}

class WeComApiBadBodyTest : public WeComApiScriptedTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(WeComApiBadBodyTest, IsBadResponse) {
    push_token("T-1");
    http_.push_json(200, GetParam());
    EXPECT_EQ(run(api_.send_text({"a"}, "hi")).error(), make_error_code(errc::bad_response)) << GetParam();
    http_.push_json(502, GetParam());
    EXPECT_EQ(run(robot_.send_text(Secret("k"), "hi")).error(), make_error_code(errc::bad_response))
        << GetParam();
    EXPECT_EQ(http_.requests().size(), 3U);
}

INSTANTIATE_TEST_SUITE_P(Bodies, WeComApiBadBodyTest,
                         ::testing::Values("", "<html>502 Bad Gateway</html>", "[]",
                                           "{\"errmsg\":\"no code\"}", "{\"errcode\":\"0\"}",
                                           "{\"errcode\":0"));

TEST_F(WeComApiScriptedTest, TokenEndpointOddities) {
    http_.push_json(200, R"({"errcode":0,"errmsg":"ok","expires_in":7200})");
    EXPECT_EQ(run(api_.access_token()).error(), make_error_code(errc::bad_response));
    http_.push_json(200, R"({"errcode":0,"errmsg":"ok","access_token":"T","expires_in":0})");
    EXPECT_EQ(run(api_.access_token()).error(), make_error_code(errc::bad_response));
    http_.push_json(200, "not json");
    EXPECT_EQ(run(api_.access_token()).error(), make_error_code(errc::bad_response));
    http_.push_error(net::errc::timeout);
    EXPECT_EQ(run(api_.access_token()).error(), make_error_code(errc::transport));
    http_.push_json(200, R"({"errcode":45009,"errmsg":"api freq out of limit"})");
    EXPECT_EQ(run(api_.access_token()).error(), make_error_code(errc::rate_limited));
    // An absurd lifetime is capped (one day) rather than overflowing.
    http_.push_json(200,
                    R"({"errcode":0,"errmsg":"ok","access_token":"T-2","expires_in":9223372036854775807})");
    EXPECT_EQ(run(api_.access_token()).value(), "T-2");
    clock_.advance(24h);
    push_token("T-3");
    EXPECT_EQ(run(api_.access_token()).value(), "T-3");
}

TEST_F(WeComApiScriptedTest, ASendWithoutATokenIsNoTokenNotTransport) {
    http_.push_error(net::errc::timeout);
    EXPECT_EQ(run(api_.appchat_send_text("c", "hi")).error(), make_error_code(errc::no_token));
    EXPECT_EQ(http_.requests().size(), 1U);
}

TEST_F(WeComApiScriptedTest, TransportFailuresAreNeverRetried) {
    push_token("T-1");
    http_.push_error(net::errc::timeout);
    http_.push_error(net::errc::connection_refused);
    http_.push_error(net::errc::tls_failed);

    // A timeout may have delivered the request: transport. A refused connection or a failed TLS
    // handshake never sent it: not_sent (the outbox may send it again). None is retried here.
    EXPECT_EQ(run(api_.appchat_send_text("c", "hi")).error(), make_error_code(errc::transport));
    EXPECT_EQ(run(robot_.send_markdown(Secret("k"), "hi")).error(), make_error_code(errc::not_sent));
    EXPECT_EQ(
        run(robot_.respond_aibot("https://qyapi.example.test/cgi-bin/aibot/response?response_code=x", "hi"))
            .error(),
        make_error_code(errc::not_sent));
    EXPECT_EQ(http_.requests().size(), 4U);
}

TEST_F(WeComApiScriptedTest, EchoedSecretsAreRedactedFromErrmsg) {
    LogCapture capture;
    push_token("T-SECRET-1");
    Json reply;
    reply["errcode"] = 48002;
    reply["errmsg"] = "api forbidden for token T-SECRET-1 secret unit-secret-5e3b91";
    http_.push_json(200, reply.dump());
    reply["errcode"] = 45009;
    reply["errmsg"] = "freq limit for key robot-K-123";
    http_.push_json(200, reply.dump());
    reply["errcode"] = 40014;
    reply["errmsg"] = "invalid response_code RC-SECRET-9, url https://h/x?response_code=RC-SECRET-9";
    http_.push_json(200, reply.dump());
    reply["errcode"] = 45009;
    reply["errmsg"] = std::string(300, 'x') + "长";
    http_.push_json(200, reply.dump());

    EXPECT_EQ(run(api_.send_text({"a"}, "hi")).error(), make_error_code(errc::no_permission));
    EXPECT_EQ(run(robot_.send_text(Secret("https://h/cgi-bin/webhook/send?key=robot-K-123"), "hi")).error(),
              make_error_code(errc::rate_limited));
    EXPECT_EQ(run(robot_.respond_aibot("https://h/x?response_code=RC-SECRET-9", "hi")).error(),
              make_error_code(errc::response_url_invalid));
    EXPECT_EQ(run(robot_.send_text(Secret("k"), "hi")).error(), make_error_code(errc::rate_limited));

    bool saw_redacted = false;
    bool saw_cut = false;
    for (const auto& line : capture.lines()) {
        EXPECT_EQ(line.find("T-SECRET-1"), std::string::npos) << line;
        EXPECT_EQ(line.find("unit-secret-5e3b91"), std::string::npos) << line;
        EXPECT_EQ(line.find("robot-K-123"), std::string::npos) << line;
        EXPECT_EQ(line.find("RC-SECRET-9"), std::string::npos) << line;
        saw_redacted = saw_redacted || line.find("token <redacted> secret <redacted>") != std::string::npos;
        saw_cut = saw_cut || line.find("xxx...") != std::string::npos;
    }
    EXPECT_TRUE(saw_redacted);
    EXPECT_TRUE(saw_cut);
}

}  // namespace
}  // namespace anju::adapters::wecom
