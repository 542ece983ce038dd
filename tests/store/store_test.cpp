#include "store/store.hpp"

#include "tests/support/async.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace anju::store {
namespace {

using anju::testing::poll_until;
using anju::testing::run_coro;
using namespace std::chrono_literals;

// Holds a job on the store thread until the test opens it. Opening is idempotent, and the fixture
// opens every gate before it destroys the store, so a failing test cannot hang in Store's destructor.
class Gate {
public:
    Gate() : opened_(promise_.get_future().share()) {}

    // Blocks the calling (store) thread until open(); gives up after a minute so a bug cannot hang.
    void pass() {
        entered_ = true;
        (void)opened_.wait_for(60s);
    }
    void open() {
        if (!open_.exchange(true)) {
            promise_.set_value();
        }
    }
    bool entered() const { return entered_; }

private:
    std::promise<void> promise_;
    std::shared_future<void> opened_;
    std::atomic<bool> open_{false};
    std::atomic<bool> entered_{false};
};

// A job that waits at `gate`, then records `value` in the table `log`.
auto gated_insert(std::shared_ptr<Gate> gate, int value) {
    return [gate = std::move(gate), value](SQLite::Database& db) {
        gate->pass();
        SQLite::Statement insert(db, "INSERT INTO log (value) VALUES (?)");
        insert.bind(1, value);
        insert.exec();
        return value;
    };
}

auto insert(int value) {
    return [value](SQLite::Database& db) {
        SQLite::Statement statement(db, "INSERT INTO log (value) VALUES (?)");
        statement.bind(1, value);
        statement.exec();
    };
}

std::vector<int> read_log(SQLite::Database& db) {
    std::vector<int> values;
    SQLite::Statement select(db, "SELECT value FROM log ORDER BY rowid");
    while (select.executeStep()) {
        values.push_back(select.getColumn(0).getInt());
    }
    return values;
}

// The builtin schema plus a scratch table for the tests.
const std::vector<Migration>& test_migrations() {
    static const std::vector<Migration> migrations = [] {
        std::vector<Migration> list(builtin_migrations().begin(), builtin_migrations().end());
        list.push_back({static_cast<int>(list.size()) + 1, "test_log",
                        "CREATE TABLE log (value INTEGER NOT NULL, thread TEXT);"});
        return list;
    }();
    return migrations;
}

struct Threads {
    std::thread::id before;
    std::thread::id job;
    std::thread::id after;
    bool on_io_context = false;
    bool on_strand = false;
};

asio::awaitable<Threads> record_threads_on(Store& store, asio::io_context& ioc) {
    Threads t;
    t.before = std::this_thread::get_id();
    t.job = co_await store.run([](SQLite::Database&) { return std::this_thread::get_id(); });
    t.after = std::this_thread::get_id();
    t.on_io_context = ioc.get_executor().running_in_this_thread();
    const auto ex = co_await asio::this_coro::executor;
    if (const auto* strand = ex.target<asio::strand<asio::io_context::executor_type>>()) {
        t.on_strand = strand->running_in_this_thread();
    }
    co_return t;
}

asio::awaitable<void> append(Store& store, int value) { co_await store.run(insert(value)); }

// Runs the gated job against a short timer: which of the two finished first (0: job, 1: timer).
asio::awaitable<std::size_t> run_with_deadline(Store& store, std::shared_ptr<Gate> gate, int value,
                                               std::chrono::milliseconds deadline) {
    using namespace asio::experimental::awaitable_operators;
    asio::steady_timer timer(co_await asio::this_coro::executor, deadline);
    const auto winner =
        co_await (store.run(gated_insert(std::move(gate), value)) || timer.async_wait(asio::use_awaitable));
    if (winner.index() == 0) {
        EXPECT_EQ(std::get<0>(winner), value);
    }
    co_return winner.index();
}

// The error code of the boost::system::system_error that `coro` throws; a test failure otherwise.
boost::system::error_code error_of(asio::io_context& ioc, asio::awaitable<void> coro) {
    try {
        run_coro(ioc, std::move(coro));
    } catch (const boost::system::system_error& e) {
        return e.code();
    }
    ADD_FAILURE() << "no system_error was thrown";
    return {};
}

class StoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = std::filesystem::temp_directory_path() /
               ("anju-store-test-" + std::string(info->name()) + "-" + std::to_string(::getpid()));
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
        open_store();
    }

    void TearDown() override {
        gate_->open();
        store_.reset();  // joins the store thread, so every completion has been posted
        // Nothing may be left pending on the test's io_context.
        ioc_.restart();
        ioc_.run_for(10s);
        EXPECT_TRUE(ioc_.stopped()) << "work left pending on the io_context";
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }

    std::string db_path() const { return (dir_ / "anju.db").string(); }

    void open_store() {
        auto opened = Store::open(StoreOptions{db_path()}, test_migrations());
        ASSERT_TRUE(opened.has_value()) << opened.error().what();
        store_ = std::move(*opened);
    }

    std::vector<int> logged_values() {
        return run_coro(ioc_, store_->run([](SQLite::Database& db) { return read_log(db); }));
    }

    std::uintmax_t wal_size() const {
        std::error_code ec;
        const auto size = std::filesystem::file_size(db_path() + "-wal", ec);
        return ec ? 0 : size;
    }

    std::filesystem::path dir_;
    asio::io_context ioc_;
    std::shared_ptr<Gate> gate_ = std::make_shared<Gate>();
    std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, RunReturnsTheJobsValue) {
    EXPECT_EQ(run_coro(ioc_, store_->run([](SQLite::Database& db) {
                  return db.execAndGet("SELECT 40 + 2").getInt();
              })),
              42);
    EXPECT_EQ(run_coro(ioc_, store_->run([](SQLite::Database& db) {
                  return db.execAndGet("SELECT 'text from sqlite'").getString();
              })),
              "text from sqlite");
    // Move-only results work too.
    const auto pointer =
        run_coro(ioc_, store_->run([](SQLite::Database&) { return std::make_unique<int>(7); }));
    ASSERT_NE(pointer, nullptr);
    EXPECT_EQ(*pointer, 7);
}

TEST_F(StoreTest, RunWithAVoidJobWrites) {
    run_coro(ioc_, store_->run(insert(5)));
    EXPECT_EQ(logged_values(), std::vector<int>{5});
}

asio::awaitable<std::string> greet(Store& store, std::string name) {
    // Named before the co_await: see the note on Store::run about g++ 12 and capturing temporaries.
    auto job = [name = std::move(name), suffix = std::make_shared<std::string>("!")](SQLite::Database& db) {
        SQLite::Statement select(db, "SELECT 'hello, ' || ? || ?");
        select.bind(1, name);
        select.bind(2, *suffix);
        select.executeStep();
        return select.getColumn(0).getString();
    };
    co_return co_await store.run(std::move(job));
}

TEST_F(StoreTest, RunAcceptsAJobThatOwnsItsData) {
    EXPECT_EQ(run_coro(ioc_, greet(*store_, std::string(100, 'x'))), "hello, " + std::string(100, 'x') + "!");
}

TEST_F(StoreTest, RunExecutesOnTheStoreThreadAndResumesOnTheCaller) {
    const auto t = run_coro(ioc_, record_threads_on(*store_, ioc_));
    EXPECT_EQ(t.before, std::this_thread::get_id());
    EXPECT_NE(t.job, t.before);
    EXPECT_EQ(t.after, t.before);
    EXPECT_TRUE(t.on_io_context);

    // Every job sees the same store thread.
    const auto again = run_coro(ioc_, record_threads_on(*store_, ioc_));
    EXPECT_EQ(again.job, t.job);
}

TEST_F(StoreTest, RunResumesOnTheCallersStrand) {
    auto future = asio::co_spawn(asio::make_strand(ioc_), record_threads_on(*store_, ioc_), asio::use_future);
    ASSERT_TRUE(poll_until(ioc_, [&] { return future.wait_for(0s) == std::future_status::ready; }));
    const auto t = future.get();
    EXPECT_TRUE(t.on_strand);
    EXPECT_TRUE(t.on_io_context);
    EXPECT_NE(t.job, t.after);
}

TEST_F(StoreTest, RunRethrowsSqliteExceptions) {
    try {
        run_coro(ioc_, store_->run([](SQLite::Database& db) { db.exec("SELEC 1"); }));
        FAIL() << "no exception";
    } catch (const SQLite::Exception& e) {
        EXPECT_EQ(e.getErrorCode(), 1);  // SQLITE_ERROR
        EXPECT_NE(std::string(e.what()).find("syntax error"), std::string::npos) << e.what();
    }
    // The same for a job with a value, and the store keeps working afterwards.
    EXPECT_THROW(run_coro(ioc_, store_->run([](SQLite::Database& db) {
                     return db.execAndGet("SELECT * FROM no_such_table").getInt();
                 })),
                 SQLite::Exception);
    run_coro(ioc_, store_->ping());
}

TEST_F(StoreTest, RunRethrowsOtherExceptions) {
    try {
        run_coro(ioc_, store_->run([](SQLite::Database&) -> int { throw std::runtime_error("job failed"); }));
        FAIL() << "no exception";
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "job failed");
    }
    run_coro(ioc_, store_->run(insert(1)));
    EXPECT_EQ(logged_values(), std::vector<int>{1});
}

TEST_F(StoreTest, RunsJobsInSubmissionOrder) {
    constexpr int kJobs = 100;
    std::vector<std::future<void>> done;
    for (int i = 0; i < kJobs; ++i) {
        done.push_back(asio::co_spawn(ioc_, append(*store_, i), asio::use_future));
    }
    ASSERT_TRUE(poll_until(ioc_, [&] {
        return std::all_of(done.begin(), done.end(),
                           [](auto& f) { return f.wait_for(0s) == std::future_status::ready; });
    }));
    for (auto& f : done) {
        f.get();
    }
    std::vector<int> expected(kJobs);
    for (int i = 0; i < kJobs; ++i) {
        expected[static_cast<std::size_t>(i)] = i;
    }
    EXPECT_EQ(logged_values(), expected);
}

TEST_F(StoreTest, AcceptsJobsFromSeveralThreads) {
    constexpr int kJobs = 50;
    asio::thread_pool callers(2);
    std::vector<std::future<void>> done;
    for (int i = 0; i < kJobs; ++i) {
        done.push_back(asio::co_spawn(callers, append(*store_, i), asio::use_future));
    }
    for (auto& f : done) {
        ASSERT_EQ(f.wait_for(20s), std::future_status::ready);
        f.get();
    }
    callers.join();
    auto values = logged_values();
    std::sort(values.begin(), values.end());
    ASSERT_EQ(values.size(), static_cast<std::size_t>(kJobs));
    for (int i = 0; i < kJobs; ++i) {
        EXPECT_EQ(values[static_cast<std::size_t>(i)], i);
    }
}

TEST_F(StoreTest, PingSucceedsWhileOpen) {
    run_coro(ioc_, store_->ping());
    EXPECT_EQ(store_->queue_depth(), 0U);
}

TEST_F(StoreTest, RunAfterCloseThrowsClosed) {
    run_coro(ioc_, store_->close());
    EXPECT_EQ(error_of(ioc_, store_->run(insert(1))), make_error_code(errc::closed));
    EXPECT_EQ(error_of(ioc_, store_->ping()), make_error_code(errc::closed));
}

TEST_F(StoreTest, CloseIsIdempotent) {
    run_coro(ioc_, store_->close());
    run_coro(ioc_, store_->close());
    run_coro(ioc_, store_->close());
    EXPECT_EQ(store_->queue_depth(), 0U);
}

TEST_F(StoreTest, CloseLetsQueuedJobsFinish) {
    auto first = asio::co_spawn(ioc_, store_->run(gated_insert(gate_, 1)), asio::use_future);
    ASSERT_TRUE(poll_until(ioc_, [&] { return gate_->entered(); }));
    auto second = asio::co_spawn(ioc_, append(*store_, 2), asio::use_future);
    auto closing = asio::co_spawn(ioc_, store_->close(), asio::use_future);
    ASSERT_TRUE(poll_until(ioc_, [&] { return store_->queue_depth() == 3; }));
    gate_->open();
    ASSERT_TRUE(poll_until(ioc_, [&] { return closing.wait_for(0s) == std::future_status::ready; }));
    EXPECT_EQ(first.get(), 1);
    second.get();
    closing.get();

    store_.reset();
    SQLite::Database db(db_path(), SQLite::OPEN_READONLY);
    EXPECT_EQ(read_log(db), (std::vector<int>{1, 2}));
}

TEST_F(StoreTest, DataWrittenBeforeCloseIsDurable) {
    run_coro(ioc_, store_->run(insert(11)));
    run_coro(ioc_, store_->run(insert(12)));
    run_coro(ioc_, store_->close());
    store_.reset();

    open_store();
    EXPECT_EQ(logged_values(), (std::vector<int>{11, 12}));
}

TEST_F(StoreTest, CloseCheckpointsTheWal) {
    run_coro(ioc_, store_->run(insert(1)));
    ASSERT_GT(wal_size(), 0U) << "the write should sit in the WAL while the store is open";
    run_coro(ioc_, store_->close());
    EXPECT_EQ(wal_size(), 0U);

    store_.reset();
    SQLite::Database db(db_path(), SQLite::OPEN_READONLY);
    EXPECT_EQ(read_log(db), std::vector<int>{1});
}

TEST_F(StoreTest, DestructorWithoutCloseCheckpointsAndCloses) {
    run_coro(ioc_, store_->run(insert(3)));
    ASSERT_GT(wal_size(), 0U);
    store_.reset();
    EXPECT_EQ(wal_size(), 0U);

    SQLite::Database db(db_path(), SQLite::OPEN_READONLY);
    EXPECT_EQ(read_log(db), std::vector<int>{3});
}

TEST_F(StoreTest, QueueDepthCountsJobsUntilTheyFinish) {
    EXPECT_EQ(store_->queue_depth(), 0U);
    auto blocked = asio::co_spawn(ioc_, store_->run(gated_insert(gate_, 1)), asio::use_future);
    ASSERT_TRUE(poll_until(ioc_, [&] { return gate_->entered(); }));
    EXPECT_EQ(store_->queue_depth(), 1U);

    std::vector<std::future<void>> waiting;
    for (int i = 2; i <= 4; ++i) {
        waiting.push_back(asio::co_spawn(ioc_, append(*store_, i), asio::use_future));
    }
    ASSERT_TRUE(poll_until(ioc_, [&] { return store_->queue_depth() == 4; }));
    // Nothing moves while the store thread is held.
    EXPECT_EQ(blocked.wait_for(0s), std::future_status::timeout);

    gate_->open();
    ASSERT_TRUE(poll_until(ioc_, [&] {
        return std::all_of(waiting.begin(), waiting.end(),
                           [](auto& f) { return f.wait_for(0s) == std::future_status::ready; }) &&
               blocked.wait_for(0s) == std::future_status::ready;
    }));
    EXPECT_EQ(blocked.get(), 1);
    EXPECT_EQ(store_->queue_depth(), 0U);
    EXPECT_EQ(logged_values(), (std::vector<int>{1, 2, 3, 4}));
}

TEST_F(StoreTest, CancelledRunResumesAtOnceAndTheJobStillCompletes) {
    // The job is held until after the caller has resumed, so the caller cannot have waited for it.
    EXPECT_EQ(run_coro(ioc_, run_with_deadline(*store_, gate_, 9, 10ms)), 1U);
    EXPECT_TRUE(gate_->entered());
    EXPECT_EQ(store_->queue_depth(), 1U);

    gate_->open();
    ASSERT_TRUE(poll_until(ioc_, [&] { return store_->queue_depth() == 0; }));
    EXPECT_EQ(logged_values(), std::vector<int>{9});
}

TEST_F(StoreTest, CancelledQueuedJobStillRunsInOrder) {
    auto blocked = asio::co_spawn(ioc_, store_->run(gated_insert(gate_, 1)), asio::use_future);
    ASSERT_TRUE(poll_until(ioc_, [&] { return gate_->entered(); }));
    // This job waits behind the blocked one, and its caller gives up on it.
    auto open_gate = std::make_shared<Gate>();
    open_gate->open();
    EXPECT_EQ(run_coro(ioc_, run_with_deadline(*store_, open_gate, 2, 10ms)), 1U);
    EXPECT_EQ(store_->queue_depth(), 2U);
    EXPECT_FALSE(open_gate->entered());

    gate_->open();
    ASSERT_TRUE(poll_until(ioc_, [&] {
        return store_->queue_depth() == 0 && blocked.wait_for(0s) == std::future_status::ready;
    }));
    EXPECT_EQ(blocked.get(), 1);
    EXPECT_EQ(logged_values(), (std::vector<int>{1, 2}));
}

TEST_F(StoreTest, RunWithinADeadlineReturnsItsValue) {
    gate_->open();
    EXPECT_EQ(run_coro(ioc_, run_with_deadline(*store_, gate_, 4, 20s)), 0U);
    EXPECT_EQ(logged_values(), std::vector<int>{4});
}

}  // namespace
}  // namespace anju::store
