// A string that must never reach a log line or an error message: app secrets, tokens, AES keys.
// Printing it yields a placeholder; the value is read only through reveal().
#pragma once

#include <ostream>
#include <string>
#include <utility>

namespace anju {

class Secret {
public:
    Secret() = default;
    explicit Secret(std::string value) : value_(std::move(value)) {}

    // The secret value itself, for the one place that needs it (signing, an API call).
    const std::string& reveal() const noexcept { return value_; }
    bool empty() const noexcept { return value_.empty(); }

    friend bool operator==(const Secret&, const Secret&) = default;
    friend std::ostream& operator<<(std::ostream& out, const Secret& secret) {
        return out << (secret.empty() ? "<empty>" : "<redacted>");
    }

private:
    std::string value_;
};

}  // namespace anju
