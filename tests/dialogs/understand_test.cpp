// Understanding one message with the shipped lexicons (config/dialogs): normalisation (Traditional
// characters, full-width forms, emoji, stray spaces), slots (room, elevator, floor, phone, time,
// trapped), emergencies, yes/no answers, commands and small talk, nature and category with their
// evidence, and several problems in one message. Table-driven: each table loops with SCOPED_TRACE.
#include "dialogs/understand.hpp"

#include "config/config.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace anju::dialogs {
namespace {

class UnderstandTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        config::DialogsConfig dialogs;
        const auto loaded = config::load_dialogs(ANJU_SOURCE_DIR "/config/dialogs", dialogs);
        if (!loaded) {
            problem_ = loaded.error().items.front().to_string();
            return;
        }
        auto created = Understander::create(dialogs.understanding);
        if (!created) {
            problem_ = created.error().front();
            return;
        }
        understander_.emplace(std::move(*created));
    }
    static void TearDownTestSuite() { understander_.reset(); }

    void SetUp() override { ASSERT_TRUE(understander_) << problem_; }

    static Understanding understand(std::string_view text) { return understander_->understand(text); }
    static const Understander& understander() { return *understander_; }

    static inline std::optional<Understander> understander_;
    static inline std::string problem_;
};

// The value of a slot, or "<none>".
std::string slot(const SlotMap& slots, std::string_view name) {
    const auto value = slots.get(name);
    return value ? std::string(*value) : std::string("<none>");
}

std::string answer_of(const Understanding& u) { return !u.answer ? "<none>" : (*u.answer ? "yes" : "no"); }

// What understanding decided, in one line: findings (nature/category/urgency) and every slot.
std::string summary(const Understanding& u) {
    std::string out;
    for (const auto& f : u.findings) {
        out += std::string(to_string(f.nature)) + "/" + f.category + "/" + std::string(to_string(f.urgency)) +
               " ";
    }
    out += "|";
    for (const auto& [name, value] : u.slots.items()) {
        out += " " + name + "=" + value;
    }
    out += " | answer=" + answer_of(u) + " command=" + u.command + " smalltalk=" + u.smalltalk;
    return out;
}

bool has_evidence(const Finding& f, std::string_view evidence) {
    return std::find(f.evidence.begin(), f.evidence.end(), evidence) != f.evidence.end();
}

// ---- normalisation ----

TEST_F(UnderstandTest, NormalisesCharactersDigitsAndPunctuation) {
    struct Case {
        std::string text;
        std::string normalized;
    };
    const std::vector<Case> cases = {
        {"電梯壞了", "电梯坏了"},
        {"樓上漏水", "楼上漏水"},
        {"３栋２单元５０１，", "3栋2单元501,"},
        {"电梯坏了！！？", "电梯坏了!!?"},
        {"三栋二单元五零一", "3栋2单元501"},
        {"今天下午三点", "今天下午3点"},
        {"  电梯坏了  ", "电梯坏了"},
        {"电 梯 坏 了", "电梯坏了"},
        {"3 栋 2 单元 501", "3栋2单元501"},
        {"ＡＢＣ", "abc"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text);
        EXPECT_EQ(understander().normalize(c.text), c.normalized);
    }
}

TEST_F(UnderstandTest, VariantFormsAreUnderstoodLikeThePlainForm) {
    struct Case {
        std::string variant;
        std::string plain;
    };
    const std::vector<Case> cases = {
        {"電梯壞了", "电梯坏了"},
        {"樓上漏水到我家了", "楼上漏水到我家了"},
        {"電梯壞了，３號樓", "电梯坏了,3号楼"},
        {"３栋２单元５０１，电梯坏了", "3栋2单元501,电梯坏了"},
        {"３号楼电梯坏了！！", "3号楼电梯坏了!!"},
        {"电梯坏了😡😡", "电梯坏了"},
        {"😭😭楼上漏水到我家了🙏", "楼上漏水到我家了"},
        {"  电梯坏了  ", "电梯坏了"},
        {"电 梯 坏 了", "电梯坏了"},
        {"3 栋 2 单元 501 电梯坏了", "3栋2单元501电梯坏了"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.variant);
        const auto plain = understand(c.plain);
        ASSERT_FALSE(plain.findings.empty());
        EXPECT_EQ(summary(understand(c.variant)), summary(plain));
    }
}

// A space between two words ("电梯  坏了") may be a clause boundary, but the bare "坏了" after it
// must not become a second complaint (public_facility) that the plain "电梯坏了" does not have.
TEST_F(UnderstandTest, StraySpacesBetweenWordsAreUnderstoodLikeThePlainForm) {
    for (const std::string variant : {"电梯  坏了", "😡电梯  坏了😡", "电梯 坏了"}) {
        SCOPED_TRACE(variant);
        EXPECT_EQ(summary(understand(variant)), summary(understand("电梯坏了")));
    }
}

// ---- slots ----

TEST_F(UnderstandTest, ReadsRooms) {
    struct Case {
        std::string text;
        std::string building;
        std::string unit;
        std::string room;
    };
    const std::vector<Case> cases = {
        {"3栋2单元501", "3", "2", "501"},          {"3-2-501", "3", "2", "501"},
        {"三栋二单元五零一", "3", "2", "501"},     {"３栋２单元５０１", "3", "2", "501"},
        {"3号楼502", "3", "<none>", "502"},        {"我住5栋1单元1203", "5", "1", "1203"},
        {"3栋2单元501,电梯坏了", "3", "2", "501"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text);
        const auto u = understand(c.text);
        EXPECT_EQ(slot(u.slots, "building"), c.building);
        EXPECT_EQ(slot(u.slots, "unit"), c.unit);
        EXPECT_EQ(slot(u.slots, "room"), c.room);
        const auto room = understander().read_room(u.normalized);
        EXPECT_EQ(room.building, c.building == "<none>" ? "" : c.building);
        EXPECT_EQ(room.unit, c.unit == "<none>" ? "" : c.unit);
        EXPECT_EQ(room.room, c.room == "<none>" ? "" : c.room);
    }
}

TEST_F(UnderstandTest, ReadsElevatorFloorPhoneAndTime) {
    struct Case {
        std::string text;
        std::string name;
        std::string value;
    };
    const std::vector<Case> cases = {
        // elevator
        {"3号梯", "elevator", "3"},
        {"三号电梯", "elevator", "3"},
        {"2#电梯坏了", "elevator", "2"},
        {"2#梯", "elevator", "2"},
        {"电梯2号坏了", "elevator", "2"},
        // floor, stated or derived from the room number
        {"电梯停在12楼", "floor", "12"},
        {"卡在5楼了", "floor", "5"},
        {"车库负1楼的灯坏了", "floor", "-1"},
        {"地下2层车库", "floor", "-2"},
        {"3栋2单元501", "floor", "5"},
        // 11-digit mobile numbers, with or without dashes; ten digits are not one
        {"电话13812345678", "phone", "13812345678"},
        {"手机号138-1234-5678", "phone", "13812345678"},
        {"联系电话13912345678，电梯坏了", "phone", "13912345678"},
        {"手机1381234567", "phone", "<none>"},
        // times: clock times and lexicon words
        {"昨天晚上楼上漏水", "time", "昨天晚上"},
        {"今天下午3点停电了", "time", "今天下午3点"},
        {"今天下午三点停电了", "time", "今天下午3点"},
        {"半夜装修吵死了", "time", "半夜"},
        // not slots
        {"电梯坏了", "elevator", "<none>"},
        {"电梯坏了", "floor", "<none>"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text + " → " + c.name);
        EXPECT_EQ(slot(understand(c.text).slots, c.name), c.value);
    }
}

TEST_F(UnderstandTest, ReadsWhetherSomeoneIsTrapped) {
    struct Case {
        std::string text;
        std::string trapped;
        Urgency urgency;
    };
    const std::vector<Case> cases = {
        {"电梯坏了，没有人被困", "false", Urgency::normal},
        {"电梯停了，没人困在里面", "false", Urgency::normal},
        {"电梯坏了，里面没人", "false", Urgency::normal},
        {"电梯不动了，无人被困", "false", Urgency::normal},
        {"好像有人被困", "true", Urgency::emergency},
        {"有人被困", "true", Urgency::emergency},
        {"电梯好像有人被困", "true", Urgency::emergency},
        {"有人被困在电梯里了", "true", Urgency::emergency},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text);
        const auto u = understand(c.text);
        EXPECT_EQ(slot(u.slots, "trapped"), c.trapped);
        ASSERT_NE(u.main(), nullptr);
        EXPECT_EQ(u.main()->category, "elevator");
        EXPECT_EQ(slot(u.main()->slots, "trapped"), c.trapped);
        EXPECT_EQ(to_string(u.main()->urgency), to_string(c.urgency));
        EXPECT_EQ(u.main()->emergency_kind, c.urgency == Urgency::emergency ? "trapped" : "");
    }
}

// An elderly person inside a lift stuck between floors is someone trapped: an emergency.
TEST_F(UnderstandTest, AnOldPersonInsideAStuckLiftIsTrapped) {
    const auto u = understand("3号楼二单元电梯卡在5楼，里面有个老人");
    ASSERT_NE(u.main(), nullptr);
    EXPECT_EQ(u.main()->category, "elevator");
    EXPECT_EQ(to_string(u.main()->urgency), "emergency");
    EXPECT_EQ(slot(u.slots, "trapped"), "true");
}

TEST_F(UnderstandTest, EmergencyWordsMakeAnEmergency) {
    struct Case {
        std::string text;
        std::string word;
        std::string category;
        std::string kind;
    };
    const std::vector<Case> cases = {
        {"3号楼电梯困人了，快来", "困人", "elevator", "trapped"},
        {"电梯停了，有人被困在里面", "被困", "elevator", "trapped"},
        {"楼下水管爆管了，水喷了一地", "爆管", "water_leak", "burst_pipe"},
        {"插座漏电了，手一碰就麻", "漏电", "power", "electric"},
        {"楼道里着火了", "着火", "fire", "fire"},
        {"楼道里有东西在冒烟", "冒烟", "fire", "fire"},
        {"厨房闻到一股煤气味", "煤气味", "gas", "gas"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text);
        const auto u = understand(c.text);
        ASSERT_NE(u.main(), nullptr);
        EXPECT_EQ(to_string(u.main()->urgency), "emergency");
        EXPECT_EQ(u.main()->category, c.category);
        EXPECT_EQ(u.main()->emergency_kind, c.kind);
        EXPECT_TRUE(has_evidence(*u.main(), "emergency:" + c.word))
            << ::testing::PrintToString(u.main()->evidence);
    }
}

TEST_F(UnderstandTest, NegatedOrPastDangersAreNotEmergencies) {
    for (const std::string text :
         {"电梯坏了，没有人被困", "电梯坏了，里面没人", "上次电梯坏了，已经修好了"}) {
        SCOPED_TRACE(text);
        const auto u = understand(text);
        for (const auto& f : u.findings) {
            EXPECT_NE(to_string(f.urgency), "emergency") << f.category;
        }
    }
}

// ---- answers, commands, small talk ----

TEST_F(UnderstandTest, ReadsYesAndNoAnswers) {
    struct Case {
        std::string text;
        std::string answer;
    };
    const std::vector<Case> cases = {
        {"是", "yes"},     {"对", "yes"},       {"嗯", "yes"},    {"好的", "yes"},   {"1", "yes"},
        {"是的", "yes"},   {"对的", "yes"},     {"嗯嗯", "yes"},  {"对对对", "yes"}, {"不是", "no"},
        {"不对", "no"},    {"没有", "no"},      {"否", "no"},     {"2", "no"},       {"不是的", "no"},
        {"1楼", "<none>"}, {"2号梯", "<none>"}, {"12", "<none>"}, {"501", "<none>"}, {"不知道", "<none>"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text);
        EXPECT_EQ(answer_of(understand(c.text)), c.answer);
    }
    // "1楼" and "2号梯" are what they say, not answers.
    EXPECT_EQ(slot(understand("1楼").slots, "floor"), "1");
    EXPECT_EQ(slot(understand("2号梯").slots, "elevator"), "2");
    EXPECT_TRUE(understand("不知道").unknown);
}

// "没错" ("that's right") is yes although it contains the no-word "没".
TEST_F(UnderstandTest, MeiCuoIsYes) { EXPECT_EQ(answer_of(understand("没错")), "yes"); }

TEST_F(UnderstandTest, ReadsCommandsAndSmallTalk) {
    struct Case {
        std::string text;
        std::string command;
        std::string smalltalk;
    };
    const std::vector<Case> cases = {
        {"取消", "cancel", ""}, {"修改", "edit", ""}, {"换房号", "change_room", ""}, {"进度", "progress", ""},
        {"人工", "human", ""},  {"帮助", "help", ""}, {"你好", "", "greeting"},      {"谢谢", "", "thanks"},
        {"再见", "", "bye"},    {"电梯坏了", "", ""},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text);
        const auto u = understand(c.text);
        EXPECT_EQ(u.command, c.command);
        EXPECT_EQ(u.smalltalk, c.smalltalk);
    }
}

// ---- nature and category ----

TEST_F(UnderstandTest, ClassifiesNatureAndCategory) {
    struct Case {
        std::string text;
        Nature nature;
        std::string category;
    };
    const std::vector<Case> cases = {
        {"电梯又坏了！！", Nature::facility, "elevator"},
        {"楼上漏水到我家了", Nature::facility, "water_leak"},
        {"半夜装修吵死了", Nature::order, "noise"},
        {"物业费怎么多收了", Nature::fee, "fee_dispute"},
        {"小区门口有陌生人一直转悠", Nature::order, "stranger"},
        {"楼道灯坏了", Nature::facility, "lighting"},
        {"家里停电了", Nature::facility, "power"},
        {"下水道堵了", Nature::facility, "drainage"},
        {"车位被别人占了", Nature::order, "parking"},
        {"垃圾堆了好几天没人清", Nature::service, "sanitation"},
        {"保安态度很差", Nature::service, "butler_service"},
        {"小区的树好久没修剪了", Nature::service, "greening"},
        {"电梯困人了", Nature::facility, "elevator"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text);
        const auto u = understand(c.text);
        ASSERT_NE(u.main(), nullptr);
        EXPECT_EQ(to_string(u.main()->nature), to_string(c.nature));
        EXPECT_EQ(u.main()->category, c.category);
        EXPECT_GT(u.main()->score, 0);
        EXPECT_FALSE(u.main()->text.empty());
        // The words that decided the category are given.
        ASSERT_FALSE(u.main()->evidence.empty());
        EXPECT_TRUE(std::any_of(u.main()->evidence.begin(), u.main()->evidence.end(),
                                [](const std::string& e) { return e.starts_with("category:"); }))
            << ::testing::PrintToString(u.main()->evidence);
        EXPECT_TRUE(u.command.empty());
        EXPECT_TRUE(u.smalltalk.empty());
    }
}

TEST_F(UnderstandTest, NonComplaintsHaveNoFindings) {
    struct Case {
        std::string text;
        std::string smalltalk;
    };
    const std::vector<Case> cases = {
        {"谢谢", "thanks"}, {"你好", "greeting"}, {"3栋2单元501", ""},
        {"", ""},           {"😀😀😀", ""},          {"。。。？？！！", ""},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text);
        const auto u = understand(c.text);
        EXPECT_TRUE(u.findings.empty()) << summary(u);
        EXPECT_EQ(u.main(), nullptr);
        EXPECT_EQ(u.smalltalk, c.smalltalk);
    }
}

// The parking lexicon's exclusion "车库漏水" cancels parking only: the leak is still a leak.
TEST_F(UnderstandTest, ALeakInTheGarageIsAWaterLeak) {
    for (const std::string text : {"车库漏水", "地下2层车库漏水了"}) {
        SCOPED_TRACE(text);
        const auto u = understand(text);
        ASSERT_NE(u.main(), nullptr);
        EXPECT_EQ(u.main()->category, "water_leak");
    }
}

TEST_F(UnderstandTest, TwoProblemsInOneMessageAreTwoFindings) {
    struct Case {
        std::string text;
        std::vector<std::string> categories;
    };
    const std::vector<Case> cases = {
        {"楼道灯坏了，另外垃圾也没人清", {"lighting", "sanitation"}},
        {"电梯坏了，还有楼上漏水到我家了", {"elevator", "water_leak"}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text);
        const auto u = understand(c.text);
        std::vector<std::string> categories;
        for (const auto& f : u.findings) {
            categories.push_back(f.category);
            EXPECT_FALSE(f.evidence.empty()) << f.category;
            EXPECT_FALSE(f.text.empty()) << f.category;
        }
        EXPECT_EQ(categories, c.categories);
    }
    // Each finding keeps the words it was read from.
    const auto u = understand("电梯坏了，还有楼上漏水到我家了");
    ASSERT_EQ(u.findings.size(), 2U);
    EXPECT_EQ(u.findings[0].text, "电梯坏了");
    EXPECT_NE(u.findings[1].text.find("漏水"), std::string::npos);
}

TEST_F(UnderstandTest, AnEmergencyLeadsWhateverWasSaidFirst) {
    const auto u = understand("楼道灯坏了，另外电梯里有人被困");
    ASSERT_GE(u.findings.size(), 2U) << summary(u);
    EXPECT_EQ(u.findings[0].category, "elevator");
    EXPECT_EQ(to_string(u.findings[0].urgency), "emergency");
    EXPECT_EQ(u.findings[1].category, "lighting");
}

TEST_F(UnderstandTest, OddInputIsUnderstoodWithoutFindings) {
    const std::string invalid = "\xff\xfe\x80\xc3(\xe2\x82";
    const std::string long_text(10 * 1024, 'a');
    for (const std::string& text : {invalid, long_text, std::string("\0\0", 2)}) {
        const auto u = understand(text);
        EXPECT_TRUE(u.findings.empty());
        EXPECT_FALSE(u.answer.has_value());
    }
    // Invalid UTF-8 becomes U+FFFD, so the normalised text is valid UTF-8.
    EXPECT_NE(understand(invalid).normalized.find("\xEF\xBF\xBD"), std::string::npos);
}

}  // namespace
}  // namespace anju::dialogs
