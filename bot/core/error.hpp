// Error categories for anju's per-area `enum class errc` types, and `Error`, an error code with
// a human-readable detail for the few places (start-up, config) where a code alone says too little.
#pragma once

#include <boost/system/error_code.hpp>

#include <string>
#include <string_view>
#include <type_traits>

namespace anju {

// Specialise for each area's errc: `static constexpr const char* name` (the category name) and
// `static std::string_view message(Enum)` (one clear sentence per value, no secrets).
template <class Enum>
struct ErrcTraits;

namespace detail {
// boost::system::error_category has a protected non-virtual destructor by design (categories are
// never deleted through a base pointer), which -Wnon-virtual-dtor reports anyway.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
template <class Enum>
class ErrcCategory final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return ErrcTraits<Enum>::name; }
    std::string message(int ev) const override {
        return std::string(ErrcTraits<Enum>::message(static_cast<Enum>(ev)));
    }
};
#pragma GCC diagnostic pop
}  // namespace detail

// The single category object of an errc enum. Thread-safe.
template <class Enum>
const boost::system::error_category& errc_category() noexcept {
    static const detail::ErrcCategory<Enum> category;
    return category;
}

// Helper for each area's `make_error_code(errc)` overload (found by ADL).
template <class Enum>
boost::system::error_code make_errc_code(Enum e) noexcept {
    return {static_cast<int>(e), errc_category<Enum>()};
}

// An error code plus the detail a person needs to act on it ("schema version 7 is newer than 3").
// The detail never contains secrets.
struct Error {
    boost::system::error_code code;
    std::string detail;

    // "detail" when present, otherwise the code's message.
    std::string what() const { return detail.empty() ? code.message() : detail; }
};

}  // namespace anju
