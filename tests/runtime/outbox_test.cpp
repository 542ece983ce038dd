// The outbox dispatcher (bot/runtime/outbox.hpp) on a real Store in a temporary SQLite file, a
// FakeClock and a scripted transport: order per recipient through retries, backoff and give-up
// recorded on the ticket, the platforms' rate limits, ambiguous sends not resent (or only within the
// platform's idempotency window), channel filters, concurrency across recipients; the store queries
// behind it, outcome_for, the config section and the admin listing (OutboxApi).
#include "bot/runtime/outbox.hpp"

#include "adapters/wechat_mp/api.hpp"
#include "adapters/wecom/api.hpp"
#include "bot/net/errors.hpp"
#include "bot/runtime/outbox_api.hpp"
#include "store/ticket_store.hpp"
#include "tests/support/async.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/sample_ticket.hpp"

#include <SQLiteCpp/Database.h>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unistd.h>
#include <vector>

namespace anju::runtime {
namespace {

using namespace std::chrono_literals;
using anju::testing::FakeClock;
using anju::testing::poll_until;
using anju::testing::run_coro;
using json = nlohmann::json;
using store::OutboxMessage;

std::int64_t ms(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

OutboxMessage message(std::string key, std::string target, std::string channel = "wechat_mp",
                      std::string account = "main") {
    OutboxMessage m;
    m.key = std::move(key);
    m.channel = std::move(channel);
    m.account = std::move(account);
    m.target = std::move(target);
    m.payload = json{{"text", "您的工单 " + m.key + " 有新进展"}}.dump();
    return m;
}

// The transport the sender calls: records every call and answers from a per-key script (sent when
// the script is empty). With `yields`, each send gives the other workers a few turns before it
// answers, so sends overlap. Runs on the test's io_context only.
class ScriptedTransport {
public:
    OutboxTransport transport() {
        return [this](const OutboxMessage& m) { return send(m); };
    }

    void script(const std::string& key, std::vector<SendOutcome> outcomes) {
        for (auto& o : outcomes) {
            scripts_[key].push_back(std::move(o));
        }
    }
    void always(SendOutcome outcome) { always_ = std::move(outcome); }
    void set_yields(int n) { yields_ = n; }

    const std::vector<std::string>& calls() const { return calls_; }
    std::vector<std::string> calls_to(const std::string& target) const {
        std::vector<std::string> out;
        for (std::size_t i = 0; i < calls_.size(); ++i) {
            if (targets_[i] == target) {
                out.push_back(calls_[i]);
            }
        }
        return out;
    }
    const std::vector<Clock::time_point>& times() const { return times_; }
    int max_in_flight() const { return max_in_flight_; }
    bool overlapped_a_recipient() const { return overlap_; }

    Clock* clock = nullptr;

private:
    asio::awaitable<SendOutcome> send(OutboxMessage m) {
        calls_.push_back(m.key);
        targets_.push_back(m.target);
        times_.push_back(clock->now());
        ++in_flight_;
        max_in_flight_ = std::max(max_in_flight_, in_flight_);
        if (!busy_.insert(m.channel + "/" + m.account + "/" + m.target).second) {
            overlap_ = true;
        }
        const auto ex = co_await asio::this_coro::executor;
        for (int i = 0; i < yields_; ++i) {
            co_await asio::post(ex, asio::use_awaitable);
        }
        busy_.erase(m.channel + "/" + m.account + "/" + m.target);
        --in_flight_;
        auto& queued = scripts_[m.key];
        if (!queued.empty()) {
            auto outcome = std::move(queued.front());
            queued.pop_front();
            co_return outcome;
        }
        co_return always_;
    }

    std::map<std::string, std::deque<SendOutcome>> scripts_;
    SendOutcome always_ = SendOutcome::ok();
    std::vector<std::string> calls_;
    std::vector<std::string> targets_;
    std::vector<Clock::time_point> times_;
    int yields_ = 0;
    int in_flight_ = 0;
    int max_in_flight_ = 0;
    std::set<std::string> busy_;
    bool overlap_ = false;
};

class OutboxSenderTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("anju-outbox-test-" +
                std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "-" +
                std::to_string(::getpid()));
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
        auto opened = store::Store::open({.path = (dir_ / "anju.db").string()});
        ASSERT_TRUE(opened) << opened.error().what();
        store_ = std::move(*opened);
        script_.clock = &clock_;
    }

    void TearDown() override {
        stop();
        store_.reset();
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }

    OutboxOptions options() const {
        OutboxOptions o;
        o.poll = 10min;
        o.first_retry = 10s;
        o.max_retry = 1h;
        o.max_attempts = 5;
        return o;
    }

    // Starts a dispatcher on the test's io_context; the test drives it with poll_until.
    OutboxSender& start(OutboxOptions o, ScriptedTransport* transport = nullptr) {
        auto& runner = runners_.emplace_back(std::make_unique<Runner>());
        runner->sender = std::make_unique<OutboxSender>(ioc_.get_executor(), *store_, clock_,
                                                        (transport ? transport : &script_)->transport(),
                                                        metrics_, std::move(o));
        asio::co_spawn(
            ioc_, runner->sender->run(),
            asio::bind_cancellation_slot(
                runner->stop.slot(), [done = &runner->done](const std::exception_ptr&) { *done = true; }));
        return *runner->sender;
    }

    void stop() {
        for (auto& runner : runners_) {
            runner->stop.emit(asio::cancellation_type::all);
        }
        EXPECT_TRUE(poll_until(ioc_, [&] {
            return std::all_of(runners_.begin(), runners_.end(), [](const auto& r) { return r->done; });
        }));
        runners_.clear();
    }

    void queue(const OutboxMessage& m) {
        auto job = [m, now = ms(clock_.now())](SQLite::Database& db) { return store::enqueue(db, m, now); };
        ASSERT_TRUE(run_coro(ioc_, store_->write(std::move(job))));
    }

    OutboxMessage row(const std::string& key) {
        auto job = [key](SQLite::Database& db) {
            store::OutboxFilter f;
            f.limit = 1000;
            for (auto& r : store::find_outbox(db, f)) {
                if (r.message.key == key) {
                    return r.message;
                }
            }
            return OutboxMessage{};
        };
        return run_coro(ioc_, store_->run(std::move(job)));
    }

    std::size_t count_state(const std::string& state) {
        auto job = [state](SQLite::Database& db) {
            store::OutboxFilter f;
            f.state = state;
            f.limit = 1000;
            return store::find_outbox(db, f).size();
        };
        return run_coro(ioc_, store_->run(std::move(job)));
    }

    std::int64_t insert_ticket() {
        auto job = [now = clock_.now()](SQLite::Database& db) {
            return testing::insert_sample_ticket(db, "wechat_mp/main/o-A", {"3", "2", "501"}, "elevator",
                                                 "电梯异响", tickets::Status::dispatched, now);
        };
        return run_coro(ioc_, store_->write(std::move(job)));
    }

    std::vector<tickets::Event> events(std::int64_t ticket) {
        auto job = [ticket](SQLite::Database& db) { return store::ticket_events(db, ticket); };
        return run_coro(ioc_, store_->run(std::move(job)));
    }

    // Runs the dispatchers until they sleep on the FakeClock with nothing in flight.
    void settle() {
        ASSERT_TRUE(poll_until(
            ioc_, [&] { return clock_.sleepers() == runners_.size() && store_->queue_depth() == 0; }));
        // One more look at the context: a completion may still be queued behind the last sleep.
        ioc_.poll();
        ASSERT_EQ(clock_.sleepers(), runners_.size());
    }

    struct Runner {
        std::unique_ptr<OutboxSender> sender;
        asio::cancellation_signal stop;
        bool done = false;
    };

    asio::io_context ioc_;
    FakeClock clock_;
    metrics::Registry metrics_;
    ScriptedTransport script_;
    std::filesystem::path dir_;
    std::unique_ptr<store::Store> store_;
    std::vector<std::unique_ptr<Runner>> runners_;
};

TEST_F(OutboxSenderTest, KeepsOrderPerRecipientThroughRetries) {
    queue(message("A1", "o-A"));
    queue(message("A2", "o-A"));
    queue(message("B1", "o-B"));
    queue(message("A3", "o-A"));
    script_.script("A1", {SendOutcome::again("platform busy")});
    start(options());
    settle();

    // A1 failed and waits for its retry: A2 and A3 wait behind it; B1 is not held up.
    EXPECT_EQ(script_.calls(), (std::vector<std::string>{"A1", "B1"}));
    EXPECT_EQ(row("A1").state, "pending");
    EXPECT_EQ(row("A1").attempts, 1);
    EXPECT_EQ(row("A2").attempts, 0);
    EXPECT_EQ(row("B1").state, "sent");

    clock_.advance(10s);
    settle();
    EXPECT_EQ(script_.calls_to("o-A"), (std::vector<std::string>{"A1", "A1", "A2", "A3"}));
    EXPECT_EQ(count_state("sent"), 4U);
    EXPECT_EQ(count_state("pending"), 0U);
}

TEST_F(OutboxSenderTest, BackoffDoublesAndGiveUpIsRecordedOnTheTicket) {
    auto m = message("T1:progress", "o-A");
    m.ticket_id = insert_ticket();
    queue(m);
    script_.always(SendOutcome::again("WeChat is busy; try again later"));
    auto o = options();
    o.first_retry = 10s;
    o.max_retry = 25s;
    o.max_attempts = 4;
    start(o);
    const auto t0 = clock_.now();
    settle();
    EXPECT_EQ(row("T1:progress").next_at_ms, ms(t0 + 10s));
    clock_.advance(10s);
    settle();
    EXPECT_EQ(row("T1:progress").next_at_ms, ms(t0 + 10s + 20s));
    clock_.advance(20s);
    settle();
    EXPECT_EQ(row("T1:progress").next_at_ms, ms(t0 + 30s + 25s));  // capped at max_retry
    clock_.advance(25s);
    settle();

    EXPECT_EQ(script_.times(), (std::vector<Clock::time_point>{t0, t0 + 10s, t0 + 30s, t0 + 55s}));
    const auto given_up = row("T1:progress");
    EXPECT_EQ(given_up.state, "failed");
    EXPECT_EQ(given_up.attempts, 4);
    EXPECT_EQ(given_up.last_error, "WeChat is busy; try again later");
    clock_.advance(24h);
    settle();
    EXPECT_EQ(script_.calls().size(), 4U);

    const auto log = events(m.ticket_id);
    ASSERT_EQ(log.size(), 2U);
    const auto& e = log.back();
    EXPECT_EQ(e.kind, "delivery_failed");
    EXPECT_EQ(e.actor, "system");
    EXPECT_NE(e.text.find("业主"), std::string::npos) << e.text;
    EXPECT_NE(e.text.find("您的工单 T1:progress 有新进展"), std::string::npos) << e.text;
    EXPECT_NE(e.text.find("WeChat is busy"), std::string::npos) << e.text;
    EXPECT_EQ(e.text.find("o-A"), std::string::npos) << "no openid in the ticket's log: " << e.text;
    const auto data = json::parse(e.data);
    EXPECT_EQ(data.at("key"), "T1:progress");
    EXPECT_EQ(data.at("channel"), "wechat_mp");
    EXPECT_EQ(data.at("error"), "WeChat is busy; try again later");
    EXPECT_EQ(data.at("attempts"), 4);
    EXPECT_EQ(data.at("outcome"), "given_up");
}

TEST_F(OutboxSenderTest, APermanentErrorGivesUpAtOnce) {
    auto m = message("T1:card", "engineering", "wecom_robot", "demo");
    m.ticket_id = insert_ticket();
    queue(m);
    script_.always(outcome_for(make_error_code(adapters::wecom::errc::content_too_long)));
    start(options());
    settle();
    EXPECT_EQ(script_.calls().size(), 1U);
    EXPECT_EQ(row("T1:card").state, "failed");
    const auto log = events(m.ticket_id);
    ASSERT_EQ(log.size(), 2U);
    EXPECT_NE(log.back().text.find("工作群（engineering）"), std::string::npos) << log.back().text;
}

TEST_F(OutboxSenderTest, RobotRateLimitSendsTwentyAMinuteAndLosesNothing) {
    for (int i = 0; i < 25; ++i) {
        queue(message("card-" + std::to_string(100 + i), "engineering", "wecom_robot", "demo"));
    }
    queue(message("other-robot", "order", "wecom_robot", "demo"));
    const auto t0 = clock_.now();
    start(options());
    settle();

    EXPECT_EQ(script_.calls_to("engineering").size(), 20U);
    EXPECT_EQ(script_.calls_to("order").size(), 1U);  // another robot has its own limit
    // The 21st waits for the minute, without an attempt or an error; the dispatcher sleeps until then.
    const auto waiting = row("card-120");
    EXPECT_EQ(waiting.state, "pending");
    EXPECT_EQ(waiting.attempts, 0);
    EXPECT_EQ(waiting.last_error, "");
    EXPECT_EQ(waiting.next_at_ms, ms(t0 + 60s));

    clock_.advance(59s);
    settle();
    EXPECT_EQ(script_.calls_to("engineering").size(), 20U);
    clock_.advance(1s);
    settle();

    std::vector<std::string> expected;
    for (int i = 0; i < 25; ++i) {
        expected.push_back("card-" + std::to_string(100 + i));
    }
    EXPECT_EQ(script_.calls_to("engineering"), expected);  // each once, in order
    EXPECT_EQ(count_state("sent"), 26U);
    for (std::size_t i = 20; i < 25; ++i) {
        EXPECT_EQ(script_.times()[i + 1], t0 + 60s);  // +1: the other robot's card went first
    }
}

TEST_F(OutboxSenderTest, AppMessagesAreLimitedPerMember) {
    auto o = options();
    o.rates.app_per_member_per_minute = 2;
    for (int i = 0; i < 3; ++i) {
        queue(message("to-zhang-" + std::to_string(i), "zhang", "wecom_app", "staff"));
    }
    queue(message("to-both", "zhang|li", "wecom_app", "staff"));
    queue(message("to-li", "li", "wecom_app", "staff"));
    const auto t0 = clock_.now();
    start(o);
    settle();
    // A message to both counts for each of them: zhang's minute is used up by his first one and the
    // one to both; li still had room for his own.
    EXPECT_EQ(script_.calls(), (std::vector<std::string>{"to-zhang-0", "to-both", "to-li"}));
    EXPECT_EQ(row("to-zhang-1").next_at_ms, ms(t0 + 1min));
    clock_.advance(1min);
    settle();
    EXPECT_EQ(script_.calls(),
              (std::vector<std::string>{"to-zhang-0", "to-both", "to-li", "to-zhang-1", "to-zhang-2"}));
    EXPECT_EQ(count_state("sent"), 5U);
}

TEST_F(OutboxSenderTest, AnAmbiguousSendIsNotResentAndIsRecorded) {
    auto m = message("T1:done", "o-A");
    m.ticket_id = insert_ticket();
    queue(m);
    queue(message("T1:survey", "o-A"));
    script_.script("T1:done", {outcome_for(make_error_code(adapters::wechat_mp::errc::transport))});
    start(options());
    settle();
    clock_.advance(1h);
    settle();

    EXPECT_EQ(script_.calls(), (std::vector<std::string>{"T1:done", "T1:survey"}));
    const auto failed = row("T1:done");
    EXPECT_EQ(failed.state, "failed");
    EXPECT_EQ(failed.attempts, 1);
    EXPECT_TRUE(failed.last_error.starts_with("may have been delivered; not resent")) << failed.last_error;
    const auto log = events(m.ticket_id);
    ASSERT_EQ(log.size(), 2U);
    EXPECT_EQ(log.back().kind, "delivery_failed");
    EXPECT_EQ(json::parse(log.back().data).at("outcome"), "unknown");
    EXPECT_NE(log.back().text.find("可能已经送达"), std::string::npos) << log.back().text;
}

TEST_F(OutboxSenderTest, AnAmbiguousSendWithAnIdempotencyKeyIsResentWithinItsWindow) {
    queue(message("keyed", "o-A"));
    script_.script("keyed", {SendOutcome::unsure("timeout", 10min)});
    start(options());
    settle();
    EXPECT_EQ(row("keyed").state, "pending");
    clock_.advance(10s);
    settle();
    EXPECT_EQ(script_.calls(), (std::vector<std::string>{"keyed", "keyed"}));
    EXPECT_EQ(row("keyed").state, "sent");
}

TEST_F(OutboxSenderTest, AfterAnAmbiguousSendLaterRetriesStayInsideTheWindow) {
    // Unsure once (a 10-minute window), then only failures that surely did not deliver: the resends
    // still must not leave the window, because the first attempt may have arrived.
    queue(message("keyed", "o-A"));
    script_.script("keyed", {SendOutcome::unsure("timeout", 10min)});
    script_.always(SendOutcome::again("bad gateway"));
    auto o = options();
    o.first_retry = 2min;
    o.max_attempts = 10;
    start(o);
    const auto t0 = clock_.now();
    settle();
    clock_.advance(2min);
    settle();
    clock_.advance(4min);
    settle();
    clock_.advance(3min);
    settle();
    clock_.advance(1h);
    settle();
    // 2 min, then 4 min, then cut to the window's end (10 min less a tenth), then no more.
    EXPECT_EQ(script_.times(), (std::vector<Clock::time_point>{t0, t0 + 2min, t0 + 6min, t0 + 9min}));
    const auto given_up = row("keyed");
    EXPECT_EQ(given_up.state, "failed");
    EXPECT_NE(given_up.last_error.find("duplicate window"), std::string::npos) << given_up.last_error;
}

TEST_F(OutboxSenderTest, EachDispatcherServesOnlyItsChannels) {
    queue(message("mp-1", "o-A"));
    queue(message("robot-1", "engineering", "wecom_robot", "demo"));
    queue(message("app-1", "zhang", "wecom_app", "staff"));
    auto robots = options();
    robots.channels = {"wecom_robot"};
    start(robots);
    settle();
    EXPECT_EQ(script_.calls(), (std::vector<std::string>{"robot-1"}));
    EXPECT_EQ(row("mp-1").state, "pending");

    // The other channels get theirs; a platform failing for one does not hold up another.
    ScriptedTransport failing;
    failing.clock = &clock_;
    failing.always(SendOutcome::again("WeChat is down"));
    auto mp = options();
    mp.channels = {"wechat_mp"};
    start(mp, &failing);
    auto rest = options();
    rest.channels = {"wecom_app", "wecom_chat"};
    auto& staff = start(rest);
    EXPECT_EQ(staff.options().channels, rest.channels);
    settle();
    EXPECT_EQ(script_.calls(), (std::vector<std::string>{"robot-1", "app-1"}));
    EXPECT_EQ(failing.calls(), std::vector<std::string>{"mp-1"});
    EXPECT_EQ(row("mp-1").state, "pending");
    EXPECT_EQ(row("app-1").state, "sent");
    stop();  // before `failing` goes
}

TEST_F(OutboxSenderTest, ConcurrencyAcrossRecipientsKeepsEachRecipientsOrder) {
    const std::vector<std::string> residents = {"o-A", "o-B", "o-C", "o-D", "o-E"};
    for (int i = 0; i < 6; ++i) {
        for (const auto& r : residents) {
            queue(message(r + "-" + std::to_string(i), r));
        }
    }
    script_.set_yields(5);
    script_.script("o-C-2", {SendOutcome::again("busy")});
    auto o = options();
    o.concurrency = 3;
    start(o);
    settle();
    clock_.advance(10s);
    settle();

    EXPECT_EQ(script_.max_in_flight(), 3);
    EXPECT_FALSE(script_.overlapped_a_recipient());
    for (const auto& r : residents) {
        std::vector<std::string> expected;
        for (int i = 0; i < 6; ++i) {
            expected.push_back(r + "-" + std::to_string(i));
            if (r == "o-C" && i == 2) {
                expected.push_back(r + "-2");  // its retry, before anything after it
            }
        }
        EXPECT_EQ(script_.calls_to(r), expected) << r;
    }
    EXPECT_EQ(count_state("sent"), 30U);
}

TEST_F(OutboxSenderTest, KickWakesASleepingDispatcher) {
    auto& sender = start(options());
    settle();
    queue(message("late", "o-A"));
    sender.kick();
    ASSERT_TRUE(poll_until(ioc_, [&] { return script_.calls().size() == 1; }));
    settle();
    EXPECT_EQ(row("late").state, "sent");
}

TEST_F(OutboxSenderTest, StopsOnlyAfterTheSendsInFlightHaveEnded) {
    for (const auto* r : {"o-A", "o-B", "o-C"}) {
        queue(message(std::string(r) + "-1", r));
    }
    script_.set_yields(1000);
    start(options());
    ASSERT_TRUE(poll_until(ioc_, [&] { return script_.calls().size() == 3; }));
    stop();  // returns once run() has ended, which waits for the three workers
    EXPECT_EQ(script_.max_in_flight(), 3);
    // Cut short by the shutdown: never recorded as a failure.
    for (const auto* key : {"o-A-1", "o-B-1", "o-C-1"}) {
        const auto m = row(key);
        EXPECT_NE(m.state, "failed") << key;
        EXPECT_EQ(m.last_error, "") << key;
    }
}

// ---- the store's dispatcher queries ----

TEST_F(OutboxSenderTest, DueHeadsHoldBackWhatQueuesBehindATriedOrDueMessage) {
    const auto now = ms(clock_.now());
    auto scheduled = message("scheduled", "o-A");
    scheduled.next_at_ms = now + 3'600'000;  // a morning digest queued the night before
    queue(scheduled);
    queue(message("urgent", "o-A"));
    queue(message("b1", "o-B"));
    queue(message("b2", "o-B"));
    queue(message("c1", "o-C", "wecom_app", "staff"));
    auto heads = [&](std::int64_t at, std::vector<std::string> channels) {
        auto job = [at, channels](SQLite::Database& db) {
            std::vector<std::string> keys;
            for (const auto& m : store::due_heads(db, at, 100, channels)) {
                keys.push_back(m.key);
            }
            return keys;
        };
        return run_coro(ioc_, store_->run(std::move(job)));
    };
    // Something scheduled for later does not hold back what comes after it.
    EXPECT_EQ(heads(now, {}), (std::vector<std::string>{"urgent", "b1", "c1"}));
    EXPECT_EQ(heads(now, {"wechat_mp"}), (std::vector<std::string>{"urgent", "b1"}));
    EXPECT_EQ(heads(now, {"wecom_app", "wecom_robot"}), std::vector<std::string>{"c1"});
    // Once due, it goes first again.
    EXPECT_EQ(heads(now + 3'600'000, {"wechat_mp"}), (std::vector<std::string>{"b1", "scheduled"}));

    // A tried message waiting for its retry holds back the rest of its queue.
    const auto b1 = row("b1").id;
    auto fail = [b1, at = now + 60'000](SQLite::Database& db) {
        store::mark_failed(db, b1, "busy", at, false);
    };
    run_coro(ioc_, store_->write(std::move(fail)));
    EXPECT_EQ(heads(now, {"wechat_mp"}), std::vector<std::string>{"urgent"});
    auto next = [now](SQLite::Database& db) { return store::next_due_after(db, now, {"wechat_mp"}); };
    EXPECT_EQ(run_coro(ioc_, store_->run(std::move(next))), now + 60'000);
    EXPECT_EQ(heads(now + 60'000, {"wechat_mp"}), (std::vector<std::string>{"urgent", "b1"}));

    auto pending = [](SQLite::Database& db) {
        return std::make_pair(store::outbox_pending(db, {"wechat_mp"}), store::outbox_pending(db, {}));
    };
    EXPECT_EQ(run_coro(ioc_, store_->run(std::move(pending))),
              std::make_pair(std::size_t{4}, std::size_t{5}));
}

// ---- outcome_for, config, admin listing ----

TEST(OutboxOutcomeTest, MapsAdapterErrors) {
    namespace mp = adapters::wechat_mp;
    namespace wc = adapters::wecom;
    using Kind = SendOutcome::Kind;
    EXPECT_EQ(outcome_for({}).kind, Kind::sent);
    // May have been delivered: unknown, carrying the request's idempotency window.
    EXPECT_EQ(outcome_for(make_error_code(mp::errc::transport)).kind, Kind::unknown);
    EXPECT_EQ(outcome_for(make_error_code(mp::errc::transport)).idempotent_for, 0ms);
    EXPECT_EQ(outcome_for(make_error_code(mp::errc::transport), 10min).idempotent_for, 10min);
    EXPECT_EQ(outcome_for(make_error_code(wc::errc::transport), 30min).kind, Kind::unknown);
    EXPECT_EQ(outcome_for(make_error_code(net::errc::timeout)).kind, Kind::unknown);
    EXPECT_EQ(outcome_for(make_error_code(net::errc::protocol_error)).kind, Kind::unknown);
    // Surely not sent: retried.
    EXPECT_EQ(outcome_for(make_error_code(mp::errc::no_token)).kind, Kind::retry);
    EXPECT_EQ(outcome_for(make_error_code(wc::errc::no_token)).kind, Kind::retry);
    EXPECT_EQ(outcome_for(make_error_code(net::errc::connection_refused)).kind, Kind::retry);
    EXPECT_EQ(outcome_for(make_error_code(mp::errc::not_sent)).kind, Kind::retry);
    EXPECT_EQ(outcome_for(make_error_code(wc::errc::not_sent)).kind, Kind::retry);
    EXPECT_EQ(outcome_for(make_error_code(mp::errc::platform_busy)).kind, Kind::retry);
    EXPECT_EQ(outcome_for(make_error_code(mp::errc::bad_response)).kind, Kind::retry);
    EXPECT_EQ(outcome_for(make_error_code(mp::errc::rate_limited)).kind, Kind::retry);
    EXPECT_EQ(outcome_for(make_error_code(wc::errc::token_rejected)).kind, Kind::retry);
    // Never going to work.
    EXPECT_EQ(outcome_for(make_error_code(mp::errc::not_subscribed)).kind, Kind::give_up);
    EXPECT_EQ(outcome_for(make_error_code(mp::errc::template_invalid)).kind, Kind::give_up);
    EXPECT_EQ(outcome_for(make_error_code(wc::errc::invalid_chat)).kind, Kind::give_up);
    EXPECT_EQ(outcome_for(make_error_code(wc::errc::no_permission)).kind, Kind::give_up);
    EXPECT_EQ(outcome_for(make_error_code(mp::errc::invalid_recipient)).error,
              make_error_code(mp::errc::invalid_recipient).message());
    EXPECT_NE(make_error_code(mp::errc::no_token).message().find("not sent"), std::string::npos);
    EXPECT_NE(make_error_code(wc::errc::no_token).message().find("not sent"), std::string::npos);
}

TEST(OutboxOutcomeTest, RateLimiterIsASlidingWindow) {
    RateLimiter limiter;
    const Clock::time_point t0{std::chrono::seconds{1'795'741'200}};
    const std::vector<std::string> key = {"robot/demo/engineering"};
    EXPECT_EQ(limiter.acquire(key, 3, 1min, t0), std::nullopt);
    EXPECT_EQ(limiter.acquire(key, 3, 1min, t0 + 20s), std::nullopt);
    EXPECT_EQ(limiter.acquire(key, 3, 1min, t0 + 40s), std::nullopt);
    EXPECT_EQ(limiter.acquire(key, 3, 1min, t0 + 50s), t0 + 60s);
    EXPECT_EQ(limiter.acquire(key, 3, 1min, t0 + 60s), std::nullopt);  // the first left the window
    EXPECT_EQ(limiter.acquire(key, 3, 1min, t0 + 61s), t0 + 80s);
    // Several keys: room in all, or nothing is counted.
    EXPECT_EQ(limiter.acquire({"a", "b"}, 1, 1min, t0), std::nullopt);
    EXPECT_EQ(limiter.acquire({"c", "b"}, 1, 1min, t0 + 1s), t0 + 60s);
    EXPECT_EQ(limiter.acquire({"c"}, 1, 1min, t0 + 1s), std::nullopt);
    EXPECT_EQ(limiter.acquire({"x"}, 0, 1min, t0), std::nullopt);  // no limit
}

TEST(OutboxOutcomeTest, OptionsComeFromTheConfig) {
    const auto parsed = config::parse_config(
        R"({"outbox": {"poll": "5s", "first_retry": "1m", "max_retry": "2h", "max_attempts": 7, "concurrency": 8,
                       "rates": {"robot_per_minute": 10, "app_per_member_per_minute": 20, "appchat_per_minute": 100,
                                 "wechat_mp_per_second": 50}}})",
        "test.json", {});
    ASSERT_TRUE(parsed.has_value()) << ::testing::PrintToString(parsed.error().items);
    const auto o = outbox_options(parsed->outbox, {"wechat_mp"});
    EXPECT_EQ(o.poll, 5s);
    EXPECT_EQ(o.first_retry, 1min);
    EXPECT_EQ(o.max_retry, 2h);
    EXPECT_EQ(o.max_attempts, 7);
    EXPECT_EQ(o.concurrency, 8U);
    EXPECT_GE(o.batch, o.concurrency);
    EXPECT_EQ(o.channels, std::vector<std::string>{"wechat_mp"});
    EXPECT_EQ(o.rates.robot_per_minute, 10);
    EXPECT_EQ(o.rates.app_per_member_per_minute, 20);
    EXPECT_EQ(o.rates.appchat_per_minute, 100);
    EXPECT_EQ(o.rates.wechat_mp_per_second, 50);

    const auto defaults = outbox_options(config::OutboxConfig{});
    EXPECT_EQ(defaults.poll, OutboxOptions{}.poll);
    EXPECT_EQ(defaults.max_attempts, OutboxOptions{}.max_attempts);
    EXPECT_EQ(defaults.rates.robot_per_minute, 20);
    EXPECT_EQ(defaults.rates.app_per_member_per_minute, 30);
    EXPECT_EQ(defaults.rates.appchat_per_minute, 200);
    EXPECT_TRUE(defaults.channels.empty());

    const auto bad = config::parse_config(
        R"({"outbox": {"first_retry": "10m", "max_retry": "1m", "concurrency": 0, "rates": {"robot_per_minute": 0}}})",
        "test.json", {});
    ASSERT_FALSE(bad.has_value());
    std::set<std::string> keys;
    for (const auto& p : bad.error().items) {
        keys.insert(p.key);
    }
    EXPECT_EQ(keys, (std::set<std::string>{"outbox.max_retry", "outbox.concurrency",
                                           "outbox.rates.robot_per_minute"}));
}

class OutboxApiTest : public OutboxSenderTest {
protected:
    std::pair<int, json> get(const std::string& query) {
        net::ServerRequest request;
        request.message.method(http::verb::get);
        request.path = "/api/v1/outbox";
        request.query = query;
        OutboxApi api(*store_);
        auto response = run_coro(ioc_, api.list(std::move(request)));
        return {static_cast<int>(response.result_int()), json::parse(response.body(), nullptr, false)};
    }
};

TEST_F(OutboxApiTest, ListsByStateAndTicketWithPaging) {
    const auto ticket = insert_ticket();
    auto code_job = [ticket](SQLite::Database& db) { return store::ticket_by_id(db, ticket)->code; };
    const auto code = run_coro(ioc_, store_->run(std::move(code_job)));
    auto about = message("T:notice", "o-A");
    about.ticket_id = ticket;
    queue(about);
    queue(message("x1", "o-B"));
    queue(message("x2", "zhang|li", "wecom_app", "staff"));
    script_.script("x1", {SendOutcome::fail("the OpenID is not valid for this official account")});
    start(options());
    settle();
    stop();

    auto [status, all] = get("");
    ASSERT_EQ(status, 200) << all.dump();
    ASSERT_EQ(all.at("messages").size(), 3U);
    EXPECT_EQ(all.at("next"), nullptr);
    const auto& first = all.at("messages")[0];
    EXPECT_EQ(first.at("key"), "T:notice");
    EXPECT_EQ(first.at("channel"), "wechat_mp");
    EXPECT_EQ(first.at("account"), "main");
    EXPECT_EQ(first.at("target"), "o-A");
    EXPECT_EQ(first.at("state"), "sent");
    EXPECT_EQ(first.at("attempts"), 1);
    EXPECT_EQ(first.at("ticket"), code);
    EXPECT_EQ(first.at("created_at"), "2026-11-27T01:00:00.000Z");
    EXPECT_EQ(first.at("sent_at"), "2026-11-27T01:00:00.000Z");
    EXPECT_EQ(first.at("next_at"), nullptr);
    EXPECT_EQ(all.at("messages")[1].at("ticket"), nullptr);

    auto [s1, failed] = get("state=failed");
    ASSERT_EQ(s1, 200);
    ASSERT_EQ(failed.at("messages").size(), 1U);
    EXPECT_EQ(failed.at("messages")[0].at("key"), "x1");
    EXPECT_EQ(failed.at("messages")[0].at("last_error"), "the OpenID is not valid for this official account");

    auto [s2, by_ticket] = get("ticket=" + code);
    ASSERT_EQ(s2, 200);
    ASSERT_EQ(by_ticket.at("messages").size(), 1U);
    EXPECT_EQ(by_ticket.at("messages")[0].at("key"), "T:notice");

    auto [s3, page] = get("limit=2");
    ASSERT_EQ(page.at("messages").size(), 2U);
    ASSERT_TRUE(page.at("next").is_number());
    auto [s4, rest] = get("limit=2&after=" + std::to_string(page.at("next").get<std::int64_t>()));
    ASSERT_EQ(rest.at("messages").size(), 1U);
    EXPECT_EQ(rest.at("messages")[0].at("key"), "x2");

    for (const auto& [query, field] :
         std::vector<std::pair<std::string, std::string>>{{"state=lost", "state"},
                                                          {"ticket=!!", "ticket"},
                                                          {"limit=0", "limit"},
                                                          {"limit=1001", "limit"},
                                                          {"after=-1", "after"},
                                                          {"colour=red", "colour"}}) {
        auto [code400, body] = get(query);
        EXPECT_EQ(code400, 400) << query;
        EXPECT_EQ(body.at("field"), field) << query;
    }
}

}  // namespace
}  // namespace anju::runtime
