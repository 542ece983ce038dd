#include "store/store.hpp"
#include "tests/support/async.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <unistd.h>
#include <vector>

namespace anju::store {
namespace {

using anju::testing::run_coro;

// Three steps of a made-up schema, to test upgrades independently of anju's real history.
constexpr Migration kNotes[] = {
    {1, "notes",
     "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL);"
     "INSERT INTO notes (text) VALUES ('from migration 1');"},
    {2, "notes_author", "ALTER TABLE notes ADD COLUMN author TEXT NOT NULL DEFAULT 'anju';"},
    {3, "tags", "CREATE TABLE tags (name TEXT PRIMARY KEY);"},
};

// The same history with step 1 rewritten so that running it again would leave a trace: a store
// that has applied step 1 must never run it again.
constexpr Migration kNotesWithTracer[] = {
    {1, "notes", "CREATE TABLE step_one_ran_again (x);"},
    kNotes[1],
    kNotes[2],
};

struct Contents {
    int user_version = 0;
    std::vector<int> recorded_versions;  // schema_migrations, in order
    std::vector<std::string> tables;     // user tables, sorted
};

// Reads a database file directly, without the Store.
Contents read_contents(const std::string& path) {
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    Contents c;
    c.user_version = db.execAndGet("PRAGMA user_version").getInt();
    if (db.tableExists("schema_migrations")) {
        SQLite::Statement versions(db, "SELECT version FROM schema_migrations ORDER BY version");
        while (versions.executeStep()) {
            c.recorded_versions.push_back(versions.getColumn(0).getInt());
        }
    }
    SQLite::Statement tables(
        db,
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " ORDER BY name");
    while (tables.executeStep()) {
        c.tables.push_back(tables.getColumn(0).getString());
    }
    return c;
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class MigrationsTest : public ::testing::Test {
protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = std::filesystem::temp_directory_path() /
               ("anju-migrations-test-" + std::string(info->name()) + "-" + std::to_string(::getpid()));
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
    }

    void TearDown() override {
        // Nothing may be left pending on the test's io_context.
        ioc_.restart();
        ioc_.run_for(std::chrono::seconds{10});
        EXPECT_TRUE(ioc_.stopped()) << "work left pending on the io_context";
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }

    std::string db_path() const { return (dir_ / "anju.db").string(); }

    StoreOptions options() const { return StoreOptions{db_path()}; }

    // Opens, checks success and closes the store again.
    int open_and_close(std::span<const Migration> migrations) {
        auto opened = Store::open(options(), migrations);
        if (!opened) {
            ADD_FAILURE() << opened.error().what();
            return -1;
        }
        const int version = (*opened)->schema_version();
        run_coro(ioc_, (*opened)->close());
        return version;
    }

    std::filesystem::path dir_;
    asio::io_context ioc_;
};

TEST_F(MigrationsTest, BuiltinMigrationsAreNumberedFromOne) {
    const auto migrations = builtin_migrations();
    ASSERT_FALSE(migrations.empty());
    std::set<std::string_view> names;
    for (std::size_t i = 0; i < migrations.size(); ++i) {
        EXPECT_EQ(migrations[i].version, static_cast<int>(i) + 1);
        EXPECT_FALSE(migrations[i].name.empty());
        EXPECT_FALSE(migrations[i].sql.empty());
        EXPECT_TRUE(names.insert(migrations[i].name).second) << migrations[i].name;
    }
}

TEST_F(MigrationsTest, FreshDatabaseGetsEveryBuiltinMigration) {
    const int latest = static_cast<int>(builtin_migrations().size());
    EXPECT_EQ(open_and_close(builtin_migrations()), latest);

    const auto c = read_contents(db_path());
    EXPECT_EQ(c.user_version, latest);
    std::vector<int> all(static_cast<std::size_t>(latest));
    for (std::size_t i = 0; i < all.size(); ++i) {
        all[i] = static_cast<int>(i) + 1;
    }
    EXPECT_EQ(c.recorded_versions, all);

    SQLite::Database db(db_path(), SQLite::OPEN_READONLY);
    const auto created_at = db.execAndGet("SELECT value FROM meta WHERE key = 'created_at'").getString();
    // e.g. 2024-05-01T09:30:00Z
    EXPECT_EQ(created_at.size(), 20U) << created_at;
    EXPECT_EQ(created_at.back(), 'Z') << created_at;
    SQLite::Statement names(db, "SELECT name, applied_at FROM schema_migrations ORDER BY version");
    for (const auto& m : builtin_migrations()) {
        ASSERT_TRUE(names.executeStep());
        EXPECT_EQ(names.getColumn(0).getString(), m.name);
        EXPECT_FALSE(names.getColumn(1).getString().empty());
    }
}

TEST_F(MigrationsTest, FreshInMemoryDatabaseGetsEveryBuiltinMigration) {
    auto opened = Store::open(StoreOptions{":memory:"});
    ASSERT_TRUE(opened.has_value()) << opened.error().what();
    auto& store = **opened;
    EXPECT_EQ(store.schema_version(), static_cast<int>(builtin_migrations().size()));
    EXPECT_EQ(store.path(), ":memory:");
    const auto [version, recorded] = run_coro(ioc_, store.run([](SQLite::Database& db) {
        return std::pair{db.execAndGet("PRAGMA user_version").getInt(),
                         db.execAndGet("SELECT count(*) FROM schema_migrations").getInt()};
    }));
    EXPECT_EQ(version, static_cast<int>(builtin_migrations().size()));
    EXPECT_EQ(recorded, static_cast<int>(builtin_migrations().size()));
    run_coro(ioc_, store.close());
}

TEST_F(MigrationsTest, UpgradeAppliesOnlyTheNewSteps) {
    EXPECT_EQ(open_and_close(std::span(kNotes).first(1)), 1);
    {
        SQLite::Database db(db_path(), SQLite::OPEN_READWRITE);
        db.exec("INSERT INTO notes (text) VALUES ('written at version 1')");
    }

    EXPECT_EQ(open_and_close(kNotesWithTracer), 3);

    const auto c = read_contents(db_path());
    EXPECT_EQ(c.user_version, 3);
    EXPECT_EQ(c.recorded_versions, (std::vector<int>{1, 2, 3}));
    EXPECT_EQ(c.tables, (std::vector<std::string>{"notes", "schema_migrations", "tags"}));
    SQLite::Database db(db_path(), SQLite::OPEN_READONLY);
    SQLite::Statement notes(db, "SELECT text, author FROM notes ORDER BY id");
    ASSERT_TRUE(notes.executeStep());
    EXPECT_EQ(notes.getColumn(0).getString(), "from migration 1");
    ASSERT_TRUE(notes.executeStep());
    EXPECT_EQ(notes.getColumn(0).getString(), "written at version 1");
    EXPECT_EQ(notes.getColumn(1).getString(), "anju");
    EXPECT_FALSE(notes.executeStep());
}

TEST_F(MigrationsTest, ReopeningAtTheSameVersionAppliesNothing) {
    EXPECT_EQ(open_and_close(kNotes), 3);
    const auto before = read_contents(db_path());

    EXPECT_EQ(open_and_close(kNotesWithTracer), 3);

    const auto after = read_contents(db_path());
    EXPECT_EQ(after.user_version, 3);
    EXPECT_EQ(after.recorded_versions, before.recorded_versions);
    EXPECT_EQ(after.tables, before.tables);
    SQLite::Database db(db_path(), SQLite::OPEN_READONLY);
    EXPECT_EQ(db.execAndGet("SELECT count(*) FROM notes").getInt(), 1);
}

TEST_F(MigrationsTest, FailingMigrationLeavesThePreviousVersion) {
    EXPECT_EQ(open_and_close(std::span(kNotes).first(1)), 1);

    // Step 2 creates a table and changes data before it fails: all of it must be rolled back.
    constexpr Migration kBroken[] = {
        kNotes[0],
        {2, "half_done",
         "CREATE TABLE half_done (x);"
         "UPDATE notes SET text = 'changed by a failed step';"
         "THIS IS NOT SQL;"},
        kNotes[2],
    };
    const auto opened = Store::open(options(), kBroken);
    ASSERT_TRUE(opened.has_error());
    EXPECT_EQ(opened.error().code, make_error_code(errc::migration_failed));
    EXPECT_EQ(
        opened.error().detail,
        "migration 2 (half_done) failed: near \"THIS\": syntax error; the database is still at version 1");

    const auto c = read_contents(db_path());
    EXPECT_EQ(c.user_version, 1);
    EXPECT_EQ(c.recorded_versions, std::vector<int>{1});
    EXPECT_EQ(c.tables, (std::vector<std::string>{"notes", "schema_migrations"}));
    SQLite::Database db(db_path(), SQLite::OPEN_READONLY);
    EXPECT_EQ(db.execAndGet("SELECT text FROM notes").getString(), "from migration 1");
}

TEST_F(MigrationsTest, FailingFirstMigrationLeavesAnEmptyDatabase) {
    constexpr Migration kBroken[] = {{1, "broken", "CREATE TABLE t (x); INSERT INTO missing VALUES (1);"}};
    const auto opened = Store::open(options(), kBroken);
    ASSERT_TRUE(opened.has_error());
    EXPECT_EQ(opened.error().code, make_error_code(errc::migration_failed));
    EXPECT_EQ(opened.error().detail,
              "migration 1 (broken) failed: no such table: missing; the database is still at version 0");

    const auto c = read_contents(db_path());
    EXPECT_EQ(c.user_version, 0);
    EXPECT_TRUE(c.tables.empty()) << c.tables.front();

    // Once the step is fixed, the same file migrates.
    EXPECT_EQ(open_and_close(std::span(kNotes).first(1)), 1);
}

TEST_F(MigrationsTest, RefusesASchemaNewerThanTheBinary) {
    {
        SQLite::Database db(db_path(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        db.exec("CREATE TABLE future (x); PRAGMA user_version = 7");
    }
    const auto opened = Store::open(options(), std::span(kNotes).first(2));
    ASSERT_TRUE(opened.has_error());
    EXPECT_EQ(opened.error().code, make_error_code(errc::schema_too_new));
    EXPECT_EQ(opened.error().detail,
              "'" + db_path() +
                  "' has schema version 7, newer than this anju supports (2); run a newer "
                  "anju, or restore a backup made for this version");
    EXPECT_EQ(opened.error().what(), opened.error().detail);

    const auto c = read_contents(db_path());
    EXPECT_EQ(c.user_version, 7);
    EXPECT_EQ(c.tables, std::vector<std::string>{"future"});
}

TEST_F(MigrationsTest, RefusesAFileThatIsNotADatabase) {
    std::string garbage;
    while (garbage.size() < 4096) {
        garbage += "This is a text file, not an SQLite database. ";
    }
    garbage.resize(4096);
    std::ofstream(db_path(), std::ios::binary) << garbage;

    const auto opened = Store::open(options());
    ASSERT_TRUE(opened.has_error());
    EXPECT_EQ(opened.error().code, make_error_code(errc::not_a_database));
    EXPECT_TRUE(
        opened.error().detail.starts_with("'" + db_path() + "' is not an anju database or is damaged"))
        << opened.error().detail;
    // The file is left exactly as it was, with no journal or WAL beside it.
    EXPECT_EQ(read_file(db_path()), garbage);
    EXPECT_FALSE(std::filesystem::exists(db_path() + "-wal"));
    EXPECT_FALSE(std::filesystem::exists(db_path() + "-journal"));
}

TEST_F(MigrationsTest, ReportsAFolderThatCannotBeCreated) {
    const auto file = dir_ / "plain-file";
    std::ofstream(file) << "not a folder";
    const auto opened = Store::open(StoreOptions{(file / "sub" / "anju.db").string()});
    ASSERT_TRUE(opened.has_error());
    EXPECT_EQ(opened.error().code, make_error_code(errc::cannot_open));
    EXPECT_TRUE(opened.error().detail.starts_with("cannot create the folder '" + (file / "sub").string() +
                                                  "' for the database: "))
        << opened.error().detail;
}

TEST_F(MigrationsTest, ReportsAFolderGivenAsTheDatabase) {
    const auto opened = Store::open(StoreOptions{dir_.string()});
    ASSERT_TRUE(opened.has_error());
    EXPECT_EQ(opened.error().code, make_error_code(errc::cannot_open));
    EXPECT_NE(opened.error().detail.find(dir_.string()), std::string::npos) << opened.error().detail;
}

TEST_F(MigrationsTest, RejectsAMigrationListThatIsNotNumberedFromOne) {
    constexpr Migration kGap[] = {kNotes[0], kNotes[2]};
    const auto gap = Store::open(options(), kGap);
    ASSERT_TRUE(gap.has_error());
    EXPECT_EQ(gap.error().code, make_error_code(errc::migration_failed));
    EXPECT_EQ(gap.error().detail,
              "migration list is not numbered 1, 2, 3, … (found version 3 at position 2)");

    constexpr Migration kFromTwo[] = {kNotes[1]};
    const auto from_two = Store::open(options(), kFromTwo);
    ASSERT_TRUE(from_two.has_error());
    EXPECT_EQ(from_two.error().code, make_error_code(errc::migration_failed));
    EXPECT_EQ(from_two.error().detail,
              "migration list is not numbered 1, 2, 3, … (found version 2 at position 1)");

    EXPECT_EQ(read_contents(db_path()).user_version, 0);
    EXPECT_TRUE(read_contents(db_path()).tables.empty());
}

TEST_F(MigrationsTest, CreatesParentFolders) {
    const auto path = dir_ / "a" / "b" / "c" / "anju.db";
    auto opened = Store::open(StoreOptions{path.string()});
    ASSERT_TRUE(opened.has_value()) << opened.error().what();
    EXPECT_EQ((*opened)->path(), path.string());
    run_coro(ioc_, (*opened)->close());
    EXPECT_TRUE(std::filesystem::is_regular_file(path));
    EXPECT_EQ(read_contents(path.string()).user_version, static_cast<int>(builtin_migrations().size()));
}

TEST_F(MigrationsTest, AppliesTheConnectionSettings) {
    struct Settings {
        std::string journal_mode;
        int synchronous;
        int busy_timeout;
        int foreign_keys;
    };
    const auto read_settings = [](SQLite::Database& db) {
        return Settings{
            db.execAndGet("PRAGMA journal_mode").getString(), db.execAndGet("PRAGMA synchronous").getInt(),
            db.execAndGet("PRAGMA busy_timeout").getInt(), db.execAndGet("PRAGMA foreign_keys").getInt()};
    };
    {
        auto opened = Store::open(StoreOptions{db_path()});
        ASSERT_TRUE(opened.has_value()) << opened.error().what();
        const auto s = run_coro(ioc_, (*opened)->run(read_settings));
        EXPECT_EQ(s.journal_mode, "wal");
        EXPECT_EQ(s.synchronous, 2);  // FULL
        EXPECT_EQ(s.busy_timeout, 5000);
        EXPECT_EQ(s.foreign_keys, 1);
        run_coro(ioc_, (*opened)->close());
    }
    {
        StoreOptions options{db_path()};
        options.synchronous_full = false;
        options.busy_timeout = std::chrono::milliseconds{250};
        auto opened = Store::open(options);
        ASSERT_TRUE(opened.has_value()) << opened.error().what();
        const auto s = run_coro(ioc_, (*opened)->run(read_settings));
        EXPECT_EQ(s.journal_mode, "wal");
        EXPECT_EQ(s.synchronous, 1);  // NORMAL
        EXPECT_EQ(s.busy_timeout, 250);
        run_coro(ioc_, (*opened)->close());
    }
}

TEST_F(MigrationsTest, ErrorCodesHaveTheirOwnCategory) {
    const auto code = make_error_code(errc::schema_too_new);
    EXPECT_STREQ(code.category().name(), "anju.store");
    EXPECT_EQ(code.message(), "the database was written by a newer anju");
    EXPECT_EQ(make_error_code(errc::cannot_open).message(), "the database cannot be opened");
    EXPECT_EQ(make_error_code(errc::not_a_database).message(),
              "the file is not an anju database or is damaged");
    EXPECT_EQ(make_error_code(errc::migration_failed).message(), "a schema migration failed");
    EXPECT_EQ(make_error_code(errc::closed).message(), "the store is closed");
    // Implicit conversion through is_error_code_enum.
    const boost::system::error_code converted = errc::closed;
    EXPECT_EQ(converted, make_error_code(errc::closed));
    EXPECT_NE(converted, make_error_code(errc::cannot_open));
    EXPECT_EQ((Error{code, ""}.what()), "the database was written by a newer anju");
}

}  // namespace
}  // namespace anju::store
