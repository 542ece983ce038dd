// Evaluates the understanding on the labelled corpus and prints per-field accuracy, emergency
// recall, false emergencies, slot accuracy and the category confusions, for the dev set, the
// held-out test set and both.
//   anju_understand_eval [--dialogs config/dialogs] [--corpus tests/data/dialogs/corpus.jsonl] [--mismatches
//   dev|test|all]
#include "config/config.hpp"
#include "dialogs/evaluation.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

int main(int argc, char** argv) {
    std::string dir = "config/dialogs";
    std::string corpus_path = "tests/data/dialogs/corpus.jsonl";
    std::string mismatches;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string_view arg = argv[i];
        if (arg == "--dialogs") {
            dir = argv[i + 1];
        } else if (arg == "--corpus") {
            corpus_path = argv[i + 1];
        } else if (arg == "--mismatches") {
            mismatches = argv[i + 1];
        } else {
            std::fprintf(
                stderr,
                "usage: anju_understand_eval [--dialogs DIR] [--corpus FILE] [--mismatches dev|test|all]\n");
            return 2;
        }
    }
    anju::config::DialogsConfig dialogs;
    if (auto loaded = anju::config::load_dialogs(dir, dialogs); !loaded) {
        for (const auto& p : loaded.error().items) {
            std::fprintf(stderr, "%s\n", p.to_string().c_str());
        }
        return 1;
    }
    auto understander = anju::dialogs::Understander::create(dialogs.understanding);
    if (!understander) {
        for (const auto& p : understander.error()) {
            std::fprintf(stderr, "%s\n", p.c_str());
        }
        return 1;
    }
    std::ifstream in(corpus_path);
    if (!in) {
        std::fprintf(stderr, "cannot read %s\n", corpus_path.c_str());
        return 1;
    }
    std::ostringstream buf;
    buf << in.rdbuf();
    const auto corpus = buf.str();
    for (const auto& [set, title] : {std::pair<std::string, std::string>{"dev", "dev set (used for tuning)"},
                                     {"test", "test set (held out at first; errors looked at since)"},
                                     {"", "all"}}) {
        const auto e = anju::dialogs::evaluate(*understander, corpus, set);
        const bool list = mismatches == (set.empty() ? "all" : set);
        std::fputs(anju::dialogs::format_evaluation(e, title, list).c_str(), stdout);
    }
    return 0;
}
