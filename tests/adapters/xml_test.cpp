#include "adapters/common/xml.hpp"

#include "bot/core/text.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace anju::adapters {
namespace {

using Items = std::vector<std::pair<std::string, std::string>>;

Items items_of(std::string_view document) {
    auto fields = parse_fields(document);
    if (!fields) {
        ADD_FAILURE() << "parse failed: " << fields.error().message() << " for " << document;
        return {};
    }
    return fields->items;
}

boost::system::error_code error_of(std::string_view document) {
    auto fields = parse_fields(document);
    if (fields) {
        return {};
    }
    return fields.error();
}

TEST(ParseFieldsTest, PlainAndCdataText) {
    const std::string_view doc =
        "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName>fromUser</FromUserName>"
        "<CreateTime>1348831860</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        "<Content><![CDATA[this is a test]]></Content><MsgId>1234567890123456</MsgId></xml>";
    const Items expected{{"ToUserName", "toUser"},      {"FromUserName", "fromUser"},
                         {"CreateTime", "1348831860"},  {"MsgType", "text"},
                         {"Content", "this is a test"}, {"MsgId", "1234567890123456"}};
    EXPECT_EQ(items_of(doc), expected);
}

TEST(ParseFieldsTest, ConcatenatesMixedPcdataAndCdata) {
    EXPECT_EQ(items_of("<xml><a>x<![CDATA[<y>]]>z<![CDATA[]]>w</a></xml>"), (Items{{"a", "x<y>zw"}}));
}

TEST(ParseFieldsTest, AnyRootNameAndWhitespaceBetweenElements) {
    EXPECT_EQ(items_of("\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<root>\n  <a>1</a>\n  "
                       "<b>2</b>\n</root>\n"),
              (Items{{"a", "1"}, {"b", "2"}}));
}

TEST(ParseFieldsTest, NestedElementsBecomeDottedPaths) {
    const std::string_view doc =
        "<xml><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[scancode_push]]></Event>"
        "<ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType><ScanResult><![CDATA[1]]></ScanResult></"
        "ScanCodeInfo>"
        "<Video><MediaId><![CDATA[m1]]></MediaId><Title>t</Title></Video></xml>";
    const Items expected{{"MsgType", "event"},
                         {"Event", "scancode_push"},
                         {"ScanCodeInfo.ScanType", "qrcode"},
                         {"ScanCodeInfo.ScanResult", "1"},
                         {"Video.MediaId", "m1"},
                         {"Video.Title", "t"}};
    EXPECT_EQ(items_of(doc), expected);
}

TEST(ParseFieldsTest, RepeatedNamesKeepEveryOccurrenceInOrder) {
    const std::string_view doc =
        "<xml><ArticleCount>2</ArticleCount><Articles>"
        "<item><Title><![CDATA[one]]></Title><Url>u1</Url></item>"
        "<item><Title><![CDATA[two]]></Title><Url>u2</Url></item></Articles></xml>";
    const auto fields = parse_fields(doc);
    ASSERT_TRUE(fields);
    const Items expected{{"ArticleCount", "2"},
                         {"Articles.item.Title", "one"},
                         {"Articles.item.Url", "u1"},
                         {"Articles.item.Title", "two"},
                         {"Articles.item.Url", "u2"}};
    EXPECT_EQ(fields->items, expected);
    EXPECT_EQ(fields->get("Articles.item.Title"), "one");
}

TEST(ParseFieldsTest, EmptyContentIsPresentAndEmpty) {
    for (const std::string_view doc : {"<xml><Content></Content></xml>", "<xml><Content/></xml>",
                                       "<xml><Content><![CDATA[]]></Content></xml>"}) {
        const auto fields = parse_fields(doc);
        ASSERT_TRUE(fields) << doc;
        EXPECT_EQ(fields->get("Content"), "") << doc;
        EXPECT_EQ(fields->value_or("Content", "fallback"), "") << doc;
        EXPECT_EQ(fields->get("Missing"), std::nullopt) << doc;
        EXPECT_EQ(fields->value_or("Missing", "fallback"), "fallback") << doc;
    }
}

TEST(ParseFieldsTest, KeepsWhitespaceAndIgnoresAttributesAndComments) {
    EXPECT_EQ(items_of("<xml><!-- note --><a id=\"1\">  two  words\n</a><b>\t</b></xml>"),
              (Items{{"a", "  two  words\n"}, {"b", "\t"}}));
}

TEST(ParseFieldsTest, DecodesEntitiesAndCharacterReferences) {
    EXPECT_EQ(items_of("<xml><a>&lt;b&gt; &amp; &quot;&apos; &#20320;&#x597D; &#x1F44D;</a></xml>"),
              (Items{{"a", "<b> & \"' 你好 👍"}}));
    // Unknown entities and stray ampersands are kept as text (there is no DTD to define them).
    EXPECT_EQ(items_of("<xml><a>&foo; a&b &#xZZ; &;</a></xml>"), (Items{{"a", "&foo; a&b &#xZZ; &;"}}));
    // Entities are not decoded inside CDATA.
    EXPECT_EQ(items_of("<xml><a><![CDATA[&lt;&#65;]]></a></xml>"), (Items{{"a", "&lt;&#65;"}}));
}

TEST(ParseFieldsTest, StripsXmlIllegalCharacters) {
    // PROTOCOLS §7 pitfall 8: WeChat forwards user text with e.g. \x1d; a strict parser would reject the
    // push.
    const std::string doc = std::string("<xml><Content><![CDATA[a\x1d") + "b]]></Content><Plain>c\x01" +
                            std::string(1, '\0') + "d\x0b\x0c" + "e\xEF\xBF\xBE\xEF\xBF\xBF" +
                            "f</Plain></xml>";
    EXPECT_EQ(items_of(doc), (Items{{"Content", "ab"}, {"Plain", "cdef"}}));
    // References to illegal characters are dropped too; &#0; must not truncate the value.
    EXPECT_EQ(items_of("<xml><a>x&#0;y&#x1d;z&#xD800;&#xFFFE;&#x110000;!</a></xml>"), (Items{{"a", "xyz!"}}));
    // Tab, newline, DEL and C1 controls are legal XML and kept.
    EXPECT_EQ(items_of("<xml><a>\t\n\x7f\xC2\x85</a></xml>"), (Items{{"a", "\t\n\x7f\xC2\x85"}}));
}

TEST(ParseFieldsTest, ReplacesInvalidUtf8WithReplacementCharacter) {
    const auto items = items_of("<xml><a>ok\xFF\xE4\xBD</a><b\xC0>x</b\xC0></xml>");
    ASSERT_EQ(items.size(), 2u);
    EXPECT_EQ(items[0], (std::pair<std::string, std::string>{"a", "ok\xEF\xBF\xBD\xEF\xBF\xBD"}));
    EXPECT_EQ(items[1], (std::pair<std::string, std::string>{"b\xEF\xBF\xBD", "x"}));
    for (const auto& [name, value] : items) {
        EXPECT_TRUE(is_valid_utf8(name));
        EXPECT_TRUE(is_valid_utf8(value));
    }
}

TEST(ParseFieldsTest, RefusesDtdsAndEntities) {
    const std::string_view documents[] = {
        // Billion laughs.
        "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
        "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
        "<!ENTITY lol3 "
        "\"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]><lolz>&lol3;</lolz>",
        // External entity (XXE).
        "<?xml version=\"1.0\"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
        "<xml><Content>&xxe;</Content></xml>",
        "<!DOCTYPE xml SYSTEM \"http://example.invalid/x.dtd\"><xml><a>1</a></xml>",
        "<!DOCTYPE xml><xml><a>1</a></xml>",
        "<!doctype xml><xml><a>1</a></xml>",
        "<xml><a>1</a></xml><!DOCTYPE xml>",
        "<xml><!DOCTYPE xml><a>1</a></xml>",
        "<!ENTITY a \"b\"><xml/>",
        "<xml><!ENTITY a \"b\"><a>1</a></xml>",
        "<xml><!ELEMENT a ANY><a>1</a></xml>",
    };
    for (const std::string_view doc : documents) {
        EXPECT_EQ(error_of(doc), make_error_code(xml_errc::forbidden_dtd)) << doc;
    }
}

TEST(ParseFieldsTest, DeclarationTextInsideCdataOrCommentIsJustText) {
    EXPECT_EQ(items_of("<xml><!-- <!DOCTYPE x> --><Content><![CDATA[<!DOCTYPE x [<!ENTITY a "
                       "\"b\">]>]]></Content></xml>"),
              (Items{{"Content", "<!DOCTYPE x [<!ENTITY a \"b\">]>"}}));
}

TEST(ParseFieldsTest, RejectsMalformedDocuments) {
    const std::string_view documents[] = {
        "",
        "   \n",
        "hello",
        "<?xml version=\"1.0\"?>",
        "<xml><a>1</a>",                               // truncated
        "<xml><a>1</a></xml",                          // truncated
        "<xml><Content><![CDATA[abc</Content></xml>",  // unterminated CDATA
        "<xml><a>1</b></xml>",                         // mismatched tags
        "<xml><a>x < y</a></xml>",                     // raw '<'
        "<xml><a b=1>x</a></xml>",                     // unquoted attribute
        "<xml/><xml/>",                                // two roots
        "<xml><a>1</a></xml>trailing",                 // text after the root
        "leading<xml><a>1</a></xml>",                  // text before the root
        "<![CDATA[x]]><xml/>",                         // CDATA outside the root
        "<1xml/>",                                     // bad name
    };
    for (const std::string_view doc : documents) {
        EXPECT_EQ(error_of(doc), make_error_code(xml_errc::malformed)) << doc;
    }
}

std::string flat_document(std::size_t children) {
    std::string doc = "<xml>";
    for (std::size_t i = 0; i < children; ++i) {
        doc += "<a>1</a>";
    }
    doc += "</xml>";
    return doc;
}

std::string nested_document(std::size_t depth) {
    std::string doc;
    for (std::size_t i = 0; i < depth; ++i) {
        doc += "<a>";
    }
    doc += "x";
    for (std::size_t i = 0; i < depth; ++i) {
        doc += "</a>";
    }
    return doc;
}

TEST(ParseFieldsTest, EnforcesSizeLimits) {
    // 5 MB of elements: refused before parsing.
    EXPECT_EQ(error_of(flat_document(5 * 1024 * 1024 / 8)), make_error_code(xml_errc::too_large));
    EXPECT_EQ(error_of(std::string(kMaxXmlBytes + 1, ' ')), make_error_code(xml_errc::too_large));

    // Element count, the root included.
    EXPECT_EQ(items_of(flat_document(kMaxXmlElements - 1)).size(), kMaxXmlElements - 1);
    EXPECT_EQ(error_of(flat_document(kMaxXmlElements)), make_error_code(xml_errc::too_large));
    EXPECT_EQ(error_of(flat_document(100'000)), make_error_code(xml_errc::too_large));

    // Depth, the root being depth 1.
    EXPECT_EQ(items_of(nested_document(kMaxXmlDepth)), (Items{{"a.a.a.a.a.a.a", "x"}}));
    EXPECT_EQ(error_of(nested_document(kMaxXmlDepth + 1)), make_error_code(xml_errc::too_large));
    // Very deep nesting within the byte limit does not exhaust the stack.
    EXPECT_EQ(error_of(nested_document(100'000)), make_error_code(xml_errc::too_large));
}

TEST(StripXmlIllegalTest, RemovesIllegalAndRepairsUtf8) {
    struct Case {
        std::string input;
        std::string expected;
    };
    const Case cases[] = {
        {"plain 你好 👍", "plain 你好 👍"},
        {"a\x1d"
         "b",
         "ab"},
        {std::string("a\0b", 3), "ab"},
        {"\x01\x02\x03\x08\x0b\x0c\x0e\x1f", ""},
        {"\t\n\r", "\t\n\r"},
        {"x\xEF\xBF\xBEy\xEF\xBF\xBFz\xEF\xBF\xBD", "xyz\xEF\xBF\xBD"},
        {"bad\xFF", "bad\xEF\xBF\xBD"},
        {"\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(strip_xml_illegal(c.input), c.expected) << c.input;
    }
}

TEST(CdataTest, WrapsAndSplitsTerminator) {
    EXPECT_EQ(cdata(""), "<![CDATA[]]>");
    EXPECT_EQ(cdata("你好"), "<![CDATA[你好]]>");
    EXPECT_EQ(cdata("a]]>b"), "<![CDATA[a]]]]><![CDATA[>b]]>");
    EXPECT_EQ(cdata("a\x1d"
                    "b"),
              "<![CDATA[ab]]>");
}

TEST(CdataTest, RoundTripsThroughParseFields) {
    const std::string texts[] = {
        "",
        "]]>",
        "]]>]]>",
        "a]]>b]]]>c]]",
        "]",
        "]]",
        ">",
        "<![CDATA[x]]>",
        "x]]>\n]]>y",
        "&lt;",
        "你好]]>👍🏻",
        " spaced ",
    };
    for (const std::string& text : texts) {
        const std::string doc = "<xml><Content>" + cdata(text) + "</Content></xml>";
        const auto fields = parse_fields(doc);
        ASSERT_TRUE(fields) << doc;
        EXPECT_EQ(fields->get("Content"), text) << doc;
    }
    // Illegal characters are removed on the way out.
    const auto fields = parse_fields("<xml><Content>" +
                                     cdata("a\x1d]]>\x01"
                                           "b") +
                                     "</Content></xml>");
    ASSERT_TRUE(fields);
    EXPECT_EQ(fields->get("Content"), "a]]>b");
}

TEST(EscapeTextTest, EscapesMarkupCharacters) {
    EXPECT_EQ(escape_text("a<b>&\"'c\x1d"), "a&lt;b&gt;&amp;&quot;&apos;c");
    const auto fields = parse_fields("<xml><a>" + escape_text("1<2 & \"x\"") + "</a></xml>");
    ASSERT_TRUE(fields);
    EXPECT_EQ(fields->get("a"), "1<2 & \"x\"");
}

TEST(XmlErrcTest, Category) {
    const boost::system::error_code ec = xml_errc::forbidden_dtd;
    EXPECT_STREQ(ec.category().name(), "anju.xml");
    EXPECT_EQ(ec.value(), 2);
    EXPECT_FALSE(ec.message().empty());
}

}  // namespace
}  // namespace anju::adapters
