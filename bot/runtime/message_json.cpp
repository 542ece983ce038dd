#include "bot/runtime/message_json.hpp"

#include <nlohmann/json.hpp>

namespace anju::runtime {
namespace {

using json = nlohmann::json;

std::int64_t millis(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string string_or(const json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::int64_t int_or(const json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

double number_or(const json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
}

}  // namespace

std::string to_json(const InboundMessage& m) {
    json j = {{"channel", m.channel},
              {"account", m.account},
              {"sender", m.sender},
              {"recipient", m.recipient},
              {"kind", to_string(m.kind)},
              {"text", m.text},
              {"event_key", m.event_key},
              {"chat", m.chat},
              {"reply_url", m.reply_url},
              {"platform_msg_id", m.platform_msg_id},
              {"dedupe_key", m.dedupe_key},
              {"platform_time", m.platform_time},
              {"received_at_ms", millis(m.received_at)}};
    json attachments = json::array();
    for (const auto& a : m.attachments) {
        attachments.push_back(
            {{"kind", a.kind}, {"media_id", a.media_id}, {"url", a.url}, {"format", a.format}});
    }
    j["attachments"] = std::move(attachments);
    if (m.location) {
        j["location"] = {{"latitude", m.location->latitude},
                         {"longitude", m.location->longitude},
                         {"scale", m.location->scale},
                         {"label", m.location->label}};
    }
    // Replace invalid UTF-8 rather than throw: the journal must take whatever a resident typed.
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<InboundMessage> inbound_from_json(std::string_view text) {
    const auto j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return std::nullopt;
    }
    const auto kind = parse_message_kind(string_or(j, "kind"));
    if (!kind) {
        return std::nullopt;
    }
    InboundMessage m;
    m.channel = string_or(j, "channel");
    m.account = string_or(j, "account");
    m.sender = string_or(j, "sender");
    m.recipient = string_or(j, "recipient");
    m.kind = *kind;
    m.text = string_or(j, "text");
    m.event_key = string_or(j, "event_key");
    m.chat = string_or(j, "chat");
    m.reply_url = string_or(j, "reply_url");
    m.platform_msg_id = string_or(j, "platform_msg_id");
    m.dedupe_key = string_or(j, "dedupe_key");
    m.platform_time = int_or(j, "platform_time");
    m.received_at = Clock::time_point{std::chrono::milliseconds{int_or(j, "received_at_ms")}};
    if (const auto it = j.find("attachments"); it != j.end() && it->is_array()) {
        for (const auto& a : *it) {
            if (a.is_object()) {
                m.attachments.push_back({string_or(a, "kind"), string_or(a, "media_id"), string_or(a, "url"),
                                         string_or(a, "format")});
            }
        }
    }
    if (const auto it = j.find("location"); it != j.end() && it->is_object()) {
        m.location = GeoPoint{number_or(*it, "latitude"), number_or(*it, "longitude"),
                              static_cast<int>(int_or(*it, "scale")), string_or(*it, "label")};
    }
    if (m.channel.empty() || m.sender.empty() || m.dedupe_key.empty()) {
        return std::nullopt;
    }
    return m;
}

std::string to_json(const Reply& reply) {
    return json{{"texts", reply.texts}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<Reply> reply_from_json(std::string_view text) {
    const auto j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return std::nullopt;
    }
    Reply reply;
    if (const auto it = j.find("texts"); it != j.end() && it->is_array()) {
        for (const auto& t : *it) {
            if (t.is_string()) {
                reply.texts.push_back(t.get<std::string>());
            }
        }
    }
    return reply;
}

}  // namespace anju::runtime
