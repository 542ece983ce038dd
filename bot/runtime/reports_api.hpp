// The monthly complaint analysis in the service: the admin API route (bearer token checked by the
// caller)
//   GET /api/v1/reports/monthly?month=2026-11&format=json|csv|html&community=<id>&fresh=true
// and the monthly timer's work on the 1st (build last month's report, keep it in the `reports`
// table, tell quality and the project manager it is ready). A past month's stored report is served
// as kept unless fresh=true; the current month, or a month without a stored report, is built on
// the store thread. Bad parameters are answered 400 naming the field.
#pragma once

#include "bot/core/clock.hpp"
#include "bot/net/router.hpp"
#include "bot/reports/report.hpp"
#include "bot/runtime/ticket_service.hpp"
#include "config/config.hpp"
#include "store/store.hpp"

#include <SQLiteCpp/Database.h>

#include <optional>
#include <string>
#include <string_view>

namespace anju::runtime {

// The report options the config asks for: reports.* thresholds, tickets.utc_offset_minutes, category
// labels from the dialog lexicons, community names, and a title naming the community when there is
// one to name. `community` "" means every community. The options keep copies of what they need.
reports::ReportOptions report_options(const config::Config& config, reports::MonthKey month,
                                      const std::string& community);

// The kept report of `month` for `community` ("" = all) as stored (JSON), or nullopt. On the
// store thread.
std::optional<std::string> stored_report(SQLite::Database& db, reports::MonthKey month,
                                         std::string_view community);
// Keeps `report` (replacing an earlier one of the same month and community). On the store thread,
// in a write job.
void store_report(SQLite::Database& db, const reports::MonthlyReport& report, Clock::time_point now);

class ReportsApi {
public:
    // `store`, `config` and `clock` must outlive the API.
    ReportsApi(store::Store& store, const config::Config& config, Clock& clock);

    // GET /api/v1/reports/monthly. month defaults to last month (local time); format to json.
    // 200 with application/json, text/csv (a download) or text/html; 400 {"error", "field"} for a
    // malformed or future month, an unknown format, community or parameter. The header
    // X-Anju-Report says whether the body is the "stored" report or a "fresh" one. Thread-safe.
    asio::awaitable<net::Response> monthly(net::ServerRequest request);

    // The monthly timer's work for `month` ("2026-11"): builds the report of every community
    // together and, when the config has several, of each one; keeps each in the reports table; and
    // queues a note with the summary's first sentence to the quality and pm staff concerned.
    // Throws SQLite::Exception on a database failure (the timer is retried). On the store thread,
    // inside the timer's write job.
    void store_monthly(SQLite::Database& db, TicketService& tickets, const std::string& month,
                       Clock::time_point now) const;

    // store_monthly bound to `tickets`, for TicketService::set_monthly_hook.
    TicketService::MonthlyHook monthly_hook(TicketService& tickets) const;

private:
    store::Store& store_;
    const config::Config& config_;
    Clock& clock_;
};

}  // namespace anju::runtime
