// The owner-group part of the admin API (bearer token checked by the caller):
//   PUT    /api/v1/group-members   {"channel":"bridge","account":"owners","member":"u-7",
//                                   "resident":"wechat_mp/demo/oABC"}  a known resident: their
//                                   messages in any group of that account continue privately
//   DELETE /api/v1/group-members?channel=&account=&member=
//   POST   /api/v1/announcements   {"community":"sunny","building":"3","ticket":"K7M3PX","text":"…"}
//                                   a rectification announcement (整改公告) to the community's owner
//                                   groups covering the building and the groups following the ticket
#pragma once

#include "bot/core/clock.hpp"
#include "bot/net/router.hpp"
#include "bot/runtime/ticket_service.hpp"
#include "store/store.hpp"

#include <functional>

namespace anju::runtime {

class GroupsApi {
public:
    // `queued` is called after a change committed (to wake the outbox).
    GroupsApi(store::Store& store, TicketService& tickets, Clock& clock, std::function<void()> queued);

    asio::awaitable<net::Response> link(net::ServerRequest request);
    asio::awaitable<net::Response> unlink(net::ServerRequest request);
    asio::awaitable<net::Response> announce(net::ServerRequest request);

private:
    store::Store& store_;
    TicketService& tickets_;
    Clock& clock_;
    std::function<void()> queued_;
};

}  // namespace anju::runtime
