// How a channel hands out a turn's answer: the first part as the passive reply of a waiting
// webhook response when the channel has one, everything else through the platform's send API.
#pragma once

#include "bot/core/fwd.hpp"
#include "bot/core/message.hpp"
#include "bot/runtime/turn.hpp"

#include <boost/asio/awaitable.hpp>

#include <memory>

namespace anju::runtime {

class ChannelSender {
public:
    virtual ~ChannelSender() = default;
    // Delivers `reply` for `turn`: offers what fits a passive reply to the turn and sends the rest
    // (or all of it, when no attempt is waiting) through the platform API, in order. Called on the
    // conversation strand once the answer is durable. Platform failures are logged and counted,
    // not thrown.
    virtual asio::awaitable<void> deliver(std::shared_ptr<Turn> turn, Reply reply) = 0;
};

}  // namespace anju::runtime
