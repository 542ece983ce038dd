#include "dialogs/state_json.hpp"

#include <nlohmann/json.hpp>

namespace anju::dialogs {
namespace {

using json = nlohmann::json;

std::int64_t millis(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
// Out-of-range times (a damaged state) read as the epoch: long expired, never an overflow.
Clock::time_point from_millis(std::int64_t ms) {
    constexpr std::int64_t kMax = 253'402'300'800'000;  // year 10000
    return ms < 0 || ms > kMax ? Clock::time_point{} : Clock::time_point{std::chrono::milliseconds{ms}};
}

std::string str(const json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
json field(const json& j, const char* key) {
    const auto it = j.find(key);
    return it == j.end() ? json() : *it;
}

std::int64_t num(const json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

json slots_to(const SlotMap& slots) {
    json out = json::array();
    for (const auto& [k, v] : slots.items()) {
        out.push_back(json::array({k, v}));
    }
    return out;
}
SlotMap slots_from(const json& j) {
    SlotMap slots;
    if (j.is_array()) {
        for (const auto& pair : j) {
            if (pair.is_array() && pair.size() == 2 && pair[0].is_string() && pair[1].is_string()) {
                slots.set(pair[0].get<std::string>(), pair[1].get<std::string>());
            }
        }
    }
    return slots;
}

json room_to(const Room& r) { return json::array({r.building, r.unit, r.room}); }
Room room_from(const json& j) {
    Room r;
    if (j.is_array() && j.size() == 3 && j[0].is_string() && j[1].is_string() && j[2].is_string()) {
        r = {j[0].get<std::string>(), j[1].get<std::string>(), j[2].get<std::string>()};
    }
    return r;
}

json attachments_to(const std::vector<Attachment>& items) {
    json out = json::array();
    for (const auto& a : items) {
        out.push_back({{"kind", a.kind}, {"media_id", a.media_id}, {"url", a.url}, {"format", a.format}});
    }
    return out;
}
std::vector<Attachment> attachments_from(const json& j) {
    std::vector<Attachment> out;
    if (j.is_array()) {
        for (const auto& a : j) {
            if (a.is_object()) {
                out.push_back({str(a, "kind"), str(a, "media_id"), str(a, "url"), str(a, "format")});
            }
        }
    }
    return out;
}

json draft_to(const ComplaintDraft& d) {
    return {{"resident", d.resident},          {"room", room_to(d.room)},
            {"nature", to_string(d.nature)},   {"category", d.category},
            {"urgency", to_string(d.urgency)}, {"slots", slots_to(d.slots)},
            {"description", d.description},    {"expectation", d.expectation},
            {"evidence", d.evidence},          {"attachments", attachments_to(d.attachments)}};
}
ComplaintDraft draft_from(const json& j) {
    ComplaintDraft d;
    d.resident = str(j, "resident");
    d.room = room_from(field(j, "room"));
    d.nature = parse_nature(str(j, "nature")).value_or(Nature::none);
    d.category = str(j, "category");
    d.urgency = parse_urgency(str(j, "urgency")).value_or(Urgency::normal);
    d.slots = slots_from(field(j, "slots"));
    d.description = str(j, "description");
    d.expectation = str(j, "expectation");
    if (const auto it = j.find("evidence"); it != j.end() && it->is_array()) {
        for (const auto& e : *it) {
            if (e.is_string()) {
                d.evidence.push_back(e.get<std::string>());
            }
        }
    }
    d.attachments = attachments_from(field(j, "attachments"));
    return d;
}

json finding_to(const Finding& f) {
    return {{"nature", to_string(f.nature)}, {"category", f.category}, {"urgency", to_string(f.urgency)},
            {"slots", slots_to(f.slots)},    {"evidence", f.evidence}, {"text", f.text}};
}
Finding finding_from(const json& j) {
    Finding f;
    f.nature = parse_nature(str(j, "nature")).value_or(Nature::none);
    f.category = str(j, "category");
    f.urgency = parse_urgency(str(j, "urgency")).value_or(Urgency::normal);
    f.slots = slots_from(field(j, "slots"));
    f.text = str(j, "text");
    if (const auto it = j.find("evidence"); it != j.end() && it->is_array()) {
        for (const auto& e : *it) {
            if (e.is_string()) {
                f.evidence.push_back(e.get<std::string>());
            }
        }
    }
    return f;
}

constexpr std::string_view kPhases[] = {"idle", "asking_room", "asking", "confirming", "editing"};

std::string_view phase_name(Phase p) { return kPhases[static_cast<std::size_t>(p)]; }
Phase phase_from(const json& j, const char* key) {
    const auto name = str(j, key);
    for (std::size_t i = 0; i < std::size(kPhases); ++i) {
        if (kPhases[i] == name) {
            return static_cast<Phase>(i);
        }
    }
    return Phase::idle;
}

}  // namespace

std::string to_json(const DialogState& s) {
    json j;
    json rooms = json::array();
    for (const auto& r : s.rooms) {
        rooms.push_back(room_to(r));
    }
    j["rooms"] = std::move(rooms);
    j["active_room"] = s.active_room;
    j["asked_room"] = s.asked_room;
    j["phase"] = phase_name(s.phase);
    j["resume"] = phase_name(s.resume);
    if (s.draft) {
        j["draft"] = draft_to(*s.draft);
    }
    j["asking"] = s.asking;
    j["attempts"] = s.attempts;
    json queue = json::array();
    for (const auto& f : s.queue) {
        queue.push_back(finding_to(f));
    }
    j["queue"] = std::move(queue);
    json recent = json::array();
    for (const auto& r : s.recent) {
        recent.push_back({{"number", r.number},
                          {"category", r.category},
                          {"urgency", to_string(r.urgency)},
                          {"summary", r.summary},
                          {"at", millis(r.at)}});
    }
    j["recent"] = std::move(recent);
    j["submitted"] = s.submitted;
    j["updated_at"] = millis(s.updated_at);
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<DialogState> state_from_json(std::string_view text) {
    const auto j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return std::nullopt;
    }
    DialogState s;
    if (const auto it = j.find("rooms"); it != j.end() && it->is_array()) {
        for (const auto& r : *it) {
            s.rooms.push_back(room_from(r));
        }
    }
    s.active_room = static_cast<std::uint8_t>(std::clamp<std::int64_t>(num(j, "active_room"), 0, 255));
    const auto asked = field(j, "asked_room");
    s.asked_room = asked.is_boolean() && asked.get<bool>();
    s.phase = phase_from(j, "phase");
    s.resume = phase_from(j, "resume");
    if (const auto it = j.find("draft"); it != j.end() && it->is_object()) {
        s.draft = draft_from(*it);
    }
    s.asking = str(j, "asking");
    s.attempts = static_cast<std::uint8_t>(std::clamp<std::int64_t>(num(j, "attempts"), 0, 255));
    if (const auto it = j.find("queue"); it != j.end() && it->is_array()) {
        for (const auto& f : *it) {
            if (f.is_object()) {
                s.queue.push_back(finding_from(f));
            }
        }
    }
    if (const auto it = j.find("recent"); it != j.end() && it->is_array()) {
        for (const auto& r : *it) {
            if (!r.is_object()) {
                continue;
            }
            Submitted sub;
            sub.number = static_cast<std::uint32_t>(std::max<std::int64_t>(num(r, "number"), 0));
            sub.category = str(r, "category");
            sub.urgency = parse_urgency(str(r, "urgency")).value_or(Urgency::normal);
            sub.summary = str(r, "summary");
            sub.at = from_millis(num(r, "at"));
            s.recent.push_back(std::move(sub));
        }
    }
    s.submitted = static_cast<std::uint32_t>(std::max<std::int64_t>(num(j, "submitted"), 0));
    s.updated_at = from_millis(num(j, "updated_at"));
    if (s.phase != Phase::idle && s.phase != Phase::asking_room && !s.draft) {
        s.phase = Phase::idle;  // a state that cannot be: start afresh rather than stall
    }
    return s;
}

std::string slots_json(const SlotMap& slots) {
    // Ordered: a slot map keeps the order its values were stated in.
    nlohmann::ordered_json out = nlohmann::ordered_json::object();
    for (const auto& [k, v] : slots.items()) {
        out[k] = k == "trapped" && (v == "true" || v == "false") ? json(v == "true") : json(v);
    }
    return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string strings_json(const std::vector<std::string>& items) {
    return json(items).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string attachments_json(const std::vector<Attachment>& attachments) {
    return attachments_to(attachments).dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace anju::dialogs
