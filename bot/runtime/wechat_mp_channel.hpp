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
#include <map>
#include <string>

namespace anju::runtime {

struct WeChatMpChannelOptions {
    std::chrono::milliseconds reply_deadline{3500};  // measured from the request's arrival
    std::size_t max_text_bytes = 2048;               // per text message (PROTOCOLS §1.8)
    // Template messages by name, for notifications outside the customer-service window.
    std::map<std::string, adapters::wechat_mp::TemplateSpec> templates;
};

// A message the service starts (not an answer): progress, survey, a note from staff.
struct Notification {
    std::string openid;
    std::string text;           // sent as customer-service text while the 48-hour window is open
    std::string template_name;  // fallback when the window has closed ("" for none)
    std::map<std::string, std::string> vars;  // template placeholders; {text} is added
    std::string key;  // idempotency key (template client_msg_id), stable across retries
};

struct NotifyOutcome {
    std::string via;  // "customer_service" or "template"
    std::int64_t msgid = 0;
};

// notify() with what a caller needs to decide whether a failure may be retried (the outbox).
struct NotifyReport {
    boost::system::result<NotifyOutcome> result{NotifyOutcome{}};
    // On failure: how long WeChat drops a repeat of the request that failed, i.e. the template's
    // client_msg_id lifetime (adapters::wechat_mp::kTemplateDedupeWindow) when it was a template sent
    // with a key; zero for customer-service texts, which have no idempotency key.
    std::chrono::milliseconds idempotent_for{0};
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

    // Sends a notification: customer-service text while the window is open; when WeChat answers
    // that it has closed (45015) or its quota is used up (45047), the named template instead.
    // Fails with the platform error (adapters::wechat_mp::errc) or template_invalid when no
    // usable template is configured. Thread-safe.
    asio::awaitable<boost::system::result<NotifyOutcome>> notify(Notification notification);

    // notify(), also telling whether the failed request carried an idempotency key. Thread-safe.
    asio::awaitable<NotifyReport> notify_reporting(Notification notification);

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
