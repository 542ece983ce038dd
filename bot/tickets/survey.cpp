#include "bot/tickets/survey.hpp"

#include <array>
#include <utility>

namespace anju::tickets {

std::optional<Rating> read_rating(std::string_view text) {
    // Longest phrases first: "不满意" before "满意", "基本满意" before "满意".
    constexpr std::array<std::pair<std::string_view, Satisfaction>, 21> kPhrases = {{
        {"非常不满意", Satisfaction::unsatisfied}, {"很不满意", Satisfaction::unsatisfied},
        {"不太满意", Satisfaction::unsatisfied},   {"不满意", Satisfaction::unsatisfied},
        {"差评", Satisfaction::unsatisfied},       {"很差", Satisfaction::unsatisfied},
        {"太差", Satisfaction::unsatisfied},       {"基本满意", Satisfaction::basically},
        {"还算满意", Satisfaction::basically},     {"比较满意", Satisfaction::basically},
        {"一般", Satisfaction::basically},         {"还行", Satisfaction::basically},
        {"凑合", Satisfaction::basically},         {"非常满意", Satisfaction::satisfied},
        {"很满意", Satisfaction::satisfied},       {"满意", Satisfaction::satisfied},
        {"好评", Satisfaction::satisfied},         {"五星", Satisfaction::satisfied},
        {"很好", Satisfaction::satisfied},         {"非常好", Satisfaction::satisfied},
        {"不错", Satisfaction::satisfied},
    }};
    // A bare score: "5", "4分", "3星".
    if (!text.empty() && text[0] >= '1' && text[0] <= '5') {
        const auto rest = text.substr(1);
        if (rest.empty() || rest == "分" || rest == "星" || rest == "分。" || rest == "," || rest == "。") {
            const int score = text[0] - '0';
            return Rating{score >= 4   ? Satisfaction::satisfied
                          : score == 3 ? Satisfaction::basically
                                       : Satisfaction::unsatisfied,
                          score};
        }
    }
    if (text.size() > 60) {
        return std::nullopt;  // a story, not a rating
    }
    for (const auto& [phrase, satisfaction] : kPhrases) {
        if (text.find(phrase) != std::string_view::npos) {
            return Rating{satisfaction, 0};
        }
    }
    return std::nullopt;
}

}  // namespace anju::tickets
