// The normalised messages that flow between channels and the runtime. Adapters turn platform
// payloads into InboundMessage and render Reply back; everything between them is channel-blind.
#pragma once

#include "bot/core/clock.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace anju {

enum class MessageKind {
    text,
    image,
    voice,
    video,
    location,
    link,
    subscribe,    // followed the account (event)
    unsubscribe,  // unfollowed (event); nothing can be sent back
    menu_click,   // tapped a menu item that sends a key (event)
    scan,         // scanned a QR code while following (event)
    other_event,  // any other platform event, kept for the journal
};

std::string_view to_string(MessageKind kind);
std::optional<MessageKind> parse_message_kind(std::string_view text);

// A photo, voice clip or video the resident sent; fetched from the platform by media id when needed.
struct Attachment {
    std::string kind;      // "image", "voice", "video"
    std::string media_id;  // platform media id
    std::string url;       // direct URL when the platform gives one (WeChat PicUrl)
    std::string format;    // e.g. "amr" for voice
    friend bool operator==(const Attachment&, const Attachment&) = default;
};

struct GeoPoint {
    double latitude = 0;
    double longitude = 0;
    int scale = 0;
    std::string label;  // "上海市徐汇区…" as the platform describes the place
    friend bool operator==(const GeoPoint&, const GeoPoint&) = default;
};

struct InboundMessage {
    std::string channel;    // "wechat_mp", "wecom", "bridge", "web"
    std::string account;    // which configured account of the channel received it
    std::string sender;     // the resident or staff member on that platform (OpenID, userid)
    std::string recipient;  // the platform's id of our side (gh_… for an Official Account)
    MessageKind kind = MessageKind::text;
    std::string text;  // what was said: text, voice recognition, link title and URL, menu key
    std::vector<Attachment> attachments;
    std::optional<GeoPoint> location;
    std::string event_key;           // menu key, QR scene, …
    std::string chat;                // the group it was said in (WeCom chatid), empty for one-to-one
    std::string reply_url;           // a one-shot URL that answers it (WeCom 智能机器人 response_url)
    std::string platform_msg_id;     // MsgId when the platform gives one
    std::string dedupe_key;          // identical for every re-delivery of the same message
    std::int64_t platform_time = 0;  // the platform's CreateTime (seconds)
    Clock::time_point received_at{};

    // The conversation this message belongs to: one per (channel, account, sender).
    std::string conversation_key() const { return channel + "/" + account + "/" + sender; }
    friend bool operator==(const InboundMessage&, const InboundMessage&) = default;
};

// What the bot says back in one turn. Texts are sent in order; a channel splits any text that is too
// long for it.
struct Reply {
    std::vector<std::string> texts;

    bool empty() const { return texts.empty(); }
    friend bool operator==(const Reply&, const Reply&) = default;
};

}  // namespace anju
