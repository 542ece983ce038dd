// The web chat's open sockets by visitor: a visitor (one browser, identified by the id its page keeps)
// may have several tabs open, and everything the service says to that visitor goes to all of them.
#pragma once

#include "bot/core/metrics.hpp"
#include "bot/net/websocket.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace anju::runtime {

class WebChatHub {
public:
    // Registers its gauge in `metrics`, which must outlive the hub.
    explicit WebChatHub(metrics::Registry& metrics);

    // Adds one open socket of `visitor` (a socket already added is ignored). Thread-safe.
    void add(const std::string& visitor, const net::WebSocket& socket);

    // Forgets a socket (by WebSocket::id()) when its session ends. Thread-safe.
    void remove(const std::string& visitor, std::uint64_t socket_id);

    // Sends `text` to every open socket of `visitor`, one after the other; returns how many took it
    // (0: the visitor has no page open). Thread-safe; sends run on each socket's strand.
    asio::awaitable<std::size_t> send(std::string visitor, std::string text);

    // Open sockets of `visitor`. Thread-safe.
    std::size_t sockets(const std::string& visitor) const;

private:
    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::vector<net::WebSocket>> sockets_;
    metrics::Gauge& open_;
};

}  // namespace anju::runtime
