// anju's configuration: one immutable tree of plain structs, loaded once at start-up from a JSON
// file, overlaid with secrets from ANJU_* environment variables, and validated as a whole so that
// every problem is reported at once (file, key, what is wrong).
#pragma once

#include "bot/core/log.hpp"
#include "bot/core/secret.hpp"

#include <boost/system/result.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace boost {
struct source_location;
}

namespace anju::config {

using namespace std::chrono_literals;

struct ServiceConfig {
    std::string name = "anju";
    unsigned io_threads = 0;  // 0: one per CPU core
};

struct HttpConfig {
    std::string address = "127.0.0.1";
    std::uint16_t port = 8080;
    std::size_t body_limit = 1024 * 1024;
    std::size_t header_limit = 16 * 1024;
    std::chrono::milliseconds read_timeout = 30s;   // to receive one whole request
    std::chrono::milliseconds write_timeout = 30s;  // to send one whole response
    std::chrono::milliseconds idle_timeout = 60s;   // keep-alive wait for the next request
    std::size_t max_connections = 1024;
    std::chrono::milliseconds shutdown_grace = 10s;  // in-flight requests may finish within this
};

struct StoreConfig {
    enum class Sync { normal, full };
    std::string path = "var/anju.db";  // relative to the working directory; ":memory:" for tests
    Sync synchronous = Sync::full;
    std::chrono::milliseconds busy_timeout = 5s;
};

struct HttpClientConfig {
    std::chrono::milliseconds timeout = 10s;
    std::size_t max_response_size = 8 * 1024 * 1024;
    std::string ca_file;  // extra trust anchors (PEM) on top of the system's
};

struct LogConfig {
    log::Level level = log::Level::info;
};

struct AdminConfig {
    Secret token;  // bearer token for /admin/*; empty disables the admin API
};

// One WeChat Official Account (公众号). Messages arrive at /wechat/mp/{id}.
struct WeChatTemplateConfig {
    std::string template_id;
    std::string url;  // page opened by a tap; empty for none
    // Template field → value pattern with {placeholders} filled by the sender ({code}, {time}, …).
    std::vector<std::pair<std::string, std::string>> fields;
};

struct WeChatMpConfig {
    enum class Mode { plain, compatible, safe };
    enum class TokenEndpoint { stable, classic };

    std::string id;  // [a-z0-9_-]+, the {id} in the URL and the account in every record
    std::string app_id;
    Secret app_secret;        // for the active APIs (customer-service and template messages)
    Secret token;             // the server-config Token used in signatures
    Secret encoding_aes_key;  // 43 characters; required in compatible and safe mode
    Mode mode = Mode::safe;
    std::string api_base = "https://api.weixin.qq.com";  // http:// only for loopback fakes
    TokenEndpoint token_endpoint = TokenEndpoint::stable;
    std::chrono::milliseconds reply_deadline = 3500ms;  // passive reply wait; then `success` + async send
    std::chrono::milliseconds replay_window = 5min;     // pushes with timestamps further off are refused
    std::vector<std::pair<std::string, WeChatTemplateConfig>> templates;  // by name ("progress", "survey")
};

struct ChannelsConfig {
    std::vector<WeChatMpConfig> wechat_mp;
};

struct Config {
    std::string source;     // the file it came from
    std::string effective;  // the config as loaded, defaults filled in, secrets redacted (pretty JSON)
    ServiceConfig service;
    HttpConfig http;
    StoreConfig store;
    HttpClientConfig http_client;
    LogConfig log;
    AdminConfig admin;
    ChannelsConfig channels;
};

// One thing wrong with a config: where and what.
struct Problem {
    std::string file;
    std::string key;  // "http.port"; empty for whole-file problems (unreadable, invalid JSON)
    std::string message;

    // "config/anju.json: http.port: must be between 1 and 65535 (got 70000)"
    std::string to_string() const;
    friend bool operator==(const Problem&, const Problem&) = default;
};

struct Problems {
    std::vector<Problem> items;
};
[[noreturn]] void throw_exception_from_error(const Problems& problems, const boost::source_location& loc);

// Environment variables the loader may read (secrets named ANJU_<KEY_PATH>, e.g. ANJU_ADMIN_TOKEN).
using Env = std::map<std::string, std::string, std::less<>>;

// The ANJU_* variables of this process.
Env process_env();

// Reads, parses and validates a config file. Returns every problem found. Never throws on bad input.
boost::system::result<Config, Problems> load_config(const std::string& path, const Env& env);

// The same, from text already in memory; `source` names it in problems.
boost::system::result<Config, Problems> parse_config(std::string_view text, const std::string& source,
                                                     const Env& env);

// Every key the loader understands, as dotted paths ("http.port"), sorted.
std::vector<std::string> known_keys();

// The name of the environment variable that overrides a secret key: "admin.token" → "ANJU_ADMIN_TOKEN".
std::string env_name(std::string_view key_path);

}  // namespace anju::config
