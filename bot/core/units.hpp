// Durations and sizes as written in config: "250ms", "4s", "15m", "24h", "3d", "2wd" (working days,
// resolved later against the working-day calendar), and "512", "16KiB", "1MiB", "1GiB".
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace anju {

// A configured span of time: either a fixed length or a number of working days. Exactly one of
// the two is in use; `working_days > 0` means the length depends on the calendar.
struct Duration {
    std::chrono::milliseconds fixed{0};
    int working_days = 0;

    bool is_working_days() const { return working_days > 0; }
    friend bool operator==(const Duration&, const Duration&) = default;
};

// Parses "<digits><unit>" with unit ms, s, m, h, d or wd; returns nullopt on anything else
// (missing unit, negative or fractional numbers, overflow, spaces inside).
std::optional<Duration> parse_duration(std::string_view text);

// Parses a byte size: plain digits, or digits followed by B, KiB, MiB or GiB (also KB/MB/GB,
// read as powers of 1024). Returns nullopt on anything else or on overflow.
std::optional<std::uint64_t> parse_size(std::string_view text);

// "250ms", "4s", "15m", "2wd": the largest whole unit, for messages and /admin/config.
std::string format_duration(const Duration& d);

}  // namespace anju
