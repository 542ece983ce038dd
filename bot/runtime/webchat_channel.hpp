// The web chat: residents talk to the service from a browser page (GET /chat, bot/assets/web/chat.*)
// over a WebSocket (GET /chat/ws), exactly as on the WeChat Official Account: the same dialog engine
// answers, tickets are filed the same way, and later notices (ticket progress, surveys, the daily
// push) reach the page through the outbox, waiting for the visitor to come back when no page is open.
//
// A visitor is one browser: a random id the page keeps in localStorage. The conversation key is
// "webchat/web/<visitor>"; messages carry channel "webchat", account "web", sender = the visitor id.
//
// Wire protocol: one JSON object per WebSocket text message.
//   client → server
//     {"type":"hello","visitor":"<id>"}   first message; "visitor" (16–64 of [A-Za-z0-9_-]) may be
//                                         omitted or invalid, and the server then issues a new one
//     {"type":"text","id":"<client msg id>","text":"…"}
//                                         the id (1–64 of [A-Za-z0-9_-]) is the de-duplication key:
//                                         a resend after a reconnect is acknowledged, not answered again
//   server → client
//     {"type":"hello","visitor":"<id>","name":"<service name>"}
//                                         answer to hello; the page stores the visitor id
//     {"type":"ack","id":"<client msg id>"}
//                                         the message is journaled; the page stops resending it
//     {"type":"text","id":"<server msg id>","text":"…","at":"2026-11-27T01:00:00Z","from":"bot"}
//                                         what the service says; the id is stable across resends, so
//                                         the page can drop a message it already shows
//     {"type":"error","message":"…","id":"<client msg id>"?}
//                                         bad JSON, unknown type, text before hello, empty or too long
//                                         text (with the id when the message had one: the page marks
//                                         it failed and does not resend it), or a journal failure
//                                         (no id and no ack: the page resends later). The connection
//                                         stays open.
#pragma once

#include "bot/core/clock.hpp"
#include "bot/core/metrics.hpp"
#include "bot/net/router.hpp"
#include "bot/runtime/channel_sender.hpp"
#include "bot/runtime/inbox.hpp"
#include "bot/runtime/outbox.hpp"
#include "bot/runtime/webchat_hub.hpp"
#include "store/store.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace anju::runtime {

struct WebChatChannelOptions {
    std::size_t max_text = 2000;  // characters (Unicode code points) in one message from the page
    std::string service_name;     // sent in the hello answer, shown as the page's title
};

// GET /chat: the chat page (bot/assets/web/chat.html; its CSS and script come from /static/), with
// the caching headers of /static/. 404 when the page is not built in. Thread-safe.
asio::awaitable<net::Response> chat_page(net::ServerRequest request);

// Whether `id` is an acceptable visitor id: 16–64 characters of A-Z, a-z, 0-9, '_' and '-'.
bool valid_visitor_id(std::string_view id);
// Whether `id` is an acceptable client message id: 1–64 characters of the same set.
bool valid_client_message_id(std::string_view id);
// A fresh random visitor id (24 characters, 144 bits from the system's random source).
std::string new_visitor_id();

class WebChatChannel final : public ChannelSender {
public:
    // The references must outlive the channel. `queued` wakes the outbox (a visitor came back, or an
    // answer was queued because no page was open).
    WebChatChannel(store::Store& store, Inbox& inbox, Clock& clock, metrics::Registry& metrics,
                   WebChatChannelOptions options, std::function<void()> queued);

    // The handler of GET /chat/ws: one browser tab, for as long as it is connected. Never throws for
    // what the page sends. Thread-safe.
    asio::awaitable<void> session(net::ServerRequest request, net::WebSocket socket);

    // Sends a turn's answer to every open page of the visitor, in order; what no page took (every
    // tab closed meanwhile) is queued in the outbox for the visitor's return. Called on the
    // conversation strand.
    asio::awaitable<void> deliver(std::shared_ptr<Turn> turn, Reply reply) override;

    // The outbox transport of channel "webchat": payload {"text", "id"?} to every open page of the
    // visitor (target). Sent when a page took it; retried (`again`) when none is open. Thread-safe.
    asio::awaitable<SendOutcome> send_queued(const store::OutboxMessage& message);

    WebChatHub& hub() { return hub_; }

private:
    asio::awaitable<void> handle_text(const net::WebSocket& socket, const std::string& visitor,
                                      const std::string& id, const std::string& text);
    // Makes the visitor's pending notices due now and wakes the outbox, so they arrive in order.
    asio::awaitable<void> wake_pending(std::string visitor);
    std::string frame(const std::string& id, const std::string& text, Clock::time_point at) const;

    store::Store& store_;
    Inbox& inbox_;
    Clock& clock_;
    WebChatChannelOptions options_;
    std::function<void()> queued_;
    WebChatHub hub_;
    metrics::Family<metrics::Counter>& messages_;
    metrics::Counter& sessions_;
};

}  // namespace anju::runtime
