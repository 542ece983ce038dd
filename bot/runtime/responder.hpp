// What answers a resident's message. Until the dialog engine (issue 4) takes over, the
// Acknowledger gives a short, polite acknowledgement so every channel is exercised end to end.
#pragma once

#include "bot/core/fwd.hpp"
#include "bot/core/message.hpp"

#include <boost/asio/awaitable.hpp>

namespace anju::runtime {

class Responder {
public:
    virtual ~Responder() = default;
    // The answer to one message; an empty Reply says nothing. Called on the message's
    // conversation strand, one message at a time per conversation. Throws only on bugs or store
    // failures (the turn is then answered with nothing and logged).
    virtual asio::awaitable<Reply> respond(const InboundMessage& message) = 0;
};

class Acknowledger final : public Responder {
public:
    asio::awaitable<Reply> respond(const InboundMessage& message) override;
};

// The acknowledgement text for a message (pure; empty when nothing should be said, e.g. unsubscribe).
Reply acknowledgement(const InboundMessage& message);

}  // namespace anju::runtime
