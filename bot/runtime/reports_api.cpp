#include "bot/runtime/reports_api.hpp"

#include "bot/core/log.hpp"
#include "bot/net/url.hpp"
#include "bot/runtime/api_json.hpp"

#include <SQLiteCpp/Statement.h>
#include <nlohmann/json.hpp>

#include <map>
#include <memory>

namespace anju::runtime {
namespace {

using json = nlohmann::json;
using api::bad;

const log::Logger reports_log{"reports"};

using Names = std::map<std::string, std::string, std::less<>>;

std::int64_t unix_ms(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// A lookup that answers "" for unknown keys (the report then shows the key itself).
std::function<std::string(std::string_view)> lookup(std::shared_ptr<const Names> names) {
    return [names = std::move(names)](std::string_view key) {
        const auto it = names->find(key);
        return it == names->end() ? std::string() : it->second;
    };
}

// What the report is: built now, or kept since the 1st.
struct Outcome {
    std::optional<std::string> stored;
    std::optional<reports::MonthlyReport> built;
};

// "anju-report-2026-11-sunny.csv": community ids are config identifiers, but only safe characters
// go into a header anyway.
std::string file_name(reports::MonthKey month, std::string_view community, std::string_view ext) {
    std::string name = "anju-report-" + month.to_string();
    if (!community.empty()) {
        name += "-";
        for (const char c : community) {
            const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                              c == '-' || c == '_';
            name.push_back(safe ? c : '_');
        }
    }
    return name + "." + std::string(ext);
}

net::Response render(const reports::MonthlyReport& report, std::string_view format, bool stored) {
    net::Response res;
    if (format == "csv") {
        res = net::make_response(http::status::ok, reports::to_csv(report), "text/csv; charset=utf-8");
        res.set(http::field::content_disposition,
                "attachment; filename=\"" + file_name(report.month, report.community, "csv") + "\"");
    } else if (format == "html") {
        res = net::make_response(http::status::ok, reports::to_html(report), "text/html; charset=utf-8");
        // The page needs nothing but its own inline styles.
        res.set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
    } else {
        res = api::reply(http::status::ok, reports::to_json(report));
    }
    res.set("X-Anju-Report", stored ? "stored" : "fresh");
    res.set(http::field::cache_control, "no-store");
    return res;
}

}  // namespace

reports::ReportOptions report_options(const config::Config& config, reports::MonthKey month,
                                      const std::string& community) {
    reports::ReportOptions o;
    o.hotspot_min = config.reports.hotspot_min;
    o.repeat_min = config.reports.repeat_min;
    o.repeat_months = config.reports.repeat_months;
    o.utc_offset_minutes = config.tickets.utc_offset_minutes;
    auto labels = std::make_shared<Names>();
    for (const auto& c : config.dialogs.understanding.categories) {
        labels->emplace(c.name, c.label);
    }
    o.category_label = lookup(std::move(labels));
    auto names = std::make_shared<Names>();
    for (const auto& c : config.tickets.communities) {
        names->emplace(c.id, c.name);
    }
    std::string name;
    if (!community.empty()) {
        const auto it = names->find(community);
        name = it == names->end() || it->second.empty() ? community : it->second;
    } else if (config.tickets.communities.size() == 1) {
        name = config.tickets.communities.front().name;
    }
    o.community_label = lookup(std::move(names));
    o.community = community;
    o.title = (name.empty() ? std::string() : name + " ") + month.label() + "投诉分析报告";
    return o;
}

std::optional<std::string> stored_report(SQLite::Database& db, reports::MonthKey month,
                                         std::string_view community) {
    SQLite::Statement q(db, "SELECT body FROM reports WHERE month = ? AND community = ? AND format = 'json'");
    q.bind(1, month.to_string());
    q.bind(2, std::string(community));
    if (!q.executeStep()) {
        return std::nullopt;
    }
    return q.getColumn(0).getString();
}

void store_report(SQLite::Database& db, const reports::MonthlyReport& report, Clock::time_point now) {
    SQLite::Statement q(
        db,
        "INSERT INTO reports (month, community, format, body, created_at) VALUES (?, ?, 'json', ?, ?)"
        " ON CONFLICT (month, community) DO UPDATE SET format = excluded.format,"
        " body = excluded.body, created_at = excluded.created_at");
    q.bind(1, report.month.to_string());
    q.bind(2, report.community);
    q.bind(3, reports::to_json(report).dump(-1, ' ', false, json::error_handler_t::replace));
    q.bind(4, unix_ms(now));
    q.exec();
}

ReportsApi::ReportsApi(store::Store& store, const config::Config& config, Clock& clock)
    : store_(store), config_(config), clock_(clock) {}

asio::awaitable<net::Response> ReportsApi::monthly(net::ServerRequest request) {
    const auto now = clock_.now();
    const auto offset = config_.tickets.utc_offset_minutes;
    const auto current = reports::month_of(now, offset);
    auto month = current.previous();
    std::string format = "json";
    std::string community;
    bool fresh = false;
    for (const auto& [key, value] : net::parse_query(request.query)) {
        if (key == "month") {
            const auto parsed = reports::parse_month(value);
            if (!parsed) {
                co_return bad("month", "must be a month as YYYY-MM, e.g. 2026-11 (got \"" + value + "\")");
            }
            if (*parsed > current) {
                co_return bad("month", "has not started yet (this month is " + current.to_string() + ")");
            }
            month = *parsed;
        } else if (key == "format") {
            if (value != "json" && value != "csv" && value != "html") {
                co_return bad("format", "must be json, csv or html (got \"" + value + "\")");
            }
            format = value;
        } else if (key == "community") {
            const auto& communities = config_.tickets.communities;
            const bool known =
                communities.empty() || std::any_of(communities.begin(), communities.end(),
                                                   [&value](const auto& c) { return c.id == value; });
            if (!known) {
                co_return bad("community", "no such community (got \"" + value + "\")");
            }
            community = value;
        } else if (key == "fresh") {
            if (value != "true" && value != "false" && value != "1" && value != "0") {
                co_return bad("fresh", "must be true or false");
            }
            fresh = value == "true" || value == "1";
        } else {
            co_return bad(key, "unknown parameter");
        }
    }
    // A month that has ended does not change much, so the report kept on the 1st is served; the
    // current month is always built afresh.
    const bool past = month < current;
    auto options = report_options(config_, month, community);
    auto job = [options, month, use_stored = past && !fresh, now](SQLite::Database& db) {
        Outcome out;
        if (use_stored) {
            out.stored = stored_report(db, month, options.community);
            if (out.stored) {
                return out;
            }
        }
        out.built = reports::build_monthly_report(db, month, options, now);
        return out;
    };
    const auto started = std::chrono::steady_clock::now();
    auto outcome = co_await store_.run(std::move(job));
    if (outcome.stored) {
        auto kept = reports::from_json(json::parse(*outcome.stored, nullptr, false));
        if (kept) {
            co_return render(*kept, format, true);
        }
        ANJU_LOG_WARN(reports_log) << "stored report unreadable, building it afresh"
                                   << kv("month", month.to_string()) << kv("community", community);
        auto rebuild = [options, month, now](SQLite::Database& db) {
            return reports::build_monthly_report(db, month, options, now);
        };
        outcome.built = co_await store_.run(std::move(rebuild));
    }
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    ANJU_LOG_INFO(reports_log) << "monthly report built" << kv("month", month.to_string())
                               << kv("community", community) << kv("ms", elapsed.count());
    co_return render(*outcome.built, format, false);
}

void ReportsApi::store_monthly(SQLite::Database& db, TicketService& tickets, const std::string& month,
                               Clock::time_point now) const {
    const auto key = reports::parse_month(month);
    if (!key) {
        ANJU_LOG_ERROR(reports_log) << "monthly report: not a month" << kv("month", month);
        return;
    }
    std::vector<std::string> communities = {""};
    if (config_.tickets.communities.size() > 1) {
        for (const auto& c : config_.tickets.communities) {
            communities.push_back(c.id);
        }
    }
    for (const auto& community : communities) {
        const auto report =
            reports::build_monthly_report(db, *key, report_options(config_, *key, community), now);
        store_report(db, report, now);
        // With several communities each one's staff hear of their own report; with one, of the whole.
        if (communities.size() > 1 && community.empty()) {
            continue;
        }
        const auto text = "【月度投诉分析】" + report.title + "已生成。" +
                          reports::first_sentence(report.summary) +
                          "完整报告：/api/v1/reports/monthly?month=" + month +
                          (community.empty() ? std::string() : "&community=" + community) + "&format=html";
        std::size_t told = 0;
        for (const char* role : {"quality", "pm"}) {
            told += tickets.notify_role(db, community, role, "report:" + month + ":" + community + ":" + role,
                                        text, now);
        }
        ANJU_LOG_INFO(reports_log) << "monthly report stored" << kv("month", month)
                                   << kv("community", community) << kv("filed", report.totals.filed)
                                   << kv("staff_told", told);
    }
}

TicketService::MonthlyHook ReportsApi::monthly_hook(TicketService& tickets) const {
    return [this, &tickets](SQLite::Database& db, const std::string& month, Clock::time_point now) {
        store_monthly(db, tickets, month, now);
    };
}

}  // namespace anju::runtime
