// End-to-end ingest benchmark of the WeChat Official Account channel over loopback: safe-mode
// encrypted text messages from many distinct residents go through anju's whole path (signature
// check, decryption, journal with group commit, turn, encrypted passive reply); every reply is
// checked (signature, decryption, content). Two modes:
//   saturation: --rate 0, each connection sends its next message as soon as the last is answered;
//   fixed rate: --rate N messages/s spread over the connections; latency is measured from each
//               message's scheduled time, so a stalled server cannot hide its queueing (no
//               coordinated omission).
// With --db, the journal is read afterwards to show that every message was durably recorded.
// With --send TEXT, it sends one message and prints the decrypted reply (a WeChat simulator).
#include "adapters/common/wx_crypt.hpp"
#include "adapters/common/xml.hpp"
#include "bot/core/units.hpp"
#include "bot/net/fwd.hpp"
#include "bot/net/url.hpp"

#include <SQLiteCpp/Database.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
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
using Steady = std::chrono::steady_clock;

struct Options {
    // The demo account of config/anju.json.
    std::string url = "http://127.0.0.1:8080/wechat/mp/demo";
    std::string token = "AnjuDemoToken2026";
    std::string aes_key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
    std::string app_id = "wxdemo0000000000001";
    unsigned residents = 10'000;
    unsigned connections = 32;
    unsigned threads = 1;
    double rate = 0;  // messages per second; 0 = saturation
    std::chrono::milliseconds duration{10'000};
    std::chrono::milliseconds warmup{2'000};
    std::string db;
    std::string send_text;
    bool any_reply = false;  // the dialog engine answers: any non-empty reply will do
};

struct Stats {
    std::vector<double> latencies_us;
    std::uint64_t sent = 0;
    std::uint64_t passive = 0;
    std::uint64_t not_passive = 0;  // "success": answer left through the customer-service API
    std::uint64_t bad_reply = 0;
    std::uint64_t errors = 0;
};

const char* kComplaints[] = {
    "3号楼2单元的电梯卡在5楼了，里面好像有人",
    "楼上漏水到我家了，天花板一直在滴水",
    "半夜装修吵死了，已经凌晨一点了",
    "物业费怎么多收了两百块？",
    "楼道灯不亮好几天了",
    "地库B2有车堵住了我的车位 🚗",
    "小区门禁卡刷不开",
    "垃圾两天没人清了，味道很大",
};

std::atomic<std::uint64_t> g_sequence{0};

struct Message {
    std::string target;
    std::string body;
    std::string expected;  // a substring the reply must contain
};

Message make_message(const Options& o, const adapters::WxCrypt& crypt, const net::Url& url, std::uint64_t seq,
                     std::string_view text_override = {}) {
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    const auto ts = std::to_string(now);
    const auto nonce = std::to_string(100'000'000 + seq % 900'000'000);
    const auto resident = "oBench" + std::to_string(seq % o.residents);
    const std::string text = text_override.empty() ? std::string(kComplaints[seq % std::size(kComplaints)])
                                                   : std::string(text_override);
    const auto xml = "<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[" + resident +
                     "]]></FromUserName><CreateTime>" + ts +
                     "</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[" + text +
                     "]]></Content><MsgId>" + std::to_string(7'000'000'000'000'000'000ULL + seq) +
                     "</MsgId></xml>";
    const auto encrypt = crypt.encrypt(xml);
    const auto signature = adapters::wx_signature({o.token, ts, nonce});
    const auto msg_signature = adapters::wx_signature({o.token, ts, nonce, encrypt});
    const auto path = url.target.substr(0, url.target.find('?'));
    Message m;
    m.target = path + "?signature=" + signature + "&timestamp=" + ts + "&nonce=" + nonce +
               "&openid=" + resident + "&encrypt_type=aes&msg_signature=" + msg_signature;
    m.body = "<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><Encrypt><![CDATA[" + encrypt +
             "]]></Encrypt></xml>";
    m.expected = text.substr(0, 12);
    return m;
}

// 1: a passive reply that verifies; 0: "success" (answered later through the API); -1: bad.
int check_reply(const Options& o, const adapters::WxCrypt& crypt, const std::string& body, const Message& m,
                std::string* content = nullptr) {
    if (body == "success") {
        return 0;
    }
    auto envelope = adapters::parse_fields(body);
    if (!envelope) {
        return -1;
    }
    const auto encrypt = envelope->value_or("Encrypt", "");
    const auto expected = adapters::wx_signature(
        {o.token, envelope->value_or("TimeStamp", ""), envelope->value_or("Nonce", ""), encrypt});
    if (!adapters::constant_time_equal(expected, envelope->value_or("MsgSignature", ""))) {
        return -1;
    }
    auto plain = crypt.decrypt(encrypt);
    if (!plain) {
        return -1;
    }
    auto reply = adapters::parse_fields(*plain);
    if (!reply) {
        return -1;
    }
    const auto text = reply->value_or("Content", "");
    if (content != nullptr) {
        *content = std::string(text);
    }
    if (o.any_reply) {
        return text.empty() ? -1 : 1;
    }
    return text.find(m.expected) != std::string_view::npos ? 1 : -1;
}

asio::awaitable<void> connection(const Options& o, const adapters::WxCrypt& crypt, net::Url url,
                                 unsigned index, Steady::time_point start, Steady::time_point measure_from,
                                 Steady::time_point end, Stats& stats) {
    auto ex = co_await asio::this_coro::executor;
    tcp::resolver resolver(ex);
    auto [rec, endpoints] = co_await resolver.async_resolve(url.host, std::to_string(url.port),
                                                            asio::as_tuple(asio::use_awaitable));
    if (rec) {
        ++stats.errors;
        co_return;
    }
    asio::steady_timer pacer(ex);
    std::uint64_t slot = index;  // fixed rate: this connection owns slots index, index + C, …
    while (Steady::now() < end) {
        beast::tcp_stream stream(ex);
        auto [cec, ep] = co_await stream.async_connect(endpoints, asio::as_tuple(asio::use_awaitable));
        if (cec) {
            ++stats.errors;
            pacer.expires_after(std::chrono::milliseconds(10));
            co_await pacer.async_wait(asio::as_tuple(asio::use_awaitable));
            continue;
        }
        beast::flat_buffer buffer;
        while (Steady::now() < end) {
            Steady::time_point scheduled = Steady::now();
            if (o.rate > 0) {
                scheduled = start + std::chrono::duration_cast<Steady::duration>(
                                        std::chrono::duration<double>(static_cast<double>(slot) / o.rate));
                slot += o.connections;
                if (scheduled >= end) {
                    co_return;
                }
                if (scheduled > Steady::now()) {
                    pacer.expires_at(scheduled);
                    co_await pacer.async_wait(asio::as_tuple(asio::use_awaitable));
                }
            }
            const auto message = make_message(o, crypt, url, g_sequence.fetch_add(1));
            http::request<http::string_body> request{http::verb::post, message.target, 11};
            request.set(http::field::host, url.authority());
            request.set(http::field::content_type, "text/xml");
            request.set(http::field::user_agent, "Mozilla/4.0 (anju wechat bench)");
            request.body() = message.body;
            request.prepare_payload();
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
            const auto finished = Steady::now();
            if (scheduled >= measure_from) {
                ++stats.sent;
                stats.latencies_us.push_back(
                    std::chrono::duration<double, std::micro>(finished - scheduled).count());
                const int verdict =
                    response.result_int() == 200 ? check_reply(o, crypt, response.body(), message) : -1;
                if (verdict == 1) {
                    ++stats.passive;
                } else if (verdict == 0) {
                    ++stats.not_passive;
                } else {
                    ++stats.bad_reply;
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
        if (i + 1 >= argc) {
            std::fprintf(stderr, "wechat_bench: %s needs a value\n", argv[i]);
            return false;
        }
        const std::string value = argv[++i];
        if (arg == "--url") {
            o.url = value;
        } else if (arg == "--token") {
            o.token = value;
        } else if (arg == "--aes-key") {
            o.aes_key = value;
        } else if (arg == "--app-id") {
            o.app_id = value;
        } else if (arg == "--residents") {
            o.residents = static_cast<unsigned>(std::max(1UL, std::strtoul(value.c_str(), nullptr, 10)));
        } else if (arg == "--connections") {
            o.connections = static_cast<unsigned>(std::max(1UL, std::strtoul(value.c_str(), nullptr, 10)));
        } else if (arg == "--threads") {
            o.threads = static_cast<unsigned>(std::max(1UL, std::strtoul(value.c_str(), nullptr, 10)));
        } else if (arg == "--rate") {
            o.rate = std::strtod(value.c_str(), nullptr);
        } else if (arg == "--duration" || arg == "--warmup") {
            const auto d = parse_duration(value);
            if (!d || d->is_working_days()) {
                std::fprintf(stderr, "wechat_bench: %s needs a duration such as 10s\n",
                             std::string(arg).c_str());
                return false;
            }
            (arg == "--duration" ? o.duration : o.warmup) = d->fixed;
        } else if (arg == "--db") {
            o.db = value;
        } else if (arg == "--send") {
            o.send_text = value;
        } else if (arg == "--any-reply") {
            o.any_reply = value == "1" || value == "true" || value == "yes";
        } else {
            std::fprintf(
                stderr,
                "usage: anju_wechat_bench [--url URL] [--token T] [--aes-key K] [--app-id A] "
                "[--residents N] [--connections N] [--threads N] [--rate MSG_PER_S|0] [--duration 10s] "
                "[--warmup 2s] [--db anju.db] [--send TEXT] [--any-reply yes|no]\n");
            return false;
        }
    }
    return true;
}

double percentile(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) {
        return 0;
    }
    const auto index = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1) + 0.5);
    return sorted[std::min(index, sorted.size() - 1)];
}

// --send: one message, the decrypted answer printed.
int send_one(const Options& o, const adapters::WxCrypt& crypt, const net::Url& url) {
    asio::io_context ioc;
    tcp::resolver resolver(ioc);
    beast::tcp_stream stream(ioc);
    boost::system::error_code ec;
    const auto endpoints = resolver.resolve(url.host, std::to_string(url.port), ec);
    if (!ec) {
        stream.connect(endpoints, ec);
    }
    if (ec) {
        std::fprintf(stderr, "wechat_bench: cannot connect: %s\n", ec.message().c_str());
        return 1;
    }
    // A fresh message id each time: the same id would be a re-delivery, answered with the first reply.
    const auto unique =
        static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
    const auto message = make_message(o, crypt, url, unique % 1'000'000'000'000ULL, o.send_text);
    http::request<http::string_body> request{http::verb::post, message.target, 11};
    request.set(http::field::host, url.authority());
    request.body() = message.body;
    request.prepare_payload();
    http::write(stream, request, ec);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    if (!ec) {
        http::read(stream, buffer, response, ec);
    }
    if (ec) {
        std::fprintf(stderr, "wechat_bench: %s\n", ec.message().c_str());
        return 1;
    }
    std::string content;
    const int verdict = check_reply(o, crypt, response.body(), message, &content);
    if (verdict == 0) {
        std::printf("(answered \"success\": the reply goes out through the customer-service API)\n");
        return 0;
    }
    if (verdict < 0 && content.empty()) {
        std::fprintf(stderr, "wechat_bench: HTTP %u, reply did not verify: %s\n", response.result_int(),
                     response.body().c_str());
        return 1;
    }
    std::printf("%s\n", content.c_str());
    return 0;
}

}  // namespace
}  // namespace anju::bench

int main(int argc, char** argv) {
    using namespace anju::bench;
    Options o;
    if (!parse_args(argc, argv, o)) {
        return 2;
    }
    const auto url = anju::net::parse_url(o.url);
    auto crypt = anju::adapters::WxCrypt::create(o.aes_key, o.app_id);
    if (!url || url->tls() || !crypt) {
        std::fprintf(stderr, "wechat_bench: need an http:// URL and a 43-character AES key\n");
        return 2;
    }
    if (!o.send_text.empty()) {
        return send_one(o, *crypt, *url);
    }
    const auto start = Steady::now();
    const auto measure_from = start + o.warmup;
    const auto end = measure_from + o.duration;
    std::vector<Stats> stats(o.connections);
    std::vector<std::unique_ptr<anju::asio::io_context>> contexts;
    for (unsigned t = 0; t < o.threads; ++t) {
        contexts.push_back(std::make_unique<anju::asio::io_context>(1));
    }
    for (unsigned c = 0; c < o.connections; ++c) {
        anju::asio::co_spawn(
            *contexts[c % o.threads], connection(o, *crypt, *url, c, start, measure_from, end, stats[c]),
            [](std::exception_ptr e) {
                if (e) {
                    std::fprintf(stderr, "wechat_bench: a connection failed with an exception\n");
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
    Stats total;
    for (auto& s : stats) {
        total.latencies_us.insert(total.latencies_us.end(), s.latencies_us.begin(), s.latencies_us.end());
        total.sent += s.sent;
        total.passive += s.passive;
        total.not_passive += s.not_passive;
        total.bad_reply += s.bad_reply;
        total.errors += s.errors;
    }
    std::sort(total.latencies_us.begin(), total.latencies_us.end());
    const double seconds = std::chrono::duration<double>(o.duration).count();
    std::printf("mode           %s, %u connections, %u residents, %.1f s measured after %.1f s warm-up\n",
                o.rate > 0 ? ("fixed rate " + std::to_string(static_cast<int>(o.rate)) + " msg/s").c_str()
                           : "saturation",
                o.connections, o.residents, seconds, std::chrono::duration<double>(o.warmup).count());
    std::printf(
        "messages       %llu (passive replies verified %llu, answered later %llu, bad %llu, errors %llu)\n",
        static_cast<unsigned long long>(total.sent), static_cast<unsigned long long>(total.passive),
        static_cast<unsigned long long>(total.not_passive), static_cast<unsigned long long>(total.bad_reply),
        static_cast<unsigned long long>(total.errors));
    std::printf("messages/s     %.0f\n", static_cast<double>(total.sent) / seconds);
    std::printf("latency        p50 %.2f ms   p99 %.2f ms   p999 %.2f ms   max %.2f ms\n",
                percentile(total.latencies_us, 50) / 1000, percentile(total.latencies_us, 99) / 1000,
                percentile(total.latencies_us, 99.9) / 1000,
                total.latencies_us.empty() ? 0.0 : total.latencies_us.back() / 1000);
    if (!o.db.empty()) {
        SQLite::Database db(o.db, SQLite::OPEN_READONLY);
        const auto rows = db.execAndGet("SELECT count(*) FROM inbound_messages").getInt64();
        const auto answered =
            db.execAndGet("SELECT count(*) FROM inbound_messages WHERE state = 'answered'").getInt64();
        std::printf("journal        %lld messages journaled, %lld answered (all sent: %llu incl. warm-up)\n",
                    static_cast<long long>(rows), static_cast<long long>(answered),
                    static_cast<unsigned long long>(g_sequence.load()));
    }
    return total.errors == 0 && total.bad_reply == 0 ? 0 : 1;
}
