#include "bot/core/text.hpp"

#include <algorithm>

namespace anju {

namespace {

constexpr char32_t kReplacement = 0xFFFD;

unsigned char byte_at(std::string_view text, std::size_t pos) noexcept {
    return static_cast<unsigned char>(text[pos]);
}

// True just after a character where a reply reads well when cut: a newline or a sentence end.
bool is_break_after(char32_t c) noexcept {
    switch (c) {
        case U'\n':
        case U'!':
        case U'?':
        case U'\u3002':  // 。
        case U'\uFF01':  // ！
        case U'\uFF1F':  // ？
            return true;
        default:
            return false;
    }
}

}  // namespace

Utf8Char decode_utf8_at(std::string_view text, std::size_t pos) noexcept {
    if (pos >= text.size()) {
        return {kReplacement, 0, false};
    }
    const unsigned char lead = byte_at(text, pos);
    if (lead < 0x80) {
        return {lead, 1, true};
    }
    // Unicode 15 table 3-7 (well-formed byte sequences): the lead byte fixes the length and the allowed range
    // of the second byte; later bytes are always 80..BF.
    std::size_t length = 0;
    unsigned char second_lo = 0x80;
    unsigned char second_hi = 0xBF;
    char32_t value = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
        value = lead & 0x1Fu;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        value = lead & 0x0Fu;
        if (lead == 0xE0) {
            second_lo = 0xA0;  // no overlongs
        } else if (lead == 0xED) {
            second_hi = 0x9F;  // no surrogates
        }
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        value = lead & 0x07u;
        if (lead == 0xF0) {
            second_lo = 0x90;  // no overlongs
        } else if (lead == 0xF4) {
            second_hi = 0x8F;  // nothing above U+10FFFF
        }
    } else {
        return {kReplacement, 1, false};  // stray continuation byte, C0/C1, F5..FF
    }
    for (std::size_t i = 1; i < length; ++i) {
        if (pos + i >= text.size()) {
            return {kReplacement, i, false};  // truncated
        }
        const unsigned char b = byte_at(text, pos + i);
        const unsigned char lo = i == 1 ? second_lo : 0x80;
        const unsigned char hi = i == 1 ? second_hi : 0xBF;
        if (b < lo || b > hi) {
            return {kReplacement, i, false};
        }
        value = (value << 6) | (b & 0x3Fu);
    }
    return {value, length, true};
}

void append_utf8(std::string& out, char32_t code_point) {
    if ((code_point >= 0xD800 && code_point <= 0xDFFF) || code_point > 0x10FFFF) {
        code_point = kReplacement;
    }
    if (code_point < 0x80) {
        out.push_back(static_cast<char>(code_point));
    } else if (code_point < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
        out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
    } else if (code_point < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
        out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (code_point >> 18)));
        out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
    }
}

bool is_valid_utf8(std::string_view text) noexcept {
    for (std::size_t pos = 0; pos < text.size();) {
        const Utf8Char c = decode_utf8_at(text, pos);
        if (!c.valid) {
            return false;
        }
        pos += c.length;
    }
    return true;
}

std::string sanitize_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::size_t clean_from = 0;  // start of the pending run of valid bytes, copied in one go
    for (std::size_t pos = 0; pos < text.size();) {
        const Utf8Char c = decode_utf8_at(text, pos);
        if (!c.valid) {
            out.append(text.substr(clean_from, pos - clean_from));
            append_utf8(out, kReplacement);
            clean_from = pos + c.length;
        }
        pos += c.length;
    }
    out.append(text.substr(clean_from));
    return out;
}

std::size_t utf8_length(std::string_view text) noexcept {
    std::size_t count = 0;
    for (std::size_t pos = 0; pos < text.size(); ++count) {
        pos += decode_utf8_at(text, pos).length;
    }
    return count;
}

std::vector<std::string> split_utf8(std::string_view text, std::size_t max_bytes) {
    max_bytes = std::max(max_bytes, kMinSplitBytes);
    std::vector<std::string> pieces;
    if (text.empty()) {
        return pieces;
    }
    pieces.reserve(text.size() / max_bytes + 1);
    const std::size_t quarter = max_bytes / 4;
    std::size_t start = 0;
    while (text.size() - start > max_bytes) {
        const std::size_t limit = start + max_bytes;
        const std::size_t preferred_from = limit - quarter;
        std::size_t last_boundary = start;
        std::size_t last_break = 0;  // 0 = none in the last quarter (a break is never at offset 0)
        for (std::size_t pos = start; pos < limit;) {
            const Utf8Char c = decode_utf8_at(text, pos);
            if (pos + c.length > limit) {
                break;
            }
            pos += c.length;
            last_boundary = pos;
            if (c.valid && pos >= preferred_from && is_break_after(c.code_point)) {
                last_break = pos;
            }
        }
        // Progress is guaranteed: every unit is at most 4 bytes and max_bytes >= 4.
        const std::size_t cut = last_break != 0 ? last_break : last_boundary;
        pieces.emplace_back(text.substr(start, cut - start));
        start = cut;
    }
    pieces.emplace_back(text.substr(start));
    return pieces;
}

}  // namespace anju
