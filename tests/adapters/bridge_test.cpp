// The bridge protocol (adapters/bridge/bridge.hpp): the HMAC-SHA256 signature against a vector
// computed independently with `openssl dgst -sha256 -hmac`, the Verifier's replay window and replay
// refusal, parse() naming the wrong field, the JSON answers, and BridgeClient's outbound posts
// (signed, outcome per status) against FakeHttpClient.
#include "adapters/bridge/bridge.hpp"

#include "tests/support/async.hpp"
#include "tests/support/fake_http_client.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cctype>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace anju::adapters::bridge {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using time_point = std::chrono::system_clock::time_point;

// printf '%s' '1764205200{"type":"message","text":"电梯坏了"}' |
//     openssl dgst -sha256 -hmac 'bridge-secret-for-tests'
constexpr std::string_view kVectorSecret = "bridge-secret-for-tests";
constexpr std::string_view kVectorTimestamp = "1764205200";
constexpr std::string_view kVectorBody = R"({"type":"message","text":"电梯坏了"})";
constexpr std::string_view kVectorSignature =
    "d21d173b4b3d7244c5d01c372ea44e5dd81a34d0b87d03b034dc64a2841cc231";

constexpr std::int64_t kNow = 1764205200;

time_point at(std::int64_t unix_seconds) { return time_point(std::chrono::seconds(unix_seconds)); }

Secret secret() { return Secret(std::string(kVectorSecret)); }

TEST(BridgeSignTest, MatchesAnIndependentlyComputedVector) {
    EXPECT_EQ(sign(secret(), kVectorTimestamp, kVectorBody), kVectorSignature);
    // printf '' | openssl dgst -sha256 -hmac 'k'
    EXPECT_EQ(sign(Secret(std::string("k")), "", ""),
              "8bb990c40a7d61cb97597a942125025be50ac8beb74436e3735b98893a7f6620");
}

TEST(BridgeSignTest, DependsOnEveryInput) {
    const auto base = sign(secret(), kVectorTimestamp, kVectorBody);
    EXPECT_NE(sign(Secret(std::string("other-secret")), kVectorTimestamp, kVectorBody), base);
    EXPECT_NE(sign(secret(), "1764205201", kVectorBody), base);
    EXPECT_NE(sign(secret(), kVectorTimestamp, std::string(kVectorBody) + " "), base);
}

class BridgeVerifierTest : public ::testing::Test {
protected:
    Verifier verifier_{secret(), 300s};

    boost::system::result<void, Refused> check(std::string_view body, std::int64_t ts,
                                               std::int64_t now = kNow) {
        const auto t = std::to_string(ts);
        return verifier_.check(t, sign(secret(), t, body), body, at(now));
    }
};

TEST_F(BridgeVerifierTest, AcceptsAGoodSignature) {
    EXPECT_TRUE(verifier_.check(kVectorTimestamp, kVectorSignature, kVectorBody, at(kNow)));
}

TEST_F(BridgeVerifierTest, RefusesABadSignature) {
    std::string wrong(kVectorSignature);
    wrong.back() = wrong.back() == '1' ? '2' : '1';
    auto r = verifier_.check(kVectorTimestamp, wrong, kVectorBody, at(kNow));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().reason, Refusal::bad_signature);
    // Upper-case hex, a truncated one, none at all, or a signature of another body.
    std::string upper(kVectorSignature);
    for (auto& c : upper) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    for (const std::string& sig : {upper, std::string(kVectorSignature.substr(0, 32)), std::string(),
                                   sign(secret(), kVectorTimestamp, "{}")}) {
        auto refused = verifier_.check(kVectorTimestamp, sig, kVectorBody, at(kNow));
        ASSERT_FALSE(refused) << sig;
        EXPECT_EQ(refused.error().reason, Refusal::bad_signature) << sig;
    }
    // The body changed after signing.
    auto tampered = verifier_.check(kVectorTimestamp, kVectorSignature,
                                    R"({"type":"message","text":"电梯好了"})", at(kNow));
    ASSERT_FALSE(tampered);
    EXPECT_EQ(tampered.error().reason, Refusal::bad_signature);
}

TEST_F(BridgeVerifierTest, RefusesAMissingOrGarbledTimestamp) {
    for (const std::string_view ts :
         {"", "abc", "1764205200x", " 1764205200", "1.5e9", "99999999999999999999999"}) {
        auto r = verifier_.check(ts, sign(secret(), ts, kVectorBody), kVectorBody, at(kNow));
        ASSERT_FALSE(r) << ts;
        EXPECT_EQ(r.error().reason, Refusal::stale_timestamp) << ts;
        EXPECT_NE(r.error().message.find(kTimestampHeader), std::string::npos) << r.error().message;
    }
}

TEST_F(BridgeVerifierTest, RefusesTimestampsOutsideTheWindowOnBothSides) {
    for (const std::int64_t ts : {kNow - 301, kNow + 301, kNow - 86400, std::int64_t{0}, std::int64_t{-5}}) {
        auto r = check(R"({"n":1})", ts);
        ASSERT_FALSE(r) << ts;
        EXPECT_EQ(r.error().reason, Refusal::stale_timestamp) << ts;
    }
    // The edges of the window are inside it.
    EXPECT_TRUE(check(R"({"n":2})", kNow - 300));
    EXPECT_TRUE(check(R"({"n":3})", kNow + 300));
}

TEST_F(BridgeVerifierTest, RefusesAReplayInsideTheWindowAndAcceptsTheBodyResigned) {
    EXPECT_TRUE(check(kVectorBody, kNow));
    auto again = check(kVectorBody, kNow, kNow + 10);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().reason, Refusal::replayed);
    // Still refused near the end of the window.
    auto late = check(kVectorBody, kNow, kNow + 299);
    ASSERT_FALSE(late);
    EXPECT_EQ(late.error().reason, Refusal::replayed);
    // After the window the same request is stale, not replayed.
    auto stale = check(kVectorBody, kNow, kNow + 301);
    ASSERT_FALSE(stale);
    EXPECT_EQ(stale.error().reason, Refusal::stale_timestamp);
    // The same body signed again with a new timestamp is a new request.
    EXPECT_TRUE(check(kVectorBody, kNow + 1, kNow + 10));
    EXPECT_TRUE(check(kVectorBody, kNow + 400, kNow + 400));
}

TEST_F(BridgeVerifierTest, ARefusedRequestIsNotRememberedAsSeen) {
    // A bad signature must not use up the good request's place.
    const auto t = std::to_string(kNow);
    EXPECT_FALSE(verifier_.check(t, std::string(64, '0'), kVectorBody, at(kNow)));
    EXPECT_TRUE(check(kVectorBody, kNow));
}

TEST_F(BridgeVerifierTest, AFutureTimestampStaysRememberedUntilItIsStale) {
    // Accepted 5 minutes ahead of our clock; 9 minutes later its timestamp is still in the window,
    // so the replay must still be known.
    EXPECT_TRUE(check(kVectorBody, kNow + 300, kNow));
    EXPECT_TRUE(check(R"({"other":1})", kNow + 540, kNow + 540));  // prunes what is old
    auto again = check(kVectorBody, kNow + 300, kNow + 540);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().reason, Refusal::replayed);
}

// ---- parse ----

json message() {
    return json{{"type", "message"},
                {"msgid", "m-1"},
                {"group", {{"id", "g-1"}, {"name", "阳光花园3栋业主群"}}},
                {"sender", {{"id", "u-7"}, {"name", "3栋李先生"}}},
                {"text", "@安居 3号楼电梯又坏了"},
                {"mentioned", true}};
}

Refused refusal_of(const json& body) {
    auto r = parse(body.dump());
    EXPECT_FALSE(r) << body.dump();
    return r ? Refused{} : r.error();
}

TEST(BridgeParseTest, ReadsAMessage) {
    auto r = parse(message().dump());
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->type, "message");
    EXPECT_EQ(r->msgid, "m-1");
    EXPECT_EQ(r->group, "g-1");
    EXPECT_EQ(r->group_name, "阳光花园3栋业主群");
    EXPECT_EQ(r->sender, "u-7");
    EXPECT_EQ(r->sender_name, "3栋李先生");
    EXPECT_EQ(r->text, "@安居 3号楼电梯又坏了");
    EXPECT_TRUE(r->mentioned);
}

TEST(BridgeParseTest, OptionalFieldsMayBeAbsent) {
    auto body = message();
    body["group"].erase("name");
    body["sender"].erase("name");
    body.erase("mentioned");
    body.erase("text");
    auto r = parse(body.dump());
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(r->mentioned);  // absent means mentioned
    EXPECT_EQ(r->text, "");
    EXPECT_EQ(r->group_name, "");
    body["mentioned"] = false;
    auto quiet = parse(body.dump());
    ASSERT_TRUE(quiet);
    EXPECT_FALSE(quiet->mentioned);
}

TEST(BridgeParseTest, NumericIdsAreRead) {
    auto body = message();
    body["msgid"] = 1234567890123;
    body["group"]["id"] = 42;
    body["sender"]["id"] = 7;
    auto r = parse(body.dump());
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->msgid, "1234567890123");
    EXPECT_EQ(r->group, "42");
    EXPECT_EQ(r->sender, "7");
}

TEST(BridgeParseTest, AnUnknownTypeIsAcceptedToBeIgnored) {
    auto r = parse(R"({"type":"member_joined","group":{"id":"g-1"},"whatever":[1,2]})");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->type, "member_joined");
    EXPECT_EQ(r->msgid, "");
}

TEST(BridgeParseTest, InvalidJsonAndNonObjectsAreBadJson) {
    for (const std::string_view body : {"", "{", "not json", "{\"type\":\"message\",}", "\xff\xfe"}) {
        auto r = parse(body);
        ASSERT_FALSE(r) << body;
        EXPECT_EQ(r.error().reason, Refusal::bad_json) << body;
    }
    for (const std::string_view body :
         {"[]", "[{\"type\":\"message\"}]", "\"message\"", "42", "null", "true"}) {
        auto r = parse(body);
        ASSERT_FALSE(r) << body;
        EXPECT_EQ(r.error().reason, Refusal::bad_json) << body;
        EXPECT_EQ(r.error().message, "the body must be a JSON object");
    }
}

struct FieldCase {
    const char* name;
    std::function<void(json&)> spoil;
    std::string_view field;  // the message starts with it
};

TEST(BridgeParseTest, EveryFieldErrorNamesItsField) {
    const std::vector<FieldCase> cases = {
        {"type missing", [](json& j) { j.erase("type"); }, "type"},
        {"type a number", [](json& j) { j["type"] = 1.5; }, "type"},
        {"type an integer", [](json& j) { j["type"] = 1; }, "type"},
        {"msgid missing", [](json& j) { j.erase("msgid"); }, "msgid"},
        {"msgid empty", [](json& j) { j["msgid"] = ""; }, "msgid"},
        {"msgid too long", [](json& j) { j["msgid"] = std::string(129, 'm'); }, "msgid"},
        {"group missing", [](json& j) { j.erase("group"); }, "group"},
        {"group a string", [](json& j) { j["group"] = "g-1"; }, "group"},
        {"group.id missing", [](json& j) { j["group"].erase("id"); }, "group.id"},
        {"group.id null", [](json& j) { j["group"]["id"] = nullptr; }, "group.id"},
        {"group.id with ':'", [](json& j) { j["group"]["id"] = "g:1"; }, "group.id"},
        {"group.id with a space", [](json& j) { j["group"]["id"] = "g 1"; }, "group.id"},
        {"group.id too long", [](json& j) { j["group"]["id"] = std::string(129, 'g'); }, "group.id"},
        {"group.name an object", [](json& j) { j["group"]["name"] = json::object(); }, "group.name"},
        {"group.name a number", [](json& j) { j["group"]["name"] = 3; }, "group.name"},
        {"sender missing", [](json& j) { j.erase("sender"); }, "sender"},
        {"sender.id missing", [](json& j) { j["sender"].erase("id"); }, "sender.id"},
        {"sender.id with '/'", [](json& j) { j["sender"]["id"] = "u/7"; }, "sender.id"},
        {"sender.id with '|'", [](json& j) { j["sender"]["id"] = "u|7"; }, "sender.id"},
        {"sender.id an array", [](json& j) { j["sender"]["id"] = json::array({"u"}); }, "sender.id"},
        {"sender.name a bool", [](json& j) { j["sender"]["name"] = true; }, "sender.name"},
        {"text a number", [](json& j) { j["text"] = 3; }, "text"},
        {"text an array", [](json& j) { j["text"] = json::array({"@安居"}); }, "text"},
        {"text an object",
         [](json& j) {
             j["text"] = json{{"content", "hi"}};
         },
         "text"},
        {"mentioned a string", [](json& j) { j["mentioned"] = "true"; }, "mentioned"},
        {"mentioned a number", [](json& j) { j["mentioned"] = 1; }, "mentioned"},
    };
    for (const auto& c : cases) {
        auto body = message();
        c.spoil(body);
        const auto refused = refusal_of(body);
        EXPECT_EQ(refused.reason, Refusal::bad_field) << c.name;
        // The name, then a space: "group.id …" is not taken for "group …".
        EXPECT_TRUE(refused.message.starts_with(std::string(c.field) + " "))
            << c.name << ": " << refused.message;
    }
}

TEST(BridgeParseTest, InvalidUtf8InsideAStringIsBadJson) {
    // Valid JSON escapes cannot make invalid UTF-8, but a raw invalid byte inside a string can.
    const std::string body =
        "{\"type\":\"message\",\"msgid\":\"m\",\"group\":{\"id\":\"g\"},"
        "\"sender\":{\"id\":\"u\"},\"text\":\"\xc3\"}";
    auto r = parse(body);
    ASSERT_FALSE(r);
    // nlohmann refuses the invalid byte while parsing.
    EXPECT_EQ(r.error().reason, Refusal::bad_json);
}

TEST(BridgeParseTest, OddTextIsKeptAsItIs) {
    auto body = message();
    body["text"] = "@安居 😀🏠 电梯\u3000坏了\n\t" + std::string(3000, 'x');
    auto r = parse(body.dump());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->text, body["text"].get<std::string>());
}

// ---- the answers ----

TEST(BridgeRenderTest, AnswersAreTheDocumentedJson) {
    EXPECT_EQ(json::parse(render_ok()), (json{{"ok", true}}));
    EXPECT_EQ(json::parse(render_reply("收到，已登记", {"u-7"})),
              (json{{"ok", true}, {"reply", {{"text", "收到，已登记"}, {"mention", {"u-7"}}}}}));
    const auto refused = json::parse(render_refused({Refusal::bad_field, "group.id is missing"}));
    EXPECT_EQ(refused, (json{{"ok", false}, {"error", "bad_field"}, {"message", "group.id is missing"}}));
    for (const auto r : {Refusal::bad_signature, Refusal::stale_timestamp, Refusal::replayed,
                         Refusal::bad_json, Refusal::bad_field, Refusal::unavailable}) {
        EXPECT_FALSE(to_string(r).empty());
    }
    EXPECT_EQ(to_string(Refusal::replayed), "replayed");
    EXPECT_EQ(to_string(Refusal::stale_timestamp), "stale_timestamp");
    EXPECT_EQ(to_string(Refusal::unavailable), "unavailable");
}

// ---- outbound ----

class BridgeClientTest : public ::testing::Test {
protected:
    BridgeClient::Result post(std::string text = "【进展】工单 K7M3PX 已接单") {
        return anju::testing::run_coro(
            ioc_, client_.post("T1:grp:claim@bridge/owners/g-3", "g-3", std::move(text), {"u-7"}, at(kNow)));
    }

    asio::io_context ioc_;
    anju::testing::FakeHttpClient http_;
    BridgeClient client_{http_, "http://127.0.0.1:9/out", secret(), 2s};
};

TEST_F(BridgeClientTest, PostsASignedGroupMessage) {
    http_.push_json(200, R"({"ok":true})");
    const auto result = post();
    EXPECT_EQ(result.outcome, BridgeClient::Outcome::delivered);
    const auto requests = http_.requests();
    ASSERT_EQ(requests.size(), 1U);
    const auto& r = requests[0];
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.url, "http://127.0.0.1:9/out");
    EXPECT_EQ(r.timeout, 2s);
    const auto ts = net::find_header(r.headers, kTimestampHeader);
    const auto sig = net::find_header(r.headers, kSignatureHeader);
    ASSERT_TRUE(ts && sig);
    EXPECT_EQ(*ts, std::to_string(kNow));
    EXPECT_EQ(*sig, sign(secret(), *ts, r.body));
    // A Verifier on the bridge's side accepts it.
    Verifier theirs(secret(), 300s);
    EXPECT_TRUE(theirs.check(*ts, *sig, r.body, at(kNow + 2)));
    EXPECT_EQ(json::parse(r.body), (json{{"type", "group_message"},
                                         {"id", "T1:grp:claim@bridge/owners/g-3"},
                                         {"group", "g-3"},
                                         {"text", "【进展】工单 K7M3PX 已接单"},
                                         {"mention", {"u-7"}}}));
}

TEST_F(BridgeClientTest, AnOverlongTextIsCutOnACharacterBoundary) {
    http_.push_json(200, "{}");
    std::string text;
    for (int i = 0; i < 2000; ++i) {
        text += "电";  // 3 bytes each: 6000 bytes
    }
    EXPECT_EQ(post(text).outcome, BridgeClient::Outcome::delivered);
    const auto sent = json::parse(http_.requests().at(0).body)["text"].get<std::string>();
    EXPECT_LE(sent.size(), kMaxTextBytes);
    EXPECT_EQ(sent.size() % 3, 0U);
    EXPECT_TRUE(text.starts_with(sent));
}

TEST_F(BridgeClientTest, OutcomesFollowTheStatusAndTheTransportError) {
    http_.push_json(204, "");
    http_.push_json(400, R"({"error":"unknown group"})");
    http_.push_json(404, "");
    http_.push_json(429, "");
    http_.push_json(500, "");
    http_.push_json(503, "");
    http_.push_error(net::errc::connection_refused);
    http_.push_error(net::errc::timeout);
    using O = BridgeClient::Outcome;
    EXPECT_EQ(post().outcome, O::delivered);
    auto refused = post();
    EXPECT_EQ(refused.outcome, O::refused);
    EXPECT_EQ(refused.error, "HTTP 400");
    EXPECT_EQ(post().outcome, O::refused);
    EXPECT_EQ(post().outcome, O::retry);
    EXPECT_EQ(post().outcome, O::retry);
    EXPECT_EQ(post().outcome, O::retry);
    EXPECT_EQ(post().outcome, O::retry);            // refused before the request left: send again
    EXPECT_EQ(post().outcome, O::maybe_delivered);  // it may have arrived
}

TEST(BridgeClientNoUrlTest, WithoutAnOutboundUrlNothingIsSent) {
    asio::io_context ioc;
    anju::testing::FakeHttpClient http;
    BridgeClient client(http, "", secret(), 2s);
    const auto result = anju::testing::run_coro(ioc, client.post("k", "g-1", "hi", {}, at(kNow)));
    EXPECT_EQ(result.outcome, BridgeClient::Outcome::refused);
    EXPECT_TRUE(http.requests().empty());
}

}  // namespace
}  // namespace anju::adapters::bridge
