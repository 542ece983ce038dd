// Loading of the dialog engine's files (config/dialogs/): lexicons, texts and one clarification
// flow per category. The shape is checked here; what the words and texts mean is checked when the
// dialog engine compiles them (dialogs::Dialogs::create).
#include "config/config.hpp"
#include "config/reader.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace anju::config {
namespace {

using namespace detail;
namespace fs = std::filesystem;

std::optional<std::string> read_file(const fs::path& path) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
        return std::nullopt;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    std::ostringstream buf;
    buf << in.rdbuf();
    return std::move(buf).str();
}

// Reads one file of the folder with `read` and records its problems in `problems`.
template <class Read>
void read_dialog_file(const fs::path& path, std::vector<Problem>& problems, DialogsConfig& out, Read read) {
    const Env no_env;
    Context ctx{path.string(), no_env, {}, {}};
    out.sources.push_back(path.string());
    const auto text = read_file(path);
    if (!text) {
        problems.push_back(
            {path.string(), "", "cannot read the file (does it exist, and may anju read it?)"});
        return;
    }
    if (auto doc = parse_document(*text, ctx)) {
        json effective;
        Reader root(ctx, &*doc, "", effective);
        read(root);
        root.done();
    }
    problems.insert(problems.end(), ctx.problems.begin(), ctx.problems.end());
}

void read_understanding(Reader& r, UnderstandingConfig& u) {
    r.array("categories", [&u](Reader& c, std::size_t /*index*/) {
        CategoryLexicon category;
        c.require("name");
        c.string("name", category.name);
        c.require("nature");
        c.string("nature", category.nature);
        if (c.has("nature") && category.nature != "service" && category.nature != "facility" &&
            category.nature != "fee" && category.nature != "order") {
            c.problem("nature", "must be one of \"service\", \"facility\", \"fee\", \"order\" (got " +
                                    in_quotes(category.nature) + ")");
        }
        c.string("label", category.label);
        c.weights("terms", category.terms, 0.1, 10);
        c.strings("exclude", category.exclude);
        c.done();
        if (!category.name.empty()) {
            u.categories.push_back(std::move(category));
        }
    });
    r.string_lists("emergency", u.emergency);
    r.string_lists("immediate", u.immediate);
    r.strings("trapped_none", u.trapped_none);
    r.strings("negations", u.negations);
    r.strings("hedges", u.hedges);
    r.strings("resolved", u.resolved);
    r.strings("difficult", u.difficult);
    r.strings("unsolved", u.unsolved);
    r.strings("background", u.background);
    r.strings("hypothetical", u.hypothetical);
    r.strings("harmless", u.harmless);
    r.strings("complaint_markers", u.complaint_markers);
    r.strings("past", u.past);
    r.strings("now", u.now);
    r.integer<int>("difficult_months", u.difficult_months, 1, 120);
    r.strings("expectation_markers", u.expectation_markers);
    r.strings("connectives", u.connectives);
    r.strings("yes", u.yes);
    r.strings("no", u.no);
    r.strings("unknown", u.unknown);
    r.string_lists("commands", u.commands);
    r.string_lists("smalltalk", u.smalltalk);
    r.string_lists("places", u.places);
    r.string_lists("times", u.times);
}

void read_flow(Reader& r, std::vector<FlowConfig>& flows) {
    FlowConfig flow;
    r.require("category");
    r.string("category", flow.category);
    r.choice<std::string>("room", flow.room,
                          {{"required", "required"}, {"optional", "optional"}, {"none", "none"}});
    r.array("slots", [&flow](Reader& s, std::size_t /*index*/) {
        SlotFlow slot;
        s.require("name");
        s.string("name", slot.name);
        s.require("type");
        s.choice<std::string>("type", slot.type,
                              {{"building_unit", "building_unit"},
                               {"room", "room"},
                               {"elevator", "elevator"},
                               {"floor", "floor"},
                               {"yes_no", "yes_no"},
                               {"text", "text"},
                               {"place", "place"},
                               {"phone", "phone"},
                               {"time", "time"}});
        s.string("question", slot.question);
        s.string("say", slot.say);
        s.boolean("required", slot.required);
        s.boolean("from_room", slot.from_room);
        if (slot.required && slot.question.empty() && s.has("name")) {
            s.problem("question", "is required for a required slot");
        }
        s.done();
        if (!slot.name.empty()) {
            flow.slots.push_back(std::move(slot));
        }
    });
    r.strings("emergency_slots", flow.emergency_slots);
    r.string("acknowledgement", flow.acknowledgement);
    r.require("restatement");
    r.string("restatement", flow.restatement);
    r.string("default_expectation", flow.default_expectation);
    r.string("safety_advice", flow.safety_advice);
    for (const auto& name : flow.emergency_slots) {
        if (std::none_of(flow.slots.begin(), flow.slots.end(),
                         [&](const SlotFlow& s) { return s.name == name; })) {
            r.problem("emergency_slots", "names a slot the flow does not have: " + in_quotes(name));
        }
    }
    if (!flow.category.empty()) {
        flows.push_back(std::move(flow));
    }
}

}  // namespace

boost::system::result<void, Problems> load_dialogs(const std::string& dir, DialogsConfig& dialogs) {
    std::vector<Problem> problems;
    const fs::path root(dir);
    std::error_code ec;
    if (!fs::is_directory(root, ec)) {
        return Problems{{{dir, "", "is not a folder of dialog files (dialogs.dir)"}}};
    }
    read_dialog_file(root / "understanding.json", problems, dialogs,
                     [&](Reader& r) { read_understanding(r, dialogs.understanding); });
    read_dialog_file(root / "traditional.json", problems, dialogs,
                     [&](Reader& r) { r.string_pairs("characters", dialogs.understanding.traditional); });
    read_dialog_file(root / "replies.json", problems, dialogs,
                     [&](Reader& r) { r.string_pairs("replies", dialogs.replies); });
    std::vector<fs::path> flow_files;
    for (const auto& entry : fs::directory_iterator(root / "flows", ec)) {
        if (entry.path().extension() == ".json") {
            flow_files.push_back(entry.path());
        }
    }
    if (ec) {
        problems.push_back({(root / "flows").string(), "", "cannot read the folder of flows"});
    }
    std::sort(flow_files.begin(), flow_files.end());
    for (const auto& path : flow_files) {
        read_dialog_file(path, problems, dialogs, [&](Reader& r) { read_flow(r, dialogs.flows); });
    }
    if (!problems.empty()) {
        return Problems{std::move(problems)};
    }
    return {};
}

}  // namespace anju::config
