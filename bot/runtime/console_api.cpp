#include "bot/runtime/console_api.hpp"

#include "bot/assets/assets.hpp"
#include "bot/net/url.hpp"
#include "bot/runtime/api_json.hpp"
#include "store/ticket_store.hpp"
#include "store/timer_store.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>

namespace anju::runtime {
namespace {

using json = nlohmann::json;
using api::bad;
using api::iso;
using api::reply;

// Enough for one screen; the live view is a glance, the list page has paging.
constexpr std::size_t kLiveListLimit = 200;

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

// If-None-Match is "*" or a comma-separated list of entity tags, strong or weak (RFC 9110 13.1.2:
// the comparison is weak, so W/"x" matches "x").
bool none_match(std::string_view header, std::string_view etag) {
    while (!header.empty()) {
        const auto comma = std::min(header.find(','), header.size());
        auto tag = trim(header.substr(0, comma));
        header.remove_prefix(std::min(comma + 1, header.size()));
        if (tag == "*") {
            return true;
        }
        if (tag.starts_with("W/")) {
            tag.remove_prefix(2);
        }
        if (tag == etag) {
            return true;
        }
    }
    return false;
}

net::Response asset_response(const net::ServerRequest& request, const assets::Asset& asset) {
    const bool fresh = none_match(request.message[http::field::if_none_match], asset.etag);
    net::Response res{fresh ? http::status::not_modified : http::status::ok, 11};
    res.set(http::field::etag, asset.etag);
    // Revalidate every time (a 304 costs one round trip), so a new build is seen at once.
    res.set(http::field::cache_control, "no-cache");
    res.set("X-Content-Type-Options", "nosniff");
    if (!fresh) {
        res.set(http::field::content_type, asset.content_type);
        res.body() = std::string(asset.body);
    }
    return res;
}

std::int64_t unix_ms(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

Clock::time_point from_ms(std::int64_t ms) { return Clock::time_point{std::chrono::milliseconds{ms}}; }

json summary_json(const tickets::Ticket& t, const TicketService& service) {
    return {{"code", t.code},
            {"status", tickets::to_string(t.status)},
            {"status_label", tickets::label(t.status)},
            {"urgency", dialogs::to_string(t.urgency)},
            {"category", t.category},
            {"category_label", service.category_label(t)},
            {"room", t.room.display()},
            {"building", t.room.building},
            {"community", t.community},
            {"department", t.department},
            {"assignee", t.assignee},
            {"assignee_name", t.assignee_name},
            {"escalation", t.escalation},
            {"created_at", iso(t.created_at)}};
}

// When an overdue ticket first went over: its earliest passed deadline or missed, unmet milestone.
std::int64_t overdue_since(const tickets::Ticket& t, const std::vector<store::Milestone>& milestones,
                           std::int64_t now_ms) {
    std::int64_t since = now_ms;
    for (const auto& due : {t.claim_due, t.on_site_due, t.plan_due}) {
        if (due && unix_ms(*due) <= now_ms) {
            since = std::min(since, unix_ms(*due));
        }
    }
    for (const auto& m : milestones) {
        if (!m.met_at_ms && (m.missed_at_ms || m.due_at_ms <= now_ms)) {
            since = std::min(since, m.due_at_ms);
        }
    }
    return since;
}

struct LiveFigures {
    std::vector<store::OpenCount> counts;
    std::vector<std::pair<tickets::Ticket, std::int64_t>> overdue;  // with overdue_since
    std::vector<store::Claim> claims;
    std::vector<tickets::Ticket> unclaimed_emergencies;
};

}  // namespace

asio::awaitable<net::Response> static_asset(net::ServerRequest request) {
    const auto* asset = assets::find(request.param("file"));
    if (asset == nullptr) {
        auto res = net::make_response(http::status::not_found, "not found\n");
        res.set("X-Content-Type-Options", "nosniff");
        co_return res;
    }
    co_return asset_response(request, *asset);
}

asio::awaitable<net::Response> console_redirect(net::ServerRequest /*request*/) {
    net::Response res{http::status::found, 11};
    res.set(http::field::location, "/console/");
    res.set(http::field::cache_control, "no-cache");
    co_return res;
}

asio::awaitable<net::Response> console_page(net::ServerRequest request) {
    const auto* asset = assets::find("console.html");
    if (asset == nullptr) {
        co_return net::make_response(http::status::not_found, "the console is not built in\n");
    }
    auto res = asset_response(request, *asset);
    // The page is the only thing that may frame the report it shows (srcdoc); nobody frames it.
    res.set("X-Frame-Options", "DENY");
    co_return res;
}

ConsoleApi::ConsoleApi(store::Store& store, const TicketService& tickets, Clock& clock)
    : store_(store), tickets_(tickets), clock_(clock) {}

asio::awaitable<net::Response> ConsoleApi::live(net::ServerRequest request) {
    std::string community;
    for (const auto& [key, value] : net::parse_query(request.query)) {
        if (key == "community") {
            if (!value.empty() && tickets_.directory().community(value) == nullptr) {
                co_return bad("community", "no community \"" + value + "\" in the config");
            }
            community = value;
        } else {
            co_return bad(key, "unknown parameter");
        }
    }
    const auto now = clock_.now();
    const auto now_ms = unix_ms(now);
    const auto& directory = tickets_.directory();
    const int warn_percent = directory.config().warn_at_percent;
    const auto day_start =
        directory.calendar(community.empty() ? directory.default_community().id : community).day_start(now);
    auto read = [community, now_ms, warn_percent, since = unix_ms(day_start)](SQLite::Database& db) {
        LiveFigures out;
        out.counts = store::open_counts(db, community, now_ms, warn_percent);
        store::TicketFilter overdue;
        overdue.community = community;
        overdue.overdue = true;
        overdue.now_ms = now_ms;
        overdue.warn_percent = warn_percent;
        overdue.limit = kLiveListLimit;
        for (auto& t : store::find_tickets(db, overdue)) {
            const auto at = overdue_since(t, store::milestones_of(db, t.id), now_ms);
            out.overdue.emplace_back(std::move(t), at);
        }
        out.claims = store::claims_since(db, community, since, kLiveListLimit);
        store::TicketFilter waiting;
        waiting.community = community;
        waiting.status = "dispatched";
        waiting.urgency = "emergency";
        waiting.limit = kLiveListLimit;
        out.unclaimed_emergencies = store::find_tickets(db, waiting);
        return out;
    };
    auto figures = co_await store_.run(std::move(read));

    constexpr std::array<std::string_view, 3> kUrgencies = {"emergency", "normal", "difficult"};
    json counts = json::object();
    for (const auto u : kUrgencies) {
        counts[std::string(u)] = {{"on_track", 0}, {"warning", 0}, {"overdue", 0}, {"total", 0}};
    }
    json totals = {{"on_track", 0}, {"warning", 0}, {"overdue", 0}, {"open", 0}};
    for (const auto& c : figures.counts) {
        const auto state = std::string(store::to_string(c.sla));
        auto& row = counts[c.urgency];
        row[state] = row.value(state, std::int64_t{0}) + c.count;
        row["total"] = row.value("total", std::int64_t{0}) + c.count;
        totals[state] = totals.value(state, std::int64_t{0}) + c.count;
        totals["open"] = totals["open"].get<std::int64_t>() + c.count;
    }
    std::sort(figures.overdue.begin(), figures.overdue.end(),
              [](const auto& a, const auto& b) { return a.second < b.second; });
    json overdue = json::array();
    for (const auto& [t, since] : figures.overdue) {
        auto j = summary_json(t, tickets_);
        j["overdue_since"] = iso(from_ms(since));
        j["overdue_s"] = (now_ms - since) / 1000;
        overdue.push_back(std::move(j));
    }
    json claims = json::array();
    for (const auto& c : figures.claims) {
        auto j = summary_json(c.ticket, tickets_);
        j["claimed_at"] = iso(c.event.at);
        j["claimed_by"] = c.event.actor;
        j["claimed_by_name"] = c.event.actor_name;
        claims.push_back(std::move(j));
    }
    json emergencies = json::array();
    for (const auto& t : figures.unclaimed_emergencies) {
        auto j = summary_json(t, tickets_);
        j["waiting_s"] = (now_ms - unix_ms(t.created_at)) / 1000;
        emergencies.push_back(std::move(j));
    }
    co_return reply(http::status::ok, {{"community", community},
                                       {"now", iso(now)},
                                       {"day_start", iso(day_start)},
                                       {"warn_percent", warn_percent},
                                       {"counts", std::move(counts)},
                                       {"totals", std::move(totals)},
                                       {"overdue", std::move(overdue)},
                                       {"claims_today", std::move(claims)},
                                       {"unclaimed_emergencies", std::move(emergencies)}});
}

asio::awaitable<net::Response> ConsoleApi::staff(net::ServerRequest request) {
    std::string wanted;
    for (const auto& [key, value] : net::parse_query(request.query)) {
        if (key == "community") {
            if (!value.empty() && tickets_.directory().community(value) == nullptr) {
                co_return bad("community", "no community \"" + value + "\" in the config");
            }
            wanted = value;
        } else {
            co_return bad(key, "unknown parameter");
        }
    }
    json communities = json::array();
    for (const auto& c : tickets_.directory().config().communities) {
        if (!wanted.empty() && c.id != wanted) {
            continue;
        }
        json staff = json::array();
        for (const auto& s : c.staff) {
            staff.push_back({{"userid", s.userid},
                             {"name", s.name},
                             {"roles", s.roles},
                             {"buildings", s.buildings},
                             {"on_duty", s.on_duty}});
        }
        communities.push_back({{"id", c.id}, {"name", c.name}, {"staff", std::move(staff)}});
    }
    co_return reply(http::status::ok, {{"communities", std::move(communities)}});
}

}  // namespace anju::runtime
