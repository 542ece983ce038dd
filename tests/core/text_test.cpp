#include "bot/core/text.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace anju {
namespace {

constexpr std::string_view kFffd = "\xEF\xBF\xBD";

std::string repeat(std::string_view unit, std::size_t times) {
    std::string out;
    for (std::size_t i = 0; i < times; ++i) {
        out += unit;
    }
    return out;
}

std::string join(const std::vector<std::string>& pieces) {
    std::string out;
    for (const auto& piece : pieces) {
        out += piece;
    }
    return out;
}

// The properties every split must have.
void expect_valid_split(std::string_view text, std::size_t max_bytes,
                        const std::vector<std::string>& pieces) {
    EXPECT_EQ(join(pieces), text);
    for (const auto& piece : pieces) {
        EXPECT_FALSE(piece.empty());
        EXPECT_LE(piece.size(), max_bytes);
        EXPECT_TRUE(is_valid_utf8(piece)) << piece;
    }
}

TEST(Utf8LengthTest, CountsCodePoints) {
    EXPECT_EQ(utf8_length(""), 0u);
    EXPECT_EQ(utf8_length("abc"), 3u);
    EXPECT_EQ(utf8_length("你好"), 2u);
    EXPECT_EQ(utf8_length("👍🏻电梯🛗"), 5u);  // U+1F44D U+1F3FB 电 梯 U+1F6D7
    EXPECT_EQ(utf8_length("a\xFF"
                          "b"),
              3u);                           // an ill-formed byte counts as one
    EXPECT_EQ(utf8_length("\xE4\xBD"), 1u);  // a truncated sequence counts as one
}

TEST(Utf8DecodeTest, DecodesScalarValues) {
    EXPECT_EQ(decode_utf8_at("A", 0).code_point, U'A');
    EXPECT_EQ(decode_utf8_at("\xC2\xA9", 0).code_point, U'\u00A9');
    EXPECT_EQ(decode_utf8_at("你", 0).code_point, U'\u4F60');
    const Utf8Char emoji = decode_utf8_at("x👍", 1);
    EXPECT_TRUE(emoji.valid);
    EXPECT_EQ(emoji.code_point, U'\U0001F44D');
    EXPECT_EQ(emoji.length, 4u);
    EXPECT_EQ(decode_utf8_at("\xF4\x8F\xBF\xBF", 0).code_point, U'\U0010FFFF');
    EXPECT_EQ(decode_utf8_at("", 0).length, 0u);

    std::string encoded;
    for (const char32_t c :
         {U'A', U'\u00A9', U'\u4F60', U'\U0001F44D', char32_t{0xD800}, char32_t{0x110000}}) {
        append_utf8(encoded, c);
    }
    EXPECT_EQ(encoded, std::string("A\xC2\xA9你👍") + std::string(kFffd) + std::string(kFffd));
}

struct SanitizeCase {
    const char* name;
    std::string input;
    std::string expected;
};

TEST(SanitizeUtf8Test, ReplacesIllFormedSequences) {
    const std::string r(kFffd);
    const SanitizeCase cases[] = {
        {"empty", "", ""},
        {"valid text unchanged", "abc 你好 👍🏻电梯🛗 \x7f", "abc 你好 👍🏻电梯🛗 \x7f"},
        {"max code point", "\xF4\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF"},
        {"stray continuation",
         "a\x80"
         "b",
         "a" + r + "b"},
        {"two stray continuations", "\x80\xBF", r + r},
        {"overlong slash C0 AF", "\xC0\xAF", r + r},
        {"overlong C1", "\xC1\x81", r + r},
        {"overlong 3-byte", "\xE0\x80\xAF", r + r + r},
        {"overlong 4-byte", "\xF0\x80\x80\xAF", r + r + r + r},
        {"surrogate D800", "\xED\xA0\x80", r + r + r},
        {"surrogate DFFF", "\xED\xBF\xBF", r + r + r},
        {"above U+10FFFF", "\xF4\x90\x80\x80", r + r + r + r},
        {"F5 lead", "\xF5\x80\x80\x80", r + r + r + r},
        {"FE FF", "\xFE\xFF", r + r},
        {"truncated 3-byte at end", "ok\xE4\xBD", "ok" + r},
        {"truncated 3-byte before ASCII",
         "\xE4\xBD"
         "a",
         r + "a"},
        {"truncated 4-byte", "\xF0\x9F\x91", r},
        {"truncated 4-byte then valid", "\xF0\x9F\x91你", r + "你"},
        {"lead byte then lead byte", "\xE4\xE4\xBD\xA0", r + "你"},
        {"NUL is valid UTF-8", std::string("a\0b", 3), std::string("a\0b", 3)},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(sanitize_utf8(c.input), c.expected) << c.name;
        EXPECT_TRUE(is_valid_utf8(sanitize_utf8(c.input))) << c.name;
        EXPECT_EQ(is_valid_utf8(c.input), c.input == c.expected) << c.name;
    }
}

TEST(SplitUtf8Test, EmptyTextYieldsNoPieces) { EXPECT_TRUE(split_utf8("", 2048).empty()); }

TEST(SplitUtf8Test, ShortTextIsOnePiece) {
    EXPECT_EQ(split_utf8("你好", 2048), (std::vector<std::string>{"你好"}));
    const std::string exact(2048, 'a');
    EXPECT_EQ(split_utf8(exact, 2048), (std::vector<std::string>{exact}));
}

TEST(SplitUtf8Test, LongChineseAtCodePointBoundaries) {
    const std::string text = repeat("电梯维修通知", 1000);  // 18 000 bytes, no break characters
    const auto pieces = split_utf8(text, 2048);
    expect_valid_split(text, 2048, pieces);
    ASSERT_GT(pieces.size(), 1u);
    EXPECT_EQ(pieces[0].size(), 2046u);  // 682 characters; 2048 would cut the 683rd
}

TEST(SplitUtf8Test, LongEmojiAtCodePointBoundaries) {
    const std::string text = repeat("👍🏻🛗", 700) + "x";  // 4-byte code points, then an odd tail
    for (const std::size_t max : {std::size_t{2048}, std::size_t{2047}, std::size_t{2050}, std::size_t{4},
                                  std::size_t{5}, std::size_t{7}}) {
        const auto pieces = split_utf8(text, max);
        expect_valid_split(text, max, pieces);
        EXPECT_EQ(pieces[0].size(), max / 4 * 4) << max;
    }
}

TEST(SplitUtf8Test, MixedTextManyWindowSizes) {
    const std::string text = repeat("Hello 你好! 👍🏻 电梯？\n ok。", 120);
    for (std::size_t max = 4; max <= 80; ++max) {
        expect_valid_split(text, max, split_utf8(text, max));
    }
    expect_valid_split(text, 2048, split_utf8(text, 2048));
}

TEST(SplitUtf8Test, PrefersSentenceEndInLastQuarter) {
    struct Case {
        const char* name;
        std::string text;
        std::size_t first_piece;
    };
    const std::string tail = repeat("b", 1000);
    const Case cases[] = {
        {"chinese full stop", repeat("a", 1800) + "。" + tail, 1803},
        {"chinese exclamation", repeat("a", 1600) + "！" + tail, 1603},
        {"chinese question", repeat("a", 1900) + "？" + tail, 1903},
        {"ascii exclamation", repeat("a", 1700) + "!" + tail, 1701},
        {"ascii question", repeat("a", 2000) + "?" + tail, 2001},
        {"newline", repeat("a", 1536) + "\n" + tail, 1537},
        {"latest break wins", repeat("a", 1600) + "\n" + repeat("a", 200) + "。" + tail, 1804},
        {"break ending exactly at the limit", repeat("a", 2047) + "\n" + tail, 2048},
        {"break before the last quarter is ignored", repeat("a", 100) + "\n" + repeat("c", 3000), 2048},
        {"break just before the last quarter", repeat("a", 1534) + "\n" + repeat("c", 3000), 2048},
        {"full stop cut off by the limit", repeat("a", 2046) + "。" + tail, 2046},
        {"ascii full stop is not a break", repeat("a", 1800) + "." + tail, 2048},
    };
    for (const auto& c : cases) {
        const auto pieces = split_utf8(c.text, 2048);
        expect_valid_split(c.text, 2048, pieces);
        ASSERT_FALSE(pieces.empty()) << c.name;
        EXPECT_EQ(pieces[0].size(), c.first_piece) << c.name;
    }
}

TEST(SplitUtf8Test, SplitsAParagraphedReplyAtNewlines) {
    const std::string paragraph = repeat("业主您好，", 110) + "\n";  // 1651 bytes: in the last quarter
    const std::string text = repeat(paragraph, 4);
    const auto pieces = split_utf8(text, 2048);
    expect_valid_split(text, 2048, pieces);
    ASSERT_EQ(pieces.size(), 4u);
    for (const auto& piece : pieces) {
        EXPECT_EQ(piece, paragraph);
    }
}

TEST(SplitUtf8Test, TinyMaxIsClampedToFourBytes) {
    const auto pieces = split_utf8("👍👍", 1);
    EXPECT_EQ(pieces, (std::vector<std::string>{"👍", "👍"}));
    EXPECT_EQ(split_utf8("abcdefghij", 0), (std::vector<std::string>{"abcd", "efgh", "ij"}));
}

TEST(SplitUtf8Test, IllFormedInputStillTerminatesAndRoundTrips) {
    const std::string text = repeat("\xFF\xE4\xBD", 50) + "你" + repeat("\x80", 9);
    for (const std::size_t max : {std::size_t{4}, std::size_t{5}, std::size_t{64}}) {
        const auto pieces = split_utf8(text, max);
        EXPECT_EQ(join(pieces), text);
        for (const auto& piece : pieces) {
            EXPECT_FALSE(piece.empty());
            EXPECT_LE(piece.size(), max);
        }
    }
}

}  // namespace
}  // namespace anju
