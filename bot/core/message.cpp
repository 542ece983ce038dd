#include "bot/core/message.hpp"

#include <array>
#include <utility>

namespace anju {
namespace {

constexpr std::array<std::pair<MessageKind, std::string_view>, 11> kKindNames = {{
    {MessageKind::text, "text"},
    {MessageKind::image, "image"},
    {MessageKind::voice, "voice"},
    {MessageKind::video, "video"},
    {MessageKind::location, "location"},
    {MessageKind::link, "link"},
    {MessageKind::subscribe, "subscribe"},
    {MessageKind::unsubscribe, "unsubscribe"},
    {MessageKind::menu_click, "menu_click"},
    {MessageKind::scan, "scan"},
    {MessageKind::other_event, "other_event"},
}};

}  // namespace

std::string_view to_string(MessageKind kind) {
    for (const auto& [k, name] : kKindNames) {
        if (k == kind) {
            return name;
        }
    }
    return "other_event";
}

std::optional<MessageKind> parse_message_kind(std::string_view text) {
    for (const auto& [k, name] : kKindNames) {
        if (name == text) {
            return k;
        }
    }
    return std::nullopt;
}

}  // namespace anju
