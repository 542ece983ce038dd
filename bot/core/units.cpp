#include "bot/core/units.hpp"

#include <charconv>
#include <limits>

namespace anju {
namespace {

// Splits "123abc" into 123 and "abc". Fails on an empty number or overflow.
std::optional<std::pair<std::uint64_t, std::string_view>> split_number(std::string_view text) {
    std::uint64_t value = 0;
    const auto* begin = text.data();
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(begin, end, value);
    if (ec != std::errc{} || ptr == begin) {
        return std::nullopt;
    }
    return std::pair{value, text.substr(static_cast<std::size_t>(ptr - begin))};
}

std::optional<std::uint64_t> checked_mul(std::uint64_t a, std::uint64_t b, std::uint64_t max) {
    if (a != 0 && b > max / a) {
        return std::nullopt;
    }
    return a * b;
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text) {
    const auto parts = split_number(text);
    if (!parts) {
        return std::nullopt;
    }
    const auto [value, unit] = *parts;
    if (unit == "wd") {
        if (value > 3650) {
            return std::nullopt;
        }
        return Duration{std::chrono::milliseconds{0}, static_cast<int>(value)};
    }
    std::uint64_t ms_per_unit = 0;
    if (unit == "ms") {
        ms_per_unit = 1;
    } else if (unit == "s") {
        ms_per_unit = 1000;
    } else if (unit == "m") {
        ms_per_unit = 60'000;
    } else if (unit == "h") {
        ms_per_unit = 3'600'000;
    } else if (unit == "d") {
        ms_per_unit = 86'400'000;
    } else {
        return std::nullopt;
    }
    constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max() / 4);
    const auto ms = checked_mul(value, ms_per_unit, kMax);
    if (!ms) {
        return std::nullopt;
    }
    return Duration{std::chrono::milliseconds{static_cast<std::int64_t>(*ms)}, 0};
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
    const auto parts = split_number(text);
    if (!parts) {
        return std::nullopt;
    }
    const auto [value, unit] = *parts;
    std::uint64_t factor = 0;
    if (unit.empty() || unit == "B") {
        factor = 1;
    } else if (unit == "KiB" || unit == "KB") {
        factor = 1024;
    } else if (unit == "MiB" || unit == "MB") {
        factor = 1024ULL * 1024;
    } else if (unit == "GiB" || unit == "GB") {
        factor = 1024ULL * 1024 * 1024;
    } else {
        return std::nullopt;
    }
    return checked_mul(value, factor, std::numeric_limits<std::uint64_t>::max());
}

std::string format_duration(const Duration& d) {
    if (d.is_working_days()) {
        return std::to_string(d.working_days) + "wd";
    }
    const auto ms = d.fixed.count();
    static constexpr std::pair<std::int64_t, const char*> kUnits[] = {
        {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}};
    for (const auto& [size, name] : kUnits) {
        if (ms != 0 && ms % size == 0) {
            return std::to_string(ms / size) + name;
        }
    }
    return std::to_string(ms) + "ms";
}

}  // namespace anju
