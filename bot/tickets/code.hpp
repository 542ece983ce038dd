// Public ticket codes (工单号): six characters that are easy to read aloud and to type on a phone,
// from an alphabet without look-alikes (no 0/O, 1/I/L, 5/S, 8/B, 2/Z). Each ticket id maps to one
// code and back; consecutive ids give unrelated-looking codes, so a code does not reveal how busy
// the property company is, and a typo rarely lands on another real ticket.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace anju::tickets {

inline constexpr std::string_view kCodeAlphabet = "34679ACDEFHJKMNPRTUVWXY";
inline constexpr std::size_t kCodeLength = 6;

// The code of ticket `id` (1 … kMaxCodeId).
std::string make_code(std::int64_t id);

// The id a code stands for, after normalising what people type (lower case, spaces, full-width
// characters, a leading "工单号："/"#"); nullopt if it is not a well-formed code.
std::optional<std::int64_t> code_id(std::string_view text);

// The canonical form of something that looks like a code ("k7m-3px" → "K7M3PX"), or nullopt.
std::optional<std::string> normalize_code(std::string_view text);

// How many distinct codes exist.
std::int64_t max_code_id();

}  // namespace anju::tickets
