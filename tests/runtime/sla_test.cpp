// Time for tickets (issue 6): the ticket service with a real Store (a temporary SQLite file), the
// real Scheduler and a FakeClock walked through days and weeks. Timers fire in due order exactly
// as the scheduler would fire them; what the service owes people is read back from the outbox.
// Covers: deadlines across weekends, holidays and make-up working days (调休); milestones met and
// missed; pre-breach warnings; the whole escalation ladder; an unclaimed emergency paging the
// supervisor at once; rectification orders answered and overdue; the daily push with "no update
// today" and the handler's reminder; the push turned off; auto-close; the monthly report's timer;
// and the scheduler's own loop waking on the clock and on a kick.
#include "bot/runtime/scheduler.hpp"
#include "bot/runtime/ticket_service.hpp"
#include "bot/tickets/calendar.hpp"
#include "bot/tickets/commands.hpp"
#include "bot/tickets/directory.hpp"
#include "config/config.hpp"
#include "store/store.hpp"
#include "store/ticket_store.hpp"
#include "store/timer_store.hpp"
#include "tests/support/async.hpp"
#include "tests/support/fake_clock.hpp"

#include <SQLiteCpp/Statement.h>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

namespace anju::testing {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using runtime::Scheduler;
using runtime::TicketService;
using tickets::Status;

// Shanghai local time → a time point (UTC+8).
Clock::time_point local(int y, unsigned mo, unsigned d, int h, int mi = 0) {
    return Clock::time_point{std::chrono::duration_cast<Clock::duration>(
        std::chrono::hours(24) * tickets::days_from_civil(y, mo, d) + std::chrono::hours(h) +
        std::chrono::minutes(mi) - std::chrono::hours(8))};
}

std::int64_t ms(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// One community: 调休 on Sunday 2026-11-29 (a working day), a holiday on Tuesday 2026-12-01.
constexpr const char* kConfig = R"({
  "channels": {"wecom": [{"id": "staff", "kind": "app", "corp_id": "ww0000000000000001", "agent_id": 1000002,
                          "corp_secret": "secret-for-tests-only", "token": "StaffToken2026",
                          "encoding_aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"}]},
  "tickets": {
    "communities": [{
      "id": "sunny", "name": "阳光花园",
      "staff": [
        {"userid": "zhanggong", "name": "张工", "roles": ["engineering"], "on_duty": true},
        {"userid": "ligong", "name": "李工", "roles": ["engineering"]},
        {"userid": "chenguanjia", "name": "陈管家", "roles": ["butler"]},
        {"userid": "wangbaoan", "name": "王保安", "roles": ["order"], "on_duty": true},
        {"userid": "xukefu", "name": "许客服", "roles": ["cs"]},
        {"userid": "zhaozhuguan", "name": "赵主管", "roles": ["supervisor"]},
        {"userid": "sunpinzhi", "name": "孙品质", "roles": ["quality"]},
        {"userid": "liujingli", "name": "刘经理", "roles": ["pm"]}
      ],
      "groups": [{"department": "all", "chatid": "wrWorkGroup", "wecom": "staff"}],
      "calendar": {"holidays": ["2026-12-01"], "workdays": ["2026-11-29"]}
    }]
  }
})";

struct Outgoing {
    std::string key, channel, target, text;
};

class SlaTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::random_device rd;
        dir_ = std::filesystem::temp_directory_path() / ("anju-sla-test-" + std::to_string(rd()));
        std::filesystem::create_directories(dir_);
        auto opened = store::Store::open({.path = (dir_ / "anju.db").string()});
        ASSERT_TRUE(opened) << opened.error().what();
        store_ = std::move(*opened);
        auto config = config::parse_config(kConfig, "test.json", {});
        ASSERT_TRUE(config) << config.error().items.front().to_string();
        directory_ = std::make_unique<tickets::Directory>(config->tickets);
        clock_.set(local(2026, 11, 27, 9));  // Friday 09:00
        tickets_ = std::make_unique<TicketService>(
            *directory_, clock_, [](std::string_view c) { return std::string(c); }, "staff");
        scheduler_ = std::make_unique<Scheduler>(ioc_.get_executor(), *store_, clock_, metrics_);
        tickets_->set_monthly_hook([this](SQLite::Database&, const std::string& month, Clock::time_point) {
            months_.push_back(month);
        });
        tickets_->register_timers(*scheduler_);
    }

    void TearDown() override {
        scheduler_.reset();
        run_coro(ioc_, store_->close());
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

    // Files a complaint now; returns its code.
    std::string file(std::string category, dialogs::Urgency urgency = dialogs::Urgency::normal,
                     dialogs::Nature nature = dialogs::Nature::facility, std::string room = "501",
                     std::string resident = "wechat_mp/mp/oResident") {
        dialogs::ComplaintDraft draft;
        draft.resident = resident;
        draft.room = {"3", "2", room};
        draft.nature = nature;
        draft.category = std::move(category);
        draft.urgency = urgency;
        draft.description = "测试投诉";
        draft.confirmed = true;
        auto job = [this, draft, resident, now = clock_.now()](SQLite::Database& db) {
            return tickets_->file(db, draft, resident, "wechat_mp", "", now);
        };
        return write(std::move(job)).ticket.code;
    }

    // A staff command, as written in the work group.
    std::string staff(const std::string& userid, const std::string& text) {
        auto job = [this, userid, command = tickets::parse_staff_command(text), now = clock_.now()](
                       SQLite::Database& db) { return tickets_->staff_command(db, command, userid, now); };
        return write(std::move(job));
    }

    // Moves the clock to `target`, firing every timer due on the way at its due time, in order.
    void walk_to(Clock::time_point target) {
        for (;;) {
            auto next = read([](SQLite::Database& db) { return store::next_timer_due(db); });
            if (!next || *next > ms(target)) {
                break;
            }
            if (*next > ms(clock_.now())) {
                clock_.set(Clock::time_point{std::chrono::milliseconds{*next}});
            }
            run_coro(ioc_, scheduler_->fire_due());
        }
        clock_.set(target);
        run_coro(ioc_, scheduler_->fire_due());
    }

    tickets::Ticket ticket(const std::string& code) {
        return read([code](SQLite::Database& db) { return store::ticket_by_code(db, code); }).value();
    }

    std::vector<std::string> kinds(const std::string& code) {
        const auto id = ticket(code).id;
        std::vector<std::string> out;
        for (const auto& e : read([id](SQLite::Database& db) { return store::ticket_events(db, id); })) {
            out.push_back(e.kind);
        }
        return out;
    }

    std::optional<store::Milestone> milestone(const std::string& code, const std::string& name) {
        const auto id = ticket(code).id;
        return read([id, name](SQLite::Database& db) { return store::milestone(db, id, name); });
    }

    // Every message queued so far, oldest first.
    std::vector<Outgoing> outbox() {
        return read([](SQLite::Database& db) {
            SQLite::Statement q(db, "SELECT key, channel, target, payload FROM outbox ORDER BY id");
            std::vector<Outgoing> out;
            while (q.executeStep()) {
                const auto payload = json::parse(q.getColumn(3).getString(), nullptr, false);
                std::string text =
                    payload.is_object() ? payload.value("text", payload.value("markdown", "")) : "";
                out.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(),
                               q.getColumn(2).getString(), text});
            }
            return out;
        });
    }

    // Messages to `target` (an openid, a userid among the recipients, or a chatid) containing `part`.
    std::size_t count_to(const std::string& target, std::string_view part) {
        std::size_t n = 0;
        for (const auto& m : outbox()) {
            const bool to =
                m.target == target || ("|" + m.target + "|").find("|" + target + "|") != std::string::npos;
            if (to && m.text.find(part) != std::string::npos) {
                ++n;
            }
        }
        return n;
    }

    std::size_t timers() {
        return read([](SQLite::Database& db) { return store::timer_count(db); });
    }

    std::filesystem::path dir_;
    asio::io_context ioc_;
    FakeClock clock_;
    metrics::Registry metrics_;
    std::unique_ptr<store::Store> store_;
    std::unique_ptr<tickets::Directory> directory_;
    std::unique_ptr<TicketService> tickets_;
    std::unique_ptr<Scheduler> scheduler_;
    std::vector<std::string> months_;
};

TEST_F(SlaTest, DeadlinesCountWorkingDaysAcrossWeekendsHolidaysAndMakeUpDays) {
    // Friday 09:00, a butler matter (service): claim within 1 working day, a plan within 2. Saturday
    // is off, Sunday 11-29 is a make-up working day (调休): claim by Sunday 09:00, plan by Monday.
    const auto code = file("sanitation", dialogs::Urgency::normal, dialogs::Nature::service);
    EXPECT_EQ(milestone(code, "claim")->due_at_ms, ms(local(2026, 11, 29, 9)));
    EXPECT_EQ(milestone(code, "plan")->due_at_ms, ms(local(2026, 11, 30, 9)));
    // Monday 09:00 + 2 working days: Tuesday 12-01 is a holiday → Thursday 12-03.
    clock_.set(local(2026, 11, 30, 9));
    const auto later = file("sanitation", dialogs::Urgency::normal, dialogs::Nature::service, "502");
    EXPECT_EQ(milestone(later, "plan")->due_at_ms, ms(local(2026, 12, 3, 9)));
    // Filed on Saturday: the count starts on the next working day (Sunday, 调休) at 09:00.
    clock_.set(local(2026, 11, 28, 15));
    const auto weekend = file("sanitation", dialogs::Urgency::normal, dialogs::Nature::service, "503");
    EXPECT_EQ(milestone(weekend, "claim")->due_at_ms, ms(local(2026, 11, 30, 9)));
    // Engineering plans are due in 24 hours, calendar or not.
    clock_.set(local(2026, 11, 28, 15));
    const auto leak = file("water_leak", dialogs::Urgency::normal, dialogs::Nature::facility, "504");
    EXPECT_EQ(milestone(leak, "plan")->due_at_ms, ms(local(2026, 11, 29, 15)));
}

TEST_F(SlaTest, MilestonesMetInTimeLeaveNoWarningOrEscalation) {
    const auto code = file("lighting");
    clock_.advance(30min);
    EXPECT_NE(staff("zhanggong", "接单 " + code).find("接单成功"), std::string::npos);
    clock_.advance(2h);
    staff("zhanggong", "方案 " + code + " 今天下午更换灯具");
    walk_to(local(2026, 12, 10, 9));
    EXPECT_TRUE(milestone(code, "claim")->met_at_ms);
    EXPECT_FALSE(milestone(code, "claim")->missed_at_ms);
    EXPECT_TRUE(milestone(code, "plan")->met_at_ms);
    const auto k = kinds(code);
    EXPECT_EQ(std::count(k.begin(), k.end(), "sla_warning"), 0);
    EXPECT_EQ(std::count(k.begin(), k.end(), "sla_missed"), 0);
    EXPECT_EQ(std::count(k.begin(), k.end(), "escalate"), 0);
    EXPECT_EQ(ticket(code).escalation, 0);
}

TEST_F(SlaTest, AnUnclaimedTicketWalksTheWholeEscalationLadder) {
    // Engineering, normal: claim by 1 working day (Sunday 09:00 thanks to 调休), plan by 24 h.
    const auto code = file("lighting");
    const auto t0 = clock_.now();
    // The plan deadline (Saturday 09:00) passes first; its warning at 80 % (Saturday 04:12) goes to
    // the group because nobody has claimed it.
    walk_to(t0 + 19h + 13min);
    EXPECT_EQ(count_to("wrWorkGroup", "【预警】"), 1U);
    EXPECT_FALSE(milestone(code, "plan")->missed_at_ms);
    walk_to(local(2026, 11, 28, 9, 1));
    EXPECT_EQ(milestone(code, "plan")->missed_at_ms, ms(local(2026, 11, 28, 9)));
    EXPECT_EQ(count_to("wrWorkGroup", "【超时】"), 1U);
    EXPECT_EQ(count_to("wrWorkGroup", "【整改单】"), 1U);  // overdue → a rectification order for quality
    EXPECT_EQ(count_to("sunpinzhi", "【整改单】"), 1U);
    EXPECT_EQ(ticket(code).escalation, 0);
    // Supervisor 2 hours after the breach, in the group (@) and one-to-one.
    walk_to(local(2026, 11, 28, 11, 1));
    EXPECT_EQ(ticket(code).escalation, 1);
    EXPECT_EQ(count_to("zhaozhuguan", "【工单升级】"), 1U);
    EXPECT_EQ(count_to("wrWorkGroup", "【超时升级·主管】"), 1U);
    // Project manager one working day after the breach: Saturday 09:00 → next working day (Sunday,
    // 调休) counted from 09:00 → Monday 09:00.
    walk_to(local(2026, 11, 30, 8, 59));
    EXPECT_EQ(ticket(code).escalation, 1);
    walk_to(local(2026, 11, 30, 9, 1));
    EXPECT_EQ(ticket(code).escalation, 2);
    EXPECT_EQ(count_to("liujingli", "【工单升级】"), 1U);
    EXPECT_EQ(count_to("wrWorkGroup", "【超时升级·项目经理】"), 1U);
    // The claim deadline (Sunday 09:00) was missed too; its ladder does not escalate past the PM.
    EXPECT_TRUE(milestone(code, "claim")->missed_at_ms);
    const auto k = kinds(code);
    EXPECT_EQ(std::count(k.begin(), k.end(), "sla_missed"), 2);
    EXPECT_EQ(std::count(k.begin(), k.end(), "escalate"), 2);
    EXPECT_GE(std::count(k.begin(), k.end(), "sla_warning"), 1);
    EXPECT_EQ(std::count(k.begin(), k.end(), "rectification_opened"), 2);
    // A late claim meets the claim milestone (late) and stops that milestone's clocks.
    staff("zhanggong", "接单 " + code);
    EXPECT_TRUE(milestone(code, "claim")->met_at_ms);
    EXPECT_TRUE(milestone(code, "claim")->missed_at_ms);
}

TEST_F(SlaTest, AnUnclaimedEmergencyPagesTheSupervisorAtOnce) {
    const auto code = file("elevator", dialogs::Urgency::emergency);
    EXPECT_EQ(milestone(code, "claim")->due_at_ms, ms(clock_.now() + 5min));
    EXPECT_EQ(milestone(code, "on_site")->due_at_ms, ms(clock_.now() + 15min));
    walk_to(clock_.now() + 5min + 1s);
    EXPECT_EQ(ticket(code).escalation, 1);  // no 5-minute wait: the supervisor is paged now
    EXPECT_EQ(count_to("zhaozhuguan", "【工单升级】"), 1U);
    EXPECT_EQ(count_to("zhanggong", "【超时】"), 0U);  // nobody has it yet: the group is told, @ on duty
    EXPECT_EQ(count_to("wrWorkGroup", "【超时】"), 1U);
    // The PM 15 minutes after the breach.
    walk_to(clock_.now() + 15min);
    EXPECT_EQ(ticket(code).escalation, 2);
    EXPECT_EQ(count_to("liujingli", "【工单升级】"), 1U);
}

TEST_F(SlaTest, AClaimedEmergencyWarnsTheHandlerBeforeTheOnSiteDeadline) {
    const auto code = file("elevator", dialogs::Urgency::emergency);
    clock_.advance(2min);
    staff("zhanggong", "接单 " + code);
    walk_to(clock_.now() + 10min + 1s);  // 80 % of 15 minutes = 12 minutes after filing
    EXPECT_EQ(count_to("zhanggong", "【预警】"), 1U);
    clock_.advance(1min);
    staff("zhanggong", "到场 " + code);
    walk_to(clock_.now() + 2h);
    EXPECT_TRUE(milestone(code, "on_site")->met_at_ms);
    EXPECT_FALSE(milestone(code, "on_site")->missed_at_ms);
    EXPECT_EQ(ticket(code).escalation, 0);
}

TEST_F(SlaTest, RectificationOrdersAreAnsweredOrGoOverdue) {
    const auto answered = file("lighting");
    const auto ignored = file("water_leak", dialogs::Urgency::normal, dialogs::Nature::facility, "502");
    clock_.advance(1h);
    staff("zhanggong", "接单 " + answered);
    staff("zhanggong", "接单 " + ignored);
    walk_to(local(2026, 11, 28, 9, 1));  // both plans are late (24 h): one order each
    EXPECT_EQ(count_to("sunpinzhi", "【整改单】"), 2U);
    EXPECT_NE(staff("zhanggong", "整改 " + answered).find("请写上整改措施"), std::string::npos);
    EXPECT_NE(staff("chenguanjia", "整改 " + answered + " 加派人手").find("只有"), std::string::npos);
    EXPECT_NE(staff("zhanggong", "整改 " + answered + " 已安排夜班值守，超时工单由主管督办").find("已记录"),
              std::string::npos);
    EXPECT_NE(staff("zhanggong", "整改 " + answered + " 再来一次").find("没有待回复的整改单"),
              std::string::npos);
    EXPECT_EQ(count_to("sunpinzhi", "已安排夜班值守"), 1U);
    // Three working days from Saturday: the count starts on Sunday at 09:00 (调休), then Monday,
    // (Tuesday is a holiday), Wednesday, Thursday → Thursday 09:00.
    walk_to(local(2026, 12, 3, 8, 59));
    EXPECT_EQ(count_to("liujingli", "【整改超期】"), 0U);
    walk_to(local(2026, 12, 3, 9, 1));
    const auto k = kinds(ignored);
    EXPECT_NE(std::find(k.begin(), k.end(), "rectification_overdue"), k.end());
    EXPECT_EQ(count_to("liujingli", "【整改超期】"), 1U);
    const auto a = kinds(answered);
    EXPECT_NE(std::find(a.begin(), a.end(), "rectification_answered"), a.end());
    EXPECT_EQ(std::find(a.begin(), a.end(), "rectification_overdue"), a.end());
}

TEST_F(SlaTest, TheDailyPushTellsEachResidentTheDaysProgressOrHonestlyNothing) {
    auto ensure = [this](SQLite::Database& db) { tickets_->ensure_recurring(db, clock_.now()); };
    write(ensure);
    const auto busy =
        file("lighting", dialogs::Urgency::normal, dialogs::Nature::facility, "501", "wechat_mp/mp/oA");
    const auto quiet =
        file("water_leak", dialogs::Urgency::normal, dialogs::Nature::facility, "502", "wechat_mp/mp/oB");
    const auto muted =
        file("sanitation", dialogs::Urgency::normal, dialogs::Nature::service, "503", "wechat_mp/mp/oC");
    staff("zhanggong", "接单 " + busy);
    staff("ligong", "接单 " + quiet);
    walk_to(local(2026, 11, 27, 18, 1));  // Friday's push: filed today, nothing is owed yet
    EXPECT_EQ(count_to("oA", "【每日进展】"), 1U);
    // Saturday: progress on one ticket only; resident C turns the push off.
    clock_.set(local(2026, 11, 28, 14));
    staff("zhanggong", "进展 " + busy + " 已订购灯具，明天更换");
    auto off = [this](SQLite::Database& db) {
        return tickets_->set_daily_push(db, "wechat_mp/mp/oC", false, clock_.now());
    };
    EXPECT_NE(write(off).find("已关闭每日进展推送"), std::string::npos);
    walk_to(local(2026, 11, 28, 18, 1));
    EXPECT_EQ(count_to("oA", "已订购灯具，明天更换"), 2U);  // the progress notice and the day's push
    EXPECT_EQ(count_to("oA", "【每日进展】"), 2U);
    EXPECT_EQ(count_to("oB", "今日暂无新进展"), 1U);
    EXPECT_EQ(count_to("oC", "【每日进展】"), 1U);  // Friday's only
    // The quiet ticket's handler is reminded; the unclaimed one goes to the group; the misses count.
    EXPECT_EQ(count_to("ligong", "【今日未更新】"), 1U);
    EXPECT_EQ(count_to("wrWorkGroup", "【今日未更新】"), 1U);
    EXPECT_TRUE(milestone(busy, "progress:2026-11-28")->met_at_ms);
    EXPECT_TRUE(milestone(quiet, "progress:2026-11-28")->missed_at_ms);
    EXPECT_TRUE(milestone(muted, "progress:2026-11-28")->missed_at_ms);
    EXPECT_FALSE(milestone(busy, "progress:2026-11-27"));  // filed that day: nothing owed
    // The next push is tomorrow at 18:00.
    const auto next = read([](SQLite::Database& db) { return store::timer_by_key(db, "daily_push"); });
    ASSERT_TRUE(next);
    EXPECT_EQ(next->due_at_ms, ms(local(2026, 11, 29, 18)));
}

TEST_F(SlaTest, AResolvedTicketClosesItselfAfterThreeDaysWithoutAnAnswer) {
    const auto code = file("lighting");
    staff("zhanggong", "接单 " + code);
    staff("zhanggong", "完成 " + code + " 已更换灯具");
    EXPECT_EQ(ticket(code).status, Status::resolved);
    walk_to(clock_.now() + 71h);
    EXPECT_EQ(ticket(code).status, Status::resolved);
    walk_to(clock_.now() + 2h);
    const auto t = ticket(code);
    EXPECT_EQ(t.status, Status::closed);
    EXPECT_TRUE(t.auto_closed);
    EXPECT_EQ(count_to("oResident", "已自动办结"), 1U);
    EXPECT_EQ(timers(), 0U) << "nothing is left to chase";
}

TEST_F(SlaTest, AReopenedTicketStopsItsAutoCloseAndOpensARectificationOrder) {
    const auto code = file("lighting");
    staff("zhanggong", "接单 " + code);
    staff("zhanggong", "完成 " + code + " 已更换灯具");
    clock_.advance(1h);
    tickets::Action reopen;
    reopen.kind = tickets::Action::Kind::reopen;
    reopen.text = "还是不亮";
    tickets::Actor resident;
    resident.kind = tickets::Actor::Kind::resident;
    resident.id = "wechat_mp/mp/oResident";
    auto job = [this, code, reopen, resident](SQLite::Database& db) {
        return tickets_->act(db, code, reopen, resident, clock_.now()).has_value();
    };
    ASSERT_TRUE(write(job));
    walk_to(clock_.now() + 5 * 24h);
    EXPECT_EQ(ticket(code).status, Status::in_progress);
    EXPECT_EQ(count_to("sunpinzhi", "【整改单】"), 1U);
    EXPECT_NE(count_to("sunpinzhi", "业主反馈未解决：还是不亮"), 0U);
    EXPECT_EQ(count_to("zhanggong", "【业主反馈未解决】"), 1U);
    const auto k = kinds(code);
    EXPECT_EQ(std::count(k.begin(), k.end(), "close"), 0);
}

TEST_F(SlaTest, LastMonthsReportIsDueOnTheFirst) {
    clock_.set(local(2026, 11, 30, 12));
    auto ensure = [this](SQLite::Database& db) { tickets_->ensure_recurring(db, clock_.now()); };
    write(ensure);
    walk_to(local(2026, 12, 1, 7, 59));
    EXPECT_TRUE(months_.empty());
    walk_to(local(2026, 12, 1, 8, 1));
    EXPECT_EQ(months_, std::vector<std::string>{"2026-11"});
    const auto next = read([](SQLite::Database& db) { return store::timer_by_key(db, "monthly_report"); });
    ASSERT_TRUE(next);
    EXPECT_EQ(next->due_at_ms, ms(local(2027, 1, 1, 8)));
    const auto marked = read([](SQLite::Database& db) {
        SQLite::Statement q(db, "SELECT count(*) FROM meta WHERE key = 'monthly_report:2026-11'");
        q.executeStep();
        return q.getColumn(0).getInt();
    });
    EXPECT_EQ(marked, 1);
    // Starting up again the same month keeps the pending timer.
    write(ensure);
    EXPECT_EQ(read([](SQLite::Database& db) { return store::timer_by_key(db, "monthly_report"); })->due_at_ms,
              ms(local(2027, 1, 1, 8)));
}

TEST_F(SlaTest, TheSchedulerLoopWakesOnTheClockAndOnAKick) {
    // Handlers run on the store thread; the test reads what they did from its own.
    std::mutex mutex;
    std::vector<std::string> fired_keys;
    scheduler_->handle("probe", [&](SQLite::Database&, const store::Timer& t, Clock::time_point) {
        std::lock_guard lock(mutex);
        fired_keys.push_back(t.key);
    });
    const auto fired = [&] {
        std::lock_guard lock(mutex);
        return fired_keys;
    };
    auto set = [this](std::string key, Clock::duration in) {
        auto job = [key, due = ms(clock_.now() + in)](SQLite::Database& db) {
            store::set_timer(db, key, "probe", 0, due);
        };
        write(std::move(job));
    };
    set("late", 1h);
    asio::cancellation_signal stop;
    bool stopped = false;
    asio::co_spawn(
        ioc_, scheduler_->run(),
        asio::bind_cancellation_slot(stop.slot(), [&stopped](std::exception_ptr) { stopped = true; }));
    ASSERT_TRUE(poll_until(ioc_, [this] { return clock_.sleepers() > 0; }));
    // An earlier timer set afterwards: the kick makes the loop look again.
    set("early", 10min);
    scheduler_->kick();
    ASSERT_TRUE(poll_until(ioc_, [this] { return clock_.sleepers() > 0; }));
    clock_.advance(10min);
    ASSERT_TRUE(poll_until(ioc_, [&fired] { return fired().size() == 1; }));
    clock_.advance(50min);
    ASSERT_TRUE(poll_until(ioc_, [&fired] { return fired().size() == 2; }));
    EXPECT_EQ(fired(), (std::vector<std::string>{"early", "late"}));
    // A handler that throws is retried later, not lost.
    std::atomic<int> attempts{0};
    scheduler_->handle("flaky", [&attempts](SQLite::Database&, const store::Timer&, Clock::time_point) {
        if (++attempts < 2) {
            throw std::runtime_error("not yet");
        }
    });
    auto flaky = [due = ms(clock_.now())](SQLite::Database& db) {
        store::set_timer(db, "flaky", "flaky", 0, due);
    };
    write(flaky);
    scheduler_->kick();
    ASSERT_TRUE(poll_until(ioc_, [&attempts] { return attempts == 1; }));
    clock_.advance(1min);
    ASSERT_TRUE(poll_until(ioc_, [&attempts] { return attempts == 2; }));
    ASSERT_TRUE(poll_until(ioc_, [this] { return timers() == 0; }));
    stop.emit(asio::cancellation_type::terminal);
    ASSERT_TRUE(poll_until(ioc_, [&stopped] { return stopped; }));
}

}  // namespace
}  // namespace anju::testing
