#include "bot/tickets/ticket.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>

namespace anju::tickets {
namespace {

using json = nlohmann::json;

struct StatusName {
    Status status;
    std::string_view name;
    std::string_view label;
};

constexpr std::array<StatusName, 9> kStatuses = {{
    {Status::dispatched, "dispatched", "待接单"},
    {Status::claimed, "claimed", "已接单"},
    {Status::on_site, "on_site", "已到场"},
    {Status::planned, "planned", "已出方案"},
    {Status::in_progress, "in_progress", "处理中"},
    {Status::resolved, "resolved", "已处理，待您确认"},
    {Status::confirmed, "confirmed", "已确认解决"},
    {Status::closed, "closed", "已办结"},
    {Status::cancelled, "cancelled", "已取消"},
}};

std::string name_of(const Actor& a) { return a.name.empty() ? a.id : a.name; }

bool handling(Status s) {
    return s == Status::claimed || s == Status::on_site || s == Status::planned || s == Status::in_progress;
}

}  // namespace

std::string_view to_string(Status s) { return kStatuses[static_cast<std::size_t>(s)].name; }
std::string_view label(Status s) { return kStatuses[static_cast<std::size_t>(s)].label; }

std::optional<Status> parse_status(std::string_view text) {
    for (const auto& s : kStatuses) {
        if (s.name == text) {
            return s.status;
        }
    }
    return std::nullopt;
}

bool is_open(Status s) { return s == Status::dispatched || handling(s); }
bool is_active(Status s) { return is_open(s) || s == Status::resolved; }

std::string_view to_string(Satisfaction s) {
    switch (s) {
        case Satisfaction::satisfied:
            return "satisfied";
        case Satisfaction::basically:
            return "basically";
        case Satisfaction::unsatisfied:
            return "unsatisfied";
        case Satisfaction::none:
            break;
    }
    return "none";
}

std::string_view label(Satisfaction s) {
    switch (s) {
        case Satisfaction::satisfied:
            return "满意";
        case Satisfaction::basically:
            return "基本满意";
        case Satisfaction::unsatisfied:
            return "不满意";
        case Satisfaction::none:
            break;
    }
    return "未评价";
}

std::optional<Satisfaction> parse_satisfaction(std::string_view text) {
    for (const auto s :
         {Satisfaction::none, Satisfaction::satisfied, Satisfaction::basically, Satisfaction::unsatisfied}) {
        if (to_string(s) == text) {
            return s;
        }
    }
    return std::nullopt;
}

std::optional<Action::Kind> parse_action_kind(std::string_view text) {
    for (int i = 0; i <= static_cast<int>(Action::Kind::note); ++i) {
        const auto k = static_cast<Action::Kind>(i);
        if (to_string(k) == text) {
            return k;
        }
    }
    return std::nullopt;
}

std::string_view to_string(Action::Kind k) {
    switch (k) {
        case Action::Kind::claim:
            return "claim";
        case Action::Kind::arrive:
            return "arrive";
        case Action::Kind::plan:
            return "plan";
        case Action::Kind::progress:
            return "progress";
        case Action::Kind::resolve:
            return "resolve";
        case Action::Kind::transfer:
            return "transfer";
        case Action::Kind::escalate:
            return "escalate";
        case Action::Kind::confirm:
            return "confirm";
        case Action::Kind::reopen:
            return "reopen";
        case Action::Kind::rate:
            return "rate";
        case Action::Kind::close:
            return "close";
        case Action::Kind::cancel:
            return "cancel";
        case Action::Kind::attach:
            return "attach";
        case Action::Kind::note:
            return "note";
    }
    return "unknown";
}

bool Actor::has_role(std::string_view role) const {
    return std::find(roles.begin(), roles.end(), role) != roles.end();
}

std::string actor_ref(const Actor& actor) {
    switch (actor.kind) {
        case Actor::Kind::staff:
            return "staff:" + actor.id;
        case Actor::Kind::resident:
            return "resident:" + actor.id;
        case Actor::Kind::system:
            break;
    }
    return "system";
}

boost::system::result<Decision, Refusal> decide(const Ticket& ticket, const Action& action,
                                                const Actor& actor, bool department_staff,
                                                Clock::time_point now) {
    const auto& code = ticket.code;
    const auto refuse = [&](std::string why) { return Refusal{std::move(why)}; };
    const bool staff = actor.kind == Actor::Kind::staff;
    const bool resident = actor.kind == Actor::Kind::resident;
    const bool system = actor.kind == Actor::Kind::system;
    const bool manager = actor.has_role("supervisor") || actor.has_role("pm") || actor.has_role("cs");
    const bool handler = staff && (actor.id == ticket.assignee || manager);
    const auto status_text = [&] {
        return "工单 " + code + " 当前状态是「" + std::string(label(ticket.status)) + "」";
    };

    Decision d{ticket, {}};
    auto& t = d.ticket;
    auto& e = d.event;
    e.actor = actor_ref(actor);
    e.actor_name = name_of(actor);
    e.kind = std::string(to_string(action.kind));
    e.text = action.text;
    e.at = now;
    t.updated_at = now;

    if (ticket.parent_id != 0 && staff && action.kind != Action::Kind::attach &&
        action.kind != Action::Kind::note) {
        return refuse("工单 " + code + " 已并入群体投诉，请在主工单上操作");
    }

    switch (action.kind) {
        case Action::Kind::claim:
            if (!staff) {
                return refuse("只有工作人员可以接单");
            }
            if (ticket.status != Status::dispatched) {
                if (handling(ticket.status) && !ticket.assignee.empty()) {
                    return refuse("工单 " + code + " 已被 " + ticket.assignee_name + " 接单");
                }
                return refuse(status_text() + "，不能接单");
            }
            if (!department_staff) {
                return refuse("工单 " + code + " 属于" + ticket.department + "部门，您没有接单权限");
            }
            t.status = Status::claimed;
            t.assignee = actor.id;
            t.assignee_name = name_of(actor);
            if (t.first_responder.empty()) {
                t.first_responder = actor.id;
            }
            t.claim_due.reset();
            break;
        case Action::Kind::arrive:
        case Action::Kind::plan:
        case Action::Kind::progress:
        case Action::Kind::resolve:
            if (!staff) {
                return refuse("只有工作人员可以更新处理进度");
            }
            if (ticket.status == Status::dispatched) {
                return refuse("工单 " + code + " 还没有人接单，请先发送「接单 " + code + "」");
            }
            if (!handling(ticket.status)) {
                return refuse(status_text() + "，不能再更新");
            }
            if (!handler) {
                return refuse("工单 " + code + " 由 " + ticket.assignee_name + " 处理，您不能更新");
            }
            if ((action.kind == Action::Kind::plan || action.kind == Action::Kind::progress) &&
                action.text.empty()) {
                return refuse(std::string("请写上") + (action.kind == Action::Kind::plan ? "方案" : "进展") +
                              "内容，例如「" + (action.kind == Action::Kind::plan ? "方案 " : "进展 ") +
                              code + " 明天上午更换配件」");
            }
            if (action.kind == Action::Kind::arrive) {
                t.status = Status::on_site;
                t.on_site_due.reset();
            } else if (action.kind == Action::Kind::plan) {
                t.status = Status::planned;
                t.plan_due.reset();
                t.last_progress = action.text;
            } else if (action.kind == Action::Kind::progress) {
                t.status = Status::in_progress;
                t.last_progress = action.text;
            } else {
                t.status = Status::resolved;
                t.on_site_due.reset();
                t.plan_due.reset();
                if (!action.text.empty()) {
                    t.last_progress = action.text;
                }
            }
            break;
        case Action::Kind::transfer:
            if (!staff) {
                return refuse("只有工作人员可以转派");
            }
            if (!is_open(ticket.status)) {
                return refuse(status_text() + "，不能转派");
            }
            if (!handler && !(ticket.status == Status::dispatched && department_staff)) {
                return refuse("只有当前处理人或主管可以转派工单 " + code);
            }
            if (action.target.empty()) {
                return refuse("请写上转派给谁，例如「转派 " + code + " 李师傅」");
            }
            if (action.target == ticket.assignee) {
                return refuse("工单 " + code + " 已经由 " + action.target_name + " 处理");
            }
            {
                json data = {{"from", ticket.assignee},
                             {"from_name", ticket.assignee_name},
                             {"to", action.target},
                             {"to_name", action.target_name}};
                e.data = data.dump();
            }
            t.assignee = action.target;
            t.assignee_name = action.target_name;
            if (t.first_responder.empty()) {
                t.first_responder = actor.id;
            }
            if (t.status == Status::dispatched) {
                t.status = Status::claimed;
                t.claim_due.reset();
            }
            break;
        case Action::Kind::escalate:
            if (!staff && !system) {
                return refuse("只有工作人员可以升级工单");
            }
            if (!is_active(ticket.status)) {
                return refuse(status_text() + "，不能升级");
            }
            if (ticket.escalation >= 2) {
                return refuse("工单 " + code + " 已升级到项目经理");
            }
            t.escalation = ticket.escalation + 1;
            e.data = json{{"level", t.escalation}}.dump();
            break;
        case Action::Kind::confirm:
            if (!resident && !system && !(staff && manager)) {
                return refuse("只有业主可以确认问题已解决");
            }
            if (ticket.status != Status::resolved) {
                return refuse(status_text() + "，还不能确认");
            }
            t.status = Status::confirmed;
            t.confirm_due.reset();
            t.auto_closed = action.automatic;
            break;
        case Action::Kind::reopen:
            if (!resident && !(staff && manager)) {
                return refuse("只有业主可以反馈问题未解决");
            }
            if (ticket.status != Status::resolved && ticket.status != Status::confirmed) {
                return refuse(status_text() + "，不能重新打开");
            }
            t.status = Status::in_progress;
            t.confirm_due.reset();
            break;
        case Action::Kind::rate:
            if (!resident) {
                return refuse("只有业主可以评价");
            }
            if (ticket.status != Status::confirmed) {
                return refuse(status_text() + "，现在不能评价");
            }
            t.satisfaction = action.satisfaction;
            t.score = action.score;
            t.key_review = action.satisfaction == Satisfaction::unsatisfied;
            t.status = Status::closed;
            e.data = json{{"satisfaction", to_string(action.satisfaction)}, {"score", action.score}}.dump();
            break;
        case Action::Kind::close:
            if (!system && !(staff && manager)) {
                return refuse("只有客服、主管或项目经理可以办结工单");
            }
            if (ticket.status != Status::confirmed && !(staff && ticket.status == Status::resolved)) {
                return refuse(status_text() + "，不能办结");
            }
            t.status = Status::closed;
            t.auto_closed = t.auto_closed || action.automatic;
            break;
        case Action::Kind::cancel:
            if (!resident && !(staff && manager)) {
                return refuse("只有业主本人或客服、主管可以撤销工单");
            }
            if (!is_open(ticket.status)) {
                return refuse(status_text() + "，不能撤销");
            }
            t.status = Status::cancelled;
            t.claim_due.reset();
            t.on_site_due.reset();
            t.plan_due.reset();
            break;
        case Action::Kind::attach:
            if (!is_active(ticket.status)) {
                return refuse(status_text() + "，不能再补充");
            }
            t.households = ticket.households + (action.score > 0 ? action.score : 0);
            break;
        case Action::Kind::note:
            // An internal note (the console): on any ticket, in any state, by any member of staff.
            // It is only an event; the ticket, its deadlines and even updated_at stay as they were.
            if (!staff) {
                return refuse("只有工作人员可以添加备注");
            }
            if (action.text.empty()) {
                return refuse("请写上备注内容");
            }
            t = ticket;
            break;
    }
    return d;
}

}  // namespace anju::tickets
