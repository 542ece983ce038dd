// The runtime side of owner groups (业主群): the `bridge` channel's webhook (/bridge/{id}, signed
// JSON, adapters/bridge/bridge.hpp), and the intake every group channel shares (the WeCom
// 智能机器人 serving residents uses it too): a member whose group identity is linked to a private
// conversation continues there, and the group hears one line; anyone else has a short exchange in
// the group, answered in one redacted line (bot/runtime/owner_groups.hpp).
#pragma once

#include "adapters/bridge/bridge.hpp"
#include "bot/core/clock.hpp"
#include "bot/core/metrics.hpp"
#include "bot/net/router.hpp"
#include "bot/runtime/channel_sender.hpp"
#include "bot/runtime/inbox.hpp"
#include "config/config.hpp"
#include "store/store.hpp"

#include <functional>
#include <memory>
#include <string>

namespace anju::runtime {

struct GroupAdmission {
    Inbox::Admission admission;
    bool went_private = false;  // the member is a known resident: the conversation went private
};

// Admits a message said in a group by `message.sender` (the member) in `message.chat`. Looks the
// member up; a linked member's message joins their private conversation (channel, account and
// sender are replaced, and the group is remembered for the ticket it leads to); otherwise the
// conversation is the member's in that group. Throws like Inbox::admit.
asio::awaitable<GroupAdmission> admit_from_group(store::Store& store, Inbox& inbox, InboundMessage message);

// "@安居 3号楼电梯坏了" → "3号楼电梯坏了": the leading @-mentions a group client puts in the text.
std::string strip_mentions(std::string_view text);

class BridgeChannel final : public ChannelSender {
public:
    // `queued` wakes the outbox after an answer too late for the response was queued.
    BridgeChannel(const config::BridgeConfig& config, store::Store& store, Inbox& inbox, Clock& clock,
                  metrics::Registry& metrics, std::function<void()> queued);

    // POST /bridge/{id}. 401 bad signature or stale timestamp, 409 replay, 400 bad JSON or field,
    // 503 when the journal cannot be written (the bridge should retry).
    asio::awaitable<net::Response> handle(net::ServerRequest request);

    // The answer in the group: offered to the waiting response, else queued for the outbound URL.
    asio::awaitable<void> deliver(std::shared_ptr<Turn> turn, Reply reply) override;

    const std::string& account() const { return config_.id; }

private:
    net::Response answer(http::status status, std::string body);

    config::BridgeConfig config_;
    adapters::bridge::Verifier verifier_;
    store::Store& store_;
    Inbox& inbox_;
    Clock& clock_;
    std::function<void()> queued_;
    metrics::Family<metrics::Counter>& requests_;
};

}  // namespace anju::runtime
