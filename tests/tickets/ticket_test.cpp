// The ticket state machine (bot/tickets/ticket.hpp): decide() along the whole happy path, reopening,
// cancelling, every invalid transition refused with a sentence and the ticket left as it was, the
// permission rules (residents, department staff, assignee, supervisor/pm/cs, system), transfer and
// escalation, the events decide() produces, group-complaint children, and the status helpers.
#include "bot/tickets/ticket.hpp"

#include "bot/tickets/directory.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

namespace anju::tickets {
namespace {

using namespace std::chrono_literals;
using Kind = Action::Kind;
using json = nlohmann::json;

const Clock::time_point kFiled = Clock::time_point{std::chrono::milliseconds{1'790'000'000'000}};

Actor staff(std::string id, std::string name, std::vector<std::string> roles) {
    Actor a;
    a.kind = Actor::Kind::staff;
    a.id = std::move(id);
    a.name = std::move(name);
    a.roles = std::move(roles);
    return a;
}

Actor resident(std::string id = "wechat_mp/demo/o-1") {
    Actor a;
    a.kind = Actor::Kind::resident;
    a.id = std::move(id);
    a.name = "王女士";
    return a;
}

Actor zhang() { return staff("zhanggong", "张工", {"engineering"}); }
Actor li() { return staff("ligong", "李工", {"engineering"}); }
Actor supervisor() { return staff("zhuguan", "刘主管", {"supervisor"}); }
Actor pm() { return staff("jingli", "陈经理", {"pm"}); }
Actor cs() { return staff("kefu", "小周", {"cs"}); }
Actor guard() { return staff("baoan", "赵队", {"order"}); }

// A normal engineering ticket, waiting for a claim, with its deadlines set.
Ticket dispatched() {
    Ticket t;
    t.id = 42;
    t.code = "K7M3QX";
    t.community = "demo";
    t.resident = "wechat_mp/demo/o-1";
    t.resident_name = "王女士";
    t.room = {"3", "2", "501"};
    t.channel = "wechat_mp";
    t.nature = dialogs::Nature::facility;
    t.category = "elevator";
    t.description = "电梯异响";
    t.department = "engineering";
    t.status = Status::dispatched;
    t.created_at = kFiled;
    t.updated_at = kFiled;
    t.claim_due = kFiled + 24h;
    t.plan_due = kFiled + 24h;
    return t;
}

// The same ticket in `status`, handled by 张工 where someone handles it.
Ticket in(Status status) {
    auto t = dispatched();
    t.status = status;
    if (status != Status::dispatched) {
        t.assignee = "zhanggong";
        t.assignee_name = "张工";
        t.first_responder = "zhanggong";
        t.claim_due.reset();
    }
    if (status == Status::resolved) {
        t.confirm_due = kFiled + 72h;
    }
    return t;
}

Action act(Kind kind, std::string text = {}) { return Action{.kind = kind, .text = std::move(text)}; }

// Applies `action` and expects it to be accepted; returns the decision.
Decision accept(const Ticket& t, const Action& action, const Actor& actor, bool department_staff = true,
                Clock::time_point now = kFiled + 1h) {
    auto r = decide(t, action, actor, department_staff, now);
    if (!r) {
        ADD_FAILURE() << to_string(action.kind) << " refused: " << r.error().message;
        return Decision{t, {}};
    }
    return *r;
}

void expect_same_ticket(const Ticket& a, const Ticket& b) {
    EXPECT_EQ(a.status, b.status);
    EXPECT_EQ(a.assignee, b.assignee);
    EXPECT_EQ(a.assignee_name, b.assignee_name);
    EXPECT_EQ(a.first_responder, b.first_responder);
    EXPECT_EQ(a.escalation, b.escalation);
    EXPECT_EQ(a.updated_at, b.updated_at);
    EXPECT_EQ(a.claim_due, b.claim_due);
    EXPECT_EQ(a.on_site_due, b.on_site_due);
    EXPECT_EQ(a.plan_due, b.plan_due);
    EXPECT_EQ(a.confirm_due, b.confirm_due);
    EXPECT_EQ(a.satisfaction, b.satisfaction);
    EXPECT_EQ(a.households, b.households);
    EXPECT_EQ(a.last_progress, b.last_progress);
}

TEST(Decide, WholeHappyPath) {
    auto t = dispatched();
    t.on_site_due = kFiled + 15min;
    auto now = kFiled;

    now += 5min;
    auto d = accept(t, act(Kind::claim), zhang(), true, now);
    EXPECT_EQ(d.ticket.status, Status::claimed);
    EXPECT_EQ(d.ticket.assignee, "zhanggong");
    EXPECT_EQ(d.ticket.assignee_name, "张工");
    EXPECT_EQ(d.ticket.first_responder, "zhanggong");
    EXPECT_FALSE(d.ticket.claim_due.has_value());
    EXPECT_EQ(d.ticket.updated_at, now);
    EXPECT_EQ(d.event.kind, "claim");
    t = d.ticket;

    now += 5min;
    d = accept(t, act(Kind::arrive), zhang(), true, now);
    EXPECT_EQ(d.ticket.status, Status::on_site);
    EXPECT_FALSE(d.ticket.on_site_due.has_value());
    EXPECT_EQ(d.event.kind, "arrive");
    t = d.ticket;

    now += 1h;
    d = accept(t, act(Kind::plan, "明天上午更换导靴"), zhang(), true, now);
    EXPECT_EQ(d.ticket.status, Status::planned);
    EXPECT_FALSE(d.ticket.plan_due.has_value());
    EXPECT_EQ(d.ticket.last_progress, "明天上午更换导靴");
    EXPECT_EQ(d.event.kind, "plan");
    EXPECT_EQ(d.event.text, "明天上午更换导靴");
    t = d.ticket;

    now += 20h;
    d = accept(t, act(Kind::progress, "配件已到，开始更换"), zhang(), true, now);
    EXPECT_EQ(d.ticket.status, Status::in_progress);
    EXPECT_EQ(d.ticket.last_progress, "配件已到，开始更换");
    EXPECT_EQ(d.event.kind, "progress");
    t = d.ticket;

    now += 2h;
    d = accept(t, act(Kind::resolve, "已更换导靴，运行正常"), zhang(), true, now);
    EXPECT_EQ(d.ticket.status, Status::resolved);
    EXPECT_EQ(d.ticket.last_progress, "已更换导靴，运行正常");
    EXPECT_EQ(d.event.kind, "resolve");
    t = d.ticket;
    t.confirm_due = now + 72h;  // the service sets it

    now += 3h;
    d = accept(t, act(Kind::confirm), resident(), false, now);
    EXPECT_EQ(d.ticket.status, Status::confirmed);
    EXPECT_FALSE(d.ticket.confirm_due.has_value());
    EXPECT_FALSE(d.ticket.auto_closed);
    EXPECT_EQ(d.event.kind, "confirm");
    t = d.ticket;

    now += 1min;
    d = accept(t, Action{.kind = Kind::rate, .satisfaction = Satisfaction::satisfied, .score = 5}, resident(),
               false, now);
    EXPECT_EQ(d.ticket.status, Status::closed);
    EXPECT_EQ(d.ticket.satisfaction, Satisfaction::satisfied);
    EXPECT_EQ(d.ticket.score, 5);
    EXPECT_FALSE(d.ticket.key_review);
    EXPECT_EQ(d.event.kind, "rate");
    const auto data = json::parse(d.event.data);
    EXPECT_EQ(data.at("satisfaction").get<std::string>(), "satisfied");
    EXPECT_EQ(data.at("score").get<int>(), 5);

    // Handled from start to end by the first responder.
    EXPECT_EQ(d.ticket.first_responder, "zhanggong");
    EXPECT_EQ(d.ticket.assignee, "zhanggong");
    EXPECT_EQ(d.ticket.updated_at, now);
}

TEST(Decide, ResolveResetsTheRemainingDeadlinesAndKeepsTheLastProgressWithoutText) {
    auto t = in(Status::claimed);
    t.on_site_due = kFiled + 15min;
    t.last_progress = "已联系业主";
    const auto d = accept(t, act(Kind::resolve), zhang());
    EXPECT_EQ(d.ticket.status, Status::resolved);
    EXPECT_FALSE(d.ticket.on_site_due.has_value());
    EXPECT_FALSE(d.ticket.plan_due.has_value());
    EXPECT_EQ(d.ticket.last_progress, "已联系业主");
}

TEST(Decide, UnsatisfiedRatingBecomesAKeyReviewItem) {
    const auto d = accept(in(Status::confirmed),
                          Action{.kind = Kind::rate, .satisfaction = Satisfaction::unsatisfied, .score = 1},
                          resident(), false);
    EXPECT_EQ(d.ticket.status, Status::closed);
    EXPECT_EQ(d.ticket.satisfaction, Satisfaction::unsatisfied);
    EXPECT_EQ(d.ticket.score, 1);
    EXPECT_TRUE(d.ticket.key_review);

    const auto basically =
        accept(in(Status::confirmed), Action{.kind = Kind::rate, .satisfaction = Satisfaction::basically},
               resident(), false);
    EXPECT_FALSE(basically.ticket.key_review);
    EXPECT_EQ(basically.ticket.satisfaction, Satisfaction::basically);
}

TEST(Decide, ReopenGoesBackToInProgressWithTheSameHandler) {
    for (const auto from : {Status::resolved, Status::confirmed}) {
        const auto d = accept(in(from), act(Kind::reopen, "还是有异响"), resident(), false);
        EXPECT_EQ(d.ticket.status, Status::in_progress) << to_string(from);
        EXPECT_EQ(d.ticket.assignee, "zhanggong");
        EXPECT_FALSE(d.ticket.confirm_due.has_value());
        EXPECT_EQ(d.event.kind, "reopen");
        EXPECT_EQ(d.event.text, "还是有异响");

        // The handler can work on it again.
        const auto again = accept(d.ticket, act(Kind::resolve, "重新调整"), zhang());
        EXPECT_EQ(again.ticket.status, Status::resolved);
    }
}

TEST(Decide, AutomaticConfirmationAndClosing) {
    auto d = accept(in(Status::resolved), Action{.kind = Kind::confirm, .automatic = true}, Actor::system(),
                    false);
    EXPECT_EQ(d.ticket.status, Status::confirmed);
    EXPECT_TRUE(d.ticket.auto_closed);
    EXPECT_EQ(d.event.actor, "system");

    d = accept(d.ticket, Action{.kind = Kind::close, .automatic = true}, Actor::system(), false);
    EXPECT_EQ(d.ticket.status, Status::closed);
    EXPECT_TRUE(d.ticket.auto_closed);

    // A resident's own confirmation is not automatic.
    d = accept(in(Status::resolved), act(Kind::confirm), resident(), false);
    EXPECT_FALSE(d.ticket.auto_closed);
    d = accept(d.ticket, act(Kind::close), Actor::system(), false);
    EXPECT_FALSE(d.ticket.auto_closed);
}

TEST(Decide, ManagersMayConfirmAndCloseForTheResident) {
    for (const auto& manager : {cs(), supervisor(), pm()}) {
        const auto confirmed = accept(in(Status::resolved), act(Kind::confirm), manager, false);
        EXPECT_EQ(confirmed.ticket.status, Status::confirmed) << manager.id;
        // Staff may close a resolved ticket directly (the resident confirmed by phone).
        const auto closed = accept(in(Status::resolved), act(Kind::close), manager, false);
        EXPECT_EQ(closed.ticket.status, Status::closed) << manager.id;
    }
}

TEST(Decide, CancelEndsAnOpenTicketAndItsDeadlines) {
    struct Case {
        Status from;
        Actor actor;
    };
    const std::vector<Case> cases = {
        {Status::dispatched, resident()}, {Status::claimed, resident()},       {Status::on_site, resident()},
        {Status::planned, cs()},          {Status::in_progress, supervisor()}, {Status::dispatched, pm()},
    };
    for (const auto& c : cases) {
        auto t = in(c.from);
        t.on_site_due = kFiled + 15min;
        t.claim_due = kFiled + 24h;
        const auto d = accept(t, act(Kind::cancel, "已自行解决"), c.actor, false);
        EXPECT_EQ(d.ticket.status, Status::cancelled) << to_string(c.from) << " " << c.actor.id;
        EXPECT_FALSE(d.ticket.claim_due.has_value());
        EXPECT_FALSE(d.ticket.on_site_due.has_value());
        EXPECT_FALSE(d.ticket.plan_due.has_value());
        EXPECT_EQ(d.event.kind, "cancel");
        EXPECT_EQ(d.event.text, "已自行解决");
    }
}

struct Invalid {
    const char* name;
    Ticket ticket;
    Action action;
    Actor actor;
    bool department_staff;
    std::vector<std::string> mentions;  // the refusal contains each
};

std::vector<Invalid> invalid_cases() {
    auto escalated = in(Status::in_progress);
    escalated.escalation = 2;
    return {
        // State rules.
        {"resolve before claim", dispatched(), act(Kind::resolve, "好了"), zhang(), true, {"接单", "K7M3QX"}},
        {"arrive before claim", dispatched(), act(Kind::arrive), zhang(), true, {"接单"}},
        {"plan before claim", dispatched(), act(Kind::plan, "换件"), zhang(), true, {"接单"}},
        {"progress before claim", dispatched(), act(Kind::progress, "在修"), zhang(), true, {"接单"}},
        {"second claim", in(Status::claimed), act(Kind::claim), li(), true, {"张工", "K7M3QX"}},
        {"claim while on site", in(Status::on_site), act(Kind::claim), li(), true, {"张工"}},
        {"claim by the assignee again", in(Status::in_progress), act(Kind::claim), zhang(), true, {"张工"}},
        {"claim a resolved ticket", in(Status::resolved), act(Kind::claim), li(), true, {"不能接单"}},
        {"claim a closed ticket", in(Status::closed), act(Kind::claim), li(), true, {"已办结"}},
        {"claim a cancelled ticket", in(Status::cancelled), act(Kind::claim), li(), true, {"已取消"}},
        {"plan without text", in(Status::on_site), act(Kind::plan), zhang(), true, {"方案", "K7M3QX"}},
        {"progress without text", in(Status::planned), act(Kind::progress), zhang(), true, {"进展"}},
        {"arrive after resolve", in(Status::resolved), act(Kind::arrive), zhang(), true, {"不能再更新"}},
        {"progress on a closed ticket",
         in(Status::closed),
         act(Kind::progress, "x"),
         zhang(),
         true,
         {"已办结"}},
        {"resolve twice", in(Status::resolved), act(Kind::resolve), zhang(), true, {"不能再更新"}},
        {"rate before confirm", in(Status::resolved), act(Kind::rate), resident(), false, {"评价"}},
        {"rate while in progress", in(Status::in_progress), act(Kind::rate), resident(), false, {"评价"}},
        {"rate twice", in(Status::closed), act(Kind::rate), resident(), false, {"评价"}},
        {"confirm before resolve", in(Status::in_progress), act(Kind::confirm), resident(), false, {"确认"}},
        {"confirm twice", in(Status::confirmed), act(Kind::confirm), resident(), false, {"确认"}},
        {"reopen while in progress",
         in(Status::in_progress),
         act(Kind::reopen),
         resident(),
         false,
         {"重新打开"}},
        {"reopen a closed ticket", in(Status::closed), act(Kind::reopen), resident(), false, {"重新打开"}},
        {"close while in progress", in(Status::in_progress), act(Kind::close), cs(), false, {"不能办结"}},
        {"system closes unconfirmed",
         in(Status::resolved),
         act(Kind::close),
         Actor::system(),
         false,
         {"办结"}},
        {"cancel after resolve", in(Status::resolved), act(Kind::cancel), resident(), false, {"不能撤销"}},
        {"cancel a closed ticket", in(Status::closed), act(Kind::cancel), cs(), false, {"不能撤销"}},
        {"cancel twice", in(Status::cancelled), act(Kind::cancel), resident(), false, {"不能撤销"}},
        {"transfer a resolved ticket",
         in(Status::resolved),
         Action{.kind = Kind::transfer, .target = "ligong", .target_name = "李工"},
         zhang(),
         true,
         {"不能转派"}},
        {"transfer without target", in(Status::claimed), act(Kind::transfer), zhang(), true, {"转派给谁"}},
        {"transfer to the assignee",
         in(Status::claimed),
         Action{.kind = Kind::transfer, .target = "zhanggong", .target_name = "张工"},
         cs(),
         true,
         {"张工"}},
        {"escalate a closed ticket",
         in(Status::closed),
         act(Kind::escalate),
         supervisor(),
         true,
         {"不能升级"}},
        {"escalate past the project manager",
         escalated,
         act(Kind::escalate),
         Actor::system(),
         false,
         {"项目经理"}},
        {"attach to a closed ticket",
         in(Status::closed),
         act(Kind::attach, "又坏了"),
         Actor::system(),
         false,
         {"不能再补充"}},
        {"attach to a cancelled ticket",
         in(Status::cancelled),
         act(Kind::attach),
         resident(),
         false,
         {"不能再补充"}},
        // Permissions.
        {"resident claims", dispatched(), act(Kind::claim), resident(), false, {"工作人员"}},
        {"system claims", dispatched(), act(Kind::claim), Actor::system(), true, {"工作人员"}},
        {"other department claims", dispatched(), act(Kind::claim), guard(), false, {"没有接单权限"}},
        {"resident updates", in(Status::claimed), act(Kind::progress, "x"), resident(), false, {"工作人员"}},
        {"colleague updates", in(Status::claimed), act(Kind::arrive), li(), true, {"张工"}},
        {"colleague resolves", in(Status::in_progress), act(Kind::resolve, "好了"), li(), true, {"张工"}},
        {"resident transfers",
         in(Status::claimed),
         Action{.kind = Kind::transfer, .target = "ligong", .target_name = "李工"},
         resident(),
         false,
         {"工作人员"}},
        {"colleague transfers",
         in(Status::claimed),
         Action{.kind = Kind::transfer, .target = "ligong", .target_name = "李工"},
         li(),
         true,
         {"当前处理人或主管"}},
        {"outsider transfers a dispatched ticket",
         dispatched(),
         Action{.kind = Kind::transfer, .target = "ligong", .target_name = "李工"},
         guard(),
         false,
         {"当前处理人或主管"}},
        {"resident escalates", in(Status::claimed), act(Kind::escalate), resident(), false, {"工作人员"}},
        {"engineer confirms", in(Status::resolved), act(Kind::confirm), zhang(), true, {"业主"}},
        {"engineer reopens", in(Status::resolved), act(Kind::reopen), zhang(), true, {"业主"}},
        {"system reopens", in(Status::resolved), act(Kind::reopen), Actor::system(), false, {"业主"}},
        {"staff rates", in(Status::confirmed), act(Kind::rate), cs(), true, {"只有业主可以评价"}},
        {"system rates", in(Status::confirmed), act(Kind::rate), Actor::system(), false, {"业主"}},
        {"engineer closes", in(Status::confirmed), act(Kind::close), zhang(), true, {"客服"}},
        {"resident closes", in(Status::confirmed), act(Kind::close), resident(), false, {"客服"}},
        {"engineer cancels", in(Status::claimed), act(Kind::cancel), zhang(), true, {"撤销"}},
        {"system cancels", in(Status::claimed), act(Kind::cancel), Actor::system(), false, {"撤销"}},
    };
}

TEST(Decide, RefusesEveryInvalidTransitionAndLeavesTheTicketAlone) {
    for (const auto& c : invalid_cases()) {
        const auto before = c.ticket;
        const auto r = decide(c.ticket, c.action, c.actor, c.department_staff, kFiled + 2h);
        ASSERT_FALSE(r.has_value()) << c.name << ": accepted, status "
                                    << to_string(r ? r->ticket.status : c.ticket.status);
        const auto& message = r.error().message;
        EXPECT_FALSE(message.empty()) << c.name;
        for (const auto& m : c.mentions) {
            EXPECT_NE(message.find(m), std::string::npos) << c.name << ": \"" << message << "\" lacks " << m;
        }
        expect_same_ticket(c.ticket, before);
    }
}

TEST(Decide, DepartmentStaffClaim) {
    // Whoever the caller says belongs to (or covers) the department may claim.
    for (const auto& who : {zhang(), supervisor(), pm(), cs()}) {
        const auto d = accept(dispatched(), act(Kind::claim), who, true);
        EXPECT_EQ(d.ticket.status, Status::claimed) << who.id;
        EXPECT_EQ(d.ticket.assignee, who.id);
        EXPECT_EQ(d.ticket.first_responder, who.id);
    }
}

TEST(Decide, AFormerFirstResponderStaysAccountableAfterAReclaim) {
    // A ticket that went back to dispatched keeps its first responder on the next claim.
    auto t = dispatched();
    t.first_responder = "kefu";
    const auto d = accept(t, act(Kind::claim), zhang());
    EXPECT_EQ(d.ticket.first_responder, "kefu");
    EXPECT_EQ(d.ticket.assignee, "zhanggong");
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

// Claim permission as the ticket service computes it: department_staff = Directory::covers().
TEST(Decide, OnlyTheDepartmentOrSupervisorPmCsMayClaim) {
    config::TicketsConfig cfg;
    config::CommunityConfig c;
    c.id = "demo";
    c.staff = {
        person("zhanggong", "张工", {"engineering"}),
        person("baoan", "赵队", {"order"}),
        person("guanjia3", "孙管家", {"butler"}, {"3"}),
        person("zhuguan3", "刘主管", {"supervisor"}, {"3"}),
        person("zhuguan5", "吴主管", {"supervisor"}, {"5"}),
        person("jingli", "陈经理", {"pm"}),
        person("kefu", "小周", {"cs"}),
        person("pinzhi", "郑品质", {"quality"}),
    };
    cfg.communities.push_back(c);
    const Directory dir(cfg);
    const auto ticket = dispatched();  // engineering, building 3
    const std::vector<std::pair<std::string, bool>> expected = {
        {"zhanggong", true}, {"baoan", false}, {"guanjia3", false}, {"zhuguan3", true},
        {"zhuguan5", false}, {"jingli", true}, {"kefu", true},      {"pinzhi", false},
    };
    for (const auto& [userid, allowed] : expected) {
        const auto* s = dir.staff(userid);
        ASSERT_NE(s, nullptr) << userid;
        const auto r = decide(ticket, act(Kind::claim), dir.actor(*s),
                              dir.covers(*s, ticket.department, ticket.room.building), kFiled);
        EXPECT_EQ(r.has_value(), allowed) << userid;
        if (r) {
            EXPECT_EQ(r->ticket.assignee, userid);
        } else {
            EXPECT_NE(r.error().message.find("接单权限"), std::string::npos) << r.error().message;
        }
    }
}

TEST(Decide, OnlyTheAssigneeOrAManagerUpdates) {
    const std::vector<std::pair<Actor, bool>> who = {
        {zhang(), true}, {supervisor(), true}, {pm(), true}, {cs(), true}, {li(), false}, {guard(), false},
    };
    for (const auto kind : {Kind::arrive, Kind::plan, Kind::progress, Kind::resolve}) {
        for (const auto& [actor, allowed] : who) {
            // department_staff does not make a colleague the handler.
            const auto r = decide(in(Status::claimed), act(kind, "处理中"), actor, true, kFiled);
            EXPECT_EQ(r.has_value(), allowed) << to_string(kind) << " by " << actor.id;
            if (r) {
                // A manager's update leaves the assignee alone.
                EXPECT_EQ(r->ticket.assignee, "zhanggong");
            }
        }
    }
}

TEST(Decide, TransferChangesTheAssigneeAndKeepsTheFirstResponder) {
    for (const auto& by : {zhang(), supervisor(), cs()}) {
        const auto d =
            accept(in(Status::in_progress),
                   Action{.kind = Kind::transfer, .target = "ligong", .target_name = "李工"}, by, false);
        EXPECT_EQ(d.ticket.assignee, "ligong") << by.id;
        EXPECT_EQ(d.ticket.assignee_name, "李工");
        EXPECT_EQ(d.ticket.first_responder, "zhanggong");
        EXPECT_EQ(d.ticket.status, Status::in_progress);
        EXPECT_EQ(d.event.kind, "transfer");
        const auto data = json::parse(d.event.data);
        EXPECT_EQ(data.at("from").get<std::string>(), "zhanggong");
        EXPECT_EQ(data.at("from_name").get<std::string>(), "张工");
        EXPECT_EQ(data.at("to").get<std::string>(), "ligong");
        EXPECT_EQ(data.at("to_name").get<std::string>(), "李工");

        // The new assignee handles it now; the old one no longer can.
        EXPECT_TRUE(decide(d.ticket, act(Kind::resolve), li(), true, kFiled).has_value());
        EXPECT_FALSE(decide(d.ticket, act(Kind::resolve), zhang(), true, kFiled).has_value());
    }
}

TEST(Decide, DepartmentStaffMayHandADispatchedTicketToAColleague) {
    const auto d =
        accept(dispatched(), Action{.kind = Kind::transfer, .target = "ligong", .target_name = "李工"},
               zhang(), true);
    EXPECT_EQ(d.ticket.status, Status::claimed);
    EXPECT_EQ(d.ticket.assignee, "ligong");
    // Whoever passed it on took the complaint first.
    EXPECT_EQ(d.ticket.first_responder, "zhanggong");
}

// A dispatched ticket that is transferred becomes claimed, so its claim deadline no longer applies
// (as with a claim); otherwise it would look overdue for a claim once the deadline passed.
TEST(Decide, TransferOfADispatchedTicketClearsTheClaimDeadline) {
    const auto d =
        accept(dispatched(), Action{.kind = Kind::transfer, .target = "ligong", .target_name = "李工"},
               zhang(), true);
    EXPECT_EQ(d.ticket.status, Status::claimed);
    EXPECT_FALSE(d.ticket.claim_due.has_value());
}

TEST(Decide, EscalatesToSupervisorThenProjectManagerThenRefuses) {
    auto t = in(Status::in_progress);
    auto d = accept(t, act(Kind::escalate, "超时未处理"), Actor::system(), false);
    EXPECT_EQ(d.ticket.escalation, 1);
    EXPECT_EQ(json::parse(d.event.data).at("level").get<int>(), 1);
    EXPECT_EQ(d.event.kind, "escalate");
    EXPECT_EQ(d.event.text, "超时未处理");
    EXPECT_EQ(d.ticket.status, Status::in_progress);

    d = accept(d.ticket, act(Kind::escalate, "仍未处理"), supervisor(), true);
    EXPECT_EQ(d.ticket.escalation, 2);
    EXPECT_EQ(json::parse(d.event.data).at("level").get<int>(), 2);

    const auto r = decide(d.ticket, act(Kind::escalate), Actor::system(), false, kFiled);
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message.find("项目经理"), std::string::npos) << r.error().message;

    // A resolved ticket waiting for the resident can still be escalated; a dispatched one too.
    EXPECT_TRUE(decide(in(Status::resolved), act(Kind::escalate), zhang(), true, kFiled).has_value());
    EXPECT_TRUE(decide(dispatched(), act(Kind::escalate), Actor::system(), false, kFiled).has_value());
}

TEST(Decide, AttachAddsHouseholds) {
    auto t = in(Status::in_progress);
    t.group = true;
    t.households = 20;
    auto d = accept(t, Action{.kind = Kind::attach, .text = "我家也是", .score = 1}, Actor::system(), false);
    EXPECT_EQ(d.ticket.households, 21);
    EXPECT_EQ(d.ticket.status, Status::in_progress);
    EXPECT_EQ(d.event.kind, "attach");
    // A duplicate report from the same household adds nothing.
    d = accept(d.ticket, act(Kind::attach, "还没修好"), Actor::system(), false);
    EXPECT_EQ(d.ticket.households, 21);
    // Resolved tickets still take additions.
    EXPECT_TRUE(decide(in(Status::resolved), act(Kind::attach), resident(), false, kFiled).has_value());
}

TEST(Decide, EventsCarryTheActor) {
    const auto now = kFiled + 7min;
    auto d = accept(dispatched(), act(Kind::claim, "马上到"), zhang(), true, now);
    EXPECT_EQ(d.event.actor, "staff:zhanggong");
    EXPECT_EQ(d.event.actor_name, "张工");
    EXPECT_EQ(d.event.kind, "claim");
    EXPECT_EQ(d.event.text, "马上到");
    EXPECT_EQ(d.event.at, now);
    EXPECT_EQ(d.event.id, 0);

    d = accept(in(Status::resolved), act(Kind::reopen, "还在响"), resident(), false, now);
    EXPECT_EQ(d.event.actor, "resident:wechat_mp/demo/o-1");
    EXPECT_EQ(d.event.actor_name, "王女士");
    EXPECT_EQ(d.event.kind, "reopen");
    EXPECT_EQ(d.event.text, "还在响");

    d = accept(in(Status::resolved), Action{.kind = Kind::confirm, .automatic = true}, Actor::system(), false,
               now);
    EXPECT_EQ(d.event.actor, "system");
    EXPECT_EQ(d.event.kind, "confirm");

    // Someone without a name is shown by id, as actor and as assignee.
    auto nameless = zhang();
    nameless.name.clear();
    d = accept(dispatched(), act(Kind::claim), nameless, true, now);
    EXPECT_EQ(d.event.actor_name, "zhanggong");
    EXPECT_EQ(d.ticket.assignee_name, "zhanggong");
}

TEST(Decide, EventKindsAreTheActionNames) {
    const std::vector<std::pair<Kind, std::string>> names = {
        {Kind::claim, "claim"},       {Kind::arrive, "arrive"},   {Kind::plan, "plan"},
        {Kind::progress, "progress"}, {Kind::resolve, "resolve"}, {Kind::transfer, "transfer"},
        {Kind::escalate, "escalate"}, {Kind::confirm, "confirm"}, {Kind::reopen, "reopen"},
        {Kind::rate, "rate"},         {Kind::close, "close"},     {Kind::cancel, "cancel"},
        {Kind::attach, "attach"},
    };
    for (const auto& [kind, name] : names) {
        EXPECT_EQ(to_string(kind), name);
    }
}

TEST(Decide, AChildOfAGroupComplaintRefusesStaffActions) {
    auto child = in(Status::claimed);
    child.parent_id = 7;
    auto waiting = dispatched();
    waiting.parent_id = 7;
    const std::vector<std::pair<Ticket, Action>> staff_actions = {
        {waiting, act(Kind::claim)},
        {child, act(Kind::arrive)},
        {child, act(Kind::plan, "方案")},
        {child, act(Kind::progress, "进展")},
        {child, act(Kind::resolve, "完成")},
        {child, Action{.kind = Kind::transfer, .target = "ligong", .target_name = "李工"}},
        {child, act(Kind::escalate)},
        {child, act(Kind::cancel)},
    };
    for (const auto& who : {zhang(), pm(), cs()}) {
        for (const auto& [t, action] : staff_actions) {
            const auto r = decide(t, action, who, true, kFiled);
            ASSERT_FALSE(r.has_value()) << to_string(action.kind) << " by " << who.id;
            EXPECT_NE(r.error().message.find("群体投诉"), std::string::npos) << r.error().message;
        }
    }
    // More from the household is still taken, and the resident still answers for their own home.
    EXPECT_TRUE(decide(child, act(Kind::attach, "补充"), zhang(), true, kFiled).has_value());
    auto resolved_child = in(Status::resolved);
    resolved_child.parent_id = 7;
    EXPECT_TRUE(decide(resolved_child, act(Kind::confirm), resident(), false, kFiled).has_value());
    EXPECT_TRUE(decide(resolved_child, act(Kind::confirm), Actor::system(), false, kFiled).has_value());
}

TEST(Status, NamesLabelsAndGroups) {
    struct Row {
        Status status;
        const char* name;
        bool open;
        bool active;
    };
    const std::vector<Row> rows = {
        {Status::dispatched, "dispatched", true, true},   {Status::claimed, "claimed", true, true},
        {Status::on_site, "on_site", true, true},         {Status::planned, "planned", true, true},
        {Status::in_progress, "in_progress", true, true}, {Status::resolved, "resolved", false, true},
        {Status::confirmed, "confirmed", false, false},   {Status::closed, "closed", false, false},
        {Status::cancelled, "cancelled", false, false},
    };
    std::vector<std::string> labels;
    for (const auto& r : rows) {
        EXPECT_EQ(to_string(r.status), r.name);
        EXPECT_EQ(parse_status(r.name), r.status);
        EXPECT_EQ(is_open(r.status), r.open) << r.name;
        EXPECT_EQ(is_active(r.status), r.active) << r.name;
        EXPECT_FALSE(label(r.status).empty()) << r.name;
        labels.emplace_back(label(r.status));
    }
    std::sort(labels.begin(), labels.end());
    EXPECT_EQ(std::unique(labels.begin(), labels.end()), labels.end()) << "labels must differ";
    EXPECT_EQ(label(Status::dispatched), "待接单");
    EXPECT_EQ(parse_status("Dispatched"), std::nullopt);
    EXPECT_EQ(parse_status(""), std::nullopt);
    EXPECT_EQ(parse_status("active"), std::nullopt);
}

TEST(Satisfaction, NamesAndLabels) {
    for (const auto s :
         {Satisfaction::none, Satisfaction::satisfied, Satisfaction::basically, Satisfaction::unsatisfied}) {
        EXPECT_EQ(parse_satisfaction(to_string(s)), s);
    }
    EXPECT_EQ(label(Satisfaction::satisfied), "满意");
    EXPECT_EQ(label(Satisfaction::basically), "基本满意");
    EXPECT_EQ(label(Satisfaction::unsatisfied), "不满意");
    EXPECT_EQ(parse_satisfaction("满意"), std::nullopt);
}

TEST(Actor, RefsAndRoles) {
    EXPECT_EQ(actor_ref(zhang()), "staff:zhanggong");
    EXPECT_EQ(actor_ref(resident("wechat_mp/demo/o-9")), "resident:wechat_mp/demo/o-9");
    EXPECT_EQ(actor_ref(Actor::system()), "system");
    EXPECT_TRUE(supervisor().has_role("supervisor"));
    EXPECT_FALSE(supervisor().has_role("super"));
    EXPECT_FALSE(Actor::system().has_role("cs"));
}

}  // namespace
}  // namespace anju::tickets
