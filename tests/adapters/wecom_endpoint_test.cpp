// The WeCom push endpoints: the self-built app callback (URL verification, msg_signature, replay window,
// decryption, CorpID binding, XML parsing, de-duplication keys, the encrypted passive reply) and the
// 智能机器人 JSON callback (PROTOCOLS.md §2, §4.1–4.3, §4.8), with the official WeCom vectors of §2.8.
#include "adapters/common/wx_crypt.hpp"
#include "adapters/common/xml.hpp"
#include "adapters/wecom/endpoint.hpp"
#include "bot/net/url.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace anju::adapters::wecom {
namespace {

using namespace std::literals;
using Json = nlohmann::json;

// PROTOCOLS §2.8 V3: the official WeCom Python sample (callback/Sample.py).
constexpr std::string_view kV3Token = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo";
constexpr std::string_view kV3AesKey = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt";
constexpr std::string_view kV3CorpId = "ww1436e0e65a779aee";
constexpr std::string_view kV3GetSignature = "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb";
constexpr std::string_view kV3GetTimestamp = "1476416373";
constexpr std::string_view kV3GetNonce = "47744683";
constexpr std::string_view kV3Echostr =
    "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA==";
// V4: the POST of the same sample.
constexpr std::string_view kV4Signature = "0c3914025cb4b4d68103f6bfc8db550f79dcf48e";
constexpr std::string_view kV4Timestamp = "1476422779";
constexpr std::string_view kV4Nonce = "1597212914";
constexpr std::string_view kV4Body =
    "<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName>\n<Encrypt><![CDATA[Kl7kjoSf6DMD1zh7rtrH"
    "jFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGzBhzTtRLNshw2AEew+kkYcD+Fq72K"
    "t00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+3JWcoD4Z5jaU0y9GSh010wsHF8KZD24YhmZH4c"
    "h4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qARR4iQHE7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJO"
    "pcwocugux082f49HKYg84EpHSGXAyh+/oxwaWbvL6aSDPOYuPDGOCI8jmnKiypE+]]></Encrypt>\n<AgentID><![CDATA[100"
    "0002]]></AgentID>\n</xml>";

// V5: the official WeCom C++ sample (Sample.cpp); the echostr as it travels in the URL.
constexpr std::string_view kV5Token = "QDG6eK";
constexpr std::string_view kV5AesKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
constexpr std::string_view kV5CorpId = "wx5823bf96d3bd56c7";
constexpr std::string_view kV5GetQuery =
    "msg_signature=5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3&timestamp=1409659589&nonce=263014780&echostr="
    "P9nAzCzyDtyTWESHep1vC5X9xho%2FqYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp%2B4RPcs8TgAE7OaBO%2BFZXvnaqQ%3D%3D";
constexpr std::string_view kV5PostSignature = "477715d11cdb4164915debcba66cb864d751f3e6";
constexpr std::string_view kV5PostTimestamp = "1409659813";
constexpr std::string_view kV5PostNonce = "1372623149";
constexpr std::string_view kV5Encrypt =
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg"
    "3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+k"
    "DZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6ti"
    "WSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p"
    "8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==";

// V6: wechatpy's WeCom tests.
constexpr std::string_view kV6Token = "123456";
constexpr std::string_view kV6AesKey = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";
constexpr std::string_view kV6CorpId = "wx49f0ab532d5d035a";
constexpr std::string_view kV6EchoSignature = "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96";
constexpr std::string_view kV6EchoTimestamp = "1411443780";
constexpr std::string_view kV6EchoNonce = "437374425";
constexpr std::string_view kV6Echostr =
    "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q==";
constexpr std::string_view kV6Signature = "74d92dfeb87ba7c714f89d98870ae5eb62dff26d";
constexpr std::string_view kV6Timestamp = "1411525903";
constexpr std::string_view kV6Nonce = "461056294";
constexpr std::string_view kV6Encrypt =
    "RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv"
    "283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvk"
    "KR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdg"
    "pkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnT"
    "bcX2e8K9QaNWHp91eBdCRxthuL0=";

constexpr std::string_view kAccount = "staff";
constexpr std::string_view kBotAccount = "staff-bot";
constexpr std::string_view kMember = "ZhangSan";
constexpr std::string_view kOtherMember = "LiSi";
constexpr std::int64_t kCreateTime = 1'476'422'779;  // = kV4Timestamp
constexpr std::int64_t kAgentId = 1000002;
const std::string kUs = "\x1f";  // the dedupe-key part separator (U+001F)

Clock::time_point at(std::int64_t seconds) { return Clock::time_point{std::chrono::seconds{seconds}}; }
Clock::time_point at(std::string_view seconds) { return at(std::stoll(std::string(seconds))); }

const Clock::time_point kNow = at(kCreateTime);

AppEndpoint make_app(std::string_view token = kV3Token, std::string_view key = kV3AesKey,
                     std::string_view corp_id = kV3CorpId) {
    AppEndpointOptions options;
    options.account = std::string(kAccount);
    options.corp_id = std::string(corp_id);
    options.agent_id = kAgentId;
    options.token = Secret(std::string(token));
    options.encoding_aes_key = Secret(std::string(key));
    auto created = AppEndpoint::create(std::move(options));
    EXPECT_TRUE(created) << created.error().message();
    return std::move(created.value());
}

AibotEndpoint make_bot() {
    AibotEndpointOptions options;
    options.account = std::string(kBotAccount);
    options.token = Secret(std::string(kV3Token));
    options.encoding_aes_key = Secret(std::string(kV3AesKey));
    auto created = AibotEndpoint::create(std::move(options));
    EXPECT_TRUE(created) << created.error().message();
    return std::move(created.value());
}

WxCrypt crypt_for(std::string receive_id = std::string(kV3CorpId), std::string_view key = kV3AesKey) {
    return WxCrypt::create(key, std::move(receive_id)).value();
}

// A query string as WeCom sends it (values percent-encoded), parsed the way the server parses it.
net::QueryParams query_of(const std::vector<std::pair<std::string, std::string>>& pairs) {
    std::string raw;
    for (const auto& [name, value] : pairs) {
        if (!raw.empty()) {
            raw += '&';
        }
        raw += name + "=" + net::percent_encode(value);
    }
    return net::parse_query(raw);
}

// The query of a push (or, with `echostr`, a URL verification) signed over `encrypt`.
net::QueryParams signed_query(std::string_view encrypt, std::string_view timestamp = kV4Timestamp,
                              std::string_view nonce = kV4Nonce, std::string_view token = kV3Token) {
    return query_of({{"msg_signature", wx_signature({token, timestamp, nonce, encrypt})},
                     {"timestamp", std::string(timestamp)},
                     {"nonce", std::string(nonce)}});
}

net::QueryParams echo_query(std::string_view echostr, std::string_view timestamp = kV4Timestamp,
                            std::string_view nonce = kV4Nonce, std::string_view token = kV3Token) {
    auto query = signed_query(echostr, timestamp, nonce, token);
    query.emplace_back("echostr", std::string(echostr));
    return query;
}

net::QueryParams without(net::QueryParams query, std::string_view name) {
    std::erase_if(query, [&](const auto& p) { return p.first == name; });
    return query;
}

net::QueryParams with(net::QueryParams query, std::string_view name, std::string_view value) {
    query = without(std::move(query), name);
    query.emplace_back(std::string(name), std::string(value));
    return query;
}

// <name><![CDATA[value]]></name>, with "]]>" split the way WeCom's own serializer must.
std::string cdata_field(std::string_view name, std::string_view value) {
    return "<" + std::string(name) + ">" + cdata(value) + "</" + std::string(name) + ">";
}

std::string number_field(std::string_view name, std::int64_t value) {
    return "<" + std::string(name) + ">" + std::to_string(value) + "</" + std::string(name) + ">";
}

// A decrypted app message document with the common header, `rest` and the AgentID.
std::string document(std::string_view msg_type, std::string_view rest, std::string_view from = kMember,
                     std::int64_t create_time = kCreateTime) {
    return "<xml>" + cdata_field("ToUserName", kV3CorpId) + cdata_field("FromUserName", from) +
           number_field("CreateTime", create_time) + cdata_field("MsgType", msg_type) + std::string(rest) +
           number_field("AgentID", kAgentId) + "</xml>";
}

std::string text_document(std::string_view content, std::int64_t msg_id = 1234567890123456,
                          std::string_view from = kMember, std::int64_t create_time = kCreateTime) {
    return document("text", cdata_field("Content", content) + number_field("MsgId", msg_id), from,
                    create_time);
}

std::string event_document(std::string_view event, std::string_view key = {}, std::string_view from = kMember,
                           std::int64_t create_time = kCreateTime) {
    return document("event", cdata_field("Event", event) + cdata_field("EventKey", key), from, create_time);
}

// The POST body of an app callback: ToUserName, Encrypt, AgentID.
std::string app_body(std::string_view encrypt) {
    return "<xml>" + cdata_field("ToUserName", kV3CorpId) + cdata_field("Encrypt", encrypt) +
           cdata_field("AgentID", std::to_string(kAgentId)) + "</xml>";
}

InboundMessage parsed(std::string_view doc, Clock::time_point received_at = kNow) {
    auto m = parse_app_message(doc, kAccount, received_at);
    EXPECT_TRUE(m) << m.error().message();
    return m ? *m : InboundMessage{};
}

// A readable form of a message, so that a failed comparison shows which field differs.
std::string describe(const InboundMessage& m) {
    std::string out = "channel=" + m.channel + "\naccount=" + m.account + "\nsender=" + m.sender +
                      "\nrecipient=" + m.recipient + "\nkind=" + std::string(to_string(m.kind)) +
                      "\ntext=" + m.text + "\nevent_key=" + m.event_key + "\nchat=" + m.chat +
                      "\nreply_url=" + m.reply_url + "\nplatform_msg_id=" + m.platform_msg_id +
                      "\nplatform_time=" + std::to_string(m.platform_time) + "\n";
    for (const auto& a : m.attachments) {
        out += "attachment=" + a.kind + "|" + a.media_id + "|" + a.url + "|" + a.format + "\n";
    }
    if (m.location) {
        out += "location=" + std::to_string(m.location->latitude) + "," +
               std::to_string(m.location->longitude) + "," + std::to_string(m.location->scale) + "," +
               m.location->label + "\n";
    }
    return out;
}

// ---------------------------------------------------------------------------------------------------------
// create

TEST(WeComEndpointCreateTest, RefusesAnIllegalAesKey) {
    for (const std::string_view key : {""sv, "short"sv, "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhU!"sv,
                                       "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUtX"sv}) {
        AppEndpointOptions app;
        app.corp_id = std::string(kV3CorpId);
        app.encoding_aes_key = Secret(std::string(key));
        const auto created_app = AppEndpoint::create(std::move(app));
        ASSERT_FALSE(created_app) << "key '" << key << "'";
        EXPECT_EQ(created_app.error(), make_error_code(crypto_errc::illegal_aes_key));

        AibotEndpointOptions bot;
        bot.encoding_aes_key = Secret(std::string(key));
        const auto created_bot = AibotEndpoint::create(std::move(bot));
        ASSERT_FALSE(created_bot) << "key '" << key << "'";
        EXPECT_EQ(created_bot.error(), make_error_code(crypto_errc::illegal_aes_key));
    }
}

TEST(WeComEndpointCreateTest, ErrorCodesHaveTheirOwnCategoryAndMessages) {
    EXPECT_STREQ(make_error_code(push_errc::bad_signature).category().name(), "anju.wecom.push");
    for (int value = static_cast<int>(push_errc::bad_signature);
         value <= static_cast<int>(push_errc::corp_id_mismatch); ++value) {
        const auto message = make_error_code(static_cast<push_errc>(value)).message();
        EXPECT_NE(message, "unknown WeCom push error") << value;
        EXPECT_FALSE(message.empty());
    }
    const boost::system::error_code code = push_errc::corp_id_mismatch;
    EXPECT_EQ(code, make_error_code(push_errc::corp_id_mismatch));
}

// ---------------------------------------------------------------------------------------------------------
// AppEndpoint::verify_url

TEST(WeComAppVerifyTest, DecryptsTheOfficialPythonSampleEchostr) {
    const auto endpoint = make_app();
    const auto query = query_of({{"msg_signature", std::string(kV3GetSignature)},
                                 {"timestamp", std::string(kV3GetTimestamp)},
                                 {"nonce", std::string(kV3GetNonce)},
                                 {"echostr", std::string(kV3Echostr)}});
    const auto echo = endpoint.verify_url(query, at(kV3GetTimestamp));
    ASSERT_TRUE(echo) << echo.error().message();
    EXPECT_EQ(*echo, "1288432023552776189");
}

TEST(WeComAppVerifyTest, DecryptsTheOfficialCppSampleEchostrFromItsWireForm) {
    // The echostr arrives percent-encoded ("%2F", "%2B", "%3D"); the server's query parser decodes it and
    // keeps any raw '+'.
    const auto endpoint = make_app(kV5Token, kV5AesKey, kV5CorpId);
    const auto echo = endpoint.verify_url(net::parse_query(kV5GetQuery), at(1'409'659'589));
    ASSERT_TRUE(echo) << echo.error().message();
    EXPECT_EQ(*echo, "1616140317555161061");
}

TEST(WeComAppVerifyTest, DecryptsTheWechatpyEchostrAndRefusesAnotherNonce) {
    const auto endpoint = make_app(kV6Token, kV6AesKey, kV6CorpId);
    const auto query = query_of({{"msg_signature", std::string(kV6EchoSignature)},
                                 {"timestamp", std::string(kV6EchoTimestamp)},
                                 {"nonce", std::string(kV6EchoNonce)},
                                 {"echostr", std::string(kV6Echostr)}});
    const auto echo = endpoint.verify_url(query, at(kV6EchoTimestamp));
    ASSERT_TRUE(echo) << echo.error().message();
    EXPECT_EQ(*echo, "5927782489442352469");

    const auto wrong_nonce = endpoint.verify_url(with(query, "nonce", "437374424"), at(kV6EchoTimestamp));
    ASSERT_FALSE(wrong_nonce);
    EXPECT_EQ(wrong_nonce.error(), make_error_code(push_errc::bad_signature));
}

TEST(WeComAppVerifyTest, RefusesBadRequests) {
    const auto endpoint = make_app();
    const auto now = at(kV3GetTimestamp);
    const auto good = echo_query(kV3Echostr, kV3GetTimestamp, kV3GetNonce);
    ASSERT_TRUE(endpoint.verify_url(good, now));
    const auto other_corp = make_app(kV3Token, kV3AesKey, "ww0000000000000000");
    std::string tampered(kV3Echostr);
    tampered[5] = tampered[5] == 'A' ? 'B' : 'A';

    struct Case {
        const char* name;
        net::QueryParams query;
        Clock::time_point now;
        push_errc expected;
    };
    const std::vector<Case> cases = {
        {"missing msg_signature", without(good, "msg_signature"), now, push_errc::bad_signature},
        {"wrong msg_signature", with(good, "msg_signature", wx_signature({"x"})), now,
         push_errc::bad_signature},
        {"tampered echostr", with(good, "echostr", tampered), now, push_errc::bad_signature},
        {"signed with another token", echo_query(kV3Echostr, kV3GetTimestamp, kV3GetNonce, "other-token"),
         now, push_errc::bad_signature},
        {"missing echostr", without(good, "echostr"), now, push_errc::not_encrypted},
        {"301 s late", good, now + 301s, push_errc::stale_timestamp},
        {"301 s early", good, now - 301s, push_errc::stale_timestamp},
        {"timestamp not a number", echo_query(kV3Echostr, "14764x6373", kV3GetNonce), now,
         push_errc::stale_timestamp},
        {"timestamp huge", echo_query(kV3Echostr, "9223372036854775807", kV3GetNonce), now,
         push_errc::stale_timestamp},
        {"re-signed garbage", echo_query("bm90IGNpcGhlcnRleHQ=", kV3GetTimestamp, kV3GetNonce), now,
         push_errc::decrypt_failed},
    };
    for (const auto& c : cases) {
        const auto echo = endpoint.verify_url(c.query, c.now);
        ASSERT_FALSE(echo) << c.name;
        EXPECT_EQ(echo.error(), make_error_code(c.expected)) << c.name << ": " << echo.error().message();
    }
    const auto mismatch = other_corp.verify_url(good, now);
    ASSERT_FALSE(mismatch);
    EXPECT_EQ(mismatch.error(), make_error_code(push_errc::corp_id_mismatch));
}

TEST(WeComAppVerifyTest, AcceptsTimestampsAtTheEdgeOfTheWindow) {
    const auto endpoint = make_app();
    const auto good = echo_query(kV3Echostr, kV3GetTimestamp, kV3GetNonce);
    EXPECT_TRUE(endpoint.verify_url(good, at(kV3GetTimestamp) + 300s));
    EXPECT_TRUE(endpoint.verify_url(good, at(kV3GetTimestamp) - 300s));
}

// ---------------------------------------------------------------------------------------------------------
// AppEndpoint::open

TEST(WeComAppOpenTest, OpensTheOfficialPythonSamplePush) {
    const auto endpoint = make_app();
    const auto query = query_of({{"msg_signature", std::string(kV4Signature)},
                                 {"timestamp", std::string(kV4Timestamp)},
                                 {"nonce", std::string(kV4Nonce)}});
    const auto m = endpoint.open(query, kV4Body, kNow);
    ASSERT_TRUE(m) << m.error().message();
    EXPECT_EQ(m->channel, "wecom");
    EXPECT_EQ(m->account, kAccount);
    EXPECT_EQ(m->sender, "ChenJiaShun");
    EXPECT_EQ(m->recipient, kV3CorpId);
    EXPECT_EQ(m->kind, MessageKind::text);
    EXPECT_EQ(m->text, "你好");
    EXPECT_EQ(m->platform_msg_id, "1456453720");
    EXPECT_EQ(m->platform_time, 1'476'422'779);
    EXPECT_EQ(m->received_at, kNow);
    EXPECT_TRUE(m->chat.empty());
    EXPECT_TRUE(m->reply_url.empty());
    EXPECT_EQ(m->dedupe_key, "wecom" + kUs + "staff" + kUs + "m" + kUs + "1456453720" + kUs + "ChenJiaShun" +
                                 kUs + "1476422779");
}

TEST(WeComAppOpenTest, OpensTheOfficialCppSamplePush) {
    const auto endpoint = make_app(kV5Token, kV5AesKey, kV5CorpId);
    const auto query = query_of({{"msg_signature", std::string(kV5PostSignature)},
                                 {"timestamp", std::string(kV5PostTimestamp)},
                                 {"nonce", std::string(kV5PostNonce)}});
    const auto body = "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n<Encrypt><![CDATA["s +
                      std::string(kV5Encrypt) + "]]></Encrypt>\n<AgentID><![CDATA[218]]></AgentID>\n</xml>";
    const auto m = endpoint.open(query, body, at(kV5PostTimestamp));
    ASSERT_TRUE(m) << m.error().message();
    EXPECT_EQ(m->sender, "mycreate");
    EXPECT_EQ(m->recipient, kV5CorpId);
    EXPECT_EQ(m->text, "hello");
    EXPECT_EQ(m->platform_msg_id, "4561255354251345929");
}

TEST(WeComAppOpenTest, OpensTheWechatpyPush) {
    const auto endpoint = make_app(kV6Token, kV6AesKey, kV6CorpId);
    const auto query = query_of({{"msg_signature", std::string(kV6Signature)},
                                 {"timestamp", std::string(kV6Timestamp)},
                                 {"nonce", std::string(kV6Nonce)}});
    const auto body = "<xml><ToUserName><![CDATA[wx49f0ab532d5d035a]]></ToUserName><Encrypt><![CDATA["s +
                      std::string(kV6Encrypt) + "]]></Encrypt><AgentID><![CDATA[1]]></AgentID></xml>";
    const auto m = endpoint.open(query, body, at(kV6Timestamp));
    ASSERT_TRUE(m) << m.error().message();
    EXPECT_EQ(m->sender, "messense");
    EXPECT_EQ(m->text, "test");
    EXPECT_EQ(m->platform_msg_id, "4363689963896700987");

    // The same push for an app configured with another CorpID is not ours.
    const auto other = make_app(kV6Token, kV6AesKey, "wx0000000000000000");
    const auto mismatch = other.open(query, body, at(kV6Timestamp));
    ASSERT_FALSE(mismatch);
    EXPECT_EQ(mismatch.error(), make_error_code(push_errc::corp_id_mismatch));
}

TEST(WeComAppOpenTest, RoundTripsChineseTextAndEmoji) {
    const auto endpoint = make_app();
    for (const std::string_view text :
         {"3栋2单元电梯困人！！😱 快来"sv, "多行\n文本\t制表 ]]> <x>&amp;"sv,
          "𠀀𪚥 (astral CJK) 👨‍👩‍👧 (ZWJ)"sv, "ｆｕｌｌｗｉｄｔｈ　全角空格"sv}) {
        const auto doc = text_document(text);
        const auto encrypt = crypt_for().encrypt(doc);
        const auto m = endpoint.open(signed_query(encrypt), app_body(encrypt), kNow);
        ASSERT_TRUE(m) << text << ": " << m.error().message();
        EXPECT_EQ(m->text, text);
        EXPECT_EQ(describe(*m), describe(parsed(doc)));
        EXPECT_EQ(*m, parsed(doc));
    }
}

TEST(WeComAppOpenTest, AcceptsPlaintextWithoutCdata) {
    // The official sample plaintext has bare text nodes (PROTOCOLS §2.8 V4).
    const auto endpoint = make_app();
    const auto doc =
        "<xml><ToUserName>ww1436e0e65a779aee</ToUserName><FromUserName>ZhangSan</FromUserName><CreateTime>"
        "1476422779</CreateTime><MsgType>text</MsgType><Content>报修 &amp; 投诉</Content><MsgId>42</MsgId>"
        "<AgentID>1000002</AgentID></xml>"s;
    const auto encrypt = crypt_for().encrypt(doc);
    const auto m = endpoint.open(signed_query(encrypt), app_body(encrypt), kNow);
    ASSERT_TRUE(m) << m.error().message();
    EXPECT_EQ(m->text, "报修 & 投诉");
    EXPECT_EQ(m->platform_msg_id, "42");
}

TEST(WeComAppOpenTest, RefusesWhatIsNotAProperPush) {
    const auto endpoint = make_app();
    const auto crypt = crypt_for();
    const auto encrypt = crypt.encrypt(text_document("hi"), "aaaabbbbccccdddd");
    std::string flipped = encrypt;
    const auto last = flipped.find_last_not_of('=') - 3;
    flipped[last] = flipped[last] == 'A' ? 'B' : 'A';
    const auto other_corp = crypt_for("ww0000000000000000").encrypt(text_document("hi"));
    const auto other_key =
        crypt_for(std::string(kV3CorpId), kV5AesKey).encrypt(text_document("hi"), "aaaabbbbccccdddd");
    const auto doctype_inside = crypt.encrypt("<!DOCTYPE xml [<!ENTITY x \"y\">]>" + text_document("&x;"));
    const auto not_a_message = crypt.encrypt("<xml><Foo>bar</Foo></xml>");
    const auto not_xml = crypt.encrypt("{\"msgtype\":\"text\"}");
    const auto empty_plaintext = crypt.encrypt("");
    const auto garbage = "not*base64!"s;
    const auto short_block = base64_encode("0123456789abcdef");
    const auto truncated = encrypt.substr(0, encrypt.size() - 24);
    const auto json_body =
        R"({"tousername":"ww1436e0e65a779aee","encrypt":")" + encrypt + R"(","agentid":1})";

    struct Case {
        const char* name;
        net::QueryParams query;
        std::string body;
        push_errc expected;
    };
    const std::vector<Case> cases = {
        {"plaintext body", signed_query(""), text_document("hi"), push_errc::not_encrypted},
        {"empty Encrypt", signed_query(""), app_body(""), push_errc::not_encrypted},
        {"empty body", signed_query(encrypt), "", push_errc::malformed_payload},
        {"not XML", signed_query(encrypt), "<xml><Encrypt>", push_errc::malformed_payload},
        {"JSON envelope", signed_query(encrypt), json_body, push_errc::malformed_payload},
        {"doctype outside", signed_query(encrypt), "<!DOCTYPE xml>" + app_body(encrypt),
         push_errc::malformed_payload},
        {"missing msg_signature", without(signed_query(encrypt), "msg_signature"), app_body(encrypt),
         push_errc::bad_signature},
        {"wrong msg_signature", with(signed_query(encrypt), "msg_signature", wx_signature({"x"})),
         app_body(encrypt), push_errc::bad_signature},
        {"signed with another token", signed_query(encrypt, kV4Timestamp, kV4Nonce, "other-token"),
         app_body(encrypt), push_errc::bad_signature},
        {"tampered ciphertext, old msg_signature", signed_query(encrypt), app_body(flipped),
         push_errc::bad_signature},
        {"tampered ciphertext, re-signed", signed_query(flipped), app_body(flipped),
         push_errc::decrypt_failed},
        {"truncated ciphertext", signed_query(truncated), app_body(truncated), push_errc::decrypt_failed},
        {"another CorpID", signed_query(other_corp), app_body(other_corp), push_errc::corp_id_mismatch},
        {"another key", signed_query(other_key), app_body(other_key), push_errc::decrypt_failed},
        {"garbage base64", signed_query(garbage), app_body(garbage), push_errc::decrypt_failed},
        {"one AES block", signed_query(short_block), app_body(short_block), push_errc::decrypt_failed},
        {"doctype inside", signed_query(doctype_inside), app_body(doctype_inside),
         push_errc::malformed_payload},
        {"decrypts to no message", signed_query(not_a_message), app_body(not_a_message),
         push_errc::malformed_payload},
        {"decrypts to JSON", signed_query(not_xml), app_body(not_xml), push_errc::malformed_payload},
        {"decrypts to nothing", signed_query(empty_plaintext), app_body(empty_plaintext),
         push_errc::malformed_payload},
        {"301 s old", signed_query(encrypt, "1476422478"), app_body(encrypt), push_errc::stale_timestamp},
        {"301 s ahead", signed_query(encrypt, "1476423080"), app_body(encrypt), push_errc::stale_timestamp},
        {"negative timestamp", signed_query(encrypt, "-1"), app_body(encrypt), push_errc::stale_timestamp},
        {"no timestamp", without(signed_query(encrypt, ""), "timestamp"), app_body(encrypt),
         push_errc::stale_timestamp},
    };
    for (const auto& c : cases) {
        const auto m = endpoint.open(c.query, c.body, kNow);
        ASSERT_FALSE(m) << c.name;
        EXPECT_EQ(m.error(), make_error_code(c.expected)) << c.name << ": " << m.error().message();
    }
}

TEST(WeComAppOpenTest, TrustsOnlyTheDecryptedCopy) {
    // Cleartext fields next to <Encrypt> are not authenticated; a forged FromUserName must not win.
    const auto endpoint = make_app();
    const auto encrypt = crypt_for().encrypt(text_document("真的", 7, kMember));
    const auto body = "<xml>" + cdata_field("ToUserName", kV3CorpId) + cdata_field("FromUserName", "admin") +
                      cdata_field("Content", "forged") + cdata_field("Encrypt", encrypt) + "</xml>";
    const auto m = endpoint.open(signed_query(encrypt), body, kNow);
    ASSERT_TRUE(m) << m.error().message();
    EXPECT_EQ(m->sender, kMember);
    EXPECT_EQ(m->text, "真的");
}

TEST(WeComAppOpenTest, OversizedFields) {
    const auto endpoint = make_app();
    // A long (600 KB) content still fits the 1 MiB limits and arrives whole.
    std::string long_text;
    while (long_text.size() < std::size_t{600} * 1024) {
        long_text += "漏水😀";
    }
    const auto encrypt = crypt_for().encrypt(text_document(long_text));
    const auto m = endpoint.open(signed_query(encrypt), app_body(encrypt), kNow);
    ASSERT_TRUE(m) << m.error().message();
    EXPECT_EQ(m->text, long_text);

    // Over 1 MiB of ciphertext is refused before anything is decrypted.
    const auto huge = crypt_for().encrypt(text_document(std::string(std::size_t{900} * 1024, 'x')));
    ASSERT_GT(huge.size(), kMaxPushBytes);
    const auto refused = endpoint.open(signed_query(huge), app_body(huge), kNow);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error(), make_error_code(push_errc::malformed_payload));

    // A userid the size of a novel is odd but harmless.
    const std::string long_user(4096, 'u');
    const auto odd = crypt_for().encrypt(text_document("hi", 1, long_user));
    const auto opened = endpoint.open(signed_query(odd), app_body(odd), kNow);
    ASSERT_TRUE(opened) << opened.error().message();
    EXPECT_EQ(opened->sender, long_user);
}

TEST(WeComAppOpenTest, GarbageNeverCrashes) {
    // Random bytes, and every prefix of a valid body, through both the XML and the crypto paths.
    const auto endpoint = make_app();
    const auto encrypt = crypt_for().encrypt(text_document("hi"));
    const auto body = app_body(encrypt);
    for (std::size_t n = 0; n < body.size(); n += 7) {
        const auto m = endpoint.open(signed_query(encrypt), body.substr(0, n), kNow);
        EXPECT_FALSE(m) << n;
    }
    std::mt19937 random(20261127);
    std::uniform_int_distribution<int> byte(0, 255);
    for (int round = 0; round < 200; ++round) {
        std::string noise(static_cast<std::size_t>(byte(random)) * 4, '\0');
        for (auto& c : noise) {
            c = static_cast<char>(byte(random));
        }
        EXPECT_FALSE(endpoint.open(signed_query(noise), noise, kNow));
        const auto wrapped = app_body(noise);
        const auto m = endpoint.open(signed_query(noise), wrapped, kNow);
        EXPECT_FALSE(m);
        const auto echo = endpoint.verify_url(echo_query(noise), kNow);
        EXPECT_FALSE(echo);
    }
}

// ---------------------------------------------------------------------------------------------------------
// parse_app_message

struct KindCase {
    const char* name;
    std::string document;
    MessageKind kind;
    std::string text;
    std::vector<Attachment> attachments;
    std::string event_key;
};

std::ostream& operator<<(std::ostream& out, const KindCase& c) { return out << c.name; }

std::vector<KindCase> kind_cases() {
    return {
        {"text", text_document("电梯坏了"), MessageKind::text, "电梯坏了", {}, ""},
        {"image",
         document("image", cdata_field("PicUrl", "https://wework.qpic.cn/p.jpg") +
                               cdata_field("MediaId", "MEDIA1") + number_field("MsgId", 11)),
         MessageKind::image,
         "",
         {{"image", "MEDIA1", "https://wework.qpic.cn/p.jpg", ""}},
         ""},
        {"voice",
         document("voice", cdata_field("MediaId", "VOICE1") + cdata_field("Format", "amr") +
                               number_field("MsgId", 12)),
         MessageKind::voice,
         "",
         {{"voice", "VOICE1", "", "amr"}},
         ""},
        {"video",
         document("video", cdata_field("MediaId", "VIDEO1") + cdata_field("ThumbMediaId", "T1") +
                               number_field("MsgId", 13)),
         MessageKind::video,
         "",
         {{"video", "VIDEO1", "", ""}},
         ""},
        {"link",
         document("link", cdata_field("Title", "停水通知") + cdata_field("Description", "d") +
                              cdata_field("Url", "https://example.test/n") + cdata_field("PicUrl", "p") +
                              number_field("MsgId", 14)),
         MessageKind::link,
         "停水通知\nhttps://example.test/n",
         {},
         ""},
        {"click",
         event_document("click", "KEY_REPAIR"),
         MessageKind::menu_click,
         "KEY_REPAIR",
         {},
         "KEY_REPAIR"},
        {"enter_agent", event_document("enter_agent"), MessageKind::other_event, "enter_agent", {}, ""},
        {"view",
         event_document("view", "https://example.test/menu"),
         MessageKind::other_event,
         "view",
         {},
         "https://example.test/menu"},
        {"subscribe", event_document("subscribe"), MessageKind::subscribe, "", {}, ""},
        {"unsubscribe", event_document("unsubscribe"), MessageKind::unsubscribe, "", {}, ""},
        {"change_contact",
         event_document("change_contact"),
         MessageKind::other_event,
         "change_contact",
         {},
         ""},
        {"unknown_type",
         document("miniprogram", number_field("MsgId", 15)),
         MessageKind::other_event,
         "miniprogram",
         {},
         ""},
    };
}

class WeComParseAppKindTest : public ::testing::TestWithParam<KindCase> {};

TEST_P(WeComParseAppKindTest, ParsesEveryKind) {
    const auto& c = GetParam();
    const auto m = parsed(c.document);
    EXPECT_EQ(m.channel, "wecom");
    EXPECT_EQ(m.sender, kMember);
    EXPECT_EQ(m.recipient, kV3CorpId);
    EXPECT_EQ(m.kind, c.kind);
    EXPECT_EQ(m.text, c.text);
    EXPECT_EQ(m.attachments, c.attachments);
    EXPECT_EQ(m.event_key, c.event_key);
    EXPECT_FALSE(m.dedupe_key.empty());
}

INSTANTIATE_TEST_SUITE_P(Kinds, WeComParseAppKindTest, ::testing::ValuesIn(kind_cases()),
                         [](const auto& test_info) { return std::string(test_info.param.name); });

TEST(WeComParseAppTest, ParsesLocation) {
    const auto m = parsed(
        document("location", number_field("Location_X", 31) + "<Location_Y>121.47</Location_Y>" +
                                 number_field("Scale", 15) + cdata_field("Label", "上海市徐汇区漕溪北路") +
                                 number_field("MsgId", 16)));
    EXPECT_EQ(m.kind, MessageKind::location);
    ASSERT_TRUE(m.location);
    EXPECT_DOUBLE_EQ(m.location->latitude, 31.0);
    EXPECT_DOUBLE_EQ(m.location->longitude, 121.47);
    EXPECT_EQ(m.location->scale, 15);
    EXPECT_EQ(m.location->label, "上海市徐汇区漕溪北路");
    EXPECT_EQ(m.text, "上海市徐汇区漕溪北路");

    const auto odd =
        parsed(document("location", cdata_field("Location_X", "nan") + cdata_field("Location_Y", "x") +
                                        cdata_field("Scale", "99999999999999999999")));
    ASSERT_TRUE(odd.location);
    EXPECT_EQ(odd.location->latitude, 0.0);
    EXPECT_EQ(odd.location->longitude, 0.0);
    EXPECT_EQ(odd.location->scale, 0);
}

TEST(WeComParseAppTest, RequiredFieldsAndBadXmlAreMalformed) {
    const std::vector<std::string> bad = {
        "",
        "not xml",
        "<xml>",
        "<xml><FromUserName>u</FromUserName><MsgType>text</MsgType></xml>",     // no CreateTime
        "<xml><CreateTime>1</CreateTime><MsgType>text</MsgType></xml>",         // no FromUserName
        "<xml><FromUserName>u</FromUserName><CreateTime>1</CreateTime></xml>",  // no MsgType
        "<xml><FromUserName>u</FromUserName><CreateTime>x1</CreateTime><MsgType>t</MsgType></xml>",  // bad
                                                                                                     // time
        "<xml><FromUserName></FromUserName><CreateTime>1</CreateTime><MsgType>t</MsgType></xml>",    // empty
                                                                                                     // from
        "<a/><b/>",
    };
    for (const auto& doc : bad) {
        const auto m = parse_app_message(doc, kAccount, kNow);
        ASSERT_FALSE(m) << doc;
        EXPECT_EQ(m.error(), make_error_code(push_errc::malformed_payload)) << doc;
    }
}

TEST(WeComParseAppTest, RemovesControlCharactersAndRepairsUtf8) {
    // Raw bytes, as a careless sender would put them in the document.
    const auto m = parsed(document("text", "<Content><![CDATA[报\x1d修\x01 \xff ok]]></Content>"));
    EXPECT_EQ(m.text, "报修 \xEF\xBF\xBD ok");
}

TEST(WeComDedupeKeyTest, ARedeliveryHasTheSameKeyAndOthersDiffer) {
    const auto first = parsed(text_document("hi", 99));
    const auto again = parsed(text_document("hi", 99), kNow + 5s);
    EXPECT_EQ(first.dedupe_key, again.dedupe_key);
    EXPECT_NE(first.dedupe_key, parsed(text_document("hi", 100)).dedupe_key);
    EXPECT_NE(first.dedupe_key, parsed(text_document("hi", 99, kOtherMember)).dedupe_key);
    auto other_account = parse_app_message(text_document("hi", 99), "another", kNow);
    ASSERT_TRUE(other_account);
    EXPECT_NE(first.dedupe_key, other_account->dedupe_key);
}

TEST(WeComDedupeKeyTest, EventsInTheSameSecondDifferByEventKeyAndChangeType) {
    const auto click_a = parsed(event_document("click", "A"));
    const auto click_b = parsed(event_document("click", "B"));
    const auto enter = parsed(event_document("enter_agent"));
    const auto contact_create = parsed(
        document("event", cdata_field("Event", "change_contact") + cdata_field("ChangeType", "create_user")));
    const auto contact_update = parsed(
        document("event", cdata_field("Event", "change_contact") + cdata_field("ChangeType", "update_user")));
    EXPECT_NE(click_a.dedupe_key, click_b.dedupe_key);
    EXPECT_NE(click_a.dedupe_key, enter.dedupe_key);
    EXPECT_NE(contact_create.dedupe_key, contact_update.dedupe_key);
    EXPECT_EQ(click_a.dedupe_key, parsed(event_document("click", "A")).dedupe_key);
    EXPECT_NE(click_a.dedupe_key, parsed(event_document("click", "A", kMember, kCreateTime + 1)).dedupe_key);
}

TEST(WeComDedupeKeyTest, MessagesWithoutMsgIdUseSenderTimeAndType) {
    const auto a = parsed(document("text", cdata_field("Content", "x")));
    const auto b = parsed(document("image", cdata_field("MediaId", "m")));
    EXPECT_TRUE(a.platform_msg_id.empty());
    EXPECT_NE(a.dedupe_key, b.dedupe_key);
    EXPECT_EQ(a.dedupe_key, parsed(document("text", cdata_field("Content", "y"))).dedupe_key);
    EXPECT_NE(a.dedupe_key, parsed(text_document("x")).dedupe_key);
}

// ---------------------------------------------------------------------------------------------------------
// AppEndpoint::render_text_reply

TEST(WeComReplyTest, EncryptedReplyDecryptsToTheOfficialShapeAndIsSigned) {
    const auto endpoint = make_app();
    const auto to = parsed(text_document("hi"));
    const auto now = at(1'800'000'000);
    const auto xml = endpoint.render_text_reply(to, "已收到 ]]> 😀", now, "nonce42");
    const auto envelope = parse_fields(xml);
    ASSERT_TRUE(envelope) << xml;
    const auto encrypt = envelope->value_or("Encrypt", "");
    ASSERT_FALSE(encrypt.empty()) << xml;
    EXPECT_EQ(envelope->value_or("TimeStamp", ""), "1800000000");
    EXPECT_EQ(envelope->value_or("Nonce", ""), "nonce42");
    EXPECT_EQ(envelope->value_or("MsgSignature", ""),
              wx_signature({kV3Token, "1800000000", "nonce42", encrypt}));
    EXPECT_EQ(envelope->get("Content"), std::nullopt);  // nothing in clear

    const auto inner = crypt_for().decrypt_with_receive_id(encrypt);
    ASSERT_TRUE(inner) << inner.error().message();
    EXPECT_EQ(inner->receive_id, kV3CorpId);
    EXPECT_EQ(inner->message,
              "<xml><ToUserName><![CDATA[ZhangSan]]></ToUserName><FromUserName><![CDATA[ww1436e0e65a779aee]]>"
              "</FromUserName><CreateTime>1800000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content>"
              "<![CDATA[已收到 ]]]]><![CDATA[> 😀]]></Content><AgentID>1000002</AgentID></xml>");
    const auto fields = parse_fields(inner->message);
    ASSERT_TRUE(fields);
    EXPECT_EQ(fields->value_or("Content", ""), "已收到 ]]> 😀");

    // The reply opens like a push with the same keys (what WeCom does with it).
    const auto reopened = parse_app_message(inner->message, kAccount, now);
    ASSERT_TRUE(reopened);
    EXPECT_EQ(reopened->sender, kV3CorpId);
    EXPECT_EQ(reopened->recipient, kMember);

    // Fresh randomness: the same reply twice is two different ciphertexts.
    const auto again = parse_fields(endpoint.render_text_reply(to, "已收到 ]]> 😀", now, "nonce42"));
    ASSERT_TRUE(again);
    EXPECT_NE(again->value_or("Encrypt", ""), encrypt);
}

TEST(WeComReplyTest, AwkwardTextAndNoncesRoundTrip) {
    const auto endpoint = make_app();
    const auto to = parsed(text_document("hi"));
    const std::string with_control = std::string("a") + '\x01' + "b";
    for (const std::string_view text :
         {"]]>"sv, "a]]>b]]>c"sv, "<xml>&amp;</xml>"sv, "多行\n文本 😀"sv, std::string_view(with_control)}) {
        const auto xml = endpoint.render_text_reply(to, text, kNow, "]]><x>&");
        const auto envelope = parse_fields(xml);
        ASSERT_TRUE(envelope) << xml;
        EXPECT_EQ(envelope->value_or("Nonce", ""), "]]><x>&");
        const auto encrypt = envelope->value_or("Encrypt", "");
        EXPECT_EQ(envelope->value_or("MsgSignature", ""),
                  wx_signature({kV3Token, kV4Timestamp, "]]><x>&", encrypt}));
        const auto inner = crypt_for().decrypt(encrypt);
        ASSERT_TRUE(inner);
        const auto fields = parse_fields(*inner);
        ASSERT_TRUE(fields) << *inner;
        EXPECT_EQ(fields->value_or("Content", "<missing>"), text == with_control ? "ab" : text);
    }
}

// ---------------------------------------------------------------------------------------------------------
// AibotEndpoint

// A decrypted 智能机器人 push as WWDOC path/100719 shows it.
Json bot_push(const std::string& msgtype = "text", Json content = Json::object()) {
    Json push;
    push["msgid"] = "CAIQ16HMjQYY/NGagIOAgAMgq4KM0AI=";
    push["aibotid"] = "AIBOTID";
    push["chatid"] = "wrkSFfCgAAl2jAnRCQnAdtuZUQ6hZM1g";
    push["chattype"] = "group";
    push["from"]["userid"] = std::string(kMember);
    push["response_url"] = "https://qyapi.weixin.qq.com/cgi-bin/aibot/response?response_code=RC-1";
    push["msgtype"] = msgtype;
    if (msgtype == "text" && content.empty()) {
        content["content"] = "@RobotA hello robot";
    }
    push[msgtype] = std::move(content);
    return push;
}

Json text_content(std::string text) {
    Json content;
    content["content"] = std::move(text);
    return content;
}

// The encrypted JSON envelope of a push, and its signed query.
std::string bot_body(std::string_view encrypt) {
    Json body;
    body["encrypt"] = std::string(encrypt);
    return body.dump();
}

InboundMessage opened_bot(const std::string& plain) {
    const auto encrypt = crypt_for("").encrypt(plain);
    const auto m = make_bot().open(signed_query(encrypt), bot_body(encrypt), kNow);
    EXPECT_TRUE(m) << m.error().message();
    return m ? *m : InboundMessage{};
}

TEST(WeComAibotTest, VerifiesTheUrlWithoutCheckingTheReceiveId) {
    // V3's echostr carries the CorpID as receive id; the bot takes any (its own is "").
    const auto endpoint = make_bot();
    const auto query = query_of({{"msg_signature", std::string(kV3GetSignature)},
                                 {"timestamp", std::string(kV3GetTimestamp)},
                                 {"nonce", std::string(kV3GetNonce)},
                                 {"echostr", std::string(kV3Echostr)}});
    const auto echo = endpoint.verify_url(query, at(kV3GetTimestamp));
    ASSERT_TRUE(echo) << echo.error().message();
    EXPECT_EQ(*echo, "1288432023552776189");

    const auto echo_empty_id = crypt_for("").encrypt("5927782489442352469");
    const auto own = endpoint.verify_url(echo_query(echo_empty_id), kNow);
    ASSERT_TRUE(own) << own.error().message();
    EXPECT_EQ(*own, "5927782489442352469");

    const auto stale = endpoint.verify_url(query, at(kV3GetTimestamp) + 1h);
    ASSERT_FALSE(stale);
    EXPECT_EQ(stale.error(), make_error_code(push_errc::stale_timestamp));
}

TEST(WeComAibotTest, OpensAGroupTextAndStripsTheMention) {
    const auto m = opened_bot(bot_push().dump());
    EXPECT_EQ(m.channel, "wecom_bot");
    EXPECT_EQ(m.account, kBotAccount);
    EXPECT_EQ(m.sender, kMember);
    EXPECT_EQ(m.recipient, "AIBOTID");
    EXPECT_EQ(m.chat, "wrkSFfCgAAl2jAnRCQnAdtuZUQ6hZM1g");
    EXPECT_EQ(m.reply_url, "https://qyapi.weixin.qq.com/cgi-bin/aibot/response?response_code=RC-1");
    EXPECT_EQ(m.kind, MessageKind::text);
    EXPECT_EQ(m.text, "hello robot");
    EXPECT_EQ(m.platform_msg_id, "CAIQ16HMjQYY/NGagIOAgAMgq4KM0AI=");
    EXPECT_EQ(m.dedupe_key, "wecom_bot" + kUs + "staff-bot" + kUs + "CAIQ16HMjQYY/NGagIOAgAMgq4KM0AI=");
    EXPECT_EQ(m.received_at, kNow);
    EXPECT_EQ(m.conversation_key(), "wecom_bot/staff-bot/ZhangSan");
}

TEST(WeComAibotTest, SingleChatTextKeepsItsWordsAndHasNoChat) {
    auto push = bot_push("text", text_content("3号楼电梯困人了 😱，快来！"));
    push.erase("chatid");
    push["chattype"] = "single";
    const auto m = opened_bot(push.dump());
    EXPECT_EQ(m.text, "3号楼电梯困人了 😱，快来！");
    EXPECT_TRUE(m.chat.empty());
}

TEST(WeComAibotTest, StripsMentionsFollowedByAnyKindOfSpace) {
    EXPECT_EQ(opened_bot(bot_push("text", text_content("@物业助手\u00a0电梯坏了")).dump()).text, "电梯坏了");
    EXPECT_EQ(opened_bot(bot_push("text", text_content("@物业助手\u2005@张三 报修 ")).dump()).text, "报修");
    EXPECT_EQ(opened_bot(bot_push("text", text_content("@物业助手")).dump()).text, "");
}

TEST(WeComAibotTest, MixedIsTextWithImageAttachments) {
    Json items = Json::array();
    items.push_back({{"msgtype", "text"}, {"text", {{"content", "@RobotA 这里漏水"}}}});
    items.push_back({{"msgtype", "image"}, {"image", {{"url", "https://ww-aibot-img.example/1"}}}});
    items.push_back({{"msgtype", "text"}, {"text", {{"content", " 请尽快处理 "}}}});
    items.push_back({{"msgtype", "image"}, {"image", {{"url", "https://ww-aibot-img.example/2"}}}});
    items.push_back({{"msgtype", "sticker"}});
    items.push_back("not an object");
    Json mixed;
    mixed["msg_item"] = items;
    const auto m = opened_bot(bot_push("mixed", mixed).dump());
    EXPECT_EQ(m.kind, MessageKind::text);
    EXPECT_EQ(m.text, "这里漏水\n请尽快处理");
    const std::vector<Attachment> images = {{"image", "", "https://ww-aibot-img.example/1", ""},
                                            {"image", "", "https://ww-aibot-img.example/2", ""}};
    EXPECT_EQ(m.attachments, images);
}

TEST(WeComAibotTest, ImageVoiceFileAndEvents) {
    Json image;
    image["url"] = "https://ww-aibot-img.example/3";
    const auto pic = opened_bot(bot_push("image", image).dump());
    EXPECT_EQ(pic.kind, MessageKind::image);
    const std::vector<Attachment> expected = {{"image", "", "https://ww-aibot-img.example/3", ""}};
    EXPECT_EQ(pic.attachments, expected);

    const auto voice = opened_bot(bot_push("voice", text_content("楼道灯不亮")).dump());
    EXPECT_EQ(voice.kind, MessageKind::voice);
    EXPECT_EQ(voice.text, "楼道灯不亮");

    Json file;
    file["url"] = "https://ww-aibot-img.example/f";
    const auto attached = opened_bot(bot_push("file", file).dump());
    EXPECT_EQ(attached.kind, MessageKind::other_event);
    EXPECT_EQ(attached.text, "file");

    Json event;
    event["eventtype"] = "enter_chat";
    auto enter = bot_push("event", event);
    enter["create_time"] = 1'700'000'000;
    const auto entered = opened_bot(enter.dump());
    EXPECT_EQ(entered.kind, MessageKind::other_event);
    EXPECT_EQ(entered.text, "enter_chat");
    EXPECT_EQ(entered.platform_time, 1'700'000'000);
}

TEST(WeComAibotTest, CleansControlCharactersFromStrings) {
    // JSON escapes for C0 controls, NUL included.
    const auto m = opened_bot(
        R"({"msgid":"m1","from":{"userid":"u\u00071"},"msgtype":"text","text":{"content":"@bot 报\u001d修\u0000！"}})");
    EXPECT_EQ(m.sender, "u1");
    EXPECT_EQ(m.text, "报修！");
}

TEST(WeComAibotTest, AcceptsAPushSealedWithAnyReceiveId) {
    const auto encrypt = crypt_for("some-receive-id").encrypt(bot_push().dump());
    const auto m = make_bot().open(signed_query(encrypt), bot_body(encrypt), kNow);
    ASSERT_TRUE(m) << m.error().message();
    EXPECT_EQ(m->text, "hello robot");
}

TEST(WeComAibotTest, RefusesWhatIsNotAProperPush) {
    const auto endpoint = make_bot();
    const auto crypt = crypt_for("");
    const auto encrypt = crypt.encrypt(bot_push().dump());
    const auto xml_inside = crypt.encrypt(text_document("hi"));
    const auto without_msgid = [&] {
        auto push = bot_push();
        push.erase("msgid");
        return crypt.encrypt(push.dump());
    }();
    const auto without_from = [&] {
        auto push = bot_push();
        push["from"] = "ZhangSan";
        return crypt.encrypt(push.dump());
    }();
    const auto without_type = [&] {
        auto push = bot_push();
        push["msgtype"] = 7;
        return crypt.encrypt(push.dump());
    }();
    const auto bad_utf8 =
        crypt.encrypt("{\"msgid\":\"m\",\"from\":{\"userid\":\"\xff\"},\"msgtype\":\"text\"}");
    const auto deep = crypt.encrypt(std::string(100'000, '['));
    const auto garbage = "not*base64!"s;
    std::string big_body = R"({"encrypt":")" + std::string(kMaxPushBytes, 'A') + "\"}";

    struct Case {
        const char* name;
        net::QueryParams query;
        std::string body;
        push_errc expected;
    };
    const std::vector<Case> cases = {
        {"empty body", signed_query(encrypt), "", push_errc::malformed_payload},
        {"not JSON", signed_query(encrypt), "{\"encrypt\":", push_errc::malformed_payload},
        {"XML envelope", signed_query(encrypt), app_body(encrypt), push_errc::malformed_payload},
        {"array", signed_query(encrypt), "[\"" + encrypt + "\"]", push_errc::malformed_payload},
        {"no encrypt", signed_query(encrypt), R"({"tousername":"x"})", push_errc::not_encrypted},
        {"encrypt not a string", signed_query(encrypt), R"({"encrypt":42})", push_errc::not_encrypted},
        {"empty encrypt", signed_query(""), bot_body(""), push_errc::not_encrypted},
        {"over 1 MiB", signed_query(encrypt), big_body, push_errc::malformed_payload},
        {"missing msg_signature", without(signed_query(encrypt), "msg_signature"), bot_body(encrypt),
         push_errc::bad_signature},
        {"wrong msg_signature", with(signed_query(encrypt), "msg_signature", wx_signature({"x"})),
         bot_body(encrypt), push_errc::bad_signature},
        {"stale", signed_query(encrypt, "1476420000"), bot_body(encrypt), push_errc::stale_timestamp},
        {"garbage base64", signed_query(garbage), bot_body(garbage), push_errc::decrypt_failed},
        {"decrypts to XML", signed_query(xml_inside), bot_body(xml_inside), push_errc::malformed_payload},
        {"no msgid", signed_query(without_msgid), bot_body(without_msgid), push_errc::malformed_payload},
        {"from not an object", signed_query(without_from), bot_body(without_from),
         push_errc::malformed_payload},
        {"msgtype not a string", signed_query(without_type), bot_body(without_type),
         push_errc::malformed_payload},
        {"ill-formed UTF-8", signed_query(bad_utf8), bot_body(bad_utf8), push_errc::malformed_payload},
        {"deep nesting", signed_query(deep), bot_body(deep), push_errc::malformed_payload},
    };
    for (const auto& c : cases) {
        const auto m = endpoint.open(c.query, c.body, kNow);
        ASSERT_FALSE(m) << c.name;
        EXPECT_EQ(m.error(), make_error_code(c.expected)) << c.name << ": " << m.error().message();
    }
}

TEST(WeComAibotTest, GarbageNeverCrashes) {
    const auto endpoint = make_bot();
    const auto encrypt = crypt_for("").encrypt(bot_push().dump());
    const auto body = bot_body(encrypt);
    for (std::size_t n = 0; n < body.size(); n += 5) {
        EXPECT_FALSE(endpoint.open(signed_query(encrypt), body.substr(0, n), kNow)) << n;
    }
    std::mt19937 random(4242);
    std::uniform_int_distribution<int> byte(0, 255);
    for (int round = 0; round < 200; ++round) {
        std::string noise(static_cast<std::size_t>(byte(random)), '\0');
        for (auto& c : noise) {
            c = static_cast<char>(byte(random));
        }
        EXPECT_FALSE(endpoint.open(signed_query(noise), noise, kNow));
        // Random plaintext behind a valid signature and ciphertext reaches the JSON parser.
        const auto sealed = crypt_for("").encrypt(noise);
        EXPECT_FALSE(endpoint.open(signed_query(sealed), bot_body(sealed), kNow));
    }
}

TEST(WeComAibotTest, TheAckIsEmpty) { EXPECT_EQ(AibotEndpoint::render_ack(), ""); }

TEST(WeComMentionsTest, StripsLeadingMentionsOnly) {
    struct Case {
        std::string_view in;
        std::string_view out;
    };
    const std::vector<Case> cases = {
        {"", ""},
        {"@", ""},
        {"@bot", ""},
        {"@bot hi", "hi"},
        {"   @bot   hi  ", "hi"},
        {"@a\u2005@b\u3000hi", "hi"},
        {"@a\t@b\nhi\nthere", "hi\nthere"},
        {"hi @bot", "hi @bot"},
        {"报修@物业 电梯", "报修@物业 电梯"},
        {"@物业助手 电梯坏了 @张三", "电梯坏了 @张三"},
        {"\u3000全角空格开头\u3000", "全角空格开头"},
        {"@bot 😀", "😀"},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(strip_leading_mentions(c.in), c.out) << "'" << c.in << "'";
    }
}

}  // namespace
}  // namespace anju::adapters::wecom
