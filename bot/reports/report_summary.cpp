// The written summary of a monthly report: a few Chinese sentences a manager can forward as is.
// Every clause comes from a figure of the report; a clause whose figure is missing (no ratings, no
// deadlines due, no hotspots) is left out or says so.
#include "bot/reports/format.hpp"
#include "bot/reports/report.hpp"

#include <algorithm>
#include <map>

namespace anju::reports {
namespace {

using detail::percent_text;
using detail::percent_value_text;

constexpr double kOnTimeTarget = 0.9;  // below this a department is named in the suggestions

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
    std::string out;
    for (const auto& p : parts) {
        if (!out.empty()) {
            out += sep;
        }
        out += p;
    }
    return out;
}

std::string count_share(const Share& s, std::int64_t total) {
    return s.label + "（" + std::to_string(s.count) + "件，" + percent_value_text(percent(s.count, total)) +
           "）";
}

std::string filed_sentence(const MonthlyReport& r) {
    const auto& t = r.totals;
    const auto& p = r.previous.totals;
    std::string s = r.month.label();
    if (t.filed == 0 && t.group_complaints == 0) {
        s += "未受理投诉";
    } else {
        s += "共受理投诉" + std::to_string(t.filed) + "件";
        if (t.emergencies > 0) {
            s += "，其中紧急" + std::to_string(t.emergencies) + "件";
        }
        if (t.group_complaints > 0) {
            s += "，群体投诉" + std::to_string(t.group_complaints) + "起";
        }
    }
    if (p.filed == 0) {
        s += "，上月无投诉记录";
    } else if (t.filed == p.filed) {
        s += "，与上月持平（" + std::to_string(p.filed) + "件）";
    } else {
        const auto change = percent(t.filed > p.filed ? t.filed - p.filed : p.filed - t.filed, p.filed);
        s += std::string("，环比") + (t.filed > p.filed ? "上升" : "下降") + percent_value_text(change) +
             "（上月" + std::to_string(p.filed) + "件）";
    }
    return s + "。";
}

std::string categories_sentence(const MonthlyReport& r) {
    const auto& c = r.categories;
    const auto total = r.totals.filed;
    std::string s = "占比最高的是" + count_share(c[0], total);
    if (c.size() == 2) {
        s += "，其次是" + count_share(c[1], total);
    } else if (c.size() > 2) {
        s += "，其次是" + count_share(c[1], total) + "和" + count_share(c[2], total);
    }
    return s + "。";
}

// Each department's nodes of every kind together.
std::vector<OnTime> by_department(const MonthlyReport& r) {
    std::vector<OnTime> out;
    for (const auto& o : r.on_time) {
        auto it = std::find_if(out.begin(), out.end(),
                               [&o](const OnTime& d) { return d.department == o.department; });
        if (it == out.end()) {
            out.push_back(o);
            out.back().kind.clear();
            continue;
        }
        it->due += o.due;
        it->on_time += o.on_time;
        it->late += o.late;
        it->missed += o.missed;
        it->pending += o.pending;
    }
    return out;
}

// The decided department (and, within it, the kind) with the lowest on-time rate.
const OnTime* lowest(const std::vector<OnTime>& rows) {
    const OnTime* worst = nullptr;
    for (const auto& o : rows) {
        if (o.decided() > 0 && (worst == nullptr || *o.rate() < *worst->rate())) {
            worst = &o;
        }
    }
    return worst;
}

std::string on_time_sentence(const MonthlyReport& r) {
    const auto& total = r.on_time_total;
    if (total.decided() == 0) {
        return "本月没有到期的处理节点。";
    }
    std::string s = "各部门节点按时率" + percent_text(total.rate());
    if (r.previous.on_time.rate()) {
        s += "（上月" + percent_text(r.previous.on_time.rate()) + "）";
    }
    const auto departments = by_department(r);
    if (departments.size() > 1) {
        if (const auto* worst = lowest(departments); worst != nullptr) {
            s += "，" + department_label(worst->department) + "最低（" + percent_text(worst->rate()) + "）";
        }
    }
    if (total.missed > 0 || total.late > 0) {
        s += "，超时未完成" + std::to_string(total.missed) + "个、逾期完成" + std::to_string(total.late) +
             "个";
    }
    return s + "。";
}

std::string satisfaction_sentence(const MonthlyReport& r) {
    const auto& sat = r.satisfaction;
    std::string s;
    if (sat.rated() == 0) {
        s = "本月暂无业主评价";
    } else {
        s = "满意率" + percent_text(sat.rate()) + "（参评" + std::to_string(sat.rated()) + "件";
        if (sat.unsatisfied > 0) {
            s += "，不满意" + std::to_string(sat.unsatisfied) + "件";
        }
        s += "）";
    }
    if (r.reopen.rate()) {
        s += "，重开率" + percent_text(r.reopen.rate()) + "（" + std::to_string(r.reopen.reopened) + "件）";
    }
    return s + "。";
}

struct Hot {
    std::string label;
    std::int64_t count = 0;
};

std::vector<Hot> hot_list(const MonthlyReport& r) {
    std::vector<Hot> hot;
    for (const auto& a : r.assets) {
        hot.push_back({detail::community_prefix(r, a.community) + room_label(a.building, a.unit, "") +
                           a.elevator + "号梯",
                       a.count});
    }
    for (const auto& h : r.hotspots) {
        hot.push_back(
            {detail::community_prefix(r, h.community) + building_label(h.building) + h.category_label,
             h.count});
    }
    std::stable_sort(hot.begin(), hot.end(), [](const Hot& a, const Hot& b) { return a.count > b.count; });
    return hot;
}

std::string hotspot_sentence(const MonthlyReport& r, const std::vector<Hot>& hot) {
    std::vector<std::string> parts;
    for (std::size_t i = 0; i < hot.size() && i < 3; ++i) {
        parts.push_back(hot[i].label + std::to_string(hot[i].count) + "件");
    }
    std::string s;
    if (!parts.empty()) {
        s = "热点问题：" + join(parts, "、");
        if (hot.size() > parts.size()) {
            s += "等" + std::to_string(hot.size()) + "处";
        }
    }
    if (!r.repeat_rooms.empty()) {
        s += std::string(s.empty() ? "" : "；") + std::to_string(r.repeat_rooms.size()) + "户业主近" +
             std::to_string(r.repeat_months) + "个月投诉达" + std::to_string(r.repeat_min) + "次及以上";
    }
    return s.empty() ? s : s + "。";
}

std::string suggestion_sentence(const MonthlyReport& r, const std::vector<Hot>& hot) {
    std::vector<std::string> items;
    if (!hot.empty()) {
        items.push_back("对" + hot.front().label + "开展专项排查");
    }
    const auto departments = by_department(r);
    if (const auto* worst = lowest(departments); worst != nullptr && *worst->rate() < kOnTimeTarget) {
        std::vector<OnTime> kinds;
        for (const auto& o : r.on_time) {
            if (o.department == worst->department) {
                kinds.push_back(o);
            }
        }
        const auto* kind = lowest(kinds);
        items.push_back("督促" + department_label(worst->department) + "提升" +
                        (kind != nullptr ? milestone_label(kind->kind) : std::string()) + "按时率");
    }
    if (r.satisfaction.unsatisfied > 0) {
        items.push_back("对" + std::to_string(r.satisfaction.unsatisfied) + "件不满意工单逐一回访复盘");
    }
    if (!r.repeat_rooms.empty() && items.size() < 3) {
        items.push_back("为重复投诉的业主建立专属沟通档案");
    }
    if (items.size() > 3) {
        items.resize(3);
    }
    if (items.empty()) {
        return "各项指标平稳，建议保持当前处理节奏。";
    }
    return "建议" + join(items, "，") + "。";
}

}  // namespace

std::string summary_zh(const MonthlyReport& r) {
    std::string s = filed_sentence(r);
    if (!r.categories.empty() && r.totals.filed > 0) {
        s += categories_sentence(r);
    }
    s += on_time_sentence(r);
    s += satisfaction_sentence(r);
    const auto hot = hot_list(r);
    s += hotspot_sentence(r, hot);
    s += suggestion_sentence(r, hot);
    return s;
}

std::string first_sentence(std::string_view summary) {
    constexpr std::string_view kStop = "。";
    const auto end = summary.find(kStop);
    return std::string(end == std::string_view::npos ? summary : summary.substr(0, end + kStop.size()));
}

}  // namespace anju::reports
