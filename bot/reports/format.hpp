// Internal to bot/reports: number and time formatting shared by the renderers (JSON, CSV, HTML and
// the Chinese summary).
#pragma once

#include "bot/reports/report.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace anju::reports::detail {

// `value` rounded to `decimals` places.
double rounded(double value, int decimals);
// "87.5%" (one decimal, trailing ".0" dropped: "90%"); "—" when unset.
std::string percent_text(std::optional<double> fraction);
// A percentage already scaled to 0-100: "36.6%".
std::string percent_value_text(double percent);
// A number with one decimal, trailing ".0" dropped: "4.2", "4".
std::string decimal_text(double value);
// Unix milliseconds as local ISO 8601 with the offset: "2026-11-30T23:30:00+08:00".
std::string iso_local(std::int64_t ms, int utc_offset_minutes);
// Reads what iso_local wrote, or a UTC "…Z" time; nullopt for anything else.
std::optional<std::int64_t> parse_iso(std::string_view text);
// "2026-11-30 23:30" local.
std::string local_text(std::int64_t ms, int utc_offset_minutes);
// "+3", "-2", "0".
std::string signed_text(std::int64_t value);
// "阳光花园 " when the report covers several communities (so "3栋" says whose), else "".
std::string community_prefix(const MonthlyReport& report, std::string_view community);

}  // namespace anju::reports::detail
