#include "bot/reports/report.hpp"

#include "bot/tickets/calendar.hpp"
#include "dialogs/types.hpp"

#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>
#include <tuple>
#include <utility>

namespace anju::reports {
namespace {

constexpr std::int64_t kDayMs = 86'400'000;

std::int64_t unix_ms(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

std::string column_text(SQLite::Statement& q, int i) {
    const auto c = q.getColumn(i);
    return c.isNull() ? std::string() : c.getString();
}

std::string label_or_key(const std::function<std::string(std::string_view)>& labels, std::string_view key) {
    if (labels) {
        auto label = labels(key);
        if (!label.empty()) {
            return label;
        }
    }
    return std::string(key);
}

std::string category_label(const ReportOptions& o, std::string_view category) {
    // A complaint handed over to a person before it was classified (the ticket service's name).
    if (category.empty()) {
        return "人工回电";
    }
    return label_or_key(o.category_label, category);
}

// Building numbers sort as numbers ("3" before "12"), anything else as text after them.
bool building_less(const std::string& a, const std::string& b) {
    const auto digits = [](const std::string& s) {
        return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    const bool da = digits(a);
    const bool db = digits(b);
    if (da != db) {
        return da;
    }
    if (da && a.size() != b.size()) {
        return a.size() < b.size();
    }
    return a < b;
}

void sort_shares(std::vector<Share>& shares) {
    std::sort(shares.begin(), shares.end(), [](const Share& a, const Share& b) {
        return a.count != b.count ? a.count > b.count : a.key < b.key;
    });
}

// An " AND +<column> = ?" filter for one community, or nothing for all of them. The unary + keeps
// SQLite on the month's range of the covering tickets_month index (community is in it): left to
// itself it would take the community's whole history from tickets_place and read each month's row
// from the table.
std::string community_filter(const ReportOptions& o, std::string_view column) {
    return o.community.empty() ? std::string() : " AND +" + std::string(column) + " = ?";
}

// ---- one month's tickets, aggregated by community, building, category and nature ----

struct CubeRow {
    std::string community;
    std::string building;
    std::string category;
    std::string nature;
    std::int64_t filed = 0;
};

struct MonthFigures {
    Totals totals;
    Satisfaction satisfaction;
    Reopen reopen;
    std::vector<CubeRow> rows;
};

// One pass over the month's tickets (the tickets_month index range, which covers every column read
// here); every total below is a sum over the groups. A reopen is looked up in the partial index of
// reopen events, and only for tickets that are not resolved now when deciding "resolved at least once".
constexpr const char* kCubeSql =
    "SELECT community, building, category, nature,"
    " sum(is_group = 0),"
    " sum(is_group != 0),"
    " sum(is_group = 0 AND urgency = 'emergency'),"
    " sum(is_group = 0 AND status = 'resolved'),"
    " sum(is_group = 0 AND status IN ('confirmed', 'closed')),"
    " sum(is_group = 0 AND status = 'cancelled'),"
    " sum(is_group = 0 AND auto_closed != 0),"
    " sum(is_group = 0 AND satisfaction = 'satisfied'),"
    " sum(is_group = 0 AND satisfaction = 'basically'),"
    " sum(is_group = 0 AND satisfaction = 'unsatisfied'),"
    " sum(is_group = 0 AND satisfaction NOT IN ('satisfied', 'basically', 'unsatisfied')"
    "     AND status IN ('confirmed', 'closed')),"
    " sum(is_group = 0 AND score > 0),"
    " sum(CASE WHEN is_group = 0 AND score > 0 THEN score ELSE 0 END),"
    " sum(CASE WHEN is_group = 0 THEN EXISTS (SELECT 1 FROM ticket_events e"
    "     WHERE e.ticket_id = tickets.id AND e.kind = 'reopen') ELSE 0 END),"
    " sum(CASE WHEN is_group != 0 THEN 0 WHEN status IN ('resolved', 'confirmed', 'closed') THEN 1"
    "     ELSE EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_id = tickets.id AND e.kind = 'reopen')"
    "     END)"
    " FROM tickets WHERE created_at >= ? AND created_at < ?";

// `by_place`: rows per community, building, category and nature; else per category only (the
// month before needs no more, and fewer keys sort faster).
MonthFigures month_figures(SQLite::Database& db, std::int64_t from, std::int64_t to, const ReportOptions& o,
                           bool by_place) {
    SQLite::Statement q(
        db, std::string(kCubeSql) + community_filter(o, "community") +
                (by_place ? " GROUP BY community, building, category, nature" : " GROUP BY category"));
    q.bind(1, from);
    q.bind(2, to);
    if (!o.community.empty()) {
        q.bind(3, o.community);
    }
    MonthFigures f;
    while (q.executeStep()) {
        CubeRow row;
        row.community = column_text(q, 0);
        row.building = column_text(q, 1);
        row.category = column_text(q, 2);
        row.nature = column_text(q, 3);
        int c = 4;
        const auto next = [&q, &c] { return q.getColumn(c++).getInt64(); };
        row.filed = next();
        f.totals.filed += row.filed;
        f.totals.group_complaints += next();
        f.totals.emergencies += next();
        f.totals.resolved += next();
        f.totals.closed += next();
        f.totals.cancelled += next();
        f.totals.auto_closed += next();
        f.satisfaction.satisfied += next();
        f.satisfaction.basically += next();
        f.satisfaction.unsatisfied += next();
        f.satisfaction.unrated += next();
        f.satisfaction.scored += next();
        f.satisfaction.score_total += next();
        f.reopen.reopened += next();
        f.reopen.resolved += next();
        if (row.filed > 0) {
            f.rows.push_back(std::move(row));
        }
    }
    f.totals.open = f.totals.filed - f.totals.resolved - f.totals.closed - f.totals.cancelled;
    return f;
}

std::vector<Share> categories_of(const MonthFigures& f, const ReportOptions& o) {
    std::map<std::string, std::int64_t> counts;
    for (const auto& r : f.rows) {
        counts[r.category] += r.filed;
    }
    std::vector<Share> out;
    for (const auto& [key, count] : counts) {
        out.push_back({key, category_label(o, key), count});
    }
    sort_shares(out);
    return out;
}

// ---- SLA nodes due in the month ----

constexpr const char* kOnTimeSql =
    "SELECT m.department,"
    " CASE WHEN m.name GLOB 'progress:*' THEN 'progress'"
    "      WHEN m.name GLOB 'rectification:*' THEN 'rectification' ELSE m.name END AS kind,"
    " count(*),"
    " sum(m.met_at IS NOT NULL AND m.missed_at IS NULL AND m.met_at <= m.due_at),"
    " sum(m.met_at IS NOT NULL AND (m.missed_at IS NOT NULL OR m.met_at > m.due_at)),"
    " sum(m.met_at IS NULL AND (m.missed_at IS NOT NULL OR m.due_at <= ?3)),"
    " sum(m.met_at IS NULL AND m.missed_at IS NULL AND m.due_at > ?3)"
    " FROM milestones m";

int kind_rank(std::string_view kind) {
    constexpr std::string_view kOrder[] = {"claim", "on_site", "plan", "progress", "rectification"};
    for (std::size_t i = 0; i < std::size(kOrder); ++i) {
        if (kOrder[i] == kind) {
            return static_cast<int>(i);
        }
    }
    return static_cast<int>(std::size(kOrder));
}

int department_rank(std::string_view department) {
    constexpr std::string_view kOrder[] = {"engineering", "order", "butler", "cs", "pm", "quality"};
    for (std::size_t i = 0; i < std::size(kOrder); ++i) {
        if (kOrder[i] == department) {
            return static_cast<int>(i);
        }
    }
    return static_cast<int>(std::size(kOrder));
}

// `by_department`: one row per department and kind; else a single row of totals (no sorting).
std::vector<OnTime> on_time_of(SQLite::Database& db, std::int64_t from, std::int64_t to, std::int64_t now,
                               const ReportOptions& o, bool by_department) {
    std::string sql = kOnTimeSql;
    sql += " WHERE m.due_at >= ?1 AND m.due_at < ?2";
    if (!o.community.empty()) {
        // The community's ticket ids come from an index (tickets_place) into a lookup set, and the
        // month's deadlines are checked against it: no ticket row is read. The + keeps SQLite from
        // starting at the community's tickets instead, which reads every milestone they ever had.
        sql += " AND +m.ticket_id IN (SELECT id FROM tickets WHERE community = ?4)";
    }
    if (by_department) {
        sql += " GROUP BY m.department, kind";
    }
    SQLite::Statement q(db, sql);
    q.bind(1, from);
    q.bind(2, to);
    q.bind(3, now);
    if (!o.community.empty()) {
        q.bind(4, o.community);
    }
    std::vector<OnTime> out;
    while (q.executeStep()) {
        OnTime t;
        if (by_department) {
            t.department = column_text(q, 0);
            t.kind = column_text(q, 1);
        }
        t.due = q.getColumn(2).getInt64();
        t.on_time = q.getColumn(3).getInt64();
        t.late = q.getColumn(4).getInt64();
        t.missed = q.getColumn(5).getInt64();
        t.pending = q.getColumn(6).getInt64();
        out.push_back(std::move(t));
    }
    std::sort(out.begin(), out.end(), [](const OnTime& a, const OnTime& b) {
        return std::tuple(department_rank(a.department), a.department, kind_rank(a.kind), a.kind) <
               std::tuple(department_rank(b.department), b.department, kind_rank(b.kind), b.kind);
    });
    return out;
}

OnTime sum_on_time(const std::vector<OnTime>& rows) {
    OnTime total;
    for (const auto& r : rows) {
        total.due += r.due;
        total.on_time += r.on_time;
        total.late += r.late;
        total.missed += r.missed;
        total.pending += r.pending;
    }
    return total;
}

// ---- lists ----

std::vector<UnsatisfiedTicket> unsatisfied_of(SQLite::Database& db, std::int64_t from, std::int64_t to,
                                              const ReportOptions& o) {
    SQLite::Statement q(
        db,
        "SELECT coalesce(t.code, ''), t.community, t.building, t.unit, t.room, t.category, t.department,"
        " CASE WHEN t.assignee_name != '' THEN t.assignee_name ELSE t.assignee END,"
        " coalesce((SELECT e.text FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind = 'rate'"
        "           AND e.text != '' ORDER BY e.id DESC LIMIT 1),"
        "          (SELECT e.text FROM ticket_events e WHERE e.ticket_id = t.id AND e.text != ''"
        "           ORDER BY e.id DESC LIMIT 1),"
        "          nullif(t.last_progress, ''), t.description),"
        " t.created_at"
        " FROM tickets t WHERE t.created_at >= ? AND t.created_at < ? AND t.satisfaction = 'unsatisfied'"
        " AND t.is_group = 0" +
            community_filter(o, "t.community") + " ORDER BY t.created_at, t.id");
    q.bind(1, from);
    q.bind(2, to);
    if (!o.community.empty()) {
        q.bind(3, o.community);
    }
    std::vector<UnsatisfiedTicket> out;
    while (q.executeStep()) {
        UnsatisfiedTicket u;
        u.code = column_text(q, 0);
        u.community = column_text(q, 1);
        u.building = column_text(q, 2);
        u.unit = column_text(q, 3);
        u.room = column_text(q, 4);
        u.category = column_text(q, 5);
        u.category_label = category_label(o, u.category);
        u.department = column_text(q, 6);
        u.handler = column_text(q, 7);
        u.reason = column_text(q, 8);
        u.created_at_ms = q.getColumn(9).getInt64();
        out.push_back(std::move(u));
    }
    return out;
}

std::vector<Hotspot> hotspots_of(const MonthFigures& f, const ReportOptions& o) {
    std::map<std::tuple<std::string, std::string, std::string>, std::int64_t> counts;
    for (const auto& r : f.rows) {
        if (!r.building.empty()) {
            counts[{r.community, r.building, r.category}] += r.filed;
        }
    }
    std::vector<Hotspot> out;
    for (const auto& [key, count] : counts) {
        if (count >= o.hotspot_min) {
            const auto& [community, building, category] = key;
            out.push_back({community, building, category, category_label(o, category), count});
        }
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const Hotspot& a, const Hotspot& b) { return a.count > b.count; });
    return out;
}

// Elevators are told apart by building, unit and number; the slots say where the elevator is when
// the resident named it, else the ticket's room does.
std::vector<AssetHotspot> assets_of(SQLite::Database& db, std::int64_t from, std::int64_t to,
                                    const ReportOptions& o) {
    SQLite::Statement q(
        db,
        "SELECT community, b, u, e, count(*) FROM ("
        " SELECT community,"
        "  coalesce(nullif(CAST(json_extract(slots, '$.building') AS TEXT), ''), building) AS b,"
        "  coalesce(nullif(CAST(json_extract(slots, '$.unit') AS TEXT), ''), unit) AS u,"
        "  CAST(json_extract(slots, '$.elevator') AS TEXT) AS e"
        " FROM tickets WHERE created_at >= ? AND created_at < ? AND category = 'elevator' AND is_group = 0"
        "  AND json_valid(slots)" +
            community_filter(o, "community") +
            ") WHERE coalesce(e, '') != '' GROUP BY community, b, u, e HAVING count(*) >= ?"
            " ORDER BY count(*) DESC, community, b, u, e");
    int c = 1;
    q.bind(c++, from);
    q.bind(c++, to);
    if (!o.community.empty()) {
        q.bind(c++, o.community);
    }
    q.bind(c, o.hotspot_min);
    std::vector<AssetHotspot> out;
    while (q.executeStep()) {
        out.push_back({column_text(q, 0), column_text(q, 1), column_text(q, 2), column_text(q, 3),
                       q.getColumn(4).getInt64()});
    }
    return out;
}

std::vector<RepeatRoom> repeat_rooms_of(SQLite::Database& db, MonthKey month, const ReportOptions& o) {
    auto first = month;
    for (int i = 1; i < o.repeat_months; ++i) {
        first = first.previous();
    }
    const auto from = first.start_ms(o.utc_offset_minutes);
    const auto month_start = month.start_ms(o.utc_offset_minutes);
    const auto to = month.next().start_ms(o.utc_offset_minutes);
    SQLite::Statement q(
        db,
        "SELECT community, building, unit, room, count(*), sum(created_at >= ?), max(created_at),"
        " group_concat(category, ',')"
        " FROM tickets WHERE created_at >= ? AND created_at < ? AND room != '' AND is_group = 0" +
            community_filter(o, "community") +
            " GROUP BY community, building, unit, room HAVING count(*) >= ?"
            " ORDER BY count(*) DESC, max(created_at) DESC");
    int c = 1;
    q.bind(c++, month_start);
    q.bind(c++, from);
    q.bind(c++, to);
    if (!o.community.empty()) {
        q.bind(c++, o.community);
    }
    q.bind(c, o.repeat_min);
    std::vector<RepeatRoom> out;
    while (q.executeStep()) {
        RepeatRoom r;
        r.community = column_text(q, 0);
        r.building = column_text(q, 1);
        r.unit = column_text(q, 2);
        r.room = column_text(q, 3);
        r.tickets = q.getColumn(4).getInt64();
        r.this_month = q.getColumn(5).getInt64();
        r.last_at_ms = q.getColumn(6).getInt64();
        // Categories, most frequent first.
        std::map<std::string, int> counts;
        const auto all = column_text(q, 7);
        for (std::size_t at = 0; at <= all.size();) {
            const auto comma = std::min(all.find(',', at), all.size());
            ++counts[all.substr(at, comma - at)];
            at = comma + 1;
        }
        std::vector<std::pair<std::string, int>> ranked(counts.begin(), counts.end());
        std::stable_sort(ranked.begin(), ranked.end(),
                         [](const auto& a, const auto& b) { return a.second > b.second; });
        for (const auto& [category, n] : ranked) {
            r.categories.push_back(category_label(o, category));
        }
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace

// ---- months ----

std::string MonthKey::to_string() const {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u", year, month);
    return buf;
}

std::string MonthKey::label() const { return std::to_string(year) + "年" + std::to_string(month) + "月"; }

MonthKey MonthKey::previous() const {
    return month == 1 ? MonthKey{year - 1, 12} : MonthKey{year, month - 1};
}

MonthKey MonthKey::next() const { return month == 12 ? MonthKey{year + 1, 1} : MonthKey{year, month + 1}; }

std::int64_t MonthKey::start_ms(int utc_offset_minutes) const {
    return tickets::days_from_civil(year, month, 1) * kDayMs -
           static_cast<std::int64_t>(utc_offset_minutes) * 60'000;
}

boost::system::result<MonthKey> parse_month(std::string_view text) {
    const auto invalid = make_error_code(boost::system::errc::invalid_argument);
    if (text.size() != 7 || text[4] != '-') {
        return invalid;
    }
    int year = 0;
    unsigned month = 0;
    const auto* begin = text.data();
    if (auto [p, ec] = std::from_chars(begin, begin + 4, year); ec != std::errc{} || p != begin + 4) {
        return invalid;
    }
    if (auto [p, ec] = std::from_chars(begin + 5, begin + 7, month); ec != std::errc{} || p != begin + 7) {
        return invalid;
    }
    if (year < 1970 || year > 9999 || month < 1 || month > 12) {
        return invalid;
    }
    return MonthKey{year, month};
}

MonthKey month_of(Clock::time_point t, int utc_offset_minutes) {
    const auto local_ms = unix_ms(t) + static_cast<std::int64_t>(utc_offset_minutes) * 60'000;
    int year = 0;
    unsigned month = 0;
    unsigned day = 0;
    tickets::civil_from_days(floor_div(local_ms, kDayMs), year, month, day);
    return {year, month};
}

// ---- derived figures ----

std::optional<double> OnTime::rate() const {
    if (decided() == 0) {
        return std::nullopt;
    }
    return static_cast<double>(on_time) / static_cast<double>(decided());
}

std::optional<double> Satisfaction::rate() const {
    if (rated() == 0) {
        return std::nullopt;
    }
    return static_cast<double>(satisfied + basically) / static_cast<double>(rated());
}

std::optional<double> Satisfaction::score_average() const {
    if (scored == 0) {
        return std::nullopt;
    }
    return static_cast<double>(score_total) / static_cast<double>(scored);
}

std::optional<double> Reopen::rate() const {
    if (resolved == 0) {
        return std::nullopt;
    }
    return static_cast<double>(reopened) / static_cast<double>(resolved);
}

double percent(std::int64_t count, std::int64_t total) {
    return total == 0 ? 0.0 : 100.0 * static_cast<double>(count) / static_cast<double>(total);
}

std::vector<CategoryChange> category_changes(const MonthlyReport& report) {
    std::vector<CategoryChange> out;
    for (const auto& c : report.categories) {
        out.push_back({c.key, c.label, c.count, 0});
    }
    for (const auto& p : report.previous.categories) {
        auto it =
            std::find_if(out.begin(), out.end(), [&p](const CategoryChange& c) { return c.key == p.key; });
        if (it == out.end()) {
            out.push_back({p.key, p.label, 0, p.count});
        } else {
            it->previous = p.count;
        }
    }
    return out;
}

std::string department_label(std::string_view department) {
    static const std::pair<std::string_view, std::string_view> kLabels[] = {
        {"engineering", "工程维修"}, {"order", "秩序维护"}, {"butler", "管家"},     {"cs", "客服"},
        {"pm", "项目经理"},          {"quality", "品质"},   {"supervisor", "主管"},
    };
    for (const auto& [key, label] : kLabels) {
        if (key == department) {
            return std::string(label);
        }
    }
    return department.empty() ? "未分派" : std::string(department);
}

std::string milestone_label(std::string_view kind) {
    static const std::pair<std::string_view, std::string_view> kLabels[] = {
        {"claim", "接单"},        {"on_site", "到场"},           {"plan", "方案"},
        {"progress", "每日进展"}, {"rectification", "整改答复"},
    };
    for (const auto& [key, label] : kLabels) {
        if (key == kind) {
            return std::string(label);
        }
    }
    return std::string(kind);
}

std::string nature_label(std::string_view nature) {
    static const std::pair<std::string_view, std::string_view> kLabels[] = {
        {"service", "服务类"}, {"facility", "设施类"}, {"fee", "费用类"}, {"order", "秩序类"}};
    for (const auto& [key, label] : kLabels) {
        if (key == nature) {
            return std::string(label);
        }
    }
    return "未分类";
}

std::string building_label(std::string_view building) {
    if (building.empty()) {
        return "未登记楼栋";
    }
    const bool digits =
        std::all_of(building.begin(), building.end(), [](char c) { return c >= '0' && c <= '9'; });
    return digits ? std::string(building) + "栋" : std::string(building);
}

std::string room_label(std::string_view building, std::string_view unit, std::string_view room) {
    auto text = dialogs::Room{std::string(building), std::string(unit), std::string(room)}.display();
    return text.empty() ? "未登记房号" : text;
}

// ---- the report ----

MonthlyReport build_monthly_report(SQLite::Database& db, MonthKey month, const ReportOptions& options,
                                   Clock::time_point generated_at) {
    const auto& o = options;
    const auto from = month.start_ms(o.utc_offset_minutes);
    const auto to = month.next().start_ms(o.utc_offset_minutes);
    const auto now = unix_ms(generated_at);

    MonthlyReport r;
    r.month = month;
    r.community = o.community;
    r.title = o.title.empty() ? month.label() + "投诉分析报告" : o.title;
    r.generated_at = generated_at;
    r.utc_offset_minutes = o.utc_offset_minutes;
    r.hotspot_min = o.hotspot_min;
    r.repeat_min = o.repeat_min;
    r.repeat_months = o.repeat_months;

    const auto figures = month_figures(db, from, to, o, true);
    r.totals = figures.totals;
    r.satisfaction = figures.satisfaction;
    r.reopen = figures.reopen;
    r.categories = categories_of(figures, o);
    {
        std::map<std::string, std::int64_t> natures;
        std::map<std::pair<std::string, std::string>, std::int64_t> buildings;
        std::map<std::string, std::int64_t> communities;
        for (const auto& row : figures.rows) {
            natures[row.nature] += row.filed;
            buildings[{row.community, row.building}] += row.filed;
            communities[row.community] += row.filed;
        }
        for (const auto& [key, count] : natures) {
            r.natures.push_back({key, nature_label(key), count});
        }
        sort_shares(r.natures);
        for (const auto& [key, count] : buildings) {
            r.buildings.push_back({key.first, key.second, count});
        }
        std::sort(r.buildings.begin(), r.buildings.end(), [](const BuildingCount& a, const BuildingCount& b) {
            if (a.count != b.count) {
                return a.count > b.count;
            }
            if (a.community != b.community) {
                return a.community < b.community;
            }
            return building_less(a.building, b.building);
        });
        if (communities.size() > 1) {
            for (const auto& [key, count] : communities) {
                r.communities.push_back({key, label_or_key(o.community_label, key), count});
            }
            sort_shares(r.communities);
        }
    }
    r.on_time = on_time_of(db, from, to, now, o, true);
    r.on_time_total = sum_on_time(r.on_time);
    r.unsatisfied = unsatisfied_of(db, from, to, o);
    r.hotspots = hotspots_of(figures, o);
    r.assets = assets_of(db, from, to, o);
    r.repeat_rooms = repeat_rooms_of(db, month, o);

    const auto prev = month.previous();
    const auto before = month_figures(db, prev.start_ms(o.utc_offset_minutes), from, o, false);
    r.previous.month = prev;
    r.previous.totals = before.totals;
    r.previous.satisfaction = before.satisfaction;
    r.previous.reopen = before.reopen;
    r.previous.categories = categories_of(before, o);
    r.previous.on_time =
        sum_on_time(on_time_of(db, prev.start_ms(o.utc_offset_minutes), from, now, o, false));

    r.summary = summary_zh(r);
    return r;
}

}  // namespace anju::reports
