// Understanding one message: which complaints it makes (nature, category, urgency, with the words
// that decided), the slots it states (room, elevator, floor, trapped, phone, time, place), and
// whether it is an answer (yes/no/"don't know"), a command (取消, 修改, 进度, 人工…) or small talk.
// All words come from config/dialogs/understanding.json; the code only knows how to read them.
// Pure and thread-safe once built.
#pragma once

#include "config/config.hpp"
#include "dialogs/matcher.hpp"
#include "dialogs/normalize.hpp"
#include "dialogs/types.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace anju::dialogs {

struct Finding {
    Nature nature = Nature::none;
    std::string category;
    Urgency urgency = Urgency::normal;
    std::string emergency_kind;  // "trapped", "fire", …, or "immediate" for order problems happening now
    double score = 0;            // the evidence weight that chose the category
    SlotMap slots;
    std::vector<std::string> evidence;  // "category:电梯", "emergency:被困", "difficult:好几年"
    std::string text;                   // the clauses it was read from (normalised)
};

struct Understanding {
    std::string normalized;
    std::vector<Finding> findings;  // complaints, main first
    SlotMap slots;                  // every slot stated anywhere in the message
    std::optional<bool> answer;     // the message answers yes (true) or no (false)
    bool unknown = false;           // the message says "don't know"
    std::string command;            // cancel, edit, change_room, progress, human, help, or ""
    std::string smalltalk;          // greeting, thanks, praise, question, …, or "" (the first said)
    std::vector<std::string> smalltalk_kinds;  // every kind of small talk in the message
    std::string expectation;                   // what the resident asks for ("希望今天修好"), or ""
    bool resolved = false;                     // the message says the problem is over ("现在好了")
    bool unsolved = false;                     // … or that it is still there ("还是不行", "没解决")

    const Finding* main() const { return findings.empty() ? nullptr : &findings.front(); }
};

class Understander {
public:
    // Compiles the lexicons. Returns problems (as sentences) instead of throwing: unknown
    // categories in "immediate", empty lexicons. Build once at start-up.
    static boost::system::result<Understander, std::vector<std::string>> create(
        const config::UnderstandingConfig& config);

    Understanding understand(std::string_view text) const;

    // Slot readers, exposed for answers to questions: each reads one kind of slot from a message.
    Room read_room(std::string_view normalized) const;
    std::string normalize(std::string_view text) const { return normalizer_.normalize(text); }

    // The category names and labels, for replies ("电梯").
    const std::vector<config::CategoryLexicon>& categories() const { return categories_; }
    std::string_view label(std::string_view category) const;

private:
    enum class Kind : std::uint8_t {
        term,
        exclude,
        emergency,
        immediate,
        trapped_none,
        negation,
        hedge,
        resolved,
        difficult,
        unsolved,
        background,
        hypothetical,
        harmless,
        complaint_marker,
        past,
        now,
        expectation,
        connective,
        yes,
        no,
        unknown,
        command,
        smalltalk,
        place,
        time,
    };
    struct Use {
        Kind kind;
        std::uint16_t index = 0;  // category, emergency group, command, …
        double weight = 0;
    };

    explicit Understander(const config::UnderstandingConfig& config);
    void add(std::string_view term, Use use);

    Normalizer normalizer_;
    Matcher matcher_;
    std::vector<std::vector<Use>> uses_;  // by pattern id
    std::vector<config::CategoryLexicon> categories_;
    std::vector<std::string> emergency_kinds_;
    std::vector<std::string> commands_;
    std::vector<std::string> smalltalk_;
    std::vector<std::string> places_;
    std::vector<std::string> times_;
    int difficult_months_ = 3;

    friend class UnderstandingRun;
};

}  // namespace anju::dialogs
