// One inbound message on its way through the runtime, shared by every HTTP delivery attempt of
// that message (WeChat re-delivers when it gets no answer in 5 s) and by the conversation that
// answers it. It decides, exactly once, whether the answer leaves as the passive reply of a waiting
// webhook response or asynchronously through the platform's send API.
#pragma once

#include "bot/core/fwd.hpp"
#include "bot/core/message.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace anju::runtime {

class Turn {
public:
    // `awaited`: a webhook attempt will call await_passive() for this turn (the first delivery of a
    // push); the turn keeps a place for it, so an answer ready before the attempt starts waiting
    // still goes out passively. Turns re-run after a restart have no attempt.
    Turn(InboundMessage message, bool awaited) : message_(std::move(message)), reserved_(awaited ? 1 : 0) {}

    const InboundMessage& message() const { return message_; }

    // Webhook side: waits until the conversation offers a passive answer or `deadline` passes.
    // Returns the text this attempt should send as its passive reply, or nullopt (answer the
    // platform's "accepted", e.g. `success`). A re-delivery of a message whose answer already went
    // out passively gets the same text again; one whose answer went out asynchronously gets
    // nullopt. Thread-safe; resumes on the caller's executor.
    asio::awaitable<std::optional<std::string>> await_passive(std::chrono::steady_clock::time_point deadline);

    // Conversation side: offers the first part of the answer for a passive reply. Returns true if
    // a webhook attempt is waiting and will carry it; false if none is, and the caller must send it
    // through the platform API instead. Call at most once, after the answer is durable. Thread-safe.
    bool offer_passive(std::string text);

    // Conversation side: there is no answer to give passively (nothing to say, or the turn failed);
    // waiting attempts answer "accepted" at once. Thread-safe.
    void decline_passive();

    // The message could not be journaled, so it must not be acknowledged: waiting attempts wake at
    // once and failed() tells them to answer with an error, so the platform delivers it again.
    // Thread-safe.
    void fail();
    bool failed() const;

    // Whether the answer has been offered or declined. Thread-safe.
    bool settled() const;

private:
    enum class Delivery { undecided, passive, not_passive };
    struct Waiter;

    InboundMessage message_;
    mutable std::mutex mutex_;
    Delivery delivery_ = Delivery::undecided;
    std::string passive_text_;
    std::vector<std::shared_ptr<Waiter>> waiters_;
    int reserved_;  // attempts announced but not yet waiting
    bool failed_ = false;
};

}  // namespace anju::runtime
