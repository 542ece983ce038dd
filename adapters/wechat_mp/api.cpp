#include "adapters/wechat_mp/api.hpp"

#include "adapters/common/strand_call.hpp"
#include "bot/core/log.hpp"
#include "bot/net/errors.hpp"
#include "bot/net/url.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <exception>
#include <initializer_list>
#include <memory>
#include <optional>

namespace anju::adapters::wechat_mp {
namespace {

using SteadyClock = std::chrono::steady_clock;
using Json = nlohmann::json;

const log::Logger mp_log{"wechat_mp"};

constexpr std::string_view kTokenPath = "/cgi-bin/token";
constexpr std::string_view kStableTokenPath = "/cgi-bin/stable_token";
constexpr std::string_view kCustomSendPath = "/cgi-bin/message/custom/send";
constexpr std::string_view kTemplateSendPath = "/cgi-bin/message/template/send";

// An absurd expires_in must not overflow time arithmetic; the platform says 7200.
constexpr std::int64_t kMaxExpiresInSeconds = 86'400;
// Platform errmsg is untrusted text of unknown length; logs get a bounded prefix.
constexpr std::size_t kMaxLoggedErrmsgBytes = 200;

constexpr std::chrono::seconds kFirstRefreshBackoff{30};
constexpr std::chrono::seconds kMaxRefreshBackoff{300};

std::int64_t elapsed_ms(SteadyClock::time_point started) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - started).count();
}

// nlohmann throws on invalid UTF-8 when serialising by default; text from chat users must never make a
// send throw, so ill-formed sequences become U+FFFD.
std::string dump(const Json& json) { return json.dump(-1, ' ', false, Json::error_handler_t::replace); }

// The platform's errmsg as it may appear in a log: without anything secret we know of (the platform has
// no reason to echo the token or the secret, but a log line is not where to find out), at most
// kMaxLoggedErrmsgBytes long and not cut inside a UTF-8 sequence.
std::string loggable_errmsg(std::string errmsg, std::string_view secret, std::string_view other_secret = {}) {
    for (const auto hidden : {secret, other_secret}) {
        if (hidden.empty()) {
            continue;
        }
        for (auto pos = errmsg.find(hidden); pos != std::string::npos; pos = errmsg.find(hidden, pos)) {
            errmsg.replace(pos, hidden.size(), "<redacted>");
        }
    }
    if (errmsg.size() > kMaxLoggedErrmsgBytes) {
        auto cut = kMaxLoggedErrmsgBytes;
        while (cut > 0 && (static_cast<unsigned char>(errmsg[cut]) & 0xC0U) == 0x80U) {
            --cut;
        }
        errmsg.resize(cut);
        errmsg += "...";
    }
    return errmsg;
}

// {"errcode":…,"errmsg":…} of a message API.
struct PlatformStatus {
    std::int64_t errcode = 0;
    std::string errmsg{};
};

// The status of a JSON object; nullopt when `errcode` is missing or not an integer.
std::optional<PlatformStatus> parse_status(const Json& json) {
    if (!json.is_object()) {
        return std::nullopt;
    }
    const auto code = json.find("errcode");
    if (code == json.end() || !code->is_number_integer()) {
        return std::nullopt;
    }
    PlatformStatus status;
    status.errcode = code->get<std::int64_t>();
    const auto message = json.find("errmsg");
    if (message != json.end() && message->is_string()) {
        status.errmsg = message->get<std::string>();
    }
    return status;
}

// 40001/40014/42001: the token is invalid, not the latest, or expired (PROTOCOLS §3.2).
bool is_token_error(std::int64_t errcode) { return errcode == 40001 || errcode == 40014 || errcode == 42001; }

// At the token endpoint no token is involved yet: 40001 there means the AppSecret is wrong.
errc token_endpoint_errc(std::int64_t errcode) {
    return errcode == 40001 ? errc::bad_credentials : errc_from_errcode(errcode);
}

// One POST of a message API with `token`, and how it went.
struct Attempt {
    boost::system::result<std::string> result{make_error_code(errc::platform_error)};  // the body on success
    bool token_error = false;  // 40001/40014/42001: worth one retry with a fresh token
};

// The one place message APIs are called. Never retries. The references are the caller's locals, alive
// until the caller's co_await of this coroutine returns.
asio::awaitable<Attempt> post_once(net::HttpClient& http, const MpApiOptions& options, std::string_view api,
                                   const std::string& path, const std::string& body,
                                   const std::string& token) {
    net::HttpRequest request;
    request.method = "POST";
    request.url = options.api_base + path + "?access_token=" + net::percent_encode(token);
    request.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
    request.body = body;
    request.timeout = options.request_timeout;

    const auto started = SteadyClock::now();
    auto response = co_await http.send(std::move(request));
    Attempt attempt;
    if (!response) {
        // Not retried: the request may have reached WeChat, and a second send would reach the user
        // twice (PROTOCOLS §3.2, WxJava #2098).
        ANJU_LOG_WARN(mp_log) << "WeChat API request failed in transport; not retried" << kv("api", api)
                              << kv("error_category", response.error().category().name())
                              << kv("error_value", response.error().value())
                              << kv("error", response.error().message()) << kv("ms", elapsed_ms(started));
        attempt.result = make_error_code(never_left(response.error()) ? errc::not_sent : errc::transport);
        co_return attempt;
    }
    const auto json = Json::parse(response->body, nullptr, false);
    const auto status = parse_status(json);  // a discarded value is not an object
    if (!status) {
        ANJU_LOG_WARN(mp_log) << "WeChat API answered with an unexpected body" << kv("api", api)
                              << kv("status", response->status) << kv("bytes", response->body.size())
                              << kv("ms", elapsed_ms(started));
        attempt.result = make_error_code(errc::bad_response);
        co_return attempt;
    }
    ANJU_LOG_DEBUG(mp_log) << "WeChat API call" << kv("api", api) << kv("errcode", status->errcode)
                           << kv("ms", elapsed_ms(started));
    if (status->errcode == 0) {
        attempt.result = std::move(response->body);
        co_return attempt;
    }
    const auto errmsg = loggable_errmsg(status->errmsg, token, options.app_secret.reveal());
    if (is_token_error(status->errcode)) {
        // call_api decides between a retry and token_rejected, and says which.
        ANJU_LOG_WARN(mp_log) << "WeChat API rejected the access token" << kv("api", api)
                              << kv("errcode", status->errcode) << kv("errmsg", errmsg);
        attempt.token_error = true;
        attempt.result = make_error_code(errc::token_rejected);
        co_return attempt;
    }
    const auto error = make_error_code(errc_from_errcode(status->errcode));
    ANJU_LOG_WARN(mp_log) << "WeChat API returned an error" << kv("api", api)
                          << kv("errcode", status->errcode) << kv("errmsg", errmsg)
                          << kv("error", error.message());
    attempt.result = error;
    co_return attempt;
}

net::HttpRequest token_request(const MpApiOptions& options) {
    net::HttpRequest request;
    request.timeout = options.request_timeout;
    if (options.token_endpoint == TokenEndpoint::classic) {
        request.method = "GET";
        request.url = options.api_base + std::string(kTokenPath) +
                      "?grant_type=client_credential&appid=" + net::percent_encode(options.app_id) +
                      "&secret=" + net::percent_encode(options.app_secret.reveal());
        return request;
    }
    Json body;
    body["grant_type"] = "client_credential";
    body["appid"] = options.app_id;
    body["secret"] = options.app_secret.reveal();
    // Normal mode: force_refresh is limited to 20 a day and invalidates the token everywhere.
    body["force_refresh"] = false;
    request.method = "POST";
    request.url = options.api_base + std::string(kStableTokenPath);
    request.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
    request.body = dump(body);
    return request;
}

std::string custom_text_body(const std::string& openid, const std::string& text) {
    Json body;
    body["touser"] = openid;
    body["msgtype"] = "text";
    body["text"]["content"] = text;
    return dump(body);
}

std::string custom_image_body(const std::string& openid, const std::string& media_id) {
    Json body;
    body["touser"] = openid;
    body["msgtype"] = "image";
    body["image"]["media_id"] = media_id;
    return dump(body);
}

std::string template_body(const TemplateMessage& message) {
    Json body;
    body["touser"] = message.openid;
    body["template_id"] = message.template_id;
    if (!message.url.empty()) {
        body["url"] = message.url;
    }
    if (!message.client_msg_id.empty()) {
        body["client_msg_id"] = message.client_msg_id;
    }
    body["data"] = Json::object();
    for (const auto& [field, value] : message.data) {
        body["data"][field]["value"] = value;
    }
    return dump(body);
}

// The msgid of an accepted template send. The platform documents it; a missing one is not worth failing
// a message that was accepted (errcode 0), so it reads as 0.
std::int64_t msgid_of(const std::string& body) {
    const auto json = Json::parse(body, nullptr, false);
    if (json.is_discarded() || !json.is_object()) {
        return 0;
    }
    const auto msgid = json.find("msgid");
    if (msgid == json.end() || !msgid->is_number_integer()) {
        return 0;
    }
    return msgid->get<std::int64_t>();
}

// Expands one pattern. On failure, `problem` says what was wrong (for the log; never user content).
boost::system::result<std::string> expand(std::string_view pattern,
                                          const std::map<std::string, std::string>& vars,
                                          std::string& problem) {
    std::string out;
    out.reserve(pattern.size());
    std::size_t i = 0;
    while (i < pattern.size()) {
        const char c = pattern[i];
        const bool doubled = i + 1 < pattern.size() && pattern[i + 1] == c;
        if (c == '{' && doubled) {
            out.push_back('{');
            i += 2;
        } else if (c == '}' && doubled) {
            out.push_back('}');
            i += 2;
        } else if (c == '}') {
            problem = "unmatched '}'";
            return make_error_code(errc::template_invalid);
        } else if (c == '{') {
            const auto close = pattern.find_first_of("{}", i + 1);
            if (close == std::string_view::npos || pattern[close] != '}') {
                problem = "unmatched '{'";
                return make_error_code(errc::template_invalid);
            }
            const std::string name(pattern.substr(i + 1, close - i - 1));
            const auto found = vars.find(name);
            if (found == vars.end()) {
                problem = name.empty() ? "empty placeholder {}" : "unknown placeholder {" + name + "}";
                return make_error_code(errc::template_invalid);
            }
            out += found->second;
            i = close + 1;
        } else {
            out.push_back(c);
            ++i;
        }
    }
    return out;
}

}  // namespace

boost::system::error_code make_error_code(errc e) noexcept { return make_errc_code(e); }

errc errc_from_errcode(std::int64_t errcode) noexcept {
    switch (errcode) {
        case 40001:
        case 40014:
        case 42001:
            return errc::token_rejected;
        case 40013:  // invalid AppID
        case 40125:  // invalid AppSecret
        case 41002:  // AppID missing
        case 41004:  // AppSecret missing
        case 40164:  // caller IP not whitelisted
            return errc::bad_credentials;
        case 45015:
            return errc::window_closed;
        case 45047:
            return errc::quota_exceeded;
        case 43004:
            return errc::not_subscribed;
        case 40003:
            return errc::invalid_recipient;
        case 43019:
        case 48002:
        case 43101:
            return errc::user_refused;
        case 45002:
            return errc::content_too_long;
        case 40037:
        case 47003:
            return errc::template_invalid;
        case 45009:
        case 45011:
            return errc::rate_limited;
        case -1:
            return errc::platform_busy;
        default:
            return errc::platform_error;
    }
}

boost::system::result<TemplateMessage> render_template(const TemplateSpec& spec,
                                                       const std::map<std::string, std::string>& vars,
                                                       std::string openid, std::string client_msg_id) {
    TemplateMessage message;
    message.openid = std::move(openid);
    message.template_id = spec.template_id;
    message.url = spec.url;
    message.client_msg_id = std::move(client_msg_id);
    message.data.reserve(spec.fields.size());
    for (const auto& [field, pattern] : spec.fields) {
        std::string problem;
        auto value = expand(pattern, vars, problem);
        if (!value) {
            ANJU_LOG_WARN(mp_log) << "template field cannot be rendered"
                                  << kv("template_id", spec.template_id) << kv("field", field)
                                  << kv("problem", problem);
            return value.error();
        }
        message.data.emplace_back(field, std::move(*value));
    }
    return message;
}

// A refresh in progress. Its waiters park on `done`, a timer that never expires: finishing the flight
// cancels it, which wakes them all at once, and each reads `outcome`. A waiter whose own caller is
// cancelled wakes alone and finds no outcome. Touched only on the strand.
struct MpApi::Flight {
    explicit Flight(const asio::any_io_executor& ex) : done(ex, asio::steady_timer::time_point::max()) {}

    asio::steady_timer done;
    std::optional<boost::system::result<std::string>> outcome{};
};

MpApi::MpApi(asio::any_io_executor ex, net::HttpClient& http, Clock& clock, MpApiOptions options)
    : strand_(asio::make_strand(ex)), http_(http), clock_(clock), options_(std::move(options)) {}

asio::awaitable<boost::system::result<std::string>> MpApi::access_token() {
    std::optional<std::string> no_stale_token;
    auto token = co_await token_via_strand(std::move(no_stale_token));
    co_return token;
}

void MpApi::invalidate(const std::string& token) {
    // Posted, so strand order puts it before every token request that starts after we return.
    asio::post(strand_, [this, token] { expire_if_current(token); });
}

void MpApi::expire_if_current(const std::string& token) {
    if (token_ && token_->value == token) {
        token_.reset();
        ANJU_LOG_DEBUG(mp_log) << "cached access token expired after the platform rejected it";
    }
}

// Hops onto the strand for the token state and back to the caller's executor with the outcome.
asio::awaitable<boost::system::result<std::string>> MpApi::token_via_strand(
    std::optional<std::string> stale) {
    auto work = token_on_strand(std::move(stale));
    auto token = co_await on_strand(strand_, std::move(work));
    co_return token;
}

asio::awaitable<boost::system::result<std::string>> MpApi::token_on_strand(std::optional<std::string> stale) {
    if (stale) {
        expire_if_current(*stale);
    }
    if (token_ && clock_.now() < token_->refresh_at) {
        co_return token_->value;
    }
    auto flight = flight_;
    if (!flight) {
        // The refresh is its own task, not part of this caller: if this caller is cancelled, the others
        // still get their token.
        flight = std::make_shared<Flight>(strand_);
        flight_ = flight;
        auto work = refresh_task(flight);
        asio::co_spawn(strand_, std::move(work), log::LogFailure(mp_log, "access token refresh"));
    }
    // co_spawn dispatches: when the HttpClient completes without suspending, the refresh has already
    // finished here (and flight_ is reset); waiting would then be for a wake-up that has come and gone.
    if (!flight->outcome) {
        // Ends with operation_aborted either way: the flight finished, or our caller was cancelled.
        co_await flight->done.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    if (!flight->outcome) {
        // Only our own wait was cancelled; the refresh goes on for the other waiters.
        throw boost::system::system_error(asio::error::operation_aborted);
    }
    if (!*flight->outcome && token_ && clock_.now() < token_->expires_at) {
        // An early refresh failed, but the current token has not expired: keep using it (the
        // refresher tries again later) rather than fail sends that would have worked.
        ANJU_LOG_WARN(mp_log) << "access token refresh failed; the current token is used until it expires"
                              << kv("error", flight->outcome->error().message());
        co_return token_->value;
    }
    co_return *flight->outcome;
}

asio::awaitable<void> MpApi::refresh_task(std::shared_ptr<Flight> flight) {
    boost::system::result<CachedToken> outcome{make_error_code(errc::transport)};
    try {
        outcome = co_await fetch_token();
    } catch (...) {
        // Not swallowed: the waiters are released (as if the request had failed in transport, the
        // closest outcome we have), then the exception goes on to LogFailure.
        finish_flight(flight, make_error_code(errc::transport));
        throw;
    }
    finish_flight(flight, std::move(outcome));
}

void MpApi::finish_flight(const std::shared_ptr<Flight>& flight, boost::system::result<CachedToken> outcome) {
    if (outcome) {
        flight->outcome.emplace(outcome->value);
        token_ = std::move(*outcome);
    } else {
        // A failure is not cached: the next caller starts a new refresh.
        flight->outcome.emplace(outcome.error());
    }
    if (flight_ == flight) {
        flight_.reset();
    }
    flight->done.cancel();
}

asio::awaitable<boost::system::result<MpApi::CachedToken>> MpApi::fetch_token() {
    if (options_.app_secret.empty()) {
        // A passive-only account: without an AppSecret there is no token to ask for.
        co_return make_error_code(errc::bad_credentials);
    }
    const bool classic = options_.token_endpoint == TokenEndpoint::classic;
    const std::string_view api = classic ? "cgi-bin/token" : "cgi-bin/stable_token";
    auto request = token_request(options_);
    const auto started = SteadyClock::now();
    // The classic URL carries the secret in its query: only the request itself may see it.
    auto response = co_await http_.send(std::move(request));
    if (!response) {
        ANJU_LOG_WARN(mp_log) << "access token request failed in transport" << kv("api", api)
                              << kv("error_category", response.error().category().name())
                              << kv("error_value", response.error().value())
                              << kv("error", response.error().message()) << kv("ms", elapsed_ms(started));
        co_return make_error_code(errc::transport);
    }
    const auto json = Json::parse(response->body, nullptr, false);
    if (json.is_discarded() || !json.is_object()) {
        ANJU_LOG_WARN(mp_log) << "access token endpoint answered with an unexpected body" << kv("api", api)
                              << kv("status", response->status) << kv("bytes", response->body.size());
        co_return make_error_code(errc::bad_response);
    }
    const auto status = parse_status(json);
    if (status && status->errcode != 0) {
        const auto error = make_error_code(token_endpoint_errc(status->errcode));
        ANJU_LOG_WARN(mp_log) << "access token endpoint returned an error" << kv("api", api)
                              << kv("errcode", status->errcode)
                              << kv("errmsg", loggable_errmsg(status->errmsg, options_.app_secret.reveal()))
                              << kv("error", error.message());
        co_return error;
    }
    const auto token = json.find("access_token");
    const auto expires_in = json.find("expires_in");
    if (token == json.end() || !token->is_string() || token->get_ref<const std::string&>().empty() ||
        expires_in == json.end() || !expires_in->is_number_integer() ||
        expires_in->get<std::int64_t>() <= 0) {
        ANJU_LOG_WARN(mp_log) << "access token endpoint answered without a usable token" << kv("api", api)
                              << kv("status", response->status);
        co_return make_error_code(errc::bad_response);
    }
    const auto lifetime =
        std::chrono::seconds{std::min(expires_in->get<std::int64_t>(), kMaxExpiresInSeconds)};
    // Refresh refresh_margin before expiry, but never later than halfway: a short-lived token (stable
    // tokens can come with expires_in as low as 300) would otherwise be due at once, and every call
    // would fetch another.
    const auto margin = std::clamp<Clock::duration>(options_.refresh_margin, Clock::duration::zero(),
                                                    Clock::duration(lifetime) / 2);
    CachedToken fresh;
    fresh.value = token->get<std::string>();
    fresh.refresh_at = clock_.now() + lifetime - margin;
    fresh.expires_at = clock_.now() + lifetime;
    ANJU_LOG_INFO(mp_log) << "access token refreshed" << kv("api", api)
                          << kv("expires_in_s", lifetime.count()) << kv("ms", elapsed_ms(started));
    co_return fresh;
}

asio::awaitable<Clock::time_point> MpApi::refresh_due_on_strand() {
    co_return token_ ? token_->refresh_at : clock_.now();
}

asio::awaitable<void> MpApi::run_refresher() {
    auto backoff = kFirstRefreshBackoff;
    for (;;) {
        auto due_work = refresh_due_on_strand();
        const auto due = co_await on_strand(strand_, std::move(due_work));
        co_await clock_.sleep_until(due);
        // Due by now, so this refreshes (or joins a refresh under way); if someone else refreshed in the
        // meantime it returns their fresh token and the loop sleeps until that one is due.
        auto token = co_await access_token();
        if (token) {
            backoff = kFirstRefreshBackoff;
            continue;
        }
        ANJU_LOG_WARN(mp_log) << "proactive access token refresh failed; retrying later"
                              << kv("error", token.error().message()) << kv("retry_in_s", backoff.count());
        co_await clock_.sleep_for(backoff);
        backoff = std::min(backoff * 2, kMaxRefreshBackoff);
    }
}

asio::awaitable<boost::system::result<std::string>> MpApi::call_api(std::string_view api, std::string path,
                                                                    std::string body) {
    auto token = co_await access_token();
    if (!token) {
        // The message itself never left: say so, so the caller may retry it (a transport failure of
        // the send would not allow that).
        co_return token.error() == errc::transport ? make_error_code(errc::no_token) : token.error();
    }
    auto first = co_await post_once(http_, options_, api, path, body, *token);
    if (!first.token_error) {
        co_return std::move(first.result);
    }
    ANJU_LOG_INFO(mp_log) << "refreshing the rejected access token and retrying once" << kv("api", api);
    // Expire exactly the token that failed (a newer one fetched meanwhile by someone else survives) and
    // retry once, like WxJava; never more (wechatpy's unbounded loop is a refresh storm).
    std::optional<std::string> stale(std::move(*token));
    auto fresh = co_await token_via_strand(std::move(stale));
    if (!fresh) {
        // The first send was answered (a token error): nothing was delivered so far.
        co_return fresh.error() == errc::transport ? make_error_code(errc::no_token) : fresh.error();
    }
    auto second = co_await post_once(http_, options_, api, path, body, *fresh);
    if (!second.token_error) {
        co_return std::move(second.result);
    }
    ANJU_LOG_WARN(mp_log) << "WeChat rejected a freshly fetched access token too; giving up"
                          << kv("api", api);
    co_return make_error_code(errc::token_rejected);
}

asio::awaitable<boost::system::result<void>> MpApi::send_text(std::string openid, std::string text) {
    if (text.size() > kMaxTextBytes) {
        ANJU_LOG_WARN(mp_log) << "text too long for one customer-service message; the caller must split it"
                              << kv("bytes", text.size()) << kv("limit", kMaxTextBytes);
        co_return make_error_code(errc::content_too_long);
    }
    auto body = custom_text_body(openid, text);
    std::string path(kCustomSendPath);
    auto reply = co_await call_api("message/custom/send", std::move(path), std::move(body));
    if (!reply) {
        co_return reply.error();
    }
    co_return boost::system::result<void>();
}

asio::awaitable<boost::system::result<void>> MpApi::send_image(std::string openid, std::string media_id) {
    auto body = custom_image_body(openid, media_id);
    std::string path(kCustomSendPath);
    auto reply = co_await call_api("message/custom/send", std::move(path), std::move(body));
    if (!reply) {
        co_return reply.error();
    }
    co_return boost::system::result<void>();
}

asio::awaitable<boost::system::result<std::int64_t>> MpApi::send_template(TemplateMessage message) {
    auto body = template_body(message);
    std::string path(kTemplateSendPath);
    auto reply = co_await call_api("message/template/send", std::move(path), std::move(body));
    if (!reply) {
        co_return reply.error();
    }
    co_return msgid_of(*reply);
}

}  // namespace anju::adapters::wechat_mp

std::string_view anju::ErrcTraits<anju::adapters::wechat_mp::errc>::message(
    anju::adapters::wechat_mp::errc e) {
    using anju::adapters::wechat_mp::errc;
    switch (e) {
        case errc::transport:
            return "the WeChat API could not be reached or did not answer in time; a message may or may not "
                   "have been delivered";
        case errc::bad_response:
            return "the WeChat API answered with a response that could not be understood";
        case errc::bad_credentials:
            return "WeChat rejected the app credentials (AppID or AppSecret wrong or missing, or this "
                   "server's IP is not whitelisted)";
        case errc::token_rejected:
            return "WeChat rejected the access token even after it was refreshed";
        case errc::window_closed:
            return "the customer-service window is closed: the user has not written within 48 hours or "
                   "has unfollowed";
        case errc::quota_exceeded:
            return "the customer-service message quota for this user is used up";
        case errc::not_subscribed:
            return "the user does not follow the official account";
        case errc::invalid_recipient:
            return "the OpenID is not valid for this official account";
        case errc::user_refused:
            return "the user has blocked the official account or refuses its messages";
        case errc::content_too_long:
            return "the message content is too long";
        case errc::template_invalid:
            return "the template message is invalid (unknown template, bad field data or placeholder)";
        case errc::rate_limited:
            return "the WeChat API call quota or frequency limit has been reached";
        case errc::platform_busy:
            return "WeChat is busy; try again later";
        case errc::platform_error:
            return "the WeChat API returned an error";
        case errc::not_sent:
            return "the WeChat API could not be reached (DNS, connection or TLS failure); the request was "
                   "not sent";
        case errc::no_token:
            return "no WeChat access token could be had (the token endpoint could not be reached or did not "
                   "answer in time); the message was not sent";
    }
    return "unknown WeChat Official Account API error";
}
