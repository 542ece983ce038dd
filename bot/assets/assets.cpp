#include "bot/assets/assets.hpp"

#include "bot/assets/index.hpp"

#include <algorithm>

namespace anju::assets {

const Asset* find(std::string_view name) {
    const auto table = entries();
    const auto it = std::lower_bound(table.begin(), table.end(), name,
                                     [](const Entry& e, std::string_view n) { return e.name < n; });
    if (it == table.end() || it->name != name) {
        return nullptr;
    }
    return it->asset;
}

std::vector<std::string_view> names() {
    std::vector<std::string_view> out;
    for (const auto& e : entries()) {
        out.push_back(e.name);
    }
    return out;
}

}  // namespace anju::assets
