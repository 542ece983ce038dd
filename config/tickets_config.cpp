// The "tickets" section: routing, deadlines, group complaints, and the communities with their staff
// roster, work groups, elevators and working-day calendar. Cross-checks every reference (a work
// group's WeCom account, a role name, a department, a date) so a typo is a start-up error, not a
// ticket that goes nowhere.
#include "config/reader.hpp"

#include <set>

namespace anju::config::detail {
namespace {

const std::set<std::string, std::less<>> kRoles = {"cs",         "engineering", "order", "butler",
                                                   "supervisor", "quality",     "pm"};
// Departments tickets are routed to and work groups serve ("all": one group for everything).
const std::set<std::string, std::less<>> kDepartments = {"cs",      "engineering", "order", "butler",
                                                         "quality", "pm",          "all"};
const std::set<std::string, std::less<>> kNatures = {"service", "facility", "fee", "order"};

bool is_date(std::string_view text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
        return false;
    }
    for (const std::size_t i : {0U, 1U, 2U, 3U, 5U, 6U, 8U, 9U}) {
        if (text[i] < '0' || text[i] > '9') {
            return false;
        }
    }
    const int month = (text[5] - '0') * 10 + (text[6] - '0');
    const int day = (text[8] - '0') * 10 + (text[9] - '0');
    return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

std::string list(const std::set<std::string, std::less<>>& items) {
    std::string out;
    for (const auto& i : items) {
        out += (out.empty() ? "" : ", ") + i;
    }
    return out;
}

void read_dates(Reader& r, std::string_view key, std::vector<std::string>& dates) {
    r.strings(key, dates);
    for (const auto& d : dates) {
        if (!is_date(d)) {
            r.problem(key, "must hold dates as YYYY-MM-DD (got " + in_quotes(d) + ")");
        }
    }
}

void read_staff(Reader& c, CommunityConfig& community) {
    c.array("staff", [&community](Reader& r, std::size_t /*index*/) {
        StaffConfig s;
        r.require("userid");
        r.string("userid", s.userid);
        r.require("name");
        r.string("name", s.name);
        r.strings("roles", s.roles);
        for (const auto& role : s.roles) {
            if (kRoles.count(role) == 0) {
                r.problem("roles", "unknown role " + in_quotes(role) + " (known: " + list(kRoles) + ")");
            }
        }
        if (r.has("userid") && s.roles.empty()) {
            r.problem("roles", "must name at least one role (" + list(kRoles) + ")");
        }
        r.strings("buildings", s.buildings);
        r.string("phone", s.phone);
        r.boolean("on_duty", s.on_duty);
        for (const auto& other : community.staff) {
            if (!s.userid.empty() && other.userid == s.userid) {
                r.problem("userid", "is listed twice (" + in_quotes(s.userid) + ")");
            }
        }
        r.done();
        if (!s.userid.empty()) {
            community.staff.push_back(std::move(s));
        }
    });
}

void read_groups(Reader& c, CommunityConfig& community, const ChannelsConfig& channels) {
    c.array("groups", [&community, &channels](Reader& r, std::size_t /*index*/) {
        WorkGroupConfig g;
        r.require("department");
        r.string("department", g.department);
        if (r.has("department") && kDepartments.count(g.department) == 0) {
            r.problem("department", "unknown department " + in_quotes(g.department) +
                                        " (known: " + list(kDepartments) + ")");
        }
        r.string("wecom", g.wecom);
        r.string("chatid", g.chatid);
        r.set_env_path("tickets.communities." + community.id + ".groups." + g.department);
        r.secret("robot_key", g.robot_key);
        r.boolean("web", g.web);
        if (r.has("department")) {
            const int ways = (g.chatid.empty() ? 0 : 1) + (g.robot_key.empty() ? 0 : 1) + (g.web ? 1 : 0);
            if (ways != 1) {
                r.problem("chatid",
                          "give exactly one of chatid (an app group chat), robot_key (a group robot) "
                          "and web (the demo work group page)");
            }
            if (!g.chatid.empty()) {
                const auto it = std::find_if(channels.wecom.begin(), channels.wecom.end(),
                                             [&](const WeComConfig& w) { return w.id == g.wecom; });
                if (it == channels.wecom.end() || it->kind != WeComConfig::Kind::app) {
                    r.problem("wecom", "must name a channels.wecom app that posts to chatid (got " +
                                           in_quotes(g.wecom) + ")");
                } else if (it->corp_secret.empty()) {
                    r.problem("wecom", "names an app without corp_secret: it cannot post to a group chat");
                }
            }
        }
        r.done();
        if (!g.department.empty()) {
            community.groups.push_back(std::move(g));
        }
    });
}

void read_owner_groups(Reader& c, CommunityConfig& community, const ChannelsConfig& channels) {
    c.array("owner_groups", [&community, &channels](Reader& r, std::size_t /*index*/) {
        OwnerGroupConfig g;
        r.require("channel");
        r.require("account");
        r.require("chat");
        r.string("channel", g.channel);
        r.string("account", g.account);
        r.string("chat", g.chat);
        r.string("name", g.name);
        r.strings("buildings", g.buildings);
        r.set_env_path("tickets.communities." + community.id + ".owner_groups." + g.chat);
        r.secret("robot_key", g.robot_key);
        if (r.has("channel")) {
            if (g.channel == "bridge") {
                const bool known = std::any_of(channels.bridge.begin(), channels.bridge.end(),
                                               [&](const BridgeConfig& b) { return b.id == g.account; });
                if (!known) {
                    r.problem("account", "must name a channels.bridge id (got " + in_quotes(g.account) + ")");
                }
            } else if (g.channel == "wecom") {
                const bool known =
                    std::any_of(channels.wecom.begin(), channels.wecom.end(), [&](const WeComConfig& w) {
                        return w.id == g.account && w.audience == WeComConfig::Audience::residents;
                    });
                if (!known) {
                    r.problem("account",
                              "must name a channels.wecom 智能机器人 with audience \"residents\" (got " +
                                  in_quotes(g.account) + ")");
                }
            } else {
                r.problem("channel", "must be \"bridge\" or \"wecom\" (got " + in_quotes(g.channel) + ")");
            }
        }
        for (const auto& other : community.owner_groups) {
            if (!g.chat.empty() && other.channel == g.channel && other.account == g.account &&
                other.chat == g.chat) {
                r.problem("chat", "lists the same group twice (" + in_quotes(g.chat) + ")");
            }
        }
        r.done();
        if (!g.chat.empty()) {
            community.owner_groups.push_back(std::move(g));
        }
    });
}

void read_elevators(Reader& assets, CommunityConfig& community) {
    assets.array("elevators", [&community](Reader& r, std::size_t /*index*/) {
        ElevatorAsset e;
        r.require("building");
        r.string("building", e.building);
        r.string("unit", e.unit);
        r.require("number");
        r.string("number", e.number);
        r.string("brand", e.brand);
        r.string("model", e.model);
        r.string("last_maintenance", e.last_maintenance);
        if (!e.last_maintenance.empty() && !is_date(e.last_maintenance)) {
            r.problem("last_maintenance", "must be a date as YYYY-MM-DD");
        }
        r.done();
        if (!e.building.empty()) {
            community.elevators.push_back(std::move(e));
        }
    });
}

// "18:00": two-digit hours 00-23 and minutes 00-59.
bool is_time_of_day(const std::string& s) {
    const auto digit = [&s](std::size_t i) { return s[i] >= '0' && s[i] <= '9'; };
    if (s.size() != 5 || s[2] != ':' || !digit(0) || !digit(1) || !digit(3) || !digit(4)) {
        return false;
    }
    return (s[0] - '0') * 10 + (s[1] - '0') < 24 && s[3] < '6';
}

void read_route(Reader& r, std::string_view key, std::vector<std::pair<std::string, std::string>>& route,
                bool natures) {
    std::vector<std::pair<std::string, std::string>> read;
    r.string_pairs(key, read);
    for (auto& [from, to] : read) {
        if (natures && kNatures.count(from) == 0) {
            r.problem(key, "unknown nature " + in_quotes(from) + " (known: " + list(kNatures) + ")");
        }
        if (kDepartments.count(to) == 0 || to == "all") {
            r.problem(key, "routes " + in_quotes(from) + " to an unknown department " + in_quotes(to));
        }
        const auto it =
            std::find_if(route.begin(), route.end(), [&](const auto& p) { return p.first == from; });
        if (it != route.end()) {
            it->second = to;
        } else {
            route.emplace_back(from, to);
        }
    }
}

}  // namespace

void read_tickets(Reader& root, TicketsConfig& t, const ChannelsConfig& channels) {
    t.enabled = root.has("tickets");
    auto r = root.object("tickets");
    {
        auto routing = r.object("routing");
        read_route(routing, "natures", t.route_nature, true);
        read_route(routing, "categories", t.route_category, false);
        routing.done();
    }
    r.integer<int>("utc_offset_minutes", t.utc_offset_minutes, -12 * 60, 14 * 60);
    r.duration("emergency_on_site", t.emergency_on_site, 1min, 24h);
    r.duration("order_immediate_on_site", t.order_immediate_on_site, 1min, 24h);
    r.span("normal_plan", t.normal_plan, 30 * 24h, 30);
    r.span("engineering_plan", t.engineering_plan, 30 * 24h, 30);
    r.span("difficult_plan", t.difficult_plan, 60 * 24h, 60);
    r.span("start_within", t.start_within, 30 * 24h, 30);
    r.duration("transfer_contact", t.transfer_contact, 1min, 7 * 24h);
    r.duration("confirm_timeout", t.confirm_timeout, 1h, 30 * 24h);
    r.integer<int>("group_threshold", t.group_threshold, 2, 100000);
    r.duration("group_window", t.group_window, 1min, 30 * 24h);
    r.duration("emergency_claim", t.emergency_claim, 1min, 24h);
    r.integer<int>("warn_at_percent", t.warn_at_percent, 0, 99);
    {
        auto ladder = r.object("escalation");
        const auto read_ladder = [&ladder](std::string_view key, EscalationLadder& l) {
            auto one = ladder.object(key);
            one.span("supervisor", l.supervisor, 30 * 24h, 30);
            one.span("pm", l.pm, 30 * 24h, 30);
            one.done();
        };
        read_ladder("emergency", t.escalation_emergency);
        read_ladder("normal", t.escalation_normal);
        read_ladder("difficult", t.escalation_difficult);
        ladder.done();
    }
    r.boolean("daily_push", t.daily_push);
    r.string("daily_push_at", t.daily_push_at, false);
    if (!is_time_of_day(t.daily_push_at)) {
        r.problem("daily_push_at", "must be a local time as HH:MM (got " + in_quotes(t.daily_push_at) + ")");
    }
    r.span("rectification_answer", t.rectification_answer, 30 * 24h, 30);
    r.string("monthly_report_at", t.monthly_report_at, false);
    if (!is_time_of_day(t.monthly_report_at)) {
        r.problem("monthly_report_at",
                  "must be a local time as HH:MM (got " + in_quotes(t.monthly_report_at) + ")");
    }
    r.array("communities", [&t, &channels](Reader& c, std::size_t /*index*/) {
        CommunityConfig community;
        c.require("id");
        c.string("id", community.id);
        if (c.has("id") && !is_identifier(community.id)) {
            c.problem("id", "must be 1-32 characters of a-z, 0-9, '_' or '-' (got " +
                                in_quotes(community.id) + ")");
        }
        for (const auto& other : t.communities) {
            if (!community.id.empty() && other.id == community.id) {
                c.problem("id", "is used by another community (" + in_quotes(community.id) + ")");
            }
        }
        c.require("name");
        c.string("name", community.name);
        c.strings("buildings", community.buildings);
        read_staff(c, community);
        read_groups(c, community, channels);
        read_owner_groups(c, community, channels);
        {
            auto assets = c.object("assets");
            read_elevators(assets, community);
            assets.done();
        }
        {
            auto calendar = c.object("calendar");
            read_dates(calendar, "holidays", community.calendar.holidays);
            read_dates(calendar, "workdays", community.calendar.workdays);
            calendar.done();
        }
        if (c.has("id") && community.staff.empty()) {
            c.problem("staff", "must list the staff who handle this community's tickets");
        }
        c.done();
        if (!community.id.empty()) {
            t.communities.push_back(std::move(community));
        }
    });
    if (t.enabled && t.communities.empty()) {
        r.problem("communities", "must list at least one community");
    }
    if (t.communities.size() > 1) {
        for (const auto& community : t.communities) {
            if (community.buildings.empty()) {
                r.problem("communities",
                          "community " + in_quotes(community.id) +
                              " must list its buildings: rooms say which community a complaint "
                              "belongs to when there are several");
            }
        }
    }
    r.done();
}

}  // namespace anju::config::detail
