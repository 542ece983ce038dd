#include "bot/runtime/conversations.hpp"

#include "bot/core/log.hpp"
#include "bot/runtime/message_json.hpp"
#include "store/inbound.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>

namespace anju::runtime {
namespace {

using namespace asio::experimental::awaitable_operators;

const log::Logger conv_log{"conversation"};

using Mailbox =
    asio::experimental::concurrent_channel<void(boost::system::error_code, std::shared_ptr<Turn>)>;

std::int64_t millis(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

class Conversations::Conversation : public std::enable_shared_from_this<Conversation> {
public:
    Conversation(asio::any_io_executor strand, std::string key, Conversations& owner)
        : strand_(std::move(strand)),
          key_(std::move(key)),
          owner_(owner),
          mailbox_(strand_, owner.options_.mailbox_size) {
        touch();
    }

    // Queues the turn at once if there is room and no earlier turn is waiting for room (it must
    // not overtake them); otherwise returns false and the caller must post_when_room(). Called with
    // the registry's mutex held.
    bool try_post(const std::shared_ptr<Turn>& turn) {
        ++pending_;
        if (waiting_.load() == 0 && mailbox_.try_send(boost::system::error_code{}, turn)) {
            return true;
        }
        ++waiting_;
        return false;
    }

    // Waits for space in a full mailbox without blocking the caller. Called with the registry's
    // mutex held, right after a failed try_post(), so that helpers start (and queue) in post order.
    void post_when_room(std::shared_ptr<Turn> turn) {
        asio::co_spawn(strand_, wait_and_post(shared_from_this(), std::move(turn)),
                       log::LogFailure(conv_log, "queueing a turn"));
    }

    void close() { mailbox_.close(); }

    // No turn queued, waiting for room or in progress, and none for the idle timeout. Counting
    // turns from post() on matters: a turn handed straight to the waiting run() loop is neither in
    // the mailbox nor marked busy until the loop resumes on its strand.
    bool idle(std::chrono::steady_clock::time_point now) const {
        return pending_.load() == 0 && !has_wake_.load() &&
               now - std::chrono::steady_clock::time_point(
                         std::chrono::steady_clock::duration(last_active_.load())) >=
                   owner_.options_.idle_timeout;
    }

    const asio::any_io_executor& strand() const { return strand_; }

    // The actor loop: one turn at a time, until the mailbox is closed. Holds `self`, so a
    // conversation retired by sweep() lives until its loop ends.
    static asio::awaitable<void> run(std::shared_ptr<Conversation> self) {
        for (;;) {
            std::shared_ptr<Turn> turn;
            if (self->wake_at_) {
                // Waiting for the resident, but also for the responder's wake-up (a dialog expires).
                const auto when = *self->wake_at_;
                auto woke = co_await (self->mailbox_.async_receive(asio::as_tuple(asio::use_awaitable)) ||
                                      self->owner_.deps_.clock.sleep_until(when));
                if (woke.index() == 1) {
                    self->wake_at_.reset();
                    self->has_wake_ = false;
                    if (!self->stopping_.load()) {
                        co_await self->wake();
                    }
                    continue;
                }
                auto [ec, received] = std::get<0>(woke);
                if (ec) {
                    break;
                }
                turn = std::move(received);
            } else {
                auto [ec, received] =
                    co_await self->mailbox_.async_receive(asio::as_tuple(asio::use_awaitable));
                if (ec) {
                    break;
                }
                turn = std::move(received);
            }
            if (self->stopping_.load()) {
                // Shutting down: leave it pending in the journal; it runs again after a restart.
                turn->decline_passive();
            } else {
                co_await self->process(turn);
            }
            self->touch();
            --self->pending_;
        }
    }

    void stop() {
        stopping_ = true;
        // close() silently drops what the mailbox holds, so decline the queued turns first: their
        // webhook attempts answer at once instead of waiting for their deadline. Turns of helpers
        // waiting for room move into the mailbox as it empties and are declined here too; a helper
        // that gets in after this declines its own turn (wait_and_post).
        while (mailbox_.try_receive([this](boost::system::error_code, std::shared_ptr<Turn> turn) {
            --pending_;
            if (turn) {
                turn->decline_passive();
            }
        })) {
        }
        close();
    }

private:
    static asio::awaitable<void> wait_and_post(std::shared_ptr<Conversation> self,
                                               std::shared_ptr<Turn> turn) {
        auto [ec] = co_await self->mailbox_.async_send(boost::system::error_code{}, turn,
                                                       asio::as_tuple(asio::use_awaitable));
        --self->waiting_;
        if (ec) {
            --self->pending_;
            turn->decline_passive();
        } else if (self->stopping_.load()) {
            // Queued after stop() declined the mailbox's turns, and dropped by close().
            turn->decline_passive();
        }
    }

    asio::awaitable<void> process(std::shared_ptr<Turn> turn) {
        auto& deps = owner_.deps_;
        const auto& message = turn->message();
        bool ok = false;
        try {
            last_message_ = message;
            Response response = co_await deps.responder.respond(message);
            auto key = message.dedupe_key;
            const auto answered_at = millis(deps.clock.now());
            // The responder's changes and the journal's reply commit together; the reply may be
            // finished by the responder's changes, so it travels through the job and back.
            auto reply = std::make_shared<Reply>(std::move(response.reply));
            auto record = [key = std::move(key), reply, answered_at,
                           persist = std::move(response.persist)](SQLite::Database& db) {
                Reply finished = *reply;
                if (persist) {
                    persist(db, finished);
                }
                store::record_reply(db, key, to_json(finished), answered_at);
                *reply = std::move(finished);
            };
            co_await deps.store.write(std::move(record));
            if (deps.on_committed) {
                deps.on_committed();
            }
            owner_.turns_.inc();
            set_wake(response.wake_at);
            if (auto* sender = deps.sender_for(message)) {
                co_await sender->deliver(turn, std::move(*reply));
            } else {
                turn->decline_passive();
            }
            ok = true;
        } catch (const std::exception& e) {
            owner_.failed_.inc();
            ANJU_LOG_ERROR(conv_log) << "turn failed; the message stays journaled" << kv("conversation", key_)
                                     << kv("error", e.what());
        }
        if (!ok) {
            deps.responder.forget(key_);
            turn->decline_passive();
        }
        if (deps.on_finished) {
            deps.on_finished(turn);
        }
    }

    void touch() { last_active_ = std::chrono::steady_clock::now().time_since_epoch().count(); }

    void set_wake(std::optional<Clock::time_point> at) {
        wake_at_ = at;
        has_wake_ = at.has_value();
    }

    // The responder's wake-up came first: its reply goes out asynchronously, as to the last
    // message's sender.
    asio::awaitable<void> wake() {
        auto& deps = owner_.deps_;
        try {
            Response response = co_await deps.responder.wake(key_);
            auto reply = std::make_shared<Reply>(std::move(response.reply));
            if (response.persist) {
                auto job = [reply, persist = std::move(response.persist)](SQLite::Database& db) {
                    Reply finished = *reply;
                    persist(db, finished);
                    *reply = std::move(finished);
                };
                co_await deps.store.write(std::move(job));
                if (deps.on_committed) {
                    deps.on_committed();
                }
            }
            set_wake(response.wake_at);
            if (!reply->empty() && last_message_) {
                if (auto* sender = deps.sender_for(*last_message_)) {
                    auto turn = std::make_shared<Turn>(*last_message_, /*awaited=*/false);
                    co_await sender->deliver(turn, std::move(*reply));
                }
            }
        } catch (const std::exception& e) {
            owner_.failed_.inc();
            deps.responder.forget(key_);
            ANJU_LOG_ERROR(conv_log) << "wake-up failed" << kv("conversation", key_) << kv("error", e.what());
        }
    }

    asio::any_io_executor strand_;
    std::string key_;
    Conversations& owner_;
    Mailbox mailbox_;
    std::atomic<std::size_t> pending_{0};  // posted and not yet done (queued, waiting or in progress)
    std::atomic<std::size_t> waiting_{0};  // helpers waiting for room in the mailbox
    std::atomic<bool> stopping_{false};
    std::atomic<std::chrono::steady_clock::rep> last_active_{0};
    std::optional<Clock::time_point> wake_at_;    // strand only
    std::atomic<bool> has_wake_{false};           // mirrors wake_at_ for sweep()
    std::optional<InboundMessage> last_message_;  // strand only: who to answer after a wake-up
};

Conversations::Conversations(asio::any_io_executor ex, ConversationDeps deps, ConversationOptions options,
                             metrics::Registry& metrics)
    : ex_(std::move(ex)),
      deps_(std::move(deps)),
      options_(options),
      active_(metrics.gauge("conversations_active", "Conversation actors alive.").with({})),
      turns_(metrics.counter("turns_total", "Turns answered and journaled.").with({})),
      failed_(
          metrics.counter("turns_failed_total", "Turns that failed (the message stays journaled).").with({})),
      mailbox_full_(metrics
                        .counter("conversation_mailbox_full_total",
                                 "Turns that had to wait for room in a conversation's mailbox.")
                        .with({})) {}

Conversations::~Conversations() {
    std::lock_guard lock(mutex_);
    for (auto& [key, c] : conversations_) {
        c->stop();
    }
}

void Conversations::post(std::shared_ptr<Turn> turn) {
    const auto key = turn->message().conversation_key();
    std::shared_ptr<Conversation> conversation;
    bool created = false;
    {
        std::lock_guard lock(mutex_);
        if (stopped_) {
            turn->decline_passive();
            return;
        }
        auto& slot = conversations_[key];
        if (!slot) {
            slot = std::make_shared<Conversation>(asio::make_strand(ex_), key, *this);
            created = true;
            active_.inc();
        }
        conversation = slot;
        if (!conversation->try_post(turn)) {
            mailbox_full_.inc();
            conversation->post_when_room(std::move(turn));
        }
    }
    if (created) {
        asio::co_spawn(conversation->strand(), Conversation::run(conversation),
                       [this](const std::exception_ptr& e) {
                           log::LogFailure(conv_log, "conversation")(e);
                           active_.dec();
                       });
    }
}

void Conversations::sweep() {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex_);
    for (auto it = conversations_.begin(); it != conversations_.end();) {
        if (it->second->idle(now)) {
            it->second->close();
            it = conversations_.erase(it);
        } else {
            ++it;
        }
    }
}

asio::awaitable<void> Conversations::stop(std::chrono::milliseconds grace) {
    {
        std::lock_guard lock(mutex_);
        stopped_ = true;
        for (auto& [key, c] : conversations_) {
            c->stop();
        }
        conversations_.clear();
    }
    // Actors end after their current turn; wait for the gauge to reach zero, bounded by `grace`.
    asio::steady_timer timer(co_await asio::this_coro::executor);
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (active_.value() > 0 && std::chrono::steady_clock::now() < deadline) {
        timer.expires_after(std::chrono::milliseconds(10));
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    if (active_.value() > 0) {
        ANJU_LOG_WARN(conv_log) << "conversations still busy after the grace period"
                                << kv("active", active_.value());
    }
}

std::size_t Conversations::size() const {
    std::lock_guard lock(mutex_);
    return conversations_.size();
}

}  // namespace anju::runtime
