// anju's durable state in one SQLite file (WAL), owned by a single thread. Coroutines on the I/O
// threads `co_await store.run(fn)`: fn runs on the store thread with the connection, and the
// caller resumes on its own executor with fn's result or exception. I/O threads never block on it.
#pragma once

#include "bot/core/error.hpp"
#include "bot/core/fwd.hpp"

#include <SQLiteCpp/Database.h>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/result.hpp>
#include <boost/system/system_error.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

namespace anju::store {

enum class errc {
    cannot_open = 1,   // the file or its folder cannot be created or opened
    not_a_database,    // the file is not SQLite, or it is damaged
    schema_too_new,    // written by a newer anju; this binary must not touch it
    migration_failed,  // a migration step failed; the database is left at the previous version
    closed,            // the store has been closed (shutdown)
};

boost::system::error_code make_error_code(errc e) noexcept;

// One forward step of the schema. Versions start at 1 and increase by one.
struct Migration {
    int version;
    std::string_view name;
    std::string_view sql;
};

// anju's schema history, oldest first.
std::span<const Migration> builtin_migrations();

struct StoreOptions {
    std::string path;              // ":memory:" for tests; parent folders are created
    bool synchronous_full = true;  // PRAGMA synchronous=FULL (durable across power loss) or NORMAL
    std::chrono::milliseconds busy_timeout{5000};
};

class Store {
public:
    // Opens (creating if needed) and migrates the database, synchronously, before serving starts.
    // Fails with cannot_open, not_a_database, schema_too_new or migration_failed; the Error's
    // detail says what to do. Thread-safe to call; the returned store is ready for run().
    static boost::system::result<std::unique_ptr<Store>, Error> open(
        const StoreOptions& options, std::span<const Migration> migrations = builtin_migrations());

    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    // Runs fn(SQLite::Database&) on the store thread and resumes the caller on its executor with
    // the result. Exceptions thrown by fn (SQLite::Exception, …) are rethrown to the caller. After
    // close(), throws system_error(errc::closed). Jobs run one at a time in submission order. If
    // the caller is cancelled first it resumes at once with operation_aborted; fn still runs (a
    // job is never half-done), so write jobs must be whole transactions. Thread-safe.
    // g++ 12 destroys a lambda or aggregate temporary written inside a co_await expression twice
    // (chriskohlhoff/asio#1007), so a job whose captures own memory (std::string, shared_ptr) is
    // named first: `auto job = [name](SQLite::Database& db) {...}; co_await store.run(std::move(job));`.
    template <class F>
    asio::awaitable<std::invoke_result_t<F&, SQLite::Database&>> run(F fn);

    // Like run(), for changes: fn runs inside a transaction shared with the other writes queued at
    // that moment (group commit: one COMMIT, one fsync, for the whole batch), each in its own
    // SAVEPOINT. fn must not BEGIN or COMMIT itself. The caller resumes after the COMMIT, so what fn
    // wrote is durable by then. If fn throws, only its own changes are rolled back and the exception
    // is rethrown; if the COMMIT fails, every write of the batch fails with that error. Thread-safe.
    template <class F>
    asio::awaitable<std::invoke_result_t<F&, SQLite::Database&>> write(F fn);

    // A round trip to the database (SELECT 1); throws if it is unreachable. Thread-safe.
    asio::awaitable<void> ping();

    // Lets queued jobs finish, checkpoints the WAL into the main file and closes the connection.
    // Later run() calls throw errc::closed. Thread-safe; idempotent.
    asio::awaitable<void> close();

    // Jobs submitted and not yet finished. Thread-safe.
    std::size_t queue_depth() const { return queued_.load(std::memory_order_relaxed); }

    // Write batches committed and writes in them, since open. Thread-safe.
    std::uint64_t commits() const { return commits_.load(std::memory_order_relaxed); }
    std::uint64_t writes() const { return writes_.load(std::memory_order_relaxed); }

    // The schema version after migrations.
    int schema_version() const { return schema_version_; }
    const std::string& path() const { return path_; }

private:
    // A queued unit of work: body() runs on the store thread, complete() hands the outcome back.
    struct Job {
        virtual ~Job() = default;
        virtual void body(SQLite::Database& db) = 0;
        virtual void complete(std::exception_ptr error) = 0;
        bool write = false;
    };
    template <class Fn, class Handler>
    struct JobFor;

    Store(std::unique_ptr<SQLite::Database> db, std::string path, int version);

    // Queues `fn` and completes `handler` (signature void(std::exception_ptr)) on its own executor
    // once the job ran (and, for writes, committed).
    template <class Fn, class Handler>
    void submit(Fn fn, bool write, Handler handler);
    void enqueue(std::unique_ptr<Job> job);

    template <class F>
    asio::awaitable<std::invoke_result_t<F&, SQLite::Database&>> execute(F fn, bool write);

    void drain();  // on the store thread: runs queued jobs, batching consecutive writes
    void run_writes(std::span<std::unique_ptr<Job>> batch);
    void close_now();

    std::unique_ptr<SQLite::Database> db_;  // touched only on pool_'s thread after open()
    std::string path_;
    int schema_version_;
    std::atomic<std::size_t> queued_{0};
    std::atomic<bool> closed_{false};
    std::atomic<std::uint64_t> commits_{0};
    std::atomic<std::uint64_t> writes_{0};
    std::mutex mutex_;
    std::deque<std::unique_ptr<Job>> jobs_;  // guarded by mutex_
    bool draining_ = false;                  // guarded by mutex_: a drain() is posted or running
    asio::thread_pool pool_{1};
};

// --- implementation of the templates ---

template <class Fn, class Handler>
struct Store::JobFor final : Store::Job {
    using Work = decltype(asio::prefer(std::declval<asio::associated_executor_t<Handler>>(),
                                       asio::execution::outstanding_work.tracked));
    // The handler completes exactly once: when the job has run, or earlier if the caller's
    // cancellation slot fires (e.g. `co_await (store.run(f) || timer)`); a cancelled job still
    // runs, and its outcome is dropped.
    struct Completion {
        Completion(Handler h, Work w) : handler(std::move(h)), work(std::move(w)) {}
        std::atomic<bool> claimed{false};
        Handler handler;
        Work work;

        static void finish(std::shared_ptr<Completion> c, std::exception_ptr error) {
            auto ex = c->work;
            asio::post(ex, [c = std::move(c), error]() mutable {
                auto slot = asio::get_associated_cancellation_slot(c->handler);
                if (slot.is_connected()) {
                    slot.clear();
                }
                std::move(c->handler)(error);
            });
        }
    };

    JobFor(Fn f, Handler handler) : fn(std::move(f)) {
        auto work =
            asio::prefer(asio::get_associated_executor(handler), asio::execution::outstanding_work.tracked);
        completion = std::make_shared<Completion>(std::move(handler), std::move(work));
        if (auto slot = asio::get_associated_cancellation_slot(completion->handler); slot.is_connected()) {
            slot.assign([weak = std::weak_ptr<Completion>(completion)](asio::cancellation_type) {
                if (auto c = weak.lock(); c && !c->claimed.exchange(true)) {
                    Completion::finish(
                        std::move(c),
                        std::make_exception_ptr(boost::system::system_error(asio::error::operation_aborted)));
                }
            });
        }
    }
    void body(SQLite::Database& db) override { fn(db); }
    void complete(std::exception_ptr error) override {
        if (!completion->claimed.exchange(true)) {
            Completion::finish(std::move(completion), error);
        }
    }

    Fn fn;
    std::shared_ptr<Completion> completion;
};

template <class Fn, class Handler>
void Store::submit(Fn fn, bool write, Handler handler) {
    auto job = std::make_unique<JobFor<Fn, Handler>>(std::move(fn), std::move(handler));
    job->write = write;
    enqueue(std::move(job));
}

template <class F>
asio::awaitable<std::invoke_result_t<F&, SQLite::Database&>> Store::run(F fn) {
    return execute(std::move(fn), false);
}

template <class F>
asio::awaitable<std::invoke_result_t<F&, SQLite::Database&>> Store::write(F fn) {
    return execute(std::move(fn), true);
}

template <class F>
asio::awaitable<std::invoke_result_t<F&, SQLite::Database&>> Store::execute(F fn, bool write) {
    using R = std::invoke_result_t<F&, SQLite::Database&>;
    if (closed_.load(std::memory_order_acquire)) {
        throw boost::system::system_error(make_error_code(errc::closed));
    }
    // The job owns fn and shares the result slot, so nothing it touches lives in the caller's frame.
    // The initiation lambdas capture only `this` and take everything else as arguments: g++ 12
    // mis-copies by-value captures of a lambda temporary inside a co_await expression (the capture
    // is destroyed without having been copied; see chriskohlhoff/asio#1007), which freed the result
    // slot before it was read.
    if constexpr (std::is_void_v<R>) {
        co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr)>(
            [this](auto handler, F f, bool w) {
                submit([f = std::move(f)](SQLite::Database& db) mutable { f(db); }, w, std::move(handler));
            },
            asio::use_awaitable, std::move(fn), write);
    } else {
        auto result = std::make_shared<std::optional<R>>();
        co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr)>(
            [this](auto handler, F f, bool w, std::shared_ptr<std::optional<R>> slot) {
                submit([slot = std::move(slot),
                        f = std::move(f)](SQLite::Database& db) mutable { slot->emplace(f(db)); },
                       w, std::move(handler));
            },
            asio::use_awaitable, std::move(fn), write, result);
        co_return std::move(**result);
    }
}

}  // namespace anju::store

template <>
struct anju::ErrcTraits<anju::store::errc> {
    static constexpr const char* name = "anju.store";
    static std::string_view message(anju::store::errc e);
};

template <>
struct boost::system::is_error_code_enum<anju::store::errc> : std::true_type {};
