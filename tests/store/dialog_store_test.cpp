// The dialog engine's tables (store/dialog_store.hpp) on a real Store in a temporary SQLite file:
// dialog state saved and loaded per conversation (upsert), complaint drafts inserted once per ref
// and read back with every field (by resident, by status), and follow-ups round-tripped.
#include "store/dialog_store.hpp"

#include "store/store.hpp"
#include "tests/support/async.hpp"

#include <SQLiteCpp/Database.h>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

namespace anju::store {
namespace {

using anju::testing::run_coro;

DraftRecord sample_draft(std::string ref, std::string resident, std::int64_t created_at_ms) {
    DraftRecord d;
    d.ref = std::move(ref);
    d.resident = std::move(resident);
    d.building = "3";
    d.unit = "2";
    d.room = "501";
    d.nature = "facility";
    d.category = "elevator";
    d.urgency = "emergency";
    d.slots_json = R"({"elevator":"2","trapped":true})";
    d.description = "3号楼电梯困人了，快来！\n\"老人\" 在里面 🙏";
    d.expectation = "希望马上派人";
    d.evidence_json = R"(["category:电梯","emergency:困人"])";
    d.attachments_json = R"([{"format":"","kind":"image","media_id":"m1","url":"http://x/1.jpg"}])";
    d.confirmed = true;
    d.needs_call = true;
    d.handover_reason = "resident asked for a person";
    d.source_message = "wechat_mp/gh_1/msg-42";
    d.status = "new";
    d.created_at_ms = created_at_ms;
    return d;
}

void expect_same(const DraftRecord& a, const DraftRecord& b) {
    EXPECT_EQ(a.ref, b.ref);
    EXPECT_EQ(a.resident, b.resident);
    EXPECT_EQ(a.building, b.building);
    EXPECT_EQ(a.unit, b.unit);
    EXPECT_EQ(a.room, b.room);
    EXPECT_EQ(a.nature, b.nature);
    EXPECT_EQ(a.category, b.category);
    EXPECT_EQ(a.urgency, b.urgency);
    EXPECT_EQ(a.slots_json, b.slots_json);
    EXPECT_EQ(a.description, b.description);
    EXPECT_EQ(a.expectation, b.expectation);
    EXPECT_EQ(a.evidence_json, b.evidence_json);
    EXPECT_EQ(a.attachments_json, b.attachments_json);
    EXPECT_EQ(a.confirmed, b.confirmed);
    EXPECT_EQ(a.needs_call, b.needs_call);
    EXPECT_EQ(a.handover_reason, b.handover_reason);
    EXPECT_EQ(a.source_message, b.source_message);
    EXPECT_EQ(a.status, b.status);
    EXPECT_EQ(a.created_at_ms, b.created_at_ms);
}

std::vector<std::string> refs(const std::vector<DraftRecord>& drafts) {
    std::vector<std::string> out;
    for (const auto& d : drafts) {
        out.push_back(d.ref);
    }
    return out;
}

class DialogStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("anju-dialog-store-test-" +
                std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "-" +
                std::to_string(::getpid()));
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
        open();
    }
    void TearDown() override {
        store_.reset();
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }

    void open() {
        auto opened = Store::open({.path = (dir_ / "anju.db").string()});
        ASSERT_TRUE(opened) << opened.error().what();
        store_ = std::move(*opened);
    }

    // Runs `fn` as a write (in a transaction) or a read on the store thread and returns its value.
    template <class F>
    auto write(F fn) {
        return run_coro(ioc_, store_->write(std::move(fn)));
    }
    template <class F>
    auto read(F fn) {
        return run_coro(ioc_, store_->run(std::move(fn)));
    }

    std::optional<std::string> load(const std::string& conversation) {
        auto job = [conversation](SQLite::Database& db) { return load_dialog_state(db, conversation); };
        return read(std::move(job));
    }
    void save(const std::string& conversation, const std::string& state, std::int64_t at) {
        auto job = [conversation, state, at](SQLite::Database& db) {
            save_dialog_state(db, conversation, state, at);
        };
        write(std::move(job));
    }
    bool insert(const DraftRecord& draft) {
        auto job = [draft](SQLite::Database& db) { return insert_draft(db, draft); };
        return write(std::move(job));
    }
    std::vector<DraftRecord> of(const std::string& resident) {
        auto job = [resident](SQLite::Database& db) { return drafts_of(db, resident); };
        return read(std::move(job));
    }
    std::vector<DraftRecord> with_status(const std::string& status, std::size_t limit) {
        auto job = [status, limit](SQLite::Database& db) { return drafts_with_status(db, status, limit); };
        return read(std::move(job));
    }
    std::int64_t count(const std::string& table) {
        auto job = [table](SQLite::Database& db) {
            return db.execAndGet("SELECT count(*) FROM " + table).getInt64();
        };
        return read(std::move(job));
    }

    std::filesystem::path dir_;
    asio::io_context ioc_;
    std::unique_ptr<Store> store_;
};

TEST_F(DialogStoreTest, SavesAndLoadsDialogState) {
    EXPECT_EQ(load("wechat_mp/gh_1/o-1"), std::nullopt);

    save("wechat_mp/gh_1/o-1", R"({"phase":"asking","asking":"elevator"})", 1000);
    EXPECT_EQ(load("wechat_mp/gh_1/o-1"), R"({"phase":"asking","asking":"elevator"})");

    // A second save replaces the first (one row per conversation).
    save("wechat_mp/gh_1/o-1", R"({"phase":"idle","note":"电梯 🙏"})", 2000);
    EXPECT_EQ(load("wechat_mp/gh_1/o-1"), R"({"phase":"idle","note":"电梯 🙏"})");
    EXPECT_EQ(count("dialog_sessions"), 1);
    auto updated = [](SQLite::Database& db) {
        return db
            .execAndGet("SELECT updated_at FROM dialog_sessions WHERE conversation = 'wechat_mp/gh_1/o-1'")
            .getInt64();
    };
    EXPECT_EQ(read(std::move(updated)), 2000);

    // Conversations are separate.
    save("wechat_mp/gh_1/o-2", "{}", 3000);
    EXPECT_EQ(load("wechat_mp/gh_1/o-2"), "{}");
    EXPECT_EQ(load("wechat_mp/gh_1/o-1"), R"({"phase":"idle","note":"电梯 🙏"})");
    EXPECT_EQ(load("wechat_mp/gh_1/o-3"), std::nullopt);
    EXPECT_EQ(count("dialog_sessions"), 2);
}

TEST_F(DialogStoreTest, DialogStateSurvivesReopening) {
    save("c1", R"({"rooms":[["3","2","501"]]})", 1000);
    store_.reset();
    open();
    EXPECT_EQ(load("c1"), R"({"rooms":[["3","2","501"]]})");
}

TEST_F(DialogStoreTest, InsertDraftIsIdempotentPerRef) {
    const auto first = sample_draft("c1#1", "c1", 1000);
    EXPECT_TRUE(insert(first));

    // The same ref again (a re-run turn) is ignored, even with other contents.
    auto again = sample_draft("c1#1", "c1", 5000);
    again.category = "water_leak";
    again.description = "something else";
    EXPECT_FALSE(insert(again));
    EXPECT_FALSE(insert(first));

    const auto drafts = of("c1");
    ASSERT_EQ(drafts.size(), 1U);
    expect_same(drafts[0], first);
    EXPECT_EQ(count("complaint_drafts"), 1);

    // Another ref is another draft.
    EXPECT_TRUE(insert(sample_draft("c1#2", "c1", 2000)));
    EXPECT_EQ(count("complaint_drafts"), 2);
}

TEST_F(DialogStoreTest, DraftsComeBackWithEveryField) {
    const auto full = sample_draft("c1#1", "c1", 1700000000123);
    DraftRecord plain;  // defaults: empty strings, "{}", "[]", false, "new"
    plain.ref = "c1#2";
    plain.resident = "c1";
    plain.nature = "order";
    plain.category = "noise";
    plain.urgency = "normal";
    plain.created_at_ms = 1700000000999;
    ASSERT_TRUE(insert(full));
    ASSERT_TRUE(insert(plain));

    const auto drafts = of("c1");
    ASSERT_EQ(drafts.size(), 2U);
    expect_same(drafts[0], full);
    expect_same(drafts[1], plain);
    EXPECT_GT(drafts[0].id, 0);
    EXPECT_GT(drafts[1].id, drafts[0].id);
    EXPECT_EQ(drafts[1].slots_json, "{}");
    EXPECT_EQ(drafts[1].evidence_json, "[]");
    EXPECT_FALSE(drafts[1].confirmed);
    EXPECT_FALSE(drafts[1].needs_call);
}

TEST_F(DialogStoreTest, DraftsOfAResidentAndWithAStatus) {
    auto a1 = sample_draft("c1#1", "c1", 3000);
    auto a2 = sample_draft("c1#2", "c1", 1000);  // earlier, inserted later
    auto b1 = sample_draft("c2#1", "c2", 2000);
    b1.status = "taken";
    auto b2 = sample_draft("c2#2", "c2", 4000);
    for (const auto& d : {a1, a2, b1, b2}) {
        ASSERT_TRUE(insert(d));
    }

    // A resident's drafts, oldest first.
    EXPECT_EQ(refs(of("c1")), (std::vector<std::string>{"c1#2", "c1#1"}));
    EXPECT_EQ(refs(of("c2")), (std::vector<std::string>{"c2#1", "c2#2"}));
    EXPECT_TRUE(of("c3").empty());

    // Drafts with a status, in insertion order, at most `limit`.
    EXPECT_EQ(refs(with_status("new", 10)), (std::vector<std::string>{"c1#1", "c1#2", "c2#2"}));
    EXPECT_EQ(refs(with_status("new", 2)), (std::vector<std::string>{"c1#1", "c1#2"}));
    EXPECT_TRUE(with_status("new", 0).empty());
    const auto taken = with_status("taken", 10);
    ASSERT_EQ(taken.size(), 1U);
    expect_same(taken[0], b1);
    EXPECT_TRUE(with_status("done", 10).empty());
}

TEST_F(DialogStoreTest, FollowupsRoundTrip) {
    auto add = [](SQLite::Database& db) {
        insert_followup(db, "c1#1", "还有，水是从天花板渗下来的", "[]", 1000);
        insert_followup(db, "c2#1", "楼道灯也不亮", "[]", 1500);
        insert_followup(db, "c1#1", "", R"([{"format":"","kind":"image","media_id":"m1","url":""}])", 2000);
    };
    write(std::move(add));

    auto first = [](SQLite::Database& db) { return followups_of(db, "c1#1"); };
    const auto followups = read(std::move(first));
    ASSERT_EQ(followups.size(), 2U);
    EXPECT_EQ(followups[0].draft_ref, "c1#1");
    EXPECT_EQ(followups[0].text, "还有，水是从天花板渗下来的");
    EXPECT_EQ(followups[0].attachments_json, "[]");
    EXPECT_EQ(followups[0].created_at_ms, 1000);
    EXPECT_EQ(followups[1].draft_ref, "c1#1");
    EXPECT_EQ(followups[1].text, "");
    EXPECT_EQ(followups[1].attachments_json, R"([{"format":"","kind":"image","media_id":"m1","url":""}])");
    EXPECT_EQ(followups[1].created_at_ms, 2000);

    auto second = [](SQLite::Database& db) { return followups_of(db, "c2#1"); };
    const auto other = read(std::move(second));
    ASSERT_EQ(other.size(), 1U);
    EXPECT_EQ(other[0].text, "楼道灯也不亮");

    auto none = [](SQLite::Database& db) { return followups_of(db, "c9#9"); };
    EXPECT_TRUE(read(std::move(none)).empty());
}

}  // namespace
}  // namespace anju::store
