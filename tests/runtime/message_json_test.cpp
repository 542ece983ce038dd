// The journal's JSON forms of InboundMessage and Reply: lossless round trips, and refusal of anything that
// is not a journaled message.
#include "bot/runtime/message_json.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <ostream>
#include <string>
#include <vector>

namespace anju::runtime {
namespace {

using json = nlohmann::json;

InboundMessage base(MessageKind kind) {
    InboundMessage m;
    m.channel = "wechat_mp";
    m.account = "estate";
    m.sender = "oia2TjjewbmiOUlr6X-1crbLOvLw";
    m.recipient = "gh_7f083739789a";
    m.kind = kind;
    m.platform_msg_id = "1234567890123456";
    m.dedupe_key = "wechat_mp/estate/m/1234567890123456/oia2TjjewbmiOUlr6X-1crbLOvLw/1409304348";
    m.platform_time = 1'409'304'348;
    // The journal keeps milliseconds.
    m.received_at = Clock::time_point{std::chrono::milliseconds{1'795'741'200'123}};
    return m;
}

struct KindCase {
    std::string name;
    InboundMessage message;
};

void PrintTo(const KindCase& c, std::ostream* os) { *os << c.name; }

std::vector<KindCase> kind_cases() {
    std::vector<KindCase> cases;
    {
        auto m = base(MessageKind::text);
        m.text = "三号楼电梯又坏了😡，第3次了！\n\t\"引号\" \\ 反斜杠 \u0001";
        cases.push_back({"Text", m});
    }
    {
        auto m = base(MessageKind::text);
        cases.push_back({"EmptyText", m});
    }
    {
        auto m = base(MessageKind::image);
        m.attachments.push_back({"image", "media_image_1", "http://mmbiz.qpic.cn/pic.jpg?a=1&b=2", ""});
        m.attachments.push_back({"image", "media_image_2", "", ""});
        cases.push_back({"Image", m});
    }
    {
        auto m = base(MessageKind::voice);
        m.text = "漏水";
        m.attachments.push_back({"voice", "media_voice", "", "amr"});
        cases.push_back({"Voice", m});
    }
    {
        auto m = base(MessageKind::video);
        m.attachments.push_back({"video", "media_video", "", ""});
        cases.push_back({"Video", m});
    }
    {
        auto m = base(MessageKind::location);
        m.text = "广州市海珠区新港中路397号";
        m.location = GeoPoint{23.134521, 113.358803, 20, "广州市海珠区新港中路397号"};
        cases.push_back({"Location", m});
    }
    {
        auto m = base(MessageKind::location);
        m.location = GeoPoint{-33.868800000000001, -151.20930000000001, 0, ""};
        cases.push_back({"LocationSouthWest", m});
    }
    {
        auto m = base(MessageKind::location);
        m.location = GeoPoint{0.1 + 0.2, 1e-300, -5, "🏠"};
        cases.push_back({"LocationAwkwardNumbers", m});
    }
    {
        auto m = base(MessageKind::link);
        m.text = "停车收费公示\nhttps://example.com/notice?id=1";
        cases.push_back({"Link", m});
    }
    {
        auto m = base(MessageKind::subscribe);
        m.platform_msg_id.clear();
        m.event_key = "123123";
        cases.push_back({"Subscribe", m});
    }
    {
        auto m = base(MessageKind::unsubscribe);
        m.platform_msg_id.clear();
        cases.push_back({"Unsubscribe", m});
    }
    {
        auto m = base(MessageKind::menu_click);
        m.event_key = "REPORT_REPAIR";
        m.text = "REPORT_REPAIR";
        cases.push_back({"MenuClick", m});
    }
    {
        auto m = base(MessageKind::scan);
        m.event_key = "scene";
        cases.push_back({"Scan", m});
    }
    {
        auto m = base(MessageKind::other_event);
        m.text = "VIEW";
        m.event_key = "http://www.qq.com";
        cases.push_back({"OtherEvent", m});
    }
    {
        auto m = base(MessageKind::text);
        m.channel = "web";
        m.account.clear();
        m.recipient.clear();
        m.platform_msg_id.clear();
        m.platform_time = 0;
        m.received_at = Clock::time_point{};
        cases.push_back({"Minimal", m});
    }
    {
        auto m = base(MessageKind::text);
        m.platform_time = -1;
        m.received_at = Clock::time_point{std::chrono::milliseconds{-5}};
        cases.push_back({"NegativeTimes", m});
    }
    return cases;
}

class MessageJsonKindTest : public ::testing::TestWithParam<KindCase> {};

TEST_P(MessageJsonKindTest, RoundTrips) {
    const auto& m = GetParam().message;
    const auto text = to_json(m);
    const auto back = inbound_from_json(text);
    ASSERT_TRUE(back) << text;
    EXPECT_EQ(*back, m) << text;
    EXPECT_EQ(to_json(*back), text);
    // It is a JSON object with the kind by name, readable by anything that reads the journal.
    const auto j = json::parse(text);
    EXPECT_EQ(j.at("kind").get<std::string>(), to_string(m.kind));
}

INSTANTIATE_TEST_SUITE_P(Kinds, MessageJsonKindTest, ::testing::ValuesIn(kind_cases()),
                         [](const auto& test_info) { return test_info.param.name; });

TEST(MessageJsonTest, EveryKindHasAName) {
    for (int k = 0; k <= static_cast<int>(MessageKind::other_event); ++k) {
        auto m = base(static_cast<MessageKind>(k));
        const auto back = inbound_from_json(to_json(m));
        ASSERT_TRUE(back) << k;
        EXPECT_EQ(back->kind, m.kind) << k;
    }
}

TEST(MessageJsonTest, InvalidUtf8IsReplacedNotThrown) {
    auto m = base(MessageKind::text);
    m.text = "ok\xff\xfe bad \xe6\x88 truncated \xc0\xaf overlong";
    m.sender = "user\x80";
    m.attachments.push_back({"image", "id\xff", "", ""});
    m.location = GeoPoint{1, 2, 3, "label\xf0\x9f"};
    std::string text;
    ASSERT_NO_THROW(text = to_json(m));
    const auto back = inbound_from_json(text);
    ASSERT_TRUE(back) << text;
    // Every bad byte became U+FFFD; the valid parts are intact.
    EXPECT_EQ(back->text.find("\xff"), std::string::npos);
    EXPECT_NE(back->text.find("\xEF\xBF\xBD"), std::string::npos);
    EXPECT_TRUE(back->text.starts_with("ok"));
    EXPECT_NE(back->text.find(" bad "), std::string::npos);
    EXPECT_TRUE(back->text.ends_with(" overlong"));
    EXPECT_EQ(back->sender, "user\xEF\xBF\xBD");
    ASSERT_EQ(back->attachments.size(), 1U);
    EXPECT_EQ(back->attachments[0].media_id, "id\xEF\xBF\xBD");
    ASSERT_TRUE(back->location);
    EXPECT_TRUE(back->location->label.starts_with("label"));
    EXPECT_EQ(back->location->label.find("\xf0\x9f"), std::string::npos);
    // What comes back is valid UTF-8: it serialises again the same way.
    EXPECT_EQ(to_json(*back), text);
}

TEST(MessageJsonTest, RefusesWhatIsNotAJournaledMessage) {
    const auto good = json::parse(to_json(base(MessageKind::text)));
    auto without = [&](const char* key) {
        auto j = good;
        j.erase(key);
        return j.dump();
    };
    auto with = [&](const char* key, json value) {
        auto j = good;
        j[key] = std::move(value);
        return j.dump();
    };
    struct Case {
        const char* name;
        std::string text;
    };
    const std::vector<Case> cases = {
        {"empty", ""},
        {"garbage", "not json at all"},
        {"truncated", good.dump().substr(0, 40)},
        {"array", "[1,2,3]"},
        {"string", "\"text\""},
        {"null", "null"},
        {"number", "42"},
        {"empty object", "{}"},
        {"invalid utf-8 in the json", "{\"channel\":\"\xff\"}"},
        {"no kind", without("kind")},
        {"unknown kind", with("kind", "sticker")},
        {"kind in other case", with("kind", "TEXT")},
        {"kind not a string", with("kind", 0)},
        {"no channel", without("channel")},
        {"empty channel", with("channel", "")},
        {"no sender", without("sender")},
        {"sender not a string", with("sender", 5)},
        {"no dedupe key", without("dedupe_key")},
        {"empty dedupe key", with("dedupe_key", "")},
    };
    for (const auto& c : cases) {
        std::optional<InboundMessage> m;
        ASSERT_NO_THROW(m = inbound_from_json(c.text)) << c.name;
        EXPECT_FALSE(m) << c.name;
    }
}

TEST(MessageJsonTest, ToleratesOddOptionalFields) {
    // A journal row written by an older or newer anju: optional fields missing, of another type, or extra.
    auto j = json::parse(to_json(base(MessageKind::image)));
    j.erase("account");
    j.erase("recipient");
    j["text"] = 5;
    j["platform_time"] = "soon";
    j["received_at_ms"] = 1.5;
    j["attachments"] = json::array({json{{"kind", "image"}, {"media_id", "m"}}, json(7), json("x")});
    j["location"] = json::array();
    j["future_field"] = {{"nested", true}};
    const auto m = inbound_from_json(j.dump());
    ASSERT_TRUE(m);
    EXPECT_EQ(m->account, "");
    EXPECT_EQ(m->recipient, "");
    EXPECT_EQ(m->text, "");
    EXPECT_EQ(m->platform_time, 0);
    EXPECT_EQ(m->received_at, Clock::time_point{});
    ASSERT_EQ(m->attachments.size(), 1U);
    EXPECT_EQ(m->attachments[0], (Attachment{"image", "m", "", ""}));
    EXPECT_FALSE(m->location);
}

TEST(MessageJsonTest, KeepsLargeIntegersExactly) {
    auto m = base(MessageKind::text);
    m.platform_time = 9'223'372'036'854'775'807;
    m.platform_msg_id = "18446744073709551615";
    const auto back = inbound_from_json(to_json(m));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->platform_time, m.platform_time);
    EXPECT_EQ(back->platform_msg_id, m.platform_msg_id);
}

TEST(ReplyJsonTest, RoundTrips) {
    const std::vector<Reply> replies = {
        Reply{},
        Reply{{"您好，已收到您的消息。"}},
        Reply{{"第一段", "", "第三段 😀\n换行 \"引号\" \\"}},
    };
    for (const auto& r : replies) {
        const auto text = to_json(r);
        const auto back = reply_from_json(text);
        ASSERT_TRUE(back) << text;
        EXPECT_EQ(*back, r) << text;
    }
    EXPECT_EQ(to_json(Reply{{"a", "b"}}), R"({"texts":["a","b"]})");
}

TEST(ReplyJsonTest, InvalidUtf8IsReplaced) {
    std::string text;
    ASSERT_NO_THROW(text = to_json(Reply{{"ok\xff"}}));
    const auto back = reply_from_json(text);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->texts, std::vector<std::string>{"ok\xEF\xBF\xBD"});
}

TEST(ReplyJsonTest, RefusesGarbageAndSkipsNonStrings) {
    for (const char* bad : {"", "garbage", "[]", "\"texts\"", "null", "{\"texts\":"}) {
        std::optional<Reply> r;
        ASSERT_NO_THROW(r = reply_from_json(bad)) << bad;
        EXPECT_FALSE(r) << bad;
    }
    const auto r = reply_from_json(R"({"texts":["a",1,null,"b",{"x":1}]})");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->texts, (std::vector<std::string>{"a", "b"}));
    const auto empty = reply_from_json(R"({"other":1})");
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->empty());
}

}  // namespace
}  // namespace anju::runtime
