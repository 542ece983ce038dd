// A hard crash (issue 6): the real anju executable is killed with SIGKILL while messages wait in
// the outbox (WeCom is failing) and timers are pending; timers then fall due while it is down. A
// second process on the same store delivers every message exactly once, per recipient in the order
// they were queued, and fires each due timer once. WeCom is FakeWeComApi, a real HTTP server on
// 127.0.0.1.
#include "bot/net/beast_http_client.hpp"
#include "bot/net/tls.hpp"
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
#include <fstream>
#include <map>
#include <regex>
#include <thread>

namespace anju::testing {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

const std::string kBinary = ANJU_BINARY;
constexpr const char* kAdminToken = "restart-test-admin-token";
constexpr const char* kRobotKey = "robot-key-3b8e51c0-aa2f";

class RestartTest : public ::testing::Test {
protected:
    void SetUp() override {
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
                                      {"token", "StaffToken2026"},
                                      {"encoding_aes_key", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"},
                                      {"api_base", wecom_.base_url()}}})}}},
            {"tickets",
             {{"communities",
               json::array(
                   {{{"id", "sunny"},
                     {"name", "阳光花园"},
                     {"staff",
                      json::array({{{"userid", "zhangsan"},
                                    {"name", "张工"},
                                    {"roles", {"engineering"}},
                                    {"on_duty", true}},
                                   {{"userid", "lisi"}, {"name", "李主管"}, {"roles", {"supervisor"}}},
                                   {{"userid", "wangwu"}, {"name", "王经理"}, {"roles", {"pm"}}}})},
                     {"groups", json::array({{{"department", "all"}, {"robot_key", kRobotKey}}})}}})}}}};
        config_path_ = (dir_.path() / "anju.json").string();
        std::ofstream(config_path_) << config.dump(2);
    }

    // Starts anju and returns its base URL.
    std::string start(std::unique_ptr<ChildProcess>& anju) {
        anju = std::make_unique<ChildProcess>(
            kBinary, std::vector<std::string>{"serve", "--config", config_path_}, dir_.path().string());
        EXPECT_TRUE(anju->wait_for_stderr("press Ctrl-C to stop", 20s)) << anju->err();
        std::smatch m;
        const std::string err = anju->err();
        EXPECT_TRUE(std::regex_search(err, m, std::regex("running on (http://127\\.0\\.0\\.1:[0-9]+)")))
            << err;
        return m[1].str();
    }

    json api(const std::string& base, const std::string& method, const std::string& path,
             std::string body = {}) {
        asio::io_context ioc;
        auto tls = net::make_client_tls_context({});
        net::BeastHttpClient client(ioc.get_executor(), tls);
        net::HttpRequest request;
        request.method = method;
        request.url = base + path;
        request.body = std::move(body);
        request.headers = {{"Authorization", std::string("Bearer ") + kAdminToken},
                           {"Content-Type", "application/json"}};
        auto r = run_coro(ioc, client.send(std::move(request)));
        EXPECT_TRUE(r) << r.error().message();
        return r ? json::parse(r->body, nullptr, false) : json();
    }

    // Reads the store file directly (WAL mode allows it while anju runs).
    template <class F>
    auto with_db(F fn) {
        SQLite::Database db((dir_.path() / "anju.db").string(), SQLite::OPEN_READWRITE);
        db.exec("PRAGMA busy_timeout = 5000");
        return fn(db);
    }

    int count(const std::string& sql) {
        return with_db([&sql](SQLite::Database& db) {
            SQLite::Statement q(db, sql);
            q.executeStep();
            return q.getColumn(0).getInt();
        });
    }

    // The outbox and the timers, for failure messages.
    std::string dump() {
        return with_db([](SQLite::Database& db) {
            std::string out = "\noutbox:";
            SQLite::Statement q(
                db, "SELECT id, key, channel, target, state, attempts, next_at, last_error FROM outbox");
            while (q.executeStep()) {
                out += "\n  " + q.getColumn(0).getString() + " " + q.getColumn(1).getString() + " " +
                       q.getColumn(2).getString() + " " + q.getColumn(3).getString() + " " +
                       q.getColumn(4).getString() + " attempts=" + q.getColumn(5).getString() +
                       " next_at=" + q.getColumn(6).getString() + " " + q.getColumn(7).getString();
            }
            out += "\ntimers:";
            SQLite::Statement t(db, "SELECT key, due_at FROM timers ORDER BY due_at");
            while (t.executeStep()) {
                out += "\n  " + t.getColumn(0).getString() + " " + t.getColumn(1).getString();
            }
            return out;
        });
    }

    static bool eventually(const std::function<bool()>& done, std::chrono::milliseconds cap = 30s) {
        const auto deadline = std::chrono::steady_clock::now() + cap;
        while (!done()) {
            if (std::chrono::steady_clock::now() > deadline) {
                return false;
            }
            std::this_thread::sleep_for(20ms);
        }
        return true;
    }

    TempDir dir_;
    FakeWeComApi wecom_;
    std::string config_path_;
};

TEST_F(RestartTest, AKilledProcessLosesNothingAndRepeatsNothing) {
    // WeCom fails every send (system busy) while the first process runs.
    wecom_.fail_next_sends(-1, 100000);
    std::unique_ptr<ChildProcess> first;
    const auto base = start(first);
    std::vector<std::string> codes;
    for (int i = 1; i <= 4; ++i) {
        const auto body = json{{"room", "3-2-50" + std::to_string(i)},
                               {"text", i == 4 ? "电梯困人了，有人被关在里面" : "楼道灯不亮了"}};
        const auto filed = api(base, "POST", "/api/v1/tickets", body.dump());
        ASSERT_TRUE(filed.contains("code")) << filed.dump();
        codes.push_back(filed["code"].get<std::string>());
    }
    // Cards (robot) and the emergency's one-to-one alert (app) are queued; sends are being tried
    // and failing.
    ASSERT_TRUE(eventually([this] { return wecom_.send_requests() >= 3; }));
    const int queued = count("SELECT count(*) FROM outbox");
    EXPECT_GE(queued, 5);
    first->send_signal(SIGKILL);
    ASSERT_TRUE(first->wait(10s).has_value());
    EXPECT_EQ(count("SELECT count(*) FROM outbox WHERE state = 'sent'"), 0);
    EXPECT_GT(count("SELECT count(*) FROM timers"), 0);

    // Time passes while it is down: every ticket's claim warning falls due (in ticket order).
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    with_db([now_ms](SQLite::Database& db) {
        SQLite::Statement q(db, "UPDATE timers SET due_at = ? + ticket_id WHERE key LIKE 'T%:claim:warn'");
        q.bind(1, now_ms - 60'000);
        return q.exec();
    });
    const int warnings_due = count("SELECT count(*) FROM timers WHERE key LIKE 'T%:claim:warn'");
    EXPECT_EQ(warnings_due, 4);

    // WeCom is back; a second process on the same store.
    wecom_.fail_next_sends(0, 0);
    std::unique_ptr<ChildProcess> second;
    start(second);
    ASSERT_TRUE(eventually([this] {
        return count("SELECT count(*) FROM timers WHERE key LIKE 'T%:claim:warn'") == 0 &&
               count("SELECT count(*) FROM outbox WHERE state = 'pending'") == 0;
    })) << second->err()
        << dump();
    EXPECT_EQ(count("SELECT count(*) FROM outbox WHERE state = 'failed'"), 0) << second->err() << dump();

    // Every message exactly once: what the outbox says was sent is what WeCom accepted, in the
    // order it was queued for each recipient.
    const auto robot = wecom_.robot_messages();
    const auto app = wecom_.app_messages();
    std::map<std::string, int> seen;
    for (const auto& m : robot) {
        ++seen[m.content];
    }
    for (const auto& m : app) {
        ++seen[m.content];
    }
    for (const auto& [content, n] : seen) {
        EXPECT_EQ(n, 1) << "delivered twice: " << content;
    }
    const int sent = count("SELECT count(*) FROM outbox WHERE state = 'sent'");
    EXPECT_EQ(static_cast<std::size_t>(sent), robot.size() + app.size());
    // The robot group received the four cards first (queued before the crash), then the four
    // warnings (queued by the timers after the restart), each set in ticket order.
    ASSERT_EQ(robot.size(), 8U);
    for (std::size_t i = 0; i < 4; ++i) {
        EXPECT_NE(robot[i].content.find(codes[i]), std::string::npos) << i << ": " << robot[i].content;
        EXPECT_EQ(robot[i].content.find("【预警】"), std::string::npos) << robot[i].content;
        EXPECT_NE(robot[4 + i].content.find("【预警】"), std::string::npos) << robot[4 + i].content;
        EXPECT_NE(robot[4 + i].content.find(codes[i]), std::string::npos) << robot[4 + i].content;
    }
    ASSERT_EQ(app.size(), 1U);  // the emergency's alert to the on-duty engineer
    EXPECT_NE(app[0].content.find(codes[3]), std::string::npos);
    // Each warning fired once and is on its ticket's record once.
    EXPECT_EQ(count("SELECT count(*) FROM ticket_events WHERE kind = 'sla_warning'"), 4);
    second->send_signal(SIGTERM);
    EXPECT_EQ(second->wait(15s).value_or(-1), 0) << second->err();
}

}  // namespace
}  // namespace anju::testing
