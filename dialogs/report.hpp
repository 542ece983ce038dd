// The JSON form of an Understanding, as `anju understand` prints it and the evaluation reads it:
// {"text", "nature", "category", "urgency", "slots": {…, "trapped": true|false}, "evidence": […],
//  "more": [{"nature", "category", "urgency", "slots"}]} (absent slots left out).
#pragma once

#include "dialogs/understand.hpp"

#include <string>
#include <string_view>

namespace anju::dialogs {

std::string understanding_json(std::string_view text, const Understanding& u);

}  // namespace anju::dialogs
