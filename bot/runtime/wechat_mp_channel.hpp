// The runtime side of one WeChat Official Account: the webhook handler for /wechat/mp/{id}
// (verify → decrypt → parse → journal → wait for the turn's passive reply within the deadline) and
// the ChannelSender that hands out answers (passive when an attempt waits, customer-service API
// otherwise). The protocol itself lives in adapters/wechat_mp.
#pragma once

#include "adapters/wechat_mp/api.hpp"
#include "adapters/wechat_mp/endpoint.hpp"
#include "bot/core/clock.hpp"
#include "bot/core/metrics.hpp"
#include "bot/net/router.hpp"
#include "bot/runtime/channel_sender.hpp"
#include "bot/runtime/inbox.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>

namespace anju::runtime {

struct WeChatMpChannelOptions {
    std::chrono::milliseconds reply_deadline{3500};  // measured from the request's arrival
    std::size_t max_text_bytes = 2048;               // per text message (PROTOCOLS §1.8)
};

class WeChatMpChannel final : public ChannelSender {
public:
    // Everything passed by reference must outlive the channel.
    WeChatMpChannel(adapters::wechat_mp::Endpoint endpoint, adapters::wechat_mp::MpApi& api, Inbox& inbox,
                    Clock& clock, metrics::Registry& metrics, WeChatMpChannelOptions options);

    // GET (URL verification) and POST (message push) on /wechat/mp/{id}. Bad signatures and stale
    // timestamps get 403, bad payloads 400, both without detail; a journal failure gets 503 so
    // WeChat delivers again. Thread-safe.
    asio::awaitable<net::Response> handle(net::ServerRequest request);

    asio::awaitable<void> deliver(std::shared_ptr<Turn> turn, Reply reply) override;

    const std::string& account() const { return endpoint_.options().account; }

private:
    asio::awaitable<net::Response> verify(const net::ServerRequest& request);
    asio::awaitable<net::Response> push(net::ServerRequest request);
    net::Response refuse(boost::system::error_code ec);

    adapters::wechat_mp::Endpoint endpoint_;
    adapters::wechat_mp::MpApi& api_;
    Inbox& inbox_;
    Clock& clock_;
    WeChatMpChannelOptions options_;
    metrics::Family<metrics::Counter>& pushes_;
    metrics::Family<metrics::Counter>& refused_;
    metrics::Family<metrics::Counter>& replies_;
    metrics::Histogram& push_latency_;
};

}  // namespace anju::runtime
