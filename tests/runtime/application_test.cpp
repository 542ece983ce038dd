#include "bot/runtime/application.hpp"

#include "bot/net/beast_http_client.hpp"
#include "bot/net/tls.hpp"
#include "tests/support/async.hpp"
#include "tests/support/fake_clock.hpp"

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

namespace anju::runtime {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

fs::path fresh_dir() {
    std::random_device rd;
    auto dir = fs::temp_directory_path() / ("anju-app-test-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(dir);
    return dir;
}

config::Config test_config(const fs::path& dir) {
    config::Config c;
    c.source = "test";
    c.service.name = "安居 test";
    c.service.io_threads = testing::test_io_threads();
    c.http.port = 0;
    c.http.shutdown_grace = 2s;
    c.store.path = (dir / "var" / "anju.db").string();
    c.store.synchronous = config::StoreConfig::Sync::normal;
    c.effective = R"j({"admin": {"token": "<redacted> (from file)"}})j";
    return c;
}

class ApplicationTest : public ::testing::Test {
protected:
    void TearDown() override {
        if (app_) {
            app_->stop();
        }
        if (runner_.joinable()) {
            runner_.join();
        }
        app_.reset();
        fs::remove_all(dir_);
    }

    void start(config::Config c, ApplicationOptions options = {.handle_signals = false}) {
        app_ = std::make_unique<Application>(std::move(c), clock_, options);
        auto started = app_->start();
        ASSERT_TRUE(started) << started.error().what();
        runner_ = std::thread([this] { app_->run(); });
    }

    boost::system::result<net::HttpResponse> get(std::string path, net::Headers headers = {}) {
        asio::io_context ioc;
        auto tls = net::make_client_tls_context({});
        net::BeastHttpClient client(ioc.get_executor(), tls);
        net::HttpRequest request;
        request.url = "http://127.0.0.1:" + std::to_string(app_->endpoint().port()) + path;
        request.headers = std::move(headers);
        return testing::run_coro(ioc, client.send(std::move(request)));
    }

    fs::path dir_ = fresh_dir();
    testing::FakeClock clock_;
    std::unique_ptr<Application> app_;
    std::thread runner_;
};

TEST_F(ApplicationTest, HealthzReportsTheStore) {
    start(test_config(dir_));
    clock_.advance(90s);
    auto r = get("/healthz");
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->header("Content-Type"), "application/json");
    const auto body = nlohmann::json::parse(r->body);
    EXPECT_EQ(body["status"], "ok");
    EXPECT_EQ(body["store"], "ok");
    EXPECT_EQ(body["service"], "安居 test");
    EXPECT_EQ(body["uptime_s"], 90);
    EXPECT_EQ(body["schema_version"], static_cast<int>(store::builtin_migrations().size()));
    EXPECT_TRUE(fs::exists(dir_ / "var" / "anju.db"));
}

TEST_F(ApplicationTest, MetricsUseThePrometheusTextFormat) {
    start(test_config(dir_));
    ASSERT_TRUE(get("/healthz"));
    auto r = get("/metrics");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    for (const char* part : {"# TYPE http_requests_total counter",
                             "http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1",
                             "# TYPE http_request_duration_seconds histogram", "http_open_connections 1",
                             "store_queue_depth 0", "anju_build_info{version=\"" ANJU_VERSION "\"} 1"}) {
        EXPECT_NE(r->body.find(part), std::string::npos) << part << "\n" << r->body;
    }
}

TEST_F(ApplicationTest, FrontPageSaysWhatIsRunning) {
    start(test_config(dir_));
    auto r = get("/");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->header("Content-Type"), "text/html; charset=utf-8");
    EXPECT_NE(r->body.find("安居 test"), std::string::npos);
    EXPECT_NE(r->body.find("/healthz"), std::string::npos);
}

TEST_F(ApplicationTest, AdminConfigIsOffWithoutAToken) {
    start(test_config(dir_));
    auto r = get("/admin/config");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
}

TEST_F(ApplicationTest, AdminConfigNeedsTheBearerToken) {
    auto c = test_config(dir_);
    c.admin.token = Secret("correct-horse-battery-staple");
    start(std::move(c));
    auto r = get("/admin/config");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
    EXPECT_EQ(r->header("WWW-Authenticate"), "Bearer");
    r = get("/admin/config", {{"Authorization", "Bearer correct-horse-battery-stapl"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
    r = get("/admin/config", {{"Authorization", "Bearer correct-horse-battery-staple"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_NE(r->body.find("<redacted>"), std::string::npos);
    EXPECT_EQ(r->body.find("correct-horse"), std::string::npos);
}

TEST_F(ApplicationTest, StopShutsDownAndClosesTheStore) {
    start(test_config(dir_));
    ASSERT_TRUE(get("/healthz"));
    app_->stop();
    runner_.join();
    // The WAL was folded into the database file.
    const auto wal = dir_ / "var" / "anju.db-wal";
    EXPECT_TRUE(!fs::exists(wal) || fs::file_size(wal) == 0);
}

TEST_F(ApplicationTest, SigtermShutsDownGracefully) {
    start(test_config(dir_), ApplicationOptions{.handle_signals = true});
    ASSERT_TRUE(get("/healthz"));  // serving, so the signal handler is installed
    ASSERT_EQ(::kill(::getpid(), SIGTERM), 0);
    runner_.join();
    EXPECT_FALSE(get("/healthz"));
}

TEST_F(ApplicationTest, StartFailsClearlyWhenThePortIsTaken) {
    start(test_config(dir_));
    auto c = test_config(dir_);
    c.store.path = (dir_ / "second.db").string();
    c.http.port = app_->endpoint().port();
    Application second(std::move(c), clock_, {.handle_signals = false});
    auto started = second.start();
    ASSERT_FALSE(started);
    EXPECT_EQ(started.error().code, asio::error::address_in_use);
    EXPECT_NE(started.error().what().find("cannot listen on 127.0.0.1:"), std::string::npos)
        << started.error().what();
}

TEST_F(ApplicationTest, StartFailsClearlyOnADamagedDatabase) {
    auto c = test_config(dir_);
    fs::create_directories(fs::path(c.store.path).parent_path());
    std::ofstream(c.store.path) << std::string(8192, 'x');
    Application app(std::move(c), clock_, {.handle_signals = false});
    auto started = app.start();
    ASSERT_FALSE(started);
    EXPECT_EQ(started.error().code, store::errc::not_a_database);
}

}  // namespace
}  // namespace anju::runtime
