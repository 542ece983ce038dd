// What answers a resident's message: the dialog engine (DialogResponder) when the config has
// dialogs, otherwise the Acknowledger, a short polite acknowledgement.
#pragma once

#include "bot/core/clock.hpp"
#include "bot/core/fwd.hpp"
#include "bot/core/message.hpp"

#include <SQLiteCpp/Database.h>
#include <boost/asio/awaitable.hpp>

#include <functional>
#include <optional>
#include <string>

namespace anju::runtime {

// A responder's answer to one event.
struct Response {
    Reply reply;  // what to say (empty: nothing)
    // Changes to store with the turn, in the same transaction as the journal's reply (session
    // state, complaints and tickets filed, staff commands applied, messages queued). It runs on the
    // store thread and may finish `reply` from what it finds there (a new ticket's code, whether a
    // claim won); the journal records and the resident receives the reply as it leaves. May be empty.
    std::function<void(SQLite::Database&, Reply&)> persist;
    // When the conversation should wake the responder even if the resident says nothing more.
    std::optional<Clock::time_point> wake_at;
};

class Responder {
public:
    virtual ~Responder() = default;
    // The answer to one message. Called on the message's conversation strand, one event at a time
    // per conversation. Throws only on bugs or store failures (the turn is then answered with
    // nothing and logged; the message stays journaled).
    virtual asio::awaitable<Response> respond(const InboundMessage& message) = 0;

    // The conversation's wake-up (see Response::wake_at) came with nothing new from the resident.
    // Same rules as respond(); the reply is sent asynchronously.
    virtual asio::awaitable<Response> wake(const std::string& conversation_key);

    // The conversation's last turn failed after respond()/wake() returned (e.g. its changes could not
    // be stored): drop anything remembered in memory for it, so the next turn starts from the store.
    virtual void forget(const std::string& /*conversation_key*/) {}
};

class Acknowledger final : public Responder {
public:
    asio::awaitable<Response> respond(const InboundMessage& message) override;
};

// The acknowledgement text for a message (pure; empty when nothing should be said, e.g. unsubscribe).
Reply acknowledgement(const InboundMessage& message);

}  // namespace anju::runtime
