#include "adapters/wecom/api.hpp"

#include "adapters/common/strand_call.hpp"
#include "bot/core/log.hpp"
#include "bot/core/text.hpp"
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
#include <initializer_list>
#include <memory>
#include <utility>

namespace anju::adapters::wecom {
namespace {

using SteadyClock = std::chrono::steady_clock;
using Json = nlohmann::json;

const log::Logger wecom_log{"wecom"};

constexpr std::string_view kGetTokenPath = "/cgi-bin/gettoken";
constexpr std::string_view kMessageSendPath = "/cgi-bin/message/send";
constexpr std::string_view kAppchatSendPath = "/cgi-bin/appchat/send";
constexpr std::string_view kAppchatCreatePath = "/cgi-bin/appchat/create";
constexpr std::string_view kWebhookSendPath = "/cgi-bin/webhook/send";

// An absurd expires_in must not overflow time arithmetic; the platform says 7200.
constexpr std::int64_t kMaxExpiresInSeconds = 86'400;
// Platform errmsg is untrusted text of unknown length; logs get a bounded prefix.
constexpr std::size_t kMaxLoggedErrmsgBytes = 200;

constexpr std::chrono::seconds kFirstRefreshBackoff{30};
constexpr std::chrono::seconds kMaxRefreshBackoff{300};

std::int64_t elapsed_ms(SteadyClock::time_point started) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - started).count();
}

// nlohmann throws on invalid UTF-8 when serialising by default; text is sanitised before it gets here, and
// the replace handler is the second line of defence so that a send never throws on content.
std::string dump(const Json& json) { return json.dump(-1, ' ', false, Json::error_handler_t::replace); }

// The platform's errmsg as it may appear in a log: without anything secret we know of (the platform has no
// reason to echo a token, secret, key or response_code, but a log line is not where to find out), at most
// kMaxLoggedErrmsgBytes long and not cut inside a UTF-8 sequence.
std::string loggable_errmsg(std::string errmsg, std::initializer_list<std::string_view> hidden) {
    for (const auto secret : hidden) {
        if (secret.empty()) {
            continue;
        }
        for (auto pos = errmsg.find(secret); pos != std::string::npos; pos = errmsg.find(secret, pos)) {
            errmsg.replace(pos, secret.size(), "<redacted>");
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

// {"errcode":…,"errmsg":…}; nullopt when `errcode` is missing or not an integer.
struct PlatformStatus {
    std::int64_t errcode = 0;
    std::string errmsg{};
};

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

// 40014 invalid, 42001 expired, 41001 missing; 40001 as well, which some endpoints answer for a token
// the platform no longer recognises (PROTOCOLS §4.4, §4.10).
bool is_token_error(std::int64_t errcode) {
    return errcode == 40001 || errcode == 40014 || errcode == 41001 || errcode == 42001;
}

// At gettoken no token is involved yet: 40001 there means the corp secret is wrong.
errc token_endpoint_errc(std::int64_t errcode) {
    return errcode == 40001 ? errc::bad_credentials : errc_from_errcode(errcode);
}

// One HTTP exchange with a JSON API and what came back.
struct Exchange {
    boost::system::error_code error{};  // transport or bad_response; nothing else is set then
    std::int64_t errcode = 0;
    std::string errmsg{};
    std::string body{};  // the reply's JSON text
};

// The one place WeCom JSON APIs are called. Never retries: after a transport failure the request may have
// reached WeCom, and a second send would reach people twice (PROTOCOLS §8).
asio::awaitable<Exchange> exchange(net::HttpClient& http, net::HttpRequest request, std::string api) {
    const auto started = SteadyClock::now();
    auto response = co_await http.send(std::move(request));
    Exchange out;
    if (!response) {
        ANJU_LOG_WARN(wecom_log) << "WeCom API request failed in transport; not retried" << kv("api", api)
                                 << kv("error_category", response.error().category().name())
                                 << kv("error_value", response.error().value())
                                 << kv("error", response.error().message()) << kv("ms", elapsed_ms(started));
        out.error = make_error_code(never_left(response.error()) ? errc::not_sent : errc::transport);
        co_return out;
    }
    const auto json = Json::parse(response->body, nullptr, false);
    const auto status = parse_status(json);  // a discarded value is not an object
    if (!status) {
        ANJU_LOG_WARN(wecom_log) << "WeCom API answered with an unexpected body" << kv("api", api)
                                 << kv("status", response->status) << kv("bytes", response->body.size())
                                 << kv("ms", elapsed_ms(started));
        out.error = make_error_code(errc::bad_response);
        co_return out;
    }
    ANJU_LOG_DEBUG(wecom_log) << "WeCom API call" << kv("api", api) << kv("errcode", status->errcode)
                              << kv("ms", elapsed_ms(started));
    out.errcode = status->errcode;
    out.errmsg = status->errmsg;
    out.body = std::move(response->body);
    co_return out;
}

// Logs a platform error at warn and returns its code.
boost::system::error_code platform_failure(std::string_view api, const Exchange& reply, errc folded,
                                           std::initializer_list<std::string_view> hidden) {
    const auto error = make_error_code(folded);
    ANJU_LOG_WARN(wecom_log) << "WeCom API returned an error" << kv("api", api)
                             << kv("errcode", reply.errcode)
                             << kv("errmsg", loggable_errmsg(reply.errmsg, hidden))
                             << kv("error", error.message());
    return error;
}

net::HttpRequest post_request(std::string url, std::string body, std::chrono::milliseconds timeout) {
    net::HttpRequest request;
    request.method = "POST";
    request.url = std::move(url);
    request.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
    request.body = std::move(body);
    request.timeout = timeout;
    return request;
}

// Content as it will be sent: ill-formed UTF-8 replaced first (a replacement can make it longer), then
// checked against the limit. Logs why a text is refused, never the text.
boost::system::result<std::string> checked_content(std::string_view api, std::string_view content,
                                                   std::size_t limit) {
    auto clean = sanitize_utf8(content);
    if (clean.empty()) {
        ANJU_LOG_WARN(wecom_log) << "refusing to send an empty message" << kv("api", api);
        return make_error_code(errc::content_empty);
    }
    if (clean.size() > limit) {
        ANJU_LOG_WARN(wecom_log) << "content too long for one message; the caller must split it"
                                 << kv("api", api) << kv("bytes", clean.size()) << kv("limit", limit);
        return make_error_code(errc::content_too_long);
    }
    return clean;
}

// The value of query parameter `name` in `url`, "" if absent: a robot key or response_code inside a URL,
// to be kept out of logged errmsgs.
std::string query_value(std::string_view url, std::string_view name) {
    const auto question = url.find('?');
    if (question == std::string_view::npos) {
        return {};
    }
    const auto params = net::parse_query(url.substr(question + 1));
    const auto value = net::find_param(params, name);
    return value ? std::string(*value) : std::string();
}

bool is_url(std::string_view text) { return text.starts_with("http://") || text.starts_with("https://"); }

std::vector<std::string> split_users(std::string_view joined) {
    std::vector<std::string> users;
    while (!joined.empty()) {
        const auto bar = joined.find('|');
        const auto user = joined.substr(0, bar);
        if (!user.empty()) {
            users.emplace_back(user);
        }
        if (bar == std::string_view::npos) {
            break;
        }
        joined.remove_prefix(bar + 1);
    }
    return users;
}

// What message/send answered: msgid (a string, tolerated as a number) and invaliduser. The reply has
// errcode 0, so a missing field is not worth failing a delivered message.
SendReceipt receipt_of(const std::string& body) {
    SendReceipt receipt;
    const auto json = Json::parse(body, nullptr, false);
    if (!json.is_object()) {
        return receipt;
    }
    if (const auto msgid = json.find("msgid"); msgid != json.end()) {
        if (msgid->is_string()) {
            receipt.msgid = msgid->get<std::string>();
        } else if (msgid->is_number_integer()) {
            receipt.msgid = std::to_string(msgid->get<std::int64_t>());
        }
    }
    if (const auto invalid = json.find("invaliduser"); invalid != json.end() && invalid->is_string()) {
        receipt.invalid_users = split_users(invalid->get_ref<const std::string&>());
    }
    return receipt;
}

// A problem with a recipient list, or "" if message/send can take it.
std::string_view recipient_problem(const std::vector<std::string>& userids) {
    if (userids.empty()) {
        return "no recipients";
    }
    if (userids.size() > kMaxRecipients) {
        return "more than 1000 recipients; split the list";
    }
    for (const auto& id : userids) {
        // '|' is the separator of touser: a userid containing one would address someone else.
        if (id.empty() || id.find('|') != std::string::npos) {
            return "empty userid or userid containing '|'";
        }
    }
    return {};
}

std::string joined_users(const std::vector<std::string>& userids) {
    std::string out;
    for (const auto& id : userids) {
        if (!out.empty()) {
            out.push_back('|');
        }
        out += id;
    }
    return out;
}

}  // namespace

boost::system::error_code make_error_code(errc e) noexcept { return make_errc_code(e); }

errc errc_from_errcode(std::int64_t errcode) noexcept {
    switch (errcode) {
        case 40001:
        case 40014:
        case 41001:
        case 42001:
            return errc::token_rejected;
        case 40013:  // invalid CorpID
        case 60020:  // caller IP not in the app's whitelist
        case 93000:  // invalid webhook URL: the robot key is unknown or the robot was removed
            return errc::bad_credentials;
        case 45009:
        case 45033:
            return errc::rate_limited;
        case 81013:  // every user, party and tag invalid
        case 82001:  // every target invalid
        case 40003:  // invalid UserID
            return errc::invalid_recipient;
        case 86001:
        case 86003:
        case 86008:
            return errc::invalid_chat;
        case 44004:
            return errc::content_empty;
        case 45002:
            return errc::content_too_long;
        case 48002:
        case 60011:
            return errc::no_permission;
        case -1:
            return errc::platform_busy;
        default:
            return errc::platform_error;
    }
}

// ------------------------------------------------------------------------------------------------------
// WeComApi: token management

// A refresh in progress. Its waiters park on `done`, a timer that never expires: finishing the flight
// cancels it, which wakes them all at once, and each reads `outcome`. A waiter whose own caller is
// cancelled wakes alone and finds no outcome. Touched only on the strand.
struct WeComApi::Flight {
    explicit Flight(const asio::any_io_executor& ex) : done(ex, asio::steady_timer::time_point::max()) {}

    asio::steady_timer done;
    std::optional<boost::system::result<std::string>> outcome{};
};

WeComApi::WeComApi(const asio::any_io_executor& ex, net::HttpClient& http, Clock& clock,
                   WeComApiOptions options)
    : strand_(asio::make_strand(ex)), http_(http), clock_(clock), options_(std::move(options)) {}

asio::awaitable<boost::system::result<std::string>> WeComApi::access_token() {
    std::optional<std::string> no_stale_token;
    auto token = co_await token_via_strand(std::move(no_stale_token));
    co_return token;
}

void WeComApi::invalidate(const std::string& token) {
    // Posted, so strand order puts it before every token request that starts after we return.
    asio::post(strand_, [this, token] { expire_if_current(token); });
}

void WeComApi::expire_if_current(const std::string& token) {
    if (token_ && token_->value == token) {
        token_.reset();
        ANJU_LOG_DEBUG(wecom_log) << "cached access token expired after the platform rejected it";
    }
}

// Hops onto the strand for the token state and back to the caller's executor with the outcome.
asio::awaitable<boost::system::result<std::string>> WeComApi::token_via_strand(
    std::optional<std::string> stale) {
    auto work = token_on_strand(std::move(stale));
    auto token = co_await on_strand(strand_, std::move(work));
    co_return token;
}

asio::awaitable<boost::system::result<std::string>> WeComApi::token_on_strand(
    std::optional<std::string> stale) {
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
        asio::co_spawn(strand_, std::move(work), log::LogFailure(wecom_log, "access token refresh"));
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
        // An early refresh failed, but the current token has not expired: keep using it (the refresher
        // tries again later) rather than fail sends that would have worked.
        ANJU_LOG_WARN(wecom_log) << "access token refresh failed; the current token is used until it expires"
                                 << kv("error", flight->outcome->error().message());
        co_return token_->value;
    }
    co_return *flight->outcome;
}

asio::awaitable<void> WeComApi::refresh_task(std::shared_ptr<Flight> flight) {
    boost::system::result<CachedToken> outcome{make_error_code(errc::transport)};
    try {
        outcome = co_await fetch_token();
    } catch (...) {
        // Not swallowed: the waiters are released (as if the request had failed in transport, the closest
        // outcome we have), then the exception goes on to LogFailure.
        finish_flight(flight, make_error_code(errc::transport));
        throw;
    }
    finish_flight(flight, std::move(outcome));
}

void WeComApi::finish_flight(const std::shared_ptr<Flight>& flight,
                             boost::system::result<CachedToken> outcome) {
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

asio::awaitable<boost::system::result<WeComApi::CachedToken>> WeComApi::fetch_token() {
    if (options_.corp_secret.empty()) {
        // An app configured for callbacks only: without its secret there is no token to ask for.
        co_return make_error_code(errc::bad_credentials);
    }
    net::HttpRequest request;
    request.method = "GET";
    // The secret travels in the query (WeCom has no POST variant): only the request itself may see it.
    request.url = options_.api_base + std::string(kGetTokenPath) +
                  "?corpid=" + net::percent_encode(options_.corp_id) +
                  "&corpsecret=" + net::percent_encode(options_.corp_secret.reveal());
    request.timeout = options_.request_timeout;
    const auto started = SteadyClock::now();
    auto response = co_await http_.send(std::move(request));
    if (!response) {
        ANJU_LOG_WARN(wecom_log) << "access token request failed in transport" << kv("api", "gettoken")
                                 << kv("error_category", response.error().category().name())
                                 << kv("error_value", response.error().value())
                                 << kv("error", response.error().message()) << kv("ms", elapsed_ms(started));
        co_return make_error_code(errc::transport);
    }
    const auto json = Json::parse(response->body, nullptr, false);
    if (json.is_discarded() || !json.is_object()) {
        ANJU_LOG_WARN(wecom_log) << "access token endpoint answered with an unexpected body"
                                 << kv("api", "gettoken") << kv("status", response->status)
                                 << kv("bytes", response->body.size());
        co_return make_error_code(errc::bad_response);
    }
    const auto status = parse_status(json);
    if (status && status->errcode != 0) {
        const auto error = make_error_code(token_endpoint_errc(status->errcode));
        ANJU_LOG_WARN(wecom_log) << "access token endpoint returned an error" << kv("api", "gettoken")
                                 << kv("errcode", status->errcode)
                                 << kv("errmsg",
                                       loggable_errmsg(status->errmsg, {options_.corp_secret.reveal()}))
                                 << kv("error", error.message());
        co_return error;
    }
    const auto token = json.find("access_token");
    const auto expires_in = json.find("expires_in");
    if (token == json.end() || !token->is_string() || token->get_ref<const std::string&>().empty() ||
        expires_in == json.end() || !expires_in->is_number_integer() ||
        expires_in->get<std::int64_t>() <= 0) {
        ANJU_LOG_WARN(wecom_log) << "access token endpoint answered without a usable token"
                                 << kv("api", "gettoken") << kv("status", response->status);
        co_return make_error_code(errc::bad_response);
    }
    const auto lifetime =
        std::chrono::seconds{std::min(expires_in->get<std::int64_t>(), kMaxExpiresInSeconds)};
    // Refresh refresh_margin before expiry, but never later than halfway: a short-lived token would
    // otherwise be due at once, and every call would fetch another.
    const auto margin = std::clamp<Clock::duration>(options_.refresh_margin, Clock::duration::zero(),
                                                    Clock::duration(lifetime) / 2);
    CachedToken fresh;
    fresh.value = token->get<std::string>();
    fresh.refresh_at = clock_.now() + lifetime - margin;
    fresh.expires_at = clock_.now() + lifetime;
    ANJU_LOG_INFO(wecom_log) << "access token refreshed" << kv("api", "gettoken")
                             << kv("expires_in_s", lifetime.count()) << kv("ms", elapsed_ms(started));
    co_return fresh;
}

asio::awaitable<Clock::time_point> WeComApi::refresh_due_on_strand() {
    co_return token_ ? token_->refresh_at : clock_.now();
}

asio::awaitable<void> WeComApi::run_refresher() {
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
        ANJU_LOG_WARN(wecom_log) << "proactive access token refresh failed; retrying later"
                                 << kv("error", token.error().message()) << kv("retry_in_s", backoff.count());
        co_await clock_.sleep_for(backoff);
        backoff = std::min(backoff * 2, kMaxRefreshBackoff);
    }
}

// ------------------------------------------------------------------------------------------------------
// WeComApi: calls

asio::awaitable<boost::system::result<std::string>> WeComApi::call_api(std::string api, std::string path,
                                                                       std::string body) {
    auto token = co_await access_token();
    if (!token) {
        // The message itself never left: say so, so the caller may retry it.
        co_return token.error() == errc::transport ? make_error_code(errc::no_token) : token.error();
    }
    const auto& secret = options_.corp_secret.reveal();
    auto request = post_request(options_.api_base + path + "?access_token=" + net::percent_encode(*token),
                                body, options_.request_timeout);
    auto first = co_await exchange(http_, std::move(request), api);
    if (first.error) {
        co_return first.error;
    }
    if (first.errcode == 0) {
        co_return std::move(first.body);
    }
    if (!is_token_error(first.errcode)) {
        const auto error = platform_failure(api, first, errc_from_errcode(first.errcode), {*token, secret});
        co_return error;
    }
    ANJU_LOG_WARN(wecom_log) << "WeCom API rejected the access token; refreshing it and retrying once"
                             << kv("api", api) << kv("errcode", first.errcode)
                             << kv("errmsg", loggable_errmsg(first.errmsg, {*token, secret}));
    // Expire exactly the token that failed (a newer one fetched meanwhile by someone else survives) and
    // retry once; never more (an unbounded loop is a refresh storm).
    std::optional<std::string> stale(*token);
    auto fresh = co_await token_via_strand(std::move(stale));
    if (!fresh) {
        // The first send was answered (a token error): nothing was delivered so far.
        co_return fresh.error() == errc::transport ? make_error_code(errc::no_token) : fresh.error();
    }
    auto retry = post_request(options_.api_base + path + "?access_token=" + net::percent_encode(*fresh),
                              std::move(body), options_.request_timeout);
    auto second = co_await exchange(http_, std::move(retry), api);
    if (second.error) {
        co_return second.error;
    }
    if (second.errcode == 0) {
        co_return std::move(second.body);
    }
    if (is_token_error(second.errcode)) {
        ANJU_LOG_WARN(wecom_log) << "WeCom rejected a freshly fetched access token too; giving up"
                                 << kv("api", api) << kv("errcode", second.errcode);
        co_return make_error_code(errc::token_rejected);
    }
    const auto error =
        platform_failure(api, second, errc_from_errcode(second.errcode), {*fresh, *token, secret});
    co_return error;
}

asio::awaitable<boost::system::result<SendReceipt>> WeComApi::send_to_users(std::vector<std::string> userids,
                                                                            std::string msgtype,
                                                                            std::string content,
                                                                            std::size_t limit) {
    const std::string api = "message/send";
    if (const auto problem = recipient_problem(userids); !problem.empty()) {
        ANJU_LOG_WARN(wecom_log) << "refusing to send to an invalid recipient list" << kv("api", api)
                                 << kv("problem", problem) << kv("recipients", userids.size());
        co_return make_error_code(errc::invalid_recipient);
    }
    auto clean = checked_content(api, content, limit);
    if (!clean) {
        co_return clean.error();
    }
    Json body;
    body["touser"] = joined_users(userids);
    body["msgtype"] = msgtype;
    body["agentid"] = options_.agent_id;
    body[msgtype]["content"] = std::move(*clean);
    body["safe"] = 0;
    if (options_.duplicate_check_interval.count() > 0) {
        // Makes a resend of this exact request within the interval harmless (PROTOCOLS §4.5, §8).
        body["enable_duplicate_check"] = 1;
        body["duplicate_check_interval"] = options_.duplicate_check_interval.count();
    }
    auto reply = co_await call_api(api, std::string(kMessageSendPath), dump(body));
    if (!reply) {
        co_return reply.error();
    }
    auto receipt = receipt_of(*reply);
    if (!receipt.invalid_users.empty()) {
        ANJU_LOG_WARN(wecom_log)
            << "WeCom did not deliver to some recipients (not members visible to the app)" << kv("api", api)
            << kv("invalid", receipt.invalid_users.size()) << kv("recipients", userids.size());
    }
    co_return receipt;
}

asio::awaitable<boost::system::result<SendReceipt>> WeComApi::send_text(std::vector<std::string> userids,
                                                                        std::string text) {
    auto sent = co_await send_to_users(std::move(userids), "text", std::move(text), kMaxAppTextBytes);
    co_return sent;
}

asio::awaitable<boost::system::result<SendReceipt>> WeComApi::send_markdown(std::vector<std::string> userids,
                                                                            std::string markdown) {
    auto sent =
        co_await send_to_users(std::move(userids), "markdown", std::move(markdown), kMaxAppMarkdownBytes);
    co_return sent;
}

asio::awaitable<boost::system::result<void>> WeComApi::send_to_chat(std::string chatid, std::string msgtype,
                                                                    std::string content, std::size_t limit) {
    const std::string api = "appchat/send";
    if (chatid.empty()) {
        ANJU_LOG_WARN(wecom_log) << "refusing to send to an empty chatid" << kv("api", api);
        co_return make_error_code(errc::invalid_chat);
    }
    auto clean = checked_content(api, content, limit);
    if (!clean) {
        co_return clean.error();
    }
    Json body;
    body["chatid"] = chatid;
    body["msgtype"] = msgtype;
    body[msgtype]["content"] = std::move(*clean);
    body["safe"] = 0;
    auto reply = co_await call_api(api, std::string(kAppchatSendPath), dump(body));
    if (!reply) {
        co_return reply.error();
    }
    co_return boost::system::result<void>();
}

asio::awaitable<boost::system::result<void>> WeComApi::appchat_send_text(std::string chatid,
                                                                         std::string text) {
    auto sent = co_await send_to_chat(std::move(chatid), "text", std::move(text), kMaxAppTextBytes);
    co_return sent;
}

asio::awaitable<boost::system::result<void>> WeComApi::appchat_send_markdown(std::string chatid,
                                                                             std::string markdown) {
    auto sent =
        co_await send_to_chat(std::move(chatid), "markdown", std::move(markdown), kMaxAppMarkdownBytes);
    co_return sent;
}

asio::awaitable<boost::system::result<std::string>> WeComApi::appchat_create(
    std::string name, std::string owner, std::vector<std::string> userlist, std::string chatid) {
    const std::string api = "appchat/create";
    Json body;
    if (!name.empty()) {
        body["name"] = sanitize_utf8(name);
    }
    if (!owner.empty()) {
        body["owner"] = owner;
    }
    body["userlist"] = userlist;
    if (!chatid.empty()) {
        body["chatid"] = chatid;
    }
    auto reply = co_await call_api(api, std::string(kAppchatCreatePath), dump(body));
    if (!reply) {
        co_return reply.error();
    }
    const auto json = Json::parse(*reply, nullptr, false);
    const auto created = json.is_object() ? json.find("chatid") : json.end();
    if (json.is_object() && created != json.end() && created->is_string() &&
        !created->get_ref<const std::string&>().empty()) {
        co_return created->get<std::string>();
    }
    if (!chatid.empty()) {
        // Accepted (errcode 0) without echoing the id we chose: the group exists under our id.
        co_return chatid;
    }
    ANJU_LOG_WARN(wecom_log) << "WeCom created a group chat but did not say its chatid" << kv("api", api);
    co_return make_error_code(errc::bad_response);
}

// ------------------------------------------------------------------------------------------------------
// RobotWebhook

RobotWebhook::RobotWebhook(net::HttpClient& http, RobotWebhookOptions options)
    : http_(http), options_(std::move(options)) {}

asio::awaitable<boost::system::result<void>> RobotWebhook::send_robot(Secret key, std::string api,
                                                                      std::string body) {
    if (key.empty()) {
        ANJU_LOG_WARN(wecom_log) << "no robot webhook key configured" << kv("api", api);
        co_return make_error_code(errc::bad_credentials);
    }
    const auto& configured = key.reveal();
    const bool full_url = is_url(configured);
    const auto key_value = full_url ? query_value(configured, "key") : configured;
    auto url = full_url ? configured
                        : options_.api_base + std::string(kWebhookSendPath) +
                              "?key=" + net::percent_encode(configured);
    auto request = post_request(std::move(url), std::move(body), options_.request_timeout);
    auto reply = co_await exchange(http_, std::move(request), api);
    if (reply.error) {
        co_return reply.error;
    }
    if (reply.errcode == 0) {
        co_return boost::system::result<void>();
    }
    const auto error =
        platform_failure(api, reply, errc_from_errcode(reply.errcode), {configured, key_value});
    co_return error;
}

asio::awaitable<boost::system::result<void>> RobotWebhook::send_text(
    Secret key, std::string text, std::vector<std::string> mentioned_list,
    std::vector<std::string> mentioned_mobile_list) {
    const std::string api = "webhook/send";
    auto clean = checked_content(api, text, kMaxRobotTextBytes);
    if (!clean) {
        co_return clean.error();
    }
    Json body;
    body["msgtype"] = "text";
    body["text"]["content"] = std::move(*clean);
    if (!mentioned_list.empty()) {
        body["text"]["mentioned_list"] = mentioned_list;
    }
    if (!mentioned_mobile_list.empty()) {
        body["text"]["mentioned_mobile_list"] = mentioned_mobile_list;
    }
    auto sent = co_await send_robot(std::move(key), api, dump(body));
    co_return sent;
}

asio::awaitable<boost::system::result<void>> RobotWebhook::send_markdown(Secret key, std::string markdown) {
    const std::string api = "webhook/send";
    auto clean = checked_content(api, markdown, kMaxRobotMarkdownBytes);
    if (!clean) {
        co_return clean.error();
    }
    Json body;
    body["msgtype"] = "markdown";
    body["markdown"]["content"] = std::move(*clean);
    auto sent = co_await send_robot(std::move(key), api, dump(body));
    co_return sent;
}

asio::awaitable<boost::system::result<void>> RobotWebhook::respond_aibot(std::string response_url,
                                                                         std::string markdown) {
    const std::string api = "aibot/response";
    if (response_url.empty() || !net::parse_url(response_url)) {
        ANJU_LOG_WARN(wecom_log) << "refusing to answer through a missing or unparsable response_url"
                                 << kv("api", api);
        co_return make_error_code(errc::response_url_invalid);
    }
    auto clean = checked_content(api, markdown, kMaxAibotMarkdownBytes);
    if (!clean) {
        co_return clean.error();
    }
    Json body;
    body["msgtype"] = "markdown";
    body["markdown"]["content"] = std::move(*clean);
    const auto code = query_value(response_url, "response_code");
    auto request = post_request(response_url, dump(body), options_.request_timeout);
    auto reply = co_await exchange(http_, std::move(request), api);
    if (reply.error) {
        co_return reply.error;
    }
    if (reply.errcode == 0) {
        co_return boost::system::result<void>();
    }
    // The response_code plays the access token's part here: a token-style refusal means the URL is spent,
    // expired or unknown. Which errcode the platform uses for that is not documented (UNCONFIRMED).
    const auto folded =
        is_token_error(reply.errcode) ? errc::response_url_invalid : errc_from_errcode(reply.errcode);
    const auto error = platform_failure(api, reply, folded, {response_url, code});
    co_return error;
}

}  // namespace anju::adapters::wecom

std::string_view anju::ErrcTraits<anju::adapters::wecom::errc>::message(anju::adapters::wecom::errc e) {
    using anju::adapters::wecom::errc;
    switch (e) {
        case errc::transport:
            return "the WeCom API could not be reached or did not answer in time; a message may or may not "
                   "have been delivered";
        case errc::bad_response:
            return "the WeCom API answered with a response that could not be understood";
        case errc::bad_credentials:
            return "WeCom rejected the credentials (CorpID or app secret wrong or missing, this server's IP "
                   "not whitelisted, or an unknown robot webhook key)";
        case errc::token_rejected:
            return "WeCom rejected the access token even after it was refreshed";
        case errc::invalid_recipient:
            return "no valid recipient: the userids are not members visible to the app";
        case errc::invalid_chat:
            return "the group chat id is invalid, unknown, or the chat was not created by this app";
        case errc::content_empty:
            return "the message content is empty";
        case errc::content_too_long:
            return "the message content is too long";
        case errc::no_permission:
            return "the app has no permission for this API (e.g. its visibility is not the root department)";
        case errc::rate_limited:
            return "the WeCom API frequency or concurrency limit has been reached";
        case errc::platform_busy:
            return "WeCom is busy; try again later";
        case errc::response_url_invalid:
            return "the 智能机器人 response_url was already used, has expired or is invalid";
        case errc::platform_error:
            return "the WeCom API returned an error";
        case errc::not_sent:
            return "the WeCom API could not be reached (DNS, connection or TLS failure); the request was not "
                   "sent";
        case errc::no_token:
            return "no WeCom access token could be had (the token endpoint could not be reached or did not "
                   "answer in time); the message was not sent";
    }
    return "unknown WeCom API error";
}
