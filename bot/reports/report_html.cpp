// The HTML form of a monthly report: one self-contained page (inline CSS, SVG charts drawn here, no
// scripts, fonts or images from elsewhere) that opens from an e-mail attachment or a phone. Every
// piece of text from the store goes through escape(); long lists are cut to a readable length with
// a note that the CSV/JSON export has them all.
#include "bot/reports/format.hpp"
#include "bot/reports/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>

namespace anju::reports {
namespace {

using detail::percent_text;
using detail::percent_value_text;

constexpr std::size_t kMaxTableRows = 100;
constexpr std::size_t kMaxUnsatisfiedRows = 200;
constexpr std::size_t kMaxBars = 15;

constexpr std::string_view kPalette[] = {"#3370ff", "#34c724", "#ff8800", "#f54a45", "#7f3bf5",
                                         "#14c0ff", "#ffc60a", "#a3a8b0", "#00b3a1", "#d136d1"};

constexpr std::string_view kStyle = R"css(
:root { color-scheme: light; }
body { margin: 0; background: #f5f6f8; color: #1f2329; line-height: 1.6;
       font-family: system-ui, -apple-system, "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; }
main { max-width: 960px; margin: 0 auto; padding: 16px; }
h1 { font-size: 1.5rem; margin: 0.2rem 0; }
h2 { font-size: 1.15rem; margin: 0.2rem 0 0.6rem; }
h3 { font-size: 1rem; margin: 0.8rem 0 0.4rem; }
.meta, .note { color: #646a73; font-size: 0.85rem; }
.summary { background: #fff; border-left: 4px solid #3370ff; padding: 12px 16px; border-radius: 6px; margin: 12px 0; }
section { background: #fff; border-radius: 8px; padding: 12px 16px; margin: 16px 0; box-shadow: 0 1px 2px rgba(0,0,0,0.06); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(140px, 1fr)); gap: 10px; }
.card { background: #f7f8fa; border-radius: 6px; padding: 8px 10px; }
.card .v { font-size: 1.4rem; font-weight: 600; }
.card .k { color: #646a73; font-size: 0.85rem; }
.card .d { color: #646a73; font-size: 0.8rem; }
.table-wrap { overflow-x: auto; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #e5e6eb; padding: 6px 8px; text-align: left; white-space: nowrap; }
th { background: #f7f8fa; font-weight: 600; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
td.text { white-space: normal; min-width: 12em; }
svg { width: 100%; height: auto; display: block; max-width: 640px; }
svg text { font-size: 13px; fill: #1f2329; }
.up { color: #d83931; }
.down { color: #2ea121; }
@media (max-width: 600px) { main { padding: 8px; } section { padding: 10px; } h1 { font-size: 1.25rem; } }
@media print { body { background: #fff; } section { box-shadow: none; break-inside: avoid; } }
)css";

std::string escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out.push_back(c);
        }
    }
    return out;
}

// At most `max` characters (code points) of UTF-8 text, with "…" when cut.
std::string shorten(std::string_view text, std::size_t max) {
    std::size_t chars = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
            if (chars == max) {
                return std::string(text.substr(0, i)) + "…";
            }
            ++chars;
        }
    }
    return std::string(text);
}

std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

std::string to_text(std::int64_t n) { return std::to_string(n); }

struct Bar {
    std::string label;
    double value = 0;  // in the chart's unit
    std::string text;  // shown after the bar
    std::string_view color = kPalette[0];
};

// A horizontal bar chart, one row per bar, scaled to `max` (the largest value when 0).
std::string bar_chart(std::string_view title, const std::vector<Bar>& bars, double max = 0) {
    constexpr int kWidth = 640;
    constexpr int kLabelWidth = 150;
    constexpr int kBarSpace = 400;
    constexpr int kRow = 28;
    if (max <= 0) {
        for (const auto& b : bars) {
            max = std::max(max, b.value);
        }
    }
    const int height = static_cast<int>(bars.size()) * kRow + 8;
    std::string svg = "<svg viewBox=\"0 0 " + std::to_string(kWidth) + " " + std::to_string(height) +
                      "\" role=\"img\" aria-label=\"" + escape(title) +
                      "\">"
                      "<title>" +
                      escape(title) + "</title>";
    for (std::size_t i = 0; i < bars.size(); ++i) {
        const auto& b = bars[i];
        const int y = static_cast<int>(i) * kRow + 4;
        const double w = max > 0 ? std::max(b.value / max * kBarSpace, b.value > 0 ? 2.0 : 0.0) : 0.0;
        svg += "<text x=\"" + std::to_string(kLabelWidth - 8) + "\" y=\"" + std::to_string(y + 18) +
               "\" text-anchor=\"end\">" + escape(shorten(b.label, 10)) + "</text>";
        svg += "<rect x=\"" + std::to_string(kLabelWidth) + "\" y=\"" + std::to_string(y + 4) +
               "\" width=\"" + number(w) + "\" height=\"18\" rx=\"3\" fill=\"" + std::string(b.color) +
               "\"/>";
        svg += "<text x=\"" + number(kLabelWidth + w + 6) + "\" y=\"" + std::to_string(y + 18) + "\">" +
               escape(b.text) + "</text>";
    }
    return svg + "</svg>";
}

// A ring of shares with a legend beside it.
std::string ring_chart(std::string_view title, const std::vector<Share>& shares, std::int64_t total) {
    constexpr double kCx = 110;
    constexpr double kCy = 110;
    constexpr double kR = 95;
    constexpr double kInner = 55;
    const int height = std::max(220, static_cast<int>(shares.size()) * 26 + 20);
    std::string svg = "<svg viewBox=\"0 0 640 " + std::to_string(height) + "\" role=\"img\" aria-label=\"" +
                      escape(title) + "\"><title>" + escape(title) + "</title>";
    double angle = -std::numbers::pi / 2;
    for (std::size_t i = 0; i < shares.size(); ++i) {
        const auto color = std::string(kPalette[i % std::size(kPalette)]);
        const double part = total > 0 ? static_cast<double>(shares[i].count) / static_cast<double>(total) : 0;
        if (part >= 0.9999) {
            svg += "<circle cx=\"" + number(kCx) + "\" cy=\"" + number(kCy) + "\" r=\"" + number(kR) +
                   "\" fill=\"" + color + "\"/>";
        } else if (part > 0) {
            const double end = angle + part * 2 * std::numbers::pi;
            svg += "<path d=\"M" + number(kCx) + " " + number(kCy) + " L" +
                   number(kCx + kR * std::cos(angle)) + " " + number(kCy + kR * std::sin(angle)) + " A" +
                   number(kR) + " " + number(kR) + " 0 " + (part > 0.5 ? "1" : "0") + " 1 " +
                   number(kCx + kR * std::cos(end)) + " " + number(kCy + kR * std::sin(end)) +
                   " Z\" fill=\"" + color + "\"/>";
            angle = end;
        }
        const int y = 20 + static_cast<int>(i) * 26;
        svg += "<rect x=\"240\" y=\"" + std::to_string(y) + "\" width=\"14\" height=\"14\" rx=\"2\" fill=\"" +
               color + "\"/><text x=\"262\" y=\"" + std::to_string(y + 12) + "\">" +
               escape(shares[i].label + "  " + to_text(shares[i].count) + "件  " +
                      percent_value_text(percent(shares[i].count, total))) +
               "</text>";
    }
    svg += "<circle cx=\"" + number(kCx) + "\" cy=\"" + number(kCy) + "\" r=\"" + number(kInner) +
           "\" fill=\"#fff\"/><text x=\"" + number(kCx) + "\" y=\"" + number(kCy + 5) +
           "\" text-anchor=\"middle\">" + escape("共" + to_text(total) + "件") + "</text>";
    return svg + "</svg>";
}

std::string_view rate_color(std::optional<double> rate) {
    if (!rate) {
        return kPalette[7];
    }
    if (*rate >= 0.9) {
        return kPalette[1];
    }
    return *rate >= 0.7 ? kPalette[2] : kPalette[3];
}

// Markup built here (trusted), as opposed to text from the store (escaped).
struct Html {
    std::string markup;
};

// One table cell: text is escaped, Html is taken as is.
struct Cell {
    Cell(const std::string& t) : markup(escape(t)) {}  // NOLINT(google-explicit-constructor)
    Cell(const char* t) : markup(escape(t)) {}         // NOLINT(google-explicit-constructor)
    Cell(Html h) : markup(std::move(h.markup)) {}      // NOLINT(google-explicit-constructor)
    std::string markup;
};

// A table: header cells (a leading '#' marks a numeric column) and rows of cells.
class Table {
public:
    explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {
        for (auto& h : headers_) {
            numeric_.push_back(!h.empty() && h.front() == '#');
            if (numeric_.back()) {
                h.erase(h.begin());
            }
        }
    }
    void add(std::vector<Cell> cells) { rows_.push_back(std::move(cells)); }
    std::size_t size() const { return rows_.size(); }

    // At most `limit` rows, then a note; the column named `wide_column` wraps its text.
    std::string html(std::size_t limit = kMaxTableRows, std::string_view wide_column = {}) const {
        std::string out = "<div class=\"table-wrap\"><table><thead><tr>";
        for (std::size_t i = 0; i < headers_.size(); ++i) {
            out += numeric_[i] ? "<th class=\"num\">" : "<th>";
            out += escape(headers_[i]) + "</th>";
        }
        out += "</tr></thead><tbody>";
        for (std::size_t r = 0; r < rows_.size() && r < limit; ++r) {
            out += "<tr>";
            for (std::size_t i = 0; i < rows_[r].size(); ++i) {
                const bool numeric = i < numeric_.size() && numeric_[i];
                const bool wide = i < headers_.size() && !wide_column.empty() && headers_[i] == wide_column;
                out += numeric ? "<td class=\"num\">" : wide ? "<td class=\"text\">" : "<td>";
                out += rows_[r][i].markup;
                out += "</td>";
            }
            out += "</tr>";
        }
        out += "</tbody></table></div>";
        if (rows_.size() > limit) {
            out += "<p class=\"note\">" +
                   escape("共" + std::to_string(rows_.size()) + "条，仅列出前" + std::to_string(limit) +
                          "条；完整名单见 CSV 或 JSON 导出。") +
                   "</p>";
        }
        return out;
    }

private:
    std::vector<std::string> headers_;
    std::vector<bool> numeric_;
    std::vector<std::vector<Cell>> rows_;
};

Html change_html(std::int64_t change) {
    const auto text = change > 0 ? "+" + std::to_string(change) : std::to_string(change);
    const char* cls = change > 0 ? "up" : change < 0 ? "down" : "";
    return {std::string("<span class=\"") + cls + "\">" + escape(text) + "</span>"};
}

Html points_html(std::optional<double> now, std::optional<double> before, bool higher_is_better) {
    if (!now || !before) {
        return {"—"};
    }
    const double points = detail::rounded((*now - *before) * 100.0, 1);
    const auto text = (points > 0 ? "+" : "") + detail::decimal_text(points) + "个百分点";
    const bool good = higher_is_better ? points > 0 : points < 0;
    const char* cls = points == 0 ? "" : good ? "down" : "up";
    return {std::string("<span class=\"") + cls + "\">" + escape(text) + "</span>"};
}

std::string card(std::string_view key, const std::string& value, const std::string& detail = {}) {
    std::string out = "<div class=\"card\"><div class=\"k\">" + escape(key) + "</div><div class=\"v\">" +
                      escape(value) + "</div>";
    if (!detail.empty()) {
        out += "<div class=\"d\">" + escape(detail) + "</div>";
    }
    return out + "</div>";
}

std::string place_label(const MonthlyReport& r, std::string_view community, const std::string& label) {
    return detail::community_prefix(r, community) + label;
}

std::string section(std::string_view id, std::string_view title, const std::string& body) {
    return "<section id=\"" + std::string(id) + "\"><h2>" + escape(title) + "</h2>" + body + "</section>\n";
}

}  // namespace

std::string to_html(const MonthlyReport& r) {
    const auto offset = r.utc_offset_minutes;
    const auto total = r.totals.filed;
    const auto& t = r.totals;
    const auto& p = r.previous;
    const auto generated =
        std::chrono::duration_cast<std::chrono::milliseconds>(r.generated_at.time_since_epoch()).count();

    std::string html =
        "<!doctype html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
        escape(r.title) + "</title>\n<style>" + std::string(kStyle) + "</style>\n</head>\n<body>\n<main>\n";
    html += "<header><h1>" + escape(r.title) + "</h1><p class=\"meta\">" +
            escape("统计期间：" + detail::local_text(r.month.start_ms(offset), offset) + " 至 " +
                   detail::local_text(r.month.next().start_ms(offset), offset) + "（按受理时间）" +
                   (r.community.empty() ? std::string() : " · 小区：" + r.community) + " · 生成于 " +
                   detail::local_text(generated, offset)) +
            "</p></header>\n";
    html += "<div class=\"summary\"><strong>摘要</strong><p>" + escape(r.summary) + "</p></div>\n";

    // Key figures.
    {
        std::string cards = "<div class=\"cards\">";
        const auto filed_change = t.filed - p.totals.filed;
        cards += card("受理投诉", to_text(t.filed) + "件",
                      "上月" + to_text(p.totals.filed) + "件，" + (filed_change >= 0 ? "+" : "") +
                          to_text(filed_change));
        cards += card("已办结", to_text(t.closed) + "件", "待业主确认" + to_text(t.resolved) + "件");
        cards += card("未办结", to_text(t.open) + "件", "已撤销" + to_text(t.cancelled) + "件");
        cards +=
            card("紧急工单", to_text(t.emergencies) + "件", "群体投诉" + to_text(t.group_complaints) + "起");
        cards +=
            card("节点按时率", percent_text(r.on_time_total.rate()), "上月" + percent_text(p.on_time.rate()));
        cards +=
            card("满意率", percent_text(r.satisfaction.rate()), "上月" + percent_text(p.satisfaction.rate()));
        cards += card("重开率", percent_text(r.reopen.rate()), "上月" + percent_text(p.reopen.rate()));
        cards += card("超时自动办结", to_text(t.auto_closed) + "件");
        cards += "</div>";
        html += section("totals", "总体情况", cards);
    }

    // Categories and natures.
    {
        std::vector<Bar> bars;
        Table table({"类别", "#件数", "#占比"});
        for (std::size_t i = 0; i < r.categories.size(); ++i) {
            const auto& c = r.categories[i];
            if (i < kMaxBars) {
                bars.push_back({c.label, static_cast<double>(c.count),
                                to_text(c.count) + "件 " + percent_value_text(percent(c.count, total))});
            }
            table.add({c.label, to_text(c.count), percent_value_text(percent(c.count, total))});
        }
        std::string body =
            bars.empty() ? "<p class=\"note\">本月无投诉。</p>" : bar_chart("投诉类别分布", bars);
        body += table.html();
        html += section("categories", "投诉类别占比", body);

        std::string natures = r.natures.empty() ? "<p class=\"note\">本月无投诉。</p>"
                                                : ring_chart("投诉性质分布", r.natures, total);
        Table nature_table({"性质", "#件数", "#占比"});
        for (const auto& n : r.natures) {
            nature_table.add({n.label, to_text(n.count), percent_value_text(percent(n.count, total))});
        }
        html += section("natures", "投诉性质", natures + nature_table.html());
    }

    // On-time rates.
    {
        std::vector<Bar> bars;
        std::vector<std::string> seen;
        for (const auto& o : r.on_time) {
            if (std::find(seen.begin(), seen.end(), o.department) != seen.end()) {
                continue;
            }
            seen.push_back(o.department);
            OnTime d;
            for (const auto& k : r.on_time) {
                if (k.department == o.department) {
                    d.due += k.due;
                    d.on_time += k.on_time;
                    d.late += k.late;
                    d.missed += k.missed;
                    d.pending += k.pending;
                }
            }
            const auto rate = d.rate();
            bars.push_back(
                {department_label(o.department), rate ? *rate * 100.0 : 0.0,
                 percent_text(rate) + "（" + to_text(d.on_time) + "/" + to_text(d.decided()) + "）",
                 rate_color(rate)});
        }
        Table table({"部门", "节点", "#到期", "#按时", "#逾期完成", "#超时未完成", "#未到期", "#按时率"});
        for (const auto& o : r.on_time) {
            table.add({department_label(o.department), milestone_label(o.kind), to_text(o.due),
                       to_text(o.on_time), to_text(o.late), to_text(o.missed), to_text(o.pending),
                       percent_text(o.rate())});
        }
        const auto& ot = r.on_time_total;
        table.add({"合计", "", to_text(ot.due), to_text(ot.on_time), to_text(ot.late), to_text(ot.missed),
                   to_text(ot.pending), percent_text(ot.rate())});
        std::string body = bars.empty() ? "<p class=\"note\">本月没有到期的处理节点。</p>"
                                        : bar_chart("各部门节点按时率", bars, 100.0);
        body += table.html(kMaxTableRows + 1);
        body +=
            "<p class=\"note\">按时率 = 按时完成 ÷（按时 + 逾期完成 + "
            "超时未完成）；节点按到期时间计入本月。</p>";
        html += section("on-time", "各部门按时率", body);
    }

    // Buildings (and communities).
    {
        std::string body;
        if (!r.communities.empty()) {
            Table communities({"小区", "#件数", "#占比"});
            for (const auto& c : r.communities) {
                communities.add({c.label, to_text(c.count), percent_value_text(percent(c.count, total))});
            }
            body += "<h3>各小区</h3>" + communities.html();
        }
        std::vector<Bar> bars;
        Table table({"楼栋", "#件数", "#占比"});
        for (std::size_t i = 0; i < r.buildings.size(); ++i) {
            const auto& b = r.buildings[i];
            const auto label = place_label(r, b.community, building_label(b.building));
            if (i < kMaxBars) {
                bars.push_back({label, static_cast<double>(b.count), to_text(b.count) + "件", kPalette[5]});
            }
            table.add({label, to_text(b.count), percent_value_text(percent(b.count, total))});
        }
        if (!r.communities.empty()) {
            body += "<h3>各楼栋</h3>";
        }
        body += bars.empty() ? "<p class=\"note\">本月无投诉。</p>" : bar_chart("各楼栋投诉量", bars);
        body += table.html();
        html += section("buildings", "楼栋分布", body);
    }

    // Satisfaction and reopens.
    {
        const auto& s = r.satisfaction;
        const auto average = s.score_average();
        Table table({"指标", "#数值"});
        table.add({"满意率（满意 + 基本满意）÷ 参评", percent_text(s.rate())});
        table.add({"参评", to_text(s.rated())});
        table.add({"满意", to_text(s.satisfied)});
        table.add({"基本满意", to_text(s.basically)});
        table.add({"不满意", to_text(s.unsatisfied)});
        table.add({"已办结未评价", to_text(s.unrated)});
        table.add({"平均评分（1–5）", average ? detail::decimal_text(*average) : "—"});
        table.add({"重开率（重开 ÷ 曾解决）", percent_text(r.reopen.rate())});
        table.add({"重开工单", to_text(r.reopen.reopened)});
        table.add({"超时自动办结", to_text(t.auto_closed)});
        html += section("satisfaction", "满意度与重开", table.html());
    }

    // The unsatisfied list.
    {
        Table table({"工单号", "位置", "类别", "部门", "处理人", "原因", "受理时间"});
        for (const auto& u : r.unsatisfied) {
            table.add({u.code, place_label(r, u.community, room_label(u.building, u.unit, u.room)),
                       u.category_label, department_label(u.department), u.handler, u.reason,
                       detail::local_text(u.created_at_ms, offset)});
        }
        html += section("unsatisfied", "不满意工单（重点复盘）",
                        table.size() == 0 ? "<p class=\"note\">本月没有不满意的评价。</p>"
                                          : table.html(kMaxUnsatisfiedRows, "原因"));
    }

    // Hotspots.
    {
        std::string body = "<p class=\"note\">" +
                           escape("同一楼栋同一类别、或同一部电梯本月投诉达" + std::to_string(r.hotspot_min) +
                                  "件及以上。") +
                           "</p>";
        Table places({"楼栋", "类别", "#件数"});
        for (const auto& h : r.hotspots) {
            places.add({place_label(r, h.community, building_label(h.building)), h.category_label,
                        to_text(h.count)});
        }
        Table assets({"电梯", "#件数"});
        for (const auto& a : r.assets) {
            assets.add({place_label(r, a.community, room_label(a.building, a.unit, "") + a.elevator + "号梯"),
                        to_text(a.count)});
        }
        if (places.size() == 0 && assets.size() == 0) {
            body += "<p>本月没有热点问题。</p>";
        }
        if (assets.size() > 0) {
            body += "<h3>设备（电梯）</h3>" + assets.html();
        }
        if (places.size() > 0) {
            body += "<h3>楼栋 × 类别</h3>" + places.html();
        }
        html += section("hotspots", "热点问题", body);
    }

    // Repeat complainants.
    {
        std::string body = "<p class=\"note\">" +
                           escape("近" + std::to_string(r.repeat_months) + "个月（含本月）投诉达" +
                                  std::to_string(r.repeat_min) + "次及以上的房号，建议建立专属沟通档案。") +
                           "</p>";
        Table table({"房号", "#近期件数", "#本月", "类别", "最近一次"});
        for (const auto& x : r.repeat_rooms) {
            std::string categories;
            for (const auto& c : x.categories) {
                categories += (categories.empty() ? "" : "、") + c;
            }
            table.add({place_label(r, x.community, room_label(x.building, x.unit, x.room)),
                       to_text(x.tickets), to_text(x.this_month), categories,
                       detail::local_text(x.last_at_ms, offset)});
        }
        body += table.size() == 0 ? "<p>没有重复投诉的房号。</p>" : table.html();
        html += section("repeat", "长期 / 重复投诉", body);
    }

    // Month over month.
    {
        Table table({"指标", "#本月", "#上月", "#变化"});
        table.add(
            {"受理投诉", to_text(t.filed), to_text(p.totals.filed), change_html(t.filed - p.totals.filed)});
        table.add({"节点按时率", percent_text(r.on_time_total.rate()), percent_text(p.on_time.rate()),
                   points_html(r.on_time_total.rate(), p.on_time.rate(), true)});
        table.add({"满意率", percent_text(r.satisfaction.rate()), percent_text(p.satisfaction.rate()),
                   points_html(r.satisfaction.rate(), p.satisfaction.rate(), true)});
        table.add({"重开率", percent_text(r.reopen.rate()), percent_text(p.reopen.rate()),
                   points_html(r.reopen.rate(), p.reopen.rate(), false)});
        Table categories({"类别", "#本月", "#上月", "#变化"});
        for (const auto& c : category_changes(r)) {
            categories.add(
                {c.label, to_text(c.count), to_text(c.previous), change_html(c.count - c.previous)});
        }
        html += section("month-over-month", "环比（与" + p.month.label() + "相比）",
                        table.html() + "<h3>各类别</h3>" + categories.html());
    }

    html += "<p class=\"note\">" +
            escape(
                "口径：按受理时间统计本月工单；群体投诉的母单只计入“群体投诉”，各户工单照常计数；"
                "状态为生成报告时的状态。") +
            "</p>\n</main>\n</body>\n</html>\n";
    return html;
}

}  // namespace anju::reports
