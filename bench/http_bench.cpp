// A small HTTP load generator for anju (wrk-like): N keep-alive connections send GET requests back
// to back for a fixed time; prints requests/s and latency percentiles.
//
//   anju_http_bench --url http://127.0.0.1:8080/healthz --connections 32 --duration 10s --threads 1
#include "bot/core/units.hpp"
#include "bot/net/fwd.hpp"
#include "bot/net/url.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace anju::bench {
namespace {

using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Options {
    std::string url = "http://127.0.0.1:8080/healthz";
    unsigned connections = 32;
    unsigned threads = 1;
    std::chrono::milliseconds duration{10'000};
    std::chrono::milliseconds warmup{1'000};
};

struct Stats {
    std::vector<double> latencies_us;  // measured requests only (after warm-up)
    std::uint64_t non_2xx = 0;
    std::uint64_t errors = 0;
};

// One keep-alive connection sending requests until `end`; reconnects after errors.
asio::awaitable<void> connection(net::Url url, Clock::time_point measure_from, Clock::time_point end,
                                 Stats& stats) {
    auto ex = co_await asio::this_coro::executor;
    tcp::resolver resolver(ex);
    auto [rec, endpoints] = co_await resolver.async_resolve(url.host, std::to_string(url.port),
                                                            asio::as_tuple(asio::use_awaitable));
    if (rec) {
        ++stats.errors;
        co_return;
    }
    http::request<http::empty_body> request{http::verb::get, url.target, 11};
    request.set(http::field::host, url.authority());
    request.set(http::field::user_agent, "anju-http-bench");
    while (Clock::now() < end) {
        beast::tcp_stream stream(ex);
        auto [cec, ep] = co_await stream.async_connect(endpoints, asio::as_tuple(asio::use_awaitable));
        if (cec) {
            ++stats.errors;
            continue;
        }
        beast::flat_buffer buffer;
        while (Clock::now() < end) {
            const auto started = Clock::now();
            stream.expires_after(std::chrono::seconds(10));
            auto [wec, wn] = co_await http::async_write(stream, request, asio::as_tuple(asio::use_awaitable));
            if (wec) {
                ++stats.errors;
                break;
            }
            http::response<http::string_body> response;
            auto [hec, hn] =
                co_await http::async_read(stream, buffer, response, asio::as_tuple(asio::use_awaitable));
            if (hec) {
                ++stats.errors;
                break;
            }
            const auto finished = Clock::now();
            if (started >= measure_from) {
                stats.latencies_us.push_back(
                    std::chrono::duration<double, std::micro>(finished - started).count());
                if (response.result_int() / 100 != 2) {
                    ++stats.non_2xx;
                }
            }
            if (!response.keep_alive()) {
                break;
            }
        }
    }
}

bool parse_args(int argc, char** argv, Options& o) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        const bool has_value = i + 1 < argc;
        if (arg == "--url" && has_value) {
            o.url = argv[++i];
        } else if (arg == "--connections" && has_value) {
            o.connections = static_cast<unsigned>(std::strtoul(argv[++i], nullptr, 10));
        } else if (arg == "--threads" && has_value) {
            o.threads = static_cast<unsigned>(std::strtoul(argv[++i], nullptr, 10));
        } else if ((arg == "--duration" || arg == "--warmup") && has_value) {
            const auto d = parse_duration(argv[++i]);
            if (!d || d->is_working_days()) {
                std::fprintf(stderr, "http_bench: %s needs a duration such as 10s\n",
                             std::string(arg).c_str());
                return false;
            }
            (arg == "--duration" ? o.duration : o.warmup) = d->fixed;
        } else {
            std::fprintf(
                stderr,
                "usage: anju_http_bench [--url URL] [--connections N] [--threads N] [--duration 10s] "
                "[--warmup 1s]\n");
            return false;
        }
    }
    return o.connections > 0 && o.threads > 0;
}

double percentile(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) {
        return 0;
    }
    const auto index = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1) + 0.5);
    return sorted[std::min(index, sorted.size() - 1)];
}

}  // namespace
}  // namespace anju::bench

int main(int argc, char** argv) {
    using namespace anju::bench;
    Options options;
    if (!parse_args(argc, argv, options)) {
        return 2;
    }
    const auto url = anju::net::parse_url(options.url);
    if (!url || url->tls()) {
        std::fprintf(stderr, "http_bench: need an http:// URL\n");
        return 2;
    }
    const auto start = Clock::now();
    const auto measure_from = start + options.warmup;
    const auto end = measure_from + options.duration;

    std::vector<Stats> stats(options.connections);
    std::vector<std::unique_ptr<anju::asio::io_context>> contexts;
    for (unsigned t = 0; t < options.threads; ++t) {
        contexts.push_back(std::make_unique<anju::asio::io_context>(1));
    }
    for (unsigned c = 0; c < options.connections; ++c) {
        auto& ioc = *contexts[c % options.threads];
        anju::asio::co_spawn(ioc, connection(*url, measure_from, end, stats[c]), [](std::exception_ptr e) {
            if (e) {
                std::fprintf(stderr, "http_bench: a connection failed with an exception\n");
            }
        });
    }
    std::vector<std::thread> threads;
    for (auto& ioc : contexts) {
        threads.emplace_back([&ioc] { ioc->run(); });
    }
    for (auto& t : threads) {
        t.join();
    }

    std::vector<double> all;
    std::uint64_t non_2xx = 0;
    std::uint64_t errors = 0;
    for (const auto& s : stats) {
        all.insert(all.end(), s.latencies_us.begin(), s.latencies_us.end());
        non_2xx += s.non_2xx;
        errors += s.errors;
    }
    std::sort(all.begin(), all.end());
    const double seconds = std::chrono::duration<double>(options.duration).count();
    std::printf("url            %s\n", options.url.c_str());
    std::printf("connections    %u (client threads %u), %.1f s measured after %.1f s warm-up\n",
                options.connections, options.threads, seconds,
                std::chrono::duration<double>(options.warmup).count());
    std::printf("requests       %zu (non-2xx %llu, errors %llu)\n", all.size(),
                static_cast<unsigned long long>(non_2xx), static_cast<unsigned long long>(errors));
    std::printf("requests/s     %.0f\n", static_cast<double>(all.size()) / seconds);
    std::printf("latency        p50 %.0f us   p90 %.0f us   p99 %.0f us   max %.0f us\n", percentile(all, 50),
                percentile(all, 90), percentile(all, 99), all.empty() ? 0.0 : all.back());
    return errors == 0 && non_2xx == 0 ? 0 : 1;
}
