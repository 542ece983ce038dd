#include "bot/runtime/cli.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace anju::runtime {
namespace {

boost::system::result<CliCommand, CliError> parse(std::vector<std::string_view> args) {
    return parse_command_line(args);
}

TEST(CommandLine, ParsesServeWithEverySpellingOfTheConfigOption) {
    auto c = parse({"serve"});
    ASSERT_TRUE(c);
    EXPECT_EQ(c->kind, CliCommand::Kind::serve);
    EXPECT_EQ(c->config_path, "config/anju.json");
    for (const auto& args : std::vector<std::vector<std::string_view>>{
             {"serve", "--config", "a.json"}, {"serve", "--config=a.json"}, {"serve", "-c", "a.json"}}) {
        c = parse(args);
        ASSERT_TRUE(c);
        EXPECT_EQ(c->config_path, "a.json");
    }
}

TEST(CommandLine, ParsesCheckConfigVersionAndHelp) {
    auto c = parse({"check-config", "--config", "x.json"});
    ASSERT_TRUE(c);
    EXPECT_EQ(c->kind, CliCommand::Kind::check_config);
    EXPECT_EQ(c->config_path, "x.json");
    EXPECT_EQ(parse({"--version"})->kind, CliCommand::Kind::version);
    EXPECT_EQ(parse({"-V"})->kind, CliCommand::Kind::version);
    EXPECT_EQ(parse({"--help"})->kind, CliCommand::Kind::help);
    EXPECT_EQ(parse({"serve", "--help"})->kind, CliCommand::Kind::help);
}

TEST(CommandLine, ExplainsUsageMistakesInOneLine) {
    const std::vector<std::pair<std::vector<std::string_view>, std::string>> cases = {
        {{}, "no command given"},
        {{"--frobnicate"}, "unknown option '--frobnicate'"},
        {{"launch"}, "unknown command 'launch'"},
        {{"serve", "--port", "80"}, "unknown option '--port'"},
        {{"serve", "--config"}, "option '--config' needs a file name"},
        {{"serve", "--config="}, "option '--config' needs a file name"},
        {{"serve", "extra"}, "unexpected argument 'extra'"},
    };
    for (const auto& [args, message] : cases) {
        auto c = parse(args);
        ASSERT_FALSE(c);
        EXPECT_EQ(c.error().message, message);
        EXPECT_EQ(c.error().message.find('\n'), std::string::npos);
    }
}

TEST(CommandLine, ParsesReportWithItsOptions) {
    auto c = parse({"report"});
    ASSERT_TRUE(c);
    EXPECT_EQ(c->kind, CliCommand::Kind::report);
    EXPECT_EQ(c->month, "") << "last month, decided when it runs";
    EXPECT_EQ(c->format, "json");
    EXPECT_EQ(c->out_path, "");
    EXPECT_EQ(c->community, "");
    EXPECT_EQ(c->config_path, "config/anju.json");
    c = parse({"report", "--month", "2026-11", "--format", "html", "--out", "r.html", "--community", "sunny",
               "--config", "a.json"});
    ASSERT_TRUE(c);
    EXPECT_EQ(c->month, "2026-11");
    EXPECT_EQ(c->format, "html");
    EXPECT_EQ(c->out_path, "r.html");
    EXPECT_EQ(c->community, "sunny");
    EXPECT_EQ(c->config_path, "a.json");
    c = parse(
        {"report", "--month=2026-02", "--format=csv", "--out=x.csv", "--community=moon", "-c", "b.json"});
    ASSERT_TRUE(c);
    EXPECT_EQ(c->month, "2026-02");
    EXPECT_EQ(c->format, "csv");
    EXPECT_EQ(c->out_path, "x.csv");
    EXPECT_EQ(c->community, "moon");
    EXPECT_EQ(c->config_path, "b.json");
    EXPECT_EQ(parse({"report", "--help"})->kind, CliCommand::Kind::help);
}

TEST(CommandLine, ExplainsReportMistakesInOneLine) {
    const std::vector<std::pair<std::vector<std::string_view>, std::string>> cases = {
        {{"report", "--month", "2026-13"},
         "option '--month' must be a month as YYYY-MM, e.g. 2026-11 (got '2026-13')"},
        {{"report", "--month=11/2026"},
         "option '--month' must be a month as YYYY-MM, e.g. 2026-11 (got '11/2026')"},
        {{"report", "--month"}, "option '--month' needs a month (YYYY-MM)"},
        {{"report", "--format", "pdf"}, "option '--format' must be json, csv or html (got 'pdf')"},
        {{"report", "--format="}, "option '--format' needs a format (json, csv or html)"},
        {{"report", "--out"}, "option '--out' needs a file name"},
        {{"report", "--community"}, "option '--community' needs a community id"},
        {{"report", "--since", "2026-01"}, "unknown option '--since'"},
        {{"report", "2026-11"}, "unexpected argument '2026-11'"},
        // The report's options belong to it alone.
        {{"serve", "--month", "2026-11"}, "unknown option '--month'"},
    };
    for (const auto& [args, message] : cases) {
        auto c = parse(args);
        ASSERT_FALSE(c) << message;
        EXPECT_EQ(c.error().message, message);
    }
}

TEST(CommandLine, UsageNamesEveryCommand) {
    const auto text = usage();
    for (const char* word : {"serve", "check-config", "--version", "--help", "ANJU_ADMIN_TOKEN", "report",
                             "--month", "--format"}) {
        EXPECT_NE(text.find(word), std::string::npos) << word;
    }
}

}  // namespace
}  // namespace anju::runtime
