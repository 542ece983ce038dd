// The WeCom (企业微信) active API clients. WeComApi serves one self-built app: access_token management
// (cache, single-flight refresh, compare-and-expire, proactive refresh, as wechat_mp::MpApi), app messages
// to members and messages to app-created group chats (appchat). RobotWebhook makes the token-less sends: the
// group robot webhook (群机器人 / 消息推送) and the one-shot response_url of a 智能机器人 message.
// PROTOCOLS.md §4.4–4.8 and §4.10.
#pragma once

#include "bot/core/clock.hpp"
#include "bot/core/error.hpp"
#include "bot/core/secret.hpp"
#include "bot/net/http_client.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/strand.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace anju::adapters::wecom {

// Why an API call failed. Platform errcodes are folded into these (see errc_from_errcode); the raw errcode
// and errmsg are logged at warn level, never returned.
enum class errc {
    transport = 1,    // no HTTP response (connect, TLS, timeout): a send may or may not have been delivered
    bad_response,     // the body was not JSON or not the JSON the API documents
    bad_credentials,  // CorpID/secret wrong or missing, IP not whitelisted (60020), robot key unknown (93000)
    token_rejected,   // the access token was refused again right after refreshing it
    invalid_recipient,     // 81013/82001/40003, or a recipient list rejected before calling (see send_text)
    invalid_chat,          // 86001/86003/86008, or an empty chatid rejected before calling
    content_empty,         // 44004, or empty content rejected before calling
    content_too_long,      // 45002, or content over its byte limit rejected before calling (callers split)
    no_permission,         // 48002/60011: the app may not call this API (e.g. appchat needs root visibility)
    rate_limited,          // 45009/45033: frequency or concurrency limit
    platform_busy,         // -1: system busy; worth retrying later with backoff
    response_url_invalid,  // respond_aibot: the response_url was used already, expired (1 h) or is unknown
    platform_error,        // any other non-zero errcode
    no_token,              // a message call could not get an access token in transport: nothing was sent
    not_sent,  // the API could not be reached (DNS, refused, unreachable, TLS): the request never left
};

boost::system::error_code make_error_code(errc e) noexcept;

// The errc for a non-zero errcode from a message API. 40001/40014/41001/42001 map to token_rejected:
// WeComApi returns them only after its single refresh-and-retry (at gettoken, 40001 means a wrong secret
// and is bad_credentials). Thread-safe, pure.
errc errc_from_errcode(std::int64_t errcode) noexcept;

// Content limits in UTF-8 bytes (PROTOCOLS §4.5–4.7). Longer content is refused with content_too_long
// before calling; callers split (anju::split_utf8 never cuts a character).
inline constexpr std::size_t kMaxAppTextBytes = 2048;        // message/send and appchat/send text
inline constexpr std::size_t kMaxAppMarkdownBytes = 2048;    // message/send and appchat/send markdown
inline constexpr std::size_t kMaxRobotTextBytes = 2048;      // webhook text
inline constexpr std::size_t kMaxRobotMarkdownBytes = 4096;  // webhook markdown
// The response_url markdown limit is not documented (UNCONFIRMED); the robot's markdown limit is assumed.
inline constexpr std::size_t kMaxAibotMarkdownBytes = 4096;
// message/send takes at most 1000 userids per call.
inline constexpr std::size_t kMaxRecipients = 1000;

struct WeComApiOptions {
    std::string corp_id{};
    Secret corp_secret{};  // the app's own secret: one token per secret
    std::int64_t agent_id = 0;
    std::string api_base{"https://qyapi.weixin.qq.com"};  // no trailing slash; http://127.0.0.1:PORT in tests
    std::chrono::seconds refresh_margin{300};             // refresh this long before the token expires
    std::chrono::milliseconds request_timeout{10000};     // per HTTP request (transport time, not Clock)
    // message/send asks WeCom to drop an identical request within this (enable_duplicate_check), so a
    // resend after a timeout cannot reach people twice; the price is that the same text to the same
    // people within it is shown once. 0 turns the check off; WeCom allows at most 4 h (PROTOCOLS §4.5).
    std::chrono::seconds duplicate_check_interval{1800};
};

// What message/send accepted. Partly invalid recipient lists still send to the valid ones.
struct SendReceipt {
    std::string msgid{};                       // for recall; "" if the answer carries none
    std::vector<std::string> invalid_users{};  // "invaliduser", as the platform spells them (lower case)
};

// The API client for one self-built app.
//
// Errors: every call returns errc values only. Transport failures (any anju::net::errc) become
// errc::transport and are never retried, because a send may have been delivered; when a message call
// fails earlier, because no access token could be had in transport, it is errc::no_token (nothing was
// sent; access_token() itself still says transport). A token error
// (40001/40014/41001/42001) on a call expires that token (compare-and-expire), fetches a fresh one and
// retries the call exactly once; a second token error is errc::token_rejected. errcode -1 is returned as
// platform_busy without retrying: the caller (outbox) retries later with backoff. Logs never contain the
// access token, the corp secret, request URLs with their query, or message bodies.
//
// Text is sent as UTF-8; ill-formed sequences are replaced by U+FFFD before the byte-limit check.
//
// Thread-safe: every member may be called from any thread or executor, concurrently; coroutines resume on
// the caller's executor. Token state lives on an internal strand. The WeComApi, the HttpClient and the
// Clock must outlive every call in flight, including a token refresh started by a caller that has since
// gone away (it finishes on the io_context in the background).
class WeComApi {
public:
    WeComApi(const asio::any_io_executor& ex, net::HttpClient& http, Clock& clock, WeComApiOptions options);
    WeComApi(const WeComApi&) = delete;
    WeComApi& operator=(const WeComApi&) = delete;

    // A valid access token (GET /cgi-bin/gettoken?corpid=&corpsecret=): the cached one unless it is
    // missing or due (within refresh_margin of expiry, measured on the Clock), otherwise a fresh one.
    // Concurrent callers share a single refresh and its outcome; a failed refresh is not cached (while the
    // current token has not expired, it is returned instead). Errors: transport, bad_response,
    // bad_credentials (wrong CorpID/secret, IP not whitelisted), rate_limited, platform_busy,
    // platform_error. Cancelling a caller does not cancel the refresh it waits for (it throws
    // operation_aborted to that caller only).
    [[nodiscard]] asio::awaitable<boost::system::result<std::string>> access_token();

    // Drops the cached token if it is still `token` (a stale report never drops a newer token). Takes
    // effect before any access_token() call that starts after this returns. Never blocks.
    void invalidate(const std::string& token);

    // App text message to members (POST /cgi-bin/message/send, touser joined by '|', "@all" allowed).
    // Rejected before calling: an empty list, more than kMaxRecipients, an empty userid or one containing
    // '|' (invalid_recipient); empty text (content_empty); text over kMaxAppTextBytes (content_too_long).
    // When only some userids are invalid the message goes to the others and this succeeds, listing them in
    // invalid_users; when all are, the platform answers 81013 (invalid_recipient). Errors: as
    // access_token(), plus token_rejected, invalid_recipient, content_empty, content_too_long,
    // no_permission.
    [[nodiscard]] asio::awaitable<boost::system::result<SendReceipt>> send_text(
        std::vector<std::string> userids, std::string text);

    // App markdown message (shown in the WeCom client only; limit kMaxAppMarkdownBytes). As send_text.
    [[nodiscard]] asio::awaitable<boost::system::result<SendReceipt>> send_markdown(
        std::vector<std::string> userids, std::string markdown);

    // Text to an app-created group chat (POST /cgi-bin/appchat/send). An empty chatid is invalid_chat
    // without calling; content limits as send_text. Errors: as send_text, with invalid_chat (86001 invalid,
    // 86003 unknown, 86008 not created by this app) instead of invalid_recipient.
    [[nodiscard]] asio::awaitable<boost::system::result<void>> appchat_send_text(std::string chatid,
                                                                                 std::string text);

    // Markdown to an app-created group chat (limit kMaxAppMarkdownBytes). As appchat_send_text.
    [[nodiscard]] asio::awaitable<boost::system::result<void>> appchat_send_markdown(std::string chatid,
                                                                                     std::string markdown);

    // Creates an internal group chat (POST /cgi-bin/appchat/create) and returns its chatid. `name`, `owner`
    // and `chatid` are omitted from the request when empty (the platform then picks the owner from the
    // list and a random chatid). The group shows up in clients only after its first message. Needs the
    // app's visibility to be the root department (else no_permission). Errors: as access_token(), plus
    // token_rejected, invalid_recipient, invalid_chat, no_permission, platform_error (e.g. 86215 chatid
    // taken).
    [[nodiscard]] asio::awaitable<boost::system::result<std::string>> appchat_create(
        std::string name, std::string owner, std::vector<std::string> userlist, std::string chatid);

    // Keeps the token fresh: fetches one at once if there is none, then sleeps on the Clock until the
    // current token is due and refreshes it through the same single-flight path. A failed refresh is
    // retried after 30 s, doubling up to 5 min (Clock time). Runs until cancelled, then throws
    // system_error(operation_aborted). Spawn it once per WeComApi and cancel it on shutdown.
    asio::awaitable<void> run_refresher();

    const WeComApiOptions& options() const { return options_; }

private:
    struct Flight;  // one token refresh in progress and the callers waiting for it
    struct CachedToken {
        std::string value{};
        Clock::time_point refresh_at{};  // due from here on
        Clock::time_point expires_at{};  // still usable until here if a refresh fails
    };

    asio::awaitable<boost::system::result<std::string>> token_via_strand(std::optional<std::string> stale);
    asio::awaitable<boost::system::result<std::string>> token_on_strand(std::optional<std::string> stale);
    asio::awaitable<void> refresh_task(std::shared_ptr<Flight> flight);
    asio::awaitable<boost::system::result<CachedToken>> fetch_token();
    asio::awaitable<Clock::time_point> refresh_due_on_strand();
    void finish_flight(const std::shared_ptr<Flight>& flight, boost::system::result<CachedToken> outcome);
    void expire_if_current(const std::string& token);
    // POSTs `body` to `path` with a token, with the single refresh-and-retry; the reply's JSON text on
    // errcode 0.
    asio::awaitable<boost::system::result<std::string>> call_api(std::string api, std::string path,
                                                                 std::string body);
    asio::awaitable<boost::system::result<SendReceipt>> send_to_users(std::vector<std::string> userids,
                                                                      std::string msgtype,
                                                                      std::string content, std::size_t limit);
    asio::awaitable<boost::system::result<void>> send_to_chat(std::string chatid, std::string msgtype,
                                                              std::string content, std::size_t limit);

    asio::strand<asio::any_io_executor> strand_;
    net::HttpClient& http_;
    Clock& clock_;
    const WeComApiOptions options_;

    // Touched only on strand_.
    std::optional<CachedToken> token_;
    std::shared_ptr<Flight> flight_;
};

struct RobotWebhookOptions {
    std::string api_base{"https://qyapi.weixin.qq.com"};  // for keys given without a URL
    std::chrono::milliseconds request_timeout{10000};
};

// Token-less robot sends. The group robot's webhook key and a 智能机器人 response_url are credentials in
// themselves: neither ever appears in a log line (nor do message bodies).
//
// Errors: errc values only; transport failures are errc::transport and never retried. Robots are rate
// limited by the platform (20 messages a minute per group robot): callers pace their sends.
//
// Thread-safe and stateless: every member may be called concurrently from any thread; the HttpClient
// must outlive every call in flight.
class RobotWebhook {
public:
    RobotWebhook(net::HttpClient& http, RobotWebhookOptions options);

    // Group robot text (POST {api_base}/cgi-bin/webhook/send?key=KEY). `key` is the robot key, or the
    // whole webhook URL as copied from the WeCom client (anything starting with http:// or https://, used
    // as it is). `mentioned_list` are userids (or "@all"), `mentioned_mobile_list` mobile numbers; empty
    // lists are omitted. Rejected before calling: an empty key (bad_credentials), empty text
    // (content_empty), text over kMaxRobotTextBytes (content_too_long). Errors: transport, bad_response,
    // bad_credentials (93000: unknown key), rate_limited, content_empty, content_too_long, platform_busy,
    // platform_error.
    [[nodiscard]] asio::awaitable<boost::system::result<void>> send_text(
        Secret key, std::string text, std::vector<std::string> mentioned_list = {},
        std::vector<std::string> mentioned_mobile_list = {});

    // Group robot markdown (limit kMaxRobotMarkdownBytes; mention with <@userid> in the text). As
    // send_text.
    [[nodiscard]] asio::awaitable<boost::system::result<void>> send_markdown(Secret key,
                                                                             std::string markdown);

    // Answers one 智能机器人 message with markdown by POSTing {"msgtype":"markdown","markdown":{"content":…}}
    // to its response_url (InboundMessage::reply_url, a full URL carrying a response_code). A response_url
    // can be used once and is valid for 1 h after the message (WWDOC path/101138): a second call, or one
    // after the hour, fails with response_url_invalid. Rejected before calling: an empty or unparsable URL
    // (response_url_invalid), empty markdown (content_empty), markdown over kMaxAibotMarkdownBytes
    // (content_too_long). Not retried on any error (a retry could not succeed once the URL is spent).
    [[nodiscard]] asio::awaitable<boost::system::result<void>> respond_aibot(std::string response_url,
                                                                             std::string markdown);

private:
    asio::awaitable<boost::system::result<void>> send_robot(Secret key, std::string api, std::string body);

    net::HttpClient& http_;
    const RobotWebhookOptions options_;
};

}  // namespace anju::adapters::wecom

template <>
struct anju::ErrcTraits<anju::adapters::wecom::errc> {
    static constexpr const char* name = "anju.wecom";
    static std::string_view message(anju::adapters::wecom::errc e);
};

template <>
struct boost::system::is_error_code_enum<anju::adapters::wecom::errc> : std::true_type {};
