#include "bot/net/url.hpp"

#include "bot/net/http_client.hpp"

#include <gtest/gtest.h>

namespace anju::net {
namespace {

TEST(ParseUrl, SplitsHttpAndHttpsUrls) {
    auto u = parse_url("https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->scheme, "https");
    EXPECT_EQ(u->host, "api.weixin.qq.com");
    EXPECT_EQ(u->port, 443);
    EXPECT_EQ(u->target, "/cgi-bin/token?grant_type=client_credential");
    EXPECT_TRUE(u->tls());

    u = parse_url("http://127.0.0.1:8080");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->host, "127.0.0.1");
    EXPECT_EQ(u->port, 8080);
    EXPECT_EQ(u->target, "/");
    EXPECT_EQ(u->authority(), "127.0.0.1:8080");

    u = parse_url("HTTP://[::1]:9000/x#frag");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->scheme, "http");
    EXPECT_EQ(u->host, "::1");
    EXPECT_EQ(u->target, "/x");
    EXPECT_EQ(u->authority(), "[::1]:9000");

    u = parse_url("http://example.test?x=1");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->target, "/?x=1");
}

TEST(ParseUrl, RejectsWhatItCannotServe) {
    for (const char* bad :
         {"", "ftp://x/", "//x/", "http://", "http://:80/", "http://u:p@host/", "http://h:0/",
          "http://h:65536/", "http://h:8a/", "http://[::1/", "http://[::1]x/"}) {
        EXPECT_FALSE(parse_url(bad).has_value()) << bad;
    }
}

TEST(PercentDecode, DecodesEscapesAndOptionallyPlus) {
    EXPECT_EQ(percent_decode("a%20b%E7%94%B5", false), "a b\xE7\x94\xB5");
    EXPECT_EQ(percent_decode("a+b", false), "a+b");
    EXPECT_EQ(percent_decode("a+b", true), "a b");
    EXPECT_FALSE(percent_decode("%", false));
    EXPECT_FALSE(percent_decode("%4", false));
    EXPECT_FALSE(percent_decode("%zz", false));
}

TEST(PercentEncode, KeepsOnlyUnreservedCharacters) {
    EXPECT_EQ(percent_encode("a b/电~"), "a%20b%2F%E7%94%B5~");
    EXPECT_EQ(percent_decode(percent_encode("x=1&y=+"), false), "x=1&y=+");
}

TEST(ParseQuery, KeepsPlusSignsOfBase64Values) {
    const auto params = parse_query("signature=abc&echostr=a+b%2Bc%3D&&nonce=&flag&bad=%zz");
    EXPECT_EQ(find_param(params, "signature"), "abc");
    EXPECT_EQ(find_param(params, "echostr"), "a+b+c=");
    EXPECT_EQ(find_param(params, "nonce"), "");
    EXPECT_EQ(find_param(params, "flag"), "");
    EXPECT_EQ(find_param(params, "bad"), "%zz");
    EXPECT_FALSE(find_param(params, "missing"));
}

TEST(RedactUrl, DropsQueryAndKeepsWhereTheRequestWent) {
    EXPECT_EQ(redact_url("https://api.weixin.qq.com/cgi-bin/message/custom/send?access_token=SECRET"),
              "https://api.weixin.qq.com:443/cgi-bin/message/custom/send");
    EXPECT_EQ(redact_url("not a url"), "<invalid url>");
}

TEST(FindHeader, IgnoresCase) {
    const Headers headers{{"Content-Type", "text/xml"}, {"X-A", "1"}, {"x-a", "2"}};
    EXPECT_EQ(find_header(headers, "content-type"), "text/xml");
    EXPECT_EQ(find_header(headers, "X-a"), "1");
    EXPECT_FALSE(find_header(headers, "accept"));
}

}  // namespace
}  // namespace anju::net
