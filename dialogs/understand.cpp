#include "dialogs/understand.hpp"

#include "bot/core/text.hpp"
#include "dialogs/slots.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <set>

namespace anju::dialogs {
namespace {

// A category needs this much evidence in a clause to be reported.
constexpr double kThreshold = 1.0;
// A second category in the same clause needs this much of its own.
constexpr double kSecondThreshold = 2.0;
// A clause with only weak, generic evidence ("坏了") is a problem of its own only when no clause of
// the message names one clearly: "电梯 坏了" is one complaint about the lift.
constexpr double kStandalone = 1.5;
// How far back (code points) a negation reaches: "没有人被困", "不是困人".
constexpr std::size_t kNegationReach = 4;

// Byte length of the `n` code points before `pos` (stopping at the start).
std::size_t back_code_points(std::string_view s, std::size_t pos, std::size_t n) {
    std::size_t start = pos;
    while (n > 0 && start > 0) {
        --start;
        while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) {
            --start;
        }
        --n;
    }
    return start;
}

bool is_boundary(char c) { return c == '.' || c == '!' || c == '?' || c == ';' || c == ',' || c == '~'; }

struct Clause {
    std::size_t begin = 0;
    std::size_t end = 0;
    int finding = -1;  // index of the finding it belongs to
};

}  // namespace

// The work of one understand() call.
class UnderstandingRun {
public:
    UnderstandingRun(const Understander& u, Understanding& out)
        : u_(u), out_(out), s_(out.normalized), matches_(u.matcher_.find_all(s_)) {}

    void run() {
        drop_contained_terms();
        split_clauses();
        classify();
        out_.slots = read_slots(s_, 0, s_.size());
        read_answer();
        // Whether the message says a problem is over, or still there (for "已解决吗？" answers).
        out_.resolved = any(0, s_.size(), Kind::resolved);
        out_.unsolved = any(0, s_.size(), Kind::unsolved);
        read_command_and_smalltalk();
        read_expectation();
        for (std::size_t f = 0; f < findings_.size(); ++f) {
            finish(f);
        }
        // Whether people are trapped is said once for the whole message.
        std::optional<std::string> trapped;
        for (const auto& f : findings_) {
            if (const auto t = f.slots.get("trapped"); t && (!trapped || *t == "true")) {
                trapped = std::string(*t);
            }
        }
        if (trapped) {
            for (auto& f : findings_) {
                if (!f.slots.has("trapped")) {
                    f.slots.set("trapped", *trapped);
                }
            }
            out_.slots.set("trapped", *trapped);
        }
        order_findings();
        drop_non_complaints();
        out_.findings = std::move(findings_);
        if (!out_.findings.empty()) {
            // A complaint is not a command or small talk, unless the message is short enough to be one.
            if (utf8_length(s_) > 12) {
                out_.command.clear();
            }
            out_.smalltalk.clear();
            out_.smalltalk_kinds.clear();
        }
    }

private:
    using Kind = Understander::Kind;

    template <class Fn>
    void each_use(std::size_t begin, std::size_t end, Kind kind, Fn&& fn) const {
        for (std::size_t i = 0; i < matches_.size(); ++i) {
            const auto& m = matches_[i];
            if (m.begin < begin || m.end > end) {
                continue;
            }
            // A term hidden inside a longer term or an exclusion no longer counts as a term; the same
            // text keeps its other meanings ("尿" in "尿尿" still marks a harmless scene).
            if (kind == Kind::term && dropped_.count({i, kAllCategories}) != 0) {
                continue;
            }
            for (const auto& use : u_.uses_[m.pattern]) {
                if (use.kind == kind && (kind != Kind::term || dropped_.count({i, use.index}) == 0)) {
                    fn(m, use);
                }
            }
        }
    }

    bool any(std::size_t begin, std::size_t end, Kind kind) const {
        bool found = false;
        each_use(begin, end, kind, [&](const auto&, const auto&) { found = true; });
        return found;
    }

    // A category term inside a longer category term ("电梯" in "电梯里") does not count on its own;
    // inside an exclusion of its category ("电梯广告", "车库漏水" for parking) it does not count
    // for that category, and keeps its meaning for the others ("漏水" is still a leak).
    void drop_contained_terms() {
        for (std::size_t i = 0; i < matches_.size(); ++i) {
            const bool is_term = has_kind(matches_[i].pattern, Kind::term);
            if (!is_term) {
                continue;
            }
            for (std::size_t j = 0; j < matches_.size(); ++j) {
                if (i == j) {
                    continue;
                }
                const auto& a = matches_[i];
                const auto& b = matches_[j];
                const bool inside =
                    b.begin <= a.begin && a.end <= b.end && (b.end - b.begin) > (a.end - a.begin);
                if (!inside) {
                    continue;
                }
                if (has_kind(b.pattern, Kind::term)) {
                    dropped_.insert({i, kAllCategories});
                    break;
                }
                for (const auto& use : u_.uses_[b.pattern]) {
                    if (use.kind == Kind::exclude) {
                        dropped_.insert({i, use.index});
                    }
                }
            }
        }
    }

    bool has_kind(std::uint32_t pattern, Kind kind) const {
        return std::any_of(u_.uses_[pattern].begin(), u_.uses_[pattern].end(),
                           [&](const auto& use) { return use.kind == kind; });
    }

    void split_clauses() {
        std::vector<std::size_t> cuts;
        for (std::size_t i = 0; i < s_.size(); ++i) {
            if (is_boundary(s_[i])) {
                cuts.push_back(i);
            }
        }
        // Connectives ("还有", "另外") start a new clause even without punctuation.
        each_use(0, s_.size(), Kind::connective,
                 [&](const auto& m, const auto&) { cuts.push_back(m.begin); });
        std::sort(cuts.begin(), cuts.end());
        std::size_t start = 0;
        for (const auto cut : cuts) {
            add_clause(start, cut);
            start = cut < s_.size() && is_boundary(s_[cut]) ? cut + 1 : cut;
        }
        add_clause(start, s_.size());
    }

    void add_clause(std::size_t begin, std::size_t end) {
        if (end > begin) {
            clauses_.push_back({begin, end, -1});
        }
    }

    // Scores every category in every clause and groups clauses into findings.
    void classify() {
        const auto n = u_.categories_.size();
        // Categories some clause names clearly; weak evidence for another category is no problem
        // of its own then.
        std::vector<bool> clear(n, false);
        bool any_clear = false;
        for (const auto& clause : clauses_) {
            std::vector<double> terms(n, 0.0);
            each_use(clause.begin, clause.end, Kind::term,
                     [&](const auto&, const auto& use) { terms[use.index] += use.weight; });
            for (std::size_t i = 0; i < n; ++i) {
                if (terms[i] >= kStandalone) {
                    clear[i] = true;
                    any_clear = true;
                }
            }
        }
        for (std::size_t c = 0; c < clauses_.size(); ++c) {
            auto& clause = clauses_[c];
            std::vector<double> score(n, 0.0);
            std::vector<std::size_t> first_at(n, s_.size());
            std::vector<std::vector<std::string>> evidence(n);
            each_use(clause.begin, clause.end, Kind::term, [&](const auto& m, const auto& use) {
                score[use.index] += use.weight;
                first_at[use.index] = std::min(first_at[use.index], m.begin);
                evidence[use.index].push_back("category:" + u_.matcher_.pattern(m.pattern));
            });
            // An emergency cue speaks for its usual category when nothing else does ("有人被困" → lift),
            // once per clause and category.
            const bool nothing_else = n == 0 || *std::max_element(score.begin(), score.end()) < kThreshold;
            std::vector<bool> boosted(n, false);
            each_use(clause.begin, clause.end, Kind::emergency, [&](const auto& m, const auto& use) {
                const auto home = default_category(u_.emergency_kinds_[use.index]);
                if (home < n && !boosted[home] && !negated(clause, m.begin) &&
                    (nothing_else || score[home] > 0)) {
                    boosted[home] = true;
                    score[home] += 2.0;
                    evidence[home].push_back("emergency:" + u_.matcher_.pattern(m.pattern));
                }
            });
            std::vector<std::size_t> order(n);
            for (std::size_t i = 0; i < n; ++i) {
                order[i] = i;
            }
            std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return score[a] > score[b]; });
            if (n == 0 || score[order[0]] < kThreshold ||
                (any_clear && score[order[0]] < kStandalone && !clear[order[0]])) {
                continue;
            }
            // Within one clause the stronger category leads ("垃圾清运费" is about the fee); a second
            // one needs strong evidence of its own.
            const std::size_t first = order[0];
            const std::size_t second = n > 1 && score[order[1]] >= kSecondThreshold ? order[1] : n;
            clause.finding = finding_for(first, evidence[first], c, first_at[first]);
            findings_[static_cast<std::size_t>(clause.finding)].score += score[first];
            if (second < n) {
                const auto f = finding_for(second, evidence[second], c, first_at[second]);
                findings_[static_cast<std::size_t>(f)].score += score[second];
            }
        }
        // Clauses without a category ("里面有个老人", "快来人") belong to the complaint before them,
        // or to the first one when they come first.
        int last = -1;
        for (auto& clause : clauses_) {
            if (clause.finding >= 0) {
                last = clause.finding;
            } else if (last >= 0) {
                clause.finding = last;
            }
        }
        for (auto& clause : clauses_) {
            if (clause.finding < 0 && !findings_.empty()) {
                clause.finding = 0;
            }
        }
        for (std::size_t c = 0; c < clauses_.size(); ++c) {
            if (clauses_[c].finding >= 0) {
                add_clause_to(static_cast<std::size_t>(clauses_[c].finding), c);
            }
        }
    }

    std::size_t default_category(const std::string& emergency_kind) const {
        static const std::map<std::string, std::string, std::less<>> kHome = {{"trapped", "elevator"},
                                                                              {"lift_danger", "elevator"},
                                                                              {"burst_pipe", "water_leak"},
                                                                              {"electric", "power"},
                                                                              {"fire", "fire"},
                                                                              {"gas", "gas"}};
        const auto it = kHome.find(emergency_kind);
        if (it == kHome.end()) {
            return u_.categories_.size();
        }
        for (std::size_t i = 0; i < u_.categories_.size(); ++i) {
            if (u_.categories_[i].name == it->second) {
                return i;
            }
        }
        return u_.categories_.size();
    }

    // The finding of `category`, created on first use; one per category per message.
    int finding_for(std::size_t category, const std::vector<std::string>& evidence, std::size_t clause,
                    std::size_t at) {
        for (std::size_t f = 0; f < findings_.size(); ++f) {
            if (findings_[f].category == u_.categories_[category].name) {
                auto& e = findings_[f].evidence;
                e.insert(e.end(), evidence.begin(), evidence.end());
                add_clause_to(f, clause);
                return static_cast<int>(f);
            }
        }
        Finding finding;
        finding.category = u_.categories_[category].name;
        finding.nature = parse_nature(u_.categories_[category].nature).value_or(Nature::none);
        finding.evidence = evidence;
        findings_.push_back(std::move(finding));
        first_clause_.push_back(clause);
        first_at_.push_back(at);
        extra_clauses_.emplace_back();
        add_clause_to(findings_.size() - 1, clause);
        return static_cast<int>(findings_.size() - 1);
    }

    void add_clause_to(std::size_t f, std::size_t clause) {
        auto& list = extra_clauses_[f];
        if (std::find(list.begin(), list.end(), clause) == list.end()) {
            list.push_back(clause);
            std::sort(list.begin(), list.end());
        }
    }

    bool negated(const Clause& clause, std::size_t at) const {
        const auto from = std::max(clause.begin, back_code_points(s_, at, kNegationReach));
        bool negation = false;
        each_use(from, at, Kind::negation, [&](const auto&, const auto&) { negation = true; });
        bool hedge = false;
        each_use(from, at, Kind::hedge, [&](const auto&, const auto&) { hedge = true; });
        return negation && !hedge;
    }

    // Urgency, slots and text of finding `f` from its clauses.
    void finish(std::size_t f) {
        auto& finding = findings_[f];
        bool emergency = false;
        bool trapped_yes = false;
        bool trapped_no = false;
        bool resolved = false;
        bool hypothetical = false;
        bool difficult = false;
        bool immediate = false;
        bool harmless = false;
        bool past = false;
        bool now = false;
        std::size_t resolved_at = 0;      // end of the last "it's over" cue
        std::size_t emergency_after = 0;  // emergency cues said after it
        std::string text;
        for (const auto c : extra_clauses_[f]) {
            const auto& clause = clauses_[c];
            if (!text.empty()) {
                text += ",";
            }
            text += s_.substr(clause.begin, clause.end - clause.begin);
            each_use(clause.begin, clause.end, Kind::resolved,
                     [&](const auto& m, const auto&) { resolved_at = std::max(resolved_at, m.end); });
            resolved = resolved_at > 0;
            hypothetical = hypothetical || any(clause.begin, clause.end, Kind::hypothetical);
            harmless = harmless || any(clause.begin, clause.end, Kind::harmless);
            if (const auto months = long_ago(clause.begin, clause.end); months >= u_.difficult_months_) {
                difficult = true;
                finding.evidence.push_back("difficult:" + std::to_string(months) + " months");
            }
            trapped_no = trapped_no || any(clause.begin, clause.end, Kind::trapped_none);
            each_use(clause.begin, clause.end, Kind::emergency, [&](const auto& m, const auto& use) {
                const auto& kind = u_.emergency_kinds_[use.index];
                if (negated(clause, m.begin)) {
                    trapped_no = trapped_no || kind == "trapped";
                    return;
                }
                emergency = true;
                emergency_after = std::max(emergency_after, m.begin + 1);
                trapped_yes = trapped_yes || kind == "trapped";
                if (finding.emergency_kind.empty()) {
                    finding.emergency_kind = kind;
                }
                finding.evidence.push_back("emergency:" + u_.matcher_.pattern(m.pattern));
            });
            past = past || any(clause.begin, clause.end, Kind::past);
            now = now || any(clause.begin, clause.end, Kind::now);
            each_use(clause.begin, clause.end, Kind::immediate, [&](const auto& m, const auto& use) {
                if (u_.categories_[use.index].name == finding.category) {
                    immediate = true;
                    finding.evidence.push_back("immediate:" + u_.matcher_.pattern(m.pattern));
                }
            });
            each_use(clause.begin, clause.end, Kind::difficult, [&](const auto& m, const auto&) {
                difficult = true;
                finding.evidence.push_back("difficult:" + u_.matcher_.pattern(m.pattern));
            });
            finding.slots.merge_missing(read_slots(s_, clause.begin, clause.end));
        }
        finding.text = std::move(text);
        // Where the complaint is: the resident says it once for the whole message.
        for (const char* name : {"building", "unit", "room", "floor", "phone"}) {
            if (!finding.slots.has(name)) {
                if (const auto v = out_.slots.get(name)) {
                    finding.slots.set(name, std::string(*v));
                }
            }
        }
        if (trapped_yes) {
            finding.slots.set("trapped", "true");
        } else if (trapped_no) {
            finding.slots.set("trapped", "false");
        }
        // An order problem from last night is not happening now, unless the resident says it still is.
        if (immediate && past && !now) {
            immediate = false;
        }
        // "已经扑灭了，但是楼道里全是烟": a danger named after "it's over" is still a danger.
        const bool still = emergency && emergency_after > resolved_at;
        if ((emergency || immediate) && (!resolved || still) && !hypothetical && !harmless) {
            finding.urgency = Urgency::emergency;
            if (finding.emergency_kind.empty()) {
                finding.emergency_kind = "immediate";
            }
        } else if (difficult) {
            finding.urgency = Urgency::difficult;
            finding.emergency_kind.clear();
        } else {
            finding.emergency_kind.clear();
        }
        out_.resolved = out_.resolved || resolved;
        resolved_.push_back(resolved);
        hypothetical_.push_back(hypothetical);
        background_.push_back(std::any_of(
            extra_clauses_[f].begin(), extra_clauses_[f].end(),
            [&](std::size_t c) { return any(clauses_[c].begin, clauses_[c].end, Kind::background); }));
        unsolved_.push_back(std::any_of(
            extra_clauses_[f].begin(), extra_clauses_[f].end(),
            [&](std::size_t c) { return any(clauses_[c].begin, clauses_[c].end, Kind::unsolved); }));
    }

    // The longest time a clause says something has lasted, in months ("3个月", "1年多", "两年").
    int long_ago(std::size_t begin, std::size_t end) const {
        int longest = 0;
        const auto clause = std::string_view(s_).substr(begin, end - begin);
        for (std::size_t i = 0; i < clause.size(); ++i) {
            if (clause[i] < '0' || clause[i] > '9' ||
                (i > 0 && clause[i - 1] >= '0' && clause[i - 1] <= '9')) {
                continue;
            }
            std::size_t j = i;
            int value = 0;
            while (j < clause.size() && clause[j] >= '0' && clause[j] <= '9' && value < 1000) {
                value = value * 10 + (clause[j] - '0');
                ++j;
            }
            auto rest = clause.substr(j);
            if (rest.starts_with("多")) {
                rest.remove_prefix(std::string_view("多").size());
            }
            if (rest.starts_with("个月") || rest.starts_with("个多月")) {
                longest = std::max(longest, value);
            } else if (rest.starts_with("年")) {
                longest = std::max(longest, value * 12);
            }
        }
        return longest;
    }

    // Main complaint first. A complaint about how staff handled something comes after the problem
    // itself when that problem is still open, and replaces it when it is only background.
    void order_findings() {
        std::vector<std::size_t> keep;
        const auto butler = std::find_if(findings_.begin(), findings_.end(),
                                         [](const Finding& f) { return f.category == "butler_service"; });
        for (std::size_t f = 0; f < findings_.size(); ++f) {
            const bool is_butler = butler != findings_.end() && &findings_[f] == &*butler;
            // A danger asked about ("万一着火怎么办") is a question, not a report.
            if (hypothetical_[f] && findings_[f].urgency == Urgency::normal && findings_.size() == 1 &&
                only_emergency_evidence(findings_[f])) {
                continue;
            }
            if (butler != findings_.end() && !is_butler && background_[f] && !unsolved_[f]) {
                continue;
            }
            keep.push_back(f);
        }
        std::stable_sort(keep.begin(), keep.end(), [&](std::size_t a, std::size_t b) {
            // Safety first: an emergency leads, whatever was said before it.
            const bool a_emergency = findings_[a].urgency == Urgency::emergency;
            const bool b_emergency = findings_[b].urgency == Urgency::emergency;
            if (a_emergency != b_emergency) {
                return a_emergency;
            }
            const bool a_first = unsolved_[a] && findings_[a].category != "butler_service";
            const bool b_first = unsolved_[b] && findings_[b].category != "butler_service";
            const bool a_butler = findings_[a].category == "butler_service";
            const bool b_butler = findings_[b].category == "butler_service";
            if (a_butler != b_butler && (a_first || b_first)) {
                return b_butler;
            }
            return first_clause_[a] != first_clause_[b] ? first_clause_[a] < first_clause_[b] : a < b;
        });
        // A long-standing complaint about staff makes the open problem it is about long-standing too.
        if (keep.size() > 1 && findings_[keep[0]].category != "butler_service" && butler != findings_.end() &&
            butler->urgency == Urgency::difficult && findings_[keep[0]].urgency == Urgency::normal) {
            findings_[keep[0]].urgency = Urgency::difficult;
        }
        std::vector<Finding> ordered;
        kept_background_.clear();
        for (const auto f : keep) {
            kept_background_.push_back(background_[f] || resolved_[f]);
            ordered.push_back(std::move(findings_[f]));
        }
        findings_ = std::move(ordered);
    }

    // A question or a thank-you that names a topic without complaining about it is not a complaint:
    // "请问物业费怎么交", "停水通知看到了，谢谢", "上次电梯坏了你们修得挺快的，感谢".
    void drop_non_complaints() {
        const auto said = [&](std::string_view kind) {
            return std::find(out_.smalltalk_kinds.begin(), out_.smalltalk_kinds.end(), kind) !=
                   out_.smalltalk_kinds.end();
        };
        const bool grateful = said("thanks") || said("praise");
        if (findings_.empty() || !(grateful || said("question"))) {
            return;
        }
        if (std::any_of(findings_.begin(), findings_.end(),
                        [](const Finding& f) { return f.urgency == Urgency::emergency; })) {
            return;
        }
        bool marker = false;
        for (std::size_t i = 0; i < matches_.size() && !marker; ++i) {
            if (has_kind(matches_[i].pattern, Kind::complaint_marker) && !inside(i, Kind::smalltalk)) {
                marker = true;
            }
        }
        const bool all_past =
            std::all_of(kept_background_.begin(), kept_background_.end(), [](bool b) { return b; });
        if (!marker || (grateful && all_past)) {
            findings_.clear();
        }
    }

    // Whether match `i` lies inside a match of another pattern of `kind` ("没" in "有没有").
    bool inside(std::size_t i, Kind kind) const {
        const auto& a = matches_[i];
        for (std::size_t j = 0; j < matches_.size(); ++j) {
            const auto& b = matches_[j];
            if (j != i && b.begin <= a.begin && a.end <= b.end && (b.end - b.begin) > (a.end - a.begin) &&
                has_kind(b.pattern, kind)) {
                return true;
            }
        }
        return false;
    }

    static bool only_emergency_evidence(const Finding& f) {
        return std::all_of(f.evidence.begin(), f.evidence.end(),
                           [](const std::string& e) { return !e.starts_with("category:"); }) ||
               f.category == "fire" || f.category == "gas";
    }

    // A short message that is a yes, a no or a "don't know".
    void read_answer() {
        out_.unknown = any(0, s_.size(), Kind::unknown) && utf8_length(s_) <= 12;
        if (clauses_.empty() || out_.unknown) {
            return;  // "不知道" is neither yes nor no
        }
        const auto& first = clauses_.front();
        const auto clause = s_.substr(first.begin, first.end - first.begin);
        const auto length = utf8_length(clause);
        // A word may carry a little around it ("是的呀", "对对对"); a digit answer ("1", "2") must
        // stand alone, or "1楼" would read as a yes.
        const auto answers = [&](const Matcher::Match& m) {
            const auto pattern = u_.matcher_.pattern(m.pattern);
            const bool digits =
                std::all_of(pattern.begin(), pattern.end(), [](char c) { return c >= '0' && c <= '9'; });
            return m.begin == first.begin &&
                   (digits ? length == utf8_length(pattern) : length <= utf8_length(pattern) + 2);
        };
        // The longest answer word at the start decides ("没错" is yes although "没" is no); on a
        // tie no wins.
        std::size_t longest = 0;
        each_use(first.begin, first.end, Kind::yes, [&](const auto& m, const auto&) {
            if (answers(m) && m.end - m.begin > longest) {
                longest = m.end - m.begin;
                out_.answer = true;
            }
        });
        each_use(first.begin, first.end, Kind::no, [&](const auto& m, const auto&) {
            if (answers(m) && m.end - m.begin >= longest) {
                longest = m.end - m.begin;
                out_.answer = false;
            }
        });
    }

    void read_command_and_smalltalk() {
        each_use(0, s_.size(), Kind::command, [&](const auto&, const auto& use) {
            if (out_.command.empty()) {
                out_.command = u_.commands_[use.index];
            }
        });
        each_use(0, s_.size(), Kind::smalltalk, [&](const auto&, const auto& use) {
            const auto& kind = u_.smalltalk_[use.index];
            // "praise_target" (你们, 物业, 师傅…) only tells whom a praise is for; it is not small talk
            // itself.
            if (out_.smalltalk.empty() && kind != "praise_target") {
                out_.smalltalk = kind;
            }
            if (std::find(out_.smalltalk_kinds.begin(), out_.smalltalk_kinds.end(), kind) ==
                out_.smalltalk_kinds.end()) {
                out_.smalltalk_kinds.push_back(kind);
            }
        });
        if (!out_.command.empty() && utf8_length(s_) > 16) {
            out_.command.clear();  // "修改" inside a long story is not a command
        }
    }

    void read_expectation() {
        std::size_t at = std::string::npos;
        each_use(0, s_.size(), Kind::expectation,
                 [&](const auto& m, const auto&) { at = std::min(at, m.begin); });
        if (at == std::string::npos) {
            return;
        }
        std::size_t end = at;
        while (end < s_.size() && !is_boundary(s_[end])) {
            ++end;
        }
        auto phrase = s_.substr(at, end - at);
        if (utf8_length(phrase) < 3) {
            return;
        }
        if (!phrase.starts_with("希望") && !phrase.starts_with("要求")) {
            phrase = "希望" + phrase;
        }
        out_.expectation = std::move(phrase);
    }

    bool habitual(std::size_t at) const {
        const auto before = std::string_view(s_).substr(0, at);
        for (const std::string_view w : {"每天", "每", "一到", "比", "天天", "每个", "一"}) {
            if (before.ends_with(w)) {
                return true;
            }
        }
        return false;
    }

    bool within_smalltalk(const Matcher::Match& m) const {
        for (const auto& other : matches_) {
            if (other.begin <= m.begin && m.end <= other.end &&
                (other.end - other.begin) > (m.end - m.begin) && has_kind(other.pattern, Kind::smalltalk)) {
                return true;
            }
        }
        return false;
    }

    SlotMap read_slots(std::string_view s, std::size_t begin, std::size_t end) const {
        SlotMap slots = scan_slots(s.substr(begin, end - begin));
        // Time expressions from the lexicon, the longest first in the clause.
        std::size_t best_begin = 0;
        std::size_t best_length = 0;
        each_use(begin, end, Kind::time, [&](const auto& m, const auto&) {
            if (habitual(m.begin) || within_smalltalk(m)) {
                return;  // "每天早上", "一到晚上", "比上个月", "早上好": not when something happened
            }
            if (m.end - m.begin > best_length || (m.end - m.begin == best_length && m.begin < best_begin)) {
                best_begin = m.begin;
                best_length = m.end - m.begin;
            }
        });
        if (best_length > 0 && !slots.has("time")) {
            // Adjacent time words read as one expression: "昨晚" + "半夜" → "昨晚半夜".
            std::size_t best_end = best_begin + best_length;
            for (bool extended = true; extended;) {
                extended = false;
                each_use(begin, end, Kind::time, [&](const auto& m, const auto&) {
                    if (m.begin <= best_end && m.end > best_end && m.begin >= best_begin) {
                        best_end = m.end;
                        extended = true;
                    }
                });
            }
            slots.set("time", std::string(s.substr(best_begin, best_end - best_begin)));
        }
        each_use(begin, end, Kind::place, [&](const auto&, const auto& use) {
            if (!slots.has("place")) {
                slots.set("place", u_.places_[use.index]);
            }
        });
        return slots;
    }

    const Understander& u_;
    Understanding& out_;
    const std::string& s_;
    std::vector<Matcher::Match> matches_;
    // (match, category) pairs whose term does not count; kAllCategories: for no category.
    static constexpr std::uint16_t kAllCategories = 0xFFFF;
    std::set<std::pair<std::size_t, std::uint16_t>> dropped_;
    std::vector<Clause> clauses_;
    std::vector<Finding> findings_;
    std::vector<std::size_t> first_clause_;
    std::vector<std::size_t> first_at_;
    std::vector<std::vector<std::size_t>> extra_clauses_;
    std::vector<bool> hypothetical_;
    std::vector<bool> background_;
    std::vector<bool> unsolved_;
    std::vector<bool> resolved_;
    std::vector<bool> kept_background_;
};

boost::system::result<Understander, std::vector<std::string>> Understander::create(
    const config::UnderstandingConfig& config) {
    std::vector<std::string> problems;
    if (config.categories.empty()) {
        problems.emplace_back("understanding.json: no categories");
    }
    for (const auto& [category, cues] : config.immediate) {
        if (std::none_of(config.categories.begin(), config.categories.end(),
                         [&](const auto& c) { return c.name == category; })) {
            problems.push_back("understanding.json: immediate." + category + ": no such category");
        }
    }
    std::set<std::string> names;
    for (const auto& c : config.categories) {
        if (!names.insert(c.name).second) {
            problems.push_back("understanding.json: category \"" + c.name + "\" is defined twice");
        }
        if (c.terms.empty()) {
            problems.push_back("understanding.json: category \"" + c.name + "\" has no terms");
        }
    }
    if (!problems.empty()) {
        return problems;
    }
    return Understander(config);
}

Understander::Understander(const config::UnderstandingConfig& config)
    : normalizer_(config.traditional), categories_(config.categories) {
    for (std::size_t c = 0; c < categories_.size(); ++c) {
        for (const auto& term : categories_[c].terms) {
            add(term.text, {Kind::term, static_cast<std::uint16_t>(c), term.weight});
        }
        for (const auto& phrase : categories_[c].exclude) {
            add(phrase, {Kind::exclude, static_cast<std::uint16_t>(c), 0});
        }
    }
    for (const auto& [kind, cues] : config.emergency) {
        const auto index = static_cast<std::uint16_t>(emergency_kinds_.size());
        emergency_kinds_.push_back(kind);
        for (const auto& cue : cues) {
            add(cue, {Kind::emergency, index, 0});
        }
    }
    for (const auto& [category, cues] : config.immediate) {
        for (std::size_t c = 0; c < categories_.size(); ++c) {
            if (categories_[c].name == category) {
                for (const auto& cue : cues) {
                    add(cue, {Kind::immediate, static_cast<std::uint16_t>(c), 0});
                }
            }
        }
    }
    difficult_months_ = config.difficult_months;
    const std::array<std::pair<Kind, const std::vector<std::string>*>, 17> simple = {{
        {Kind::trapped_none, &config.trapped_none},
        {Kind::negation, &config.negations},
        {Kind::hedge, &config.hedges},
        {Kind::resolved, &config.resolved},
        {Kind::difficult, &config.difficult},
        {Kind::unsolved, &config.unsolved},
        {Kind::background, &config.background},
        {Kind::hypothetical, &config.hypothetical},
        {Kind::harmless, &config.harmless},
        {Kind::complaint_marker, &config.complaint_markers},
        {Kind::past, &config.past},
        {Kind::now, &config.now},
        {Kind::expectation, &config.expectation_markers},
        {Kind::connective, &config.connectives},
        {Kind::yes, &config.yes},
        {Kind::no, &config.no},
        {Kind::unknown, &config.unknown},
    }};
    for (const auto& [kind, words] : simple) {
        for (const auto& w : *words) {
            add(w, {kind, 0, 0});
        }
    }
    const std::array<std::tuple<Kind, const std::vector<std::pair<std::string, std::vector<std::string>>>*,
                                std::vector<std::string>*>,
                     4>
        grouped = {{{Kind::command, &config.commands, &commands_},
                    {Kind::smalltalk, &config.smalltalk, &smalltalk_},
                    {Kind::place, &config.places, &places_},
                    {Kind::time, &config.times, &times_}}};
    for (const auto& [kind, groups, names] : grouped) {
        for (const auto& [name, words] : *groups) {
            const auto index = static_cast<std::uint16_t>(names->size());
            names->push_back(name);
            for (const auto& w : words) {
                add(w, {kind, index, 0});
            }
        }
    }
    matcher_.build();
}

void Understander::add(std::string_view term, Use use) {
    const auto normalized = normalizer_.normalize_term(term);
    if (normalized.empty()) {
        return;
    }
    const auto id = matcher_.add(normalized);
    if (uses_.size() <= id) {
        uses_.resize(id + 1);
    }
    uses_[id].push_back(use);
}

Understanding Understander::understand(std::string_view text) const {
    Understanding out;
    out.normalized = normalizer_.normalize(text);
    UnderstandingRun run(*this, out);
    run.run();
    return out;
}

Room Understander::read_room(std::string_view normalized) const { return scan_room(normalized); }

std::string_view Understander::label(std::string_view category) const {
    for (const auto& c : categories_) {
        if (c.name == category) {
            return c.label.empty() ? std::string_view(c.name) : std::string_view(c.label);
        }
    }
    return category;
}

}  // namespace anju::dialogs
