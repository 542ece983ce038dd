// The ticket tables (store/ticket_store.hpp) on a real Store in a temporary SQLite file: inserting a
// ticket (id, code, first event, idempotent per source), updating it with its event log in order,
// lookups by id/code/source, duplicate and group-complaint queries, find_tickets() filters and
// paging, and the outbox (idempotent enqueue, due order, sent/failed/retry).
#include "store/ticket_store.hpp"

#include "bot/tickets/code.hpp"
#include "store/store.hpp"
#include "tests/support/async.hpp"

#include <SQLiteCpp/Database.h>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <unistd.h>
#include <vector>

namespace anju::store {
namespace {

using anju::testing::run_coro;
using tickets::Event;
using tickets::Status;
using tickets::Ticket;

constexpr std::int64_t kT0 = 1'790'000'000'000;  // unix ms

Clock::time_point at(std::int64_t ms) { return Clock::time_point{std::chrono::milliseconds{ms}}; }

Ticket sample(dialogs::Room room, std::string category = "elevator", std::int64_t created_ms = kT0) {
    Ticket t;
    t.community = "demo";
    t.resident = "wechat_mp/demo/o-" + room.building + "-" + room.unit + "-" + room.room;
    t.resident_name = "王女士";
    t.resident_phone = "13800138000";
    t.room = std::move(room);
    t.channel = "wechat_mp";
    t.nature = dialogs::Nature::facility;
    t.category = std::move(category);
    t.urgency = dialogs::Urgency::normal;
    t.description = "电梯异响，\"咯噔\"一下 🙏";
    t.expectation = "希望今天内排查";
    t.department = "engineering";
    t.butler = "guanjia3";
    t.status = Status::dispatched;
    t.created_at = at(created_ms);
    t.updated_at = at(created_ms);
    t.claim_due = at(created_ms + 86'400'000);
    t.plan_due = at(created_ms + 2 * 86'400'000);
    return t;
}

Event event(std::string kind, std::int64_t ms, std::string text = {}, std::string data = {}) {
    Event e;
    e.at = at(ms);
    e.actor = "resident:wechat_mp/demo/o-1";
    e.actor_name = "王女士";
    e.kind = std::move(kind);
    e.text = std::move(text);
    e.data = std::move(data);
    return e;
}

void expect_same(const Ticket& a, const Ticket& b) {
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.code, b.code);
    EXPECT_EQ(a.community, b.community);
    EXPECT_EQ(a.resident, b.resident);
    EXPECT_EQ(a.resident_name, b.resident_name);
    EXPECT_EQ(a.resident_phone, b.resident_phone);
    EXPECT_EQ(a.room, b.room);
    EXPECT_EQ(a.channel, b.channel);
    EXPECT_EQ(a.nature, b.nature);
    EXPECT_EQ(a.category, b.category);
    EXPECT_EQ(a.urgency, b.urgency);
    EXPECT_EQ(a.slots.items(), b.slots.items());
    EXPECT_EQ(a.description, b.description);
    EXPECT_EQ(a.expectation, b.expectation);
    EXPECT_EQ(a.evidence, b.evidence);
    EXPECT_EQ(a.attachments, b.attachments);
    EXPECT_EQ(a.department, b.department);
    EXPECT_EQ(a.first_responder, b.first_responder);
    EXPECT_EQ(a.assignee, b.assignee);
    EXPECT_EQ(a.assignee_name, b.assignee_name);
    EXPECT_EQ(a.butler, b.butler);
    EXPECT_EQ(a.status, b.status);
    EXPECT_EQ(a.created_at, b.created_at);
    EXPECT_EQ(a.updated_at, b.updated_at);
    EXPECT_EQ(a.claim_due, b.claim_due);
    EXPECT_EQ(a.on_site_due, b.on_site_due);
    EXPECT_EQ(a.plan_due, b.plan_due);
    EXPECT_EQ(a.confirm_due, b.confirm_due);
    EXPECT_EQ(a.escalation, b.escalation);
    EXPECT_EQ(a.satisfaction, b.satisfaction);
    EXPECT_EQ(a.score, b.score);
    EXPECT_EQ(a.key_review, b.key_review);
    EXPECT_EQ(a.auto_closed, b.auto_closed);
    EXPECT_EQ(a.parent_id, b.parent_id);
    EXPECT_EQ(a.group, b.group);
    EXPECT_EQ(a.households, b.households);
    EXPECT_EQ(a.last_progress, b.last_progress);
}

// A filter with the fields `set` sets.
template <class F>
TicketFilter where(F set) {
    TicketFilter f;
    set(f);
    return f;
}

std::vector<std::int64_t> ids(const std::vector<Ticket>& tickets) {
    std::vector<std::int64_t> out;
    for (const auto& t : tickets) {
        out.push_back(t.id);
    }
    return out;
}

std::vector<std::string> keys(const std::vector<OutboxMessage>& messages) {
    std::vector<std::string> out;
    for (const auto& m : messages) {
        out.push_back(m.key);
    }
    return out;
}

class TicketStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("anju-ticket-store-test-" +
                std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "-" +
                std::to_string(::getpid()));
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
        auto opened = Store::open({.path = (dir_ / "anju.db").string()});
        ASSERT_TRUE(opened) << opened.error().what();
        store_ = std::move(*opened);
    }
    void TearDown() override {
        store_.reset();
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }

    template <class F>
    auto write(F fn) {
        return run_coro(ioc_, store_->write(std::move(fn)));
    }
    template <class F>
    auto read(F fn) {
        return run_coro(ioc_, store_->run(std::move(fn)));
    }

    // Inserts `t` (its id and code are set) and returns what insert_ticket said.
    Inserted insert(Ticket& t, const std::string& source = {}, const Event& first = event("filed", kT0)) {
        auto job = [t, first, source](SQLite::Database& db) mutable {
            const auto r = insert_ticket(db, t, first, source);
            return std::make_pair(r, t);
        };
        auto [r, stored] = write(std::move(job));
        t = stored;
        return r;
    }
    // Inserts a sample ticket and returns it.
    Ticket add(dialogs::Room room, std::string category = "elevator", std::int64_t created_ms = kT0) {
        auto t = sample(std::move(room), std::move(category), created_ms);
        insert(t);
        return t;
    }
    std::int64_t update(const Ticket& t, const Event& e) {
        auto job = [t, e](SQLite::Database& db) { return update_ticket(db, t, e); };
        return write(std::move(job));
    }
    void set_status(Ticket& t, Status s) {
        t.status = s;
        update(t, event("status", kT0 + 1));
    }
    std::optional<Ticket> by_id(std::int64_t id) {
        auto job = [id](SQLite::Database& db) { return ticket_by_id(db, id); };
        return read(std::move(job));
    }
    std::vector<Event> events(std::int64_t id) {
        auto job = [id](SQLite::Database& db) { return ticket_events(db, id); };
        return read(std::move(job));
    }
    std::vector<Ticket> find(const TicketFilter& f) {
        auto job = [f](SQLite::Database& db) { return find_tickets(db, f); };
        return read(std::move(job));
    }
    std::int64_t count(const std::string& sql) {
        auto job = [sql](SQLite::Database& db) { return db.execAndGet(sql).getInt64(); };
        return read(std::move(job));
    }

    std::filesystem::path dir_;
    asio::io_context ioc_;
    std::unique_ptr<Store> store_;
};

TEST_F(TicketStoreTest, InsertSetsIdCodeAndTheFirstEvent) {
    auto t = sample({"3", "2", "501"});
    t.slots.set("elevator", "2");
    t.slots.set("trapped", "false");
    t.evidence = {"category:电梯", "urgency:normal"};
    t.attachments = {{"image", "m1", "http://x/1.jpg", ""}, {"voice", "m2", "", "amr"}};
    const auto filed = event("filed", kT0, "电梯异响", R"({"department":"engineering"})");
    const auto r = insert(t, "wechat_mp/demo/o-1#1", filed);
    EXPECT_TRUE(r.created);
    EXPECT_GT(r.id, 0);
    EXPECT_EQ(t.id, r.id);
    EXPECT_EQ(t.code, tickets::make_code(r.id));

    const auto back = by_id(r.id);
    ASSERT_TRUE(back.has_value());
    expect_same(*back, t);

    const auto log = events(r.id);
    ASSERT_EQ(log.size(), 1U);
    EXPECT_GT(log[0].id, 0);
    EXPECT_EQ(log[0].at, at(kT0));
    EXPECT_EQ(log[0].actor, "resident:wechat_mp/demo/o-1");
    EXPECT_EQ(log[0].actor_name, "王女士");
    EXPECT_EQ(log[0].kind, "filed");
    EXPECT_EQ(log[0].text, "电梯异响");
    EXPECT_EQ(log[0].data, R"({"department":"engineering"})");

    // The next ticket gets the next id and its own code.
    auto second = sample({"3", "2", "502"});
    const auto r2 = insert(second);
    EXPECT_TRUE(r2.created);
    EXPECT_GT(r2.id, r.id);
    EXPECT_EQ(second.code, tickets::make_code(r2.id));
    EXPECT_NE(second.code, t.code);
    EXPECT_EQ(events(r2.id).size(), 1U);
    EXPECT_EQ(events(r.id).size(), 1U);
}

TEST_F(TicketStoreTest, MinimalTicketRoundTripsWithUnsetDeadlines) {
    Ticket t;
    t.community = "demo";
    t.channel = "wecom";
    t.category = "noise";
    t.nature = dialogs::Nature::order;
    t.urgency = dialogs::Urgency::emergency;
    t.department = "order";
    t.created_at = at(kT0);
    t.updated_at = at(kT0);
    insert(t);
    const auto back = by_id(t.id);
    ASSERT_TRUE(back.has_value());
    expect_same(*back, t);
    EXPECT_FALSE(back->claim_due.has_value());
    EXPECT_FALSE(back->confirm_due.has_value());
    EXPECT_TRUE(back->resident.empty());
    EXPECT_EQ(back->households, 1);
}

// Slots come back in the order they were set (SlotMap keeps insertion order and compares with it),
// so a ticket read back is the ticket written and a card lists its slots the same after a restart.
TEST_F(TicketStoreTest, SlotsKeepTheirOrder) {
    auto t = sample({"3", "2", "501"});
    t.slots.set("trapped", "true");
    t.slots.set("elevator", "2");
    t.slots.set("symptom", "异响");
    insert(t);
    const auto back = by_id(t.id);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->slots.items(), t.slots.items());
}

TEST_F(TicketStoreTest, TheSameSourceIsFiledOnce) {
    auto first = sample({"3", "2", "501"});
    const auto r1 = insert(first, "wechat_mp/demo/o-1#1");
    ASSERT_TRUE(r1.created);

    // A re-run turn files the same draft again, maybe with other words: nothing new is stored, and
    // the caller gets the stored ticket.
    auto again = sample({"3", "2", "501"});
    again.description = "另一段话";
    const auto r2 = insert(again, "wechat_mp/demo/o-1#1", event("filed", kT0 + 5000, "另一段话"));
    EXPECT_FALSE(r2.created);
    EXPECT_EQ(r2.id, r1.id);
    EXPECT_EQ(again.id, first.id);
    EXPECT_EQ(again.code, first.code);
    EXPECT_EQ(again.description, first.description);
    EXPECT_EQ(count("SELECT count(*) FROM tickets"), 1);
    EXPECT_EQ(events(r1.id).size(), 1U);
    EXPECT_EQ(events(r1.id)[0].text, "");

    // Another source, or none, is another ticket.
    auto other = sample({"3", "2", "501"});
    EXPECT_TRUE(insert(other, "wechat_mp/demo/o-1#2").created);
    auto walk_in1 = sample({"3", "2", "501"});
    auto walk_in2 = sample({"3", "2", "501"});
    EXPECT_TRUE(insert(walk_in1).created);
    EXPECT_TRUE(insert(walk_in2).created);
    EXPECT_NE(walk_in1.id, walk_in2.id);
    EXPECT_EQ(count("SELECT count(*) FROM tickets"), 4);
}

TEST_F(TicketStoreTest, UpdateWritesColumnsAndAppendsEventsInOrder) {
    auto t = add({"3", "2", "501"});
    const auto created = t;

    t.status = Status::claimed;
    t.assignee = "zhanggong";
    t.assignee_name = "张工";
    t.first_responder = "zhanggong";
    t.claim_due.reset();
    t.updated_at = at(kT0 + 60'000);
    auto e1 = event("claim", kT0 + 60'000);
    e1.actor = "staff:zhanggong";
    e1.actor_name = "张工";
    const auto id1 = update(t, e1);

    t.status = Status::resolved;
    t.last_progress = "已更换导靴";
    t.plan_due.reset();
    t.confirm_due = at(kT0 + 3 * 86'400'000);
    t.escalation = 2;
    t.households = 3;
    t.key_review = true;
    t.auto_closed = true;
    t.satisfaction = tickets::Satisfaction::basically;
    t.score = 4;
    t.group = true;
    t.parent_id = 99;
    t.resident_name = "王先生";
    t.room.room = "502";
    t.category = "lift";
    t.urgency = dialogs::Urgency::difficult;
    t.nature = dialogs::Nature::service;
    t.department = "butler";
    t.butler = "guanjia12";
    t.description = "新的描述";
    t.expectation = "新的期望";
    t.evidence = {"x"};
    t.attachments = {{"image", "m9", "", ""}};
    t.on_site_due = at(kT0 + 900'000);
    t.slots.set("elevator", "3");
    t.updated_at = at(kT0 + 120'000);
    const auto id2 = update(t, event("resolve", kT0 + 120'000, "已更换导靴", R"({"x":1})"));
    EXPECT_GT(id2, id1);

    const auto back = by_id(t.id);
    ASSERT_TRUE(back.has_value());
    expect_same(*back, t);
    // What never changes after filing stays.
    EXPECT_EQ(back->code, created.code);
    EXPECT_EQ(back->created_at, created.created_at);
    EXPECT_EQ(back->community, created.community);
    EXPECT_EQ(back->resident, created.resident);

    const auto log = events(t.id);
    ASSERT_EQ(log.size(), 3U);
    EXPECT_EQ(log[0].kind, "filed");
    EXPECT_EQ(log[1].kind, "claim");
    EXPECT_EQ(log[1].id, id1);
    EXPECT_EQ(log[1].actor, "staff:zhanggong");
    EXPECT_EQ(log[1].actor_name, "张工");
    EXPECT_EQ(log[1].at, at(kT0 + 60'000));
    EXPECT_EQ(log[2].kind, "resolve");
    EXPECT_EQ(log[2].id, id2);
    EXPECT_EQ(log[2].text, "已更换导靴");
    EXPECT_EQ(log[2].data, R"({"x":1})");

    // Other tickets are untouched.
    auto other = add({"3", "2", "601"});
    update(t, event("progress", kT0 + 200'000));
    EXPECT_EQ(events(other.id).size(), 1U);
    EXPECT_EQ(events(t.id).size(), 4U);
    expect_same(*by_id(other.id), other);
}

TEST_F(TicketStoreTest, LookupsByCodeAndSource) {
    auto t = sample({"3", "2", "501"});
    insert(t, "draft#7");
    auto code_job = [code = t.code](SQLite::Database& db) { return ticket_by_code(db, code); };
    const auto by_code = read(std::move(code_job));
    ASSERT_TRUE(by_code.has_value());
    EXPECT_EQ(by_code->id, t.id);

    auto source_job = [](SQLite::Database& db) { return ticket_by_source(db, "draft#7"); };
    const auto by_source = read(std::move(source_job));
    ASSERT_TRUE(by_source.has_value());
    EXPECT_EQ(by_source->id, t.id);

    auto misses = [](SQLite::Database& db) {
        return std::vector<bool>{ticket_by_code(db, "XXXXXX").has_value(),
                                 ticket_by_code(db, "").has_value(),
                                 ticket_by_source(db, "draft#8").has_value(),
                                 ticket_by_source(db, "").has_value(),
                                 ticket_by_id(db, 0).has_value(),
                                 ticket_by_id(db, 12345).has_value()};
    };
    EXPECT_EQ(read(std::move(misses)), std::vector<bool>(6, false));
    EXPECT_TRUE(events(12345).empty());
}

TEST_F(TicketStoreTest, ActiveTicketForTheSameRoomAndCategory) {
    auto a = add({"3", "2", "501"}, "elevator");
    const auto lookup = [this](std::string community, dialogs::Room room, std::string category) {
        auto job = [community, room, category](SQLite::Database& db) {
            const auto t = active_ticket_for_room(db, community, room, category);
            return t ? t->id : 0;
        };
        return read(std::move(job));
    };
    EXPECT_EQ(lookup("demo", {"3", "2", "501"}, "elevator"), a.id);
    EXPECT_EQ(lookup("demo", {"3", "2", "502"}, "elevator"), 0);
    EXPECT_EQ(lookup("demo", {"3", "1", "501"}, "elevator"), 0);
    EXPECT_EQ(lookup("demo", {"4", "2", "501"}, "elevator"), 0);
    EXPECT_EQ(lookup("demo", {"3", "2", "501"}, "water_leak"), 0);
    EXPECT_EQ(lookup("other", {"3", "2", "501"}, "elevator"), 0);

    // Every active status counts, resolved included; finished ones do not.
    for (const auto s :
         {Status::claimed, Status::on_site, Status::planned, Status::in_progress, Status::resolved}) {
        set_status(a, s);
        EXPECT_EQ(lookup("demo", {"3", "2", "501"}, "elevator"), a.id) << tickets::to_string(s);
    }
    for (const auto s : {Status::confirmed, Status::closed, Status::cancelled}) {
        set_status(a, s);
        EXPECT_EQ(lookup("demo", {"3", "2", "501"}, "elevator"), 0) << tickets::to_string(s);
    }

    // A new report after that one is the one found; a group parent is not a household's ticket.
    auto b = add({"3", "2", "501"}, "elevator");
    EXPECT_EQ(lookup("demo", {"3", "2", "501"}, "elevator"), b.id);
    b.group = true;
    update(b, event("grouped", kT0 + 2));
    EXPECT_EQ(lookup("demo", {"3", "2", "501"}, "elevator"), 0);
}

TEST_F(TicketStoreTest, RecentHouseholdTickets) {
    const auto hour = std::int64_t{3'600'000};
    const auto since = kT0 - 24 * hour;
    std::vector<std::int64_t> expected;
    expected.push_back(add({"3", "1", "101"}, "elevator", kT0 - 2 * hour).id);
    expected.push_back(add({"3", "1", "102"}, "elevator", kT0 - hour).id);
    expected.push_back(add({"3", "2", "101"}, "elevator", since).id);  // the window's first millisecond
    add({"3", "1", "103"}, "elevator", since - 1);                     // too old
    add({"4", "1", "101"}, "elevator", kT0);                           // another building
    add({"3", "1", "104"}, "water_leak", kT0);                         // another problem
    auto other_community = sample({"3", "1", "105"}, "elevator", kT0);
    other_community.community = "other";
    insert(other_community);
    auto closed = add({"3", "1", "106"}, "elevator", kT0);
    set_status(closed, Status::closed);
    auto resolved = add({"3", "1", "107"}, "elevator", kT0);
    set_status(resolved, Status::resolved);
    expected.push_back(resolved.id);  // still active
    auto parent = add({"3", "", ""}, "elevator", kT0);
    parent.group = true;
    update(parent, event("group", kT0));
    auto member = add({"3", "1", "108"}, "elevator", kT0);
    auto parent_job = [child = member.id, p = parent.id](SQLite::Database& db) { set_parent(db, child, p); };
    write(std::move(parent_job));

    auto job = [since](SQLite::Database& db) {
        return recent_household_tickets(db, "demo", "elevator", "3", since);
    };
    const auto found = read(std::move(job));
    EXPECT_EQ(ids(found), expected);
    std::set<std::string> households;
    for (const auto& t : found) {
        households.insert(t.room.unit + "/" + t.room.room);
    }
    EXPECT_EQ(households.size(), 4U);
}

TEST_F(TicketStoreTest, GroupComplaints) {
    auto parent = sample({"3", "", ""}, "elevator");
    parent.group = true;
    parent.households = 20;
    insert(parent);
    auto a = add({"3", "1", "101"});
    auto b = add({"3", "1", "102"});
    auto c = add({"3", "1", "103"});
    auto link = [first = a.id, third = c.id, p = parent.id](SQLite::Database& db) {
        set_parent(db, third, p);
        set_parent(db, first, p);
    };
    write(std::move(link));

    auto members_job = [p = parent.id](SQLite::Database& db) { return group_members(db, p); };
    const auto members = read(std::move(members_job));
    EXPECT_EQ(ids(members), (std::vector<std::int64_t>{a.id, c.id}));
    for (const auto& m : members) {
        EXPECT_EQ(m.parent_id, parent.id);
    }
    EXPECT_EQ(by_id(b.id)->parent_id, 0);
    auto none_job = [p = b.id](SQLite::Database& db) { return group_members(db, p); };
    EXPECT_TRUE(read(std::move(none_job)).empty());

    const auto group_of = [this](std::string category, std::string building) {
        auto job = [category, building](SQLite::Database& db) {
            const auto t = active_group(db, "demo", category, building);
            return t ? t->id : 0;
        };
        return read(std::move(job));
    };
    EXPECT_EQ(group_of("elevator", "3"), parent.id);
    EXPECT_EQ(group_of("elevator", "4"), 0);
    EXPECT_EQ(group_of("water_leak", "3"), 0);
    set_status(parent, Status::resolved);
    EXPECT_EQ(group_of("elevator", "3"), parent.id);
    set_status(parent, Status::closed);
    EXPECT_EQ(group_of("elevator", "3"), 0);
}

TEST_F(TicketStoreTest, FindTicketsFilters) {
    auto t1 = add({"3", "2", "501"}, "elevator", kT0);
    auto t2 = add({"3", "2", "502"}, "elevator", kT0 + 1000);
    auto t3 = add({"3", "1", "501"}, "water_leak", kT0 + 2000);
    auto t4 = add({"5", "1", "101"}, "noise", kT0 + 3000);
    auto t5 = add({"5", "1", "102"}, "noise", kT0 + 4000);
    t2.assignee = "zhanggong";
    set_status(t2, Status::in_progress);
    t3.assignee = "zhanggong";
    set_status(t3, Status::resolved);
    set_status(t4, Status::closed);
    set_status(t5, Status::cancelled);
    t5.department = "order";
    update(t5, event("x", kT0));

    struct Case {
        const char* what;
        TicketFilter filter;
        std::vector<std::int64_t> expected;
    };
    const std::vector<Case> cases = {
        {"everything", {}, {t1.id, t2.id, t3.id, t4.id, t5.id}},
        {"one status", where([&](TicketFilter& f) { f.status = "in_progress"; }), {t2.id}},
        {"dispatched", where([&](TicketFilter& f) { f.status = "dispatched"; }), {t1.id}},
        {"active", where([&](TicketFilter& f) { f.status = "active"; }), {t1.id, t2.id, t3.id}},
        {"open", where([&](TicketFilter& f) { f.status = "open"; }), {t1.id, t2.id}},
        {"closed", where([&](TicketFilter& f) { f.status = "closed"; }), {t4.id}},
        {"no such status", where([&](TicketFilter& f) { f.status = "lost"; }), {}},
        {"community",
         where([&](TicketFilter& f) { f.community = "demo"; }),
         {t1.id, t2.id, t3.id, t4.id, t5.id}},
        {"other community", where([&](TicketFilter& f) { f.community = "other"; }), {}},
        {"department", where([&](TicketFilter& f) { f.department = "order"; }), {t5.id}},
        {"assignee", where([&](TicketFilter& f) { f.assignee = "zhanggong"; }), {t2.id, t3.id}},
        {"assignee and open",
         where([&](TicketFilter& f) {
             f.status = "open";
             f.assignee = "zhanggong";
         }),
         {t2.id}},
        {"resident", where([&](TicketFilter& f) { f.resident = t4.resident; }), {t4.id}},
        {"building",
         where([&](TicketFilter& f) {
             f.room = {"3", "", ""};
         }),
         {t1.id, t2.id, t3.id}},
        {"building and unit",
         where([&](TicketFilter& f) {
             f.room = {"3", "2", ""};
         }),
         {t1.id, t2.id}},
        {"room number alone",
         where([&](TicketFilter& f) {
             f.room = {"", "", "501"};
         }),
         {t1.id, t3.id}},
        {"whole room",
         where([&](TicketFilter& f) {
             f.room = {"3", "2", "501"};
         }),
         {t1.id}},
        {"from", where([&](TicketFilter& f) { f.from_ms = kT0 + 2000; }), {t3.id, t4.id, t5.id}},
        {"to (exclusive)", where([&](TicketFilter& f) { f.to_ms = kT0 + 2000; }), {t1.id, t2.id}},
        {"from and to",
         where([&](TicketFilter& f) {
             f.from_ms = kT0 + 1000;
             f.to_ms = kT0 + 3000;
         }),
         {t2.id, t3.id}},
        {"limit", where([&](TicketFilter& f) { f.limit = 2; }), {t1.id, t2.id}},
        {"after",
         where([&](TicketFilter& f) {
             f.limit = 2;
             f.after_id = t2.id;
         }),
         {t3.id, t4.id}},
        {"last page",
         where([&](TicketFilter& f) {
             f.limit = 2;
             f.after_id = t4.id;
         }),
         {t5.id}},
        {"past the end", where([&](TicketFilter& f) { f.after_id = t5.id; }), {}},
        {"limit 0", where([&](TicketFilter& f) { f.limit = 0; }), {}},
        {"active page",
         where([&](TicketFilter& f) {
             f.status = "active";
             f.limit = 1;
             f.after_id = t1.id;
         }),
         {t2.id}},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(ids(find(c.filter)), c.expected) << c.what;
    }

    // Paging through everything, two at a time, visits each ticket once.
    std::vector<std::int64_t> seen;
    TicketFilter page;
    page.limit = 2;
    for (int i = 0; i < 10; ++i) {
        const auto got = find(page);
        if (got.empty()) {
            break;
        }
        for (const auto& t : got) {
            seen.push_back(t.id);
        }
        page.after_id = got.back().id;
    }
    EXPECT_EQ(seen, (std::vector<std::int64_t>{t1.id, t2.id, t3.id, t4.id, t5.id}));
}

OutboxMessage message(std::string key, std::int64_t next_at_ms = 0, std::string target = "o-1") {
    OutboxMessage m;
    m.key = std::move(key);
    m.channel = "wechat_mp";
    m.account = "demo";
    m.target = std::move(target);
    m.payload = R"({"text":"您的工单已受理"})";
    m.next_at_ms = next_at_ms;
    return m;
}

class OutboxTest : public TicketStoreTest {
protected:
    bool queue(const OutboxMessage& m, std::int64_t now) {
        auto job = [m, now](SQLite::Database& db) { return enqueue(db, m, now); };
        return write(std::move(job));
    }
    std::vector<OutboxMessage> due(std::int64_t now, std::size_t limit = 100) {
        auto job = [now, limit](SQLite::Database& db) { return due_messages(db, now, limit); };
        return read(std::move(job));
    }
    std::optional<std::int64_t> next() {
        auto job = [](SQLite::Database& db) { return next_due(db); };
        return read(std::move(job));
    }
    std::size_t pending() {
        auto job = [](SQLite::Database& db) { return outbox_pending(db); };
        return read(std::move(job));
    }
    void sent(std::int64_t id, std::int64_t now) {
        auto job = [id, now](SQLite::Database& db) { mark_sent(db, id, now); };
        write(std::move(job));
    }
    void failed(std::int64_t id, std::string error, std::int64_t next_at, bool give_up) {
        auto job = [id, error, next_at, give_up](SQLite::Database& db) {
            mark_failed(db, id, error, next_at, give_up);
        };
        write(std::move(job));
    }
    std::string column(std::int64_t id, const std::string& name) {
        auto job = [id, name](SQLite::Database& db) {
            SQLite::Statement q(db, "SELECT " + name + " FROM outbox WHERE id = ?");
            q.bind(1, id);
            return q.executeStep() ? q.getColumn(0).getString() : std::string("<none>");
        };
        return read(std::move(job));
    }
};

TEST_F(OutboxTest, EnqueueIsIdempotentByKey) {
    EXPECT_EQ(next(), std::nullopt);
    EXPECT_EQ(pending(), 0U);
    EXPECT_TRUE(queue(message("T1:E1"), kT0));
    auto changed = message("T1:E1", 0, "someone-else");
    changed.payload = "{}";
    EXPECT_FALSE(queue(changed, kT0 + 10));
    EXPECT_FALSE(queue(message("T1:E1"), kT0 + 20));
    EXPECT_EQ(pending(), 1U);

    const auto got = due(kT0);
    ASSERT_EQ(got.size(), 1U);
    EXPECT_GT(got[0].id, 0);
    EXPECT_EQ(got[0].key, "T1:E1");
    EXPECT_EQ(got[0].channel, "wechat_mp");
    EXPECT_EQ(got[0].account, "demo");
    EXPECT_EQ(got[0].target, "o-1");
    EXPECT_EQ(got[0].payload, R"({"text":"您的工单已受理"})");
    EXPECT_EQ(got[0].attempts, 0);
    EXPECT_EQ(got[0].next_at_ms, kT0);  // no next_at: due at once

    EXPECT_TRUE(queue(message("T1:E2"), kT0));
    EXPECT_EQ(pending(), 2U);
}

TEST_F(OutboxTest, DueMessagesRespectNextAtAndOrder) {
    ASSERT_TRUE(queue(message("later", kT0 + 60'000), kT0));
    ASSERT_TRUE(queue(message("now-b"), kT0 + 5));
    ASSERT_TRUE(queue(message("now-a"), kT0));
    ASSERT_TRUE(queue(message("same-time", kT0 + 5), kT0));
    EXPECT_EQ(next(), kT0);

    // Oldest next_at first, then queue order.
    EXPECT_EQ(keys(due(kT0 - 1)), std::vector<std::string>{});
    EXPECT_EQ(keys(due(kT0)), std::vector<std::string>{"now-a"});
    EXPECT_EQ(keys(due(kT0 + 5)), (std::vector<std::string>{"now-a", "now-b", "same-time"}));
    EXPECT_EQ(keys(due(kT0 + 5, 2)), (std::vector<std::string>{"now-a", "now-b"}));
    EXPECT_EQ(keys(due(kT0 + 59'999)).size(), 3U);
    EXPECT_EQ(keys(due(kT0 + 60'000)), (std::vector<std::string>{"now-a", "now-b", "same-time", "later"}));
    EXPECT_TRUE(due(kT0 + 60'000, 0).empty());
}

TEST_F(OutboxTest, SentAndFailedMessages) {
    ASSERT_TRUE(queue(message("a"), kT0));
    ASSERT_TRUE(queue(message("b"), kT0 + 1));
    ASSERT_TRUE(queue(message("c"), kT0 + 2));
    const auto all = due(kT0 + 10);
    ASSERT_EQ(all.size(), 3U);
    const auto a = all[0].id;
    const auto b = all[1].id;
    const auto c = all[2].id;

    sent(a, kT0 + 100);
    EXPECT_EQ(column(a, "state"), "sent");
    EXPECT_EQ(column(a, "sent_at"), std::to_string(kT0 + 100));
    EXPECT_EQ(column(a, "attempts"), "1");
    EXPECT_EQ(keys(due(kT0 + 10)), (std::vector<std::string>{"b", "c"}));
    EXPECT_EQ(pending(), 2U);

    // A failure to retry: pending again at the new time, with the error kept.
    failed(b, "errcode 45047: out of response count limit", kT0 + 30'000, false);
    EXPECT_EQ(column(b, "state"), "pending");
    EXPECT_EQ(column(b, "attempts"), "1");
    EXPECT_EQ(column(b, "last_error"), "errcode 45047: out of response count limit");
    EXPECT_EQ(keys(due(kT0 + 10)), std::vector<std::string>{"c"});
    EXPECT_EQ(pending(), 2U);
    failed(b, "timeout", kT0 + 90'000, false);
    EXPECT_EQ(column(b, "attempts"), "2");
    EXPECT_EQ(column(b, "last_error"), "timeout");

    // Giving up: no longer pending, never due again.
    failed(c, "errcode 43004: not subscribed", kT0 + 1'000'000, true);
    EXPECT_EQ(column(c, "state"), "failed");
    EXPECT_EQ(column(c, "attempts"), "1");
    EXPECT_EQ(pending(), 1U);
    EXPECT_EQ(next(), kT0 + 90'000);
    const auto later = due(kT0 + 10'000'000);
    ASSERT_EQ(keys(later), std::vector<std::string>{"b"});
    EXPECT_EQ(later[0].attempts, 2);
    EXPECT_EQ(later[0].next_at_ms, kT0 + 90'000);

    sent(b, kT0 + 100'000);
    EXPECT_EQ(pending(), 0U);
    EXPECT_EQ(next(), std::nullopt);
    EXPECT_TRUE(due(kT0 + 10'000'000).empty());
    // A sent key is still taken: the message is never queued twice.
    EXPECT_FALSE(queue(message("a"), kT0 + 200'000));
    EXPECT_FALSE(queue(message("c"), kT0 + 200'000));
}

}  // namespace
}  // namespace anju::store
