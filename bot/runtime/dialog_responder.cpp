#include "bot/runtime/dialog_responder.hpp"

#include "bot/core/log.hpp"
#include "bot/runtime/scheduler.hpp"
#include "bot/tickets/survey.hpp"
#include "dialogs/state_json.hpp"

#include <algorithm>
#include <vector>

namespace anju::runtime {
namespace {

const log::Logger dialog_log{"dialog"};

std::int64_t millis(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

dialogs::Event event_of(const InboundMessage& message) {
    dialogs::Event event;
    event.kind = dialogs::Event::Kind::message;
    event.message_kind = message.kind;
    event.text = message.text;
    event.attachments = message.attachments;
    event.location = message.location;
    if (message.kind == MessageKind::location && message.location && event.text.empty()) {
        event.text = message.location->label;
    }
    event.resident = message.conversation_key();
    return event;
}

std::string draft_ref(const std::string& conversation, std::uint32_t number) {
    return conversation + "#" + std::to_string(number);
}

}  // namespace

store::DraftRecord draft_record(const dialogs::ComplaintDraft& draft, const std::string& conversation,
                                std::uint32_t number, const std::string& source_message,
                                Clock::time_point at) {
    store::DraftRecord r;
    r.ref = draft_ref(conversation, number);
    r.resident = draft.resident.empty() ? conversation : draft.resident;
    r.building = draft.room.building;
    r.unit = draft.room.unit;
    r.room = draft.room.room;
    r.nature = std::string(dialogs::to_string(draft.nature));
    r.category = draft.category;
    r.urgency = std::string(dialogs::to_string(draft.urgency));
    r.slots_json = dialogs::slots_json(draft.slots);
    r.description = draft.description;
    r.expectation = draft.expectation;
    r.evidence_json = dialogs::strings_json(draft.evidence);
    r.attachments_json = dialogs::attachments_json(draft.attachments);
    r.confirmed = draft.confirmed;
    r.needs_call = draft.needs_call;
    r.handover_reason = draft.handover_reason;
    r.source_message = source_message;
    r.created_at_ms = millis(at);
    return r;
}

DialogResponder::DialogResponder(const dialogs::Dialogs& dialogs, store::Store& store, Clock& clock,
                                 TicketService* tickets, DialogResponderOptions options)
    : dialogs_(dialogs), store_(store), clock_(clock), tickets_(tickets), options_(options) {}

namespace {

// A short message asking to stop or resume the daily push: "不用推送了", "别再推送", "恢复推送".
std::optional<bool> push_preference(std::string_view text) {
    if (text.size() > 36 || text.find("推送") == std::string_view::npos) {
        return std::nullopt;
    }
    for (const std::string_view on : {"恢复推送", "开启推送", "打开推送", "继续推送", "重新推送"}) {
        if (text.find(on) != std::string_view::npos) {
            return true;
        }
    }
    for (const std::string_view off : {"不用推送", "不要推送", "别推送", "别再推送", "关闭推送", "取消推送",
                                       "停止推送", "退订推送", "不需要推送"}) {
        if (text.find(off) != std::string_view::npos) {
            return false;
        }
    }
    return std::nullopt;
}

}  // namespace

asio::awaitable<Response> DialogResponder::respond(const InboundMessage& message) {
    const auto conversation = message.conversation_key();
    auto state = co_await load(conversation);
    auto event = event_of(message);
    if (tickets_ != nullptr) {
        event.tickets = true;
        const bool words = message.kind == MessageKind::text || message.kind == MessageKind::voice;
        if (words && !message.text.empty()) {
            const auto understood = dialogs_.understander().understand(message.text);
            // "不用推送" / "恢复推送": the daily progress push, on or off.
            if (const auto push = push_preference(understood.normalized)) {
                Response response;
                response.persist = [this, conversation, on = *push, now = clock_.now()](SQLite::Database& db,
                                                                                        Reply& reply) {
                    reply.texts = {tickets_->set_daily_push(db, conversation, on, now)};
                };
                co_return response;
            }
            // "已解决吗？" and the survey wait for a resident who is not in the middle of a complaint.
            if (state.idle() && tickets_->may_have_pending_ask(conversation)) {
                if (auto answered = co_await answer_ask(conversation, understood, message.text)) {
                    co_return std::move(*answered);
                }
            }
            if (understood.command == "progress") {
                auto read = [this, conversation, now = clock_.now()](SQLite::Database& db) {
                    return tickets_->progress_text(db, conversation, now);
                };
                event.progress = co_await store_.run(std::move(read));
            }
        }
    }
    auto turn = dialogs_.step(state, event, clock_.now());
    co_return answer(conversation, message.channel, std::move(turn), message.dedupe_key);
}

asio::awaitable<std::optional<Response>> DialogResponder::answer_ask(const std::string& conversation,
                                                                     const dialogs::Understanding& understood,
                                                                     std::string text) {
    auto read = [this, conversation](SQLite::Database& db) {
        return tickets_->pending_asks(db, conversation);
    };
    const auto asks = co_await store_.run(std::move(read));
    if (asks.empty()) {
        co_return std::nullopt;
    }
    const auto& ask = asks.front();
    ResidentAnswer answer;
    answer.text = std::move(text);
    if (ask.kind == PendingAsk::Kind::confirm) {
        // "还是漏水", "没解决", "2" reopen; "修好了", "已解决", "1", "是" confirm.
        if (understood.unsolved || understood.answer == false) {
            answer.kind = ResidentAnswer::Kind::not_solved;
        } else if (understood.resolved || understood.answer == true) {
            answer.kind = ResidentAnswer::Kind::solved;
        } else if (!understood.findings.empty() && understood.main()->category == ask.ticket.category) {
            answer.kind = ResidentAnswer::Kind::not_solved;  // the same problem told again
        } else {
            co_return std::nullopt;
        }
    } else {
        const auto rating = tickets::read_rating(understood.normalized);
        if (!rating) {
            co_return std::nullopt;
        }
        answer.kind = ResidentAnswer::Kind::rating;
        answer.satisfaction = rating->satisfaction;
        answer.score = rating->score;
    }
    Response response;
    response.persist = [this, conversation, id = ask.ticket.id, answer, now = clock_.now()](
                           SQLite::Database& db, Reply& reply) {
        auto said = tickets_->resident_answer(db, conversation, id, answer, now);
        reply.texts.clear();
        if (!said.empty()) {
            reply.texts.push_back(std::move(said));
        }
    };
    co_return response;
}

asio::awaitable<Response> DialogResponder::wake(const std::string& conversation_key) {
    auto state = co_await load(conversation_key);
    dialogs::Event event;
    event.kind = dialogs::Event::Kind::expire;
    event.resident = conversation_key;
    auto turn = dialogs_.step(state, event, clock_.now());
    co_return answer(conversation_key, std::string(), std::move(turn), std::string());
}

void DialogResponder::register_timers(Scheduler& scheduler) {
    if (tickets_ == nullptr) {
        return;
    }
    durable_expiry_ = true;
    scheduler.handle("dialog_expiry", [this](SQLite::Database& db, const store::Timer& timer,
                                             Clock::time_point now) { expire(db, timer, now); });
}

void DialogResponder::expire(SQLite::Database& db, const store::Timer& timer, Clock::time_point now) {
    const auto& conversation = timer.data;
    const auto text = store::load_dialog_state(db, conversation);
    if (!text) {
        return;
    }
    auto state = dialogs::state_from_json(*text);
    if (!state) {
        return;
    }
    dialogs::Event event;
    event.kind = dialogs::Event::Kind::expire;
    event.resident = conversation;
    auto turn = dialogs_.step(*state, event, now);
    store::save_dialog_state(db, conversation, dialogs::to_json(turn.state), millis(now));
    if (turn.expire_at) {
        store::set_timer(db, "D:" + conversation, "dialog_expiry", 0, millis(*turn.expire_at), conversation);
    }
    // The next turn of this resident reads what was just saved, not a cached copy.
    forget(conversation);
    if (!turn.reply.empty()) {
        tickets_->message_resident(
            db, conversation, "D:" + conversation + ":" + std::to_string(timer.due_at_ms), turn.reply, now);
    }
}

void DialogResponder::forget(const std::string& conversation_key) {
    std::lock_guard lock(mutex_);
    cache_.erase(conversation_key);
}

asio::awaitable<dialogs::DialogState> DialogResponder::load(const std::string& conversation) {
    {
        std::lock_guard lock(mutex_);
        if (const auto it = cache_.find(conversation); it != cache_.end()) {
            it->second.used = ++uses_;
            co_return it->second.state;
        }
    }
    auto read = [conversation](SQLite::Database& db) { return store::load_dialog_state(db, conversation); };
    const auto text = co_await store_.run(std::move(read));
    dialogs::DialogState state;
    if (text) {
        if (auto parsed = dialogs::state_from_json(*text)) {
            state = std::move(*parsed);
        } else {
            // Not worth failing the resident's turn over: they start afresh (and are asked their room).
            ANJU_LOG_WARN(dialog_log)
                << "stored dialog state unreadable; starting afresh" << kv("conversation", conversation);
        }
    }
    co_return state;
}

Response DialogResponder::answer(const std::string& conversation, const std::string& channel,
                                 dialogs::DialogTurn turn, std::string source_message) {
    const auto now = clock_.now();
    std::vector<store::DraftRecord> drafts;
    struct Filing {
        std::uint32_t number = 0;
        dialogs::ComplaintDraft draft;
        std::string ref;
    };
    std::vector<Filing> filings;
    struct Followup {
        std::string ref;
        std::string text;
        std::string attachments;
    };
    std::vector<Followup> followups;
    for (auto& action : turn.actions) {
        switch (action.kind) {
            case dialogs::Action::Kind::submit:
            case dialogs::Action::Kind::handover:
                drafts.push_back(
                    draft_record(action.draft, conversation, action.number, source_message, now));
                ANJU_LOG_INFO(dialog_log)
                    << (action.kind == dialogs::Action::Kind::submit ? "complaint filed"
                                                                     : "complaint handed over")
                    << kv("ref", drafts.back().ref) << kv("category", action.draft.category)
                    << kv("urgency", dialogs::to_string(action.draft.urgency));
                if (tickets_ != nullptr) {
                    filings.push_back({action.number, action.draft, drafts.back().ref});
                }
                break;
            case dialogs::Action::Kind::attach:
                followups.push_back({draft_ref(conversation, action.number), action.text,
                                     dialogs::attachments_json(action.attachments)});
                break;
            case dialogs::Action::Kind::progress:
                break;  // answered in the reply (from the tickets when there are tickets)
        }
    }
    remember(conversation, turn.state);

    Response response;
    if (!turn.reply.empty()) {
        response.reply.texts.push_back(std::move(turn.reply));
    }
    if (!durable_expiry_) {
        response.wake_at = turn.expire_at;
    }
    response.persist = [this, conversation, channel = channel.empty() ? std::string("wechat_mp") : channel,
                        state = dialogs::to_json(turn.state), now, drafts = std::move(drafts),
                        filings = std::move(filings), followups = std::move(followups),
                        expire_at = turn.expire_at](SQLite::Database& db, Reply& reply) {
        store::save_dialog_state(db, conversation, state, millis(now));
        if (durable_expiry_) {
            if (expire_at) {
                store::set_timer(db, "D:" + conversation, "dialog_expiry", 0, millis(*expire_at),
                                 conversation);
            } else {
                store::cancel_timer(db, "D:" + conversation);
            }
        }
        for (const auto& d : drafts) {
            store::insert_draft(db, d);
        }
        for (const auto& f : followups) {
            store::insert_followup(db, f.ref, f.text, f.attachments, millis(now));
        }
        for (const auto& f : filings) {
            const auto filed = tickets_->file(db, f.draft, conversation, channel, f.ref, now);
            std::string line = "工单号：" + filed.ticket.code;
            if (filed.duplicate) {
                line = "这个问题此前已登记（工单号：" + filed.ticket.code +
                       "），正在处理中，您这次的反映已补充进去。";
            }
            if (!filed.group_code.empty()) {
                line += "（已并入群体投诉 " + filed.group_code + "，由项目经理牵头处理）";
            }
            const auto placeholder = dialogs::ticket_placeholder(f.number);
            for (auto& text : reply.texts) {
                if (const auto at = text.find(placeholder); at != std::string::npos) {
                    text.replace(at, placeholder.size(), line);
                }
            }
        }
    };
    return response;
}

void DialogResponder::remember(const std::string& conversation, const dialogs::DialogState& state) {
    std::lock_guard lock(mutex_);
    auto& entry = cache_[conversation];
    entry.state = state;
    entry.used = ++uses_;
    if (cache_.size() <= options_.cache_size) {
        return;
    }
    if (cache_.size() < 8) {
        cache_.clear();  // a cache this small is no cache
        return;
    }
    // Evict the least recently used eighth in one pass, so eviction stays rare.
    std::vector<std::uint64_t> uses;
    uses.reserve(cache_.size());
    for (const auto& [key, cached] : cache_) {
        uses.push_back(cached.used);
    }
    const auto cut = uses.begin() + static_cast<std::ptrdiff_t>(uses.size() / 8);
    std::nth_element(uses.begin(), cut, uses.end());
    const auto threshold = *cut;
    std::erase_if(cache_, [threshold](const auto& item) { return item.second.used < threshold; });
}

}  // namespace anju::runtime
