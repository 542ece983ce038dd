// The JSON form of the dialog state (dialogs/state_json.hpp): a non-trivial state survives the
// round trip field by field, a state saved mid-conversation continues exactly as the original, and
// garbage, wrong types and truncated text never throw (nullopt, or the damaged parts read as fresh).
// Also the JSON helpers used for complaint drafts (slots, strings, attachments).
#include "dialogs/state_json.hpp"

#include "config/config.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace anju::dialogs {
namespace {

using namespace std::chrono_literals;

// Whole milliseconds: the JSON keeps times to the millisecond.
const Clock::time_point kNoon = std::chrono::sys_days{std::chrono::year{2026} / 11 / 27} + 4h + 123ms;

SlotMap slots(std::initializer_list<std::pair<std::string, std::string>> items) {
    SlotMap map;
    for (const auto& [name, value] : items) {
        map.set(name, value);
    }
    return map;
}

DialogState sample_state() {
    DialogState s;
    s.rooms = {{"3", "2", "501"}, {"A", "", "1203"}, {"", "", "88"}};
    s.active_room = 1;
    s.asked_room = true;
    s.phase = Phase::editing;
    s.resume = Phase::confirming;
    ComplaintDraft d;
    d.resident = "wechat_mp/gh_1/o-resident";
    d.room = {"A", "", "1203"};
    d.nature = Nature::facility;
    d.category = "water_leak";
    d.urgency = Urgency::emergency;
    d.slots =
        slots({{"place", "home"}, {"still", "true"}, {"source", "天花板 \"渗\"\n下来 😭"}, {"floor", "-1"}});
    d.description = "楼上漏水到我家了，水\"哗哗\"的\n\\ 快来 🙏";
    d.expectation = "希望今天修好";
    d.evidence = {"category:漏水", "emergency:哗哗"};
    d.attachments = {{"image", "media-1", "http://mmbiz.example/1.jpg", ""}, {"voice", "media-2", "", "amr"}};
    s.draft = d;
    s.asking = "still";
    s.attempts = 2;
    Finding lights;
    lights.nature = Nature::facility;
    lights.category = "lighting";
    lights.slots = slots({{"place", "public"}});
    lights.evidence = {"category:楼道灯"};
    lights.text = "另外楼道灯也坏了";
    Finding fee;
    fee.nature = Nature::fee;
    fee.category = "fee_dispute";
    fee.urgency = Urgency::difficult;
    fee.evidence = {"category:物业费", "difficult:好几年"};
    fee.text = "物业费多收好几年了";
    s.queue = {lights, fee};
    s.recent = {{1, "elevator", Urgency::normal, "电梯坏了", kNoon - 3h},
                {2, "gas", Urgency::emergency, "闻到煤气味", kNoon - 1h}};
    s.submitted = 2;
    s.updated_at = kNoon;
    return s;
}

// DialogState's own == is unusable (Finding has none); this compares every field the JSON keeps.
// Finding::emergency_kind and score, and a draft's confirmed/needs_call/handover_reason, are not
// part of a state between messages (a draft is confirmed or handed over when it leaves the state).
void expect_same(const DialogState& a, const DialogState& b) {
    EXPECT_EQ(a.rooms, b.rooms);
    EXPECT_EQ(a.active_room, b.active_room);
    EXPECT_EQ(a.asked_room, b.asked_room);
    EXPECT_EQ(static_cast<int>(a.phase), static_cast<int>(b.phase));
    EXPECT_EQ(static_cast<int>(a.resume), static_cast<int>(b.resume));
    ASSERT_EQ(a.draft.has_value(), b.draft.has_value());
    if (a.draft) {
        const auto& x = *a.draft;
        const auto& y = *b.draft;
        EXPECT_EQ(x.resident, y.resident);
        EXPECT_EQ(x.room, y.room);
        EXPECT_EQ(to_string(x.nature), to_string(y.nature));
        EXPECT_EQ(x.category, y.category);
        EXPECT_EQ(to_string(x.urgency), to_string(y.urgency));
        EXPECT_EQ(x.slots, y.slots);
        EXPECT_EQ(x.description, y.description);
        EXPECT_EQ(x.expectation, y.expectation);
        EXPECT_EQ(x.evidence, y.evidence);
        EXPECT_EQ(x.attachments, y.attachments);
    }
    EXPECT_EQ(a.asking, b.asking);
    EXPECT_EQ(a.attempts, b.attempts);
    ASSERT_EQ(a.queue.size(), b.queue.size());
    for (std::size_t i = 0; i < a.queue.size(); ++i) {
        SCOPED_TRACE("queue " + std::to_string(i));
        EXPECT_EQ(to_string(a.queue[i].nature), to_string(b.queue[i].nature));
        EXPECT_EQ(a.queue[i].category, b.queue[i].category);
        EXPECT_EQ(to_string(a.queue[i].urgency), to_string(b.queue[i].urgency));
        EXPECT_EQ(a.queue[i].slots, b.queue[i].slots);
        EXPECT_EQ(a.queue[i].evidence, b.queue[i].evidence);
        EXPECT_EQ(a.queue[i].text, b.queue[i].text);
    }
    ASSERT_EQ(a.recent.size(), b.recent.size());
    for (std::size_t i = 0; i < a.recent.size(); ++i) {
        SCOPED_TRACE("recent " + std::to_string(i));
        EXPECT_EQ(a.recent[i].number, b.recent[i].number);
        EXPECT_EQ(a.recent[i].category, b.recent[i].category);
        EXPECT_EQ(to_string(a.recent[i].urgency), to_string(b.recent[i].urgency));
        EXPECT_EQ(a.recent[i].summary, b.recent[i].summary);
        EXPECT_EQ(a.recent[i].at, b.recent[i].at);
    }
    EXPECT_EQ(a.submitted, b.submitted);
    EXPECT_EQ(a.updated_at, b.updated_at);
}

// Parses without letting an exception escape the test.
std::optional<DialogState> parse(std::string_view text) {
    std::optional<DialogState> state;
    EXPECT_NO_THROW(state = state_from_json(text)) << text;
    return state;
}

TEST(StateJsonTest, RoundTripKeepsEveryField) {
    const auto original = sample_state();
    const auto text = to_json(original);
    const auto back = parse(text);
    ASSERT_TRUE(back) << text;
    expect_same(*back, original);
    // And the text is stable.
    EXPECT_EQ(to_json(*back), text);
}

TEST(StateJsonTest, EveryPhaseRoundTrips) {
    for (const auto phase :
         {Phase::idle, Phase::asking_room, Phase::asking, Phase::confirming, Phase::editing}) {
        SCOPED_TRACE(static_cast<int>(phase));
        auto state = sample_state();
        state.phase = phase;
        state.resume = phase;
        const auto back = parse(to_json(state));
        ASSERT_TRUE(back);
        expect_same(*back, state);
    }
}

TEST(StateJsonTest, FreshStateRoundTrips) {
    const DialogState fresh;
    const auto back = parse(to_json(fresh));
    ASSERT_TRUE(back);
    expect_same(*back, fresh);
    EXPECT_TRUE(back->idle());
    EXPECT_FALSE(back->draft);
}

TEST(StateJsonTest, InvalidUtf8IsWrittenAsReplacementCharacters) {
    auto state = sample_state();
    state.draft->description = "电梯\xe7\x94坏了\xff";
    state.draft->slots.set("symptom", "\xc3(");
    std::string text;
    ASSERT_NO_THROW(text = to_json(state));
    const auto back = parse(text);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->draft->description, "电梯\xEF\xBF\xBD坏了\xEF\xBF\xBD");
    EXPECT_EQ(back->draft->slots.get("symptom"), std::optional<std::string_view>("\xEF\xBF\xBD("));
}

TEST(StateJsonTest, GarbageIsNotAState) {
    const std::vector<std::string> garbage = {
        "",
        "   ",
        "null",
        "true",
        "42",
        "\"state\"",
        "[]",
        "[{\"rooms\":[]}]",
        "{",
        "}",
        "{\"rooms\": [",
        "not json at all",
        "\xff\xfe\xfd",
        "{\"phase\": 2,}",
        std::string("{\0}", 3),
    };
    for (const auto& text : garbage) {
        SCOPED_TRACE(::testing::PrintToString(text));
        EXPECT_FALSE(parse(text));
    }
}

TEST(StateJsonTest, TruncatedStateIsNotAState) {
    const auto text = to_json(sample_state());
    for (std::size_t length = 0; length < text.size(); ++length) {
        const auto prefix = text.substr(0, length);
        SCOPED_TRACE(prefix);
        EXPECT_FALSE(parse(prefix));
    }
}

// An object with fields of the wrong type never throws; what is damaged reads as fresh, the rest is
// kept, and the state is never one the dialog cannot continue from.
TEST(StateJsonTest, WrongTypesReadAsFresh) {
    struct Case {
        std::string text;
        std::function<void(const DialogState&)> check;
    };
    const std::vector<Case> cases = {
        {R"({"rooms": 5, "submitted": 3})",
         [](const DialogState& s) {
             EXPECT_TRUE(s.rooms.empty());
             EXPECT_EQ(s.submitted, 3U);
         }},
        {R"({"rooms": [[1, 2, 3], "3栋", ["3", "2", "501"]]})",
         [](const DialogState& s) {
             // Damaged rooms read as unknown rooms; the good one is kept.
             ASSERT_EQ(s.rooms.size(), 3U);
             EXPECT_TRUE(s.rooms[0].empty());
             EXPECT_TRUE(s.rooms[1].empty());
             EXPECT_EQ(s.rooms[2].display(), "3栋2单元501");
         }},
        {R"({"phase": "asking", "asking": 7, "attempts": "2"})",
         [](const DialogState& s) {
             EXPECT_EQ(s.phase, Phase::idle);
             EXPECT_EQ(s.asking, "");
             EXPECT_EQ(s.attempts, 0);
         }},
        {R"({"phase": 99, "resume": -4})",
         [](const DialogState& s) {
             EXPECT_EQ(s.phase, Phase::idle);
             EXPECT_EQ(s.resume, Phase::idle);
         }},
        {R"({"phase": "flying", "resume": "asking"})",
         [](const DialogState& s) {
             EXPECT_EQ(s.phase, Phase::idle);
             EXPECT_EQ(s.resume, Phase::asking);
         }},
        // Waiting for an answer about a draft that is not there: start afresh.
        {R"({"phase": "confirming"})", [](const DialogState& s) { EXPECT_EQ(s.phase, Phase::idle); }},
        {R"({"phase": "asking", "draft": []})",
         [](const DialogState& s) {
             EXPECT_FALSE(s.draft);
             EXPECT_EQ(s.phase, Phase::idle);
         }},
        {R"({"phase": "asking_room"})", [](const DialogState& s) { EXPECT_EQ(s.phase, Phase::asking_room); }},
        {R"({"attempts": 100000, "active_room": -3, "submitted": -1})",
         [](const DialogState& s) {
             EXPECT_EQ(s.attempts, 255);
             EXPECT_EQ(s.active_room, 0);
             EXPECT_EQ(s.submitted, 0U);
         }},
        {R"({"draft": {"category": 5, "urgency": "apocalyptic", "nature": null, "slots": {"a": "b"},
             "evidence": [1, "category:电梯"], "attachments": [3, {"kind": 4, "media_id": "m"}],
             "room": "3栋"}, "phase": "confirming"})",
         [](const DialogState& s) {
             ASSERT_TRUE(s.draft);
             EXPECT_EQ(s.draft->category, "");
             EXPECT_EQ(s.draft->urgency, Urgency::normal);
             EXPECT_EQ(s.draft->nature, Nature::none);
             EXPECT_TRUE(s.draft->slots.empty());
             EXPECT_EQ(s.draft->evidence, std::vector<std::string>{"category:电梯"});
             ASSERT_EQ(s.draft->attachments.size(), 1U);
             EXPECT_EQ(s.draft->attachments[0].media_id, "m");
             EXPECT_TRUE(s.draft->room.empty());
             EXPECT_EQ(s.phase, Phase::confirming);
         }},
        {R"({"draft": {"slots": [["a"], ["b", 2], ["c", "d"], "e"]}, "phase": "asking"})",
         [](const DialogState& s) {
             ASSERT_TRUE(s.draft);
             EXPECT_EQ(s.draft->slots, slots({{"c", "d"}}));
         }},
        {R"({"recent": [5, {"number": "x", "category": "elevator", "at": "yesterday"}]})",
         [](const DialogState& s) {
             ASSERT_FALSE(s.recent.empty());
             EXPECT_EQ(s.recent.back().number, 0U);
             EXPECT_EQ(s.recent.back().category, "elevator");
         }},
        {R"({"asked_room": "yes", "queue": [1, "x", [], {"category": "lighting", "slots": 5}]})",
         [](const DialogState& s) {
             EXPECT_FALSE(s.asked_room);
             ASSERT_FALSE(s.queue.empty());
             EXPECT_EQ(s.queue.back().category, "lighting");
             EXPECT_TRUE(s.queue.back().slots.empty());
         }},
        {R"({"asked_room": 1, "queue": {"category": "lighting"}, "recent": "none"})",
         [](const DialogState& s) {
             EXPECT_FALSE(s.asked_room);
             EXPECT_TRUE(s.queue.empty());
             EXPECT_TRUE(s.recent.empty());
         }},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text);
        const auto state = parse(c.text);
        ASSERT_TRUE(state);
        c.check(*state);
    }
}

// A timestamp beyond what Clock::time_point can hold ("updated_at" or a recent complaint's "at" in
// milliseconds, e.g. INT64_MAX) must not overflow converting to nanoseconds (UBSan would abort):
// it reads as 0, like a timestamp of the wrong type.
TEST(StateJsonTest, HugeTimestampsReadAsFresh) {
    for (const std::string text :
         {R"({"updated_at": 9223372036854775807, "recent": [{"number": 1, "at": 1}]})",
          R"({"recent": [{"number": 1, "at": -9223372036854775807}]})"}) {
        SCOPED_TRACE(text);
        const auto state = parse(text);
        ASSERT_TRUE(state);
        EXPECT_EQ(state->updated_at, Clock::time_point{});
        ASSERT_EQ(state->recent.size(), 1U);
        EXPECT_LE(state->recent[0].at, Clock::time_point{} + 1ms);
    }
}

// ---- a state saved between messages ----

class StateJsonDialogTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        config::DialogsConfig config;
        if (!config::load_dialogs(ANJU_SOURCE_DIR "/config/dialogs", config)) {
            return;
        }
        if (auto created = Dialogs::create(config)) {
            dialogs_.emplace(std::move(*created));
        }
    }
    static void TearDownTestSuite() { dialogs_.reset(); }
    void SetUp() override { ASSERT_TRUE(dialogs_); }

    static inline std::optional<Dialogs> dialogs_;
};

// Every turn of a conversation goes through JSON, as between messages in production, and the
// conversation goes exactly as without.
TEST_F(StateJsonDialogTest, ADialogContinuesTheSameFromItsSavedState) {
    const std::vector<std::string> messages = {
        "楼道灯坏了，另外垃圾也没人清",
        "3栋2单元501",
        "3栋2单元楼道",
        "对",
        "小区门口",
        "修改",
        "我要改一下位置",
        "2号楼门口",
        "对",
        "进度",
        "楼上漏水到我家了",
        "还在漏",
        "对",
        "还有，水是从天花板渗下来的",
    };
    DialogState direct;
    DialogState saved;
    auto now = kNoon;
    for (const auto& text : messages) {
        SCOPED_TRACE(text);
        now += 1min;
        Event event;
        event.text = text;
        event.resident = "resident-1";
        const auto a = dialogs_->step(direct, event, now);
        const auto restored = state_from_json(to_json(saved));
        ASSERT_TRUE(restored);
        const auto b = dialogs_->step(*restored, event, now);
        EXPECT_EQ(b.reply, a.reply);
        EXPECT_EQ(b.expire_at, a.expire_at);
        ASSERT_EQ(b.actions.size(), a.actions.size());
        for (std::size_t i = 0; i < a.actions.size(); ++i) {
            EXPECT_EQ(b.actions[i].kind, a.actions[i].kind);
            EXPECT_EQ(b.actions[i].number, a.actions[i].number);
            EXPECT_EQ(b.actions[i].draft.category, a.actions[i].draft.category);
            EXPECT_EQ(b.actions[i].draft.room, a.actions[i].draft.room);
            EXPECT_EQ(b.actions[i].draft.slots, a.actions[i].draft.slots);
            EXPECT_EQ(b.actions[i].text, a.actions[i].text);
        }
        expect_same(b.state, a.state);
        direct = a.state;
        saved = b.state;
    }
    EXPECT_EQ(direct.submitted, 3U);
}

// ---- JSON for drafts ----

TEST(StateJsonTest, DraftJsonHelpers) {
    EXPECT_EQ(slots_json(slots({{"trapped", "true"}, {"elevator", "2"}, {"symptom", "停在\"5楼\""}})),
              R"({"trapped":true,"elevator":"2","symptom":"停在\"5楼\""})");
    EXPECT_EQ(slots_json(slots({{"trapped", "false"}})), R"({"trapped":false})");
    EXPECT_EQ(slots_json(slots({{"trapped", "unknown"}})), R"({"trapped":"unknown"})");
    EXPECT_EQ(slots_json(SlotMap{}), "{}");
    EXPECT_EQ(strings_json({"category:电梯", "emergency:被困"}), R"(["category:电梯","emergency:被困"])");
    EXPECT_EQ(strings_json({}), "[]");
    EXPECT_EQ(attachments_json({{"image", "m1", "http://x/1.jpg", ""}}),
              R"([{"format":"","kind":"image","media_id":"m1","url":"http://x/1.jpg"}])");
    EXPECT_EQ(attachments_json({}), "[]");
    std::string text;
    EXPECT_NO_THROW(text = strings_json({"\xff"}));
    EXPECT_EQ(text, "[\"\xEF\xBF\xBD\"]");
}

}  // namespace
}  // namespace anju::dialogs
