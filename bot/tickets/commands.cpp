#include "bot/tickets/commands.hpp"

#include <array>
#include <cctype>
#include <utility>
#include <vector>

namespace anju::tickets {
namespace {

using Verb = StaffCommand::Verb;

constexpr std::array<std::pair<std::string_view, Verb>, 22> kVerbs = {{
    {"接单", Verb::claim},     {"抢单", Verb::claim},    {"到场", Verb::arrive},   {"已到场", Verb::arrive},
    {"方案", Verb::plan},      {"进展", Verb::progress}, {"进度", Verb::progress}, {"完成", Verb::resolve},
    {"已完成", Verb::resolve}, {"转派", Verb::transfer}, {"转交", Verb::transfer}, {"升级", Verb::escalate},
    {"查询", Verb::query},     {"查看", Verb::query},    {"我的", Verb::mine},     {"待办", Verb::todo},
    {"待接单", Verb::todo},    {"登记", Verb::enroll},   {"帮助", Verb::help},     {"help", Verb::help},
    {"整改", Verb::rectify},   {"公告", Verb::announce},
}};

// Whitespace: ASCII blanks, the ideographic space (U+3000) and NBSP (U+00A0).
std::size_t blank_at(std::string_view s, std::size_t i) {
    if (i >= s.size()) {
        return 0;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        return 1;
    }
    if (s.substr(i, 3) == "\xE3\x80\x80") {
        return 3;
    }
    if (s.substr(i, 2) == "\xC2\xA0") {
        return 2;
    }
    if (s.substr(i, 3) == "\xE2\x80\x85") {  // four-per-em space, which WeChat puts after an @name
        return 3;
    }
    return 0;
}

std::string_view trim(std::string_view s) {
    std::size_t b = 0;
    while (std::size_t n = blank_at(s, b)) {
        b += n;
    }
    s.remove_prefix(b);
    while (!s.empty()) {
        std::size_t last = s.size() - 1;
        while (last > 0 && (static_cast<unsigned char>(s[last]) & 0xC0) == 0x80) {
            --last;
        }
        if (blank_at(s, last) == s.size() - last) {
            s.remove_suffix(s.size() - last);
        } else {
            break;
        }
    }
    return s;
}

// The next blank-separated token (also split at ':' / '：' right after the verb).
std::string_view next_token(std::string_view& s) {
    s = trim(s);
    std::size_t i = 0;
    while (i < s.size() && blank_at(s, i) == 0) {
        ++i;
    }
    const auto token = s.substr(0, i);
    s.remove_prefix(i);
    s = trim(s);
    return token;
}

std::string_view strip_separator(std::string_view s) {
    s = trim(s);
    for (const std::string_view sep : {":", "：", ",", "，"}) {
        if (s.starts_with(sep)) {
            s.remove_prefix(sep.size());
            break;
        }
    }
    return trim(s);
}

}  // namespace

std::string_view verb_word(Verb verb) {
    for (const auto& [word, v] : kVerbs) {
        if (v == verb) {
            return word;
        }
    }
    return "";
}

StaffCommand parse_staff_command(std::string_view text) {
    StaffCommand cmd;
    auto rest = trim(text);
    // "@安居助手 接单 K7M3PX": drop leading mentions.
    while (rest.starts_with("@") || rest.starts_with("＠")) {
        next_token(rest);
    }
    cmd.text = std::string(rest);
    // The longest verb the message starts with ("待接单" rather than nothing, "已完成" rather than "完成").
    std::string_view word;
    for (const auto& [w, v] : kVerbs) {
        if (rest.starts_with(w) && w.size() > word.size()) {
            word = w;
            cmd.verb = v;
        }
    }
    if (cmd.verb == Verb::unknown) {
        return cmd;
    }
    rest.remove_prefix(word.size());
    // "我的" / "待办" are commands alone or followed by a space; "我的电梯坏了" is not one.
    const bool glued =
        !rest.empty() && blank_at(rest, 0) == 0 && !rest.starts_with(":") && !rest.starts_with("：");
    rest = strip_separator(rest);
    switch (cmd.verb) {
        case Verb::mine:
        case Verb::todo:
            if (glued) {
                cmd.verb = Verb::unknown;
            }
            cmd.arg = std::string(rest);
            break;
        case Verb::help:
        case Verb::unknown:
            cmd.arg = std::string(rest);
            break;
        case Verb::enroll: {
            cmd.room = std::string(next_token(rest));
            cmd.name = std::string(next_token(rest));
            cmd.phone = std::string(next_token(rest));
            cmd.arg = std::string(rest);
            break;
        }
        default: {
            // The code: the first token; codes are 6 characters, but people may glue the text on
            // ("完成K7M3PX已更换灯泡"): take the first 6 ASCII letters/digits when the token is longer
            // and starts with ASCII.
            auto token = next_token(rest);
            std::size_t ascii = 0;
            while (ascii < token.size() && static_cast<unsigned char>(token[ascii]) < 0x80 &&
                   std::isalnum(static_cast<unsigned char>(token[ascii])) != 0) {
                ++ascii;
            }
            if (ascii == 6 && token.size() > 6) {
                cmd.code = std::string(token.substr(0, 6));
                cmd.arg =
                    std::string(strip_separator(std::string(token.substr(6)) + " " + std::string(rest)));
                cmd.arg = std::string(trim(cmd.arg));
            } else {
                cmd.code = std::string(token);
                cmd.arg = std::string(strip_separator(rest));
            }
            if (cmd.verb == Verb::transfer && cmd.arg.starts_with("@")) {
                cmd.arg.erase(0, 1);
            } else if (cmd.verb == Verb::transfer && cmd.arg.starts_with("＠")) {
                cmd.arg.erase(0, std::string_view("＠").size());
            }
            break;
        }
    }
    return cmd;
}

std::string staff_help() {
    return "可用指令（工单号可在卡片上找到）：\n"
           "接单 工单号 — 认领工单\n"
           "到场 工单号 — 已到现场\n"
           "方案 工单号 内容 — 提交处理方案\n"
           "进展 工单号 内容 — 更新进展\n"
           "完成 工单号 说明 — 处理完成，请业主确认\n"
           "转派 工单号 姓名 — 转给同事处理\n"
           "升级 工单号 原因 — 升级给主管\n"
           "整改 工单号 措施 — 回复整改单\n"
           "公告 工单号 内容 — 向业主群发布整改公告（主管、经理、品质）\n"
           "查询 工单号 — 查看工单详情\n"
           "我的 — 我处理中的工单\n"
           "待办 — 本部门待接单的工单\n"
           "登记 房号 姓名 电话 内容 — 替业主登记来访/来电投诉\n"
           "帮助 — 显示本说明";
}

}  // namespace anju::tickets
