// The WeChat Official Account channel end to end: the real Application on loopback, pushes signed
// and encrypted as WeChat does, passive replies decrypted and checked here, and a fake WeChat API
// (real HTTP on 127.0.0.1) that records customer-service sends and token requests.
#include "adapters/common/wx_crypt.hpp"
#include "adapters/common/xml.hpp"
#include "bot/runtime/message_json.hpp"
#include "store/inbound.hpp"
#include "tests/support/app_runner.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/fake_wechat_api.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace anju::testing {
namespace {

using namespace std::chrono_literals;
using adapters::wx_signature;
using adapters::WxCrypt;

constexpr std::string_view kToken = "pamtest";
constexpr std::string_view kAesKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
constexpr std::string_view kAppId = "wxb11529c136998cb6";
constexpr std::string_view kOriginalId = "gh_7f083739789a";

// Answers like the Acknowledger, after `delay` of real time, counting its calls. With `block`, it
// never answers (a turn still running at shutdown).
class TestResponder final : public runtime::Responder {
public:
    asio::awaitable<runtime::Response> respond(const InboundMessage& message) override {
        calls_.fetch_add(1);
        last_text_ = message.text;
        if (block_) {
            // Never finishes on its own; the timer dies with the application's io_context.
            blocked_.fetch_add(1);
            asio::steady_timer forever(co_await asio::this_coro::executor, 24h);
            co_await forever.async_wait(asio::use_awaitable);
        } else if (delay_.count() > 0) {
            asio::steady_timer timer(co_await asio::this_coro::executor, delay_);
            co_await timer.async_wait(asio::use_awaitable);
        }
        runtime::Response response;
        response.reply = runtime::acknowledgement(message);
        co_return response;
    }
    void set_delay(std::chrono::milliseconds d) { delay_ = d; }
    void set_block(bool b) { block_ = b; }
    int calls() const { return calls_.load(); }
    int blocked() const { return blocked_.load(); }
    std::string last_text() const { return last_text_; }

private:
    std::atomic<int> calls_{0};
    std::atomic<int> blocked_{0};
    std::chrono::milliseconds delay_{0};
    bool block_ = false;
    std::string last_text_;
};

struct Push {
    std::string url;
    std::string body;
};

std::string text_message(std::string_view from, std::string_view content, std::int64_t create_time,
                         std::string_view msg_id) {
    return "<xml><ToUserName><![CDATA[" + std::string(kOriginalId) +
           "]]></ToUserName><FromUserName><![CDATA[" + std::string(from) + "]]></FromUserName><CreateTime>" +
           std::to_string(create_time) +
           "</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[" + std::string(content) +
           "]]></Content><MsgId>" + std::string(msg_id) + "</MsgId></xml>";
}

class WeChatMpTest : public ::testing::Test {
protected:
    void SetUp() override {
        crypt_ = WxCrypt::create(kAesKey, std::string(kAppId)).value();
        responder_.set_delay(0ms);
    }

    config::WeChatMpConfig account(std::string id, config::WeChatMpConfig::Mode mode) {
        config::WeChatMpConfig a;
        a.id = std::move(id);
        a.app_id = fake_.options().app_id;
        a.app_secret = Secret(fake_.options().app_secret);
        a.token = Secret(std::string(kToken));
        a.encoding_aes_key = Secret(std::string(kAesKey));
        a.mode = mode;
        a.api_base = fake_.base_url();
        a.reply_deadline = 2s;
        return a;
    }

    config::Config make_config() {
        auto c = test_config(dir_.path());
        c.channels.wechat_mp.push_back(account("plain", config::WeChatMpConfig::Mode::plain));
        c.channels.wechat_mp.push_back(account("compat", config::WeChatMpConfig::Mode::compatible));
        c.channels.wechat_mp.push_back(account("safe", config::WeChatMpConfig::Mode::safe));
        return c;
    }

    void start(config::Config c) {
        runtime::ApplicationOptions options{.handle_signals = false, .responder = &responder_};
        runner_ = std::make_unique<AppRunner>(std::move(c), clock_, options);
    }
    void start() { start(make_config()); }

    std::int64_t now_s() const {
        return std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
    }

    // A push as WeChat sends it to account `id` in `mode`.
    Push push(std::string_view id, config::WeChatMpConfig::Mode mode, const std::string& xml,
              std::string nonce = "1372623149") {
        const auto ts = std::to_string(now_s());
        const auto signature = wx_signature({kToken, ts, nonce});
        std::string url = "/wechat/mp/" + std::string(id) + "?signature=" + signature + "&timestamp=" + ts +
                          "&nonce=" + nonce + "&openid=oResident";
        if (mode == config::WeChatMpConfig::Mode::plain) {
            return {url, xml};
        }
        const auto encrypt = crypt_.encrypt(xml);
        url += "&encrypt_type=aes&msg_signature=" + wx_signature({kToken, ts, nonce, encrypt});
        std::string body = "<xml><ToUserName><![CDATA[" + std::string(kOriginalId) +
                           "]]></ToUserName><Encrypt><![CDATA[" + encrypt + "]]></Encrypt></xml>";
        if (mode == config::WeChatMpConfig::Mode::compatible) {
            // Compatible mode carries the plaintext fields too; only the decrypted copy is trusted.
            body = xml.substr(0, xml.size() - 6) + "<Encrypt><![CDATA[" + encrypt + "]]></Encrypt></xml>";
        }
        return {url, body};
    }

    boost::system::result<net::HttpResponse> post(const Push& p) {
        net::HttpRequest request;
        request.method = "POST";
        request.url = p.url;
        request.body = p.body;
        request.headers = {{"Content-Type", "text/xml"}};
        return runner_->send(std::move(request));
    }

    // Checks an encrypted passive reply's msg_signature and returns the decrypted reply document.
    std::string open_encrypted_reply(const std::string& body) {
        auto envelope = adapters::parse_fields(body);
        EXPECT_TRUE(envelope);
        if (!envelope) {
            return {};
        }
        const auto encrypt = envelope->value_or("Encrypt", "");
        const auto timestamp = envelope->value_or("TimeStamp", "");
        const auto nonce = envelope->value_or("Nonce", "");
        EXPECT_EQ(envelope->value_or("MsgSignature", ""), wx_signature({kToken, timestamp, nonce, encrypt}));
        auto plain = crypt_.decrypt(encrypt);
        EXPECT_TRUE(plain);
        return plain ? *plain : std::string();
    }

    static std::string field(const std::string& document, std::string_view name) {
        auto fields = adapters::parse_fields(document);
        return fields ? std::string(fields->value_or(name, "")) : std::string();
    }

    std::size_t journal_rows() {
        SQLite::Database db((dir_.path() / "var" / "anju.db").string(), SQLite::OPEN_READONLY);
        return static_cast<std::size_t>(db.execAndGet("SELECT count(*) FROM inbound_messages").getInt64());
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

    TempDir dir_;
    FakeClock clock_;
    FakeWeChatApi fake_{FakeWeChatApiOptions{.app_id = std::string(kAppId)}};
    TestResponder responder_;
    WxCrypt crypt_ = WxCrypt::create(kAesKey, std::string(kAppId)).value();
    std::unique_ptr<AppRunner> runner_;
};

TEST_F(WeChatMpTest, UrlVerificationEchoesEchostrVerbatim) {
    start();
    const auto ts = std::to_string(now_s());
    const auto signature = wx_signature({kToken, ts, "486452656"});
    for (const char* id : {"plain", "compat", "safe"}) {
        auto r = runner_->send({.url = "/wechat/mp/" + std::string(id) + "?signature=" + signature +
                                       "&timestamp=" + ts + "&nonce=486452656&echostr=7250385741206377432"});
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 200) << id;
        EXPECT_EQ(r->body, "7250385741206377432") << id;
    }
}

TEST_F(WeChatMpTest, UrlVerificationRefusesBadSignaturesAndStaleTimestampsWithoutDetail) {
    start();
    const auto ts = std::to_string(now_s());
    auto r = runner_->send({.url = "/wechat/mp/safe?signature=0000&timestamp=" + ts + "&nonce=1&echostr=x"});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403);
    EXPECT_EQ(r->body, "");
    const auto old = std::to_string(now_s() - 3600);
    r = runner_->send({.url = "/wechat/mp/safe?signature=" + wx_signature({kToken, old, "1"}) +
                              "&timestamp=" + old + "&nonce=1&echostr=x"});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403);
    r = runner_->send({.url = "/wechat/mp/nobody?signature=x&timestamp=1&nonce=1&echostr=x"});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
}

TEST_F(WeChatMpTest, PlainModeAnswersWithAPassiveReply) {
    start();
    auto r = post(push("plain", config::WeChatMpConfig::Mode::plain,
                       text_message("oResident", "3号楼电梯坏了，有人被困", now_s(), "1001")));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(field(r->body, "ToUserName"), "oResident");
    EXPECT_EQ(field(r->body, "FromUserName"), kOriginalId);
    EXPECT_EQ(field(r->body, "MsgType"), "text");
    EXPECT_NE(field(r->body, "Content").find("3号楼电梯坏了，有人被困"), std::string::npos) << r->body;
    EXPECT_EQ(responder_.calls(), 1);
    EXPECT_EQ(journal_rows(), 1U);
}

TEST_F(WeChatMpTest, SafeModeDecryptsAndEncryptsTheReply) {
    start();
    auto r = post(push("safe", config::WeChatMpConfig::Mode::safe,
                       text_message("oResident", "楼上漏水到我家了 👍🏻", now_s(), "1002")));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body.find("楼上"), std::string::npos);  // nothing in the clear
    const auto reply = open_encrypted_reply(r->body);
    EXPECT_NE(field(reply, "Content").find("楼上漏水到我家了 👍🏻"), std::string::npos) << reply;
    EXPECT_EQ(field(reply, "ToUserName"), "oResident");
    EXPECT_EQ(responder_.last_text(), "楼上漏水到我家了 👍🏻");
}

TEST_F(WeChatMpTest, CompatibleModeTrustsOnlyTheEncryptedCopy) {
    start();
    auto p = push("compat", config::WeChatMpConfig::Mode::compatible,
                  text_message("oResident", "半夜装修吵死了", now_s(), "1003"));
    // Tamper with the plaintext copy: the decrypted one must win.
    const auto at = p.body.find("半夜装修吵死了");
    ASSERT_NE(at, std::string::npos);
    p.body.replace(at, std::string("半夜装修吵死了").size(), "tampered");
    auto r = post(p);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(responder_.last_text(), "半夜装修吵死了");
    const auto reply = open_encrypted_reply(r->body);
    EXPECT_NE(field(reply, "Content").find("半夜装修吵死了"), std::string::npos);
}

TEST_F(WeChatMpTest, RefusesForgedAndMalformedPushes) {
    start();
    const auto xml = text_message("oResident", "hi", now_s(), "1004");
    auto p = push("safe", config::WeChatMpConfig::Mode::safe, xml);
    auto tampered = p;
    tampered.url.replace(tampered.url.find("msg_signature=") + 14, 4, "0000");
    auto r = post(tampered);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403);
    EXPECT_EQ(r->body, "");

    // Encrypted for another AppID with the right key and a valid signature.
    auto other = WxCrypt::create(kAesKey, "wx0000000000000000").value();
    const auto ts = std::to_string(now_s());
    const auto encrypt = other.encrypt(xml);
    Push foreign{"/wechat/mp/safe?signature=" + wx_signature({kToken, ts, "7"}) + "&timestamp=" + ts +
                     "&nonce=7&encrypt_type=aes&msg_signature=" + wx_signature({kToken, ts, "7", encrypt}),
                 "<xml><Encrypt><![CDATA[" + encrypt + "]]></Encrypt></xml>"};
    r = post(foreign);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403);

    // Safe mode refuses a plaintext body even when its signature is right.
    r = post(push("safe", config::WeChatMpConfig::Mode::plain, xml));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);

    // A replayed push (an hour old) is refused.
    clock_.advance(1h);
    r = post(p);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403);
    clock_.advance(-1h);

    for (const std::string& body : {std::string("not xml"), std::string("{\"ToUserName\":\"x\"}"),
                                    std::string("<!DOCTYPE x [<!ENTITY a \"b\">]><xml>&a;</xml>"),
                                    std::string("<xml><FromUserName>x</FromUserName></xml>")}) {
        auto bad = push("plain", config::WeChatMpConfig::Mode::plain, body);
        r = post(bad);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 400) << body;
    }
    EXPECT_EQ(responder_.calls(), 0);
    EXPECT_EQ(journal_rows(), 0U);
}

TEST_F(WeChatMpTest, ASlowTurnAnswersSuccessAndSendsThroughTheCustomerServiceApi) {
    auto c = make_config();
    for (auto& a : c.channels.wechat_mp) {
        a.reply_deadline = 200ms;
    }
    start(std::move(c));
    // The turn takes far longer than the deadline, so a webhook that waited for it would show up
    // plainly even on a loaded machine (TSan, parallel ctest).
    responder_.set_delay(1500ms);
    const auto started = std::chrono::steady_clock::now();
    auto r = post(push("safe", config::WeChatMpConfig::Mode::safe,
                       text_message("oResident", "电梯又坏了！！", now_s(), "1005")));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "success");
    EXPECT_LT(std::chrono::steady_clock::now() - started, 1300ms);  // answered at the deadline
    ASSERT_TRUE(eventually([this] { return fake_.custom_messages().size() == 1; }));
    const auto sent = fake_.custom_messages().front();
    EXPECT_EQ(sent.touser, "oResident");
    EXPECT_EQ(sent.msgtype, "text");
    EXPECT_NE(sent.text.find("电梯又坏了！！"), std::string::npos);
}

TEST_F(WeChatMpTest, ARetryStormRunsOneTurn) {
    start();
    responder_.set_delay(300ms);
    const auto p = push("safe", config::WeChatMpConfig::Mode::safe,
                        text_message("oResident", "物业费怎么多收了", now_s(), "1006"));
    std::vector<std::future<boost::system::result<net::HttpResponse>>> attempts;
    for (int i = 0; i < 4; ++i) {
        attempts.push_back(std::async(std::launch::async, [this, p] { return post(p); }));
    }
    for (auto& a : attempts) {
        auto r = a.get();
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 200);
        EXPECT_NE(field(open_encrypted_reply(r->body), "Content").find("物业费怎么多收了"),
                  std::string::npos);
    }
    EXPECT_EQ(responder_.calls(), 1);
    EXPECT_EQ(journal_rows(), 1U);
    EXPECT_TRUE(fake_.custom_messages().empty());
    // A late re-delivery, after the turn is over, still runs nothing.
    auto late = post(p);
    ASSERT_TRUE(late);
    EXPECT_EQ(late->status, 200);
    EXPECT_EQ(responder_.calls(), 1);
}

TEST_F(WeChatMpTest, AnExpiredAccessTokenIsRefreshedOnceMidRun) {
    auto c = make_config();
    for (auto& a : c.channels.wechat_mp) {
        a.reply_deadline = 100ms;
    }
    c.channels.wechat_mp.resize(1);  // one account, so one token owner
    start(std::move(c));
    // Well past the deadline: an offer made while the webhook, woken by its deadline, has not yet
    // resumed still counts as passive (by design), which a loaded machine (TSan, -j) can make
    // happen with a small margin, and then no customer-service message is sent.
    responder_.set_delay(1200ms);
    auto r = post(push("plain", config::WeChatMpConfig::Mode::plain,
                       text_message("oResident", "first", now_s(), "2001")));
    ASSERT_TRUE(r);
    ASSERT_TRUE(eventually([this] { return fake_.custom_messages().size() == 1; }));
    const auto requests_before = fake_.token_requests();
    EXPECT_GE(requests_before, 1U);

    fake_.expire_current_token();
    r = post(push("plain", config::WeChatMpConfig::Mode::plain,
                  text_message("oResident", "second", now_s(), "2002")));
    ASSERT_TRUE(r);
    ASSERT_TRUE(eventually([this] { return fake_.custom_messages().size() == 2; }));
    EXPECT_EQ(fake_.token_requests(), requests_before + 1);
    EXPECT_NE(fake_.custom_messages().back().text.find("second"), std::string::npos);
}

TEST_F(WeChatMpTest, EventsAreAnsweredOrIgnoredAsTheyDeserve) {
    start();
    const auto subscribe =
        "<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[oNew]]></FromUserName>"
        "<CreateTime>" +
        std::to_string(now_s()) +
        "</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event></xml>";
    auto r = post(push("plain", config::WeChatMpConfig::Mode::plain, subscribe));
    ASSERT_TRUE(r);
    EXPECT_NE(field(r->body, "Content").find("欢迎"), std::string::npos) << r->body;

    const auto unsubscribe =
        "<xml><ToUserName>gh_x</ToUserName><FromUserName>oNew</FromUserName><CreateTime>" +
        std::to_string(now_s() + 1) + "</CreateTime><MsgType>event</MsgType><Event>unsubscribe</Event></xml>";
    r = post(push("plain", config::WeChatMpConfig::Mode::plain, unsubscribe));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "success");
    EXPECT_TRUE(fake_.custom_messages().empty());
    EXPECT_EQ(journal_rows(), 2U);  // both journaled
}

TEST_F(WeChatMpTest, RefusesHugeBodiesAndAnswersEmptyText) {
    start();
    auto huge = push("plain", config::WeChatMpConfig::Mode::plain,
                     text_message("oResident", std::string(2 * 1024 * 1024, 'x'), now_s(), "5001"));
    auto r = post(huge);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->status, 413);
    r = post(
        push("plain", config::WeChatMpConfig::Mode::plain, text_message("oResident", "", now_s(), "5002")));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_FALSE(field(r->body, "Content").empty()) << r->body;  // never an empty Content
    EXPECT_EQ(journal_rows(), 1U);
}

TEST_F(WeChatMpTest, NotificationsUseTheTemplateOnceTheWindowHasClosed) {
    auto c = make_config();
    c.admin.token = Secret("admin-token-0123456789");
    config::WeChatTemplateConfig progress;
    progress.template_id = "TPL-PROGRESS";
    progress.fields = {{"thing1", "{category}进展"}, {"character_string2", "{code}"}, {"thing3", "{text}"}};
    c.channels.wechat_mp[2].templates.emplace_back("progress", progress);
    start(std::move(c));
    const net::Headers auth = {{"Authorization", "Bearer admin-token-0123456789"}};
    const std::string body = R"({"openid": "oResident", "text": "维修师傅已到场", "template": "progress",
                                 "vars": {"category": "电梯", "code": "A7K3"}, "key": "A7K3-progress-1"})";

    auto r = runner_->send(
        {.method = "POST", .url = "/admin/wechat/mp/safe/notify", .headers = auth, .body = body});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_NE(r->body.find("customer_service"), std::string::npos);
    ASSERT_EQ(fake_.custom_messages().size(), 1U);
    EXPECT_EQ(fake_.custom_messages().front().text, "维修师傅已到场");

    fake_.fail_next_sends(45015, 1);  // the 48-hour window has closed
    r = runner_->send(
        {.method = "POST", .url = "/admin/wechat/mp/safe/notify", .headers = auth, .body = body});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_NE(r->body.find("\"via\":\"template\""), std::string::npos) << r->body;
    ASSERT_EQ(fake_.template_messages().size(), 1U);
    const auto sent = fake_.template_messages().front();
    EXPECT_EQ(sent.template_id, "TPL-PROGRESS");
    EXPECT_EQ(sent.touser, "oResident");
    EXPECT_EQ(sent.client_msg_id, "A7K3-progress-1");
    EXPECT_EQ(sent.fields.at("thing1"), "电梯进展");
    EXPECT_EQ(sent.fields.at("character_string2"), "A7K3");
    EXPECT_EQ(sent.fields.at("thing3"), "维修师傅已到场");

    r = runner_->send({.method = "POST", .url = "/admin/wechat/mp/safe/notify", .body = body});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
    r = runner_->send(
        {.method = "POST", .url = "/admin/wechat/mp/safe/notify", .headers = auth, .body = "{"});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    fake_.fail_next_sends(45015, 1);
    const std::string no_template = R"({"openid": "oResident", "text": "hi"})";
    r = runner_->send(
        {.method = "POST", .url = "/admin/wechat/mp/safe/notify", .headers = auth, .body = no_template});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 502);
}

TEST_F(WeChatMpTest, VoiceUsesWeChatsSpeechRecognition) {
    start();
    const auto voice =
        "<xml><ToUserName>gh_x</ToUserName><FromUserName>oResident</FromUserName><CreateTime>" +
        std::to_string(now_s()) +
        "</CreateTime><MsgType>voice</MsgType><MediaId>media1</MediaId><Format>amr</Format>"
        "<Recognition>楼道灯不亮</Recognition><MsgId>3001</MsgId></xml>";
    auto r = post(push("plain", config::WeChatMpConfig::Mode::plain, voice));
    ASSERT_TRUE(r);
    EXPECT_NE(field(r->body, "Content").find("楼道灯不亮"), std::string::npos) << r->body;
    EXPECT_EQ(responder_.last_text(), "楼道灯不亮");
}

TEST_F(WeChatMpTest, UnansweredMessagesAreAnsweredAfterARestart) {
    auto c = make_config();
    for (auto& a : c.channels.wechat_mp) {
        a.reply_deadline = 100ms;
    }
    responder_.set_block(true);
    start(c);
    auto r = post(push("plain", config::WeChatMpConfig::Mode::plain,
                       text_message("oResident", "还有人管吗", now_s(), "4001")));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "success");
    ASSERT_TRUE(eventually([this] { return responder_.blocked() == 1; }));
    runner_->stop();  // the turn never finished: the message stays pending in the journal
    runner_.reset();
    EXPECT_TRUE(fake_.custom_messages().empty());

    responder_.set_block(false);
    start(c);
    ASSERT_TRUE(eventually([this] { return fake_.custom_messages().size() == 1; }));
    EXPECT_NE(fake_.custom_messages().front().text.find("还有人管吗"), std::string::npos);
    EXPECT_EQ(journal_rows(), 1U);
    // The re-delivery WeChat may still send is joined, not run a third time.
    const int calls = responder_.calls();
    r = post(push("plain", config::WeChatMpConfig::Mode::plain,
                  text_message("oResident", "还有人管吗", now_s(), "4001")));
    ASSERT_TRUE(r);
    EXPECT_EQ(responder_.calls(), calls);
}

}  // namespace
}  // namespace anju::testing
