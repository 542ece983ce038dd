// The anju executable as a newcomer meets it: its commands, its messages, and serve + Ctrl-C.
#include "bot/net/beast_http_client.hpp"
#include "bot/net/tls.hpp"
#include "tests/support/async.hpp"
#include "tests/support/child_process.hpp"

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>

namespace anju::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

const std::string kBinary = ANJU_BINARY;
const std::string kSource = ANJU_SOURCE_DIR;

int count_lines(const std::string& text) {
    return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

class AnjuBinaryTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::random_device rd;
        dir_ = fs::temp_directory_path() / ("anju-bin-test-" + std::to_string(rd()) + std::to_string(rd()));
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string write_config(const std::string& text) {
        const auto path = (dir_ / "anju.json").string();
        std::ofstream(path) << text;
        return path;
    }

    fs::path dir_;
};

TEST_F(AnjuBinaryTest, PrintsItsVersionAndHelp) {
    auto r = run_program(kBinary, {"--version"});
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.out, "anju " ANJU_VERSION "\n");
    r = run_program(kBinary, {"--help"});
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.out.find("anju check-config"), std::string::npos);
}

TEST_F(AnjuBinaryTest, RefusesUnknownFlagsInOneLine) {
    auto r = run_program(kBinary, {"serve", "--frobnicate"});
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(r.err, "anju: unknown option '--frobnicate' (see anju --help)\n");
    r = run_program(kBinary, {});
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(count_lines(r.err), 1);
}

TEST_F(AnjuBinaryTest, CheckConfigAcceptsTheShippedConfigs) {
    for (const char* file : {"config/anju.json", "config/anju.example.json"}) {
        auto r = run_program(kBinary, {"check-config", "--config", kSource + "/" + file});
        EXPECT_EQ(r.status, 0) << file << ": " << r.err;
        EXPECT_NE(r.out.find(": OK"), std::string::npos);
    }
}

TEST_F(AnjuBinaryTest, CheckConfigListsEveryProblem) {
    const auto path = write_config(R"({"http": {"port": 99999, "read_timeout": "soon"}, "nope": true})");
    auto r = run_program(kBinary, {"check-config", "--config", path});
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find(path + ": http.port: must be between 0 and 65535 (got 99999)\n"), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find(path + ": http.read_timeout: must be a duration"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(path + ": nope: unknown key\n"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("3 problems found"), std::string::npos) << r.err;
}

TEST_F(AnjuBinaryTest, MissingConfigFileIsOneLine) {
    auto r = run_program(kBinary, {"serve", "--config", (dir_ / "absent.json").string()});
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find("cannot read the file"), std::string::npos);
}

TEST_F(AnjuBinaryTest, RefusesADamagedDatabaseWithAClearMessage) {
    std::ofstream(dir_ / "bad.db") << std::string(8192, 'z');
    const auto path =
        write_config(R"({"http": {"port": 0}, "store": {"path": ")" + (dir_ / "bad.db").string() + R"("}})");
    auto r = run_program(kBinary, {"serve", "--config", path});
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("is not an anju database or is damaged"), std::string::npos) << r.err;
}

TEST_F(AnjuBinaryTest, ServesUntilCtrlCAndStopsCleanly) {
    const auto path = write_config(R"({"http": {"port": 0}, "store": {"path": "var/anju.db"}})");
    ChildProcess anju(kBinary, {"serve", "--config", path}, dir_.string());
    ASSERT_TRUE(anju.wait_for_stderr("press Ctrl-C to stop", 20s)) << anju.err();
    std::smatch m;
    const std::string err = anju.err();
    ASSERT_TRUE(std::regex_search(err, m, std::regex("running on (http://127\\.0\\.0\\.1:[0-9]+)"))) << err;

    asio::io_context ioc;
    auto tls = net::make_client_tls_context({});
    net::BeastHttpClient client(ioc.get_executor(), tls);
    auto r = run_coro(ioc, client.send({.url = m[1].str() + "/healthz"}));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->status, 200);
    EXPECT_NE(r->body.find("\"status\":\"ok\""), std::string::npos);

    anju.send_signal(SIGINT);
    const auto status = anju.wait(15s);
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(*status, 0) << anju.err();
    EXPECT_NE(anju.err().find("msg=\"store closed\""), std::string::npos) << anju.err();
    EXPECT_TRUE(fs::exists(dir_ / "var" / "anju.db"));
}

}  // namespace
}  // namespace anju::testing
