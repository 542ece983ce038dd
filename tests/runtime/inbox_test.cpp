// Inbox and Conversations with the real store: journal first, one turn per message however often it is
// delivered, recovery after a restart, per-resident ordering, failure isolation, back-pressure, idle
// retirement and shutdown.
#include "bot/runtime/inbox.hpp"

#include "bot/runtime/channel_sender.hpp"
#include "bot/runtime/conversations.hpp"
#include "bot/runtime/message_json.hpp"
#include "bot/runtime/responder.hpp"
#include "store/inbound.hpp"
#include "store/store.hpp"
#include "tests/support/async.hpp"
#include "tests/support/fake_clock.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/system/system_error.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace anju::runtime {
namespace {

using anju::testing::FakeClock;
using anju::testing::poll_until;
using anju::testing::run_coro;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

steady::time_point far() { return steady::now() + 1h; }

std::int64_t millis(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// Answers "re: <text>"; "throw…" throws, "silent…" says nothing. Records who was inside when, and can
// hold every call at a gate until the test releases it.
class ScriptedResponder final : public Responder {
public:
    explicit ScriptedResponder(const asio::any_io_executor& ex) : gate_(ex, 10'000) {}

    asio::awaitable<Response> respond(const InboundMessage& m) override {
        const auto conversation = m.conversation_key();
        store::Store* journal = nullptr;
        bool gated = false;
        int yields = 0;
        {
            std::lock_guard lock(mutex_);
            ++calls_;
            log_.push_back("enter " + m.text);
            by_conversation_[conversation].push_back("enter " + m.text);
            max_in_flight_ = std::max(max_in_flight_, ++in_flight_);
            auto& here = in_conversation_[conversation];
            ++here;
            max_in_conversation_ = std::max(max_in_conversation_, here);
            journal = journal_;
            gated = gated_;
            yields = yields_;
        }
        if (journal != nullptr) {
            auto find = [key = m.dedupe_key](SQLite::Database& db) { return store::find_inbound(db, key); };
            auto row = co_await journal->run(std::move(find));
            std::lock_guard lock(mutex_);
            journaled_when_called_.push_back(row.has_value() && !row->answered);
        }
        if (gated) {
            auto [ec] = co_await gate_.async_receive(asio::as_tuple(asio::use_awaitable));
            (void)ec;  // closed: the gate is open for good
        }
        // Suspension points where a second turn of the same conversation would interleave if the
        // actor let it run concurrently.
        for (int i = 0; i < yields; ++i) {
            auto ex = co_await asio::this_coro::executor;
            co_await asio::post(ex, asio::use_awaitable);
        }
        {
            std::lock_guard lock(mutex_);
            log_.push_back("exit " + m.text);
            by_conversation_[conversation].push_back("exit " + m.text);
            --in_flight_;
            --in_conversation_[conversation];
        }
        if (m.text.starts_with("throw")) {
            throw std::runtime_error("responder bug");
        }
        Reply reply;
        if (!m.text.starts_with("silent")) {
            reply.texts.push_back("re: " + m.text);
        }
        Response response;
        response.reply = std::move(reply);
        co_return response;
    }

    // Every call from now on waits for release().
    void close_gate() {
        std::lock_guard lock(mutex_);
        gated_ = true;
    }
    void release(std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) {
            ASSERT_TRUE(gate_.try_send(boost::system::error_code{}));
        }
    }
    // Lets every waiting and future call through (teardown).
    void open_gate() {
        {
            std::lock_guard lock(mutex_);
            gated_ = false;
        }
        gate_.close();
    }
    // Back to a fresh, open gate that close_gate() can close again.
    void reset_gate() {
        std::lock_guard lock(mutex_);
        gated_ = false;
        gate_.reset();
    }
    void set_yields(int n) {
        std::lock_guard lock(mutex_);
        yields_ = n;
    }
    // Each call first looks its message up in the journal.
    void check_journal(store::Store& store) {
        std::lock_guard lock(mutex_);
        journal_ = &store;
    }

    int calls() const {
        std::lock_guard lock(mutex_);
        return calls_;
    }
    int in_flight() const {
        std::lock_guard lock(mutex_);
        return in_flight_;
    }
    int max_in_flight() const {
        std::lock_guard lock(mutex_);
        return max_in_flight_;
    }
    int max_in_conversation() const {
        std::lock_guard lock(mutex_);
        return max_in_conversation_;
    }
    std::vector<std::string> log() const {
        std::lock_guard lock(mutex_);
        return log_;
    }
    std::vector<std::string> log_of(const std::string& conversation) const {
        std::lock_guard lock(mutex_);
        const auto it = by_conversation_.find(conversation);
        return it == by_conversation_.end() ? std::vector<std::string>{} : it->second;
    }
    std::vector<bool> journaled_when_called() const {
        std::lock_guard lock(mutex_);
        return journaled_when_called_;
    }

private:
    asio::experimental::concurrent_channel<void(boost::system::error_code)> gate_;
    mutable std::mutex mutex_;
    bool gated_ = false;
    int yields_ = 0;
    store::Store* journal_ = nullptr;
    int calls_ = 0;
    int in_flight_ = 0;
    int max_in_flight_ = 0;
    int max_in_conversation_ = 0;
    std::map<std::string, int> in_conversation_;
    std::vector<std::string> log_;
    std::map<std::string, std::vector<std::string>> by_conversation_;
    std::vector<bool> journaled_when_called_;
};

// Offers the first text passively, as a webhook channel does, and records what it handed out.
class RecordingSender final : public ChannelSender {
public:
    struct Delivery {
        std::string dedupe_key;
        Reply reply;
        bool passive = false;
    };

    asio::awaitable<void> deliver(std::shared_ptr<Turn> turn, Reply reply) override {
        bool passive = false;
        if (reply.empty()) {
            turn->decline_passive();
        } else {
            passive = turn->offer_passive(reply.texts.front());
        }
        std::lock_guard lock(mutex_);
        deliveries_.push_back({turn->message().dedupe_key, std::move(reply), passive});
        co_return;
    }

    std::vector<Delivery> deliveries() const {
        std::lock_guard lock(mutex_);
        return deliveries_;
    }

private:
    mutable std::mutex mutex_;
    std::vector<Delivery> deliveries_;
};

InboundMessage make_message(const std::string& sender, const std::string& text, const std::string& msg_id,
                            Clock::time_point received_at) {
    InboundMessage m;
    m.channel = "wechat_mp";
    m.account = "estate";
    m.sender = sender;
    m.recipient = "gh_7f083739789a";
    m.kind = MessageKind::text;
    m.text = text;
    m.platform_msg_id = msg_id;
    m.dedupe_key = "wechat_mp/estate/m/" + msg_id + "/" + sender;
    m.platform_time = 1'795'741'200;
    m.received_at = received_at;
    return m;
}

store::InboundRecord record_of(const InboundMessage& m) {
    store::InboundRecord r;
    r.dedupe_key = m.dedupe_key;
    r.channel = m.channel;
    r.account = m.account;
    r.sender = m.sender;
    r.kind = std::string(to_string(m.kind));
    r.platform_msg_id = m.platform_msg_id;
    r.payload = to_json(m);
    r.received_at_ms = millis(m.received_at);
    return r;
}

// The outcome of a coroutine spawned without waiting for it.
template <class T>
struct Spawned {
    bool done = false;
    std::optional<T> value;
    std::exception_ptr error;
};

class InboxTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto opened = store::Store::open({.path = ":memory:"});
        ASSERT_TRUE(opened) << opened.error().what();
        store_ = std::move(*opened);
        build();
    }

    void TearDown() override {
        shutdown();
        // Nothing may be left pending: no admission, store job or conversation loop.
        // Runs until the context is out of work: the store thread may still hold on to it for a moment
        // after its last completion ran.
        ioc_.restart();
        ioc_.run_for(5s);
        EXPECT_TRUE(ioc_.stopped()) << "work left pending on the io_context";
    }

    void build(ConversationOptions conversation_options = {}, InboxOptions inbox_options = {}) {
        ConversationDeps deps{*store_, responder_, clock_,
                              [this](const InboundMessage&) -> ChannelSender* { return &sender_; },
                              [this](const std::shared_ptr<Turn>& turn) {
                                  ++finished_;
                                  inbox_->finished(turn);
                              }};
        conversations_ = std::make_unique<Conversations>(ioc_.get_executor(), std::move(deps),
                                                         conversation_options, metrics_);
        inbox_ = std::make_unique<Inbox>(*store_, *conversations_, metrics_, inbox_options);
        stopped_ = false;
    }

    void rebuild(ConversationOptions conversation_options, InboxOptions inbox_options = {}) {
        shutdown();
        responder_.reset_gate();
        build(conversation_options, inbox_options);
    }

    // Opens every gate, stops the conversations and waits for their loops to end.
    void shutdown() {
        responder_.open_gate();
        if (stopping_) {
            // A test's own stop(): it must have finished before the conversations go.
            EXPECT_TRUE(poll_until(
                ioc_, [&] { return stopping_->done; }, 15s));
            stopping_.reset();
        }
        if (conversations_ && !stopped_) {
            run_coro(ioc_, conversations_->stop(5s));
            stopped_ = true;
        }
        EXPECT_TRUE(poll_until(
            ioc_, [&] { return gauge("conversations_active") == 0; }, 5s));
        inbox_.reset();
        conversations_.reset();
    }

    InboundMessage message(const std::string& sender, const std::string& text, const std::string& msg_id) {
        return make_message(sender, text, msg_id, clock_.now());
    }

    Inbox::Admission admit(InboundMessage m) { return run_coro(ioc_, inbox_->admit(std::move(m)), 10s); }

    std::optional<std::string> await_passive(const std::shared_ptr<Turn>& turn) {
        return run_coro(ioc_, turn->await_passive(far()), 10s);
    }

    template <class T>
    std::shared_ptr<Spawned<T>> spawn(asio::awaitable<T> coro) {
        auto out = std::make_shared<Spawned<T>>();
        asio::co_spawn(ioc_, std::move(coro), [out](std::exception_ptr e, T value) {
            out->error = e;
            if (!e) {
                out->value = std::move(value);
            }
            out->done = true;
        });
        return out;
    }

    std::shared_ptr<Spawned<bool>> spawn(asio::awaitable<void> coro) {
        auto out = std::make_shared<Spawned<bool>>();
        asio::co_spawn(ioc_, std::move(coro), [out](std::exception_ptr e) {
            out->error = e;
            out->value = !e;
            out->done = true;
        });
        return out;
    }

    std::shared_ptr<Spawned<std::optional<std::string>>> spawn_attempt(const std::shared_ptr<Turn>& turn) {
        return spawn(turn->await_passive(far()));
    }

    // Writes the journal row an earlier process left behind.
    void journal(const InboundMessage& m, std::optional<Reply> answered = std::nullopt) {
        auto write = [record = record_of(m), answered](SQLite::Database& db) {
            store::insert_inbound(db, record);
            if (answered) {
                store::record_reply(db, record.dedupe_key, to_json(*answered), record.received_at_ms);
            }
        };
        run_coro(ioc_, store_->write(std::move(write)));
    }

    std::optional<store::StoredInbound> row(const std::string& key) {
        auto find = [key](SQLite::Database& db) { return store::find_inbound(db, key); };
        return run_coro(ioc_, store_->run(std::move(find)));
    }

    std::int64_t rows() {
        auto count = [](SQLite::Database& db) {
            return db.execAndGet("SELECT count(*) FROM inbound_messages").getInt64();
        };
        return run_coro(ioc_, store_->run(std::move(count)));
    }

    std::uint64_t counter(const std::string& name) { return metrics_.counter(name, "").with({}).value(); }
    std::int64_t gauge(const std::string& name) { return metrics_.gauge(name, "").with({}).value(); }

    bool wait_for(const std::function<bool()>& done) { return poll_until(ioc_, done, 10s); }

    asio::io_context ioc_;
    FakeClock clock_;
    metrics::Registry metrics_;
    std::unique_ptr<store::Store> store_;
    ScriptedResponder responder_{ioc_.get_executor()};
    RecordingSender sender_;
    std::atomic<int> finished_{0};
    std::unique_ptr<Conversations> conversations_;
    std::unique_ptr<Inbox> inbox_;
    bool stopped_ = false;
    std::shared_ptr<Spawned<bool>> stopping_;  // a stop() a test started and did not wait for
};

// ---- journal first, then the turn ----

TEST_F(InboxTest, JournalsTheMessageBeforeItsTurnRuns) {
    responder_.check_journal(*store_);
    responder_.close_gate();
    const auto m = message("oResidentA", "三号楼电梯坏了", "1001");
    const auto admission = admit(m);
    EXPECT_FALSE(admission.duplicate);
    ASSERT_TRUE(admission.turn);
    EXPECT_EQ(admission.turn->message(), m);

    // Durable when admit() returns, before any answer.
    const auto journaled = row(m.dedupe_key);
    ASSERT_TRUE(journaled);
    EXPECT_FALSE(journaled->answered);
    EXPECT_EQ(journaled->record.channel, "wechat_mp");
    EXPECT_EQ(journaled->record.account, "estate");
    EXPECT_EQ(journaled->record.sender, "oResidentA");
    EXPECT_EQ(journaled->record.kind, "text");
    EXPECT_EQ(journaled->record.platform_msg_id, "1001");
    EXPECT_EQ(journaled->record.received_at_ms, millis(clock_.now()));
    EXPECT_EQ(inbound_from_json(journaled->record.payload), m);

    ASSERT_TRUE(wait_for([&] { return responder_.calls() == 1; }));
    EXPECT_EQ(responder_.journaled_when_called(), std::vector<bool>{true});

    responder_.release(1);
    EXPECT_EQ(await_passive(admission.turn), "re: 三号楼电梯坏了");

    // The reply is recorded on the row, with the domain clock's time.
    const auto answered = row(m.dedupe_key);
    ASSERT_TRUE(answered);
    EXPECT_TRUE(answered->answered);
    EXPECT_EQ(reply_from_json(answered->reply), Reply{{"re: 三号楼电梯坏了"}});
    EXPECT_EQ(answered->answered_at_ms, millis(clock_.now()));

    const auto deliveries = sender_.deliveries();
    ASSERT_EQ(deliveries.size(), 1U);
    EXPECT_EQ(deliveries[0].dedupe_key, m.dedupe_key);
    EXPECT_TRUE(deliveries[0].passive);
    ASSERT_TRUE(wait_for([&] { return finished_ == 1; }));
    EXPECT_EQ(counter("inbound_messages_total"), 1U);
    EXPECT_EQ(counter("turns_total"), 1U);
    EXPECT_EQ(counter("inbound_duplicates_total"), 0U);
    EXPECT_EQ(inbox_->tracked(), 1U);  // kept joinable for late re-deliveries
}

TEST_F(InboxTest, AnAnswerReadyBeforeTheAttemptWaitsStillGoesPassive) {
    const auto m = message("oResidentA", "hi", "1002");
    const auto admission = admit(m);
    ASSERT_TRUE(wait_for([&] { return admission.turn->settled(); }));
    EXPECT_EQ(await_passive(admission.turn), "re: hi");
    ASSERT_EQ(sender_.deliveries().size(), 1U);
    EXPECT_TRUE(sender_.deliveries()[0].passive);
}

TEST_F(InboxTest, ConcurrentDeliveriesOfOneMessageShareOneTurn) {
    responder_.close_gate();
    const auto m = message("oResidentA", "漏水", "2001");
    std::vector<std::shared_ptr<Spawned<Inbox::Admission>>> admissions;
    for (int i = 0; i < 10; ++i) {
        admissions.push_back(spawn(inbox_->admit(m)));
    }
    ASSERT_TRUE(wait_for([&] {
        return std::all_of(admissions.begin(), admissions.end(), [](const auto& a) { return a->done; });
    }));
    int fresh = 0;
    std::vector<std::shared_ptr<Spawned<std::optional<std::string>>>> attempts;
    for (const auto& a : admissions) {
        ASSERT_FALSE(a->error);
        ASSERT_TRUE(a->value);
        EXPECT_EQ(a->value->turn, admissions.front()->value->turn);
        fresh += a->value->duplicate ? 0 : 1;
        attempts.push_back(spawn_attempt(a->value->turn));
    }
    EXPECT_EQ(fresh, 1);
    responder_.release(1);
    ASSERT_TRUE(wait_for([&] {
        return std::all_of(attempts.begin(), attempts.end(), [](const auto& a) { return a->done; });
    }));
    for (const auto& a : attempts) {
        EXPECT_EQ(a->value, std::optional<std::string>("re: 漏水"));
    }
    ASSERT_TRUE(wait_for([&] { return finished_ == 1; }));
    EXPECT_EQ(responder_.calls(), 1);
    EXPECT_EQ(rows(), 1);
    EXPECT_EQ(counter("inbound_messages_total"), 1U);
    EXPECT_EQ(counter("inbound_duplicates_total"), 9U);
    EXPECT_EQ(sender_.deliveries().size(), 1U);
}

TEST_F(InboxTest, ARedeliveryAfterTheAnswerJoinsTheFinishedTurn) {
    const auto m = message("oResidentA", "hi", "2002");
    const auto first = admit(m);
    EXPECT_EQ(await_passive(first.turn), "re: hi");
    const auto again = admit(m);
    EXPECT_TRUE(again.duplicate);
    EXPECT_EQ(again.turn, first.turn);
    EXPECT_EQ(await_passive(again.turn), "re: hi");  // the lost response is answered again
    EXPECT_EQ(responder_.calls(), 1);
}

TEST_F(InboxTest, AnAnsweredMessageNoLongerInMemoryIsADuplicate) {
    const auto m = message("oResidentA", "hi", "3001");
    const auto first = admit(m);
    EXPECT_EQ(await_passive(first.turn), "re: hi");
    ASSERT_TRUE(wait_for([&] { return finished_ == 1; }));

    // A new process (or the retention has passed): only the journal remembers the message.
    inbox_ = std::make_unique<Inbox>(*store_, *conversations_, metrics_);
    const auto again = admit(m);
    EXPECT_TRUE(again.duplicate);
    EXPECT_NE(again.turn, first.turn);
    EXPECT_TRUE(again.turn->settled());
    EXPECT_EQ(await_passive(again.turn), std::nullopt);
    EXPECT_EQ(responder_.calls(), 1);
    EXPECT_EQ(rows(), 1);
    EXPECT_EQ(counter("inbound_duplicates_total"), 1U);
}

TEST_F(InboxTest, AfterTheRetentionARedeliveryFindsTheJournal) {
    rebuild({}, InboxOptions{.retention = 0ms});
    const auto m = message("oResidentA", "hi", "3002");
    const auto first = admit(m);
    EXPECT_EQ(await_passive(first.turn), "re: hi");
    ASSERT_TRUE(wait_for([&] { return finished_ == 1; }));
    const auto again = admit(m);
    EXPECT_TRUE(again.duplicate);
    EXPECT_NE(again.turn, first.turn);
    EXPECT_EQ(await_passive(again.turn), std::nullopt);
    EXPECT_EQ(responder_.calls(), 1);
    // Expired turns leave memory.
    const auto other = admit(message("oResidentB", "other", "3003"));
    EXPECT_EQ(inbox_->tracked(), 1U);
    EXPECT_EQ(await_passive(other.turn), "re: other");
}

// ---- recovery ----

TEST_F(InboxTest, RecoverReRunsAPendingMessageExactlyOnce) {
    const auto m = message("oResidentA", "停电了", "4001");
    journal(m);  // the previous process stopped before answering
    journal(message("oResidentB", "done", "4002"), Reply{{"answered before"}});

    EXPECT_EQ(run_coro(ioc_, inbox_->recover()), 1U);
    ASSERT_TRUE(wait_for([&] { return finished_ == 1; }));
    EXPECT_EQ(responder_.calls(), 1);
    EXPECT_EQ(responder_.log(), (std::vector<std::string>{"enter 停电了", "exit 停电了"}));
    const auto answered = row(m.dedupe_key);
    ASSERT_TRUE(answered);
    EXPECT_TRUE(answered->answered);
    // Nobody waited for it, so the answer went through the platform API.
    ASSERT_EQ(sender_.deliveries().size(), 1U);
    EXPECT_FALSE(sender_.deliveries()[0].passive);
    EXPECT_EQ(counter("inbound_recovered_total"), 1U);

    // A late re-delivery joins the re-run turn: answered already, asynchronously.
    const auto again = admit(m);
    EXPECT_TRUE(again.duplicate);
    EXPECT_TRUE(again.turn->settled());
    EXPECT_EQ(await_passive(again.turn), std::nullopt);

    EXPECT_EQ(run_coro(ioc_, inbox_->recover()), 0U);
    EXPECT_EQ(responder_.calls(), 1);
}

TEST_F(InboxTest, ARedeliveryDuringTheReRunCarriesTheAnswer) {
    responder_.close_gate();
    const auto m = message("oResidentA", "停电了", "4101");
    journal(m);
    EXPECT_EQ(run_coro(ioc_, inbox_->recover()), 1U);
    ASSERT_TRUE(wait_for([&] { return responder_.calls() == 1; }));
    const auto again = admit(m);
    EXPECT_TRUE(again.duplicate);
    const auto attempt = spawn_attempt(again.turn);
    // recover() again while the turn runs: it is already in memory.
    EXPECT_EQ(run_coro(ioc_, inbox_->recover()), 0U);
    responder_.release(1);
    ASSERT_TRUE(wait_for([&] { return attempt->done; }));
    EXPECT_EQ(attempt->value, std::optional<std::string>("re: 停电了"));
    EXPECT_EQ(responder_.calls(), 1);
    ASSERT_EQ(sender_.deliveries().size(), 1U);
    EXPECT_TRUE(sender_.deliveries()[0].passive);
}

TEST_F(InboxTest, AdmitRunsAPendingMessageThatWasNotRecovered) {
    const auto m = message("oResidentA", "hi", "4201");
    journal(m);
    const auto admission = admit(m);
    EXPECT_TRUE(admission.duplicate);  // journaled before, but never answered: run it now
    EXPECT_EQ(await_passive(admission.turn), "re: hi");
    EXPECT_EQ(responder_.calls(), 1);
    EXPECT_EQ(run_coro(ioc_, inbox_->recover()), 0U);
    ASSERT_TRUE(wait_for([&] { return finished_ == 1; }));
    EXPECT_EQ(responder_.calls(), 1);
}

TEST_F(InboxTest, RecoverSkipsRowsItCannotRead) {
    auto bad = record_of(message("oResidentA", "x", "4301"));
    bad.payload = "{not json";
    auto write = [bad](SQLite::Database& db) { store::insert_inbound(db, bad); };
    run_coro(ioc_, store_->write(std::move(write)));
    journal(message("oResidentB", "good", "4302"));
    EXPECT_EQ(run_coro(ioc_, inbox_->recover()), 1U);
    ASSERT_TRUE(wait_for([&] { return finished_ == 1; }));
    EXPECT_EQ(responder_.log(), (std::vector<std::string>{"enter good", "exit good"}));
}

TEST_F(InboxTest, RecoverHonoursItsLimit) {
    rebuild({}, InboxOptions{.recover_limit = 2});
    for (int i = 0; i < 3; ++i) {
        journal(message("oResident" + std::to_string(i), "m" + std::to_string(i), std::to_string(4400 + i)));
    }
    EXPECT_EQ(run_coro(ioc_, inbox_->recover()), 2U);
    ASSERT_TRUE(wait_for([&] { return finished_ == 2; }));
    EXPECT_EQ(run_coro(ioc_, inbox_->recover()), 1U);  // the oldest first; the rest next time
    ASSERT_TRUE(wait_for([&] { return finished_ == 3; }));
}

// ---- conversations: order, parallelism, failures ----

TEST_F(InboxTest, OneResidentInOrderAndNeverConcurrentlyTwoResidentsInParallel) {
    responder_.close_gate();
    responder_.set_yields(3);
    std::vector<std::shared_ptr<Turn>> turns;
    for (const auto& [sender, text, id] :
         std::vector<std::tuple<std::string, std::string, std::string>>{{"oA", "A1", "5001"},
                                                                        {"oB", "B1", "5002"},
                                                                        {"oA", "A2", "5003"},
                                                                        {"oA", "A3", "5004"},
                                                                        {"oB", "B2", "5005"},
                                                                        {"oA", "A4", "5006"},
                                                                        {"oB", "B3", "5007"}}) {
        turns.push_back(admit(message(sender, text, id)).turn);
    }
    // Both residents are being answered at the same time; their later messages wait their turn.
    ASSERT_TRUE(wait_for([&] { return responder_.in_flight() == 2; }));
    ioc_.poll();
    EXPECT_EQ(responder_.calls(), 2);
    EXPECT_EQ(responder_.log(), (std::vector<std::string>{"enter A1", "enter B1"}));

    responder_.release(7);
    for (const auto& turn : turns) {
        EXPECT_EQ(await_passive(turn), "re: " + turn->message().text);
    }
    EXPECT_EQ(responder_.max_in_conversation(), 1);
    EXPECT_EQ(responder_.max_in_flight(), 2);
    EXPECT_EQ(responder_.log_of("wechat_mp/estate/oA"),
              (std::vector<std::string>{"enter A1", "exit A1", "enter A2", "exit A2", "enter A3", "exit A3",
                                        "enter A4", "exit A4"}));
    EXPECT_EQ(
        responder_.log_of("wechat_mp/estate/oB"),
        (std::vector<std::string>{"enter B1", "exit B1", "enter B2", "exit B2", "enter B3", "exit B3"}));
    EXPECT_EQ(conversations_->size(), 2U);
    EXPECT_EQ(gauge("conversations_active"), 2);
}

TEST_F(InboxTest, AFailingTurnIsDeclinedAndTheConversationGoesOn) {
    const auto failing = message("oResidentA", "throw please", "6001");
    const auto first = admit(failing);
    EXPECT_EQ(await_passive(first.turn), std::nullopt);
    ASSERT_TRUE(wait_for([&] { return finished_ == 1; }));
    EXPECT_NE(metrics_.render().find("\nturns_failed_total 1\n"), std::string::npos) << metrics_.render();
    EXPECT_EQ(counter("turns_total"), 0U);
    const auto journaled = row(failing.dedupe_key);
    ASSERT_TRUE(journaled);
    EXPECT_FALSE(journaled->answered);  // stays journaled
    EXPECT_TRUE(sender_.deliveries().empty());

    const auto next = admit(message("oResidentA", "next", "6002"));
    EXPECT_EQ(await_passive(next.turn), "re: next");
    EXPECT_EQ(counter("turns_total"), 1U);
    EXPECT_EQ(counter("turns_failed_total"), 1U);
}

TEST_F(InboxTest, NothingToSayDeclinesTheTurn) {
    const auto m = message("oResidentA", "silent", "6101");
    const auto admission = admit(m);
    EXPECT_EQ(await_passive(admission.turn), std::nullopt);
    const auto answered = row(m.dedupe_key);
    ASSERT_TRUE(answered);
    EXPECT_TRUE(answered->answered);  // an empty answer is still an answer
    EXPECT_EQ(reply_from_json(answered->reply), Reply{});
}

TEST_F(InboxTest, AFullMailboxStillDeliversEveryTurnInOrder) {
    rebuild(ConversationOptions{.mailbox_size = 1});
    responder_.close_gate();
    responder_.set_yields(2);
    std::vector<std::shared_ptr<Turn>> turns;
    for (int i = 1; i <= 8; ++i) {
        turns.push_back(admit(message("oA", "A" + std::to_string(i), std::to_string(7000 + i))).turn);
    }
    ASSERT_TRUE(wait_for([&] { return responder_.calls() == 1; }));
    EXPECT_GE(counter("conversation_mailbox_full_total"), 5U);
    // Releasing one at a time while new messages keep arriving must not let them overtake.
    for (int i = 9; i <= 12; ++i) {
        responder_.release(1);
        turns.push_back(admit(message("oA", "A" + std::to_string(i), std::to_string(7000 + i))).turn);
        ASSERT_TRUE(wait_for([&] { return responder_.calls() == i - 7; }));
    }
    responder_.release(100);
    for (const auto& turn : turns) {
        EXPECT_EQ(await_passive(turn), "re: " + turn->message().text);
    }
    std::vector<std::string> expected;
    for (int i = 1; i <= 12; ++i) {
        expected.push_back("enter A" + std::to_string(i));
        expected.push_back("exit A" + std::to_string(i));
    }
    EXPECT_EQ(responder_.log(), expected);
    EXPECT_EQ(responder_.max_in_conversation(), 1);
}

// ---- idle retirement ----

TEST_F(InboxTest, SweepRetiresIdleConversations) {
    rebuild(ConversationOptions{.idle_timeout = 0ms});
    const auto first = admit(message("oA", "A1", "8001"));
    EXPECT_EQ(await_passive(first.turn), "re: A1");
    EXPECT_EQ(conversations_->size(), 1U);
    ASSERT_TRUE(wait_for([&] {
        conversations_->sweep();
        return conversations_->size() == 0;
    }));
    ASSERT_TRUE(wait_for([&] { return gauge("conversations_active") == 0; }));  // its loop ended

    const auto second = admit(message("oA", "A2", "8002"));
    EXPECT_EQ(conversations_->size(), 1U);
    EXPECT_EQ(await_passive(second.turn), "re: A2");
    EXPECT_EQ(gauge("conversations_active"), 1);
    EXPECT_EQ(responder_.calls(), 2);
}

TEST_F(InboxTest, SweepKeepsConversationsThatAreNotIdle) {
    {
        // With the default ten minutes, a conversation just used is kept.
        const auto a = admit(message("oA", "A1", "8101"));
        EXPECT_EQ(await_passive(a.turn), "re: A1");
        conversations_->sweep();
        EXPECT_EQ(conversations_->size(), 1U);
    }
    rebuild(ConversationOptions{.idle_timeout = 0ms});
    responder_.close_gate();
    const auto busy = admit(message("oB", "B1", "8102"));
    ASSERT_TRUE(wait_for([&] { return responder_.calls() == 1; }));
    const auto queued = admit(message("oB", "B2", "8103"));
    conversations_->sweep();
    EXPECT_EQ(conversations_->size(), 1U);  // a turn in progress and one queued
    responder_.release(2);
    EXPECT_EQ(await_passive(busy.turn), "re: B1");
    EXPECT_EQ(await_passive(queued.turn), "re: B2");
}

TEST_F(InboxTest, SweepNeverRetiresAConversationWithATurnOnItsWay) {
    rebuild(ConversationOptions{.idle_timeout = 0ms});
    const auto first = admit(message("oA", "A1", "8201"));
    EXPECT_EQ(await_passive(first.turn), "re: A1");
    ASSERT_TRUE(wait_for([&] { return finished_ == 1; }));
    ioc_.poll();  // the loop is back waiting for its next turn

    // The turn goes straight to the waiting loop, which has not resumed yet when sweep() runs.
    responder_.close_gate();
    const auto second = std::make_shared<Turn>(message("oA", "A2", "8202"), true);
    conversations_->post(second);
    conversations_->sweep();
    EXPECT_EQ(conversations_->size(), 1U);

    // So the resident's next message queues behind it on the same actor instead of running next to it.
    ASSERT_TRUE(wait_for([&] { return responder_.calls() == 2; }));
    const auto third = std::make_shared<Turn>(message("oA", "A3", "8203"), true);
    conversations_->post(third);
    for (int i = 0; i < 20; ++i) {
        ioc_.poll();
    }
    EXPECT_EQ(responder_.in_flight(), 1);
    responder_.release(2);
    EXPECT_EQ(await_passive(second), "re: A2");
    EXPECT_EQ(await_passive(third), "re: A3");
    EXPECT_EQ(responder_.max_in_conversation(), 1);
}

// ---- shutdown ----

TEST_F(InboxTest, StopDeclinesQueuedTurnsAndReturns) {
    responder_.close_gate();
    const auto running = admit(message("oA", "A1", "9001"));
    ASSERT_TRUE(wait_for([&] { return responder_.calls() == 1; }));
    const auto queued1 = admit(message("oA", "A2", "9002"));
    const auto queued2 = admit(message("oA", "A3", "9003"));
    const auto attempt1 = spawn_attempt(queued1.turn);
    const auto attempt2 = spawn_attempt(queued2.turn);

    stopping_ = spawn(conversations_->stop(10s));
    stopped_ = true;
    const auto stopping = stopping_;
    // The queued turns' webhook attempts are answered at once.
    ASSERT_TRUE(wait_for([&] { return attempt1->done && attempt2->done; }));
    ASSERT_TRUE(attempt1->value && attempt2->value);
    EXPECT_EQ(*attempt1->value, std::nullopt);
    EXPECT_EQ(*attempt2->value, std::nullopt);
    // stop() waits for the turn in progress...
    ioc_.poll();
    EXPECT_FALSE(stopping->done);
    responder_.release(1);
    ASSERT_TRUE(wait_for([&] { return stopping->done; }));
    EXPECT_FALSE(stopping->error);
    EXPECT_EQ(await_passive(running.turn), "re: A1");  // ...which finishes normally
    EXPECT_EQ(gauge("conversations_active"), 0);
    EXPECT_EQ(conversations_->size(), 0U);

    // The queued messages stay pending in the journal for the next start.
    EXPECT_TRUE(row(running.turn->message().dedupe_key)->answered);
    EXPECT_FALSE(row(queued1.turn->message().dedupe_key)->answered);
    EXPECT_FALSE(row(queued2.turn->message().dedupe_key)->answered);
    EXPECT_EQ(responder_.calls(), 1);

    // Messages after stop() are journaled but not run.
    const auto late = admit(message("oB", "late", "9004"));
    EXPECT_TRUE(late.turn->settled());
    EXPECT_EQ(await_passive(late.turn), std::nullopt);
    EXPECT_FALSE(row(late.turn->message().dedupe_key)->answered);
    EXPECT_EQ(responder_.calls(), 1);
}

TEST_F(InboxTest, StopDeclinesTurnsWaitingForRoom) {
    rebuild(ConversationOptions{.mailbox_size = 1});
    responder_.close_gate();
    const auto running = admit(message("oA", "A1", "9101"));
    ASSERT_TRUE(wait_for([&] { return responder_.calls() == 1; }));
    std::vector<std::shared_ptr<Turn>> queued;
    for (int i = 2; i <= 5; ++i) {
        queued.push_back(admit(message("oA", "A" + std::to_string(i), std::to_string(9100 + i))).turn);
    }
    ioc_.poll();
    stopping_ = spawn(conversations_->stop(10s));
    stopped_ = true;
    const auto stopping = stopping_;
    ASSERT_TRUE(wait_for([&] {
        return std::all_of(queued.begin(), queued.end(), [](const auto& t) { return t->settled(); });
    }));
    for (const auto& turn : queued) {
        EXPECT_EQ(await_passive(turn), std::nullopt);
    }
    responder_.release(1);
    ASSERT_TRUE(wait_for([&] { return stopping->done; }));
    EXPECT_EQ(responder_.calls(), 1);
}

TEST_F(InboxTest, StopGivesUpAfterTheGrace) {
    responder_.close_gate();
    const auto running = admit(message("oA", "A1", "9201"));
    ASSERT_TRUE(wait_for([&] { return responder_.calls() == 1; }));
    run_coro(ioc_, conversations_->stop(20ms));
    stopped_ = true;
    EXPECT_EQ(gauge("conversations_active"), 1);  // still answering; shutdown goes on regardless
    responder_.release(1);
    EXPECT_EQ(await_passive(running.turn), "re: A1");
}

// ---- journal failures ----

TEST_F(InboxTest, AClosedJournalRefusesTheMessage) {
    run_coro(ioc_, store_->close());
    const auto m = message("oA", "hi", "10001");
    try {
        admit(m);
        ADD_FAILURE() << "admit() did not throw";
    } catch (const boost::system::system_error& e) {
        EXPECT_EQ(e.code(), make_error_code(store::errc::closed));
    }
    EXPECT_EQ(inbox_->tracked(), 0U);
    EXPECT_EQ(responder_.calls(), 0);
    EXPECT_EQ(counter("inbound_messages_total"), 0U);
}

TEST_F(InboxTest, AFailedJournalWriteDeclinesTheTurnAndForgetsIt) {
    auto sabotage = [](SQLite::Database& db) {
        db.exec(
            "CREATE TRIGGER no_room BEFORE INSERT ON inbound_messages BEGIN SELECT RAISE(ABORT, 'disk "
            "full'); "
            "END");
    };
    run_coro(ioc_, store_->write(std::move(sabotage)));
    const auto m = message("oA", "hi", "10101");
    // WeChat's retry arrives while the first delivery is being journaled, and joins it.
    auto first = spawn(inbox_->admit(m));
    auto retry = spawn(inbox_->admit(m));
    ASSERT_TRUE(wait_for([&] { return first->done && retry->done; }));
    ASSERT_TRUE(first->error);
    try {
        std::rethrow_exception(first->error);
    } catch (const SQLite::Exception& e) {
        EXPECT_NE(std::string(e.what()).find("disk full"), std::string::npos) << e.what();
    }
    ASSERT_FALSE(retry->error);
    EXPECT_TRUE(retry->value->duplicate);
    EXPECT_TRUE(retry->value->turn->settled());
    EXPECT_TRUE(retry->value->turn->failed());  // so the retry is not acknowledged either
    EXPECT_EQ(await_passive(retry->value->turn), std::nullopt);
    EXPECT_EQ(inbox_->tracked(), 0U);
    EXPECT_EQ(responder_.calls(), 0);
    EXPECT_EQ(rows(), 0);

    // Once the journal works again, the next delivery is run.
    auto repair = [](SQLite::Database& db) { db.exec("DROP TRIGGER no_room"); };
    run_coro(ioc_, store_->write(std::move(repair)));
    const auto again = admit(m);
    EXPECT_FALSE(again.duplicate);
    EXPECT_EQ(await_passive(again.turn), "re: hi");
}

TEST_F(InboxTest, AFailedJournalLookupForgetsTheTurn) {
    const auto m = message("oA", "hi", "10201");
    journal(m);
    // The journal closes between the (conflicting) insert and the lookup of the existing row.
    auto admission = spawn(inbox_->admit(m));
    auto closing = spawn(store_->close());
    ASSERT_TRUE(wait_for([&] { return admission->done && closing->done; }));
    ASSERT_TRUE(admission->error);
    try {
        std::rethrow_exception(admission->error);
    } catch (const boost::system::system_error& e) {
        EXPECT_EQ(e.code(), make_error_code(store::errc::closed));
    }
    // Not left behind half-admitted: a turn nobody runs would swallow every re-delivery.
    EXPECT_EQ(inbox_->tracked(), 0U);
    EXPECT_EQ(responder_.calls(), 0);
}

// ---- on a pool of four threads ----

TEST(InboxThreadsTest, ConcurrentAdmissionsOnAThreadPool) {
    asio::thread_pool pool(4);
    FakeClock clock;
    metrics::Registry metrics;
    auto opened = store::Store::open({.path = ":memory:"});
    ASSERT_TRUE(opened) << opened.error().what();
    auto store = std::move(*opened);
    ScriptedResponder responder(pool.get_executor());
    responder.set_yields(2);
    RecordingSender sender;
    std::unique_ptr<Inbox> inbox;
    std::atomic<int> finished{0};
    ConversationDeps deps{*store, responder, clock,
                          [&](const InboundMessage&) -> ChannelSender* { return &sender; },
                          [&](const std::shared_ptr<Turn>& turn) {
                              ++finished;
                              inbox->finished(turn);
                          }};
    Conversations conversations(pool.get_executor(), std::move(deps), ConversationOptions{.mailbox_size = 2},
                                metrics);
    inbox = std::make_unique<Inbox>(*store, conversations, metrics);
    // Should an assertion end the test early, the pool's threads stop before anything they use goes.
    struct StopPool {
        asio::thread_pool& threads;
        ~StopPool() {
            threads.stop();
            threads.join();
        }
    } stop_pool{pool};

    // Ten deliveries of one message at once, from four threads.
    const auto same = make_message("oSame", "同一条", "1", clock.now());
    std::vector<std::future<Inbox::Admission>> same_admissions;
    for (int i = 0; i < 10; ++i) {
        same_admissions.push_back(asio::co_spawn(pool, inbox->admit(same), asio::use_future));
    }
    // Meanwhile four residents send twenty messages each, each resident's in order.
    constexpr int kResidents = 4;
    constexpr int kPerResident = 20;
    std::vector<std::future<std::vector<std::shared_ptr<Turn>>>> residents;
    for (int r = 0; r < kResidents; ++r) {
        std::vector<InboundMessage> messages;
        for (int i = 0; i < kPerResident; ++i) {
            messages.push_back(make_message("o" + std::to_string(r),
                                            std::to_string(r) + ":" + std::to_string(i),
                                            std::to_string(100 * (r + 1) + i), clock.now()));
        }
        residents.push_back(asio::co_spawn(
            pool,
            [](Inbox& in,
               std::vector<InboundMessage> ms) -> asio::awaitable<std::vector<std::shared_ptr<Turn>>> {
                std::vector<std::shared_ptr<Turn>> turns;
                for (auto& m : ms) {
                    auto admission = co_await in.admit(std::move(m));
                    turns.push_back(admission.turn);
                }
                co_return turns;
            }(*inbox, std::move(messages)),
            asio::use_future));
    }

    auto passive = [&](const std::shared_ptr<Turn>& turn) {
        auto f = asio::co_spawn(pool, turn->await_passive(far()), asio::use_future);
        EXPECT_EQ(f.wait_for(20s), std::future_status::ready);
        return f.get();
    };
    int fresh = 0;
    std::shared_ptr<Turn> same_turn;
    for (auto& f : same_admissions) {
        ASSERT_EQ(f.wait_for(20s), std::future_status::ready);
        const auto admission = f.get();
        fresh += admission.duplicate ? 0 : 1;
        if (same_turn) {
            EXPECT_EQ(admission.turn, same_turn);
        }
        same_turn = admission.turn;
        EXPECT_EQ(passive(admission.turn), "re: 同一条");
    }
    EXPECT_EQ(fresh, 1);
    for (int r = 0; r < kResidents; ++r) {
        ASSERT_EQ(residents[static_cast<std::size_t>(r)].wait_for(20s), std::future_status::ready);
        const auto turns = residents[static_cast<std::size_t>(r)].get();
        ASSERT_EQ(turns.size(), static_cast<std::size_t>(kPerResident));
        std::vector<std::string> expected;
        for (const auto& turn : turns) {
            EXPECT_EQ(passive(turn), "re: " + turn->message().text);
            expected.push_back("enter " + turn->message().text);
            expected.push_back("exit " + turn->message().text);
        }
        EXPECT_EQ(responder.log_of("wechat_mp/estate/o" + std::to_string(r)), expected);
    }
    EXPECT_EQ(responder.calls(), 1 + kResidents * kPerResident);
    EXPECT_EQ(responder.max_in_conversation(), 1);

    auto stopped = asio::co_spawn(pool, conversations.stop(10s), asio::use_future);
    ASSERT_EQ(stopped.wait_for(20s), std::future_status::ready);
    stopped.get();
    EXPECT_EQ(metrics.gauge("conversations_active", "").with({}).value(), 0);
    responder.open_gate();
    pool.join();
}

}  // namespace
}  // namespace anju::runtime
