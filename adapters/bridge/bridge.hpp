// The `bridge` channel: a signed JSON webhook in both directions, so any group platform (a WeChat
// owner-group tool, DingTalk, Feishu, a community app) can be connected to anju by a small bridge
// that forwards @-mentions of the bot and posts anju's answers back into the group.
//
// Signing, both directions: header `X-Anju-Timestamp` = unix seconds, header `X-Anju-Signature` =
// lowercase hex of HMAC-SHA256(key = the shared secret, message = timestamp + body), over the raw
// body bytes. A request whose timestamp is more than the replay window away from our clock is
// refused, and so is a second request with a signature already seen inside the window.
//
// In (POST /bridge/{id}):
//   {"type":"message", "msgid":"m-1", "group":{"id":"g-1","name":"阳光花园3栋业主群"},
//    "sender":{"id":"u-7","name":"3栋李先生"}, "text":"@安居 3号楼电梯又坏了", "mentioned":true}
//   `type` other than "message" is acknowledged and ignored (future events); a message that does
//   not mention the bot is ignored (the bot only speaks when spoken to). `group.name` and
//   `sender.name` are optional; `sender.name` is used only to @ the sender, never stored on tickets.
// Answer: {"ok":true,"reply":{"text":"…","mention":["u-7"]}} when the bot's answer is ready in
//   time, {"ok":true} otherwise (the answer follows as an outbound post); errors
//   {"ok":false,"error":"bad_signature|stale_timestamp|replayed|bad_json|bad_field|unavailable",
//    "message":"…"}; "unavailable" (HTTP 503) asks the bridge to send the same message again later.
// Out (POST to the bridge's outbound URL, signed the same way):
//   {"type":"group_message","id":"<unique per message>","group":"g-1","text":"…","mention":["u-7"]}
//   Any 2xx is delivered; 4xx is refused for good; 5xx and transport failures are retried.
#pragma once

#include "bot/core/secret.hpp"
#include "bot/net/http_client.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace anju::adapters::bridge {

inline constexpr std::string_view kTimestampHeader = "X-Anju-Timestamp";
inline constexpr std::string_view kSignatureHeader = "X-Anju-Signature";
inline constexpr std::size_t kMaxTextBytes = 4000;  // longer answers are cut on a character boundary

// hex(HMAC-SHA256(secret, timestamp + body)).
std::string sign(const Secret& secret, std::string_view timestamp, std::string_view body);

// Why an inbound request was refused.
enum class Refusal { bad_signature, stale_timestamp, replayed, bad_json, bad_field, unavailable };
std::string_view to_string(Refusal r);

struct Refused {
    Refusal reason = Refusal::bad_json;
    std::string message;  // for the bridge's developer: which field, what was wrong
};

// Checks signatures, the timestamp window and replays. Thread-safe.
class Verifier {
public:
    Verifier(Secret secret, std::chrono::seconds window);

    // `timestamp` and `signature` are the header values ("" when absent); `now` our clock.
    boost::system::result<void, Refused> check(std::string_view timestamp, std::string_view signature,
                                               std::string_view body,
                                               std::chrono::system_clock::time_point now);

private:
    Secret secret_;
    std::chrono::seconds window_;
    std::mutex mutex_;
    // Signatures accepted inside the window, oldest first, to refuse a replay.
    std::deque<std::pair<std::int64_t, std::string>> seen_order_;
    std::unordered_set<std::string> seen_;
};

// A group message from the bridge.
struct GroupMessage {
    std::string type;  // "message"; other types are ignored
    std::string msgid;
    std::string group;
    std::string group_name;
    std::string sender;
    std::string sender_name;
    std::string text;
    bool mentioned = true;
};

// Parses an inbound body (already verified). Errors name the field.
boost::system::result<GroupMessage, Refused> parse(std::string_view body);

// The JSON answers to the bridge's request.
std::string render_ok();
std::string render_reply(std::string_view text, const std::vector<std::string>& mention);
std::string render_refused(const Refused& refused);

// Outbound posts into groups. Stateless apart from the HttpClient; thread-safe.
class BridgeClient {
public:
    BridgeClient(net::HttpClient& http, std::string outbound_url, Secret secret,
                 std::chrono::milliseconds timeout);

    enum class Outcome { delivered, refused, retry, maybe_delivered };
    struct Result {
        Outcome outcome = Outcome::retry;
        std::string error;  // for the log and the outbox row: status or transport error, no secrets
    };
    // Posts one message. `id` lets the bridge drop a repeat of the same message.
    asio::awaitable<Result> post(std::string id, std::string group, std::string text,
                                 std::vector<std::string> mention, std::chrono::system_clock::time_point now);

private:
    net::HttpClient& http_;
    std::string url_;
    Secret secret_;
    std::chrono::milliseconds timeout_;
};

}  // namespace anju::adapters::bridge
