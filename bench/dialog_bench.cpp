// The dialog engine's speed and footprint: step() turns per second on one thread, over scripted
// conversations that exercise every phase (room question, slot questions, restatement, submit,
// emergency, two problems, cancel, progress, small talk), and the memory of an idle dialog state
// (what is kept per resident between complaints), counted from the heap allocations of a copy.
//   anju_dialog_bench [--dialogs config/dialogs] [--seconds 3]
// Targets (issue 4): ≥ 20,000 turns/s on one core; an idle state under 2 KB.
#include "config/config.hpp"
#include "dialogs/flow.hpp"
#include "dialogs/state_json.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <malloc.h>
#include <new>
#include <string>
#include <string_view>
#include <vector>

namespace {

// Heap accounting for the memory figure: bytes the allocator really hands out (usable size plus
// glibc's 8-byte chunk header), counted only while `counting` is set.
std::atomic<bool> counting{false};
std::atomic<std::size_t> counted_bytes{0};
std::atomic<std::size_t> counted_blocks{0};

void* allocate(std::size_t n) {
    void* p = std::malloc(n == 0 ? 1 : n);
    if (p == nullptr) {
        throw std::bad_alloc();
    }
    if (counting.load(std::memory_order_relaxed)) {
        counted_bytes += malloc_usable_size(p) + sizeof(void*);
        ++counted_blocks;
    }
    return p;
}

}  // namespace

// Every form of new the program uses must be replaced together, or the sanitizers see new/free
// mismatches (std::stable_sort's buffer comes from the nothrow form).
void* operator new(std::size_t n) { return allocate(n); }
void* operator new[](std::size_t n) { return allocate(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    try {
        return allocate(n);
    } catch (const std::bad_alloc&) {
        return nullptr;
    }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
    try {
        return allocate(n);
    } catch (const std::bad_alloc&) {
        return nullptr;
    }
}
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

using anju::dialogs::Dialogs;
using anju::dialogs::DialogState;
using anju::dialogs::Event;
using Clock = std::chrono::system_clock;

// Each script is one resident's conversation, message by message.
const std::vector<std::vector<std::string>> kScripts = {
    {"电梯坏了", "3栋2单元501", "2号梯", "没有", "停在5楼不动", "对"},
    {"3号楼二单元的电梯卡在5楼，里面有个老人"},
    {"楼上漏水到我家了", "5栋1单元302", "还在漏", "对的"},
    {"半夜装修吵死了", "楼上"},
    {"物业费怎么多收了", "3栋1单元1201", "进度", "物业费", "多收了200块", "对"},
    {"楼道灯坏了，另外垃圾也没人清", "6栋2单元303", "5楼楼道", "对", "1单元门口", "对"},
    {"你好", "谢谢", "今天天气不错"},
    {"電梯壞了！！", "３栋２单元５０１", "不知道", "没人", "门关不上", "修改", "电梯编号", "3号梯", "对"},
    {"车位被别人占了", "取消"},
    {"煤气味很重，在2栋楼道里"},
};
// Complaints the scripts file when every turn is understood as intended (checked below).
constexpr std::size_t kFiledPerRound = 9;

struct Options {
    std::string dir = "config/dialogs";
    double seconds = 3;
};

std::size_t idle_state_bytes(const DialogState& state, std::size_t& blocks) {
    counted_bytes = 0;
    counted_blocks = 0;
    counting = true;
    const auto* copy = new DialogState(state);
    counting = false;
    const std::size_t bytes = counted_bytes.load();
    blocks = counted_blocks.load();
    delete copy;
    return bytes;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string_view arg = argv[i];
        if (arg == "--dialogs") {
            o.dir = argv[i + 1];
        } else if (arg == "--seconds") {
            o.seconds = std::atof(argv[i + 1]);
        } else {
            std::fprintf(stderr, "usage: anju_dialog_bench [--dialogs DIR] [--seconds S]\n");
            return 2;
        }
    }
    anju::config::DialogsConfig config;
    config.settings.enabled = true;
    if (auto loaded = anju::config::load_dialogs(o.dir, config); !loaded) {
        for (const auto& p : loaded.error().items) {
            std::fprintf(stderr, "%s\n", p.to_string().c_str());
        }
        return 1;
    }
    auto dialogs = Dialogs::create(config);
    if (!dialogs) {
        for (const auto& p : dialogs.error()) {
            std::fprintf(stderr, "%s\n", p.c_str());
        }
        return 1;
    }

#ifndef NDEBUG
    std::printf("note: a debug build; run build/release/bench/anju_dialog_bench for meaningful figures\n");
#endif
    // Throughput: replay the scripts, each as a new resident, until the time is up.
    std::size_t turns = 0;
    std::size_t submitted = 0;
    std::size_t reply_bytes = 0;
    auto now = Clock::now();
    const auto started = std::chrono::steady_clock::now();
    const auto budget = std::chrono::duration<double>(o.seconds);
    std::size_t resident = 0;
    while (std::chrono::steady_clock::now() - started < budget) {
        for (int round = 0; round < 20; ++round) {
            for (const auto& script : kScripts) {
                DialogState state;
                Event event;
                event.resident = "bench/" + std::to_string(++resident);
                for (const auto& text : script) {
                    event.text = text;
                    now += std::chrono::seconds(20);
                    auto turn = dialogs->step(state, event, now);
                    state = std::move(turn.state);
                    reply_bytes += turn.reply.size();
                    for (const auto& a : turn.actions) {
                        submitted += a.kind == anju::dialogs::Action::Kind::submit ? 1 : 0;
                    }
                    ++turns;
                }
            }
        }
    }
    std::size_t per_round = 0;
    for (const auto& script : kScripts) {
        per_round += script.size();
    }
    const auto rounds = turns / per_round;
    if (submitted != rounds * kFiledPerRound) {
        std::fprintf(stderr,
                     "the scripts filed %zu complaints, expected %zu: a dialog changed; fix the scripts\n",
                     submitted, rounds * kFiledPerRound);
        return 1;
    }
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const double rate = static_cast<double>(turns) / elapsed;
    std::printf(
        "step(): %zu turns in %.2f s on one thread = %.0f turns/s (%.1f µs/turn); %zu complaints filed, "
        "%.0f reply bytes/turn\n",
        turns, elapsed, rate, 1e6 / rate, submitted,
        static_cast<double>(reply_bytes) / static_cast<double>(turns));
    std::printf("  target ≥ 20,000 turns/s: %s\n", rate >= 20000 ? "met" : "NOT MET");

    // Memory: the idle state of a resident with one remembered room, and of one who has filed five
    // complaints (the most the state keeps for follow-ups and progress questions).
    DialogState fresh;
    Event event;
    event.resident = "wechat_mp/demo/oResident";
    for (const auto* text : {"电梯坏了", "3栋2单元501", "2号梯", "没有", "停在5楼不动", "对"}) {
        event.text = text;
        now += std::chrono::seconds(20);
        fresh = dialogs->step(fresh, event, now).state;
    }
    DialogState one_room;
    one_room.rooms = fresh.rooms;
    one_room.asked_room = true;
    DialogState busy = fresh;
    for (int i = 0; i < 6; ++i) {
        for (const auto* text : {"3号楼电梯困人了"}) {
            event.text = text;
            now += std::chrono::seconds(20);
            busy = dialogs->step(busy, event, now).state;
        }
    }
    if (!one_room.idle() || !fresh.idle() || !busy.idle() || busy.recent.size() != 5) {
        std::fprintf(stderr, "the idle states are not what this bench means to measure\n");
        return 1;
    }
    for (const auto& [name, state] :
         {std::pair<const char*, const DialogState*>{"one room, nothing filed", &one_room},
          {"one room, one complaint filed", &fresh},
          {"one room, five complaints kept", &busy}}) {
        std::size_t blocks = 0;
        // The copy is made with new, so the count holds the object itself and all it points to.
        const auto total = idle_state_bytes(*state, blocks);
        std::printf(
            "idle state (%s): %zu bytes in %zu heap blocks (the %zu-byte object and what it owns); "
            "%zu bytes as stored JSON; target < 2048: %s\n",
            name, total, blocks, sizeof(DialogState), anju::dialogs::to_json(*state).size(),
            total < 2048 ? "met" : "NOT MET");
    }
    return 0;
}
