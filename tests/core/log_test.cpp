#include "bot/core/log.hpp"

#include "bot/core/secret.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace anju::log {
namespace {

const Logger test_log{"test"};

class LogTest : public ::testing::Test {
protected:
    void SetUp() override {
        set_sink([this](std::string_view line) { lines_.emplace_back(line); });
        set_level(Level::info);
    }
    void TearDown() override {
        set_sink({});
        set_level(Level::info);
    }
    std::vector<std::string> lines_;
};

TEST_F(LogTest, WritesOneLogfmtLinePerEvent) {
    ANJU_LOG_INFO(test_log) << "request served" << kv("status", 200) << kv("route", "/healthz");
    ASSERT_EQ(lines_.size(), 1U);
    const auto& line = lines_[0];
    EXPECT_EQ(line.rfind("ts=", 0), 0U);
    EXPECT_NE(line.find(" level=info module=test msg=\"request served\" status=200 route=/healthz"),
              std::string::npos)
        << line;
}

TEST_F(LogTest, SkipsDisabledLevelsWithoutEvaluatingArguments) {
    int evaluated = 0;
    auto expensive = [&] {
        ++evaluated;
        return 1;
    };
    ANJU_LOG_DEBUG(test_log) << "hidden" << kv("x", expensive());
    EXPECT_TRUE(lines_.empty());
    EXPECT_EQ(evaluated, 0);
    set_level(Level::debug);
    ANJU_LOG_DEBUG(test_log) << "shown" << kv("x", expensive());
    EXPECT_EQ(lines_.size(), 1U);
    EXPECT_EQ(evaluated, 1);
}

TEST_F(LogTest, EscapesValuesSoAnEventStaysOnOneLine) {
    ANJU_LOG_WARN(test_log) << "bad input" << kv("text", "电梯坏了\n\"快来\" a=b\x01");
    ASSERT_EQ(lines_.size(), 1U);
    EXPECT_EQ(lines_[0].find('\n'), std::string::npos);
    EXPECT_NE(lines_[0].find(R"(text="电梯坏了\n\"快来\" a=b\x01")"), std::string::npos) << lines_[0];
}

TEST_F(LogTest, NeverPrintsSecrets) {
    const Secret secret{"s3cr3t-app-secret"};
    ANJU_LOG_ERROR(test_log) << "token refresh failed " << secret << kv("secret", secret);
    ASSERT_EQ(lines_.size(), 1U);
    EXPECT_EQ(lines_[0].find("s3cr3t"), std::string::npos) << lines_[0];
    EXPECT_NE(lines_[0].find("secret=<redacted>"), std::string::npos) << lines_[0];
}

TEST(LogLevel, ParsesAndPrintsEveryLevel) {
    for (const auto level :
         {Level::trace, Level::debug, Level::info, Level::warn, Level::error, Level::off}) {
        EXPECT_EQ(parse_level(to_string(level)), level);
    }
    EXPECT_FALSE(parse_level("verbose").has_value());
    EXPECT_FALSE(parse_level("INFO").has_value());
}

}  // namespace
}  // namespace anju::log
