// The admin console's server side. Public, token-free routes serve the page itself (it holds no
// data): GET /static/{file...} answers embedded assets (bot/assets/web/) with ETag/304, GET /console
// redirects to /console/, which is console.html. The data the page shows comes from the token-checked
// admin API: TicketsApi and OutboxApi, plus the routes here (bearer token checked by the caller):
//   GET /api/v1/live?community=    the live view's figures: open tickets by urgency × SLA state, the
//                                  overdue list, today's claims, unclaimed emergencies
//   GET /api/v1/staff?community=   the staff roster (userid, name, roles, buildings)
#pragma once

#include "bot/net/router.hpp"
#include "bot/runtime/ticket_service.hpp"
#include "store/store.hpp"

#include <boost/asio/awaitable.hpp>

namespace anju::runtime {

// GET /static/{file...}: the embedded asset named by the path, 404 when there is none. Answers 304
// when If-None-Match names its ETag; always `Cache-Control: no-cache` (revalidate, so a new build is
// seen at once) and `X-Content-Type-Options: nosniff`. Thread-safe.
asio::awaitable<net::Response> static_asset(net::ServerRequest request);
// GET /console: 302 to /console/ (relative URLs in the page resolve under it).
asio::awaitable<net::Response> console_redirect(net::ServerRequest request);
// GET /console/: the console page (console.html), with the same caching headers as static_asset.
asio::awaitable<net::Response> console_page(net::ServerRequest request);

class ConsoleApi {
public:
    // `store`, `tickets` (for the roster and category labels) and `clock` must outlive the API.
    ConsoleApi(store::Store& store, const TicketService& tickets, Clock& clock);

    // {"community", "now", "day_start" (local midnight), "warn_percent",
    //  "counts": {urgency: {on_track, warning, overdue, total}} for normal, emergency and difficult,
    //  "totals": {on_track, warning, overdue, open},
    //  "overdue": [ticket summary + "overdue_since", "overdue_s"], longest overdue first,
    //  "claims_today": [ticket summary + "claimed_at", "claimed_by", "claimed_by_name"],
    //  "unclaimed_emergencies": [ticket summary + "waiting_s"]}.
    // A ticket summary is {code, status, status_label, urgency, category, category_label, room,
    // department, assignee, assignee_name, created_at}. Lists hold at most 200 entries. 400 for an
    // unknown community or parameter. One store read. Thread-safe.
    asio::awaitable<net::Response> live(net::ServerRequest request);

    // {"communities": [{id, name, staff: [{userid, name, roles, buildings}]}]}, all communities or the
    // one named; 400 for an unknown community. Thread-safe.
    asio::awaitable<net::Response> staff(net::ServerRequest request);

private:
    store::Store& store_;
    const TicketService& tickets_;
    Clock& clock_;
};

}  // namespace anju::runtime
