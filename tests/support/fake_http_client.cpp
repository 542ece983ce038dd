#include "tests/support/fake_http_client.hpp"

#include <optional>
#include <utility>

namespace anju::testing {

asio::awaitable<FakeHttpClient::Result> FakeHttpClient::send(net::HttpRequest request) {
    std::optional<Result> scripted;
    Responder responder;
    {
        std::lock_guard lock(mutex_);
        requests_.push_back(request);
        if (!script_.empty()) {
            scripted.emplace(std::move(script_.front()));
            script_.pop_front();
        } else {
            responder = responder_;
        }
    }
    if (scripted) {
        co_return std::move(*scripted);
    }
    if (responder) {
        co_return responder(request);
    }
    co_return make_error_code(net::errc::connect_failed);
}

void FakeHttpClient::push(net::HttpResponse response) {
    std::lock_guard lock(mutex_);
    script_.emplace_back(std::move(response));
}

void FakeHttpClient::push_error(net::errc error) {
    std::lock_guard lock(mutex_);
    script_.emplace_back(make_error_code(error));
}

void FakeHttpClient::push_json(int status, std::string body) {
    net::HttpResponse response;
    response.status = status;
    response.headers.emplace_back("Content-Type", "application/json");
    response.body = std::move(body);
    push(std::move(response));
}

void FakeHttpClient::set_responder(Responder responder) {
    std::lock_guard lock(mutex_);
    responder_ = std::move(responder);
}

std::vector<net::HttpRequest> FakeHttpClient::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

std::size_t FakeHttpClient::pending() const {
    std::lock_guard lock(mutex_);
    return script_.size();
}

}  // namespace anju::testing
