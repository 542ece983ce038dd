// Owner groups (业主群): the rules for what the bot may say in a group many neighbours read. Pure
// helpers shared by the group channels (bridge, WeCom 智能机器人 for residents) and the ticket
// service's group notices.
//
// A resident who speaks in a group is either *known* (their group identity is linked to a private
// conversation, e.g. the Official Account) and then continues privately, or not, and then has a
// short exchange in the group: their conversation key is "<channel>/<account>/<chat>:<member>".
// Whatever the bot posts in a group is one short line, passed through redact_for_group(): no room
// numbers, phone numbers or names of residents.
#pragma once

#include "store/group_store.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace anju::runtime {

// Channel names of group messages and of the outbox rows that post into groups.
inline constexpr std::string_view kBridgeChannel = "bridge";
inline constexpr std::string_view kWeComOwnerChannel = "wecom_owner";

bool is_group_channel(std::string_view channel);

// The conversation key of a member speaking in a group (not linked to a private conversation).
std::string group_conversation(const store::GroupRef& ref);
// The group and member of such a key; nullopt for any other conversation key.
std::optional<store::GroupRef> group_of_conversation(std::string_view conversation);

// Masks what a neighbour must not read: the value after a personal label ("房号：***",
// "联系人是***", "电话***"), phone numbers, room numbers (1502室, 3-2-1502, 2单元1502, 3栋1502 keep
// their shape with X for every digit: "X单元XXXX") and names (李先生, 我姓王). A label without a
// value, like the question asking for the room, stays, and so do buildings alone ("3号楼2号梯").
std::string redact_for_group(std::string_view text);

// What may be posted in a group: `text` through redact_for_group(), its lines joined into one.
std::string group_line(std::string_view text);

// The ticket code in a reply ("工单号：K7M3PX" → "K7M3PX"), if any.
std::optional<std::string> ticket_code_in(std::string_view text);

// The one line the group sees when a member's report became (or joined) a ticket.
std::string group_ack_line(std::string_view code, std::string_view category_label, bool joined_existing);

// What the group sees when a known resident's report continues privately.
std::string group_private_line();

// The bot's answer to a member in the group: the one-line acknowledgement when the reply names a
// ticket, otherwise the reply made safe for the group and joined into one message.
std::string group_answer(const std::vector<std::string>& texts, std::string_view category_label = {});

}  // namespace anju::runtime
