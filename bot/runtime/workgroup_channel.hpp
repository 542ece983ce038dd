// The demo staff work group (/workgroup): a browser page that plays the WeCom work group, so a
// newcomer can try both sides of anju on one machine without WeCom. It is on when a community has a
// work group with `"web": true` (config/anju.json has one); staff pick who they are from the roster
// and type the same commands they would @ the bot with in WeCom (接单 K7M3PX, 完成 …); the cards,
// alerts and one-to-one notices that would go to WeCom appear on the page. Anyone who can open the
// page can act as any staff member: it is for trying anju, not for production.
//
// Wire protocol, one JSON object per WebSocket text message (GET /workgroup/ws):
//   client → server  {"type":"hello","as":"<userid>"}      who this page acts as (may be "")
//                    {"type":"as","userid":"<userid>"}     switch
//                    {"type":"text","id":"<client id>","text":"接单 K7M3PX"}
//   server → client  {"type":"hello","community":{"id","name"},"staff":[{"userid","name","roles"}],
//                     "as":"<userid>","feed":[<group or direct frames>]}
//                    {"type":"group","from":"<name>","text":"…","markdown":bool,"at":"ISO"}
//                    {"type":"direct","to":"<userid>","text":"…","at":"ISO"}   one-to-one notices
//                    {"type":"error","message":"…"}
// Inbound messages carry channel "web_staff", account = the community id, sender = the userid, and
// are answered by the StaffResponder like WeCom messages. The outbox channels "web_group" (cards and
// group posts) and "web_staff" (one-to-one notices) are delivered here.
#pragma once

#include "bot/core/clock.hpp"
#include "bot/core/metrics.hpp"
#include "bot/net/router.hpp"
#include "bot/net/websocket.hpp"
#include "bot/runtime/channel_sender.hpp"
#include "bot/runtime/inbox.hpp"
#include "bot/runtime/outbox.hpp"
#include "bot/tickets/directory.hpp"
#include "store/store.hpp"

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace anju::runtime {

// GET /workgroup: the page (bot/assets/web/workgroup.html).
asio::awaitable<net::Response> workgroup_page(net::ServerRequest request);

class WorkGroupChannel final : public ChannelSender {
public:
    // `community` is the one whose web work group the page shows. The references must outlive it.
    WorkGroupChannel(const config::CommunityConfig& community, store::Store& store, Inbox& inbox,
                     Clock& clock, metrics::Registry& metrics);

    // The community of the first work group with "web": true, if any.
    static const config::CommunityConfig* web_community(const config::TicketsConfig& tickets);

    asio::awaitable<void> session(net::ServerRequest request, net::WebSocket socket);
    asio::awaitable<void> deliver(std::shared_ptr<Turn> turn, Reply reply) override;
    // Outbox transport of "web_group" and "web_staff": shown to the open pages; always sent (a group
    // chat has no "not delivered": a page opened later reads the feed).
    asio::awaitable<SendOutcome> send_queued(const store::OutboxMessage& message);

    const std::string& account() const { return community_.id; }

private:
    std::string name_of(const std::string& userid) const;
    asio::awaitable<std::string> hello(std::string as);
    // Sends `frame` to every open page, or to those acting as `userid` when it is not empty.
    asio::awaitable<void> broadcast(std::string frame, std::string userid = {});

    const config::CommunityConfig& community_;
    store::Store& store_;
    Inbox& inbox_;
    Clock& clock_;
    struct Page {
        net::WebSocket socket;
        std::string as;  // the userid this page acts as
    };
    mutable std::mutex mutex_;
    std::map<std::uint64_t, Page> pages_;  // by WebSocket::id(); guarded by mutex_
    metrics::Family<metrics::Counter>& messages_;
};

}  // namespace anju::runtime
