// A blocking TCP client on raw POSIX sockets for tests that must misbehave on purpose: send half a
// request, pipeline, stall, or read exactly what the server wrote. Every wait has a timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace anju::testing {

class RawClient {
public:
    // Connects to 127.0.0.1:port. connected() tells whether it worked (refused → false).
    explicit RawClient(std::uint16_t port);
    ~RawClient();
    RawClient(const RawClient&) = delete;
    RawClient& operator=(const RawClient&) = delete;

    bool connected() const { return fd_ >= 0; }
    int connect_errno() const { return connect_errno_; }

    // Writes all of `data`; false if the peer is gone.
    bool send(std::string_view data);

    // Reads one HTTP/1.x response (headers, then Content-Length bytes of body) or what arrived
    // before `timeout`/the peer closed. Bytes read past that response are kept for the next call.
    std::string read_response(std::chrono::milliseconds timeout = std::chrono::seconds(5));

    // Reads until the peer closes or `timeout` passes. Returns what arrived; closed() tells which.
    std::string read_until_close(std::chrono::milliseconds timeout = std::chrono::seconds(5));

    // Whether the peer has closed the connection (an orderly EOF or a reset was seen).
    bool closed() const { return closed_; }

private:
    // Reads once, waiting at most until `deadline`; false on timeout or close.
    bool read_some(std::chrono::steady_clock::time_point deadline);

    int fd_ = -1;
    int connect_errno_ = 0;
    bool closed_ = false;
    std::string buffer_;
};

// The status code of a raw response ("HTTP/1.1 413 …" → 413), or 0 if there is none.
int status_of(std::string_view response);

// A header's value in a raw response (case-insensitive name), or empty.
std::string header_of(std::string_view response, std::string_view name);

// The body of a raw response (everything after the blank line).
std::string body_of(std::string_view response);

}  // namespace anju::testing
