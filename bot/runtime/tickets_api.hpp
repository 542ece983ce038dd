// The tickets part of the admin API (/api/v1/tickets…, bearer token checked by the caller):
//   GET  /api/v1/tickets?status=&community=&department=&assignee=&resident=&room=&from=&to=&after=&limit=
//        &urgency=&nature=&building=&overdue=true|false&sla=on_track|warning|overdue
//        each ticket with its "sla" state (null once it is no longer open; store::SlaState)
//   GET  /api/v1/tickets/{code}            one ticket with its event log, milestones, rectification
//                                          orders and "messages" (the outbox rows about it)
//   POST /api/v1/tickets                   register a complaint for a resident (walk-in, phone)
//   POST /api/v1/tickets/{code}/actions    the same actions staff commands take, plus "note"; the
//                                          actor is "actor" or "as" (a staff userid)
// JSON in and out; bad input is answered 400 naming the field, refused actions 409 with the
// sentence staff would get, unknown codes 404.
#pragma once

#include "bot/net/router.hpp"
#include "bot/runtime/ticket_service.hpp"
#include "dialogs/understand.hpp"
#include "store/store.hpp"

#include <nlohmann/json.hpp>

#include <functional>

namespace anju::runtime {

class TicketsApi {
public:
    // `understander` (may be null) classifies registered complaints and reads room strings;
    // `queued` is called after a change committed (to wake the outbox).
    TicketsApi(store::Store& store, TicketService& tickets, const dialogs::Understander* understander,
               Clock& clock, std::function<void()> queued);

    asio::awaitable<net::Response> list(net::ServerRequest request);
    asio::awaitable<net::Response> get(net::ServerRequest request);
    asio::awaitable<net::Response> create(net::ServerRequest request);
    asio::awaitable<net::Response> action(net::ServerRequest request);

private:
    store::Store& store_;
    TicketService& tickets_;
    const dialogs::Understander* understander_;
    Clock& clock_;
    std::function<void()> queued_;
};

// The JSON form of a ticket (and its events, when given).
nlohmann::json ticket_json(const tickets::Ticket& ticket, const TicketService& service,
                           const std::vector<tickets::Event>* events = nullptr,
                           const std::string& parent_code = {});

}  // namespace anju::runtime
