#include "bot/runtime/wechat_mp_channel.hpp"

#include "bot/core/log.hpp"
#include "bot/core/text.hpp"

#include <random>

namespace anju::runtime {
namespace {

namespace mp = adapters::wechat_mp;

const log::Logger mp_log{"wechat_mp"};

// WeChat's "accepted, no passive reply" answer (PROTOCOLS §1.6).
net::Response accepted() {
    return net::make_response(http::status::ok, "success", "text/plain; charset=utf-8");
}

std::string fresh_nonce() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return std::to_string(rng() % 9'000'000'000ULL + 1'000'000'000ULL);
}

}  // namespace

WeChatMpChannel::WeChatMpChannel(mp::Endpoint endpoint, mp::MpApi& api, Inbox& inbox, Clock& clock,
                                 metrics::Registry& metrics, WeChatMpChannelOptions options)
    : endpoint_(std::move(endpoint)),
      api_(api),
      inbox_(inbox),
      clock_(clock),
      options_(options),
      pushes_(metrics.counter("wechat_mp_pushes_total", "Messages and events accepted from WeChat.",
                              {"account", "kind"})),
      refused_(
          metrics.counter("wechat_mp_refused_total", "Pushes refused, by reason.", {"account", "reason"})),
      replies_(
          metrics.counter("wechat_mp_replies_total",
                          "Answer texts sent, by route: passive reply or customer-service API (or failed).",
                          {"account", "via"})),
      push_latency_(
          metrics
              .histogram("wechat_mp_push_seconds",
                         "Time from a push's arrival to its HTTP answer (passive reply or success).",
                         {"account"}, metrics::latency_buckets())
              .with({account()})) {}

asio::awaitable<net::Response> WeChatMpChannel::handle(net::ServerRequest request) {
    if (request.message.method() == http::verb::post) {
        co_return co_await push(std::move(request));
    }
    co_return co_await verify(request);
}

net::Response WeChatMpChannel::refuse(boost::system::error_code ec) {
    refused_.with({account(), ec.message()}).inc();
    ANJU_LOG_WARN(mp_log) << "push refused" << kv("account", account()) << kv("reason", ec.message());
    const bool unauthenticated = ec == mp::push_errc::bad_signature || ec == mp::push_errc::stale_timestamp ||
                                 ec == mp::push_errc::app_id_mismatch;
    // No detail in the body: a prober learns nothing about which check failed.
    return net::make_response(unauthenticated ? http::status::forbidden : http::status::bad_request, "");
}

asio::awaitable<net::Response> WeChatMpChannel::verify(const net::ServerRequest& request) {
    auto echo = endpoint_.verify_url(net::parse_query(request.query), clock_.now());
    if (!echo) {
        co_return refuse(echo.error());
    }
    ANJU_LOG_INFO(mp_log) << "URL verified" << kv("account", account());
    co_return net::make_response(http::status::ok, std::move(*echo), "text/plain; charset=utf-8");
}

asio::awaitable<net::Response> WeChatMpChannel::push(net::ServerRequest request) {
    const auto arrived = std::chrono::steady_clock::now();
    auto opened = endpoint_.open(net::parse_query(request.query), request.message.body(), clock_.now());
    if (!opened) {
        co_return refuse(opened.error());
    }
    const bool encrypted = opened->encrypted;
    pushes_.with({account(), std::string(to_string(opened->message.kind))}).inc();
    ANJU_LOG_DEBUG(mp_log) << "push" << kv("account", account())
                           << kv("kind", to_string(opened->message.kind)) << kv("text", opened->message.text);

    Inbox::Admission admission;
    try {
        admission = co_await inbox_.admit(std::move(opened->message));
    } catch (const std::exception&) {
        // Not journaled, so not acknowledged: WeChat delivers it again.
        co_return net::make_response(http::status::service_unavailable, "");
    }
    auto text = co_await admission.turn->await_passive(arrived + options_.reply_deadline);
    if (!text && admission.turn->failed()) {
        // A re-delivery that joined a delivery whose journal write failed: not acknowledged either.
        co_return net::make_response(http::status::service_unavailable, "");
    }
    net::Response response = accepted();
    if (text) {
        auto body = endpoint_.render_text_reply(admission.turn->message(), *text, encrypted, clock_.now(),
                                                fresh_nonce());
        response = net::make_response(http::status::ok, std::move(body), "application/xml; charset=utf-8");
    }
    push_latency_.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - arrived).count());
    co_return response;
}

asio::awaitable<void> WeChatMpChannel::deliver(std::shared_ptr<Turn> turn, Reply reply) {
    const auto& message = turn->message();
    std::vector<std::string> parts;
    for (const auto& text : reply.texts) {
        for (auto& part : split_utf8(text, options_.max_text_bytes)) {
            if (!part.empty()) {
                parts.push_back(std::move(part));
            }
        }
    }
    if (parts.empty() || message.kind == MessageKind::unsubscribe) {
        turn->decline_passive();
        co_return;
    }
    std::size_t next = 0;
    if (turn->offer_passive(parts.front())) {
        replies_.with({account(), "passive"}).inc();
        next = 1;
    }
    for (; next < parts.size(); ++next) {
        auto sent = co_await api_.send_text(message.sender, parts[next]);
        if (sent) {
            replies_.with({account(), "customer_service"}).inc();
        } else {
            replies_.with({account(), "failed"}).inc();
            ANJU_LOG_WARN(mp_log) << "customer-service message not sent" << kv("account", account())
                                  << kv("error", sent.error().message());
        }
    }
}

}  // namespace anju::runtime

namespace anju::runtime {

asio::awaitable<boost::system::result<NotifyOutcome>> WeChatMpChannel::notify(Notification n) {
    auto report = co_await notify_reporting(std::move(n));
    co_return std::move(report.result);
}

asio::awaitable<NotifyReport> WeChatMpChannel::notify_reporting(Notification n) {
    NotifyReport report;
    std::vector<std::string> parts;
    for (auto& part : split_utf8(n.text, options_.max_text_bytes)) {
        parts.push_back(std::move(part));
    }
    boost::system::error_code failure;
    for (const auto& part : parts) {
        auto sent = co_await api_.send_text(n.openid, part);
        if (!sent) {
            failure = sent.error();
            break;
        }
    }
    if (!failure && !parts.empty()) {
        replies_.with({account(), "customer_service"}).inc();
        report.result = NotifyOutcome{"customer_service", 0};
        co_return report;
    }
    const bool window_closed =
        failure == mp::errc::window_closed || failure == mp::errc::quota_exceeded || parts.empty();
    if (!window_closed) {
        replies_.with({account(), "failed"}).inc();
        report.result = failure;
        co_return report;
    }
    const auto spec = options_.templates.find(n.template_name);
    if (spec == options_.templates.end()) {
        ANJU_LOG_WARN(mp_log) << "window closed and no template to fall back on" << kv("account", account())
                              << kv("template", n.template_name);
        replies_.with({account(), "failed"}).inc();
        report.result = make_error_code(mp::errc::template_invalid);
        co_return report;
    }
    n.vars.emplace("text", n.text);
    auto message = mp::render_template(spec->second, n.vars, n.openid, n.key);
    if (!message) {
        replies_.with({account(), "failed"}).inc();
        report.result = message.error();
        co_return report;
    }
    const bool keyed = !message->client_msg_id.empty();
    auto msgid = co_await api_.send_template(std::move(*message));
    if (!msgid) {
        replies_.with({account(), "failed"}).inc();
        report.result = msgid.error();
        if (keyed) {
            report.idempotent_for = mp::kTemplateDedupeWindow;
        }
        co_return report;
    }
    replies_.with({account(), "template"}).inc();
    report.result = NotifyOutcome{"template", *msgid};
    co_return report;
}

}  // namespace anju::runtime
