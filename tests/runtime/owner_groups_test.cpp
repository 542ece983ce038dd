// Owner groups (业主群) end to end on loopback: a bridge "owners" whose outbound URL is a recording
// LoopbackServer that checks every post's signature, a WeCom 智能机器人 "ownerbot" serving residents
// in a WeCom owner group (FakeWeComApi: response_url and the group's robot), an Official Account for
// residents whose group identity is linked (FakeWeChatApi), the real dialogs, tickets on, a real
// SQLite file. Neighbours read everything the bot says in a group, so every line is checked for
// room numbers, phone numbers and names. The pure helpers of owner_groups.hpp are tested first.
#include "bot/runtime/owner_groups.hpp"

#include "adapters/bridge/bridge.hpp"
#include "adapters/common/wx_crypt.hpp"
#include "adapters/common/xml.hpp"
#include "bot/runtime/bridge_channel.hpp"
#include "tests/support/app_runner.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/fake_wechat_api.hpp"
#include "tests/support/fake_wecom_api.hpp"
#include "tests/support/loopback_server.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <functional>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace anju::testing {
namespace {

using namespace std::chrono_literals;
using adapters::wx_signature;
using adapters::WxCrypt;
using json = nlohmann::json;
namespace br = adapters::bridge;

// ---- the pure helpers ----

TEST(OwnerGroupsRedactTest, MasksRoomNumbers) {
    for (const std::string text : {"我家1502室漏水", "3-2-1502 漏水", "2单元1502漏水", "3栋1502漏水",
                                   "3号楼2单元1502室", "3 栋 1502 房", "1502房间漏水"}) {
        const auto out = runtime::redact_for_group(text);
        EXPECT_EQ(out.find("1502"), std::string::npos) << text << " → " << out;
        EXPECT_NE(out.find("XXXX"), std::string::npos) << text << " → " << out;  // the shape stays
    }
}

TEST(OwnerGroupsRedactTest, MasksPhoneNumbers) {
    for (const std::string text : {"电梯坏了，请打13800001234", "座机0755-12345678找我", "+86 138 0000 1234",
                                   "138-0000-1234", "075512345678"}) {
        const auto out = runtime::redact_for_group(text);
        EXPECT_EQ(out.find("1234"), std::string::npos) << text << " → " << out;
    }
}

TEST(OwnerGroupsRedactTest, MasksWhatFollowsAPersonalLabel) {
    EXPECT_EQ(runtime::redact_for_group(
                  "报修：电梯不动\n房号：3栋2单元501\n电话：我的手机\n联系人：王女士\n联系人是张三，谢谢\n"
                  "手机号 13800001234\n业主:赵四\n姓名：钱五\n联系电话为0755 1234，请尽快处理"),
              "报修：电梯不动\n房号：***\n电话：***\n联系人：***\n联系人是***，谢谢\n手机号 "
              "***\n业主:***\n姓名：***\n"
              "联系电话为***，请尽快处理");
    // The dialog repeating the room back.
    EXPECT_EQ(runtime::redact_for_group("好的，已记下您的房号：3栋2单元1502。"),
              "好的，已记下您的房号：***。");
    EXPECT_EQ(runtime::redact_for_group("房号1502，电梯坏了"), "房号***，电梯坏了");
}

TEST(OwnerGroupsRedactTest, KeepsAQuestionThatOnlyNamesALabel) {
    // The dialog asking for the room must still reach the member; its example room is masked.
    EXPECT_EQ(runtime::redact_for_group("为了尽快处理，请告诉我您的房号（如“3栋2单元501”）。"),
              "为了尽快处理，请告诉我您的房号（如“X栋X单元XXX”）。");
    EXPECT_EQ(runtime::redact_for_group("已请工作人员尽快给您打电话确认。"),
              "已请工作人员尽快给您打电话确认。");
    EXPECT_EQ(runtime::redact_for_group("本群已有2位业主反映"), "本群已有2位业主反映");
}

TEST(OwnerGroupsRedactTest, LongInputIsHandled) {
    // Long runs must not exhaust std::regex's recursion.
    for (const auto& text : {std::string(4000, '7'), "1" + std::string(4000, ' ') + "栋",
                             std::string(12000, 'x'), "电话" + std::string(4000, '1')}) {
        const auto out = runtime::redact_for_group(text);
        EXPECT_EQ(out.find("7777777"), std::string::npos);
        EXPECT_EQ(out.find("1111111"), std::string::npos);
    }
}

TEST(OwnerGroupsRedactTest, MasksNamesWithATitle) {
    for (const std::string text :
         {"我是李先生，电梯坏了", "王女士家楼上漏水", "找一下张阿姨", "我叫王小明", "我姓赵"}) {
        const auto out = runtime::redact_for_group(text);
        for (const std::string name : {"李先生", "王女士", "张阿姨", "王小明", "姓赵"}) {
            EXPECT_EQ(out.find(name), std::string::npos) << text << " → " << out;
        }
    }
}

TEST(OwnerGroupsRedactTest, KeepsWhatIsNotPersonal) {
    for (const std::string text :
         {"3号楼2号梯停在15楼", "3栋的电梯坏了", "工单号：K7M3PX",
          "【统一跟进】本群已有3位业主反映3号楼的电梯问题", "预计下午3点恢复", "请被困人员保持冷静"}) {
        EXPECT_EQ(runtime::redact_for_group(text), text);
    }
}

TEST(OwnerGroupsMentionsTest, StripsLeadingMentions) {
    EXPECT_EQ(runtime::strip_mentions("@安居 3号楼电梯坏了"), "3号楼电梯坏了");
    EXPECT_EQ(runtime::strip_mentions("＠安居 3号楼电梯坏了"), "3号楼电梯坏了");
    EXPECT_EQ(runtime::strip_mentions("@安居\u30003号楼电梯坏了"), "3号楼电梯坏了");
    EXPECT_EQ(runtime::strip_mentions("\u3000 @安居 @物业小王\t电梯坏了"), "电梯坏了");
    EXPECT_EQ(runtime::strip_mentions("@安居"), "");
    EXPECT_EQ(runtime::strip_mentions("@安居 "), "");
    EXPECT_EQ(runtime::strip_mentions("电梯坏了 @安居"), "电梯坏了 @安居");  // only leading mentions
    EXPECT_EQ(runtime::strip_mentions(""), "");
}

TEST(OwnerGroupsKeysTest, GroupConversationsRoundTrip) {
    const store::GroupRef ref{"bridge", "owners", "g-3", "u-7"};
    EXPECT_EQ(runtime::group_conversation(ref), "bridge/owners/g-3:u-7");
    EXPECT_EQ(runtime::group_of_conversation("bridge/owners/g-3:u-7"), ref);
    EXPECT_EQ(runtime::group_of_conversation("wecom_owner/ownerbot/wrOwners3:wm-li"),
              (store::GroupRef{"wecom_owner", "ownerbot", "wrOwners3", "wm-li"}));
    EXPECT_FALSE(runtime::group_of_conversation("wechat_mp/mp/oResident"));
    EXPECT_FALSE(runtime::group_of_conversation("bridge/owners/u-7"));
    EXPECT_FALSE(runtime::group_of_conversation("bridge/owners/g-3:"));
    EXPECT_FALSE(runtime::group_of_conversation("bridge/owners/:u-7"));
    EXPECT_FALSE(runtime::group_of_conversation("bridge"));
}

TEST(OwnerGroupsAnswerTest, ATicketBecomesTheOneLineAcknowledgement) {
    EXPECT_EQ(runtime::ticket_code_in("已为您登记电梯问题。\n工单号：K7M3PX"), "K7M3PX");
    EXPECT_FALSE(runtime::ticket_code_in("工单号：K7"));
    const auto line =
        runtime::group_answer({"已为您登记电梯问题，业主李先生 13800001234。", "工单号：K7M3PX"}, "电梯");
    EXPECT_EQ(line, "收到，您反映的电梯问题已登记（工单号：K7M3PX），我们会尽快处理，进展会在群里同步。");
    const auto joined = runtime::group_answer({"这个问题此前已登记（工单号：K7M3PX），正在处理中"});
    EXPECT_NE(joined.find("已在处理中"), std::string::npos);
}

TEST(OwnerGroupsAnswerTest, AQuestionIsOneSafeLine) {
    const auto line =
        runtime::group_answer({"好的，已记下您的房号：3栋2单元1502。\n是哪一部电梯？比如“3号梯”", "第二段"});
    EXPECT_EQ(line, "好的，已记下您的房号：***。 是哪一部电梯？比如“3号梯” 第二段");
    EXPECT_EQ(runtime::group_answer({"\n\n"}), "");
}

TEST(OwnerGroupsAnswerTest, ANoticeIsOneSafeLine) {
    EXPECT_EQ(
        runtime::group_line(
            "您的工单 "
            "XET3FD（电梯）已处理完成：已更换门机板。\r\n问题是否已解决？请回复「已解决」或「未解决」。\n"),
        "您的工单 XET3FD（电梯）已处理完成：已更换门机板。 问题是否已解决？请回复「已解决」或「未解决」。");
    EXPECT_EQ(runtime::group_line("张工负责处理，电话13900009109"), "张工负责处理，电话***");
    EXPECT_EQ(runtime::group_line("\n \n"), "");
}

// ---- loopback ----

constexpr std::string_view kMpToken = "pamtest";
constexpr std::string_view kMpKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
constexpr std::string_view kMpAppId = "wxb11529c136998cb6";
constexpr std::string_view kBotToken = "ownerbottoken";
constexpr std::string_view kBotKey = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";
constexpr std::string_view kAdminToken = "admin-token-for-tests-0123";
constexpr std::string_view kBridgeSecret = "bridge-shared-secret-5e1f";
constexpr std::string_view kEngRobotKey = "robot-key-3b8e51c0-aa2f";
constexpr std::string_view kOwnerRobotKey = "robot-key-owners3-77c1";
constexpr std::string_view kWeComOwnerChat = "wrOwners3";
const std::string kSource = ANJU_SOURCE_DIR;

// What a resident types that neighbours must never read back from the bot.
constexpr std::string_view kRoomTyped = "1502";
constexpr std::string_view kPhoneTyped = "13800001234";
constexpr std::string_view kNameTyped = "李先生";

struct GroupPost {
    std::string id;
    std::string group;
    std::string text;
    std::vector<std::string> mention;
    std::string timestamp;
    bool signed_ok = false;
};

struct BridgeAnswer {
    int status = 0;
    json body;
    std::string msgid;

    bool has_reply() const { return body.is_object() && body.contains("reply"); }
    std::string text() const {
        return has_reply() ? body["reply"].value("text", std::string()) : std::string();
    }
    std::string error() const {
        return body.is_object() ? body.value("error", std::string()) : std::string();
    }
};

config::StaffConfig staff(std::string userid, std::string name, std::vector<std::string> roles) {
    config::StaffConfig s;
    s.userid = std::move(userid);
    s.name = std::move(name);
    s.roles = std::move(roles);
    s.phone = "13900009" + std::to_string(100 + s.userid.size());
    return s;
}

bool contains(const std::vector<std::string>& texts, std::string_view part) {
    return std::any_of(texts.begin(), texts.end(),
                       [&](const auto& t) { return t.find(part) != std::string::npos; });
}

std::string code_in(const std::string& text) {
    static const std::regex pattern("工单号：([34679ACDEFHJKMNPRTUVWXY]{6})");
    std::smatch m;
    return std::regex_search(text, m, pattern) ? m[1].str() : std::string();
}

// A line said in a group: one line, nothing the resident typed about themselves.
void expect_safe_for_group(const std::string& line) {
    EXPECT_FALSE(line.empty());
    EXPECT_LE(line.size(), br::kMaxTextBytes);
    EXPECT_EQ(line.find('\n'), std::string::npos) << line;
    EXPECT_EQ(line.find(kRoomTyped), std::string::npos) << line;
    EXPECT_EQ(line.find(kPhoneTyped), std::string::npos) << line;
    EXPECT_EQ(line.find(kNameTyped), std::string::npos) << line;
}

class OwnerGroupsTest : public ::testing::Test {
protected:
    OwnerGroupsTest()
        : wecom_(FakeWeComApiOptions{.robot_keys = {std::string(kEngRobotKey), std::string(kOwnerRobotKey)}}),
          bridge_out_([this](const net::HttpRequest& r) { return outbound(r); }) {}

    config::Config make_config() {
        auto c = test_config(dir_.path());
        c.admin.token = Secret(std::string(kAdminToken));
        c.http.body_limit = 64 * 1024;
        c.dialogs.settings.enabled = true;
        EXPECT_TRUE(config::load_dialogs(kSource + "/config/dialogs", c.dialogs));
        c.outbox.rates.owner_group_per_minute = 1000;

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

        config::WeComConfig bot;
        bot.id = "ownerbot";
        bot.kind = config::WeComConfig::Kind::aibot;
        bot.token = Secret(std::string(kBotToken));
        bot.encoding_aes_key = Secret(std::string(kBotKey));
        bot.api_base = wecom_.base_url();
        bot.audience = config::WeComConfig::Audience::residents;
        c.channels.wecom.push_back(bot);

        config::BridgeConfig bridge;
        bridge.id = "owners";
        bridge.secret = Secret(std::string(kBridgeSecret));
        bridge.outbound_url = bridge_out_.base_url() + "/anju/out";
        bridge.reply_deadline = bridge_reply_deadline_;
        c.channels.bridge.push_back(bridge);

        c.tickets.enabled = true;
        config::CommunityConfig sunny;
        sunny.id = "sunny";
        sunny.name = "阳光花园";
        sunny.staff = {staff("zhanggong", "张工", {"engineering"}), staff("xukefu", "许客服", {"cs"}),
                       staff("zhaozhuguan", "赵主管", {"supervisor"})};
        config::WorkGroupConfig eng;
        eng.department = "all";
        eng.robot_key = Secret(std::string(kEngRobotKey));
        sunny.groups = {eng};
        const auto owner_group = [](std::string channel, std::string account, std::string chat,
                                    std::string name, std::vector<std::string> buildings,
                                    std::string_view robot_key = {}) {
            config::OwnerGroupConfig g;
            g.channel = std::move(channel);
            g.account = std::move(account);
            g.chat = std::move(chat);
            g.name = std::move(name);
            g.buildings = std::move(buildings);
            g.robot_key = Secret(std::string(robot_key));
            return g;
        };
        sunny.owner_groups = {owner_group("bridge", "owners", "g-3", "3栋业主群", {"3"}),
                              owner_group("bridge", "owners", "g-5", "5栋业主群", {"5"}),
                              owner_group("bridge", "owners", "g-all", "阳光花园业主大群", {}),
                              owner_group("wecom", "ownerbot", std::string(kWeComOwnerChat),
                                          "3栋业主群（企业微信）", {"3"}, kOwnerRobotKey)};
        c.tickets.communities = {sunny};
        return c;
    }

    void start() { runner_ = std::make_unique<AppRunner>(make_config(), clock_); }

    // Stops only once the outbox has nothing in flight. Stopping the app while an outbox pass waits
    // on its workers trips a Boost 1.81 parallel_group cancellation bug (heap-use-after-free in
    // cancellation_signal::emit, bot/runtime/outbox.cpp), which is not what these tests are about.
    void TearDown() override {
        if (runner_) {
            eventually([this] { return count("SELECT COUNT(*) FROM outbox WHERE state = 'pending'") == 0; },
                       5s);
            std::this_thread::sleep_for(50ms);
            runner_->stop();
        }
    }

    std::int64_t now_s() const {
        return std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
    }

    // ---- the bridge's outbound endpoint ----

    LoopbackResponse outbound(const net::HttpRequest& r) {
        const auto ts = net::find_header(r.headers, br::kTimestampHeader);
        const auto sig = net::find_header(r.headers, br::kSignatureHeader);
        if (!ts || !sig || *sig != br::sign(Secret(std::string(kBridgeSecret)), *ts, r.body)) {
            LoopbackResponse refused;
            refused.status = 401;
            refused.body = R"({"ok":false})";
            return refused;
        }
        LoopbackResponse ok;
        ok.body = R"({"ok":true})";
        return ok;
    }

    // Every post the bridge received, in order.
    std::vector<GroupPost> posts() const {
        std::vector<GroupPost> out;
        for (const auto& r : bridge_out_.requests()) {
            GroupPost p;
            const auto body = json::parse(r.body, nullptr, false);
            EXPECT_TRUE(body.is_object()) << r.body;
            EXPECT_EQ(r.url, "/anju/out");
            if (!body.is_object()) {
                continue;
            }
            EXPECT_EQ(body.value("type", ""), "group_message") << r.body;
            p.id = body.value("id", "");
            p.group = body.value("group", "");
            p.text = body.value("text", "");
            EXPECT_TRUE(body.contains("mention") && body["mention"].is_array()) << r.body;
            if (body.contains("mention") && body["mention"].is_array()) {
                for (const auto& m : body["mention"]) {
                    p.mention.push_back(m.get<std::string>());
                }
            }
            const auto ts = net::find_header(r.headers, br::kTimestampHeader);
            const auto sig = net::find_header(r.headers, br::kSignatureHeader);
            p.timestamp = ts ? std::string(*ts) : std::string();
            p.signed_ok = ts && sig && *sig == br::sign(Secret(std::string(kBridgeSecret)), *ts, r.body);
            out.push_back(std::move(p));
        }
        return out;
    }

    std::vector<GroupPost> posts_to(const std::string& group) const {
        auto all = posts();
        std::erase_if(all, [&](const GroupPost& p) { return p.group != group; });
        return all;
    }

    // Waits for a post to `group` containing `part` and returns it (empty text if none came).
    GroupPost wait_post(const std::string& group, std::string_view part) {
        GroupPost found;
        eventually([&] {
            for (auto& p : posts_to(group)) {
                if (p.text.find(part) != std::string::npos) {
                    found = std::move(p);
                    return true;
                }
            }
            return false;
        });
        EXPECT_FALSE(found.text.empty()) << "no post to " << group << " with " << part;
        return found;
    }

    // ---- the bridge's inbound requests ----

    BridgeAnswer bridge_raw(const std::string& body, std::optional<std::string> ts,
                            std::optional<std::string> sig, const std::string& id = "owners") {
        net::HttpRequest request;
        request.method = "POST";
        request.url = "/bridge/" + id;
        request.body = body;
        request.headers = {{"Content-Type", "application/json"}};
        if (ts) {
            request.headers.emplace_back(std::string(br::kTimestampHeader), *ts);
        }
        if (sig) {
            request.headers.emplace_back(std::string(br::kSignatureHeader), *sig);
        }
        auto r = runner_->send(std::move(request));
        EXPECT_TRUE(r) << (r ? "" : r.error().message());
        if (!r) {
            return {};
        }
        return BridgeAnswer{r->status, json::parse(r->body, nullptr, false), ""};
    }

    BridgeAnswer bridge_signed(const std::string& body, const std::string& id = "owners") {
        const auto ts = std::to_string(now_s());
        return bridge_raw(body, ts, br::sign(Secret(std::string(kBridgeSecret)), ts, body), id);
    }

    json group_message(const std::string& member, const std::string& text, const std::string& group,
                       const std::string& msgid) {
        return json{{"type", "message"},
                    {"msgid", msgid},
                    {"group", {{"id", group}, {"name", "阳光花园3栋业主群"}}},
                    {"sender", {{"id", member}, {"name", "3栋李先生"}}},
                    {"text", text},
                    {"mentioned", true}};
    }

    // A member says `text` in `group` (mentioning the bot); the bridge's answer.
    BridgeAnswer bridge_says(const std::string& member, const std::string& text,
                             const std::string& group = "g-3") {
        const auto msgid = "m-" + std::to_string(++seq_);
        auto answer = bridge_signed(group_message(member, text, group, msgid).dump());
        EXPECT_EQ(answer.status, 200) << answer.body.dump();
        answer.msgid = msgid;
        return answer;
    }

    // What the group heard in answer to one message: the response's reply, else the post that
    // followed (the answer was not ready in time).
    std::string answer_in_group(const BridgeAnswer& a, const std::string& member) {
        if (a.has_reply()) {
            EXPECT_EQ(a.body["reply"]["mention"], json::array({member})) << a.body.dump();
            return a.text();
        }
        const auto id = "reply:bridge/owners/" + a.msgid;
        GroupPost found;
        eventually([&] {
            for (auto& p : posts()) {
                if (p.id == id) {
                    found = std::move(p);
                    return true;
                }
            }
            return false;
        });
        EXPECT_FALSE(found.text.empty()) << "no answer to " << a.msgid;
        EXPECT_TRUE(found.signed_ok);
        EXPECT_EQ(found.mention, std::vector<std::string>{member});
        return found.text;
    }

    // The answer a resident gives to a question of the elevator flow (config/dialogs/flows/elevator.json),
    // with their room, phone and name in the free text.
    static std::optional<std::string> elevator_answer(const std::string& question, const std::string& unit) {
        if (question.find("对吗") != std::string::npos) {
            return std::string("对");  // the restatement repeats earlier answers: it is checked first
        }
        if (question.find("哪栋") != std::string::npos || question.find("哪个单元") != std::string::npos) {
            return "3栋" + unit + "单元";
        }
        if (question.find("哪一部") != std::string::npos) {
            return std::string("2号梯");
        }
        if (question.find("被困") != std::string::npos) {
            return std::string("没有");
        }
        if (question.find("什么情况") != std::string::npos) {
            return "停在15楼不动了，我是" + unit + "单元" + std::string(kRoomTyped) + "室的" +
                   std::string(kNameTyped) + "，电话" + std::string(kPhoneTyped);
        }
        if (question.find("房号") != std::string::npos) {
            return "3栋" + unit + "单元" +
                   std::string(kRoomTyped);  // last: "已记下您的房号" precedes the next question
        }
        return std::nullopt;
    }

    // A member reports the broken elevator in the group and answers every question there until the
    // ticket is filed. Returns every line the group heard in answer; the last names the ticket.
    std::vector<std::string> report_in_group(const std::string& member, const std::string& group = "g-3",
                                             const std::string& unit = "2") {
        std::vector<std::string> heard;
        auto said = bridge_says(member, "@安居 3号楼电梯坏了", group);
        for (int i = 0; i < 10; ++i) {
            const auto line = answer_in_group(said, member);
            heard.push_back(line);
            if (line.find("工单号：") != std::string::npos) {
                return heard;
            }
            const auto next = elevator_answer(line, unit);
            if (!next) {
                std::string so_far;
                for (const auto& h : heard) {
                    so_far += "\n  " + h;
                }
                ADD_FAILURE() << "unexpected question in the group; heard:" << so_far;
                return heard;
            }
            said = bridge_says(member, "@安居 " + *next, group);
        }
        ADD_FAILURE() << "no ticket after 10 answers";
        return heard;
    }

    // ---- a resident on the Official Account ----

    std::string resident_says(const std::string& text, const std::string& openid) {
        const auto xml = "<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[" + openid +
                         "]]></FromUserName><CreateTime>" + std::to_string(now_s()) +
                         "</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[" + text +
                         "]]></Content><MsgId>" + std::to_string(900000 + ++seq_) + "</MsgId></xml>";
        const auto ts = std::to_string(now_s());
        const auto n = std::to_string(100000 + ++seq_);
        const auto encrypt = mp_crypt_.encrypt(xml);
        net::HttpRequest request;
        request.method = "POST";
        request.url = "/wechat/mp/mp?signature=" + wx_signature({kMpToken, ts, n}) + "&timestamp=" + ts +
                      "&nonce=" + n + "&openid=" + openid +
                      "&encrypt_type=aes&msg_signature=" + wx_signature({kMpToken, ts, n, encrypt});
        request.body = "<xml><ToUserName><![CDATA[gh_test]]></ToUserName><Encrypt><![CDATA[" + encrypt +
                       "]]></Encrypt></xml>";
        auto r = runner_->send(std::move(request));
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

    std::vector<std::string> resident_inbox(const std::string& openid) {
        std::vector<std::string> out;
        for (const auto& m : mpapi_.custom_messages()) {
            if (m.touser == openid) {
                out.push_back(m.text);
            }
        }
        for (const auto& m : mpapi_.template_messages()) {
            if (m.touser == openid) {
                for (const auto& [name, value] : m.fields) {
                    out.push_back(value);
                }
            }
        }
        return out;
    }

    // ---- the 智能机器人 in the WeCom owner group ----

    // A member @-mentions the robot in the group; returns the response code its answer goes to.
    std::string wecom_member_says(const std::string& userid, const std::string& text) {
        const auto n_msg = ++seq_;
        const auto code = "rc" + std::to_string(n_msg);
        json push = {{"msgid", "OWN" + std::to_string(n_msg)},
                     {"aibotid", "AIBOT-OWNERS"},
                     {"chatid", kWeComOwnerChat},
                     {"chattype", "group"},
                     {"from", {{"userid", userid}}},
                     {"response_url", wecom_.response_url(code)},
                     {"msgtype", "text"},
                     {"text", {{"content", "@安居 " + text}}}};
        const auto encrypt = bot_crypt_.encrypt(push.dump());
        const auto ts = std::to_string(now_s());
        const auto n = std::to_string(100000 + ++seq_);
        net::HttpRequest request;
        request.method = "POST";
        request.url = "/wecom/ownerbot?msg_signature=" + wx_signature({kBotToken, ts, n, encrypt}) +
                      "&timestamp=" + ts + "&nonce=" + n;
        request.body = json{{"encrypt", encrypt}}.dump();
        auto r = runner_->send(std::move(request));
        EXPECT_TRUE(r);
        EXPECT_EQ(r ? r->status : 0, 200);
        return code;
    }

    std::string robot_answer(const std::string& code) {
        std::string answer;
        const bool came = eventually([&] {
            for (const auto& a : wecom_.aibot_responses()) {
                if (a.response_code == code) {
                    answer = a.content;
                    return true;
                }
            }
            return false;
        });
        EXPECT_TRUE(came) << "no answer at the response_url " << code;
        return answer;
    }

    std::vector<RecordedRobotMessage> owner_robot_messages() const {
        auto all = wecom_.robot_messages();
        std::erase_if(all, [](const RecordedRobotMessage& m) { return m.key != kOwnerRobotKey; });
        return all;
    }

    // ---- admin API ----

    json api(std::string method, std::string path, std::string body = {}, int expect = 200,
             bool with_token = true) {
        net::HttpRequest request;
        request.method = std::move(method);
        request.url = std::move(path);
        request.body = std::move(body);
        request.headers = {{"Content-Type", "application/json"}};
        if (with_token) {
            request.headers.emplace_back("Authorization", "Bearer " + std::string(kAdminToken));
        }
        auto r = runner_->send(std::move(request));
        EXPECT_TRUE(r);
        if (!r) {
            return {};
        }
        EXPECT_EQ(r->status, expect) << r->body;
        return json::parse(r->body, nullptr, false);
    }

    json act(const std::string& code, json action) {
        return api("POST", "/api/v1/tickets/" + code + "/actions", action.dump());
    }

    // Rows of the store, read from the test (read-only, beside the running app).
    std::int64_t count(const std::string& sql) {
        SQLite::Database db((dir_.path() / "var" / "anju.db").string(), SQLite::OPEN_READONLY);
        db.setBusyTimeout(5000);
        SQLite::Statement q(db, sql);
        return q.executeStep() ? q.getColumn(0).getInt64() : -1;
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

    TempDir dir_;
    FakeClock clock_;
    FakeWeChatApi mpapi_{FakeWeChatApiOptions{.app_id = std::string(kMpAppId)}};
    FakeWeComApi wecom_;
    LoopbackServer bridge_out_;
    WxCrypt mp_crypt_ = WxCrypt::create(kMpKey, std::string(kMpAppId)).value();
    WxCrypt bot_crypt_ = WxCrypt::create(kBotKey, "").value();
    std::chrono::milliseconds bridge_reply_deadline_ = 3000ms;
    std::unique_ptr<AppRunner> runner_;
    std::atomic<int> seq_{0};
};

TEST_F(OwnerGroupsTest, TheBridgeWebhookRefusesWhatItMustAndIgnoresWhatIsNotForIt) {
    start();
    const auto body = group_message("u-1", "@安居 3号楼电梯坏了", "g-3", "m-refuse-1").dump();
    const auto ts = std::to_string(now_s());
    const auto good = br::sign(Secret(std::string(kBridgeSecret)), ts, body);

    auto r = bridge_raw(body, ts, br::sign(Secret(std::string("not-the-secret")), ts, body));
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.error(), "bad_signature");
    r = bridge_raw(body, std::nullopt, good);
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.error(), "stale_timestamp");
    r = bridge_raw(body, ts, std::nullopt);
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.error(), "bad_signature");
    const auto old_ts = std::to_string(now_s() - 600);
    r = bridge_raw(body, old_ts, br::sign(Secret(std::string(kBridgeSecret)), old_ts, body));
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.error(), "stale_timestamp");

    // The same request twice: the second is a replay.
    const auto quiet = group_message("u-1", "大家好", "g-3", "m-quiet-1");
    auto not_mentioned = quiet;
    not_mentioned["mentioned"] = false;
    const auto quiet_body = not_mentioned.dump();
    const auto quiet_sig = br::sign(Secret(std::string(kBridgeSecret)), ts, quiet_body);
    r = bridge_raw(quiet_body, ts, quiet_sig);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, json({{"ok", true}}));  // not mentioned: nothing to say
    r = bridge_raw(quiet_body, ts, quiet_sig);
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(r.error(), "replayed");

    r = bridge_signed("{\"type\":\"message\",");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.error(), "bad_json");
    r = bridge_signed("[1,2,3]");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.error(), "bad_json");
    auto missing = group_message("u-1", "@安居 电梯坏了", "g-3", "m-missing");
    missing["group"].erase("id");
    r = bridge_signed(missing.dump());
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.error(), "bad_field");
    EXPECT_NE(r.body.value("message", "").find("group.id"), std::string::npos) << r.body.dump();
    auto slash = group_message("u/1", "@安居 电梯坏了", "g-3", "m-slash");
    r = bridge_signed(slash.dump());
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(r.body.value("message", "").find("sender.id"), std::string::npos) << r.body.dump();

    // An event type this version does not act on is acknowledged.
    r = bridge_signed(R"({"type":"member_joined","group":{"id":"g-3"}})");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, json({{"ok", true}}));

    // Signed for another bridge id that does not exist.
    r = bridge_signed(group_message("u-1", "@安居 电梯坏了", "g-3", "m-nobody").dump(), "nobody");
    EXPECT_EQ(r.status, 404);

    // Over the HTTP body limit (64 KiB here).
    auto huge = group_message("u-1", "@安居 " + std::string(70 * 1024, 'x'), "g-3", "m-huge").dump();
    r = bridge_signed(huge);
    EXPECT_EQ(r.status, 413);

    // None of it was journaled or answered, and the group heard nothing.
    EXPECT_EQ(count("SELECT COUNT(*) FROM inbound_messages WHERE channel = 'bridge'"), 0);
    EXPECT_EQ(count("SELECT COUNT(*) FROM outbox"), 0);
    EXPECT_TRUE(bridge_out_.requests().empty());
    EXPECT_TRUE(api("GET", "/api/v1/tickets")["tickets"].empty());

    // A mention with nothing else gets the short help, still one line.
    const auto hello = bridge_says("u-1", "@安居");
    EXPECT_TRUE(hello.has_reply()) << hello.body.dump();
    expect_safe_for_group(hello.text());
}

TEST_F(OwnerGroupsTest, AMessageTheBridgeSendsAgainIsHandledOnce) {
    start();
    // The bridge timed out and sends the same message (same msgid) again, signed anew.
    const auto body = group_message("u-1", "@安居 3号楼电梯坏了", "g-3", "m-again").dump();
    const auto first = bridge_signed(body);
    ASSERT_EQ(first.status, 200);
    clock_.advance(2s);
    const auto again = bridge_signed(body);
    ASSERT_EQ(again.status, 200) << again.body.dump();
    EXPECT_EQ(count("SELECT COUNT(*) FROM inbound_messages WHERE dedupe_key = 'bridge/owners/m-again'"), 1);
    // The repeat carries the same answer (or none); the dialog did not take it as a second message.
    if (again.has_reply()) {
        EXPECT_EQ(again.text(), first.text());
    }
    const auto next = bridge_says("u-1", "@安居 3栋2单元1502");
    ASSERT_TRUE(next.has_reply());
    EXPECT_EQ(next.text().find("请告诉我您的房号"), std::string::npos) << next.text();
    expect_safe_for_group(next.text());
}

TEST_F(OwnerGroupsTest, AnUnknownMemberReportsInTheGroupAndFollowsTheTicketToClosure) {
    start();
    const auto heard = report_in_group("u-1");
    ASSERT_FALSE(heard.empty());
    for (const auto& line : heard) {
        expect_safe_for_group(line);
    }
    EXPECT_GE(heard.size(), 3U);  // questions were asked in the group
    const auto code = code_in(heard.back());
    ASSERT_FALSE(code.empty()) << heard.back();
    auto ticket = api("GET", "/api/v1/tickets/" + code);
    EXPECT_EQ(ticket["channel"], "bridge");
    EXPECT_EQ(ticket["category"], "elevator");
    EXPECT_EQ(ticket["status"], "dispatched") << ticket.dump();

    // Staff claim it: the member is told in the group, with an @.
    const auto before = posts_to("g-3").size();
    act(code, {{"action", "claim"}, {"as", "zhanggong"}});
    ASSERT_TRUE(eventually([&] { return posts_to("g-3").size() > before; }));
    auto claimed = posts_to("g-3").at(before);
    EXPECT_EQ(claimed.mention, std::vector<std::string>{"u-1"}) << claimed.text;
    EXPECT_TRUE(claimed.signed_ok);
    EXPECT_EQ(claimed.timestamp, std::to_string(now_s()));
    EXPECT_NE(claimed.text.find("张工"), std::string::npos) << claimed.text;

    // Resolved: the member is asked in the group whether it is solved.
    act(code, {{"action", "resolve"}, {"as", "zhanggong"}, {"text", "已更换门机板"}});
    const auto asked = wait_post("g-3", "问题是否已解决");
    EXPECT_EQ(asked.mention, std::vector<std::string>{"u-1"});

    // The member answers in the group.
    auto confirmed = bridge_says("u-1", "@安居 好了");
    const auto rate_question = answer_in_group(confirmed, "u-1");
    expect_safe_for_group(rate_question);
    EXPECT_EQ(api("GET", "/api/v1/tickets/" + code)["status"], "confirmed");
    auto rated = bridge_says("u-1", "@安居 满意");
    expect_safe_for_group(answer_in_group(rated, "u-1"));
    ticket = api("GET", "/api/v1/tickets/" + code);
    EXPECT_EQ(ticket["status"], "closed");
    EXPECT_EQ(ticket["satisfaction"], "satisfied");

    // Everyone in the group sees it closed.
    const auto closed = wait_post("g-3", "【已办结】");
    EXPECT_TRUE(closed.mention.empty()) << closed.text;
    EXPECT_NE(closed.text.find(code), std::string::npos) << closed.text;

    // Every post was signed, said one safe line, and the groups that did not follow it heard nothing.
    for (const auto& p : posts()) {
        EXPECT_TRUE(p.signed_ok) << p.text;
        EXPECT_EQ(p.group, "g-3") << p.text;
        expect_safe_for_group(p.text);
    }
}

TEST_F(OwnerGroupsTest, AnswersTooSlowForTheResponseArePostedIntoTheGroup) {
    bridge_reply_deadline_ = 0ms;  // no answer is ever in time: each goes out as a signed post
    start();
    const auto heard = report_in_group("u-9");
    ASSERT_FALSE(heard.empty());
    for (const auto& line : heard) {
        expect_safe_for_group(line);
    }
    EXPECT_FALSE(code_in(heard.back()).empty()) << heard.back();
    // An answer offered before the attempt gave up still goes in the response (Turn's rule), so not
    // every answer is posted; the first, which waits on the store, always is in practice.
    EXPECT_FALSE(posts().empty());
    for (const auto& p : posts()) {
        EXPECT_TRUE(p.signed_ok);
        EXPECT_TRUE(p.id.starts_with("reply:bridge/owners/")) << p.id;
    }
}

TEST_F(OwnerGroupsTest, SeveralHouseholdsOfOneGroupGetOneSharedNotice) {
    start();
    // Three members, three different units of building 3, the same elevator problem.
    std::vector<std::string> codes;
    for (const auto& [member, unit] :
         std::vector<std::pair<std::string, std::string>>{{"u-1", "1"}, {"u-2", "2"}, {"u-3", "3"}}) {
        const auto heard = report_in_group(member, "g-3", unit);
        ASSERT_FALSE(heard.empty());
        codes.push_back(code_in(heard.back()));
        ASSERT_FALSE(codes.back().empty()) << heard.back();
        if (codes.size() == 2) {
            const auto notice = wait_post("g-3", "本群已有2位业主反映");
            EXPECT_NE(notice.text.find("【统一跟进】"), std::string::npos);
            EXPECT_TRUE(notice.mention.empty());
        }
    }
    EXPECT_NE(codes[0], codes[1]);
    EXPECT_NE(codes[1], codes[2]);
    wait_post("g-3", "本群已有3位业主反映");
    const auto shared = [&](std::string_view n) {
        std::size_t k = 0;
        for (const auto& p : posts_to("g-3")) {
            k += p.text.find("【统一跟进】本群已有" + std::string(n)) != std::string::npos ? 1U : 0U;
        }
        return k;
    };
    EXPECT_EQ(shared("2位"), 1U);
    EXPECT_EQ(shared("3位"), 1U);
    for (const auto& p : posts()) {
        expect_safe_for_group(p.text);
    }
}

TEST_F(OwnerGroupsTest, ALinkedMemberContinuesPrivatelyAndTheGroupHearsTheCode) {
    start();
    const auto linked = api("PUT", "/api/v1/group-members",
                            json{{"channel", "bridge"},
                                 {"account", "owners"},
                                 {"member", "u-linked"},
                                 {"resident", "wechat_mp/mp/oLinked"}}
                                .dump());
    EXPECT_EQ(linked["member"], "bridge/owners/u-linked");
    // Bad links name the field.
    EXPECT_EQ(api("PUT", "/api/v1/group-members",
                  json{{"channel", "bridge"},
                       {"account", "owners"},
                       {"member", "u/x"},
                       {"resident", "wechat_mp/mp/o"}}
                      .dump(),
                  400)["field"],
              "member");
    EXPECT_EQ(api("PUT", "/api/v1/group-members",
                  json{{"channel", "bridge"},
                       {"account", "owners"},
                       {"member", "u-x"},
                       {"resident", "bridge/owners/g:u"}}
                      .dump(),
                  400)["field"],
              "resident");

    const auto answer = bridge_says("u-linked", "@安居 3号楼电梯坏了");
    ASSERT_TRUE(answer.has_reply()) << answer.body.dump();
    EXPECT_EQ(answer.text(), runtime::group_private_line());
    EXPECT_EQ(answer.body["reply"]["mention"], json::array({"u-linked"}));
    // The question goes to the resident privately, not into the group.
    ASSERT_TRUE(eventually([&] { return !resident_inbox("oLinked").empty(); }));
    auto question = resident_inbox("oLinked").back();
    EXPECT_TRUE(posts_to("g-3").empty());

    // The resident goes on on the Official Account.
    std::string code;
    for (int i = 0; i < 10 && code.empty(); ++i) {
        const auto next = elevator_answer(question, "2");
        ASSERT_TRUE(next) << question;
        question = resident_says(*next, "oLinked");
        code = code_in(question);
    }
    ASSERT_FALSE(code.empty()) << question;
    EXPECT_EQ(api("GET", "/api/v1/tickets/" + code)["channel"], "wechat_mp");

    // The group hears the code, addressed to the member, nothing personal.
    const auto ack = wait_post("g-3", "工单号：" + code);
    EXPECT_NE(ack.text.find("收到，您反映的"), std::string::npos) << ack.text;
    EXPECT_NE(ack.text.find("已登记"), std::string::npos) << ack.text;
    EXPECT_EQ(ack.mention, std::vector<std::string>{"u-linked"});
    expect_safe_for_group(ack.text);

    // The ticket follows the group: progress is public there, and the resident hears it privately.
    act(code, {{"action", "claim"}, {"as", "zhanggong"}});
    const auto progress = wait_post("g-3", "【进展】");
    EXPECT_NE(progress.text.find(code), std::string::npos) << progress.text;
    EXPECT_TRUE(progress.mention.empty());
    EXPECT_TRUE(eventually([&] { return contains(resident_inbox("oLinked"), "张工"); }));

    // Unlinked, the member talks in the group again.
    api("DELETE", "/api/v1/group-members?channel=bridge&account=owners&member=u-linked");
    api("DELETE", "/api/v1/group-members?channel=bridge&account=owners&member=u-linked", {}, 404);
    const auto again = bridge_says("u-linked", "@安居 5号楼门口路灯坏了");
    EXPECT_NE(answer_in_group(again, "u-linked"), runtime::group_private_line());
}

TEST_F(OwnerGroupsTest, AnAnnouncementReachesTheGroupsCoveringTheBuilding) {
    start();
    const std::string text = "电梯整改：本周六上午更换3号楼2号梯门机板，期间请使用1号梯。";
    const auto sent = api("POST", "/api/v1/announcements",
                          json{{"community", "sunny"}, {"building", "3"}, {"text", text}}.dump());
    EXPECT_EQ(sent["groups"], 3);  // g-3, g-all and the WeCom group; not g-5
    const auto in_3 = wait_post("g-3", "【整改公告】");
    EXPECT_EQ(in_3.text, "【整改公告】" + text);  // "3号楼2号梯" is no room number
    EXPECT_TRUE(in_3.signed_ok);
    EXPECT_TRUE(in_3.mention.empty());
    wait_post("g-all", "【整改公告】");
    ASSERT_TRUE(eventually([&] {
        const auto m = owner_robot_messages();
        return std::any_of(m.begin(), m.end(),
                           [](const auto& r) { return r.content.find("【整改公告】") == 0; });
    }));
    EXPECT_EQ(count("SELECT COUNT(*) FROM outbox WHERE target = 'g-5'"), 0);
    EXPECT_TRUE(posts_to("g-5").empty());

    EXPECT_EQ(api("POST", "/api/v1/announcements", json{{"community", "moon"}, {"text", text}}.dump(),
                  400)["field"],
              "community");
    EXPECT_EQ(
        api("POST", "/api/v1/announcements", json{{"community", "sunny"}, {"text", ""}}.dump(), 400)["field"],
        "text");
    EXPECT_EQ(api("POST", "/api/v1/announcements", json{{"community", "sunny"}}.dump(), 400)["field"],
              "text");
    EXPECT_EQ(api("POST", "/api/v1/announcements",
                  json{{"community", "sunny"}, {"ticket", "K7M3PX"}, {"text", text}}.dump(), 400)["field"],
              "ticket");
    api("POST", "/api/v1/announcements", json{{"community", "sunny"}, {"text", text}}.dump(), 401, false);
    api("PUT", "/api/v1/group-members", "{}", 401, false);
    // Building 5 alone: g-5 and g-all.
    EXPECT_EQ(
        api("POST", "/api/v1/announcements",
            json{{"community", "sunny"}, {"building", "5"}, {"text", "5号楼水箱清洗"}}.dump())["groups"],
        2);
    wait_post("g-5", "5号楼水箱清洗");
}

TEST_F(OwnerGroupsTest, TheWeComRobotAnswersAMemberInTheGroupAndTheGroupRobotFollowsUp) {
    start();
    std::vector<std::string> heard;
    auto code_of_answer = robot_answer(wecom_member_says("wm-li", "3号楼电梯坏了"));
    std::string code;
    for (int i = 0; i < 10; ++i) {
        heard.push_back(code_of_answer);
        code = code_in(code_of_answer);
        if (!code.empty()) {
            break;
        }
        const auto next = elevator_answer(code_of_answer, "2");
        ASSERT_TRUE(next) << code_of_answer;
        code_of_answer = robot_answer(wecom_member_says("wm-li", *next));
    }
    for (const auto& line : heard) {
        expect_safe_for_group(line);
    }
    ASSERT_FALSE(code.empty()) << heard.back();
    auto ticket = api("GET", "/api/v1/tickets/" + code);
    EXPECT_EQ(ticket["channel"], "wecom_owner");

    // The claim reaches the member through the group's robot, with an @.
    act(code, {{"action", "claim"}, {"as", "zhanggong"}});
    ASSERT_TRUE(eventually([&] { return !owner_robot_messages().empty(); }));
    const auto notice = owner_robot_messages().front();
    EXPECT_NE(notice.content.find("张工"), std::string::npos) << notice.content;
    EXPECT_EQ(notice.mentioned_list, std::vector<std::string>{"wm-li"});
    expect_safe_for_group(notice.content);
    // Nothing went to the bridge.
    EXPECT_TRUE(bridge_out_.requests().empty());
}

TEST_F(OwnerGroupsTest, ALinkedWeComMemberContinuesPrivatelyAndTheGroupRobotTellsTheCode) {
    start();
    api("PUT", "/api/v1/group-members",
        json{{"channel", "wecom"},
             {"account", "ownerbot"},
             {"member", "wm-zhao"},
             {"resident", "wechat_mp/mp/oZhao"}}
            .dump());
    EXPECT_EQ(robot_answer(wecom_member_says("wm-zhao", "3号楼电梯坏了")), runtime::group_private_line());
    ASSERT_TRUE(eventually([&] { return !resident_inbox("oZhao").empty(); }));
    auto question = resident_inbox("oZhao").back();
    std::string code;
    for (int i = 0; i < 10 && code.empty(); ++i) {
        const auto next = elevator_answer(question, "2");
        ASSERT_TRUE(next) << question;
        question = resident_says(*next, "oZhao");
        code = code_in(question);
    }
    ASSERT_FALSE(code.empty()) << question;
    ASSERT_TRUE(eventually([&] { return !owner_robot_messages().empty(); }));
    const auto ack = owner_robot_messages().front();
    EXPECT_NE(ack.content.find("工单号：" + code), std::string::npos) << ack.content;
    EXPECT_EQ(ack.mentioned_list, std::vector<std::string>{"wm-zhao"});
    expect_safe_for_group(ack.content);
    EXPECT_TRUE(bridge_out_.requests().empty());
}

TEST_F(OwnerGroupsTest, OddInputNeverCrashesAndEveryAnswerIsOneLine) {
    start();
    std::string long_text;
    while (long_text.size() < 4000 * 3) {
        long_text += "电梯又坏了😡";
    }
    const std::vector<std::string> odd = {"@安居 ？？？？",
                                          "@安居 😀😀😀🏠🚪",
                                          "@安居 楼上漏水到我家1502室了，电话13800001234，联系人李先生",
                                          "@安居 　　　",
                                          "＠安居\u3000\u3000嗯",
                                          "@安居 \t\n\r",
                                          "@安居 " + std::string(4000, 'a'),
                                          "@安居 " + long_text,
                                          "@安居 取消",
                                          "@安居 进度",
                                          "@安居 人工",
                                          "@安居 换房号",
                                          "@安居 3-2-1502 13800001234 李先生",
                                          "@安居 \xe2\x80\x8b\xef\xbb\xbf零宽字符"};
    int i = 0;
    for (const auto& text : odd) {
        const auto member = "u-odd" + std::to_string(++i % 3);
        const auto answer = bridge_says(member, text);
        ASSERT_EQ(answer.status, 200) << text;
        if (answer.has_reply()) {
            expect_safe_for_group(answer.text());
        }
    }
    // The 智能机器人 takes the same.
    for (const auto& text : {std::string("😀😀😀"), std::string(4000, 'x'), std::string("　")}) {
        wecom_member_says("wm-odd", text);
    }
    // Still alive, and whatever was posted into the group is safe.
    api("GET", "/api/v1/tickets");
    for (const auto& p : posts()) {
        EXPECT_TRUE(p.signed_ok);
        expect_safe_for_group(p.text);
    }
    for (const auto& a : wecom_.aibot_responses()) {
        expect_safe_for_group(a.content);
    }
}

}  // namespace
}  // namespace anju::testing
