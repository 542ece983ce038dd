// Slot scanners over normalised text (see normalize.hpp: digits are ASCII, numerals before counters
// converted): building / unit / room in every usual form (3栋2单元501, 3-2-501, 3号楼502, A座1203室),
// floor (5楼, 12层, 地下2层, 负1楼, b2; else derived from a room number), elevator (3号梯, 3号电梯,
// 2#, 电梯2号), mobile and landline phone numbers, and clock times (下午3点半). Pure.
#pragma once

#include "dialogs/types.hpp"

#include <string_view>

namespace anju::dialogs {

// The slots `text` states: building, unit, room, floor, elevator, phone, time (clock times only;
// word times such as 半夜 come from the lexicon).
SlotMap scan_slots(std::string_view text);

// Just the home: building, unit and room.
Room scan_room(std::string_view text);

}  // namespace anju::dialogs
