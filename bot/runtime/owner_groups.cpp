#include "bot/runtime/owner_groups.hpp"

#include <algorithm>
#include <iterator>
#include <regex>

namespace anju::runtime {
namespace {

// std::regex matches bytes: the Chinese literals below are matched as their UTF-8 sequences, and
// digits are ASCII only, so no pattern can split a multi-byte character.
const std::regex& phone_pattern() {
    static const std::regex re(R"((\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}|0\d{2,3}-?\d{7,8}|\d{7,})");
    return re;
}

// Every repetition is bounded: libstdc++'s std::regex backtracks, and an unbounded `\d+` made a
// 4000-digit message take seconds (quadratic in the run's length) on the thread redacting it.
const std::regex& room_pattern() {
    static const std::regex re(
        R"((\d{1,4} {0,2}(栋|幢|座|号楼) {0,2})?\d{1,3} {0,2}单元 {0,2}\d{2,5} {0,2}(室|号|房)?)"
        R"(|\d{1,4} {0,2}(栋|幢|座|号楼) {0,2}\d{3,5} {0,2}(室|号|房)?)"
        R"(|\d{1,3}-\d{1,2}-\d{3,5})"
        R"(|\d{3,5} {0,2}(室|房))");
    return re;
}

// Room numbers keep their shape with every digit an X ("3栋2单元501" → "X栋X单元XXX"): nothing of
// the resident's room is left, and the dialog's own examples ("如“3栋2单元501”") still read as such.
std::string mask_rooms(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    auto last = text.cbegin();
    for (std::sregex_iterator it(text.cbegin(), text.cend(), room_pattern()), end; it != end; ++it) {
        const auto& match = (*it)[0];
        out.append(last, match.first);
        for (auto c = match.first; c != match.second; ++c) {
            out.push_back(*c >= '0' && *c <= '9' ? 'X' : *c);
        }
        last = match.second;
    }
    out.append(last, text.cend());
    return out;
}

// A surname with a title ("李先生", "王女士") and a name after "我叫"/"我姓": residents sign their
// reports this way, and the dialog's restatement repeats what they wrote. A CJK character is a
// 3-byte UTF-8 sequence led by 0xE4–0xE9. "师傅" and "老师" are left alone: the bot's own sentences
// use them for staff.
const std::regex& name_pattern() {
    static const std::regex re(
        "[\xE4-\xE9][\x80-\xBF][\x80-\xBF](先生|女士|小姐|太太|阿姨)"
        "|(我叫|我姓)([\xE4-\xE9][\x80-\xBF][\x80-\xBF]){1,3}");
    return re;
}

// Labels residents and the bot put before a personal detail. A longer label comes before a shorter
// one it starts with, so "电话号码：" is read as one label.
constexpr std::string_view kPersonalLabels[] = {"房间号",   "房号",     "门牌号", "门牌", "电话号码",
                                                "电话",     "手机号码", "手机号", "手机", "联系人",
                                                "联系方式", "姓名",     "业主",   "称呼"};
// What ends the value after a label.
constexpr std::string_view kValueEnds[] = {"，", "。", "；", "！", "？", "、", "）",
                                           ",",  ";",  "!",  "?",  ")",  "\n"};

std::size_t skip_spaces(std::string_view text, std::size_t p) {
    while (p < text.size() && text[p] == ' ') {
        ++p;
    }
    return p;
}

// Where the value after a label ending at `p` starts, or npos when the label introduces none
// ("请告诉我您的房号（如…）", "回复“换房号”", "打电话确认", "业主是否满意").
std::size_t value_after_label(std::string_view text, std::size_t p) {
    p = skip_spaces(text, p);
    const auto rest = text.substr(p);
    if (rest.starts_with(":")) {
        return skip_spaces(text, p + 1);
    }
    const bool copula = rest.starts_with("是") && !rest.starts_with("是否");
    if (rest.starts_with("：") || rest.starts_with("为") || copula) {
        return skip_spaces(text, p + std::string_view("：").size());  // each is one 3-byte character
    }
    if (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') {
        return p;
    }
    return std::string_view::npos;
}

// "房号：3栋2单元501" → "房号：***", "联系人是王小明，…" → "联系人是***，…": the value after a label, up to
// the end of its clause. The label stays, so a sentence like "已记下您的房号：***。" still reads.
// UTF-8 is self-synchronising, so comparing at every byte never matches inside a character.
std::string mask_labelled(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t value = std::string_view::npos;
        std::size_t label_end = i;
        for (const auto label : kPersonalLabels) {
            if (text.substr(i).starts_with(label)) {
                label_end = i + label.size();
                value = value_after_label(text, label_end);
                break;
            }
        }
        if (value == std::string_view::npos) {
            out.append(text.substr(i, label_end > i ? label_end - i : 1));
            i = label_end > i ? label_end : i + 1;
            continue;
        }
        const auto ends_value = [text](std::size_t at) {
            return std::any_of(std::begin(kValueEnds), std::end(kValueEnds),
                               [&](std::string_view e) { return text.substr(at).starts_with(e); });
        };
        auto end = value;
        while (end < text.size() && !ends_value(end)) {
            ++end;
        }
        out.append(text.substr(i, value - i));
        if (end > value) {
            out += "***";
        }
        i = end;
    }
    return out;
}

}  // namespace

bool is_group_channel(std::string_view channel) {
    return channel == kBridgeChannel || channel == kWeComOwnerChannel;
}

std::string group_conversation(const store::GroupRef& ref) {
    return ref.channel + "/" + ref.account + "/" + ref.chat + ":" + ref.member;
}

std::optional<store::GroupRef> group_of_conversation(std::string_view conversation) {
    const auto a = conversation.find('/');
    if (a == std::string_view::npos) {
        return std::nullopt;
    }
    const auto channel = conversation.substr(0, a);
    if (!is_group_channel(channel)) {
        return std::nullopt;
    }
    const auto b = conversation.find('/', a + 1);
    if (b == std::string_view::npos) {
        return std::nullopt;
    }
    const auto rest = conversation.substr(b + 1);
    const auto colon = rest.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == rest.size()) {
        return std::nullopt;
    }
    return store::GroupRef{std::string(channel), std::string(conversation.substr(a + 1, b - a - 1)),
                           std::string(rest.substr(0, colon)), std::string(rest.substr(colon + 1))};
}

std::string redact_for_group(std::string_view text) {
    // Labelled values first ("电话：138…" keeps its label), then phone numbers, whose long digit runs
    // are gone before the room pattern looks for digits, then rooms and names.
    auto out = mask_labelled(text);
    out = std::regex_replace(out, phone_pattern(), "***");
    out = mask_rooms(out);
    return std::regex_replace(out, name_pattern(), "$2***");
}

std::optional<std::string> ticket_code_in(std::string_view text) {
    for (const std::string_view marker : {"工单号：", "工单号:", "工单号 "}) {
        const auto at = text.find(marker);
        if (at == std::string_view::npos) {
            continue;
        }
        auto p = at + marker.size();
        std::string code;
        while (p < text.size() &&
               ((text[p] >= 'A' && text[p] <= 'Z') || (text[p] >= '0' && text[p] <= '9'))) {
            code.push_back(text[p++]);
        }
        if (code.size() >= 4) {
            return code;
        }
    }
    return std::nullopt;
}

std::string group_ack_line(std::string_view code, std::string_view category_label, bool joined_existing) {
    std::string what = category_label.empty() ? std::string("您反映的问题")
                                              : "您反映的" + std::string(category_label) + "问题";
    if (joined_existing) {
        return "收到，" + what + "已在处理中（工单号：" + std::string(code) + "），处理进展会在群里同步。";
    }
    return "收到，" + what + "已登记（工单号：" + std::string(code) +
           "），我们会尽快处理，进展会在群里同步。";
}

std::string group_private_line() { return "收到，已私信您了解详细情况，登记后会在群里告知工单号。"; }

std::string group_answer(const std::vector<std::string>& texts, std::string_view category_label) {
    std::string all;
    for (const auto& t : texts) {
        all += (all.empty() ? "" : "\n") + t;
    }
    if (const auto code = ticket_code_in(all)) {
        const bool joined =
            all.find("此前已登记") != std::string::npos || all.find("已并入") != std::string::npos;
        return group_ack_line(*code, category_label, joined);
    }
    return group_line(all);
}

std::string group_line(std::string_view text) {
    const auto safe = redact_for_group(text);
    // One message: lines joined, so a question and its options arrive together.
    std::string joined;
    std::size_t start = 0;
    while (start <= safe.size()) {
        auto end = safe.find('\n', start);
        if (end == std::string::npos) {
            end = safe.size();
        }
        auto line = std::string_view(safe).substr(start, end - start);
        while (line.ends_with('\r') || line.ends_with(' ')) {
            line.remove_suffix(1);
        }
        if (!line.empty()) {
            if (!joined.empty()) {
                joined += ' ';
            }
            joined += line;
        }
        start = end + 1;
    }
    return joined;
}

}  // namespace anju::runtime
