#include "bot/runtime/api_json.hpp"

#include <charconv>
#include <ctime>

namespace anju::runtime::api {

net::Response reply(http::status status, const nlohmann::json& body) {
    return net::make_response(status,
                              body.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                              "application/json");
}

net::Response bad(std::string field, std::string why) {
    return reply(http::status::bad_request, {{"error", std::move(why)}, {"field", std::move(field)}});
}

std::string iso(Clock::time_point t) {
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
    std::time_t tt = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::optional<std::string> read_page_param(std::string_view key, std::string_view value, std::size_t& limit,
                                           std::int64_t& after, std::string_view ids) {
    std::int64_t n = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    const bool is_limit = key == "limit";
    if (ec != std::errc{} || p != value.data() + value.size() || n < 0 || (is_limit && (n < 1 || n > 1000))) {
        return is_limit ? std::string("must be 1-1000")
                        : "must be a " + std::string(ids) + " id (the \"next\" of a page)";
    }
    if (is_limit) {
        limit = static_cast<std::size_t>(n);
    } else {
        after = n;
    }
    return std::nullopt;
}

}  // namespace anju::runtime::api
