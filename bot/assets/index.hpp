// Internal to anju::assets: the table of embedded files that the generated index.cpp defines.
#pragma once

#include "bot/assets/assets.hpp"

#include <span>
#include <string_view>

namespace anju::assets {

struct Entry {
    std::string_view name;
    const Asset* asset = nullptr;
};

// Every embedded file, sorted by name. Defined in the generated index.cpp.
std::span<const Entry> entries();

}  // namespace anju::assets
