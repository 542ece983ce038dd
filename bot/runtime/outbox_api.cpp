#include "bot/runtime/outbox_api.hpp"

#include "bot/net/url.hpp"
#include "bot/runtime/api_json.hpp"
#include "bot/tickets/code.hpp"
#include "store/ticket_store.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cstdio>
#include <ctime>

namespace anju::runtime {
namespace {

using json = nlohmann::json;

using api::bad;
using api::reply;

// Unix milliseconds as "2026-11-27T01:00:00.250Z"; null for 0 (not set).
json iso(std::int64_t ms) {
    if (ms == 0) {
        return nullptr;
    }
    const std::time_t seconds = ms / 1000;
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char buf[40];
    const auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    char millis[8];
    std::snprintf(millis, sizeof millis, ".%03dZ", static_cast<int>(ms % 1000));
    return std::string(buf, n) + millis;
}

json message_json(const store::OutboxRow& row) {
    const auto& m = row.message;
    return {{"id", m.id},
            {"key", m.key},
            {"channel", m.channel},
            {"account", m.account},
            {"target", m.target},
            {"state", m.state},
            {"attempts", m.attempts},
            {"last_error", m.last_error},
            {"next_at", m.state == "pending" ? iso(m.next_at_ms) : json(nullptr)},
            {"created_at", iso(m.created_at_ms)},
            {"sent_at", iso(m.sent_at_ms)},
            {"ticket", row.ticket_code.empty() ? json(nullptr) : json(row.ticket_code)}};
}

}  // namespace

OutboxApi::OutboxApi(store::Store& store) : store_(store) {}

asio::awaitable<net::Response> OutboxApi::list(net::ServerRequest request) {
    const auto query = net::parse_query(request.query);
    store::OutboxFilter f;
    for (const auto& [key, value] : query) {
        if (key == "state") {
            if (value != "pending" && value != "sent" && value != "failed") {
                co_return bad("state", "must be pending, sent or failed (got \"" + value + "\")");
            }
            f.state = value;
        } else if (key == "ticket") {
            const auto code = tickets::normalize_code(value);
            if (!code) {
                co_return bad("ticket", "not a ticket code (six characters such as K7M3PX)");
            }
            f.ticket_code = *code;
        } else if (key == "limit" || key == "after") {
            if (auto wrong = api::read_page_param(key, value, f.limit, f.after_id, "message")) {
                co_return bad(key, std::move(*wrong));
            }
        } else {
            co_return bad(key, "unknown parameter");
        }
    }
    auto read = [f](SQLite::Database& db) { return store::find_outbox(db, f); };
    const auto rows = co_await store_.run(std::move(read));
    json items = json::array();
    for (const auto& row : rows) {
        items.push_back(message_json(row));
    }
    json body = {{"messages", std::move(items)}};
    body["next"] = rows.size() == f.limit && !rows.empty() ? json(rows.back().message.id) : json(nullptr);
    co_return reply(http::status::ok, body);
}

}  // namespace anju::runtime
