// The admin console's server side on loopback: the embedded page and its files (public, ETag and
// 304, 404 for unknown names), and the console's additions to the admin API (bearer token): the list
// filters (urgency, nature, building, overdue, sla) and each ticket's SLA state, the messages sent
// about a ticket, the live view, the staff roster and the internal note. The application runs
// in-process on a FakeClock, so deadlines pass when the test says; WeCom is FakeWeComApi.
#include "bot/assets/assets.hpp"
#include "tests/support/app_runner.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/fake_wecom_api.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <functional>
#include <set>
#include <thread>

namespace anju::testing {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

constexpr std::string_view kAdminToken = "console-test-admin-token-42";
constexpr std::string_view kRobotKey = "robot-key-console-7f3a";
const std::string kSource = ANJU_SOURCE_DIR;

config::StaffConfig staff(std::string userid, std::string name, std::vector<std::string> roles,
                          std::vector<std::string> buildings = {}, bool on_duty = false) {
    config::StaffConfig s;
    s.userid = std::move(userid);
    s.name = std::move(name);
    s.roles = std::move(roles);
    s.buildings = std::move(buildings);
    s.on_duty = on_duty;
    return s;
}

std::set<std::string> codes_of(const json& list) {
    std::set<std::string> out;
    for (const auto& t : list) {
        out.insert(t["code"].get<std::string>());
    }
    return out;
}

class ConsoleApiTest : public ::testing::Test {
protected:
    ConsoleApiTest()
        : wecom_(FakeWeComApiOptions{
              .members = {"zhanggong", "ligong", "wangbaoan", "zhaozhuguan", "qianpinzhi"},
              .robot_keys = {std::string(kRobotKey)}}) {
        auto c = test_config(dir_.path());
        c.admin.token = Secret(std::string(kAdminToken));
        c.dialogs.settings.enabled = true;
        EXPECT_TRUE(config::load_dialogs(kSource + "/config/dialogs", c.dialogs));
        config::WeComConfig app;
        app.id = "staff";
        app.kind = config::WeComConfig::Kind::app;
        app.corp_id = wecom_.options().corp_id;
        app.agent_id = wecom_.options().agent_id;
        app.corp_secret = Secret(wecom_.options().corp_secret);
        app.token = Secret(std::string("ConsoleToken2026"));
        app.encoding_aes_key = Secret(std::string("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"));
        app.api_base = wecom_.base_url();
        c.channels.wecom.push_back(app);
        c.tickets.enabled = true;
        config::CommunityConfig sunny;
        sunny.id = "sunny";
        sunny.name = "阳光花园";
        sunny.staff = {staff("zhanggong", "张工", {"engineering"}, {}, true),
                       staff("ligong", "李工", {"engineering"}),
                       staff("wangbaoan", "王保安", {"order"}, {}, true),
                       staff("zhaozhuguan", "赵主管", {"supervisor"}, {"3", "5"}),
                       staff("qianpinzhi", "钱品质", {"quality"})};
        config::WorkGroupConfig all;
        all.department = "all";
        all.robot_key = Secret(std::string(kRobotKey));
        sunny.groups = {all};
        c.tickets.communities = {sunny};
        runner_ = std::make_unique<AppRunner>(std::move(c), clock_);
    }

    net::HttpResponse call(std::string method, std::string path, std::string body = {},
                           net::Headers headers = {}, bool token = true) {
        net::HttpRequest request;
        request.method = std::move(method);
        request.url = std::move(path);
        request.body = std::move(body);
        request.headers = std::move(headers);
        if (token) {
            request.headers.emplace_back("Authorization", "Bearer " + std::string(kAdminToken));
            request.headers.emplace_back("Content-Type", "application/json");
        }
        auto r = runner_->send(std::move(request));
        EXPECT_TRUE(r) << r.error().message();
        return r ? *r : net::HttpResponse{};
    }

    json api(std::string method, std::string path, std::string body = {}, int expect = 200) {
        const auto r = call(std::move(method), path, std::move(body));
        EXPECT_EQ(r.status, expect) << path << ": " << r.body;
        return json::parse(r.body, nullptr, false);
    }

    std::string file(const std::string& room, const std::string& text) {
        const auto filed = api("POST", "/api/v1/tickets", json{{"room", room}, {"text", text}}.dump(), 201);
        return filed.value("code", std::string());
    }

    json act(const std::string& code, json body, int expect = 200) {
        return api("POST", "/api/v1/tickets/" + code + "/actions", body.dump(), expect);
    }

    static bool eventually(const std::function<bool()>& done, std::chrono::milliseconds cap = 10s) {
        const auto deadline = std::chrono::steady_clock::now() + cap;
        while (!done()) {
            if (std::chrono::steady_clock::now() > deadline) {
                return false;
            }
            std::this_thread::sleep_for(10ms);
        }
        return true;
    }

    TempDir dir_;
    FakeClock clock_;
    FakeWeComApi wecom_;
    std::unique_ptr<AppRunner> runner_;
};

TEST_F(ConsoleApiTest, TheConsoleDataWantsTheTokenButThePageDoesNot) {
    for (const char* path : {"/api/v1/live", "/api/v1/staff", "/api/v1/staff?community=sunny"}) {
        EXPECT_EQ(call("GET", path, {}, {}, false).status, 401) << path;
        EXPECT_EQ(call("GET", path, {}, {{"Authorization", "Bearer not-the-token"}}, false).status, 401)
            << path;
    }
    EXPECT_EQ(call("GET", "/console/", {}, {}, false).status, 200);
    EXPECT_EQ(call("GET", "/static/console.js", {}, {}, false).status, 200);
}

TEST_F(ConsoleApiTest, StaticFilesCarryAnETagAndAnswer304WhenUnchanged) {
    const auto* js = assets::find("console.js");
    ASSERT_NE(js, nullptr);
    auto r = call("GET", "/static/console.js", {}, {}, false);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body, js->body);
    EXPECT_EQ(r.header("Content-Type"), "text/javascript; charset=utf-8");
    EXPECT_EQ(r.header("ETag"), js->etag);
    EXPECT_EQ(r.header("Cache-Control"), "no-cache");
    EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff");

    // The browser revalidates with the ETag it has: unchanged → 304 without a body.
    r = call("GET", "/static/console.js", {}, {{"If-None-Match", std::string(js->etag)}}, false);
    EXPECT_EQ(r.status, 304);
    EXPECT_EQ(r.body, "");
    EXPECT_EQ(r.header("ETag"), js->etag);
    r = call("GET", "/static/console.js", {}, {{"If-None-Match", "\"stale\", W/" + std::string(js->etag)}},
             false);
    EXPECT_EQ(r.status, 304);
    r = call("GET", "/static/console.js", {}, {{"If-None-Match", "\"stale\""}}, false);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, js->body);

    r = call("GET", "/static/console.css", {}, {}, false);
    EXPECT_EQ(r.header("Content-Type"), "text/css; charset=utf-8");
    // Unknown names, and names that try to leave the folder, are not found.
    for (const char* path : {"/static/nope.js", "/static/../console.js", "/static/%2e%2e/console.js",
                             "/static/console.js/", "/static/CONSOLE.JS"}) {
        r = call("GET", path, {}, {}, false);
        EXPECT_EQ(r.status, 404) << path;
        EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff") << path;
    }
}

TEST_F(ConsoleApiTest, ConsoleRedirectsToItsFolderAndServesThePage) {
    auto r = call("GET", "/console", {}, {}, false);
    EXPECT_EQ(r.status, 302);
    EXPECT_EQ(r.header("Location"), "/console/");
    r = call("GET", "/console/", {}, {}, false);
    ASSERT_EQ(r.status, 200);
    const auto* page = assets::find("console.html");
    ASSERT_NE(page, nullptr);
    EXPECT_EQ(r.body, page->body);
    EXPECT_EQ(r.header("Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(r.header("ETag"), page->etag);
    r = call("GET", "/console/", {}, {{"If-None-Match", std::string(page->etag)}}, false);
    EXPECT_EQ(r.status, 304);
}

TEST_F(ConsoleApiTest, TheListFiltersByUrgencyNatureBuildingAndSla) {
    const auto trapped = file("3-2-501", "电梯困人了，有人被关在里面");
    const auto light = file("5-1-302", "楼道灯不亮了");
    const auto noise = file("3-1-101", "楼上装修太吵了，噪音很大");
    ASSERT_FALSE(trapped.empty());
    ASSERT_FALSE(light.empty());
    ASSERT_FALSE(noise.empty());
    EXPECT_EQ(codes_of(api("GET", "/api/v1/tickets?urgency=emergency")["tickets"]),
              std::set<std::string>{trapped});
    EXPECT_EQ(codes_of(api("GET", "/api/v1/tickets?nature=order")["tickets"]), std::set<std::string>{noise});
    EXPECT_EQ(codes_of(api("GET", "/api/v1/tickets?building=3")["tickets"]),
              (std::set<std::string>{trapped, noise}));
    EXPECT_EQ(codes_of(api("GET", "/api/v1/tickets?building=3&nature=facility")["tickets"]),
              std::set<std::string>{trapped});
    EXPECT_TRUE(api("GET", "/api/v1/tickets?overdue=true")["tickets"].empty());
    EXPECT_EQ(api("GET", "/api/v1/tickets?overdue=false")["tickets"].size(), 3U);
    const auto all = api("GET", "/api/v1/tickets");
    for (const auto& t : all["tickets"]) {
        EXPECT_EQ(t["sla"], "on_track") << t["code"];
    }

    // 85 % of the emergency's time to its claim deadline: a warning, and only for it.
    const auto ticket = api("GET", "/api/v1/tickets/" + trapped);
    const auto created = clock_.now();
    const auto claim_due = ticket["deadlines"]["claim"].get<std::string>();
    ASSERT_EQ(claim_due, "2026-11-27T01:05:00Z");  // filed at 09:00 local; claimed within 5 minutes
    clock_.advance(std::chrono::duration_cast<Clock::duration>(5min * 0.85));
    EXPECT_EQ(codes_of(api("GET", "/api/v1/tickets?sla=warning")["tickets"]), std::set<std::string>{trapped});
    EXPECT_EQ(codes_of(api("GET", "/api/v1/tickets?sla=on_track")["tickets"]),
              (std::set<std::string>{light, noise}));
    EXPECT_TRUE(api("GET", "/api/v1/tickets?sla=overdue")["tickets"].empty());

    // Past the deadline: overdue (before and after the scheduler records the miss).
    clock_.set(created + 6min);
    for (int i = 0; i < 2; ++i) {
        EXPECT_EQ(codes_of(api("GET", "/api/v1/tickets?overdue=true")["tickets"]),
                  std::set<std::string>{trapped});
        EXPECT_EQ(codes_of(api("GET", "/api/v1/tickets?sla=overdue")["tickets"]),
                  std::set<std::string>{trapped});
        EXPECT_EQ(codes_of(api("GET", "/api/v1/tickets?overdue=false")["tickets"]),
                  (std::set<std::string>{light, noise}));
        const auto list = api("GET", "/api/v1/tickets?urgency=emergency")["tickets"];
        ASSERT_EQ(list.size(), 1U);
        EXPECT_EQ(list[0]["sla"], "overdue");
        ASSERT_TRUE(eventually([&] {
            const auto current = api("GET", "/api/v1/tickets/" + trapped);
            for (const auto& m : current["milestones"]) {
                if (m["name"] == "claim" && m["state"] == "missed") {
                    return true;
                }
            }
            return false;
        }));
    }
    // Claimed late: the claim deadline no longer counts, but the on-site one (15 minutes) has not
    // passed yet: on track again, and a finished ticket has no SLA state at all.
    act(trapped, {{"action", "claim"}, {"as", "zhanggong"}});
    EXPECT_TRUE(api("GET", "/api/v1/tickets?overdue=true")["tickets"].empty());
    act(trapped, {{"action", "resolve"}, {"as", "zhanggong"}, {"text", "已放人，电梯恢复"}});
    const auto list = api("GET", "/api/v1/tickets?urgency=emergency")["tickets"];
    ASSERT_EQ(list.size(), 1U);
    EXPECT_TRUE(list[0]["sla"].is_null());

    // Wrong values name the field.
    EXPECT_EQ(api("GET", "/api/v1/tickets?urgency=urgent", {}, 400)["field"], "urgency");
    EXPECT_EQ(api("GET", "/api/v1/tickets?nature=none", {}, 400)["field"], "nature");
    EXPECT_EQ(api("GET", "/api/v1/tickets?overdue=maybe", {}, 400)["field"], "overdue");
    EXPECT_EQ(api("GET", "/api/v1/tickets?sla=late", {}, 400)["field"], "sla");
}

TEST_F(ConsoleApiTest, ATicketCarriesTheMessagesSentAboutIt) {
    const auto code = file("3-2-501", "电梯困人了，有人被关在里面");
    ASSERT_FALSE(code.empty());
    act(code, {{"action", "claim"}, {"actor", "zhanggong"}});
    // The work-group cards go out through the robot; wait until the outbox says so.
    json messages;
    ASSERT_TRUE(eventually([&] {
        messages = api("GET", "/api/v1/tickets/" + code)["messages"];
        return messages.size() >= 2 && std::all_of(messages.begin(), messages.end(),
                                                   [](const json& m) { return m["state"] == "sent"; });
    })) << messages.dump(2);
    bool card = false;
    for (const auto& m : messages) {
        EXPECT_GT(m["id"].get<std::int64_t>(), 0);
        EXPECT_TRUE(m["sent_at"].is_string()) << m.dump();
        EXPECT_TRUE(m["created_at"].is_string()) << m.dump();
        EXPECT_EQ(m["attempts"], 1) << m.dump();
        EXPECT_EQ(m["last_error"], "");
        EXPECT_FALSE(m["text"].get<std::string>().empty() && m["markdown"].get<std::string>().empty());
        if (m["channel"] == "wecom_robot" &&
            m["markdown"].get<std::string>().find(code) != std::string::npos) {
            card = true;
            EXPECT_EQ(m["target_kind"], "group");
        }
        if (m["channel"] == "wecom_app") {
            EXPECT_EQ(m["target_kind"], "staff");
            EXPECT_FALSE(m["to"].get<std::string>().empty());
        }
    }
    EXPECT_TRUE(card) << messages.dump(2);
    // What the robot actually received is what the ticket lists.
    EXPECT_FALSE(wecom_.robot_messages().empty());
    // Everything else a ticket had is still there.
    const auto ticket = api("GET", "/api/v1/tickets/" + code);
    EXPECT_FALSE(ticket["events"].empty());
    EXPECT_FALSE(ticket["milestones"].empty());
    EXPECT_TRUE(ticket["rectifications"].is_array());
}

TEST_F(ConsoleApiTest, TheLiveViewCountsOpenTicketsAndListsWhatNeedsAttention) {
    const auto trapped = file("3-2-501", "电梯困人了，有人被关在里面");
    const auto light = file("5-1-302", "楼道灯不亮了");
    const auto noise = file("3-1-101", "楼上装修太吵了，噪音很大");
    auto live = api("GET", "/api/v1/live");
    EXPECT_EQ(live["totals"]["open"], 3);
    EXPECT_EQ(live["totals"]["on_track"], 3);
    EXPECT_EQ(live["counts"]["emergency"]["total"], 1);
    EXPECT_EQ(live["counts"]["normal"]["total"], 2);
    EXPECT_EQ(live["counts"]["difficult"]["total"], 0);
    ASSERT_EQ(live["unclaimed_emergencies"].size(), 1U);
    EXPECT_EQ(live["unclaimed_emergencies"][0]["code"], trapped);
    EXPECT_EQ(live["unclaimed_emergencies"][0]["category_label"], "电梯");
    EXPECT_TRUE(live["overdue"].empty());
    EXPECT_TRUE(live["claims_today"].empty());
    EXPECT_EQ(live["day_start"], "2026-11-26T16:00:00Z");  // midnight in Asia/Shanghai

    act(light, {{"action", "claim"}, {"as", "ligong"}});
    clock_.advance(10min);  // the emergency is past its claim deadline, still unclaimed
    live = api("GET", "/api/v1/live?community=sunny");
    EXPECT_EQ(live["community"], "sunny");
    EXPECT_EQ(live["counts"]["emergency"]["overdue"], 1);
    EXPECT_EQ(live["totals"]["overdue"], 1);
    EXPECT_EQ(live["totals"]["open"], 3);
    ASSERT_EQ(live["overdue"].size(), 1U);
    EXPECT_EQ(live["overdue"][0]["code"], trapped);
    EXPECT_EQ(live["overdue"][0]["overdue_s"], 5 * 60);  // the claim deadline was 5 minutes in
    ASSERT_EQ(live["claims_today"].size(), 1U);
    EXPECT_EQ(live["claims_today"][0]["code"], light);
    EXPECT_EQ(live["claims_today"][0]["claimed_by_name"], "李工");
    EXPECT_EQ(live["claims_today"][0]["claimed_at"], "2026-11-27T01:00:00Z");
    EXPECT_EQ(live["unclaimed_emergencies"][0]["waiting_s"], 10 * 60);

    // The next day: yesterday's claims are gone; the emergency claimed now is today's.
    clock_.advance(24h);
    act(trapped, {{"action", "claim"}, {"as", "zhanggong"}});
    act(noise, {{"action", "claim"}, {"as", "wangbaoan"}});
    live = api("GET", "/api/v1/live");
    EXPECT_EQ(codes_of(live["claims_today"]), (std::set<std::string>{trapped, noise}));
    EXPECT_TRUE(live["unclaimed_emergencies"].empty());

    EXPECT_EQ(api("GET", "/api/v1/live?community=moon", {}, 400)["field"], "community");
    EXPECT_EQ(api("GET", "/api/v1/live?colour=red", {}, 400)["field"], "colour");
}

TEST_F(ConsoleApiTest, TheStaffRosterComesFromTheConfig) {
    const auto body = api("GET", "/api/v1/staff?community=sunny");
    ASSERT_EQ(body["communities"].size(), 1U);
    const auto& sunny = body["communities"][0];
    EXPECT_EQ(sunny["id"], "sunny");
    EXPECT_EQ(sunny["name"], "阳光花园");
    ASSERT_EQ(sunny["staff"].size(), 5U);
    const auto& zhao = sunny["staff"][3];
    EXPECT_EQ(zhao["userid"], "zhaozhuguan");
    EXPECT_EQ(zhao["name"], "赵主管");
    EXPECT_EQ(zhao["roles"], json::array({"supervisor"}));
    EXPECT_EQ(zhao["buildings"], json::array({"3", "5"}));
    EXPECT_EQ(api("GET", "/api/v1/staff")["communities"].size(), 1U);
    EXPECT_EQ(api("GET", "/api/v1/staff?community=moon", {}, 400)["field"], "community");
}

TEST_F(ConsoleApiTest, ANoteIsAnEventAndChangesNothingElse) {
    const auto code = file("3-2-501", "电梯异响，晚上声音很大");
    ASSERT_FALSE(code.empty());
    act(code, {{"action", "claim"}, {"as", "zhanggong"}});
    const auto before = api("GET", "/api/v1/tickets/" + code);
    clock_.advance(1min);
    const auto after =
        act(code, {{"action", "note"}, {"as", "zhaozhuguan"}, {"text", "业主情绪激动，优先处理"}});
    ASSERT_FALSE(after["events"].empty());
    const auto& last = after["events"].back();
    EXPECT_EQ(last["kind"], "note");
    EXPECT_EQ(last["text"], "业主情绪激动，优先处理");
    EXPECT_EQ(last["actor"], "staff:zhaozhuguan");
    EXPECT_EQ(last["actor_name"], "赵主管");
    EXPECT_EQ(after["events"].size(), before["events"].size() + 1);
    for (const char* field : {"status", "assignee", "updated_at", "deadlines", "escalation"}) {
        EXPECT_EQ(after[field], before[field]) << field;
    }
    // Anyone on the roster may write one, even outside the department, even on a closed ticket.
    act(code, {{"action", "note"}, {"as", "qianpinzhi"}, {"text", "品质抽查"}});

    EXPECT_EQ(act(code, {{"action", "note"}, {"as", "nobody"}, {"text", "x"}}, 400)["field"], "as");
    EXPECT_EQ(act(code, {{"action", "note"}, {"as", "zhaozhuguan"}}, 409)["error"], "请写上备注内容");
    // The console also escalates and reassigns as the supervisor it names.
    const auto escalated = act(code, {{"action", "escalate"}, {"as", "zhaozhuguan"}, {"text", "超时未到场"}});
    EXPECT_EQ(escalated["escalation"], 1);
    const auto moved = act(code, {{"action", "transfer"}, {"as", "zhaozhuguan"}, {"to", "ligong"}});
    EXPECT_EQ(moved["assignee_name"], "李工");
}

}  // namespace
}  // namespace anju::testing
