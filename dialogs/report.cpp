#include "dialogs/report.hpp"

#include <nlohmann/json.hpp>

namespace anju::dialogs {
namespace {

using json = nlohmann::json;

json slots_json(const SlotMap& slots) {
    json out = json::object();
    for (const auto& [name, value] : slots.items()) {
        if (name == "trapped") {
            out[name] = value == "true";
        } else {
            out[name] = value;
        }
    }
    return out;
}

}  // namespace

std::string understanding_json(std::string_view text, const Understanding& u) {
    json out;
    out["text"] = std::string(text);
    const auto* main = u.main();
    out["nature"] = main != nullptr ? std::string(to_string(main->nature)) : "none";
    out["category"] = main != nullptr ? main->category : "none";
    out["urgency"] = main != nullptr ? std::string(to_string(main->urgency)) : "normal";
    // The main complaint's slots; with no complaint, whatever the message states.
    out["slots"] = slots_json(main != nullptr ? main->slots : u.slots);
    out["evidence"] = main != nullptr ? main->evidence : std::vector<std::string>{};
    json more = json::array();
    for (std::size_t i = 1; i < u.findings.size(); ++i) {
        const auto& f = u.findings[i];
        more.push_back({{"nature", to_string(f.nature)},
                        {"category", f.category},
                        {"urgency", to_string(f.urgency)},
                        {"slots", slots_json(f.slots)}});
    }
    out["more"] = std::move(more);
    if (!u.command.empty()) {
        out["command"] = u.command;
    }
    if (!u.smalltalk.empty() && main == nullptr) {
        out["smalltalk"] = u.smalltalk;
    }
    if (u.answer) {
        out["answer"] = *u.answer ? "yes" : "no";
    }
    if (!u.expectation.empty()) {
        out["expectation"] = u.expectation;
    }
    return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace anju::dialogs
