// A fake of api.weixin.qq.com on a LoopbackServer, for integration tests and demos: access tokens
// (classic and stable endpoints), customer-service and template message sends, with token expiry,
// failure injection, response delays and a record of every accepted message.
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
#include <vector>

namespace anju::testing {

struct FakeWeChatApiOptions {
    std::string app_id{"wx5d8a1f0c3b7e9a21"};
    std::string app_secret{"fake-app-secret-4f1c9e2b7a6d"};
    int expires_in{7200};  // seconds, reported with every token
};

// A customer-service message the fake accepted (POST /cgi-bin/message/custom/send).
struct RecordedCustomMessage {
    nlohmann::json body{};       // the parsed request body
    std::string access_token{};  // the token it was sent with
    std::string touser{};
    std::string msgtype{};
    std::string text{};      // text.content, for msgtype "text"
    std::string media_id{};  // image.media_id, for msgtype "image"
    std::uint64_t seq{};     // arrival order across both message kinds (1, 2, …)
};

// A template message the fake accepted (POST /cgi-bin/message/template/send).
struct RecordedTemplateMessage {
    nlohmann::json body{};
    std::string access_token{};
    std::string touser{};
    std::string template_id{};
    std::string url{};
    std::map<std::string, std::string> fields{};  // data.<name>.value
    std::string client_msg_id{};
    std::int64_t msgid{};  // what the fake answered
    std::uint64_t seq{};   // arrival order across both message kinds (1, 2, …)
};

// Which send endpoint a fault applies to.
enum class SendKind { any, custom, template_message };

// A send the fake held back on purpose (stall_next_sends).
struct StalledSend {
    SendKind kind{};  // custom or template_message
    std::string touser{};
    std::string text{};           // text.content of a custom message
    std::string client_msg_id{};  // of a template message
    bool delivered = false;       // recorded before the late answer, or dropped
};

// Endpoints:
// - GET /cgi-bin/token?grant_type=client_credential&appid=…&secret=… and POST /cgi-bin/stable_token with
//   {"grant_type","appid","secret","force_refresh"}: each successful request issues a new token
//   "TOKEN-1", "TOKEN-2", … with expires_in; earlier tokens stay valid until expired (the real
//   platform's 5-minute overlap). Errors: missing appid 41002, missing secret 41004, wrong appid 40013,
//   wrong secret 40001 on the classic endpoint and 40125 on the stable one, grant_type 40002, wrong
//   HTTP method 43001/43002, unparsable body 47001.
// - POST /cgi-bin/message/custom/send and /cgi-bin/message/template/send?access_token=…: missing token
//   41001, unknown 40014, expired 42001; then an injected failure, if any; then validation (47001
//   unparsable body, 40003 empty touser, 45002 text over 2048 bytes, 40037 empty template_id, 47003
//   data not an object); then the message is recorded and {"errcode":0,"errmsg":"ok"} (template: plus
//   msgid) returned. A template send repeating an earlier touser + client_msg_id answers ok with the
//   earlier msgid and is not recorded again (the platform's 防重入).
// Faults for outbox tests, each for the next `count` requests it applies to: HTTP 5xx answers (nothing
// recorded), stalls (answered only after a delay the client gives up on, with the message recorded
// first or dropped), stalled token requests (no token issued), and a closed 48-hour window per openid
// (customer-service sends answer 45015 until it is opened again).
// - Anything else: 404.
// Thread-safe: every member may be called from any thread while the server runs on its own thread.
class FakeWeChatApi {
public:
    explicit FakeWeChatApi(FakeWeChatApiOptions options = {});
    FakeWeChatApi(const FakeWeChatApi&) = delete;
    FakeWeChatApi& operator=(const FakeWeChatApi&) = delete;

    // "http://127.0.0.1:PORT", for MpApiOptions::api_base.
    std::string base_url() const;
    const FakeWeChatApiOptions& options() const { return options_; }

    // The platform invalidates the most recently issued token: sends with it answer 42001 from now on.
    void expire_current_token();
    // The next `count` sends that pass the token check answer `errcode` (e.g. 45015, -1, 40001).
    void fail_next_sends(int errcode, int count);
    // The next `count` token requests with valid credentials answer `errcode` (e.g. -1, 45009).
    void fail_next_token_requests(int errcode, int count);
    // Every response (token and send) is delayed by this much real time (default 0).
    void set_response_delay(std::chrono::milliseconds delay);
    // The next `count` sends (token checked first) answer HTTP `status` with an HTML body; nothing is
    // recorded.
    void fail_next_sends_with_status(int status, int count);
    // The next `count` sends of `kind` that pass the token check are answered only after `delay`. With
    // `deliver` the message is recorded first (it reached the platform; the answer is late), otherwise
    // it is dropped (it never got past the platform's front door).
    void stall_next_sends(SendKind kind, int count, std::chrono::milliseconds delay, bool deliver);
    // The next `count` token requests with valid credentials issue nothing and answer after `delay`.
    void stall_next_token_requests(int count, std::chrono::milliseconds delay);
    // Customer-service sends to `openid` answer 45015 (window closed) until open_window(openid).
    void close_window(const std::string& openid);
    void open_window(const std::string& openid);
    // expires_in of tokens issued from now on.
    void set_expires_in(int seconds);

    // Token requests received (successful or not), on either endpoint.
    std::size_t token_requests() const;
    // Send requests received on either send endpoint, whatever the outcome.
    std::size_t send_requests() const;
    // The most recently issued token, "" before the first.
    std::string current_token() const;
    // Accepted messages, in order.
    std::vector<RecordedCustomMessage> custom_messages() const;
    std::vector<RecordedTemplateMessage> template_messages() const;
    // Every raw request received, in arrival order.
    std::vector<net::HttpRequest> requests() const;
    // The sends held back by stall_next_sends, in arrival order.
    std::vector<StalledSend> stalled_sends() const;
    // text.content of every customer-service send refused with 45015 because of close_window.
    std::vector<std::string> window_refusals() const;

private:
    struct Injected {
        int errcode = 0;
        int remaining = 0;
    };
    struct Stall {
        SendKind kind = SendKind::any;
        int remaining = 0;
        std::chrono::milliseconds delay{0};
        bool deliver = false;
    };

    LoopbackResponse handle(const net::HttpRequest& request);
    nlohmann::json issue_token(std::string_view method, const std::string& path, std::string_view query,
                               const std::string& body, LoopbackResponse& response);
    nlohmann::json accept_send(const std::string& path, std::string_view query, const std::string& body,
                               LoopbackResponse& response);
    nlohmann::json accept_custom(nlohmann::json body, const std::string& token);
    nlohmann::json accept_template(nlohmann::json body, const std::string& token);

    const FakeWeChatApiOptions options_;

    mutable std::mutex mutex_;
    int expires_in_;
    std::chrono::milliseconds delay_{0};
    std::uint64_t next_token_ = 1;
    std::map<std::string, bool> tokens_{};  // issued token -> expired
    std::string current_token_{};
    Injected send_failure_{};
    Injected token_failure_{};
    Injected status_failure_{};  // errcode holds the HTTP status
    Stall send_stall_{};
    Injected token_stall_{};  // errcode unused
    std::chrono::milliseconds token_stall_delay_{0};
    std::set<std::string> closed_windows_{};
    std::vector<StalledSend> stalled_{};
    std::vector<std::string> window_refusals_{};
    std::uint64_t next_seq_ = 1;
    std::size_t token_requests_ = 0;
    std::size_t send_requests_ = 0;
    std::int64_t next_msgid_ = 1'000'001;
    std::map<std::string, std::int64_t> template_msgids_{};  // touser + '\n' + client_msg_id -> msgid
    std::vector<RecordedCustomMessage> custom_{};
    std::vector<RecordedTemplateMessage> templates_{};

    // Last: it is created once the state above exists and stopped (joining its thread) before that
    // state is destroyed.
    LoopbackServer server_;
};

}  // namespace anju::testing
