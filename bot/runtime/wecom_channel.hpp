// The runtime side of one WeCom endpoint (/wecom/{id}): a self-built app's callback, where a member
// of staff writes to the app one-to-one (XML; passive encrypted reply within the deadline, else the
// app's message/send), or a 智能机器人 in a work group (JSON; acknowledged at once, answered through
// the message's one-shot response_url). Staff messages go through the same journal, dedupe and
// conversation actors as residents'; the StaffResponder answers them. PROTOCOLS.md §4.
#pragma once

#include "adapters/wecom/api.hpp"
#include "adapters/wecom/endpoint.hpp"
#include "bot/core/clock.hpp"
#include "bot/core/metrics.hpp"
#include "bot/net/router.hpp"
#include "bot/runtime/channel_sender.hpp"
#include "bot/runtime/inbox.hpp"
#include "store/store.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace anju::runtime {

struct WeComChannelOptions {
    std::chrono::milliseconds reply_deadline{3500};  // WeCom waits 5 s for the callback's answer
};

class WeComChannel final : public ChannelSender {
public:
    // An app callback. `api` (may be null when the app has no secret) sends answers too slow for
    // the passive reply. Everything passed by reference must outlive the channel.
    WeComChannel(adapters::wecom::AppEndpoint endpoint, adapters::wecom::WeComApi* api, Inbox& inbox,
                 Clock& clock, metrics::Registry& metrics, WeComChannelOptions options);
    // A 智能机器人: answers go to each message's response_url through `robot`. With `residents` (the
    // store), it sits in owner groups (业主群) and serves residents: group messages go through
    // admit_from_group (bot/runtime/bridge_channel.hpp) and answers in a group are one redacted line.
    WeComChannel(adapters::wecom::AibotEndpoint endpoint, adapters::wecom::RobotWebhook& robot, Inbox& inbox,
                 Clock& clock, metrics::Registry& metrics, WeComChannelOptions options,
                 store::Store* residents = nullptr);

    // GET (URL verification: the decrypted echostr) and POST (a message) on /wecom/{id}. Bad
    // signatures and stale timestamps get 403, bad payloads 400, a journal failure 503.
    asio::awaitable<net::Response> handle(net::ServerRequest request);

    asio::awaitable<void> deliver(std::shared_ptr<Turn> turn, Reply reply) override;

    const std::string& account() const { return account_; }
    // The channel name on its messages: "wecom" (app), "wecom_bot" (智能机器人 for staff) or
    // "wecom_owner" (智能机器人 in owner groups).
    std::string_view channel() const {
        return app_ ? "wecom" : residents_ != nullptr ? "wecom_owner" : "wecom_bot";
    }

private:
    WeComChannel(std::string account, Inbox& inbox, Clock& clock, metrics::Registry& metrics,
                 WeComChannelOptions options);
    net::Response refuse(boost::system::error_code ec);

    std::string account_;
    std::optional<adapters::wecom::AppEndpoint> app_;
    std::optional<adapters::wecom::AibotEndpoint> aibot_;
    adapters::wecom::WeComApi* api_ = nullptr;
    adapters::wecom::RobotWebhook* robot_ = nullptr;
    store::Store* residents_ = nullptr;
    Inbox& inbox_;
    Clock& clock_;
    WeComChannelOptions options_;
    metrics::Family<metrics::Counter>& pushes_;
    metrics::Family<metrics::Counter>& refused_;
    metrics::Family<metrics::Counter>& replies_;
};

}  // namespace anju::runtime
