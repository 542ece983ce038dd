#include "adapters/bridge/bridge.hpp"

#include "adapters/common/strand_call.hpp"
#include "bot/core/text.hpp"

#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>

namespace anju::adapters::bridge {
namespace {

using json = nlohmann::json;

std::string hex(const unsigned char* data, std::size_t size) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(size * 2);
    for (std::size_t i = 0; i < size; ++i) {
        out.push_back(digits[data[i] >> 4]);
        out.push_back(digits[data[i] & 0x0f]);
    }
    return out;
}

Refused refused(Refusal reason, std::string message) { return Refused{reason, std::move(message)}; }

// A string member; absent is "", any other type is an error naming `field`. Ids (`is_id`) may also
// be integers, as some platforms send them; free text may not (a number where text belongs is a
// bridge bug worth telling its developer about).
boost::system::result<std::string, Refused> string_field(const json& object, const char* key,
                                                         const std::string& field, bool required,
                                                         bool is_id = false) {
    const auto it = object.find(key);
    if (it == object.end() || it->is_null()) {
        if (required) {
            return refused(Refusal::bad_field, field + " is missing");
        }
        return std::string();
    }
    if (is_id && it->is_number_integer()) {
        return it->dump();
    }
    if (!it->is_string()) {
        return refused(Refusal::bad_field, field + " must be a string");
    }
    auto value = it->get<std::string>();
    if (!is_valid_utf8(value)) {
        return refused(Refusal::bad_field, field + " is not valid UTF-8");
    }
    if (required && value.empty()) {
        return refused(Refusal::bad_field, field + " is empty");
    }
    return value;
}

// Ids end up in conversation keys and outbox targets: printable, no separators, bounded.
bool acceptable_id(std::string_view id) {
    if (id.empty() || id.size() > 128) {
        return false;
    }
    for (const char c : id) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || c == '/' || c == ':' || c == '|' || u == 0x7f) {
            return false;
        }
    }
    return true;
}

}  // namespace

std::string sign(const Secret& secret, std::string_view timestamp, std::string_view body) {
    std::string message;
    message.reserve(timestamp.size() + body.size());
    message.append(timestamp).append(body);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    HMAC(EVP_sha256(), secret.reveal().data(), static_cast<int>(secret.reveal().size()),
         reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &size);
    return hex(mac, size);
}

std::string_view to_string(Refusal r) {
    switch (r) {
        case Refusal::bad_signature:
            return "bad_signature";
        case Refusal::stale_timestamp:
            return "stale_timestamp";
        case Refusal::replayed:
            return "replayed";
        case Refusal::bad_json:
            return "bad_json";
        case Refusal::bad_field:
            return "bad_field";
        case Refusal::unavailable:
            return "unavailable";
    }
    return "bad_json";
}

Verifier::Verifier(Secret secret, std::chrono::seconds window)
    : secret_(std::move(secret)), window_(window) {}

boost::system::result<void, Refused> Verifier::check(std::string_view timestamp, std::string_view signature,
                                                     std::string_view body,
                                                     std::chrono::system_clock::time_point now) {
    std::int64_t ts = 0;
    const auto [end, ec] = std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), ts);
    if (timestamp.empty() || ec != std::errc() || end != timestamp.data() + timestamp.size()) {
        return refused(Refusal::stale_timestamp, std::string(kTimestampHeader) + " must be unix seconds");
    }
    const auto expected = sign(secret_, timestamp, body);
    if (signature.size() != expected.size() ||
        CRYPTO_memcmp(signature.data(), expected.data(), expected.size()) != 0) {
        return refused(Refusal::bad_signature, "signature does not match");
    }
    const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    if (ts < now_s - window_.count() || ts > now_s + window_.count()) {
        return refused(Refusal::stale_timestamp, "timestamp is outside the replay window");
    }
    std::lock_guard lock(mutex_);
    while (!seen_order_.empty() && seen_order_.front().first < now_s - window_.count()) {
        seen_.erase(seen_order_.front().second);
        seen_order_.pop_front();
    }
    if (!seen_.insert(expected).second) {
        return refused(Refusal::replayed, "this request was already received");
    }
    seen_order_.emplace_back(ts < now_s ? now_s : ts, expected);
    return {};
}

boost::system::result<GroupMessage, Refused> parse(std::string_view body) {
    auto j = json::parse(body, nullptr, false);
    if (j.is_discarded()) {
        return refused(Refusal::bad_json, "the body is not valid JSON");
    }
    if (!j.is_object()) {
        return refused(Refusal::bad_json, "the body must be a JSON object");
    }
    GroupMessage m;
    auto type = string_field(j, "type", "type", true);
    if (!type) {
        return type.error();
    }
    m.type = std::move(*type);
    if (m.type != "message") {
        return m;  // an event this version does not act on
    }
    auto msgid = string_field(j, "msgid", "msgid", true, true);
    if (!msgid) {
        return msgid.error();
    }
    m.msgid = std::move(*msgid);
    if (m.msgid.size() > 128) {
        return refused(Refusal::bad_field, "msgid is longer than 128 bytes");
    }
    const auto group = j.find("group");
    if (group == j.end() || !group->is_object()) {
        return refused(Refusal::bad_field, "group must be an object with an id");
    }
    auto gid = string_field(*group, "id", "group.id", true, true);
    if (!gid) {
        return gid.error();
    }
    if (!acceptable_id(*gid)) {
        return refused(Refusal::bad_field, "group.id must be 1–128 printable characters without / : |");
    }
    m.group = std::move(*gid);
    auto gname = string_field(*group, "name", "group.name", false);
    if (!gname) {
        return gname.error();
    }
    m.group_name = std::move(*gname);
    const auto sender = j.find("sender");
    if (sender == j.end() || !sender->is_object()) {
        return refused(Refusal::bad_field, "sender must be an object with an id");
    }
    auto sid = string_field(*sender, "id", "sender.id", true, true);
    if (!sid) {
        return sid.error();
    }
    if (!acceptable_id(*sid)) {
        return refused(Refusal::bad_field, "sender.id must be 1–128 printable characters without / : |");
    }
    m.sender = std::move(*sid);
    auto sname = string_field(*sender, "name", "sender.name", false);
    if (!sname) {
        return sname.error();
    }
    m.sender_name = std::move(*sname);
    auto text = string_field(j, "text", "text", false);
    if (!text) {
        return text.error();
    }
    m.text = std::move(*text);
    if (const auto it = j.find("mentioned"); it != j.end()) {
        if (!it->is_boolean()) {
            return refused(Refusal::bad_field, "mentioned must be true or false");
        }
        m.mentioned = it->get<bool>();
    }
    return m;
}

std::string render_ok() { return R"({"ok":true})"; }

std::string render_reply(std::string_view text, const std::vector<std::string>& mention) {
    return json{{"ok", true}, {"reply", {{"text", text}, {"mention", mention}}}}.dump();
}

std::string render_refused(const Refused& r) {
    return json{{"ok", false}, {"error", to_string(r.reason)}, {"message", r.message}}.dump();
}

BridgeClient::BridgeClient(net::HttpClient& http, std::string outbound_url, Secret secret,
                           std::chrono::milliseconds timeout)
    : http_(http), url_(std::move(outbound_url)), secret_(std::move(secret)), timeout_(timeout) {}

asio::awaitable<BridgeClient::Result> BridgeClient::post(std::string id, std::string group, std::string text,
                                                         std::vector<std::string> mention,
                                                         std::chrono::system_clock::time_point now) {
    if (url_.empty()) {
        co_return Result{Outcome::refused, "no outbound_url configured"};
    }
    auto parts = split_utf8(text, kMaxTextBytes);
    json body = {{"type", "group_message"},
                 {"id", std::move(id)},
                 {"group", std::move(group)},
                 {"text", parts.empty() ? text : parts.front()},
                 {"mention", std::move(mention)}};
    net::HttpRequest request;
    request.method = "POST";
    request.url = url_;
    request.body = body.dump();
    const auto ts =
        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
    request.headers = {{"Content-Type", "application/json; charset=utf-8"},
                       {std::string(kTimestampHeader), ts},
                       {std::string(kSignatureHeader), sign(secret_, ts, request.body)}};
    request.timeout = timeout_;
    auto response = co_await http_.send(std::move(request));
    if (!response) {
        const bool unsent = never_left(response.error());
        co_return Result{unsent ? Outcome::retry : Outcome::maybe_delivered, response.error().message()};
    }
    if (response->status >= 200 && response->status < 300) {
        co_return Result{Outcome::delivered, ""};
    }
    const auto status = "HTTP " + std::to_string(response->status);
    if (response->status >= 500 || response->status == 429) {
        co_return Result{Outcome::retry, status};
    }
    co_return Result{Outcome::refused, status};
}

}  // namespace anju::adapters::bridge
