// JSON forms of InboundMessage and Reply for the inbound journal (store/inbound.hpp).
#pragma once

#include "bot/core/message.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace anju::runtime {

std::string to_json(const InboundMessage& message);
// nullopt if the text is not a journaled message (never throws).
std::optional<InboundMessage> inbound_from_json(std::string_view text);

std::string to_json(const Reply& reply);
std::optional<Reply> reply_from_json(std::string_view text);

}  // namespace anju::runtime
