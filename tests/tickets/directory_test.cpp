// The roster and routing (bot/tickets/directory.hpp), from a tickets config built in code: which
// community a room belongs to, staff by userid/name/role, nature/category → department, who covers
// which tickets (covers()), work groups, elevator lookups, and the deadlines a new ticket gets.
#include "bot/tickets/directory.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace anju::tickets {
namespace {

using namespace std::chrono_literals;
namespace chr = std::chrono;

// An instant in China time (UTC+8).
Clock::time_point cst(int y, unsigned m, unsigned d, int hour = 0, int minute = 0) {
    const chr::sys_days day{chr::year{y} / chr::month{m} / chr::day{d}};
    return chr::time_point_cast<Clock::duration>(day + chr::hours{hour} + chr::minutes{minute} - 8h);
}

config::StaffConfig person(std::string userid, std::string name, std::vector<std::string> roles,
                           std::vector<std::string> buildings = {}) {
    config::StaffConfig s;
    s.userid = std::move(userid);
    s.name = std::move(name);
    s.roles = std::move(roles);
    s.buildings = std::move(buildings);
    return s;
}

config::WorkGroupConfig group(std::string department, std::string chatid) {
    config::WorkGroupConfig g;
    g.department = std::move(department);
    g.wecom = "app";
    g.chatid = std::move(chatid);
    return g;
}

config::ElevatorAsset lift(std::string building, std::string unit, std::string number, std::string brand) {
    config::ElevatorAsset e;
    e.building = std::move(building);
    e.unit = std::move(unit);
    e.number = std::move(number);
    e.brand = std::move(brand);
    return e;
}

config::CommunityConfig east() {
    config::CommunityConfig c;
    c.id = "east";
    c.name = "东区";
    c.buildings = {"1", "2", "3"};
    c.staff = {
        person("zhanggong", "张工", {"engineering"}),
        person("ligong", "李工", {"engineering"}),
        person("ligongzhang", "李工长", {"engineering"}),
        person("lishifu", "李师傅", {"engineering"}),
        person("guanjia3", "孙管家", {"butler"}, {"3"}),
        person("guanjia12", "钱管家", {"butler"}, {"1", "2"}),
        person("zhuguan3", "刘主管", {"supervisor"}, {"3"}),
        person("zongzhuguan", "周主管", {"supervisor"}),
        person("jingli", "陈经理", {"pm"}),
        person("kefu", "小周", {"cs"}),
        person("baoan", "赵队", {"order"}),
        person("pinzhi", "郑品质", {"quality"}),
    };
    c.groups = {group("engineering", "chat-eng"), group("all", "chat-all"), group("order", "chat-order")};
    c.elevators = {
        lift("3", "1", "1", "奥的斯"),
        lift("3", "1", "2", "三菱"),
        lift("3", "2", "1", "日立"),
        lift("2", "", "1", "通力"),
    };
    c.calendar.holidays = {"2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07"};
    c.calendar.workdays = {"2026-10-10"};
    return c;
}

config::CommunityConfig west() {
    config::CommunityConfig c;
    c.id = "west";
    c.name = "西区";
    c.buildings = {"5", "6"};
    c.staff = {person("wangshifu", "王师傅", {"engineering"}), person("kefu2", "小吴", {"cs"})};
    c.groups = {group("engineering", "chat-west")};
    c.elevators = {lift("5", "1", "1", "通力")};
    return c;
}

config::TicketsConfig two_communities() {
    config::TicketsConfig cfg;
    cfg.enabled = true;
    cfg.communities = {east(), west()};
    return cfg;
}

dialogs::Room room(std::string building, std::string unit = {}, std::string number = {}) {
    return dialogs::Room{std::move(building), std::move(unit), std::move(number)};
}

std::vector<std::string> chats(const std::vector<const config::WorkGroupConfig*>& groups) {
    std::vector<std::string> out;
    for (const auto* g : groups) {
        out.push_back(g->chatid);
    }
    return out;
}

std::vector<std::string> userids(const std::vector<const config::StaffConfig*>& staff) {
    std::vector<std::string> out;
    for (const auto* s : staff) {
        out.push_back(s->userid);
    }
    return out;
}

TEST(Directory, CommunityForABuilding) {
    const Directory dir(two_communities());
    ASSERT_NE(dir.community_for(room("3", "2", "501")), nullptr);
    EXPECT_EQ(dir.community_for(room("3", "2", "501"))->id, "east");
    EXPECT_EQ(dir.community_for(room("1"))->id, "east");
    EXPECT_EQ(dir.community_for(room("6", "1", "102"))->id, "west");
    EXPECT_EQ(dir.community_for(room("9", "1", "101")), nullptr);
    EXPECT_EQ(dir.community_for(room("")), nullptr);
    EXPECT_EQ(dir.community_for(room("33")), nullptr);  // not a prefix match
    EXPECT_EQ(dir.default_community().id, "east");
    ASSERT_NE(dir.community("west"), nullptr);
    EXPECT_EQ(dir.community("west")->name, "西区");
    EXPECT_EQ(dir.community("north"), nullptr);

    // With one community every room is in it, listed or not.
    config::TicketsConfig one;
    one.communities = {west()};
    const Directory single(one);
    for (const auto& r : {room("5"), room("9", "1", "101"), room("")}) {
        ASSERT_NE(single.community_for(r), nullptr) << r.building;
        EXPECT_EQ(single.community_for(r)->id, "west");
    }
}

TEST(Directory, StaffByUserid) {
    const Directory dir(two_communities());
    std::string community = "unchanged";
    const auto* s = dir.staff("wangshifu", &community);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->name, "王师傅");
    EXPECT_EQ(community, "west");
    ASSERT_NE(dir.staff("kefu", &community), nullptr);
    EXPECT_EQ(community, "east");
    EXPECT_NE(dir.staff("zhanggong"), nullptr);

    community = "unchanged";
    EXPECT_EQ(dir.staff("nobody", &community), nullptr);
    EXPECT_EQ(community, "unchanged");
    EXPECT_EQ(dir.staff(""), nullptr);
    EXPECT_EQ(dir.staff("张工"), nullptr);  // a name is not a userid

    const auto actor = dir.actor(*dir.staff("zhuguan3"));
    EXPECT_EQ(actor.kind, Actor::Kind::staff);
    EXPECT_EQ(actor.id, "zhuguan3");
    EXPECT_EQ(actor.name, "刘主管");
    EXPECT_EQ(actor.roles, std::vector<std::string>{"supervisor"});
}

TEST(Directory, StaffByName) {
    const Directory dir(two_communities());
    struct Row {
        const char* community;
        const char* name;
        const char* userid;  // nullptr: nobody
    };
    const std::vector<Row> rows = {
        {"east", "李师傅", "lishifu"},  // exact
        {"east", "李工", "ligong"},     // exact, although it also begins 李工长
        {"east", "李工长", "ligongzhang"}, {"east", "李师", "lishifu"},  // unique prefix
        {"east", "张", "zhanggong"},                                     // unique prefix
        {"east", "李", nullptr},                                         // ambiguous
        {"east", "ligong", "ligong"},                                    // a userid works too
        {"east", "王师傅", nullptr},                                     // in the other community
        {"west", "王师傅", "wangshifu"},   {"west", "王", "wangshifu"},   {"east", "", nullptr},
        {"north", "张工", nullptr},        {"east", "张工程师", nullptr},  // longer than any name
    };
    for (const auto& r : rows) {
        const auto* s = dir.staff_named(r.community, r.name);
        if (r.userid == nullptr) {
            EXPECT_EQ(s, nullptr) << r.community << " " << r.name << " → " << (s ? s->userid : "");
        } else {
            ASSERT_NE(s, nullptr) << r.community << " " << r.name;
            EXPECT_EQ(s->userid, r.userid) << r.community << " " << r.name;
        }
    }
}

TEST(Directory, StaffWithARole) {
    const Directory dir(two_communities());
    EXPECT_EQ(userids(dir.staff_with_role("east", "butler")),
              (std::vector<std::string>{"guanjia3", "guanjia12"}));
    EXPECT_EQ(userids(dir.staff_with_role("east", "butler", "3")), std::vector<std::string>{"guanjia3"});
    EXPECT_EQ(userids(dir.staff_with_role("east", "butler", "2")), std::vector<std::string>{"guanjia12"});
    EXPECT_TRUE(dir.staff_with_role("east", "butler", "9").empty());
    // Staff without buildings serve every building.
    EXPECT_EQ(userids(dir.staff_with_role("east", "supervisor", "1")),
              std::vector<std::string>{"zongzhuguan"});
    EXPECT_EQ(userids(dir.staff_with_role("east", "supervisor", "3")),
              (std::vector<std::string>{"zhuguan3", "zongzhuguan"}));
    EXPECT_EQ(dir.staff_with_role("east", "engineering", "3").size(), 4U);
    EXPECT_EQ(userids(dir.staff_with_role("west", "engineering")), std::vector<std::string>{"wangshifu"});
    EXPECT_TRUE(dir.staff_with_role("east", "astronaut").empty());
    EXPECT_TRUE(dir.staff_with_role("north", "engineering").empty());
}

TEST(Directory, RoutesNatureAndCategoryToADepartment) {
    auto cfg = two_communities();
    const Directory defaults(cfg);
    using dialogs::Nature;
    EXPECT_EQ(defaults.department_for(Nature::service, "attitude"), "butler");
    EXPECT_EQ(defaults.department_for(Nature::facility, "elevator"), "engineering");
    EXPECT_EQ(defaults.department_for(Nature::fee, "property_fee"), "cs");
    EXPECT_EQ(defaults.department_for(Nature::order, "noise"), "order");
    EXPECT_EQ(defaults.department_for(Nature::none, ""), "cs");
    EXPECT_EQ(defaults.department_for(Nature::none, "callback"), "cs");

    cfg.route_category = {{"attitude", "cs"}, {"water_leak", "butler"}, {"parking", "order"}};
    const Directory routed(cfg);
    EXPECT_EQ(routed.department_for(Nature::service, "attitude"), "cs");
    EXPECT_EQ(routed.department_for(Nature::service, "cleaning"), "butler");
    EXPECT_EQ(routed.department_for(Nature::facility, "water_leak"), "butler");
    EXPECT_EQ(routed.department_for(Nature::facility, "elevator"), "engineering");
    EXPECT_EQ(routed.department_for(Nature::fee, "parking"), "order");  // the category wins
    EXPECT_EQ(routed.department_for(Nature::none, "attitude"), "cs");

    cfg.route_nature = {{"facility", "maintenance"}};
    cfg.route_category.clear();
    const Directory renamed(cfg);
    EXPECT_EQ(renamed.department_for(Nature::facility, "elevator"), "maintenance");
    EXPECT_EQ(renamed.department_for(Nature::order, "noise"), "cs");  // no route: customer service
}

TEST(Directory, CoversByRole) {
    const Directory dir(two_communities());
    struct Row {
        const char* userid;
        const char* department;
        const char* building;
        bool covers;
    };
    const std::vector<Row> rows = {
        // Department staff: their department, any building.
        {"zhanggong", "engineering", "3", true},
        {"zhanggong", "engineering", "1", true},
        {"zhanggong", "order", "3", false},
        {"zhanggong", "butler", "3", false},
        {"zhanggong", "cs", "3", false},
        {"baoan", "order", "2", true},
        {"baoan", "engineering", "2", false},
        // A butler: butler tickets of their buildings only.
        {"guanjia3", "butler", "3", true},
        {"guanjia3", "butler", "1", false},
        {"guanjia3", "butler", "", true},
        {"guanjia3", "engineering", "3", false},
        {"guanjia12", "butler", "2", true},
        {"guanjia12", "butler", "3", false},
        // A supervisor: everything in their buildings.
        {"zhuguan3", "engineering", "3", true},
        {"zhuguan3", "butler", "3", true},
        {"zhuguan3", "order", "3", true},
        {"zhuguan3", "engineering", "1", false},
        {"zhuguan3", "butler", "1", false},
        {"zongzhuguan", "order", "1", true},  // no buildings: all of them
        // Project manager and customer service: everything.
        {"jingli", "engineering", "1", true},
        {"jingli", "butler", "3", true},
        {"jingli", "order", "", true},
        {"kefu", "engineering", "2", true},
        {"kefu", "butler", "1", true},
        {"kefu", "cs", "3", true},
        // Quality checks, it does not handle.
        {"pinzhi", "engineering", "3", false},
        {"pinzhi", "quality", "3", true},
    };
    for (const auto& r : rows) {
        const auto* s = dir.staff(r.userid);
        ASSERT_NE(s, nullptr) << r.userid;
        EXPECT_EQ(dir.covers(*s, r.department, r.building), r.covers)
            << r.userid << " " << r.department << " @" << r.building;
    }
}

TEST(Directory, GroupsForADepartment) {
    const Directory dir(two_communities());
    EXPECT_EQ(chats(dir.groups_for("east", "engineering")),
              (std::vector<std::string>{"chat-eng", "chat-all"}));
    EXPECT_EQ(chats(dir.groups_for("east", "order")), (std::vector<std::string>{"chat-all", "chat-order"}));
    EXPECT_EQ(chats(dir.groups_for("east", "butler")), std::vector<std::string>{"chat-all"});
    EXPECT_EQ(chats(dir.groups_for("west", "engineering")), std::vector<std::string>{"chat-west"});
    EXPECT_TRUE(dir.groups_for("west", "order").empty());
    EXPECT_TRUE(dir.groups_for("north", "engineering").empty());
}

TEST(Directory, FindsElevators) {
    const Directory dir(two_communities());
    struct Row {
        const char* community;
        dialogs::Room where;
        const char* number;
        const char* brand;  // nullptr: none
    };
    const std::vector<Row> rows = {
        {"east", room("3", "1"), "2", "三菱"},
        {"east", room("3", "1"), "1", "奥的斯"},
        {"east", room("3", "2"), "1", "日立"},
        {"east", room("3", "2", "501"), "", "日立"},  // unit 2 has a single elevator
        {"east", room("3", "1"), "", nullptr},        // two in unit 1: which?
        {"east", room("3"), "", nullptr},             // three in building 3
        {"east", room("3", "1"), "9", nullptr},       // no such number
        {"east", room("3", "2"), "2", nullptr},
        {"east", room("2"), "", "通力"},  // building 2: one elevator, no units
        {"east", room("2", "1", "101"), "", "通力"},
        {"east", room("2"), "1", "通力"},
        {"east", room("1"), "", nullptr},  // no elevators listed
        {"west", room("5", "1"), "", "通力"},
        {"west", room("3", "1"), "1", nullptr},  // building 3 of the other community
        {"north", room("3", "1"), "1", nullptr},
    };
    for (const auto& r : rows) {
        const auto* e = dir.elevator(r.community, r.where, r.number);
        const auto what =
            std::string(r.community) + " " + r.where.building + "/" + r.where.unit + " #" + r.number;
        if (r.brand == nullptr) {
            EXPECT_EQ(e, nullptr) << what << " → " << (e ? e->brand : "");
        } else {
            ASSERT_NE(e, nullptr) << what;
            EXPECT_EQ(e->brand, r.brand) << what;
            EXPECT_EQ(e->building, r.where.building) << what;
        }
    }
    // Without a unit, a number still picks one.
    const auto* first = dir.elevator("east", room("3"), "2");
    ASSERT_NE(first, nullptr);
    EXPECT_EQ(first->brand, "三菱");
}

Ticket ticket(dialogs::Urgency urgency, dialogs::Nature nature, std::string department,
              std::string community = "east") {
    Ticket t;
    t.community = std::move(community);
    t.urgency = urgency;
    t.nature = nature;
    t.department = std::move(department);
    t.room = room("3", "2", "501");
    return t;
}

TEST(Directory, EmergencyDeadlines) {
    const Directory dir(two_communities());
    using dialogs::Nature;
    using dialogs::Urgency;
    const auto now = cst(2026, 11, 28, 23, 30);  // a Saturday night: emergencies do not wait for Monday
    struct Row {
        Nature nature;
        const char* department;
        chr::minutes on_site;
    };
    for (const auto& r : std::vector<Row>{{Nature::facility, "engineering", 15min},
                                          {Nature::order, "order", 5min},
                                          {Nature::service, "butler", 15min},
                                          {Nature::facility, "butler", 15min}}) {
        const auto d = dir.deadlines(ticket(Urgency::emergency, r.nature, r.department), now);
        ASSERT_TRUE(d.on_site_due.has_value()) << r.department;
        EXPECT_EQ(*d.on_site_due, now + r.on_site) << r.department;
        // Claimed within 5 minutes (issue 6), or by the on-site time when that is sooner.
        EXPECT_EQ(d.claim_due, now + std::min<chr::minutes>(5min, r.on_site)) << r.department;
        EXPECT_FALSE(d.plan_due.has_value()) << r.department;
    }
}

TEST(Directory, NormalAndDifficultDeadlines) {
    const Directory dir(two_communities());
    using dialogs::Nature;
    using dialogs::Urgency;
    const auto friday = cst(2026, 11, 27, 10, 0);
    struct Row {
        Urgency urgency;
        Nature nature;
        const char* department;
        Clock::time_point plan;
        const char* what;
    };
    const std::vector<Row> rows = {
        {Urgency::normal, Nature::facility, "engineering", friday + 24h, "engineering: a plan within 24 h"},
        {Urgency::normal, Nature::service, "butler", cst(2026, 12, 1, 10), "2 working days: Tuesday"},
        {Urgency::normal, Nature::order, "order", cst(2026, 12, 1, 10), "order: 2 working days"},
        {Urgency::normal, Nature::fee, "cs", cst(2026, 12, 1, 10), "fee: 2 working days"},
        {Urgency::normal, Nature::facility, "butler", cst(2026, 12, 1, 10), "by department, not nature"},
        {Urgency::difficult, Nature::service, "butler", cst(2026, 12, 4, 10), "difficult: 5 working days"},
        {Urgency::difficult, Nature::facility, "engineering", cst(2026, 12, 4, 10), "difficult engineering"},
    };
    for (const auto& r : rows) {
        const auto d = dir.deadlines(ticket(r.urgency, r.nature, r.department), friday);
        ASSERT_TRUE(d.plan_due.has_value()) << r.what;
        EXPECT_EQ(*d.plan_due, r.plan) << r.what << ": got " << dir.calendar("east").format(*d.plan_due);
        // The department starts within 1 working day: Monday 10:00.
        EXPECT_EQ(d.claim_due, cst(2026, 11, 30, 10)) << r.what;
        EXPECT_FALSE(d.on_site_due.has_value()) << r.what;
    }
}

TEST(Directory, DeadlinesUseTheCommunityCalendarAndTheConfig) {
    using dialogs::Nature;
    using dialogs::Urgency;
    const auto before_holiday = cst(2026, 9, 30, 10, 0);  // Wednesday before National Day
    {
        const Directory dir(two_communities());
        // East has the holiday: nothing from Thursday 1st to Wednesday 7th.
        const auto east = dir.deadlines(ticket(Urgency::normal, Nature::service, "butler"), before_holiday);
        EXPECT_EQ(east.claim_due, cst(2026, 10, 8, 10));
        EXPECT_EQ(east.plan_due, cst(2026, 10, 9, 10));
        // West has no holidays configured.
        const auto west =
            dir.deadlines(ticket(Urgency::normal, Nature::service, "butler", "west"), before_holiday);
        EXPECT_EQ(west.claim_due, cst(2026, 10, 1, 10));
        EXPECT_EQ(west.plan_due, cst(2026, 10, 2, 10));
        // An unknown community falls back to Monday–Friday.
        const auto unknown =
            dir.deadlines(ticket(Urgency::normal, Nature::service, "butler", "north"), before_holiday);
        EXPECT_EQ(unknown.plan_due, cst(2026, 10, 2, 10));
        // A Saturday filing counts from Monday 09:00.
        const auto weekend =
            dir.deadlines(ticket(Urgency::normal, Nature::service, "butler"), cst(2026, 11, 28, 15, 0));
        EXPECT_EQ(weekend.claim_due, cst(2026, 12, 1, 9));
        EXPECT_EQ(weekend.plan_due, cst(2026, 12, 2, 9));
    }
    auto cfg = two_communities();
    cfg.emergency_on_site = 10min;
    cfg.order_immediate_on_site = 3min;
    cfg.normal_plan = Duration{0ms, 3};
    cfg.engineering_plan = Duration{48h, 0};
    cfg.difficult_plan = Duration{0ms, 10};
    cfg.start_within = Duration{2h, 0};
    const Directory dir(cfg);
    const auto friday = cst(2026, 11, 27, 10, 0);
    EXPECT_EQ(dir.deadlines(ticket(Urgency::emergency, Nature::facility, "engineering"), friday).on_site_due,
              friday + 10min);
    EXPECT_EQ(dir.deadlines(ticket(Urgency::emergency, Nature::order, "order"), friday).on_site_due,
              friday + 3min);
    const auto normal = dir.deadlines(ticket(Urgency::normal, Nature::service, "butler"), friday);
    EXPECT_EQ(normal.plan_due, cst(2026, 12, 2, 10));
    EXPECT_EQ(normal.claim_due, friday + 2h);
    EXPECT_EQ(dir.deadlines(ticket(Urgency::normal, Nature::facility, "engineering"), friday).plan_due,
              friday + 48h);
    EXPECT_EQ(dir.deadlines(ticket(Urgency::difficult, Nature::fee, "cs"), friday).plan_due,
              cst(2026, 12, 11, 10));
}

}  // namespace
}  // namespace anju::tickets
