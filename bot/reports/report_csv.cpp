// The CSV form of a monthly report: one table of "section,key,label,value,…" rows that Excel and
// WPS open as is (UTF-8 with a byte-order mark, CRLF, RFC 4180 quoting). Text from residents and
// staff that starts like a formula (=, +, -, @) is prefixed with ' so a spreadsheet shows it
// instead of evaluating it.
#include "bot/reports/format.hpp"
#include "bot/reports/report.hpp"

#include <initializer_list>

namespace anju::reports {
namespace {

using detail::percent_text;
using detail::percent_value_text;

std::string cell(std::string_view text) {
    std::string value(text);
    if (!value.empty() && (value.front() == '=' || value.front() == '+' || value.front() == '-' ||
                           value.front() == '@' || value.front() == '\t' || value.front() == '\r')) {
        value.insert(value.begin(), '\'');
    }
    if (value.find_first_of(",\"\r\n") == std::string::npos) {
        return value;
    }
    std::string quoted = "\"";
    for (const char c : value) {
        if (c == '"') {
            quoted += '"';
        }
        quoted += c;
    }
    return quoted + "\"";
}

// A number is written bare (negative numbers included: they are not formulas).
struct Value {
    Value(std::string_view t) : text(cell(t)) {}        // NOLINT(google-explicit-constructor)
    Value(const std::string& t) : text(cell(t)) {}      // NOLINT(google-explicit-constructor)
    Value(const char* t) : text(cell(t)) {}             // NOLINT(google-explicit-constructor)
    Value(std::int64_t n) : text(std::to_string(n)) {}  // NOLINT(google-explicit-constructor)
    Value(int n) : text(std::to_string(n)) {}           // NOLINT(google-explicit-constructor)
    std::string text;
};

void row(std::string& out, std::initializer_list<Value> values) {
    bool first = true;
    for (const auto& v : values) {
        if (!first) {
            out += ',';
        }
        first = false;
        out += v.text;
    }
    out += "\r\n";
}

std::string place_key(std::string_view community, std::string_view building, std::string_view unit = {},
                      std::string_view room = {}) {
    std::string key(community);
    for (const auto part : {building, unit, room}) {
        if (!part.empty()) {
            key += "/";
            key += part;
        }
    }
    return key;
}

}  // namespace

std::string to_csv(const MonthlyReport& r) {
    const auto offset = r.utc_offset_minutes;
    const auto total = r.totals.filed;
    std::string out = "\xEF\xBB\xBF";  // UTF-8 byte-order mark, so Excel reads the Chinese text right
    row(out, {"section", "key", "label", "value", "detail1", "detail2", "detail3", "detail4", "detail5"});
    row(out, {"meta", "title", "标题", r.title});
    row(out, {"meta", "month", "月份", r.month.to_string()});
    row(out, {"meta", "community", "小区", r.community.empty() ? std::string("全部") : r.community});
    row(out,
        {"meta", "generated_at", "生成时间",
         detail::local_text(
             std::chrono::duration_cast<std::chrono::milliseconds>(r.generated_at.time_since_epoch()).count(),
             offset)});
    row(out, {"summary", "text", "摘要", r.summary});

    const auto& t = r.totals;
    row(out, {"totals", "filed", "受理投诉", t.filed});
    row(out, {"totals", "open", "未办结", t.open});
    row(out, {"totals", "resolved", "待业主确认", t.resolved});
    row(out, {"totals", "closed", "已办结", t.closed});
    row(out, {"totals", "cancelled", "已撤销", t.cancelled});
    row(out, {"totals", "group_complaints", "群体投诉", t.group_complaints});
    row(out, {"totals", "emergencies", "紧急工单", t.emergencies});
    row(out, {"totals", "auto_closed", "超时自动办结", t.auto_closed});

    for (const auto& n : r.natures) {
        row(out, {"nature", n.key, n.label, n.count, percent_value_text(percent(n.count, total))});
    }
    for (const auto& c : r.categories) {
        row(out, {"category", c.key, c.label, c.count, percent_value_text(percent(c.count, total))});
    }
    for (const auto& c : r.communities) {
        row(out, {"community", c.key, c.label, c.count, percent_value_text(percent(c.count, total))});
    }
    for (const auto& b : r.buildings) {
        row(out, {"building", place_key(b.community, b.building),
                  detail::community_prefix(r, b.community) + building_label(b.building), b.count,
                  percent_value_text(percent(b.count, total))});
    }

    row(out,
        {"on_time", "columns", "部门·节点", "按时率", "到期", "按时", "逾期完成", "超时未完成", "未到期"});
    for (const auto& o : r.on_time) {
        row(out, {"on_time", o.department + "/" + o.kind,
                  department_label(o.department) + "·" + milestone_label(o.kind), percent_text(o.rate()),
                  o.due, o.on_time, o.late, o.missed, o.pending});
    }
    const auto& ot = r.on_time_total;
    row(out, {"on_time", "total", "合计", percent_text(ot.rate()), ot.due, ot.on_time, ot.late, ot.missed,
              ot.pending});

    const auto& s = r.satisfaction;
    row(out, {"satisfaction", "rate", "满意率", percent_text(s.rate())});
    row(out, {"satisfaction", "rated", "参评", s.rated()});
    row(out, {"satisfaction", "satisfied", "满意", s.satisfied});
    row(out, {"satisfaction", "basically", "基本满意", s.basically});
    row(out, {"satisfaction", "unsatisfied", "不满意", s.unsatisfied});
    row(out, {"satisfaction", "unrated", "未评价", s.unrated});
    const auto average = s.score_average();
    row(out, {"satisfaction", "score_average", "平均评分", average ? detail::decimal_text(*average) : "—"});
    row(out,
        {"reopen", "rate", "重开率", percent_text(r.reopen.rate()), r.reopen.reopened, r.reopen.resolved});

    row(out, {"unsatisfied", "columns", "工单号", "位置", "类别", "部门", "处理人", "原因", "受理时间"});
    for (const auto& u : r.unsatisfied) {
        row(out, {"unsatisfied", u.code, u.code,
                  detail::community_prefix(r, u.community) + room_label(u.building, u.unit, u.room),
                  u.category_label, department_label(u.department), u.handler, u.reason,
                  detail::local_text(u.created_at_ms, offset)});
    }
    for (const auto& h : r.hotspots) {
        row(out, {"hotspot", place_key(h.community, h.building) + "/" + h.category,
                  detail::community_prefix(r, h.community) + building_label(h.building) + h.category_label,
                  h.count});
    }
    for (const auto& a : r.assets) {
        row(out, {"asset", place_key(a.community, a.building, a.unit) + "/elevator:" + a.elevator,
                  detail::community_prefix(r, a.community) + room_label(a.building, a.unit, "") + a.elevator +
                      "号梯",
                  a.count});
    }
    for (const auto& x : r.repeat_rooms) {
        std::string categories;
        for (const auto& c : x.categories) {
            categories += (categories.empty() ? "" : "、") + c;
        }
        row(out, {"repeat", place_key(x.community, x.building, x.unit, x.room),
                  detail::community_prefix(r, x.community) + room_label(x.building, x.unit, x.room),
                  x.tickets, x.this_month, categories, detail::local_text(x.last_at_ms, offset)});
    }

    const auto& p = r.previous;
    row(out, {"month_over_month", "columns", "指标", "本月", "上月", "变化"});
    row(out, {"month_over_month", "filed", "受理投诉", t.filed, p.totals.filed, t.filed - p.totals.filed});
    row(out, {"month_over_month", "satisfaction_rate", "满意率", percent_text(s.rate()),
              percent_text(p.satisfaction.rate())});
    row(out, {"month_over_month", "on_time_rate", "按时率", percent_text(ot.rate()),
              percent_text(p.on_time.rate())});
    row(out, {"month_over_month", "reopen_rate", "重开率", percent_text(r.reopen.rate()),
              percent_text(p.reopen.rate())});
    for (const auto& c : category_changes(r)) {
        row(out,
            {"month_over_month", "category:" + c.key, c.label, c.count, c.previous, c.count - c.previous});
    }
    return out;
}

}  // namespace anju::reports
