#include "tests/support/fake_wecom_api.hpp"

#include "bot/net/url.hpp"

#include <cctype>
#include <optional>
#include <utility>

namespace anju::testing {
namespace {

using Json = nlohmann::json;

constexpr std::size_t kMaxTextBytes = 2048;
constexpr std::size_t kMaxRobotMarkdownBytes = 4096;

Json error(int errcode, std::string errmsg) {
    Json body;
    body["errcode"] = errcode;
    body["errmsg"] = std::move(errmsg);
    return body;
}

Json ok() { return error(0, "ok"); }

// The string at `key` of an object, "" when absent or not a string.
std::string string_at(const Json& json, const char* key) {
    if (!json.is_object()) {
        return {};
    }
    const auto found = json.find(key);
    return found != json.end() && found->is_string() ? found->get<std::string>() : std::string();
}

// The strings of the array at `key`; nullopt when it is absent or holds something else.
std::optional<std::vector<std::string>> strings_at(const Json& json, const char* key) {
    if (!json.is_object()) {
        return std::nullopt;
    }
    const auto found = json.find(key);
    if (found == json.end() || !found->is_array()) {
        return std::nullopt;
    }
    std::vector<std::string> out;
    for (const auto& item : *found) {
        if (!item.is_string()) {
            return std::nullopt;
        }
        out.push_back(item.get<std::string>());
    }
    return out;
}

std::string param(std::string_view query, std::string_view name) {
    const auto params = net::parse_query(query);
    const auto value = net::find_param(params, name);
    return value ? std::string(*value) : std::string();
}

std::vector<std::string> split(const std::string& joined, char separator) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= joined.size()) {
        const auto end = joined.find(separator, start);
        parts.push_back(joined.substr(start, end == std::string::npos ? std::string::npos : end - start));
        if (end == std::string::npos) {
            break;
        }
        start = end + 1;
    }
    return parts;
}

std::string lower(std::string text) {
    for (auto& c : text) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return text;
}

// Consumes one injected failure, if any is left.
std::optional<int> take(int& remaining, int errcode) {
    if (remaining <= 0) {
        return std::nullopt;
    }
    --remaining;
    return errcode;
}

// The content of a text or markdown message, or the errcode the platform answers for it.
struct Content {
    std::string msgtype{};
    std::string text{};
    std::optional<Json> problem{};
};

Content content_of(const Json& body, std::size_t markdown_limit) {
    Content c;
    c.msgtype = string_at(body, "msgtype");
    if (c.msgtype != "text" && c.msgtype != "markdown") {
        c.problem = error(40008, "invalid message type");
        return c;
    }
    c.text = string_at(body.value(c.msgtype, Json::object()), "content");
    const auto limit = c.msgtype == "text" ? kMaxTextBytes : markdown_limit;
    if (c.text.empty()) {
        c.problem = error(44004, "empty content");
    } else if (c.text.size() > limit) {
        c.problem = error(45002, "content size out of limit");
    }
    return c;
}

}  // namespace

FakeWeComApi::FakeWeComApi(FakeWeComApiOptions options)
    : options_(std::move(options)),
      expires_in_(options_.expires_in),
      server_([this](const net::HttpRequest& request) { return handle(request); }) {}

std::string FakeWeComApi::base_url() const { return server_.base_url(); }

std::string FakeWeComApi::response_url(const std::string& code) {
    {
        std::lock_guard lock(mutex_);
        response_codes_.emplace(code, false);
    }
    return base_url() + "/cgi-bin/aibot/response?response_code=" + net::percent_encode(code);
}

std::string FakeWeComApi::webhook_url(const std::string& key) const {
    return base_url() + "/cgi-bin/webhook/send?key=" + net::percent_encode(key);
}

void FakeWeComApi::expire_current_token() {
    std::lock_guard lock(mutex_);
    if (!current_token_.empty()) {
        tokens_[current_token_] = true;
    }
}

void FakeWeComApi::fail_next_sends(int errcode, int count) {
    std::lock_guard lock(mutex_);
    send_failure_ = Injected{errcode, count};
}

void FakeWeComApi::fail_next_token_requests(int errcode, int count) {
    std::lock_guard lock(mutex_);
    token_failure_ = Injected{errcode, count};
}

void FakeWeComApi::set_response_delay(std::chrono::milliseconds delay) {
    std::lock_guard lock(mutex_);
    delay_ = delay;
}

void FakeWeComApi::set_expires_in(int seconds) {
    std::lock_guard lock(mutex_);
    expires_in_ = seconds;
}

std::size_t FakeWeComApi::token_requests() const {
    std::lock_guard lock(mutex_);
    return token_requests_;
}

std::size_t FakeWeComApi::send_requests() const {
    std::lock_guard lock(mutex_);
    return send_requests_;
}

std::string FakeWeComApi::current_token() const {
    std::lock_guard lock(mutex_);
    return current_token_;
}

std::vector<RecordedAppMessage> FakeWeComApi::app_messages() const {
    std::lock_guard lock(mutex_);
    return app_messages_;
}

std::vector<RecordedAppchatMessage> FakeWeComApi::appchat_messages() const {
    std::lock_guard lock(mutex_);
    return appchat_messages_;
}

std::vector<RecordedChat> FakeWeComApi::created_chats() const {
    std::lock_guard lock(mutex_);
    return chats_;
}

std::vector<RecordedRobotMessage> FakeWeComApi::robot_messages() const {
    std::lock_guard lock(mutex_);
    return robot_messages_;
}

std::vector<RecordedAibotResponse> FakeWeComApi::aibot_responses() const {
    std::lock_guard lock(mutex_);
    return aibot_responses_;
}

std::vector<net::HttpRequest> FakeWeComApi::requests() const { return server_.requests(); }

// Runs on the server thread.
LoopbackResponse FakeWeComApi::handle(const net::HttpRequest& request) {
    const auto question = request.url.find('?');
    const std::string path = request.url.substr(0, question);
    const std::string_view query = question == std::string::npos
                                       ? std::string_view()
                                       : std::string_view(request.url).substr(question + 1);

    LoopbackResponse response;
    response.headers.emplace_back("Content-Type", "application/json; charset=UTF-8");
    std::lock_guard lock(mutex_);
    response.delay = delay_;
    const bool send_path = path == "/cgi-bin/message/send" || path == "/cgi-bin/appchat/create" ||
                           path == "/cgi-bin/appchat/send" || path == "/cgi-bin/webhook/send" ||
                           path == "/cgi-bin/aibot/response";
    if (path == "/cgi-bin/gettoken") {
        response.body = issue_token(request.method, query).dump();
    } else if (send_path) {
        ++send_requests_;
        if (request.method != "POST") {
            response.body = error(43002, "require POST method").dump();
        } else if (path == "/cgi-bin/webhook/send") {
            response.body = accept_webhook(query, request.body).dump();
        } else if (path == "/cgi-bin/aibot/response") {
            response.body = accept_aibot(query, request.body).dump();
        } else {
            response.body = with_token(path, query, request.body).dump();
        }
    } else {
        response.status = 404;
        response.headers.clear();
        response.body = "not found";
    }
    return response;
}

Json FakeWeComApi::issue_token(std::string_view method, std::string_view query) {
    ++token_requests_;
    if (method != "GET") {
        return error(43001, "require GET method");
    }
    const auto corpid = param(query, "corpid");
    const auto secret = param(query, "corpsecret");
    if (corpid.empty()) {
        return error(41002, "corpid missing");
    }
    if (secret.empty()) {
        return error(41004, "corpsecret missing");
    }
    if (corpid != options_.corp_id) {
        return error(40013, "invalid corpid");
    }
    if (secret != options_.corp_secret) {
        return error(40001, "invalid credential");
    }
    if (const auto injected = take(token_failure_.remaining, token_failure_.errcode)) {
        return error(*injected, "injected failure");
    }
    current_token_ = "TOKEN-" + std::to_string(next_token_++);
    tokens_[current_token_] = false;
    auto reply = ok();
    reply["access_token"] = current_token_;
    reply["expires_in"] = expires_in_;
    return reply;
}

Json FakeWeComApi::with_token(const std::string& path, std::string_view query, const std::string& body) {
    const auto token = param(query, "access_token");
    if (token.empty()) {
        return error(41001, "access_token missing");
    }
    const auto known = tokens_.find(token);
    if (known == tokens_.end()) {
        return error(40014, "invalid access_token");
    }
    if (known->second) {
        return error(42001, "access_token expired");
    }
    if (const auto injected = take(send_failure_.remaining, send_failure_.errcode)) {
        return error(*injected, "injected failure");
    }
    auto json = Json::parse(body, nullptr, false);
    if (json.is_discarded() || !json.is_object()) {
        return error(47001, "data format error");
    }
    if (path == "/cgi-bin/message/send") {
        return accept_message(std::move(json), known->first);
    }
    if (path == "/cgi-bin/appchat/create") {
        return accept_appchat_create(std::move(json), known->first);
    }
    return accept_appchat_send(std::move(json), known->first);
}

Json FakeWeComApi::accept_message(Json body, const std::string& token) {
    const auto agentid = body.find("agentid");
    if (agentid == body.end() || !agentid->is_number_integer() ||
        agentid->get<std::int64_t>() != options_.agent_id) {
        return error(40056, "invalid agentid");
    }
    auto content = content_of(body, kMaxTextBytes);
    if (content.problem) {
        return *content.problem;
    }
    RecordedAppMessage message;
    message.access_token = token;
    message.agentid = agentid->get<std::int64_t>();
    message.msgtype = content.msgtype;
    message.content = content.text;
    message.touser = split(string_at(body, "touser"), '|');
    bool delivered = false;
    std::string invalid;
    for (const auto& user : message.touser) {
        if (user == "@all" || options_.members.contains(user)) {
            delivered = true;
            continue;
        }
        message.invalid.push_back(lower(user));
        invalid += (invalid.empty() ? "" : "|") + lower(user);
    }
    if (!delivered) {
        return error(81013, "user & party & tag all invalid");
    }
    message.msgid = "MSG-" + std::to_string(next_msgid_++);
    auto reply = ok();
    reply["invaliduser"] = invalid;
    reply["msgid"] = message.msgid;
    message.body = std::move(body);
    app_messages_.push_back(std::move(message));
    return reply;
}

Json FakeWeComApi::accept_appchat_create(Json body, const std::string& token) {
    const auto userlist = strings_at(body, "userlist");
    if (!userlist) {
        return error(47001, "data format error");
    }
    for (const auto& user : *userlist) {
        if (!options_.members.contains(user)) {
            return error(40003, "invalid userid");
        }
    }
    if (userlist->size() < 2) {
        return error(86216, "chat member count less than 2");
    }
    RecordedChat chat;
    chat.access_token = token;
    chat.name = string_at(body, "name");
    chat.owner = string_at(body, "owner");
    chat.userlist = *userlist;
    chat.chatid = string_at(body, "chatid");
    for (const auto& earlier : chats_) {
        if (!chat.chatid.empty() && earlier.chatid == chat.chatid) {
            return error(86215, "chatid already exists");
        }
    }
    if (chat.chatid.empty()) {
        chat.chatid = "CHAT-" + std::to_string(next_chat_++);
    }
    auto reply = ok();
    reply["chatid"] = chat.chatid;
    chat.body = std::move(body);
    chats_.push_back(std::move(chat));
    return reply;
}

Json FakeWeComApi::accept_appchat_send(Json body, const std::string& token) {
    const auto chatid = string_at(body, "chatid");
    bool known = false;
    for (const auto& chat : chats_) {
        known = known || chat.chatid == chatid;
    }
    if (!known) {
        return error(86003, "chatid not found");
    }
    auto content = content_of(body, kMaxTextBytes);
    if (content.problem) {
        return *content.problem;
    }
    RecordedAppchatMessage message;
    message.access_token = token;
    message.chatid = chatid;
    message.msgtype = content.msgtype;
    message.content = content.text;
    message.body = std::move(body);
    appchat_messages_.push_back(std::move(message));
    return ok();
}

Json FakeWeComApi::accept_webhook(std::string_view query, const std::string& body) {
    const auto key = param(query, "key");
    if (!options_.robot_keys.contains(key)) {
        return error(93000, "invalid webhook url");
    }
    if (const auto injected = take(send_failure_.remaining, send_failure_.errcode)) {
        return error(*injected, "injected failure");
    }
    auto json = Json::parse(body, nullptr, false);
    if (json.is_discarded() || !json.is_object()) {
        return error(47001, "data format error");
    }
    auto content = content_of(json, kMaxRobotMarkdownBytes);
    if (content.problem) {
        return *content.problem;
    }
    RecordedRobotMessage message;
    message.key = key;
    message.msgtype = content.msgtype;
    message.content = content.text;
    if (content.msgtype == "text") {
        const auto text = json.value("text", Json::object());
        message.mentioned_list = strings_at(text, "mentioned_list").value_or(std::vector<std::string>{});
        message.mentioned_mobile_list =
            strings_at(text, "mentioned_mobile_list").value_or(std::vector<std::string>{});
    }
    message.body = std::move(json);
    robot_messages_.push_back(std::move(message));
    return ok();
}

Json FakeWeComApi::accept_aibot(std::string_view query, const std::string& body) {
    const auto code = param(query, "response_code");
    const auto issued = response_codes_.find(code);
    if (code.empty() || issued == response_codes_.end() || issued->second) {
        return error(40014, "invalid response_code");
    }
    if (const auto injected = take(send_failure_.remaining, send_failure_.errcode)) {
        return error(*injected, "injected failure");
    }
    auto json = Json::parse(body, nullptr, false);
    if (json.is_discarded() || !json.is_object()) {
        return error(47001, "data format error");
    }
    const auto msgtype = string_at(json, "msgtype");
    if (msgtype != "markdown") {
        return error(40008, "invalid message type");
    }
    const auto content = string_at(json.value("markdown", Json::object()), "content");
    if (content.empty()) {
        return error(44004, "empty content");
    }
    issued->second = true;
    RecordedAibotResponse response;
    response.response_code = code;
    response.msgtype = msgtype;
    response.content = content;
    response.body = std::move(json);
    aibot_responses_.push_back(std::move(response));
    return ok();
}

}  // namespace anju::testing
