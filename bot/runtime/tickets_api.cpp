#include "bot/runtime/tickets_api.hpp"

#include "bot/net/url.hpp"
#include "bot/runtime/api_json.hpp"
#include "bot/tickets/code.hpp"
#include "bot/tickets/sla.hpp"
#include "dialogs/state_json.hpp"
#include "store/ticket_store.hpp"
#include "store/timer_store.hpp"

#include <charconv>

namespace anju::runtime {
namespace {

using json = nlohmann::json;

using api::bad;
using api::reply;

using api::iso;

json optional_time(const std::optional<Clock::time_point>& t) { return t ? json(iso(*t)) : json(nullptr); }

// "2026-11-27" or "2026-11-27T08:00:00Z" or unix milliseconds → ms; nullopt if unreadable.
std::optional<std::int64_t> parse_time(std::string_view text) {
    std::int64_t number = 0;
    if (auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
        ec == std::errc{} && p == text.data() + text.size()) {
        return number;
    }
    if (text.size() < 10) {
        return std::nullopt;
    }
    std::tm tm{};
    const std::string s(text);
    const char* end = strptime(s.c_str(), s.size() == 10 ? "%Y-%m-%d" : "%Y-%m-%dT%H:%M:%S", &tm);
    if (end == nullptr) {
        return std::nullopt;
    }
    const std::int64_t seconds = timegm(&tm);
    return seconds * 1000;
}

std::optional<tickets::Action::Kind> action_kind(std::string_view name) {
    using K = tickets::Action::Kind;
    for (const auto k : {K::claim, K::arrive, K::plan, K::progress, K::resolve, K::transfer, K::escalate,
                         K::confirm, K::reopen, K::close, K::cancel, K::note}) {
        if (tickets::to_string(k) == name) {
            return k;
        }
    }
    return std::nullopt;
}

json optional_ms(const std::optional<std::int64_t>& v) {
    return v ? json(iso(Clock::time_point{std::chrono::milliseconds{*v}})) : json(nullptr);
}

// The ticket's SLA milestones (met or missed, with the time) and rectification orders.
json sla_json(SQLite::Database& db, std::int64_t ticket_id) {
    json milestones = json::array();
    for (const auto& m : store::milestones_of(db, ticket_id)) {
        milestones.push_back({{"name", m.name},
                              {"label", tickets::milestone_label(m.name)},
                              {"department", m.department},
                              {"due", optional_ms(m.due_at_ms)},
                              {"met_at", optional_ms(m.met_at_ms)},
                              {"missed_at", optional_ms(m.missed_at_ms)},
                              {"state", m.met_at_ms      ? (m.missed_at_ms ? "met_late" : "met")
                                        : m.missed_at_ms ? "missed"
                                                         : "pending"}});
    }
    json orders = json::array();
    for (const auto& r : store::rectifications_of(db, ticket_id)) {
        orders.push_back({{"id", r.id},
                          {"department", r.department},
                          {"reason", r.reason},
                          {"detail", r.detail},
                          {"created_at", optional_ms(r.created_at_ms)},
                          {"due", optional_ms(r.due_at_ms)},
                          {"answered_at", optional_ms(r.answered_at_ms)},
                          {"answered_by", r.answered_by},
                          {"answer", r.answer}});
    }
    return {{"milestones", std::move(milestones)}, {"rectifications", std::move(orders)}};
}

// The messages sent about a ticket (its outbox rows), for the console's timeline: who they went to
// in words (a resident, staff by name, a work group), what they said, and how the sending went.
json messages_json(const std::vector<store::OutboxRow>& rows, const tickets::Directory& directory) {
    json out = json::array();
    for (const auto& row : rows) {
        const auto& m = row.message;
        const auto payload = json::parse(m.payload, nullptr, false);
        const auto text_of = [&](const char* key) {
            return payload.is_object() && payload.contains(key) && payload[key].is_string()
                       ? payload[key].get<std::string>()
                       : std::string();
        };
        // Staff one-to-one (WeCom app, the demo work-group page): "userid|userid"; work groups (robot,
        // demo page): the department; app group chats: a chatid; owner groups: a group id; residents:
        // an openid or visitor id.
        std::string kind = "resident";
        std::string to = "业主";
        if (m.channel == "wecom_app" || m.channel == "web_staff") {
            kind = "staff";
            to.clear();
            for (std::size_t from = 0; from < m.target.size();) {
                const auto bar = std::min(m.target.find('|', from), m.target.size());
                const auto userid = m.target.substr(from, bar - from);
                const auto* s = directory.staff(userid);
                to += (to.empty() ? "" : "、") + (s != nullptr ? s->name : userid);
                from = bar + 1;
            }
        } else if (m.channel == "wecom_robot" || m.channel == "web_group") {
            kind = "group";
            // "all": the community's common group.
            to = m.target == "all" ? "工作群"
                                   : std::string(TicketService::department_label(m.target)) + "工作群";
        } else if (m.channel == "wecom_chat" || m.channel == "wecom_aibot") {
            kind = "group";
            to = "工作群";
        } else if (m.channel == "bridge") {
            kind = "owner_group";
            to = "业主群";
        }
        out.push_back({{"id", m.id},
                       {"channel", m.channel},
                       {"target_kind", kind},
                       {"target", m.target},
                       {"to", to},
                       {"text", text_of("text")},
                       {"markdown", text_of("markdown")},
                       {"state", m.state},
                       {"attempts", m.attempts},
                       {"last_error", m.last_error},
                       {"created_at", optional_ms(m.created_at_ms)},
                       {"sent_at", m.sent_at_ms != 0 ? optional_ms(m.sent_at_ms) : json(nullptr)}});
    }
    return out;
}

}  // namespace

json ticket_json(const tickets::Ticket& t, const TicketService& service,
                 const std::vector<tickets::Event>* events, const std::string& parent_code) {
    json slots = json::parse(dialogs::slots_json(t.slots), nullptr, false);
    json attachments = json::parse(dialogs::attachments_json(t.attachments), nullptr, false);
    json j = {{"code", t.code},
              {"status", tickets::to_string(t.status)},
              {"status_label", tickets::label(t.status)},
              {"community", t.community},
              {"resident", t.resident},
              {"resident_name", t.resident_name},
              {"resident_phone", t.resident_phone},
              {"room",
               {{"building", t.room.building},
                {"unit", t.room.unit},
                {"room", t.room.room},
                {"display", t.room.display()}}},
              {"channel", t.channel},
              {"nature", dialogs::to_string(t.nature)},
              {"category", t.category},
              {"category_label", service.category_label(t)},
              {"urgency", dialogs::to_string(t.urgency)},
              {"slots", slots.is_discarded() ? json::object() : slots},
              {"description", t.description},
              {"expectation", t.expectation},
              {"evidence", t.evidence},
              {"attachments", attachments.is_discarded() ? json::array() : attachments},
              {"department", t.department},
              {"first_responder", t.first_responder},
              {"assignee", t.assignee},
              {"assignee_name", t.assignee_name},
              {"butler", t.butler},
              {"created_at", iso(t.created_at)},
              {"updated_at", iso(t.updated_at)},
              {"deadlines",
               {{"claim", optional_time(t.claim_due)},
                {"on_site", optional_time(t.on_site_due)},
                {"plan", optional_time(t.plan_due)},
                {"confirm", optional_time(t.confirm_due)}}},
              {"escalation", t.escalation},
              {"satisfaction", tickets::to_string(t.satisfaction)},
              {"score", t.score},
              {"key_review", t.key_review},
              {"auto_closed", t.auto_closed},
              {"group", t.group},
              {"households", t.households},
              {"parent", parent_code.empty() ? json(nullptr) : json(parent_code)},
              {"last_progress", t.last_progress}};
    if (events != nullptr) {
        json list = json::array();
        for (const auto& e : *events) {
            auto data = e.data.empty() ? json(nullptr) : json::parse(e.data, nullptr, false);
            list.push_back({{"id", e.id},
                            {"at", iso(e.at)},
                            {"actor", e.actor},
                            {"actor_name", e.actor_name},
                            {"kind", e.kind},
                            {"text", e.text},
                            {"data", data.is_discarded() ? json(nullptr) : data}});
        }
        j["events"] = std::move(list);
    }
    return j;
}

TicketsApi::TicketsApi(store::Store& store, TicketService& tickets, const dialogs::Understander* understander,
                       Clock& clock, std::function<void()> queued)
    : store_(store),
      tickets_(tickets),
      understander_(understander),
      clock_(clock),
      queued_(std::move(queued)) {}

asio::awaitable<net::Response> TicketsApi::list(net::ServerRequest request) {
    const auto query = net::parse_query(request.query);
    store::TicketFilter f;
    bool history = false;
    for (const auto& [key, value] : query) {
        if (key == "history") {
            if (value != "1" && value != "true" && value != "0" && value != "false") {
                co_return bad("history", "must be true or false");
            }
            history = value == "1" || value == "true";
        } else if (key == "status") {
            if (value != "active" && value != "open" && !tickets::parse_status(value)) {
                co_return bad("status",
                              "unknown status \"" + value + "\" (a status name, \"open\" or \"active\")");
            }
            f.status = value;
        } else if (key == "community") {
            f.community = value;
        } else if (key == "department") {
            f.department = value;
        } else if (key == "assignee") {
            f.assignee = value;
        } else if (key == "resident") {
            f.resident = value;
        } else if (key == "room") {
            if (understander_ == nullptr) {
                co_return bad("room", "room strings need the dialogs section; use building/unit/room_number");
            }
            f.room = understander_->read_room(understander_->normalize(value));
            if (f.room.empty()) {
                co_return bad("room",
                              "cannot read a room from \"" + value + "\" (e.g. 3-2-501, 3栋2单元501)");
            }
        } else if (key == "urgency") {
            if (!dialogs::parse_urgency(value)) {
                co_return bad("urgency", "must be normal, emergency or difficult");
            }
            f.urgency = value;
        } else if (key == "nature") {
            if (!dialogs::parse_nature(value) || value == "none") {
                co_return bad("nature", "must be service, facility, fee or order");
            }
            f.nature = value;
        } else if (key == "overdue") {
            if (value != "1" && value != "true" && value != "0" && value != "false") {
                co_return bad("overdue", "must be true or false");
            }
            f.overdue = value == "1" || value == "true";
        } else if (key == "sla") {
            const auto state = store::parse_sla_state(value);
            if (!state) {
                co_return bad("sla", "must be on_track, warning or overdue");
            }
            f.sla = *state;
        } else if (key == "building") {
            f.room.building = value;
        } else if (key == "unit") {
            f.room.unit = value;
        } else if (key == "room_number") {
            f.room.room = value;
        } else if (key == "from" || key == "to") {
            const auto t = parse_time(value);
            if (!t) {
                co_return bad(key,
                              "must be a date (2026-11-27), a UTC time (2026-11-27T08:00:00) or unix ms");
            }
            (key == "from" ? f.from_ms : f.to_ms) = *t;
        } else if (key == "limit" || key == "after") {
            if (auto wrong = api::read_page_param(key, value, f.limit, f.after_id, "ticket")) {
                co_return bad(key, std::move(*wrong));
            }
        } else {
            co_return bad(key, "unknown parameter");
        }
    }
    f.now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now().time_since_epoch()).count();
    f.warn_percent = tickets_.directory().config().warn_at_percent;
    auto read = [f, history](SQLite::Database& db) {
        auto tickets = store::find_tickets(db, f);
        auto sla = store::sla_states(db, tickets, f.now_ms, f.warn_percent);
        std::vector<std::vector<tickets::Event>> events;
        if (history) {
            events.reserve(tickets.size());
            for (const auto& t : tickets) {
                events.push_back(store::ticket_events(db, t.id));
            }
        }
        return std::make_tuple(std::move(tickets), std::move(sla), std::move(events));
    };
    const auto [found, sla, events] = co_await store_.run(std::move(read));
    json items = json::array();
    for (std::size_t i = 0; i < found.size(); ++i) {
        auto item = ticket_json(found[i], tickets_, history ? &events[i] : nullptr);
        item["sla"] = sla[i] == store::SlaState::none ? json(nullptr) : json(store::to_string(sla[i]));
        items.push_back(std::move(item));
    }
    json body = {{"tickets", std::move(items)}};
    body["next"] = found.size() == f.limit && !found.empty() ? json(found.back().id) : json(nullptr);
    co_return reply(http::status::ok, body);
}

asio::awaitable<net::Response> TicketsApi::get(net::ServerRequest request) {
    const auto code = tickets::normalize_code(request.param("code"));
    if (!code) {
        co_return reply(http::status::not_found, {{"error", "no such ticket"}});
    }
    const auto* directory = &tickets_.directory();
    auto read = [code = *code, directory](SQLite::Database& db) {
        std::optional<std::tuple<tickets::Ticket, std::vector<tickets::Event>, std::string, json>> out;
        if (auto t = store::ticket_by_code(db, code)) {
            std::string parent;
            if (t->parent_id != 0) {
                if (auto p = store::ticket_by_id(db, t->parent_id)) {
                    parent = p->code;
                }
            }
            auto events = store::ticket_events(db, t->id);
            auto extra = sla_json(db, t->id);
            store::OutboxFilter messages;
            messages.ticket_code = code;
            messages.limit = 1000;
            extra["messages"] = messages_json(store::find_outbox(db, messages), *directory);
            out.emplace(std::move(*t), std::move(events), std::move(parent), std::move(extra));
        }
        return out;
    };
    const auto found = co_await store_.run(std::move(read));
    if (!found) {
        co_return reply(http::status::not_found, {{"error", "no such ticket"}});
    }
    const auto& [t, events, parent, extra] = *found;
    auto body = ticket_json(t, tickets_, &events, parent);
    body["milestones"] = extra["milestones"];
    body["rectifications"] = extra["rectifications"];
    body["messages"] = extra["messages"];
    co_return reply(http::status::ok, body);
}

asio::awaitable<net::Response> TicketsApi::create(net::ServerRequest request) {
    const auto body = json::parse(request.message.body(), nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
        co_return bad("", "expected a JSON object {\"room\", \"text\", \"name\"?, \"phone\"?, \"key\"?}");
    }
    const auto text_of = [&](const char* key) -> std::optional<std::string> {
        const auto it = body.find(key);
        if (it == body.end()) {
            return std::string();
        }
        if (!it->is_string()) {
            return std::nullopt;
        }
        return it->get<std::string>();
    };
    for (const char* key : {"room", "text", "name", "phone", "key", "building", "unit", "room_number"}) {
        if (!text_of(key)) {
            co_return bad(key, "must be a string");
        }
    }
    const auto text = *text_of("text");
    if (text.empty() || text.size() > 4000) {
        co_return bad("text", "is required: what the resident reported (at most 4000 bytes)");
    }
    dialogs::ComplaintDraft draft;
    if (const auto room = *text_of("room"); !room.empty()) {
        if (understander_ == nullptr) {
            co_return bad("room", "room strings need the dialogs section; give building/unit/room_number");
        }
        draft.room = understander_->read_room(understander_->normalize(room));
        if (draft.room.room.empty() && draft.room.building.empty()) {
            co_return bad("room", "cannot read a room from \"" + room + "\" (e.g. 3-2-501, 3栋2单元501)");
        }
    } else {
        draft.room = {*text_of("building"), *text_of("unit"), *text_of("room_number")};
        if (draft.room.building.empty() && draft.room.room.empty()) {
            co_return bad("room", "is required (\"3-2-501\", or building/unit/room_number)");
        }
    }
    draft.description = text;
    draft.confirmed = true;
    if (understander_ != nullptr) {
        const auto u = understander_->understand(text);
        draft.expectation = u.expectation;
        if (const auto* main = u.main()) {
            draft.nature = main->nature;
            draft.category = main->category;
            draft.urgency = main->urgency;
            draft.slots = main->slots;
            draft.evidence = main->evidence;
        }
        draft.slots.erase("building");
        draft.slots.erase("unit");
        draft.slots.erase("room");
    }
    const auto key = *text_of("key");
    auto job = [this, draft, name = *text_of("name"), phone = *text_of("phone"),
                source = key.empty() ? std::string() : "api:" + key,
                now = clock_.now()](SQLite::Database& db) {
        return tickets_.file(db, draft, "", "api", source, now, name, phone);
    };
    const auto filed = co_await store_.write(std::move(job));
    if (queued_) {
        queued_();
    }
    auto out = ticket_json(filed.ticket, tickets_);
    out["duplicate"] = filed.duplicate;
    out["replayed"] = filed.replayed;
    out["group_code"] = filed.group_code.empty() ? json(nullptr) : json(filed.group_code);
    const bool created = !filed.duplicate && !filed.replayed;
    co_return reply(created ? http::status::created : http::status::ok, out);
}

asio::awaitable<net::Response> TicketsApi::action(net::ServerRequest request) {
    const auto code = tickets::normalize_code(request.param("code"));
    if (!code) {
        co_return reply(http::status::not_found, {{"error", "no such ticket"}});
    }
    const auto body = json::parse(request.message.body(), nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
        co_return bad("", "expected a JSON object {\"action\", \"actor\" (or \"as\"), \"text\"?, \"to\"?}");
    }
    const auto str = [&](const char* key) {
        const auto it = body.find(key);
        return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    const auto kind = action_kind(str("action"));
    if (!kind) {
        co_return bad(
            "action",
            "must be one of claim, arrive, plan, progress, resolve, transfer, escalate, confirm, reopen, "
            "close, cancel, note");
    }
    // The console names the member of staff it acts as with "as" (the same thing as "actor").
    const auto actor_id = str("actor").empty() ? str("as") : str("actor");
    const auto* staff = tickets_.directory().staff(actor_id);
    if (staff == nullptr) {
        co_return bad(str("actor").empty() ? "as" : "actor",
                      "must be the WeCom userid of someone on a community's staff roster");
    }
    tickets::Action action;
    action.kind = *kind;
    action.text = str("text");
    if (*kind == tickets::Action::Kind::transfer) {
        std::string community;
        tickets_.directory().staff(actor_id, &community);
        const auto* target = tickets_.directory().staff(str("to"));
        if (target == nullptr) {
            target = tickets_.directory().staff_named(community, str("to"));
        }
        if (target == nullptr) {
            co_return bad("to", "must name a member of staff (userid or name)");
        }
        action.target = target->userid;
        action.target_name = target->name;
    }
    auto actor = tickets_.directory().actor(*staff);
    auto job = [this, code = *code, action, actor, now = clock_.now()](SQLite::Database& db) {
        auto done = tickets_.act(db, code, action, actor, now);
        std::optional<std::pair<tickets::Ticket, std::vector<tickets::Event>>> ok;
        std::string refusal;
        if (done) {
            ok.emplace(*done, store::ticket_events(db, done->id));
        } else {
            refusal = done.error().message;
        }
        return std::make_pair(std::move(ok), std::move(refusal));
    };
    auto [ok, refusal] = co_await store_.write(std::move(job));
    if (!ok) {
        const bool missing = refusal.starts_with("找不到工单");
        co_return reply(missing ? http::status::not_found : http::status::conflict, {{"error", refusal}});
    }
    if (queued_) {
        queued_();
    }
    co_return reply(http::status::ok, ticket_json(ok->first, tickets_, &ok->second));
}

}  // namespace anju::runtime
