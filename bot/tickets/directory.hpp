// Who is who and who handles what, from the "tickets" config: the communities, their staff roster,
// routing (nature/category → department), work groups, elevators, calendars, and the deadlines a
// new ticket gets. Immutable after construction; thread-safe.
#pragma once

#include "bot/tickets/calendar.hpp"
#include "bot/tickets/ticket.hpp"
#include "config/config.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace anju::tickets {

struct Deadlines {
    std::optional<Clock::time_point> claim_due;
    std::optional<Clock::time_point> on_site_due;
    std::optional<Clock::time_point> plan_due;
};

class Directory {
public:
    explicit Directory(config::TicketsConfig config);

    const config::TicketsConfig& config() const { return config_; }

    // The community a room belongs to: the one listing its building, the only one, or nullptr.
    const config::CommunityConfig* community_for(const dialogs::Room& room) const;
    const config::CommunityConfig* community(std::string_view id) const;
    // The first community (the default for a room that names no known building).
    const config::CommunityConfig& default_community() const { return config_.communities.front(); }

    // A member of staff by WeCom userid, and their community; nullptr if not on any roster.
    const config::StaffConfig* staff(std::string_view userid, std::string* community = nullptr) const;
    // By name within a community ("李师傅", "李"), for 转派: exact name first, then a unique prefix.
    const config::StaffConfig* staff_named(std::string_view community, std::string_view name) const;
    std::vector<const config::StaffConfig*> staff_with_role(std::string_view community, std::string_view role,
                                                            std::string_view building = {}) const;
    // The actor for a member of staff (kind staff, name, roles).
    Actor actor(const config::StaffConfig& staff) const;

    // nature/category → department.
    std::string department_for(dialogs::Nature nature, std::string_view category) const;

    // Whether `staff` may work on tickets of `department` in `building`: their role is the department,
    // or they are a supervisor covering the building, or the project manager, or customer service.
    bool covers(const config::StaffConfig& staff, std::string_view department,
                std::string_view building) const;

    // The work groups a department's tickets go to in a community (its own and any "all" group).
    std::vector<const config::WorkGroupConfig*> groups_for(std::string_view community,
                                                           std::string_view department) const;

    const config::ElevatorAsset* elevator(std::string_view community, const dialogs::Room& where,
                                          std::string_view number) const;

    const Calendar& calendar(std::string_view community) const;

    // The deadlines of a ticket filed now.
    Deadlines deadlines(const Ticket& ticket, Clock::time_point now) const;

private:
    config::TicketsConfig config_;
    std::map<std::string, Calendar, std::less<>> calendars_;
};

}  // namespace anju::tickets
