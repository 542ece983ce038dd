#include "bot/runtime/webchat_hub.hpp"

#include <algorithm>

namespace anju::runtime {

WebChatHub::WebChatHub(metrics::Registry& metrics)
    : open_(metrics.gauge("webchat_sockets", "Web chat pages (browser tabs) connected.").with({})) {}

void WebChatHub::add(const std::string& visitor, const net::WebSocket& socket) {
    std::lock_guard lock(mutex_);
    auto& list = sockets_[visitor];
    const auto id = socket.id();
    if (std::any_of(list.begin(), list.end(), [id](const net::WebSocket& s) { return s.id() == id; })) {
        return;
    }
    list.push_back(socket);
    open_.inc();
}

void WebChatHub::remove(const std::string& visitor, std::uint64_t socket_id) {
    std::lock_guard lock(mutex_);
    const auto it = sockets_.find(visitor);
    if (it == sockets_.end()) {
        return;
    }
    const auto removed =
        std::erase_if(it->second, [socket_id](const net::WebSocket& s) { return s.id() == socket_id; });
    open_.dec(static_cast<std::int64_t>(removed));
    if (it->second.empty()) {
        sockets_.erase(it);
    }
}

asio::awaitable<std::size_t> WebChatHub::send(std::string visitor, std::string text) {
    std::vector<net::WebSocket> targets;
    {
        std::lock_guard lock(mutex_);
        if (const auto it = sockets_.find(visitor); it != sockets_.end()) {
            targets = it->second;
        }
    }
    std::size_t delivered = 0;
    for (auto& socket : targets) {
        auto copy = text;
        if (co_await socket.send(std::move(copy))) {
            ++delivered;
        }
    }
    co_return delivered;
}

std::size_t WebChatHub::sockets(const std::string& visitor) const {
    std::lock_guard lock(mutex_);
    const auto it = sockets_.find(visitor);
    return it == sockets_.end() ? 0 : it->second.size();
}

}  // namespace anju::runtime
