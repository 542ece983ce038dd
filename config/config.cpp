#include "config/config.hpp"

#include "bot/core/units.hpp"
#include "config/reader.hpp"

#include <boost/throw_exception.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace anju::config {
namespace {

using namespace detail;

bool is_ip_address(const std::string& text) {
    unsigned char buf[16];
    return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

bool is_alnum(std::string_view text) {
    return std::all_of(text.begin(), text.end(),
                       [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) != 0; });
}

// https://host[:port][/path], or http:// to a loopback address (a local fake of the platform).
bool is_api_base(std::string_view url) {
    if (url.starts_with("https://")) {
        return url.size() > 8 && url.find_first_of(" \t\r\n") == std::string_view::npos;
    }
    for (const char* loopback : {"http://127.0.0.1", "http://localhost", "http://[::1]"}) {
        const std::string_view prefix(loopback);
        if (url.starts_with(prefix) &&
            (url.size() == prefix.size() || url[prefix.size()] == ':' || url[prefix.size()] == '/')) {
            return true;
        }
    }
    return false;
}

void read_wechat_mp(Reader& channels, std::vector<WeChatMpConfig>& accounts) {
    channels.array("wechat_mp", [&accounts](Reader& r, std::size_t /*index*/) {
        WeChatMpConfig a;
        r.require("id");
        r.string("id", a.id);
        if (r.has("id") && !is_identifier(a.id)) {
            r.problem("id", "must be 1-32 characters of a-z, 0-9, '_' or '-' (got " + in_quotes(a.id) + ")");
        }
        for (const auto& other : accounts) {
            if (!a.id.empty() && other.id == a.id) {
                r.problem("id", "is used by another account (" + in_quotes(a.id) + ")");
            }
        }
        r.set_env_path("channels.wechat_mp." + a.id);
        r.require("app_id");
        r.string("app_id", a.app_id);
        r.secret("app_secret", a.app_secret);
        r.secret("token", a.token);
        if (a.token.empty()) {
            r.problem("token", "is required (the Token of the server configuration)");
        } else if (a.token.reveal().size() < 3 || a.token.reveal().size() > 32 ||
                   !is_alnum(a.token.reveal())) {
            r.problem("token", "must be 3-32 letters and digits");
        }
        r.choice<WeChatMpConfig::Mode>("mode", a.mode,
                                       {{"plain", WeChatMpConfig::Mode::plain},
                                        {"compatible", WeChatMpConfig::Mode::compatible},
                                        {"safe", WeChatMpConfig::Mode::safe}});
        r.secret("encoding_aes_key", a.encoding_aes_key);
        const auto& key = a.encoding_aes_key.reveal();
        if (!key.empty() && (key.size() != 43 || !is_alnum(key))) {
            r.problem("encoding_aes_key", "must be 43 letters and digits (the EncodingAESKey)");
        } else if (key.empty() && a.mode != WeChatMpConfig::Mode::plain) {
            r.problem("encoding_aes_key", "is required in compatible and safe mode");
        }
        r.string("api_base", a.api_base);
        if (!is_api_base(a.api_base)) {
            r.problem("api_base",
                      "must be an https:// URL, or http:// to 127.0.0.1, localhost or [::1] (got " +
                          in_quotes(a.api_base) + ")");
        }
        while (a.api_base.ends_with('/')) {
            a.api_base.pop_back();
        }
        r.choice<WeChatMpConfig::TokenEndpoint>("token_endpoint", a.token_endpoint,
                                                {{"stable", WeChatMpConfig::TokenEndpoint::stable},
                                                 {"classic", WeChatMpConfig::TokenEndpoint::classic}});
        r.duration("reply_deadline", a.reply_deadline, 100ms, 4500ms);
        r.duration("replay_window", a.replay_window, 10s, 24h);
        r.named_objects("templates", [&a](Reader& t, const std::string& name) {
            WeChatTemplateConfig spec;
            t.require("template_id");
            t.string("template_id", spec.template_id);
            t.string("url", spec.url);
            t.string_pairs("fields", spec.fields);
            t.done();
            if (!name.empty()) {
                a.templates.emplace_back(name, std::move(spec));
            }
        });
        r.done();
        accounts.push_back(std::move(a));
    });
    // The dry walk of an empty array yields one default element; drop it.
    std::erase_if(accounts, [](const WeChatMpConfig& a) { return a.id.empty(); });
}

void read_webchat(Reader& channels, WebChatConfig& webchat) {
    auto r = channels.object("webchat");
    r.boolean("enabled", webchat.enabled);
    r.integer<std::size_t>("max_text", webchat.max_text, 1, 100'000);
    r.strings("allowed_origins", webchat.allowed_origins);
    for (const auto& origin : webchat.allowed_origins) {
        const auto rest = origin.starts_with("https://")  ? std::string_view(origin).substr(8)
                          : origin.starts_with("http://") ? std::string_view(origin).substr(7)
                                                          : std::string_view();
        if (origin != "*" && (rest.empty() || rest.find_first_of("/?# ") != std::string_view::npos)) {
            r.problem("allowed_origins",
                      "must hold \"*\" or origins such as \"https://chat.example.com\" "
                      "(scheme://host[:port], no path; got " +
                          in_quotes(origin) + ")");
        }
    }
    r.done();
}

void read_wecom(Reader& channels, std::vector<WeComConfig>& accounts) {
    channels.array("wecom", [&accounts](Reader& r, std::size_t /*index*/) {
        WeComConfig a;
        r.require("id");
        r.string("id", a.id);
        if (r.has("id") && !is_identifier(a.id)) {
            r.problem("id", "must be 1-32 characters of a-z, 0-9, '_' or '-' (got " + in_quotes(a.id) + ")");
        }
        for (const auto& other : accounts) {
            if (!a.id.empty() && other.id == a.id) {
                r.problem("id", "is used by another account (" + in_quotes(a.id) + ")");
            }
        }
        r.set_env_path("channels.wecom." + a.id);
        r.choice<WeComConfig::Kind>("kind", a.kind,
                                    {{"app", WeComConfig::Kind::app}, {"aibot", WeComConfig::Kind::aibot}});
        r.string("corp_id", a.corp_id);
        r.integer<std::int64_t>("agent_id", a.agent_id, 0, std::numeric_limits<std::int32_t>::max());
        if (a.kind == WeComConfig::Kind::app && r.has("id")) {
            if (a.corp_id.empty()) {
                r.problem("corp_id", "is required for an app callback (the CorpID)");
            }
            if (a.agent_id == 0) {
                r.problem("agent_id", "is required for an app callback (the app's AgentId)");
            }
        }
        r.secret("corp_secret", a.corp_secret);
        r.secret("token", a.token);
        if (a.token.empty()) {
            r.problem("token", "is required (the callback Token)");
        } else if (a.token.reveal().size() > 32 || !is_alnum(a.token.reveal())) {
            r.problem("token", "must be at most 32 letters and digits");
        }
        r.secret("encoding_aes_key", a.encoding_aes_key);
        if (a.encoding_aes_key.reveal().size() != 43 || !is_alnum(a.encoding_aes_key.reveal())) {
            r.problem("encoding_aes_key", "must be 43 letters and digits (the callback EncodingAESKey)");
        }
        r.string("api_base", a.api_base);
        if (!is_api_base(a.api_base)) {
            r.problem("api_base",
                      "must be an https:// URL, or http:// to 127.0.0.1, localhost or [::1] (got " +
                          in_quotes(a.api_base) + ")");
        }
        while (a.api_base.ends_with('/')) {
            a.api_base.pop_back();
        }
        r.duration("replay_window", a.replay_window, 10s, 24h);
        r.choice<WeComConfig::Audience>(
            "audience", a.audience,
            {{"staff", WeComConfig::Audience::staff}, {"residents", WeComConfig::Audience::residents}});
        if (a.audience == WeComConfig::Audience::residents && a.kind != WeComConfig::Kind::aibot) {
            r.problem("audience", "only a 智能机器人 (kind \"aibot\") can serve residents in owner groups");
        }
        r.done();
        accounts.push_back(std::move(a));
    });
    std::erase_if(accounts, [](const WeComConfig& a) { return a.id.empty(); });
}

void read_bridge(Reader& channels, std::vector<BridgeConfig>& bridges) {
    channels.array("bridge", [&bridges](Reader& r, std::size_t /*index*/) {
        BridgeConfig b;
        r.require("id");
        r.string("id", b.id);
        if (r.has("id") && !is_identifier(b.id)) {
            r.problem("id", "must be 1-32 characters of a-z, 0-9, '_' or '-' (got " + in_quotes(b.id) + ")");
        }
        for (const auto& other : bridges) {
            if (!b.id.empty() && other.id == b.id) {
                r.problem("id", "is used by another bridge (" + in_quotes(b.id) + ")");
            }
        }
        r.set_env_path("channels.bridge." + b.id);
        r.secret("secret", b.secret);
        if (r.has("id") && b.secret.reveal().size() < 16) {
            r.problem("secret", "is required: at least 16 characters shared with the bridge");
        }
        r.string("outbound_url", b.outbound_url);
        if (!b.outbound_url.empty() && !is_api_base(b.outbound_url)) {
            r.problem("outbound_url",
                      "must be an https:// URL, or http:// to 127.0.0.1, localhost or [::1] (got " +
                          in_quotes(b.outbound_url) + ")");
        }
        r.duration("replay_window", b.replay_window, 10s, 24h);
        r.duration("reply_deadline", b.reply_deadline, 0ms, 30s);
        r.done();
        bridges.push_back(std::move(b));
    });
    std::erase_if(bridges, [](const BridgeConfig& b) { return b.id.empty(); });
}

void read_config(Reader& root, Config& c) {
    {
        auto r = root.object("service");
        r.string("name", c.service.name, false);
        r.integer<unsigned>("io_threads", c.service.io_threads, 0, 64);
        r.done();
    }
    {
        auto r = root.object("http");
        r.string("address", c.http.address, false);
        if (!c.http.address.empty() && !is_ip_address(c.http.address)) {
            r.problem("address", "must be an IP address such as \"127.0.0.1\", \"0.0.0.0\" or \"::1\" (got " +
                                     in_quotes(c.http.address) + ")");
        }
        r.integer<std::uint16_t>("port", c.http.port, 0, 65535);
        r.size("body_limit", c.http.body_limit, 1024, 64ULL * 1024 * 1024);
        r.size("header_limit", c.http.header_limit, 1024, 1024ULL * 1024);
        r.duration("read_timeout", c.http.read_timeout, 10ms, 1h);
        r.duration("write_timeout", c.http.write_timeout, 10ms, 1h);
        r.duration("idle_timeout", c.http.idle_timeout, 10ms, 24h);
        r.integer<std::size_t>("max_connections", c.http.max_connections, 1, 1'000'000);
        r.duration("shutdown_grace", c.http.shutdown_grace, 0ms, 10min);
        r.done();
    }
    {
        auto r = root.object("store");
        r.string("path", c.store.path, false);
        r.choice<StoreConfig::Sync>(
            "synchronous", c.store.synchronous,
            {{"normal", StoreConfig::Sync::normal}, {"full", StoreConfig::Sync::full}});
        r.duration("busy_timeout", c.store.busy_timeout, 0ms, 10min);
        r.done();
    }
    {
        auto r = root.object("http_client");
        r.duration("timeout", c.http_client.timeout, 100ms, 10min);
        r.size("max_response_size", c.http_client.max_response_size, 1024, 1024ULL * 1024 * 1024);
        r.string("ca_file", c.http_client.ca_file);
        r.done();
    }
    {
        auto r = root.object("log");
        r.choice<log::Level>("level", c.log.level,
                             {{"trace", log::Level::trace},
                              {"debug", log::Level::debug},
                              {"info", log::Level::info},
                              {"warn", log::Level::warn},
                              {"error", log::Level::error},
                              {"off", log::Level::off}});
        r.done();
    }
    {
        auto r = root.object("dialogs");
        c.dialogs.settings.enabled = root.has("dialogs");
        r.string("dir", c.dialogs.settings.dir, false);
        r.duration("expire_after", c.dialogs.settings.expire_after, 1min, 7 * 24h);
        r.integer<int>("max_attempts", c.dialogs.settings.max_attempts, 1, 5);
        r.done();
    }
    {
        auto channels = root.object("channels");
        read_wechat_mp(channels, c.channels.wechat_mp);
        read_wecom(channels, c.channels.wecom);
        read_bridge(channels, c.channels.bridge);
        read_webchat(channels, c.channels.webchat);
        channels.done();
    }
    read_tickets(root, c.tickets, c.channels);
    {
        auto r = root.object("outbox");
        r.duration("poll", c.outbox.poll, 100ms, 1h);
        r.duration("first_retry", c.outbox.first_retry, 100ms, 24h);
        r.duration("max_retry", c.outbox.max_retry, 100ms, 24h);
        if (c.outbox.max_retry < c.outbox.first_retry) {
            r.problem("max_retry", "must not be shorter than first_retry");
        }
        r.integer<int>("max_attempts", c.outbox.max_attempts, 1, 100);
        r.integer<int>("concurrency", c.outbox.concurrency, 1, 64);
        auto rates = r.object("rates");
        rates.integer<int>("robot_per_minute", c.outbox.rates.robot_per_minute, 1, 1000);
        rates.integer<int>("app_per_member_per_minute", c.outbox.rates.app_per_member_per_minute, 1, 1000);
        rates.integer<int>("appchat_per_minute", c.outbox.rates.appchat_per_minute, 1, 100'000);
        rates.integer<int>("wechat_mp_per_second", c.outbox.rates.wechat_mp_per_second, 1, 100'000);
        rates.integer<int>("owner_group_per_minute", c.outbox.rates.owner_group_per_minute, 1, 600);
        rates.done();
        r.done();
    }
    {
        auto r = root.object("reports");
        r.integer<int>("hotspot_min", c.reports.hotspot_min, 2, 10'000);
        r.integer<int>("repeat_min", c.reports.repeat_min, 2, 1000);
        r.integer<int>("repeat_months", c.reports.repeat_months, 1, 24);
        r.done();
    }
    {
        auto r = root.object("admin");
        r.secret("token", c.admin.token);
        if (!c.admin.token.empty() && c.admin.token.reveal().size() < 16) {
            r.problem("token", "must be at least 16 characters long when set");
        }
        r.done();
    }
    root.done();
}

boost::system::result<Config, Problems> finish(Context& ctx, Config config) {
    if (!ctx.problems.empty()) {
        return Problems{std::move(ctx.problems)};
    }
    return config;
}

}  // namespace

std::string Problem::to_string() const {
    std::string out = file;
    if (!key.empty()) {
        out += ": " + key;
    }
    return out + ": " + message;
}

void throw_exception_from_error(const Problems& problems, const boost::source_location& loc) {
    std::string what = "invalid config";
    for (const auto& p : problems.items) {
        what += "\n" + p.to_string();
    }
    boost::throw_exception(std::invalid_argument(what), loc);
}

Env process_env() {
    Env env;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        const std::string_view entry(*e);
        const auto eq = entry.find('=');
        if (eq != std::string_view::npos && entry.substr(0, 5) == "ANJU_") {
            env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
        }
    }
    return env;
}

std::string env_name(std::string_view key_path) {
    std::string name = "ANJU_";
    for (const char c : key_path) {
        const auto u = static_cast<unsigned char>(c);
        name.push_back(std::isalnum(u) != 0 ? static_cast<char>(std::toupper(u)) : '_');
    }
    return name;
}

boost::system::result<Config, Problems> parse_config(std::string_view text, const std::string& source,
                                                     const Env& env) {
    Context ctx{source, env, {}, {}};
    auto doc = parse_document(text, ctx);
    if (!doc) {
        return Problems{std::move(ctx.problems)};
    }
    Config config;
    config.source = source;
    json effective;
    Reader root(ctx, &*doc, "", effective);
    read_config(root, config);
    config.effective = effective.dump(2);
    return finish(ctx, std::move(config));
}

boost::system::result<Config, Problems> load_config(const std::string& path, const Env& env) {
    // A folder opens as an ifstream on Linux and then reads as empty, which would be reported as
    // invalid JSON; report it as unreadable instead.
    std::error_code ec;
    std::ifstream in(path, std::ios::binary);
    if (!in || std::filesystem::is_directory(path, ec)) {
        return Problems{{{path, "", "cannot read the file (does it exist, and may anju read it?)"}}};
    }
    std::ostringstream buf;
    buf << in.rdbuf();
    auto config = parse_config(buf.str(), path, env);
    if (config && config->dialogs.settings.enabled) {
        // The dialog folder is relative to the config file, so a config works from any directory.
        auto dir = std::filesystem::path(config->dialogs.settings.dir);
        if (dir.is_relative()) {
            dir = std::filesystem::path(path).parent_path() / dir;
        }
        config->dialogs.settings.dir = dir.lexically_normal().string();
        if (auto loaded = load_dialogs(config->dialogs.settings.dir, config->dialogs); !loaded) {
            return loaded.error();
        }
    }
    return config;
}

std::vector<std::string> known_keys() {
    Context ctx{"", Env{}, {}, {}};
    const json empty = json::object();
    json effective;
    Config config;
    Reader root(ctx, &empty, "", effective);
    read_config(root, config);
    return {ctx.keys.begin(), ctx.keys.end()};
}

}  // namespace anju::config
