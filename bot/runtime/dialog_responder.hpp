// The responder that runs the clarification dialog (dialogs::Dialogs) for every conversation: it
// loads the resident's dialog state, takes one step, and returns the reply together with the
// changes to store in the turn's transaction — the new state, the complaint drafts filed (the
// hand-off to the ticket layer) and follow-ups attached to them. It asks to be woken when a dialog
// waiting for an answer should expire.
#pragma once

#include "bot/core/clock.hpp"
#include "bot/runtime/responder.hpp"
#include "bot/runtime/ticket_service.hpp"
#include "dialogs/flow.hpp"
#include "store/dialog_store.hpp"
#include "store/store.hpp"
#include "store/timer_store.hpp"

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace anju::runtime {

class Scheduler;

struct DialogResponderOptions {
    // Dialog states kept in memory (the store has them all); the least recently used go first.
    std::size_t cache_size = 100'000;
};

class DialogResponder final : public Responder {
public:
    // `dialogs`, `store`, `clock` and `tickets` must outlive the responder. With `tickets`, confirmed
    // complaints become tickets in the same transaction, "进度" lists the tickets, and answers to
    // "已解决吗？" and the survey go to the ticket that asked.
    DialogResponder(const dialogs::Dialogs& dialogs, store::Store& store, Clock& clock,
                    TicketService* tickets = nullptr, DialogResponderOptions options = {});

    asio::awaitable<Response> respond(const InboundMessage& message) override;
    asio::awaitable<Response> wake(const std::string& conversation_key) override;
    void forget(const std::string& conversation_key) override;

    // Makes dialog expiry durable: instead of an in-memory wake-up, each turn that leaves a dialog
    // waiting sets a "dialog_expiry" timer in its transaction (and a turn that does not cancels it);
    // when it fires, the expiry note goes out through the outbox, so a restart loses no note. Needs
    // the ticket service (for the outbox address). Before serving.
    void register_timers(Scheduler& scheduler);

private:
    asio::awaitable<dialogs::DialogState> load(const std::string& conversation);
    Response answer(const std::string& conversation, const std::string& channel, dialogs::DialogTurn turn,
                    std::string source_message);
    // The message as an answer to what the ticket service asked the resident, if it is one.
    asio::awaitable<std::optional<Response>> answer_ask(const std::string& conversation,
                                                        const dialogs::Understanding& understood,
                                                        std::string text);
    void remember(const std::string& conversation, const dialogs::DialogState& state);
    // The "dialog_expiry" timer (store thread).
    void expire(SQLite::Database& db, const store::Timer& timer, Clock::time_point now);

    const dialogs::Dialogs& dialogs_;
    store::Store& store_;
    Clock& clock_;
    TicketService* tickets_;
    DialogResponderOptions options_;
    bool durable_expiry_ = false;  // set before serving, read-only after

    struct Cached {
        dialogs::DialogState state;
        std::uint64_t used = 0;
    };
    std::mutex mutex_;
    std::unordered_map<std::string, Cached> cache_;  // guarded by mutex_
    std::uint64_t uses_ = 0;                         // guarded by mutex_
};

// The store's record of a draft the dialog filed. `number` is the complaint's number within the
// conversation; with the conversation it makes the draft's unique ref.
store::DraftRecord draft_record(const dialogs::ComplaintDraft& draft, const std::string& conversation,
                                std::uint32_t number, const std::string& source_message,
                                Clock::time_point at);

}  // namespace anju::runtime
