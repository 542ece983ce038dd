#include "bot/tickets/directory.hpp"

#include <algorithm>

namespace anju::tickets {

Directory::Directory(config::TicketsConfig config) : config_(std::move(config)) {
    for (const auto& c : config_.communities) {
        calendars_.emplace(c.id, Calendar(c.calendar, config_.utc_offset_minutes));
    }
}

const config::CommunityConfig* Directory::community_for(const dialogs::Room& room) const {
    if (config_.communities.size() == 1) {
        return &config_.communities.front();
    }
    for (const auto& c : config_.communities) {
        if (std::find(c.buildings.begin(), c.buildings.end(), room.building) != c.buildings.end()) {
            return &c;
        }
    }
    return nullptr;
}

const config::CommunityConfig* Directory::community(std::string_view id) const {
    for (const auto& c : config_.communities) {
        if (c.id == id) {
            return &c;
        }
    }
    return nullptr;
}

const config::StaffConfig* Directory::staff(std::string_view userid, std::string* community) const {
    for (const auto& c : config_.communities) {
        for (const auto& s : c.staff) {
            if (s.userid == userid) {
                if (community != nullptr) {
                    *community = c.id;
                }
                return &s;
            }
        }
    }
    return nullptr;
}

const config::StaffConfig* Directory::staff_named(std::string_view community, std::string_view name) const {
    const auto* c = this->community(community);
    if (c == nullptr || name.empty()) {
        return nullptr;
    }
    for (const auto& s : c->staff) {
        if (s.name == name || s.userid == name) {
            return &s;
        }
    }
    const config::StaffConfig* found = nullptr;
    for (const auto& s : c->staff) {
        if (s.name.starts_with(name)) {
            if (found != nullptr) {
                return nullptr;  // ambiguous
            }
            found = &s;
        }
    }
    return found;
}

std::vector<const config::StaffConfig*> Directory::staff_with_role(std::string_view community,
                                                                   std::string_view role,
                                                                   std::string_view building) const {
    std::vector<const config::StaffConfig*> out;
    const auto* c = this->community(community);
    if (c == nullptr) {
        return out;
    }
    for (const auto& s : c->staff) {
        if (std::find(s.roles.begin(), s.roles.end(), role) == s.roles.end()) {
            continue;
        }
        if (!building.empty() && !s.buildings.empty() &&
            std::find(s.buildings.begin(), s.buildings.end(), building) == s.buildings.end()) {
            continue;
        }
        out.push_back(&s);
    }
    return out;
}

Actor Directory::actor(const config::StaffConfig& staff) const {
    Actor a;
    a.kind = Actor::Kind::staff;
    a.id = staff.userid;
    a.name = staff.name;
    a.roles = staff.roles;
    return a;
}

std::string Directory::department_for(dialogs::Nature nature, std::string_view category) const {
    for (const auto& [from, to] : config_.route_category) {
        if (from == category) {
            return to;
        }
    }
    const auto n = dialogs::to_string(nature);
    for (const auto& [from, to] : config_.route_nature) {
        if (from == n) {
            return to;
        }
    }
    return "cs";  // not a classified complaint (a call-back request): customer service takes it
}

bool Directory::covers(const config::StaffConfig& staff, std::string_view department,
                       std::string_view building) const {
    const auto has = [&](std::string_view role) {
        return std::find(staff.roles.begin(), staff.roles.end(), role) != staff.roles.end();
    };
    const bool in_building =
        staff.buildings.empty() || building.empty() ||
        std::find(staff.buildings.begin(), staff.buildings.end(), building) != staff.buildings.end();
    if (has("pm") || has("cs")) {
        return true;
    }
    if (has("supervisor") && in_building) {
        return true;
    }
    if (department == "butler") {
        return has("butler") && in_building;
    }
    return has(department);
}

std::vector<const config::WorkGroupConfig*> Directory::groups_for(std::string_view community,
                                                                  std::string_view department) const {
    std::vector<const config::WorkGroupConfig*> out;
    if (const auto* c = this->community(community)) {
        for (const auto& g : c->groups) {
            if (g.department == department || g.department == "all") {
                out.push_back(&g);
            }
        }
    }
    return out;
}

const config::ElevatorAsset* Directory::elevator(std::string_view community, const dialogs::Room& where,
                                                 std::string_view number) const {
    const auto* c = this->community(community);
    if (c == nullptr) {
        return nullptr;
    }
    const config::ElevatorAsset* candidate = nullptr;
    int matches = 0;
    for (const auto& e : c->elevators) {
        if (e.building != where.building ||
            (!where.unit.empty() && !e.unit.empty() && e.unit != where.unit)) {
            continue;
        }
        if (!number.empty() && e.number == number) {
            return &e;
        }
        candidate = &e;
        ++matches;
    }
    // Without a number, a building (unit) with a single elevator still says which.
    return number.empty() && matches == 1 ? candidate : nullptr;
}

const Calendar& Directory::calendar(std::string_view community) const {
    static const Calendar kDefault;
    const auto it = calendars_.find(community);
    return it == calendars_.end() ? kDefault : it->second;
}

Deadlines Directory::deadlines(const Ticket& ticket, Clock::time_point now) const {
    const auto& cal = calendar(ticket.community);
    Deadlines d;
    switch (ticket.urgency) {
        case dialogs::Urgency::emergency:
            d.on_site_due = now + (ticket.nature == dialogs::Nature::order ? config_.order_immediate_on_site
                                                                           : config_.emergency_on_site);
            d.claim_due = std::min(*d.on_site_due, now + config_.emergency_claim);
            break;
        case dialogs::Urgency::normal:
            d.plan_due = cal.add(
                now, ticket.department == "engineering" ? config_.engineering_plan : config_.normal_plan);
            d.claim_due = cal.add(now, config_.start_within);
            break;
        case dialogs::Urgency::difficult:
            d.plan_due = cal.add(now, config_.difficult_plan);
            d.claim_due = cal.add(now, config_.start_within);
            break;
    }
    return d;
}

}  // namespace anju::tickets
