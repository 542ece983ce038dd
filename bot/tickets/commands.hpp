// The short Chinese commands staff write in the work group (@bot) or to the app one-to-one:
// 接单 / 到场 / 方案 / 进展 / 完成 / 转派 / 升级 / 整改 / 公告 / 查询 <code> …, 我的, 待办, 登记, 帮助. Pure
// parsing; what a command does is the ticket service's business.
#pragma once

#include <string>
#include <string_view>

namespace anju::tickets {

struct StaffCommand {
    enum class Verb {
        claim,
        arrive,
        plan,
        progress,
        resolve,
        transfer,
        escalate,
        rectify,   // 整改 <code> <measures>: the department's answer to a rectification order
        announce,  // 公告 <code> <text>: a rectification announcement to the owner groups (业主群)
        query,
        mine,
        todo,
        enroll,
        help,
        unknown
    };
    Verb verb = Verb::unknown;
    std::string code;  // as written (normalise with normalize_code); empty if none was given
    std::string arg;   // the rest: plan/progress/resolution text, transfer target, escalation reason
    // 登记 <room> <name> <phone> <text>
    std::string room;
    std::string name;
    std::string phone;
    std::string text;  // the whole message, trimmed, mention removed
};

// Reads a staff message. Leading @mentions are removed; the verb may be followed by a space, a
// full-width space, a colon or nothing ("接单K7M3PX"). Anything that starts with no known verb is
// Verb::unknown (answered with the help text).
StaffCommand parse_staff_command(std::string_view text);

std::string_view verb_word(StaffCommand::Verb verb);

// The help text listing every command.
std::string staff_help();

}  // namespace anju::tickets
