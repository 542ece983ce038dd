#include "bot/runtime/inbox.hpp"

#include "bot/core/log.hpp"
#include "bot/runtime/message_json.hpp"
#include "store/inbound.hpp"

namespace anju::runtime {
namespace {

const log::Logger inbox_log{"inbox"};

std::int64_t millis(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

store::InboundRecord record_of(const InboundMessage& m) {
    store::InboundRecord r;
    r.dedupe_key = m.dedupe_key;
    r.channel = m.channel;
    r.account = m.account;
    r.sender = m.sender;
    r.kind = std::string(to_string(m.kind));
    r.platform_msg_id = m.platform_msg_id;
    r.payload = to_json(m);
    r.received_at_ms = millis(m.received_at);
    return r;
}

}  // namespace

Inbox::Inbox(store::Store& store, Conversations& conversations, metrics::Registry& metrics,
             InboxOptions options)
    : store_(store),
      conversations_(conversations),
      options_(options),
      admitted_(
          metrics.counter("inbound_messages_total", "Inbound messages journaled and started.").with({})),
      duplicates_(metrics
                      .counter("inbound_duplicates_total",
                               "Re-deliveries of messages already journaled (joined, not run again).")
                      .with({})),
      recovered_(
          metrics
              .counter("inbound_recovered_total", "Journaled but unanswered messages re-run after a restart.")
              .with({})) {}

asio::awaitable<Inbox::Admission> Inbox::admit(InboundMessage message) {
    const auto key = message.dedupe_key;
    std::shared_ptr<Turn> turn;
    {
        std::lock_guard lock(mutex_);
        evict_expired(std::chrono::steady_clock::now());
        if (const auto it = turns_.find(key); it != turns_.end()) {
            duplicates_.inc();
            co_return Admission{it->second, true};
        }
        // Registered before the journal write, so a concurrent re-delivery joins this turn rather
        // than racing it to the database.
        turn = std::make_shared<Turn>(std::move(message), /*awaited=*/true);
        turns_.emplace(key, turn);
    }

    auto insert = [record = record_of(turn->message())](SQLite::Database& db) {
        return store::insert_inbound(db, record);
    };
    auto find = [key](SQLite::Database& db) { return store::find_inbound(db, key); };
    bool inserted = false;
    std::optional<store::StoredInbound> existing;
    try {
        inserted = co_await store_.write(std::move(insert));
        if (!inserted) {
            // Journaled by an earlier process, or long enough ago to have left memory.
            existing = co_await store_.run(std::move(find));
        }
    } catch (const std::exception& e) {
        // Either way the turn must not stay registered: it would never settle, and every
        // re-delivery would join it and be answered "accepted" without the message being run.
        ANJU_LOG_ERROR(inbox_log) << "cannot journal an inbound message; it is not acknowledged"
                                  << kv("channel", turn->message().channel) << kv("error", e.what());
        turn->fail();  // re-deliveries that joined meanwhile must not acknowledge it either
        std::lock_guard lock(mutex_);
        turns_.erase(key);
        throw;
    }
    if (inserted) {
        admitted_.inc();
        conversations_.post(turn);
        co_return Admission{turn, false};
    }

    duplicates_.inc();
    if (existing && !existing->answered) {
        // Its turn never finished (the process stopped mid-turn): run it now.
        conversations_.post(turn);
        co_return Admission{turn, true};
    }
    turn->decline_passive();
    finished(turn);
    co_return Admission{turn, true};
}

void Inbox::finished(const std::shared_ptr<Turn>& turn) {
    std::lock_guard lock(mutex_);
    expiries_.emplace_back(std::chrono::steady_clock::now() + options_.retention, turn->message().dedupe_key);
}

void Inbox::evict_expired(std::chrono::steady_clock::time_point now) {
    while (!expiries_.empty() && expiries_.front().first <= now) {
        turns_.erase(expiries_.front().second);
        expiries_.pop_front();
    }
}

asio::awaitable<std::size_t> Inbox::recover() {
    auto load = [limit = options_.recover_limit](SQLite::Database& db) {
        return store::pending_inbound(db, limit);
    };
    auto rows = co_await store_.run(std::move(load));
    std::size_t restarted = 0;
    for (auto& row : rows) {
        auto message = inbound_from_json(row.record.payload);
        if (!message) {
            ANJU_LOG_ERROR(inbox_log) << "journaled message cannot be read back; skipped" << kv("id", row.id);
            continue;
        }
        auto turn = std::make_shared<Turn>(std::move(*message), /*awaited=*/false);
        {
            std::lock_guard lock(mutex_);
            if (!turns_.emplace(turn->message().dedupe_key, turn).second) {
                continue;
            }
        }
        conversations_.post(turn);
        ++restarted;
    }
    recovered_.inc(restarted);
    if (restarted > 0) {
        ANJU_LOG_INFO(inbox_log) << "re-running unanswered messages from before the restart"
                                 << kv("messages", restarted);
    }
    co_return restarted;
}

std::size_t Inbox::tracked() const {
    std::lock_guard lock(mutex_);
    return turns_.size();
}

}  // namespace anju::runtime
