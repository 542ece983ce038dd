// The WeChat Official Account (公众号) push endpoint for one account: URL verification, signature
// and replay checks, safe/compatible-mode decryption, message parsing into InboundMessage, and the
// passive reply (plain or encrypted). Pure: no I/O, no clock reads (time is passed in).
// PROTOCOLS.md §1–2.
#pragma once

#include "adapters/common/wx_crypt.hpp"
#include "bot/core/clock.hpp"
#include "bot/core/error.hpp"
#include "bot/core/message.hpp"
#include "bot/core/secret.hpp"
#include "bot/net/url.hpp"

#include <boost/system/result.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace anju::adapters::wechat_mp {

enum class Mode { plain, compatible, safe };

// Why a push was refused. Routes answer 403 (authentication) or 400 (the payload) without detail.
enum class push_errc {
    bad_signature = 1,   // signature / msg_signature missing or wrong
    stale_timestamp,     // timestamp missing, not a number, or outside the replay window
    not_encrypted,       // safe mode, but the body carries no <Encrypt>
    malformed_payload,   // not XML, or a required field missing
    decrypt_failed,      // ciphertext invalid (wrong key, bad padding, bad length, bad base64)
    app_id_mismatch,     // decrypts, but for another AppID
    unsupported_format,  // a JSON push (configure XML in the WeChat console)
};

boost::system::error_code make_error_code(push_errc e) noexcept;

struct EndpointOptions {
    std::string account;  // the config id, recorded on every message
    std::string app_id;
    Secret token;
    Secret encoding_aes_key;  // required unless mode is plain
    Mode mode = Mode::safe;
    std::chrono::seconds replay_window{300};
};

// A decrypted, parsed push.
struct Push {
    InboundMessage message;
    bool encrypted = false;  // the request was encrypted, so the passive reply is too
};

class Endpoint {
public:
    // Fails with crypto_errc::illegal_aes_key if the mode needs a key and it is not a valid
    // EncodingAESKey.
    [[nodiscard]] static boost::system::result<Endpoint> create(EndpointOptions options);

    // GET: checks `signature` over (token, timestamp, nonce) and the timestamp window, and returns
    // `echostr`, to be answered verbatim (MP echostr is plain in all three modes).
    [[nodiscard]] boost::system::result<std::string> verify_url(const net::QueryParams& query,
                                                                Clock::time_point now) const;

    // POST: checks the signatures for the mode (`signature` always when present, and required
    // whenever the body is read as plaintext; `msg_signature` over the ciphertext when encrypted),
    // the timestamp window, decrypts (safe mode requires it; compatible mode decrypts when
    // encrypt_type=aes or <Encrypt> is present and trusts only the decrypted copy) and parses the
    // message.
    [[nodiscard]] boost::system::result<Push> open(const net::QueryParams& query, std::string_view body,
                                                   Clock::time_point now) const;

    // The passive reply body for a text answer to `to` (addresses swapped). `text` must not be
    // empty (WeChat shows an error for an empty Content; answer "success" instead). Encrypted in
    // an envelope signed with msg_signature when `encrypt`; `nonce` is any short token.
    std::string render_text_reply(const InboundMessage& to, std::string_view text, bool encrypt,
                                  Clock::time_point now, std::string nonce) const;

    const EndpointOptions& options() const { return options_; }

private:
    Endpoint(EndpointOptions options, std::optional<WxCrypt> crypt);
    [[nodiscard]] boost::system::result<void> check_timestamp(const net::QueryParams& query,
                                                              Clock::time_point now) const;

    EndpointOptions options_;
    std::optional<WxCrypt> crypt_;
};

// Parses a (decrypted) message document into an InboundMessage for `account`. Text, image,
// voice (with the speech recognition text), video, location, link, and the subscribe,
// unsubscribe, CLICK and SCAN events are understood; other events become other_event. Fails
// with push_errc::malformed_payload if the XML is bad or FromUserName, CreateTime or MsgType is
// missing. `received_at` is when anju received it.
[[nodiscard]] boost::system::result<InboundMessage> parse_message(std::string_view document,
                                                                  std::string_view account,
                                                                  Clock::time_point received_at);

}  // namespace anju::adapters::wechat_mp

template <>
struct anju::ErrcTraits<anju::adapters::wechat_mp::push_errc> {
    static constexpr const char* name = "anju.wechat_mp.push";
    static std::string_view message(anju::adapters::wechat_mp::push_errc e);
};

template <>
struct boost::system::is_error_code_enum<anju::adapters::wechat_mp::push_errc> : std::true_type {};
