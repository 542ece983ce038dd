#include "bot/core/metrics.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>
#include <vector>

namespace anju::metrics {
namespace {

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

TEST(MetricsRegistry, RendersCountersWithLabels) {
    Registry registry;
    auto& requests = registry.counter("http_requests_total", "Requests served.", {"route", "status"});
    requests.with({"/healthz", "200"}).inc();
    requests.with({"/healthz", "200"}).inc(2);
    requests.with({"/wechat/mp/{id}", "403"}).inc();
    const auto text = registry.render();
    EXPECT_TRUE(contains(text, "# HELP http_requests_total Requests served.\n"));
    EXPECT_TRUE(contains(text, "# TYPE http_requests_total counter\n"));
    EXPECT_TRUE(contains(text, "http_requests_total{route=\"/healthz\",status=\"200\"} 3\n")) << text;
    EXPECT_TRUE(contains(text, "http_requests_total{route=\"/wechat/mp/{id}\",status=\"403\"} 1\n")) << text;
}

TEST(MetricsRegistry, RendersCumulativeHistogramBuckets) {
    Registry registry;
    auto& latency = registry.histogram("latency_seconds", "Latency.", {}, {0.1, 1});
    auto& h = latency.with({});
    h.observe(0.05);
    h.observe(0.1);
    h.observe(0.5);
    h.observe(3);
    const auto text = registry.render();
    EXPECT_TRUE(contains(text, "latency_seconds_bucket{le=\"0.1\"} 2\n")) << text;
    EXPECT_TRUE(contains(text, "latency_seconds_bucket{le=\"1\"} 3\n")) << text;
    EXPECT_TRUE(contains(text, "latency_seconds_bucket{le=\"+Inf\"} 4\n")) << text;
    EXPECT_TRUE(contains(text, "latency_seconds_count 4\n")) << text;
    EXPECT_TRUE(contains(text, "latency_seconds_sum 3.65\n")) << text;
}

TEST(MetricsRegistry, ReadsCallbackGaugesAtScrapeTime) {
    Registry registry;
    double depth = 3;
    registry.gauge_callback("store_queue_depth", "Jobs queued.", [&] { return depth; });
    EXPECT_TRUE(contains(registry.render(), "store_queue_depth 3\n"));
    depth = 7;
    EXPECT_TRUE(contains(registry.render(), "store_queue_depth 7\n"));
}

TEST(MetricsRegistry, EscapesLabelValues) {
    Registry registry;
    registry.gauge("g", "A gauge.", {"name"}).with({"a\"b\\c\nd"}).set(-2);
    EXPECT_TRUE(contains(registry.render(), "g{name=\"a\\\"b\\\\c\\nd\"} -2\n")) << registry.render();
}

TEST(MetricsRegistry, SharesAFamilyRegisteredTwiceAlike) {
    Registry registry;
    auto& first = registry.counter("pushes_total", "Pushes.", {"account"});
    auto& second = registry.counter("pushes_total", "Pushes.", {"account"});
    EXPECT_EQ(&first, &second);
    first.with({"a"}).inc();
    second.with({"b"}).inc();
    const auto text = registry.render();
    EXPECT_EQ(text.find("# TYPE pushes_total"), text.rfind("# TYPE pushes_total"));
}

TEST(MetricsRegistry, RefusesConflictingAndInvalidNames) {
    Registry registry;
    registry.counter("a_total", "A.");
    EXPECT_THROW(registry.gauge("a_total", "again"), std::invalid_argument);
    EXPECT_THROW(registry.counter("a_total", "again", {"label"}), std::invalid_argument);
    registry.gauge_callback("depth", "D.", [] { return 1.0; });
    EXPECT_THROW(registry.counter("depth", "D."), std::invalid_argument);
    EXPECT_THROW(registry.gauge("1abc", "bad"), std::invalid_argument);
    EXPECT_THROW(registry.gauge("with space", "bad"), std::invalid_argument);
}

TEST(MetricsRegistry, CountsConcurrentIncrementsExactly) {
    Registry registry;
    auto& family = registry.counter("c_total", "C.", {"k"});
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&family] {
            for (int i = 0; i < 10'000; ++i) {
                family.with({"x"}).inc();
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(family.with({"x"}).value(), 40'000U);
}

}  // namespace
}  // namespace anju::metrics
