// The vocabulary of the dialog engine: natures, urgencies, slots, and the ComplaintDraft that the
// dialog hands to the ticket layer.
#pragma once

#include "bot/core/message.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace anju::dialogs {

enum class Nature { none, service, facility, fee, order };
enum class Urgency { normal, emergency, difficult };

std::string_view to_string(Nature n);
std::string_view to_string(Urgency u);
std::optional<Nature> parse_nature(std::string_view text);
std::optional<Urgency> parse_urgency(std::string_view text);

// Named values, in the order they were set. Small: a complaint has a handful.
class SlotMap {
public:
    std::optional<std::string_view> get(std::string_view name) const;
    bool has(std::string_view name) const { return get(name).has_value(); }
    void set(std::string name, std::string value);  // replaces an existing value
    void erase(std::string_view name);
    // Adds every slot of `other` this map does not have yet.
    void merge_missing(const SlotMap& other);
    const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }
    bool empty() const { return items_.empty(); }
    friend bool operator==(const SlotMap&, const SlotMap&) = default;

private:
    std::vector<std::pair<std::string, std::string>> items_;
};

// A resident's home. Empty parts are unknown.
struct Room {
    std::string building;
    std::string unit;
    std::string room;

    bool empty() const { return building.empty() && unit.empty() && room.empty(); }
    bool complete() const { return !building.empty() && !room.empty(); }
    // "3栋2单元501", "3栋501", "2单元501", "501室".
    std::string display() const;
    friend bool operator==(const Room&, const Room&) = default;
};

// What the ticket layer receives: one complaint, complete, classified and confirmed (or handed
// over to a person when the dialog could not complete it).
struct ComplaintDraft {
    std::string resident;  // conversation key of the resident (channel/account/sender)
    Room room;
    Nature nature = Nature::none;
    std::string category;
    Urgency urgency = Urgency::normal;
    SlotMap slots;
    std::string description;            // the resident's own words
    std::string expectation;            // what the resident wants ("尽快修好")
    std::vector<std::string> evidence;  // the words that decided nature, category and urgency
    std::vector<Attachment> attachments;
    bool confirmed = false;   // the resident said yes to the restatement
    bool needs_call = false;  // handed over: staff should call the resident
    std::string handover_reason;
};

}  // namespace anju::dialogs
