#include "adapters/wecom/endpoint.hpp"

#include "adapters/common/xml.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <initializer_list>
#include <optional>
#include <utility>

namespace anju::adapters::wecom {
namespace {

using Json = nlohmann::json;

std::string_view param(const net::QueryParams& query, std::string_view name) {
    return net::find_param(query, name).value_or(std::string_view{});
}

std::optional<std::int64_t> to_int(std::string_view text) {
    std::int64_t value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || ptr != text.data() + text.size() || text.empty()) {
        return std::nullopt;
    }
    return value;
}

double to_double(std::string_view text) {
    double value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    return std::isfinite(value) ? value : 0.0;  // "nan"/"inf" are not places
}

// Joins dedupe-key parts with U+001F (unit separator). Every part went through parse_fields or
// strip_xml_illegal, which remove that character, so distinct part lists never join to one key.
std::string joined(std::initializer_list<std::string_view> parts) {
    std::string out;
    for (const auto part : parts) {
        if (!out.empty()) {
            out.push_back('\x1f');
        }
        out += part;
    }
    return out;
}

std::int64_t seconds_of(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

boost::system::result<void> check_timestamp(const net::QueryParams& query, Clock::time_point now,
                                            std::chrono::seconds window) {
    const auto ts = to_int(param(query, "timestamp"));
    if (!ts) {
        return push_errc::stale_timestamp;
    }
    // Bounds rather than |now - ts|: the timestamp is untrusted, and the subtraction overflows for values
    // near the int64 limits. WeCom retries an unanswered push (5 s timeout, 3 tries, PROTOCOLS §4.1);
    // whether a retry keeps the first timestamp is UNCONFIRMED, so the window is minutes, not seconds
    // (§2.9 step 6), and dedupe keys catch the repeats.
    const auto now_s = seconds_of(now);
    if (*ts < now_s - window.count() || *ts > now_s + window.count()) {
        return push_errc::stale_timestamp;
    }
    return {};
}

// The steps every WeCom ciphertext goes through (PROTOCOLS §2.9): msg_signature over (token, timestamp,
// nonce, encrypt), the replay window, then decryption with the receive-id check WxCrypt was made with.
boost::system::result<std::string> open_ciphertext(const WxCrypt& crypt, const Secret& token,
                                                   std::chrono::seconds window, const net::QueryParams& query,
                                                   std::string_view encrypt, Clock::time_point now) {
    const auto msg_signature = param(query, "msg_signature");
    if (msg_signature.empty() || !check_signature(msg_signature, {token.reveal(), param(query, "timestamp"),
                                                                  param(query, "nonce"), encrypt})) {
        return push_errc::bad_signature;
    }
    if (auto fresh = check_timestamp(query, now, window); !fresh) {
        return fresh.error();
    }
    auto plain = crypt.decrypt(encrypt);
    if (!plain) {
        return plain.error() == crypto_errc::receive_id_mismatch ? push_errc::corp_id_mismatch
                                                                 : push_errc::decrypt_failed;
    }
    if (plain->size() > kMaxPushBytes) {
        return push_errc::malformed_payload;
    }
    return std::move(*plain);
}

// URL verification: the echostr is the ciphertext (WeCom, unlike MP, sends it encrypted).
boost::system::result<std::string> verify_echostr(const WxCrypt& crypt, const Secret& token,
                                                  std::chrono::seconds window, const net::QueryParams& query,
                                                  Clock::time_point now) {
    const auto echostr = param(query, "echostr");
    if (echostr.empty()) {
        return push_errc::not_encrypted;
    }
    return open_ciphertext(crypt, token, window, query, echostr, now);
}

// ------------------------------------------------------------------------------------------------------
// JSON helpers for the 智能机器人 push. Strings are cleaned with strip_xml_illegal: JSON may carry C0
// controls as \u escapes (and \u0000), which must not reach logs, the store or dedupe keys.

const Json* member(const Json& json, const char* key) {
    if (!json.is_object()) {
        return nullptr;
    }
    const auto found = json.find(key);
    return found == json.end() ? nullptr : &*found;
}

std::string string_at(const Json& json, const char* key) {
    const auto* value = member(json, key);
    return value != nullptr && value->is_string() ? strip_xml_illegal(value->get_ref<const std::string&>())
                                                  : std::string();
}

const Json& object_at(const Json& json, const char* key) {
    static const Json empty_object = Json::object();
    const auto* value = member(json, key);
    return value != nullptr && value->is_object() ? *value : empty_object;
}

// The separator starting at text[pos] that ends an @-mention or is trimmed: ASCII blanks, NBSP, U+2005
// (the four-per-em space WeChat clients put after a mention) and U+3000 (ideographic space). Its length in
// bytes, 0 if there is none.
std::size_t separator_at(std::string_view text, std::size_t pos) {
    const auto rest = text.substr(pos);
    if (rest.empty()) {
        return 0;
    }
    if (rest[0] == ' ' || rest[0] == '\t' || rest[0] == '\n' || rest[0] == '\r') {
        return 1;
    }
    for (const std::string_view wide : {"\xC2\xA0", "\xE2\x80\x85", "\xE3\x80\x80"}) {
        if (rest.starts_with(wide)) {
            return wide.size();
        }
    }
    return 0;
}

std::string_view trim_front(std::string_view text) {
    while (const auto n = separator_at(text, 0)) {
        text.remove_prefix(n);
    }
    return text;
}

std::string_view trim_back(std::string_view text) {
    for (bool trimmed = true; trimmed && !text.empty();) {
        trimmed = false;
        for (const std::string_view tail :
             {" ", "\t", "\n", "\r", "\xC2\xA0", "\xE2\x80\x85", "\xE3\x80\x80"}) {
            if (text.ends_with(tail)) {
                text.remove_suffix(tail.size());
                trimmed = true;
                break;
            }
        }
    }
    return text;
}

}  // namespace

boost::system::error_code make_error_code(push_errc e) noexcept { return make_errc_code(e); }

// ------------------------------------------------------------------------------------------------------
// AppEndpoint

boost::system::result<AppEndpoint> AppEndpoint::create(AppEndpointOptions options) {
    auto crypt = WxCrypt::create(options.encoding_aes_key.reveal(), options.corp_id);
    if (!crypt) {
        return crypt.error();
    }
    return AppEndpoint(std::move(options), std::move(*crypt));
}

AppEndpoint::AppEndpoint(AppEndpointOptions options, WxCrypt crypt)
    : options_(std::move(options)), crypt_(std::move(crypt)) {}

boost::system::result<std::string> AppEndpoint::verify_url(const net::QueryParams& query,
                                                           Clock::time_point now) const {
    return verify_echostr(crypt_, options_.token, options_.replay_window, query, now);
}

boost::system::result<InboundMessage> AppEndpoint::open(const net::QueryParams& query, std::string_view body,
                                                        Clock::time_point now) const {
    // The outer document carries ToUserName and AgentID in the clear too; they are not authenticated, so
    // only the decrypted copy (bound to our CorpID by the receive id) is trusted.
    auto outer = parse_fields(body);
    if (!outer) {
        return push_errc::malformed_payload;
    }
    const auto encrypt = outer->get("Encrypt");
    if (!encrypt || encrypt->empty()) {
        return push_errc::not_encrypted;
    }
    auto plain = open_ciphertext(crypt_, options_.token, options_.replay_window, query, *encrypt, now);
    if (!plain) {
        return plain.error();
    }
    auto message = parse_app_message(*plain, options_.account, now);
    if (message) {
        // Our side is the CorpID the receive id was checked against, whatever ToUserName says.
        message->recipient = options_.corp_id;
    }
    return message;
}

std::string AppEndpoint::render_text_reply(const InboundMessage& to, std::string_view text,
                                           Clock::time_point now, std::string nonce) const {
    const auto seconds = std::to_string(seconds_of(now));
    std::string xml;
    xml.reserve(text.size() + to.sender.size() + options_.corp_id.size() + 200);
    xml += "<xml><ToUserName>";
    xml += cdata(to.sender);
    xml += "</ToUserName><FromUserName>";
    xml += cdata(options_.corp_id);
    xml += "</FromUserName><CreateTime>";
    xml += seconds;
    xml += "</CreateTime><MsgType><![CDATA[text]]></MsgType><Content>";
    xml += cdata(text);
    xml += "</Content><AgentID>";
    xml += std::to_string(options_.agent_id);
    xml += "</AgentID></xml>";
    return render_encrypted_xml(seal(crypt_, options_.token.reveal(), xml, seconds, std::move(nonce)));
}

boost::system::result<InboundMessage> parse_app_message(std::string_view document, std::string_view account,
                                                        Clock::time_point received_at) {
    auto fields = parse_fields(document);
    if (!fields) {
        return push_errc::malformed_payload;
    }
    const auto& f = *fields;
    const auto from = f.value_or("FromUserName", "");
    const auto create_time = to_int(f.value_or("CreateTime", ""));
    const auto msg_type = f.value_or("MsgType", "");
    if (from.empty() || !create_time || msg_type.empty()) {
        return push_errc::malformed_payload;
    }
    InboundMessage m;
    m.channel = "wecom";
    m.account = std::string(account);
    m.sender = std::string(from);
    m.recipient = std::string(f.value_or("ToUserName", ""));
    m.platform_time = *create_time;
    m.received_at = received_at;
    m.platform_msg_id = std::string(f.value_or("MsgId", ""));
    const auto created = std::to_string(*create_time);

    if (msg_type == "event") {
        const auto event = f.value_or("Event", "");
        m.event_key = std::string(f.value_or("EventKey", ""));
        if (event == "click") {
            m.kind = MessageKind::menu_click;
            m.text = m.event_key;
        } else if (event == "subscribe") {
            m.kind = MessageKind::subscribe;
        } else if (event == "unsubscribe") {
            m.kind = MessageKind::unsubscribe;
        } else {
            // enter_agent, view, LOCATION, change_contact, change_external_chat, kf_msg_or_event, …
            m.kind = MessageKind::other_event;
            m.text = std::string(event);
        }
        // Events have no MsgId and CreateTime has 1-second resolution: the event, its key and the
        // ChangeType (contact and chat events) keep distinct events of one sender in one second apart
        // (PROTOCOLS §8, "WeCom: same + AgentID/ChangeType").
        m.dedupe_key = joined({"wecom", account, "e", from, created, event, m.event_key,
                               f.value_or("ChangeType", ""), f.value_or("ChatId", "")});
        return m;
    }

    if (msg_type == "text") {
        m.kind = MessageKind::text;
        m.text = std::string(f.value_or("Content", ""));
    } else if (msg_type == "image") {
        m.kind = MessageKind::image;
        m.attachments.push_back(
            {"image", std::string(f.value_or("MediaId", "")), std::string(f.value_or("PicUrl", "")), ""});
    } else if (msg_type == "voice") {
        m.kind = MessageKind::voice;
        m.attachments.push_back(
            {"voice", std::string(f.value_or("MediaId", "")), "", std::string(f.value_or("Format", ""))});
    } else if (msg_type == "video") {
        m.kind = MessageKind::video;
        m.attachments.push_back({"video", std::string(f.value_or("MediaId", "")), "", ""});
    } else if (msg_type == "location") {
        m.kind = MessageKind::location;
        GeoPoint p;
        p.latitude = to_double(f.value_or("Location_X", ""));
        p.longitude = to_double(f.value_or("Location_Y", ""));
        p.scale = static_cast<int>(to_int(f.value_or("Scale", "")).value_or(0));
        p.label = std::string(f.value_or("Label", ""));
        m.text = p.label;
        m.location = std::move(p);
    } else if (msg_type == "link") {
        m.kind = MessageKind::link;
        m.text = std::string(f.value_or("Title", ""));
        const auto url = f.value_or("Url", "");
        if (!url.empty()) {
            m.text += (m.text.empty() ? "" : "\n") + std::string(url);
        }
    } else {
        m.kind = MessageKind::other_event;
        m.text = std::string(msg_type);
    }
    // WeCom's own dedupe rule is undocumented (PROTOCOLS §4.1): MsgId qualified with the sender and time,
    // as for MP, where a bare MsgId once collided between users.
    m.dedupe_key = m.platform_msg_id.empty()
                       ? joined({"wecom", account, "n", from, created, msg_type})
                       : joined({"wecom", account, "m", m.platform_msg_id, from, created});
    return m;
}

// ------------------------------------------------------------------------------------------------------
// AibotEndpoint

boost::system::result<AibotEndpoint> AibotEndpoint::create(AibotEndpointOptions options) {
    // Receive id "": "企业内部智能机器人场景中，ReceiveId为\"\"" (WWDOC path/101033); WxCrypt then checks
    // none.
    auto crypt = WxCrypt::create(options.encoding_aes_key.reveal(), std::string());
    if (!crypt) {
        return crypt.error();
    }
    return AibotEndpoint(std::move(options), std::move(*crypt));
}

AibotEndpoint::AibotEndpoint(AibotEndpointOptions options, WxCrypt crypt)
    : options_(std::move(options)), crypt_(std::move(crypt)) {}

boost::system::result<std::string> AibotEndpoint::verify_url(const net::QueryParams& query,
                                                             Clock::time_point now) const {
    return verify_echostr(crypt_, options_.token, options_.replay_window, query, now);
}

boost::system::result<InboundMessage> AibotEndpoint::open(const net::QueryParams& query,
                                                          std::string_view body,
                                                          Clock::time_point now) const {
    if (body.size() > kMaxPushBytes) {
        return push_errc::malformed_payload;
    }
    const auto envelope = Json::parse(body, nullptr, false);
    if (envelope.is_discarded() || !envelope.is_object()) {
        return push_errc::malformed_payload;
    }
    const auto* encrypt = member(envelope, "encrypt");
    if (encrypt == nullptr || !encrypt->is_string() || encrypt->get_ref<const std::string&>().empty()) {
        return push_errc::not_encrypted;
    }
    auto plain = open_ciphertext(crypt_, options_.token, options_.replay_window, query,
                                 encrypt->get_ref<const std::string&>(), now);
    if (!plain) {
        return plain.error();
    }
    return parse_aibot_message(*plain, options_.account, now);
}

boost::system::result<InboundMessage> parse_aibot_message(std::string_view json, std::string_view account,
                                                          Clock::time_point received_at) {
    if (json.size() > kMaxPushBytes) {
        return push_errc::malformed_payload;
    }
    // nlohmann refuses ill-formed UTF-8, so every string below is valid UTF-8.
    const auto push = Json::parse(json, nullptr, false);
    if (push.is_discarded() || !push.is_object()) {
        return push_errc::malformed_payload;
    }
    InboundMessage m;
    m.channel = "wecom_bot";
    m.account = std::string(account);
    m.platform_msg_id = string_at(push, "msgid");
    m.sender = string_at(object_at(push, "from"), "userid");
    const auto msg_type = string_at(push, "msgtype");
    if (m.platform_msg_id.empty() || m.sender.empty() || msg_type.empty()) {
        return push_errc::malformed_payload;
    }
    m.recipient = string_at(push, "aibotid");
    m.chat = string_at(push, "chatid");
    m.reply_url = string_at(push, "response_url");
    if (const auto* created = member(push, "create_time");
        created != nullptr && created->is_number_integer()) {
        m.platform_time = created->get<std::int64_t>();
    }
    m.received_at = received_at;
    // msgid identifies the message and is what to dedupe on (PROTOCOLS §4.8); it is qualified only so that
    // it cannot meet a key of another channel or bot in the shared inbound table.
    m.dedupe_key = joined({"wecom_bot", account, m.platform_msg_id});

    if (msg_type == "text") {
        m.kind = MessageKind::text;
        m.text = strip_leading_mentions(string_at(object_at(push, "text"), "content"));
    } else if (msg_type == "mixed") {
        // 图文混排: text and image items in order; the mention sits in the first text item.
        m.kind = MessageKind::text;
        const auto* items = member(object_at(push, "mixed"), "msg_item");
        if (items != nullptr && items->is_array()) {
            for (const auto& item : *items) {
                const auto item_type = string_at(item, "msgtype");
                if (item_type == "text") {
                    const auto part = strip_leading_mentions(string_at(object_at(item, "text"), "content"));
                    if (!part.empty()) {
                        m.text += (m.text.empty() ? "" : "\n") + part;
                    }
                } else if (item_type == "image") {
                    m.attachments.push_back({"image", "", string_at(object_at(item, "image"), "url"), ""});
                }
            }
        }
    } else if (msg_type == "image") {
        // Only the URL is kept. Whether the file behind it is served encrypted (the long-connection mode
        // documents a per-file aeskey) and how long it lives are UNCONFIRMED for API mode; fetching it is
        // the runtime's business.
        m.kind = MessageKind::image;
        m.attachments.push_back({"image", "", string_at(object_at(push, "image"), "url"), ""});
    } else if (msg_type == "voice") {
        // Single chat only; WeCom sends the speech already transcribed.
        m.kind = MessageKind::voice;
        m.text = string_at(object_at(push, "voice"), "content");
    } else if (msg_type == "event") {
        m.kind = MessageKind::other_event;
        m.text = string_at(object_at(push, "event"), "eventtype");
        if (m.text.empty()) {
            m.text = msg_type;
        }
    } else {
        // file, stream (refresh callbacks, which only come after a stream reply we never send), …
        m.kind = MessageKind::other_event;
        m.text = msg_type;
    }
    return m;
}

std::string strip_leading_mentions(std::string_view text) {
    auto rest = trim_front(text);
    while (rest.starts_with('@')) {
        std::size_t pos = 1;
        std::size_t separator = 0;
        while (pos < rest.size() && (separator = separator_at(rest, pos)) == 0) {
            ++pos;
        }
        rest.remove_prefix(std::min(rest.size(), pos + separator));
        rest = trim_front(rest);
    }
    return std::string(trim_back(rest));
}

}  // namespace anju::adapters::wecom

std::string_view anju::ErrcTraits<anju::adapters::wecom::push_errc>::message(
    anju::adapters::wecom::push_errc e) {
    using anju::adapters::wecom::push_errc;
    switch (e) {
        case push_errc::bad_signature:
            return "msg_signature missing or wrong";
        case push_errc::stale_timestamp:
            return "timestamp missing or outside the replay window";
        case push_errc::not_encrypted:
            return "the request carries no ciphertext (WeCom callbacks are always encrypted)";
        case push_errc::malformed_payload:
            return "malformed callback payload";
        case push_errc::decrypt_failed:
            return "callback payload cannot be decrypted";
        case push_errc::corp_id_mismatch:
            return "callback payload is for another CorpID";
    }
    return "unknown WeCom push error";
}
