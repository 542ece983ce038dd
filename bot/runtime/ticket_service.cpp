#include "bot/runtime/ticket_service.hpp"

#include "bot/core/log.hpp"
#include "bot/runtime/ticket_helpers.hpp"
#include "bot/tickets/code.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

namespace anju::runtime {
namespace {

using json = nlohmann::json;
using tickets::Action;
using tickets::Actor;
using tickets::Status;
using tickets::Ticket;
using Verb = tickets::StaffCommand::Verb;
using detail::add_unique;
using detail::event;
using detail::join;

const log::Logger ticket_log{"tickets"};

std::int64_t ms(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string_view urgency_label(dialogs::Urgency u) {
    switch (u) {
        case dialogs::Urgency::emergency:
            return "紧急";
        case dialogs::Urgency::difficult:
            return "疑难";
        case dialogs::Urgency::normal:
            break;
    }
    return "一般";
}

std::string_view nature_label(dialogs::Nature n) {
    switch (n) {
        case dialogs::Nature::service:
            return "服务类";
        case dialogs::Nature::facility:
            return "设施类";
        case dialogs::Nature::fee:
            return "费用类";
        case dialogs::Nature::order:
            return "秩序类";
        case dialogs::Nature::none:
            break;
    }
    return "待分类";
}

}  // namespace

std::string_view TicketService::department_label(std::string_view d) {
    if (d == "engineering") {
        return "工程维修";
    }
    if (d == "order") {
        return "秩序维护";
    }
    if (d == "butler") {
        return "管家";
    }
    if (d == "cs") {
        return "客服";
    }
    if (d == "pm") {
        return "项目经理";
    }
    if (d == "quality") {
        return "品质";
    }
    return d;
}

namespace {

// "wechat_mp/demo/oResident" → ("wechat_mp", "demo", "oResident").
struct Address {
    std::string channel, account, sender;
};
std::optional<Address> address_of(const std::string& resident) {
    const auto a = resident.find('/');
    if (a == std::string::npos) {
        return std::nullopt;
    }
    const auto b = resident.find('/', a + 1);
    if (b == std::string::npos) {
        return std::nullopt;
    }
    return Address{resident.substr(0, a), resident.substr(a + 1, b - a - 1), resident.substr(b + 1)};
}

}  // namespace

TicketService::TicketService(const tickets::Directory& directory, Clock& clock, CategoryLabels labels,
                             std::string staff_app)
    : directory_(directory), clock_(clock), labels_(std::move(labels)), staff_app_(std::move(staff_app)) {}

std::string TicketService::category_label(const Ticket& t) const {
    if (t.category.empty()) {
        return "人工回电";
    }
    auto label = labels_ ? labels_(t.category) : std::string();
    return label.empty() ? t.category : label;
}

std::string TicketService::summary(const Ticket& t) const {
    auto where = t.room.display();
    return category_label(t) + (where.empty() ? "" : " · " + where);
}

std::string TicketService::deadline_text(const Ticket& t, Clock::time_point now) const {
    const auto& cal = directory_.calendar(t.community);
    if (t.on_site_due) {
        const auto minutes =
            std::chrono::duration_cast<std::chrono::minutes>(*t.on_site_due - t.created_at).count();
        return std::to_string(minutes) + "分钟内到场（" + cal.format_relative(*t.on_site_due, now) + "前）";
    }
    if (t.plan_due) {
        return cal.format_relative(*t.plan_due, now) + "前给出处理方案";
    }
    return "尽快处理";
}

std::vector<std::string> TicketService::with_role(const Ticket& t, std::string_view role) const {
    std::vector<std::string> out;
    for (const auto* s : directory_.staff_with_role(t.community, role, t.room.building)) {
        out.push_back(s->userid);
    }
    return out;
}

std::vector<std::string> TicketService::supervisors(const Ticket& t) const {
    auto out = with_role(t, "supervisor");
    if (!t.butler.empty()) {
        add_unique(out, t.butler);
    }
    if (!t.first_responder.empty() && t.first_responder != t.assignee) {
        add_unique(out, t.first_responder);
    }
    return out;
}

std::string TicketService::card(const Ticket& t, Clock::time_point now) const {
    const auto* community = directory_.community(t.community);
    std::string md = "**【" + std::string(urgency_label(t.urgency)) + "】" +
                     (t.group ? "群体投诉 " : "新工单 ") + t.code + "**\n";
    md += "小区：" + (community != nullptr ? community->name : t.community);
    if (!t.room.empty()) {
        md += "　房号：" + t.room.display();
    }
    md += "\n类别：" + category_label(t) + "（" + std::string(nature_label(t.nature)) + "，" +
          std::string(department_label(t.department)) + "）\n";
    md += "情况：" + t.description + "\n";
    std::vector<std::string> points;
    for (const auto& [name, value] : t.slots.items()) {
        if (name == "elevator") {
            points.push_back(value + "号梯");
        } else if (name == "trapped") {
            points.push_back(value == "true" ? "有人被困" : value == "false" ? "无人被困" : "是否困人不明");
        } else if (name == "floor") {
            points.push_back(value + "楼");
        } else if (name == "phone") {
            points.push_back("电话 " + value);
        } else if (name != "building" && name != "unit" && name != "room" && name != "place" &&
                   value != "unknown" && value != "true" && value != "false" && value != t.description) {
            points.push_back(value);
        }
    }
    if (!points.empty()) {
        md += "要点：" + join(points, " · ") + "\n";
    }
    if (!t.expectation.empty()) {
        md += "期望：" + t.expectation + "\n";
    }
    if (t.category == "elevator") {
        const auto number = std::string(t.slots.get("elevator").value_or(""));
        dialogs::Room where = t.room;
        if (const auto b = t.slots.get("building")) {
            where.building = std::string(*b);
            where.unit = std::string(t.slots.get("unit").value_or(""));
        }
        if (const auto* e = directory_.elevator(t.community, where, number)) {
            md += "电梯档案：" + e->brand + " " + e->model +
                  (e->last_maintenance.empty() ? "" : "，上次维保 " + e->last_maintenance) + "\n";
        }
    }
    if (!t.resident_name.empty() || !t.resident_phone.empty()) {
        md += "业主：" + t.resident_name + (t.resident_phone.empty() ? "" : " " + t.resident_phone) + "\n";
    }
    if (t.group) {
        md += "涉及住户：" + std::to_string(t.households) + "户\n";
    }
    if (t.slots.has("needs_call")) {
        md += "⚠ 业主需要人工回电\n";
    }
    md += "时限：" + deadline_text(t, now) + "\n";
    md += "回复「接单 " + t.code + "」认领";
    return md;
}

bool TicketService::message_resident(SQLite::Database& db, const std::string& resident,
                                     const std::string& key, const std::string& text, Clock::time_point now) {
    if (tell_group_member(db, resident, 0, key, text, now)) {
        return true;
    }
    const auto address = address_of(resident);
    // The web chat ("webchat/web/<visitor>") takes the same payload; its page shows the text.
    if (!address || (address->channel != "wechat_mp" && address->channel != "webchat")) {
        return false;
    }
    store::OutboxMessage m;
    m.key = key;
    m.channel = address->channel;
    m.account = address->account;
    m.target = address->sender;
    m.payload = json{{"text", text}}.dump();
    return store::enqueue(db, m, ms(now));
}

std::size_t TicketService::notify_role(SQLite::Database& db, std::string_view community,
                                       std::string_view role, const std::string& key, const std::string& text,
                                       Clock::time_point now) {
    std::vector<std::string> userids;
    for (const auto& c : directory_.config().communities) {
        if (community.empty() || c.id == community) {
            for (const auto* s : directory_.staff_with_role(c.id, role)) {
                add_unique(userids, s->userid);
            }
        }
    }
    if (userids.empty() || staff_app_.empty()) {
        return 0;
    }
    store::OutboxMessage m;
    m.key = key;
    m.channel = "wecom_app";
    m.account = staff_app_;
    m.target = join(userids, "|");
    m.payload = json{{"text", text}}.dump();
    store::enqueue(db, m, ms(now));
    return userids.size();
}

void TicketService::tell_resident(SQLite::Database& db, const Ticket& t, const std::string& key,
                                  const std::string& text, Clock::time_point now) {
    if (tell_group_member(db, t.resident, t.id, key, text, now)) {
        return;
    }
    const auto address = address_of(t.resident);
    if (!address || (address->channel != "wechat_mp" && address->channel != "webchat")) {
        return;  // a walk-in without an account: staff tell them by phone
    }
    store::OutboxMessage m;
    m.key = key;
    m.channel = address->channel;
    m.account = address->account;
    m.target = address->sender;
    json payload = {{"text", text},
                    {"template", "progress"},
                    {"vars",
                     {{"code", t.code},
                      {"category", category_label(t)},
                      {"status", std::string(tickets::label(t.status))},
                      {"time", directory_.calendar(t.community).format(now)},
                      {"text", text}}}};
    if (m.channel == "webchat") {
        payload = json{{"text", text}};  // no template: the chat page shows the text as it is
    }
    m.payload = payload.dump();
    m.ticket_id = t.id;
    store::enqueue(db, m, ms(now));
}

void TicketService::tell_staff(SQLite::Database& db, const Ticket& t, const std::vector<std::string>& userids,
                               const std::string& key, const std::string& text, Clock::time_point now) {
    if (userids.empty()) {
        return;
    }
    store::OutboxMessage m;
    m.key = key;
    if (staff_app_.empty()) {
        // Without a WeCom app, staff of a community with the demo work group page read it there.
        const auto* community = directory_.community(t.community);
        const bool web =
            community != nullptr && std::any_of(community->groups.begin(), community->groups.end(),
                                                [](const auto& g) { return g.web; });
        if (!web) {
            return;
        }
        m.channel = "web_staff";
        m.account = t.community;
    } else {
        m.channel = "wecom_app";
        m.account = staff_app_;
    }
    m.target = join(userids, "|");
    m.payload = json{{"text", text}}.dump();
    m.ticket_id = t.id;
    store::enqueue(db, m, ms(now));
}

void TicketService::post_to_groups(SQLite::Database& db, const Ticket& t, const std::string& department,
                                   const std::string& key, const std::string& markdown,
                                   const std::vector<std::string>& mentions, Clock::time_point now) {
    for (const auto* g : directory_.groups_for(t.community, department)) {
        store::OutboxMessage m;
        m.key = key + "@" + g->department;
        std::string text = markdown;
        for (const auto& userid : mentions) {
            text += " <@" + userid + ">";
        }
        if (g->web) {
            // The demo work group page (bot/runtime/workgroup_channel.hpp).
            m.channel = "web_group";
            m.account = t.community;
            m.target = g->department;
        } else if (!g->chatid.empty()) {
            m.channel = "wecom_chat";
            m.account = g->wecom;
            m.target = g->chatid;
        } else {
            // The robot's key stays in the config; the outbox names which group it is.
            m.channel = "wecom_robot";
            m.account = t.community;
            m.target = g->department;
        }
        m.payload = json{{"markdown", text}, {"mentions", mentions}}.dump();
        m.ticket_id = t.id;
        store::enqueue(db, m, ms(now));
    }
}

// ---- filing ----

Filed TicketService::file(SQLite::Database& db, const dialogs::ComplaintDraft& draft,
                          const std::string& resident, const std::string& channel, const std::string& source,
                          Clock::time_point now, const std::string& resident_name,
                          const std::string& resident_phone) {
    Filed filed;
    if (!source.empty()) {
        if (auto existing = store::ticket_by_source(db, source)) {
            filed.ticket = *existing;
            filed.replayed = true;
            return filed;  // a re-run turn or a repeated request: already filed
        }
    }
    const auto* community = directory_.community_for(draft.room);
    if (community == nullptr) {
        community = &directory_.default_community();
    }
    Ticket t;
    t.community = community->id;
    t.resident = resident;
    t.resident_name = resident_name;
    t.resident_phone =
        resident_phone.empty() ? std::string(draft.slots.get("phone").value_or("")) : resident_phone;
    t.room = draft.room;
    t.channel = channel;
    t.nature = draft.nature;
    t.category = draft.category;
    t.urgency = draft.urgency;
    t.slots = draft.slots;
    if (draft.needs_call) {
        t.slots.set("needs_call", draft.handover_reason.empty() ? "true" : draft.handover_reason);
    }
    t.description = draft.description;
    t.expectation = draft.expectation;
    t.evidence = draft.evidence;
    t.attachments = draft.attachments;
    t.department = directory_.department_for(draft.nature, draft.category);
    if (const auto butlers = directory_.staff_with_role(t.community, "butler", t.room.building);
        !butlers.empty()) {
        t.butler = butlers.front()->userid;
    }
    t.created_at = now;
    t.updated_at = now;

    // Same room, same problem, still open: the report joins that ticket.
    if (!t.room.empty() && !t.category.empty()) {
        if (auto open = store::active_ticket_for_room(db, t.community, t.room, t.category)) {
            auto d = tickets::decide(*open, Action{.kind = Action::Kind::attach, .text = t.description},
                                     Actor::system(), false, now);
            if (d) {
                d->event.kind = "duplicate";
                d->event.text = t.description;
                d->event.data = json{{"source", source}, {"resident", resident}}.dump();
                store::update_ticket(db, d->ticket, d->event);
                filed.ticket = d->ticket;
                filed.duplicate = true;
                if (open->parent_id != 0) {
                    if (auto parent = store::ticket_by_id(db, open->parent_id)) {
                        filed.group_code = parent->code;
                    }
                }
                ANJU_LOG_INFO(ticket_log) << "duplicate report added" << kv("code", open->code);
                groups_after_filing(db, filed, resident, now);
                return filed;
            }
        }
    }

    const auto deadlines = directory_.deadlines(t, now);
    t.claim_due = deadlines.claim_due;
    t.on_site_due = deadlines.on_site_due;
    t.plan_due = deadlines.plan_due;
    json data = {{"evidence", t.evidence},
                 {"department", t.department},
                 {"urgency", dialogs::to_string(t.urgency)},
                 {"nature", dialogs::to_string(t.nature)},
                 {"category", t.category}};
    if (t.on_site_due) {
        data["on_site_due"] = ms(*t.on_site_due);
    }
    if (t.plan_due) {
        data["plan_due"] = ms(*t.plan_due);
    }
    auto first = event("filed", t.description, now, data.dump());
    first.actor = resident.empty() ? "system" : "resident:" + resident;
    first.actor_name = resident_name.empty() ? "业主" : resident_name;
    store::insert_ticket(db, t, first, source);
    filed.ticket = t;
    ANJU_LOG_INFO(ticket_log) << "ticket filed" << kv("code", t.code) << kv("category", t.category)
                              << kv("urgency", dialogs::to_string(t.urgency))
                              << kv("department", t.department);
    check_group(db, filed.ticket, now, filed);
    if (filed.group_code.empty()) {
        schedule_sla(db, filed.ticket, now);
        notify_filed(db, filed.ticket, now);
    }
    groups_after_filing(db, filed, resident, now);
    return filed;
}

void TicketService::notify_filed(SQLite::Database& db, const Ticket& t, Clock::time_point now) {
    std::vector<std::string> mentions;
    if (t.urgency == dialogs::Urgency::emergency) {
        for (const auto* s : directory_.staff_with_role(t.community, t.department, t.room.building)) {
            if (s->on_duty) {
                mentions.push_back(s->userid);
            }
        }
    }
    post_to_groups(db, t, t.department, "T" + std::to_string(t.id) + ":card", card(t, now), mentions, now);
    if (t.urgency == dialogs::Urgency::emergency && !mentions.empty()) {
        tell_staff(db, t, mentions, "T" + std::to_string(t.id) + ":emergency",
                   "【紧急工单 " + t.code + "】" + summary(t) + "：" + t.description +
                       "。请立即处理，回复「接单 " + t.code + "」。",
                   now);
    }
}

void TicketService::check_group(SQLite::Database& db, Ticket& t, Clock::time_point now, Filed& filed) {
    const auto& cfg = directory_.config();
    if (t.room.building.empty() || t.category.empty() || t.urgency == dialogs::Urgency::emergency) {
        return;
    }
    // An existing group complaint about the same thing takes the new household in.
    if (auto parent = store::active_group(db, t.community, t.category, t.room.building)) {
        store::set_parent(db, t.id, parent->id);
        t.parent_id = parent->id;
        auto d =
            tickets::decide(*parent, Action{.kind = Action::Kind::attach, .text = t.description, .score = 1},
                            Actor::system(), false, now);
        if (d) {
            d->event.kind = "household_added";
            d->event.data = json{{"ticket", t.code}, {"room", t.room.display()}}.dump();
            store::update_ticket(db, d->ticket, d->event);
        }
        filed.group_code = parent->code;
        tell_resident(db, t, "T" + std::to_string(t.id) + ":grouped",
                      "您反映的" + category_label(t) + "问题已有多户业主反映，已并入群体投诉（工单号：" +
                          parent->code + "），由项目经理牵头处理，进展会同步通知您。",
                      now);
        return;
    }
    const auto since = ms(now - cfg.group_window);
    auto members = store::recent_household_tickets(db, t.community, t.category, t.room.building, since);
    std::set<std::string> households;
    for (const auto& m : members) {
        households.insert(m.room.unit + "/" + m.room.room);
    }
    if (static_cast<int>(households.size()) < cfg.group_threshold) {
        return;
    }
    // 群体性投诉: a parent ticket for the project manager, every household inside it.
    Ticket parent = t;
    parent.id = 0;
    parent.code.clear();
    parent.resident.clear();
    parent.resident_name.clear();
    parent.resident_phone.clear();
    parent.room = dialogs::Room{t.room.building, "", ""};
    parent.group = true;
    parent.households = static_cast<int>(households.size());
    parent.description = std::to_string(households.size()) + "户业主反映：" + t.description;
    parent.urgency = t.urgency;
    parent.created_at = now;
    parent.updated_at = now;
    auto first = event("group_opened", parent.description, now,
                       json{{"households", households.size()}, {"threshold", cfg.group_threshold}}.dump());
    store::insert_ticket(db, parent, first, {});
    schedule_sla(db, parent, now);
    for (auto& m : members) {
        stop_sla(db, m);  // the group complaint's clocks are the parent's
        store::set_parent(db, m.id, parent.id);
        m.parent_id = parent.id;
        auto e = event("grouped", "并入群体投诉 " + parent.code, now, json{{"parent", parent.code}}.dump());
        m.updated_at = now;
        store::update_ticket(db, m, e);
        tell_resident(db, m, "T" + std::to_string(m.id) + ":grouped",
                      "您反映的" + category_label(m) + "问题已有" + std::to_string(households.size()) +
                          "户业主反映，已作为群体投诉由项目经理牵头处理（工单号：" + parent.code +
                          "），进展会同步通知您。",
                      now);
        if (m.id == t.id) {
            t.parent_id = parent.id;
        }
    }
    filed.group_code = parent.code;
    ANJU_LOG_WARN(ticket_log) << "group complaint opened" << kv("code", parent.code)
                              << kv("households", households.size()) << kv("category", parent.category);
    // The project manager is alerted at once, in the pm group (if any) and one-to-one.
    const auto pms = with_role(parent, "pm");
    post_to_groups(db, parent, "pm", "T" + std::to_string(parent.id) + ":group", card(parent, now), pms, now);
    post_to_groups(db, parent, parent.department, "T" + std::to_string(parent.id) + ":card",
                   card(parent, now), {}, now);
    tell_staff(db, parent, pms, "T" + std::to_string(parent.id) + ":pm",
               "【群体投诉 " + parent.code + "】" + std::to_string(households.size()) + "户业主反映" +
                   summary(parent) + "：" + t.description + "。请牵头处理。",
               now);
}

// ---- staff commands ----

std::string TicketService::staff_command(SQLite::Database& db, const tickets::StaffCommand& command,
                                         const std::string& userid, Clock::time_point now) {
    std::string community;
    const auto* staff = directory_.staff(userid, &community);
    if (command.verb == Verb::help) {
        return tickets::staff_help();
    }
    if (staff == nullptr) {
        return "您不在本物业的员工名单中，无法操作工单。如需登记，请联系客服主管。";
    }
    const auto actor = directory_.actor(*staff);
    switch (command.verb) {
        case Verb::unknown:
            return "没看懂这条指令。" + tickets::staff_help();
        case Verb::help:
            return tickets::staff_help();
        case Verb::mine: {
            store::TicketFilter f;
            f.assignee = userid;
            f.status = "active";
            const auto list = store::find_tickets(db, f);
            if (list.empty()) {
                return "您目前没有处理中的工单。";
            }
            std::string out = "您处理中的工单（" + std::to_string(list.size()) + "）：";
            for (const auto& t : list) {
                out += "\n" + t.code + " " + summary(t) + " · " + std::string(tickets::label(t.status));
            }
            return out;
        }
        case Verb::todo: {
            store::TicketFilter f;
            f.community = community;
            f.status = "dispatched";
            std::string out;
            std::size_t n = 0;
            for (const auto& t : store::find_tickets(db, f)) {
                if (t.parent_id != 0 || !directory_.covers(*staff, t.department, t.room.building)) {
                    continue;
                }
                ++n;
                out += "\n" + t.code + " 【" + std::string(urgency_label(t.urgency)) + "】" + summary(t) +
                       " · " + deadline_text(t, now);
            }
            return n == 0 ? "本部门暂无待接单的工单。" : "待接单（" + std::to_string(n) + "）：" + out;
        }
        case Verb::enroll: {
            if (command.room.empty() || command.arg.empty()) {
                return "格式：登记 房号 姓名 电话 内容，例如「登记 3-2-501 王先生 13800001111 楼道灯坏了」";
            }
            return "";  // handled by the caller, which has the understanding (see StaffResponder)
        }
        default:
            break;
    }
    if (command.code.empty()) {
        return "请写上工单号，例如「" + std::string(tickets::verb_word(command.verb)) + " K7M3PX」";
    }
    const auto code = tickets::normalize_code(command.code);
    if (!code) {
        return "「" + command.code + "」不是有效的工单号（6位字母数字，见工单卡片）";
    }
    auto ticket = store::ticket_by_code(db, *code);
    if (!ticket) {
        return "找不到工单 " + *code + "，请核对工单号";
    }
    if (command.verb == Verb::query) {
        return detail(db, *ticket, now);
    }
    if (command.verb == Verb::rectify) {
        return answer_rectification(db, *ticket, command.arg, actor, now);
    }
    if (command.verb == Verb::announce) {
        if (!actor.has_role("supervisor") && !actor.has_role("pm") && !actor.has_role("quality")) {
            return "只有主管、项目经理或品质部可以向业主群发布公告";
        }
        if (command.arg.empty()) {
            return "请写上公告内容，例如「公告 " + *code + " 本周内完成3号楼电梯主板更换，期间请走2号梯」";
        }
        const auto key = "T" + std::to_string(ticket->id) + ":announce:" + std::to_string(ms(now));
        const auto groups = announce(db, ticket->community, ticket->room.building, ticket->id,
                                     "【整改公告】" + command.arg, key, now);
        if (groups == 0) {
            return "工单 " + *code + " 所在楼栋没有配置业主群，公告未发布。";
        }
        auto e = event("announce", command.arg, now, json{{"groups", groups}}.dump());
        e.actor = "staff:" + actor.id;
        e.actor_name = actor.name;
        store::append_event(db, ticket->id, e);
        return "已向" + std::to_string(groups) + "个业主群发布整改公告。";
    }
    Action action;
    action.text = command.arg;
    switch (command.verb) {
        case Verb::claim:
            action.kind = Action::Kind::claim;
            break;
        case Verb::arrive:
            action.kind = Action::Kind::arrive;
            break;
        case Verb::plan:
            action.kind = Action::Kind::plan;
            break;
        case Verb::progress:
            action.kind = Action::Kind::progress;
            break;
        case Verb::resolve:
            action.kind = Action::Kind::resolve;
            break;
        case Verb::escalate:
            action.kind = Action::Kind::escalate;
            break;
        case Verb::transfer: {
            action.kind = Action::Kind::transfer;
            const auto* target = directory_.staff_named(ticket->community, command.arg);
            if (command.arg.empty()) {
                return "请写上转派给谁，例如「转派 " + *code + " 李师傅」";
            }
            if (target == nullptr) {
                return "找不到同事「" + command.arg + "」，请写员工名单里的姓名";
            }
            action.target = target->userid;
            action.target_name = target->name;
            action.text.clear();
            break;
        }
        default:
            return tickets::staff_help();
    }
    auto done = act(db, *code, action, actor, now);
    if (!done) {
        return done.error().message;
    }
    const auto& t = *done;
    switch (action.kind) {
        case Action::Kind::claim:
            return "接单成功：" + t.code + " " + summary(t) + "，时限：" + deadline_text(t, now) + "。";
        case Action::Kind::arrive:
            return "已记录到场：" + t.code + "。";
        case Action::Kind::plan:
            return "方案已记录并告知业主：" + t.code + "。";
        case Action::Kind::progress:
            return "进展已记录并告知业主：" + t.code + "。";
        case Action::Kind::resolve:
            return "已标记完成：" + t.code + "，正在请业主确认。";
        case Action::Kind::transfer:
            return "已转派给 " + t.assignee_name + "：" + t.code + "。";
        case Action::Kind::escalate:
            return "已升级：" + t.code + "（" + (t.escalation >= 2 ? "项目经理" : "主管") + "）。";
        default:
            return "好的。";
    }
}

boost::system::result<Ticket, tickets::Refusal> TicketService::act(SQLite::Database& db,
                                                                   std::string_view code,
                                                                   const Action& action, const Actor& actor,
                                                                   Clock::time_point now) {
    auto ticket = store::ticket_by_code(db, code);
    if (!ticket) {
        return tickets::Refusal{"找不到工单 " + std::string(code)};
    }
    bool department_staff = false;
    if (actor.kind == Actor::Kind::staff) {
        if (const auto* staff = directory_.staff(actor.id)) {
            department_staff = directory_.covers(*staff, ticket->department, ticket->room.building) ||
                               (ticket->group && std::find(staff->roles.begin(), staff->roles.end(), "pm") !=
                                                     staff->roles.end());
        }
    }
    auto d = tickets::decide(*ticket, action, actor, department_staff, now);
    if (!d) {
        return d.error();
    }
    if (action.kind == Action::Kind::resolve) {
        d->ticket.confirm_due = now + directory_.config().confirm_timeout;
    }
    const auto event_id = store::update_ticket(db, d->ticket, d->event);
    after_change(db, *ticket, d->ticket, d->event, event_id, now);
    return d->ticket;
}

void TicketService::after_change(SQLite::Database& db, const Ticket& before, const Ticket& t,
                                 const tickets::Event& e, std::int64_t event_id, Clock::time_point now) {
    const auto key = "T" + std::to_string(t.id) + ":E" + std::to_string(event_id);
    const auto* assignee = directory_.staff(t.assignee);
    const auto& cal = directory_.calendar(t.community);
    if (e.kind == "claim") {
        std::string when = t.on_site_due ? "将在" + cal.format_relative(*t.on_site_due, now) + "前到场"
                           : t.plan_due ? "会在" + cal.format_relative(*t.plan_due, now) + "前给出处理方案"
                                        : "会尽快与您联系";
        std::string phone =
            assignee != nullptr && !assignee->phone.empty() ? "，联系电话 " + assignee->phone : "";
        tell_resident(db, t, key,
                      "您的工单 " + t.code + "（" + category_label(t) + "）已由" + t.assignee_name +
                          "负责处理，" + when + phone + "。",
                      now);
        post_to_groups(db, t, t.department, key, "工单 " + t.code + " 已由 " + t.assignee_name + " 接单", {},
                       now);
    } else if (e.kind == "transfer") {
        const auto* first = directory_.staff(t.first_responder);
        const auto minutes =
            std::chrono::duration_cast<std::chrono::minutes>(directory_.config().transfer_contact).count();
        const std::string within =
            minutes % 60 == 0 ? std::to_string(minutes / 60) + "小时" : std::to_string(minutes) + "分钟";
        tell_resident(
            db, t, key,
            "您的工单 " + t.code + " 已转交" + t.assignee_name + "处理，" + t.assignee_name + "会在" +
                within + "内与您联系。" +
                (first != nullptr && first->userid != t.assignee ? "首问负责人" + first->name + "会继续跟进。"
                                                                 : ""),
            now);
        tell_staff(db, t, {t.assignee}, key + ":to",
                   "工单 " + t.code + " 已转派给您：" + summary(t) + "。" + t.description + "。请在" +
                       within + "内联系业主。",
                   now);
        std::vector<std::string> informed;
        add_unique(informed, t.first_responder);
        add_unique(informed, before.assignee);
        std::erase(informed, t.assignee);
        tell_staff(db, t, informed, key + ":first",
                   "工单 " + t.code + " 已由 " + e.actor_name + " 转派给 " + t.assignee_name + "。", now);
    } else if (e.kind == "arrive") {
        tell_resident(db, t, key, "工作人员" + t.assignee_name + "已到场处理您的工单 " + t.code + "。", now);
    } else if (e.kind == "plan") {
        tell_resident(db, t, key, "您的工单 " + t.code + " 处理方案：" + e.text, now);
    } else if (e.kind == "progress") {
        tell_resident(db, t, key, "您的工单 " + t.code + " 最新进展：" + e.text, now);
    } else if (e.kind == "resolve") {
        tell_resident(db, t, key,
                      "您的工单 " + t.code + "（" + category_label(t) + "）已处理完成" +
                          (e.text.empty() ? "" : "：" + e.text) +
                          "。\n问题是否已解决？请回复「已解决」或「未解决」。",
                      now);
        mark_hint(t.resident, true);
    } else if (e.kind == "escalate") {
        auto to = t.escalation >= 2 ? with_role(t, "pm") : supervisors(t);
        tell_staff(db, t, to, key,
                   "【工单升级】" + t.code + " " + summary(t) + " 已升级给" +
                       (t.escalation >= 2 ? "项目经理" : "主管") + (e.text.empty() ? "" : "：" + e.text) +
                       "。当前状态：" + std::string(tickets::label(t.status)) + "，处理人：" +
                       (t.assignee_name.empty() ? "无" : t.assignee_name) + "。",
                   now);
    } else if (e.kind == "reopen") {
        std::vector<std::string> to = supervisors(t);
        add_unique(to, t.assignee);
        tell_staff(db, t, to, key,
                   "【业主反馈未解决】工单 " + t.code + " " + summary(t) + "：" +
                       (e.text.empty() ? "问题仍未解决" : e.text) + "。工单已重新打开，请尽快处理。",
                   now);
        post_to_groups(
            db, t, t.department, key,
            "**工单 " + t.code + " 已重新打开**\n业主反馈：" + (e.text.empty() ? "未解决" : e.text), {}, now);
    } else if (e.kind == "rate") {
        if (t.satisfaction == tickets::Satisfaction::unsatisfied) {
            auto to = supervisors(t);
            for (const auto& q : with_role(t, "quality")) {
                add_unique(to, q);
            }
            tell_staff(db, t, to, key,
                       "【重点复盘】工单 " + t.code + " " + summary(t) + " 业主评价：不满意" +
                           (e.text.empty() ? "" : "（" + e.text + "）") + "。处理人：" + t.assignee_name +
                           "。",
                       now);
        }
    }
    if (t.group && (e.kind == "claim" || e.kind == "plan" || e.kind == "progress" || e.kind == "resolve" ||
                    e.kind == "arrive" || e.kind == "transfer")) {
        mirror_to_members(db, t, e, now);
    }
    if (t.parent_id != 0 && (t.status == Status::closed || t.status == Status::confirmed)) {
        maybe_close_group(db, t.parent_id, now);
    }
    group_notices(db, t, e, now);
    sla_after_change(db, before, t, e, now);
}

void TicketService::mirror_to_members(SQLite::Database& db, const Ticket& parent, const tickets::Event& e,
                                      Clock::time_point now) {
    for (auto m : store::group_members(db, parent.id)) {
        if (!tickets::is_active(m.status)) {
            continue;
        }
        const auto before = m;
        m.assignee = parent.assignee;
        m.assignee_name = parent.assignee_name;
        m.first_responder = parent.first_responder;
        m.last_progress = parent.last_progress;
        m.updated_at = now;
        if (e.kind == "resolve") {
            m.status = Status::resolved;
            m.confirm_due = parent.confirm_due;
        } else if (tickets::is_open(m.status)) {
            m.status = parent.status == Status::resolved ? Status::in_progress : parent.status;
        }
        auto mirrored = event("group_" + e.kind, e.text, now, json{{"parent", parent.code}}.dump());
        mirrored.actor = e.actor;
        mirrored.actor_name = e.actor_name;
        const auto id = store::update_ticket(db, m, mirrored);
        if (e.kind == "resolve") {
            set_auto_close(db, m, m.confirm_due.value_or(now + directory_.config().confirm_timeout));
        }
        const auto key = "T" + std::to_string(m.id) + ":E" + std::to_string(id);
        std::string text;
        if (e.kind == "claim") {
            text = "您反映的问题（群体投诉 " + parent.code + "）已由" + parent.assignee_name + "牵头处理。";
        } else if (e.kind == "plan") {
            text = "群体投诉 " + parent.code + " 处理方案：" + e.text;
        } else if (e.kind == "progress") {
            text = "群体投诉 " + parent.code + " 最新进展：" + e.text;
        } else if (e.kind == "arrive") {
            text = "群体投诉 " + parent.code + "：工作人员已到场处理。";
        } else if (e.kind == "transfer") {
            text = "群体投诉 " + parent.code + " 已转交" + parent.assignee_name + "处理。";
        } else if (e.kind == "resolve") {
            text = "您反映的问题（群体投诉 " + parent.code + "）已处理完成" +
                   (e.text.empty() ? "" : "：" + e.text) +
                   "。\n问题是否已解决？请回复「已解决」或「未解决」。";
            mark_hint(m.resident, true);
        }
        if (!text.empty()) {
            tell_resident(db, m, key, text, now);
        }
        (void)before;
    }
}

void TicketService::maybe_close_group(SQLite::Database& db, std::int64_t parent_id, Clock::time_point now) {
    auto parent = store::ticket_by_id(db, parent_id);
    if (!parent || !tickets::is_active(parent->status)) {
        return;
    }
    for (const auto& m : store::group_members(db, parent_id)) {
        if (tickets::is_active(m.status)) {
            return;
        }
    }
    parent->status = Status::closed;
    parent->updated_at = now;
    parent->confirm_due.reset();
    const auto closed = event("group_closed", "所有住户已确认", now);
    store::update_ticket(db, *parent, closed);
    group_notices(db, *parent, closed, now);
}

// ---- residents ----

std::vector<PendingAsk> TicketService::pending_asks(SQLite::Database& db, const std::string& resident) {
    std::vector<PendingAsk> out;
    if (resident.empty()) {
        return out;
    }
    store::TicketFilter f;
    f.resident = resident;
    f.limit = 50;
    for (auto& t : store::find_tickets(db, f)) {
        if (t.status == Status::resolved) {
            out.push_back({PendingAsk::Kind::confirm, std::move(t)});
        } else if (t.status == Status::confirmed && t.satisfaction == tickets::Satisfaction::none &&
                   !t.auto_closed) {
            out.push_back({PendingAsk::Kind::rate, std::move(t)});
        }
    }
    std::reverse(out.begin(), out.end());
    mark_hint(resident, !out.empty());
    return out;
}

std::string TicketService::resident_answer(SQLite::Database& db, const std::string& resident,
                                           std::int64_t ticket_id, const ResidentAnswer& answer,
                                           Clock::time_point now) {
    auto ticket = store::ticket_by_id(db, ticket_id);
    if (!ticket || ticket->resident != resident) {
        return "";
    }
    Actor actor;
    actor.kind = Actor::Kind::resident;
    actor.id = resident;
    actor.name = ticket->resident_name.empty() ? "业主" : ticket->resident_name;
    Action action;
    action.text = answer.text;
    switch (answer.kind) {
        case ResidentAnswer::Kind::solved:
            action.kind = Action::Kind::confirm;
            break;
        case ResidentAnswer::Kind::not_solved:
            action.kind = Action::Kind::reopen;
            break;
        case ResidentAnswer::Kind::rating:
            action.kind = Action::Kind::rate;
            action.satisfaction = answer.satisfaction;
            action.score = answer.score;
            break;
    }
    auto done = act(db, ticket->code, action, actor, now);
    if (!done) {
        return done.error().message;
    }
    switch (answer.kind) {
        case ResidentAnswer::Kind::solved:
            mark_hint(resident, true);  // the survey comes next
            return "好的，感谢确认！请为本次服务评价：回复「满意」「基本满意」或「不满意」，也可以打1–5分（5"
                   "分最高）。";
        case ResidentAnswer::Kind::not_solved:
            return "抱歉问题还没解决，已重新打开工单 " + done->code + "，并通知" +
                   (done->assignee_name.empty() ? std::string("处理人") : done->assignee_name) +
                   "和主管尽快继续处理。";
        case ResidentAnswer::Kind::rating:
            if (answer.satisfaction == tickets::Satisfaction::unsatisfied) {
                return "抱歉这次没能让您满意，主管会亲自回访了解情况。工单 " + done->code + " 已办结。";
            }
            return "感谢您的评价！工单 " + done->code + " 已办结，有问题随时找我。";
    }
    return "";
}

std::string TicketService::progress_text(SQLite::Database& db, const std::string& resident,
                                         Clock::time_point now) {
    store::TicketFilter f;
    f.resident = resident;
    f.limit = 50;
    const auto week_ago = now - std::chrono::hours(24 * 7);
    std::string out;
    for (const auto& t : store::find_tickets(db, f)) {
        if (!tickets::is_active(t.status) && t.updated_at < week_ago) {
            continue;
        }
        out += "\n" + t.code + " " + category_label(t) + "：" + std::string(tickets::label(t.status));
        if (!t.assignee_name.empty() && tickets::is_active(t.status)) {
            out += "（" + t.assignee_name + "）";
        }
        std::string last = t.last_progress;
        if (t.parent_id != 0) {
            if (auto parent = store::ticket_by_id(db, t.parent_id)) {
                out += "，群体投诉 " + parent->code;
                last = parent->last_progress;
            }
        }
        if (!last.empty()) {
            out += "，最新：" + last;
        } else if (tickets::is_open(t.status)) {
            out += "，" + deadline_text(t, now);
        }
    }
    return out.empty() ? std::string() : "您的工单：" + out;
}

std::string TicketService::detail(SQLite::Database& db, const Ticket& t, Clock::time_point now) const {
    std::string out =
        "工单 " + t.code + "【" + std::string(urgency_label(t.urgency)) + "】" + summary(t) + "\n";
    out += "状态：" + std::string(tickets::label(t.status));
    if (!t.assignee_name.empty()) {
        out += "，处理人：" + t.assignee_name;
    }
    out += "\n情况：" + t.description;
    if (tickets::is_open(t.status)) {
        out += "\n时限：" + deadline_text(t, now);
    }
    const auto events = store::ticket_events(db, t.id);
    const auto& cal = directory_.calendar(t.community);
    const std::size_t from = events.size() > 5 ? events.size() - 5 : 0;
    for (std::size_t i = from; i < events.size(); ++i) {
        const auto& e = events[i];
        out += "\n· " + cal.format(e.at) + " " + e.actor_name + " " + e.kind +
               (e.text.empty() ? "" : "：" + e.text);
    }
    return out;
}

bool TicketService::may_have_pending_ask(const std::string& resident) const {
    std::lock_guard lock(mutex_);
    return pending_hints_.count(resident) != 0;
}

void TicketService::mark_hint(const std::string& resident, bool pending) {
    if (resident.empty()) {
        return;
    }
    std::lock_guard lock(mutex_);
    if (pending) {
        pending_hints_.insert(resident);
    } else {
        pending_hints_.erase(resident);
    }
}

void TicketService::load_pending_hints(SQLite::Database& db) {
    SQLite::Statement q(
        db,
        "SELECT DISTINCT resident FROM tickets WHERE resident != '' AND (status = 'resolved' OR"
        " (status = 'confirmed' AND satisfaction = 'none' AND auto_closed = 0))");
    std::lock_guard lock(mutex_);
    while (q.executeStep()) {
        pending_hints_.insert(q.getColumn(0).getString());
    }
}

}  // namespace anju::runtime
