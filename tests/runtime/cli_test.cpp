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

TEST(CommandLine, UsageNamesEveryCommand) {
    const auto text = usage();
    for (const char* word : {"serve", "check-config", "--version", "--help", "ANJU_ADMIN_TOKEN"}) {
        EXPECT_NE(text.find(word), std::string::npos) << word;
    }
}

}  // namespace
}  // namespace anju::runtime
