#include "bot/runtime/application.hpp"

#include "bot/core/log.hpp"
#include "bot/core/text.hpp"
#include "bot/net/tls.hpp"
#include "bot/runtime/owner_groups.hpp"
#include "bot/runtime/scheduler.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>
#include <openssl/crypto.h>

#include <algorithm>
#include <csignal>
#include <thread>
#include <vector>

namespace anju::runtime {
namespace {

using namespace asio::experimental::awaitable_operators;
using json = nlohmann::json;

const log::Logger app_log{"app"};

constexpr std::chrono::milliseconds kHealthStoreDeadline{2000};
// Attempts at a web chat notice before it is given up: about a week at the default max_retry (1h).
constexpr int kWebChatAttempts = 180;

net::Response json_response(http::status status, const json& body) {
    return net::make_response(status, body.dump() + "\n", "application/json");
}

unsigned thread_count(unsigned configured) {
    if (configured > 0) {
        return configured;
    }
    return std::max(1U, std::thread::hardware_concurrency());
}

// The front page: what is running and where to look. Issue-7's web chat will live beside it.
constexpr std::string_view kIndexHtml = R"html(<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>安居 anju</title>
<style>
 body { font-family: system-ui, "PingFang SC", "Noto Sans CJK SC", sans-serif; max-width: 40rem; margin: 2rem auto;
        padding: 0 1rem; color: #222; line-height: 1.5; }
 h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
 h2 { font-size: 1.1rem; margin: 1.4rem 0 0.4rem; }
 .sub { color: #666; margin-top: 0; }
 code { background: #f3f3f3; padding: 0.1rem 0.3rem; border-radius: 3px; }
 li { margin: 0.3rem 0; }
 #health { font-weight: bold; }
</style>
</head>
<body>
<h1>安居 anju</h1>
<p class="sub">物业投诉处理 · property-complaint handling through chat</p>
<p>Service <b>{{NAME}}</b>, version {{VERSION}}: <span id="health">checking…</span></p>
<h2>试一试 · try it</h2>
<ul>
 <li><a href="/chat"><b>住户聊天</b></a> — talk to the bot as a resident, exactly as on WeChat (web chat)</li>
 <li><a href="/workgroup"><b>员工工作群</b></a> — the staff work group: see the ticket cards, claim and handle them (demo)</li>
 <li><a href="/console/"><b>管理后台</b></a> — the console: tickets, timelines, live view, monthly report (admin token)</li>
</ul>
<h2>Service</h2>
<ul>
 <li><a href="/healthz"><code>GET /healthz</code></a> — is the service and its store up</li>
 <li><a href="/metrics"><code>GET /metrics</code></a> — Prometheus metrics</li>
 <li><code>GET /admin/config</code> — the effective config (needs <code>Authorization: Bearer &lt;admin.token&gt;</code>)</li>
</ul>
<script>
fetch('/healthz').then(r => r.json()).then(j => {
  document.getElementById('health').textContent = j.status === 'ok' ? 'healthy ✓' : 'unhealthy: ' + JSON.stringify(j);
}).catch(e => { document.getElementById('health').textContent = 'unreachable: ' + e; });
</script>
</body>
</html>
)html";

std::string html_escape(std::string_view text) {
    std::string out;
    for (const char c : text) {
        switch (c) {
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '&':
                out += "&amp;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out.push_back(c);
        }
    }
    return out;
}

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
    for (auto pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size())) {
        text.replace(pos, from.size(), to);
    }
    return text;
}

}  // namespace

Application::Application(config::Config config, Clock& clock, ApplicationOptions options)
    : config_(std::move(config)), clock_(clock), options_(options), started_at_(clock.now()) {
    metrics_.gauge("anju_build_info", "Always 1; the version is in the label.", {"version"})
        .with({ANJU_VERSION})
        .set(1);
    const auto start_seconds =
        std::chrono::duration_cast<std::chrono::seconds>(started_at_.time_since_epoch()).count();
    metrics_.gauge("process_start_time_seconds", "Start time of the process since the Unix epoch.")
        .with({})
        .set(start_seconds);
}

Application::~Application() {
    server_.reset();
    signals_.reset();
    background_.reset();
    scheduler_.reset();
    outboxes_.clear();
    webchat_.reset();
    workgroup_.reset();
    wecom_channels_.clear();
    wecom_apis_.clear();
    robot_.reset();
    mp_channels_.clear();
    mp_apis_.clear();
    inbox_.reset();
    conversations_.reset();
    console_api_.reset();
    tickets_api_.reset();
    outbox_api_.reset();
    reports_api_.reset();
    staff_responder_.reset();
    dialog_responder_.reset();
    tickets_.reset();
    http_client_.reset();
    store_.reset();
}

boost::system::result<void, Error> Application::start() {
    store::StoreOptions store_options;
    store_options.path = config_.store.path;
    store_options.synchronous_full = config_.store.synchronous == config::StoreConfig::Sync::full;
    store_options.busy_timeout = config_.store.busy_timeout;
    auto opened = store::Store::open(store_options);
    if (!opened) {
        return opened.error();
    }
    store_ = std::move(*opened);
    outbox_api_ = std::make_unique<OutboxApi>(*store_);
    reports_api_ = std::make_unique<ReportsApi>(*store_, config_, clock_);
    if (auto built = start_dialogs(); !built) {
        return built.error();
    }
    if (auto channels = start_channels(); !channels) {
        return channels.error();
    }
    auto* store = store_.get();
    metrics_.gauge_callback("store_queue_depth", "Store jobs submitted and not yet finished.",
                            [store] { return static_cast<double>(store->queue_depth()); });
    metrics_.gauge("store_schema_version", "Schema version of the database.")
        .with({})
        .set(store_->schema_version());
    // Counters kept by the store itself, read at scrape time (a gauge callback renders as a gauge).
    metrics_.gauge_callback("store_commits",
                            "Write batches committed since start (one fsync each with synchronous=full).",
                            [store] { return static_cast<double>(store->commits()); });
    metrics_.gauge_callback("store_writes", "Writes committed since start, in those batches.",
                            [store] { return static_cast<double>(store->writes()); });

    net::HttpServerOptions http_options;
    http_options.address = config_.http.address;
    http_options.port = config_.http.port;
    http_options.body_limit = config_.http.body_limit;
    http_options.header_limit = config_.http.header_limit;
    http_options.read_timeout = config_.http.read_timeout;
    http_options.write_timeout = config_.http.write_timeout;
    http_options.idle_timeout = config_.http.idle_timeout;
    http_options.max_connections = config_.http.max_connections;
    http_options.websocket_allowed_origins = config_.channels.webchat.allowed_origins;
    server_ = std::make_unique<net::HttpServer>(ioc_.get_executor(), http_options, make_router(), metrics_);
    auto bound = server_->listen();
    if (!bound) {
        return Error{bound.error(), "cannot listen on " + config_.http.address + ":" +
                                        std::to_string(config_.http.port) + ": " + bound.error().message()};
    }
    endpoint_ = *bound;
    return {};
}

boost::system::result<void, Error> Application::start_dialogs() {
    if (config_.tickets.enabled && !config_.dialogs.settings.enabled) {
        return Error{
            make_error_code(boost::system::errc::invalid_argument),
            "the tickets section needs the dialogs section (it classifies what residents and staff report)"};
    }
    if (!config_.dialogs.settings.enabled) {
        return {};
    }
    auto built = dialogs::Dialogs::create(config_.dialogs);
    if (!built) {
        std::string detail = "the dialogs in " + config_.dialogs.settings.dir + " do not compile:";
        for (const auto& problem : built.error()) {
            detail += "\n  " + problem;
        }
        return Error{make_error_code(boost::system::errc::invalid_argument), std::move(detail)};
    }
    dialogs_.emplace(std::move(*built));
    if (config_.tickets.enabled) {
        directory_.emplace(config_.tickets);
        std::string staff_app;
        for (const auto& w : config_.channels.wecom) {
            if (w.kind == config::WeComConfig::Kind::app && !w.corp_secret.empty()) {
                staff_app = w.id;
                break;
            }
        }
        const auto* understander = &dialogs_->understander();
        auto labels = [understander](std::string_view category) {
            return std::string(understander->label(category));
        };
        tickets_ = std::make_unique<TicketService>(*directory_, clock_, labels, staff_app);
        tickets_->set_monthly_hook(reports_api_->monthly_hook(*tickets_));
        staff_responder_ = std::make_unique<StaffResponder>(*tickets_, dialogs_->understander(), clock_);
        tickets_api_ =
            std::make_unique<TicketsApi>(*store_, *tickets_, understander, clock_, [this] { committed(); });
        console_api_ = std::make_unique<ConsoleApi>(*store_, *tickets_, clock_);
        groups_api_ = std::make_unique<GroupsApi>(*store_, *tickets_, clock_, [this] { committed(); });
    }
    dialog_responder_ = std::make_unique<DialogResponder>(*dialogs_, *store_, clock_, tickets_.get());
    return {};
}

boost::system::result<void, Error> Application::start_channels() {
    net::TlsClientOptions tls;
    tls.ca_file = config_.http_client.ca_file;
    try {
        tls_.emplace(net::make_client_tls_context(tls));
    } catch (const std::exception& e) {
        return Error{make_error_code(boost::system::errc::invalid_argument), e.what()};
    }
    net::BeastHttpClientOptions client_options;
    client_options.max_response_bytes = config_.http_client.max_response_size;
    http_client_ = std::make_unique<net::BeastHttpClient>(ioc_.get_executor(), *tls_, client_options);
    background_ = std::make_unique<Background>(ioc_.get_executor());

    Responder& residents = dialog_responder_ ? static_cast<Responder&>(*dialog_responder_) : acknowledger_;
    Responder& staff = staff_responder_ ? static_cast<Responder&>(*staff_responder_) : acknowledger_;
    responders_.add("wechat_mp", residents);
    responders_.add("wecom", staff);
    responders_.add("wecom_bot", staff);
    responders_.add("web_staff", staff);
    responders_.add(std::string(kBridgeChannel), residents);
    responders_.add(std::string(kWeComOwnerChannel), residents);
    responders_.add("webchat", residents);
    Responder& responder = options_.responder != nullptr ? *options_.responder : responders_;
    ConversationDeps deps{*store_,
                          responder,
                          clock_,
                          [this](const InboundMessage& m) { return sender_for(m); },
                          [this](const std::shared_ptr<Turn>& turn) { inbox_->finished(turn); },
                          [this] { committed(); }};
    conversations_ = std::make_unique<Conversations>(ioc_.get_executor(), std::move(deps),
                                                     ConversationOptions{}, metrics_);
    inbox_ = std::make_unique<Inbox>(*store_, *conversations_, metrics_);

    for (const auto& account : config_.channels.wechat_mp) {
        adapters::wechat_mp::EndpointOptions endpoint_options;
        endpoint_options.account = account.id;
        endpoint_options.app_id = account.app_id;
        endpoint_options.token = account.token;
        endpoint_options.encoding_aes_key = account.encoding_aes_key;
        endpoint_options.mode =
            account.mode == config::WeChatMpConfig::Mode::plain        ? adapters::wechat_mp::Mode::plain
            : account.mode == config::WeChatMpConfig::Mode::compatible ? adapters::wechat_mp::Mode::compatible
                                                                       : adapters::wechat_mp::Mode::safe;
        endpoint_options.replay_window =
            std::chrono::duration_cast<std::chrono::seconds>(account.replay_window);
        auto endpoint = adapters::wechat_mp::Endpoint::create(std::move(endpoint_options));
        if (!endpoint) {
            return Error{endpoint.error(),
                         "channels.wechat_mp \"" + account.id + "\": " + endpoint.error().message()};
        }
        adapters::wechat_mp::MpApiOptions api_options;
        api_options.app_id = account.app_id;
        api_options.app_secret = account.app_secret;
        api_options.api_base = account.api_base;
        api_options.token_endpoint = account.token_endpoint == config::WeChatMpConfig::TokenEndpoint::classic
                                         ? adapters::wechat_mp::TokenEndpoint::classic
                                         : adapters::wechat_mp::TokenEndpoint::stable;
        api_options.request_timeout = config_.http_client.timeout;
        mp_apis_.push_back(std::make_unique<adapters::wechat_mp::MpApi>(ioc_.get_executor(), *http_client_,
                                                                        clock_, std::move(api_options)));
        WeChatMpChannelOptions channel_options;
        channel_options.reply_deadline = account.reply_deadline;
        for (const auto& [name, spec] : account.templates) {
            channel_options.templates.emplace(
                name, adapters::wechat_mp::TemplateSpec{spec.template_id, spec.url, spec.fields});
        }
        mp_channels_.push_back(std::make_unique<WeChatMpChannel>(std::move(*endpoint), *mp_apis_.back(),
                                                                 *inbox_, clock_, metrics_, channel_options));
    }
    if (auto wecom = start_wecom(); !wecom) {
        return wecom.error();
    }
    for (const auto& b : config_.channels.bridge) {
        bridge_channels_.push_back(
            std::make_unique<BridgeChannel>(b, *store_, *inbox_, clock_, metrics_, [this] { committed(); }));
        bridge_clients_.push_back(std::make_unique<adapters::bridge::BridgeClient>(
            *http_client_, b.outbound_url, b.secret, config_.http_client.timeout));
    }
    if (config_.channels.webchat.enabled) {
        WebChatChannelOptions webchat_options;
        webchat_options.max_text = config_.channels.webchat.max_text;
        webchat_options.service_name = config_.service.name;
        // Also without tickets: an answer that found no page of its visitor open waits here. A visitor
        // who closed the page is no platform failure, so their notices are kept for about a week (at
        // the max_retry interval) rather than given up after max_attempts; coming back makes them due.
        auto options = outbox_options(config_.outbox, {"webchat"});
        options.max_attempts = std::max(options.max_attempts, kWebChatAttempts);
        outboxes_.push_back(std::make_unique<OutboxSender>(
            ioc_.get_executor(), *store_, clock_,
            [this](const store::OutboxMessage& m) { return send_queued(m); }, metrics_, std::move(options)));
        webchat_ =
            std::make_unique<WebChatChannel>(*store_, *inbox_, clock_, metrics_, std::move(webchat_options),
                                             [sender = outboxes_.back().get()] { sender->kick(); });
    }
    if (const auto* community = WorkGroupChannel::web_community(config_.tickets); community && tickets_) {
        workgroup_ = std::make_unique<WorkGroupChannel>(*community, *store_, *inbox_, clock_, metrics_);
        outboxes_.push_back(std::make_unique<OutboxSender>(
            ioc_.get_executor(), *store_, clock_,
            [this](const store::OutboxMessage& m) { return send_queued(m); }, metrics_,
            outbox_options(config_.outbox, {"web_group", "web_staff"})));
    }
    if (tickets_) {
        // One dispatcher per channel, so a slow or failing platform does not hold up the others.
        // Every channel the outbox knows is in exactly one list.
        for (auto channels : std::vector<std::vector<std::string>>{
                 {"wechat_mp"},
                 {"wecom_app"},
                 {"wecom_chat"},
                 {"wecom_robot"},
                 {"wecom_aibot"},
                 {std::string(kBridgeChannel), std::string(kWeComOwnerChannel)}}) {
            outboxes_.push_back(std::make_unique<OutboxSender>(
                ioc_.get_executor(), *store_, clock_,
                [this](const store::OutboxMessage& m) { return send_queued(m); }, metrics_,
                outbox_options(config_.outbox, std::move(channels))));
        }
        scheduler_ = std::make_unique<Scheduler>(ioc_.get_executor(), *store_, clock_, metrics_, [this] {
            for (auto& o : outboxes_) {
                o->kick();
            }
        });
        tickets_->register_timers(*scheduler_);
        if (dialog_responder_) {
            dialog_responder_->register_timers(*scheduler_);
        }
    }
    return {};
}

void Application::committed() {
    // A committed change may have queued messages and set timers earlier than the one awaited.
    for (auto& o : outboxes_) {
        o->kick();
    }
    if (scheduler_) {
        scheduler_->kick();
    }
}

boost::system::result<void, Error> Application::start_wecom() {
    adapters::wecom::RobotWebhookOptions robot_options;
    robot_options.request_timeout = config_.http_client.timeout;
    if (!config_.channels.wecom.empty()) {
        robot_options.api_base = config_.channels.wecom.front().api_base;
    }
    robot_ = std::make_unique<adapters::wecom::RobotWebhook>(*http_client_, robot_options);
    for (const auto& account : config_.channels.wecom) {
        WeComChannelOptions channel_options;
        std::unique_ptr<adapters::wecom::WeComApi> api;
        if (!account.corp_secret.empty()) {
            adapters::wecom::WeComApiOptions api_options;
            api_options.corp_id = account.corp_id;
            api_options.corp_secret = account.corp_secret;
            api_options.agent_id = account.agent_id;
            api_options.api_base = account.api_base;
            api_options.request_timeout = config_.http_client.timeout;
            api = std::make_unique<adapters::wecom::WeComApi>(ioc_.get_executor(), *http_client_, clock_,
                                                              std::move(api_options));
        }
        const auto window = std::chrono::duration_cast<std::chrono::seconds>(account.replay_window);
        if (account.kind == config::WeComConfig::Kind::app) {
            adapters::wecom::AppEndpointOptions options;
            options.account = account.id;
            options.corp_id = account.corp_id;
            options.agent_id = account.agent_id;
            options.token = account.token;
            options.encoding_aes_key = account.encoding_aes_key;
            options.replay_window = window;
            auto endpoint = adapters::wecom::AppEndpoint::create(std::move(options));
            if (!endpoint) {
                return Error{endpoint.error(),
                             "channels.wecom \"" + account.id + "\": " + endpoint.error().message()};
            }
            wecom_channels_.push_back(std::make_unique<WeComChannel>(std::move(*endpoint), api.get(), *inbox_,
                                                                     clock_, metrics_, channel_options));
        } else {
            adapters::wecom::AibotEndpointOptions options;
            options.account = account.id;
            options.token = account.token;
            options.encoding_aes_key = account.encoding_aes_key;
            options.replay_window = window;
            auto endpoint = adapters::wecom::AibotEndpoint::create(std::move(options));
            if (!endpoint) {
                return Error{endpoint.error(),
                             "channels.wecom \"" + account.id + "\": " + endpoint.error().message()};
            }
            // A robot in owner groups (audience "residents") takes complaints; otherwise staff commands.
            store::Store* residents =
                account.audience == config::WeComConfig::Audience::residents ? store_.get() : nullptr;
            wecom_channels_.push_back(std::make_unique<WeComChannel>(
                std::move(*endpoint), *robot_, *inbox_, clock_, metrics_, channel_options, residents));
        }
        wecom_apis_.push_back(std::move(api));
    }
    return {};
}

asio::awaitable<SendOutcome> Application::send_queued(const store::OutboxMessage& m) {
    const auto payload = json::parse(m.payload, nullptr, false);
    if (!payload.is_object()) {
        co_return SendOutcome::fail("unreadable payload");
    }
    const auto text = payload.value("text", std::string());
    const auto markdown = payload.value("markdown", std::string());
    // What a failure means (retry, give up, or "may have been delivered") is outcome_for's call.
    if (m.channel == "web_group" || m.channel == "web_staff") {
        if (!workgroup_) {
            co_return SendOutcome::fail("no work group with \"web\": true");
        }
        auto outcome = co_await workgroup_->send_queued(m);
        co_return outcome;
    }
    if (m.channel == "webchat") {
        if (!webchat_) {
            co_return SendOutcome::fail("the web chat is off (channels.webchat.enabled)");
        }
        auto outcome = co_await webchat_->send_queued(m);
        co_return outcome;
    }
    if (m.channel == "wechat_mp") {
        for (const auto& channel : mp_channels_) {
            if (channel->account() != m.account) {
                continue;
            }
            auto outcome = co_await send_wechat_mp(*channel, m);
            co_return outcome;
        }
        co_return SendOutcome::fail("no wechat_mp account \"" + m.account + "\"");
    }
    if (m.channel == "wecom_app" || m.channel == "wecom_chat") {
        for (std::size_t i = 0; i < config_.channels.wecom.size(); ++i) {
            if (config_.channels.wecom[i].id != m.account || !wecom_apis_[i]) {
                continue;
            }
            auto& api = *wecom_apis_[i];
            if (m.channel == "wecom_chat") {
                for (auto& part : split_utf8(markdown, adapters::wecom::kMaxAppMarkdownBytes)) {
                    auto sent = co_await api.appchat_send_markdown(m.target, std::move(part));
                    if (!sent) {
                        co_return outcome_for(sent.error());
                    }
                }
                co_return SendOutcome::ok();
            }
            std::vector<std::string> users;
            for (std::size_t from = 0; from < m.target.size();) {
                const auto bar = std::min(m.target.find('|', from), m.target.size());
                if (bar > from) {
                    users.push_back(m.target.substr(from, bar - from));
                }
                from = bar + 1;
            }
            for (auto& part : split_utf8(text, adapters::wecom::kMaxAppTextBytes)) {
                auto to = users;
                auto sent = co_await api.send_text(std::move(to), std::move(part));
                if (!sent) {
                    // message/send asks WeCom to drop repeats within duplicate_check_interval.
                    co_return outcome_for(sent.error(), api.options().duplicate_check_interval);
                }
            }
            co_return SendOutcome::ok();
        }
        co_return SendOutcome::fail("no wecom app \"" + m.account + "\" with a corp_secret");
    }
    if (m.channel == "wecom_robot") {
        // account = community, target = department: the robot's key stays in the config.
        if (const auto* community = directory_ ? directory_->community(m.account) : nullptr) {
            for (const auto& g : community->groups) {
                if (g.department != m.target || g.robot_key.empty()) {
                    continue;
                }
                for (auto& part : split_utf8(markdown, adapters::wecom::kMaxRobotMarkdownBytes)) {
                    auto sent = co_await robot_->send_markdown(g.robot_key, std::move(part));
                    if (!sent) {
                        co_return outcome_for(sent.error());
                    }
                }
                co_return SendOutcome::ok();
            }
        }
        co_return SendOutcome::fail("no robot for " + m.account + "/" + m.target);
    }
    if (m.channel == kBridgeChannel || m.channel == kWeComOwnerChannel) {
        auto outcome = co_await send_to_owner_group(m);
        co_return outcome;
    }
    co_return SendOutcome::fail("unknown channel \"" + m.channel + "\"");
}

asio::awaitable<SendOutcome> Application::send_to_owner_group(const store::OutboxMessage& m) {
    const auto payload = json::parse(m.payload, nullptr, false);
    const auto text = payload.is_object() ? payload.value("text", std::string()) : std::string();
    std::vector<std::string> mentions;
    if (payload.is_object() && payload.contains("mentions") && payload["mentions"].is_array()) {
        for (const auto& v : payload["mentions"]) {
            if (v.is_string() && !v.get<std::string>().empty()) {
                mentions.push_back(v.get<std::string>());
            }
        }
    }
    if (m.channel == kBridgeChannel) {
        for (std::size_t i = 0; i < config_.channels.bridge.size(); ++i) {
            if (config_.channels.bridge[i].id != m.account) {
                continue;
            }
            // The message's outbox key is its id: the bridge drops a repeat, so a resend is safe.
            auto result =
                co_await bridge_clients_[i]->post(m.key, m.target, text, std::move(mentions), clock_.now());
            using Outcome = adapters::bridge::BridgeClient::Outcome;
            switch (result.outcome) {
                case Outcome::delivered:
                    co_return SendOutcome::ok();
                case Outcome::retry:
                    co_return SendOutcome::again(result.error);
                case Outcome::maybe_delivered:
                    co_return SendOutcome::unsure(result.error, std::chrono::hours(24));
                case Outcome::refused:
                    co_return SendOutcome::fail(result.error);
            }
        }
        co_return SendOutcome::fail("no bridge \"" + m.account + "\"");
    }
    // A WeCom owner group: the 智能机器人 can only answer, so notices go through a group robot in it.
    if (directory_) {
        for (const auto& community : directory_->config().communities) {
            for (const auto& g : community.owner_groups) {
                if (g.channel != "wecom" || g.account != m.account || g.chat != m.target ||
                    g.robot_key.empty()) {
                    continue;
                }
                auto sent = co_await robot_->send_text(g.robot_key, text, std::move(mentions));
                if (!sent) {
                    co_return outcome_for(sent.error());
                }
                co_return SendOutcome::ok();
            }
        }
    }
    co_return SendOutcome::fail("no robot_key for WeCom owner group " + m.target);
}

ChannelSender* Application::sender_for(const InboundMessage& message) {
    if (message.channel == "webchat") {
        return webchat_.get();
    }
    if (message.channel == "web_staff") {
        return workgroup_.get();
    }
    if (message.channel == kBridgeChannel) {
        for (const auto& channel : bridge_channels_) {
            if (channel->account() == message.account) {
                return channel.get();
            }
        }
    }
    if (message.channel == "wechat_mp") {
        for (const auto& channel : mp_channels_) {
            if (channel->account() == message.account) {
                return channel.get();
            }
        }
    }
    for (const auto& channel : wecom_channels_) {
        if (channel->channel() == message.channel && channel->account() == message.account) {
            return channel.get();
        }
    }
    return nullptr;
}

net::Router Application::make_router() {
    net::Router router;
    router.add(http::verb::get, "/", [this](net::ServerRequest r) { return index(std::move(r)); });
    router.add(http::verb::get, "/healthz", [this](net::ServerRequest r) { return healthz(std::move(r)); });
    router.add(http::verb::get, "/metrics",
               [this](net::ServerRequest r) { return metrics_page(std::move(r)); });
    router.add(http::verb::get, "/admin/config",
               [this](net::ServerRequest r) { return admin_config(std::move(r)); });
    router.add(http::verb::post, "/admin/wechat/mp/{id}/notify",
               [this](net::ServerRequest r) { return admin_notify(std::move(r)); });
    router.add(http::verb::get, "/wechat/mp/{id}",
               [this](net::ServerRequest r) { return wechat_mp(std::move(r)); });
    router.add(http::verb::post, "/wechat/mp/{id}",
               [this](net::ServerRequest r) { return wechat_mp(std::move(r)); });
    router.add(http::verb::post, "/admin/wecom/{id}/appchat",
               [this](net::ServerRequest r) { return admin_appchat(std::move(r)); });
    router.add(http::verb::get, "/wecom/{id}", [this](net::ServerRequest r) { return wecom(std::move(r)); });
    router.add(http::verb::post, "/wecom/{id}", [this](net::ServerRequest r) { return wecom(std::move(r)); });
    router.add(http::verb::get, "/api/v1/tickets",
               [this](net::ServerRequest r) { return tickets_call(std::move(r), &TicketsApi::list); });
    router.add(http::verb::post, "/api/v1/tickets",
               [this](net::ServerRequest r) { return tickets_call(std::move(r), &TicketsApi::create); });
    router.add(http::verb::get, "/api/v1/tickets/{code}",
               [this](net::ServerRequest r) { return tickets_call(std::move(r), &TicketsApi::get); });
    router.add(http::verb::post, "/api/v1/tickets/{code}/actions",
               [this](net::ServerRequest r) { return tickets_call(std::move(r), &TicketsApi::action); });
    router.add(http::verb::get, "/api/v1/outbox",
               [this](net::ServerRequest r) { return outbox_call(std::move(r)); });
    router.add(http::verb::get, "/api/v1/reports/monthly",
               [this](net::ServerRequest r) { return reports_call(std::move(r)); });
    // The admin console: the page and its files are public (they hold no data), the data needs the token.
    router.add(http::verb::get, "/static/{file...}", static_asset);
    router.add(http::verb::get, "/console", console_redirect);
    router.add(http::verb::get, "/console/", console_page);
    router.add(http::verb::get, "/api/v1/live",
               [this](net::ServerRequest r) { return console_call(std::move(r), &ConsoleApi::live); });
    router.add(http::verb::get, "/api/v1/staff",
               [this](net::ServerRequest r) { return console_call(std::move(r), &ConsoleApi::staff); });
    router.add(http::verb::post, "/bridge/{id}",
               [this](net::ServerRequest r) { return bridge(std::move(r)); });
    router.add(http::verb::put, "/api/v1/group-members",
               [this](net::ServerRequest r) { return groups_call(std::move(r), &GroupsApi::link); });
    router.add(http::verb::delete_, "/api/v1/group-members",
               [this](net::ServerRequest r) { return groups_call(std::move(r), &GroupsApi::unlink); });
    router.add(http::verb::post, "/api/v1/announcements",
               [this](net::ServerRequest r) { return groups_call(std::move(r), &GroupsApi::announce); });
    if (workgroup_) {
        router.add(http::verb::get, "/workgroup", workgroup_page);
        router.add_websocket("/workgroup/ws", [this](net::ServerRequest r, net::WebSocket ws) {
            return workgroup_->session(std::move(r), std::move(ws));
        });
    }
    if (webchat_) {
        router.add(http::verb::get, "/chat", chat_page);
        router.add_websocket("/chat/ws", [this](net::ServerRequest r, net::WebSocket ws) {
            return webchat_->session(std::move(r), std::move(ws));
        });
    }
    return router;
}

void Application::run() {
    if (options_.handle_signals) {
        signals_.emplace(ioc_, SIGINT, SIGTERM);
        signals_->async_wait([this](const boost::system::error_code& ec, int signal) {
            if (!ec) {
                ANJU_LOG_INFO(app_log) << "signal received, shutting down" << kv("signal", signal);
                stop();
            }
        });
    }
    asio::co_spawn(ioc_, serve(), log::LogFailure(app_log, "start-up"));
    const unsigned threads = thread_count(config_.service.io_threads);
    ANJU_LOG_INFO(app_log) << "serving" << kv("address", endpoint_) << kv("io_threads", threads)
                           << kv("store", config_.store.path) << kv("config", config_.source);
    // Keep run() from returning before shutdown() has finished, even if the server is idle.
    auto guard = asio::make_work_guard(ioc_);
    std::vector<std::thread> pool;
    for (unsigned i = 1; i < threads; ++i) {
        pool.emplace_back([this] { ioc_.run(); });
    }
    ioc_.run();
    for (auto& t : pool) {
        t.join();
    }
    ANJU_LOG_INFO(app_log) << "stopped";
}

void Application::stop() {
    if (stopping_.exchange(true)) {
        return;
    }
    asio::co_spawn(ioc_, shutdown(), [this](const std::exception_ptr& e) {
        log::LogFailure(app_log, "shutdown")(e);
        ioc_.stop();
    });
}

asio::awaitable<void> Application::serve() {
    // Turns the previous process left unanswered go first, so their residents are not forgotten.
    co_await inbox_->recover();
    for (std::size_t i = 0; i < mp_apis_.size(); ++i) {
        if (config_.channels.wechat_mp[i].app_secret.empty()) {
            ANJU_LOG_WARN(app_log) << "no app_secret: answers too slow for a passive reply cannot be sent"
                                   << kv("account", config_.channels.wechat_mp[i].id);
            continue;
        }
        background_->spawn("wechat_mp token refresher", mp_apis_[i]->run_refresher());
    }
    for (const auto& api : wecom_apis_) {
        if (api) {
            background_->spawn("wecom token refresher", api->run_refresher());
        }
    }
    if (tickets_) {
        auto load = [this](SQLite::Database& db) { tickets_->load_pending_hints(db); };
        co_await store_->run(std::move(load));
        auto recurring = [this, now = clock_.now()](SQLite::Database& db) {
            tickets_->ensure_recurring(db, now);
        };
        co_await store_->write(std::move(recurring));
    }
    for (auto& o : outboxes_) {
        background_->spawn("outbox", o->run());
    }
    if (scheduler_) {
        background_->spawn("scheduler", scheduler_->run());
    }
    background_->spawn("housekeeping", housekeeping());
    server_->start();
}

asio::awaitable<void> Application::housekeeping() {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
        timer.expires_after(std::chrono::minutes(1));
        co_await timer.async_wait(asio::use_awaitable);
        conversations_->sweep();
    }
}

asio::awaitable<void> Application::shutdown() {
    if (signals_) {
        signals_->cancel();
    }
    if (server_) {
        co_await server_->stop(config_.http.shutdown_grace);
    }
    if (conversations_) {
        co_await conversations_->stop(config_.http.shutdown_grace);
    }
    if (background_) {
        co_await background_->stop(std::chrono::seconds(2));
    }
    if (store_) {
        co_await store_->close();
    }
}

asio::awaitable<net::Response> Application::admin_notify(net::ServerRequest request) {
    if (auto refused = admin_refusal(request)) {
        co_return std::move(*refused);
    }
    WeChatMpChannel* channel = nullptr;
    for (const auto& c : mp_channels_) {
        if (c->account() == request.param("id")) {
            channel = c.get();
        }
    }
    if (channel == nullptr) {
        co_return json_response(http::status::not_found, {{"error", "no such wechat_mp account"}});
    }
    const auto body = json::parse(request.message.body(), nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("openid") || !body["openid"].is_string() ||
        !body.contains("text") || !body["text"].is_string()) {
        co_return json_response(http::status::bad_request,
                                {{"error",
                                  "expected {\"openid\": …, \"text\": …, \"template\"?: …, "
                                  "\"vars\"?: {…}, \"key\"?: …}"}});
    }
    Notification n;
    n.openid = body["openid"].get<std::string>();
    n.text = body["text"].get<std::string>();
    if (const auto it = body.find("template"); it != body.end() && it->is_string()) {
        n.template_name = it->get<std::string>();
    }
    if (const auto it = body.find("key"); it != body.end() && it->is_string()) {
        n.key = it->get<std::string>();
    }
    if (const auto it = body.find("vars"); it != body.end() && it->is_object()) {
        for (const auto& [k, v] : it->items()) {
            if (v.is_string()) {
                n.vars.emplace(k, v.get<std::string>());
            }
        }
    }
    auto outcome = co_await channel->notify(std::move(n));
    if (!outcome) {
        co_return json_response(http::status::bad_gateway,
                                {{"error", outcome.error().message()}, {"code", outcome.error().value()}});
    }
    co_return json_response(http::status::ok, {{"via", outcome->via}, {"msgid", outcome->msgid}});
}

asio::awaitable<net::Response> Application::admin_appchat(net::ServerRequest request) {
    if (auto refused = admin_refusal(request)) {
        co_return std::move(*refused);
    }
    adapters::wecom::WeComApi* api = nullptr;
    for (std::size_t i = 0; i < config_.channels.wecom.size(); ++i) {
        if (config_.channels.wecom[i].id == request.param("id")) {
            api = wecom_apis_[i].get();
        }
    }
    if (api == nullptr) {
        co_return json_response(http::status::not_found, {{"error", "no such wecom app with a corp_secret"}});
    }
    const auto body = json::parse(request.message.body(), nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("name") || !body["name"].is_string() ||
        !body.contains("owner") || !body["owner"].is_string() || !body.contains("members") ||
        !body["members"].is_array()) {
        co_return json_response(
            http::status::bad_request,
            {{"error", "expected {\"name\", \"owner\", \"members\": [userid…], \"chatid\"?}"}});
    }
    std::vector<std::string> members;
    for (const auto& m : body["members"]) {
        if (m.is_string()) {
            members.push_back(m.get<std::string>());
        }
    }
    auto name = body["name"].get<std::string>();
    auto owner = body["owner"].get<std::string>();
    auto chatid = body.value("chatid", std::string());
    auto created = co_await api->appchat_create(std::move(name), std::move(owner), std::move(members),
                                                std::move(chatid));
    if (!created) {
        co_return json_response(http::status::bad_gateway, {{"error", created.error().message()}});
    }
    co_return json_response(http::status::ok, {{"chatid", *created}});
}

asio::awaitable<net::Response> Application::wecom(net::ServerRequest request) {
    const auto id = request.param("id");
    for (const auto& channel : wecom_channels_) {
        if (channel->account() == id) {
            co_return co_await channel->handle(std::move(request));
        }
    }
    co_return net::make_response(http::status::not_found, "");
}

asio::awaitable<net::Response> Application::bridge(net::ServerRequest request) {
    const auto id = std::string(request.param("id"));
    for (const auto& channel : bridge_channels_) {
        if (channel->account() == id) {
            auto response = co_await channel->handle(std::move(request));
            co_return response;
        }
    }
    co_return json_response(http::status::not_found, {{"error", "no bridge \"" + id + "\""}});
}

asio::awaitable<net::Response> Application::groups_call(
    net::ServerRequest request, asio::awaitable<net::Response> (GroupsApi::*call)(net::ServerRequest)) {
    if (auto refused = admin_refusal(request)) {
        co_return std::move(*refused);
    }
    if (!groups_api_) {
        co_return json_response(http::status::not_found, {{"error", "tickets are off (no tickets section)"}});
    }
    auto response = co_await ((*groups_api_).*call)(std::move(request));
    co_return response;
}

asio::awaitable<net::Response> Application::outbox_call(net::ServerRequest request) {
    if (auto refused = admin_refusal(request)) {
        co_return std::move(*refused);
    }
    auto response = co_await outbox_api_->list(std::move(request));
    co_return response;
}

asio::awaitable<net::Response> Application::reports_call(net::ServerRequest request) {
    if (auto refused = admin_refusal(request)) {
        co_return std::move(*refused);
    }
    auto response = co_await reports_api_->monthly(std::move(request));
    co_return response;
}

asio::awaitable<net::Response> Application::console_call(
    net::ServerRequest request, asio::awaitable<net::Response> (ConsoleApi::*call)(net::ServerRequest)) {
    if (auto refused = admin_refusal(request)) {
        co_return std::move(*refused);
    }
    if (!console_api_) {
        co_return json_response(http::status::not_found, {{"error", "tickets are off (no tickets section)"}});
    }
    co_return co_await (console_api_.get()->*call)(std::move(request));
}

asio::awaitable<net::Response> Application::tickets_call(
    net::ServerRequest request, asio::awaitable<net::Response> (TicketsApi::*call)(net::ServerRequest)) {
    if (auto refused = admin_refusal(request)) {
        co_return std::move(*refused);
    }
    if (!tickets_api_) {
        co_return json_response(http::status::not_found, {{"error", "tickets are off (no tickets section)"}});
    }
    co_return co_await (tickets_api_.get()->*call)(std::move(request));
}

asio::awaitable<net::Response> Application::wechat_mp(net::ServerRequest request) {
    const auto id = request.param("id");
    for (const auto& channel : mp_channels_) {
        if (channel->account() == id) {
            co_return co_await channel->handle(std::move(request));
        }
    }
    co_return net::make_response(http::status::not_found, "");
}

asio::awaitable<net::Response> Application::index(net::ServerRequest /*request*/) {
    auto page = replace_all(std::string(kIndexHtml), "{{NAME}}", html_escape(config_.service.name));
    page = replace_all(std::move(page), "{{VERSION}}", ANJU_VERSION);
    co_return net::make_response(http::status::ok, std::move(page), "text/html; charset=utf-8");
}

asio::awaitable<net::Response> Application::healthz(net::ServerRequest /*request*/) {
    json body;
    body["service"] = config_.service.name;
    body["version"] = ANJU_VERSION;
    body["uptime_s"] = std::chrono::duration_cast<std::chrono::seconds>(clock_.now() - started_at_).count();
    std::string store_state = "ok";
    try {
        asio::steady_timer deadline(co_await asio::this_coro::executor, kHealthStoreDeadline);
        auto outcome = co_await (store_->ping() || deadline.async_wait(asio::as_tuple(asio::use_awaitable)));
        if (outcome.index() == 1) {
            store_state = "timeout";
        }
    } catch (const boost::system::system_error& e) {
        store_state = e.code() == store::errc::closed ? "closed" : "error";
    } catch (const SQLite::Exception& e) {
        store_state = "error";
        ANJU_LOG_WARN(app_log) << "health check: store query failed" << kv("error", e.what());
    }
    body["store"] = store_state;
    body["schema_version"] = store_->schema_version();
    const bool ok = store_state == "ok";
    body["status"] = ok ? "ok" : "unavailable";
    auto res = json_response(ok ? http::status::ok : http::status::service_unavailable, body);
    res.set(http::field::cache_control, "no-store");
    co_return res;
}

asio::awaitable<net::Response> Application::metrics_page(net::ServerRequest /*request*/) {
    co_return net::make_response(http::status::ok, metrics_.render(),
                                 "text/plain; version=0.0.4; charset=utf-8");
}

std::optional<net::Response> Application::admin_refusal(const net::ServerRequest& request) const {
    if (config_.admin.token.empty()) {
        return json_response(http::status::not_found,
                             {{"error", "the admin API is disabled (admin.token is empty)"}});
    }
    if (!authorized_admin(request)) {
        auto res = json_response(http::status::unauthorized, {{"error", "admin token required"}});
        res.set(http::field::www_authenticate, "Bearer");
        return res;
    }
    return std::nullopt;
}

bool Application::authorized_admin(const net::ServerRequest& request) const {
    const auto& token = config_.admin.token.reveal();
    const std::string_view header = request.message[http::field::authorization];
    constexpr std::string_view kBearer = "Bearer ";
    if (token.empty() || !header.starts_with(kBearer)) {
        return false;
    }
    const auto given = header.substr(kBearer.size());
    // Constant-time comparison, so response timing does not reveal how much of a guess was right.
    return given.size() == token.size() && CRYPTO_memcmp(given.data(), token.data(), token.size()) == 0;
}

asio::awaitable<net::Response> Application::admin_config(net::ServerRequest request) {
    if (auto refused = admin_refusal(request)) {
        co_return std::move(*refused);
    }
    co_return net::make_response(http::status::ok, config_.effective + "\n", "application/json");
}

}  // namespace anju::runtime
