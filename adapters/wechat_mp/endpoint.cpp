#include "adapters/wechat_mp/endpoint.hpp"

#include "adapters/common/xml.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace anju::adapters::wechat_mp {
namespace {

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

// Joins dedupe-key parts with U+001F (unit separator): parse_fields strips it from every value as an
// XML-illegal character, so no field can contain it and distinct part lists never join to one key
// (a '/' would: event keys are often URLs).
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

}  // namespace

boost::system::error_code make_error_code(push_errc e) noexcept { return make_errc_code(e); }

boost::system::result<Endpoint> Endpoint::create(EndpointOptions options) {
    std::optional<WxCrypt> crypt;
    if (options.mode != Mode::plain || !options.encoding_aes_key.empty()) {
        auto created = WxCrypt::create(options.encoding_aes_key.reveal(), options.app_id);
        if (!created) {
            return created.error();
        }
        crypt.emplace(std::move(*created));
    }
    return Endpoint(std::move(options), std::move(crypt));
}

Endpoint::Endpoint(EndpointOptions options, std::optional<WxCrypt> crypt)
    : options_(std::move(options)), crypt_(std::move(crypt)) {}

boost::system::result<void> Endpoint::check_timestamp(const net::QueryParams& query,
                                                      Clock::time_point now) const {
    const auto ts = to_int(param(query, "timestamp"));
    if (!ts) {
        return push_errc::stale_timestamp;
    }
    const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    // Compared as bounds rather than |now - ts|: the timestamp is untrusted, and the subtraction
    // overflows for values near the int64 limits.
    const auto window = options_.replay_window.count();
    if (*ts < now_s - window || *ts > now_s + window) {
        return push_errc::stale_timestamp;
    }
    return {};
}

boost::system::result<std::string> Endpoint::verify_url(const net::QueryParams& query,
                                                        Clock::time_point now) const {
    const auto signature = param(query, "signature");
    if (signature.empty() || !check_signature(signature, {options_.token.reveal(), param(query, "timestamp"),
                                                          param(query, "nonce")})) {
        return push_errc::bad_signature;
    }
    if (auto fresh = check_timestamp(query, now); !fresh) {
        return fresh.error();
    }
    return std::string(param(query, "echostr"));
}

boost::system::result<Push> Endpoint::open(const net::QueryParams& query, std::string_view body,
                                           Clock::time_point now) const {
    const auto& token = options_.token.reveal();
    const auto timestamp = param(query, "timestamp");
    const auto nonce = param(query, "nonce");
    // `signature` authenticates the caller in every mode; in plain mode it is all there is.
    const auto signature = param(query, "signature");
    if (signature.empty()) {
        if (options_.mode == Mode::plain) {
            return push_errc::bad_signature;
        }
    } else if (!check_signature(signature, {token, timestamp, nonce})) {
        return push_errc::bad_signature;
    }
    if (auto fresh = check_timestamp(query, now); !fresh) {
        return fresh.error();
    }
    const auto first = body.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos && (body[first] == '{' || body[first] == '[')) {
        return push_errc::unsupported_format;
    }
    auto outer = parse_fields(body);
    if (!outer) {
        return push_errc::malformed_payload;
    }
    const auto encrypt = outer->get("Encrypt");
    const bool wants_decrypt =
        options_.mode == Mode::safe ||
        (options_.mode == Mode::compatible && (param(query, "encrypt_type") == "aes" || encrypt.has_value()));
    Push push;
    if (!wants_decrypt) {
        // Read as plaintext (compatible mode without <Encrypt>): nothing but `signature`
        // authenticates it, so it is required here as in plain mode.
        if (signature.empty()) {
            return push_errc::bad_signature;
        }
        auto message = parse_message(body, options_.account, now);
        if (!message) {
            return message.error();
        }
        push.message = std::move(*message);
        return push;
    }
    if (!encrypt || encrypt->empty()) {
        return push_errc::not_encrypted;
    }
    if (!crypt_) {
        return push_errc::decrypt_failed;
    }
    const auto msg_signature = param(query, "msg_signature");
    if (msg_signature.empty() || !check_signature(msg_signature, {token, timestamp, nonce, *encrypt})) {
        return push_errc::bad_signature;
    }
    auto plain = crypt_->decrypt(*encrypt);
    if (!plain) {
        return plain.error() == crypto_errc::receive_id_mismatch ? push_errc::app_id_mismatch
                                                                 : push_errc::decrypt_failed;
    }
    auto message = parse_message(*plain, options_.account, now);
    if (!message) {
        return message.error();
    }
    push.message = std::move(*message);
    push.encrypted = true;
    return push;
}

std::string Endpoint::render_text_reply(const InboundMessage& to, std::string_view text, bool encrypt,
                                        Clock::time_point now, std::string nonce) const {
    const auto seconds =
        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
    std::string xml;
    xml.reserve(text.size() + to.sender.size() + to.recipient.size() + 160);
    xml += "<xml><ToUserName>";
    xml += cdata(to.sender);
    xml += "</ToUserName><FromUserName>";
    xml += cdata(to.recipient);
    xml += "</FromUserName><CreateTime>";
    xml += seconds;
    xml += "</CreateTime><MsgType><![CDATA[text]]></MsgType><Content>";
    xml += cdata(text);
    xml += "</Content></xml>";
    if (!encrypt || !crypt_) {
        return xml;
    }
    return render_encrypted_xml(seal(*crypt_, options_.token.reveal(), xml, seconds, std::move(nonce)));
}

boost::system::result<InboundMessage> parse_message(std::string_view document, std::string_view account,
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
    m.channel = "wechat_mp";
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
        if (event == "subscribe") {
            m.kind = MessageKind::subscribe;
            if (m.event_key.starts_with("qrscene_")) {
                m.event_key.erase(0, 8);
            }
        } else if (event == "unsubscribe") {
            m.kind = MessageKind::unsubscribe;
        } else if (event == "CLICK") {
            m.kind = MessageKind::menu_click;
            m.text = m.event_key;
        } else if (event == "SCAN") {
            m.kind = MessageKind::scan;
        } else {
            m.kind = MessageKind::other_event;
            m.text = std::string(event);
        }
        // Events have no MsgId; CreateTime has 1-second resolution, so the event and its key keep
        // two different events of one user in the same second apart (PROTOCOLS §1.7).
        m.dedupe_key = joined({"wechat_mp", account, "e", from, created, event, m.event_key});
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
        m.text = std::string(f.value_or("Recognition", ""));
        m.attachments.push_back(
            {"voice", std::string(f.value_or("MediaId", "")), "", std::string(f.value_or("Format", ""))});
    } else if (msg_type == "video" || msg_type == "shortvideo") {
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
    // MsgId alone once collided between users sending voice at the same moment (PROTOCOLS §1.7):
    // qualify it with the sender and the time.
    m.dedupe_key = m.platform_msg_id.empty()
                       ? joined({"wechat_mp", account, "n", from, created, msg_type})
                       : joined({"wechat_mp", account, "m", m.platform_msg_id, from, created});
    return m;
}

}  // namespace anju::adapters::wechat_mp

std::string_view anju::ErrcTraits<anju::adapters::wechat_mp::push_errc>::message(
    anju::adapters::wechat_mp::push_errc e) {
    using anju::adapters::wechat_mp::push_errc;
    switch (e) {
        case push_errc::bad_signature:
            return "signature missing or wrong";
        case push_errc::stale_timestamp:
            return "timestamp missing or outside the replay window";
        case push_errc::not_encrypted:
            return "safe mode requires an encrypted body";
        case push_errc::malformed_payload:
            return "malformed message";
        case push_errc::decrypt_failed:
            return "message cannot be decrypted";
        case push_errc::app_id_mismatch:
            return "message is for another AppID";
        case push_errc::unsupported_format:
            return "JSON pushes are not supported; configure the XML format";
    }
    return "unknown push error";
}
