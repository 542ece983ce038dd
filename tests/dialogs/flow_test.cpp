// Whole conversations through the pure dialog (Dialogs::step) with the shipped config: the elevator
// flow to a confirmed submission, emergencies dispatched at once, the room asked once and changed,
// corrections, cancelling, progress questions, two problems in one message, follow-ups, expiry,
// handover, small talk, odd input, and Dialogs::create rejecting broken configs. Each conversation
// is a table of turns (message → reply substrings, actions); time is a fixed point moved by hand.
#include "dialogs/flow.hpp"

#include "config/config.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace anju::dialogs {
namespace {

using namespace std::chrono_literals;

const std::string kResident = "wechat_mp/gh_test/resident-1";
// 2026-11-27 09:00 Asia/Shanghai.
const Clock::time_point kStart = std::chrono::sys_days{std::chrono::year{2026} / 11 / 27} + 1h;

// An action the turn must produce. Which fields are checked depends on the kind.
struct Expected {
    Action::Kind kind = Action::Kind::submit;
    std::string category{};  // submit, handover
    Urgency urgency = Urgency::normal;
    std::string room{};  // Room::display() of the draft; submit, handover
    std::vector<std::pair<std::string, std::string>> slots{};
    bool confirmed = false;
    bool needs_call = false;
    std::uint32_t number = 0;  // submit, handover, attach
    std::string text{};        // attach
    std::size_t attachments = 0;
};

// One message of the resident and what must come back.
struct Turn {
    std::string text{};
    std::vector<std::string> says{};       // substrings of the reply
    std::vector<std::string> never = {};   // substrings the reply must not contain
    std::vector<Expected> actions = {};    // exactly these actions, in order
    MessageKind kind = MessageKind::text;  // image: the message carries one picture
};

struct Conversation {
    std::string name;
    std::vector<Turn> turns;
};

std::vector<Turn> operator+(std::vector<Turn> a, const std::vector<Turn>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

std::string_view kind_name(Action::Kind kind) {
    switch (kind) {
        case Action::Kind::submit:
            return "submit";
        case Action::Kind::handover:
            return "handover";
        case Action::Kind::attach:
            return "attach";
        case Action::Kind::progress:
            return "progress";
    }
    return "?";
}

// `turns` without the first `front` and the last `back` turns.
std::vector<Turn> trim(std::vector<Turn> turns, std::size_t front, std::size_t back) {
    turns.erase(turns.end() - static_cast<std::ptrdiff_t>(back), turns.end());
    turns.erase(turns.begin(), turns.begin() + static_cast<std::ptrdiff_t>(front));
    return turns;
}

std::string slot(const SlotMap& slots, std::string_view name) {
    const auto value = slots.get(name);
    return value ? std::string(*value) : std::string("<none>");
}

Attachment picture() { return {"image", "media-1", "http://mmbiz.example/1.jpg", ""}; }

// The elevator complaint of a first contact, from "电梯坏了" to the confirmed submission.
std::vector<Turn> elevator_complaint() {
    return {
        {.text = "电梯坏了", .says = {"电梯出问题", "房号"}, .never = {"您是说"}},
        {.text = "3栋2单元501", .says = {"3栋2单元501", "哪一部电梯"}},
        {.text = "2号梯", .says = {"有人被困吗"}},
        {.text = "没有", .says = {"什么情况"}},
        {.text = "停在5楼不动",
         .says = {"您是说", "3栋2单元501", "停在5楼不动", "2号梯", "没有人被困", "希望尽快派人检修", "对吗"}},
        {.text = "对",
         .says = {"已为您登记电梯问题"},
         .never = {"您是说"},
         .actions = {{.kind = Action::Kind::submit,
                      .category = "elevator",
                      .room = "3栋2单元501",
                      .slots = {{"elevator", "2"}, {"trapped", "false"}, {"symptom", "停在5楼不动"}},
                      .confirmed = true,
                      .number = 1}}},
    };
}

// A water leak told by a resident whose room is known, submitted as complaint `number` for `room`.
std::vector<Turn> water_leak_complaint(const std::string& room, std::uint32_t number) {
    return {
        {.text = "楼上漏水到我家了", .says = {"漏水", "还在漏吗"}, .never = {"房号"}},
        {.text = "还在漏", .says = {"您是说", room, "还在漏", "对吗"}},
        {.text = "对",
         .says = {"已为您登记漏水问题"},
         .actions = {{.kind = Action::Kind::submit,
                      .category = "water_leak",
                      .room = room,
                      .slots = {{"place", "home"}, {"still", "true"}},
                      .confirmed = true,
                      .number = number}}},
    };
}

class FlowTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        config_.emplace();
        const auto loaded = config::load_dialogs(ANJU_SOURCE_DIR "/config/dialogs", *config_);
        if (!loaded) {
            problem_ = loaded.error().items.front().to_string();
            return;
        }
        auto created = Dialogs::create(*config_);
        if (!created) {
            problem_ = created.error().front();
            return;
        }
        dialogs_.emplace(std::move(*created));
    }
    static void TearDownTestSuite() {
        dialogs_.reset();
        config_.reset();
    }

    void SetUp() override { ASSERT_TRUE(dialogs_) << problem_; }

    // One resident talking to the dialog; a minute passes before each message.
    DialogTurn send(Event event, Clock::duration after = 1min) {
        event.resident = kResident;
        now_ += after;
        auto turn = dialogs_->step(state_, event, now_);
        state_ = turn.state;
        return turn;
    }
    DialogTurn say(std::string text, Clock::duration after = 1min) {
        Event event;
        event.text = std::move(text);
        return send(std::move(event), after);
    }
    DialogTurn expire_event(Clock::duration after) {
        Event event;
        event.kind = Event::Kind::expire;
        return send(std::move(event), after);
    }

    // Plays `turns` and checks every reply and action.
    void play(const std::vector<Turn>& turns) {
        for (std::size_t i = 0; i < turns.size(); ++i) {
            const auto& t = turns[i];
            SCOPED_TRACE("turn " + std::to_string(i + 1) + ": " + t.text);
            Event event;
            event.text = t.text;
            event.message_kind = t.kind;
            if (t.kind == MessageKind::image) {
                event.attachments.push_back(picture());
            }
            const auto turn = send(std::move(event));
            for (const auto& part : t.says) {
                EXPECT_NE(turn.reply.find(part), std::string::npos) << "missing \"" << part << "\" in:\n"
                                                                    << turn.reply;
            }
            for (const auto& part : t.never) {
                EXPECT_EQ(turn.reply.find(part), std::string::npos) << "unexpected \"" << part << "\" in:\n"
                                                                    << turn.reply;
            }
            check_actions(turn.actions, t.actions);
            // A dialog waiting for an answer asks to be woken; an idle one does not.
            EXPECT_EQ(turn.expire_at.has_value(), !turn.state.idle());
        }
    }

    static void check_actions(const std::vector<Action>& actual, const std::vector<Expected>& expected) {
        ASSERT_EQ(actual.size(), expected.size());
        for (std::size_t i = 0; i < expected.size(); ++i) {
            const auto& a = actual[i];
            const auto& e = expected[i];
            SCOPED_TRACE("action " + std::to_string(i + 1) + ": " + std::string(kind_name(e.kind)));
            ASSERT_EQ(kind_name(a.kind), kind_name(e.kind));
            if (e.kind == Action::Kind::submit || e.kind == Action::Kind::handover) {
                EXPECT_EQ(a.number, e.number);
                EXPECT_EQ(a.draft.category, e.category);
                EXPECT_EQ(to_string(a.draft.urgency), to_string(e.urgency));
                EXPECT_EQ(a.draft.room.display(), e.room);
                EXPECT_EQ(a.draft.confirmed, e.confirmed);
                EXPECT_EQ(a.draft.needs_call, e.needs_call);
                EXPECT_EQ(a.draft.resident, kResident);
                EXPECT_NE(to_string(a.draft.nature), "none");
                EXPECT_FALSE(a.draft.description.empty());
                EXPECT_FALSE(a.draft.expectation.empty());
                EXPECT_FALSE(a.draft.evidence.empty());
                for (const auto& [name, value] : e.slots) {
                    EXPECT_EQ(slot(a.draft.slots, name), value) << name;
                }
            }
            if (e.kind == Action::Kind::attach) {
                EXPECT_EQ(a.number, e.number);
                EXPECT_EQ(a.text, e.text);
                EXPECT_EQ(a.attachments.size(), e.attachments);
            }
        }
    }

    static inline std::optional<config::DialogsConfig> config_;
    static inline std::optional<Dialogs> dialogs_;
    static inline std::string problem_;

    DialogState state_;
    Clock::time_point now_ = kStart;
};

TEST_F(FlowTest, Conversations) {
    const std::vector<Conversation> conversations = {
        {"elevator, normal, to a confirmed submission", elevator_complaint()},
        {"an emergency is dispatched at once with safety advice",
         {
             {.text = "3号楼电梯困人了，快来",
              .says = {"紧急", "15分钟"},
              .never = {"您是说", "对吗", "房号"},
              .actions = {{.kind = Action::Kind::submit,
                           .category = "elevator",
                           .urgency = Urgency::emergency,
                           .slots = {{"trapped", "true"}, {"building", "3"}},
                           .number = 1}}},
         }},
        {"the room is asked at first contact only",
         elevator_complaint() + water_leak_complaint("3栋2单元501", 2)},
        {"a room changed during a complaint is the room of that complaint",
         elevator_complaint() +
             std::vector<Turn>{
                 {.text = "楼上漏水到我家了", .says = {"还在漏吗"}, .never = {"房号"}},
                 {.text = "换房号", .says = {"新的房号"}},
                 {.text = "5栋1单元302", .says = {"5栋1单元302", "还在漏吗"}},
                 {.text = "还在漏", .says = {"您是说", "5栋1单元302", "对吗"}},
                 {.text = "对",
                  .says = {"已为您登记漏水问题"},
                  .actions = {{.kind = Action::Kind::submit,
                               .category = "water_leak",
                               .room = "5栋1单元302",
                               .confirmed = true,
                               .number = 2}}},
             }},
        {"修改 during confirmation corrects a field, then the resident confirms",
         {
             {.text = "电梯坏了", .says = {"房号"}},
             {.text = "3栋2单元501", .says = {"哪一部电梯"}},
             {.text = "2号梯", .says = {"有人被困吗"}},
             {.text = "没有", .says = {"什么情况"}},
             {.text = "停在5楼不动", .says = {"您是说", "2号梯", "对吗"}},
             {.text = "修改", .says = {"修改哪一项", "电梯编号"}, .never = {"已为您登记"}},
             {.text = "电梯编号", .says = {"哪一部电梯"}},
             {.text = "3号梯", .says = {"您是说", "3号梯", "对吗"}, .never = {"2号梯"}},
             {.text = "对",
              .says = {"已为您登记电梯问题"},
              .actions = {{.kind = Action::Kind::submit,
                           .category = "elevator",
                           .room = "3栋2单元501",
                           .slots = {{"elevator", "3"}, {"trapped", "false"}},
                           .confirmed = true,
                           .number = 1}}},
         }},
        {"a correction given straight away during confirmation",
         {
             {.text = "电梯坏了", .says = {"房号"}},
             {.text = "3栋2单元501", .says = {"哪一部电梯"}},
             {.text = "2号梯", .says = {"有人被困吗"}},
             {.text = "没有", .says = {"什么情况"}},
             {.text = "停在5楼不动", .says = {"2号梯", "对吗"}},
             {.text = "应该是3号梯", .says = {"您是说", "3号梯", "对吗"}, .never = {"2号梯"}},
             {.text = "是的",
              .says = {"已为您登记"},
              .actions = {{.kind = Action::Kind::submit,
                           .category = "elevator",
                           .room = "3栋2单元501",
                           .slots = {{"elevator", "3"}},
                           .confirmed = true,
                           .number = 1}}},
         }},
        {"取消 drops the draft; a second 取消 has nothing to cancel",
         {
             {.text = "电梯坏了", .says = {"房号"}},
             {.text = "3栋2单元501", .says = {"哪一部电梯"}},
             {.text = "取消", .says = {"已取消"}, .never = {"没有正在登记"}},
             {.text = "取消", .says = {"没有正在登记"}},
             {.text = "进度", .says = {"没有登记中的问题"}, .actions = {{.kind = Action::Kind::progress}}},
         }},
        {"取消 at the confirmation",
         {
             {.text = "电梯坏了", .says = {"房号"}},
             {.text = "3栋2单元501", .says = {"哪一部电梯"}},
             {.text = "2号梯", .says = {"有人被困吗"}},
             {.text = "没有", .says = {"什么情况"}},
             {.text = "停在5楼不动", .says = {"对吗"}},
             {.text = "取消", .says = {"已取消"}},
             {.text = "对", .says = {}, .never = {"已为您登记"}},
         }},
        {"取消 with nothing open", {{.text = "取消", .says = {"没有正在登记"}}}},
        {"进度 mid-dialog lists complaints and re-asks, then the dialog resumes",
         {
             {.text = "电梯坏了", .says = {"房号"}},
             {.text = "3栋2单元501", .says = {"哪一部电梯"}},
             {.text = "进度",
              .says = {"您登记的问题", "电梯：正在登记中", "继续刚才的问题", "哪一部电梯"},
              .actions = {{.kind = Action::Kind::progress}}},
             {.text = "2号梯", .says = {"有人被困吗"}},
             {.text = "没有", .says = {"什么情况"}},
             {.text = "停在5楼不动", .says = {"您是说", "对吗"}},
             {.text = "进度",
              .says = {"您登记的问题", "正在登记中", "您是说", "对吗"},
              .actions = {{.kind = Action::Kind::progress}}},
             {.text = "对",
              .says = {"已为您登记"},
              .actions = {{.kind = Action::Kind::submit,
                           .category = "elevator",
                           .room = "3栋2单元501",
                           .slots = {{"elevator", "2"}},
                           .confirmed = true,
                           .number = 1}}},
             {.text = "进度",
              .says = {"1. 电梯", "已登记"},
              .never = {"正在登记中"},
              .actions = {{.kind = Action::Kind::progress}}},
         }},
        {"two problems in one message are two submissions",
         {
             {.text = "楼道灯坏了，另外垃圾也没人清", .says = {"灯", "房号"}},
             {.text = "3栋2单元501", .says = {"哪里的灯"}},
             {.text = "3栋2单元楼道", .says = {"您是说", "3栋2单元", "对吗"}},
             {.text = "对",
              .says = {"已为您登记照明问题", "环境卫生", "哪个位置"},
              .actions = {{.kind = Action::Kind::submit,
                           .category = "lighting",
                           .room = "3栋2单元501",
                           .confirmed = true,
                           .number = 1}}},
             {.text = "小区门口", .says = {"您是说", "小区门口", "对吗"}},
             {.text = "对",
              .says = {"已为您登记环境卫生问题"},
              .actions = {{.kind = Action::Kind::submit,
                           .category = "sanitation",
                           .room = "3栋2单元501",
                           .slots = {{"place_detail", "小区门口"}},
                           .confirmed = true,
                           .number = 2}}},
         }},
        {"a follow-up and a picture after submission are attached to the complaint",
         std::vector<Turn>{
             {.text = "楼上漏水到我家了", .says = {"房号"}},
             {.text = "3栋2单元501", .says = {"还在漏吗"}},
         } + trim(water_leak_complaint("3栋2单元501", 1), 1, 0) +
             std::vector<Turn>{
                 {.text = "还有，水是从天花板渗下来的",
                  .says = {"补充的情况", "漏水"},
                  .never = {"房号", "您是说"},
                  .actions =
                      {{.kind = Action::Kind::attach, .number = 1, .text = "还有，水是从天花板渗下来的"}}},
                 {.text = "",
                  .says = {"补充的情况"},
                  .actions = {{.kind = Action::Kind::attach, .number = 1, .attachments = 1}},
                  .kind = MessageKind::image},
             }},
        {"unusable answers are handed over to a person",
         {
             {.text = "电梯坏了", .says = {"房号"}},
             {.text = "3栋2单元501", .says = {"哪一部电梯"}},
             {.text = "2号梯", .says = {"有人被困吗"}},
             {.text = "啊啊啊", .says = {"抱歉没能确认", "有人被困吗"}},
             {.text = "哦哦哦",
              .says = {"工作人员", "打电话"},
              .actions = {{.kind = Action::Kind::handover,
                           .category = "elevator",
                           .room = "3栋2单元501",
                           .slots = {{"elevator", "2"}},
                           .needs_call = true,
                           .number = 1}}},
             {.text = "取消", .says = {"没有正在登记"}},
         }},
        {"a trapped person named in an answer dispatches at once",
         {
             {.text = "电梯坏了", .says = {"房号"}},
             {.text = "3栋2单元501", .says = {"哪一部电梯"}},
             {.text = "2号梯", .says = {"有人被困吗"}},
             {.text = "有人被困",
              .says = {"紧急", "15分钟"},
              .never = {"您是说", "对吗"},
              .actions = {{.kind = Action::Kind::submit,
                           .category = "elevator",
                           .urgency = Urgency::emergency,
                           .room = "3栋2单元501",
                           .slots = {{"elevator", "2"}, {"trapped", "true"}},
                           .number = 1}}},
         }},
        {"small talk gets a short answer and no action",
         {
             {.text = "你好", .says = {"物业服务助手"}},
             {.text = "谢谢", .says = {"不客气"}},
             {.text = "再见", .says = {"随时找我"}},
             {.text = "帮助", .says = {"进度", "人工"}},
         }},
    };
    for (const auto& c : conversations) {
        SCOPED_TRACE(c.name);
        state_ = {};
        now_ = kStart;
        play(c.turns);
    }
}

// Each answer meaning "nobody is trapped" completes the question with trapped=false.
TEST_F(FlowTest, NobodyTrappedAnswers) {
    for (const std::string answer : {"没有", "没有人被困", "没人困在里面", "里面没人", "不是", "2"}) {
        SCOPED_TRACE(answer);
        state_ = {};
        play({
            {.text = "电梯坏了", .says = {"房号"}},
            {.text = "3栋2单元501", .says = {"哪一部电梯"}},
            {.text = "2号梯", .says = {"有人被困吗"}},
            {.text = answer, .says = {"什么情况"}, .never = {"紧急"}},
            {.text = "门关不上", .says = {"没有人被困", "对吗"}},
            {.text = "对",
             .says = {"已为您登记"},
             .actions = {{.kind = Action::Kind::submit,
                          .category = "elevator",
                          .room = "3栋2单元501",
                          .slots = {{"trapped", "false"}, {"symptom", "门关不上"}},
                          .confirmed = true,
                          .number = 1}}},
        });
    }
}

TEST_F(FlowTest, YesAnswersConfirm) {
    for (const std::string answer : {"对", "是", "是的", "嗯", "好的", "1"}) {
        SCOPED_TRACE(answer);
        state_ = {};
        play(trim(elevator_complaint(), 0, 1) + std::vector<Turn>{{.text = answer,
                                                                   .says = {"已为您登记"},
                                                                   .actions = {{.kind = Action::Kind::submit,
                                                                                .category = "elevator",
                                                                                .room = "3栋2单元501",
                                                                                .confirmed = true,
                                                                                .number = 1}}}});
    }
}

// After "换房号" the new room is the default for the next complaint (a regression: it was only
// said back, not kept).
TEST_F(FlowTest, ChangedRoomIsUsedForTheNextComplaint) {
    play(elevator_complaint() +
         std::vector<Turn>{
             {.text = "换房号", .says = {"新的房号"}},
             {.text = "5栋1单元302", .says = {"5栋1单元302"}},
         } +
         water_leak_complaint("5栋1单元302", 2));
    EXPECT_EQ(state_.rooms.at(state_.active_room).display(), "5栋1单元302");
}

// "2#" answering "是哪一部电梯？" is elevator 2, not the free words "2#".
TEST_F(FlowTest, HashElevatorNumberAnswersTheElevatorQuestion) {
    play({
        {.text = "电梯坏了", .says = {"房号"}},
        {.text = "3栋2单元501", .says = {"哪一部电梯"}},
        {.text = "2#", .says = {"有人被困吗"}},
        {.text = "没有", .says = {"什么情况"}},
        {.text = "停在5楼不动", .says = {"是2号梯", "对吗"}, .never = {"2#"}},
        {.text = "对",
         .says = {"已为您登记"},
         .actions = {{.kind = Action::Kind::submit,
                      .category = "elevator",
                      .room = "3栋2单元501",
                      .slots = {{"elevator", "2"}},
                      .confirmed = true,
                      .number = 1}}},
    });
}

// A correction that names the wrong value first ("不是2号梯，是3号梯") takes the right one.
TEST_F(FlowTest, CorrectionNamingTheWrongValueFirstTakesTheRightOne) {
    play(trim(elevator_complaint(), 0, 1) +
         std::vector<Turn>{
             {.text = "不是2号梯，是3号梯", .says = {"您是说", "3号梯", "对吗"}, .never = {"2号梯"}},
             {.text = "对",
              .says = {"已为您登记"},
              .actions = {{.kind = Action::Kind::submit,
                           .category = "elevator",
                           .room = "3栋2单元501",
                           .slots = {{"elevator", "3"}},
                           .confirmed = true,
                           .number = 1}}},
         });
}

// "今天天气不错" is not praise of the service: a remark about the weather gets the short "what I
// can do" answer.
TEST_F(FlowTest, WeatherRemarkGetsTheWhatICanDoAnswer) {
    play({{.text = "今天天气不错", .says = {"物业服务助手", "报修"}, .never = {"肯定"}}});
}

TEST_F(FlowTest, NonComplaintsGetAShortAnswerAndNoAction) {
    for (const std::string text : {"你好", "谢谢", "今天天气不错"}) {
        SCOPED_TRACE(text);
        state_ = {};
        const auto turn = say(text);
        EXPECT_FALSE(turn.reply.empty());
        EXPECT_LE(turn.reply.size(), 300U) << turn.reply;
        EXPECT_TRUE(turn.actions.empty());
        EXPECT_TRUE(turn.state.idle());
        EXPECT_FALSE(turn.expire_at);
        EXPECT_FALSE(turn.state.asked_room);
    }
}

TEST_F(FlowTest, APictureDuringAComplaintGoesWithIt) {
    say("电梯坏了");
    say("3栋2单元501");
    Event image;
    image.message_kind = MessageKind::image;
    image.attachments.push_back(picture());
    const auto turn = send(image);
    EXPECT_TRUE(turn.actions.empty());
    ASSERT_TRUE(turn.state.draft);
    EXPECT_EQ(turn.state.draft->attachments, std::vector<Attachment>{picture()});
    say("2号梯");
    say("没有");
    say("停在5楼不动");
    const auto done = say("对");
    ASSERT_EQ(done.actions.size(), 1U);
    EXPECT_EQ(done.actions[0].draft.attachments, std::vector<Attachment>{picture()});
}

TEST_F(FlowTest, SubscribeIsWelcomed) {
    Event event;
    event.message_kind = MessageKind::subscribe;
    const auto turn = send(event);
    EXPECT_NE(turn.reply.find("物业服务助手"), std::string::npos) << turn.reply;
    EXPECT_TRUE(turn.actions.empty());
    EXPECT_TRUE(turn.state.idle());

    // Following again in the middle of a complaint welcomes and asks the pending question again.
    say("电梯坏了");
    say("3栋2单元501");
    const auto again = send(event);
    EXPECT_NE(again.reply.find("物业服务助手"), std::string::npos) << again.reply;
    EXPECT_NE(again.reply.find("哪一部电梯"), std::string::npos) << again.reply;
    EXPECT_TRUE(again.state.draft);
}

// ---- expiry ----

TEST_F(FlowTest, AWaitingDialogAsksToBeWokenAtExpiry) {
    const auto expire_after = config_->settings.expire_after;
    const auto turn = say("电梯坏了");
    ASSERT_TRUE(turn.expire_at);
    EXPECT_EQ(*turn.expire_at, now_ + expire_after);
    ASSERT_TRUE(turn.state.draft);

    // Each answer moves the deadline.
    const auto next = say("3栋2单元501", 10min);
    ASSERT_TRUE(next.expire_at);
    EXPECT_EQ(*next.expire_at, now_ + expire_after);
}

TEST_F(FlowTest, ExpireEventAfterExpireAfterDropsTheDraft) {
    const auto expire_after = config_->settings.expire_after;
    say("电梯坏了");
    say("3栋2单元501");
    ASSERT_TRUE(state_.draft);

    // A wake-up that comes early (the resident answered since) changes nothing.
    const auto early = expire_event(expire_after / 2);
    EXPECT_EQ(early.reply, "");
    EXPECT_TRUE(early.actions.empty());
    EXPECT_TRUE(early.state.draft);
    EXPECT_EQ(early.state.phase, Phase::asking);

    const auto turn = expire_event(expire_after);
    EXPECT_NE(turn.reply.find("没有完成"), std::string::npos) << turn.reply;
    EXPECT_TRUE(turn.actions.empty());
    EXPECT_FALSE(turn.state.draft);
    EXPECT_EQ(turn.state.phase, Phase::idle);
    EXPECT_TRUE(turn.state.asking.empty());
    EXPECT_TRUE(turn.state.idle());
    EXPECT_FALSE(turn.expire_at);
    // The room is remembered.
    ASSERT_EQ(turn.state.rooms.size(), 1U);
    EXPECT_EQ(turn.state.rooms[0].display(), "3栋2单元501");

    // A second wake-up has nothing to say.
    const auto again = expire_event(expire_after);
    EXPECT_EQ(again.reply, "");
}

TEST_F(FlowTest, AMessageAfterExpireAfterStartsAfresh) {
    const auto expire_after = config_->settings.expire_after;
    say("电梯坏了");
    say("3栋2单元501");
    say("2号梯");
    ASSERT_EQ(state_.asking, "trapped");

    // "没有" would have answered the trapped question; after expiry it answers nothing.
    const auto turn = say("没有", expire_after + 1min);
    EXPECT_NE(turn.reply.find("没有完成"), std::string::npos) << turn.reply;
    EXPECT_EQ(turn.reply.find("什么情况"), std::string::npos) << turn.reply;
    EXPECT_TRUE(turn.actions.empty());
    EXPECT_FALSE(turn.state.draft);
    EXPECT_EQ(turn.state.phase, Phase::idle);

    // A new complaint after expiry is a new draft with nothing of the old one.
    say("3号梯电梯坏了");
    ASSERT_TRUE(state_.draft);
    const auto fresh = say("楼上漏水到我家了", expire_after);
    EXPECT_NE(fresh.reply.find("没有完成"), std::string::npos) << fresh.reply;
    EXPECT_NE(fresh.reply.find("还在漏吗"), std::string::npos) << fresh.reply;
    ASSERT_TRUE(fresh.state.draft);
    EXPECT_EQ(fresh.state.draft->category, "water_leak");
    EXPECT_FALSE(fresh.state.draft->slots.has("elevator"));
    EXPECT_EQ(fresh.state.draft->room.display(), "3栋2单元501");
}

// ---- Dialogs::create ----

TEST_F(FlowTest, CreateRejectsBrokenConfigs) {
    struct Case {
        std::string name;
        std::function<void(config::DialogsConfig&)> breakit;
        std::string problem;  // a substring of one of the problems
    };
    const std::vector<Case> cases = {
        {"a flow for an unknown category",
         [](config::DialogsConfig& c) { c.flows.front().category = "spaceship"; }, "\"spaceship\""},
        {"a missing reply",
         [](config::DialogsConfig& c) {
             std::erase_if(c.replies, [](const auto& r) { return r.first == "restate_suffix"; });
         },
         "restate_suffix"},
        {"a restatement naming an unknown slot",
         [](config::DialogsConfig& c) { c.flows.front().restatement += "{colour}"; }, "{colour}"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto broken = *config_;
        c.breakit(broken);
        const auto created = Dialogs::create(broken);
        ASSERT_FALSE(created);
        const auto& problems = created.error();
        EXPECT_TRUE(std::any_of(problems.begin(), problems.end(), [&](const std::string& p) {
            return p.find(c.problem) != std::string::npos;
        })) << ::testing::PrintToString(problems);
    }
    // The shipped config itself is fine.
    EXPECT_TRUE(Dialogs::create(*config_));
}

// ---- odd input ----

TEST_F(FlowTest, OddInputNeverCrashes) {
    std::string long_text;
    while (long_text.size() < 10 * 1024) {
        long_text += "我家楼上天天晚上装修，吵得睡不着，电梯也经常坏，";
    }
    const std::vector<std::string> odd = {
        "",
        std::string(10 * 1024, 'x'),
        long_text,
        "\xff\xfe\xfd",
        "电梯\xe7\x94坏了\xc3",
        std::string("\0\0\0", 3),
        "😀😀😀",
        "🙏",
        "。。。？？！！",
        "...?!?!",
        "，",
    };
    for (const auto& text : odd) {
        SCOPED_TRACE(::testing::PrintToString(text.substr(0, 40)));
        // When idle, while a question waits, while confirming: always an answer.
        state_ = {};
        EXPECT_FALSE(say(text).reply.empty());
        state_ = {};
        say("电梯坏了");
        say("3栋2单元501");
        say("2号梯");
        EXPECT_FALSE(say(text).reply.empty());
        state_ = {};
        play(trim(elevator_complaint(), 0, 1));
        ASSERT_EQ(state_.phase, Phase::confirming);
        const auto confirming = say(text);
        EXPECT_FALSE(confirming.reply.empty());
        for (const auto& a : confirming.actions) {
            EXPECT_FALSE(a.draft.confirmed) << "odd input confirmed the complaint";
        }
    }
    // Nothing a resident could mean: the "what I can do" answer and no action.
    for (const std::string& text :
         std::vector<std::string>{"", "😀😀😀", "。。。？？！！", "\xff\xfe\xfd", std::string(10 * 1024, 'x')}) {
        SCOPED_TRACE(::testing::PrintToString(text.substr(0, 40)));
        state_ = {};
        const auto turn = say(text);
        EXPECT_NE(turn.reply.find("物业服务助手"), std::string::npos) << turn.reply;
        EXPECT_TRUE(turn.actions.empty());
        EXPECT_TRUE(turn.state.idle());
    }
}

}  // namespace
}  // namespace anju::dialogs
