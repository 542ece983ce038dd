// Conversation actors: one per (channel, account, sender), each a strand with a bounded mailbox
// and a single run() coroutine that takes one turn at a time, so a resident's messages are answered
// in order and never concurrently. The registry creates them on demand and retires idle ones.
#pragma once

#include "bot/core/clock.hpp"
#include "bot/core/metrics.hpp"
#include "bot/runtime/channel_sender.hpp"
#include "bot/runtime/responder.hpp"
#include "bot/runtime/turn.hpp"
#include "store/store.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace anju::runtime {

struct ConversationOptions {
    std::size_t mailbox_size = 64;                        // turns queued per conversation
    std::chrono::milliseconds idle_timeout{10 * 60'000};  // conversations idle this long are retired
};

// What conversations need from the rest of the runtime. Everything must outlive the registry.
struct ConversationDeps {
    store::Store& store;
    Responder& responder;
    Clock& clock;
    // The sender for a message's channel and account, or nullptr (the answer is then dropped).
    std::function<ChannelSender*(const InboundMessage&)> sender_for;
    // Called when a turn is over (answered, declined or failed).
    std::function<void(const std::shared_ptr<Turn>&)> on_finished;
    // Called after a turn's changes committed (messages may have been queued in the outbox).
    std::function<void()> on_committed{};
};

class Conversations {
public:
    Conversations(asio::any_io_executor ex, ConversationDeps deps, ConversationOptions options,
                  metrics::Registry& metrics);
    ~Conversations();
    Conversations(const Conversations&) = delete;
    Conversations& operator=(const Conversations&) = delete;

    // Queues the turn on its conversation, creating the conversation if needed. Never blocks: a
    // full mailbox makes a helper wait for space. Thread-safe.
    void post(std::shared_ptr<Turn> turn);

    // Retires conversations idle longer than the idle timeout. Thread-safe.
    void sweep();

    // Closes every mailbox and waits (up to `grace`) for the turns in progress to finish; turns
    // still queued stay pending in the journal and run again after a restart. Thread-safe; once.
    asio::awaitable<void> stop(std::chrono::milliseconds grace);

    std::size_t size() const;

    class Conversation;

private:
    asio::any_io_executor ex_;
    ConversationDeps deps_;
    ConversationOptions options_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::shared_ptr<Conversation>> conversations_;
    bool stopped_ = false;
    metrics::Gauge& active_;
    metrics::Counter& turns_;
    metrics::Counter& failed_;
    metrics::Counter& mailbox_full_;
};

}  // namespace anju::runtime
