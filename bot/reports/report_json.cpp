// The JSON form of a monthly report, and back (a stored report is re-rendered as CSV or HTML from
// its JSON). Counts are the truth; rates and percentages are derived when writing and ignored when
// reading.
#include "bot/reports/format.hpp"
#include "bot/reports/report.hpp"

namespace anju::reports {
namespace {

using json = nlohmann::json;
using detail::iso_local;
using detail::rounded;

json rate_json(std::optional<double> rate) { return rate ? json(rounded(*rate, 4)) : json(nullptr); }

json share_json(const Share& s, std::int64_t total) {
    return {{"key", s.key},
            {"label", s.label},
            {"count", s.count},
            {"percent", rounded(percent(s.count, total), 1)}};
}

json shares_json(const std::vector<Share>& shares, std::int64_t total) {
    json out = json::array();
    for (const auto& s : shares) {
        out.push_back(share_json(s, total));
    }
    return out;
}

json totals_json(const Totals& t) {
    return {{"filed", t.filed},
            {"open", t.open},
            {"resolved", t.resolved},
            {"closed", t.closed},
            {"cancelled", t.cancelled},
            {"group_complaints", t.group_complaints},
            {"emergencies", t.emergencies},
            {"auto_closed", t.auto_closed}};
}

json on_time_json(const OnTime& o) {
    json j = {{"due", o.due},       {"on_time", o.on_time}, {"late", o.late},
              {"missed", o.missed}, {"pending", o.pending}, {"rate", rate_json(o.rate())}};
    if (!o.department.empty() || !o.kind.empty()) {
        j["department"] = o.department;
        j["department_label"] = department_label(o.department);
        j["kind"] = o.kind;
        j["kind_label"] = milestone_label(o.kind);
    }
    return j;
}

json satisfaction_json(const Satisfaction& s) {
    const auto average = s.score_average();
    return {{"satisfied", s.satisfied},
            {"basically", s.basically},
            {"unsatisfied", s.unsatisfied},
            {"rated", s.rated()},
            {"unrated", s.unrated},
            {"rate", rate_json(s.rate())},
            {"scored", s.scored},
            {"score_total", s.score_total},
            {"score_average", average ? json(rounded(*average, 2)) : json(nullptr)}};
}

json reopen_json(const Reopen& r) {
    return {{"reopened", r.reopened}, {"resolved", r.resolved}, {"rate", rate_json(r.rate())}};
}

// Rate changes in percentage points; null when either side is undefined.
json points_change(std::optional<double> now, std::optional<double> before) {
    if (!now || !before) {
        return nullptr;
    }
    return rounded((*now - *before) * 100.0, 1);
}

// ---- reading back ----

// Thrown by the readers below on a missing or mistyped field; caught in from_json only.
struct Malformed {};

const json& field(const json& j, const char* key) {
    if (!j.is_object()) {
        throw Malformed{};
    }
    const auto it = j.find(key);
    if (it == j.end()) {
        throw Malformed{};
    }
    return *it;
}

std::int64_t int_field(const json& j, const char* key) {
    const auto& v = field(j, key);
    if (!v.is_number_integer()) {
        throw Malformed{};
    }
    return v.get<std::int64_t>();
}

std::string string_field(const json& j, const char* key) {
    const auto& v = field(j, key);
    if (!v.is_string()) {
        throw Malformed{};
    }
    return v.get<std::string>();
}

const json& array_field(const json& j, const char* key) {
    const auto& v = field(j, key);
    if (!v.is_array()) {
        throw Malformed{};
    }
    return v;
}

MonthKey month_field(const json& j, const char* key) {
    auto m = parse_month(string_field(j, key));
    if (!m) {
        throw Malformed{};
    }
    return *m;
}

std::int64_t time_field(const json& j, const char* key) {
    auto ms = detail::parse_iso(string_field(j, key));
    if (!ms) {
        throw Malformed{};
    }
    return *ms;
}

Totals read_totals(const json& j) {
    Totals t;
    t.filed = int_field(j, "filed");
    t.open = int_field(j, "open");
    t.resolved = int_field(j, "resolved");
    t.closed = int_field(j, "closed");
    t.cancelled = int_field(j, "cancelled");
    t.group_complaints = int_field(j, "group_complaints");
    t.emergencies = int_field(j, "emergencies");
    t.auto_closed = int_field(j, "auto_closed");
    return t;
}

std::vector<Share> read_shares(const json& j) {
    std::vector<Share> out;
    for (const auto& s : j) {
        out.push_back({string_field(s, "key"), string_field(s, "label"), int_field(s, "count")});
    }
    return out;
}

OnTime read_on_time(const json& j) {
    OnTime o;
    if (j.contains("department")) {
        o.department = string_field(j, "department");
        o.kind = string_field(j, "kind");
    }
    o.due = int_field(j, "due");
    o.on_time = int_field(j, "on_time");
    o.late = int_field(j, "late");
    o.missed = int_field(j, "missed");
    o.pending = int_field(j, "pending");
    return o;
}

Satisfaction read_satisfaction(const json& j) {
    Satisfaction s;
    s.satisfied = int_field(j, "satisfied");
    s.basically = int_field(j, "basically");
    s.unsatisfied = int_field(j, "unsatisfied");
    s.unrated = int_field(j, "unrated");
    s.scored = int_field(j, "scored");
    s.score_total = int_field(j, "score_total");
    return s;
}

Reopen read_reopen(const json& j) { return {int_field(j, "reopened"), int_field(j, "resolved")}; }

MonthlyReport read_report(const json& j) {
    MonthlyReport r;
    r.month = month_field(j, "month");
    r.community = string_field(j, "community");
    r.title = string_field(j, "title");
    r.generated_at = Clock::time_point{std::chrono::milliseconds{time_field(j, "generated_at")}};
    r.utc_offset_minutes = static_cast<int>(int_field(j, "utc_offset_minutes"));
    const auto& thresholds = field(j, "thresholds");
    r.hotspot_min = static_cast<int>(int_field(thresholds, "hotspot_min"));
    r.repeat_min = static_cast<int>(int_field(thresholds, "repeat_min"));
    r.repeat_months = static_cast<int>(int_field(thresholds, "repeat_months"));
    r.totals = read_totals(field(j, "totals"));
    r.natures = read_shares(array_field(j, "natures"));
    r.categories = read_shares(array_field(j, "categories"));
    for (const auto& b : array_field(j, "buildings")) {
        r.buildings.push_back(
            {string_field(b, "community"), string_field(b, "building"), int_field(b, "count")});
    }
    r.communities = read_shares(array_field(j, "communities"));
    const auto& on_time = field(j, "on_time");
    for (const auto& o : array_field(on_time, "departments")) {
        r.on_time.push_back(read_on_time(o));
    }
    r.on_time_total = read_on_time(field(on_time, "total"));
    r.satisfaction = read_satisfaction(field(j, "satisfaction"));
    r.reopen = read_reopen(field(j, "reopen"));
    for (const auto& u : array_field(j, "unsatisfied")) {
        UnsatisfiedTicket t;
        t.code = string_field(u, "code");
        t.community = string_field(u, "community");
        t.building = string_field(u, "building");
        t.unit = string_field(u, "unit");
        t.room = string_field(u, "room");
        t.category = string_field(u, "category");
        t.category_label = string_field(u, "category_label");
        t.department = string_field(u, "department");
        t.handler = string_field(u, "handler");
        t.reason = string_field(u, "reason");
        t.created_at_ms = time_field(u, "created_at");
        r.unsatisfied.push_back(std::move(t));
    }
    for (const auto& h : array_field(j, "hotspots")) {
        r.hotspots.push_back({string_field(h, "community"), string_field(h, "building"),
                              string_field(h, "category"), string_field(h, "category_label"),
                              int_field(h, "count")});
    }
    for (const auto& a : array_field(j, "assets")) {
        r.assets.push_back({string_field(a, "community"), string_field(a, "building"),
                            string_field(a, "unit"), string_field(a, "elevator"), int_field(a, "count")});
    }
    for (const auto& x : array_field(j, "repeat_complainants")) {
        RepeatRoom room;
        room.community = string_field(x, "community");
        room.building = string_field(x, "building");
        room.unit = string_field(x, "unit");
        room.room = string_field(x, "room");
        room.tickets = int_field(x, "tickets");
        room.this_month = int_field(x, "this_month");
        for (const auto& c : array_field(x, "categories")) {
            if (!c.is_string()) {
                throw Malformed{};
            }
            room.categories.push_back(c.get<std::string>());
        }
        room.last_at_ms = time_field(x, "last_at");
        r.repeat_rooms.push_back(std::move(room));
    }
    const auto& p = field(j, "previous");
    r.previous.month = month_field(p, "month");
    r.previous.totals = read_totals(field(p, "totals"));
    r.previous.satisfaction = read_satisfaction(field(p, "satisfaction"));
    r.previous.reopen = read_reopen(field(p, "reopen"));
    r.previous.on_time = read_on_time(field(p, "on_time"));
    r.previous.categories = read_shares(array_field(p, "categories"));
    r.summary = string_field(j, "summary");
    return r;
}

}  // namespace

nlohmann::json to_json(const MonthlyReport& r) {
    const auto offset = r.utc_offset_minutes;
    const auto total = r.totals.filed;
    json j;
    j["month"] = r.month.to_string();
    j["label"] = r.month.label();
    j["community"] = r.community;
    j["title"] = r.title;
    j["generated_at"] = iso_local(
        std::chrono::duration_cast<std::chrono::milliseconds>(r.generated_at.time_since_epoch()).count(),
        offset);
    j["utc_offset_minutes"] = offset;
    j["period"] = {{"from", iso_local(r.month.start_ms(offset), offset)},
                   {"to", iso_local(r.month.next().start_ms(offset), offset)}};
    j["thresholds"] = {
        {"hotspot_min", r.hotspot_min}, {"repeat_min", r.repeat_min}, {"repeat_months", r.repeat_months}};
    j["totals"] = totals_json(r.totals);
    j["natures"] = shares_json(r.natures, total);
    j["categories"] = shares_json(r.categories, total);
    json buildings = json::array();
    for (const auto& b : r.buildings) {
        buildings.push_back({{"community", b.community},
                             {"building", b.building},
                             {"label", detail::community_prefix(r, b.community) + building_label(b.building)},
                             {"count", b.count},
                             {"percent", rounded(percent(b.count, total), 1)}});
    }
    j["buildings"] = std::move(buildings);
    j["communities"] = shares_json(r.communities, total);
    json departments = json::array();
    for (const auto& o : r.on_time) {
        departments.push_back(on_time_json(o));
    }
    j["on_time"] = {{"departments", std::move(departments)}, {"total", on_time_json(r.on_time_total)}};
    j["satisfaction"] = satisfaction_json(r.satisfaction);
    j["reopen"] = reopen_json(r.reopen);
    json unsatisfied = json::array();
    for (const auto& u : r.unsatisfied) {
        unsatisfied.push_back(
            {{"code", u.code},
             {"community", u.community},
             {"building", u.building},
             {"unit", u.unit},
             {"room", u.room},
             {"place", detail::community_prefix(r, u.community) + room_label(u.building, u.unit, u.room)},
             {"category", u.category},
             {"category_label", u.category_label},
             {"department", u.department},
             {"handler", u.handler},
             {"reason", u.reason},
             {"created_at", iso_local(u.created_at_ms, offset)}});
    }
    j["unsatisfied"] = std::move(unsatisfied);
    json hotspots = json::array();
    for (const auto& h : r.hotspots) {
        hotspots.push_back({{"community", h.community},
                            {"building", h.building},
                            {"category", h.category},
                            {"category_label", h.category_label},
                            {"label", detail::community_prefix(r, h.community) + building_label(h.building) +
                                          h.category_label},
                            {"count", h.count}});
    }
    j["hotspots"] = std::move(hotspots);
    json assets = json::array();
    for (const auto& a : r.assets) {
        assets.push_back({{"community", a.community},
                          {"building", a.building},
                          {"unit", a.unit},
                          {"elevator", a.elevator},
                          {"label", detail::community_prefix(r, a.community) +
                                        room_label(a.building, a.unit, "") + a.elevator + "号梯"},
                          {"count", a.count}});
    }
    j["assets"] = std::move(assets);
    json repeat = json::array();
    for (const auto& x : r.repeat_rooms) {
        repeat.push_back(
            {{"community", x.community},
             {"building", x.building},
             {"unit", x.unit},
             {"room", x.room},
             {"place", detail::community_prefix(r, x.community) + room_label(x.building, x.unit, x.room)},
             {"tickets", x.tickets},
             {"this_month", x.this_month},
             {"categories", x.categories},
             {"last_at", iso_local(x.last_at_ms, offset)}});
    }
    j["repeat_complainants"] = std::move(repeat);
    const auto& p = r.previous;
    j["previous"] = {{"month", p.month.to_string()},
                     {"totals", totals_json(p.totals)},
                     {"satisfaction", satisfaction_json(p.satisfaction)},
                     {"reopen", reopen_json(p.reopen)},
                     {"on_time", on_time_json(p.on_time)},
                     {"categories", shares_json(p.categories, p.totals.filed)}};
    json changes;
    changes["filed"] = r.totals.filed - p.totals.filed;
    changes["filed_percent"] =
        p.totals.filed == 0 ? json(nullptr)
                            : json(rounded(percent(r.totals.filed - p.totals.filed, p.totals.filed), 1));
    changes["satisfaction_rate_points"] = points_change(r.satisfaction.rate(), p.satisfaction.rate());
    changes["on_time_rate_points"] = points_change(r.on_time_total.rate(), p.on_time.rate());
    changes["reopen_rate_points"] = points_change(r.reopen.rate(), p.reopen.rate());
    json categories = json::array();
    for (const auto& c : category_changes(r)) {
        categories.push_back({{"key", c.key},
                              {"label", c.label},
                              {"count", c.count},
                              {"previous", c.previous},
                              {"change", c.count - c.previous}});
    }
    changes["categories"] = std::move(categories);
    j["changes"] = std::move(changes);
    j["summary"] = r.summary;
    return j;
}

boost::system::result<MonthlyReport> from_json(const nlohmann::json& j) {
    try {
        return read_report(j);
    } catch (const Malformed&) {
        return make_error_code(boost::system::errc::invalid_argument);
    } catch (const nlohmann::json::exception&) {
        return make_error_code(boost::system::errc::invalid_argument);
    }
}

}  // namespace anju::reports
