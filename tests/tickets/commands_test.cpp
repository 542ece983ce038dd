// Staff command parsing (bot/tickets/commands.hpp): every verb and synonym, the separators people
// use between verb and code (space, full-width space, colon, nothing), leading @mentions, code and
// text glued together, transfer targets, 登记 with its fields, unknown and empty input, very long
// input, and the help text.
#include "bot/tickets/commands.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace anju::tickets {
namespace {

using Verb = StaffCommand::Verb;

const char* name(Verb v) {
    switch (v) {
        case Verb::claim:
            return "claim";
        case Verb::arrive:
            return "arrive";
        case Verb::plan:
            return "plan";
        case Verb::progress:
            return "progress";
        case Verb::resolve:
            return "resolve";
        case Verb::transfer:
            return "transfer";
        case Verb::escalate:
            return "escalate";
        case Verb::rectify:
            return "rectify";
        case Verb::announce:
            return "announce";
        case Verb::query:
            return "query";
        case Verb::mine:
            return "mine";
        case Verb::todo:
            return "todo";
        case Verb::enroll:
            return "enroll";
        case Verb::help:
            return "help";
        case Verb::unknown:
            break;
    }
    return "unknown";
}

struct Row {
    std::string input;
    Verb verb;
    std::string code;
    std::string arg;
};

void check(const Row& r) {
    const auto cmd = parse_staff_command(r.input);
    EXPECT_EQ(name(cmd.verb), std::string(name(r.verb))) << "[" << r.input << "]";
    EXPECT_EQ(cmd.code, r.code) << "[" << r.input << "]";
    EXPECT_EQ(cmd.arg, r.arg) << "[" << r.input << "]";
}

TEST(ParseStaffCommand, EveryVerbAndSynonym) {
    const std::vector<Row> rows = {
        {"接单 K7M3QX", Verb::claim, "K7M3QX", ""},
        {"抢单 K7M3QX", Verb::claim, "K7M3QX", ""},
        {"到场 K7M3QX", Verb::arrive, "K7M3QX", ""},
        {"已到场 K7M3QX", Verb::arrive, "K7M3QX", ""},
        {"方案 K7M3QX 明天上午更换配件", Verb::plan, "K7M3QX", "明天上午更换配件"},
        {"进展 K7M3QX 配件已到", Verb::progress, "K7M3QX", "配件已到"},
        {"进度 K7M3QX 配件已到", Verb::progress, "K7M3QX", "配件已到"},
        {"完成 K7M3QX 已更换灯泡", Verb::resolve, "K7M3QX", "已更换灯泡"},
        {"已完成 K7M3QX 已更换灯泡", Verb::resolve, "K7M3QX", "已更换灯泡"},
        {"转派 K7M3QX 李师傅", Verb::transfer, "K7M3QX", "李师傅"},
        {"转交 K7M3QX 李师傅", Verb::transfer, "K7M3QX", "李师傅"},
        {"升级 K7M3QX 超时无人处理", Verb::escalate, "K7M3QX", "超时无人处理"},
        {"整改 K7M3QX 已安排夜班值守", Verb::rectify, "K7M3QX", "已安排夜班值守"},
        {"公告 K7M3QX 本周内更换3号楼电梯主板", Verb::announce, "K7M3QX", "本周内更换3号楼电梯主板"},
        {"查询 K7M3QX", Verb::query, "K7M3QX", ""},
        {"查看 K7M3QX", Verb::query, "K7M3QX", ""},
        {"我的", Verb::mine, "", ""},
        {"待办", Verb::todo, "", ""},
        {"待接单", Verb::todo, "", ""},
        {"帮助", Verb::help, "", ""},
        {"help", Verb::help, "", ""},
    };
    for (const auto& r : rows) {
        check(r);
    }
}

TEST(ParseStaffCommand, SeparatorsBetweenVerbCodeAndText) {
    const std::vector<Row> rows = {
        {"接单K7M3QX", Verb::claim, "K7M3QX", ""},
        {"接单  K7M3QX  ", Verb::claim, "K7M3QX", ""},
        {"接单\xE3\x80\x80K7M3QX", Verb::claim, "K7M3QX", ""},  // full-width space
        {"接单\xC2\xA0K7M3QX", Verb::claim, "K7M3QX", ""},      // no-break space
        {"接单\tK7M3QX\n", Verb::claim, "K7M3QX", ""},
        {"接单:K7M3QX", Verb::claim, "K7M3QX", ""},
        {"接单：K7M3QX", Verb::claim, "K7M3QX", ""},
        {"接单： K7M3QX", Verb::claim, "K7M3QX", ""},
        {"接单，K7M3QX", Verb::claim, "K7M3QX", ""},
        {"方案：K7M3QX：明天上午更换配件", Verb::plan, "K7M3QX", "明天上午更换配件"},
        {"方案 K7M3QX，明天上午更换配件", Verb::plan, "K7M3QX", "明天上午更换配件"},
        {"方案 K7M3QX：明天上午 更换配件", Verb::plan, "K7M3QX", "明天上午 更换配件"},
        {"方案\xE3\x80\x80K7M3QX\xE3\x80\x80明天上午更换配件\xE3\x80\x80", Verb::plan, "K7M3QX",
         "明天上午更换配件"},
        {"  进展 K7M3QX 师傅在路上  ", Verb::progress, "K7M3QX", "师傅在路上"},
        // The code as written; normalize_code() makes it canonical.
        {"接单 k7m3qx", Verb::claim, "k7m3qx", ""},
        {"接单 K7M-3QX", Verb::claim, "K7M-3QX", ""},
        {"接单 Ｋ７Ｍ３ＱＸ", Verb::claim, "Ｋ７Ｍ３ＱＸ", ""},
        // No code.
        {"接单", Verb::claim, "", ""},
        {"接单   ", Verb::claim, "", ""},
    };
    for (const auto& r : rows) {
        check(r);
    }
}

TEST(ParseStaffCommand, GluedCodeAndText) {
    const std::vector<Row> rows = {
        {"完成K7M3QX已更换灯泡", Verb::resolve, "K7M3QX", "已更换灯泡"},
        {"完成 K7M3QX已更换灯泡", Verb::resolve, "K7M3QX", "已更换灯泡"},
        {"完成K7M3QX：已更换灯泡", Verb::resolve, "K7M3QX", "已更换灯泡"},
        {"完成K7M3QX，已更换 灯泡", Verb::resolve, "K7M3QX", "已更换 灯泡"},
        {"进展k7m3qx配件已到", Verb::progress, "k7m3qx", "配件已到"},
        {"转派K7M3QX李师傅", Verb::transfer, "K7M3QX", "李师傅"},
    };
    for (const auto& r : rows) {
        check(r);
    }
}

TEST(ParseStaffCommand, LeadingMentionsAreDropped) {
    const std::vector<Row> rows = {
        {"@安居助手 接单 K7M3QX", Verb::claim, "K7M3QX", ""},
        {"@安居助手  接单K7M3QX", Verb::claim, "K7M3QX", ""},
        {"@安居助手 @张工 接单 K7M3QX", Verb::claim, "K7M3QX", ""},
        {"＠安居助手 接单 K7M3QX", Verb::claim, "K7M3QX", ""},
        {"@安居助手\xE3\x80\x80完成K7M3QX已更换灯泡", Verb::resolve, "K7M3QX", "已更换灯泡"},
        {"  @安居助手 我的", Verb::mine, "", ""},
        {"@安居助手", Verb::unknown, "", ""},
    };
    for (const auto& r : rows) {
        check(r);
    }
    const auto cmd = parse_staff_command("@安居助手 @张工 方案 K7M3QX 明天上午");
    EXPECT_EQ(cmd.text, "方案 K7M3QX 明天上午");
}

TEST(ParseStaffCommand, TransferTargets) {
    const std::vector<Row> rows = {
        {"转派 K7M3QX @李师傅", Verb::transfer, "K7M3QX", "李师傅"},
        {"转派 K7M3QX ＠李师傅", Verb::transfer, "K7M3QX", "李师傅"},
        {"转派 K7M3QX lishifu", Verb::transfer, "K7M3QX", "lishifu"},
        {"转交：K7M3QX：@lishifu", Verb::transfer, "K7M3QX", "lishifu"},
        {"转派 K7M3QX", Verb::transfer, "K7M3QX", ""},
        // Only a transfer drops the @ of its argument.
        {"进展 K7M3QX @李师傅 已到", Verb::progress, "K7M3QX", "@李师傅 已到"},
    };
    for (const auto& r : rows) {
        check(r);
    }
}

TEST(ParseStaffCommand, EnrollTakesRoomNamePhoneAndText) {
    auto cmd = parse_staff_command("登记 3-2-501 王先生 13800138000 楼道灯不亮 已经三天了");
    EXPECT_EQ(cmd.verb, Verb::enroll);
    EXPECT_EQ(cmd.room, "3-2-501");
    EXPECT_EQ(cmd.name, "王先生");
    EXPECT_EQ(cmd.phone, "13800138000");
    EXPECT_EQ(cmd.arg, "楼道灯不亮 已经三天了");
    EXPECT_EQ(cmd.code, "");
    EXPECT_EQ(cmd.text, "登记 3-2-501 王先生 13800138000 楼道灯不亮 已经三天了");

    cmd = parse_staff_command(
        "@安居助手 登记：3栋2单元501\xE3\x80\x80王先生\xE3\x80\x80"
        "13800138000\xE3\x80\x80电梯异响");
    EXPECT_EQ(cmd.verb, Verb::enroll);
    EXPECT_EQ(cmd.room, "3栋2单元501");
    EXPECT_EQ(cmd.name, "王先生");
    EXPECT_EQ(cmd.phone, "13800138000");
    EXPECT_EQ(cmd.arg, "电梯异响");

    // Missing parts stay empty for the service to ask about.
    cmd = parse_staff_command("登记 3-2-501 王先生");
    EXPECT_EQ(cmd.verb, Verb::enroll);
    EXPECT_EQ(cmd.room, "3-2-501");
    EXPECT_EQ(cmd.name, "王先生");
    EXPECT_EQ(cmd.phone, "");
    EXPECT_EQ(cmd.arg, "");
    cmd = parse_staff_command("登记");
    EXPECT_EQ(cmd.verb, Verb::enroll);
    EXPECT_EQ(cmd.room, "");
}

TEST(ParseStaffCommand, TextKeepsTheWholeMessage) {
    const auto cmd = parse_staff_command("  进展 K7M3QX 配件已到  ");
    EXPECT_EQ(cmd.text, "进展 K7M3QX 配件已到");
    EXPECT_EQ(parse_staff_command("待办 工程部").arg, "工程部");
}

TEST(ParseStaffCommand, UnknownEmptyAndLongInput) {
    for (const std::string text : {"", "   ", "\xE3\x80\x80", "你好", "电梯坏了", "K7M3QX", "请接单 K7M3QX",
                                   "接 单 K7M3QX", "12345", "@"}) {
        const auto cmd = parse_staff_command(text);
        EXPECT_EQ(cmd.verb, Verb::unknown) << "[" << text << "]";
        EXPECT_EQ(cmd.code, "") << "[" << text << "]";
    }
    EXPECT_EQ(parse_staff_command("你好").text, "你好");
    EXPECT_EQ(parse_staff_command("").text, "");

    std::string long_text = "进展 K7M3QX ";
    for (int i = 0; i < 20'000; ++i) {
        long_text += "很长的说明";
    }
    const auto cmd = parse_staff_command(long_text);
    EXPECT_EQ(cmd.verb, Verb::progress);
    EXPECT_EQ(cmd.code, "K7M3QX");
    EXPECT_EQ(cmd.arg.size(), 20'000U * std::string("很长的说明").size());

    std::string blanks(100'000, ' ');
    EXPECT_EQ(parse_staff_command(blanks + "接单 K7M3QX" + blanks).code, "K7M3QX");
    std::string mentions;
    for (int i = 0; i < 1'000; ++i) {
        mentions += "@某人 ";
    }
    EXPECT_EQ(parse_staff_command(mentions + "接单 K7M3QX").verb, Verb::claim);
    const std::string garbage(50'000, '\xFF');
    EXPECT_EQ(parse_staff_command(garbage).verb, Verb::unknown);
}

TEST(StaffHelp, ListsEveryCommand) {
    const auto help = staff_help();
    EXPECT_FALSE(help.empty());
    for (const auto verb :
         {Verb::claim, Verb::arrive, Verb::plan, Verb::progress, Verb::resolve, Verb::transfer,
          Verb::escalate, Verb::rectify, Verb::announce, Verb::query, Verb::mine, Verb::todo, Verb::enroll}) {
        const auto word = verb_word(verb);
        ASSERT_FALSE(word.empty()) << name(verb);
        EXPECT_NE(help.find(std::string(word)), std::string::npos) << word;
        // What the help shows is what the parser takes.
        EXPECT_EQ(parse_staff_command(std::string(word) + " K7M3QX").verb, verb) << word;
    }
    EXPECT_EQ(verb_word(Verb::unknown), "");
    EXPECT_EQ(verb_word(Verb::help), "帮助");
}

}  // namespace
}  // namespace anju::tickets

namespace anju::tickets {
namespace {

TEST(StaffCommandExtra, MineAndTodoStandAlone) {
    EXPECT_EQ(parse_staff_command("我的").verb, StaffCommand::Verb::mine);
    EXPECT_EQ(parse_staff_command("待办 ").verb, StaffCommand::Verb::todo);
    EXPECT_EQ(parse_staff_command("我的电梯坏了").verb, StaffCommand::Verb::unknown);
    EXPECT_EQ(parse_staff_command("待办事项太多了").verb, StaffCommand::Verb::unknown);
    EXPECT_EQ(parse_staff_command("待办 工程部").verb, StaffCommand::Verb::todo);
}

TEST(StaffCommandExtra, AFourPerEmSpaceEndsAMention) {
    const auto cmd = parse_staff_command("@安居助手\u2005接单 K7M3PX");
    EXPECT_EQ(cmd.verb, StaffCommand::Verb::claim);
    EXPECT_EQ(cmd.code, "K7M3PX");
}

TEST(StaffCommandExtra, HelpListsItself) { EXPECT_NE(staff_help().find("帮助"), std::string::npos); }

}  // namespace
}  // namespace anju::tickets
