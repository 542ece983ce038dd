// JSON forms of the dialog's state (persisted per conversation between messages) and of the parts
// of a ComplaintDraft stored as JSON. Reading never throws: a damaged state reads as a fresh one.
#pragma once

#include "dialogs/flow.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace anju::dialogs {

std::string to_json(const DialogState& state);
// nullopt if the text is not a state (the caller starts afresh).
std::optional<DialogState> state_from_json(std::string_view text);

std::string slots_json(const SlotMap& slots);
std::string strings_json(const std::vector<std::string>& items);
std::string attachments_json(const std::vector<Attachment>& attachments);

}  // namespace anju::dialogs
