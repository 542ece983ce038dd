#include "bot/net/router.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace anju::net {
namespace {

Handler named(std::string /*name*/) {
    return [](ServerRequest) -> asio::awaitable<Response> { co_return Response{}; };
}

class RouterTest : public ::testing::Test {
protected:
    void SetUp() override {
        router_.add(http::verb::get, "/", named("root"));
        router_.add(http::verb::get, "/healthz", named("health"));
        router_.add(http::verb::get, "/wechat/mp/{id}", named("verify"));
        router_.add(http::verb::post, "/wechat/mp/{id}", named("push"));
        router_.add(http::verb::get, "/tickets/{code}/events/{seq}", named("event"));
        router_.add(http::verb::get, "/tickets/overdue", named("overdue"));
        router_.add(http::verb::get, "/tickets/{code}", named("ticket"));
        router_.add(http::verb::get, "/assets/{file...}", named("asset"));
    }
    Router router_;
};

TEST_F(RouterTest, MatchesLiteralRoutes) {
    auto m = router_.match(http::verb::get, "/healthz");
    EXPECT_EQ(m.outcome, Router::Outcome::found);
    EXPECT_EQ(m.route, "/healthz");
    EXPECT_TRUE(m.params.empty());
    EXPECT_EQ(router_.match(http::verb::get, "/").route, "/");
}

TEST_F(RouterTest, ExtractsAndDecodesPathParameters) {
    auto m = router_.match(http::verb::post, "/wechat/mp/main%20account");
    ASSERT_EQ(m.outcome, Router::Outcome::found);
    EXPECT_EQ(m.route, "/wechat/mp/{id}");
    ASSERT_EQ(m.params.size(), 1U);
    EXPECT_EQ(m.params[0], (std::pair<std::string, std::string>{"id", "main account"}));

    m = router_.match(http::verb::get, "/tickets/A7K3/events/12");
    ASSERT_EQ(m.outcome, Router::Outcome::found);
    EXPECT_EQ(m.params, (PathParams{{"code", "A7K3"}, {"seq", "12"}}));
}

TEST_F(RouterTest, LiteralSegmentsWinOverParameters) {
    EXPECT_EQ(router_.match(http::verb::get, "/tickets/overdue").route, "/tickets/overdue");
    EXPECT_EQ(router_.match(http::verb::get, "/tickets/B2C4").route, "/tickets/{code}");
}

TEST_F(RouterTest, RestParameterCapturesTheRemainingPath) {
    auto m = router_.match(http::verb::get, "/assets/css/site.css");
    ASSERT_EQ(m.outcome, Router::Outcome::found);
    EXPECT_EQ(m.params, (PathParams{{"file", "css/site.css"}}));
    EXPECT_EQ(router_.match(http::verb::get, "/assets").outcome, Router::Outcome::not_found);
}

TEST_F(RouterTest, UnknownPathsAreNotFound) {
    for (const char* path :
         {"/nope", "/healthz/extra", "/wechat/mp", "/wechat/mp/", "/wechat/mp/a/b", "/tickets/%zz"}) {
        EXPECT_EQ(router_.match(http::verb::get, path).outcome, Router::Outcome::not_found) << path;
    }
}

TEST_F(RouterTest, WrongMethodListsTheAllowedOnes) {
    auto m = router_.match(http::verb::delete_, "/wechat/mp/main");
    EXPECT_EQ(m.outcome, Router::Outcome::method_not_allowed);
    EXPECT_EQ(m.allowed, (std::vector<http::verb>{http::verb::get, http::verb::post}));
    EXPECT_EQ(m.handler, nullptr);
}

TEST_F(RouterTest, HeadFallsBackToGet) {
    auto m = router_.match(http::verb::head, "/healthz");
    EXPECT_EQ(m.outcome, Router::Outcome::found);
    EXPECT_EQ(m.route, "/healthz");
}

TEST(RouterSetup, RefusesMalformedAndDuplicatePatterns) {
    Router router;
    router.add(http::verb::get, "/a/{id}", named("a"));
    EXPECT_THROW(router.add(http::verb::get, "/a/{id}", named("again")), std::invalid_argument);
    EXPECT_THROW(router.add(http::verb::get, "no-slash", named("x")), std::invalid_argument);
    EXPECT_THROW(router.add(http::verb::get, "/a/{}", named("x")), std::invalid_argument);
    EXPECT_THROW(router.add(http::verb::get, "/a/x{id}", named("x")), std::invalid_argument);
    EXPECT_THROW(router.add(http::verb::get, "/a/{rest...}/more", named("x")), std::invalid_argument);
    EXPECT_NO_THROW(router.add(http::verb::post, "/a/{id}", named("post")));
}

}  // namespace
}  // namespace anju::net
