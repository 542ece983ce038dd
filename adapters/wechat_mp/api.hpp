// The WeChat Official Account (公众号) active API client: access_token management (cache, single-flight
// refresh, compare-and-expire, proactive refresh) and the outbound calls the bot makes (customer-service
// text and image messages, template messages). PROTOCOLS.md §3.
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
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace anju::adapters::wechat_mp {

// Why an API call failed. Platform errcodes are folded into these (see errc_from_errcode); the raw errcode
// and errmsg are logged at warn level, never returned.
enum class errc {
    transport = 1,      // no HTTP response (connect, TLS, timeout): a send may or may not have been delivered
    bad_response,       // the body was not JSON or not the JSON the API documents
    bad_credentials,    // AppID/AppSecret wrong or missing, or this host's IP is not whitelisted
    token_rejected,     // the access token was refused again right after refreshing it
    window_closed,      // 45015: the 48 h customer-service window is closed (or the user unfollowed)
    quota_exceeded,     // 45047: the per-user customer-service message quota is used up
    not_subscribed,     // 43004: the user does not follow the account
    invalid_recipient,  // 40003: the OpenID does not belong to this account
    user_refused,       // 43019/48002/43101: blocked, or the user refuses messages
    content_too_long,   // 45002, or text over kMaxTextBytes rejected before calling the API
    template_invalid,   // 40037/47003, or a template pattern with an unknown placeholder or a stray brace
    rate_limited,       // 45009/45011: API quota or frequency limit
    platform_busy,      // -1: system busy; worth retrying later with backoff
    platform_error,     // any other non-zero errcode
    no_token,           // a message call could not get an access token in transport: nothing was sent
    not_sent,  // the API could not be reached (DNS, refused, unreachable, TLS): the request never left
};

boost::system::error_code make_error_code(errc e) noexcept;

// The errc for a non-zero errcode from a message API (the token endpoint differs only for 40001, which
// means a wrong AppSecret there). 40001/40014/42001 map to token_rejected: MpApi returns them only after
// its single refresh-and-retry. Thread-safe, pure.
errc errc_from_errcode(std::int64_t errcode) noexcept;

// Customer-service text limit in UTF-8 bytes (PROTOCOLS §8); callers split longer texts.
inline constexpr std::size_t kMaxTextBytes = 2048;

// WeChat sends one template message per openid + client_msg_id within this time (防重入, PROTOCOLS
// §3.4): a resend with the same key inside it is safe even if the first one was delivered.
inline constexpr std::chrono::milliseconds kTemplateDedupeWindow{10 * 60 * 1000};

enum class TokenEndpoint {
    stable,   // POST /cgi-bin/stable_token, normal mode: the recommended one (no token fights)
    classic,  // GET /cgi-bin/token: each fetch invalidates the previous token after ~5 min
};

struct MpApiOptions {
    std::string app_id{};
    Secret app_secret{};
    std::string api_base{"https://api.weixin.qq.com"};  // no trailing slash; http://127.0.0.1:PORT in tests
    TokenEndpoint token_endpoint{TokenEndpoint::stable};
    std::chrono::seconds refresh_margin{300};          // refresh this long before the token expires
    std::chrono::milliseconds request_timeout{10000};  // per HTTP request (transport time, not Clock)
};

// A template with `{name}` placeholders in its field values: {"thing1", "{category}"}. `{{` and `}}` are
// literal braces.
struct TemplateSpec {
    std::string template_id{};
    std::string url{};  // optional jump URL
    std::vector<std::pair<std::string, std::string>> fields{};
};

// A rendered template message, ready for MpApi::send_template.
struct TemplateMessage {
    std::string openid{};
    std::string template_id{};
    std::string url{};                                        // omitted from the request when empty
    std::vector<std::pair<std::string, std::string>> data{};  // field name -> value
    std::string client_msg_id{};  // idempotency key (platform dedupes openid + id for 10 min); may be empty
};

// Fills the placeholders of every field of `spec` from `vars`. Values are inserted verbatim (a value
// containing braces is not expanded again). Returns errc::template_invalid (and logs the field and
// placeholder name at warn) for a placeholder missing from `vars`, an empty `{}`, or an unmatched `{` or
// `}`. Thread-safe, pure, never throws on content.
[[nodiscard]] boost::system::result<TemplateMessage> render_template(
    const TemplateSpec& spec, const std::map<std::string, std::string>& vars, std::string openid,
    std::string client_msg_id);

// The API client for one official account.
//
// Errors: every call returns errc values only. Transport failures (any anju::net::errc) become
// errc::transport and are never retried, because a send may have been delivered (PROTOCOLS §3.2); when
// a message call fails earlier, because no access token could be had in transport, it is errc::no_token
// (nothing was sent; the token call itself, access_token(), still says transport). A token
// error (40001/40014/42001) on a call expires that token (compare-and-expire), fetches a fresh one and
// retries the call exactly once; a second token error is errc::token_rejected. errcode -1 is returned as
// platform_busy without retrying: the caller (outbox) retries later with backoff. Logs never contain the
// access token, the app secret, request URLs with their query, or bodies.
//
// Thread-safe: every member may be called from any thread or executor, concurrently; coroutines resume on
// the caller's executor. Token state lives on an internal strand. The MpApi, the HttpClient and the Clock
// must outlive every call in flight, including a token refresh started by a caller that has since gone
// away (it finishes on the io_context in the background).
class MpApi {
public:
    MpApi(asio::any_io_executor ex, net::HttpClient& http, Clock& clock, MpApiOptions options);
    MpApi(const MpApi&) = delete;
    MpApi& operator=(const MpApi&) = delete;

    // A valid access token: the cached one unless it is missing or due (within refresh_margin of expiry,
    // measured on the Clock), otherwise a fresh one. Concurrent callers share a single refresh and its
    // outcome; a failed refresh is not cached, so the next call tries again. Errors: transport,
    // bad_response, bad_credentials (wrong AppID/AppSecret, IP not whitelisted), rate_limited,
    // platform_busy, platform_error. Cancelling a caller does not cancel the refresh it waits for (it
    // throws operation_aborted to that caller only).
    [[nodiscard]] asio::awaitable<boost::system::result<std::string>> access_token();

    // Drops the cached token if it is still `token` (a stale report never drops a newer token). Takes
    // effect before any access_token() call that starts after this returns. Never blocks.
    void invalidate(const std::string& token);

    // Customer-service text message (POST /cgi-bin/message/custom/send). Text over kMaxTextBytes is
    // rejected with content_too_long without calling the API; ill-formed UTF-8 is replaced by U+FFFD.
    // Errors: as access_token(), plus window_closed, quota_exceeded, not_subscribed, invalid_recipient,
    // user_refused, content_too_long, token_rejected.
    [[nodiscard]] asio::awaitable<boost::system::result<void>> send_text(std::string openid,
                                                                         std::string text);

    // Customer-service image message of an uploaded media_id. Errors: as send_text.
    [[nodiscard]] asio::awaitable<boost::system::result<void>> send_image(std::string openid,
                                                                          std::string media_id);

    // Template message (POST /cgi-bin/message/template/send) with `client_msg_id` when non-empty; returns
    // the platform's msgid (0 if an accepted answer carries none). Errors: as send_text, plus
    // template_invalid.
    [[nodiscard]] asio::awaitable<boost::system::result<std::int64_t>> send_template(TemplateMessage message);

    // Keeps the token fresh: fetches one at once if there is none, then sleeps on the Clock until the
    // current token is due and refreshes it through the same single-flight path. A failed refresh is
    // retried after 30 s, doubling up to 5 min (Clock time). Runs until cancelled, then throws
    // system_error(operation_aborted). Spawn it once per MpApi and cancel it on shutdown.
    asio::awaitable<void> run_refresher();

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
    asio::awaitable<boost::system::result<std::string>> call_api(std::string_view api, std::string path,
                                                                 std::string body);

    asio::strand<asio::any_io_executor> strand_;
    net::HttpClient& http_;
    Clock& clock_;
    const MpApiOptions options_;

    // Touched only on strand_.
    std::optional<CachedToken> token_;
    std::shared_ptr<Flight> flight_;
};

}  // namespace anju::adapters::wechat_mp

template <>
struct anju::ErrcTraits<anju::adapters::wechat_mp::errc> {
    static constexpr const char* name = "anju.wechat_mp";
    static std::string_view message(anju::adapters::wechat_mp::errc e);
};

template <>
struct boost::system::is_error_code_enum<anju::adapters::wechat_mp::errc> : std::true_type {};
