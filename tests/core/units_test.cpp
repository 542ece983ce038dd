#include "bot/core/units.hpp"

#include <gtest/gtest.h>

namespace anju {
namespace {

using std::chrono::milliseconds;

TEST(ParseDuration, AcceptsEveryUnit) {
    EXPECT_EQ(parse_duration("250ms"), (Duration{milliseconds{250}, 0}));
    EXPECT_EQ(parse_duration("4s"), (Duration{milliseconds{4000}, 0}));
    EXPECT_EQ(parse_duration("15m"), (Duration{milliseconds{900'000}, 0}));
    EXPECT_EQ(parse_duration("24h"), (Duration{milliseconds{86'400'000}, 0}));
    EXPECT_EQ(parse_duration("3d"), (Duration{milliseconds{3 * 86'400'000}, 0}));
    EXPECT_EQ(parse_duration("2wd"), (Duration{milliseconds{0}, 2}));
    EXPECT_EQ(parse_duration("0s"), (Duration{milliseconds{0}, 0}));
}

TEST(ParseDuration, RejectsMalformedText) {
    for (const char* bad : {"", "15", "m", "-5s", "1.5s", "5 s", " 5s", "5S", "5min", "5sec", "2w",
                            "9999999999999999999h", "5s5", "4000wd"}) {
        EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
    }
}

TEST(FormatDuration, UsesTheLargestWholeUnit) {
    EXPECT_EQ(format_duration(*parse_duration("90s")), "90s");
    EXPECT_EQ(format_duration(*parse_duration("120s")), "2m");
    EXPECT_EQ(format_duration(*parse_duration("1500ms")), "1500ms");
    EXPECT_EQ(format_duration(*parse_duration("48h")), "2d");
    EXPECT_EQ(format_duration(*parse_duration("2wd")), "2wd");
    EXPECT_EQ(format_duration(*parse_duration("0ms")), "0ms");
}

TEST(ParseSize, AcceptsBinaryUnits) {
    EXPECT_EQ(parse_size("512"), 512U);
    EXPECT_EQ(parse_size("512B"), 512U);
    EXPECT_EQ(parse_size("16KiB"), 16U * 1024);
    EXPECT_EQ(parse_size("1MiB"), 1024U * 1024);
    EXPECT_EQ(parse_size("1MB"), 1024U * 1024);
    EXPECT_EQ(parse_size("2GiB"), 2ULL * 1024 * 1024 * 1024);
}

TEST(ParseSize, RejectsMalformedTextAndOverflow) {
    for (const char* bad : {"", "KiB", "-1", "1.5MiB", "1 MiB", "1mib", "1TiB", "99999999999999999999GiB"}) {
        EXPECT_FALSE(parse_size(bad).has_value()) << bad;
    }
}

}  // namespace
}  // namespace anju
