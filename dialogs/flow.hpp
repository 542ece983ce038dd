// The clarification dialog: a pure `step(state, event, now)` that turns what a resident says into
// replies and, once a complaint is complete and confirmed, a ComplaintDraft for the ticket layer.
// It asks only for what is missing (the flows in config/dialogs/flows/*.json), restates the
// complaint with the resident's expectation before submitting, lets the resident correct or
// cancel, dispatches emergencies at once with safety advice, remembers the resident's room, and
// forgets an abandoned dialog after dialogs.expire_after. No I/O; thread-safe once built.
#pragma once

#include "bot/core/clock.hpp"
#include "bot/core/message.hpp"
#include "config/config.hpp"
#include "dialogs/types.hpp"
#include "dialogs/understand.hpp"

#include <boost/system/result.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace anju::dialogs {

enum class Phase : std::uint8_t { idle, asking_room, asking, confirming, editing };

// A complaint submitted in this conversation, kept for follow-ups ("还有…") and progress questions.
struct Submitted {
    std::uint32_t number = 0;  // 1, 2, … within the conversation
    std::string category;
    Urgency urgency = Urgency::normal;
    std::string summary;
    Clock::time_point at{};
};

// Everything the dialog remembers about one resident between messages. Small when idle.
struct DialogState {
    std::vector<Room> rooms;  // the resident's homes; rooms[active_room] is the default
    std::uint8_t active_room = 0;
    bool asked_room = false;  // first contact: the room is asked for once
    Phase phase = Phase::idle;
    std::optional<ComplaintDraft> draft;  // the complaint being clarified
    std::string asking;                   // the slot being asked, in Phase::asking
    std::uint8_t attempts = 0;            // times the current question has been asked
    Phase resume = Phase::idle;           // where an edit returns to
    std::vector<Finding> queue;           // further problems named in the same message
    std::vector<Submitted> recent;        // the last few submitted complaints
    std::uint32_t submitted = 0;
    Clock::time_point updated_at{};

    bool idle() const { return phase == Phase::idle && !draft && queue.empty(); }
    friend bool operator==(const DialogState&, const DialogState&) = default;
};

struct Event {
    enum class Kind { message, expire };
    Kind kind = Kind::message;
    MessageKind message_kind = MessageKind::text;
    std::string text;
    std::vector<Attachment> attachments;
    std::optional<GeoPoint> location;
    std::string resident;  // conversation key, copied into drafts
    // Drafts become tickets: the reply gets a line "{ticket:N}" after each filing, for the caller
    // to replace with the ticket's code once it exists.
    bool tickets = false;
    // The resident's tickets as the ticket layer tells them, for "进度" (instead of the dialog's
    // own record of what it filed). Empty: none.
    std::optional<std::string> progress;
};

// The placeholder line standing for the ticket of draft `number` (see Event::tickets).
std::string ticket_placeholder(std::uint32_t number);

struct Action {
    enum class Kind {
        submit,    // draft: a complete, confirmed complaint (or an emergency) for the ticket layer
        handover,  // draft: could not be completed; staff should call the resident (转人工)
        attach,    // text + attachments to add to recent complaint `number` (a follow-up)
        progress,  // the resident asks how their complaints are going
    };
    Kind kind = Kind::submit;
    ComplaintDraft draft;
    std::uint32_t number = 0;  // submit/handover: the draft's number; attach: the complaint's
    std::string text;
    std::vector<Attachment> attachments;
};

struct DialogTurn {
    DialogState state;
    std::string reply;  // what to say (may be empty)
    std::vector<Action> actions;
    // When to send Event::Kind::expire if nothing else arrives (a dialog is waiting for an answer).
    std::optional<Clock::time_point> expire_at;
};

class Dialogs {
public:
    // Compiles lexicons and flows and checks that every flow names a known category, every reply
    // the dialog uses exists, and restatements name only known slots. Returns the problems found.
    static boost::system::result<Dialogs, std::vector<std::string>> create(
        const config::DialogsConfig& config);

    DialogTurn step(const DialogState& state, const Event& event, Clock::time_point now) const;

    const Understander& understander() const { return understander_; }

private:
    Dialogs(const config::DialogsConfig& config, Understander understander);

    friend class Step;
    config::DialogsSettings settings_;
    Understander understander_;
    std::map<std::string, config::FlowConfig, std::less<>> flows_;
    std::map<std::string, std::string, std::less<>> replies_;
};

// The reply ids the dialog uses; replies.json must define each.
const std::vector<std::string>& reply_ids();

}  // namespace anju::dialogs
