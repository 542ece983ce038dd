#include "dialogs/flow.hpp"

#include "bot/core/text.hpp"
#include "dialogs/slots.hpp"

#include <algorithm>
#include <set>

namespace anju::dialogs {
namespace {

constexpr std::size_t kRecentKept = 5;
// A praise word in a message this short (code points) is said to us ("很好！", "不错不错").
constexpr std::size_t kShortPraise = 4;
// Rooms remembered per resident (an owner with a flat and a parking space, a landlord, …).
constexpr std::size_t kRoomsKept = 4;
// A complaint description this long (code points) already says what is wrong, so the flow's free
// text question ("电梯现在是什么情况？") is not asked.
constexpr std::size_t kDescriptiveLength = 8;
// A follow-up ("还有，水是从天花板渗下来的") is attached to a complaint submitted this recently.
constexpr auto kFollowUpWindow = std::chrono::hours(24);
// Evidence a problem mentioned while answering a question needs to be taken up as a new complaint.
constexpr double kNewProblemScore = 3.0;

std::string fill(std::string text, const std::map<std::string, std::string>& values) {
    for (const auto& [key, value] : values) {
        const std::string placeholder = "{" + key + "}";
        for (auto pos = text.find(placeholder); pos != std::string::npos;
             pos = text.find(placeholder, pos + value.size())) {
            text.replace(pos, placeholder.size(), value);
        }
    }
    return text;
}

std::string location_text(const SlotMap& slots, const Room& room) {
    Room where;
    where.building = std::string(slots.get("building").value_or(""));
    where.unit = std::string(slots.get("unit").value_or(""));
    where.room = std::string(slots.get("room").value_or(""));
    if (where.empty()) {
        where = room;
    }
    return where.display();
}

}  // namespace

const std::vector<std::string>& reply_ids() {
    static const std::vector<std::string> ids = {"welcome",
                                                 "help",
                                                 "thanks",
                                                 "praise",
                                                 "bye",
                                                 "not_complaint",
                                                 "ask_room",
                                                 "room_saved",
                                                 "room_unclear",
                                                 "ask_new_room",
                                                 "restate_suffix",
                                                 "submitted",
                                                 "submitted_emergency",
                                                 "cancelled",
                                                 "nothing_to_cancel",
                                                 "edit_which",
                                                 "edit_unclear",
                                                 "handover",
                                                 "human",
                                                 "progress_none",
                                                 "progress_list",
                                                 "progress_resume",
                                                 "expired",
                                                 "next_problem",
                                                 "followup_attached",
                                                 "unknown_ok",
                                                 "reask",
                                                 "yes_no_hint",
                                                 "queued_problem",
                                                 "detail_added"};
    return ids;
}

// One step of one conversation.
class Step {
public:
    Step(const Dialogs& d, const DialogState& state, const Event& event, Clock::time_point now)
        : d_(d), s_(state), event_(event), now_(now) {}

    DialogTurn run() {
        if (event_.kind == Event::Kind::expire) {
            expire();
            return finish();
        }
        expire();
        if (event_.message_kind == MessageKind::unsubscribe) {
            // Nothing can be sent to someone who left; only the rooms are worth keeping.
            DialogState kept;
            kept.rooms = s_.rooms;
            kept.active_room = s_.active_room;
            kept.asked_room = s_.asked_room;
            s_ = std::move(kept);
            return finish();
        }
        if (event_.message_kind == MessageKind::subscribe || event_.message_kind == MessageKind::scan) {
            say("welcome");
            resume_question();
            return finish();
        }
        u_ = d_.understander_.understand(event_.text);
        take_attachments();
        if (handle_command()) {
            return finish();
        }
        switch (s_.phase) {
            case Phase::asking_room:
                answer_room();
                break;
            case Phase::asking:
                answer_slot();
                break;
            case Phase::confirming:
                answer_confirmation();
                break;
            case Phase::editing:
                answer_edit();
                break;
            case Phase::idle:
                idle();
                break;
        }
        return finish();
    }

private:
    // ---- replies ----

    void say(std::string_view id, const std::map<std::string, std::string>& values = {}) {
        const auto it = d_.replies_.find(id);
        say_text(it == d_.replies_.end() ? std::string() : fill(it->second, values));
    }
    // The line that becomes "工单号：…" once the last recorded draft is a ticket.
    void say_ticket() {
        if (event_.tickets && s_.submitted > 0) {
            say_text(ticket_placeholder(s_.submitted));
        }
    }

    void say_text(std::string text) {
        if (text.empty()) {
            return;
        }
        if (!reply_.empty()) {
            reply_ += "\n";
        }
        reply_ += text;
    }

    const config::FlowConfig* flow(std::string_view category) const {
        const auto it = d_.flows_.find(category);
        return it == d_.flows_.end() ? nullptr : &it->second;
    }

    std::string label() const {
        return std::string(d_.understander_.label(s_.draft ? s_.draft->category : ""));
    }

    // ---- expiry ----

    void expire() {
        if (s_.idle() && s_.phase == Phase::idle) {
            return;
        }
        if (now_ - s_.updated_at < d_.settings_.expire_after) {
            return;
        }
        if (s_.draft || !s_.queue.empty() || s_.phase != Phase::idle) {
            say("expired");
        }
        s_.draft.reset();
        s_.queue.clear();
        s_.phase = Phase::idle;
        s_.asking.clear();
        s_.attempts = 0;
    }

    // ---- commands that work in any phase ----

    bool handle_command() {
        const auto& c = u_.command;
        if (c.empty()) {
            return false;
        }
        if (c == "cancel") {
            if (s_.draft || !s_.queue.empty()) {
                s_.draft.reset();
                s_.queue.clear();
                s_.phase = Phase::idle;
                s_.asking.clear();
                say("cancelled");
            } else if (s_.phase == Phase::asking_room) {
                s_.phase = Phase::idle;
                say("cancelled");
            } else {
                say("nothing_to_cancel");
            }
            return true;
        }
        if (c == "human") {
            // Staff are asked to call: about the complaint being clarified, or just a call request.
            if (!s_.draft) {
                ComplaintDraft d;
                d.resident = event_.resident;
                d.description = event_.text;
                if (!s_.rooms.empty()) {
                    d.room = s_.rooms[std::min<std::size_t>(s_.active_room, s_.rooms.size() - 1)];
                }
                s_.draft = std::move(d);
            }
            hand_over("resident asked for a person");
            say("human");
            say_ticket();
            next_in_queue();
            return true;
        }
        if (c == "change_room") {
            s_.resume = s_.phase;
            s_.phase = Phase::asking_room;
            s_.attempts = 0;
            say("ask_new_room");
            return true;
        }
        if (c == "progress") {
            Action a;
            a.kind = Action::Kind::progress;
            actions_.push_back(std::move(a));
            progress();
            resume_question();
            return true;
        }
        if (c == "help") {
            say("help");
            resume_question();
            return true;
        }
        if (c == "edit") {
            if (s_.phase == Phase::confirming || s_.phase == Phase::asking) {
                s_.phase = Phase::editing;
                say("edit_which", {{"fields", field_names()}});
                return true;
            }
        }
        return false;
    }

    void progress() {
        if (event_.progress) {
            std::string text = *event_.progress;
            if (s_.draft) {
                text += (text.empty() ? "" : "\n") + std::string("正在登记：") + label();
            }
            if (text.empty()) {
                say("progress_none");
            } else {
                say_text(text);
            }
            return;
        }
        if (s_.recent.empty() && !s_.draft) {
            say("progress_none");
            return;
        }
        std::string list;
        for (const auto& r : s_.recent) {
            const auto what = r.category.empty() ? std::string("人工回电")
                                                 : std::string(d_.understander_.label(r.category));
            list += "\n" + std::to_string(r.number) + ". " + what + "：" + r.summary + "（已登记）";
        }
        if (s_.draft) {
            list += "\n· " + label() + "：正在登记中";
        }
        say("progress_list", {{"list", list}});
    }

    // Asks the pending question again after an interruption ("进度", "帮助").
    void resume_question() {
        if (s_.phase == Phase::asking && s_.draft) {
            if (const auto* slot = current_slot()) {
                say("progress_resume", {{"question", slot->question}});
            }
        } else if (s_.phase == Phase::confirming && s_.draft) {
            say_text(restatement());
        } else if (s_.phase == Phase::asking_room) {
            say("ask_room");
        }
    }

    // ---- attachments ----

    void take_attachments() {
        if (event_.attachments.empty()) {
            return;
        }
        if (s_.draft) {
            auto& a = s_.draft->attachments;
            a.insert(a.end(), event_.attachments.begin(), event_.attachments.end());
            photo_taken_ = true;
        } else if (!s_.recent.empty() && now_ - s_.recent.back().at < kFollowUpWindow &&
                   u_.findings.empty()) {
            Action a;
            a.kind = Action::Kind::attach;
            a.number = s_.recent.back().number;
            a.text = event_.text;
            a.attachments = event_.attachments;
            actions_.push_back(std::move(a));
            say("followup_attached",
                {{"category", std::string(d_.understander_.label(s_.recent.back().category))}});
            photo_taken_ = true;
        }
    }

    // ---- idle: a new message ----

    void idle() {
        if (photo_taken_ && u_.findings.empty()) {
            return;
        }
        if (adds_to_recent() && follow_up()) {
            return;
        }
        if (u_.findings.empty()) {
            if (event_.message_kind == MessageKind::image || event_.message_kind == MessageKind::video) {
                say("not_complaint");
                return;
            }
            small_talk();
            return;
        }
        remember_room_from_message();
        auto findings = u_.findings;
        start(std::move(findings.front()), true);
        for (std::size_t i = 1; i < findings.size(); ++i) {
            s_.queue.push_back(std::move(findings[i]));
        }
    }

    void small_talk() {
        const auto& t = u_.smalltalk;
        if (t == "greeting") {
            say("welcome");
        } else if (t == "thanks") {
            say("thanks");
        } else if (t == "praise" && praise_for_us()) {
            say("praise");
        } else if (t == "bye") {
            say("bye");
        } else {
            say("not_complaint");
        }
    }

    // "还有…", "另外…": the message adds something to what was said before.
    bool connective() const {
        const auto& t = u_.normalized;
        return t.starts_with("还有") || t.starts_with("另外") || t.starts_with("补充") ||
               t.starts_with("对了") || t.starts_with("而且");
    }

    // "不错", "很好" thank us when said on their own or about the service ("你们服务不错"), not in
    // a remark about something else ("今天天气不错").
    bool praise_for_us() const {
        const auto& kinds = u_.smalltalk_kinds;
        return utf8_length(u_.normalized) <= kShortPraise ||
               std::find(kinds.begin(), kinds.end(), "praise_target") != kinds.end();
    }

    // Whether what was said can only be about the complaint just submitted: nothing new, or more
    // of the same kind that is not an emergency (an emergency is always a complaint of its own).
    bool adds_to_recent() const {
        if (s_.recent.empty()) {
            return false;
        }
        const auto& last = s_.recent.back();
        return std::all_of(u_.findings.begin(), u_.findings.end(), [&](const Finding& f) {
            return f.category == last.category &&
                   (f.urgency != Urgency::emergency || last.urgency == Urgency::emergency);
        });
    }

    // "还有，水是从天花板渗下来的": more about a complaint just submitted.
    bool follow_up() {
        if (s_.recent.empty() || now_ - s_.recent.back().at >= kFollowUpWindow) {
            return false;
        }
        const bool connective = this->connective();
        // Without "还有…", only bare details (a floor, a time) are taken as more of the same; the
        // same problem told again ("电梯又坏了") is a new complaint.
        if (!connective && (!u_.findings.empty() || u_.slots.empty())) {
            return false;
        }
        Action a;
        a.kind = Action::Kind::attach;
        a.number = s_.recent.back().number;
        a.text = event_.text;
        actions_.push_back(std::move(a));
        say("followup_attached",
            {{"category", std::string(d_.understander_.label(s_.recent.back().category))}});
        return true;
    }

    void remember_room_from_message() {
        Room room = d_.understander_.read_room(u_.normalized);
        if (room.room.empty() || !s_.rooms.empty()) {
            return;
        }
        s_.rooms.push_back(room);
        s_.active_room = 0;
        s_.asked_room = true;
    }

    // Begins clarifying `finding` (the resident's first words about it are in `fresh`).
    void start(Finding finding, bool fresh) {
        ComplaintDraft draft;
        draft.resident = event_.resident;
        draft.nature = finding.nature;
        draft.category = finding.category;
        draft.urgency = finding.urgency;
        draft.slots = finding.slots;
        draft.slots.erase("place");
        if (const auto place = finding.slots.get("place")) {
            draft.slots.set("place", std::string(*place));
        }
        draft.evidence = finding.evidence;
        draft.description = fresh ? event_.text : finding.text;
        draft.expectation = u_.expectation;
        if (fresh) {
            draft.attachments = event_.attachments;
        }
        if (!s_.rooms.empty()) {
            draft.room = s_.rooms[std::min<std::size_t>(s_.active_room, s_.rooms.size() - 1)];
        }
        const auto* f = flow(draft.category);
        if (f != nullptr) {
            if (draft.expectation.empty()) {
                draft.expectation = f->default_expectation;
            }
            // The resident's own words already say what is wrong: no need to ask "what happened".
            for (const auto& slot : f->slots) {
                if (slot.type == "text" && slot.required && !draft.slots.has(slot.name) &&
                    utf8_length(finding.text) >= kDescriptiveLength && slot.name == "symptom") {
                    draft.slots.set(slot.name, finding.text);
                }
            }
        }
        s_.draft = std::move(draft);
        s_.attempts = 0;
        s_.asking.clear();
        if (fresh && f != nullptr && !f->acknowledgement.empty() && s_.draft->urgency != Urgency::emergency) {
            say_text(f->acknowledgement);
        }
        advance();
    }

    // Moves the current draft on: the room, the next missing slot, or the restatement.
    void advance() {
        auto& draft = *s_.draft;
        const auto* f = flow(draft.category);
        if (draft.urgency == Urgency::emergency) {
            // Only what is needed to send someone: where. Then dispatch at once.
            if (f != nullptr) {
                for (const auto& name : f->emergency_slots) {
                    const auto* slot = find_slot(*f, name);
                    if (slot != nullptr && !filled(*slot) && s_.attempts < d_.settings_.max_attempts) {
                        ask(*slot);
                        return;
                    }
                }
            }
            submit(false);
            return;
        }
        if (s_.rooms.empty() && !s_.asked_room && (f == nullptr || f->room != "none") && draft.room.empty() &&
            !draft.slots.has("room")) {
            s_.asked_room = true;
            s_.phase = Phase::asking_room;
            s_.attempts = 0;
            say("ask_room");
            return;
        }
        if (f != nullptr) {
            for (const auto& slot : f->slots) {
                if (slot.required && !filled(slot)) {
                    ask(slot);
                    return;
                }
            }
        }
        s_.phase = Phase::confirming;
        s_.attempts = 0;
        say_text(restatement());
    }

    static const config::SlotFlow* find_slot(const config::FlowConfig& f, std::string_view name) {
        for (const auto& slot : f.slots) {
            if (slot.name == name) {
                return &slot;
            }
        }
        return nullptr;
    }

    const config::SlotFlow* current_slot() const {
        if (!s_.draft) {
            return nullptr;
        }
        const auto* f = flow(s_.draft->category);
        return f == nullptr ? nullptr : find_slot(*f, s_.asking);
    }

    bool filled(const config::SlotFlow& slot) const {
        const auto& draft = *s_.draft;
        if (slot.type == "building_unit") {
            return draft.slots.has("building") || draft.slots.has("unit") || draft.slots.has("room") ||
                   (slot.from_room && !draft.room.empty()) || draft.slots.has(slot.name);
        }
        if (slot.type == "room") {
            return draft.slots.has("room") || !draft.room.room.empty();
        }
        return draft.slots.has(slot.name);
    }

    void ask(const config::SlotFlow& slot) {
        s_.phase = Phase::asking;
        if (s_.asking != slot.name) {
            s_.attempts = 0;
        }
        s_.asking = slot.name;
        ++s_.attempts;
        say_text(slot.question);
    }

    // ---- answers ----

    void answer_room() {
        const auto text = u_.normalized;
        Room room = d_.understander_.read_room(text);
        const bool skip = text.find("跳过") != std::string::npos ||
                          text.find("不方便") != std::string::npos || u_.answer == false;
        if (!room.room.empty() || (!room.building.empty() && !room.unit.empty())) {
            // The room is asked on first contact and after "换房号": either way it becomes the
            // default for new complaints (a resident may have several; at most kRoomsKept).
            const auto existing = std::find(s_.rooms.begin(), s_.rooms.end(), room);
            if (existing == s_.rooms.end()) {
                if (s_.rooms.size() >= kRoomsKept) {
                    s_.rooms.erase(s_.rooms.begin() + (s_.active_room == 0 ? 1 : 0));
                }
                s_.rooms.push_back(room);
                s_.active_room = static_cast<std::uint8_t>(s_.rooms.size() - 1);
            } else {
                s_.active_room = static_cast<std::uint8_t>(existing - s_.rooms.begin());
            }
            say("room_saved", {{"room", room.display()}});
            if (s_.draft) {
                s_.draft->room = room;
            }
            s_.phase = Phase::idle;
            continue_draft();
            return;
        }
        if (skip || ++s_.attempts > d_.settings_.max_attempts) {
            s_.phase = Phase::idle;
            continue_draft();
            return;
        }
        // Maybe it is a new complaint rather than a room.
        if (!u_.findings.empty() && !s_.draft) {
            s_.phase = Phase::idle;
            idle();
            return;
        }
        say("room_unclear");
    }

    void continue_draft() {
        if (s_.draft) {
            advance();
        } else if (s_.resume == Phase::idle) {
            s_.phase = Phase::idle;
        }
    }

    void answer_slot() {
        if (!s_.draft) {
            s_.phase = Phase::idle;
            idle();
            return;
        }
        const auto* slot = current_slot();
        if (slot == nullptr) {
            advance();
            return;
        }
        // New problems named while answering wait their turn, when clearly stated ("另外楼道灯也坏了");
        // a free description ("停在5楼不动") is scanned for them only when it opens with "还有…".
        const bool another = connective();
        bool queued = false;
        for (const auto& f : u_.findings) {
            if (f.category != s_.draft->category && f.urgency != Urgency::emergency &&
                (slot->type != "text" || another) && f.score >= kNewProblemScore) {
                if (std::none_of(s_.queue.begin(), s_.queue.end(),
                                 [&](const Finding& q) { return q.category == f.category; })) {
                    s_.queue.push_back(f);
                    queued = true;
                    say("queued_problem", {{"category", std::string(d_.understander_.label(f.category))}});
                }
            }
        }
        if (queued && another && slot->type == "text") {
            // "还有，电梯按钮也坏了" is not the answer to the question: ask it again.
            say("progress_resume", {{"question", slot->question}});
            return;
        }
        // An emergency named while answering goes first.
        for (const auto& f : u_.findings) {
            if (f.urgency == Urgency::emergency && f.category != s_.draft->category) {
                s_.queue.insert(s_.queue.begin(), s_.draft ? to_finding(*s_.draft) : f);
                start(f, false);
                return;
            }
        }
        const auto& draft_category = s_.draft->category;
        for (const auto& f : u_.findings) {
            if (f.category == draft_category && f.urgency == Urgency::emergency) {
                s_.draft->urgency = Urgency::emergency;
            }
        }
        absorb_slots();
        if (take_answer(*slot)) {
            s_.attempts = 0;
            advance();
            return;
        }
        if (s_.attempts >= d_.settings_.max_attempts) {
            hand_over("no usable answer to: " + slot->question);
            say("handover");
            say_ticket();
            next_in_queue();
            return;
        }
        ++s_.attempts;
        say("reask", {{"question", slot->question}});
        if (slot->type == "yes_no") {
            say("yes_no_hint");
        }
    }

    static Finding to_finding(const ComplaintDraft& d) {
        Finding f;
        f.nature = d.nature;
        f.category = d.category;
        f.urgency = d.urgency;
        f.slots = d.slots;
        f.evidence = d.evidence;
        f.text = d.description;
        return f;
    }

    // Slots stated in passing ("3号梯，没人困") fill whatever they can.
    void absorb_slots() {
        auto& draft = *s_.draft;
        for (const auto& [name, value] : u_.slots.items()) {
            if (!draft.slots.has(name)) {
                draft.slots.set(name, value);
            }
        }
        if (const auto* main = u_.main(); main != nullptr && main->category == draft.category) {
            for (const auto& [name, value] : main->slots.items()) {
                if (!draft.slots.has(name)) {
                    draft.slots.set(name, value);
                }
            }
            for (const auto& e : main->evidence) {
                draft.evidence.push_back(e);
            }
        }
        if (!u_.expectation.empty()) {
            draft.expectation = u_.expectation;
        }
    }

    // Reads the answer to `slot` from the message. True if the slot is now filled.
    bool take_answer(const config::SlotFlow& slot) {
        auto& draft = *s_.draft;
        const auto raw = std::string(event_.text);
        const auto& type = slot.type;
        if (type == "yes_no") {
            if (slot.name == "trapped" && draft.slots.has("trapped")) {
                return true;
            }
            if (u_.answer) {
                draft.slots.set(slot.name, *u_.answer ? "true" : "false");
                if (slot.name == "trapped" && *u_.answer) {
                    draft.urgency = Urgency::emergency;
                }
                return true;
            }
            if (u_.unknown) {
                draft.slots.set(slot.name, "unknown");
                say("unknown_ok");
                return true;
            }
            if (const auto implied = implied_answer(slot.question)) {
                draft.slots.set(slot.name, *implied ? "true" : "false");
                return true;
            }
            return false;
        }
        if (filled(slot)) {
            return true;
        }
        if (u_.unknown) {
            draft.slots.set(slot.name, "unknown");
            say("unknown_ok");
            return true;
        }
        if (type == "place") {
            if (const auto place = u_.slots.get("place")) {
                draft.slots.set(slot.name, std::string(*place));
                return true;
            }
            return false;
        }
        if (type == "building_unit" && event_.location && !event_.location->label.empty()) {
            // A shared location answers "where".
            draft.slots.set(slot.name, event_.location->label);
            return true;
        }
        if (type == "elevator") {
            // A bare number or "2#" answers "which lift" ("2#" alone is too vague to scan elsewhere).
            const auto scanned = scan_slots(u_.normalized + "梯");
            if (const auto lift = scanned.get("elevator")) {
                draft.slots.set(slot.name, std::string(*lift));
                return true;
            }
        }
        if (type == "building_unit" || type == "room" || type == "elevator" || type == "floor" ||
            type == "phone") {
            // Free words for a place or a lift ("左边那部", "东门") are an answer too.
            if (type != "phone" && type != "room" && !raw.empty() && utf8_length(raw) <= 20 &&
                u_.findings.empty() && !u_.answer) {
                draft.slots.set(slot.name, raw);
                return true;
            }
            return false;
        }
        // text, time: any words that are not a bare yes/no.
        if (!raw.empty() && !u_.answer) {
            draft.slots.set(slot.name, raw);
            return true;
        }
        return false;
    }

    // An answer that echoes the question ("现在还在漏吗？" → "还在漏") says yes; one with a
    // negation ("不漏了", "没人") says no.
    std::optional<bool> implied_answer(std::string_view question) const {
        const auto& text = u_.normalized;
        if (text.empty() || utf8_length(text) > 12) {
            return std::nullopt;
        }
        for (const std::string_view negation : {"没", "不", "无", "否"}) {
            if (text.find(negation) != std::string::npos) {
                return false;
            }
        }
        const auto q = d_.understander_.normalize(question);
        // A shared pair of characters (6 bytes of CJK) echoes the question.
        for (std::size_t i = 0; i + 6 <= text.size(); i += 3) {
            const auto pair = std::string_view(text).substr(i, 6);
            if (static_cast<unsigned char>(pair[0]) >= 0xE0 && q.find(pair) != std::string::npos) {
                return true;
            }
        }
        return std::nullopt;
    }

    void answer_confirmation() {
        if (u_.answer == true) {
            s_.draft->confirmed = true;
            submit(true);
            return;
        }
        if (u_.answer == false) {
            s_.phase = Phase::editing;
            say("edit_which", {{"fields", field_names()}});
            return;
        }
        // Corrections given straight away ("不是3栋，是5栋"): apply them and restate.
        if (apply_corrections()) {
            say_text(restatement());
            return;
        }
        // More detail about the same problem ("多收了200块"): kept with the description, then the
        // question again. A new problem, a question or small talk is not a detail.
        const bool same_problem = std::all_of(u_.findings.begin(), u_.findings.end(), [&](const Finding& f) {
            return f.category == s_.draft->category;
        });
        if (same_problem && u_.command.empty() && u_.smalltalk.empty() && !u_.unknown &&
            utf8_length(u_.normalized) >= 2 && s_.draft->description.find(event_.text) == std::string::npos) {
            s_.draft->description += "；" + event_.text;
            say("detail_added");
            say_text(restatement());
            return;
        }
        if (++s_.attempts > d_.settings_.max_attempts + 1) {
            hand_over("not confirmed");
            say("handover");
            say_ticket();
            next_in_queue();
            return;
        }
        say_text(restatement());
    }

    void answer_edit() {
        if (apply_corrections()) {
            s_.phase = Phase::confirming;
            s_.attempts = 0;
            say_text(restatement());
            return;
        }
        // A field named without its new value: ask for it.
        const auto* f = flow(s_.draft ? s_.draft->category : "");
        if (f != nullptr) {
            for (const auto& slot : f->slots) {
                if (!slot.question.empty() && mentions(slot)) {
                    s_.draft->slots.erase(slot.name);
                    ask(slot);
                    return;
                }
            }
        }
        if (u_.answer == true) {
            s_.phase = Phase::confirming;
            say_text(restatement());
            return;
        }
        say("edit_unclear", {{"fields", field_names()}});
    }

    // Whether the message names `slot` ("电梯编号", "困人", "房号").
    bool mentions(const config::SlotFlow& slot) const {
        const auto& text = u_.normalized;
        static const std::map<std::string, std::vector<std::string>, std::less<>> kWords = {
            {"location", {"楼", "单元", "位置", "地址", "哪里"}},
            {"elevator", {"电梯", "几号梯", "编号", "哪部"}},
            {"trapped", {"困", "有人", "没人"}},
            {"symptom", {"情况", "现象", "描述", "问题"}},
            {"place", {"家里", "公共", "位置"}},
            {"still", {"还在", "漏"}},
            {"source", {"来源", "从哪"}},
        };
        const auto it = kWords.find(slot.name);
        if (it != kWords.end()) {
            for (const auto& w : it->second) {
                if (text.find(w) != std::string::npos) {
                    return true;
                }
            }
        }
        return text.find(slot.name) != std::string::npos;
    }

    // Applies slot values stated in the message over the draft's. True if anything changed.
    bool apply_corrections() {
        if (!s_.draft) {
            return false;
        }
        bool changed = false;
        auto& draft = *s_.draft;
        // "不是2号梯，是3号梯": the values after the "是" are the right ones.
        SlotMap stated = u_.slots;
        const auto& t = u_.normalized;
        if (const auto wrong = t.find("不是"); wrong != std::string::npos) {
            const auto right = t.find("是", wrong + std::string_view("不是").size());
            if (right != std::string::npos) {
                stated = scan_slots(std::string_view(t).substr(right));
            }
        }
        for (const auto& [name, value] : stated.items()) {
            if (draft.slots.get(name) != std::optional<std::string_view>(value)) {
                draft.slots.set(name, value);
                changed = true;
            }
        }
        if (const auto* main = u_.main(); main != nullptr && main->category != draft.category &&
                                          u_.normalized.find("不是") != std::string::npos) {
            // "不是电梯，是门禁": the category itself was wrong.
            draft.category = main->category;
            draft.nature = main->nature;
            changed = true;
        }
        if (!u_.expectation.empty() && u_.expectation != draft.expectation) {
            draft.expectation = u_.expectation;
            changed = true;
        }
        return changed;
    }

    std::string field_names() const {
        std::string names;
        if (const auto* f = flow(s_.draft ? s_.draft->category : "")) {
            for (const auto& slot : f->slots) {
                if (!slot.say.empty()) {
                    names += (names.empty() ? "" : "、") + slot_label(slot);
                }
            }
        }
        return names.empty() ? "房号、问题描述" : names + "、期望";
    }

    static std::string slot_label(const config::SlotFlow& slot) {
        static const std::map<std::string, std::string, std::less<>> kLabels = {
            {"location", "位置"},     {"elevator", "电梯编号"}, {"trapped", "是否有人被困"},
            {"symptom", "情况"},      {"place", "漏水位置"},    {"still", "是否还在漏"},
            {"source", "来源"},       {"scope", "范围"},        {"device", "设备"},
            {"place_detail", "位置"}, {"staff", "人员/事情"},   {"fee_type", "费用项目"},
            {"now", "是否还在"}};
        const auto it = kLabels.find(slot.name);
        return it == kLabels.end() ? slot.name : it->second;
    }

    // "您是说3栋2单元的3号梯停在5楼不动，没有人被困，希望尽快派人检修，对吗？…"
    std::string restatement() const {
        const auto& draft = *s_.draft;
        const auto* f = flow(draft.category);
        if (f == nullptr) {
            return {};
        }
        std::map<std::string, std::string> values;
        values["location"] = "";
        values["category"] = std::string(d_.understander_.label(draft.category));
        values["expectation"] = draft.expectation;
        values["description"] = draft.description;
        for (const auto& slot : f->slots) {
            std::string said;
            const auto value = draft.slots.get(slot.name);
            if (value && *value != "unknown" && !slot.say.empty()) {
                if (slot.type == "yes_no") {
                    const auto bar = slot.say.find('|');
                    said = *value == "true" ? slot.say.substr(0, bar)
                                            : (bar == std::string::npos ? "" : slot.say.substr(bar + 1));
                } else if (slot.type == "place") {
                    said = fill(slot.say, {{"value", *value == "home"     ? "家里"
                                                     : *value == "public" ? "公共区域"
                                                                          : std::string(*value)}});
                } else if (slot.type == "building_unit") {
                    said = fill(slot.say, {{"value", std::string(*value)}});
                } else {
                    said = fill(slot.say, {{"value", std::string(*value)}});
                }
            } else if (slot.type == "building_unit" && !slot.say.empty()) {
                const auto where = location_text(draft.slots, slot.from_room ? draft.room : Room{});
                said = where.empty() ? std::string() : fill(slot.say, {{"value", where}});
            }
            values[slot.name] = said;
        }
        auto text = fill(f->restatement, values);
        // Tidy what empty slots leave behind: doubled or leading commas.
        for (std::string::size_type p; (p = text.find("，，")) != std::string::npos;) {
            text.erase(p, std::string_view("，").size());
        }
        for (const std::string_view gap : {"说，", "说的"}) {
            for (std::string::size_type p; (p = text.find(gap)) != std::string::npos;) {
                text.erase(p + std::string_view("说").size(), gap.size() - std::string_view("说").size());
            }
        }
        for (std::string::size_type p; (p = text.find("（）")) != std::string::npos;) {
            text.erase(p, std::string_view("（）").size());
        }
        const auto it = d_.replies_.find("restate_suffix");
        return text + (it == d_.replies_.end() ? "" : it->second);
    }

    // ---- submission ----

    void submit(bool confirmed) {
        auto draft = std::move(*s_.draft);
        s_.draft.reset();
        draft.confirmed = confirmed;
        if (draft.room.empty() && !s_.rooms.empty()) {
            draft.room = s_.rooms[std::min<std::size_t>(s_.active_room, s_.rooms.size() - 1)];
        }
        const bool emergency = draft.urgency == Urgency::emergency;
        const auto* f = flow(draft.category);
        const auto category = std::string(d_.understander_.label(draft.category));
        record(draft);
        if (emergency) {
            say("submitted_emergency");
            say_ticket();
            if (f != nullptr) {
                say_text(f->safety_advice);
            }
        } else {
            say("submitted", {{"category", category}});
            say_ticket();
        }
        Action a;
        a.kind = Action::Kind::submit;
        a.number = s_.submitted;
        a.draft = std::move(draft);
        actions_.push_back(std::move(a));
        s_.phase = Phase::idle;
        s_.asking.clear();
        s_.attempts = 0;
        next_in_queue();
    }

    void hand_over(std::string reason) {
        auto draft = std::move(*s_.draft);
        s_.draft.reset();
        draft.needs_call = true;
        draft.handover_reason = std::move(reason);
        if (draft.room.empty() && !s_.rooms.empty()) {
            draft.room = s_.rooms[std::min<std::size_t>(s_.active_room, s_.rooms.size() - 1)];
        }
        record(draft);
        Action a;
        a.kind = Action::Kind::handover;
        a.number = s_.submitted;
        a.draft = std::move(draft);
        actions_.push_back(std::move(a));
        s_.phase = Phase::idle;
        s_.asking.clear();
        s_.attempts = 0;
    }

    void record(const ComplaintDraft& draft) {
        Submitted r;
        r.number = ++s_.submitted;
        r.category = draft.category;
        r.urgency = draft.urgency;
        r.summary = draft.description.substr(0, 60);
        r.at = now_;
        s_.recent.push_back(std::move(r));
        if (s_.recent.size() > kRecentKept) {
            s_.recent.erase(s_.recent.begin());
        }
    }

    void next_in_queue() {
        if (s_.queue.empty()) {
            return;
        }
        auto next = std::move(s_.queue.front());
        s_.queue.erase(s_.queue.begin());
        say("next_problem", {{"category", std::string(d_.understander_.label(next.category))}});
        start(std::move(next), false);
    }

    DialogTurn finish() {
        // A wake-up that came early (nothing expired) is not the resident's activity.
        if (event_.kind == Event::Kind::message) {
            s_.updated_at = now_;
        }
        DialogTurn t;
        if (s_.phase != Phase::idle || s_.draft || !s_.queue.empty()) {
            t.expire_at = s_.updated_at + d_.settings_.expire_after;
        }
        t.state = std::move(s_);
        t.reply = std::move(reply_);
        t.actions = std::move(actions_);
        return t;
    }

    const Dialogs& d_;
    DialogState s_;
    const Event& event_;
    Clock::time_point now_;
    Understanding u_;
    std::string reply_;
    std::vector<Action> actions_;
    bool photo_taken_ = false;
};

boost::system::result<Dialogs, std::vector<std::string>> Dialogs::create(
    const config::DialogsConfig& config) {
    auto understander = Understander::create(config.understanding);
    if (!understander) {
        return understander.error();
    }
    std::vector<std::string> problems;
    std::set<std::string> categories;
    for (const auto& c : config.understanding.categories) {
        categories.insert(c.name);
    }
    std::set<std::string> flows;
    for (const auto& f : config.flows) {
        if (categories.count(f.category) == 0) {
            problems.push_back("flows: \"" + f.category + "\" is not a category of understanding.json");
        }
        if (!flows.insert(f.category).second) {
            problems.push_back("flows: \"" + f.category + "\" has two flows");
        }
        std::set<std::string> names = {"location", "category", "expectation", "description"};
        for (const auto& s : f.slots) {
            names.insert(s.name);
        }
        for (auto pos = f.restatement.find('{'); pos != std::string::npos;
             pos = f.restatement.find('{', pos + 1)) {
            const auto end = f.restatement.find('}', pos);
            if (end == std::string::npos) {
                break;
            }
            const auto name = f.restatement.substr(pos + 1, end - pos - 1);
            if (names.count(name) == 0) {
                problems.push_back("flows: \"" + f.category + "\" restatement names an unknown slot {" +
                                   name + "}");
            }
        }
    }
    for (const auto& c : categories) {
        if (flows.count(c) == 0) {
            problems.push_back("flows: category \"" + c + "\" has no flow");
        }
    }
    for (const auto& id : reply_ids()) {
        if (std::none_of(config.replies.begin(), config.replies.end(),
                         [&](const auto& r) { return r.first == id; })) {
            problems.push_back("replies.json: missing reply \"" + id + "\"");
        }
    }
    if (!problems.empty()) {
        return problems;
    }
    return Dialogs(config, std::move(*understander));
}

Dialogs::Dialogs(const config::DialogsConfig& config, Understander understander)
    : settings_(config.settings), understander_(std::move(understander)) {
    for (const auto& f : config.flows) {
        flows_.emplace(f.category, f);
    }
    for (const auto& [id, text] : config.replies) {
        replies_.emplace(id, text);
    }
}

std::string ticket_placeholder(std::uint32_t number) { return "{ticket:" + std::to_string(number) + "}"; }

DialogTurn Dialogs::step(const DialogState& state, const Event& event, Clock::time_point now) const {
    return Step(*this, state, event, now).run();
}

}  // namespace anju::dialogs
