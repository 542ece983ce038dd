// The runtime's front door for every inbound message, whatever the channel: it journals the
// message durably under its de-duplication key before anything acts on it, starts its turn on the
// right conversation, and lets re-deliveries of the same message join that turn instead of
// starting another. After a restart it re-runs the turns of messages that were journaled but never
// answered.
#pragma once

#include "bot/core/clock.hpp"
#include "bot/core/message.hpp"
#include "bot/core/metrics.hpp"
#include "bot/runtime/conversations.hpp"
#include "bot/runtime/turn.hpp"
#include "store/store.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace anju::runtime {

struct InboxOptions {
    // How long a finished turn stays joinable in memory for late re-deliveries (WeChat retries
    // within ~15 s). Older re-deliveries find the journal row and are answered "accepted".
    std::chrono::milliseconds retention{20'000};
    std::size_t recover_limit = 10'000;  // pending messages re-run at start-up
};

class Inbox {
public:
    Inbox(store::Store& store, Conversations& conversations, metrics::Registry& metrics,
          InboxOptions options = {});

    struct Admission {
        std::shared_ptr<Turn> turn;  // the message's turn (new, or the one a re-delivery joins)
        bool duplicate = false;      // a re-delivery of a message already journaled
    };

    // Journals `message` (atomic insert by dedupe_key, committed before this returns) and starts
    // its turn, or joins the turn of an earlier delivery. The caller must then call
    // turn->await_passive() (the turn holds a place for it). Throws if the journal cannot be written:
    // the caller must then not acknowledge the message, so that the platform delivers it again.
    // Thread-safe.
    asio::awaitable<Admission> admit(InboundMessage message);

    // Called by the conversation when a turn is over; keeps it joinable for `retention`.
    void finished(const std::shared_ptr<Turn>& turn);

    // Re-runs the turns of journaled messages that were never answered (call at start-up, before
    // serving). Returns how many were restarted.
    asio::awaitable<std::size_t> recover();

    std::size_t tracked() const;

private:
    void evict_expired(std::chrono::steady_clock::time_point now);  // mutex_ held

    store::Store& store_;
    Conversations& conversations_;
    InboxOptions options_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::shared_ptr<Turn>> turns_;
    std::deque<std::pair<std::chrono::steady_clock::time_point, std::string>> expiries_;
    metrics::Counter& admitted_;
    metrics::Counter& duplicates_;
    metrics::Counter& recovered_;
};

}  // namespace anju::runtime
