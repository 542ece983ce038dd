// What ticket handling costs on the store thread: the real TicketService over a real SQLite file
// (WAL, opened and migrated by store::Store::open with the service's pragmas), each change in its
// own IMMEDIATE transaction as the store's write jobs are, timed from BEGIN to COMMIT.
//   phase 1  files N confirmed complaints (TicketService::file): rooms, categories, urgencies and
//            residents vary, the clock moves 6–12 s per report; from report 5,000 on, every
//            10,000th starts a burst of 25 households without water that makes a group complaint;
//   phase 2  takes every new ticket outside a group complaint through 接单 / 进展 / 完成 (staff of
//            its department, TicketService::staff_command) and the resident's 已解决 and 满意
//            (pending_asks, then resident_answer in a transaction; timed together), then reads the
//            store back: each must be closed, rated satisfied, with its events in order, or the
//            bench prints FAIL and exits 1;
//   phase 3  times store::find_tickets (by room, with and without the community; status=open and
//            status=closed, limit 100) and store::ticket_events.
//   anju_tickets_bench [--tickets 20000] [--db PATH] [--synchronous full|normal] [--reads 500]
//                      [--log warn]
// Without --db the database lives in a temporary folder that is deleted afterwards; --db must name
// a file that does not exist yet, and keeps it. The service logs each filing at info; the bench
// runs at warn unless --log says otherwise.
#include "bot/core/clock.hpp"
#include "bot/core/log.hpp"
#include "bot/runtime/ticket_service.hpp"
#include "bot/tickets/commands.hpp"
#include "bot/tickets/directory.hpp"
#include "bot/tickets/survey.hpp"
#include "bot/tickets/ticket.hpp"
#include "config/config.hpp"
#include "dialogs/types.hpp"
#include "store/store.hpp"
#include "store/ticket_store.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Transaction.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <sys/vfs.h>
#include <thread>
#include <vector>

namespace anju::bench {
namespace {

namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;
using dialogs::Nature;
using dialogs::Urgency;

struct Options {
    std::size_t tickets = 20'000;
    std::string db;  // empty: a temporary file, deleted afterwards
    bool synchronous_full = true;
    std::size_t reads = 500;  // iterations of each phase 3 query
    log::Level log_level = log::Level::warn;
};

// One community of 30 buildings with the roles of config/anju.json's demo community, several
// people per busy department, butlers and supervisors by building, and a group robot per department
// so every card lands in the outbox as it would in production.
constexpr std::string_view kConfig = R"({
  "tickets": {
    "communities": [{
      "id": "bench",
      "name": "安居压测小区",
      "buildings": ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15",
                    "16", "17", "18", "19", "20", "21", "22", "23", "24", "25", "26", "27", "28", "29", "30"],
      "staff": [
        {"userid": "eng-zhang", "name": "张工", "roles": ["engineering"], "phone": "13800000001", "on_duty": true},
        {"userid": "eng-li", "name": "李工", "roles": ["engineering"], "phone": "13800000002"},
        {"userid": "eng-wang", "name": "王工", "roles": ["engineering"]},
        {"userid": "sec-zhao", "name": "赵队长", "roles": ["order"], "on_duty": true},
        {"userid": "sec-qian", "name": "钱保安", "roles": ["order"]},
        {"userid": "butler-chen", "name": "陈管家", "roles": ["butler"],
         "buildings": ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15"]},
        {"userid": "butler-sun", "name": "孙管家", "roles": ["butler"],
         "buildings": ["16", "17", "18", "19", "20", "21", "22", "23", "24", "25", "26", "27", "28", "29", "30"]},
        {"userid": "cs-xu", "name": "许客服", "roles": ["cs"]},
        {"userid": "sup-zhou", "name": "周主管", "roles": ["supervisor"]},
        {"userid": "pm-liu", "name": "刘经理", "roles": ["pm"]}
      ],
      "groups": [
        {"department": "engineering", "robot_key": "bench-robot-engineering"},
        {"department": "order", "robot_key": "bench-robot-order"},
        {"department": "butler", "robot_key": "bench-robot-butler"},
        {"department": "cs", "robot_key": "bench-robot-cs"},
        {"department": "pm", "robot_key": "bench-robot-pm"}
      ],
      "assets": {"elevators": [
        {"building": "1", "unit": "1", "number": "1", "brand": "奥的斯", "model": "GeN2", "last_maintenance": "2026-10-15"},
        {"building": "1", "unit": "1", "number": "2", "brand": "奥的斯", "model": "GeN2", "last_maintenance": "2026-10-15"},
        {"building": "2", "unit": "1", "number": "1", "brand": "三菱", "model": "LEHY-III", "last_maintenance": "2026-10-20"},
        {"building": "3", "unit": "2", "number": "2", "brand": "日立", "model": "HGP", "last_maintenance": "2026-09-30"}
      ]},
      "calendar": {"holidays": ["2027-01-01"], "workdays": []}
    }]
  }
})";

// The categories of config/dialogs/understanding.json with their nature, a typical report and,
// for those that can be, an emergency report and how often it is one.
struct CategorySpec {
    std::string_view name;
    Nature nature;
    std::string_view label;
    std::string_view text;
    std::string_view emergency_text;  // empty: never an emergency
    int emergency_percent;
};

constexpr std::array<CategorySpec, 20> kCategories = {{
    {"elevator", Nature::facility, "电梯", "电梯停在半路不动了", "电梯困人了，里面有个老人", 15},
    {"water_leak", Nature::facility, "漏水", "卫生间天花板漏水", "楼上水管爆了，水一直往下流", 10},
    {"water_supply", Nature::facility, "供水", "家里水压太小，没法洗澡", "", 0},
    {"drainage", Nature::facility, "排水", "厨房下水道堵了", "", 0},
    {"power", Nature::facility, "供电", "家里跳闸了一直合不上", "楼道配电箱漏电，冒火花", 10},
    {"lighting", Nature::facility, "照明", "楼道灯坏了好几天", "", 0},
    {"access_control", Nature::facility, "门禁", "单元门禁刷卡没反应", "", 0},
    {"gas", Nature::facility, "燃气", "燃气表读数不对", "楼道里有很重的煤气味", 60},
    {"public_facility", Nature::facility, "公共设施", "小区健身器材坏了", "", 0},
    {"noise", Nature::order, "噪音", "楼上装修太吵了", "", 0},
    {"parking", Nature::order, "停车", "我的车位被别人占了", "", 0},
    {"clutter", Nature::order, "杂物", "楼道里堆满了杂物", "", 0},
    {"stranger", Nature::order, "可疑人员", "有陌生人在楼道里转悠", "", 0},
    {"pets", Nature::order, "宠物", "邻居的狗半夜一直叫", "", 0},
    {"high_throw", Nature::order, "高空抛物", "楼上往下扔垃圾", "", 0},
    {"fire", Nature::order, "火情", "", "楼下冒烟了，好像着火了", 100},
    {"sanitation", Nature::service, "环境卫生", "垃圾桶好几天没人清理了", "", 0},
    {"greening", Nature::service, "绿化", "草坪很久没修剪了", "", 0},
    {"butler_service", Nature::service, "服务", "管家电话一直打不通", "", 0},
    {"fee_dispute", Nature::fee, "费用", "这个月物业费多收了", "", 0},
}};
constexpr std::size_t kBuildings = 30;
constexpr std::size_t kBuckets = kBuildings * kCategories.size();  // building × category
// A stride coprime to kBuckets: report i goes to bucket (i × stride) mod kBuckets, so every
// building-and-category pair gets one report in each run of 600, about 16 a day at 9 s a report,
// under group_threshold (20 households a day); group complaints come only from the bursts.
constexpr std::size_t kStride = 217;
constexpr std::size_t kBurstEvery = 10'000;
constexpr std::size_t kBurstSize = 25;

const CategorySpec& category(std::string_view name) {
    for (const auto& c : kCategories) {
        if (c.name == name) {
            return c;
        }
    }
    return kCategories.front();
}

// Reports in filing order: who, where, what, and how far the clock moves before it.
class Reports {
public:
    Reports() : rng_(20261102) {}

    dialogs::ComplaintDraft next(std::size_t i, Clock::duration& step) {
        dialogs::ComplaintDraft d;
        d.resident = "wechat_mp/bench/oBench" + std::to_string(100'000'000 + i);
        d.confirmed = true;
        const std::size_t in_burst = i % kBurstEvery;
        if (in_burst >= kBurstEvery / 2 && in_burst < kBurstEvery / 2 + kBurstSize) {
            // A building without water: one household after another within a quarter of an hour.
            const std::size_t k = in_burst - kBurstEvery / 2;
            const auto& c = category("water_supply");
            d.room = {std::to_string((i / kBurstEvery * 11) % kBuildings + 1), std::to_string(k % 4 + 1),
                      std::to_string((k / 4 + 3) * 100 + 1)};
            d.nature = c.nature;
            d.category = std::string(c.name);
            d.description = "整栋楼都停水了，也没有通知";
            d.expectation = "尽快恢复供水";
            d.evidence = {"停水"};
            step = std::chrono::seconds(pick(20, 40));
            return d;
        }
        const std::size_t bucket = (i * kStride) % kBuckets;
        const auto& c = kCategories[bucket / kBuildings];
        d.room = {std::to_string(bucket % kBuildings + 1), std::to_string(pick(1, 4)),
                  std::to_string(pick(1, 25) * 100 + pick(1, 8))};
        d.nature = c.nature;
        d.category = std::string(c.name);
        d.evidence = {std::string(c.label)};
        const bool emergency = pick(1, 100) <= c.emergency_percent;
        if (emergency) {
            d.urgency = Urgency::emergency;
            d.description = std::string(c.emergency_text);
            d.expectation = "马上派人来";
            d.evidence.push_back(c.name == "elevator" ? "困人" : "紧急");
        } else if (pick(1, 100) <= 4) {
            d.urgency = Urgency::difficult;
            d.description = std::string(c.text) + "，反映了3个月了还没解决";
            d.expectation = "给个明确的解决时间";
            d.evidence.push_back("3个月");
        } else {
            d.description = std::string(c.text);
            d.expectation = "尽快处理";
        }
        if (c.name == "elevator") {
            d.slots.set("building", d.room.building);
            d.slots.set("unit", d.room.unit);
            d.slots.set("elevator", std::to_string(pick(1, 2)));
            d.slots.set("trapped", emergency ? "true" : "false");
        }
        if (pick(1, 3) == 1) {
            d.slots.set("phone", "139" + std::to_string(10'000'000 + i % 90'000'000));
        }
        step = std::chrono::seconds(pick(6, 12));
        return d;
    }

private:
    int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

    std::mt19937_64 rng_;
};

double percentile(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) {
        return 0;
    }
    const auto index = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1) + 0.5);
    return sorted[std::min(index, sorted.size() - 1)];
}

// Per-operation latencies (µs) and the wall time of the whole loop.
struct Timings {
    std::vector<double> us;
    double seconds = 0;

    double rate() const { return seconds > 0 ? static_cast<double>(us.size()) / seconds : 0; }
    std::vector<double> sorted() const {
        auto s = us;
        std::sort(s.begin(), s.end());
        return s;
    }
};

template <class F>
auto timed(Timings& timings, F&& f) {
    const auto start = Steady::now();
    auto result = f();
    timings.us.push_back(std::chrono::duration<double, std::micro>(Steady::now() - start).count());
    return result;
}

// fn(db) inside BEGIN IMMEDIATE … COMMIT, like one of the store's write jobs.
template <class F>
auto in_transaction(SQLite::Database& db, F&& fn) {
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
    auto result = fn();
    tx.commit();
    return result;
}

struct Handled {
    std::int64_t id = 0;
    std::string code;
    std::string resident;
    std::string staff;
};

struct Context {
    Context(const Options& o, const tickets::Directory& d, runtime::TicketService& s, Clock::time_point start)
        : options(o), directory(d), service(s), now(start) {}

    const Options& options;
    const tickets::Directory& directory;
    runtime::TicketService& service;
    Clock::time_point now;
    // Phase 1
    Timings filing;
    std::size_t created = 0;
    std::size_t duplicates = 0;
    std::size_t grouped = 0;
    std::set<std::string> group_codes;
    std::vector<std::int64_t> created_ids;  // new and outside a group when filed
    std::vector<dialogs::Room> rooms;
    // Phase 2
    std::vector<Handled> handled;
    std::size_t later_grouped = 0;
    std::map<std::string, Timings> commands;  // by verb word
    Timings staff;
    Timings resident;
    std::size_t refused = 0;
    std::string first_refusal;
    bool verified = false;
};

void file_all(SQLite::Database& db, Context& c) {
    Reports reports;
    const auto start = Steady::now();
    for (std::size_t i = 0; i < c.options.tickets; ++i) {
        Clock::duration step{};
        const auto draft = reports.next(i, step);
        c.now += step;
        const auto source = "bench:" + std::to_string(i);
        const auto filed = timed(c.filing, [&] {
            return in_transaction(
                db, [&] { return c.service.file(db, draft, draft.resident, "wechat_mp", source, c.now); });
        });
        if (filed.duplicate) {
            ++c.duplicates;
        } else if (!filed.group_code.empty()) {
            ++c.grouped;
        } else {
            ++c.created;
            c.created_ids.push_back(filed.ticket.id);
        }
        if (!filed.group_code.empty()) {
            c.group_codes.insert(filed.group_code);
        }
        c.rooms.push_back(draft.room);
    }
    c.filing.seconds = std::chrono::duration<double>(Steady::now() - start).count();
}

// Who works a ticket: the staff of its department who cover its building, in turn.
std::string handler_for(const Context& c, const tickets::Ticket& t, std::size_t n) {
    auto staff = c.directory.staff_with_role(t.community, t.department, t.room.building);
    if (staff.empty()) {
        staff = c.directory.staff_with_role(t.community, "supervisor", t.room.building);
    }
    return staff.empty() ? std::string() : staff[n % staff.size()]->userid;
}

void handle_all(SQLite::Database& db, Context& c) {
    // Tickets pulled into a group complaint after they were filed are the group's business (staff
    // act on the parent), so only stand-alone tickets go through the staff path.
    for (const auto id : c.created_ids) {
        const auto t = store::ticket_by_id(db, id);
        if (!t || t->parent_id != 0) {
            ++c.later_grouped;
            continue;
        }
        c.handled.push_back({id, t->code, t->resident, handler_for(c, *t, c.handled.size())});
    }
    c.now += std::chrono::hours(1);
    const auto staff_pass = [&](std::string_view verb, std::string_view arg, std::string_view expect) {
        auto& timings = c.commands[std::string(verb)];
        const auto start = Steady::now();
        for (const auto& h : c.handled) {
            c.now += std::chrono::seconds(3);
            const auto command =
                tickets::parse_staff_command(std::string(verb) + " " + h.code + std::string(arg));
            const auto reply = timed(timings, [&] {
                return in_transaction(db,
                                      [&] { return c.service.staff_command(db, command, h.staff, c.now); });
            });
            if (!reply.starts_with(expect)) {
                if (c.refused++ == 0) {
                    c.first_refusal = std::string(verb) + " " + h.code + " by " + h.staff + ": " + reply;
                }
            }
        }
        timings.seconds = std::chrono::duration<double>(Steady::now() - start).count();
        c.staff.us.insert(c.staff.us.end(), timings.us.begin(), timings.us.end());
        c.staff.seconds += timings.seconds;
    };
    // What a resident's answer costs: finding what they are being asked (a read, as the dialog
    // responder does first) and answering it in one transaction.
    const auto resident_pass = [&](std::string_view name, runtime::ResidentAnswer answer,
                                   runtime::PendingAsk::Kind kind, std::string_view expect) {
        auto& timings = c.commands[std::string(name)];
        const auto start = Steady::now();
        for (const auto& h : c.handled) {
            c.now += std::chrono::seconds(3);
            const auto reply = timed(timings, [&] {
                const auto asks = c.service.pending_asks(db, h.resident);
                const auto it = std::find_if(asks.begin(), asks.end(), [&](const runtime::PendingAsk& a) {
                    return a.kind == kind && a.ticket.id == h.id;
                });
                if (it == asks.end()) {
                    return std::string("(not asked)");
                }
                return in_transaction(
                    db, [&] { return c.service.resident_answer(db, h.resident, h.id, answer, c.now); });
            });
            if (!reply.starts_with(expect)) {
                if (c.refused++ == 0) {
                    c.first_refusal = std::string(name) + " " + h.code + ": " + reply;
                }
            }
        }
        timings.seconds = std::chrono::duration<double>(Steady::now() - start).count();
        c.resident.us.insert(c.resident.us.end(), timings.us.begin(), timings.us.end());
        c.resident.seconds += timings.seconds;
    };
    // Pass by pass, as a backlog is worked: every claim, then every progress note, and so on.
    staff_pass("接单", "", "接单成功");
    staff_pass("进展", " 已联系厂家", "进展已记录");
    staff_pass("完成", " 已修好", "已标记完成");
    runtime::ResidentAnswer solved;
    solved.kind = runtime::ResidentAnswer::Kind::solved;
    solved.text = "修好了";
    resident_pass("已解决", solved, runtime::PendingAsk::Kind::confirm, "好的，感谢确认");
    const auto rating = tickets::read_rating("满意");
    runtime::ResidentAnswer rated;
    rated.kind = runtime::ResidentAnswer::Kind::rating;
    rated.text = "满意";
    rated.satisfaction = rating ? rating->satisfaction : tickets::Satisfaction::none;
    rated.score = rating ? rating->score : 0;
    resident_pass("满意", rated, runtime::PendingAsk::Kind::rate, "感谢您的评价");
}

// Reads every handled ticket back: closed, rated satisfied, handled by the expected member of
// staff, and its last five events are the five steps in order.
bool verify(SQLite::Database& db, const Context& c) {
    static constexpr std::array<std::string_view, 5> kSteps = {"claim", "progress", "resolve", "confirm",
                                                               "rate"};
    std::size_t bad = 0;
    for (const auto& h : c.handled) {
        const auto t = store::ticket_by_id(db, h.id);
        std::string why;
        if (!t) {
            why = "missing";
        } else if (t->status != tickets::Status::closed) {
            why = "status " + std::string(tickets::to_string(t->status));
        } else if (t->satisfaction != tickets::Satisfaction::satisfied) {
            why = "satisfaction " + std::string(tickets::to_string(t->satisfaction));
        } else if (t->assignee != h.staff) {
            why = "assignee " + t->assignee + ", expected " + h.staff;
        } else {
            const auto events = store::ticket_events(db, h.id);
            if (events.size() < kSteps.size() + 1) {
                why = std::to_string(events.size()) + " events";
            } else {
                for (std::size_t k = 0; k < kSteps.size(); ++k) {
                    const auto& e = events[events.size() - kSteps.size() + k];
                    if (e.kind != kSteps[k]) {
                        why = "event " + std::to_string(k + 1) + " of 5 is " + e.kind + ", expected " +
                              std::string(kSteps[k]);
                        break;
                    }
                }
            }
        }
        if (!why.empty() && bad++ < 5) {
            std::printf("FAIL: ticket %s (id %lld): %s\n", h.code.c_str(), static_cast<long long>(h.id),
                        why.c_str());
        }
    }
    if (bad > 0) {
        std::printf("FAIL: %zu of %zu handled tickets are not closed and rated as expected\n", bad,
                    c.handled.size());
    }
    return bad == 0 && c.refused == 0 && !c.handled.empty();
}

void print_timings(const char* what, const Timings& t, const char* unit) {
    const auto s = t.sorted();
    std::printf("%s: %zu %s in %.2f s = %.0f %s/s, p50 %.0f us, p99 %.0f us, max %.0f us\n", what, s.size(),
                unit, t.seconds, t.rate(), unit, percentile(s, 50), percentile(s, 99),
                s.empty() ? 0.0 : s.back());
}

// Phase 3: the store's ticket queries, each `reads` times.
void read_all(SQLite::Database& db, const Context& c) {
    const auto report = [](const char* what, const Timings& t, std::size_t rows) {
        const auto s = t.sorted();
        double sum = 0;
        for (const auto v : s) {
            sum += v;
        }
        const auto n = static_cast<double>(std::max<std::size_t>(s.size(), 1));
        std::printf("reads: %-36s %.1f us/query (p50 %.0f, p99 %.0f), %.1f rows/query\n", what, sum / n,
                    percentile(s, 50), percentile(s, 99), static_cast<double>(rows) / n);
    };
    const std::size_t n = c.options.reads;
    {
        Timings t;
        std::size_t rows = 0;
        for (std::size_t i = 0; i < n && !c.rooms.empty(); ++i) {
            store::TicketFilter f;
            f.room = c.rooms[(i * 7919) % c.rooms.size()];
            rows += timed(t, [&] { return store::find_tickets(db, f); }).size();
        }
        report("find_tickets room=B-U-R", t, rows);
    }
    {
        Timings t;
        std::size_t rows = 0;
        for (std::size_t i = 0; i < n && !c.rooms.empty(); ++i) {
            store::TicketFilter f;
            f.community = "bench";
            f.room = c.rooms[(i * 7919) % c.rooms.size()];
            rows += timed(t, [&] { return store::find_tickets(db, f); }).size();
        }
        report("find_tickets community+room=B-U-R", t, rows);
    }
    {
        Timings t;
        std::size_t rows = 0;
        for (std::size_t i = 0; i < n; ++i) {
            store::TicketFilter f;
            f.status = "open";
            f.limit = 100;
            rows += timed(t, [&] { return store::find_tickets(db, f); }).size();
        }
        report("find_tickets status=open limit=100", t, rows);
    }
    {
        // After phase 2 almost nothing is open; the same query over the closed majority.
        Timings t;
        std::size_t rows = 0;
        for (std::size_t i = 0; i < n; ++i) {
            store::TicketFilter f;
            f.status = "closed";
            f.limit = 100;
            rows += timed(t, [&] { return store::find_tickets(db, f); }).size();
        }
        report("find_tickets status=closed limit=100", t, rows);
    }
    {
        Timings t;
        std::size_t rows = 0;
        for (std::size_t i = 0; i < n && !c.handled.empty(); ++i) {
            const auto id = c.handled[(i * 7919) % c.handled.size()].id;
            rows += timed(t, [&] { return store::ticket_events(db, id); }).size();
        }
        report("ticket_events one ticket", t, rows);
    }
}

std::uintmax_t size_of(const fs::path& p) {
    std::error_code ec;
    const auto size = fs::file_size(p, ec);
    return ec ? 0 : size;
}

void print_totals(SQLite::Database& db, const std::string& path) {
    const auto count = [&db](const char* sql) {
        return static_cast<long long>(db.execAndGet(sql).getInt64());
    };
    std::printf("store: %lld tickets, %lld events, outbox %lld rows (%zu pending)\n",
                count("SELECT count(*) FROM tickets"), count("SELECT count(*) FROM ticket_events"),
                count("SELECT count(*) FROM outbox"), store::outbox_pending(db));
    std::printf("store: database %.1f MiB + WAL %.1f MiB before the closing checkpoint\n",
                static_cast<double>(size_of(path)) / 1048576.0,
                static_cast<double>(size_of(path + "-wal")) / 1048576.0);
}

asio::awaitable<void> run_phases(store::Store& store, Context& c, int& exit_code) {
    auto filing = [&c](SQLite::Database& db) { file_all(db, c); };
    co_await store.run(std::move(filing));
    print_timings("filing", c.filing, "tickets");
    std::printf("filing: new %zu, duplicate %zu, grouped %zu (%zu group complaints opened)\n", c.created,
                c.duplicates, c.grouped, c.group_codes.size());

    auto handling = [&c](SQLite::Database& db) {
        handle_all(db, c);
        c.verified = verify(db, c);
    };
    co_await store.run(std::move(handling));
    std::printf("handling: %zu new tickets worked (%zu others were pulled into a group complaint later)\n",
                c.handled.size(), c.later_grouped);
    print_timings("handling staff commands", c.staff, "commands");
    print_timings("handling resident answers", c.resident, "answers");
    for (const auto* verb : {"接单", "进展", "完成", "已解决", "满意"}) {
        const auto s = c.commands[verb].sorted();
        std::printf("  %s: p50 %.0f us, p99 %.0f us\n", verb, percentile(s, 50), percentile(s, 99));
    }
    if (c.refused > 0) {
        std::printf("FAIL: %zu commands or answers were not accepted; first: %s\n", c.refused,
                    c.first_refusal.c_str());
    }
    std::printf("verify: %s\n", c.verified ? "every handled ticket is closed, rated 满意, events in order"
                                           : "FAIL (see above)");
    exit_code = c.verified ? 0 : 1;

    auto reading = [&c](SQLite::Database& db) { read_all(db, c); };
    co_await store.run(std::move(reading));
    const std::string path = store.path();
    auto totals = [&path](SQLite::Database& db) { print_totals(db, path); };
    co_await store.run(std::move(totals));
    co_await store.close();
    std::printf("store: database %.1f MiB after close\n", static_cast<double>(size_of(path)) / 1048576.0);
}

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
        if (line.starts_with("model name")) {
            const auto colon = line.find(':');
            if (colon != std::string::npos) {
                return line.substr(std::min(line.size(), colon + 2));
            }
        }
    }
    return "unknown";
}

// fsync is what a durable commit costs; on tmpfs it costs nothing, which the figures should say.
std::string filesystem_of(const fs::path& dir) {
    struct statfs info {};
    if (statfs(dir.c_str(), &info) != 0) {
        return "unknown";
    }
    switch (static_cast<unsigned long>(info.f_type)) {
        case 0xEF53UL:
            return "ext4";
        case 0x58465342UL:
            return "xfs";
        case 0x9123683EUL:
            return "btrfs";
        case 0x01021994UL:
            return "tmpfs (fsync is free: figures are not durable-commit figures)";
        case 0x794C7630UL:
            return "overlayfs";
        default:
            return "other";
    }
}

bool parse_args(int argc, char** argv, Options& o) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (i + 1 >= argc) {
            std::fprintf(stderr, "tickets_bench: %s needs a value\n", argv[i]);
            return false;
        }
        const std::string value = argv[++i];
        if (arg == "--tickets") {
            o.tickets = std::strtoul(value.c_str(), nullptr, 10);
        } else if (arg == "--db") {
            o.db = value;
        } else if (arg == "--synchronous" && (value == "full" || value == "normal")) {
            o.synchronous_full = value == "full";
        } else if (arg == "--reads") {
            o.reads = std::strtoul(value.c_str(), nullptr, 10);
        } else if (const auto level = log::parse_level(value); arg == "--log" && level) {
            o.log_level = *level;
        } else {
            std::fprintf(
                stderr,
                "usage: anju_tickets_bench [--tickets 20000] [--db PATH] [--synchronous full|normal] "
                "[--reads 500] [--log trace|debug|info|warn|error|off]\n");
            return false;
        }
    }
    if (o.tickets == 0) {
        std::fprintf(stderr, "tickets_bench: --tickets must be at least 1\n");
        return false;
    }
    return true;
}

// Builds the directory and the service from the config text, opens the store and runs the
// phases on its thread. Returns the exit code.
int run(const Options& o, const std::string& path) {
    auto config = config::parse_config(kConfig, "tickets_bench", {});
    if (!config) {
        for (const auto& p : config.error().items) {
            std::fprintf(stderr, "tickets_bench: %s\n", p.to_string().c_str());
        }
        return 1;
    }
    const tickets::Directory directory(config->tickets);
    SystemClock clock;
    // The service takes category labels from the dialog lexicons; the bench has the same table.
    auto labels = [](std::string_view name) { return std::string(category(name).label); };
    runtime::TicketService service(directory, clock, labels, "bench-app");

    store::StoreOptions store_options;
    store_options.path = path;
    store_options.synchronous_full = o.synchronous_full;
    auto opened = store::Store::open(store_options);
    if (!opened) {
        std::fprintf(stderr, "tickets_bench: %s\n", opened.error().what().c_str());
        return 1;
    }
    const std::unique_ptr<store::Store> store = std::move(*opened);

    // Monday 2 November 2026, 09:00 in Shanghai.
    const auto start = std::chrono::sys_days{std::chrono::year{2026} / 11 / 2} + std::chrono::hours(1);
    Context context(o, directory, service, Clock::time_point(start));
    int exit_code = 1;
    std::exception_ptr failure;
    asio::io_context ioc;
    asio::co_spawn(ioc, run_phases(*store, context, exit_code),
                   [&failure](std::exception_ptr e) { failure = std::move(e); });
    ioc.run();
    if (failure) {
        try {
            std::rethrow_exception(failure);
        } catch (const std::exception& e) {
            std::printf("FAIL: %s\n", e.what());
        }
        return 1;
    }
    return exit_code;
}

}  // namespace
}  // namespace anju::bench

int main(int argc, char** argv) {
    using namespace anju::bench;
    Options o;
    if (!parse_args(argc, argv, o)) {
        return 2;
    }
    anju::log::set_level(o.log_level);
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each phase's lines as it ends, also into a file

    fs::path temp_dir;
    std::string path = o.db;
    if (path.empty()) {
        std::string pattern = (fs::temp_directory_path() / "anju-tickets-bench-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) {
            std::perror("tickets_bench: mkdtemp");
            return 1;
        }
        temp_dir = pattern;
        path = (temp_dir / "anju.db").string();
    } else if (fs::exists(path)) {
        std::fprintf(stderr, "tickets_bench: %s exists; name a new file so the counts start from zero\n",
                     path.c_str());
        return 2;
    }
    const auto dir = fs::absolute(path).parent_path();
    std::printf("machine: nproc %u, CPU %s, SQLite %s, %s on %s, synchronous=%s, WAL\n",
                std::thread::hardware_concurrency(), cpu_model().c_str(), SQLite::getLibVersion(),
                path.c_str(), filesystem_of(dir).c_str(), o.synchronous_full ? "full" : "normal");
    const int exit_code = run(o, path);
    if (!temp_dir.empty()) {
        std::error_code ec;
        fs::remove_all(temp_dir, ec);
    }
    return exit_code;
}
