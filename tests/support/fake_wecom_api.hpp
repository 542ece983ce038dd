// A fake of qyapi.weixin.qq.com on a LoopbackServer, for integration tests and demos: gettoken, app
// messages (message/send), app group chats (appchat/create, appchat/send), the group robot webhook and the
// 智能机器人 response_url, with token expiry, failure injection, response delays and a record of every
// accepted message.
#pragma once

#include "bot/net/http_client.hpp"
#include "tests/support/loopback_server.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace anju::testing {

struct FakeWeComApiOptions {
    std::string corp_id{"ww5c1f0a9e3d7b2c48"};
    std::string corp_secret{"fake-corp-secret-7d2a9f4e1b6c"};
    std::int64_t agent_id{1000002};
    int expires_in{7200};  // seconds, reported with every token
    // Members visible to the app: message/send delivers to these (and "@all"), appchat/create accepts them.
    std::set<std::string> members{"zhangsan", "lisi", "wangwu", "zhaoliu"};
    // Keys of the group robots that exist.
    std::set<std::string> robot_keys{"robot-key-3b8e51c0-aa2f"};
};

// An app message the fake accepted (POST /cgi-bin/message/send).
struct RecordedAppMessage {
    nlohmann::json body{};
    std::string access_token{};
    std::vector<std::string> touser{};   // as requested, split at '|'
    std::vector<std::string> invalid{};  // the part of touser that is not a member (lower-cased)
    std::string msgtype{};
    std::string content{};  // text.content or markdown.content
    std::int64_t agentid{};
    std::string msgid{};  // what the fake answered
};

// A message the fake accepted for an app group chat (POST /cgi-bin/appchat/send).
struct RecordedAppchatMessage {
    nlohmann::json body{};
    std::string access_token{};
    std::string chatid{};
    std::string msgtype{};
    std::string content{};
};

// A group chat the fake created (POST /cgi-bin/appchat/create).
struct RecordedChat {
    nlohmann::json body{};
    std::string access_token{};
    std::string chatid{};  // as requested, or the one the fake chose ("CHAT-1", …)
    std::string name{};
    std::string owner{};
    std::vector<std::string> userlist{};
};

// A group robot message the fake accepted (POST /cgi-bin/webhook/send?key=…).
struct RecordedRobotMessage {
    nlohmann::json body{};
    std::string key{};
    std::string msgtype{};
    std::string content{};
    std::vector<std::string> mentioned_list{};
    std::vector<std::string> mentioned_mobile_list{};
};

// A 智能机器人 answer the fake accepted (POST /cgi-bin/aibot/response?response_code=…).
struct RecordedAibotResponse {
    nlohmann::json body{};
    std::string response_code{};
    std::string msgtype{};
    std::string content{};  // markdown.content
};

// Endpoints:
// - GET /cgi-bin/gettoken?corpid=…&corpsecret=…: each success issues a new token "TOKEN-1", "TOKEN-2", …
//   with expires_in; earlier tokens stay valid until expired. Errors: missing corpid 41002, missing secret
//   41004, wrong corpid 40013, wrong secret 40001, not GET 43001; then an injected token failure, if any.
// - POST /cgi-bin/message/send, /cgi-bin/appchat/create, /cgi-bin/appchat/send ?access_token=…: missing
//   token 41001, unknown 40014, expired 42001; then an injected send failure, if any; then validation:
//   unparsable body 47001, msgtype other than text/markdown 40008, empty content 44004, content over 2048
//   bytes 45002;
//   - message/send: agentid other than the app's 40056; touser split at '|', userids not in `members`
//     (nor "@all") are answered lower-cased in "invaliduser"; none valid 81013; msgid "MSG-1", "MSG-2", …
//   - appchat/create: userlist with a non-member 40003, fewer than 2 members 86216 (this fake's choice),
//     a chatid already taken 86215; answers the chatid (chosen as "CHAT-1", … when none is given);
//   - appchat/send: a chatid not created here 86003.
// - POST /cgi-bin/webhook/send?key=…: a key not in `robot_keys` 93000 "invalid webhook url"; then an
//   injected send failure; then validation as above, markdown up to 4096 bytes.
// - POST /cgi-bin/aibot/response?response_code=…: a code not issued by response_url() or already used
//   40014 "invalid response_code" (this fake's choice: the real errcode is undocumented); then an injected
//   send failure; then validation (msgtype markdown, else 40008; empty content 44004). Only a successful
//   answer uses the code up.
// - Any other path: 404.
// Thread-safe: every member may be called from any thread while the server runs on its own thread.
class FakeWeComApi {
public:
    explicit FakeWeComApi(FakeWeComApiOptions options = {});
    FakeWeComApi(const FakeWeComApi&) = delete;
    FakeWeComApi& operator=(const FakeWeComApi&) = delete;

    // "http://127.0.0.1:PORT", for WeComApiOptions::api_base and RobotWebhookOptions::api_base.
    std::string base_url() const;
    const FakeWeComApiOptions& options() const { return options_; }

    // A fresh response_url for `code` on this fake (as a 智能机器人 push would carry), usable once.
    std::string response_url(const std::string& code);
    // The full webhook URL of a robot key, as the WeCom client shows it.
    std::string webhook_url(const std::string& key) const;

    // The platform invalidates the most recently issued token: calls with it answer 42001 from now on.
    void expire_current_token();
    // The next `count` send requests (any send endpoint) that pass the token or key check answer `errcode`.
    void fail_next_sends(int errcode, int count);
    // The next `count` token requests with valid credentials answer `errcode` (e.g. -1, 45009).
    void fail_next_token_requests(int errcode, int count);
    // Every response is delayed by this much real time (default 0).
    void set_response_delay(std::chrono::milliseconds delay);
    // expires_in of tokens issued from now on.
    void set_expires_in(int seconds);

    // Token requests received (successful or not).
    std::size_t token_requests() const;
    // Requests received on any send endpoint, whatever the outcome.
    std::size_t send_requests() const;
    // The most recently issued token, "" before the first.
    std::string current_token() const;
    // Accepted messages and created chats, in order.
    std::vector<RecordedAppMessage> app_messages() const;
    std::vector<RecordedAppchatMessage> appchat_messages() const;
    std::vector<RecordedChat> created_chats() const;
    std::vector<RecordedRobotMessage> robot_messages() const;
    std::vector<RecordedAibotResponse> aibot_responses() const;
    // Every raw request received, in arrival order.
    std::vector<net::HttpRequest> requests() const;

private:
    struct Injected {
        int errcode = 0;
        int remaining = 0;
    };

    LoopbackResponse handle(const net::HttpRequest& request);
    nlohmann::json issue_token(std::string_view method, std::string_view query);
    nlohmann::json with_token(const std::string& path, std::string_view query, const std::string& body);
    nlohmann::json accept_message(nlohmann::json body, const std::string& token);
    nlohmann::json accept_appchat_create(nlohmann::json body, const std::string& token);
    nlohmann::json accept_appchat_send(nlohmann::json body, const std::string& token);
    nlohmann::json accept_webhook(std::string_view query, const std::string& body);
    nlohmann::json accept_aibot(std::string_view query, const std::string& body);

    const FakeWeComApiOptions options_;

    mutable std::mutex mutex_;
    int expires_in_;
    std::chrono::milliseconds delay_{0};
    std::uint64_t next_token_ = 1;
    std::map<std::string, bool> tokens_{};  // issued token -> expired
    std::string current_token_{};
    Injected send_failure_{};
    Injected token_failure_{};
    std::size_t token_requests_ = 0;
    std::size_t send_requests_ = 0;
    std::uint64_t next_msgid_ = 1;
    std::uint64_t next_chat_ = 1;
    std::map<std::string, bool> response_codes_{};  // issued code -> used
    std::vector<RecordedAppMessage> app_messages_{};
    std::vector<RecordedAppchatMessage> appchat_messages_{};
    std::vector<RecordedChat> chats_{};
    std::vector<RecordedRobotMessage> robot_messages_{};
    std::vector<RecordedAibotResponse> aibot_responses_{};

    // Last: it is created once the state above exists and stopped (joining its thread) before that state
    // is destroyed.
    LoopbackServer server_;
};

}  // namespace anju::testing
