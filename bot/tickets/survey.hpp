// Reading a resident's answer to the satisfaction survey (满意度回访): 满意 / 基本满意 / 不满意 in
// their usual forms, or a score of 1–5 (5 best: 4–5 satisfied, 3 basically, 1–2 unsatisfied).
// The vocabulary is the survey's own closed set of answers, so it lives here with the question.
#pragma once

#include "bot/tickets/ticket.hpp"

#include <optional>
#include <string_view>

namespace anju::tickets {

struct Rating {
    Satisfaction satisfaction = Satisfaction::none;
    int score = 0;  // 1–5 when a number was given
};

// `text` as normalised by the understanding (ASCII digits, no spaces). nullopt: not an answer.
std::optional<Rating> read_rating(std::string_view text);

}  // namespace anju::tickets
