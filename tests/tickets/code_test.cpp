// Public ticket codes (bot/tickets/code.hpp): the shape of make_code(), the id ↔ code round trip over
// small, large and random ids, uniqueness over a long run of ids, how unrelated consecutive codes
// look and how rarely a typo lands on another ticket, and what normalize_code()/code_id() accept
// from people (case, spaces, dashes, full-width characters, prefixes) and refuse.
#include "bot/tickets/code.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

namespace anju::tickets {
namespace {

bool well_formed(const std::string& code) {
    if (code.size() != kCodeLength) {
        return false;
    }
    for (const char c : code) {
        if (kCodeAlphabet.find(c) == std::string_view::npos) {
            return false;
        }
    }
    return true;
}

TEST(Code, AlphabetHasNoLookAlikes) {
    EXPECT_EQ(kCodeLength, 6U);
    for (const char c : std::string_view("0O1IL5S8B2ZGQ")) {
        EXPECT_EQ(kCodeAlphabet.find(c), std::string_view::npos) << c;
    }
    const std::set<char> distinct(kCodeAlphabet.begin(), kCodeAlphabet.end());
    EXPECT_EQ(distinct.size(), kCodeAlphabet.size());
    std::int64_t space = 1;
    for (std::size_t i = 0; i < kCodeLength; ++i) {
        space *= static_cast<std::int64_t>(kCodeAlphabet.size());
    }
    EXPECT_EQ(max_code_id(), space - 1);
}

TEST(Code, IsSixCharactersOfTheAlphabet) {
    for (const std::int64_t id : {std::int64_t{1}, std::int64_t{2}, std::int64_t{23}, std::int64_t{529},
                                  std::int64_t{999'999}, max_code_id() - 1, max_code_id()}) {
        const auto code = make_code(id);
        EXPECT_TRUE(well_formed(code)) << id << " → " << code;
    }
}

TEST(Code, RoundTripsSmallIds) {
    for (std::int64_t id = 1; id <= 100'000; ++id) {
        const auto code = make_code(id);
        ASSERT_TRUE(well_formed(code)) << id << " → " << code;
        ASSERT_EQ(code_id(code), id) << code;
    }
}

TEST(Code, RoundTripsLargeAndRandomIds) {
    for (const std::int64_t id : {max_code_id(), max_code_id() - 1, max_code_id() / 2, std::int64_t{1} << 20,
                                  std::int64_t{100'000'000}}) {
        EXPECT_EQ(code_id(make_code(id)), id) << id;
    }
    std::mt19937_64 rng(20261127);
    std::uniform_int_distribution<std::int64_t> any(1, max_code_id());
    for (int i = 0; i < 100'000; ++i) {
        const auto id = any(rng);
        const auto code = make_code(id);
        ASSERT_TRUE(well_formed(code)) << id;
        ASSERT_EQ(code_id(code), id) << id << " → " << code;
    }
}

TEST(Code, DistinctIdsGiveDistinctCodes) {
    std::unordered_set<std::string> seen;
    seen.reserve(200'000);
    for (std::int64_t id = 1; id <= 200'000; ++id) {
        ASSERT_TRUE(seen.insert(make_code(id)).second) << "collision at id " << id;
    }
    // A run far from the start too.
    seen.clear();
    for (std::int64_t id = max_code_id() - 50'000; id <= max_code_id(); ++id) {
        ASSERT_TRUE(seen.insert(make_code(id)).second) << "collision at id " << id;
    }
}

TEST(Code, ConsecutiveIdsLookUnrelated) {
    int shared_prefix = 0;
    int shared_suffix = 0;
    int same_position = 0;
    constexpr int kPairs = 100'000;
    for (std::int64_t id = 1; id <= kPairs; ++id) {
        const auto a = make_code(id);
        const auto b = make_code(id + 1);
        shared_prefix += a.substr(0, 4) == b.substr(0, 4) ? 1 : 0;
        shared_suffix += a.substr(2) == b.substr(2) ? 1 : 0;
        for (std::size_t i = 0; i < kCodeLength; ++i) {
            same_position += a[i] == b[i] ? 1 : 0;
        }
    }
    // Random codes share a 4-character prefix once in 23^4 ≈ 280,000 pairs.
    EXPECT_LE(shared_prefix, 5);
    EXPECT_LE(shared_suffix, 5);
    // A counter would keep 5 of 6 characters nearly always; random codes keep 6/23 on average.
    EXPECT_LT(same_position, kPairs);
    // The first ticket does not start at "333333"-like codes.
    EXPECT_NE(make_code(1), std::string(kCodeLength, kCodeAlphabet.front()));
    EXPECT_NE(make_code(1).substr(0, 4), make_code(2).substr(0, 4));
}

TEST(Code, ATypoRarelyLandsOnAnotherTicket) {
    // With the first 20,000 tickets issued, a one-character slip or two swapped neighbours in a code
    // should not name another of them (expected by chance: about 0.35 hits in 2.6 million tries).
    constexpr std::int64_t kIssued = 20'000;
    int hits = 0;
    for (std::int64_t id = 1; id <= kIssued; ++id) {
        const auto code = make_code(id);
        for (std::size_t p = 0; p < kCodeLength; ++p) {
            for (const char c : kCodeAlphabet) {
                if (c == code[p]) {
                    continue;
                }
                auto typo = code;
                typo[p] = c;
                const auto other = code_id(typo);
                hits += other && *other != id && *other <= kIssued ? 1 : 0;
            }
            if (p + 1 < kCodeLength && code[p] != code[p + 1]) {
                auto swapped = code;
                std::swap(swapped[p], swapped[p + 1]);
                const auto other = code_id(swapped);
                hits += other && *other <= kIssued ? 1 : 0;
            }
        }
    }
    EXPECT_LE(hits, 5);
}

TEST(NormalizeCode, AcceptsWhatPeopleType) {
    const auto code = make_code(12345);
    std::string lower = code;
    for (auto& c : lower) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    const std::string spaced = code.substr(0, 3) + " " + code.substr(3);
    const std::string dashed = code.substr(0, 3) + "-" + code.substr(3);
    const std::vector<std::string> inputs = {
        code,
        lower,
        spaced,
        dashed,
        "  " + code + " ",
        code.substr(0, 2) + "_" + code.substr(2),
        "#" + code,
        "#" + lower,
        "工单号：" + code,
        "工单号:" + code,
        "工单号：" + dashed,
        "工单号 " + code,
        "工单" + code,
    };
    for (const auto& in : inputs) {
        EXPECT_EQ(normalize_code(in), code) << in;
        EXPECT_EQ(code_id(in), 12345) << in;
    }
}

TEST(NormalizeCode, AcceptsFullWidthLettersAndDigits) {
    // Ｋ７Ｍ３ＰＸ is K7M3PX typed with a Chinese input method; ｋ７ｍ lower case; － a full-width dash.
    EXPECT_EQ(normalize_code("Ｋ７Ｍ３ＰＸ"), "K7M3PX");
    EXPECT_EQ(normalize_code("ｋ７ｍ３ｐｘ"), "K7M3PX");
    EXPECT_EQ(normalize_code("Ｋ７Ｍ－３ＰＸ"), "K7M3PX");
    EXPECT_EQ(normalize_code("K7M３PX"), "K7M3PX");
    EXPECT_EQ(normalize_code("工单号：Ｋ７Ｍ３ＰＸ"), "K7M3PX");
    EXPECT_EQ(code_id("Ｋ７Ｍ３ＰＸ"), code_id("K7M3PX"));
}

TEST(NormalizeCode, RefusesWhatIsNotACode) {
    // Each case below changes this valid code in one way.
    ASSERT_EQ(normalize_code("K7M3PX"), "K7M3PX");
    const std::vector<std::string> bad = {
        "",
        "K7M3P",     // too short
        "K7M3PXA",   // too long
        "K7M3PX K",  // too long with a space
        "K7M3PO",    // O
        "K7M3PI",    // I
        "K7M3PL",    // L
        "K7M3P0",    // 0
        "K7M3P1",    // 1
        "K7M3P5",    // 5
        "K7M3P8",    // 8
        "K7M3PB",    // B
        "K7M3PZ",    // Z
        "K7M3PS",    // S
        "K7M3PG",    // G
        "电梯坏了",
        "工单号：",
        "工单号：电梯坏了",
        "K7M3P电",
        "K7M3PX。",
        "K7M3PX?",
        "K7M.3PX",
        "##K7M3PX",
        std::string("K7M3P") + '\0',
        "K7M3P\xEF",       // a truncated full-width character
        "K7M3P\xEF\xBC",   // likewise
        "Ｏ７Ｍ３ＰＸ",    // a full-width look-alike is still a look-alike
        "Ｋ７Ｍ３ＰＸＡ",  // too long, full width
    };
    for (const auto& in : bad) {
        EXPECT_EQ(normalize_code(in), std::nullopt) << in;
        EXPECT_EQ(code_id(in), std::nullopt) << in;
    }
}

TEST(CodeId, GarbageAndTheZeroIdAreNullopt) {
    for (const char* garbage : {"", "hello", "123456", "AAAAAAAAAAAA", "工单", "#", "------"}) {
        EXPECT_EQ(code_id(garbage), std::nullopt) << garbage;
    }
    // The code make_code(0) would give stands for no ticket.
    EXPECT_EQ(code_id(make_code(0)), std::nullopt);
    // Every well-formed code stands for a ticket id in range.
    std::mt19937 rng(7);
    std::uniform_int_distribution<std::size_t> pick(0, kCodeAlphabet.size() - 1);
    for (int i = 0; i < 10'000; ++i) {
        std::string code;
        for (std::size_t k = 0; k < kCodeLength; ++k) {
            code.push_back(kCodeAlphabet[pick(rng)]);
        }
        const auto id = code_id(code);
        if (id) {
            EXPECT_GE(*id, 1);
            EXPECT_LE(*id, max_code_id());
            EXPECT_EQ(make_code(*id), code);
        }
    }
}

}  // namespace
}  // namespace anju::tickets
