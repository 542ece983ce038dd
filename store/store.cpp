#include "store/store.hpp"

#include "bot/core/log.hpp"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <filesystem>
#include <sqlite3.h>

namespace anju::store {
namespace {

const log::Logger store_log{"store"};

bool is_damaged(const SQLite::Exception& e) {
    const int primary = e.getErrorCode() & 0xff;
    return primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT;
}

Error damaged(const std::string& path, const SQLite::Exception& e) {
    return {make_error_code(errc::not_a_database),
            "'" + path + "' is not an anju database or is damaged (SQLite: " + e.what() +
                "); restore it from a backup or move it away to start afresh"};
}

// Applies every migration above the current version, each in its own transaction together with
// the new user_version and a row in schema_migrations, so a failure leaves the previous version.
boost::system::result<int, Error> migrate(SQLite::Database& db, const std::string& path,
                                          std::span<const Migration> migrations) {
    for (std::size_t i = 0; i < migrations.size(); ++i) {
        if (migrations[i].version != static_cast<int>(i) + 1) {
            return Error{make_error_code(errc::migration_failed),
                         "migration list is not numbered 1, 2, 3, … (found version " +
                             std::to_string(migrations[i].version) + " at position " + std::to_string(i + 1) +
                             ")"};
        }
    }
    const int latest = static_cast<int>(migrations.size());
    int version = db.execAndGet("PRAGMA user_version").getInt();
    if (version > latest) {
        return Error{make_error_code(errc::schema_too_new),
                     "'" + path + "' has schema version " + std::to_string(version) +
                         ", newer than this anju supports (" + std::to_string(latest) +
                         "); run a newer anju, or restore a backup made for this version"};
    }
    for (const auto& m : migrations.subspan(static_cast<std::size_t>(version))) {
        try {
            SQLite::Transaction tx(db);
            db.exec(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
            db.exec(std::string(m.sql));
            SQLite::Statement record(db,
                                     "INSERT INTO schema_migrations (version, name, applied_at)"
                                     " VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))");
            record.bind(1, m.version);
            record.bind(2, std::string(m.name));
            record.exec();
            db.exec("PRAGMA user_version = " + std::to_string(m.version));
            tx.commit();
        } catch (const SQLite::Exception& e) {
            if (is_damaged(e)) {
                return damaged(path, e);
            }
            return Error{make_error_code(errc::migration_failed),
                         "migration " + std::to_string(m.version) + " (" + std::string(m.name) +
                             ") failed: " + e.what() + "; the database is still at version " +
                             std::to_string(version)};
        }
        ANJU_LOG_INFO(store_log) << "schema migrated" << kv("version", m.version) << kv("name", m.name);
        version = m.version;
    }
    return version;
}

}  // namespace

boost::system::error_code make_error_code(errc e) noexcept { return make_errc_code(e); }

boost::system::result<std::unique_ptr<Store>, Error> Store::open(const StoreOptions& options,
                                                                 std::span<const Migration> migrations) {
    const auto& path = options.path;
    const bool in_memory = path == ":memory:";
    if (!in_memory) {
        const auto parent = std::filesystem::path(path).parent_path();
        std::error_code ec;
        if (!parent.empty()) {
            std::filesystem::create_directories(parent, ec);
        }
        if (ec) {
            return Error{make_error_code(errc::cannot_open), "cannot create the folder '" + parent.string() +
                                                                 "' for the database: " + ec.message()};
        }
    }
    std::unique_ptr<SQLite::Database> db;
    try {
        db = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    } catch (const SQLite::Exception& e) {
        return Error{make_error_code(errc::cannot_open),
                     "cannot open the database '" + path + "': " + e.what()};
    }
    int version = 0;
    try {
        db->setBusyTimeout(static_cast<int>(options.busy_timeout.count()));
        // Reading the schema forces SQLite to read the header, so a damaged file fails here.
        db->execAndGet("SELECT count(*) FROM sqlite_master");
        if (!in_memory) {
            const std::string mode = db->execAndGet("PRAGMA journal_mode = WAL").getString();
            if (mode != "wal") {
                // E.g. a filesystem without shared memory: still correct, but writers block readers.
                ANJU_LOG_WARN(store_log)
                    << "WAL journal mode unavailable" << kv("path", path) << kv("journal_mode", mode);
            }
        }
        db->exec(options.synchronous_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
        db->exec("PRAGMA foreign_keys = ON");
        auto migrated = migrate(*db, path, migrations);
        if (!migrated) {
            return migrated.error();
        }
        version = *migrated;
    } catch (const SQLite::Exception& e) {
        if (is_damaged(e)) {
            return damaged(path, e);
        }
        return Error{make_error_code(errc::cannot_open),
                     "cannot use the database '" + path + "': " + e.what()};
    }
    ANJU_LOG_INFO(store_log) << "store open" << kv("path", path) << kv("schema_version", version);
    return std::unique_ptr<Store>(new Store(std::move(db), path, version));
}

Store::Store(std::unique_ptr<SQLite::Database> db, std::string path, int version)
    : db_(std::move(db)), path_(std::move(path)), schema_version_(version) {}

Store::~Store() {
    if (!closed_.exchange(true)) {
        asio::post(pool_, [this] { close_now(); });
    }
    pool_.join();
}

asio::awaitable<void> Store::ping() {
    co_await run([](SQLite::Database& db) { db.execAndGet("SELECT 1"); });
}

asio::awaitable<void> Store::close() {
    if (closed_.exchange(true)) {
        co_return;
    }
    co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr)>(
        [this](auto handler) {
            submit([this](SQLite::Database&) { close_now(); }, false, std::move(handler));
        },
        asio::use_awaitable);
}

void Store::enqueue(std::unique_ptr<Job> job) {
    queued_.fetch_add(1, std::memory_order_relaxed);
    bool post = false;
    {
        std::lock_guard lock(mutex_);
        jobs_.push_back(std::move(job));
        post = !std::exchange(draining_, true);
    }
    if (post) {
        asio::post(pool_, [this] { drain(); });
    }
}

void Store::drain() {
    // Take everything queued so far; writes that arrive while a batch commits form the next batch,
    // so batches grow by themselves exactly when the disk is the bottleneck.
    constexpr std::size_t kMaxBatch = 1024;
    for (;;) {
        std::vector<std::unique_ptr<Job>> batch;
        {
            std::lock_guard lock(mutex_);
            if (jobs_.empty()) {
                draining_ = false;
                return;
            }
            while (!jobs_.empty() && batch.size() < kMaxBatch) {
                batch.push_back(std::move(jobs_.front()));
                jobs_.pop_front();
            }
        }
        std::size_t i = 0;
        while (i < batch.size()) {
            if (batch[i]->write) {
                std::size_t j = i;
                while (j < batch.size() && batch[j]->write) {
                    ++j;
                }
                run_writes(std::span(batch).subspan(i, j - i));
                i = j;
                continue;
            }
            std::exception_ptr error;
            try {
                if (!db_) {
                    throw boost::system::system_error(make_error_code(errc::closed));
                }
                batch[i]->body(*db_);
            } catch (...) {
                error = std::current_exception();
            }
            queued_.fetch_sub(1, std::memory_order_relaxed);
            batch[i]->complete(error);
            ++i;
        }
    }
}

void Store::run_writes(std::span<std::unique_ptr<Job>> batch) {
    std::vector<std::exception_ptr> errors(batch.size());
    std::exception_ptr batch_error;
    try {
        if (!db_) {
            throw boost::system::system_error(make_error_code(errc::closed));
        }
        db_->exec("BEGIN IMMEDIATE");
        for (std::size_t k = 0; k < batch.size(); ++k) {
            db_->exec("SAVEPOINT job");
            try {
                batch[k]->body(*db_);
                db_->exec("RELEASE job");
            } catch (...) {
                errors[k] = std::current_exception();
                db_->exec("ROLLBACK TO job");
                db_->exec("RELEASE job");
            }
        }
        db_->exec("COMMIT");
        commits_.fetch_add(1, std::memory_order_relaxed);
        writes_.fetch_add(batch.size(), std::memory_order_relaxed);
    } catch (...) {
        batch_error = std::current_exception();
        if (db_ && sqlite3_get_autocommit(db_->getHandle()) == 0) {
            try {
                db_->exec("ROLLBACK");
            } catch (const SQLite::Exception& e) {
                ANJU_LOG_ERROR(store_log) << "rollback after a failed batch failed" << kv("error", e.what());
            }
        }
        ANJU_LOG_ERROR(store_log) << "write batch failed; every write in it is reported failed"
                                  << kv("writes", batch.size());
    }
    for (std::size_t k = 0; k < batch.size(); ++k) {
        queued_.fetch_sub(1, std::memory_order_relaxed);
        batch[k]->complete(batch_error ? batch_error : errors[k]);
    }
}

void Store::close_now() {
    if (!db_) {
        return;
    }
    try {
        // Fold the WAL back into the main file so the database is one self-contained file at rest.
        db_->exec("PRAGMA wal_checkpoint(TRUNCATE)");
    } catch (const SQLite::Exception& e) {
        ANJU_LOG_WARN(store_log) << "WAL checkpoint at close failed" << kv("error", e.what());
    }
    db_.reset();
    ANJU_LOG_INFO(store_log) << "store closed" << kv("path", path_);
}

}  // namespace anju::store

std::string_view anju::ErrcTraits<anju::store::errc>::message(anju::store::errc e) {
    using anju::store::errc;
    switch (e) {
        case errc::cannot_open:
            return "the database cannot be opened";
        case errc::not_a_database:
            return "the file is not an anju database or is damaged";
        case errc::schema_too_new:
            return "the database was written by a newer anju";
        case errc::migration_failed:
            return "a schema migration failed";
        case errc::closed:
            return "the store is closed";
    }
    return "unknown store error";
}
