// The monthly report on a real SQLite file seeded through the store's own functions: a November
// 2026 of one community (with an October, September and August behind it), and the exact figures
// the report must give — shares, buildings, on-time rates, satisfaction, reopens, hotspots at their
// threshold, repeat complainants, the month boundary in UTC+8, month over month — and the shape of
// the JSON, CSV and HTML forms and the Chinese summary.
#include "bot/reports/report.hpp"

#include "bot/tickets/calendar.hpp"
#include "store/store.hpp"
#include "store/ticket_store.hpp"
#include "store/timer_store.hpp"
#include "tests/support/async.hpp"

#include <SQLiteCpp/Statement.h>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>

namespace anju::reports {
namespace {

using anju::testing::run_coro;
using json = nlohmann::json;
using tickets::Satisfaction;
using tickets::Status;

// A local time in UTC+8.
Clock::time_point local(int year, unsigned month, unsigned day, int hour = 12, int minute = 0) {
    const auto days = tickets::days_from_civil(year, month, day);
    return Clock::time_point{
        std::chrono::milliseconds{days * 86'400'000 + (hour * 60 + minute - 480) * 60'000LL}};
}

std::int64_t ms(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

struct Spec {
    std::string community = "sunny";
    std::string building{};
    std::string unit{};
    std::string room{};
    dialogs::Nature nature = dialogs::Nature::facility;
    std::string category = "elevator";
    dialogs::Urgency urgency = dialogs::Urgency::normal;
    Status status = Status::dispatched;
    Satisfaction satisfaction = Satisfaction::none;
    int score = 0;
    bool auto_closed = false;
    bool group = false;
    std::int64_t parent_id = 0;
    std::string department = "engineering";
    std::string assignee_name{};
    std::vector<std::pair<std::string, std::string>> slots{};
    Clock::time_point created{};
    std::string description{};  // "" = "投诉 <category>"
};

std::int64_t add(SQLite::Database& db, const Spec& s) {
    tickets::Ticket t;
    t.community = s.community;
    t.resident = "wechat_mp/demo/o" + s.building + s.unit + s.room;
    t.room = {s.building, s.unit, s.room};
    t.channel = "wechat_mp";
    t.nature = s.nature;
    t.category = s.category;
    t.urgency = s.urgency;
    for (const auto& [k, v] : s.slots) {
        t.slots.set(k, v);
    }
    t.description = s.description.empty() ? "投诉 " + s.category : s.description;
    t.department = s.department;
    t.assignee_name = s.assignee_name;
    t.status = s.status;
    t.satisfaction = s.satisfaction;
    t.score = s.score;
    t.auto_closed = s.auto_closed;
    t.group = s.group;
    t.parent_id = s.parent_id;
    t.created_at = s.created;
    t.updated_at = s.created;
    tickets::Event first;
    first.at = s.created;
    first.actor = "system";
    first.kind = "filed";
    return store::insert_ticket(db, t, first, "").id;
}

void event(SQLite::Database& db, std::int64_t ticket, std::string kind, std::string text,
           Clock::time_point at) {
    tickets::Event e;
    e.at = at;
    e.actor = "resident:x";
    e.actor_name = "业主";
    e.kind = std::move(kind);
    e.text = std::move(text);
    store::append_event(db, ticket, e);
}

std::string label(std::string_view category) {
    static const std::map<std::string, std::string, std::less<>> kLabels = {{"elevator", "电梯"},
                                                                            {"water_leak", "漏水"},
                                                                            {"noise", "噪音"},
                                                                            {"sanitation", "环境卫生"},
                                                                            {"fee_dispute", "费用"}};
    const auto it = kLabels.find(category);
    return it == kLabels.end() ? std::string() : it->second;
}

const MonthKey kNovember{2026, 11};

class MonthlyReportTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::random_device rd;
        dir_ = std::filesystem::temp_directory_path() /
               ("anju-report-test-" + std::to_string(rd()) + "-" + std::to_string(rd()));
        auto opened = store::Store::open({.path = (dir_ / "anju.db").string()});
        ASSERT_TRUE(opened) << opened.error().what();
        store_ = std::move(*opened);
        write([this](SQLite::Database& db) { seed(db); });
    }

    void TearDown() override {
        run_coro(ioc_, store_->close());
        store_.reset();
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }

    template <class F>
    void write(F f) {
        run_coro(ioc_, store_->write(std::move(f)));
    }

    MonthlyReport build(MonthKey month, ReportOptions options = {},
                        Clock::time_point generated = local(2026, 12, 1, 8)) {
        if (!options.category_label) {
            options.category_label = label;
        }
        auto job = [month, options, generated](SQLite::Database& db) {
            return build_monthly_report(db, month, options, generated);
        };
        return run_coro(ioc_, store_->run(std::move(job)));
    }

    // November: 3 elevator (building 3, the same lift), 2 leaks (building 5), 1 emergency noise
    // (building 3), 1 cancelled fee dispute (building 7), and a group complaint about sanitation in
    // building 9 with 2 households inside. October: 4 tickets; September and August: 1 each.
    void seed(SQLite::Database& db) {
        const std::vector<std::pair<std::string, std::string>> lift = {
            {"building", "3"}, {"unit", "2"}, {"elevator", "2"}};
        e1_ = add(db, {.building = "3",
                       .unit = "2",
                       .room = "801",
                       .status = Status::closed,
                       .satisfaction = Satisfaction::satisfied,
                       .score = 5,
                       .slots = lift,
                       .created = local(2026, 11, 3, 8)});
        e2_ = add(db, {.building = "3",
                       .unit = "2",
                       .room = "1001",
                       .status = Status::closed,
                       .satisfaction = Satisfaction::basically,
                       .score = 4,
                       .slots = lift,
                       .created = local(2026, 11, 6, 9)});
        // The resident named only the lift: the ticket's room says where it is.
        e3_ = add(db, {.building = "3",
                       .unit = "2",
                       .room = "602",
                       .status = Status::in_progress,
                       .slots = {{"elevator", "2"}},
                       .created = local(2026, 11, 8, 9)});
        w1_ = add(db, {.building = "5",
                       .unit = "1",
                       .room = "1201",
                       .category = "water_leak",
                       .status = Status::closed,
                       .satisfaction = Satisfaction::unsatisfied,
                       .score = 1,
                       .assignee_name = "张工",
                       .created = local(2026, 11, 18, 10)});
        w2_ = add(db, {.building = "5",
                       .unit = "2",
                       .room = "301",
                       .category = "water_leak",
                       .status = Status::resolved,
                       .created = local(2026, 11, 30, 23, 30)});
        n1_ = add(db, {.building = "3",
                       .unit = "1",
                       .room = "302",
                       .nature = dialogs::Nature::order,
                       .category = "noise",
                       .urgency = dialogs::Urgency::emergency,
                       .status = Status::confirmed,
                       .auto_closed = true,
                       .department = "order",
                       .created = local(2026, 11, 15, 10)});
        add(db, {.building = "7",
                 .unit = "1",
                 .room = "101",
                 .nature = dialogs::Nature::fee,
                 .category = "fee_dispute",
                 .status = Status::cancelled,
                 .department = "cs",
                 .created = local(2026, 11, 1, 0, 0)});
        const auto group = add(db, {.building = "9",
                                    .nature = dialogs::Nature::service,
                                    .category = "sanitation",
                                    .status = Status::in_progress,
                                    .group = true,
                                    .department = "butler",
                                    .created = local(2026, 11, 12)});
        add(db, {.building = "9",
                 .unit = "1",
                 .room = "101",
                 .nature = dialogs::Nature::service,
                 .category = "sanitation",
                 .parent_id = group,
                 .department = "butler",
                 .created = local(2026, 11, 12, 9)});
        add(db, {.building = "9",
                 .unit = "1",
                 .room = "102",
                 .nature = dialogs::Nature::service,
                 .category = "sanitation",
                 .status = Status::claimed,
                 .parent_id = group,
                 .department = "butler",
                 .created = local(2026, 11, 12, 10)});
        // December, ten minutes in: not November's, though it is the same lift again.
        add(db, {.building = "3",
                 .unit = "2",
                 .room = "1101",
                 .slots = lift,
                 .created = local(2026, 12, 1, 0, 10)});

        // October (one minute before November starts), September, August.
        const auto o1 = add(db, {.building = "3",
                                 .unit = "2",
                                 .room = "801",
                                 .status = Status::closed,
                                 .satisfaction = Satisfaction::satisfied,
                                 .created = local(2026, 10, 10)});
        add(db, {.building = "7",
                 .unit = "1",
                 .room = "101",
                 .nature = dialogs::Nature::order,
                 .category = "noise",
                 .status = Status::closed,
                 .satisfaction = Satisfaction::unsatisfied,
                 .department = "order",
                 .created = local(2026, 10, 31, 23, 59)});
        add(db, {.building = "3",
                 .unit = "1",
                 .room = "302",
                 .nature = dialogs::Nature::order,
                 .category = "noise",
                 .status = Status::closed,
                 .satisfaction = Satisfaction::satisfied,
                 .department = "order",
                 .created = local(2026, 10, 5)});
        add(db, {.building = "5",
                 .unit = "1",
                 .room = "1201",
                 .category = "water_leak",
                 .status = Status::closed,
                 .satisfaction = Satisfaction::basically,
                 .created = local(2026, 10, 20)});
        add(db, {.building = "3",
                 .unit = "2",
                 .room = "801",
                 .category = "water_leak",
                 .status = Status::closed,
                 .created = local(2026, 9, 15)});
        add(db, {.building = "7",
                 .unit = "1",
                 .room = "101",
                 .nature = dialogs::Nature::fee,
                 .category = "fee_dispute",
                 .status = Status::closed,
                 .department = "cs",
                 .created = local(2026, 8, 20)});

        // Reopens: e2 was reopened and is closed now; e3 was reopened and is being worked on again.
        event(db, e2_, "reopen", "还是有异响", local(2026, 11, 9));
        event(db, e3_, "reopen", "没修好", local(2026, 11, 10));
        event(db, w1_, "rate", "师傅态度差，还没修好", local(2026, 11, 22));

        // SLA nodes.
        const auto node = [&db](std::int64_t t, const char* name, const char* department,
                                Clock::time_point due, std::optional<Clock::time_point> met,
                                std::optional<Clock::time_point> missed) {
            store::set_milestone(db, t, name, department, ms(due));
            if (missed) {
                store::miss_milestone(db, t, name, ms(*missed));
            }
            if (met) {
                store::meet_milestone(db, t, name, ms(*met));
            }
        };
        node(e1_, "claim", "engineering", local(2026, 11, 3, 10), local(2026, 11, 3, 9), std::nullopt);
        node(e1_, "plan", "engineering", local(2026, 11, 4, 10), local(2026, 11, 5, 10),
             local(2026, 11, 4, 10));
        node(e2_, "claim", "engineering", local(2026, 11, 6, 10), std::nullopt, local(2026, 11, 6, 10));
        node(e3_, "claim", "engineering", local(2026, 11, 8, 10), local(2026, 11, 8, 9, 30), std::nullopt);
        node(e3_, "plan", "engineering", local(2026, 11, 30, 22), std::nullopt, std::nullopt);
        node(w1_, "progress:2026-11-20", "engineering", local(2026, 11, 20, 18), local(2026, 11, 20, 17),
             std::nullopt);
        node(w2_, "claim", "engineering", local(2026, 12, 1, 9), std::nullopt, std::nullopt);
        node(n1_, "on_site", "order", local(2026, 11, 15, 10, 15), local(2026, 11, 15, 10, 10), std::nullopt);
        // Met a day after its deadline, before the deadline timer marked it.
        node(n1_, "rectification:1", "order", local(2026, 11, 18, 18), local(2026, 11, 19, 18), std::nullopt);
        node(o1, "claim", "engineering", local(2026, 10, 10, 14), local(2026, 10, 10, 13), std::nullopt);
    }

    std::filesystem::path dir_;
    asio::io_context ioc_;
    std::unique_ptr<store::Store> store_;
    std::int64_t e1_ = 0;
    std::int64_t e2_ = 0;
    std::int64_t e3_ = 0;
    std::int64_t w1_ = 0;
    std::int64_t w2_ = 0;
    std::int64_t n1_ = 0;
};

std::vector<std::pair<std::string, std::int64_t>> counts(const std::vector<Share>& shares) {
    std::vector<std::pair<std::string, std::int64_t>> out;
    for (const auto& s : shares) {
        out.emplace_back(s.key, s.count);
    }
    return out;
}

using Counts = std::vector<std::pair<std::string, std::int64_t>>;

TEST(MonthKeyTest, ParsesAndStepsMonths) {
    EXPECT_EQ(parse_month("2026-11").value(), (MonthKey{2026, 11}));
    for (const char* bad :
         {"2026-13", "2026-00", "2026-1", "26-11", "2026/11", "2026-11-01", "", "abcd-ef"}) {
        EXPECT_EQ(parse_month(bad).error(), make_error_code(boost::system::errc::invalid_argument)) << bad;
    }
    EXPECT_EQ((MonthKey{2026, 1}).previous(), (MonthKey{2025, 12}));
    EXPECT_EQ((MonthKey{2026, 12}).next(), (MonthKey{2027, 1}));
    EXPECT_EQ((MonthKey{2026, 11}).to_string(), "2026-11");
    EXPECT_EQ((MonthKey{2026, 3}).to_string(), "2026-03");
    EXPECT_EQ((MonthKey{2026, 11}).label(), "2026年11月");
    // 2026-11-01 00:00 in UTC+8 is 2026-10-31 16:00 UTC.
    EXPECT_EQ((MonthKey{2026, 11}).start_ms(480), 1793462400000);
    EXPECT_EQ(month_of(local(2026, 11, 30, 23, 59), 480), (MonthKey{2026, 11}));
    EXPECT_EQ(month_of(local(2026, 12, 1, 0, 0), 480), (MonthKey{2026, 12}));
    EXPECT_EQ(month_of(local(2026, 12, 1, 0, 0), 0), (MonthKey{2026, 11}));
}

TEST_F(MonthlyReportTest, CountsTheMonthsTicketsOnceEach) {
    const auto r = build(kNovember);
    EXPECT_EQ(r.totals.filed, 9);
    EXPECT_EQ(r.totals.open, 3);
    EXPECT_EQ(r.totals.resolved, 1);
    EXPECT_EQ(r.totals.closed, 4);
    EXPECT_EQ(r.totals.cancelled, 1);
    EXPECT_EQ(r.totals.group_complaints, 1);
    EXPECT_EQ(r.totals.emergencies, 1);
    EXPECT_EQ(r.totals.auto_closed, 1);
    EXPECT_EQ(counts(r.natures), (Counts{{"facility", 5}, {"service", 2}, {"fee", 1}, {"order", 1}}));
    EXPECT_EQ(r.natures[0].label, "设施类");
    EXPECT_EQ(
        counts(r.categories),
        (Counts{{"elevator", 3}, {"sanitation", 2}, {"water_leak", 2}, {"fee_dispute", 1}, {"noise", 1}}));
    EXPECT_EQ(r.categories[0].label, "电梯");
    EXPECT_NEAR(percent(r.categories[0].count, r.totals.filed), 33.333, 0.001);
    ASSERT_EQ(r.buildings.size(), 4U);
    const std::vector<std::pair<std::string, std::int64_t>> buildings = {
        {r.buildings[0].building, r.buildings[0].count},
        {r.buildings[1].building, r.buildings[1].count},
        {r.buildings[2].building, r.buildings[2].count},
        {r.buildings[3].building, r.buildings[3].count}};
    EXPECT_EQ(buildings, (Counts{{"3", 4}, {"5", 2}, {"9", 2}, {"7", 1}}));
    EXPECT_TRUE(r.communities.empty()) << "one community: no per-community table";
}

TEST_F(MonthlyReportTest, TheMonthStartsAndEndsAtLocalMidnight) {
    // 2026-11-30 23:30 local is November's (already counted above: 9); 2026-12-01 00:10 local is
    // December's; 2026-10-31 23:59 local is October's.
    const auto december = build({2026, 12}, {}, local(2027, 1, 1, 8));
    EXPECT_EQ(december.totals.filed, 1);
    EXPECT_EQ(december.previous.totals.filed, 9);
    const auto october = build({2026, 10});
    EXPECT_EQ(october.totals.filed, 4);
    EXPECT_EQ(counts(october.categories), (Counts{{"noise", 2}, {"elevator", 1}, {"water_leak", 1}}));
    // In UTC the same tickets fall differently: 11-01 00:00+08 is October's, 12-01 00:10+08 is
    // November's.
    ReportOptions utc;
    utc.utc_offset_minutes = 0;
    EXPECT_EQ(build({2026, 10}, utc).totals.filed, 5);
    const auto november_utc = build(kNovember, utc);
    EXPECT_EQ(november_utc.totals.filed, 9);
    EXPECT_EQ(november_utc.categories[0].count, 4);
}

TEST_F(MonthlyReportTest, OnTimeRatesPerDepartmentAndNode) {
    const auto r = build(kNovember);
    struct Row {
        std::string department, kind;
        std::int64_t due, on_time, late, missed, pending;
        bool operator==(const Row&) const = default;
    };
    std::vector<Row> rows;
    for (const auto& o : r.on_time) {
        rows.push_back({o.department, o.kind, o.due, o.on_time, o.late, o.missed, o.pending});
    }
    EXPECT_EQ(rows, (std::vector<Row>{{"engineering", "claim", 3, 2, 0, 1, 0},
                                      {"engineering", "plan", 2, 0, 1, 1, 0},
                                      {"engineering", "progress", 1, 1, 0, 0, 0},
                                      {"order", "on_site", 1, 1, 0, 0, 0},
                                      {"order", "rectification", 1, 0, 1, 0, 0}}));
    EXPECT_NEAR(*r.on_time[0].rate(), 2.0 / 3.0, 1e-9);
    EXPECT_EQ(r.on_time[1].rate(), 0.0);
    EXPECT_EQ(r.on_time_total.due, 8);
    EXPECT_EQ(r.on_time_total.on_time, 4);
    EXPECT_EQ(r.on_time_total.late, 2);
    EXPECT_EQ(r.on_time_total.missed, 2);
    EXPECT_EQ(r.on_time_total.rate(), 0.5);
}

TEST_F(MonthlyReportTest, NodesNotYetDueArePending) {
    // Built on November 25th: the plan due on the 30th is neither met nor missed yet.
    const auto r = build(kNovember, {}, local(2026, 11, 25, 12));
    const auto plan = std::find_if(r.on_time.begin(), r.on_time.end(), [](const OnTime& o) {
        return o.department == "engineering" && o.kind == "plan";
    });
    ASSERT_NE(plan, r.on_time.end());
    EXPECT_EQ(plan->due, 2);
    EXPECT_EQ(plan->late, 1);
    EXPECT_EQ(plan->missed, 0);
    EXPECT_EQ(plan->pending, 1);
    EXPECT_EQ(plan->rate(), 0.0);
    EXPECT_EQ(r.on_time_total.pending, 1);
}

TEST_F(MonthlyReportTest, SatisfactionAndReopens) {
    const auto r = build(kNovember);
    const auto& s = r.satisfaction;
    EXPECT_EQ(s.satisfied, 1);
    EXPECT_EQ(s.basically, 1);
    EXPECT_EQ(s.unsatisfied, 1);
    EXPECT_EQ(s.rated(), 3);
    EXPECT_EQ(s.unrated, 1);  // the emergency, closed by timeout without a rating
    EXPECT_NEAR(*s.rate(), 2.0 / 3.0, 1e-9);
    EXPECT_NEAR(*s.score_average(), 10.0 / 3.0, 1e-9);
    // Reopened: e2 (closed now) and e3 (back in progress); resolved at least once: the 5 resolved,
    // confirmed or closed tickets and e3.
    EXPECT_EQ(r.reopen.reopened, 2);
    EXPECT_EQ(r.reopen.resolved, 6);
    EXPECT_NEAR(*r.reopen.rate(), 1.0 / 3.0, 1e-9);
}

TEST_F(MonthlyReportTest, ListsTheUnsatisfiedWithWhatTheResidentSaid) {
    const auto r = build(kNovember);
    ASSERT_EQ(r.unsatisfied.size(), 1U);
    const auto& u = r.unsatisfied[0];
    EXPECT_EQ(u.code.size(), 6U);
    EXPECT_EQ(u.building, "5");
    EXPECT_EQ(u.unit, "1");
    EXPECT_EQ(u.room, "1201");
    EXPECT_EQ(u.category_label, "漏水");
    EXPECT_EQ(u.department, "engineering");
    EXPECT_EQ(u.handler, "张工");
    EXPECT_EQ(u.reason, "师傅态度差，还没修好");
    EXPECT_EQ(u.created_at_ms, ms(local(2026, 11, 18, 10)));
}

TEST_F(MonthlyReportTest, HotspotsStartAtTheThreshold) {
    const auto r = build(kNovember);
    ASSERT_EQ(r.hotspots.size(), 1U) << "two leaks in building 5 are not a hotspot at 3";
    EXPECT_EQ(r.hotspots[0].building, "3");
    EXPECT_EQ(r.hotspots[0].category, "elevator");
    EXPECT_EQ(r.hotspots[0].category_label, "电梯");
    EXPECT_EQ(r.hotspots[0].count, 3);
    ASSERT_EQ(r.assets.size(), 1U);
    EXPECT_EQ(r.assets[0].building, "3");
    EXPECT_EQ(r.assets[0].unit, "2");
    EXPECT_EQ(r.assets[0].elevator, "2");
    EXPECT_EQ(r.assets[0].count, 3);

    ReportOptions two;
    two.hotspot_min = 2;
    const auto lower = build(kNovember, two);
    ASSERT_EQ(lower.hotspots.size(), 3U);
    EXPECT_EQ(lower.hotspots[0].count, 3);
    EXPECT_EQ(lower.hotspots[1].count, 2);
    EXPECT_EQ(lower.hotspots[2].count, 2);

    ReportOptions four;
    four.hotspot_min = 4;
    const auto higher = build(kNovember, four);
    EXPECT_TRUE(higher.hotspots.empty());
    EXPECT_TRUE(higher.assets.empty()) << "December's complaint about the same lift is not November's";
}

TEST_F(MonthlyReportTest, RepeatComplainantsOverTheWindow) {
    const auto r = build(kNovember);
    ASSERT_EQ(r.repeat_rooms.size(), 1U) << "7-1-101's August ticket is outside three months";
    const auto& x = r.repeat_rooms[0];
    EXPECT_EQ(x.building, "3");
    EXPECT_EQ(x.unit, "2");
    EXPECT_EQ(x.room, "801");
    EXPECT_EQ(x.tickets, 3);
    EXPECT_EQ(x.this_month, 1);
    EXPECT_EQ(x.categories, (std::vector<std::string>{"电梯", "漏水"}));
    EXPECT_EQ(x.last_at_ms, ms(local(2026, 11, 3, 8)));

    ReportOptions four_months;
    four_months.repeat_months = 4;
    EXPECT_EQ(build(kNovember, four_months).repeat_rooms.size(), 2U);
    ReportOptions two_tickets;
    two_tickets.repeat_min = 2;
    // 3-2-801 (3), then 3-1-302, 5-1-1201 and 7-1-101 (2 each).
    EXPECT_EQ(build(kNovember, two_tickets).repeat_rooms.size(), 4U);
}

TEST_F(MonthlyReportTest, ComparesWithTheMonthBefore) {
    const auto r = build(kNovember);
    EXPECT_EQ(r.previous.month, (MonthKey{2026, 10}));
    EXPECT_EQ(r.previous.totals.filed, 4);
    EXPECT_EQ(r.previous.satisfaction.rate(), 0.75);
    EXPECT_EQ(r.previous.on_time.rate(), 1.0);
    EXPECT_EQ(r.previous.reopen.rate(), 0.0);
    using Pair = std::pair<std::int64_t, std::int64_t>;
    std::map<std::string, Pair> changes;
    for (const auto& c : category_changes(r)) {
        changes[c.key] = {c.count, c.previous};
    }
    EXPECT_EQ(changes["elevator"], Pair(3, 1));
    EXPECT_EQ(changes["noise"], Pair(1, 2));
    EXPECT_EQ(changes["water_leak"], Pair(2, 1));
    EXPECT_EQ(changes["sanitation"], Pair(2, 0));
    EXPECT_EQ(changes.size(), 5U);
    const auto j = to_json(r);
    EXPECT_EQ(j["changes"]["filed"], 5);
    EXPECT_EQ(j["changes"]["filed_percent"], 125.0);
    EXPECT_EQ(j["changes"]["satisfaction_rate_points"], -8.3);
    EXPECT_EQ(j["changes"]["on_time_rate_points"], -50.0);
    EXPECT_EQ(j["changes"]["reopen_rate_points"], 33.3);
}

TEST_F(MonthlyReportTest, OneCommunityOrAll) {
    write([](SQLite::Database& db) {
        add(db, {.community = "moon",
                 .building = "1",
                 .unit = "1",
                 .room = "101",
                 .nature = dialogs::Nature::order,
                 .category = "noise",
                 .department = "order",
                 .created = local(2026, 11, 20)});
    });
    ReportOptions all;
    all.community_label = [](std::string_view id) {
        return id == "sunny" ? std::string("阳光花园") : std::string();
    };
    const auto r = build(kNovember, all);
    EXPECT_EQ(r.totals.filed, 10);
    ASSERT_EQ(r.communities.size(), 2U);
    EXPECT_EQ(r.communities[0].key, "sunny");
    EXPECT_EQ(r.communities[0].label, "阳光花园");
    EXPECT_EQ(r.communities[0].count, 9);
    EXPECT_EQ(r.communities[1].label, "moon");
    ReportOptions sunny;
    sunny.community = "sunny";
    const auto only = build(kNovember, sunny);
    EXPECT_EQ(only.totals.filed, 9);
    EXPECT_EQ(only.community, "sunny");
    EXPECT_TRUE(only.communities.empty());
    EXPECT_EQ(only.on_time_total.due, 8);
    ReportOptions moon;
    moon.community = "moon";
    const auto other = build(kNovember, moon);
    EXPECT_EQ(other.totals.filed, 1);
    EXPECT_EQ(other.on_time_total.due, 0);
    EXPECT_TRUE(other.hotspots.empty());
}

TEST_F(MonthlyReportTest, JsonCarriesCountsAndRatesAndReadsBack) {
    const auto r = build(kNovember);
    const auto j = to_json(r);
    EXPECT_EQ(j["month"], "2026-11");
    EXPECT_EQ(j["title"], "2026年11月投诉分析报告");
    EXPECT_EQ(j["generated_at"], "2026-12-01T08:00:00+08:00");
    EXPECT_EQ(j["period"]["from"], "2026-11-01T00:00:00+08:00");
    EXPECT_EQ(j["period"]["to"], "2026-12-01T00:00:00+08:00");
    EXPECT_EQ(j["totals"]["filed"], 9);
    EXPECT_EQ(j["categories"][0]["key"], "elevator");
    EXPECT_EQ(j["categories"][0]["label"], "电梯");
    EXPECT_EQ(j["categories"][0]["percent"], 33.3);
    EXPECT_EQ(j["on_time"]["total"]["rate"], 0.5);
    EXPECT_EQ(j["on_time"]["departments"][0]["department_label"], "工程维修");
    EXPECT_EQ(j["on_time"]["departments"][0]["kind_label"], "接单");
    EXPECT_EQ(j["satisfaction"]["rate"], 0.6667);
    EXPECT_EQ(j["reopen"]["rate"], 0.3333);
    EXPECT_EQ(j["unsatisfied"][0]["place"], "5栋1单元1201");
    EXPECT_EQ(j["unsatisfied"][0]["created_at"], "2026-11-18T10:00:00+08:00");
    EXPECT_EQ(j["hotspots"][0]["label"], "3栋电梯");
    EXPECT_EQ(j["assets"][0]["label"], "3栋2单元2号梯");
    EXPECT_EQ(j["repeat_complainants"][0]["place"], "3栋2单元801");
    EXPECT_EQ(j["summary"], r.summary);

    const auto back = from_json(j);
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_EQ(to_json(*back), j);
    EXPECT_EQ(to_html(*back), to_html(r));
    EXPECT_EQ(to_csv(*back), to_csv(r));

    auto broken = j;
    broken["totals"]["filed"] = "nine";
    EXPECT_EQ(from_json(broken).error(), make_error_code(boost::system::errc::invalid_argument));
    EXPECT_EQ(from_json(json::array()).error(), make_error_code(boost::system::errc::invalid_argument));
    broken = j;
    broken.erase("previous");
    EXPECT_EQ(from_json(broken).error(), make_error_code(boost::system::errc::invalid_argument));
}

TEST_F(MonthlyReportTest, CsvOpensInASpreadsheet) {
    write([](SQLite::Database& db) {
        const auto t = add(db, {.building = "5",
                                .unit = "1",
                                .room = "1202",
                                .category = "water_leak",
                                .status = Status::closed,
                                .satisfaction = Satisfaction::unsatisfied,
                                .created = local(2026, 11, 19)});
        event(db, t, "rate", "=HYPERLINK(\"http://x\"), 太慢", local(2026, 11, 23));
    });
    const auto csv = to_csv(build(kNovember));
    ASSERT_TRUE(
        csv.starts_with("\xEF\xBB\xBF"
                        "section,key,label,value,"));
    EXPECT_NE(csv.find("\r\ntotals,filed,受理投诉,10\r\n"), std::string::npos);
    EXPECT_NE(csv.find("\r\ncategory,elevator,电梯,3,30%\r\n"), std::string::npos);
    EXPECT_NE(csv.find("\r\nnature,facility,设施类,6,60%\r\n"), std::string::npos);
    EXPECT_NE(csv.find("\r\nbuilding,sunny/3,3栋,4,40%\r\n"), std::string::npos);
    EXPECT_NE(csv.find("\r\non_time,engineering/claim,工程维修·接单,66.7%,3,2,0,1,0\r\n"), std::string::npos);
    EXPECT_NE(csv.find("\r\non_time,total,合计,50%,8,4,2,2,0\r\n"), std::string::npos);
    EXPECT_NE(csv.find("\r\nhotspot,sunny/3/elevator,3栋电梯,3\r\n"), std::string::npos);
    EXPECT_NE(csv.find("\r\nmonth_over_month,filed,受理投诉,10,4,6\r\n"), std::string::npos);
    EXPECT_NE(csv.find("\r\nmonth_over_month,category:noise,噪音,1,2,-1\r\n"), std::string::npos);
    // A formula is shown, not run; quotes and commas stay inside their cell.
    EXPECT_NE(csv.find(",\"'=HYPERLINK(\"\"http://x\"\"), 太慢\","), std::string::npos) << csv;
    EXPECT_EQ(csv.find("\n", 0), csv.find("\r\n") + 1) << "CRLF line ends";
}

TEST_F(MonthlyReportTest, HtmlIsOneSafeSelfContainedPage) {
    write([](SQLite::Database& db) {
        const auto t = add(db, {.building = "5",
                                .unit = "1",
                                .room = "1202",
                                .category = "water_leak",
                                .status = Status::closed,
                                .satisfaction = Satisfaction::unsatisfied,
                                .created = local(2026, 11, 19)});
        event(db, t, "rate", "<script>alert('x')</script> & \"more\"", local(2026, 11, 23));
        // Rated without a word: the list shows the complaint itself.
        add(db, {.building = "5",
                 .unit = "1",
                 .room = "1203",
                 .category = "water_leak",
                 .status = Status::closed,
                 .satisfaction = Satisfaction::unsatisfied,
                 .created = local(2026, 11, 20),
                 .description = "<script>document.cookie</script>漏水"});
    });
    const auto r = build(kNovember);
    const auto html = to_html(r);
    EXPECT_TRUE(html.starts_with("<!doctype html>"));
    EXPECT_NE(html.find("<meta name=\"viewport\""), std::string::npos);
    EXPECT_NE(html.find("<title>2026年11月投诉分析报告</title>"), std::string::npos);
    EXPECT_GE(std::count(html.begin(), html.end(), '\n'), 5);
    // Charts: categories, natures, departments, buildings.
    std::size_t charts = 0;
    for (auto at = html.find("<svg"); at != std::string::npos; at = html.find("<svg", at + 1)) {
        ++charts;
    }
    EXPECT_EQ(charts, 4U);
    EXPECT_NE(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;more&quot;"),
              std::string::npos);
    EXPECT_NE(html.find("&lt;script&gt;document.cookie&lt;/script&gt;漏水"), std::string::npos);
    EXPECT_EQ(html.find("<script"), std::string::npos);
    for (const char* external : {"src=", "href=", "url(", "@import", "http://", "https://"}) {
        EXPECT_EQ(html.find(external), std::string::npos) << external;
    }
    for (const char* heading : {"总体情况", "投诉类别占比", "各部门按时率", "楼栋分布", "满意度与重开",
                                "不满意工单", "热点问题", "长期 / 重复投诉", "环比"}) {
        EXPECT_NE(html.find(heading), std::string::npos) << heading;
    }
    // The summary comes first.
    EXPECT_LT(html.find(r.summary.substr(0, 30)), html.find("<section"));
}

TEST_F(MonthlyReportTest, SummaryIsBuiltFromTheFigures) {
    const auto r = build(kNovember);
    const auto& s = r.summary;
    EXPECT_TRUE(s.starts_with("2026年11月共受理投诉9件，其中紧急1件，群体投诉1起，环比上升125%（上月4件）。"))
        << s;
    EXPECT_NE(s.find("占比最高的是电梯（3件，33.3%）"), std::string::npos) << s;
    EXPECT_NE(s.find("各部门节点按时率50%（上月100%）"), std::string::npos) << s;
    EXPECT_NE(s.find("满意率66.7%"), std::string::npos) << s;
    EXPECT_NE(s.find("3栋2单元2号梯3件"), std::string::npos) << s;
    EXPECT_NE(s.find("建议"), std::string::npos) << s;
    std::size_t stops = 0;
    for (auto at = s.find("。"); at != std::string::npos; at = s.find("。", at + 1)) {
        ++stops;
    }
    EXPECT_GE(stops, 3U);
    EXPECT_LE(stops, 6U);
    EXPECT_EQ(first_sentence(s),
              "2026年11月共受理投诉9件，其中紧急1件，群体投诉1起，环比上升125%（上月4件）。");
}

TEST_F(MonthlyReportTest, AnEmptyMonthStillReads) {
    const auto r = build({2026, 6}, {}, local(2026, 7, 1, 8));
    EXPECT_EQ(r.totals.filed, 0);
    EXPECT_TRUE(r.categories.empty());
    EXPECT_FALSE(r.on_time_total.rate());
    EXPECT_FALSE(r.satisfaction.rate());
    EXPECT_EQ(r.summary,
              "2026年6月未受理投诉，上月无投诉记录。本月没有到期的处理节点。本月暂无业主评价。"
              "各项指标平稳，建议保持当前处理节奏。");
    const auto html = to_html(r);
    EXPECT_NE(html.find("本月无投诉"), std::string::npos);
    const auto back = from_json(to_json(r));
    ASSERT_TRUE(back);
    EXPECT_EQ(to_json(*back), to_json(r));
}

}  // namespace
}  // namespace anju::reports
