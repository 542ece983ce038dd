// Guards the understanding targets on the labelled corpus (tests/data/dialogs/corpus.jsonl):
// nature and category ≥ 95 %, every emergency found, ≤ 5 % false emergencies, slots ≥ 95 %.
// bench/understand_eval prints the same figures with the confusions, per set.
#include "config/config.hpp"
#include "dialogs/evaluation.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace anju::dialogs {
namespace {

const std::string kSource = ANJU_SOURCE_DIR;

std::string read(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream buf;
    buf << in.rdbuf();
    return buf.str();
}

class CorpusTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto loaded = config::load_dialogs(kSource + "/config/dialogs", dialogs_);
        ASSERT_TRUE(loaded) << loaded.error().items.front().to_string();
        auto created = Understander::create(dialogs_.understanding);
        ASSERT_TRUE(created);
        understander_.emplace(std::move(*created));
    }
    config::DialogsConfig dialogs_;
    std::optional<Understander> understander_;
};

TEST_F(CorpusTest, MeetsTheUnderstandingTargets) {
    const auto corpus = read(kSource + "/tests/data/dialogs/corpus.jsonl");
    ASSERT_FALSE(corpus.empty());
    const auto e = evaluate(*understander_, corpus, "");
    const auto report = format_evaluation(e, "corpus", true);
    EXPECT_GE(e.lines, 300U);
    EXPECT_TRUE(e.errors.empty()) << report;
    EXPECT_GE(e.nature(), 0.95) << report;
    EXPECT_GE(e.category(), 0.95) << report;
    EXPECT_EQ(e.emergency_recall(), 1.0) << report;
    EXPECT_LE(e.false_emergency_rate(), 0.05) << report;
    EXPECT_GE(e.slot_accuracy(), 0.95) << report;
}

}  // namespace
}  // namespace anju::dialogs
