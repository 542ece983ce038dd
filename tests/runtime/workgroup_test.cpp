// The demo staff work group page (/workgroup) on loopback: the real Application with tickets and a
// work group with "web": true, a real SQLite file, and Beast WebSocket clients playing two staff
// members' pages. A ticket's card reaches both pages, a claim typed on one page is answered by the
// bot in the group, one-to-one notices reach only the page of the member they are for, and a page
// opened later reads the feed.
#include "tests/support/app_runner.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/ws_page.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace anju::testing {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

constexpr std::string_view kAdminToken = "admin-token-for-tests-0123";
const std::string kSource = ANJU_SOURCE_DIR;

config::StaffConfig staff(std::string userid, std::string name, std::vector<std::string> roles) {
    config::StaffConfig s;
    s.userid = std::move(userid);
    s.name = std::move(name);
    s.roles = std::move(roles);
    s.on_duty = true;
    return s;
}

class WorkGroupTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto c = test_config(dir_.path());
        c.admin.token = Secret(std::string(kAdminToken));
        c.dialogs.settings.enabled = true;
        ASSERT_TRUE(config::load_dialogs(kSource + "/config/dialogs", c.dialogs));
        c.tickets.enabled = true;
        config::CommunityConfig demo;
        demo.id = "demo";
        demo.name = "安居示范小区";
        demo.staff = {staff("zhanggong", "张工", {"engineering"}), staff("ligong", "李工", {"engineering"}),
                      staff("zhaozhuguan", "赵主管", {"supervisor"})};
        config::WorkGroupConfig web;
        web.department = "all";
        web.web = true;
        demo.groups = {web};
        c.tickets.communities = {demo};
        runner_ = std::make_unique<AppRunner>(std::move(c), clock_);
    }

    std::unique_ptr<WsPage> page(const std::string& as) {
        auto p = std::make_unique<WsPage>(runner_->app().endpoint().port(), "/workgroup/ws");
        EXPECT_EQ(p->open(), 101);
        p->send(json{{"type", "hello"}, {"as", as}});
        return p;
    }

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

    static auto containing(std::string part) {
        return [part = std::move(part)](const json& f) {
            return f.value("text", std::string()).find(part) != std::string::npos;
        };
    }

    TempDir dir_;
    FakeClock clock_;
    std::unique_ptr<AppRunner> runner_;
};

TEST_F(WorkGroupTest, CardsClaimsAndNoticesReachThePages) {
    auto zhang = page("zhanggong");
    const auto hello = zhang->next("hello");
    ASSERT_FALSE(hello.is_null());
    EXPECT_EQ(hello["community"]["name"], "安居示范小区");
    EXPECT_EQ(hello["as"], "zhanggong");
    ASSERT_EQ(hello["staff"].size(), 3U);
    EXPECT_EQ(hello["staff"][0]["name"], "张工");
    EXPECT_TRUE(hello["feed"].empty());
    auto li = page("ligong");
    ASSERT_FALSE(li->next("hello").is_null());

    const auto filed = api("POST", "/api/v1/tickets",
                           json{{"room", "3-2-1502"},
                                {"text", "3号楼2单元电梯坏了，有人被困"},
                                {"name", "李先生"},
                                {"phone", "13800001234"}}
                               .dump(),
                           201);
    const auto code = filed.value("code", std::string());
    ASSERT_FALSE(code.empty());
    // The card reaches every page of the group.
    for (auto* p : {zhang.get(), li.get()}) {
        const auto card = p->next_if("group", containing(code));
        ASSERT_FALSE(card.is_null()) << "no card";
        EXPECT_NE(card["text"].get<std::string>().find("接单 " + code), std::string::npos);
        EXPECT_TRUE(card["markdown"].get<bool>());
    }
    // The emergency page to the on-duty engineers is one-to-one: only their own pages get it.
    EXPECT_FALSE(zhang->next_if("direct", containing(code)).is_null());

    zhang->send(json{{"type", "text"}, {"id", "w1"}, {"text", "接单 " + code}});
    // Everyone sees what 张工 said and the bot's answer to him.
    EXPECT_FALSE(li->next_if("group", containing("接单 " + code)).is_null());
    const auto answer = li->next_if("group", [](const json& f) {
        return f.value("from", "") == "安居助手" && f.value("text", "").rfind("@张工", 0) == 0;
    });
    ASSERT_FALSE(answer.is_null());
    EXPECT_EQ(api("GET", "/api/v1/tickets/" + code)["assignee"], "zhanggong");

    // The same claim again (a resend with the same id) is not processed twice, and a rival's claim
    // is refused with who has it.
    li->send(json{{"type", "text"}, {"id", "w2"}, {"text", "接单 " + code}});
    const auto refused = zhang->next_if("group", [](const json& f) {
        return f.value("from", "") == "安居助手" && f.value("text", "").rfind("@李工", 0) == 0;
    });
    ASSERT_FALSE(refused.is_null());
    EXPECT_NE(refused["text"].get<std::string>().find("张工"), std::string::npos) << refused.dump();

    // Bad input: no member chosen, bad JSON, empty text.
    auto nobody = page("");
    ASSERT_FALSE(nobody->next("hello").is_null());
    nobody->send(json{{"type", "text"}, {"id", "x"}, {"text", "待办"}});
    EXPECT_FALSE(nobody->next("error").is_null());
    nobody->send_raw("{not json");
    EXPECT_FALSE(nobody->next("error").is_null());
    zhang->send(json{{"type", "text"}, {"id", "w3"}, {"text", ""}});
    EXPECT_FALSE(zhang->next("error").is_null());

    // A page opened later reads the card in its feed.
    auto later = page("zhaozhuguan");
    const auto late = later->next("hello");
    ASSERT_FALSE(late.is_null());
    bool card_in_feed = false;
    for (const auto& f : late["feed"]) {
        card_in_feed = card_in_feed ||
                       (f["type"] == "group" && f["text"].get<std::string>().find(code) != std::string::npos);
    }
    EXPECT_TRUE(card_in_feed) << late.dump();
}

}  // namespace
}  // namespace anju::testing
