// The WeCom (企业微信) push endpoints: the self-built app callback (encrypted XML, PROTOCOLS.md §4.1–4.3)
// and the 智能机器人 API-mode callback (encrypted JSON, §4.8). URL verification, msg_signature and replay
// checks, decryption, parsing into InboundMessage, and the app's encrypted passive reply. Pure: no I/O, no
// clock reads (time is passed in).
#pragma once

#include "adapters/common/wx_crypt.hpp"
#include "bot/core/clock.hpp"
#include "bot/core/error.hpp"
#include "bot/core/message.hpp"
#include "bot/core/secret.hpp"
#include "bot/net/url.hpp"

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace anju::adapters::wecom {

// Why a push or a URL verification was refused. Routes answer 403 (authentication) or 400 (the payload)
// without detail.
enum class push_errc {
    bad_signature = 1,  // msg_signature missing or wrong
    stale_timestamp,    // timestamp missing, not a number, or outside the replay window
    not_encrypted,      // the body (or the query, for echostr) carries no ciphertext
    malformed_payload,  // not XML / JSON, too large, or a required field missing
    decrypt_failed,     // ciphertext invalid (wrong key, bad padding, bad length, bad base64)
    corp_id_mismatch,   // decrypts, but for another CorpID (app callbacks only)
};

boost::system::error_code make_error_code(push_errc e) noexcept;

// Bodies and decrypted documents larger than this are refused as malformed (a real push is a few KB).
inline constexpr std::size_t kMaxPushBytes = 1024 * 1024;

struct AppEndpointOptions {
    std::string account{};  // the config id, recorded on every message
    std::string corp_id{};  // the receive id of a self-built app; also FromUserName of replies
    std::int64_t agent_id = 0;
    Secret token{};
    Secret encoding_aes_key{};
    std::chrono::seconds replay_window{300};
};

// The callback of one self-built app. WeCom app callbacks are always encrypted (there is no plaintext
// mode), so every push goes through msg_signature and decryption. Immutable after create(): every member
// is safe to call from many threads at once.
class AppEndpoint {
public:
    // Fails with crypto_errc::illegal_aes_key if encoding_aes_key is not a valid EncodingAESKey.
    [[nodiscard]] static boost::system::result<AppEndpoint> create(AppEndpointOptions options);

    // GET: checks msg_signature over (token, timestamp, nonce, echostr) and the timestamp window, decrypts
    // echostr (already percent-decoded by net::parse_query, '+' kept) and returns the plaintext, to be
    // answered bare (no quotes, BOM or newline) within 1 s. Errors: bad_signature, stale_timestamp,
    // not_encrypted (no echostr), decrypt_failed, corp_id_mismatch.
    [[nodiscard]] boost::system::result<std::string> verify_url(const net::QueryParams& query,
                                                                Clock::time_point now) const;

    // POST: reads <Encrypt> from the XML body, checks msg_signature and the timestamp window, decrypts
    // (the plaintext's receive id must be corp_id) and parses the message with parse_app_message, with
    // recipient = corp_id. Errors: bad_signature, stale_timestamp, not_encrypted, malformed_payload,
    // decrypt_failed, corp_id_mismatch.
    [[nodiscard]] boost::system::result<InboundMessage> open(const net::QueryParams& query,
                                                             std::string_view body,
                                                             Clock::time_point now) const;

    // The encrypted passive reply body answering `to` with `text`: ToUserName = to.sender (the member's
    // userid), FromUserName = corp_id, AgentID, sealed in the <Encrypt>/<MsgSignature>/<TimeStamp>/<Nonce>
    // envelope with fresh randomness. `nonce` is any short token. `text` should not be empty (answer with an
    // empty body instead, which also stops WeCom's retries). Throws only if OpenSSL fails (out of memory).
    std::string render_text_reply(const InboundMessage& to, std::string_view text, Clock::time_point now,
                                  std::string nonce) const;

    const AppEndpointOptions& options() const { return options_; }

private:
    AppEndpoint(AppEndpointOptions options, WxCrypt crypt);

    AppEndpointOptions options_;
    WxCrypt crypt_;
};

// Parses a decrypted app callback document into an InboundMessage for `account` (channel "wecom", sender =
// FromUserName, recipient = ToUserName). Text, image, voice, video, location and link messages are
// understood; the events subscribe and unsubscribe map to their kinds, click to menu_click (text = the
// key), every other event (enter_agent, view, change_contact, …) and message type to other_event with
// the event or type name as text. Fails with push_errc::malformed_payload if the XML is bad or
// FromUserName, CreateTime or MsgType is missing. `received_at` is when anju received it. Thread-safe.
[[nodiscard]] boost::system::result<InboundMessage> parse_app_message(std::string_view document,
                                                                      std::string_view account,
                                                                      Clock::time_point received_at);

struct AibotEndpointOptions {
    std::string account{};  // the config id, recorded on every message
    Secret token{};
    Secret encoding_aes_key{};
    std::chrono::seconds replay_window{300};
};

// The API-mode callback of one 智能机器人 (AI bot): encrypted JSON with receive id "" (not checked, as
// WeCom documents for internal bots). Immutable after create(): every member is safe to call from many
// threads at once.
class AibotEndpoint {
public:
    // Fails with crypto_errc::illegal_aes_key if encoding_aes_key is not a valid EncodingAESKey.
    [[nodiscard]] static boost::system::result<AibotEndpoint> create(AibotEndpointOptions options);

    // GET: as AppEndpoint::verify_url, without the receive-id check.
    [[nodiscard]] boost::system::result<std::string> verify_url(const net::QueryParams& query,
                                                                Clock::time_point now) const;

    // POST: reads {"encrypt": …} from the JSON body, checks msg_signature and the timestamp window,
    // decrypts and parses the push with parse_aibot_message. Errors: bad_signature, stale_timestamp,
    // not_encrypted, malformed_payload, decrypt_failed.
    [[nodiscard]] boost::system::result<InboundMessage> open(const net::QueryParams& query,
                                                             std::string_view body,
                                                             Clock::time_point now) const;

    // The HTTP body acknowledging a push: empty (200 with an empty body, "回复空包"). Answers go out
    // through the message's one-shot reply_url (RobotWebhook::respond_aibot). Passive stream replies are
    // not implemented: their JSON shape is unconfirmed (PROTOCOLS §4.8).
    static std::string render_ack() { return {}; }

    const AibotEndpointOptions& options() const { return options_; }

private:
    AibotEndpoint(AibotEndpointOptions options, WxCrypt crypt);

    AibotEndpointOptions options_;
    WxCrypt crypt_;
};

// Parses a decrypted 智能机器人 push (JSON) into an InboundMessage for `account`: channel "wecom_bot",
// sender = from.userid, recipient = aibotid, chat = chatid (group chats; empty in single chat),
// reply_url = response_url, platform_msg_id = msgid. msgtype "text" is text with the leading @-mentions
// stripped (strip_leading_mentions); "mixed" is text made of its text items (mentions stripped, joined
// by '\n') with its images as attachments; "image" is an image attachment (its url); "voice" is voice
// with the platform's transcription as text; anything else (file, event, stream refresh, …) is
// other_event with the msgtype (or event.eventtype) as text. Fails with push_errc::malformed_payload if
// the JSON is bad or msgid, from.userid or msgtype is missing. Every string is cleaned of XML-illegal
// control characters. Thread-safe.
[[nodiscard]] boost::system::result<InboundMessage> parse_aibot_message(std::string_view json,
                                                                        std::string_view account,
                                                                        Clock::time_point received_at);

// `text` without the @-mentions it starts with, trimmed. A group message to the bot reads "@机器人 …":
// every leading token that starts with '@' and ends at a space, tab, newline, NBSP (U+00A0), U+2005 or
// U+3000 (or at the end of the text) is removed, then leading and trailing white space of those kinds.
// "@物业助手 电梯坏了 @张三" gives "电梯坏了 @张三". Thread-safe.
std::string strip_leading_mentions(std::string_view text);

}  // namespace anju::adapters::wecom

template <>
struct anju::ErrcTraits<anju::adapters::wecom::push_errc> {
    static constexpr const char* name = "anju.wecom.push";
    static std::string_view message(anju::adapters::wecom::push_errc e);
};

template <>
struct boost::system::is_error_code_enum<anju::adapters::wecom::push_errc> : std::true_type {};
