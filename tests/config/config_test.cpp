#include "config/config.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

namespace anju::config {

// Lets gtest print a Problem in failure messages (found by ADL, so it lives in Problem's namespace).
void PrintTo(const Problem& problem, std::ostream* out) { *out << problem.to_string(); }

namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;

constexpr const char* kSource = "test.json";

std::string source_path(std::string_view relative) {
    return std::string(ANJU_SOURCE_DIR) + "/" + std::string(relative);
}

// The problems of a config that must fail; an empty list (and a test failure) if it loads.
std::vector<Problem> problems_of(std::string_view text, const Env& env = {}) {
    auto loaded = parse_config(text, kSource, env);
    if (loaded.has_value()) {
        ADD_FAILURE() << "expected problems, but the config loaded:\n" << loaded->effective;
        return {};
    }
    return loaded.error().items;
}

Problem problem(std::string key, std::string message) {
    return {kSource, std::move(key), std::move(message)};
}

// Asserts that `text` fails with exactly one problem at `key` saying `message`.
void expect_single_problem(std::string_view text, const std::string& key, const std::string& message) {
    EXPECT_EQ(problems_of(text), std::vector<Problem>{problem(key, message)}) << text;
}

const std::string kDurationHint = R"(must be a duration such as "250ms", "30s", "15m" or "24h")";
const std::string kSizeHint = R"(must be a size such as 65536, "16KiB" or "1MiB")";

// A folder of its own under the system's temp folder, removed at the end of the test.
class TempDir {
public:
    TempDir() {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        path_ = std::filesystem::temp_directory_path() /
                ("anju-config-test-" + std::string(info->name()) + "-" + std::to_string(::getpid()));
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    std::string write(const std::string& name, std::string_view text) const {
        const auto file = path_ / name;
        std::ofstream(file, std::ios::binary) << text;
        return file.string();
    }
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

// --- successful loads ---

TEST(ConfigTest, EmptyObjectYieldsDefaults) {
    const auto loaded = parse_config("{}", kSource, {});
    ASSERT_TRUE(loaded.has_value());
    const Config& c = *loaded;
    EXPECT_EQ(c.source, kSource);
    EXPECT_EQ(c.service.name, "anju");
    EXPECT_EQ(c.service.io_threads, 0U);
    EXPECT_EQ(c.http.address, "127.0.0.1");
    EXPECT_EQ(c.http.port, 8080);
    EXPECT_EQ(c.http.body_limit, 1024U * 1024);
    EXPECT_EQ(c.http.header_limit, 16U * 1024);
    EXPECT_EQ(c.http.read_timeout, milliseconds{30'000});
    EXPECT_EQ(c.http.write_timeout, milliseconds{30'000});
    EXPECT_EQ(c.http.idle_timeout, milliseconds{60'000});
    EXPECT_EQ(c.http.max_connections, 1024U);
    EXPECT_EQ(c.http.shutdown_grace, milliseconds{10'000});
    EXPECT_EQ(c.store.path, "var/anju.db");
    EXPECT_EQ(c.store.synchronous, StoreConfig::Sync::full);
    EXPECT_EQ(c.store.busy_timeout, milliseconds{5000});
    EXPECT_EQ(c.http_client.timeout, milliseconds{10'000});
    EXPECT_EQ(c.http_client.max_response_size, 8U * 1024 * 1024);
    EXPECT_EQ(c.http_client.ca_file, "");
    EXPECT_EQ(c.log.level, log::Level::info);
    EXPECT_TRUE(c.admin.token.empty());
}

TEST(ConfigTest, EffectiveShowsEveryDefaultInItsConfigForm) {
    const auto loaded = parse_config("{}", kSource, {});
    ASSERT_TRUE(loaded.has_value());
    const auto effective = json::parse(loaded->effective);
    const auto expected = json::parse(R"j({
        "service": {"name": "anju", "io_threads": 0},
        "http": {"address": "127.0.0.1", "port": 8080, "body_limit": 1048576, "header_limit": 16384,
                 "read_timeout": "30s", "write_timeout": "30s", "idle_timeout": "1m",
                 "max_connections": 1024, "shutdown_grace": "10s"},
        "store": {"path": "var/anju.db", "synchronous": "full", "busy_timeout": "5s"},
        "http_client": {"timeout": "10s", "max_response_size": 8388608, "ca_file": ""},
        "log": {"level": "info"},
        "admin": {"token": "<empty> (from file)"},
        "channels": {"wechat_mp": [], "wecom": [], "bridge": [],
                     "webchat": {"enabled": false, "max_text": 2000, "allowed_origins": []}},
        "dialogs": {"dir": "dialogs", "expire_after": "30m", "max_attempts": 2},
        "outbox": {"poll": "30s", "first_retry": "30s", "max_retry": "1h", "max_attempts": 10, "concurrency": 4,
                   "rates": {"robot_per_minute": 20, "app_per_member_per_minute": 30, "appchat_per_minute": 200,
                             "wechat_mp_per_second": 200, "owner_group_per_minute": 20}},
        "tickets": {"routing": {"natures": {}, "categories": {}}, "utc_offset_minutes": 480,
                    "emergency_on_site": "15m", "order_immediate_on_site": "5m", "normal_plan": "2wd",
                    "engineering_plan": "1d", "difficult_plan": "5wd", "start_within": "1wd",
                    "transfer_contact": "1h", "confirm_timeout": "3d", "group_threshold": 20,
                    "group_window": "1d", "emergency_claim": "5m", "warn_at_percent": 80,
                    "escalation": {"emergency": {"supervisor": "5m", "pm": "15m"},
                                   "normal": {"supervisor": "2h", "pm": "1wd"},
                                   "difficult": {"supervisor": "1wd", "pm": "2wd"}},
                    "daily_push": true, "daily_push_at": "18:00", "rectification_answer": "3wd",
                    "monthly_report_at": "08:00", "communities": []},
        "reports": {"hotspot_min": 3, "repeat_min": 3, "repeat_months": 3}
    })j");
    EXPECT_EQ(effective, expected) << loaded->effective;
}

TEST(ConfigTest, ReadsEveryField) {
    const auto loaded = parse_config(R"({
        "service": {"name": "anju-test", "io_threads": 4},
        "http": {"address": "::1", "port": 9090, "body_limit": "2MiB", "header_limit": 32768,
                 "read_timeout": "5s", "write_timeout": "7500ms", "idle_timeout": "2m",
                 "max_connections": 10, "shutdown_grace": "0ms"},
        "store": {"path": "/srv/anju/anju.db", "synchronous": "normal", "busy_timeout": "250ms"},
        "http_client": {"timeout": "3s", "max_response_size": "1GiB", "ca_file": "/etc/anju/ca.pem"},
        "log": {"level": "debug"},
        "admin": {"token": "0123456789abcdef-from-file"}
    })",
                                     kSource, {});
    ASSERT_TRUE(loaded.has_value()) << ::testing::PrintToString(loaded.error().items);
    const Config& c = *loaded;
    EXPECT_EQ(c.service.name, "anju-test");
    EXPECT_EQ(c.service.io_threads, 4U);
    EXPECT_EQ(c.http.address, "::1");
    EXPECT_EQ(c.http.port, 9090);
    EXPECT_EQ(c.http.body_limit, 2U * 1024 * 1024);
    EXPECT_EQ(c.http.header_limit, 32768U);
    EXPECT_EQ(c.http.read_timeout, milliseconds{5000});
    EXPECT_EQ(c.http.write_timeout, milliseconds{7500});
    EXPECT_EQ(c.http.idle_timeout, milliseconds{120'000});
    EXPECT_EQ(c.http.max_connections, 10U);
    EXPECT_EQ(c.http.shutdown_grace, milliseconds{0});
    EXPECT_EQ(c.store.path, "/srv/anju/anju.db");
    EXPECT_EQ(c.store.synchronous, StoreConfig::Sync::normal);
    EXPECT_EQ(c.store.busy_timeout, milliseconds{250});
    EXPECT_EQ(c.http_client.timeout, milliseconds{3000});
    EXPECT_EQ(c.http_client.max_response_size, 1024U * 1024 * 1024);
    EXPECT_EQ(c.http_client.ca_file, "/etc/anju/ca.pem");
    EXPECT_EQ(c.log.level, log::Level::debug);
    EXPECT_EQ(c.admin.token.reveal(), "0123456789abcdef-from-file");

    const auto effective = json::parse(c.effective);
    EXPECT_EQ(effective["http"]["body_limit"], 2 * 1024 * 1024);
    EXPECT_EQ(effective["http"]["idle_timeout"], "2m");
    EXPECT_EQ(effective["http"]["write_timeout"], "7500ms");
    EXPECT_EQ(effective["store"]["synchronous"], "normal");
    EXPECT_EQ(effective["log"]["level"], "debug");
    EXPECT_EQ(effective["admin"]["token"], "<redacted> (from file)");
}

TEST(ConfigTest, AcceptsEveryLogLevelAndBothSyncModes) {
    const std::pair<const char*, log::Level> levels[] = {
        {"trace", log::Level::trace}, {"debug", log::Level::debug}, {"info", log::Level::info},
        {"warn", log::Level::warn},   {"error", log::Level::error}, {"off", log::Level::off}};
    for (const auto& [name, level] : levels) {
        const auto loaded =
            parse_config(R"({"log": {"level": ")" + std::string(name) + R"("}})", kSource, {});
        ASSERT_TRUE(loaded.has_value()) << name;
        EXPECT_EQ(loaded->log.level, level) << name;
    }
    const auto full = parse_config(R"({"store": {"synchronous": "full"}})", kSource, {});
    ASSERT_TRUE(full.has_value());
    EXPECT_EQ(full->store.synchronous, StoreConfig::Sync::full);
}

TEST(ConfigTest, AcceptsTheBoundsOfEveryRange) {
    const auto low = parse_config(R"({
        "service": {"io_threads": 0},
        "http": {"port": 0, "body_limit": 1024, "header_limit": "1KiB", "read_timeout": "10ms",
                 "max_connections": 1, "shutdown_grace": "0s"},
        "http_client": {"timeout": "100ms", "max_response_size": 1024}
    })",
                                  kSource, {});
    ASSERT_TRUE(low.has_value()) << ::testing::PrintToString(low.error().items);
    EXPECT_EQ(low->http.port, 0);
    EXPECT_EQ(low->http.read_timeout, milliseconds{10});

    const auto high = parse_config(R"({
        "service": {"io_threads": 64},
        "http": {"port": 65535, "body_limit": "64MiB", "header_limit": "1MiB", "read_timeout": "1h",
                 "idle_timeout": "24h", "max_connections": 1000000, "shutdown_grace": "10m"},
        "store": {"busy_timeout": "10m"},
        "http_client": {"timeout": "10m", "max_response_size": "1GiB"}
    })",
                                   kSource, {});
    ASSERT_TRUE(high.has_value()) << ::testing::PrintToString(high.error().items);
    EXPECT_EQ(high->service.io_threads, 64U);
    EXPECT_EQ(high->http.port, 65535);
    EXPECT_EQ(high->http.max_connections, 1'000'000U);
    EXPECT_EQ(high->http.idle_timeout, milliseconds{86'400'000});
}

// --- whole-file problems ---

TEST(ConfigTest, ReportsAnUnreadableFile) {
    const TempDir dir;
    const auto path = (dir.path() / "missing.json").string();
    const auto loaded = load_config(path, {});
    ASSERT_TRUE(loaded.has_error());
    EXPECT_EQ(
        loaded.error().items,
        (std::vector<Problem>{{path, "", "cannot read the file (does it exist, and may anju read it?)"}}));
}

TEST(ConfigTest, ReportsAFolderGivenAsTheFileAsUnreadable) {
    const TempDir dir;
    const auto loaded = load_config(dir.path().string(), {});
    ASSERT_TRUE(loaded.has_error());
    const std::vector<Problem> expected = {
        {dir.path().string(), "", "cannot read the file (does it exist, and may anju read it?)"}};
    EXPECT_EQ(loaded.error().items, expected);
}

TEST(ConfigTest, LoadsAFileAndNamesItInProblems) {
    const TempDir dir;
    const auto good = dir.write("good.json", R"({"http": {"port": 1234}})");
    const auto loaded = load_config(good, {});
    ASSERT_TRUE(loaded.has_value());
    EXPECT_EQ(loaded->source, good);
    EXPECT_EQ(loaded->http.port, 1234);

    const auto bad = dir.write("bad.json", R"({"http": {"port": 70000}})");
    const auto failed = load_config(bad, {});
    ASSERT_TRUE(failed.has_error());
    EXPECT_EQ(failed.error().items,
              (std::vector<Problem>{{bad, "http.port", "must be between 0 and 65535 (got 70000)"}}));
}

TEST(ConfigTest, ReportsInvalidJsonWithLineAndColumn) {
    expect_single_problem(
        "{\n  \"http\": {\n    \"port\": 8080,\n  }\n}", "",
        "invalid JSON at line 4, column 3: syntax error while parsing object key - unexpected "
        "'}'; expected string literal");
    expect_single_problem(
        "", "",
        "invalid JSON at line 1, column 1: syntax error while parsing value - unexpected end "
        "of input; expected '[', '{', or a literal");
    // A lexer error: nlohmann's echo of the text read ("; last read: ...") is dropped.
    expect_single_problem(
        "{\n  \"service\": {\"name\": \"anju\n\"}}", "",
        "invalid JSON at line 3, column 0: syntax error while parsing value - invalid string: "
        "control character U+000A (LF) must be escaped to \\u000A or \\n");
}

TEST(ConfigTest, ReadsTheWebChatAndChecksItsOrigins) {
    const auto loaded = parse_config(R"({"channels": {"webchat": {
        "enabled": true, "max_text": 500,
        "allowed_origins": ["https://chat.example.com", "http://127.0.0.1:9000"]}}})",
                                     kSource, {});
    ASSERT_TRUE(loaded.has_value()) << ::testing::PrintToString(loaded.error().items);
    EXPECT_TRUE(loaded->channels.webchat.enabled);
    EXPECT_EQ(loaded->channels.webchat.max_text, 500U);
    EXPECT_EQ(loaded->channels.webchat.allowed_origins,
              (std::vector<std::string>{"https://chat.example.com", "http://127.0.0.1:9000"}));
    expect_single_problem(
        R"({"channels": {"webchat": {"allowed_origins": ["https://chat.example.com/page"]}}})",
        "channels.webchat.allowed_origins",
        R"(must hold "*" or origins such as "https://chat.example.com" (scheme://host[:port], no path; )"
        R"(got "https://chat.example.com/page"))");
    expect_single_problem(R"({"channels": {"webchat": {"max_text": 0}}})", "channels.webchat.max_text",
                          "must be between 1 and 100000 (got 0)");
}

TEST(ConfigTest, RejectsJsonWithCStyleComments) {
    const auto problems = problems_of("{\n  // a comment\n  \"http\": {}\n}");
    ASSERT_EQ(problems.size(), 1U);
    EXPECT_EQ(problems[0].key, "");
    EXPECT_TRUE(problems[0].message.starts_with("invalid JSON at line 2, column ")) << problems[0].message;
}

TEST(ConfigTest, ReportsATopLevelThatIsNotAnObject) {
    expect_single_problem("[1, 2]", "", "must contain a JSON object (got an array)");
    expect_single_problem(R"("http")", "", "must contain a JSON object (got a string)");
    expect_single_problem("null", "", "must contain a JSON object (got null)");
    expect_single_problem("42", "", "must contain a JSON object (got an integer)");
}

// --- problems with one key ---

TEST(ConfigTest, ReportsASectionThatIsNotAnObject) {
    expect_single_problem(R"({"http": 8080})", "http", "must be an object (got an integer)");
    expect_single_problem(R"({"admin": "secret"})", "admin", "must be an object (got a string)");
    expect_single_problem(R"({"log": ["info"]})", "log", "must be an object (got an array)");
    expect_single_problem(R"({"store": null})", "store", "must be an object (got null)");
}

TEST(ConfigTest, ReportsAWrongTypeForAString) {
    expect_single_problem(R"({"service": {"name": 5}})", "service.name", "must be a string (got an integer)");
    expect_single_problem(R"({"http_client": {"ca_file": false}})", "http_client.ca_file",
                          "must be a string (got a boolean)");
    expect_single_problem(R"({"admin": {"token": {"value": "x"}}})", "admin.token",
                          "must be a string (got an object)");
}

TEST(ConfigTest, ReportsAWrongTypeForAnInteger) {
    expect_single_problem(R"({"http": {"port": "8080"}})", "http.port", "must be an integer (got a string)");
    expect_single_problem(R"({"http": {"port": 80.5}})", "http.port", "must be an integer (got a number)");
    expect_single_problem(R"({"service": {"io_threads": true}})", "service.io_threads",
                          "must be an integer (got a boolean)");
    expect_single_problem(R"({"http": {"max_connections": null}})", "http.max_connections",
                          "must be an integer (got null)");
}

TEST(ConfigTest, ReportsAWrongTypeForADuration) {
    expect_single_problem(R"({"http": {"read_timeout": 30}})", "http.read_timeout",
                          kDurationHint + " (got 30)");
    expect_single_problem(R"({"store": {"busy_timeout": true}})", "store.busy_timeout",
                          kDurationHint + " (got true)");
}

TEST(ConfigTest, ReportsAWrongTypeForASize) {
    expect_single_problem(R"({"http": {"body_limit": true}})", "http.body_limit", kSizeHint + " (got true)");
    expect_single_problem(R"({"http": {"body_limit": 1.5}})", "http.body_limit", kSizeHint + " (got 1.5)");
}

TEST(ConfigTest, ReportsAWrongTypeOrValueForAChoice) {
    expect_single_problem(
        R"({"log": {"level": "verbose"}})", "log.level",
        R"(must be one of "trace", "debug", "info", "warn", "error", "off" (got "verbose"))");
    expect_single_problem(R"({"log": {"level": "INFO"}})", "log.level",
                          R"(must be one of "trace", "debug", "info", "warn", "error", "off" (got "INFO"))");
    expect_single_problem(R"({"store": {"synchronous": 1}})", "store.synchronous",
                          R"(must be one of "normal", "full" (got 1))");
}

// The config has no boolean key yet, so Reader::boolean cannot be reached from here.

TEST(ConfigTest, ReportsAnIntegerOutOfRange) {
    expect_single_problem(R"({"http": {"port": 65536}})", "http.port",
                          "must be between 0 and 65535 (got 65536)");
    expect_single_problem(R"({"http": {"port": -1}})", "http.port", "must be between 0 and 65535 (got -1)");
    expect_single_problem(R"({"service": {"io_threads": 65}})", "service.io_threads",
                          "must be between 0 and 64 (got 65)");
    expect_single_problem(R"({"service": {"io_threads": -4}})", "service.io_threads",
                          "must be between 0 and 64 (got -4)");
    expect_single_problem(R"({"http": {"max_connections": 0}})", "http.max_connections",
                          "must be between 1 and 1000000 (got 0)");
    expect_single_problem(R"({"http": {"max_connections": -5}})", "http.max_connections",
                          "must be between 1 and 1000000 (got -5)");
    expect_single_problem(R"({"http": {"max_connections": 1000001}})", "http.max_connections",
                          "must be between 1 and 1000000 (got 1000001)");
    expect_single_problem(R"({"http": {"port": 18446744073709551615}})", "http.port",
                          "must be between 0 and 65535 (got 18446744073709551615)");
    expect_single_problem(R"({"http": {"port": -9223372036854775808}})", "http.port",
                          "must be between 0 and 65535 (got -9223372036854775808)");
}

TEST(ConfigTest, RejectsWorkingDaysWhereAFixedDurationIsNeeded) {
    expect_single_problem(R"({"http": {"read_timeout": "2wd"}})", "http.read_timeout",
                          R"(must be a fixed duration; working days ("wd") are not allowed here)");
    expect_single_problem(R"({"store": {"busy_timeout": "1wd"}})", "store.busy_timeout",
                          R"(must be a fixed duration; working days ("wd") are not allowed here)");
}

TEST(ConfigTest, ReportsADurationOutOfRange) {
    expect_single_problem(R"({"http": {"read_timeout": "2h"}})", "http.read_timeout",
                          "must be between 10ms and 1h (got 2h)");
    expect_single_problem(R"({"http": {"read_timeout": "9ms"}})", "http.read_timeout",
                          "must be between 10ms and 1h (got 9ms)");
    expect_single_problem(R"({"http": {"idle_timeout": "25h"}})", "http.idle_timeout",
                          "must be between 10ms and 1d (got 25h)");
    expect_single_problem(R"({"http_client": {"timeout": "99ms"}})", "http_client.timeout",
                          "must be between 100ms and 10m (got 99ms)");
    expect_single_problem(R"({"http": {"shutdown_grace": "601s"}})", "http.shutdown_grace",
                          "must be between 0ms and 10m (got 601s)");
}

TEST(ConfigTest, ReportsAMalformedDuration) {
    for (const char* bad : {"30 s", "30", "-5s", "1.5s", "30sec", "", "soon"}) {
        expect_single_problem(R"({"http": {"write_timeout": ")" + std::string(bad) + R"("}})",
                              "http.write_timeout", kDurationHint + " (got \"" + bad + "\")");
    }
}

TEST(ConfigTest, ReportsAMalformedSize) {
    for (const char* bad : {"1 MiB", "1TiB", "1.5MiB", "-1", "", "lots"}) {
        expect_single_problem(R"({"http": {"body_limit": ")" + std::string(bad) + R"("}})", "http.body_limit",
                              kSizeHint + " (got \"" + bad + "\")");
    }
    expect_single_problem(R"({"http": {"body_limit": -1}})", "http.body_limit", kSizeHint + " (got -1)");
}

TEST(ConfigTest, ReportsASizeOutOfRange) {
    expect_single_problem(R"({"http": {"body_limit": "65MiB"}})", "http.body_limit",
                          R"(must be between 1024 and 67108864 bytes (got "65MiB"))");
    expect_single_problem(R"({"http": {"header_limit": 100}})", "http.header_limit",
                          "must be between 1024 and 1048576 bytes (got 100)");
    expect_single_problem(R"({"http_client": {"max_response_size": "2GiB"}})",
                          "http_client.max_response_size",
                          R"(must be between 1024 and 1073741824 bytes (got "2GiB"))");
}

TEST(ConfigTest, ReportsABadIpAddress) {
    for (const char* bad : {"localhost", "256.1.1.1", "127.0.0.1:8080", "::g", " 127.0.0.1"}) {
        expect_single_problem(R"({"http": {"address": ")" + std::string(bad) + R"("}})", "http.address",
                              R"(must be an IP address such as "127.0.0.1", "0.0.0.0" or "::1" (got ")" +
                                  std::string(bad) + "\")");
    }
    for (const char* good : {"0.0.0.0", "::", "::1", "192.168.1.20", "fe80::1"}) {
        const auto loaded =
            parse_config(R"({"http": {"address": ")" + std::string(good) + R"("}})", kSource, {});
        ASSERT_TRUE(loaded.has_value()) << good;
        EXPECT_EQ(loaded->http.address, good);
    }
}

TEST(ConfigTest, ReportsAnEmptyRequiredString) {
    expect_single_problem(R"({"service": {"name": ""}})", "service.name", "must not be empty");
    expect_single_problem(R"({"store": {"path": ""}})", "store.path", "must not be empty");
    // Empty, and therefore not an IP address either: one problem is enough.
    expect_single_problem(R"({"http": {"address": ""}})", "http.address", "must not be empty");
    // ca_file may be empty ("none").
    EXPECT_TRUE(parse_config(R"({"http_client": {"ca_file": ""}})", kSource, {}).has_value());
}

TEST(ConfigTest, ReportsUnknownKeys) {
    expect_single_problem(R"({"htpp": {"port": 1}})", "htpp", "unknown key");
    expect_single_problem(R"({"http": {"prot": 1}})", "http.prot", "unknown key");
    expect_single_problem(R"({"admin": {"token": "", "tokens": ["a"]}})", "admin.tokens", "unknown key");
}

TEST(ConfigTest, ReportsDuplicateKeysWithTheirDottedPath) {
    expect_single_problem(R"({"log": {}, "log": {}})", "log", "appears more than once");
    expect_single_problem(R"({"http": {"port": 1, "port": 2}})", "http.port", "appears more than once");
    expect_single_problem(
        R"({"http": {"port": 1}, "store": {"path": "a", "synchronous": "full", "path": "b"}})", "store.path",
        "appears more than once");
}

TEST(ConfigTest, ReportsAShortAdminToken) {
    expect_single_problem(R"({"admin": {"token": "fifteen-chars!!"}})", "admin.token",
                          "must be at least 16 characters long when set");
    const auto sixteen = parse_config(R"({"admin": {"token": "sixteen-chars!!!"}})", kSource, {});
    ASSERT_TRUE(sixteen.has_value());
    EXPECT_EQ(sixteen->admin.token.reveal(), "sixteen-chars!!!");
}

TEST(ConfigTest, ReportsEveryProblemAtOnceInAStableOrder) {
    const std::string text = R"({
        "bogus": true,
        "log": {"level": "loud"},
        "http": {"read_timeout": "soon", "port": 70000},
        "service": {"io_threads": -1}
    })";
    const std::vector<Problem> expected = {
        problem("service.io_threads", "must be between 0 and 64 (got -1)"),
        problem("http.port", "must be between 0 and 65535 (got 70000)"),
        problem("http.read_timeout", kDurationHint + R"( (got "soon"))"),
        problem("log.level",
                R"(must be one of "trace", "debug", "info", "warn", "error", "off" (got "loud"))"),
        problem("bogus", "unknown key"),
    };
    EXPECT_EQ(problems_of(text), expected);
    EXPECT_EQ(problems_of(text), expected);  // the same again: nothing depends on hidden state
}

TEST(ConfigTest, ReportsEveryProblemOfTheWeComChannelsAndTheTickets) {
    const std::string text = R"({
      "channels": {"wecom": [
        {"id": "staff", "kind": "app", "token": "T", "encoding_aes_key": "short"},
        {"id": "staff", "kind": "robot", "token": "T",
         "encoding_aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "api_base": "ftp://x"}
      ]},
      "tickets": {
        "group_threshold": 1,
        "emergency_on_site": "2wd",
        "routing": {"natures": {"weather": "engineering", "fee": "finance"}},
        "communities": [{
          "id": "A B", "name": "x",
          "staff": [{"userid": "u1", "name": "甲", "roles": ["wizard"]},
                    {"userid": "u1", "name": "乙", "roles": []}],
          "groups": [{"department": "magic", "chatid": "c1", "wecom": "nope"}],
          "assets": {"elevators": [{"building": "3", "number": "1", "last_maintenance": "yesterday"}]},
          "calendar": {"holidays": ["2026/10/01"]}
        }]
      }
    })";
    const std::vector<Problem> expected = {
        problem("channels.wecom[0].corp_id", "is required for an app callback (the CorpID)"),
        problem("channels.wecom[0].agent_id", "is required for an app callback (the app's AgentId)"),
        problem("channels.wecom[0].encoding_aes_key",
                "must be 43 letters and digits (the callback EncodingAESKey)"),
        problem("channels.wecom[1].id", R"(is used by another account ("staff"))"),
        problem("channels.wecom[1].kind", R"(must be one of "app", "aibot" (got "robot"))"),
        problem("channels.wecom[1].corp_id", "is required for an app callback (the CorpID)"),
        problem("channels.wecom[1].agent_id", "is required for an app callback (the app's AgentId)"),
        problem("channels.wecom[1].api_base",
                R"(must be an https:// URL, or http:// to 127.0.0.1, localhost or [::1] (got "ftp://x"))"),
        problem("tickets.routing.natures", R"(routes "fee" to an unknown department "finance")"),
        problem("tickets.routing.natures",
                R"(unknown nature "weather" (known: facility, fee, order, service))"),
        problem("tickets.emergency_on_site",
                R"(must be a fixed duration; working days ("wd") are not allowed here)"),
        problem("tickets.group_threshold", "must be between 2 and 100000 (got 1)"),
        problem("tickets.communities[0].id",
                R"(must be 1-32 characters of a-z, 0-9, '_' or '-' (got "A B"))"),
        problem("tickets.communities[0].staff[0].roles",
                R"(unknown role "wizard" (known: butler, cs, engineering, order, pm, quality, supervisor))"),
        problem("tickets.communities[0].staff[1].roles",
                "must name at least one role (butler, cs, engineering, order, pm, quality, supervisor)"),
        problem("tickets.communities[0].staff[1].userid", R"(is listed twice ("u1"))"),
        problem("tickets.communities[0].groups[0].department",
                R"(unknown department "magic" (known: all, butler, cs, engineering, order, pm, quality))"),
        problem("tickets.communities[0].groups[0].wecom",
                R"(must name a channels.wecom app that posts to chatid (got "nope"))"),
        problem("tickets.communities[0].assets.elevators[0].last_maintenance",
                "must be a date as YYYY-MM-DD"),
        problem("tickets.communities[0].calendar.holidays",
                R"(must hold dates as YYYY-MM-DD (got "2026/10/01"))"),
    };
    EXPECT_EQ(problems_of(text), expected);
}

TEST(ConfigTest, ReadsATicketsSectionWithWorkingDayDeadlines) {
    const auto loaded = parse_config(R"({
      "tickets": {
        "normal_plan": "3wd", "emergency_on_site": "10m",
        "communities": [{"id": "north", "name": "北苑",
          "staff": [{"userid": "li", "name": "李工", "roles": ["engineering"], "buildings": ["1", "2"]}],
          "calendar": {"holidays": ["2026-10-01"], "workdays": ["2026-10-10"]}}]
      }
    })",
                                     kSource, {});
    ASSERT_TRUE(loaded.has_value()) << ::testing::PrintToString(loaded.error().items);
    EXPECT_EQ(loaded->tickets.emergency_on_site, std::chrono::minutes(10));
    ASSERT_EQ(loaded->tickets.communities.size(), 1U);
    const auto& north = loaded->tickets.communities.front();
    EXPECT_EQ(north.name, "北苑");
    ASSERT_EQ(north.staff.size(), 1U);
    EXPECT_EQ(north.staff.front().buildings, (std::vector<std::string>{"1", "2"}));
    EXPECT_EQ(loaded->tickets.normal_plan.working_days, 3);
    EXPECT_EQ(north.calendar.holidays, (std::vector<std::string>{"2026-10-01"}));
}

TEST(ConfigTest, ReportsDuplicatesBeforeTheOtherProblems) {
    const std::vector<Problem> expected = {
        problem("http.port", "appears more than once"),
        problem("http.port", "must be between 0 and 65535 (got 70000)"),
        problem("http.extra", "unknown key"),
    };
    EXPECT_EQ(problems_of(R"({"http": {"port": 1, "extra": 0, "port": 70000}})"), expected);
}

TEST(ConfigTest, IgnoresCommentKeysAtEveryLevel) {
    const auto loaded = parse_config(R"({
        "#": "top-level comment",
        "#http": {"not": "read"},
        "http": {"#": "section comment", "#port": ["anything", 1], "port": 1234},
        "admin": {"#token": null}
    })",
                                     kSource, {});
    ASSERT_TRUE(loaded.has_value()) << ::testing::PrintToString(loaded.error().items);
    EXPECT_EQ(loaded->http.port, 1234);
    EXPECT_EQ(loaded->effective.find('#'), std::string::npos) << loaded->effective;
}

TEST(ConfigTest, AllowsRepeatedCommentKeys) {
    const auto loaded = parse_config(R"({
        "#": "first note",
        "#": "second note",
        "http": {"#": "one", "port": 1234, "#": "two"}
    })",
                                     kSource, {});
    ASSERT_TRUE(loaded.has_value()) << ::testing::PrintToString(loaded.error().items);
    EXPECT_EQ(loaded->http.port, 1234);
}

// --- secrets and the environment ---

TEST(ConfigTest, EnvironmentOverridesTheAdminToken) {
    const Env env{{"ANJU_ADMIN_TOKEN", "env-token-0123456789"}};
    const auto loaded = parse_config(R"({"admin": {"token": "file-token-0123456789"}})", kSource, env);
    ASSERT_TRUE(loaded.has_value());
    EXPECT_EQ(loaded->admin.token.reveal(), "env-token-0123456789");
    EXPECT_EQ(json::parse(loaded->effective)["admin"]["token"], "<redacted> (from ANJU_ADMIN_TOKEN)");
    EXPECT_EQ(loaded->effective.find("env-token"), std::string::npos) << loaded->effective;
    EXPECT_EQ(loaded->effective.find("file-token"), std::string::npos) << loaded->effective;

    const auto without_file = parse_config("{}", kSource, env);
    ASSERT_TRUE(without_file.has_value());
    EXPECT_EQ(without_file->admin.token.reveal(), "env-token-0123456789");
}

TEST(ConfigTest, EnvironmentOverridesOnlySecrets) {
    const Env env{{"ANJU_HTTP_PORT", "9999"}, {"ANJU_SERVICE_NAME", "from-env"}};
    const auto loaded = parse_config("{}", kSource, env);
    ASSERT_TRUE(loaded.has_value());
    EXPECT_EQ(loaded->http.port, 8080);
    EXPECT_EQ(loaded->service.name, "anju");
}

TEST(ConfigTest, ChecksTheLengthOfATokenFromTheEnvironment) {
    const Env env{{"ANJU_ADMIN_TOKEN", "short-env"}};
    EXPECT_EQ(problems_of(R"({"admin": {"token": "long-enough-file-token"}})", env),
              std::vector<Problem>{problem("admin.token", "must be at least 16 characters long when set")});
}

TEST(ConfigTest, NeverShowsASecretFromTheFile) {
    const std::string secret = "file-secret-0123456789";
    const auto loaded = parse_config(R"({"admin": {"token": ")" + secret + R"("}})", kSource, {});
    ASSERT_TRUE(loaded.has_value());
    EXPECT_EQ(loaded->admin.token.reveal(), secret);
    EXPECT_EQ(json::parse(loaded->effective)["admin"]["token"], "<redacted> (from file)");
    EXPECT_EQ(loaded->effective.find(secret), std::string::npos);
    EXPECT_EQ(loaded->effective.find("file-secret"), std::string::npos);

    // Files that fail in every way a file with a secret in it can fail.
    const std::string broken[] = {
        R"({"admin": {"token": ")" + secret + R"(", "token": ")" + secret + R"("}})",
        R"({"admin": {"token": ")" + secret + R"(", "x": 1}, "http": {"port": -1}})",
        R"({"admin": {"token": ")" + secret + R"(" "other": 1}})",
        R"({"admin": {"token": ")" + secret,
        R"({"admin": {"token": ")" + secret + "\n\"}}",
        R"({"admin": {"token": ")" + secret + R"(\x"}})",
        R"({"admin": {"token": [")" + secret + R"("]}})",
        R"({"admin": {)" + secret + "}}",
    };
    for (const auto& text : broken) {
        const auto problems = problems_of(text);
        EXPECT_FALSE(problems.empty()) << text;
        for (const auto& p : problems) {
            EXPECT_EQ(p.to_string().find("secret-0123"), std::string::npos) << p.to_string();
        }
    }
}

TEST(ConfigTest, NeverShowsASecretFromTheEnvironment) {
    const Env env{{"ANJU_ADMIN_TOKEN", "env-secret-0123456789"}};
    const auto loaded = parse_config(R"({"admin": {"token": 5}, "http": {"port": "x"}})", kSource, env);
    ASSERT_TRUE(loaded.has_error());
    for (const auto& p : loaded.error().items) {
        EXPECT_EQ(p.to_string().find("env-secret"), std::string::npos) << p.to_string();
    }
}

TEST(ConfigTest, TreatsAnEmptyTokenAsDisabled) {
    const auto loaded = parse_config(R"({"admin": {"token": ""}})", kSource, {});
    ASSERT_TRUE(loaded.has_value());
    EXPECT_TRUE(loaded->admin.token.empty());
    EXPECT_EQ(json::parse(loaded->effective)["admin"]["token"], "<empty> (from file)");
}

TEST(ConfigTest, SaysWhenAnEmptyEnvironmentVariableDisablesTheToken) {
    const Env env{{"ANJU_ADMIN_TOKEN", ""}};
    const auto loaded = parse_config(R"({"admin": {"token": "file-token-0123456789"}})", kSource, env);
    ASSERT_TRUE(loaded.has_value());
    EXPECT_TRUE(loaded->admin.token.empty());
    EXPECT_EQ(json::parse(loaded->effective)["admin"]["token"], "<empty> (from ANJU_ADMIN_TOKEN)");
}

TEST(ConfigTest, ReadsAnjuVariablesFromTheProcessEnvironment) {
    ASSERT_EQ(::setenv("ANJU_CONFIG_TEST_VARIABLE", "a=b", 1), 0);
    ASSERT_EQ(::setenv("NOT_ANJU_CONFIG_TEST_VARIABLE", "x", 1), 0);
    const auto env = process_env();
    ::unsetenv("ANJU_CONFIG_TEST_VARIABLE");
    ::unsetenv("NOT_ANJU_CONFIG_TEST_VARIABLE");
    ASSERT_TRUE(env.contains("ANJU_CONFIG_TEST_VARIABLE"));
    EXPECT_EQ(env.at("ANJU_CONFIG_TEST_VARIABLE"), "a=b");
    EXPECT_FALSE(env.contains("NOT_ANJU_CONFIG_TEST_VARIABLE"));
    for (const auto& [name, value] : env) {
        EXPECT_TRUE(name.starts_with("ANJU_")) << name;
    }
}

// --- keys and names ---

TEST(ConfigTest, KnownKeysAreSortedUniqueDottedPaths) {
    const auto keys = known_keys();
    EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
    EXPECT_EQ(std::adjacent_find(keys.begin(), keys.end()), keys.end());
    for (const char* key :
         {"service.name", "service.io_threads", "http.address", "http.port", "http.body_limit",
          "http.header_limit", "http.read_timeout", "http.write_timeout", "http.idle_timeout",
          "http.max_connections", "http.shutdown_grace", "store.path", "store.synchronous",
          "store.busy_timeout", "http_client.timeout", "http_client.max_response_size", "http_client.ca_file",
          "log.level", "admin.token"}) {
        EXPECT_NE(std::find(keys.begin(), keys.end(), key), keys.end()) << key;
    }
}

TEST(ConfigTest, NamesTheEnvironmentVariableOfAKey) {
    EXPECT_EQ(env_name("admin.token"), "ANJU_ADMIN_TOKEN");
    EXPECT_EQ(env_name("http_client.ca_file"), "ANJU_HTTP_CLIENT_CA_FILE");
    EXPECT_EQ(env_name("a-b.c9"), "ANJU_A_B_C9");
}

TEST(ConfigTest, FormatsProblems) {
    EXPECT_EQ(
        (Problem{"config/anju.json", "http.port", "must be between 0 and 65535 (got 70000)"}.to_string()),
        "config/anju.json: http.port: must be between 0 and 65535 (got 70000)");
    EXPECT_EQ((Problem{"config/anju.json", "", "must contain a JSON object (got an array)"}.to_string()),
              "config/anju.json: must contain a JSON object (got an array)");
}

TEST(ConfigTest, ValueOfAFailedLoadThrowsWithEveryProblem) {
    const auto loaded = parse_config(R"({"http": {"port": -1}, "x": 1})", kSource, {});
    ASSERT_TRUE(loaded.has_error());
    try {
        (void)loaded.value();
        FAIL() << "value() did not throw";
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(),
                     "invalid config\n"
                     "test.json: http.port: must be between 0 and 65535 (got -1)\n"
                     "test.json: x: unknown key");
    }
}

// --- the shipped files ---

TEST(ConfigTest, ShippedDemoConfigLoads) {
    const auto path = source_path("config/anju.json");
    const auto loaded = load_config(path, {});
    ASSERT_TRUE(loaded.has_value()) << ::testing::PrintToString(loaded.error().items);
    EXPECT_EQ(loaded->source, path);
}

TEST(ConfigTest, ShippedExampleLoadsAndShowsTheDefaults) {
    const auto loaded = load_config(source_path("config/anju.example.json"), {});
    ASSERT_TRUE(loaded.has_value()) << ::testing::PrintToString(loaded.error().items);
    const auto defaults = parse_config("{}", kSource, {});
    ASSERT_TRUE(defaults.has_value());
    // The example promises "every key with its default value", plus one example entry per channel
    // (channels default to none).
    auto effective = json::parse(loaded->effective);
    auto expected = json::parse(defaults->effective);
    EXPECT_EQ(expected["channels"]["wechat_mp"], json::array());
    ASSERT_EQ(effective["channels"]["wechat_mp"].size(), 1U);
    effective.erase("channels");
    expected.erase("channels");
    // Likewise one example community, and the default routing written out.
    ASSERT_EQ(effective["tickets"]["communities"].size(), 1U);
    effective["tickets"]["communities"] = json::array();
    EXPECT_EQ(
        effective["tickets"]["routing"]["natures"],
        json::parse(R"({"service": "butler", "facility": "engineering", "fee": "cs", "order": "order"})"));
    effective["tickets"]["routing"]["natures"] = json::object();
    EXPECT_EQ(effective, expected);
    const auto& account = loaded->channels.wechat_mp.front();
    const WeChatMpConfig fresh;
    EXPECT_EQ(account.api_base, fresh.api_base);
    EXPECT_EQ(account.reply_deadline, fresh.reply_deadline);
    EXPECT_EQ(account.replay_window, fresh.replay_window);
    EXPECT_EQ(account.token_endpoint, fresh.token_endpoint);
    EXPECT_EQ(account.mode, fresh.mode);
}

TEST(ConfigTest, ShippedExampleDocumentsEveryKey) {
    std::ifstream in(source_path("config/anju.example.json"));
    ASSERT_TRUE(in.good());
    const auto example = json::parse(in);
    for (const auto& key : known_keys()) {
        const json* node = &example;
        std::string_view rest = key;
        for (auto dot = rest.find('.'); dot != std::string_view::npos; dot = rest.find('.')) {
            auto part = std::string(rest.substr(0, dot));
            rest.remove_prefix(dot + 1);
            if (part == "<name>") {
                // An operator-chosen name: the example's first entry documents the shape.
                const auto first =
                    std::find_if(node->items().begin(), node->items().end(),
                                 [](const auto& item) { return !item.key().starts_with("#"); });
                ASSERT_NE(first, node->items().end()) << key;
                node = &first.value();
                continue;
            }
            const bool element = part.ends_with("[]");
            if (element) {
                part.resize(part.size() - 2);
            }
            const auto it = node->find(part);
            ASSERT_NE(it, node->end()) << key;
            node = &*it;
            if (element) {
                ASSERT_TRUE(node->is_array() && !node->empty()) << key << ": the example needs one element";
                node = &node->front();
            }
        }
        std::string leaf(rest);
        if (leaf.ends_with("[]")) {
            leaf.resize(leaf.size() - 2);
        }
        EXPECT_TRUE(node->contains(leaf)) << "anju.example.json lacks " << key;
        EXPECT_TRUE(node->contains("#" + leaf))
            << "anju.example.json does not explain " << key << " with \"#" << leaf << "\"";
        if (node->contains("#" + leaf)) {
            EXPECT_TRUE(node->at("#" + leaf).is_string()) << key;
        }
    }
}

TEST(ConfigTest, ReadsTheReportsSectionAndRefusesNonsense) {
    const auto loaded =
        parse_config(R"({"reports": {"hotspot_min": 10, "repeat_min": 4, "repeat_months": 6}})", kSource, {});
    ASSERT_TRUE(loaded.has_value());
    EXPECT_EQ(loaded->reports.hotspot_min, 10);
    EXPECT_EQ(loaded->reports.repeat_min, 4);
    EXPECT_EQ(loaded->reports.repeat_months, 6);
    expect_single_problem(R"({"reports": {"hotspot_min": 1}})", "reports.hotspot_min",
                          "must be between 2 and 10000 (got 1)");
    expect_single_problem(R"({"reports": {"repeat_months": 0}})", "reports.repeat_months",
                          "must be between 1 and 24 (got 0)");
    expect_single_problem(R"({"reports": {"top": 5}})", "reports.top", "unknown key");
}

}  // namespace
}  // namespace anju::config
