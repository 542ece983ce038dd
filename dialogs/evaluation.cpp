#include "dialogs/evaluation.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>

namespace anju::dialogs {
namespace {

using json = nlohmann::json;

// The slots the corpus labels; others (place, …) are not scored.
const std::set<std::string, std::less<>> kScoredSlots = {"building", "unit",    "room",  "floor",
                                                         "elevator", "trapped", "phone", "time"};

std::string value_text(const json& v) {
    if (v.is_boolean()) {
        return v.get<bool>() ? "true" : "false";
    }
    return v.is_string() ? v.get<std::string>() : v.dump();
}

}  // namespace

Evaluation evaluate(const Understander& understander, std::string_view corpus, std::string_view set) {
    Evaluation e;
    std::istringstream in{std::string(corpus)};
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty()) {
            continue;
        }
        const auto item = json::parse(line, nullptr, false);
        if (item.is_discarded() || !item.is_object() || !item.contains("text")) {
            e.errors.push_back(line.substr(0, 80));
            continue;
        }
        if (!set.empty() && item.value("set", "") != set) {
            continue;
        }
        const auto text = item["text"].get<std::string>();
        const auto id = item.value("id", "?");
        const auto u = understander.understand(text);
        const auto* main = u.main();
        const std::string nature = main != nullptr ? std::string(to_string(main->nature)) : "none";
        const std::string category = main != nullptr ? main->category : "none";
        const std::string urgency = main != nullptr ? std::string(to_string(main->urgency)) : "normal";
        const auto want_nature = item.value("nature", "none");
        const auto want_category = item.value("category", "none");
        const auto want_urgency = item.value("urgency", "normal");
        ++e.lines;
        const auto note = [&](const std::string& field, const std::string& want, const std::string& got) {
            e.mismatches.push_back(id + " " + field + ": want " + want + ", got " + got + "  | " + text);
        };
        if (nature == want_nature) {
            ++e.nature_ok;
        } else {
            note("nature", want_nature, nature);
        }
        if (category == want_category) {
            ++e.category_ok;
        } else {
            ++e.category_confusions[{want_category, category}];
            note("category", want_category, category);
        }
        if (urgency == want_urgency) {
            ++e.urgency_ok;
        } else {
            note("urgency", want_urgency, urgency);
        }
        if (want_urgency == "emergency") {
            ++e.emergencies;
            e.emergencies_found += urgency == "emergency" ? 1U : 0U;
        } else {
            ++e.non_emergencies;
            e.false_emergencies += urgency == "emergency" ? 1U : 0U;
        }
        std::vector<std::string> want_more;
        for (const auto& m : item.value("more", json::array())) {
            want_more.push_back(m.value("category", ""));
        }
        std::vector<std::string> got_more;
        for (std::size_t i = 1; i < u.findings.size(); ++i) {
            got_more.push_back(u.findings[i].category);
        }
        if (want_more == got_more) {
            ++e.more_ok;
        } else {
            std::string w;
            std::string g;
            for (const auto& m : want_more) {
                w += m + " ";
            }
            for (const auto& m : got_more) {
                g += m + " ";
            }
            note("more", "[" + w + "]", "[" + g + "]");
        }
        // Slots: every labelled or predicted slot of the scored kinds counts once.
        std::map<std::string, std::string> want_slots;
        const auto labelled = item.value("slots", json::object());
        for (const auto& [name, value] : labelled.items()) {
            if (kScoredSlots.count(name) != 0) {
                auto v = value_text(value);
                if (name == "time") {
                    v = understander.normalize(v);  // compared in normalised form: 两点 is 2点
                }
                want_slots[name] = v;
            }
        }
        std::map<std::string, std::string> got_slots;
        const auto& predicted = main != nullptr ? main->slots : u.slots;
        for (const auto& [name, value] : predicted.items()) {
            if (kScoredSlots.count(name) != 0) {
                got_slots[name] = value;
            }
        }
        std::set<std::string> names;
        for (const auto& [name, value] : want_slots) {
            names.insert(name);
        }
        for (const auto& [name, value] : got_slots) {
            names.insert(name);
        }
        for (const auto& name : names) {
            const auto want = want_slots.count(name) != 0 ? want_slots[name] : "(none)";
            const auto got = got_slots.count(name) != 0 ? got_slots[name] : "(none)";
            ++e.slots;
            auto& per = e.per_slot[name];
            ++per.second;
            if (want == got) {
                ++e.slots_ok;
                ++per.first;
            } else {
                note("slot " + name, want, got);
            }
        }
    }
    return e;
}

std::string format_evaluation(const Evaluation& e, std::string_view title, bool list_mismatches) {
    std::ostringstream out;
    char buf[256];
    const auto pct = [](double v) { return v * 100.0; };
    out << "== " << title << " (" << e.lines << " messages)\n";
    std::snprintf(buf, sizeof buf,
                  "nature %.1f%%   category %.1f%%   urgency %.1f%%   more %.1f%%\n"
                  "emergency recall %.1f%% (%zu/%zu)   false emergencies %.1f%% (%zu/%zu)\n"
                  "slots %.1f%% (%zu/%zu)\n",
                  pct(e.nature()), pct(e.category()), pct(e.urgency()), pct(e.rate(e.more_ok, e.lines)),
                  pct(e.emergency_recall()), e.emergencies_found, e.emergencies,
                  pct(e.false_emergency_rate()), e.false_emergencies, e.non_emergencies,
                  pct(e.slot_accuracy()), e.slots_ok, e.slots);
    out << buf;
    out << "per slot:";
    for (const auto& [name, counts] : e.per_slot) {
        std::snprintf(buf, sizeof buf, "  %s %zu/%zu", name.c_str(), counts.first, counts.second);
        out << buf;
    }
    out << "\n";
    std::vector<std::pair<std::size_t, std::pair<std::string, std::string>>> confusions;
    for (const auto& [pair, count] : e.category_confusions) {
        confusions.emplace_back(count, pair);
    }
    std::sort(confusions.rbegin(), confusions.rend());
    if (!confusions.empty()) {
        out << "category confusions (expected → got):\n";
        for (std::size_t i = 0; i < confusions.size() && i < 15; ++i) {
            out << "  " << confusions[i].second.first << " → " << confusions[i].second.second << "  "
                << confusions[i].first << "\n";
        }
    }
    if (list_mismatches) {
        for (const auto& m : e.mismatches) {
            out << "  " << m << "\n";
        }
    }
    for (const auto& err : e.errors) {
        out << "unreadable corpus line: " << err << "\n";
    }
    return out.str();
}

}  // namespace anju::dialogs
