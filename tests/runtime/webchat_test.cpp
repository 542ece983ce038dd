// The web chat end to end: the real Application on loopback with the shipped dialogs and tickets, a
// real SQLite file, and a Beast WebSocket client playing a resident's browser page at /chat/ws. The
// same conversation is also held on a WeChat Official Account (plain mode) to check that the web
// resident is asked exactly what a WeChat resident is asked. Notices after a claim come through the
// outbox, wait while the page is closed, and arrive when it comes back.
#include "adapters/common/wx_crypt.hpp"
#include "adapters/common/xml.hpp"
#include "bot/runtime/webchat_channel.hpp"
#include "tests/support/app_runner.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/fake_wechat_api.hpp"
#include "tests/support/ws_page.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <deque>
#include <functional>
#include <regex>
#include <thread>

namespace anju::testing {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

constexpr std::string_view kToken = "pamtest";
constexpr std::string_view kAdminToken = "admin-token-for-tests-0123";
const std::string kSource = ANJU_SOURCE_DIR;

// A resident's chat page: a WebSocket client on its own io_context, driven from the test thread. A
// reader coroutine collects what the server sends; every wait has a cap, so a missing message fails
// the test instead of hanging it.
class ChatPage {
public:
    explicit ChatPage(std::uint16_t port) : page_(port, "/chat/ws") {}

    // Opens /chat/ws; returns the HTTP status of the upgrade's answer (101).
    int open(const std::string& origin = {}) { return page_.open(origin); }

    void send_raw(std::string text) { page_.send_raw(std::move(text)); }
    void send(const json& frame) { page_.send(frame); }

    // Says hello (with `visitor`, or none) and returns the visitor id the server answered with.
    std::string hello(const std::string& visitor = {}) {
        json h = {{"type", "hello"}};
        if (!visitor.empty()) {
            h["visitor"] = visitor;
        }
        send(h);
        const auto answer = next("hello");
        return answer.value("visitor", std::string());
    }

    // Sends a text with a fresh client id (or `id`) and returns the id.
    std::string say(const std::string& text, std::string id = {}) {
        if (id.empty()) {
            id = "c" + std::to_string(++sent_);
        }
        send(json{{"type", "text"}, {"id", id}, {"text", text}});
        return id;
    }

    // The oldest unclaimed frame of `type` ("" for any), leaving the others for later calls; a null
    // json if none came within `cap` (or the socket closed).
    json next(const std::string& type = {}, std::chrono::milliseconds cap = 10s) {
        return page_.next(type, cap);
    }

    // Says `text` and returns the text of the bot's next message.
    std::string ask(const std::string& text) {
        say(text);
        return next("text").value("text", std::string());
    }

    void close() { page_.close(); }

private:
    WsPage page_;
    int sent_ = 0;
};

config::StaffConfig staff(std::string userid, std::string name, std::vector<std::string> roles) {
    config::StaffConfig s;
    s.userid = std::move(userid);
    s.name = std::move(name);
    s.roles = std::move(roles);
    s.phone = "13800001234";
    s.on_duty = true;
    return s;
}

class WebChatTest : public ::testing::Test {
protected:
    config::Config make_config() {
        auto c = test_config(dir_.path());
        c.admin.token = Secret(std::string(kAdminToken));
        c.dialogs.settings.enabled = true;
        EXPECT_TRUE(config::load_dialogs(kSource + "/config/dialogs", c.dialogs));
        c.channels.webchat.enabled = true;
        c.channels.webchat.max_text = 200;
        // A WeChat account in plain mode, to hold the same conversation on both channels.
        config::WeChatMpConfig mp;
        mp.id = "mp";
        mp.app_id = wechat_.options().app_id;
        mp.app_secret = Secret(wechat_.options().app_secret);
        mp.token = Secret(std::string(kToken));
        mp.mode = config::WeChatMpConfig::Mode::plain;
        mp.api_base = wechat_.base_url();
        mp.reply_deadline = 3s;
        c.channels.wechat_mp.push_back(mp);
        c.tickets.enabled = true;
        config::CommunityConfig sunny;
        sunny.id = "sunny";
        sunny.name = "阳光花园";
        sunny.staff = {staff("zhanggong", "张工", {"engineering"}), staff("xukefu", "许客服", {"cs"}),
                       staff("zhaozhuguan", "赵主管", {"supervisor"})};
        c.tickets.communities = {sunny};
        return c;
    }

    void start() { runner_ = std::make_unique<AppRunner>(make_config(), clock_); }
    std::uint16_t port() const { return runner_->app().endpoint().port(); }

    std::unique_ptr<ChatPage> page() {
        auto p = std::make_unique<ChatPage>(port());
        EXPECT_EQ(p->open(), 101);
        return p;
    }

    // What a WeChat resident `openid` is answered (passive reply) when they say `text`.
    std::string wechat_says(const std::string& text, const std::string& openid = "oWeChatResident") {
        const auto ts = std::to_string(
            std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count());
        const auto nonce = "n" + std::to_string(++msg_id_);
        const auto xml = "<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[" + openid +
                         "]]></FromUserName><CreateTime>" + ts +
                         "</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[" + text +
                         "]]></Content><MsgId>" + std::to_string(msg_id_) + "</MsgId></xml>";
        net::HttpRequest request;
        request.method = "POST";
        request.url = "/wechat/mp/mp?signature=" + adapters::wx_signature({kToken, ts, nonce}) +
                      "&timestamp=" + ts + "&nonce=" + nonce + "&openid=" + openid;
        request.body = xml;
        auto r = runner_->send(std::move(request));
        EXPECT_TRUE(r && r->status == 200);
        if (!r) {
            return {};
        }
        auto fields = adapters::parse_fields(r->body);
        return fields ? std::string(fields->value_or("Content", "")) : std::string();
    }

    json api(std::string method, std::string path, std::string body = {}, int expect = 200) {
        net::HttpRequest request;
        request.method = std::move(method);
        request.url = std::move(path);
        request.body = std::move(body);
        request.headers = {{"Authorization", "Bearer " + std::string(kAdminToken)},
                           {"Content-Type", "application/json"}};
        auto r = runner_->send(std::move(request));
        EXPECT_TRUE(r);
        if (!r) {
            return {};
        }
        EXPECT_EQ(r->status, expect) << r->body;
        return json::parse(r->body, nullptr, false);
    }

    bool eventually(const std::function<bool()>& done, std::chrono::milliseconds cap = 10s) {
        const auto deadline = std::chrono::steady_clock::now() + cap;
        while (!done()) {
            if (std::chrono::steady_clock::now() > deadline) {
                return false;
            }
            std::this_thread::sleep_for(5ms);
        }
        return true;
    }

    static std::string code_in(const std::string& text) {
        static const std::regex pattern("工单号：([34679ACDEFHJKMNPRTUVWXY]{6})");
        std::smatch m;
        return std::regex_search(text, m, pattern) ? m[1].str() : std::string();
    }
    static bool has(const std::string& text, std::string_view part) {
        return text.find(part) != std::string::npos;
    }

    std::vector<std::string> on_both(ChatPage& page, const std::vector<std::string>& texts,
                                     const std::string& openid);

    // The trapped-elevator report on the page, as far as its ticket code.
    std::string report_trapped_elevator(ChatPage& p) {
        const auto reply = p.ask("3号楼电梯坏了，有人被困");  // an emergency is filed at once
        const auto code = code_in(reply);
        EXPECT_FALSE(code.empty()) << reply;
        return code;
    }

    TempDir dir_;
    FakeClock clock_;
    FakeWeChatApi wechat_;
    std::unique_ptr<AppRunner> runner_;
    int msg_id_ = 5000;
};

TEST(WebChatIds, VisitorAndMessageIdsAreCheckedAndFreshOnesAreValid) {
    EXPECT_TRUE(runtime::valid_visitor_id("abcdefghij_-0123"));
    EXPECT_FALSE(runtime::valid_visitor_id("short"));
    EXPECT_FALSE(runtime::valid_visitor_id("abcdefghij0123456/"));
    EXPECT_FALSE(runtime::valid_visitor_id(std::string(65, 'a')));
    EXPECT_TRUE(runtime::valid_client_message_id("m1"));
    EXPECT_FALSE(runtime::valid_client_message_id(""));
    EXPECT_FALSE(runtime::valid_client_message_id("中文"));
    const auto a = runtime::new_visitor_id();
    const auto b = runtime::new_visitor_id();
    EXPECT_EQ(a.size(), 24U);
    EXPECT_TRUE(runtime::valid_visitor_id(a)) << a;
    EXPECT_NE(a, b);
}

// Says each text on the page and, as another resident, on the WeChat account; the answers must be
// word for word the same but for the ticket code each got. The WeChat resident lives in building 5
// where the web one says building 3, or the second report would be merged into the first as a
// duplicate. Returns the page's answers.
std::vector<std::string> WebChatTest::on_both(ChatPage& page, const std::vector<std::string>& texts,
                                              const std::string& openid) {
    static const std::regex code("工单号：[A-Z0-9]{6}");
    static const std::regex building("5栋");
    std::vector<std::string> answers;
    for (const auto& text : texts) {
        const auto web = page.ask(text);
        const auto wechat = wechat_says(std::regex_replace(text, std::regex("3栋"), "5栋"), openid);
        EXPECT_FALSE(web.empty()) << text;
        EXPECT_EQ(std::regex_replace(web, code, "工单号：●"),
                  std::regex_replace(std::regex_replace(wechat, code, "工单号：●"), building, "3栋"))
            << "after: " << text;
        answers.push_back(web);
    }
    return answers;
}

TEST_F(WebChatTest, AResidentIsAnsweredWordForWordAsOnWeChatAndGetsTickets) {
    start();
    auto p = page();
    const auto visitor = p->hello();
    EXPECT_TRUE(runtime::valid_visitor_id(visitor)) << visitor;

    // Someone trapped: an emergency, filed at once with safety advice.
    auto answers = on_both(*p, {"3号楼电梯坏了，有人被困"}, "oTrapped");
    EXPECT_TRUE(has(answers[0], "紧急")) << answers[0];
    const auto urgent = code_in(answers[0]);
    ASSERT_FALSE(urgent.empty()) << answers[0];
    auto ticket = api("GET", "/api/v1/tickets/" + urgent);
    EXPECT_EQ(ticket["resident"], "webchat/web/" + visitor) << ticket.dump();
    EXPECT_EQ(ticket["urgency"], "emergency") << ticket.dump();

    // Nobody trapped: the clarifying questions, one by one, then the summary to confirm.
    auto other = page();
    other->hello();
    answers = on_both(*other, {"电梯坏了", "3栋2单元501", "2号梯", "没有", "停在5楼不动", "对"}, "oStuck");
    EXPECT_TRUE(has(answers[0], "房号")) << answers[0];
    EXPECT_TRUE(has(answers[1], "哪一部电梯")) << answers[1];
    EXPECT_TRUE(has(answers[2], "被困")) << answers[2];
    EXPECT_TRUE(has(answers[4], "您是说")) << answers[4];
    const auto code = code_in(answers[5]);
    ASSERT_FALSE(code.empty()) << answers[5];
    ticket = api("GET", "/api/v1/tickets/" + code);
    EXPECT_EQ(ticket["urgency"], "normal") << ticket.dump();
}

TEST_F(WebChatTest, AResentMessageIsAcknowledgedButNotAnsweredTwice) {
    start();
    auto p = page();
    p->hello();
    p->say("电梯坏了", "m-1");
    EXPECT_TRUE(has(p->next("text").value("text", ""), "房号"));
    EXPECT_EQ(p->next("ack").value("id", ""), "m-1");
    // As after a reconnect: the page did not see the ack and sends the same message again.
    p->say("电梯坏了", "m-1");
    EXPECT_EQ(p->next("ack").value("id", ""), "m-1");
    // Had the resend run a second turn, its answer would come first.
    const auto next = p->ask("3栋2单元501");
    EXPECT_TRUE(has(next, "哪一部电梯")) << next;
}

TEST_F(WebChatTest, BadFramesGetAPoliteErrorAndTheSocketStaysUsable) {
    start();
    auto p = page();
    p->say("你好", "early");  // before hello
    EXPECT_TRUE(has(p->next("error").value("message", ""), "连接尚未就绪"));
    p->hello();
    p->send_raw("{not json");
    EXPECT_TRUE(has(p->next("error").value("message", ""), "格式不正确"));
    p->send(json{{"type", "image"}, {"id", "x1"}});
    EXPECT_TRUE(has(p->next("error").value("message", ""), "不支持"));
    p->send(json{{"type", "text"}, {"id", "x2"}, {"text", "  \u3000 "}});
    auto error = p->next("error");
    EXPECT_TRUE(has(error.value("message", ""), "不能为空"));
    EXPECT_EQ(error.value("id", ""), "x2");
    p->send(json{{"type", "text"}, {"id", "x3"}, {"text", std::string(201, 'a')}});
    error = p->next("error");
    EXPECT_TRUE(has(error.value("message", ""), "最多 200 字")) << error.dump();
    std::string long_chinese;
    for (int i = 0; i < 200; ++i) {
        long_chinese += "修";  // 200 characters, 600 bytes: within the limit
    }
    p->say(long_chinese);
    EXPECT_FALSE(p->next("text").is_null());
    EXPECT_FALSE(has(p->ask("电梯坏了"), "格式"));
}

TEST_F(WebChatTest, TheClaimNoticeReachesTheOpenPageThroughTheOutbox) {
    start();
    auto p = page();
    p->hello();
    const auto code = report_trapped_elevator(*p);
    ASSERT_FALSE(code.empty());
    api("POST", "/api/v1/tickets/" + code + "/actions", R"({"action": "claim", "actor": "zhanggong"})");
    std::string notice;
    ASSERT_TRUE(eventually([&] {
        const auto frame = p->next("text", 200ms);
        notice = frame.value("text", "");
        return has(notice, "张工");
    })) << notice;
    EXPECT_TRUE(has(notice, code)) << notice;
}

TEST_F(WebChatTest, ANoticeWaitsWhileThePageIsClosedAndArrivesOnReturn) {
    start();
    std::string visitor;
    std::string code;
    {
        auto p = page();
        visitor = p->hello();
        code = report_trapped_elevator(*p);
        p->close();
    }
    ASSERT_FALSE(code.empty());
    api("POST", "/api/v1/tickets/" + code + "/actions", R"({"action": "claim", "actor": "zhanggong"})");
    // The dispatcher tries, finds no page open, and keeps the message for later.
    ASSERT_TRUE(eventually([&] {
        const auto pending = api("GET", "/api/v1/outbox?state=pending");
        for (const auto& m : pending["messages"]) {
            if (m.value("channel", "") == "webchat" && m.value("attempts", 0) >= 1) {
                return true;
            }
        }
        return false;
    })) << api("GET", "/api/v1/outbox").dump();

    auto back = page();
    EXPECT_EQ(back->hello(visitor), visitor);
    const auto notice = back->next("text").value("text", "");
    EXPECT_TRUE(has(notice, "张工")) << notice;
    EXPECT_TRUE(eventually([&] { return api("GET", "/api/v1/outbox?state=pending")["messages"].empty(); }));
}

TEST_F(WebChatTest, EveryTabOfAVisitorGetsTheAnswers) {
    start();
    auto first = page();
    const auto visitor = first->hello();
    auto second = page();
    EXPECT_EQ(second->hello(visitor), visitor);
    auto stranger = page();
    stranger->hello();
    const auto answer = first->ask("电梯坏了");
    EXPECT_TRUE(has(answer, "房号")) << answer;
    EXPECT_EQ(second->next("text").value("text", ""), answer);
    EXPECT_TRUE(stranger->next("text", 300ms).is_null());  // nobody else hears it
}

TEST_F(WebChatTest, ThePageIsServedAndOtherSitesCannotConnect) {
    start();
    auto r = runner_->send(net::HttpRequest{.url = "/chat"});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    const auto type = std::string(r->header("Content-Type").value_or(""));
    EXPECT_TRUE(has(type, "text/html")) << type;
    EXPECT_TRUE(has(r->body, "/chat/ws") || has(r->body, "chat.js")) << r->body.substr(0, 200);
    ChatPage evil(port());
    EXPECT_EQ(evil.open("https://evil.example"), 403);
    ChatPage same(port());
    EXPECT_EQ(same.open("http://127.0.0.1:" + std::to_string(port())), 101);
}

}  // namespace
}  // namespace anju::testing
