// Text normalisation for understanding: residents write in Simplified and Traditional characters,
// full- and half-width digits and punctuation, with emoji and stray spaces. Everything the
// lexicons and slot scanners see goes through normalize() first. Pure; thread-safe once built.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace anju::dialogs {

class Normalizer {
public:
    // `traditional`: Traditional → Simplified character pairs (config/dialogs/traditional.json).
    explicit Normalizer(const std::vector<std::pair<std::string, std::string>>& traditional);

    // Simplified characters; ASCII digits, letters (lower case) and punctuation for their
    // full-width forms; Chinese punctuation as ASCII (，→, 。→. ！→! ？→? ；→; ：→: 、→,);
    // Chinese numerals written before a counter (三栋, 二单元, 十二楼, 3号梯's 三号) or in a room
    // number (五零一) as digits; spaces next to Chinese characters and zero-width characters
    // removed; runs of spaces as one. Invalid UTF-8 becomes U+FFFD.
    std::string normalize(std::string_view text) const;

    // The same for a lexicon term, so terms and text meet in one form.
    std::string normalize_term(std::string_view term) const { return normalize(term); }

private:
    std::unordered_map<char32_t, char32_t> traditional_;
};

// Converts Chinese numerals in `text` (already normalised otherwise) where they count something:
// before 栋幢座号楼层单元室梯部个月日天次年分元块岁 or 点 after a time-of-day word, and digit-by-digit
// runs of three or more (五零一 → 501). 十二 → 12, 二十三 → 23, 一百零二 → 102, 两 → 2. Exposed for
// tests.
std::u32string convert_numerals(const std::u32string& text);

}  // namespace anju::dialogs
