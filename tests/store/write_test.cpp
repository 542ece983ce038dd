// Store::write: group commit with a savepoint per write.
#include "store/store.hpp"
#include "tests/support/async.hpp"

#include <SQLiteCpp/Statement.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <stdexcept>
#include <unistd.h>

namespace anju::store {
namespace {

using anju::testing::poll_until;
using anju::testing::run_coro;
using namespace std::chrono_literals;

const std::vector<Migration>& test_migrations() {
    static const std::vector<Migration> migrations = [] {
        std::vector<Migration> list(builtin_migrations().begin(), builtin_migrations().end());
        list.push_back({static_cast<int>(list.size()) + 1, "test_items",
                        "CREATE TABLE items (value INTEGER NOT NULL UNIQUE);"});
        return list;
    }();
    return migrations;
}

auto insert_item(int value) {
    return [value](SQLite::Database& db) {
        SQLite::Statement statement(db, "INSERT INTO items (value) VALUES (?)");
        statement.bind(1, value);
        statement.exec();
        return value;
    };
}

auto insert_then_fail(int value) {
    return [value](SQLite::Database& db) {
        SQLite::Statement statement(db, "INSERT INTO items (value) VALUES (?)");
        statement.bind(1, value);
        statement.exec();
        throw std::runtime_error("changed my mind");
    };
}

std::vector<int> items(SQLite::Database& db) {
    std::vector<int> values;
    SQLite::Statement select(db, "SELECT value FROM items ORDER BY value");
    while (select.executeStep()) {
        values.push_back(select.getColumn(0).getInt());
    }
    return values;
}

asio::awaitable<void> write_item(Store& store, int value) { co_await store.write(insert_item(value)); }

class StoreWriteTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("anju-write-test-" +
                std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "-" +
                std::to_string(::getpid()));
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
        auto opened = Store::open({.path = (dir_ / "anju.db").string()}, test_migrations());
        ASSERT_TRUE(opened) << opened.error().what();
        store_ = std::move(*opened);
    }
    void TearDown() override {
        release_.set_value();
        if (held_.valid()) {
            EXPECT_TRUE(poll_until(ioc_, [this] { return held_.wait_for(0s) == std::future_status::ready; }));
        }
        store_.reset();
        ioc_.restart();
        ioc_.poll();
        std::filesystem::remove_all(dir_);
    }

    // Runs the io_context until the store thread is inside the holding job.
    bool wait_entered(std::future<void>& entered) {
        return poll_until(ioc_, [&] { return entered.wait_for(0s) == std::future_status::ready; });
    }

    // Occupies the store thread until TearDown or release() so that writes pile up into one batch.
    std::future<void> hold_store_thread() {
        auto entered = std::make_shared<std::promise<void>>();
        auto future = entered->get_future();
        auto released = release_.get_future().share();
        held_ = asio::co_spawn(ioc_, store_->run([entered, released](SQLite::Database&) {
            entered->set_value();
            (void)released.wait_for(60s);
        }),
                               asio::use_future);
        return future;
    }
    void release() {
        release_.set_value();
        release_ = std::promise<void>();
    }

    std::filesystem::path dir_;
    asio::io_context ioc_;
    std::unique_ptr<Store> store_;
    std::promise<void> release_;
    std::future<void> held_;
};

TEST_F(StoreWriteTest, ReturnsTheValueAfterTheCommit) {
    EXPECT_EQ(run_coro(ioc_, store_->write(insert_item(7))), 7);
    // Another connection sees it: it is committed, not just visible inside the store's transaction.
    SQLite::Database other((dir_ / "anju.db").string(), SQLite::OPEN_READONLY);
    EXPECT_EQ(items(other), std::vector<int>{7});
    EXPECT_EQ(store_->commits(), 1U);
    EXPECT_EQ(store_->writes(), 1U);
}

TEST_F(StoreWriteTest, WritesQueuedTogetherShareOneCommit) {
    auto entered = hold_store_thread();
    ASSERT_TRUE(wait_entered(entered));
    std::vector<std::future<void>> done;
    for (int i = 0; i < 100; ++i) {
        done.push_back(asio::co_spawn(ioc_, write_item(*store_, i), asio::use_future));
    }
    ASSERT_TRUE(poll_until(ioc_, [this] { return store_->queue_depth() == 101; }));
    release();
    ASSERT_TRUE(poll_until(ioc_, [&] {
        return std::all_of(done.begin(), done.end(),
                           [](auto& f) { return f.wait_for(0s) == std::future_status::ready; });
    }));
    for (auto& f : done) {
        f.get();
    }
    EXPECT_EQ(store_->writes(), 100U);
    EXPECT_EQ(store_->commits(), 1U);
    EXPECT_EQ(run_coro(ioc_, store_->run(items)).size(), 100U);
}

TEST_F(StoreWriteTest, AFailingWriteRollsBackOnlyItself) {
    auto entered = hold_store_thread();
    ASSERT_TRUE(wait_entered(entered));
    auto first = asio::co_spawn(ioc_, store_->write(insert_item(1)), asio::use_future);
    auto failing = asio::co_spawn(ioc_, store_->write(insert_then_fail(2)), asio::use_future);
    auto duplicate =
        asio::co_spawn(ioc_, store_->write(insert_item(1)), asio::use_future);  // UNIQUE violation
    auto last = asio::co_spawn(ioc_, store_->write(insert_item(3)), asio::use_future);
    ASSERT_TRUE(poll_until(ioc_, [this] { return store_->queue_depth() == 5; }));
    release();
    ASSERT_TRUE(poll_until(ioc_, [&] { return last.wait_for(0s) == std::future_status::ready; }));
    ASSERT_TRUE(poll_until(ioc_, [&] { return duplicate.wait_for(0s) == std::future_status::ready; }));
    EXPECT_EQ(first.get(), 1);
    EXPECT_THROW(failing.get(), std::runtime_error);
    EXPECT_THROW(duplicate.get(), SQLite::Exception);
    EXPECT_EQ(last.get(), 3);
    EXPECT_EQ(run_coro(ioc_, store_->run(items)), (std::vector<int>{1, 3}));
    EXPECT_EQ(store_->commits(), 1U);
}

TEST_F(StoreWriteTest, ReadsSeeEarlierWritesInSubmissionOrder) {
    auto entered = hold_store_thread();
    ASSERT_TRUE(wait_entered(entered));
    auto w1 = asio::co_spawn(ioc_, store_->write(insert_item(1)), asio::use_future);
    auto r1 = asio::co_spawn(ioc_, store_->run(items), asio::use_future);
    auto w2 = asio::co_spawn(ioc_, store_->write(insert_item(2)), asio::use_future);
    auto r2 = asio::co_spawn(ioc_, store_->run(items), asio::use_future);
    ASSERT_TRUE(poll_until(ioc_, [this] { return store_->queue_depth() == 5; }));
    release();
    ASSERT_TRUE(poll_until(ioc_, [&] { return r2.wait_for(0s) == std::future_status::ready; }));
    EXPECT_EQ(r1.get(), std::vector<int>{1});
    EXPECT_EQ(r2.get(), (std::vector<int>{1, 2}));
    w1.get();
    w2.get();
}

TEST_F(StoreWriteTest, WritesAfterCloseFail) {
    run_coro(ioc_, store_->close());
    try {
        run_coro(ioc_, store_->write(insert_item(1)));
        ADD_FAILURE() << "write after close succeeded";
    } catch (const boost::system::system_error& e) {
        EXPECT_EQ(e.code(), make_error_code(errc::closed));
    }
}

}  // namespace
}  // namespace anju::store
