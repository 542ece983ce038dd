// The composition root: builds the real store, HTTP server and routes from the config, runs the
// I/O threads, and shuts everything down in order on SIGINT/SIGTERM or stop().
#pragma once

#include "adapters/bridge/bridge.hpp"
#include "adapters/wechat_mp/api.hpp"
#include "adapters/wecom/api.hpp"
#include "bot/core/clock.hpp"
#include "bot/core/error.hpp"
#include "bot/core/metrics.hpp"
#include "bot/net/beast_http_client.hpp"
#include "bot/net/http_server.hpp"
#include "bot/runtime/background.hpp"
#include "bot/runtime/bridge_channel.hpp"
#include "bot/runtime/console_api.hpp"
#include "bot/runtime/conversations.hpp"
#include "bot/runtime/dialog_responder.hpp"
#include "bot/runtime/groups_api.hpp"
#include "bot/runtime/inbox.hpp"
#include "bot/runtime/outbox.hpp"
#include "bot/runtime/outbox_api.hpp"
#include "bot/runtime/reports_api.hpp"
#include "bot/runtime/responder.hpp"
#include "bot/runtime/staff_responder.hpp"
#include "bot/runtime/ticket_service.hpp"
#include "bot/runtime/tickets_api.hpp"
#include "bot/runtime/webchat_channel.hpp"
#include "bot/runtime/wechat_mp_channel.hpp"
#include "bot/runtime/wecom_channel.hpp"
#include "bot/runtime/workgroup_channel.hpp"
#include "config/config.hpp"
#include "store/store.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/system/result.hpp>

#include <atomic>
#include <memory>
#include <optional>

namespace anju::runtime {

class Scheduler;

struct ApplicationOptions {
    bool handle_signals = true;  // SIGINT/SIGTERM start a graceful shutdown (off in in-process tests)
    // Answers messages; nullptr means the dialog engine (DialogResponder) when the config has a
    // "dialogs" section, else the built-in Acknowledger. Must outlive the application.
    Responder* responder = nullptr;
};

class Application {
public:
    // Builds nothing that can fail; start() does the I/O. `clock` must outlive the application.
    Application(config::Config config, Clock& clock, ApplicationOptions options = {});
    ~Application();
    Application(const Application&) = delete;
    Application& operator=(const Application&) = delete;

    // Opens and migrates the store, builds the dialog engine, sets up the channels, then binds the
    // HTTP listener. Fails with the store's errors (cannot_open, not_a_database, schema_too_new,
    // migration_failed), dialogs that do not compile (a flow for an unknown category, a missing
    // reply), a channel that cannot be set up (bad key, unreadable CA file) or the bind error, with
    // a detail fit for an operator. Call once, from the thread that will call run().
    boost::system::result<void, Error> start();

    // Re-runs turns left unanswered by the previous process, then serves on io_threads threads
    // until a graceful shutdown has finished: the listener stops, requests in flight finish within
    // http.shutdown_grace, conversations finish their current turn, the store is flushed and
    // closed. Call once after a successful start(); blocks.
    void run();

    // Starts the graceful shutdown, as SIGTERM does. Thread-safe; later calls do nothing.
    void stop();

    // The bound HTTP endpoint (after start()).
    asio::ip::tcp::endpoint endpoint() const { return endpoint_; }

    metrics::Registry& metrics() { return metrics_; }
    const config::Config& config() const { return config_; }

private:
    net::Router make_router();
    asio::awaitable<net::Response> index(net::ServerRequest request);
    asio::awaitable<net::Response> healthz(net::ServerRequest request);
    asio::awaitable<net::Response> metrics_page(net::ServerRequest request);
    asio::awaitable<net::Response> admin_config(net::ServerRequest request);
    asio::awaitable<net::Response> wechat_mp(net::ServerRequest request);
    asio::awaitable<net::Response> admin_notify(net::ServerRequest request);
    asio::awaitable<net::Response> wecom(net::ServerRequest request);
    // POST /admin/wecom/{id}/appchat: creates a work-group chat owned by the app (appchat/create), the
    // one-time set-up a group's chatid needs.
    asio::awaitable<net::Response> admin_appchat(net::ServerRequest request);
    // The tickets admin API behind the bearer token (404 when tickets are off).
    asio::awaitable<net::Response> tickets_call(
        net::ServerRequest request, asio::awaitable<net::Response> (TicketsApi::*call)(net::ServerRequest));
    asio::awaitable<SendOutcome> send_queued(const store::OutboxMessage& message);
    // After any commit that may have queued messages or set timers: wake the outbox and scheduler.
    void committed();
    asio::awaitable<net::Response> outbox_call(net::ServerRequest request);
    // GET /api/v1/reports/monthly behind the bearer token.
    asio::awaitable<net::Response> reports_call(net::ServerRequest request);
    // The console's API (live view, staff roster) behind the bearer token (404 when tickets are off).
    asio::awaitable<net::Response> console_call(
        net::ServerRequest request, asio::awaitable<net::Response> (ConsoleApi::*call)(net::ServerRequest));
    // Owner groups: POST /bridge/{id}, and the admin API's group members and announcements.
    asio::awaitable<net::Response> bridge(net::ServerRequest request);
    asio::awaitable<net::Response> groups_call(
        net::ServerRequest request, asio::awaitable<net::Response> (GroupsApi::*call)(net::ServerRequest));
    asio::awaitable<SendOutcome> send_to_owner_group(const store::OutboxMessage& message);
    boost::system::result<void, Error> start_dialogs();
    boost::system::result<void, Error> start_channels();
    boost::system::result<void, Error> start_wecom();
    ChannelSender* sender_for(const InboundMessage& message);
    asio::awaitable<void> serve();
    asio::awaitable<void> housekeeping();
    asio::awaitable<void> shutdown();
    bool authorized_admin(const net::ServerRequest& request) const;
    // The answer to an admin request without a valid bearer token (404 when the admin API is off),
    // or nullopt when it may proceed.
    std::optional<net::Response> admin_refusal(const net::ServerRequest& request) const;

    // The metrics registry outlives everything that reports to it; the destructor releases the
    // server and the store (joining its thread) while the io_context is still alive.
    metrics::Registry metrics_;
    config::Config config_;
    Clock& clock_;
    ApplicationOptions options_;
    Clock::time_point started_at_;
    std::unique_ptr<store::Store> store_;
    asio::io_context ioc_;
    std::optional<asio::signal_set> signals_;
    std::optional<ssl::context> tls_;
    std::unique_ptr<net::BeastHttpClient> http_client_;
    Acknowledger acknowledger_;
    std::optional<dialogs::Dialogs> dialogs_;
    std::unique_ptr<DialogResponder> dialog_responder_;
    std::optional<tickets::Directory> directory_;
    std::unique_ptr<TicketService> tickets_;
    std::unique_ptr<StaffResponder> staff_responder_;
    std::unique_ptr<TicketsApi> tickets_api_;
    std::unique_ptr<ConsoleApi> console_api_;
    ChannelResponders responders_;
    std::unique_ptr<Conversations> conversations_;
    std::unique_ptr<Inbox> inbox_;
    std::vector<std::unique_ptr<adapters::wechat_mp::MpApi>> mp_apis_;
    std::vector<std::unique_ptr<WeChatMpChannel>> mp_channels_;
    std::vector<std::unique_ptr<adapters::wecom::WeComApi>>
        wecom_apis_;  // by channels.wecom index; null: no secret
    std::unique_ptr<adapters::wecom::RobotWebhook> robot_;
    std::vector<std::unique_ptr<WeComChannel>> wecom_channels_;
    std::vector<std::unique_ptr<BridgeChannel>> bridge_channels_;
    std::vector<std::unique_ptr<adapters::bridge::BridgeClient>> bridge_clients_;  // by channels.bridge index
    std::unique_ptr<GroupsApi> groups_api_;
    std::unique_ptr<WebChatChannel> webchat_;      // null when channels.webchat is off
    std::unique_ptr<WorkGroupChannel> workgroup_;  // the demo work group page; null unless a group has "web"
    std::vector<std::unique_ptr<OutboxSender>> outboxes_;  // one per channel
    std::unique_ptr<OutboxApi> outbox_api_;
    std::unique_ptr<ReportsApi> reports_api_;
    std::unique_ptr<Scheduler> scheduler_;
    std::unique_ptr<Background> background_;
    std::unique_ptr<net::HttpServer> server_;
    asio::ip::tcp::endpoint endpoint_;
    std::atomic<bool> stopping_{false};
};

}  // namespace anju::runtime
