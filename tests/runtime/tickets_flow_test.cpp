// Tickets end to end on loopback: residents on a WeChat Official Account (safe mode, signed and
// encrypted as WeChat does), staff in WeCom (the app callback and a 智能机器人 in the work group),
// fakes of both platforms' APIs as real HTTP servers on 127.0.0.1, a real SQLite file, and the
// admin API. A complaint becomes a ticket, its card reaches the work group, two engineers race to
// claim it, the resident hears of every step, rejects the first fix, confirms the second and rates
// the service; a walk-in registered by staff follows the same path; twenty households make a group
// complaint; a restart in the middle loses nothing.
#include "adapters/common/wx_crypt.hpp"
#include "adapters/common/xml.hpp"
#include "tests/support/app_runner.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/fake_wechat_api.hpp"
#include "tests/support/fake_wecom_api.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <functional>
#include <future>
#include <regex>
#include <thread>

namespace anju::testing {
namespace {

using namespace std::chrono_literals;
using adapters::wx_signature;
using adapters::WxCrypt;
using json = nlohmann::json;

constexpr std::string_view kMpToken = "pamtest";
constexpr std::string_view kMpKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
constexpr std::string_view kMpAppId = "wxb11529c136998cb6";
constexpr std::string_view kWeComToken = "wecomtoken";
constexpr std::string_view kWeComKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
constexpr std::string_view kBotToken = "bottoken";
constexpr std::string_view kBotKey = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";
constexpr std::string_view kAdminToken = "admin-token-for-tests-0123";
constexpr std::string_view kEngChat = "wrEngineering";
constexpr std::string_view kRobotKey = "robot-key-3b8e51c0-aa2f";
const std::string kSource = ANJU_SOURCE_DIR;

config::StaffConfig staff(std::string userid, std::string name, std::vector<std::string> roles,
                          std::vector<std::string> buildings = {}, bool on_duty = false) {
    config::StaffConfig s;
    s.userid = std::move(userid);
    s.name = std::move(name);
    s.roles = std::move(roles);
    s.buildings = std::move(buildings);
    s.phone = "1380000" + std::to_string(1000 + s.userid.size());
    s.on_duty = on_duty;
    return s;
}

class TicketsFlowTest : public ::testing::Test {
protected:
    TicketsFlowTest()
        : wecom_(FakeWeComApiOptions{.members = {"zhanggong", "ligong", "chenguanjia", "zhaozhuguan",
                                                 "liujingli", "xukefu", "qianpinzhi", "wangbaoan"}}) {}

    config::Config make_config(int group_threshold = 20) {
        auto c = test_config(dir_.path());
        c.admin.token = Secret(std::string(kAdminToken));
        c.dialogs.settings.enabled = true;
        EXPECT_TRUE(config::load_dialogs(kSource + "/config/dialogs", c.dialogs));
        config::WeChatMpConfig mp;
        mp.id = "mp";
        mp.app_id = mpapi_.options().app_id;
        mp.app_secret = Secret(mpapi_.options().app_secret);
        mp.token = Secret(std::string(kMpToken));
        mp.encoding_aes_key = Secret(std::string(kMpKey));
        mp.mode = config::WeChatMpConfig::Mode::safe;
        mp.api_base = mpapi_.base_url();
        mp.reply_deadline = 3s;
        c.channels.wechat_mp.push_back(mp);
        config::WeComConfig app;
        app.id = "staff";
        app.kind = config::WeComConfig::Kind::app;
        app.corp_id = wecom_.options().corp_id;
        app.agent_id = wecom_.options().agent_id;
        app.corp_secret = Secret(wecom_.options().corp_secret);
        app.token = Secret(std::string(kWeComToken));
        app.encoding_aes_key = Secret(std::string(kWeComKey));
        app.api_base = wecom_.base_url();
        c.channels.wecom.push_back(app);
        config::WeComConfig bot;
        bot.id = "bot";
        bot.kind = config::WeComConfig::Kind::aibot;
        bot.token = Secret(std::string(kBotToken));
        bot.encoding_aes_key = Secret(std::string(kBotKey));
        bot.api_base = wecom_.base_url();
        c.channels.wecom.push_back(bot);

        c.tickets.enabled = true;
        c.tickets.group_threshold = group_threshold;
        config::CommunityConfig sunny;
        sunny.id = "sunny";
        sunny.name = "阳光花园";
        sunny.staff = {staff("zhanggong", "张工", {"engineering"}, {}, true),
                       staff("ligong", "李工", {"engineering"}),
                       staff("chenguanjia", "陈管家", {"butler"}, {"3"}),
                       staff("zhaozhuguan", "赵主管", {"supervisor"}),
                       staff("liujingli", "刘经理", {"pm"}),
                       staff("xukefu", "许客服", {"cs"}),
                       staff("qianpinzhi", "钱品质", {"quality"}),
                       staff("wangbaoan", "王保安", {"order"}, {}, true)};
        config::WorkGroupConfig eng;
        eng.department = "engineering";
        eng.wecom = "staff";
        eng.chatid = std::string(kEngChat);
        config::WorkGroupConfig pm;
        pm.department = "pm";
        pm.robot_key = Secret(std::string(kRobotKey));
        sunny.groups = {eng, pm};
        config::ElevatorAsset lift;
        lift.building = "3";
        lift.unit = "2";
        lift.number = "2";
        lift.brand = "奥的斯";
        lift.model = "GeN2";
        lift.last_maintenance = "2026-11-01";
        sunny.elevators = {lift};
        c.tickets.communities = {sunny};
        return c;
    }

    void start(int group_threshold = 20) {
        runner_ = std::make_unique<AppRunner>(make_config(group_threshold), clock_);
        if (!chat_created_) {
            // The one-time set-up: the app creates the engineering group chat it posts cards to.
            const auto created = api("POST", "/admin/wecom/staff/appchat",
                                     json{{"name", "工程维修群"},
                                          {"owner", "zhaozhuguan"},
                                          {"members", {"zhaozhuguan", "zhanggong", "ligong"}},
                                          {"chatid", kEngChat}}
                                         .dump());
            EXPECT_EQ(created["chatid"], kEngChat);
            chat_created_ = true;
        }
    }
    void restart() {
        runner_->stop();
        runner_.reset();
        start();
    }

    std::int64_t now_s() const {
        return std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
    }
    std::string nonce() { return std::to_string(100000 + ++seq_); }

    // ---- a resident on the Official Account ----

    std::string resident_says(const std::string& text, const std::string& openid = "oResident") {
        const auto xml = "<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[" + openid +
                         "]]></FromUserName><CreateTime>" + std::to_string(now_s()) +
                         "</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[" + text +
                         "]]></Content><MsgId>" + std::to_string(900000 + ++seq_) + "</MsgId></xml>";
        const auto ts = std::to_string(now_s());
        const auto n = nonce();
        const auto encrypt = mp_crypt_.encrypt(xml);
        net::HttpRequest request;
        request.method = "POST";
        request.url = "/wechat/mp/mp?signature=" + wx_signature({kMpToken, ts, n}) + "&timestamp=" + ts +
                      "&nonce=" + n + "&openid=" + openid +
                      "&encrypt_type=aes&msg_signature=" + wx_signature({kMpToken, ts, n, encrypt});
        request.body = "<xml><ToUserName><![CDATA[gh_test]]></ToUserName><Encrypt><![CDATA[" + encrypt +
                       "]]></Encrypt></xml>";
        auto r = runner_->send(std::move(request));
        EXPECT_TRUE(r);
        if (!r || r->status != 200) {
            ADD_FAILURE() << "resident push failed: "
                          << (r ? std::to_string(r->status) : r.error().message());
            return {};
        }
        auto envelope = adapters::parse_fields(r->body);
        if (!envelope) {
            return {};
        }
        auto plain = mp_crypt_.decrypt(envelope->value_or("Encrypt", ""));
        if (!plain) {
            return {};
        }
        auto fields = adapters::parse_fields(*plain);
        return fields ? std::string(fields->value_or("Content", "")) : std::string();
    }

    // Every customer-service text the resident received so far.
    std::vector<std::string> resident_inbox(const std::string& openid = "oResident") {
        std::vector<std::string> out;
        for (const auto& m : mpapi_.custom_messages()) {
            if (m.touser == openid) {
                out.push_back(m.text);
            }
        }
        return out;
    }

    // ---- staff in WeCom ----

    // A message to the app one-to-one; returns the passive reply's text.
    std::string staff_app_says(const std::string& userid, const std::string& text) {
        const auto xml = "<xml><ToUserName><![CDATA[" + wecom_.options().corp_id +
                         "]]></ToUserName><FromUserName><![CDATA[" + userid +
                         "]]></FromUserName><CreateTime>" + std::to_string(now_s()) +
                         "</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[" + text +
                         "]]></Content><MsgId>" + std::to_string(700000 + ++seq_) + "</MsgId><AgentID>" +
                         std::to_string(wecom_.options().agent_id) + "</AgentID></xml>";
        const auto ts = std::to_string(now_s());
        const auto n = nonce();
        const auto encrypt = app_crypt_.encrypt(xml);
        net::HttpRequest request;
        request.method = "POST";
        request.url = "/wecom/staff?msg_signature=" + wx_signature({kWeComToken, ts, n, encrypt}) +
                      "&timestamp=" + ts + "&nonce=" + n;
        request.body = "<xml><ToUserName><![CDATA[" + wecom_.options().corp_id +
                       "]]></ToUserName><Encrypt><![CDATA[" + encrypt + "]]></Encrypt><AgentID><![CDATA[" +
                       std::to_string(wecom_.options().agent_id) + "]]></AgentID></xml>";
        auto r = runner_->send(std::move(request));
        EXPECT_TRUE(r);
        if (!r || r->status != 200 || r->body.empty()) {
            return {};
        }
        auto envelope = adapters::parse_fields(r->body);
        if (!envelope) {
            return {};
        }
        EXPECT_EQ(envelope->value_or("MsgSignature", ""),
                  wx_signature({kWeComToken, envelope->value_or("TimeStamp", ""),
                                envelope->value_or("Nonce", ""), envelope->value_or("Encrypt", "")}));
        auto plain = app_crypt_.decrypt(envelope->value_or("Encrypt", ""));
        if (!plain) {
            return {};
        }
        auto fields = adapters::parse_fields(*plain);
        return fields ? std::string(fields->value_or("Content", "")) : std::string();
    }

    // An @-mention of the robot in the work group; the answer arrives at the response_url. Returns
    // the response code to look the answer up with.
    std::string staff_group_says(const std::string& userid, const std::string& text) {
        const auto n_msg = ++seq_;
        const auto code = "rc" + std::to_string(n_msg);
        json push = {{"msgid", "MSG" + std::to_string(n_msg)},
                     {"aibotid", "AIBOT1"},
                     {"chatid", "wrWorkGroup"},
                     {"chattype", "group"},
                     {"from", {{"userid", userid}}},
                     {"response_url", wecom_.response_url(code)},
                     {"msgtype", "text"},
                     {"text", {{"content", "@安居助手 " + text}}}};
        const auto encrypt = bot_crypt_.encrypt(push.dump());
        const auto ts = std::to_string(now_s());
        const auto n = nonce();
        net::HttpRequest request;
        request.method = "POST";
        request.url = "/wecom/bot?msg_signature=" + wx_signature({kBotToken, ts, n, encrypt}) +
                      "&timestamp=" + ts + "&nonce=" + n;
        request.body = json{{"encrypt", encrypt}}.dump();
        auto r = runner_->send(std::move(request));
        EXPECT_TRUE(r);
        EXPECT_EQ(r ? r->status : 0, 200);
        return code;
    }

    std::string robot_answer(const std::string& code) {
        std::string answer;
        eventually([&] {
            for (const auto& a : wecom_.aibot_responses()) {
                if (a.response_code == code) {
                    answer = a.content;
                    return true;
                }
            }
            return false;
        });
        return answer;
    }

    std::vector<std::string> app_messages_to(const std::string& userid) {
        std::vector<std::string> out;
        for (const auto& m : wecom_.app_messages()) {
            if (std::find(m.touser.begin(), m.touser.end(), userid) != m.touser.end()) {
                out.push_back(m.content);
            }
        }
        return out;
    }

    // ---- admin API ----

    json api(std::string method, std::string path, std::string body = {}, int expect = 200) {
        net::HttpRequest request;
        request.method = std::move(method);
        request.url = std::move(path);
        request.body = std::move(body);
        request.headers = {{"Authorization", "Bearer " + std::string(kAdminToken)},
                           {"Content-Type", "application/json"}};
        auto r = runner_->send(std::move(request));
        EXPECT_TRUE(r);
        if (!r) {
            return {};
        }
        EXPECT_EQ(r->status, expect) << r->body;
        return json::parse(r->body, nullptr, false);
    }

    std::vector<std::string> event_kinds(const std::string& code) {
        std::vector<std::string> kinds;
        const auto ticket = api("GET", "/api/v1/tickets/" + code);
        for (const auto& e : ticket["events"]) {
            kinds.push_back(e["kind"].get<std::string>());
        }
        return kinds;
    }

    static std::string code_in(const std::string& text) {
        static const std::regex pattern("工单号：([34679ACDEFHJKMNPRTUVWXY]{6})");
        std::smatch m;
        return std::regex_search(text, m, pattern) ? m[1].str() : std::string();
    }

    static bool contains(const std::vector<std::string>& texts, std::string_view part) {
        return std::any_of(texts.begin(), texts.end(),
                           [&](const auto& t) { return t.find(part) != std::string::npos; });
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

    // The elevator complaint of the issue, as far as its ticket code.
    std::string report_broken_elevator(const std::string& openid = "oResident") {
        resident_says("电梯坏了", openid);
        resident_says("3栋2单元501", openid);
        resident_says("2号梯", openid);
        resident_says("没有", openid);
        resident_says("停在5楼不动", openid);
        const auto reply = resident_says("对", openid);
        EXPECT_NE(reply.find("已为您登记电梯问题"), std::string::npos) << reply;
        const auto code = code_in(reply);
        EXPECT_FALSE(code.empty()) << reply;
        return code;
    }

    TempDir dir_;
    FakeClock clock_;
    FakeWeChatApi mpapi_{FakeWeChatApiOptions{.app_id = std::string(kMpAppId)}};
    FakeWeComApi wecom_;
    WxCrypt mp_crypt_ = WxCrypt::create(kMpKey, std::string(kMpAppId)).value();
    WxCrypt app_crypt_ = WxCrypt::create(kWeComKey, wecom_.options().corp_id).value();
    WxCrypt bot_crypt_ = WxCrypt::create(kBotKey, "").value();
    std::unique_ptr<AppRunner> runner_;
    std::atomic<int> seq_{0};  // the claim race sends from two threads
    bool chat_created_ = false;
};

TEST_F(TicketsFlowTest, AComplaintGoesFromTheResidentToTheWorkGroupAndBackToClosed) {
    start();
    const auto code = report_broken_elevator();
    ASSERT_FALSE(code.empty());

    // The card reaches the engineering group, with the elevator's record.
    ASSERT_TRUE(eventually([&] {
        for (const auto& m : wecom_.appchat_messages()) {
            if (m.chatid == kEngChat && m.content.find(code) != std::string::npos) {
                return true;
            }
        }
        return false;
    }));
    std::string card;
    for (const auto& m : wecom_.appchat_messages()) {
        if (m.content.find(code) != std::string::npos) {
            card = m.content;
        }
    }
    EXPECT_NE(card.find("3栋2单元501"), std::string::npos) << card;
    EXPECT_NE(card.find("2号梯"), std::string::npos) << card;
    EXPECT_NE(card.find("奥的斯 GeN2"), std::string::npos) << card;
    EXPECT_NE(card.find("接单 " + code), std::string::npos) << card;

    // Two engineers race to claim it from the group: exactly one wins.
    auto first =
        std::async(std::launch::async, [&] { return staff_group_says("zhanggong", "接单 " + code); });
    auto second = std::async(std::launch::async, [&] { return staff_group_says("ligong", "接单 " + code); });
    const auto zhang = robot_answer(first.get());
    const auto li = robot_answer(second.get());
    const bool zhang_won = zhang.find("接单成功") != std::string::npos;
    const bool li_won = li.find("接单成功") != std::string::npos;
    EXPECT_NE(zhang_won, li_won) << zhang << " | " << li;
    const auto& loser = zhang_won ? li : zhang;
    const std::string winner = zhang_won ? "zhanggong" : "ligong";
    const std::string winner_name = zhang_won ? "张工" : "李工";
    EXPECT_NE(loser.find("已被 " + winner_name + " 接单"), std::string::npos) << loser;

    // The resident hears who has it.
    ASSERT_TRUE(eventually([&] { return contains(resident_inbox(), winner_name + "负责处理"); }));

    // Progress and resolution from the app one-to-one.
    EXPECT_NE(staff_app_says(winner, "进展 " + code + " 已订门机板，明天上午更换").find("进展已记录"),
              std::string::npos);
    ASSERT_TRUE(eventually([&] { return contains(resident_inbox(), "已订门机板"); }));
    EXPECT_NE(staff_app_says(winner, "完成 " + code + " 已更换门机板").find("已标记完成"), std::string::npos);
    ASSERT_TRUE(eventually([&] { return contains(resident_inbox(), "问题是否已解决"); }));

    // Not solved: reopened, the handler and the supervisor told.
    auto reply = resident_says("还是不行，门还是关不上");
    EXPECT_NE(reply.find("重新打开"), std::string::npos) << reply;
    ASSERT_TRUE(eventually([&] { return contains(app_messages_to("zhaozhuguan"), "业主反馈未解决"); }));
    EXPECT_TRUE(contains(app_messages_to(winner), "业主反馈未解决"));
    EXPECT_EQ(api("GET", "/api/v1/tickets/" + code)["status"], "in_progress");

    // Fixed again, confirmed, rated.
    EXPECT_NE(staff_app_says(winner, "完成 " + code + " 重新调整了门机").find("已标记完成"),
              std::string::npos);
    ASSERT_TRUE(eventually([&] { return contains(resident_inbox(), "重新调整了门机"); }));
    reply = resident_says("好了，修好了");
    EXPECT_NE(reply.find("评价"), std::string::npos) << reply;
    reply = resident_says("满意");
    EXPECT_NE(reply.find("感谢您的评价"), std::string::npos) << reply;

    const auto ticket = api("GET", "/api/v1/tickets/" + code);
    EXPECT_EQ(ticket["status"], "closed");
    EXPECT_EQ(ticket["satisfaction"], "satisfied");
    EXPECT_EQ(ticket["assignee"], winner);
    EXPECT_EQ(ticket["first_responder"], winner);
    EXPECT_EQ(ticket["category"], "elevator");
    EXPECT_EQ(ticket["department"], "engineering");
    // Reopening opens a rectification order (issue 6) for quality.
    const std::vector<std::string> expected = {"filed",   "claim",   "progress",
                                               "resolve", "reopen",  "rectification_opened",
                                               "resolve", "confirm", "rate"};
    EXPECT_EQ(event_kinds(code), expected);
    ASSERT_EQ(ticket["rectifications"].size(), 1U);
    EXPECT_EQ(ticket["rectifications"][0]["reason"], "reopened");
    // The claim and plan milestones were met, and say when.
    for (const auto& m : ticket["milestones"]) {
        if (m["name"] == "claim" || m["name"] == "plan") {
            EXPECT_EQ(m["state"], "met") << m.dump();
            EXPECT_TRUE(m["met_at"].is_string()) << m.dump();
        }
    }
    EXPECT_GE(ticket["milestones"].size(), 2U);
    const auto& events = ticket["events"];
    EXPECT_FALSE(events[0]["data"]["evidence"].empty()) << events[0].dump();  // the classification evidence
    EXPECT_EQ(events[1]["actor"], "staff:" + winner);
}

TEST_F(TicketsFlowTest, ARestartInTheMiddleLosesNothing) {
    start();
    const auto code = report_broken_elevator();
    ASSERT_FALSE(code.empty());
    EXPECT_NE(robot_answer(staff_group_says("zhanggong", "接单 " + code)).find("接单成功"),
              std::string::npos);
    EXPECT_NE(staff_app_says("zhanggong", "完成 " + code + " 已修好").find("已标记完成"), std::string::npos);
    ASSERT_TRUE(eventually([&] { return contains(resident_inbox(), "问题是否已解决"); }));
    restart();
    // The question survives the restart: the answer still goes to the ticket.
    auto reply = resident_says("已解决");
    EXPECT_NE(reply.find("评价"), std::string::npos) << reply;
    restart();
    reply = resident_says("4分");
    EXPECT_NE(reply.find("感谢您的评价"), std::string::npos) << reply;
    const auto ticket = api("GET", "/api/v1/tickets/" + code);
    EXPECT_EQ(ticket["status"], "closed");
    EXPECT_EQ(ticket["score"], 4);
    const std::vector<std::string> expected = {"filed", "claim", "resolve", "confirm", "rate"};
    EXPECT_EQ(event_kinds(code), expected);
}

TEST_F(TicketsFlowTest, AWalkInRegisteredByStaffFollowsTheSamePath) {
    start();
    const auto reply = staff_app_says("xukefu", "登记 3-1-302 王先生 13800001111 楼道灯坏了好几天了");
    const auto code_at = reply.find("已登记工单 ");
    ASSERT_NE(code_at, std::string::npos) << reply;
    const auto code = reply.substr(code_at + std::string("已登记工单 ").size(), 6);
    ASSERT_TRUE(eventually([&] {
        for (const auto& m : wecom_.appchat_messages()) {
            if (m.content.find(code) != std::string::npos) {
                return true;
            }
        }
        return false;
    }));
    EXPECT_NE(staff_app_says("ligong", "接单 " + code).find("接单成功"), std::string::npos);
    EXPECT_NE(staff_app_says("ligong", "到场 " + code).find("到场"), std::string::npos);
    EXPECT_NE(staff_app_says("ligong", "完成 " + code + " 换了灯管").find("已标记完成"), std::string::npos);
    auto ticket = api("GET", "/api/v1/tickets/" + code);
    EXPECT_EQ(ticket["resident_name"], "王先生");
    EXPECT_EQ(ticket["resident_phone"], "13800001111");
    EXPECT_EQ(ticket["room"]["display"], "3栋1单元302");
    EXPECT_EQ(ticket["category"], "lighting");
    EXPECT_EQ(ticket["channel"], "wecom");
    EXPECT_EQ(ticket["status"], "resolved");
    // Customer service confirms for the resident reached by phone, then closes it.
    api("POST", "/api/v1/tickets/" + code + "/actions", R"({"action": "confirm", "actor": "xukefu"})");
    ticket = api("POST", "/api/v1/tickets/" + code + "/actions",
                 R"({"action": "close", "actor": "xukefu", "text": "电话回访，业主满意"})");
    EXPECT_EQ(ticket["status"], "closed");
    const std::vector<std::string> expected = {"filed", "claim", "arrive", "resolve", "confirm", "close"};
    EXPECT_EQ(event_kinds(code), expected);
}

TEST_F(TicketsFlowTest, CommandsThatCannotBeDoneAreExplained) {
    start();
    const auto code = report_broken_elevator();
    EXPECT_NE(staff_app_says("zhanggong", "完成 " + code).find("还没有人接单"), std::string::npos);
    EXPECT_NE(staff_app_says("zhanggong", "接单 ZZZZZZ").find("不是有效的工单号"), std::string::npos);
    EXPECT_NE(staff_app_says("zhanggong", "接单 K7M3PX").find("找不到工单"), std::string::npos);
    EXPECT_NE(staff_app_says("zhanggong", "接单").find("请写上工单号"), std::string::npos);
    EXPECT_NE(staff_app_says("wangbaoan", "接单 " + code).find("没有接单权限"), std::string::npos);
    EXPECT_NE(staff_app_says("stranger", "接单 " + code).find("不在本物业的员工名单"), std::string::npos);
    EXPECT_NE(staff_app_says("zhanggong", "你好").find("接单 工单号"), std::string::npos);  // the help
    EXPECT_NE(staff_app_says("zhanggong", "接单 " + code).find("接单成功"), std::string::npos);
    EXPECT_NE(staff_app_says("zhanggong", "方案 " + code).find("请写上方案内容"), std::string::npos);
    EXPECT_NE(staff_app_says("zhanggong", "转派 " + code + " 不存在的人").find("找不到同事"),
              std::string::npos);
    EXPECT_NE(staff_app_says("zhanggong", "转派 " + code + " 李工").find("已转派给 李工"), std::string::npos);
    // 首问负责制: the resident is told who takes over and within what time; the new handler is told.
    ASSERT_TRUE(eventually([&] { return contains(resident_inbox(), "1小时内与您联系"); }));
    EXPECT_TRUE(contains(resident_inbox(), "首问负责人张工"));
    EXPECT_TRUE(eventually([&] { return contains(app_messages_to("ligong"), "已转派给您"); }));
    EXPECT_NE(staff_app_says("zhanggong", "我的").find("没有处理中的工单"), std::string::npos);
    EXPECT_NE(staff_app_says("ligong", "我的").find(code), std::string::npos);
    EXPECT_NE(staff_app_says("ligong", "查询 " + code).find("李工"), std::string::npos);
    // Invalid actions through the API are refused with the same sentences (409), bad input 400.
    auto refused = api("POST", "/api/v1/tickets/" + code + "/actions",
                       R"({"action": "claim", "actor": "zhanggong"})", 409);
    EXPECT_NE(refused["error"].get<std::string>().find("已被 李工 接单"), std::string::npos);
    EXPECT_EQ(api("POST", "/api/v1/tickets/" + code + "/actions",
                  R"({"action": "fly", "actor": "zhanggong"})", 400)["field"],
              "action");
    EXPECT_EQ(api("POST", "/api/v1/tickets/" + code + "/actions", R"({"action": "claim", "actor": "nobody"})",
                  400)["field"],
              "actor");
    api("GET", "/api/v1/tickets/K7M3PX", {}, 404);
}

TEST_F(TicketsFlowTest, TheSameRoomReportingTheSameProblemJoinsTheOpenTicket) {
    start();
    const auto code = report_broken_elevator();
    resident_says("电梯坏了");
    resident_says("2号梯");
    resident_says("没有");
    resident_says("还是停在5楼");
    const auto reply = resident_says("对");
    EXPECT_NE(reply.find("此前已登记（工单号：" + code), std::string::npos) << reply;
    EXPECT_EQ(api("GET", "/api/v1/tickets?status=active")["tickets"].size(), 1U);
    const auto kinds = event_kinds(code);
    EXPECT_EQ(kinds.back(), "duplicate");
}

TEST_F(TicketsFlowTest, TwentyHouseholdsMakeAGroupComplaintAndThePmIsAlerted) {
    start();
    json last;
    for (int i = 1; i <= 20; ++i) {
        const auto body = json{{"room", "2-1-" + std::to_string(100 + i)},
                               {"text", "家里停水了，一滴水都没有"},
                               {"name", "住户" + std::to_string(i)},
                               {"key", "walkin-" + std::to_string(i)}}
                              .dump();
        last = api("POST", "/api/v1/tickets", body, 201);
        if (i < 20) {
            EXPECT_TRUE(last["group_code"].is_null()) << i;
        }
    }
    ASSERT_TRUE(last["group_code"].is_string()) << last.dump();
    const auto group = last["group_code"].get<std::string>();
    const auto parent = api("GET", "/api/v1/tickets/" + group);
    EXPECT_TRUE(parent["group"].get<bool>());
    EXPECT_EQ(parent["households"], 20);
    EXPECT_EQ(parent["category"], "water_supply");
    // The PM is alerted at once: one-to-one and in the PM group (robot).
    ASSERT_TRUE(eventually([&] { return contains(app_messages_to("liujingli"), "群体投诉"); }));
    ASSERT_TRUE(eventually([&] {
        const auto messages = wecom_.robot_messages();
        return std::any_of(messages.begin(), messages.end(),
                           [&](const auto& m) { return m.content.find(group) != std::string::npos; });
    }));
    // Every household's ticket is inside it.
    const auto member = api("GET", "/api/v1/tickets?room=2-1-105")["tickets"];
    ASSERT_EQ(member.size(), 1U);
    EXPECT_EQ(api("GET", "/api/v1/tickets/" + member[0]["code"].get<std::string>())["parent"], group);
    // A repeated registration (same key) files nothing new.
    const auto again =
        api("POST", "/api/v1/tickets",
            json{{"room", "2-1-101"}, {"text", "家里停水了"}, {"key", "walkin-1"}}.dump(), 200);
    EXPECT_TRUE(again["replayed"].get<bool>());
    EXPECT_EQ(api("GET", "/api/v1/tickets?building=2&limit=1000")["tickets"].size(), 21U);
}

TEST_F(TicketsFlowTest, EveryHouseholdOfAGroupComplaintHearsTheSameProgress) {
    start(/*group_threshold=*/3);
    std::vector<std::string> codes;
    for (const std::string openid : {"oA", "oB", "oC"}) {
        const std::string room = openid == "oA"   ? "5栋1单元101"
                                 : openid == "oB" ? "5栋1单元202"
                                                  : "5栋2单元303";
        resident_says("家里停水了", openid);
        resident_says(room, openid);
        auto reply = resident_says("一滴水都没有", openid);
        for (int i = 0; i < 3 && reply.find("对吗") == std::string::npos; ++i) {
            reply = resident_says("不知道", openid);
        }
        reply = resident_says("对", openid);
        codes.push_back(code_in(reply));
        ASSERT_FALSE(codes.back().empty()) << reply;
    }
    ASSERT_TRUE(eventually([&] { return contains(resident_inbox("oA"), "群体投诉"); }));
    const auto group = api("GET", "/api/v1/tickets/" + codes[0])["parent"].get<std::string>();
    ASSERT_FALSE(group.empty());
    EXPECT_TRUE(contains(resident_inbox("oC"), group) ||
                resident_says("进度", "oC").find(group) != std::string::npos);
    // The project manager works on the parent; each household hears it and is asked to confirm.
    EXPECT_NE(staff_app_says("liujingli", "接单 " + group).find("接单成功"), std::string::npos);
    EXPECT_NE(
        staff_app_says("liujingli", "进展 " + group + " 市政管网抢修中，预计下午恢复").find("进展已记录"),
        std::string::npos);
    for (const std::string openid : {"oA", "oB", "oC"}) {
        ASSERT_TRUE(eventually([&] { return contains(resident_inbox(openid), "市政管网抢修中"); })) << openid;
    }
    EXPECT_NE(staff_app_says("liujingli", "完成 " + group + " 已恢复供水").find("已标记完成"),
              std::string::npos);
    for (const std::string openid : {"oA", "oB", "oC"}) {
        ASSERT_TRUE(eventually([&] { return contains(resident_inbox(openid), "已恢复供水"); })) << openid;
        EXPECT_NE(resident_says("已解决", openid).find("评价"), std::string::npos) << openid;
        EXPECT_NE(resident_says("满意", openid).find("感谢您的评价"), std::string::npos) << openid;
    }
    EXPECT_EQ(api("GET", "/api/v1/tickets/" + group)["status"], "closed");
    EXPECT_NE(staff_app_says("liujingli", "进展 " + codes[0] + " 测试").find("并入群体投诉"),
              std::string::npos);
}

TEST_F(TicketsFlowTest, TheTicketsApiWantsTheTokenAndNamesTheWrongField) {
    start();
    // Wrong or missing token: 401 whatever the path.
    for (const char* token : {"", "Bearer wrong-token"}) {
        net::HttpRequest request;
        request.method = "GET";
        request.url = "/api/v1/tickets";
        if (*token != '\0') {
            request.headers = {{"Authorization", token}};
        }
        auto r = runner_->send(std::move(request));
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 401);
    }
    // Bad query parameters and bodies name the field.
    EXPECT_EQ(api("GET", "/api/v1/tickets?status=flying", {}, 400)["field"], "status");
    EXPECT_EQ(api("GET", "/api/v1/tickets?from=yesterday", {}, 400)["field"], "from");
    EXPECT_EQ(api("GET", "/api/v1/tickets?room=%E9%97%A8%E5%8F%A3", {}, 400)["field"], "room");
    EXPECT_EQ(api("GET", "/api/v1/tickets?limit=0", {}, 400)["field"], "limit");
    EXPECT_EQ(api("GET", "/api/v1/tickets?colour=red", {}, 400)["field"], "colour");
    EXPECT_EQ(api("GET", "/api/v1/tickets?history=maybe", {}, 400)["field"], "history");
    EXPECT_EQ(api("POST", "/api/v1/tickets", "{not json", 400)["field"], "");
    EXPECT_EQ(api("POST", "/api/v1/tickets", R"({"room": "3-2-501"})", 400)["field"], "text");
    EXPECT_EQ(api("POST", "/api/v1/tickets", R"({"room": 501, "text": "漏水"})", 400)["field"], "room");
    EXPECT_EQ(api("POST", "/api/v1/tickets", R"({"text": "楼道灯不亮"})", 400)["field"], "room");
    EXPECT_NE(
        api("POST", "/api/v1/tickets/K7M3PX/actions", R"({"action": "claim", "actor": "zhanggong"})", 404)
            .value("error", "")
            .find("K7M3PX"),
        std::string::npos);

    // A registration with an idempotency key files once, however often it is sent.
    const std::string body = R"({"room": "3-2-501", "text": "卫生间天花板漏水", "name": "王女士",
                                 "phone": "13800138000", "key": "call-0042"})";
    const auto first = api("POST", "/api/v1/tickets", body, 201);
    const auto again = api("POST", "/api/v1/tickets", body, 200);
    EXPECT_EQ(first["code"], again["code"]);
    EXPECT_FALSE(first["replayed"].get<bool>());
    EXPECT_TRUE(again["replayed"].get<bool>());
    EXPECT_EQ(first["category"], "water_leak");
    EXPECT_EQ(first["room"]["display"], "3栋2单元501");
    EXPECT_EQ(first["resident_phone"], "13800138000");
    EXPECT_EQ(first["channel"], "api");

    // The room's complaint file: every ticket with its history.
    const auto code = first["code"].get<std::string>();
    api("POST", "/api/v1/tickets/" + code + "/actions", R"({"action": "claim", "actor": "zhanggong"})");
    api("POST", "/api/v1/tickets/" + code + "/actions",
        R"({"action": "progress", "actor": "zhanggong", "text": "已关闭楼上进水阀"})");
    const auto file = api("GET", "/api/v1/tickets?room=3栋2单元501&history=true")["tickets"];
    ASSERT_EQ(file.size(), 1U);
    const auto& events = file[0]["events"];
    ASSERT_GE(events.size(), 3U);
    EXPECT_EQ(events[0]["kind"], "filed");
    EXPECT_EQ(events.back()["kind"], "progress");
    EXPECT_EQ(events.back()["text"], "已关闭楼上进水阀");
    EXPECT_FALSE(api("GET", "/api/v1/tickets?room=3-2-501")["tickets"][0].contains("events"));
    EXPECT_TRUE(api("GET", "/api/v1/tickets?room=3-2-502")["tickets"].empty());
}

TEST_F(TicketsFlowTest, AnAbandonedDialogIsExpiredByADurableTimerEvenAcrossARestart) {
    start();
    // The resident starts a complaint and stops answering; the service restarts meanwhile.
    EXPECT_NE(resident_says("楼道灯坏了").find("房号"), std::string::npos);
    restart();
    ASSERT_TRUE(eventually([this] {
        return api("GET", "/api/v1/outbox?state=pending")["messages"].empty();  // nothing owed yet
    }));
    EXPECT_FALSE(contains(resident_inbox(), "已先作废"));
    // After dialogs.expire_after (30 minutes) the note goes out through the outbox, once.
    clock_.advance(31min);
    ASSERT_TRUE(eventually([this] { return contains(resident_inbox(), "已先作废"); }));
    clock_.advance(2h);
    std::this_thread::sleep_for(100ms);
    std::size_t notes = 0;
    for (const auto& text : resident_inbox()) {
        notes += text.find("已先作废") != std::string::npos ? 1U : 0U;
    }
    EXPECT_EQ(notes, 1U);
    // A new report starts a new dialog.
    const auto again = resident_says("楼道灯坏了");
    EXPECT_NE(again.find("灯"), std::string::npos) << again;
    EXPECT_EQ(again.find("作废"), std::string::npos) << again;
}

}  // namespace
}  // namespace anju::testing
