// UTF-8 helpers for chat message text: validation and repair, code-point counting, and splitting long replies
// into byte-limited pieces without cutting a character in half (WeChat/WeCom text limits are in bytes).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace anju {

// The smallest max_bytes split_utf8 works with: the longest UTF-8 sequence (emoji are 4 bytes).
inline constexpr std::size_t kMinSplitBytes = 4;

// One decoding step of UTF-8 (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).
struct Utf8Char {
    char32_t code_point = 0;  // U+FFFD when !valid
    std::size_t length = 0;   // bytes consumed, >= 1 (when pos < text.size())
    bool valid = false;
};

// Decodes the character starting at text[pos] (requires pos < text.size(); returns {U+FFFD, 0, false}
// otherwise). For an ill-formed sequence, `length` is its "maximal subpart" (Unicode §3.9, the W3C/WHATWG
// practice): the number of bytes that one U+FFFD replaces, at least 1. Thread-safe, never throws.
Utf8Char decode_utf8_at(std::string_view text, std::size_t pos) noexcept;

// Appends the UTF-8 encoding of a Unicode scalar value (surrogates and values > U+10FFFF become U+FFFD).
void append_utf8(std::string& out, char32_t code_point);

// True if `text` is entirely well-formed UTF-8. Thread-safe, never throws.
bool is_valid_utf8(std::string_view text) noexcept;

// `text` with every ill-formed sequence (stray continuation bytes, overlongs, encoded surrogates, truncated
// sequences, bytes 0xF5..0xFF, code points > U+10FFFF) replaced by U+FFFD, one per maximal subpart. Valid
// input is returned unchanged. Thread-safe.
std::string sanitize_utf8(std::string_view text);

// Number of code points in `text`; each ill-formed maximal subpart counts as one (as after sanitize_utf8).
std::size_t utf8_length(std::string_view text) noexcept;

// Splits `text` into pieces of at most `max_bytes` bytes each, never inside a code point, such that their
// concatenation is `text`. A cut prefers to fall just after a newline or a sentence end (。！？!?) lying in
// the last quarter of the window; otherwise it falls at the last code-point boundary that fits.
// - Empty text yields an empty vector (no piece is ever empty); callers skip empty replies anyway.
// - max_bytes < kMinSplitBytes is a programming error; it is clamped to kMinSplitBytes.
// - `text` should be valid UTF-8 (run sanitize_utf8 first); an ill-formed subpart is kept as is and
//   treated as one unit, so the function still terminates and never splits a valid character.
// Thread-safe.
std::vector<std::string> split_utf8(std::string_view text, std::size_t max_bytes);

}  // namespace anju
