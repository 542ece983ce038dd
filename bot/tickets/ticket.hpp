// Tickets (工单): the record a confirmed complaint becomes, its states, and the rules for moving
// between them. Pure: every change is decided by decide(), which either refuses with a sentence
// fit to say to the person who asked or returns the new ticket and the event to append. No I/O.
#pragma once

#include "bot/core/clock.hpp"
#include "bot/core/message.hpp"
#include "dialogs/types.hpp"

#include <boost/system/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace anju::tickets {

// dispatched (waiting for a claim) → claimed → on_site / planned → in_progress → resolved (waiting
// for the resident) → confirmed → closed; reopening goes back to in_progress; cancelled ends it.
enum class Status {
    dispatched,
    claimed,
    on_site,
    planned,
    in_progress,
    resolved,
    confirmed,
    closed,
    cancelled
};

std::string_view to_string(Status s);
std::optional<Status> parse_status(std::string_view text);
std::string_view label(Status s);  // "待接单", "处理中", … for people

// Still someone's work: not resolved, confirmed, closed or cancelled.
bool is_open(Status s);
// Not finished from the resident's side: open, or resolved and waiting for their answer.
bool is_active(Status s);

enum class Satisfaction { none, satisfied, basically, unsatisfied };
std::string_view to_string(Satisfaction s);
std::optional<Satisfaction> parse_satisfaction(std::string_view text);
std::string_view label(Satisfaction s);  // 满意 / 基本满意 / 不满意

// Who acts on a ticket.
struct Actor {
    enum class Kind { staff, resident, system };
    Kind kind = Kind::system;
    std::string id;                  // WeCom userid, the resident's conversation key, or "" for the system
    std::string name;                // for people: "张工", "业主"
    std::vector<std::string> roles;  // staff roles (cs, engineering, …)

    bool has_role(std::string_view role) const;
    static Actor system() { return {}; }
};

// What happened to a ticket, appended to its log and never changed.
struct Event {
    std::int64_t id = 0;
    Clock::time_point at{};
    std::string actor;       // "staff:zhanggong", "resident:wechat_mp/demo/o…", "system"
    std::string actor_name;  // "张工"
    std::string kind;        // filed, claim, arrive, plan, progress, resolve, transfer, escalate, confirm,
                             // reopen, rate, close, cancel, note, duplicate, group_*, …
    std::string text;        // what was said: the plan, the progress, the reason
    std::string data;        // JSON details: evidence, old/new assignee, deadlines, satisfaction
};

struct Ticket {
    std::int64_t id = 0;
    std::string code;  // public, 工单号
    std::string community;
    std::string resident;  // conversation key; empty for a walk-in registered without an account
    std::string resident_name;
    std::string resident_phone;
    dialogs::Room room;
    std::string channel;  // wechat_mp, wecom (registered by staff), api
    dialogs::Nature nature = dialogs::Nature::none;
    std::string category;
    dialogs::Urgency urgency = dialogs::Urgency::normal;
    dialogs::SlotMap slots;
    std::string description;
    std::string expectation;
    std::vector<std::string> evidence;
    std::vector<Attachment> attachments;
    std::string department;       // cs, engineering, order, butler
    std::string first_responder;  // 首问责任人: userid of the first claimer (stays accountable)
    std::string assignee;         // userid of the current handler
    std::string assignee_name;    // "张工"
    std::string butler;           // the building's butler (owns it end to end)
    Status status = Status::dispatched;
    Clock::time_point created_at{};
    Clock::time_point updated_at{};
    // Deadlines; unset when they do not apply.
    std::optional<Clock::time_point> claim_due;    // the department starts
    std::optional<Clock::time_point> on_site_due;  // emergencies
    std::optional<Clock::time_point> plan_due;     // a plan (normal, difficult)
    std::optional<Clock::time_point> confirm_due;  // the resident answers "已解决吗？"
    int escalation = 0;                            // 0 none, 1 supervisor, 2 project manager
    Satisfaction satisfaction = Satisfaction::none;
    int score = 0;               // 1–5 when the resident gave a number
    bool key_review = false;     // 重点复盘项: unsatisfied
    bool auto_closed = false;    // confirmed by timeout, not by the resident
    std::int64_t parent_id = 0;  // a household's ticket inside a group complaint
    bool group = false;          // a group complaint (群体性投诉) parent
    int households = 1;          // reports merged into it (duplicates and group members)
    std::string last_progress;   // the latest plan/progress/resolution text, for 进度
};

// What someone asks to do.
struct Action {
    enum class Kind {
        claim,     // 接单
        arrive,    // 到场
        plan,      // 方案 <text>
        progress,  // 进展 <text>
        resolve,   // 完成 <text>
        transfer,  // 转派 <userid>
        escalate,  // 升级 <reason>
        confirm,   // the resident: solved
        reopen,    // the resident: not solved
        rate,      // the resident: satisfaction
        close,     // survey answered / timed out, or staff close
        cancel,    // withdrawn
        attach,    // more from the resident (duplicate report, follow-up)
        note,      // an internal note by staff (the console): appends an event, changes nothing
    };
    Kind kind = Kind::claim;
    std::string text{};
    std::string target{};  // transfer: the new assignee's userid
    std::string target_name{};
    Satisfaction satisfaction = Satisfaction::none;
    int score = 0;
    bool automatic = false;  // confirm/close by timeout
};

std::string_view to_string(Action::Kind k);
// The kind named by an event kind ("claim", "resolve", …); nullopt for other events.
std::optional<Action::Kind> parse_action_kind(std::string_view text);

// The outcome of an accepted action.
struct Decision {
    Ticket ticket;  // the ticket after the action
    Event event;    // to append (id and at filled by the caller's store)
};

// Why an action is refused, in a sentence for the person who asked ("工单 K7M3PX 已被 张工 接单").
struct Refusal {
    std::string message;
};

// Permission and state rules. `department_staff` tells whether the actor belongs to the ticket's
// department (or covers it: a supervisor of the building, the project manager).
boost::system::result<Decision, Refusal> decide(const Ticket& ticket, const Action& action,
                                                const Actor& actor, bool department_staff,
                                                Clock::time_point now);

// "staff:zhanggong", "resident:…", "system".
std::string actor_ref(const Actor& actor);

}  // namespace anju::tickets
