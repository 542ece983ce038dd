#include "config/config.hpp"

#include "bot/core/units.hpp"

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

using json = nlohmann::json;

std::string type_name(const json& v) {
    switch (v.type()) {
        case json::value_t::null:
            return "null";
        case json::value_t::boolean:
            return "a boolean";
        case json::value_t::number_integer:
        case json::value_t::number_unsigned:
            return "an integer";
        case json::value_t::number_float:
            return "a number";
        case json::value_t::string:
            return "a string";
        case json::value_t::array:
            return "an array";
        case json::value_t::object:
            return "an object";
        default:
            return "an unsupported value";
    }
}

std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

// State shared by every Reader of one load.
struct Context {
    std::string file;
    const Env& env;
    std::vector<Problem> problems;
    std::set<std::string> keys;  // every key path read, present or not
};

// Reads one JSON object: each accessor consumes a key, writes its effective value into `out`,
// and records a Problem instead of failing. done() reports keys nobody consumed. A missing object
// reads as empty, so every default still lands in `out` and every key is still registered.
class Reader {
public:
    // `path` names keys in problems ("channels.wechat_mp[0].token"); `schema` names them in
    // known_keys() ("channels.wechat_mp[].token"). A dry reader registers keys but reports nothing:
    // it walks the shape of an array element when the array is empty.
    Reader(Context& ctx, const json* node, std::string path, json& out, std::string schema = {},
           bool dry = false)
        : ctx_(ctx),
          node_(node),
          path_(std::move(path)),
          schema_(schema.empty() ? path_ : std::move(schema)),
          env_path_(path_),
          out_(out),
          dry_(dry) {
        out_ = json::object();
        if (node_ != nullptr && !node_->is_object()) {
            problem_at(path_, "must be an object (got " + type_name(*node_) + ")");
            node_ = nullptr;
        }
    }

    Reader object(std::string_view key) {
        const json* child = take(key);
        if (child != nullptr && !child->is_object()) {
            problem(key, "must be an object (got " + type_name(*child) + ")");
            child = nullptr;
        }
        Reader r(ctx_, child, full(key), out_[std::string(key)], join(schema_, key), dry_);
        r.env_path_ = join(env_path_, key);
        return r;
    }

    // An array of objects: `each(Reader& element, std::size_t index)` reads one element; the
    // caller calls element.done(). With no elements, `each` runs once on a dry reader so the keys
    // of an element are still known.
    template <class Each>
    void array(std::string_view key, Each&& each) {
        const json* v = take(key);
        auto& out = out_[std::string(key)];
        out = json::array();
        const auto schema = join(schema_, key) + "[]";
        if (v != nullptr && !v->is_array()) {
            problem(key, "must be an array (got " + type_name(*v) + ")");
            v = nullptr;
        }
        if (v == nullptr || v->empty()) {
            json scratch;
            Reader dry(ctx_, nullptr, full(key) + "[]", scratch, schema, true);
            each(dry, std::size_t{0});
            return;
        }
        for (std::size_t i = 0; i < v->size(); ++i) {
            out.push_back(json::object());
            Reader element(ctx_, &(*v)[i], full(key) + "[" + std::to_string(i) + "]", out.back(), schema,
                           dry_);
            each(element, i);
        }
    }

    // An object whose keys are names chosen by the operator (e.g. template names), each holding an
    // object: `each(Reader& value, const std::string& name)`. Keys starting with '#' are comments.
    template <class Each>
    void named_objects(std::string_view key, Each&& each) {
        const json* v = take(key);
        auto& out = out_[std::string(key)];
        out = json::object();
        const auto schema = join(schema_, key) + ".<name>";
        if (v != nullptr && !v->is_object()) {
            problem(key, "must be an object (got " + type_name(*v) + ")");
            v = nullptr;
        }
        bool any = false;
        if (v != nullptr) {
            for (const auto& [name, value] : v->items()) {
                if (!name.empty() && name.front() == '#') {
                    continue;
                }
                any = true;
                Reader element(ctx_, &value, full(key) + "." + name, out[name], schema, dry_);
                each(element, name);
            }
        }
        if (!any) {
            json scratch;
            Reader dry(ctx_, nullptr, full(key) + ".<name>", scratch, schema, true);
            each(dry, std::string());
        }
    }

    // An object of string values with operator-chosen keys, in file order.
    void string_pairs(std::string_view key, std::vector<std::pair<std::string, std::string>>& pairs) {
        const json* v = take(key);
        auto& out = out_[std::string(key)];
        out = json::object();
        if (v != nullptr && !v->is_object()) {
            problem(key, "must be an object of strings (got " + type_name(*v) + ")");
            return;
        }
        if (v == nullptr) {
            return;
        }
        for (const auto& [name, value] : v->items()) {
            if (!name.empty() && name.front() == '#') {
                continue;
            }
            if (!value.is_string()) {
                problem_at(full(key) + "." + name, "must be a string (got " + type_name(value) + ")");
                continue;
            }
            pairs.emplace_back(name, value.get<std::string>());
            out[name] = value;
        }
    }

    // Whether the key is present at all (for required keys).
    bool has(std::string_view key) const { return node_ != nullptr && node_->contains(key); }

    void require(std::string_view key) {
        if (!has(key)) {
            problem(key, "is required");
        }
    }

    // Secrets of array elements are named after a stable id rather than an index:
    // ANJU_CHANNELS_WECHAT_MP_<ID>_APP_SECRET.
    void set_env_path(std::string path) { env_path_ = std::move(path); }

    void string(std::string_view key, std::string& value, bool allow_empty = true) {
        if (const json* v = take(key)) {
            if (!v->is_string()) {
                problem(key, "must be a string (got " + type_name(*v) + ")");
            } else if (!allow_empty && v->get_ref<const std::string&>().empty()) {
                problem(key, "must not be empty");
            } else {
                value = v->get<std::string>();
            }
        }
        out_[std::string(key)] = value;
    }

    // A secret may come from the file or, taking precedence, from ANJU_<KEY_PATH> in the environment.
    void secret(std::string_view key, Secret& value) {
        std::string text = value.reveal();
        std::string from = "file";
        if (const json* v = take(key)) {
            if (!v->is_string()) {
                problem(key, "must be a string (got " + type_name(*v) + ")");
            } else {
                text = v->get<std::string>();
            }
        }
        const auto var = env_name(join(env_path_, key));
        if (const auto it = ctx_.env.find(var); it != ctx_.env.end()) {
            text = it->second;
            from = var;
        }
        value = Secret(text);
        out_[std::string(key)] =
            (text.empty() ? "<empty>" : "<redacted>") + std::string(" (from ") + from + ")";
    }

    void boolean(std::string_view key, bool& value) {
        if (const json* v = take(key)) {
            if (!v->is_boolean()) {
                problem(key, "must be true or false (got " + type_name(*v) + ")");
            } else {
                value = v->get<bool>();
            }
        }
        out_[std::string(key)] = value;
    }

    template <class Int>
    void integer(std::string_view key, Int& value, Int min, Int max) {
        if (const json* v = take(key)) {
            // nlohmann stores non-negative literals as unsigned and negative ones as signed.
            bool in_range = false;
            if (v->is_number_unsigned()) {
                in_range = v->get<std::uint64_t>() <= static_cast<std::uint64_t>(max) &&
                           (min <= Int{0} || v->get<std::uint64_t>() >= static_cast<std::uint64_t>(min));
            } else if constexpr (std::is_signed_v<Int>) {
                in_range = v->is_number_integer() && v->get<std::int64_t>() >= static_cast<std::int64_t>(min);
            }
            if (!v->is_number_integer()) {
                problem(key, "must be an integer (got " + type_name(*v) + ")");
            } else if (!in_range) {
                problem(key, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                                 " (got " + v->dump() + ")");
            } else {
                value = v->get<Int>();
            }
        }
        out_[std::string(key)] = value;
    }

    // A fixed duration such as "30s"; working days are refused here.
    void duration(std::string_view key, std::chrono::milliseconds& value, std::chrono::milliseconds min,
                  std::chrono::milliseconds max) {
        if (const json* v = take(key)) {
            const auto d = v->is_string() ? parse_duration(v->get_ref<const std::string&>()) : std::nullopt;
            if (!d) {
                problem(key, "must be a duration such as \"250ms\", \"30s\", \"15m\" or \"24h\" (got " +
                                 v->dump() + ")");
            } else if (d->is_working_days()) {
                problem(key, "must be a fixed duration; working days (\"wd\") are not allowed here");
            } else if (d->fixed < min || d->fixed > max) {
                problem(key, "must be between " + format_duration({min, 0}) + " and " +
                                 format_duration({max, 0}) + " (got " + v->get<std::string>() + ")");
            } else {
                value = d->fixed;
            }
        }
        out_[std::string(key)] = format_duration({value, 0});
    }

    void size(std::string_view key, std::size_t& value, std::size_t min, std::size_t max) {
        if (const json* v = take(key)) {
            std::optional<std::uint64_t> bytes;
            if (v->is_string()) {
                bytes = parse_size(v->get_ref<const std::string&>());
            } else if (v->is_number_unsigned()) {
                bytes = v->get<std::uint64_t>();
            }
            if (!bytes) {
                problem(key, "must be a size such as 65536, \"16KiB\" or \"1MiB\" (got " + v->dump() + ")");
            } else if (*bytes < min || *bytes > max) {
                problem(key, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                                 " bytes (got " + v->dump() + ")");
            } else {
                value = *bytes;
            }
        }
        out_[std::string(key)] = value;
    }

    template <class E>
    void choice(std::string_view key, E& value,
                std::initializer_list<std::pair<std::string_view, E>> options) {
        if (const json* v = take(key)) {
            bool found = false;
            if (v->is_string()) {
                for (const auto& [name, option] : options) {
                    if (v->get_ref<const std::string&>() == name) {
                        value = option;
                        found = true;
                    }
                }
            }
            if (!found) {
                std::string names;
                for (const auto& [name, option] : options) {
                    names += (names.empty() ? "" : ", ") + in_quotes(name);
                }
                problem(key, "must be one of " + names + " (got " + v->dump() + ")");
            }
        }
        for (const auto& [name, option] : options) {
            if (option == value) {
                out_[std::string(key)] = name;
            }
        }
    }

    // Reports keys that no accessor consumed. Keys starting with '#' are comments.
    void done() {
        if (node_ == nullptr) {
            return;
        }
        for (const auto& [key, v] : node_->items()) {
            if (!key.empty() && key.front() == '#') {
                continue;
            }
            if (std::find(seen_.begin(), seen_.end(), key) == seen_.end()) {
                problem(key, "unknown key");
            }
        }
    }

    void problem(std::string_view key, std::string message) { problem_at(full(key), std::move(message)); }

private:
    static std::string join(const std::string& path, std::string_view key) {
        return path.empty() ? std::string(key) : path + "." + std::string(key);
    }
    std::string full(std::string_view key) const { return join(path_, key); }

    const json* take(std::string_view key) {
        seen_.emplace_back(key);
        ctx_.keys.insert(join(schema_, key));
        if (node_ == nullptr) {
            return nullptr;
        }
        const auto it = node_->find(key);
        return it == node_->end() ? nullptr : &*it;
    }

    void problem_at(std::string key, std::string message) {
        if (!dry_) {
            ctx_.problems.push_back({ctx_.file, std::move(key), std::move(message)});
        }
    }

    Context& ctx_;
    const json* node_;
    std::string path_;
    std::string schema_;
    std::string env_path_;
    json& out_;
    bool dry_;
    std::vector<std::string> seen_;
};

bool is_ip_address(const std::string& text) {
    unsigned char buf[16];
    return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

bool is_identifier(std::string_view text) {
    return !text.empty() && text.size() <= 32 && std::all_of(text.begin(), text.end(), [](char ch) {
        return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
    });
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
        auto channels = root.object("channels");
        read_wechat_mp(channels, c.channels.wechat_mp);
        channels.done();
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

// Converts nlohmann's "[json.exception.parse_error.101] parse error at line 3, column 5: syntax
// error …" into "line 3, column 5: syntax error …". Lexer errors end in "; last read: '<text>'",
// an echo of the offending text, which can be a secret (an unterminated "token" string runs to the
// end of the line), so that echo and whatever follows it are dropped; line and column remain.
std::string describe_parse_error(const std::string& what) {
    std::string text = what;
    if (const auto at = text.find(" at line "); at != std::string::npos) {
        text.erase(0, at + 4);
    } else if (const auto bracket = text.find("] "); bracket != std::string::npos) {
        text.erase(0, bracket + 2);
    }
    if (const auto echo = text.find("; last read: "); echo != std::string::npos) {
        text.erase(echo);
    }
    return text;
}

// Flags keys that appear twice in one object (nlohmann would silently keep the last one). Tracks
// the dotted path of each object so the problem names the key; array elements share "key[]".
class DuplicateKeyCheck {
public:
    explicit DuplicateKeyCheck(Context& ctx) : ctx_(ctx) {}

    bool operator()(int /*depth*/, json::parse_event_t event, json& parsed) {
        using E = json::parse_event_t;
        switch (event) {
            case E::object_start:
                frames_.push_back({next_path_, {}});
                break;
            case E::array_start:
                frames_.push_back({next_path_ + "[]", {}});
                next_path_ = frames_.back().path;
                break;
            case E::key: {
                const auto& key = parsed.get_ref<const std::string&>();
                auto& frame = frames_.back();
                next_path_ = frame.path.empty() ? key : frame.path + "." + key;
                // Comment keys ("#", "#port") are ignored, so repeating one is harmless.
                const bool comment = !key.empty() && key.front() == '#';
                if (!comment && !frame.keys.insert(key).second) {
                    ctx_.problems.push_back({ctx_.file, next_path_, "appears more than once"});
                }
                break;
            }
            case E::object_end:
            case E::array_end:
                frames_.pop_back();
                [[fallthrough]];
            case E::value:
                // Back inside an array, the next element takes the array's path.
                if (!frames_.empty() && frames_.back().path.ends_with("[]")) {
                    next_path_ = frames_.back().path;
                }
                break;
        }
        return true;
    }

private:
    struct Frame {
        std::string path;
        std::set<std::string> keys;
    };
    Context& ctx_;
    std::vector<Frame> frames_;
    std::string next_path_;
};

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
    json doc;
    try {
        DuplicateKeyCheck check(ctx);
        doc = json::parse(text, std::ref(check), /*allow_exceptions=*/true, /*ignore_comments=*/false);
    } catch (const json::parse_error& e) {
        ctx.problems.push_back({source, "", "invalid JSON at " + describe_parse_error(e.what())});
        return Problems{std::move(ctx.problems)};
    }
    if (!doc.is_object()) {
        ctx.problems.push_back({source, "", "must contain a JSON object (got " + type_name(doc) + ")"});
        return Problems{std::move(ctx.problems)};
    }
    Config config;
    config.source = source;
    json effective;
    Reader root(ctx, &doc, "", effective);
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
    return parse_config(buf.str(), path, env);
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
