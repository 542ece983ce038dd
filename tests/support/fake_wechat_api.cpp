#include "tests/support/fake_wechat_api.hpp"

#include "bot/net/url.hpp"

#include <optional>
#include <utility>

namespace anju::testing {
namespace {

using Json = nlohmann::json;

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

std::string param(const net::QueryParams& params, std::string_view name) {
    const auto value = net::find_param(params, name);
    return value ? std::string(*value) : std::string();
}

// Consumes one injected failure, if any is left.
std::optional<int> take(int& remaining, int errcode) {
    if (remaining <= 0) {
        return std::nullopt;
    }
    --remaining;
    return errcode;
}

}  // namespace

FakeWeChatApi::FakeWeChatApi(FakeWeChatApiOptions options)
    : options_(std::move(options)),
      expires_in_(options_.expires_in),
      server_([this](const net::HttpRequest& request) { return handle(request); }) {}

std::string FakeWeChatApi::base_url() const { return server_.base_url(); }

void FakeWeChatApi::expire_current_token() {
    std::lock_guard lock(mutex_);
    if (!current_token_.empty()) {
        tokens_[current_token_] = true;
    }
}

void FakeWeChatApi::fail_next_sends(int errcode, int count) {
    std::lock_guard lock(mutex_);
    send_failure_ = Injected{errcode, count};
}

void FakeWeChatApi::fail_next_token_requests(int errcode, int count) {
    std::lock_guard lock(mutex_);
    token_failure_ = Injected{errcode, count};
}

void FakeWeChatApi::set_response_delay(std::chrono::milliseconds delay) {
    std::lock_guard lock(mutex_);
    delay_ = delay;
}

void FakeWeChatApi::fail_next_sends_with_status(int status, int count) {
    std::lock_guard lock(mutex_);
    status_failure_ = Injected{status, count};
}

void FakeWeChatApi::stall_next_sends(SendKind kind, int count, std::chrono::milliseconds delay,
                                     bool deliver) {
    std::lock_guard lock(mutex_);
    send_stall_ = Stall{kind, count, delay, deliver};
}

void FakeWeChatApi::stall_next_token_requests(int count, std::chrono::milliseconds delay) {
    std::lock_guard lock(mutex_);
    token_stall_ = Injected{0, count};
    token_stall_delay_ = delay;
}

void FakeWeChatApi::close_window(const std::string& openid) {
    std::lock_guard lock(mutex_);
    closed_windows_.insert(openid);
}

void FakeWeChatApi::open_window(const std::string& openid) {
    std::lock_guard lock(mutex_);
    closed_windows_.erase(openid);
}

std::vector<StalledSend> FakeWeChatApi::stalled_sends() const {
    std::lock_guard lock(mutex_);
    return stalled_;
}

std::vector<std::string> FakeWeChatApi::window_refusals() const {
    std::lock_guard lock(mutex_);
    return window_refusals_;
}

void FakeWeChatApi::set_expires_in(int seconds) {
    std::lock_guard lock(mutex_);
    expires_in_ = seconds;
}

std::size_t FakeWeChatApi::token_requests() const {
    std::lock_guard lock(mutex_);
    return token_requests_;
}

std::size_t FakeWeChatApi::send_requests() const {
    std::lock_guard lock(mutex_);
    return send_requests_;
}

std::string FakeWeChatApi::current_token() const {
    std::lock_guard lock(mutex_);
    return current_token_;
}

std::vector<RecordedCustomMessage> FakeWeChatApi::custom_messages() const {
    std::lock_guard lock(mutex_);
    return custom_;
}

std::vector<RecordedTemplateMessage> FakeWeChatApi::template_messages() const {
    std::lock_guard lock(mutex_);
    return templates_;
}

std::vector<net::HttpRequest> FakeWeChatApi::requests() const { return server_.requests(); }

// Runs on the server thread.
LoopbackResponse FakeWeChatApi::handle(const net::HttpRequest& request) {
    const auto question = request.url.find('?');
    const std::string path = request.url.substr(0, question);
    const std::string_view query = question == std::string::npos
                                       ? std::string_view()
                                       : std::string_view(request.url).substr(question + 1);

    LoopbackResponse response;
    response.headers.emplace_back("Content-Type", "application/json; encoding=utf-8");
    std::lock_guard lock(mutex_);
    response.delay = delay_;
    if (path == "/cgi-bin/token" || path == "/cgi-bin/stable_token") {
        response.body = issue_token(request.method, path, query, request.body, response).dump();
    } else if (path == "/cgi-bin/message/custom/send" || path == "/cgi-bin/message/template/send") {
        if (request.method != "POST") {
            response.body = error(43002, "require POST method").dump();
        } else {
            auto reply = accept_send(path, query, request.body, response);
            if (response.body.empty()) {
                response.body = reply.dump();
            }
        }
    } else {
        response.status = 404;
        response.headers.clear();
        response.body = "not found";
    }
    return response;
}

Json FakeWeChatApi::issue_token(std::string_view method, const std::string& path, std::string_view query,
                                const std::string& body, LoopbackResponse& response) {
    ++token_requests_;
    const bool classic = path == "/cgi-bin/token";
    std::string grant_type;
    std::string appid;
    std::string secret;
    if (classic) {
        if (method != "GET") {
            return error(43001, "require GET method");
        }
        const auto params = net::parse_query(query);
        grant_type = param(params, "grant_type");
        appid = param(params, "appid");
        secret = param(params, "secret");
    } else {
        if (method != "POST") {
            return error(43002, "require POST method");
        }
        const auto json = Json::parse(body, nullptr, false);
        if (json.is_discarded() || !json.is_object()) {
            return error(47001, "data format error");
        }
        grant_type = string_at(json, "grant_type");
        appid = string_at(json, "appid");
        secret = string_at(json, "secret");
    }
    if (appid.empty()) {
        return error(41002, "appid missing");
    }
    if (secret.empty()) {
        return error(41004, "appsecret missing");
    }
    if (grant_type != "client_credential") {
        return error(40002, "invalid grant_type");
    }
    if (appid != options_.app_id) {
        return error(40013, "invalid appid");
    }
    if (secret != options_.app_secret) {
        // What the platform answers for a wrong secret: the classic endpoint says "invalid credential".
        return classic ? error(40001, "invalid credential, access_token is invalid or not latest")
                       : error(40125, "invalid appsecret");
    }
    if (const auto injected = take(token_failure_.remaining, token_failure_.errcode)) {
        return error(*injected, "injected failure");
    }
    if (take(token_stall_.remaining, 0)) {
        // Answered after the client has given up, and nothing issued.
        response.delay = token_stall_delay_;
        return error(-1, "system error");
    }
    current_token_ = "TOKEN-" + std::to_string(next_token_++);
    tokens_[current_token_] = false;
    Json reply;
    reply["access_token"] = current_token_;
    reply["expires_in"] = expires_in_;
    return reply;
}

Json FakeWeChatApi::accept_send(const std::string& path, std::string_view query, const std::string& body,
                                LoopbackResponse& response) {
    ++send_requests_;
    const auto params = net::parse_query(query);
    const auto token = net::find_param(params, "access_token");
    if (!token || token->empty()) {
        return error(41001, "access_token missing");
    }
    const auto known = tokens_.find(std::string(*token));
    if (known == tokens_.end()) {
        return error(40014, "invalid access_token");
    }
    if (known->second) {
        return error(42001, "access_token expired");
    }
    if (const auto status = take(status_failure_.remaining, status_failure_.errcode)) {
        // What a gateway in front of the platform answers when the backend is down.
        response.status = *status;
        response.headers = {{"Content-Type", "text/html"}};
        response.body = "<html><body>" + std::to_string(*status) + " Bad Gateway</body></html>";
        return {};
    }
    if (const auto injected = take(send_failure_.remaining, send_failure_.errcode)) {
        return error(*injected, "injected failure");
    }
    auto json = Json::parse(body, nullptr, false);
    if (json.is_discarded() || !json.is_object()) {
        return error(47001, "data format error");
    }
    if (string_at(json, "touser").empty()) {
        return error(40003, "invalid openid");
    }
    const bool custom = path == "/cgi-bin/message/custom/send";
    if (custom && closed_windows_.contains(string_at(json, "touser"))) {
        window_refusals_.push_back(string_at(json.value("text", Json::object()), "content"));
        return error(45015, "response out of time limit or subscription is canceled");
    }
    const auto kind = custom ? SendKind::custom : SendKind::template_message;
    if (send_stall_.remaining > 0 && (send_stall_.kind == SendKind::any || send_stall_.kind == kind)) {
        --send_stall_.remaining;
        response.delay = send_stall_.delay;
        StalledSend stalled;
        stalled.kind = kind;
        stalled.touser = string_at(json, "touser");
        stalled.text = string_at(json.value("text", Json::object()), "content");
        stalled.client_msg_id = string_at(json, "client_msg_id");
        stalled.delivered = send_stall_.deliver;
        stalled_.push_back(stalled);
        if (!send_stall_.deliver) {
            return error(-1, "system error");
        }
    }
    if (custom) {
        return accept_custom(std::move(json), known->first);
    }
    return accept_template(std::move(json), known->first);
}

Json FakeWeChatApi::accept_custom(Json body, const std::string& token) {
    RecordedCustomMessage message;
    message.access_token = token;
    message.touser = string_at(body, "touser");
    message.msgtype = string_at(body, "msgtype");
    if (message.msgtype == "text") {
        message.text = string_at(body.value("text", Json::object()), "content");
        if (message.text.size() > 2048) {
            return error(45002, "content size out of limit");
        }
    } else if (message.msgtype == "image") {
        message.media_id = string_at(body.value("image", Json::object()), "media_id");
        if (message.media_id.empty()) {
            return error(40007, "invalid media_id");
        }
    } else {
        return error(40008, "invalid message type");
    }
    message.body = std::move(body);
    message.seq = next_seq_++;
    custom_.push_back(std::move(message));
    return ok();
}

Json FakeWeChatApi::accept_template(Json body, const std::string& token) {
    RecordedTemplateMessage message;
    message.access_token = token;
    message.touser = string_at(body, "touser");
    message.template_id = string_at(body, "template_id");
    message.url = string_at(body, "url");
    message.client_msg_id = string_at(body, "client_msg_id");
    if (message.template_id.empty()) {
        return error(40037, "invalid template_id");
    }
    const auto data = body.find("data");
    if (data == body.end() || !data->is_object()) {
        return error(47003, "argument invalid! data is empty");
    }
    for (const auto& [name, field] : data->items()) {
        if (!field.is_object() || !field.contains("value") || !field["value"].is_string()) {
            return error(47003, "argument invalid! data." + name + ".value is empty");
        }
        message.fields.emplace(name, field["value"].get<std::string>());
    }
    const auto key = message.touser + '\n' + message.client_msg_id;
    if (!message.client_msg_id.empty()) {
        if (const auto earlier = template_msgids_.find(key); earlier != template_msgids_.end()) {
            auto reply = ok();
            reply["msgid"] = earlier->second;
            return reply;
        }
    }
    message.msgid = next_msgid_++;
    if (!message.client_msg_id.empty()) {
        template_msgids_.emplace(key, message.msgid);
    }
    auto reply = ok();
    reply["msgid"] = message.msgid;
    message.body = std::move(body);
    message.seq = next_seq_++;
    templates_.push_back(std::move(message));
    return reply;
}

}  // namespace anju::testing
