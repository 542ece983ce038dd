#include "tests/support/raw_client.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstdlib>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

namespace anju::testing {

RawClient::RawClient(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
        connect_errno_ = errno;
        return;
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        connect_errno_ = errno;
        ::close(fd_);
        fd_ = -1;
    }
}

RawClient::~RawClient() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

bool RawClient::send(std::string_view data) {
    while (!data.empty() && fd_ >= 0) {
        const auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return data.empty();
}

bool RawClient::read_some(std::chrono::steady_clock::time_point deadline) {
    if (fd_ < 0 || closed_) {
        return false;
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
        return false;
    }
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready <= 0) {
        return false;
    }
    char chunk[4096];
    const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
        closed_ = true;
        return false;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
}

std::string RawClient::read_response(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto end_of_header = buffer_.find("\r\n\r\n");
        if (end_of_header != std::string::npos) {
            const auto header = std::string_view(buffer_).substr(0, end_of_header + 4);
            const auto length_text = header_of(header, "Content-Length");
            const std::size_t length =
                length_text.empty() ? 0 : std::strtoul(length_text.c_str(), nullptr, 10);
            // A 1xx interim response or a HEAD answer has a header only; callers know which they expect.
            const auto total = end_of_header + 4 + (status_of(header) / 100 == 1 ? 0 : length);
            if (buffer_.size() >= total) {
                auto response = buffer_.substr(0, total);
                buffer_.erase(0, total);
                return response;
            }
        }
        if (!read_some(deadline)) {
            auto partial = std::move(buffer_);
            buffer_.clear();
            return partial;
        }
    }
}

std::string RawClient::read_until_close(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (read_some(deadline)) {
    }
    auto out = std::move(buffer_);
    buffer_.clear();
    return out;
}

int status_of(std::string_view response) {
    if (response.size() < 12 || response.substr(0, 5) != "HTTP/") {
        return 0;
    }
    const auto space = response.find(' ');
    if (space == std::string_view::npos || space + 4 > response.size()) {
        return 0;
    }
    return std::atoi(std::string(response.substr(space + 1, 3)).c_str());
}

std::string header_of(std::string_view response, std::string_view name) {
    const auto end = response.find("\r\n\r\n");
    auto head = response.substr(0, end);
    std::size_t pos = head.find("\r\n");
    while (pos != std::string_view::npos) {
        const auto next = head.find("\r\n", pos + 2);
        const auto line =
            head.substr(pos + 2, next == std::string_view::npos ? std::string_view::npos : next - pos - 2);
        const auto colon = line.find(':');
        if (colon == name.size() && ::strncasecmp(line.data(), name.data(), name.size()) == 0) {
            auto value = line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ') {
                value.remove_prefix(1);
            }
            return std::string(value);
        }
        pos = next;
    }
    return {};
}

std::string body_of(std::string_view response) {
    const auto end = response.find("\r\n\r\n");
    return end == std::string_view::npos ? std::string() : std::string(response.substr(end + 4));
}

}  // namespace anju::testing
