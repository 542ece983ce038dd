// The ticket service's clocks (issue 6): SLA milestones with pre-breach warnings, the escalation
// ladder after a breach, rectification orders (整改单), auto-close of unanswered resolutions, the
// daily progress push and the monthly report's timer. Every timer is set in the transaction of the
// change that causes it and fires through the Scheduler, inside a write job of its own.
#include "bot/core/log.hpp"
#include "bot/runtime/owner_groups.hpp"
#include "bot/runtime/scheduler.hpp"
#include "bot/runtime/ticket_helpers.hpp"
#include "bot/runtime/ticket_service.hpp"
#include "bot/tickets/sla.hpp"

#include <SQLiteCpp/Statement.h>
#include <nlohmann/json.hpp>

#include <map>

namespace anju::runtime {
namespace {

using json = nlohmann::json;
using detail::add_unique;
using detail::event;
using detail::from_unix_ms;
using detail::join;
using detail::unix_ms;
using tickets::Action;
using tickets::Actor;
using tickets::Status;
using tickets::Ticket;

const log::Logger sla_log{"sla"};

// Timer keys: "T<id>:<milestone>:warn|due|esc1|esc2", "T<id>:auto_close", "R<id>:due", and the
// recurring "daily_push" and "monthly_report".
std::string ticket_key(const Ticket& t, std::string_view rest) {
    return "T" + std::to_string(t.id) + ":" + std::string(rest);
}

json data_of(const store::Timer& timer) {
    auto j = json::parse(timer.data, nullptr, false);
    return j.is_object() ? j : json::object();
}

// Events that count as the day's progress for the resident.
bool progress_kind(std::string_view kind) {
    if (kind.starts_with("group_")) {
        kind.remove_prefix(6);
    }
    return kind == "claim" || kind == "arrive" || kind == "plan" || kind == "progress" ||
           kind == "transfer" || kind == "resolve" || kind == "reopen";
}

std::string_view progress_word(std::string_view kind) {
    if (kind.starts_with("group_")) {
        kind.remove_prefix(6);
    }
    if (kind == "claim") {
        return "已接单";
    }
    if (kind == "arrive") {
        return "已到场";
    }
    if (kind == "plan") {
        return "处理方案";
    }
    if (kind == "transfer") {
        return "已转交";
    }
    if (kind == "resolve") {
        return "已处理完成";
    }
    if (kind == "reopen") {
        return "重新处理";
    }
    return "进展";
}

constexpr std::size_t kPushPage = 1000;  // tickets per daily-push transaction

}  // namespace

// ---- registration and recurring timers ----

void TicketService::register_timers(Scheduler& scheduler) {
    const auto bind =
        [this](void (TicketService::*fn)(SQLite::Database&, const store::Timer&, Clock::time_point)) {
            return [this, fn](SQLite::Database& db, const store::Timer& timer, Clock::time_point now) {
                (this->*fn)(db, timer, now);
            };
        };
    scheduler.handle("sla_warn", bind(&TicketService::on_sla_warn));
    scheduler.handle("sla_due", bind(&TicketService::on_sla_due));
    scheduler.handle("escalate", bind(&TicketService::on_escalate));
    scheduler.handle("auto_close", bind(&TicketService::on_auto_close));
    scheduler.handle("rectification_due", bind(&TicketService::on_rectification_due));
    scheduler.handle("daily_push", bind(&TicketService::on_daily_push));
    scheduler.handle("monthly_report", bind(&TicketService::on_monthly_report));
}

void TicketService::ensure_recurring(SQLite::Database& db, Clock::time_point now) {
    const auto& cfg = directory_.config();
    const auto& cal = directory_.calendar(directory_.default_community().id);
    const auto keep_or_set = [&](std::string_view key, Clock::time_point next) {
        const auto existing = store::timer_by_key(db, key);
        if (existing && existing->due_at_ms <= unix_ms(now)) {
            return;  // fell due while the service was down: it fires now, once
        }
        store::set_timer(db, key, key, 0, unix_ms(next), json{{"due", unix_ms(next)}}.dump());
    };
    if (cfg.daily_push) {
        keep_or_set("daily_push",
                    cal.next_time_of_day(now, tickets::minute_of_day(cfg.daily_push_at).value_or(18 * 60)));
    } else {
        store::cancel_timer(db, "daily_push");
    }
    keep_or_set("monthly_report",
                cal.next_month_start(now, tickets::minute_of_day(cfg.monthly_report_at).value_or(8 * 60)));
}

std::string TicketService::set_daily_push(SQLite::Database& db, const std::string& resident, bool on,
                                          Clock::time_point now) {
    store::set_daily_push(db, resident, on, unix_ms(now));
    if (on) {
        return "好的，已恢复每日进展推送：您有未办结的工单时，每天" + directory_.config().daily_push_at +
               "会告诉您当天的进展。";
    }
    return "好的，已关闭每日进展推送。工单有重要变化（接单、完成）时仍会通知您；回复「恢复推送」可重新开启，"
           "回复「进度」可随时查询。";
}

// ---- milestones ----

void TicketService::schedule_sla(SQLite::Database& db, const Ticket& t, Clock::time_point now) {
    const auto& cfg = directory_.config();
    for (const auto& m : tickets::plan_milestones(t, now, cfg.warn_at_percent)) {
        store::set_milestone(db, t.id, m.name, t.department, unix_ms(m.due));
        const auto data = json{{"milestone", m.name}}.dump();
        if (m.warn_at) {
            store::set_timer(db, ticket_key(t, m.name + ":warn"), "sla_warn", t.id, unix_ms(*m.warn_at),
                             data);
        }
        store::set_timer(db, ticket_key(t, m.name + ":due"), "sla_due", t.id, unix_ms(m.due), data);
    }
}

void TicketService::stop_sla(SQLite::Database& db, const Ticket& t) {
    store::cancel_ticket_timers(db, t.id, ticket_key(t, ""));
    store::drop_open_milestones(db, t.id);
}

void TicketService::set_auto_close(SQLite::Database& db, const Ticket& t, Clock::time_point at) {
    store::set_timer(db, ticket_key(t, "auto_close"), "auto_close", t.id, unix_ms(at));
}

void TicketService::sla_after_change(SQLite::Database& db, const Ticket& before, const Ticket& t,
                                     const tickets::Event& e, Clock::time_point now) {
    const auto& cfg = directory_.config();
    // Milestones met: their warning, deadline and escalation timers go.
    if (const auto kind = tickets::parse_action_kind(e.kind)) {
        for (const auto name : tickets::milestones_met_by(*kind)) {
            if (store::meet_milestone(db, t.id, name, unix_ms(now))) {
                store::cancel_ticket_timers(db, t.id, ticket_key(t, std::string(name) + ":"));
            }
        }
    }
    if (t.status == Status::cancelled) {
        stop_sla(db, t);
        return;
    }
    if (t.status == Status::closed) {
        store::cancel_ticket_timers(db, t.id, ticket_key(t, ""));
    }
    if (before.status != Status::resolved && t.status == Status::resolved && !t.group) {
        set_auto_close(db, t, t.confirm_due.value_or(now + cfg.confirm_timeout));
    }
    if (e.kind == "confirm" && t.status == Status::confirmed && !t.auto_closed) {
        set_auto_close(db, t, now + cfg.confirm_timeout);  // waiting for the survey answer
    }
    if (e.kind == "reopen") {
        store::cancel_timer(db, ticket_key(t, "auto_close"));
        open_rectification(db, t, "reopened", "业主反馈未解决：" + (e.text.empty() ? "问题仍在" : e.text),
                           now);
    }
    if (e.kind == "rate" && t.satisfaction == tickets::Satisfaction::unsatisfied) {
        open_rectification(db, t, "unsatisfied", "业主评价不满意" + (e.text.empty() ? "" : "：" + e.text),
                           now);
    }
}

// ---- rectification orders ----

void TicketService::open_rectification(SQLite::Database& db, const Ticket& t, const std::string& reason,
                                       const std::string& detail, Clock::time_point now) {
    const auto& cfg = directory_.config();
    const auto& cal = directory_.calendar(t.community);
    const auto due = cal.add(now, cfg.rectification_answer);
    const auto id =
        store::open_rectification(db, t.id, t.department, reason, detail, unix_ms(now), unix_ms(due));
    if (!id) {
        return;  // one order per ticket and reason
    }
    const auto name = "rectification:" + std::to_string(*id);
    store::set_milestone(db, t.id, name, t.department, unix_ms(due));
    store::set_timer(db, "R" + std::to_string(*id) + ":due", "rectification_due", t.id, unix_ms(due),
                     json{{"rectification", *id}}.dump());
    auto current = store::ticket_by_id(db, t.id).value_or(t);
    current.updated_at = now;
    store::update_ticket(
        db, current,
        event("rectification_opened", detail, now,
              json{{"rectification", *id}, {"reason", reason}, {"due", unix_ms(due)}}.dump()));
    const std::string text = "【整改单】工单 " + t.code + " " + summary(t) + "：" + detail + "。请" +
                             std::string(department_label(t.department)) + "在" +
                             cal.format_relative(due, now) + "前回复整改措施：整改 " + t.code + " 措施内容";
    auto to = with_role(t, "quality");
    for (const auto& s : supervisors(t)) {
        add_unique(to, s);
    }
    add_unique(to, t.assignee);
    tell_staff(db, t, to, "R" + std::to_string(*id) + ":opened", text, now);
    post_to_groups(db, t, t.department, "R" + std::to_string(*id) + ":opened", "**" + text + "**", {}, now);
    ANJU_LOG_INFO(sla_log) << "rectification order opened" << kv("code", t.code) << kv("reason", reason);
}

std::string TicketService::answer_rectification(SQLite::Database& db, const Ticket& t,
                                                const std::string& text, const Actor& actor,
                                                Clock::time_point now) {
    if (text.empty()) {
        return "请写上整改措施，例如「整改 " + t.code + " 已安排专人每日巡查，超时工单由主管督办」";
    }
    const auto* staff = directory_.staff(actor.id);
    const bool allowed = staff != nullptr && (directory_.covers(*staff, t.department, t.room.building) ||
                                              actor.has_role("quality") || actor.has_role("pm"));
    if (!allowed) {
        return "只有" + std::string(department_label(t.department)) + "或主管、品质、项目经理可以回复工单 " +
               t.code + " 的整改单";
    }
    const auto r = store::answer_rectification(db, t.id, actor.id, text, unix_ms(now));
    if (!r) {
        return "工单 " + t.code + " 没有待回复的整改单";
    }
    store::meet_milestone(db, t.id, "rectification:" + std::to_string(r->id), unix_ms(now));
    store::cancel_timer(db, "R" + std::to_string(r->id) + ":due");
    auto current = store::ticket_by_id(db, t.id).value_or(t);
    current.updated_at = now;
    auto e = event("rectification_answered", text, now,
                   json{{"rectification", r->id}, {"reason", r->reason}}.dump());
    e.actor = tickets::actor_ref(actor);
    e.actor_name = actor.name;
    store::update_ticket(db, current, e);
    tell_staff(db, t, with_role(t, "quality"), "R" + std::to_string(r->id) + ":answered",
               "工单 " + t.code + " 的整改单已由" + actor.name + "回复：" + text, now);
    return "已记录工单 " + t.code + " 的整改措施，品质部会跟进复核。";
}

// ---- timer handlers ----

void TicketService::on_sla_warn(SQLite::Database& db, const store::Timer& timer, Clock::time_point now) {
    const auto name = data_of(timer).value("milestone", std::string());
    auto t = store::ticket_by_id(db, timer.ticket_id);
    const auto m = store::milestone(db, timer.ticket_id, name);
    if (!t || !tickets::is_open(t->status) || !m || m->met_at_ms || m->missed_at_ms) {
        return;
    }
    const auto& cal = directory_.calendar(t->community);
    const auto due = from_unix_ms(m->due_at_ms);
    const std::string what = "工单 " + t->code + " " + summary(*t) + " 的「" +
                             tickets::milestone_label(name) + "」时限将于" + cal.format_relative(due, now) +
                             "到期";
    const auto key = ticket_key(*t, name + ":warn");
    if (!t->assignee.empty()) {
        tell_staff(db, *t, {t->assignee}, key, "【预警】" + what + "，请尽快处理并更新进展。", now);
    } else {
        post_to_groups(db, *t, t->department, key,
                       "**【预警】" + what + "，请尽快接单：接单 " + t->code + "**", {}, now);
    }
    t->updated_at = now;
    store::update_ticket(
        db, *t, event("sla_warning", what, now, json{{"milestone", name}, {"due", m->due_at_ms}}.dump()));
}

void TicketService::on_sla_due(SQLite::Database& db, const store::Timer& timer, Clock::time_point now) {
    const auto name = data_of(timer).value("milestone", std::string());
    auto t = store::ticket_by_id(db, timer.ticket_id);
    if (!t || !tickets::is_open(t->status)) {
        return;
    }
    // A late firing (the service was down) still counts the breach at the deadline.
    const auto breach = from_unix_ms(timer.due_at_ms);
    if (!store::miss_milestone(db, t->id, name, unix_ms(breach))) {
        return;  // met in time
    }
    const auto& cfg = directory_.config();
    const auto& cal = directory_.calendar(t->community);
    const auto label = tickets::milestone_label(name);
    const std::string what = "工单 " + t->code + " " + summary(*t) + " 的「" + label + "」时限已于" +
                             cal.format(breach) + "到期，仍未完成";
    t->updated_at = now;
    store::update_ticket(
        db, *t, event("sla_missed", what, now, json{{"milestone", name}, {"due", timer.due_at_ms}}.dump()));
    const auto key = ticket_key(*t, name + ":due");
    std::vector<std::string> mentions;
    if (!t->assignee.empty()) {
        mentions.push_back(t->assignee);
        tell_staff(db, *t, {t->assignee}, key, "【超时】" + what + "，请立即处理并更新进展。", now);
    } else {
        for (const auto* s : directory_.staff_with_role(t->community, t->department, t->room.building)) {
            if (s->on_duty) {
                mentions.push_back(s->userid);
            }
        }
    }
    post_to_groups(db, *t, t->department, key, "**【超时】" + what + "**", mentions, now);
    open_rectification(db, *t, "overdue:" + name, "「" + label + "」超时（截止" + cal.format(breach) + "）",
                       now);
    const bool unclaimed_emergency =
        name == tickets::kClaim && t->urgency == dialogs::Urgency::emergency && t->assignee.empty();
    for (const auto& step : tickets::escalation_ladder(cfg, cal, t->urgency, breach, unclaimed_emergency)) {
        store::set_timer(db, ticket_key(*t, name + ":esc" + std::to_string(step.level)), "escalate", t->id,
                         unix_ms(std::max(step.at, now)),
                         json{{"milestone", name}, {"level", step.level}}.dump());
    }
    ANJU_LOG_WARN(sla_log) << "deadline missed" << kv("code", t->code) << kv("milestone", name);
}

void TicketService::on_escalate(SQLite::Database& db, const store::Timer& timer, Clock::time_point now) {
    const auto data = data_of(timer);
    const auto name = data.value("milestone", std::string());
    const int level = data.value("level", 1);
    auto t = store::ticket_by_id(db, timer.ticket_id);
    const auto m = store::milestone(db, timer.ticket_id, name);
    if (!t || !tickets::is_open(t->status) || (m && m->met_at_ms)) {
        return;  // handled meanwhile
    }
    const auto& cal = directory_.calendar(t->community);
    const std::string reason = "「" + tickets::milestone_label(name) + "」超时未完成" +
                               (m ? "（截止" + cal.format(from_unix_ms(m->due_at_ms)) + "）" : "");
    if (t->escalation >= level) {
        return;  // already escalated this far (another milestone's ladder, or by hand)
    }
    while (t->escalation < level) {
        Action action;
        action.kind = Action::Kind::escalate;
        action.text = reason;
        action.automatic = true;
        auto done = act(db, t->code, action, Actor::system(), now);
        if (!done) {
            break;
        }
        t = *done;
    }
    const auto to = level >= 2 ? with_role(*t, "pm") : supervisors(*t);
    post_to_groups(db, *t, t->department, ticket_key(*t, name + ":esc" + std::to_string(level)),
                   "**【超时升级·" + std::string(level >= 2 ? "项目经理" : "主管") + "】工单 " + t->code +
                       " " + summary(*t) + "：" + reason + "。处理人：" +
                       (t->assignee_name.empty() ? "无人接单" : t->assignee_name) + "**",
                   to, now);
}

void TicketService::on_auto_close(SQLite::Database& db, const store::Timer& timer, Clock::time_point now) {
    auto t = store::ticket_by_id(db, timer.ticket_id);
    if (!t) {
        return;
    }
    const auto& cfg = directory_.config();
    const auto days = std::chrono::duration_cast<std::chrono::hours>(cfg.confirm_timeout).count() / 24;
    const std::string waited = days > 0 ? std::to_string(days) + "天" : "长时间";
    if (t->status == Status::resolved) {
        Action confirm;
        confirm.kind = Action::Kind::confirm;
        confirm.automatic = true;
        confirm.text = waited + "未收到业主回复，自动确认";
        auto done = act(db, t->code, confirm, Actor::system(), now);
        if (!done) {
            return;
        }
        t = *done;
        tell_resident(db, *t, ticket_key(*t, "auto_closed"),
                      "您的工单 " + t->code + "（" + category_label(*t) + "）已处理完成，" + waited +
                          "未收到您的回复，已自动办结。如问题仍未解决，请直接回复告诉我们，我们会重新处理。",
                      now);
    }
    if (t->status == Status::confirmed) {
        Action close;
        close.kind = Action::Kind::close;
        close.automatic = true;
        close.text = "未收到评价，自动办结";
        (void)act(db, t->code, close, Actor::system(), now);
    }
}

void TicketService::on_rectification_due(SQLite::Database& db, const store::Timer& timer,
                                         Clock::time_point now) {
    const auto id = data_of(timer).value("rectification", std::int64_t{0});
    const auto r = store::rectification_by_id(db, id);
    auto t = store::ticket_by_id(db, timer.ticket_id);
    if (!r || r->answered_at_ms || !t) {
        return;
    }
    store::miss_milestone(db, t->id, "rectification:" + std::to_string(id), timer.due_at_ms);
    const std::string what = "工单 " + t->code + " 的整改单（" + r->detail + "）已超过回复期限，" +
                             std::string(department_label(t->department)) + "仍未回复整改措施";
    t->updated_at = now;
    store::update_ticket(db, *t,
                         event("rectification_overdue", what, now, json{{"rectification", id}}.dump()));
    auto to = with_role(*t, "pm");
    for (const auto& q : with_role(*t, "quality")) {
        add_unique(to, q);
    }
    tell_staff(db, *t, to, "R" + std::to_string(id) + ":overdue", "【整改超期】" + what + "。", now);
}

void TicketService::on_daily_push(SQLite::Database& db, const store::Timer& timer, Clock::time_point now) {
    const auto& cfg = directory_.config();
    const auto& cal = directory_.calendar(directory_.default_community().id);
    auto data = data_of(timer);
    // The day being reported: the one the timer was due on (it may fire late after a restart).
    const auto due = from_unix_ms(data.value("due", timer.due_at_ms));
    const auto date = data.value("date", cal.date(due));
    const auto day_start = data.value("day_start", unix_ms(cal.day_start(due)));
    const auto after = data.value("after", std::int64_t{0});

    store::TicketFilter f;
    f.status = "active";
    f.after_id = after;
    f.limit = kPushPage;
    const auto page = store::find_tickets(db, f);
    std::map<std::int64_t, std::vector<store::TicketEvent>> notes;
    if (!page.empty()) {
        for (auto& e : store::events_between(db, page.front().id, page.back().id, day_start)) {
            if (progress_kind(e.kind)) {
                notes[e.ticket_id].push_back(std::move(e));
            }
        }
    }
    std::map<std::string, std::vector<const Ticket*>> unupdated;  // assignee (or "@<department>") → tickets
    std::size_t pushed = 0;
    for (const auto& t : page) {
        if (t.group) {
            continue;  // its households get the push on their own tickets
        }
        const auto it = notes.find(t.id);
        const bool updated = it != notes.end();
        // A progress note is owed for every open ticket filed before today.
        if (tickets::is_open(t.status) && unix_ms(t.created_at) < day_start && t.parent_id == 0) {
            const auto name = "progress:" + date;
            store::set_milestone(db, t.id, name, t.department, timer.due_at_ms);
            if (updated) {
                store::meet_milestone(db, t.id, name, it->second.back().at_ms);
            } else {
                store::miss_milestone(db, t.id, name, timer.due_at_ms);
                unupdated[t.assignee.empty() ? "@" + t.department : t.assignee].push_back(&t);
            }
        }
        if (!cfg.daily_push || t.resident.empty() || !store::daily_push_enabled(db, t.resident)) {
            continue;
        }
        if (group_of_conversation(t.resident)) {
            continue;  // reported in an owner group: neighbours get real progress there, not a daily digest
        }
        std::string text = "【每日进展】工单 " + t.code + "（" + summary(t) + "）\n";
        if (updated) {
            text += "今日进展：";
            for (const auto& e : it->second) {
                const auto when = cal.format(from_unix_ms(e.at_ms));  // "11月27日 14:30": the time is enough
                text += "\n· " + when.substr(when.find(' ') + 1) + " " + std::string(progress_word(e.kind)) +
                        (e.text.empty() ? "" : "：" + e.text);
            }
        } else if (t.status == Status::resolved) {
            text += "已处理完成，等待您确认：问题是否已解决？请回复「已解决」或「未解决」。";
        } else {
            text += "今日暂无新进展，我们已提醒处理人员，明天会继续跟进。";
        }
        text += "\n当前状态：" + std::string(tickets::label(t.status)) +
                (t.assignee_name.empty() ? "" : "（" + t.assignee_name + "）") +
                "\n回复「不用推送」可关闭每日推送。";
        tell_resident(db, t, "push:" + date + ":" + ticket_key(t, ""), text, now);
        ++pushed;
    }
    for (const auto& [who, list] : unupdated) {
        std::vector<std::string> codes;
        for (const auto* t : list) {
            codes.push_back(t->code);
        }
        const std::string text =
            "【今日未更新】以下工单今天还没有进展记录，业主已收到「暂无新进展」的推送，请尽快处理并更新"
            "（进展 工单号 内容）：" +
            join(codes, "、");
        const auto key = "remind:" + date + ":" + who + ":" + std::to_string(after);
        if (who.starts_with("@")) {
            post_to_groups(db, *list.front(), who.substr(1), key, "**" + text + "**", {}, now);
        } else {
            tell_staff(db, *list.front(), {who}, key, text, now);
        }
    }
    if (page.size() == kPushPage) {
        // More tickets: the next page in a transaction of its own, right away.
        data["date"] = date;
        data["day_start"] = day_start;
        data["due"] = unix_ms(due);
        data["after"] = page.back().id;
        store::set_timer(db, "daily_push", "daily_push", 0, unix_ms(now), data.dump());
    } else {
        const auto next = cal.next_time_of_day(std::max(now, due),
                                               tickets::minute_of_day(cfg.daily_push_at).value_or(18 * 60));
        store::set_timer(db, "daily_push", "daily_push", 0, unix_ms(next),
                         json{{"due", unix_ms(next)}}.dump());
    }
    ANJU_LOG_INFO(sla_log) << "daily push page" << kv("date", date) << kv("tickets", page.size())
                           << kv("pushed", pushed) << kv("unupdated_handlers", unupdated.size());
}

void TicketService::on_monthly_report(SQLite::Database& db, const store::Timer& timer,
                                      Clock::time_point now) {
    const auto& cfg = directory_.config();
    const auto& cal = directory_.calendar(directory_.default_community().id);
    // The month before the one the timer was due in.
    const auto due = from_unix_ms(timer.due_at_ms);
    const auto month = cal.month(cal.day_start(due) - std::chrono::hours(1));
    SQLite::Statement mark(
        db,
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    mark.bind(1, "monthly_report:" + month);
    mark.bind(2, std::to_string(unix_ms(now)));
    mark.exec();
    if (monthly_hook_) {
        monthly_hook_(db, month, now);
    }
    ANJU_LOG_INFO(sla_log) << "monthly report due" << kv("month", month);
    const auto next = cal.next_month_start(std::max(now, due),
                                           tickets::minute_of_day(cfg.monthly_report_at).value_or(8 * 60));
    store::set_timer(db, "monthly_report", "monthly_report", 0, unix_ms(next),
                     json{{"due", unix_ms(next)}}.dump());
}

}  // namespace anju::runtime
