// The admin console in a real browser: the real anju executable serves it, tickets are seeded through
// the real admin API (filed, claimed by 张工, escalated by 赵主管, resolved, noted), one ticket's claim
// deadline is moved into the past while anju is stopped so the restarted scheduler records the miss,
// and headless Chromium renders the pages (--dump-dom). The assertions read the DOM the page built:
// the stable hooks are <body data-ready="1" data-view="…">, <tr data-code="…">, timeline entries
// <li data-kind="…"> and milestone rows <tr data-milestone="…" data-state="…">.
//
// Chromium comes from the Debian package `chromium` (scripts/deps.sh --test installs it). Without it the
// tests are skipped, unless ANJU_REQUIRE_CHROMIUM=1 (scripts/test.sh sets it), when they fail.
#include "tests/support/app_runner.hpp"
#include "tests/support/async.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/fake_wecom_api.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <thread>
#include <unistd.h>

namespace anju::testing {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
namespace fs = std::filesystem;

const std::string kBinary = ANJU_BINARY;
constexpr const char* kAdminToken = "console-page-test-token-9d41";
constexpr const char* kRobotKey = "robot-key-console-page-5e2c";

// ANJU_CHROMIUM, else chromium or chromium-browser on the PATH (the Debian package installs
// /usr/bin/chromium); "" when there is none.
std::string find_chromium() {
    if (const char* given = std::getenv("ANJU_CHROMIUM"); given != nullptr && *given != '\0') {
        return ::access(given, X_OK) == 0 ? given : "";
    }
    const char* path = std::getenv("PATH");
    std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
    for (const char* name : {"chromium", "chromium-browser"}) {
        std::size_t from = 0;
        while (from <= dirs.size()) {
            const auto colon = std::min(dirs.find(':', from), dirs.size());
            const auto candidate = fs::path(dirs.substr(from, colon - from)) / name;
            if (::access(candidate.c_str(), X_OK) == 0) {
                return candidate.string();
            }
            from = colon + 1;
        }
    }
    return "";
}

bool chromium_required() {
    const char* v = std::getenv("ANJU_REQUIRE_CHROMIUM");
    return v != nullptr && std::string(v) == "1";
}

// Occurrences of `needle` in `text`.
std::size_t count_of(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto pos = text.find(needle); pos != std::string::npos;
         pos = text.find(needle, pos + needle.size())) {
        ++n;
    }
    return n;
}

// The element whose opening tag contains `marker` (e.g. id="timeline"), up to the end of its tag
// name's matching close: enough for the flat markup the console builds (no nesting of the same tag
// inside the elements the tests cut out, except where noted).
std::string element(const std::string& dom, const std::string& marker, const std::string& tag) {
    const auto at = dom.find(marker);
    if (at == std::string::npos) {
        return "";
    }
    const auto start = dom.rfind("<" + tag, at);
    const auto open = "<" + tag;
    const auto close = "</" + tag + ">";
    int depth = 0;
    for (auto pos = start; pos < dom.size();) {
        const auto next_open = dom.find(open, pos + 1);
        const auto next_close = dom.find(close, pos + 1);
        if (next_close == std::string::npos) {
            return dom.substr(start);
        }
        if (next_open != std::string::npos && next_open < next_close) {
            ++depth;
            pos = next_open;
        } else if (depth == 0) {
            return dom.substr(start, next_close + close.size() - start);
        } else {
            --depth;
            pos = next_close;
        }
    }
    return dom.substr(start);
}

class ConsolePageTest : public ::testing::Test {
protected:
    ConsolePageTest()
        : wecom_(FakeWeComApiOptions{
              .members = {"zhanggong", "ligong", "wangbaoan", "xukefu", "zhaozhuguan", "liujingli"},
              .robot_keys = {kRobotKey}}) {}

    void SetUp() override {
        chromium_ = find_chromium();
        if (chromium_.empty()) {
            if (chromium_required()) {
                FAIL() << "chromium is not installed (ANJU_REQUIRE_CHROMIUM=1): run scripts/deps.sh --test";
            }
            GTEST_SKIP() << "chromium is not installed; scripts/deps.sh --test installs it";
        }
        write_config();
        seed();
    }

    void TearDown() override {
        if (anju_) {
            anju_->send_signal(SIGINT);
            anju_->wait(15s);
        }
    }

    void write_config() {
        const auto config = json{
            {"http", {{"port", 0}}},
            {"store", {{"path", (dir_.path() / "anju.db").string()}}},
            {"admin", {{"token", kAdminToken}}},
            {"dialogs", {{"dir", std::string(ANJU_SOURCE_DIR) + "/config/dialogs"}}},
            {"outbox", {{"first_retry", "1s"}, {"max_retry", "2s"}, {"poll", "1s"}}},
            {"channels",
             {{"wecom", json::array({{{"id", "staff"},
                                      {"kind", "app"},
                                      {"corp_id", wecom_.options().corp_id},
                                      {"agent_id", wecom_.options().agent_id},
                                      {"corp_secret", wecom_.options().corp_secret},
                                      {"token", "ConsolePageToken2026"},
                                      {"encoding_aes_key", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"},
                                      {"api_base", wecom_.base_url()}}})}}},
            {"tickets",
             {{"communities",
               json::array(
                   {{{"id", "sunny"},
                     {"name", "阳光花园"},
                     {"staff",
                      json::array({{{"userid", "zhanggong"},
                                    {"name", "张工"},
                                    {"roles", {"engineering"}},
                                    {"on_duty", true}},
                                   {{"userid", "ligong"}, {"name", "李工"}, {"roles", {"engineering"}}},
                                   {{"userid", "wangbaoan"},
                                    {"name", "王保安"},
                                    {"roles", {"order"}},
                                    {"on_duty", true}},
                                   {{"userid", "xukefu"}, {"name", "许客服"}, {"roles", {"cs"}}},
                                   {{"userid", "zhaozhuguan"}, {"name", "赵主管"}, {"roles", {"supervisor"}}},
                                   {{"userid", "liujingli"}, {"name", "刘经理"}, {"roles", {"pm"}}}})},
                     {"groups", json::array({{{"department", "all"}, {"robot_key", kRobotKey}}})}}})}}}};
        config_path_ = (dir_.path() / "anju.json").string();
        std::ofstream(config_path_) << config.dump(2);
    }

    void start() {
        anju_ = std::make_unique<ChildProcess>(
            kBinary, std::vector<std::string>{"serve", "--config", config_path_}, dir_.path().string());
        ASSERT_TRUE(anju_->wait_for_stderr("press Ctrl-C to stop", 30s)) << anju_->err();
        std::smatch m;
        const std::string err = anju_->err();
        ASSERT_TRUE(std::regex_search(err, m, std::regex("running on (http://127\\.0\\.0\\.1:[0-9]+)")))
            << err;
        base_ = m[1].str();
    }

    void stop() {
        anju_->send_signal(SIGINT);
        const auto status = anju_->wait(20s);
        ASSERT_TRUE(status.has_value());
        ASSERT_EQ(*status, 0) << anju_->err();
        anju_.reset();
    }

    json api(const std::string& method, const std::string& path, const json& body = nullptr,
             int expect = 200) {
        asio::io_context ioc;
        auto tls = net::make_client_tls_context({});
        net::BeastHttpClient client(ioc.get_executor(), tls);
        net::HttpRequest request;
        request.method = method;
        request.url = base_ + path;
        request.body = body.is_null() ? "" : body.dump();
        request.headers = {{"Authorization", std::string("Bearer ") + kAdminToken},
                           {"Content-Type", "application/json"}};
        auto r = run_coro(ioc, client.send(std::move(request)));
        EXPECT_TRUE(r) << r.error().message();
        if (!r) {
            return {};
        }
        EXPECT_EQ(r->status, expect) << method << " " << path << ": " << r->body;
        return json::parse(r->body, nullptr, false);
    }

    std::string file(const std::string& room, const std::string& text) {
        const auto filed = api("POST", "/api/v1/tickets", {{"room", room}, {"text", text}}, 201);
        return filed.value("code", std::string());
    }

    void act(const std::string& code, const json& body) {
        api("POST", "/api/v1/tickets/" + code + "/actions", body);
    }

    static bool eventually(const std::function<bool()>& done, std::chrono::milliseconds cap = 30s) {
        const auto deadline = std::chrono::steady_clock::now() + cap;
        while (!done()) {
            if (std::chrono::steady_clock::now() > deadline) {
                return false;
            }
            std::this_thread::sleep_for(50ms);
        }
        return true;
    }

    // Five tickets with a history; then the noise ticket's claim deadline passes while anju is down,
    // and the restarted scheduler records the miss, as it would after a night off.
    void seed() {
        ASSERT_NO_FATAL_FAILURE(start());
        elevator_ = file("3-2-501", "电梯困人了，有人被关在里面");
        light_ = file("5-1-302", "楼道灯不亮了，晚上很黑");
        noise_ = file("3-1-101", "楼上装修太吵了，噪音很大");
        fee_ = file("2-1-201", "物业费收费不合理，多收了钱");
        pipe_ = file("5-2-602", "水管爆了，家里全是水");
        for (const auto* code : {&elevator_, &light_, &noise_, &fee_, &pipe_}) {
            ASSERT_EQ(code->size(), 6U);
        }
        act(elevator_, {{"action", "claim"}, {"as", "zhanggong"}});
        act(elevator_, {{"action", "escalate"}, {"as", "zhaozhuguan"}, {"text", "业主反映困人超过十分钟"}});
        act(elevator_, {{"action", "note"}, {"as", "zhaozhuguan"}, {"text", "已通知维保单位到场"}});
        act(light_, {{"action", "claim"}, {"actor", "ligong"}});
        act(light_, {{"action", "resolve"}, {"actor", "ligong"}, {"text", "已更换灯泡"}});
        ASSERT_NO_FATAL_FAILURE(stop());

        SQLite::Database db((dir_.path() / "anju.db").string(), SQLite::OPEN_READWRITE);
        db.exec("PRAGMA busy_timeout = 5000");
        const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
        const auto past = now_ms - 30 * 60 * 1000;
        SQLite::Statement id(db, "SELECT id FROM tickets WHERE code = ?");
        id.bind(1, noise_);
        ASSERT_TRUE(id.executeStep());
        const auto noise_id = id.getColumn(0).getInt64();
        SQLite::Statement t(db, "UPDATE tickets SET claim_due = ? WHERE id = ?");
        t.bind(1, past);
        t.bind(2, noise_id);
        EXPECT_EQ(t.exec(), 1);
        SQLite::Statement m(db, "UPDATE milestones SET due_at = ? WHERE ticket_id = ? AND name = 'claim'");
        m.bind(1, past);
        m.bind(2, noise_id);
        EXPECT_EQ(m.exec(), 1);
        SQLite::Statement timers(db,
                                 "UPDATE timers SET due_at = ? WHERE ticket_id = ? AND key LIKE '%:claim:%'");
        timers.bind(1, past);
        timers.bind(2, noise_id);
        EXPECT_GE(timers.exec(), 1);

        ASSERT_NO_FATAL_FAILURE(start());
        ASSERT_TRUE(eventually([this] {
            const auto ticket = api("GET", "/api/v1/tickets/" + noise_);
            for (const auto& ms : ticket["milestones"]) {
                if (ms["name"] == "claim" && ms["state"] == "missed") {
                    return true;
                }
            }
            return false;
        })) << anju_->err();
        // The work-group card is out (the fake WeCom robot took it).
        json messages;
        ASSERT_TRUE(eventually([this, &messages] {
            messages = api("GET", "/api/v1/tickets/" + elevator_)["messages"];
            return std::any_of(messages.begin(), messages.end(), [](const json& msg) {
                return msg["channel"] == "wecom_robot" && msg["state"] == "sent";
            });
        })) << messages.dump(2)
            << anju_->err();
    }

    // Renders `fragment` (after "#") of the console page and returns the DOM Chromium ends with.
    std::string dump(const std::string& fragment) {
        const auto profile = dir_.path() / ("chromium-" + std::to_string(++runs_));
        fs::create_directories(profile);
        ChildProcess chromium(
            chromium_,
            {"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
             "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--disable-extensions", "--user-data-dir=" + profile.string(), "--dump-dom",
             "--virtual-time-budget=15000", base_ + "/console/#" + fragment},
            dir_.path().string());
        const auto status = chromium.wait(60s);  // the destructor kills it if it hangs
        EXPECT_TRUE(status.has_value()) << "chromium ran over 60 s";
        EXPECT_EQ(status.value_or(-1), 0) << chromium.err();
        return chromium.out();
    }

    std::string with_token(const std::string& route) {
        return std::string("token=") + kAdminToken + "&" + route;
    }

    TempDir dir_;
    FakeWeComApi wecom_;
    std::string chromium_;
    std::string config_path_;
    std::unique_ptr<ChildProcess> anju_;
    std::string base_;
    int runs_ = 0;
    std::string elevator_, light_, noise_, fee_, pipe_;
};

TEST_F(ConsolePageTest, TheListShowsEveryTicketWithItsCategoryUrgencyAndSla) {
    const auto dom = dump(with_token("/tickets"));
    ASSERT_NE(dom.find("data-ready=\"1\""), std::string::npos) << dom;
    EXPECT_NE(dom.find("data-view=\"tickets\""), std::string::npos);
    const auto table = element(dom, "id=\"tickets\"", "table");
    ASSERT_FALSE(table.empty()) << dom;
    for (const auto& code : {elevator_, light_, noise_, fee_, pipe_}) {
        EXPECT_EQ(count_of(table, "data-code=\"" + code + "\""), 1U) << code;
    }
    for (const char* label : {"电梯", "照明", "噪音", "漏水"}) {
        EXPECT_NE(table.find(label), std::string::npos) << label << "\n" << table;
    }
    // The row carries its urgency and SLA state; the overdue one is marked.
    const auto noise_row = element(table, "data-code=\"" + noise_ + "\"", "tr");
    EXPECT_NE(noise_row.find("data-sla=\"overdue\""), std::string::npos) << noise_row;
    EXPECT_NE(noise_row.find("超时"), std::string::npos) << noise_row;
    const auto elevator_row = element(table, "data-code=\"" + elevator_ + "\"", "tr");
    EXPECT_NE(elevator_row.find("data-urgency=\"emergency\""), std::string::npos) << elevator_row;
    EXPECT_NE(elevator_row.find("张工"), std::string::npos) << elevator_row;
    // The token left the address bar: nothing in the page repeats it.
    EXPECT_EQ(dom.find(kAdminToken), std::string::npos);
}

TEST_F(ConsolePageTest, AFilterInTheAddressShowsOnlyTheEmergencies) {
    const auto dom = dump(with_token("/tickets?urgency=emergency"));
    ASSERT_NE(dom.find("data-ready=\"1\""), std::string::npos) << dom;
    const auto table = element(dom, "id=\"tickets\"", "table");
    ASSERT_FALSE(table.empty()) << dom;
    EXPECT_EQ(count_of(table, "data-code=\""), 2U) << table;
    EXPECT_NE(table.find("data-code=\"" + elevator_ + "\""), std::string::npos);
    EXPECT_NE(table.find("data-code=\"" + pipe_ + "\""), std::string::npos);
    for (const auto& code : {light_, noise_, fee_}) {
        EXPECT_EQ(table.find(code), std::string::npos) << code;
    }
    // The filter form shows the filter that is on.
    EXPECT_NE(element(dom, "id=\"f-urgency\"", "select").find("value=\"emergency\" selected"),
              std::string::npos);

    const auto overdue = dump(with_token("/tickets?overdue=true"));
    const auto overdue_table = element(overdue, "id=\"tickets\"", "table");
    EXPECT_EQ(count_of(overdue_table, "data-code=\""), 1U) << overdue_table;
    EXPECT_NE(overdue_table.find(noise_), std::string::npos);
}

TEST_F(ConsolePageTest, TheTicketPageShowsTheWholeTimeline) {
    const auto dom = dump(with_token("/ticket/" + elevator_));
    ASSERT_NE(dom.find("data-ready=\"1\""), std::string::npos) << dom;
    EXPECT_NE(dom.find("data-view=\"ticket\""), std::string::npos);
    EXPECT_NE(element(dom, "id=\"ticket\"", "div").find(elevator_), std::string::npos);
    EXPECT_NE(element(dom, "id=\"ticket-category\"", "span").find("电梯"), std::string::npos);
    const auto timeline = element(dom, "id=\"timeline\"", "ol");
    ASSERT_FALSE(timeline.empty()) << dom;
    // Filed, claimed by 张工, escalated and noted by 赵主管, in that order; and the messages sent.
    const auto filed = timeline.find("data-kind=\"filed\"");
    const auto claim = timeline.find("data-kind=\"claim\" data-actor=\"张工\"");
    const auto escalate = timeline.find("data-kind=\"escalate\" data-actor=\"赵主管\"");
    const auto note = timeline.find("data-kind=\"note\" data-actor=\"赵主管\"");
    ASSERT_NE(filed, std::string::npos) << timeline;
    ASSERT_NE(claim, std::string::npos) << timeline;
    ASSERT_NE(escalate, std::string::npos) << timeline;
    ASSERT_NE(note, std::string::npos) << timeline;
    EXPECT_LT(filed, claim);
    EXPECT_LT(claim, escalate);
    EXPECT_LT(escalate, note);
    EXPECT_NE(timeline.find("业主反映困人超过十分钟"), std::string::npos);
    EXPECT_NE(timeline.find("已升级至区域主管"), std::string::npos);
    EXPECT_NE(timeline.find("已通知维保单位到场"), std::string::npos);
    EXPECT_NE(timeline.find("data-kind=\"message\" data-channel=\"wecom_robot\" data-state=\"sent\""),
              std::string::npos)
        << timeline;
    // The claim milestone was met; the supervisor's actions are offered as the first supervisor.
    const auto milestones = element(dom, "id=\"milestones\"", "table");
    EXPECT_NE(milestones.find("data-milestone=\"claim\" data-state=\"met\""), std::string::npos)
        << milestones;
    EXPECT_NE(dom.find("id=\"act-transfer\""), std::string::npos);
    EXPECT_NE(dom.find("id=\"act-note\""), std::string::npos);
    EXPECT_NE(dom.find("<option value=\"zhaozhuguan\" selected"), std::string::npos)
        << element(dom, "id=\"acting-as\"", "select");
}

TEST_F(ConsolePageTest, AMissedDeadlineShowsOnTheTicketPage) {
    const auto dom = dump(with_token("/ticket/" + noise_));
    ASSERT_NE(dom.find("data-ready=\"1\""), std::string::npos) << dom;
    const auto milestones = element(dom, "id=\"milestones\"", "table");
    EXPECT_NE(milestones.find("data-milestone=\"claim\" data-state=\"missed\""), std::string::npos)
        << milestones;
    EXPECT_NE(milestones.find("已超时"), std::string::npos) << milestones;
    const auto timeline = element(dom, "id=\"timeline\"", "ol");
    EXPECT_NE(timeline.find("data-kind=\"sla_missed\""), std::string::npos) << timeline;
}

TEST_F(ConsolePageTest, TheLiveViewCountsAndListsWhatNeedsAttention) {
    const auto dom = dump(with_token("/live"));
    ASSERT_NE(dom.find("data-ready=\"1\""), std::string::npos) << dom;
    EXPECT_NE(dom.find("data-view=\"live\""), std::string::npos);
    const auto cell = [&](const std::string& id) {
        const auto td = element(dom, "id=\"" + id + "\"", "td");
        const auto gt = td.find('>');
        const auto lt = td.find('<', gt);
        return gt == std::string::npos || lt == std::string::npos ? std::string("?")
                                                                  : td.substr(gt + 1, lt - gt - 1);
    };
    // Open: the elevator (claimed), the burst pipe (unclaimed), noise (overdue) and the fee question;
    // the light was resolved. The page shows what the API counts.
    std::map<std::string, int> open;
    const auto listed = api("GET", "/api/v1/tickets?status=open");
    for (const auto& t : listed["tickets"]) {
        ++open[t["urgency"].get<std::string>()];
    }
    EXPECT_EQ(open["emergency"], 2);
    for (const char* u : {"emergency", "normal", "difficult"}) {
        EXPECT_EQ(cell(std::string("live-") + u + "-total"), std::to_string(open[u])) << u;
    }
    EXPECT_EQ(cell("live-all-total"), "4");
    EXPECT_EQ(cell("live-all-overdue"), "1");
    EXPECT_EQ(cell("live-normal-overdue"), "1");
    // The unclaimed emergency is on top, in the alarm box.
    const auto alarm = element(dom, "id=\"unclaimed\"", "section");
    EXPECT_NE(alarm.find("data-code=\"" + pipe_ + "\""), std::string::npos) << alarm;
    EXPECT_LT(dom.find("id=\"unclaimed\""), dom.find("id=\"live-matrix\""));
    const auto overdue = element(dom, "id=\"live-overdue\"", "table");
    EXPECT_NE(overdue.find("data-code=\"" + noise_ + "\""), std::string::npos) << overdue;
    EXPECT_NE(overdue.find("30分钟"), std::string::npos) << overdue;
    const auto claims = element(dom, "id=\"live-claims\"", "table");
    EXPECT_NE(claims.find("data-code=\"" + elevator_ + "\""), std::string::npos) << claims;
    EXPECT_NE(claims.find("张工"), std::string::npos) << claims;
    EXPECT_NE(claims.find("data-code=\"" + light_ + "\""), std::string::npos) << claims;
    // It refreshed on its own within the 15 s of virtual time.
    const auto updated = element(dom, "id=\"live-updated\"", "span");
    EXPECT_EQ(updated.find("data-loads=\"1\""), std::string::npos) << updated;
}

TEST_F(ConsolePageTest, WithoutAValidTokenThePageAsksForOne) {
    auto dom = dump("/tickets");
    EXPECT_NE(dom.find("data-view=\"login\""), std::string::npos) << dom;
    EXPECT_EQ(dom.find("data-code=\""), std::string::npos);
    dom = dump("token=not-the-token&/tickets");
    EXPECT_NE(dom.find("data-view=\"login\""), std::string::npos) << dom;
    EXPECT_NE(element(dom, "id=\"login-error\"", "p").find("令牌无效"), std::string::npos) << dom;
    EXPECT_EQ(dom.find("data-code=\""), std::string::npos);
}

TEST_F(ConsolePageTest, TheReportPageShowsTheReportOrTheApisError) {
    const auto dom = dump(with_token("/report?month=2026-10"));
    ASSERT_NE(dom.find("data-ready=\"1\""), std::string::npos) << dom;
    EXPECT_NE(dom.find("data-view=\"report\""), std::string::npos);
    const bool shown = dom.find("id=\"report-frame\"") != std::string::npos;
    const bool refused = dom.find("id=\"report-error\"") != std::string::npos;
    EXPECT_TRUE(shown != refused) << dom;
    if (shown) {
        EXPECT_NE(element(dom, "id=\"report-frame\"", "iframe").find("srcdoc="), std::string::npos);
    }
}

}  // namespace
}  // namespace anju::testing
