// The ticket service: turns confirmed complaints into tickets (routing, deadlines, duplicates,
// group complaints), applies what staff and residents do to them, and queues every message that
// follows — the card in the department's work group, the resident's updates, the alerts to
// supervisors and the project manager — in the outbox, in the same transaction as the change.
//
// Every member that takes a SQLite::Database runs on the store thread inside a write job (the
// turn's persist job or the admin API's), so a change, its event and its messages commit together
// or not at all; they never do I/O of their own. Thread-safe: the service holds only immutable
// configuration.
#pragma once

#include "bot/core/clock.hpp"
#include "bot/core/message.hpp"
#include "bot/tickets/commands.hpp"
#include "bot/tickets/directory.hpp"
#include "bot/tickets/ticket.hpp"
#include "dialogs/types.hpp"
#include "store/group_store.hpp"
#include "store/ticket_store.hpp"
#include "store/timer_store.hpp"

#include <SQLiteCpp/Database.h>

#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace anju::runtime {

class Scheduler;

// How the ticket was filed.
struct Filed {
    tickets::Ticket ticket;  // the resident's ticket (or the one the report was added to)
    bool duplicate = false;  // the room already had this problem open: added to it
    std::string group_code;  // set when the ticket is (now) part of a group complaint
    bool replayed = false;   // this source was filed before: nothing new was done
};

// A resident's message that answers a question the ticket service asked them.
struct ResidentAnswer {
    enum class Kind { solved, not_solved, rating };
    Kind kind = Kind::solved;
    tickets::Satisfaction satisfaction = tickets::Satisfaction::none;
    int score = 0;
    std::string text;  // what they said
};

// What a resident is being asked, for the dialog responder.
struct PendingAsk {
    enum class Kind { confirm, rate };
    Kind kind = Kind::confirm;
    tickets::Ticket ticket;
};

// Category labels ("电梯") come from the dialog lexicons.
using CategoryLabels = std::function<std::string(std::string_view category)>;

class TicketService {
public:
    // `staff_app`: the channels.wecom app that messages staff one-to-one ("" when none can).
    TicketService(const tickets::Directory& directory, Clock& clock, CategoryLabels labels,
                  std::string staff_app);

    const tickets::Directory& directory() const { return directory_; }
    std::string category_label(const tickets::Ticket& t) const;  // "电梯"; "人工回电" for a call request
    static std::string_view department_label(std::string_view department);  // "工程维修"

    // ---- on the store thread, inside a write job ----

    // Files a confirmed (or handed-over) complaint for `resident` (a conversation key; may be "" for
    // a walk-in). `source` makes it idempotent (a re-run turn files nothing new). Queues the work
    // group card (with @ the on-duty staff for emergencies), and the project manager's alert when it
    // makes a group complaint.
    Filed file(SQLite::Database& db, const dialogs::ComplaintDraft& draft, const std::string& resident,
               const std::string& channel, const std::string& source, Clock::time_point now,
               const std::string& resident_name = {}, const std::string& resident_phone = {});

    // A staff member's command, from the work group or the app; returns the one-line (or list)
    // answer for them. Unknown staff, wrong codes, missing arguments and refused actions all get a
    // sentence, never silence.
    std::string staff_command(SQLite::Database& db, const tickets::StaffCommand& command,
                              const std::string& userid, Clock::time_point now);

    // Applies an action to the ticket with `code` as `actor` (the admin API and staff commands).
    // Returns the ticket after it, or the refusal.
    boost::system::result<tickets::Ticket, tickets::Refusal> act(SQLite::Database& db, std::string_view code,
                                                                 const tickets::Action& action,
                                                                 const tickets::Actor& actor,
                                                                 Clock::time_point now);

    // The resident's answer to a pending ask; returns what to say to them.
    std::string resident_answer(SQLite::Database& db, const std::string& resident, std::int64_t ticket_id,
                                const ResidentAnswer& answer, Clock::time_point now);

    // What the resident is being asked right now (the newest first), if anything.
    std::vector<PendingAsk> pending_asks(SQLite::Database& db, const std::string& resident);

    // "您的工单：…" — each active ticket of the resident with its status and latest progress, plus
    // those closed in the last week. Empty when there are none.
    std::string progress_text(SQLite::Database& db, const std::string& resident, Clock::time_point now);

    // Queues a plain text for a resident (a conversation key) through their channel's outbox;
    // false when they cannot be reached that way (a walk-in) or `key` was queued before.
    bool message_resident(SQLite::Database& db, const std::string& resident, const std::string& key,
                          const std::string& text, Clock::time_point now);

    // Queues a plain text through the staff app for every member of staff with `role` in
    // `community` ("" = every community), e.g. the monthly report's note to quality and pm. `key`
    // makes it idempotent (one message per role). Returns how many people it is for: 0 when nobody
    // has the role or there is no staff app.
    std::size_t notify_role(SQLite::Database& db, std::string_view community, std::string_view role,
                            const std::string& key, const std::string& text, Clock::time_point now);

    // ---- owner groups (业主群, ticket_groups.cpp); on the store thread ----

    // A rectification announcement (整改公告) to the owner groups of `community` that cover
    // `building` ("" = every group) and to the groups following ticket `ticket_id` (0 = none).
    // Returns how many groups it was queued for.
    std::size_t announce(SQLite::Database& db, std::string_view community, std::string_view building,
                         std::int64_t ticket_id, const std::string& text, const std::string& key,
                         Clock::time_point now);

    // ---- time (issue 6): SLA clocks, escalation, auto-close, the daily push; on the store thread ----

    // Registers the handlers of the ticket timers (sla_warn, sla_due, escalate, auto_close,
    // rectification_due, daily_push, monthly_report). Before the scheduler runs.
    void register_timers(Scheduler& scheduler);
    // Sets the recurring timers (daily push, monthly report) to their next time unless one is
    // already pending and due. At start-up.
    void ensure_recurring(SQLite::Database& db, Clock::time_point now);
    // "不用推送" / "恢复推送": returns what to say to the resident.
    std::string set_daily_push(SQLite::Database& db, const std::string& resident, bool on,
                               Clock::time_point now);
    // Called when last month's report is due (on the 1st), with "2026-11". Set before serving.
    using MonthlyHook =
        std::function<void(SQLite::Database&, const std::string& month, Clock::time_point now)>;
    void set_monthly_hook(MonthlyHook hook) { monthly_hook_ = std::move(hook); }

    // ---- hints kept in memory (the store is the truth) ----

    // Residents who may have a pending ask, so the dialog responder only reads the store for them.
    bool may_have_pending_ask(const std::string& resident) const;
    void load_pending_hints(SQLite::Database& db);

private:
    void notify_filed(SQLite::Database& db, const tickets::Ticket& t, Clock::time_point now);
    void after_change(SQLite::Database& db, const tickets::Ticket& before, const tickets::Ticket& after,
                      const tickets::Event& event, std::int64_t event_id, Clock::time_point now);
    void check_group(SQLite::Database& db, tickets::Ticket& t, Clock::time_point now, Filed& filed);
    void mirror_to_members(SQLite::Database& db, const tickets::Ticket& parent, const tickets::Event& event,
                           Clock::time_point now);
    void maybe_close_group(SQLite::Database& db, std::int64_t parent_id, Clock::time_point now);

    // SLA (ticket_sla.cpp).
    void schedule_sla(SQLite::Database& db, const tickets::Ticket& t, Clock::time_point now);
    void stop_sla(SQLite::Database& db, const tickets::Ticket& t);  // grouped or ended: no more clocks
    void sla_after_change(SQLite::Database& db, const tickets::Ticket& before, const tickets::Ticket& t,
                          const tickets::Event& e, Clock::time_point now);
    void set_auto_close(SQLite::Database& db, const tickets::Ticket& t, Clock::time_point at);
    void open_rectification(SQLite::Database& db, const tickets::Ticket& t, const std::string& reason,
                            const std::string& detail, Clock::time_point now);
    std::string answer_rectification(SQLite::Database& db, const tickets::Ticket& t, const std::string& text,
                                     const tickets::Actor& actor, Clock::time_point now);
    void on_sla_warn(SQLite::Database& db, const store::Timer& timer, Clock::time_point now);
    void on_sla_due(SQLite::Database& db, const store::Timer& timer, Clock::time_point now);
    void on_escalate(SQLite::Database& db, const store::Timer& timer, Clock::time_point now);
    void on_auto_close(SQLite::Database& db, const store::Timer& timer, Clock::time_point now);
    void on_rectification_due(SQLite::Database& db, const store::Timer& timer, Clock::time_point now);
    void on_daily_push(SQLite::Database& db, const store::Timer& timer, Clock::time_point now);
    void on_monthly_report(SQLite::Database& db, const store::Timer& timer, Clock::time_point now);

    // Owner groups (ticket_groups.cpp).
    void groups_after_filing(SQLite::Database& db, const Filed& filed, const std::string& resident,
                             Clock::time_point now);
    void group_notices(SQLite::Database& db, const tickets::Ticket& t, const tickets::Event& e,
                       Clock::time_point now);
    // A resident who is a member speaking in a group (not linked to a private conversation) is told
    // in the group, with an @ and without personal details. False for any other resident.
    bool tell_group_member(SQLite::Database& db, const std::string& resident, std::int64_t ticket_id,
                           const std::string& key, const std::string& text, Clock::time_point now);
    void post_to_owner_group(SQLite::Database& db, const store::GroupRef& ref, const std::string& key,
                             const std::string& text, std::int64_t ticket_id, Clock::time_point now);

    // Outbox helpers (keys make every message idempotent).
    void tell_resident(SQLite::Database& db, const tickets::Ticket& t, const std::string& key,
                       const std::string& text, Clock::time_point now);
    void tell_staff(SQLite::Database& db, const tickets::Ticket& t, const std::vector<std::string>& userids,
                    const std::string& key, const std::string& text, Clock::time_point now);
    void post_to_groups(SQLite::Database& db, const tickets::Ticket& t, const std::string& department,
                        const std::string& key, const std::string& markdown,
                        const std::vector<std::string>& mentions, Clock::time_point now);

    std::string card(const tickets::Ticket& t, Clock::time_point now) const;
    std::string summary(const tickets::Ticket& t) const;  // "电梯 · 3栋2单元501"
    std::string deadline_text(const tickets::Ticket& t, Clock::time_point now) const;
    std::string detail(SQLite::Database& db, const tickets::Ticket& t, Clock::time_point now) const;
    std::vector<std::string> supervisors(const tickets::Ticket& t) const;
    std::vector<std::string> with_role(const tickets::Ticket& t, std::string_view role) const;
    void mark_hint(const std::string& resident, bool pending);

    const tickets::Directory& directory_;
    Clock& clock_;
    CategoryLabels labels_;
    std::string staff_app_;
    mutable std::mutex mutex_;
    std::set<std::string> pending_hints_;  // guarded by mutex_
    MonthlyHook monthly_hook_;
};

}  // namespace anju::runtime
