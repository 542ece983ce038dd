#include "config/reader.hpp"

namespace anju::config::detail {
namespace {

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

}  // namespace

std::optional<json> parse_document(std::string_view text, Context& ctx) {
    json doc;
    try {
        DuplicateKeyCheck check(ctx);
        doc = json::parse(text, std::ref(check), /*allow_exceptions=*/true, /*ignore_comments=*/false);
    } catch (const json::parse_error& e) {
        ctx.problems.push_back({ctx.file, "", "invalid JSON at " + describe_parse_error(e.what())});
        return std::nullopt;
    }
    if (!doc.is_object()) {
        ctx.problems.push_back({ctx.file, "", "must contain a JSON object (got " + type_name(doc) + ")"});
        return std::nullopt;
    }
    return doc;
}

}  // namespace anju::config::detail
