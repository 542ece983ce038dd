#include "bot/tickets/sla.hpp"

namespace anju::tickets {

std::vector<PlannedMilestone> plan_milestones(const Ticket& ticket, Clock::time_point start,
                                              int warn_percent) {
    std::vector<PlannedMilestone> out;
    const auto add = [&](std::string_view name, const std::optional<Clock::time_point>& due) {
        if (!due) {
            return;
        }
        PlannedMilestone m;
        m.name = std::string(name);
        m.due = *due;
        if (warn_percent > 0 && *due > start) {
            const auto warn = start + (*due - start) * warn_percent / 100;
            if (warn > start && warn < *due) {
                m.warn_at = warn;
            }
        }
        out.push_back(std::move(m));
    };
    add(kClaim, ticket.claim_due);
    add(kOnSite, ticket.on_site_due);
    add(kPlan, ticket.plan_due);
    return out;
}

std::vector<std::string_view> milestones_met_by(Action::Kind kind) {
    switch (kind) {
        case Action::Kind::claim:
            return {kClaim};
        case Action::Kind::arrive:
            return {kClaim, kOnSite};
        case Action::Kind::plan:
            return {kClaim, kPlan};
        case Action::Kind::resolve:
            return {kClaim, kOnSite, kPlan};
        default:
            return {};
    }
}

std::string milestone_label(std::string_view name) {
    if (name == kClaim) {
        return "接单";
    }
    if (name == kOnSite) {
        return "到场";
    }
    if (name == kPlan) {
        return "方案";
    }
    if (name.starts_with("progress:")) {
        return "每日进展";
    }
    if (name.starts_with("rectification:")) {
        return "整改回复";
    }
    return std::string(name);
}

std::vector<LadderStep> escalation_ladder(const config::TicketsConfig& config, const Calendar& calendar,
                                          dialogs::Urgency urgency, Clock::time_point breach,
                                          bool unclaimed_emergency) {
    const auto& ladder = urgency == dialogs::Urgency::emergency   ? config.escalation_emergency
                         : urgency == dialogs::Urgency::difficult ? config.escalation_difficult
                                                                  : config.escalation_normal;
    std::vector<LadderStep> steps;
    steps.push_back({1, unclaimed_emergency ? breach : calendar.add(breach, ladder.supervisor)});
    auto pm = calendar.add(breach, ladder.pm);
    if (pm < steps.front().at) {
        pm = steps.front().at;
    }
    steps.push_back({2, pm});
    return steps;
}

}  // namespace anju::tickets
