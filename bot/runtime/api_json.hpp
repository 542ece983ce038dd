// Shared pieces of the admin JSON APIs (tickets, outbox): replies, "400 with the field", times, and
// the paging parameters every list takes.
#pragma once

#include "bot/core/clock.hpp"
#include "bot/net/http_server.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace anju::runtime::api {

// A JSON reply; text that is not UTF-8 is replaced rather than failing.
net::Response reply(http::status status, const nlohmann::json& body);
// 400 {"error": why, "field": field}.
net::Response bad(std::string field, std::string why);
// "2026-11-27T01:00:00Z" (UTC).
std::string iso(Clock::time_point t);

// Reads `limit` (1–1000) or `after` (an id from a page's "next"); `key` must be one of the two.
// Returns why the value is wrong, or nullopt when it was stored. `ids` names what `after` counts
// ("ticket", "message").
std::optional<std::string> read_page_param(std::string_view key, std::string_view value, std::size_t& limit,
                                           std::int64_t& after, std::string_view ids);

}  // namespace anju::runtime::api
