// The outbox part of the admin API (bearer token checked by the caller):
//   GET /api/v1/outbox?state=pending|sent|failed&ticket=<code>&limit=&after=
// what the service owes people and how each message went: recipient (openids included: this is
// for admins only), state, attempts, the last error, when it is next tried, created and sent.
// Bad parameters are answered 400 naming the field.
#pragma once

#include "bot/net/router.hpp"
#include "store/store.hpp"

namespace anju::runtime {

class OutboxApi {
public:
    // `store` must outlive the API.
    explicit OutboxApi(store::Store& store);

    // {"messages": [{id, key, channel, account, target, state, attempts, last_error, next_at,
    // created_at, sent_at, ticket}], "next": the id to pass as `after` for the next page, or null}.
    // Oldest first; limit 1-1000 (default 100). Thread-safe.
    asio::awaitable<net::Response> list(net::ServerRequest request);

private:
    store::Store& store_;
};

}  // namespace anju::runtime
