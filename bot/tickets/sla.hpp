// SLA rules (DOMAIN.md, issue 6), pure: the milestones a ticket must meet and when to warn about
// them, which action meets which milestone, and the escalation ladder after a breach.
#pragma once

#include "bot/core/clock.hpp"
#include "bot/tickets/calendar.hpp"
#include "bot/tickets/ticket.hpp"
#include "config/config.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace anju::tickets {

// Milestone names, as stored.
inline constexpr std::string_view kClaim = "claim";
inline constexpr std::string_view kOnSite = "on_site";
inline constexpr std::string_view kPlan = "plan";

struct PlannedMilestone {
    std::string name;
    Clock::time_point due{};
    std::optional<Clock::time_point> warn_at;  // the pre-breach warning, when there is one
};

// The milestones of a ticket filed at `start`, from its deadlines (claim_due, on_site_due,
// plan_due), with a warning at `warn_percent` % of each one's time (none when 0, or when that
// moment is not before the deadline).
std::vector<PlannedMilestone> plan_milestones(const Ticket& ticket, Clock::time_point start,
                                              int warn_percent);

// The milestones an accepted action meets: a claim meets "claim"; arriving meets "on_site"; a plan
// meets "plan"; a resolution meets whatever of "claim", "on_site" and "plan" is still open.
std::vector<std::string_view> milestones_met_by(Action::Kind kind);

// "接单", "到场", "方案", "每日进展" (progress:<date>), "整改回复" (rectification:<n>).
std::string milestone_label(std::string_view name);

// One rung of the ladder after a breach.
struct LadderStep {
    int level = 0;  // 1 area supervisor, 2 project manager
    Clock::time_point at{};
};

// The ladder for a breach at `breach` of a ticket with `urgency`. An unclaimed emergency pages the
// supervisor at once (`unclaimed_emergency`).
std::vector<LadderStep> escalation_ladder(const config::TicketsConfig& config, const Calendar& calendar,
                                          dialogs::Urgency urgency, Clock::time_point breach,
                                          bool unclaimed_emergency);

}  // namespace anju::tickets
