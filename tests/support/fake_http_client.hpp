// An HttpClient for unit tests without sockets: records every request and answers from a script of
// responses and errors, then from an optional responder function.
#pragma once

#include "bot/net/errors.hpp"
#include "bot/net/http_client.hpp"

#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace anju::testing {

class FakeHttpClient final : public net::HttpClient {
public:
    using Result = boost::system::result<net::HttpResponse>;
    using Responder = std::function<Result(const net::HttpRequest&)>;

    // Records the request, then returns the oldest scripted result; when the script is empty, the
    // responder's answer; with neither, errc::connect_failed. Completes without suspending.
    // Thread-safe; the responder is called without the lock held, so it may call back into the fake.
    asio::awaitable<Result> send(net::HttpRequest request) override;

    // Appends to the script. Thread-safe.
    void push(net::HttpResponse response);
    void push_error(net::errc error);
    // A response with Content-Type: application/json and the given status and body.
    void push_json(int status, std::string body);

    // Answers requests once the script is exhausted. Thread-safe.
    void set_responder(Responder responder);

    // Copies of every request sent so far, in order. Thread-safe.
    std::vector<net::HttpRequest> requests() const;
    // Scripted results not yet consumed. Thread-safe.
    std::size_t pending() const;

private:
    mutable std::mutex mutex_;
    std::deque<Result> script_;
    Responder responder_;
    std::vector<net::HttpRequest> requests_;
};

}  // namespace anju::testing
