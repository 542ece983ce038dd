// Time at scale (issue 6), on a real SQLite file with synchronous=full, as the service runs:
//
//  1. start-up with 1,000,000 pending timers: opening the store and the scheduler's first look
//     (what `anju serve` does before it can fire anything), and the memory that costs;
//  2. lag between due time and firing under load: 20,000 timers falling due over 10 s on top of
//     the million, each writing an outbox row, while other writes (turns) keep the store busy;
//  3. the daily push for 100,000 open tickets: the real TicketService handler, page by page, until
//     every resident's message is queued;
//
// Targets: start-up < 2 s, lag p99 < 100 ms, enqueue of 100,000 pushes < 10 s.
//
//  4. and how fast those pushes leave through the customer-service API (a fake WeChat API on
//     127.0.0.1), with the per-account rate limit lifted to see the dispatcher's own pace.
//
//   build/release/bench/anju_timers_bench [--timers N] [--due N] [--tickets N] [--dispatch-seconds S]
#include "adapters/wechat_mp/api.hpp"
#include "bot/core/clock.hpp"
#include "bot/core/log.hpp"
#include "bot/core/metrics.hpp"
#include "bot/net/beast_http_client.hpp"
#include "bot/net/tls.hpp"
#include "bot/runtime/background.hpp"
#include "bot/runtime/outbox.hpp"
#include "bot/runtime/scheduler.hpp"
#include "bot/runtime/ticket_service.hpp"
#include "bot/tickets/directory.hpp"
#include "config/config.hpp"
#include "store/store.hpp"
#include "store/ticket_store.hpp"
#include "store/timer_store.hpp"
#include "tests/support/fake_wechat_api.hpp"

#include <SQLiteCpp/Statement.h>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using namespace anju;
using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

struct Options {
    std::size_t timers = 1'000'000;
    std::size_t due = 20'000;
    std::size_t tickets = 100'000;
    double dispatch_seconds = 15;
    std::string dir;
};

double seconds_since(Steady::time_point t) {
    return std::chrono::duration<double>(Steady::now() - t).count();
}

std::int64_t ms(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// "VmRSS" or "VmHWM" of this process, in MiB.
double status_mib(const std::string& field) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.starts_with(field + ":")) {
            return std::atof(line.c_str() + field.size() + 1) / 1024.0;
        }
    }
    return 0;
}

template <class T>
T run(asio::io_context& ioc, asio::awaitable<T> coro) {
    auto f = asio::co_spawn(ioc, std::move(coro), asio::use_future);
    while (f.wait_for(0s) != std::future_status::ready) {
        if (ioc.stopped()) {
            ioc.restart();
        }
        ioc.run_one_for(5ms);
    }
    return f.get();
}

std::unique_ptr<store::Store> open_store(const std::string& path) {
    auto opened = store::Store::open({.path = path});
    if (!opened) {
        std::fprintf(stderr, "cannot open %s: %s\n", path.c_str(), opened.error().what().c_str());
        std::exit(1);
    }
    return std::move(*opened);
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) {
        return 0;
    }
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

// ---- 1 and 2: a million timers ----

void seed_timers(asio::io_context& ioc, store::Store& store, std::size_t n, Clock::time_point now) {
    const auto t0 = Steady::now();
    constexpr std::size_t kChunk = 50'000;
    for (std::size_t from = 0; from < n; from += kChunk) {
        auto job = [from, n, base = ms(now)](SQLite::Database& db) {
            SQLite::Statement insert(
                db, "INSERT INTO timers (key, kind, ticket_id, due_at, data) VALUES (?, ?, ?, ?, ?)");
            std::mt19937_64 rng(from);
            for (std::size_t i = from; i < std::min(n, from + kChunk); ++i) {
                // Due between one hour and thirty days from now, like SLA clocks of open tickets.
                const auto due = base + 3'600'000 + static_cast<std::int64_t>(rng() % (30ULL * 86'400'000));
                const auto ticket = static_cast<std::int64_t>(i / 4 + 1);
                insert.bind(1, "T" + std::to_string(ticket) + ":m" + std::to_string(i % 4) + ":due");
                insert.bind(2, "sla_due");
                insert.bind(3, ticket);
                insert.bind(4, due);
                insert.bind(5, R"({"milestone":"plan"})");
                insert.exec();
                insert.reset();
            }
        };
        run(ioc, store.write(std::move(job)));
    }
    std::printf("seeded %zu pending timers in %.1f s\n", n, seconds_since(t0));
}

void startup_and_lag(const Options& o, const std::string& path) {
    SystemClock clock;
    {
        asio::io_context ioc;
        auto store = open_store(path);
        seed_timers(ioc, *store, o.timers, clock.now());
        run(ioc, store->close());
    }
    const auto file_mib = static_cast<double>(std::filesystem::file_size(path)) / (1024.0 * 1024.0);

    // 1. Start-up: open (schema check) and the scheduler's first look, as `anju serve` does.
    const auto rss_before = status_mib("VmRSS");
    const auto t0 = Steady::now();
    asio::io_context ioc;
    auto store = open_store(path);
    metrics::Registry registry;
    runtime::Scheduler scheduler(ioc.get_executor(), *store, clock, registry);
    const auto first = run(ioc, store->run([](SQLite::Database& db) { return store::next_timer_due(db); }));
    const auto fired_at_start = run(ioc, scheduler.fire_due());
    const auto startup = seconds_since(t0);
    const auto count = run(ioc, store->run([](SQLite::Database& db) { return store::timer_count(db); }));
    std::printf(
        "start-up with %zu pending timers (%.0f MiB file): %.3f s to the first look (next due in %.0f min, "
        "%zu fired), RSS +%.1f MiB (target < 2 s)\n",
        count, file_mib, startup, first ? static_cast<double>(*first - ms(clock.now())) / 60000.0 : -1.0,
        fired_at_start, status_mib("VmRSS") - rss_before);

    // 2. Lag under load: `due` timers spread over 10 s, each handler queues an outbox row; another
    //    coroutine writes turns at ~2,000/s meanwhile.
    std::mutex mutex;
    std::vector<double> lags;
    lags.reserve(o.due);
    scheduler.handle("bench", [&](SQLite::Database& db, const store::Timer& t, Clock::time_point now) {
        store::OutboxMessage m;
        m.key = t.key;
        m.channel = "wechat_mp";
        m.account = "bench";
        m.target = "o" + std::to_string(t.id);
        m.payload = R"({"text":"您的工单有新进展"})";
        store::enqueue(db, m, ms(now));
        const double lag = static_cast<double>(ms(clock.now()) - t.due_at_ms);
        std::lock_guard lock(mutex);
        lags.push_back(lag);
    });
    const auto start = clock.now() + 2s;
    {
        auto job = [&o, base = ms(start)](SQLite::Database& db) {
            SQLite::Statement insert(db, "INSERT INTO timers (key, kind, due_at) VALUES (?, 'bench', ?)");
            for (std::size_t i = 0; i < o.due; ++i) {
                insert.bind(1, "bench:" + std::to_string(i));
                insert.bind(2, base + static_cast<std::int64_t>(i * 10'000 / o.due));
                insert.exec();
                insert.reset();
            }
        };
        run(ioc, store->write(std::move(job)));
    }
    // The context may have run out of work (and stopped) in the calls above: make it runnable and
    // keep it so while two threads run it.
    ioc.restart();
    auto guard = asio::make_work_guard(ioc);
    asio::cancellation_signal stop;
    std::atomic<bool> stopped{false};
    std::atomic<bool> stopping{false};
    asio::co_spawn(ioc, scheduler.run(),
                   asio::bind_cancellation_slot(stop.slot(), [&stopped, &stopping](std::exception_ptr e) {
                       if (e && !stopping) {
                           try {
                               std::rethrow_exception(e);
                           } catch (const std::exception& x) {
                               std::fprintf(stderr, "scheduler ended: %s\n", x.what());
                           }
                       }
                       stopped = true;
                   }));
    std::atomic<std::size_t> turns{0};
    std::atomic<bool> loading{true};
    auto load = [&]() -> asio::awaitable<void> {
        asio::steady_timer pace(co_await asio::this_coro::executor);
        while (loading) {
            for (int i = 0; i < 20; ++i) {
                auto job = [n = turns.fetch_add(1)](SQLite::Database& db) {
                    SQLite::Statement q(db, "INSERT INTO meta (key, value) VALUES (?, 'turn')");
                    q.bind(1, "bench-turn-" + std::to_string(n));
                    q.exec();
                };
                co_await store->write(std::move(job));
            }
            pace.expires_after(10ms);
            co_await pace.async_wait(asio::use_awaitable);
        }
    };
    asio::co_spawn(ioc, load(), [](std::exception_ptr) {});
    std::thread second([&ioc] { ioc.run(); });
    const auto deadline = Steady::now() + 30s;
    for (;;) {
        {
            std::lock_guard lock(mutex);
            if (lags.size() >= o.due) {
                break;
            }
        }
        if (Steady::now() > deadline) {
            std::printf("FAIL: only %zu of %zu timers fired within 30 s (scheduler fired %llu, %s)\n",
                        lags.size(), o.due, static_cast<unsigned long long>(scheduler.fired()),
                        stopped ? "its loop ended" : "its loop is waiting");
            std::exit(1);
        }
        ioc.run_one_for(5ms);
    }
    loading = false;
    stopping = true;
    stop.emit(asio::cancellation_type::terminal);
    while (!stopped) {
        ioc.run_one_for(5ms);
    }
    guard.reset();
    ioc.stop();
    second.join();
    std::printf(
        "lag due→fired under load (%zu timers over 10 s, %zu turns written meanwhile, %zu others pending): "
        "p50 %.0f ms, p99 %.0f ms, max %.0f ms (target p99 < 100 ms)\n",
        lags.size(), turns.load(), o.timers, percentile(lags, 0.50), percentile(lags, 0.99),
        percentile(lags, 1.0));
    ioc.restart();
    run(ioc, store->close());
}

// ---- 3: the daily push ----

constexpr const char* kConfig = R"({
  "tickets": {"communities": [{"id": "bench", "name": "基准小区", "staff": [
    {"userid": "eng", "name": "张工", "roles": ["engineering"]},
    {"userid": "butler", "name": "陈管家", "roles": ["butler"]},
    {"userid": "boss", "name": "赵主管", "roles": ["supervisor"]}]}]}
})";

void daily_push(const Options& o, const std::string& path) {
    auto config = config::parse_config(kConfig, "bench.json", {});
    if (!config) {
        std::fprintf(stderr, "bench config: %s\n", config.error().items.front().to_string().c_str());
        std::exit(1);
    }
    tickets::Directory directory(config->tickets);
    SystemClock clock;
    const auto now = clock.now();
    asio::io_context ioc;
    auto store = open_store(path);
    // Open tickets filed over the last 30 days; a third had progress today.
    const auto t0 = Steady::now();
    constexpr std::size_t kChunk = 10'000;
    for (std::size_t from = 0; from < o.tickets; from += kChunk) {
        auto job = [from, &o, now](SQLite::Database& db) {
            for (std::size_t i = from; i < std::min(o.tickets, from + kChunk); ++i) {
                tickets::Ticket t;
                t.community = "bench";
                t.resident = "wechat_mp/bench/o" + std::to_string(i);
                t.room = {std::to_string(i % 40 + 1), std::to_string(i % 4 + 1),
                          std::to_string(100 + i % 2000)};
                t.channel = "wechat_mp";
                t.nature = dialogs::Nature::facility;
                t.category = "lighting";
                t.description = "楼道灯不亮";
                t.department = "engineering";
                t.assignee = i % 5 == 0 ? "" : "eng";
                t.assignee_name = i % 5 == 0 ? "" : "张工";
                t.status = i % 5 == 0 ? tickets::Status::dispatched : tickets::Status::in_progress;
                t.created_at = now - std::chrono::hours(24 + static_cast<int>(i % 700));
                t.updated_at = t.created_at;
                tickets::Event e;
                e.at = t.created_at;
                e.actor = "system";
                e.kind = "filed";
                e.text = t.description;
                store::insert_ticket(db, t, e, {});
                if (i % 3 == 0) {
                    tickets::Event p;
                    p.at = now - 1h;
                    p.actor = "staff:eng";
                    p.actor_name = "张工";
                    p.kind = "progress";
                    p.text = "已更换灯泡，正在检查线路";
                    store::update_ticket(db, t, p);
                }
            }
        };
        run(ioc, store->write(std::move(job)));
    }
    std::printf("seeded %zu open tickets in %.1f s\n", o.tickets, seconds_since(t0));

    runtime::TicketService service(
        directory, clock, [](std::string_view c) { return std::string(c); }, "staff");
    metrics::Registry registry;
    runtime::Scheduler scheduler(ioc.get_executor(), *store, clock, registry);
    service.register_timers(scheduler);
    auto due_now = [at = ms(now)](SQLite::Database& db) {
        store::set_timer(db, "daily_push", "daily_push", 0, at, R"({"due":)" + std::to_string(at) + "}");
    };
    run(ioc, store->write(std::move(due_now)));
    const auto outbox_before =
        run(ioc, store->run([](SQLite::Database& db) { return store::outbox_pending(db); }));
    const auto t1 = Steady::now();
    std::size_t pages = 0;
    for (;;) {
        pages += run(ioc, scheduler.fire_due());
        const auto next =
            run(ioc, store->run([](SQLite::Database& db) { return store::timer_by_key(db, "daily_push"); }));
        if (!next || next->due_at_ms > ms(clock.now())) {
            break;
        }
    }
    const auto took = seconds_since(t1);
    const auto queued =
        run(ioc, store->run([](SQLite::Database& db) { return store::outbox_pending(db); })) - outbox_before;
    std::printf(
        "daily push for %zu open tickets: %zu messages queued (residents and handlers) in %.2f s over %zu "
        "transactions = %.0f tickets/s (target < 10 s)\n",
        o.tickets, queued, took, pages, static_cast<double>(o.tickets) / took);
    if (queued < o.tickets) {
        std::printf("FAIL: fewer messages than tickets\n");
        std::exit(1);
    }

    // Dispatch: the residents' messages through the real customer-service client against a fake
    // WeChat API on 127.0.0.1, for `dispatch_seconds`, with the rate limit lifted to see the
    // dispatcher's own pace (the configured default, 200 a second per account, would govern).
    testing::FakeWeChatApi platform;
    auto tls = net::make_client_tls_context({});
    net::BeastHttpClient http(ioc.get_executor(), tls);
    adapters::wechat_mp::MpApiOptions api_options;
    api_options.app_id = platform.options().app_id;
    api_options.app_secret = Secret(platform.options().app_secret);
    api_options.api_base = platform.base_url();
    adapters::wechat_mp::MpApi api(ioc.get_executor(), http, clock, api_options);
    for (const std::size_t concurrency : {std::size_t{4}, std::size_t{16}}) {
        const auto sent_before = platform.custom_messages().size();
        runtime::OutboxOptions options;
        options.channels = {"wechat_mp"};
        options.concurrency = concurrency;
        options.batch = 200;
        options.rates.wechat_mp_per_second = 0;
        runtime::OutboxTransport transport =
            [&api](const store::OutboxMessage& m) -> asio::awaitable<runtime::SendOutcome> {
            const auto payload = nlohmann::json::parse(m.payload, nullptr, false);
            auto text = payload.is_object() ? payload.value("text", std::string()) : std::string();
            auto openid = m.target;
            auto sent = co_await api.send_text(std::move(openid), std::move(text));
            co_return runtime::outcome_for(sent ? boost::system::error_code{} : sent.error());
        };
        runtime::OutboxSender sender(ioc.get_executor(), *store, clock, transport, registry, options);
        ioc.restart();
        auto guard = asio::make_work_guard(ioc);
        // Run and stop it as the service does (Background: a strand, `||` with the stop channel),
        // with sends in flight at the stop.
        runtime::Background background(ioc.get_executor());
        background.spawn("outbox", sender.run());
        const auto t2 = Steady::now();
        while (seconds_since(t2) < o.dispatch_seconds) {
            ioc.run_one_for(5ms);
        }
        const auto sent = platform.custom_messages().size() - sent_before;
        const auto elapsed = seconds_since(t2);
        run(ioc, background.stop(std::chrono::seconds(10)));
        if (background.running() != 0) {
            std::printf("FAIL: the dispatcher did not stop\n");
            std::exit(1);
        }
        std::printf(
            "dispatch to residents (customer-service API on a loopback fake, concurrency %zu): %zu sent in "
            "%.1f s = %.0f msg/s; at the default limit of 200/s per account %zu pushes take %.0f min\n",
            concurrency, sent, elapsed, static_cast<double>(sent) / elapsed, o.tickets,
            static_cast<double>(o.tickets) / 200.0 / 60.0);
    }
    run(ioc, store->close());
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    if (std::getenv("ANJU_BENCH_DEBUG") != nullptr) {
        anju::log::set_level(anju::log::Level::debug);
    }
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string_view arg = argv[i];
        if (arg == "--timers") {
            o.timers = std::strtoull(argv[i + 1], nullptr, 10);
        } else if (arg == "--due") {
            o.due = std::strtoull(argv[i + 1], nullptr, 10);
        } else if (arg == "--tickets") {
            o.tickets = std::strtoull(argv[i + 1], nullptr, 10);
        } else if (arg == "--dispatch-seconds") {
            o.dispatch_seconds = std::atof(argv[i + 1]);
        } else if (arg == "--dir") {
            o.dir = argv[i + 1];
        } else {
            std::fprintf(stderr,
                         "usage: anju_timers_bench [--timers N] [--due N] [--tickets N] [--dispatch-seconds "
                         "S] [--dir DIR]\n");
            return 2;
        }
    }
    if (o.due == 0 || o.tickets == 0) {
        std::fprintf(stderr, "--due and --tickets must be positive\n");
        return 2;
    }
    const bool own_dir = o.dir.empty();
    if (own_dir) {
        o.dir = (std::filesystem::temp_directory_path() / ("anju-timers-bench-" + std::to_string(::getpid())))
                    .string();
    }
    std::filesystem::create_directories(o.dir);
    std::printf("machine: %u hardware threads; store: SQLite WAL, synchronous=full, in %s\n",
                std::thread::hardware_concurrency(), o.dir.c_str());
    startup_and_lag(o, o.dir + "/timers.db");
    daily_push(o, o.dir + "/push.db");
    std::printf("peak RSS %.0f MiB\n", status_mib("VmHWM"));
    if (own_dir) {
        std::filesystem::remove_all(o.dir);
    }
    return 0;
}
