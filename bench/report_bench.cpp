// The monthly report at scale: a real SQLite store of N tickets (default 1,000,000) over twelve
// months, with the shape of a large property company's year — 20 communities, seasonal volume,
// skewed categories and buildings, a pool of residents who complain again and again, SLA milestones
// for every ticket (some late, some missed), ~8% reopened, ratings — written by fast bulk inserts
// (one transaction, prepared statements) after the real migrations. Then:
//
//  1. build_monthly_report + to_json + to_html + to_csv for the busiest month, in process, on the
//     store thread as the API does;
//  2. the real `anju report --month … --format html --out …` as a child process (what an operator
//     runs), wall clock from exec to exit.
//
// Target: the report (2) in < 5 s on the 2-core VM.
//
//   build/h-reports-rel/bench/anju_report_bench [--tickets N] [--dir DIR] [--keep]
#include "bot/reports/report.hpp"
#include "bot/runtime/reports_api.hpp"
#include "bot/tickets/calendar.hpp"
#include "config/config.hpp"
#include "store/store.hpp"
#include "tests/support/child_process.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

namespace {

using namespace anju;
using Steady = std::chrono::steady_clock;

const std::string kBinary = ANJU_BINARY;
const std::string kSource = ANJU_SOURCE_DIR;

constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::int64_t kDayMs = 24 * kHourMs;
constexpr int kOffsetMinutes = 480;

struct Options {
    std::size_t tickets = 1'000'000;
    std::string dir;
    bool keep = false;
};

double seconds_since(Steady::time_point t) {
    return std::chrono::duration<double>(Steady::now() - t).count();
}

// "VmHWM" (peak) or "VmRSS" of this process, in MiB.
double status_mib(const std::string& field) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.starts_with(field + ":")) {
            return std::atof(line.c_str() + field.size() + 1) / 1024.0;
        }
    }
    return 0;
}

double file_mib(const std::string& path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    return ec ? 0.0 : static_cast<double>(size) / (1024.0 * 1024.0);
}

struct Category {
    const char* name;
    const char* nature;
    double weight;
    const char* text;
};

// Shares seen in property complaints: facilities first (leaks, lifts), then order (noise, parking).
constexpr std::array<Category, 20> kCategories = {{
    {"water_leak", "facility", 14, "楼上卫生间漏水，天花板一直往下滴"},
    {"elevator", "facility", 12, "电梯异响，运行时晃得厉害"},
    {"noise", "order", 12, "楼上装修太吵，中午还在砸墙"},
    {"parking", "order", 8, "车位被外来车占了，挪车电话打不通"},
    {"access_control", "facility", 7, "单元门禁刷卡没反应，进不去"},
    {"water_supply", "facility", 6, "家里水压很小，热水器打不着"},
    {"drainage", "facility", 6, "楼下下水道堵了，污水返上来"},
    {"public_facility", "facility", 6, "小区健身器材坏了，有个螺丝松了"},
    {"power", "facility", 5, "楼道跳闸，整层都没电"},
    {"lighting", "facility", 5, "地库灯坏了好几盏，晚上很黑"},
    {"sanitation", "service", 5, "垃圾桶两天没人清运，很臭"},
    {"clutter", "order", 4, "楼道里堆满了纸箱，消防通道堵了"},
    {"fee_dispute", "fee", 3.5, "物业费比去年多收了两百块"},
    {"butler_service", "service", 3, "管家不回消息，打电话也不接"},
    {"greening", "service", 2, "楼下的树枝挡住窗户，该修剪了"},
    {"stranger", "order", 2, "有陌生人在楼里挨家敲门推销"},
    {"pets", "order", 2, "邻居遛狗不牵绳，狗屎没人清"},
    {"gas", "facility", 1, "厨房有煤气味，不敢开火"},
    {"high_throw", "order", 1, "楼上往下扔烟头，差点砸到人"},
    {"fire", "order", 0.5, "垃圾房冒烟，有焦糊味"},
}};

const char* department_of(std::string_view nature) {
    if (nature == "facility") {
        return "engineering";
    }
    if (nature == "order") {
        return "order";
    }
    return nature == "fee" ? "cs" : "butler";
}

// Twelve months ending November 2026; summer (rain, air conditioning, decoration) is busiest.
constexpr std::array<double, 12> kMonthWeights = {0.80, 0.65, 0.85, 0.95, 1.05, 1.20,
                                                  1.35, 1.25, 1.05, 0.95, 0.95, 0.90};
constexpr reports::MonthKey kFirstMonth{2025, 12};

// A six-character code, unique per id (a bijection on 30 bits, in the tickets' alphabet).
std::string code_of(std::int64_t id) {
    constexpr std::string_view kAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    auto v = static_cast<std::uint32_t>((static_cast<std::uint64_t>(id) * 0x2545F491ULL) & 0x3FFFFFFFULL);
    std::string code(6, ' ');
    for (auto& c : code) {
        c = kAlphabet[v & 31U];
        v >>= 5U;
    }
    return code;
}

struct Generated {
    std::size_t tickets = 0;
    std::size_t events = 0;
    std::size_t milestones = 0;
    reports::MonthKey busiest;
    std::size_t busiest_count = 0;
};

Generated generate(const std::string& path, std::size_t n, std::int64_t now_ms) {
    // The real schema first, through the store's migrations.
    {
        auto opened = store::Store::open({.path = path, .synchronous_full = false});
        if (!opened) {
            std::fprintf(stderr, "cannot create %s: %s\n", path.c_str(), opened.error().what().c_str());
            std::exit(1);
        }
        boost::asio::io_context ioc;
        auto closed = boost::asio::co_spawn(ioc, (*opened)->close(), boost::asio::use_future);
        ioc.run();
        closed.get();
    }
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    db.exec("PRAGMA synchronous = OFF");
    db.exec("PRAGMA cache_size = -262144");  // 256 MiB while loading
    db.exec("PRAGMA foreign_keys = OFF");

    std::mt19937_64 rng(20261201);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const auto pick = [&rng](std::size_t count) { return rng() % count; };
    std::vector<double> category_cdf;
    double sum = 0;
    for (const auto& c : kCategories) {
        sum += c.weight;
        category_cdf.push_back(sum);
    }

    // Tickets per month, and the busiest.
    Generated g;
    std::array<std::size_t, 12> per_month{};
    {
        double total = 0;
        for (const auto w : kMonthWeights) {
            total += w;
        }
        std::size_t given = 0;
        for (std::size_t m = 0; m < 12; ++m) {
            per_month[m] = m == 11
                               ? n - given
                               : static_cast<std::size_t>(static_cast<double>(n) * kMonthWeights[m] / total);
            given += per_month[m];
        }
    }

    SQLite::Statement ticket(db,
                             "INSERT INTO tickets (id, code, community, resident, resident_name, "
                             "resident_phone, building, unit, room,"
                             " channel, nature, category, urgency, slots, description, expectation, "
                             "evidence, attachments, department,"
                             " first_responder, assignee, assignee_name, butler, status, created_at, "
                             "updated_at, claim_due, on_site_due,"
                             " plan_due, confirm_due, escalation, satisfaction, score, key_review, "
                             "auto_closed, parent_id, is_group,"
                             " households, last_progress)"
                             " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'wechat_mp', ?, ?, ?, ?, ?, '尽快处理', "
                             "'[]', '[]', ?, ?, ?, ?, '', ?, ?,"
                             " ?, ?, ?, ?, NULL, 0, ?, ?, ?, ?, ?, ?, 1, ?)");
    SQLite::Statement event(db,
                            "INSERT INTO ticket_events (ticket_id, at, actor, actor_name, kind, text, data)"
                            " VALUES (?, ?, ?, ?, ?, ?, '')");
    SQLite::Statement milestone(
        db,
        "INSERT INTO milestones (ticket_id, name, department, due_at, met_at, missed_at)"
        " VALUES (?, ?, ?, ?, ?, ?)");
    const auto add_event = [&](std::int64_t id, std::int64_t at, const char* actor, const char* name,
                               const char* kind, std::string_view text) {
        event.bind(1, id);
        event.bind(2, at);
        event.bind(3, actor);
        event.bind(4, name);
        event.bind(5, kind);
        event.bind(6, std::string(text));
        event.exec();
        event.reset();
        ++g.events;
    };
    // A node: mostly on time, some late, some missed; pending when it is not due yet.
    const auto add_milestone = [&](std::int64_t id, const std::string& name, const char* department,
                                   std::int64_t created, std::int64_t due, double on_time, double late) {
        milestone.bind(1, id);
        milestone.bind(2, name);
        milestone.bind(3, department);
        milestone.bind(4, due);
        const double roll = unit(rng);
        if (due > now_ms && roll >= on_time) {
            milestone.bind(5);
            milestone.bind(6);
        } else if (roll < on_time) {
            milestone.bind(
                5, created + static_cast<std::int64_t>(unit(rng) * static_cast<double>(due - created)));
            milestone.bind(6);
        } else if (roll < on_time + late) {
            milestone.bind(5,
                           due + static_cast<std::int64_t>(unit(rng) * 6.0 * static_cast<double>(kHourMs)));
            milestone.bind(6, due);
        } else {
            milestone.bind(5);
            milestone.bind(6, due);
        }
        milestone.exec();
        milestone.reset();
        ++g.milestones;
    };

    constexpr int kCommunities = 20;
    constexpr int kBuildings = 24;
    constexpr int kUnits = 4;
    constexpr int kFloors = 30;
    // 15% of tickets come from a few thousand households that complain again and again.
    constexpr std::size_t kFrequentRooms = 3000;
    struct Room {
        int community, building, unit, room;
    };
    std::vector<Room> frequent;
    for (std::size_t i = 0; i < kFrequentRooms; ++i) {
        frequent.push_back({static_cast<int>(pick(kCommunities)), static_cast<int>(pick(kBuildings)) + 1,
                            static_cast<int>(pick(kUnits)) + 1,
                            (static_cast<int>(pick(kFloors)) + 1) * 100 + static_cast<int>(pick(4)) + 1});
    }
    constexpr std::array<const char*, 6> kUnhappy = {"师傅态度差，说话很冲", "拖了一个星期才来修",
                                                     "修完第二天又坏了",     "没人提前打招呼就停水",
                                                     "问题根本没解决",       "收费不透明"};
    constexpr std::array<const char*, 5> kHandlers = {"张工", "李工", "王师傅", "赵管家", "陈队长"};

    SQLite::Transaction tx(db);
    std::int64_t id = 0;
    std::int64_t group_parent = 0;
    for (std::size_t m = 0; m < 12; ++m) {
        reports::MonthKey month = kFirstMonth;
        for (std::size_t k = 0; k < m; ++k) {
            month = month.next();
        }
        if (per_month[m] > g.busiest_count) {
            g.busiest = month;
            g.busiest_count = per_month[m];
        }
        const auto start = month.start_ms(kOffsetMinutes);
        const auto span = month.next().start_ms(kOffsetMinutes) - start;
        // Creation times in order, so ids grow with time as they do in the service.
        std::vector<std::int64_t> times(per_month[m]);
        for (auto& t : times) {
            t = start + static_cast<std::int64_t>(unit(rng) * static_cast<double>(span));
        }
        std::sort(times.begin(), times.end());
        for (const auto created : times) {
            ++id;
            const auto& cat = kCategories[static_cast<std::size_t>(
                std::lower_bound(category_cdf.begin(), category_cdf.end(), unit(rng) * sum) -
                category_cdf.begin())];
            const auto* department = department_of(cat.nature);
            Room room{};
            if (unit(rng) < 0.15) {
                room = frequent[pick(kFrequentRooms)];
            } else {
                // Skewed buildings: older towers (low numbers) complain more.
                const auto b = static_cast<int>(std::pow(unit(rng), 1.6) * kBuildings) + 1;
                room = {static_cast<int>(pick(kCommunities)), b, static_cast<int>(pick(kUnits)) + 1,
                        (static_cast<int>(pick(kFloors)) + 1) * 100 + static_cast<int>(pick(4)) + 1};
            }
            char community[16];
            std::snprintf(community, sizeof community, "c%02d", room.community + 1);
            const auto building = std::to_string(room.building);
            const auto unit_no = std::to_string(room.unit);
            const auto room_no = std::to_string(room.room);
            const double u = unit(rng);
            const char* urgency = u < 0.04 ? "emergency" : u < 0.07 ? "difficult" : "normal";
            const bool emergency = urgency[0] == 'e';
            const auto age_days = (now_ms - created) / kDayMs;
            // Status now: older tickets are mostly finished.
            const double s = unit(rng);
            const char* status = "closed";
            if (s < 0.04) {
                status = "cancelled";
            } else if (age_days < 3 && s < 0.60) {
                status = s < 0.2 ? "dispatched" : s < 0.35 ? "claimed" : s < 0.5 ? "in_progress" : "resolved";
            } else if (s < 0.07) {
                status = "in_progress";
            } else if (s < 0.09) {
                status = "resolved";
            } else if (s < 0.17) {
                status = "confirmed";
            }
            const std::string_view st = status;
            const bool finished = st == "closed" || st == "confirmed";
            const char* satisfaction = "none";
            int score = 0;
            if (st == "closed") {
                const double r = unit(rng);
                satisfaction = r < 0.70   ? "satisfied"
                               : r < 0.88 ? "basically"
                               : r < 0.94 ? "unsatisfied"
                                          : "none";
                if (satisfaction[0] != 'n' && unit(rng) < 0.6) {
                    score = satisfaction[0] == 's'   ? 5
                            : satisfaction[0] == 'b' ? 4
                                                     : 1 + static_cast<int>(pick(2));
                }
            }
            const bool auto_closed = finished && satisfaction[0] == 'n' && unit(rng) < 0.8;
            // Now and then a group complaint: a parent, and households filed inside it after.
            bool is_group = false;
            std::int64_t parent = 0;
            if (unit(rng) < 0.0005) {
                is_group = true;
                group_parent = id;
            } else if (group_parent != 0 && unit(rng) < 0.01) {
                parent = group_parent;
            }
            std::string slots = "{}";
            if (std::string_view(cat.name) == "elevator") {
                slots = R"({"building":")" + building + R"(","unit":")" + unit_no + R"(","elevator":")" +
                        std::to_string(1 + pick(2)) + R"("})";
            } else if (unit(rng) < 0.3) {
                slots = R"({"floor":")" + std::to_string(room.room / 100) + R"("})";
            }
            const auto handler = kHandlers[pick(kHandlers.size())];
            const auto claim_due = created + (emergency ? 5 * 60'000 : 4 * kHourMs);
            const auto on_site_due = created + 15 * 60'000;
            const auto plan_due =
                created + (std::string_view(department) == "engineering" ? kDayMs : 2 * kDayMs);

            int c = 1;
            ticket.bind(c++, id);
            ticket.bind(c++, code_of(id));
            ticket.bind(c++, community);
            ticket.bind(c++, "wechat_mp/main/o" + std::string(community) + "-" + building + "-" + unit_no +
                                 "-" + room_no);
            ticket.bind(c++, "业主");
            ticket.bind(c++, "1380013" + std::to_string(1000 + room.room % 9000));
            ticket.bind(c++, building);
            ticket.bind(c++, unit_no);
            ticket.bind(c++, room_no);
            ticket.bind(c++, cat.nature);
            ticket.bind(c++, cat.name);
            ticket.bind(c++, urgency);
            ticket.bind(c++, slots);
            ticket.bind(c++, building + "栋" + unit_no + "单元" + room_no + "：" + cat.text);
            ticket.bind(c++, department);
            ticket.bind(c++, std::string("u") + std::to_string(pick(200)));
            ticket.bind(c++, std::string("u") + std::to_string(pick(200)));
            ticket.bind(c++, handler);
            ticket.bind(c++, status);
            ticket.bind(c++, created);
            ticket.bind(c++, std::min(now_ms, created + 2 * kDayMs));
            ticket.bind(c++, claim_due);
            if (emergency) {
                ticket.bind(c++, on_site_due);
                ticket.bind(c++);
            } else {
                ticket.bind(c++);
                ticket.bind(c++, plan_due);
            }
            ticket.bind(c++, satisfaction);
            ticket.bind(c++, score);
            ticket.bind(c++, satisfaction[0] == 'u' ? 1 : 0);
            ticket.bind(c++, auto_closed ? 1 : 0);
            ticket.bind(c++, parent);
            ticket.bind(c++, is_group ? 1 : 0);
            ticket.bind(c++, finished ? "已修复，请业主确认" : "");
            ticket.exec();
            ticket.reset();
            ++g.tickets;

            add_event(id, created, "resident:x", "业主", "filed", cat.text);
            if (st == "cancelled" || st == "dispatched") {
                continue;
            }
            add_event(id, claim_due - kHourMs, "staff:u1", handler, "claim", "");
            add_milestone(id, "claim", department, created, claim_due, 0.88, 0.07);
            if (emergency) {
                add_milestone(id, "on_site", department, created, on_site_due, 0.85, 0.10);
            } else {
                add_milestone(id, "plan", department, created, plan_due, 0.80, 0.12);
            }
            // A daily progress node for each day the work took (0-3).
            const auto days = static_cast<int>(pick(4));
            for (int d = 1; d <= days; ++d) {
                const auto due = created + d * kDayMs;
                const auto local_day = (due + static_cast<std::int64_t>(kOffsetMinutes) * 60'000) / kDayMs;
                int y = 0;
                unsigned mo = 0;
                unsigned dd = 0;
                tickets::civil_from_days(local_day, y, mo, dd);
                char name[32];
                std::snprintf(name, sizeof name, "progress:%04d-%02u-%02u", y, mo, dd);
                add_milestone(id, name, department, created, due, 0.85, 0.10);
            }
            if (st == "claimed") {
                continue;
            }
            add_event(id, created + kDayMs, "staff:u1", handler, "resolve", "已修复");
            if (unit(rng) < 0.08) {
                add_event(id, created + kDayMs + kHourMs, "resident:x", "业主", "reopen", "还是没修好");
            }
            if (unit(rng) < 0.03) {
                add_milestone(id, "rectification:1", department, created, created + 3 * kDayMs, 0.7, 0.2);
            }
            if (satisfaction[0] != 'n') {
                add_event(id, created + 2 * kDayMs, "resident:x", "业主", "rate",
                          satisfaction[0] == 'u' ? kUnhappy[pick(kUnhappy.size())] : "");
            }
        }
    }
    tx.commit();
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    return g;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--tickets" && i + 1 < argc) {
            o.tickets = std::strtoull(argv[++i], nullptr, 10);
        } else if (arg == "--dir" && i + 1 < argc) {
            o.dir = argv[++i];
        } else if (arg == "--keep") {
            o.keep = true;
        } else {
            std::fprintf(stderr, "usage: anju_report_bench [--tickets N] [--dir DIR] [--keep]\n");
            return 2;
        }
    }
    if (o.tickets == 0) {
        std::fprintf(stderr, "--tickets must be positive\n");
        return 2;
    }
    log::set_level(log::Level::warn);
    const bool own_dir = o.dir.empty();
    if (own_dir) {
        o.dir = (std::filesystem::temp_directory_path() / ("anju-report-bench-" + std::to_string(::getpid())))
                    .string();
    }
    std::filesystem::create_directories(o.dir);
    const auto db_path = o.dir + "/anju.db";
    std::filesystem::remove(db_path);
    std::filesystem::remove(db_path + "-wal");
    std::filesystem::remove(db_path + "-shm");

    // The report is built on December 1st, 08:00 local, as the monthly timer does.
    const reports::MonthKey december{2026, 12};
    const auto now_ms = december.start_ms(kOffsetMinutes) + 8 * kHourMs;
    const auto now = Clock::time_point{std::chrono::milliseconds{now_ms}};

    std::printf("machine: %ld cores; store: %s\n", ::sysconf(_SC_NPROCESSORS_ONLN), db_path.c_str());
    auto t0 = Steady::now();
    const auto g = generate(db_path, o.tickets, now_ms);
    std::printf("generated %zu tickets, %zu events, %zu milestones in %.1f s; database %.0f MiB\n", g.tickets,
                g.events, g.milestones, seconds_since(t0), file_mib(db_path));
    std::printf("busiest month %s: %zu tickets\n", g.busiest.to_string().c_str(), g.busiest_count);

    // The service's config: this store, and the shipped dialog lexicons for the category labels.
    const auto config_path = o.dir + "/anju.json";
    std::ofstream(config_path) << R"({"store": {"path": ")" << db_path << R"("}, "log": {"level": "warn"},)"
                               << R"( "dialogs": {"dir": ")" << kSource << R"(/config/dialogs"}})"
                               << "\n";
    auto config = config::load_config(config_path, {});
    if (!config) {
        std::fprintf(stderr, "bad generated config: %s\n", config.error().items.front().to_string().c_str());
        return 1;
    }

    // 1. In process, on the store thread, as GET /api/v1/reports/monthly does.
    {
        boost::asio::io_context ioc;
        t0 = Steady::now();
        auto opened = store::Store::open({.path = db_path});
        if (!opened) {
            std::fprintf(stderr, "cannot open %s: %s\n", db_path.c_str(), opened.error().what().c_str());
            return 1;
        }
        auto& store = **opened;
        const auto open_s = seconds_since(t0);
        const auto month = g.busiest;
        const auto options = runtime::report_options(*config, month, "");
        auto job = [&options, month, now](SQLite::Database& db) {
            return reports::build_monthly_report(db, month, options, now);
        };
        t0 = Steady::now();
        auto future = boost::asio::co_spawn(ioc, store.run(std::move(job)), boost::asio::use_future);
        ioc.run();
        const auto report = future.get();
        const auto build_s = seconds_since(t0);
        t0 = Steady::now();
        const auto json_text = reports::to_json(report).dump();
        const auto json_s = seconds_since(t0);
        t0 = Steady::now();
        const auto html = reports::to_html(report);
        const auto html_s = seconds_since(t0);
        t0 = Steady::now();
        const auto csv = reports::to_csv(report);
        const auto csv_s = seconds_since(t0);
        std::printf(
            "in process: open %.3f s, build %.3f s, to_json %.3f s (%.0f KiB), to_html %.3f s (%.0f KiB), "
            "to_csv %.3f s (%.0f KiB); total %.3f s\n",
            open_s, build_s, json_s, static_cast<double>(json_text.size()) / 1024.0, html_s,
            static_cast<double>(html.size()) / 1024.0, csv_s, static_cast<double>(csv.size()) / 1024.0,
            open_s + build_s + json_s + html_s + csv_s);
        std::printf(
            "  filed %lld, %zu categories, %zu buildings, %zu hotspots, %zu elevators, %zu repeat rooms, "
            "%zu unsatisfied, on-time %.1f%%, satisfaction %.1f%%, reopen %.1f%%\n",
            static_cast<long long>(report.totals.filed), report.categories.size(), report.buildings.size(),
            report.hotspots.size(), report.assets.size(), report.repeat_rooms.size(),
            report.unsatisfied.size(), report.on_time_total.rate().value_or(0) * 100,
            report.satisfaction.rate().value_or(0) * 100, report.reopen.rate().value_or(0) * 100);
        std::printf("  summary: %s\n", report.summary.c_str());
        auto closed = boost::asio::co_spawn(ioc, store.close(), boost::asio::use_future);
        ioc.restart();
        ioc.run();
        closed.get();
    }

    // 2. The real binary, as an operator runs it.
    for (const char* format : {"html", "json"}) {
        const auto out = o.dir + "/report." + format;
        t0 = Steady::now();
        const auto r = testing::run_program(kBinary,
                                            {"report", "--month", g.busiest.to_string(), "--format", format,
                                             "--out", out, "--config", config_path},
                                            "", {}, std::chrono::seconds(120));
        const auto wall = seconds_since(t0);
        if (r.status != 0) {
            std::fprintf(stderr, "anju report failed (%d): %s\n", r.status, r.err.c_str());
            return 1;
        }
        std::printf("anju report --month %s --format %s: %.3f s wall (%s, %.0f KiB) — target < 5 s\n",
                    g.busiest.to_string().c_str(), format, wall, wall < 5.0 ? "OK" : "TOO SLOW",
                    file_mib(out) * 1024.0);
    }
    std::printf("peak RSS of the bench %.0f MiB\n", status_mib("VmHWM"));
    if (own_dir && !o.keep) {
        std::filesystem::remove_all(o.dir);
    } else {
        std::printf("kept %s\n", o.dir.c_str());
    }
    return 0;
}
