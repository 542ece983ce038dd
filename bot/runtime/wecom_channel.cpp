#include "bot/runtime/wecom_channel.hpp"

#include "bot/core/log.hpp"
#include "bot/core/text.hpp"
#include "bot/runtime/bridge_channel.hpp"
#include "bot/runtime/owner_groups.hpp"

#include <random>

namespace anju::runtime {
namespace {

namespace wc = adapters::wecom;

const log::Logger wecom_log{"wecom"};

std::string fresh_nonce() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return std::to_string(rng() % 9'000'000'000ULL + 1'000'000'000ULL);
}

}  // namespace

WeComChannel::WeComChannel(std::string account, Inbox& inbox, Clock& clock, metrics::Registry& metrics,
                           WeComChannelOptions options)
    : account_(std::move(account)),
      inbox_(inbox),
      clock_(clock),
      options_(options),
      pushes_(metrics.counter("wecom_pushes_total", "Messages accepted from WeCom.", {"account", "kind"})),
      refused_(metrics.counter("wecom_refused_total", "WeCom callbacks refused, by reason.",
                               {"account", "reason"})),
      replies_(metrics.counter("wecom_replies_total",
                               "Answers to staff, by route (passive, api, response_url, failed).",
                               {"account", "via"})) {}

WeComChannel::WeComChannel(wc::AppEndpoint endpoint, wc::WeComApi* api, Inbox& inbox, Clock& clock,
                           metrics::Registry& metrics, WeComChannelOptions options)
    : WeComChannel(endpoint.options().account, inbox, clock, metrics, options) {
    app_.emplace(std::move(endpoint));
    api_ = api;
}

WeComChannel::WeComChannel(wc::AibotEndpoint endpoint, wc::RobotWebhook& robot, Inbox& inbox, Clock& clock,
                           metrics::Registry& metrics, WeComChannelOptions options, store::Store* residents)
    : WeComChannel(endpoint.options().account, inbox, clock, metrics, options) {
    aibot_.emplace(std::move(endpoint));
    robot_ = &robot;
    residents_ = residents;
}

net::Response WeComChannel::refuse(boost::system::error_code ec) {
    refused_.with({account_, ec.message()}).inc();
    ANJU_LOG_WARN(wecom_log) << "callback refused" << kv("account", account_) << kv("reason", ec.message());
    const bool unauthenticated = ec == wc::push_errc::bad_signature || ec == wc::push_errc::stale_timestamp ||
                                 ec == wc::push_errc::corp_id_mismatch || ec == wc::push_errc::decrypt_failed;
    return net::make_response(unauthenticated ? http::status::forbidden : http::status::bad_request, "");
}

asio::awaitable<net::Response> WeComChannel::handle(net::ServerRequest request) {
    const auto arrived = std::chrono::steady_clock::now();
    const auto query = net::parse_query(request.query);
    const auto now = clock_.now();
    if (request.message.method() != http::verb::post) {
        auto echo = app_ ? app_->verify_url(query, now) : aibot_->verify_url(query, now);
        if (!echo) {
            co_return refuse(echo.error());
        }
        ANJU_LOG_INFO(wecom_log) << "URL verified" << kv("account", account_);
        co_return net::make_response(http::status::ok, std::move(*echo), "text/plain; charset=utf-8");
    }
    auto opened = app_ ? app_->open(query, request.message.body(), now)
                       : aibot_->open(query, request.message.body(), now);
    if (!opened) {
        co_return refuse(opened.error());
    }
    pushes_.with({account_, std::string(to_string(opened->kind))}).inc();
    ANJU_LOG_DEBUG(wecom_log) << "message" << kv("account", account_) << kv("from", opened->sender)
                              << kv("text", opened->text);
    Inbox::Admission admission;
    bool went_private = false;
    try {
        if (residents_ != nullptr) {
            opened->channel = std::string(kWeComOwnerChannel);
            if (!opened->chat.empty()) {
                opened->text = strip_mentions(opened->text);
                auto admitted = co_await admit_from_group(*residents_, inbox_, std::move(*opened));
                admission = std::move(admitted.admission);
                went_private = admitted.went_private;
            } else {
                admission = co_await inbox_.admit(std::move(*opened));
            }
        } else {
            admission = co_await inbox_.admit(std::move(*opened));
        }
    } catch (const std::exception&) {
        co_return net::make_response(http::status::service_unavailable, "");
    }
    if (went_private) {
        // The conversation goes on privately; the group hears one line through this message's
        // one-shot response_url.
        admission.turn->decline_passive();
        const auto& url = admission.turn->message().reply_url;
        if (!url.empty() && !admission.duplicate) {
            auto line = group_private_line();
            auto sent = co_await robot_->respond_aibot(url, std::move(line));
            replies_.with({account_, std::string(sent ? "response_url" : "failed")}).inc();
        }
        co_return net::make_response(http::status::ok, wc::AibotEndpoint::render_ack(),
                                     "text/plain; charset=utf-8");
    }
    if (aibot_) {
        // The robot's answer goes to the response_url; the callback itself is acknowledged empty.
        admission.turn->decline_passive();
        co_return net::make_response(http::status::ok, wc::AibotEndpoint::render_ack(),
                                     "text/plain; charset=utf-8");
    }
    auto text = co_await admission.turn->await_passive(arrived + options_.reply_deadline);
    if (!text && admission.turn->failed()) {
        co_return net::make_response(http::status::service_unavailable, "");
    }
    if (!text) {
        // An empty 200 stops WeCom's retries; the answer follows through message/send.
        co_return net::make_response(http::status::ok, "", "text/plain; charset=utf-8");
    }
    auto body = app_->render_text_reply(admission.turn->message(), *text, clock_.now(), fresh_nonce());
    co_return net::make_response(http::status::ok, std::move(body), "application/xml; charset=utf-8");
}

asio::awaitable<void> WeComChannel::deliver(std::shared_ptr<Turn> turn, Reply reply) {
    const auto& message = turn->message();
    std::string all;
    if (residents_ != nullptr && !message.chat.empty()) {
        all = group_answer(reply.texts);  // neighbours read it: one line, nothing personal
    } else {
        for (const auto& t : reply.texts) {
            all += (all.empty() ? "" : "\n") + t;
        }
    }
    if (all.empty()) {
        turn->decline_passive();
        co_return;
    }
    if (aibot_) {
        turn->decline_passive();
        if (message.reply_url.empty()) {
            replies_.with({account_, "failed"}).inc();
            co_return;
        }
        // One answer per response_url: the first 4096 bytes, cut on a character boundary.
        auto parts = split_utf8(all, wc::kMaxAibotMarkdownBytes);
        std::string answer = parts.empty() ? all : parts.front();
        auto sent = co_await robot_->respond_aibot(message.reply_url, std::move(answer));
        replies_.with({account_, std::string(sent ? "response_url" : "failed")}).inc();
        if (!sent) {
            ANJU_LOG_WARN(wecom_log) << "answer not sent" << kv("account", account_)
                                     << kv("error", sent.error().message());
        }
        co_return;
    }
    auto parts = split_utf8(all, wc::kMaxAppTextBytes);
    std::size_t next = 0;
    if (!parts.empty() && turn->offer_passive(parts.front())) {
        replies_.with({account_, "passive"}).inc();
        next = 1;
    }
    for (; next < parts.size(); ++next) {
        if (api_ == nullptr) {
            replies_.with({account_, "failed"}).inc();
            ANJU_LOG_WARN(wecom_log) << "answer too slow for the passive reply and no corp_secret to send it"
                                     << kv("account", account_);
            break;
        }
        std::vector<std::string> to{message.sender};
        auto sent = co_await api_->send_text(std::move(to), parts[next]);
        replies_.with({account_, std::string(sent ? "api" : "failed")}).inc();
        if (!sent) {
            ANJU_LOG_WARN(wecom_log) << "answer not sent" << kv("account", account_)
                                     << kv("error", sent.error().message());
        }
    }
}

}  // namespace anju::runtime
