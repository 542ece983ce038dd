// The dialog engine behind the WeChat Official Account, end to end: the real Application on
// loopback with the shipped dialogs (config/dialogs), pushes signed (and encrypted) as WeChat sends
// them, a real SQLite file, and a fake WeChat API (real HTTP on 127.0.0.1) that receives what the
// bot sends outside a passive reply. A resident goes from "电梯坏了" to a confirmed complaint draft.
#include "adapters/common/wx_crypt.hpp"
#include "adapters/common/xml.hpp"
#include "tests/support/app_runner.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/fake_wechat_api.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <functional>

namespace anju::testing {
namespace {

using namespace std::chrono_literals;
using adapters::wx_signature;
using adapters::WxCrypt;
using Mode = config::WeChatMpConfig::Mode;

constexpr std::string_view kToken = "pamtest";
constexpr std::string_view kAesKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
constexpr std::string_view kAppId = "wxb11529c136998cb6";
constexpr std::string_view kOriginalId = "gh_7f083739789a";
const std::string kSource = ANJU_SOURCE_DIR;

struct Draft {
    std::string ref, resident, building, unit, room, nature, category, urgency, description, expectation;
    nlohmann::json slots, evidence, attachments;
    bool confirmed = false;
    bool needs_call = false;
    std::string source_message;
};

class DialogChannelTest : public ::testing::Test {
protected:
    config::Config make_config() {
        auto c = test_config(dir_.path());
        c.dialogs.settings.enabled = true;
        c.dialogs.settings.expire_after = 30min;
        auto loaded = config::load_dialogs(kSource + "/config/dialogs", c.dialogs);
        EXPECT_TRUE(loaded);
        for (const auto mode : {Mode::plain, Mode::safe}) {
            config::WeChatMpConfig a;
            a.id = mode == Mode::plain ? "plain" : "safe";
            a.app_id = fake_.options().app_id;
            a.app_secret = Secret(fake_.options().app_secret);
            a.token = Secret(std::string(kToken));
            a.encoding_aes_key = Secret(std::string(kAesKey));
            a.mode = mode;
            a.api_base = fake_.base_url();
            a.reply_deadline = 3s;
            c.channels.wechat_mp.push_back(std::move(a));
        }
        return c;
    }

    void start() { runner_ = std::make_unique<AppRunner>(make_config(), clock_); }

    std::int64_t now_s() const {
        return std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
    }

    // Sends what the resident `openid` types to account `mode` and returns the bot's passive reply
    // text (decrypted and signature-checked in safe mode).
    std::string say(const std::string& text, Mode mode = Mode::safe,
                    const std::string& openid = "oResident") {
        return push(text_xml(openid, text), mode);
    }

    std::string text_xml(const std::string& openid, const std::string& text) {
        return "<xml><ToUserName><![CDATA[" + std::string(kOriginalId) +
               "]]></ToUserName><FromUserName><![CDATA[" + openid + "]]></FromUserName><CreateTime>" +
               std::to_string(now_s()) +
               "</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[" + text +
               "]]></Content><MsgId>" + std::to_string(++msg_id_) + "</MsgId></xml>";
    }

    std::string push(const std::string& xml, Mode mode) {
        const auto ts = std::to_string(now_s());
        const std::string nonce = "n" + std::to_string(msg_id_);
        std::string url = std::string("/wechat/mp/") + (mode == Mode::plain ? "plain" : "safe") +
                          "?signature=" + wx_signature({kToken, ts, nonce}) + "&timestamp=" + ts +
                          "&nonce=" + nonce + "&openid=oResident";
        std::string body = xml;
        if (mode == Mode::safe) {
            const auto encrypt = crypt_.encrypt(xml);
            url += "&encrypt_type=aes&msg_signature=" + wx_signature({kToken, ts, nonce, encrypt});
            body = "<xml><ToUserName><![CDATA[" + std::string(kOriginalId) +
                   "]]></ToUserName><Encrypt><![CDATA[" + encrypt + "]]></Encrypt></xml>";
        }
        net::HttpRequest request;
        request.method = "POST";
        request.url = url;
        request.body = body;
        request.headers = {{"Content-Type", "text/xml"}};
        auto r = runner_->send(std::move(request));
        EXPECT_TRUE(r);
        if (!r) {
            return {};
        }
        EXPECT_EQ(r->status, 200);
        std::string document = r->body;
        if (mode == Mode::safe) {
            auto envelope = adapters::parse_fields(r->body);
            EXPECT_TRUE(envelope) << r->body;
            if (!envelope) {
                return {};
            }
            const auto encrypt = envelope->value_or("Encrypt", "");
            EXPECT_EQ(envelope->value_or("MsgSignature", ""),
                      wx_signature({kToken, envelope->value_or("TimeStamp", ""),
                                    envelope->value_or("Nonce", ""), encrypt}));
            auto plain = crypt_.decrypt(encrypt);
            EXPECT_TRUE(plain);
            document = plain ? *plain : std::string();
        }
        auto fields = adapters::parse_fields(document);
        return fields ? std::string(fields->value_or("Content", "")) : std::string();
    }

    std::vector<Draft> drafts() {
        SQLite::Database db((dir_.path() / "var" / "anju.db").string(), SQLite::OPEN_READONLY);
        SQLite::Statement q(
            db,
            "SELECT ref, resident, building, unit, room, nature, category, urgency, description,"
            " expectation, slots, evidence, attachments, confirmed, needs_call, source_message"
            " FROM complaint_drafts ORDER BY id");
        std::vector<Draft> out;
        while (q.executeStep()) {
            Draft d;
            int c = 0;
            for (auto* s : {&d.ref, &d.resident, &d.building, &d.unit, &d.room, &d.nature, &d.category,
                            &d.urgency, &d.description, &d.expectation}) {
                *s = q.getColumn(c++).getString();
            }
            d.slots = nlohmann::json::parse(q.getColumn(c++).getString());
            d.evidence = nlohmann::json::parse(q.getColumn(c++).getString());
            d.attachments = nlohmann::json::parse(q.getColumn(c++).getString());
            d.confirmed = q.getColumn(c++).getInt() != 0;
            d.needs_call = q.getColumn(c++).getInt() != 0;
            d.source_message = q.getColumn(c++).getString();
            out.push_back(std::move(d));
        }
        return out;
    }

    std::string dialog_state(const std::string& conversation) {
        SQLite::Database db((dir_.path() / "var" / "anju.db").string(), SQLite::OPEN_READONLY);
        SQLite::Statement q(db, "SELECT state FROM dialog_sessions WHERE conversation = ?");
        q.bind(1, conversation);
        return q.executeStep() ? q.getColumn(0).getString() : std::string();
    }

    bool eventually(const std::function<bool()>& done, std::chrono::milliseconds cap = 10s) {
        const auto deadline = std::chrono::steady_clock::now() + cap;
        while (!done()) {
            if (std::chrono::steady_clock::now() > deadline) {
                return false;
            }
            std::this_thread::sleep_for(5ms);
        }
        return true;
    }

    static bool has(const std::string& text, std::string_view part) {
        return text.find(part) != std::string::npos;
    }

    TempDir dir_;
    FakeClock clock_;
    FakeWeChatApi fake_{FakeWeChatApiOptions{.app_id = std::string(kAppId)}};
    WxCrypt crypt_ = WxCrypt::create(kAesKey, std::string(kAppId)).value();
    std::unique_ptr<AppRunner> runner_;
    int msg_id_ = 7000;
};

TEST_F(DialogChannelTest, AResidentGoesFromABrokenElevatorToAConfirmedComplaint) {
    start();
    auto reply = say("电梯坏了");
    EXPECT_TRUE(has(reply, "电梯")) << reply;  // the problem acknowledged first
    EXPECT_TRUE(has(reply, "房号")) << reply;  // first contact: the room, once
    reply = say("3栋2单元501");
    EXPECT_TRUE(has(reply, "3栋2单元501")) << reply;
    EXPECT_TRUE(has(reply, "哪一部电梯")) << reply;
    reply = say("2号梯");
    EXPECT_TRUE(has(reply, "被困")) << reply;
    reply = say("没有");
    EXPECT_TRUE(has(reply, "什么情况")) << reply;
    reply = say("停在5楼不动了");
    EXPECT_TRUE(has(reply, "您是说")) << reply;
    EXPECT_TRUE(has(reply, "3栋2单元501")) << reply;
    EXPECT_TRUE(has(reply, "2号梯")) << reply;
    EXPECT_TRUE(has(reply, "没有人被困")) << reply;
    EXPECT_TRUE(has(reply, "希望")) << reply;
    EXPECT_TRUE(has(reply, "对吗")) << reply;
    EXPECT_TRUE(drafts().empty());  // nothing is filed before the resident confirms
    reply = say("对的");
    EXPECT_TRUE(has(reply, "已为您登记电梯问题")) << reply;

    const auto filed = drafts();
    ASSERT_EQ(filed.size(), 1U);
    const auto& d = filed.front();
    EXPECT_EQ(d.ref, "wechat_mp/safe/oResident#1");
    EXPECT_EQ(d.resident, "wechat_mp/safe/oResident");
    EXPECT_EQ(d.building, "3");
    EXPECT_EQ(d.unit, "2");
    EXPECT_EQ(d.room, "501");
    EXPECT_EQ(d.nature, "facility");
    EXPECT_EQ(d.category, "elevator");
    EXPECT_EQ(d.urgency, "normal");
    EXPECT_EQ(d.description, "电梯坏了");
    EXPECT_TRUE(has(d.expectation, "检修")) << d.expectation;
    EXPECT_EQ(d.slots.value("elevator", ""), "2");
    EXPECT_EQ(d.slots.value("trapped", true), false);
    EXPECT_EQ(d.slots.value("floor", ""), "5");
    EXPECT_FALSE(d.evidence.empty());
    EXPECT_TRUE(d.confirmed);
    EXPECT_FALSE(d.needs_call);
    EXPECT_FALSE(d.source_message.empty());
    // The dialog is idle again and remembers the room.
    const auto state = nlohmann::json::parse(dialog_state("wechat_mp/safe/oResident"));
    EXPECT_EQ(state.value("phase", ""), "idle") << state.dump();
    EXPECT_TRUE(has(state.dump(), "501")) << state.dump();
}

TEST_F(DialogChannelTest, AnEmergencyIsFiledAtOnceWithSafetyAdvice) {
    start();
    const auto reply = say("3栋2单元的电梯卡在5楼，里面有个老人被困！", Mode::plain);
    EXPECT_TRUE(has(reply, "紧急")) << reply;
    EXPECT_TRUE(has(reply, "15分钟")) << reply;
    EXPECT_TRUE(has(reply, "不要强行扒门")) << reply;
    EXPECT_FALSE(has(reply, "对吗")) << reply;  // no restatement, no questions
    const auto filed = drafts();
    ASSERT_EQ(filed.size(), 1U);
    EXPECT_EQ(filed[0].urgency, "emergency");
    EXPECT_EQ(filed[0].category, "elevator");
    EXPECT_EQ(filed[0].slots.value("trapped", false), true);
    EXPECT_EQ(filed[0].slots.value("floor", ""), "5");
    EXPECT_EQ(filed[0].resident, "wechat_mp/plain/oResident");
}

TEST_F(DialogChannelTest, AnAbandonedDialogExpiresWithANoteSentAsynchronously) {
    start();
    auto reply = say("楼上漏水到我家了");
    EXPECT_TRUE(has(reply, "房号")) << reply;
    clock_.advance(29min);
    std::this_thread::sleep_for(50ms);
    EXPECT_TRUE(fake_.custom_messages().empty());
    clock_.advance(2min);
    ASSERT_TRUE(eventually([this] { return !fake_.custom_messages().empty(); }));
    const auto sent = fake_.custom_messages().front();
    EXPECT_EQ(sent.touser, "oResident");
    EXPECT_TRUE(has(sent.text, "作废")) << sent.text;
    ASSERT_TRUE(
        eventually([this] { return has(dialog_state("wechat_mp/safe/oResident"), "\"phase\":\"idle\""); }));
    EXPECT_TRUE(drafts().empty());
    // The resident starts again and is not asked for the room a second time.
    reply = say("楼上漏水到我家了");
    EXPECT_FALSE(has(reply, "作废")) << reply;
}

TEST_F(DialogChannelTest, TheDialogSurvivesARestart) {
    start();
    say("楼道灯坏了");
    say("5栋1单元302");
    runner_->stop();
    runner_.reset();
    start();
    // The pending question is still the dialog's; its answer carries on where it stopped.
    auto reply = say("5楼楼道");
    EXPECT_TRUE(has(reply, "您是说5楼楼道的灯不亮")) << reply;
    reply = say("对");
    EXPECT_TRUE(has(reply, "已为您登记")) << reply;
    // A second complaint after the restart: the room is remembered, the number continues.
    reply = say("半夜装修吵死了");
    EXPECT_FALSE(has(reply, "房号")) << reply;
    const auto filed = drafts();
    ASSERT_EQ(filed.size(), 1U);
    EXPECT_EQ(filed[0].category, "lighting");
    EXPECT_EQ(filed[0].room, "302");
    say("取消");
    say("3号楼电梯困人了");
    const auto after = drafts();
    ASSERT_EQ(after.size(), 2U);
    EXPECT_EQ(after[1].ref, "wechat_mp/safe/oResident#2");
}

TEST_F(DialogChannelTest, ARedeliveredConfirmationFilesOneComplaint) {
    start();
    for (const char* text : {"电梯坏了", "3栋2单元501", "2号梯", "没有", "停在5楼不动"}) {
        say(text, Mode::plain);
    }
    const auto yes = text_xml("oResident", "对");
    EXPECT_TRUE(has(push(yes, Mode::plain), "已为您登记"));
    push(yes, Mode::plain);  // WeChat's retry of the same MsgId
    ASSERT_EQ(drafts().size(), 1U);
    // The retry did not move the dialog either: a new "对" now has nothing to confirm.
    const auto reply = say("对", Mode::plain);
    EXPECT_FALSE(has(reply, "已为您登记")) << reply;
    EXPECT_EQ(drafts().size(), 1U);
}

TEST_F(DialogChannelTest, ResidentsAreKeptApart) {
    start();
    say("电梯坏了", Mode::safe, "oAlice");
    say("3栋2单元501", Mode::safe, "oAlice");
    const auto bob = say("电梯坏了", Mode::safe, "oBob");
    EXPECT_TRUE(has(bob, "房号")) << bob;  // Alice's room is hers
    const auto alice = say("3号梯", Mode::safe, "oAlice");
    EXPECT_TRUE(has(alice, "被困")) << alice;
}

TEST_F(DialogChannelTest, DialogsThatDoNotCompileStopTheStartWithTheProblem) {
    auto c = make_config();
    c.dialogs.flows.front().category = "no_such_category";
    try {
        AppRunner runner(std::move(c), clock_);
        FAIL() << "started with a broken flow";
    } catch (const std::runtime_error& e) {
        EXPECT_TRUE(has(e.what(), "no_such_category")) << e.what();
    }
}

}  // namespace
}  // namespace anju::testing
