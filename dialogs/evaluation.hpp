// Scoring the understanding against a labelled corpus (tests/data/dialogs/corpus.jsonl, see its
// LABELING.md): per-field accuracy, emergency recall and false-emergency rate, slot accuracy, and
// the confusions. Used by bench/understand_eval.cpp and by the corpus test that guards the targets.
#pragma once

#include "dialogs/understand.hpp"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace anju::dialogs {

struct Evaluation {
    std::size_t lines = 0;
    std::size_t nature_ok = 0;
    std::size_t category_ok = 0;
    std::size_t urgency_ok = 0;
    std::size_t more_ok = 0;  // the further complaints' categories, in order
    std::size_t emergencies = 0;
    std::size_t emergencies_found = 0;
    std::size_t non_emergencies = 0;
    std::size_t false_emergencies = 0;
    std::size_t slots = 0;  // labelled or predicted slot values compared
    std::size_t slots_ok = 0;
    std::map<std::pair<std::string, std::string>, std::size_t> category_confusions;  // (expected, got)
    std::map<std::string, std::pair<std::size_t, std::size_t>> per_slot;             // name → (ok, total)
    std::vector<std::string> mismatches;  // one line per wrong field, for tuning
    std::vector<std::string> errors;      // corpus lines that could not be read

    double rate(std::size_t ok, std::size_t total) const {
        return total == 0 ? 1.0 : static_cast<double>(ok) / static_cast<double>(total);
    }
    double nature() const { return rate(nature_ok, lines); }
    double category() const { return rate(category_ok, lines); }
    double urgency() const { return rate(urgency_ok, lines); }
    double emergency_recall() const { return rate(emergencies_found, emergencies); }
    double false_emergency_rate() const {
        return 1.0 - rate(non_emergencies - false_emergencies, non_emergencies);
    }
    double slot_accuracy() const { return rate(slots_ok, slots); }
};

// Scores every corpus line whose "set" is `set` ("dev", "test", or "" for all).
Evaluation evaluate(const Understander& understander, std::string_view corpus_jsonl, std::string_view set);

// The report bench/understand_eval prints.
std::string format_evaluation(const Evaluation& e, std::string_view title, bool list_mismatches);

}  // namespace anju::dialogs
