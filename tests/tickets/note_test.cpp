// The internal note (Action::Kind::note, written from the console): any member of staff may add one
// to any ticket in any state, group-complaint children included; it becomes an event of kind "note"
// and changes nothing else on the ticket. Residents and the system cannot write notes; an empty note
// is refused with a sentence.
#include "bot/tickets/ticket.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace anju::tickets {
namespace {

using namespace std::chrono_literals;

const Clock::time_point kFiled = Clock::time_point{std::chrono::milliseconds{1'790'000'000'000}};

Actor staff(std::string id, std::string name, std::vector<std::string> roles) {
    Actor a;
    a.kind = Actor::Kind::staff;
    a.id = std::move(id);
    a.name = std::move(name);
    a.roles = std::move(roles);
    return a;
}

Ticket ticket_in(Status status) {
    Ticket t;
    t.id = 42;
    t.code = "K7M3QX";
    t.community = "demo";
    t.room = {"3", "2", "501"};
    t.category = "elevator";
    t.department = "engineering";
    t.status = status;
    t.created_at = kFiled;
    t.updated_at = kFiled + 1h;
    t.claim_due = kFiled + 24h;
    t.plan_due = kFiled + 24h;
    t.assignee = status == Status::dispatched ? "" : "zhanggong";
    t.assignee_name = status == Status::dispatched ? "" : "张工";
    t.escalation = 1;
    t.last_progress = "等配件";
    return t;
}

Action note(std::string text) { return Action{.kind = Action::Kind::note, .text = std::move(text)}; }

// Everything decide() could touch, so "nothing else changed" is checked field by field.
void expect_unchanged(const Ticket& before, const Ticket& after) {
    EXPECT_EQ(after.status, before.status);
    EXPECT_EQ(after.assignee, before.assignee);
    EXPECT_EQ(after.assignee_name, before.assignee_name);
    EXPECT_EQ(after.first_responder, before.first_responder);
    EXPECT_EQ(after.updated_at, before.updated_at);
    EXPECT_EQ(after.claim_due, before.claim_due);
    EXPECT_EQ(after.on_site_due, before.on_site_due);
    EXPECT_EQ(after.plan_due, before.plan_due);
    EXPECT_EQ(after.confirm_due, before.confirm_due);
    EXPECT_EQ(after.escalation, before.escalation);
    EXPECT_EQ(after.satisfaction, before.satisfaction);
    EXPECT_EQ(after.households, before.households);
    EXPECT_EQ(after.last_progress, before.last_progress);
}

TEST(Note, AnyStaffMayAddOneInEveryStatusAndNothingElseChanges) {
    const auto now = kFiled + 3h;
    // Someone outside the department (quality), without department rights, on every status.
    const auto quality = staff("qianpinzhi", "钱品质", {"quality"});
    for (const auto status :
         {Status::dispatched, Status::claimed, Status::on_site, Status::planned, Status::in_progress,
          Status::resolved, Status::confirmed, Status::closed, Status::cancelled}) {
        SCOPED_TRACE(std::string(to_string(status)));
        const auto before = ticket_in(status);
        const auto d = decide(before, note("已电话联系业主，约明早九点上门"), quality, false, now);
        ASSERT_TRUE(d.has_value()) << d.error().message;
        expect_unchanged(before, d->ticket);
        EXPECT_EQ(d->event.kind, "note");
        EXPECT_EQ(d->event.text, "已电话联系业主，约明早九点上门");
        EXPECT_EQ(d->event.actor, "staff:qianpinzhi");
        EXPECT_EQ(d->event.actor_name, "钱品质");
        EXPECT_EQ(d->event.at, now);
        EXPECT_EQ(d->event.data, "");
    }
}

TEST(Note, AChildOfAGroupComplaintTakesNotes) {
    auto child = ticket_in(Status::claimed);
    child.parent_id = 7;
    const auto d = decide(child, note("同楼栋已合并"), staff("zhaozhuguan", "赵主管", {"supervisor"}), true,
                          kFiled + 1h);
    ASSERT_TRUE(d.has_value()) << d.error().message;
    expect_unchanged(child, d->ticket);
    EXPECT_EQ(d->ticket.parent_id, 7);
}

TEST(Note, ResidentsTheSystemAndEmptyNotesAreRefused) {
    const auto t = ticket_in(Status::claimed);
    Actor resident;
    resident.kind = Actor::Kind::resident;
    resident.id = "wechat_mp/demo/o-1";
    auto d = decide(t, note("我想加个备注"), resident, false, kFiled);
    ASSERT_FALSE(d.has_value());
    EXPECT_EQ(d.error().message, "只有工作人员可以添加备注");
    d = decide(t, note("系统备注"), Actor::system(), false, kFiled);
    ASSERT_FALSE(d.has_value());
    EXPECT_EQ(d.error().message, "只有工作人员可以添加备注");
    d = decide(t, note(""), staff("zhanggong", "张工", {"engineering"}), true, kFiled);
    ASSERT_FALSE(d.has_value());
    EXPECT_EQ(d.error().message, "请写上备注内容");
}

TEST(Note, TheKindRoundTripsThroughItsName) {
    EXPECT_EQ(to_string(Action::Kind::note), "note");
    EXPECT_EQ(parse_action_kind("note"), Action::Kind::note);
    EXPECT_EQ(parse_action_kind("attach"), Action::Kind::attach);
}

}  // namespace
}  // namespace anju::tickets
