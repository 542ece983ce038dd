// Internal to anju::config: the JSON reader that every config file goes through (the main config
// and the dialog files). It collects problems instead of failing, reports unknown and duplicate
// keys, and records every key it knows so the example config can be checked for completeness.
#pragma once

#include "bot/core/secret.hpp"
#include "bot/core/units.hpp"
#include "config/config.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace anju::config::detail {

using json = nlohmann::json;

inline std::string type_name(const json& v) {
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

inline std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

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

    // An array of strings (empty strings refused).
    void strings(std::string_view key, std::vector<std::string>& values) {
        const json* v = take(key);
        auto& out = out_[std::string(key)];
        out = json::array();
        if (v == nullptr) {
            return;
        }
        if (!v->is_array()) {
            problem(key, "must be an array of strings (got " + type_name(*v) + ")");
            return;
        }
        for (std::size_t i = 0; i < v->size(); ++i) {
            const auto& item = (*v)[i];
            if (!item.is_string() || item.get_ref<const std::string&>().empty()) {
                problem_at(full(key) + "[" + std::to_string(i) + "]", "must be a non-empty string");
                continue;
            }
            values.push_back(item.get<std::string>());
            out.push_back(item);
        }
    }

    // An object of operator-chosen names, each an array of strings: {"fire": ["着火", "冒烟"]}.
    void string_lists(std::string_view key,
                      std::vector<std::pair<std::string, std::vector<std::string>>>& lists) {
        const json* v = take(key);
        auto& out = out_[std::string(key)];
        out = json::object();
        if (v == nullptr) {
            return;
        }
        if (!v->is_object()) {
            problem(key, "must be an object of string arrays (got " + type_name(*v) + ")");
            return;
        }
        for (const auto& [name, list] : v->items()) {
            if (!name.empty() && name.front() == '#') {
                continue;
            }
            std::vector<std::string> items;
            if (!list.is_array()) {
                problem_at(full(key) + "." + name,
                           "must be an array of strings (got " + type_name(list) + ")");
                continue;
            }
            for (const auto& item : list) {
                if (!item.is_string() || item.get_ref<const std::string&>().empty()) {
                    problem_at(full(key) + "." + name, "must hold only non-empty strings");
                    continue;
                }
                items.push_back(item.get<std::string>());
            }
            out[name] = list;
            lists.emplace_back(name, std::move(items));
        }
    }

    // An object of operator-chosen terms with numeric weights: {"电梯": 3, "梯": 1}.
    void weights(std::string_view key, std::vector<WeightedTerm>& terms, double min, double max) {
        const json* v = take(key);
        auto& out = out_[std::string(key)];
        out = json::object();
        if (v == nullptr) {
            return;
        }
        if (!v->is_object()) {
            problem(key, "must be an object of term: weight (got " + type_name(*v) + ")");
            return;
        }
        for (const auto& [term, weight] : v->items()) {
            if (!term.empty() && term.front() == '#') {
                continue;
            }
            if (!weight.is_number() || weight.get<double>() < min || weight.get<double>() > max) {
                problem_at(full(key) + "." + term, "must be a number between " + json(min).dump() + " and " +
                                                       json(max).dump() + " (got " + weight.dump() + ")");
                continue;
            }
            terms.push_back({term, weight.get<double>()});
            out[term] = weight;
        }
    }

    // An object of string values with operator-chosen keys (sorted by key).
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

    // A span that may be fixed ("24h") or in working days ("2wd").
    void span(std::string_view key, Duration& value, std::chrono::milliseconds max_fixed,
              int max_working_days) {
        if (const json* v = take(key)) {
            const auto d = v->is_string() ? parse_duration(v->get_ref<const std::string&>()) : std::nullopt;
            if (!d) {
                problem(key, "must be a duration such as \"30m\", \"24h\" or \"2wd\" (2 working days) (got " +
                                 v->dump() + ")");
            } else if (d->is_working_days()
                           ? d->working_days > max_working_days
                           : (d->fixed <= std::chrono::milliseconds::zero() || d->fixed > max_fixed)) {
                problem(key, "must be positive and at most " + format_duration({max_fixed, 0}) + " or " +
                                 std::to_string(max_working_days) + "wd (got " + v->get<std::string>() + ")");
            } else {
                value = *d;
            }
        }
        out_[std::string(key)] = format_duration(value);
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

// Parses a JSON document with duplicate-key detection. On a syntax error (or a document that is not
// an object) records the problem in `ctx` and returns nullopt. Never throws for bad input.
std::optional<json> parse_document(std::string_view text, Context& ctx);

// [a-z0-9_-]{1,32}: ids that appear in URLs and records.
inline bool is_identifier(std::string_view text) {
    return !text.empty() && text.size() <= 32 && std::all_of(text.begin(), text.end(), [](char ch) {
        return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
    });
}

// Reads the "tickets" section (tickets_config.cpp); `channels` is read already, to check references.
void read_tickets(Reader& root, TicketsConfig& tickets, const ChannelsConfig& channels);

}  // namespace anju::config::detail
