#include "dialogs/normalize.hpp"

#include "bot/core/text.hpp"

#include <optional>

namespace anju::dialogs {
namespace {

std::u32string decode(std::string_view text) {
    std::u32string out;
    out.reserve(text.size());
    for (std::size_t pos = 0; pos < text.size();) {
        const auto c = decode_utf8_at(text, pos);
        out.push_back(c.valid ? c.code_point : U'\uFFFD');
        pos += c.length;
    }
    return out;
}

bool is_cjk(char32_t c) {
    return (c >= 0x3400 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x2FFFF) ||
           (c >= 0x3000 && c <= 0x303F);
}

bool is_zero_width(char32_t c) {
    return c == 0x200B || c == 0x200C || c == 0x200D || c == 0xFEFF || c == 0x2060 ||
           (c >= 0xFE00 && c <= 0xFE0F);
}

char32_t punctuation(char32_t c) {
    switch (c) {
        case U'，':
        case U'、':
            return U',';
        case U'。':
        case U'｡':
            return U'.';
        case U'！':
            return U'!';
        case U'？':
            return U'?';
        case U'；':
            return U';';
        case U'：':
            return U':';
        case U'（':
            return U'(';
        case U'）':
            return U')';
        case U'～':
            return U'~';
        case U'“':
        case U'”':
        case U'「':
        case U'」':
        case U'『':
        case U'』':
            return U'"';
        case U'‘':
        case U'’':
            return U'\'';
        case U'—':
        case U'－':
            return U'-';
        case U'\u3000':
            return U' ';
        default:
            return c;
    }
}

std::optional<int> digit_value(char32_t c) {
    switch (c) {
        case U'零':
        case U'〇':
            return 0;
        case U'一':
        case U'壹':
        case U'幺':
            return 1;
        case U'二':
        case U'两':
        case U'贰':
            return 2;
        case U'三':
        case U'叁':
            return 3;
        case U'四':
        case U'肆':
            return 4;
        case U'五':
        case U'伍':
            return 5;
        case U'六':
        case U'陆':
            return 6;
        case U'七':
        case U'柒':
            return 7;
        case U'八':
        case U'捌':
            return 8;
        case U'九':
        case U'玖':
            return 9;
        default:
            return std::nullopt;
    }
}

int multiplier(char32_t c) {
    switch (c) {
        case U'十':
        case U'拾':
            return 10;
        case U'百':
        case U'佰':
            return 100;
        case U'千':
        case U'仟':
            return 1000;
        default:
            return 0;
    }
}

bool is_numeral(char32_t c) { return digit_value(c).has_value() || multiplier(c) != 0; }

bool is_counter(char32_t c) {
    static constexpr std::u32string_view kCounters = U"栋幢座号楼层单元室梯部个月日天次年分元块岁户台辆";
    return kCounters.find(c) != std::u32string_view::npos;
}

// Value of a positional numeral run (十二, 二十三, 一百零二) or nullopt if malformed.
std::optional<long> positional(std::u32string_view run) {
    long total = 0;
    long current = 0;
    bool any = false;
    for (const char32_t c : run) {
        if (const auto d = digit_value(c)) {
            current = *d;
            any = true;
        } else if (const int m = multiplier(c)) {
            total += (any || current != 0 ? current : 1) * m;  // 十二: a bare 十 is 10
            current = 0;
            any = false;
        } else {
            return std::nullopt;
        }
    }
    return total + current;
}

std::u32string ascii_digits(long value) {
    std::u32string out;
    for (const char c : std::to_string(value)) {
        out.push_back(static_cast<char32_t>(c));
    }
    return out;
}

bool ends_with(std::u32string_view text, std::u32string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace

std::u32string convert_numerals(const std::u32string& text) {
    std::u32string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        if (!is_numeral(text[i])) {
            out.push_back(text[i]);
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < text.size() && is_numeral(text[j])) {
            ++j;
        }
        const std::u32string_view run(text.data() + i, j - i);
        const char32_t next = j < text.size() ? text[j] : U'\0';
        const std::u32string_view before(out);
        bool has_multiplier = false;
        bool all_digits = true;
        for (const char32_t c : run) {
            has_multiplier = has_multiplier || multiplier(c) != 0;
            all_digits = all_digits && digit_value(c).has_value();
        }
        // 点 counts hours only after a time of day ("下午三点"); otherwise 一点 is "a little".
        const bool time_of_day = next == U'点' && (ends_with(before, U"上午") || ends_with(before, U"下午") ||
                                                   ends_with(before, U"晚上") || ends_with(before, U"早上") ||
                                                   ends_with(before, U"凌晨") || ends_with(before, U"中午") ||
                                                   ends_with(before, U"半夜") || ends_with(before, U"夜里"));
        const bool after_place = ends_with(before, U"单元") || ends_with(before, U"栋") ||
                                 ends_with(before, U"号楼") || ends_with(before, U"第") ||
                                 ends_with(before, U"负") || ends_with(before, U"地下");
        // A lone 一 before 个/次/天 etc. is rarely a count that matters, and 一直/一下 must stay words:
        // only counters convert, and a single 一 converts only before place counters.
        const bool single_one = run.size() == 1 && (run[0] == U'一' || run[0] == U'壹');
        const bool place_counter = next == U'栋' || next == U'幢' || next == U'座' || next == U'号' ||
                                   next == U'楼' || next == U'层' || next == U'单' || next == U'室' ||
                                   next == U'梯';
        const bool convert = (is_counter(next) && (!single_one || place_counter)) || time_of_day ||
                             (after_place && !single_one) || (all_digits && run.size() >= 3);
        if (!convert) {
            out.append(run);
            i = j;
            continue;
        }
        if (has_multiplier) {
            if (const auto value = positional(run)) {
                out += ascii_digits(*value);
            } else {
                out.append(run);
            }
        } else {
            for (const char32_t c : run) {
                out.push_back(U'0' + static_cast<char32_t>(*digit_value(c)));
            }
        }
        i = j;
    }
    return out;
}

Normalizer::Normalizer(const std::vector<std::pair<std::string, std::string>>& traditional) {
    for (const auto& [from, to] : traditional) {
        const auto f = decode(from);
        const auto t = decode(to);
        if (f.size() == 1 && t.size() == 1) {
            traditional_.emplace(f[0], t[0]);
        }
    }
}

std::string Normalizer::normalize(std::string_view text) const {
    std::u32string mapped;
    mapped.reserve(text.size());
    for (char32_t c : decode(text)) {
        if (is_zero_width(c)) {
            continue;
        }
        if (c >= 0xFF01 && c <= 0xFF5E) {
            c -= 0xFEE0;  // full-width ASCII
        }
        c = punctuation(c);
        if (c >= U'A' && c <= U'Z') {
            c += 32;
        }
        if (c == U'\t' || c == U'\r' || c == U'\n') {
            c = c == U'\n' ? U'.' : U' ';  // a line break ends a clause
        }
        if (const auto it = traditional_.find(c); it != traditional_.end()) {
            c = it->second;
        }
        mapped.push_back(c);
    }
    // Spaces: drop those next to Chinese characters ("3 号楼", "电 梯"), squeeze the rest.
    std::u32string spaced;
    spaced.reserve(mapped.size());
    for (std::size_t i = 0; i < mapped.size(); ++i) {
        if (mapped[i] != U' ') {
            spaced.push_back(mapped[i]);
            continue;
        }
        const char32_t prev = spaced.empty() ? U' ' : spaced.back();
        std::size_t k = i;
        while (k < mapped.size() && mapped[k] == U' ') {
            ++k;
        }
        const char32_t next = k < mapped.size() ? mapped[k] : U' ';
        const bool digit_gap = prev >= U'0' && prev <= U'9' && next >= U'0' && next <= U'9';
        // Between two phrases ("电梯坏了 楼道灯也不亮") a space separates clauses, as residents use
        // it; inside a word ("电 梯") it is a slip and goes.
        const auto cjk_run = [&](std::size_t from, int step) {
            std::size_t count = 0;
            for (auto p = static_cast<std::ptrdiff_t>(from);
                 p >= 0 && p < static_cast<std::ptrdiff_t>(mapped.size()) &&
                 is_cjk(mapped[static_cast<std::size_t>(p)]);
                 p += step) {
                ++count;
            }
            return count;
        };
        if (is_cjk(prev) && is_cjk(next) && i > 0 && cjk_run(i - 1, -1) >= 2 && cjk_run(k, 1) >= 2) {
            spaced.push_back(U',');
        } else if (prev != U' ' && next != U' ' && !is_cjk(prev) && !is_cjk(next) && !digit_gap) {
            spaced.push_back(U' ');
        }
        i = k - 1;
    }
    const auto converted = convert_numerals(spaced);
    std::string out;
    out.reserve(converted.size() * 3);
    for (const char32_t c : converted) {
        append_utf8(out, c);
    }
    return out;
}

}  // namespace anju::dialogs
