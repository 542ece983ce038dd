#include "bot/tickets/code.hpp"

namespace anju::tickets {
namespace {

constexpr std::int64_t kBase = static_cast<std::int64_t>(kCodeAlphabet.size());

constexpr std::int64_t power(std::int64_t base, std::size_t exp) {
    std::int64_t r = 1;
    for (std::size_t i = 0; i < exp; ++i) {
        r *= base;
    }
    return r;
}

constexpr std::int64_t kSpace = power(kBase, kCodeLength);  // 23^6 = 148,035,889
// id ↦ (id · kMul + kAdd) mod kSpace is a bijection because kMul is coprime with 23.
constexpr std::int64_t kMul = 97'531'813;
constexpr std::int64_t kAdd = 40'077'171;

// The inverse of kMul modulo kSpace (extended Euclid).
constexpr std::int64_t inverse(std::int64_t a, std::int64_t m) {
    std::int64_t t = 0;
    std::int64_t new_t = 1;
    std::int64_t r = m;
    std::int64_t new_r = a % m;
    while (new_r != 0) {
        const auto q = r / new_r;
        const auto next_t = t - q * new_t;
        t = new_t;
        new_t = next_t;
        const auto next_r = r - q * new_r;
        r = new_r;
        new_r = next_r;
    }
    return t < 0 ? t + m : t;
}
constexpr std::int64_t kInverse = inverse(kMul, kSpace);
static_assert(kMul % kBase != 0, "kMul must be coprime with the code space");

// a, b < kSpace < 2^28, so the product fits in 64 bits.
std::int64_t mulmod(std::int64_t a, std::int64_t b, std::int64_t m) { return (a * b) % m; }

}  // namespace

std::int64_t max_code_id() { return kSpace - 1; }

std::string make_code(std::int64_t id) {
    auto n = (mulmod(id % kSpace, kMul, kSpace) + kAdd) % kSpace;
    std::string code(kCodeLength, ' ');
    for (std::size_t i = kCodeLength; i-- > 0;) {
        code[i] = kCodeAlphabet[static_cast<std::size_t>(n % kBase)];
        n /= kBase;
    }
    return code;
}

std::optional<std::string> normalize_code(std::string_view text) {
    std::string out;
    std::size_t i = 0;
    for (const std::string_view prefix : {"工单号：", "工单号:", "工单号", "工单", "#"}) {
        if (text.starts_with(prefix)) {
            i = prefix.size();
            break;
        }
    }
    while (i < text.size()) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c == 0xEF && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0xBC &&
            static_cast<unsigned char>(text[i + 1]) <= 0xBD) {
            // Full-width ASCII (U+FF01–U+FF5E) → ASCII.
            const auto cp = ((0xF & c) << 12) | ((0x3F & static_cast<unsigned char>(text[i + 1])) << 6) |
                            (0x3F & static_cast<unsigned char>(text[i + 2]));
            c = static_cast<unsigned char>(cp - 0xFEE0);
            i += 3;
        } else {
            ++i;
        }
        if (c == ' ' || c == '-' || c == '_') {
            continue;
        }
        if (c >= 'a' && c <= 'z') {
            c = static_cast<unsigned char>(c - 'a' + 'A');
        }
        if (kCodeAlphabet.find(static_cast<char>(c)) == std::string_view::npos) {
            return std::nullopt;
        }
        out.push_back(static_cast<char>(c));
    }
    if (out.size() != kCodeLength) {
        return std::nullopt;
    }
    return out;
}

std::optional<std::int64_t> code_id(std::string_view text) {
    const auto code = normalize_code(text);
    if (!code) {
        return std::nullopt;
    }
    std::int64_t n = 0;
    for (const char c : *code) {
        n = n * kBase + static_cast<std::int64_t>(kCodeAlphabet.find(c));
    }
    const auto id = mulmod((n - kAdd + kSpace) % kSpace, kInverse, kSpace);
    if (id == 0) {
        return std::nullopt;
    }
    return id;
}

}  // namespace anju::tickets
