// The monthly report in the service: GET /api/v1/reports/monthly on a running Application (loopback,
// a real SQLite file, the admin token), the stored report of a past month, and the work of the
// monthly timer — reports kept in the store and a note queued to quality and the project manager.
#include "bot/runtime/reports_api.hpp"

#include "bot/reports/report.hpp"
#include "bot/runtime/ticket_service.hpp"
#include "bot/tickets/calendar.hpp"
#include "bot/tickets/directory.hpp"
#include "store/store.hpp"
#include "store/ticket_store.hpp"
#include "tests/support/app_runner.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/fake_clock.hpp"

#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

namespace anju::testing {
namespace {

using json = nlohmann::json;

constexpr std::string_view kAdminToken = "admin-token-for-reports-0123";

Clock::time_point local(int year, unsigned month, unsigned day, int hour = 12) {
    const auto days = tickets::days_from_civil(year, month, day);
    return Clock::time_point{std::chrono::milliseconds{days * 86'400'000 + (hour - 8) * 3'600'000LL}};
}

void add_ticket(SQLite::Database& db, std::string community, std::string building, std::string category,
                Clock::time_point at) {
    tickets::Ticket t;
    t.community = std::move(community);
    t.room = {std::move(building), "1", "101"};
    t.channel = "wechat_mp";
    t.nature = dialogs::Nature::facility;
    t.category = std::move(category);
    t.description = "电梯不动了 <b>快来</b>";
    t.department = "engineering";
    t.status = tickets::Status::closed;
    t.satisfaction = tickets::Satisfaction::satisfied;
    t.created_at = at;
    t.updated_at = at;
    tickets::Event first;
    first.at = at;
    first.actor = "system";
    first.kind = "filed";
    store::insert_ticket(db, t, first, "");
}

// The io_context must outlive the store: the store's thread lets go of the caller's executor only
// after the caller has resumed, and the store's destructor waits for that thread.
template <class F>
auto on_store(asio::io_context& ioc, store::Store& store, F f) {
    return run_coro(ioc, store.write(std::move(f)));
}

std::unique_ptr<store::Store> open_store(const std::string& path) {
    auto opened = store::Store::open({.path = path});
    if (!opened) {
        throw std::runtime_error(opened.error().what());
    }
    return std::move(*opened);
}

void close_store(asio::io_context& ioc, std::unique_ptr<store::Store>& store) {
    run_coro(ioc, store->close());
    store.reset();
}

class ReportsApiTest : public ::testing::Test {
protected:
    void SetUp() override {
        config_ = test_config(dir_.path());
        config_.admin.token = Secret(std::string(kAdminToken));
        // Three tickets in November, two in October; October's report as kept on December 1st… of
        // a run that titled it differently, so the test can tell it apart.
        asio::io_context ioc;
        auto store = open_store(config_.store.path);
        on_store(ioc, *store, [](SQLite::Database& db) {
            add_ticket(db, "sunny", "3", "elevator", local(2026, 11, 3));
            add_ticket(db, "sunny", "3", "elevator", local(2026, 11, 4));
            add_ticket(db, "sunny", "5", "water_leak", local(2026, 11, 5));
            add_ticket(db, "sunny", "3", "elevator", local(2026, 10, 3));
            add_ticket(db, "sunny", "5", "noise", local(2026, 10, 9));
        });
        on_store(ioc, *store, [](SQLite::Database& db) {
            reports::ReportOptions options;
            options.title = "存档的十月报告";
            auto kept = reports::build_monthly_report(db, {2026, 10}, options, local(2026, 11, 1, 8));
            runtime::store_report(db, kept, local(2026, 11, 1, 8));
        });
        close_store(ioc, store);
        runner_ = std::make_unique<AppRunner>(config_, clock_);
    }

    net::HttpResponse get(const std::string& path, bool token = true) {
        net::HttpRequest request;
        request.url = path;
        if (token) {
            request.headers.emplace_back("Authorization", "Bearer " + std::string(kAdminToken));
        }
        auto response = runner_->send(std::move(request));
        if (!response) {
            ADD_FAILURE() << response.error().message();
            return {};
        }
        return *response;
    }

    TempDir dir_;
    FakeClock clock_;  // 2026-11-27 09:00 in UTC+8
    config::Config config_;
    std::unique_ptr<AppRunner> runner_;
};

TEST_F(ReportsApiTest, NeedsTheAdminToken) {
    const auto r = get("/api/v1/reports/monthly?month=2026-11", false);
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.body.find("电梯"), std::string::npos);
}

TEST_F(ReportsApiTest, BuildsTheCurrentMonthAsJson) {
    const auto r = get("/api/v1/reports/monthly?month=2026-11");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Content-Type"), "application/json");
    EXPECT_EQ(r.header("X-Anju-Report"), "fresh");
    const auto j = json::parse(r.body);
    EXPECT_EQ(j["month"], "2026-11");
    EXPECT_EQ(j["totals"]["filed"], 3);
    EXPECT_EQ(j["categories"][0]["key"], "elevator");
    EXPECT_EQ(j["categories"][0]["count"], 2);
    EXPECT_EQ(j["previous"]["totals"]["filed"], 2);
    EXPECT_EQ(j["generated_at"], "2026-11-27T09:00:00+08:00");
}

TEST_F(ReportsApiTest, RefusesBadParametersNamingTheField) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"month=2026-13", "month"}, {"month=november", "month"}, {"month=2026-12", "month"},
        {"format=pdf", "format"},   {"fresh=maybe", "fresh"},    {"colour=red", "colour"},
    };
    for (const auto& [query, field] : cases) {
        const auto r = get("/api/v1/reports/monthly?" + query);
        EXPECT_EQ(r.status, 400) << query;
        const auto j = json::parse(r.body, nullptr, false);
        ASSERT_TRUE(j.is_object()) << r.body;
        EXPECT_EQ(j["field"], field) << query;
        EXPECT_TRUE(j["error"].is_string()) << query;
    }
}

TEST_F(ReportsApiTest, ServesHtmlAndCsv) {
    auto r = get("/api/v1/reports/monthly?month=2026-11&format=html");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(r.header("Content-Security-Policy"), "default-src 'none'; style-src 'unsafe-inline'");
    EXPECT_NE(r.body.find("<svg"), std::string::npos);
    EXPECT_NE(r.body.find("2026年11月投诉分析报告"), std::string::npos);
    r = get("/api/v1/reports/monthly?month=2026-11&format=csv");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Content-Type"), "text/csv; charset=utf-8");
    EXPECT_EQ(r.header("Content-Disposition"), "attachment; filename=\"anju-report-2026-11.csv\"");
    EXPECT_TRUE(r.body.starts_with("\xEF\xBB\xBF"));
    EXPECT_NE(r.body.find("totals,filed,受理投诉,3\r\n"), std::string::npos);
}

TEST_F(ReportsApiTest, APastMonthIsServedAsKeptUnlessFreshIsAsked) {
    // No month: last month, October, as stored on the 1st.
    auto r = get("/api/v1/reports/monthly");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.header("X-Anju-Report"), "stored");
    auto j = json::parse(r.body);
    EXPECT_EQ(j["month"], "2026-10");
    EXPECT_EQ(j["title"], "存档的十月报告");
    EXPECT_EQ(j["totals"]["filed"], 2);
    r = get("/api/v1/reports/monthly?month=2026-10&format=html");
    EXPECT_EQ(r.header("X-Anju-Report"), "stored");
    EXPECT_NE(r.body.find("存档的十月报告"), std::string::npos);
    r = get("/api/v1/reports/monthly?month=2026-10&fresh=true");
    EXPECT_EQ(r.header("X-Anju-Report"), "fresh");
    j = json::parse(r.body);
    EXPECT_EQ(j["title"], "2026年10月投诉分析报告");
    EXPECT_EQ(j["totals"]["filed"], 2);
    // September was never stored: built.
    r = get("/api/v1/reports/monthly?month=2026-09");
    EXPECT_EQ(r.header("X-Anju-Report"), "fresh");
    EXPECT_EQ(json::parse(r.body)["totals"]["filed"], 0);
}

// ---- the monthly timer's work, on the store thread without the HTTP server ----

config::StaffConfig staff(std::string userid, std::string name, std::string role) {
    config::StaffConfig s;
    s.userid = std::move(userid);
    s.name = std::move(name);
    s.roles = {std::move(role)};
    return s;
}

class MonthlyHookTest : public ::testing::Test {
protected:
    void SetUp() override {
        config_.tickets.enabled = true;
        config::CommunityConfig sunny;
        sunny.id = "sunny";
        sunny.name = "阳光花园";
        sunny.buildings = {"3", "5"};
        sunny.staff = {staff("qianpinzhi", "钱品质", "quality"), staff("liujingli", "刘经理", "pm"),
                       staff("zhanggong", "张工", "engineering")};
        config_.tickets.communities.push_back(sunny);
        config::CategoryLexicon elevator;
        elevator.name = "elevator";
        elevator.label = "电梯";
        config_.dialogs.understanding.categories.push_back(elevator);
    }

    void add_moon() {
        config::CommunityConfig moon;
        moon.id = "moon";
        moon.name = "月亮湾";
        moon.buildings = {"8"};
        moon.staff = {staff("sunpinzhi", "孙品质", "quality")};
        config_.tickets.communities.push_back(moon);
    }

    // Runs the hook for October on a fresh store and returns what it left: the stored reports by
    // community and the outbox rows (key → target, text).
    void run_hook() {
        asio::io_context ioc;
        auto store = open_store((dir_.path() / "anju.db").string());
        on_store(ioc, *store, [](SQLite::Database& db) {
            add_ticket(db, "sunny", "3", "elevator", local(2026, 10, 3));
            add_ticket(db, "sunny", "3", "elevator", local(2026, 10, 4));
            add_ticket(db, "moon", "8", "elevator", local(2026, 10, 5));
        });
        tickets::Directory directory(config_.tickets);
        runtime::TicketService service(directory, clock_, {}, "staff");
        runtime::ReportsApi api(*store, config_, clock_);
        auto hook = api.monthly_hook(service);
        on_store(ioc, *store, [&hook, this](SQLite::Database& db) {
            hook(db, "2026-10", clock_.now());
            SQLite::Statement reports(db,
                                      "SELECT community, format, body FROM reports WHERE month = '2026-10'");
            while (reports.executeStep()) {
                EXPECT_EQ(reports.getColumn(1).getString(), "json");
                reports_[reports.getColumn(0).getString()] = json::parse(reports.getColumn(2).getString());
            }
            SQLite::Statement outbox(db,
                                     "SELECT key, channel, account, target, payload FROM outbox ORDER BY id");
            while (outbox.executeStep()) {
                EXPECT_EQ(outbox.getColumn(1).getString(), "wecom_app");
                EXPECT_EQ(outbox.getColumn(2).getString(), "staff");
                notes_[outbox.getColumn(0).getString()] = {
                    outbox.getColumn(3).getString(),
                    json::parse(outbox.getColumn(4).getString())["text"].get<std::string>()};
            }
        });
        close_store(ioc, store);
    }

    TempDir dir_;
    FakeClock clock_{local(2026, 11, 1, 8)};
    config::Config config_;
    std::map<std::string, json> reports_;
    std::map<std::string, std::pair<std::string, std::string>> notes_;
};

TEST_F(MonthlyHookTest, KeepsLastMonthsReportAndTellsQualityAndPm) {
    run_hook();
    ASSERT_EQ(reports_.size(), 1U);
    const auto& kept = reports_[""];
    EXPECT_EQ(kept["month"], "2026-10");
    EXPECT_EQ(kept["title"], "阳光花园 2026年10月投诉分析报告");
    EXPECT_EQ(kept["totals"]["filed"], 3);
    EXPECT_EQ(kept["categories"][0]["label"], "电梯");
    ASSERT_TRUE(reports::from_json(kept));
    ASSERT_EQ(notes_.size(), 2U);
    const auto& quality = notes_["report:2026-10::quality"];
    EXPECT_EQ(quality.first, "qianpinzhi");
    EXPECT_EQ(
        quality.second,
        "【月度投诉分析】阳光花园 2026年10月投诉分析报告已生成。2026年10月共受理投诉3件，上月无投诉记录。"
        "完整报告：/api/v1/reports/monthly?month=2026-10&format=html");
    EXPECT_EQ(notes_["report:2026-10::pm"].first, "liujingli");
}

TEST_F(MonthlyHookTest, SeveralCommunitiesEachGetTheirOwn) {
    add_moon();
    run_hook();
    ASSERT_EQ(reports_.size(), 3U);
    EXPECT_EQ(reports_[""]["totals"]["filed"], 3);
    EXPECT_EQ(reports_["sunny"]["totals"]["filed"], 2);
    EXPECT_EQ(reports_["moon"]["totals"]["filed"], 1);
    EXPECT_EQ(reports_["moon"]["title"], "月亮湾 2026年10月投诉分析报告");
    // Sunny's quality and pm, moon's quality; nobody is told about the report of all of them.
    ASSERT_EQ(notes_.size(), 3U);
    EXPECT_EQ(notes_["report:2026-10:moon:quality"].first, "sunpinzhi");
    EXPECT_NE(notes_["report:2026-10:moon:quality"].second.find("2026年10月共受理投诉1件"),
              std::string::npos);
    EXPECT_NE(notes_["report:2026-10:moon:quality"].second.find("&community=moon&format=html"),
              std::string::npos);
    EXPECT_EQ(notes_["report:2026-10:sunny:pm"].first, "liujingli");
}

// ---- `anju report`, the real executable ----

class ReportCommandTest : public ::testing::Test {
protected:
    std::string write_config(const std::string& db) {
        const auto path = (dir_.path() / "anju.json").string();
        std::ofstream(path) << R"({"store": {"path": ")" << db << R"("}})";
        return path;
    }

    TempDir dir_;
};

TEST_F(ReportCommandTest, WritesTheReportOfAMonth) {
    const auto db = (dir_.path() / "anju.db").string();
    {
        asio::io_context ioc;
        auto store = open_store(db);
        on_store(ioc, *store, [](SQLite::Database& d) {
            add_ticket(d, "sunny", "3", "elevator", local(2026, 11, 3));
            add_ticket(d, "sunny", "5", "water_leak", local(2026, 11, 30, 23));
            add_ticket(d, "sunny", "5", "water_leak", local(2026, 12, 1, 0));
        });
        close_store(ioc, store);
    }
    const auto config = write_config(db);
    const auto html = (dir_.path() / "report.html").string();
    auto r = run_program(
        ANJU_BINARY, {"report", "--month", "2026-11", "--format", "html", "--out", html, "--config", config});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "") << "nothing but problems on stderr";
    std::ifstream in(html);
    const std::string page{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    EXPECT_TRUE(page.starts_with("<!doctype html>"));
    EXPECT_NE(page.find("<svg"), std::string::npos);
    r = run_program(ANJU_BINARY, {"report", "--month=2026-11", "--config", config});
    ASSERT_EQ(r.status, 0) << r.err;
    const auto j = json::parse(r.out);
    EXPECT_EQ(j["totals"]["filed"], 2);
    r = run_program(ANJU_BINARY, {"report", "--month", "2026-11", "--format", "csv", "--config", config});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("totals,filed,受理投诉,2\r\n"), std::string::npos);
}

TEST_F(ReportCommandTest, FailsInOneLine) {
    // No database: an error, not a new empty file.
    const auto db = (dir_.path() / "missing.db").string();
    const auto config = write_config(db);
    auto r = run_program(ANJU_BINARY, {"report", "--config", config});
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_TRUE(r.err.starts_with("anju: no database at '" + db + "'")) << r.err;
    EXPECT_FALSE(std::filesystem::exists(db));
    r = run_program(ANJU_BINARY, {"report", "--month", "2026-13", "--config", config});
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(r.err,
              "anju: option '--month' must be a month as YYYY-MM, e.g. 2026-11 (got '2026-13') (see anju "
              "--help)\n");
    r = run_program(ANJU_BINARY, {"report", "--format", "pdf"});
    EXPECT_EQ(r.status, 2);
}

}  // namespace
}  // namespace anju::testing
