// The WeChat Official Account push endpoint: URL verification, signature and replay checks, the three
// encryption modes, message parsing and de-duplication keys, and the passive reply (PROTOCOLS.md §1–2).
#include "adapters/common/wx_crypt.hpp"
#include "adapters/common/xml.hpp"
#include "adapters/wechat_mp/endpoint.hpp"
#include "bot/net/url.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace anju::adapters::wechat_mp {
namespace {

using namespace std::literals;

// PROTOCOLS §2.8 V1: MP, WxJava test (official MP sample data).
constexpr std::string_view kToken = "pamtest";
constexpr std::string_view kAesKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
constexpr std::string_view kAppId = "wxb11529c136998cb6";
constexpr std::string_view kV1Timestamp = "1409304348";
constexpr std::string_view kV1Nonce = "xxxxxx";
constexpr std::string_view kV1Cipher =
    "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==";
constexpr std::string_view kV1MsgSignature = "82c962d39941aa48552f90ef55aa323dc620cc10";  // (derived)

// PROTOCOLS §1.2, the official URL verification example.
constexpr std::string_view kOfficialToken = "AAAAA";
constexpr std::string_view kOfficialTimestamp = "1714037059";
constexpr std::string_view kOfficialNonce = "486452656";
constexpr std::string_view kOfficialSignature = "899cf89e464efb63f54ddac96b0a0a235f53aa78";

constexpr std::string_view kAccount = "estate";
constexpr std::string_view kOurId = "gh_7f083739789a";
constexpr std::string_view kUser = "oia2TjjewbmiOUlr6X-1crbLOvLw";
constexpr std::string_view kOtherUser = "oia2Tjother-user-00000000000";
constexpr std::int64_t kCreateTime = 1'409'304'348;

const Clock::time_point kNow{std::chrono::seconds{1'409'304'348}};  // = kV1Timestamp

Clock::time_point at(std::int64_t seconds) { return Clock::time_point{std::chrono::seconds{seconds}}; }

Endpoint make_endpoint(Mode mode, std::string_view token = kToken) {
    EndpointOptions options;
    options.account = std::string(kAccount);
    options.app_id = std::string(kAppId);
    options.token = Secret(std::string(token));
    options.encoding_aes_key = Secret(std::string(kAesKey));
    options.mode = mode;
    auto created = Endpoint::create(std::move(options));
    EXPECT_TRUE(created) << created.error().message();
    return std::move(created.value());
}

WxCrypt crypt_for(std::string_view app_id = kAppId) {
    return WxCrypt::create(kAesKey, std::string(app_id)).value();
}

// A query string as WeChat sends it (values percent-encoded), parsed the way the server parses it.
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

// The query of a plaintext-mode push (or a URL verification when `echostr` is given).
net::QueryParams plain_query(std::string_view timestamp = kV1Timestamp, std::string_view nonce = kV1Nonce,
                             std::string_view token = kToken) {
    return query_of({{"signature", wx_signature({token, timestamp, nonce})},
                     {"timestamp", std::string(timestamp)},
                     {"nonce", std::string(nonce)},
                     {"openid", std::string(kUser)}});
}

// The query of a safe/compatible-mode push carrying `encrypt`.
net::QueryParams aes_query(std::string_view encrypt, std::string_view timestamp = kV1Timestamp,
                           std::string_view nonce = kV1Nonce) {
    return query_of({{"signature", wx_signature({kToken, timestamp, nonce})},
                     {"timestamp", std::string(timestamp)},
                     {"nonce", std::string(nonce)},
                     {"openid", std::string(kUser)},
                     {"encrypt_type", "aes"},
                     {"msg_signature", wx_signature({kToken, timestamp, nonce, encrypt})}});
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

std::string cdata_field(std::string_view name, std::string_view value) {
    return "<" + std::string(name) + "><![CDATA[" + std::string(value) + "]]></" + std::string(name) + ">";
}

std::string number_field(std::string_view name, std::int64_t value) {
    return "<" + std::string(name) + ">" + std::to_string(value) + "</" + std::string(name) + ">";
}

// A message document with the common header and `rest` (already rendered fields).
std::string document(std::string_view msg_type, std::string_view rest, std::string_view from = kUser,
                     std::int64_t create_time = kCreateTime) {
    return "<xml>" + cdata_field("ToUserName", kOurId) + cdata_field("FromUserName", from) +
           number_field("CreateTime", create_time) + cdata_field("MsgType", msg_type) + std::string(rest) +
           "</xml>";
}

std::string text_document(std::string_view content, std::int64_t msg_id = 1234567890123456,
                          std::string_view from = kUser) {
    return document("text", cdata_field("Content", content) + number_field("MsgId", msg_id), from);
}

std::string event_document(std::string_view event, std::optional<std::string_view> key = std::nullopt,
                           std::string_view from = kUser, std::int64_t create_time = kCreateTime) {
    std::string rest = cdata_field("Event", event);
    if (key) {
        rest += cdata_field("EventKey", *key);
    }
    return document("event", rest, from, create_time);
}

// The safe-mode body: only ToUserName and Encrypt.
std::string safe_body(std::string_view encrypt) {
    return "<xml>" + cdata_field("ToUserName", kOurId) + cdata_field("Encrypt", encrypt) + "</xml>";
}

// The compatible-mode body: the plaintext fields of `plain_document` next to <Encrypt>.
std::string compatible_body(std::string_view plain_document, std::string_view encrypt) {
    std::string body(plain_document);
    body.insert(body.size() - std::string_view("</xml>").size(), cdata_field("Encrypt", encrypt));
    return body;
}

std::string upper(std::string text) {
    for (auto& c : text) {
        if (c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
        }
    }
    return text;
}

// A readable form of a message, so that a failed comparison shows which field differs.
std::string describe(const InboundMessage& m) {
    std::string out = "channel=" + m.channel + "\naccount=" + m.account + "\nsender=" + m.sender +
                      "\nrecipient=" + m.recipient + "\nkind=" + std::string(to_string(m.kind)) +
                      "\ntext=" + m.text + "\nevent_key=" + m.event_key +
                      "\nplatform_msg_id=" + m.platform_msg_id + "\ndedupe_key=" + m.dedupe_key +
                      "\nplatform_time=" + std::to_string(m.platform_time) +
                      "\nreceived_at=" + std::to_string(m.received_at.time_since_epoch().count()) + "\n";
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

InboundMessage parsed(std::string_view doc, Clock::time_point received_at = kNow) {
    auto m = parse_message(doc, kAccount, received_at);
    EXPECT_TRUE(m) << m.error().message();
    return m ? *m : InboundMessage{};
}

// ---------------------------------------------------------------------------------------------------------
// create

TEST(MpEndpointCreateTest, SafeAndCompatibleModesRefuseAnIllegalAesKey) {
    for (const auto mode : {Mode::safe, Mode::compatible}) {
        for (const std::string_view key : {""sv, "short"sv, "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF!"sv,
                                           "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH"sv}) {
            EndpointOptions options;
            options.account = std::string(kAccount);
            options.app_id = std::string(kAppId);
            options.token = Secret(std::string(kToken));
            options.encoding_aes_key = Secret(std::string(key));
            options.mode = mode;
            const auto created = Endpoint::create(std::move(options));
            ASSERT_FALSE(created) << "key '" << key << "'";
            EXPECT_EQ(created.error(), make_error_code(crypto_errc::illegal_aes_key));
        }
    }
}

TEST(MpEndpointCreateTest, PlainModeNeedsNoKey) {
    EndpointOptions options;
    options.account = std::string(kAccount);
    options.token = Secret(std::string(kToken));
    options.mode = Mode::plain;
    const auto created = Endpoint::create(std::move(options));
    ASSERT_TRUE(created) << created.error().message();
    EXPECT_EQ(created->options().mode, Mode::plain);

    // It opens plaintext pushes and, having no key, answers in plaintext even when asked to encrypt.
    const auto push = created->open(plain_query(), text_document("你好"), kNow);
    ASSERT_TRUE(push) << push.error().message();
    EXPECT_FALSE(push->encrypted);
    const auto reply = created->render_text_reply(push->message, "收到", /*encrypt=*/true, kNow, "nonce");
    const auto fields = parse_fields(reply);
    ASSERT_TRUE(fields);
    EXPECT_EQ(fields->get("Encrypt"), std::nullopt);
    EXPECT_EQ(fields->get("Content"), "收到");
}

TEST(MpEndpointCreateTest, ErrorCodesHaveTheirOwnCategoryAndMessages) {
    const auto ec = make_error_code(push_errc::bad_signature);
    EXPECT_STREQ(ec.category().name(), "anju.wechat_mp.push");
    for (const auto e : {push_errc::bad_signature, push_errc::stale_timestamp, push_errc::not_encrypted,
                         push_errc::malformed_payload, push_errc::decrypt_failed, push_errc::app_id_mismatch,
                         push_errc::unsupported_format}) {
        EXPECT_NE(make_error_code(e).message(), "unknown push error");
    }
}

// ---------------------------------------------------------------------------------------------------------
// verify_url

TEST(MpEndpointVerifyTest, EchoesEchostrVerbatimForAGoodSignature) {
    const auto endpoint = make_endpoint(Mode::safe);
    // MP echostr is plain in every mode, so it comes back as it was, '+' and all.
    const auto query = with(plain_query(), "echostr", "1288432023552776189+/=");
    const auto echo = endpoint.verify_url(query, kNow);
    ASSERT_TRUE(echo) << echo.error().message();
    EXPECT_EQ(*echo, "1288432023552776189+/=");
}

TEST(MpEndpointVerifyTest, AcceptsTheOfficialExample) {
    const auto endpoint = make_endpoint(Mode::plain, kOfficialToken);
    const auto query = query_of({{"signature", std::string(kOfficialSignature)},
                                 {"timestamp", std::string(kOfficialTimestamp)},
                                 {"nonce", std::string(kOfficialNonce)},
                                 {"echostr", "5927782489442352469"}});
    const auto echo = endpoint.verify_url(query, at(1'714'037'059));
    ASSERT_TRUE(echo) << echo.error().message();
    EXPECT_EQ(*echo, "5927782489442352469");
}

TEST(MpEndpointVerifyTest, RefusesBadSignatures) {
    const auto endpoint = make_endpoint(Mode::safe);
    const auto good = with(plain_query(), "echostr", "42");
    struct Case {
        const char* name;
        net::QueryParams query;
    };
    const std::vector<Case> cases = {
        {"missing", without(good, "signature")},
        {"empty", with(good, "signature", "")},
        {"wrong", with(good, "signature", std::string(40, '0'))},
        {"upper case", with(good, "signature", upper(wx_signature({kToken, kV1Timestamp, kV1Nonce})))},
        {"other token", with(plain_query(kV1Timestamp, kV1Nonce, "not-the-token"), "echostr", "42")},
        {"other nonce", with(good, "nonce", "yyyyyy")},
        {"other timestamp", with(good, "timestamp", "1409304349")},
        {"missing timestamp", without(good, "timestamp")},
    };
    for (const auto& c : cases) {
        const auto echo = endpoint.verify_url(c.query, kNow);
        ASSERT_FALSE(echo) << c.name;
        EXPECT_EQ(echo.error(), make_error_code(push_errc::bad_signature)) << c.name;
    }
}

TEST(MpEndpointVerifyTest, RefusesStaleOrMissingTimestamps) {
    const auto endpoint = make_endpoint(Mode::safe);
    struct Case {
        const char* name;
        std::string timestamp;
    };
    const std::vector<Case> cases = {
        {"301 s old", "1409304047"},        {"301 s ahead", "1409304649"},
        {"a day old", "1409217948"},        {"missing (signed as empty)", ""},
        {"not a number", "14093O4348"},     {"trailing junk", "1409304348 "},
        {"milliseconds", "1409304348000"},  {"most negative", "-9223372036854775808"},
        {"largest", "9223372036854775807"}, {"too large", "99999999999999999999"},
    };
    for (const auto& c : cases) {
        const auto query = with(plain_query(c.timestamp), "echostr", "42");
        const auto echo = endpoint.verify_url(query, kNow);
        ASSERT_FALSE(echo) << c.name;
        EXPECT_EQ(echo.error(), make_error_code(push_errc::stale_timestamp)) << c.name;
    }
}

TEST(MpEndpointVerifyTest, AcceptsTimestampsAtTheEdgeOfTheReplayWindow) {
    const auto endpoint = make_endpoint(Mode::safe);
    ASSERT_EQ(endpoint.options().replay_window, std::chrono::seconds(300));
    for (const std::string_view ts : {"1409304048"sv, "1409304648"sv}) {
        const auto echo = endpoint.verify_url(with(plain_query(ts), "echostr", "42"), kNow);
        ASSERT_TRUE(echo) << ts << ": " << echo.error().message();
        EXPECT_EQ(*echo, "42");
    }
}

// ---------------------------------------------------------------------------------------------------------
// open: plaintext mode

TEST(MpEndpointPlainTest, OpensASignedPlaintextPush) {
    const auto endpoint = make_endpoint(Mode::plain);
    const auto push = endpoint.open(plain_query(), text_document("电梯坏了"), kNow);
    ASSERT_TRUE(push) << push.error().message();
    EXPECT_FALSE(push->encrypted);
    EXPECT_EQ(push->message.kind, MessageKind::text);
    EXPECT_EQ(push->message.text, "电梯坏了");
    EXPECT_EQ(push->message.sender, kUser);
    EXPECT_EQ(push->message.account, kAccount);
    EXPECT_EQ(push->message.received_at, kNow);
}

TEST(MpEndpointPlainTest, RefusesAMissingOrWrongSignature) {
    const auto endpoint = make_endpoint(Mode::plain);
    for (const auto& query :
         {without(plain_query(), "signature"), with(plain_query(), "signature", std::string(40, 'a')),
          plain_query(kV1Timestamp, kV1Nonce, "wrong-token")}) {
        const auto push = endpoint.open(query, text_document("hi"), kNow);
        ASSERT_FALSE(push);
        EXPECT_EQ(push.error(), make_error_code(push_errc::bad_signature));
    }
}

TEST(MpEndpointPlainTest, RefusesStaleTimestampsBothWays) {
    const auto endpoint = make_endpoint(Mode::plain);
    for (const std::string_view ts : {"1409304047"sv, "1409304649"sv, "-9223372036854775808"sv}) {
        const auto push = endpoint.open(plain_query(ts), text_document("hi"), kNow);
        ASSERT_FALSE(push) << ts;
        EXPECT_EQ(push.error(), make_error_code(push_errc::stale_timestamp)) << ts;
    }
}

TEST(MpEndpointPlainTest, RefusesJsonAndBadXml) {
    const auto endpoint = make_endpoint(Mode::plain);
    struct Case {
        const char* name;
        std::string body;
        push_errc expected;
    };
    const std::vector<Case> cases = {
        {"json object", R"({"ToUserName":"gh_x","MsgType":"text"})", push_errc::unsupported_format},
        {"json array after whitespace", " \r\n\t[1]", push_errc::unsupported_format},
        {"empty", "", push_errc::malformed_payload},
        {"not xml", "hello", push_errc::malformed_payload},
        {"truncated", text_document("hi").substr(0, 40), push_errc::malformed_payload},
        {"doctype", "<!DOCTYPE xml [<!ENTITY x \"boom\">]>" + text_document("&x;"),
         push_errc::malformed_payload},
        {"no FromUserName", "<xml><CreateTime>1</CreateTime><MsgType>text</MsgType></xml>",
         push_errc::malformed_payload},
    };
    for (const auto& c : cases) {
        const auto push = endpoint.open(plain_query(), c.body, kNow);
        ASSERT_FALSE(push) << c.name;
        EXPECT_EQ(push.error(), make_error_code(c.expected)) << c.name;
    }
}

TEST(MpEndpointPlainTest, IgnoresAnEncryptElement) {
    // Plain mode has no key to check it with; the body's plaintext is what was signed for.
    const auto endpoint = make_endpoint(Mode::plain);
    const auto push = endpoint.open(plain_query(), compatible_body(text_document("plain"), "garbage"), kNow);
    ASSERT_TRUE(push) << push.error().message();
    EXPECT_FALSE(push->encrypted);
    EXPECT_EQ(push->message.text, "plain");
}

// ---------------------------------------------------------------------------------------------------------
// open: compatible mode

TEST(MpEndpointCompatibleTest, DecryptsWhenEncryptTypeIsAes) {
    const auto endpoint = make_endpoint(Mode::compatible);
    const auto encrypt = crypt_for().encrypt(text_document("加密的内容"));
    const auto push =
        endpoint.open(aes_query(encrypt), compatible_body(text_document("加密的内容"), encrypt), kNow);
    ASSERT_TRUE(push) << push.error().message();
    EXPECT_TRUE(push->encrypted);
    EXPECT_EQ(push->message.text, "加密的内容");
}

TEST(MpEndpointCompatibleTest, DecryptsWhenEncryptIsPresentWithoutEncryptType) {
    const auto endpoint = make_endpoint(Mode::compatible);
    const auto encrypt = crypt_for().encrypt(text_document("hello"));
    const auto push = endpoint.open(without(aes_query(encrypt), "encrypt_type"),
                                    compatible_body(text_document("hello"), encrypt), kNow);
    ASSERT_TRUE(push) << push.error().message();
    EXPECT_TRUE(push->encrypted);
    EXPECT_EQ(push->message.text, "hello");
}

TEST(MpEndpointCompatibleTest, TrustsOnlyTheDecryptedCopy) {
    const auto endpoint = make_endpoint(Mode::compatible);
    const auto encrypt = crypt_for().encrypt(text_document("genuine"));
    // Someone on the path rewrote the plaintext copy (and the sender); msg_signature covers only the
    // ciphertext, so the plaintext must not be believed.
    const auto push = endpoint.open(aes_query(encrypt),
                                    compatible_body(text_document("forged", 1, kOtherUser), encrypt), kNow);
    ASSERT_TRUE(push) << push.error().message();
    EXPECT_TRUE(push->encrypted);
    EXPECT_EQ(push->message.text, "genuine");
    EXPECT_EQ(push->message.sender, kUser);
    EXPECT_EQ(push->message.platform_msg_id, "1234567890123456");
}

TEST(MpEndpointCompatibleTest, ParsesPlaintextWhenNothingIsEncrypted) {
    const auto endpoint = make_endpoint(Mode::compatible);
    const auto push = endpoint.open(plain_query(), text_document("明文"), kNow);
    ASSERT_TRUE(push) << push.error().message();
    EXPECT_FALSE(push->encrypted);
    EXPECT_EQ(push->message.text, "明文");
}

TEST(MpEndpointCompatibleTest, PlaintextPushesMustBeSigned) {
    // With neither <Encrypt> nor msg_signature, `signature` is the only authentication there is.
    const auto endpoint = make_endpoint(Mode::compatible);
    for (const auto& query : {without(plain_query(), "signature"), with(plain_query(), "signature", "0")}) {
        const auto push = endpoint.open(query, text_document("forged"), kNow);
        ASSERT_FALSE(push);
        EXPECT_EQ(push.error(), make_error_code(push_errc::bad_signature));
    }
}

TEST(MpEndpointCompatibleTest, EncryptTypeAesWithoutEncryptIsNotEncrypted) {
    const auto endpoint = make_endpoint(Mode::compatible);
    const auto push = endpoint.open(with(plain_query(), "encrypt_type", "aes"), text_document("hi"), kNow);
    ASSERT_FALSE(push);
    EXPECT_EQ(push.error(), make_error_code(push_errc::not_encrypted));
}

TEST(MpEndpointCompatibleTest, ChecksMsgSignature) {
    const auto endpoint = make_endpoint(Mode::compatible);
    const auto encrypt = crypt_for().encrypt(text_document("hi"));
    const auto body = compatible_body(text_document("hi"), encrypt);
    for (const auto& query : {without(aes_query(encrypt), "msg_signature"),
                              with(aes_query(encrypt), "msg_signature", wx_signature({"x"}))}) {
        const auto push = endpoint.open(query, body, kNow);
        ASSERT_FALSE(push);
        EXPECT_EQ(push.error(), make_error_code(push_errc::bad_signature));
    }
}

// ---------------------------------------------------------------------------------------------------------
// open: safe mode

TEST(MpEndpointSafeTest, DecryptsAndParsesASafeModePush) {
    const auto endpoint = make_endpoint(Mode::safe);
    const auto encrypt = crypt_for().encrypt(text_document("楼上漏水 💧"));
    const auto push = endpoint.open(aes_query(encrypt), safe_body(encrypt), kNow);
    ASSERT_TRUE(push) << push.error().message();
    EXPECT_TRUE(push->encrypted);
    EXPECT_EQ(push->message.kind, MessageKind::text);
    EXPECT_EQ(push->message.text, "楼上漏水 💧");
    EXPECT_EQ(push->message.sender, kUser);
    EXPECT_EQ(push->message.recipient, kOurId);
    EXPECT_EQ(describe(push->message), describe(parsed(text_document("楼上漏水 💧"))));
    EXPECT_EQ(push->message, parsed(text_document("楼上漏水 💧")));
}

TEST(MpEndpointSafeTest, SignatureMayBeAbsentWhenMsgSignatureIsGood) {
    const auto endpoint = make_endpoint(Mode::safe);
    const auto encrypt = crypt_for().encrypt(text_document("hi"));
    const auto push = endpoint.open(without(aes_query(encrypt), "signature"), safe_body(encrypt), kNow);
    ASSERT_TRUE(push) << push.error().message();
    EXPECT_TRUE(push->encrypted);
}

TEST(MpEndpointSafeTest, TheOfficialVectorDecryptsButIsNoMessage) {
    // V1's plaintext is "我是中文abcd123": getting past the signature and the decryption to the parser
    // proves both work with the official data; the text itself is not a message document.
    const auto endpoint = make_endpoint(Mode::safe);
    ASSERT_EQ(wx_signature({kToken, kV1Timestamp, kV1Nonce, kV1Cipher}), kV1MsgSignature);
    const auto query = query_of({{"timestamp", std::string(kV1Timestamp)},
                                 {"nonce", std::string(kV1Nonce)},
                                 {"encrypt_type", "aes"},
                                 {"msg_signature", std::string(kV1MsgSignature)}});
    const auto push = endpoint.open(query, safe_body(kV1Cipher), kNow);
    ASSERT_FALSE(push);
    EXPECT_EQ(push.error(), make_error_code(push_errc::malformed_payload));

    // The same ciphertext under another msg_signature never reaches the decryption.
    const auto tampered =
        endpoint.open(with(query, "msg_signature", std::string(40, 'f')), safe_body(kV1Cipher), kNow);
    ASSERT_FALSE(tampered);
    EXPECT_EQ(tampered.error(), make_error_code(push_errc::bad_signature));
}

TEST(MpEndpointSafeTest, RefusesWhatIsNotAProperSafeModePush) {
    const auto endpoint = make_endpoint(Mode::safe);
    const auto crypt = crypt_for();
    const auto encrypt = crypt.encrypt(text_document("hi"), "aaaabbbbccccdddd");
    // A changed character in the last block garbles the padding.
    std::string flipped = encrypt;
    const auto last = flipped.find_last_not_of('=') - 3;
    flipped[last] = flipped[last] == 'A' ? 'B' : 'A';
    const auto other_app = crypt_for("wx0000000000000000").encrypt(text_document("hi"));
    const auto json_body = std::string(R"({"ToUserName":"gh_x","Encrypt":")") + encrypt + "\"}";
    const auto doctype_inside = crypt.encrypt("<!DOCTYPE xml [<!ENTITY x \"y\">]>" + text_document("&x;"));
    const auto not_a_message = crypt.encrypt("<xml><Foo>bar</Foo></xml>");
    const auto garbage = "not*base64!"s;
    const auto short_block = base64_encode("0123456789abcdef");

    struct Case {
        const char* name;
        net::QueryParams query;
        std::string body;
        push_errc expected;
    };
    const std::vector<Case> cases = {
        {"plaintext body", plain_query(), text_document("hi"), push_errc::not_encrypted},
        {"plaintext body with encrypt_type", with(plain_query(), "encrypt_type", "aes"), text_document("hi"),
         push_errc::not_encrypted},
        {"empty Encrypt", aes_query(""), safe_body(""), push_errc::not_encrypted},
        {"missing msg_signature", without(aes_query(encrypt), "msg_signature"), safe_body(encrypt),
         push_errc::bad_signature},
        {"wrong msg_signature", with(aes_query(encrypt), "msg_signature", wx_signature({"x"})),
         safe_body(encrypt), push_errc::bad_signature},
        {"wrong signature", with(aes_query(encrypt), "signature", wx_signature({"x"})), safe_body(encrypt),
         push_errc::bad_signature},
        {"tampered ciphertext, old msg_signature", aes_query(encrypt), safe_body(flipped),
         push_errc::bad_signature},
        {"tampered ciphertext, re-signed", aes_query(flipped), safe_body(flipped), push_errc::decrypt_failed},
        {"another AppID", aes_query(other_app), safe_body(other_app), push_errc::app_id_mismatch},
        {"garbage base64", aes_query(garbage), safe_body(garbage), push_errc::decrypt_failed},
        {"one AES block", aes_query(short_block), safe_body(short_block), push_errc::decrypt_failed},
        {"json body", aes_query(encrypt), json_body, push_errc::unsupported_format},
        {"doctype outside", aes_query(encrypt), "<!DOCTYPE xml>" + safe_body(encrypt),
         push_errc::malformed_payload},
        {"doctype inside", aes_query(doctype_inside), safe_body(doctype_inside),
         push_errc::malformed_payload},
        {"decrypts to no message", aes_query(not_a_message), safe_body(not_a_message),
         push_errc::malformed_payload},
        {"301 s old", aes_query(encrypt, "1409304047"), safe_body(encrypt), push_errc::stale_timestamp},
        {"301 s ahead", aes_query(encrypt, "1409304649"), safe_body(encrypt), push_errc::stale_timestamp},
        {"no timestamp", without(aes_query(encrypt, ""), "timestamp"), safe_body(encrypt),
         push_errc::stale_timestamp},
    };
    for (const auto& c : cases) {
        const auto push = endpoint.open(c.query, c.body, kNow);
        ASSERT_FALSE(push) << c.name;
        EXPECT_EQ(push.error(), make_error_code(c.expected)) << c.name << ": " << push.error().message();
    }
}

TEST(MpEndpointSafeTest, AcceptsTheSameTimestampAWhileLater) {
    // WeChat's retries re-use the request (PROTOCOLS §1.7); they arrive within seconds.
    const auto endpoint = make_endpoint(Mode::safe);
    const auto encrypt = crypt_for().encrypt(text_document("hi"));
    for (const auto now : {kNow + std::chrono::seconds(5), kNow + std::chrono::seconds(300),
                           kNow - std::chrono::seconds(300)}) {
        const auto push = endpoint.open(aes_query(encrypt), safe_body(encrypt), now);
        ASSERT_TRUE(push) << push.error().message();
    }
}

// ---------------------------------------------------------------------------------------------------------
// parse_message

InboundMessage expected(MessageKind kind) {
    InboundMessage m;
    m.channel = "wechat_mp";
    m.account = std::string(kAccount);
    m.sender = std::string(kUser);
    m.recipient = std::string(kOurId);
    m.kind = kind;
    m.platform_time = kCreateTime;
    m.received_at = kNow;
    return m;
}

struct KindCase {
    std::string name;
    std::string document;
    InboundMessage expected;
};

std::vector<KindCase> kind_cases() {
    std::vector<KindCase> cases;
    auto add = [&](std::string name, std::string doc, InboundMessage m) {
        cases.push_back({std::move(name), std::move(doc), std::move(m)});
    };
    auto with_id = [](InboundMessage m, std::string id) {
        m.platform_msg_id = std::move(id);
        return m;
    };
    {
        auto m = with_id(expected(MessageKind::text), "1234567890123456");
        m.text = "this is a test";
        add("Text", text_document("this is a test"), m);
    }
    {
        auto m = with_id(expected(MessageKind::text), "1234567890123456");
        add("TextEmpty", text_document(""), m);
        add("TextWithoutContent", document("text", number_field("MsgId", 1234567890123456)), m);
    }
    {
        auto m = with_id(expected(MessageKind::text), "1234567890123456");
        m.text = "电梯坏了😡🛗 第3次\n请尽快";
        add("TextChineseEmojiNewline", text_document("电梯坏了😡🛗 第3次\n请尽快"), m);
    }
    {
        auto m = with_id(expected(MessageKind::text), "1234567890123456");
        m.text = "a<b>&c]]>d";
        add("TextWithEntities",
            document("text",
                     "<Content>a&lt;b&gt;&amp;c]]&gt;d</Content>" + number_field("MsgId", 1234567890123456)),
            m);
    }
    {
        auto m = with_id(expected(MessageKind::image), "6054768590064713728");
        m.attachments.push_back({"image", "media_image_1", "http://mmbiz.qpic.cn/pic.jpg", ""});
        add("Image",
            document("image", cdata_field("PicUrl", "http://mmbiz.qpic.cn/pic.jpg") +
                                  cdata_field("MediaId", "media_image_1") +
                                  number_field("MsgId", 6054768590064713728)),
            m);
    }
    {
        auto m = with_id(expected(MessageKind::voice), "1234567890123456");
        m.text = "三号楼电梯坏了";
        m.attachments.push_back({"voice", "media_voice_1", "", "amr"});
        add("VoiceWithRecognition",
            document("voice", cdata_field("MediaId", "media_voice_1") + cdata_field("Format", "amr") +
                                  cdata_field("Recognition", "三号楼电梯坏了") +
                                  number_field("MsgId", 1234567890123456)),
            m);
    }
    {
        auto m = with_id(expected(MessageKind::voice), "1234567890123456");
        m.attachments.push_back({"voice", "media_voice_2", "", "speex"});
        add("VoiceWithoutRecognition",
            document("voice", cdata_field("MediaId", "media_voice_2") + cdata_field("Format", "speex") +
                                  number_field("MsgId", 1234567890123456)),
            m);
    }
    for (const std::string type : {"video", "shortvideo"}) {
        auto m = with_id(expected(MessageKind::video), "1234567890123456");
        m.attachments.push_back({"video", "media_" + type, "", ""});
        add(type == "video" ? "Video" : "ShortVideo",
            document(type, cdata_field("MediaId", "media_" + type) + cdata_field("ThumbMediaId", "thumb") +
                               number_field("MsgId", 1234567890123456)),
            m);
    }
    {
        auto m = with_id(expected(MessageKind::location), "1234567890123456");
        m.text = "广州市海珠区新港中路397号";
        m.location = GeoPoint{23.134521, 113.358803, 20, "广州市海珠区新港中路397号"};
        add("Location",
            document("location",
                     "<Location_X>23.134521</Location_X><Location_Y>113.358803</Location_Y>"
                     "<Scale>20</Scale>" +
                         cdata_field("Label", "广州市海珠区新港中路397号") +
                         number_field("MsgId", 1234567890123456)),
            m);
    }
    {
        auto m = with_id(expected(MessageKind::location), "1234567890123456");
        m.location = GeoPoint{-33.8688, -151.2093, 0, ""};
        add("LocationSouthWestWithoutScaleOrLabel",
            document("location", "<Location_X>-33.8688</Location_X><Location_Y>-151.2093</Location_Y>" +
                                     number_field("MsgId", 1234567890123456)),
            m);
    }
    {
        auto m = with_id(expected(MessageKind::link), "1234567890123456");
        m.text = "停车收费公示\nhttps://example.com/notice?id=1&x=2";
        add("Link",
            document("link", cdata_field("Title", "停车收费公示") + cdata_field("Description", "说明") +
                                 cdata_field("Url", "https://example.com/notice?id=1&x=2") +
                                 number_field("MsgId", 1234567890123456)),
            m);
    }
    {
        auto m = with_id(expected(MessageKind::link), "1234567890123456");
        m.text = "https://example.com/";
        add("LinkWithoutTitle",
            document("link",
                     cdata_field("Url", "https://example.com/") + number_field("MsgId", 1234567890123456)),
            m);
    }
    add("Subscribe", event_document("subscribe"), expected(MessageKind::subscribe));
    add("SubscribeWithEmptyKey", event_document("subscribe", ""), expected(MessageKind::subscribe));
    {
        auto m = expected(MessageKind::subscribe);
        m.event_key = "123123";
        add("SubscribeViaQrScene",
            document("event", cdata_field("Event", "subscribe") + cdata_field("EventKey", "qrscene_123123") +
                                  cdata_field("Ticket", "TICKET")),
            m);
    }
    add("Unsubscribe", event_document("unsubscribe", ""), expected(MessageKind::unsubscribe));
    {
        auto m = expected(MessageKind::menu_click);
        m.event_key = "REPORT_REPAIR";
        m.text = "REPORT_REPAIR";
        add("MenuClick", event_document("CLICK", "REPORT_REPAIR"), m);
    }
    {
        auto m = expected(MessageKind::scan);
        m.event_key = "123123";
        add("Scan",
            document("event", cdata_field("Event", "SCAN") + cdata_field("EventKey", "123123") +
                                  cdata_field("Ticket", "TICKET")),
            m);
    }
    {
        auto m = expected(MessageKind::other_event);
        m.event_key = "http://www.qq.com";
        m.text = "VIEW";
        add("ViewIsOtherEvent",
            document("event", cdata_field("Event", "VIEW") + cdata_field("EventKey", "http://www.qq.com") +
                                  cdata_field("MenuId", "1")),
            m);
    }
    {
        auto m = expected(MessageKind::other_event);
        m.text = "LOCATION";
        add("LocationReportIsOtherEvent",
            document("event", cdata_field("Event", "LOCATION") + "<Latitude>23.137466</Latitude>"
                                                                 "<Longitude>113.352425</Longitude>"
                                                                 "<Precision>119.385040</Precision>"),
            m);
    }
    {
        auto m = with_id(expected(MessageKind::other_event), "1234567890123456");
        m.text = "miniprogrampage";
        add("UnknownMsgType",
            document("miniprogrampage", cdata_field("Title", "t") + number_field("MsgId", 1234567890123456)),
            m);
    }
    {
        // V4-style plaintext without CDATA is just as good.
        auto m = with_id(expected(MessageKind::text), "1456453720");
        m.text = "你好";
        add("TextWithoutCdata",
            "<xml><ToUserName>gh_7f083739789a</ToUserName><FromUserName>oia2TjjewbmiOUlr6X-1crbLOvLw</"
            "FromUserName><CreateTime>1409304348</CreateTime><MsgType>text</MsgType><Content>你好</"
            "Content><MsgId>1456453720</MsgId></xml>",
            m);
    }
    return cases;
}

void PrintTo(const KindCase& c, std::ostream* os) { *os << c.name; }

class MpParseMessageKindTest : public ::testing::TestWithParam<KindCase> {};

TEST_P(MpParseMessageKindTest, ParsesEveryKind) {
    const auto& c = GetParam();
    const auto m = parse_message(c.document, kAccount, kNow);
    ASSERT_TRUE(m) << m.error().message();
    EXPECT_FALSE(m->dedupe_key.empty());
    auto want = c.expected;
    want.dedupe_key = m->dedupe_key;  // its form is checked by the de-duplication tests below
    EXPECT_EQ(describe(*m), describe(want));
    EXPECT_EQ(*m, want);
    EXPECT_EQ(m->conversation_key(), "wechat_mp/estate/" + std::string(kUser));
}

INSTANTIATE_TEST_SUITE_P(Kinds, MpParseMessageKindTest, ::testing::ValuesIn(kind_cases()),
                         [](const auto& test_info) { return test_info.param.name; });

TEST(MpParseMessageErrorsTest, RequiredFieldsAndBadXmlAreMalformed) {
    struct Case {
        const char* name;
        std::string document;
    };
    const std::string content = cdata_field("Content", "hi");
    const std::vector<Case> cases = {
        {"no FromUserName", "<xml>" + cdata_field("ToUserName", kOurId) + number_field("CreateTime", 1) +
                                cdata_field("MsgType", "text") + content + "</xml>"},
        {"empty FromUserName", document("text", content, "")},
        {"no CreateTime",
         "<xml>" + cdata_field("FromUserName", kUser) + cdata_field("MsgType", "text") + content + "</xml>"},
        {"CreateTime not a number", "<xml>" + cdata_field("FromUserName", kUser) +
                                        "<CreateTime>yesterday</CreateTime>" +
                                        cdata_field("MsgType", "text") + "</xml>"},
        {"no MsgType",
         "<xml>" + cdata_field("FromUserName", kUser) + number_field("CreateTime", 1) + content + "</xml>"},
        {"empty MsgType", document("", content)},
        {"empty", ""},
        {"plain text", "我是中文abcd123"},
        {"two roots", text_document("a") + text_document("b")},
        {"unclosed", "<xml><FromUserName>x</FromUserName>"},
        {"doctype", "<!DOCTYPE xml>" + text_document("hi")},
        {"entity", "<!DOCTYPE xml [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>" + text_document("&e;")},
    };
    for (const auto& c : cases) {
        const auto m = parse_message(c.document, kAccount, kNow);
        ASSERT_FALSE(m) << c.name;
        EXPECT_EQ(m.error(), make_error_code(push_errc::malformed_payload)) << c.name;
    }
}

TEST(MpParseMessageTest, RemovesControlCharactersFromContent) {
    // WeChat forwards whatever the resident typed, including characters XML 1.0 forbids.
    EXPECT_EQ(parsed(text_document("a\x1d"
                                   "b\x01"
                                   "c"))
                  .text,
              "abc");
    EXPECT_EQ(parsed(document("text", "<Content>x&#x1d;y&#1;z</Content>")).text, "xyz");
    // Tabs and newlines are kept; CR LF becomes LF, as XML 1.0 §2.11 prescribes for any parser.
    EXPECT_EQ(parsed(text_document("line1\r\n\tline2")).text, "line1\n\tline2");
    // Broken UTF-8 becomes U+FFFD, so the journal's JSON never chokes on it.
    EXPECT_EQ(parsed(text_document("ok\xff"
                                   "ok"))
                  .text,
              "ok\xEF\xBF\xBDok");
}

TEST(MpParseMessageTest, KeepsLargeMsgIdsExactly) {
    EXPECT_EQ(parsed(text_document("hi", 9223372036854775807)).platform_msg_id, "9223372036854775807");
    EXPECT_EQ(parsed(document("text", "<MsgId>18446744073709551615</MsgId>")).platform_msg_id,
              "18446744073709551615");
}

// ---------------------------------------------------------------------------------------------------------
// de-duplication keys (PROTOCOLS §1.7)

TEST(MpDedupeKeyTest, ARedeliveryHasTheSameKey) {
    const auto first = parsed(text_document("hi"), kNow);
    const auto again = parsed(text_document("hi"), kNow + std::chrono::seconds(5));
    EXPECT_EQ(first.dedupe_key, again.dedupe_key);

    const auto event = parsed(event_document("CLICK", "K"), kNow);
    const auto event_again = parsed(event_document("CLICK", "K"), kNow + std::chrono::seconds(10));
    EXPECT_EQ(event.dedupe_key, event_again.dedupe_key);

    // Plain and safe-mode deliveries of one message are the same message.
    const auto endpoint = make_endpoint(Mode::compatible);
    const auto encrypt = crypt_for().encrypt(text_document("hi"));
    const auto safe = endpoint.open(aes_query(encrypt), safe_body(encrypt), kNow);
    const auto plain = endpoint.open(plain_query(), text_document("hi"), kNow);
    ASSERT_TRUE(safe && plain);
    EXPECT_EQ(safe->message.dedupe_key, plain->message.dedupe_key);
    EXPECT_EQ(safe->message.dedupe_key, first.dedupe_key);
}

TEST(MpDedupeKeyTest, TwoUsersWithTheSameMsgIdDiffer) {
    // WXJ issue #333: bare MsgId collided between users sending voice at the same moment.
    const auto a = parsed(text_document("hi", 42, kUser));
    const auto b = parsed(text_document("hi", 42, kOtherUser));
    EXPECT_NE(a.dedupe_key, b.dedupe_key);
}

TEST(MpDedupeKeyTest, PartsContainingTheOldSeparatorDoNotCollide) {
    // Event keys are often URLs; a '/'-joined key would make ("VIEW", "a/b") and ("VIEW/a", "b") one.
    const auto a = parsed(event_document("VIEW", "a/b"));
    const auto b = parsed(event_document("VIEW/a", "b"));
    EXPECT_NE(a.dedupe_key, b.dedupe_key);
}

TEST(MpDedupeKeyTest, AccountsDiffer) {
    const auto doc = text_document("hi");
    const auto a = parse_message(doc, "estate-a", kNow);
    const auto b = parse_message(doc, "estate-b", kNow);
    ASSERT_TRUE(a && b);
    EXPECT_NE(a->dedupe_key, b->dedupe_key);
}

TEST(MpDedupeKeyTest, EventsInTheSameSecondDifferByEventAndKey) {
    const std::vector<std::string> keys = {
        parsed(event_document("subscribe")).dedupe_key,
        parsed(event_document("unsubscribe")).dedupe_key,
        parsed(event_document("CLICK", "A")).dedupe_key,
        parsed(event_document("CLICK", "B")).dedupe_key,
        parsed(event_document("VIEW", "http://a")).dedupe_key,
        parsed(event_document("SCAN", "A")).dedupe_key,
        parsed(event_document("CLICK", "A", kOtherUser)).dedupe_key,
        parsed(event_document("CLICK", "A", kUser, kCreateTime + 1)).dedupe_key,
    };
    for (std::size_t i = 0; i < keys.size(); ++i) {
        for (std::size_t j = i + 1; j < keys.size(); ++j) {
            EXPECT_NE(keys[i], keys[j]) << i << " vs " << j << ": " << keys[i];
        }
    }
}

TEST(MpDedupeKeyTest, MessagesWithoutMsgIdUseSenderTimeAndType) {
    const auto no_id = [](std::string_view type, std::string_view from = kUser,
                          std::int64_t create_time = kCreateTime) {
        return parsed(document(type, cdata_field("Content", "x"), from, create_time));
    };
    const auto a = no_id("text");
    EXPECT_FALSE(a.dedupe_key.empty());
    EXPECT_TRUE(a.platform_msg_id.empty());
    EXPECT_EQ(a.dedupe_key, no_id("text").dedupe_key);
    EXPECT_NE(a.dedupe_key, no_id("image").dedupe_key);
    EXPECT_NE(a.dedupe_key, no_id("text", kOtherUser).dedupe_key);
    EXPECT_NE(a.dedupe_key, no_id("text", kUser, kCreateTime + 1).dedupe_key);
    // And never the key of a message that has a MsgId.
    EXPECT_NE(a.dedupe_key, parsed(text_document("x")).dedupe_key);
}

// ---------------------------------------------------------------------------------------------------------
// render_text_reply

TEST(MpReplyTest, PlainReplySwapsAddresses) {
    const auto endpoint = make_endpoint(Mode::safe);
    const auto to = parsed(text_document("hi"));
    const auto now = at(1'800'000'000);
    const auto xml = endpoint.render_text_reply(to, "你好", /*encrypt=*/false, now, "123");
    EXPECT_EQ(xml,
              "<xml><ToUserName><![CDATA[oia2TjjewbmiOUlr6X-1crbLOvLw]]></ToUserName>"
              "<FromUserName><![CDATA[gh_7f083739789a]]></FromUserName><CreateTime>1800000000</CreateTime>"
              "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好]]></Content></xml>");
}

TEST(MpReplyTest, PlainReplyRoundTripsAwkwardText) {
    const auto endpoint = make_endpoint(Mode::plain);
    const auto to = parsed(text_document("hi"));
    for (const std::string_view text :
         {"]]>"sv, "a]]>b]]>c"sv, "<xml>&amp;</xml>"sv, "多行\n文本 😀"sv, "]]]]><![CDATA[>"sv, "]"sv}) {
        const auto xml = endpoint.render_text_reply(to, text, false, kNow, "n");
        const auto fields = parse_fields(xml);
        ASSERT_TRUE(fields) << xml;
        EXPECT_EQ(fields->value_or("Content", "<missing>"), text) << xml;
        EXPECT_EQ(fields->value_or("ToUserName", ""), kUser);
        EXPECT_EQ(fields->value_or("FromUserName", ""), kOurId);
        EXPECT_EQ(fields->value_or("MsgType", ""), "text");
        EXPECT_EQ(fields->value_or("CreateTime", ""), kV1Timestamp);
    }
    // Characters XML cannot carry are dropped rather than breaking the document.
    const auto xml = endpoint.render_text_reply(to,
                                                "a\x01"
                                                "b",
                                                false, kNow, "n");
    const auto fields = parse_fields(xml);
    ASSERT_TRUE(fields) << xml;
    EXPECT_EQ(fields->value_or("Content", ""), "ab");
}

TEST(MpReplyTest, EncryptedReplyDecryptsAndIsSigned) {
    const auto endpoint = make_endpoint(Mode::safe);
    const auto to = parsed(text_document("hi"));
    const auto now = at(1'800'000'000);
    const auto xml = endpoint.render_text_reply(to, "已收到 ]]> 😀", /*encrypt=*/true, now, "nonce42");
    const auto envelope = parse_fields(xml);
    ASSERT_TRUE(envelope) << xml;
    const auto encrypt = envelope->value_or("Encrypt", "");
    ASSERT_FALSE(encrypt.empty()) << xml;
    EXPECT_EQ(envelope->value_or("TimeStamp", ""), "1800000000");
    EXPECT_EQ(envelope->value_or("Nonce", ""), "nonce42");
    EXPECT_EQ(envelope->value_or("MsgSignature", ""),
              wx_signature({kToken, "1800000000", "nonce42", encrypt}));
    EXPECT_EQ(envelope->get("Content"), std::nullopt);  // nothing in clear

    const auto inner = crypt_for().decrypt_with_receive_id(encrypt);
    ASSERT_TRUE(inner) << inner.error().message();
    EXPECT_EQ(inner->receive_id, kAppId);
    EXPECT_EQ(inner->message, endpoint.render_text_reply(to, "已收到 ]]> 😀", false, now, "ignored"));
    const auto fields = parse_fields(inner->message);
    ASSERT_TRUE(fields);
    EXPECT_EQ(fields->value_or("Content", ""), "已收到 ]]> 😀");
    EXPECT_EQ(fields->value_or("ToUserName", ""), kUser);
    EXPECT_EQ(fields->value_or("FromUserName", ""), kOurId);
    EXPECT_EQ(fields->value_or("CreateTime", ""), "1800000000");

    // Fresh randomness: the same reply twice is two different ciphertexts.
    const auto again = parse_fields(endpoint.render_text_reply(to, "已收到 ]]> 😀", true, now, "nonce42"));
    ASSERT_TRUE(again);
    EXPECT_NE(again->value_or("Encrypt", ""), encrypt);
}

TEST(MpReplyTest, AnOddNonceCannotBreakTheEnvelope) {
    const auto endpoint = make_endpoint(Mode::safe);
    const auto xml = endpoint.render_text_reply(parsed(text_document("hi")), "ok", true, kNow, "]]><x>&");
    const auto envelope = parse_fields(xml);
    ASSERT_TRUE(envelope) << xml;
    EXPECT_EQ(envelope->value_or("Nonce", ""), "]]><x>&");
    EXPECT_EQ(envelope->value_or("MsgSignature", ""),
              wx_signature({kToken, kV1Timestamp, "]]><x>&", envelope->value_or("Encrypt", "")}));
}

}  // namespace
}  // namespace anju::adapters::wechat_mp
