// The outbox's WeChat path under faults, over real HTTP on loopback: OutboxSender → send_wechat_mp →
// WeChatMpChannel::notify → MpApi → BeastHttpClient → FakeWeChatApi. Fifty notices to five residents
// go out while the fake fails in turn with 502s, expired tokens (42001), a token endpoint that does
// not answer, a closed 48-hour window (45015: the template goes instead), template sends dropped
// without an answer (resent under the same client_msg_id) and customer-service sends answered too
// late (delivered: never resent, recorded on the ticket). Every notice arrives exactly once, in order
// per resident. Real time, short retry delays.
#include "adapters/wechat_mp/api.hpp"
#include "adapters/wechat_mp/endpoint.hpp"
#include "bot/net/beast_http_client.hpp"
#include "bot/net/tls.hpp"
#include "bot/runtime/conversations.hpp"
#include "bot/runtime/inbox.hpp"
#include "bot/runtime/outbox.hpp"
#include "bot/runtime/responder.hpp"
#include "bot/runtime/wechat_mp_channel.hpp"
#include "store/ticket_store.hpp"
#include "tests/support/async.hpp"
#include "tests/support/fake_wechat_api.hpp"
#include "tests/support/sample_ticket.hpp"

#include <SQLiteCpp/Database.h>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace anju::runtime {
namespace {

using namespace std::chrono_literals;
using anju::testing::FakeWeChatApi;
using anju::testing::poll_until;
using anju::testing::run_coro;
using anju::testing::SendKind;
using json = nlohmann::json;

constexpr int kResidents = 5;
constexpr int kPerResident = 10;

std::string openid(int r) { return "oResident-" + std::to_string(r); }
std::string key(int r, int i) { return "R" + std::to_string(r) + "-M" + std::to_string(i); }
std::string text_of(int r, int i) { return "进展通知 " + key(r, i) + "：维修师傅已到场"; }

class OutboxFaultTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ =
            std::filesystem::temp_directory_path() / ("anju-outbox-fault-test-" + std::to_string(::getpid()));
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
        auto opened = store::Store::open({.path = (dir_ / "anju.db").string()});
        ASSERT_TRUE(opened) << opened.error().what();
        store_ = std::move(*opened);

        http_ = std::make_unique<net::BeastHttpClient>(ioc_.get_executor(), tls_);
        adapters::wechat_mp::MpApiOptions api_options;
        api_options.app_id = platform_.options().app_id;
        api_options.app_secret = Secret(platform_.options().app_secret);
        api_options.api_base = platform_.base_url();
        api_options.request_timeout =
            1s;  // the stalls below answer after 2 s; generous for slow (TSan) builds
        api_ = std::make_unique<adapters::wechat_mp::MpApi>(ioc_.get_executor(), *http_, clock_, api_options);

        ConversationDeps deps{*store_, acknowledger_, clock_,
                              [](const InboundMessage&) -> ChannelSender* { return nullptr; },
                              [](const std::shared_ptr<Turn>&) {}};
        conversations_ = std::make_unique<Conversations>(ioc_.get_executor(), std::move(deps),
                                                         ConversationOptions{}, metrics_);
        inbox_ = std::make_unique<Inbox>(*store_, *conversations_, metrics_);
        adapters::wechat_mp::EndpointOptions endpoint_options;
        endpoint_options.account = "main";
        endpoint_options.app_id = platform_.options().app_id;
        endpoint_options.token = Secret("pamtest");
        endpoint_options.mode = adapters::wechat_mp::Mode::plain;
        auto endpoint = adapters::wechat_mp::Endpoint::create(std::move(endpoint_options));
        ASSERT_TRUE(endpoint) << endpoint.error().message();
        WeChatMpChannelOptions channel_options;
        channel_options.templates.emplace(
            "progress", adapters::wechat_mp::TemplateSpec{
                            "TPL-PROGRESS", "", {{"thing1", "{text}"}, {"character_string2", "{code}"}}});
        channel_ = std::make_unique<WeChatMpChannel>(std::move(*endpoint), *api_, *inbox_, clock_, metrics_,
                                                     channel_options);
        // More threads on the same io_context under TSan (ANJU_TEST_IO_THREADS), so that the
        // dispatcher's strands are put to the test; the test thread polls alongside them.
        for (unsigned i = 1; i < anju::testing::test_io_threads(); ++i) {
            threads_.emplace_back([this] { ioc_.run(); });
        }
    }

    void TearDown() override {
        if (started_) {
            // A cancellation signal is emitted where its operation runs: on the dispatcher's strand.
            asio::post(strand_, [this] { stop_.emit(asio::cancellation_type::all); });
            EXPECT_TRUE(poll_until(ioc_, [&] { return stopped_.load(); }));
        }
        guard_.reset();
        for (auto& t : threads_) {
            t.join();
        }
        sender_.reset();
        channel_.reset();
        inbox_.reset();
        conversations_.reset();
        api_.reset();
        http_.reset();
        store_.reset();
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }

    std::int64_t insert_ticket(int r) {
        auto job = [r, now = clock_.now()](SQLite::Database& db) {
            return testing::insert_sample_ticket(db, "wechat_mp/main/" + openid(r),
                                                 {"3", "2", std::to_string(501 + r)}, "water", "卫生间漏水",
                                                 tickets::Status::claimed, now);
        };
        return run_coro(ioc_, store_->write(std::move(job)));
    }

    std::vector<store::OutboxMessage> rows() {
        auto job = [](SQLite::Database& db) {
            store::OutboxFilter f;
            f.limit = 1000;
            std::vector<store::OutboxMessage> out;
            for (auto& r : store::find_outbox(db, f)) {
                out.push_back(std::move(r.message));
            }
            return out;
        };
        return run_coro(ioc_, store_->run(std::move(job)));
    }

    // What the fake accepted, as (seq, key, via) in arrival order.
    struct Arrival {
        std::uint64_t seq;
        std::string key;
        std::string via;
    };
    std::vector<Arrival> arrivals() const {
        std::vector<Arrival> out;
        for (const auto& m : platform_.custom_messages()) {
            out.push_back({m.seq, m.text.substr(m.text.find('R'), key(0, 0).size()), "custom"});
        }
        for (const auto& m : platform_.template_messages()) {
            out.push_back({m.seq, m.client_msg_id, "template"});
        }
        std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.seq < b.seq; });
        return out;
    }

    asio::io_context ioc_;
    SystemClock clock_;
    metrics::Registry metrics_;
    FakeWeChatApi platform_;
    ssl::context tls_ = net::make_client_tls_context({});
    std::filesystem::path dir_;
    std::unique_ptr<store::Store> store_;
    std::unique_ptr<net::BeastHttpClient> http_;
    std::unique_ptr<adapters::wechat_mp::MpApi> api_;
    Acknowledger acknowledger_;
    std::unique_ptr<Conversations> conversations_;
    std::unique_ptr<Inbox> inbox_;
    std::unique_ptr<WeChatMpChannel> channel_;
    std::unique_ptr<OutboxSender> sender_;
    asio::strand<asio::io_context::executor_type> strand_ = asio::make_strand(ioc_);
    asio::cancellation_signal stop_;
    bool started_ = false;
    std::atomic<bool> stopped_{false};
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard_{ioc_.get_executor()};
    std::vector<std::thread> threads_;
};

TEST_F(OutboxFaultTest, EveryNoticeArrivesExactlyOnceAndInOrderThroughFaults) {
    std::map<int, std::int64_t> tickets;
    for (int r = 0; r < kResidents; ++r) {
        tickets[r] = insert_ticket(r);
    }
    // Interleaved, as a day's notices are: every resident has something early and late.
    for (int i = 0; i < kPerResident; ++i) {
        for (int r = 0; r < kResidents; ++r) {
            store::OutboxMessage m;
            m.key = key(r, i);
            m.channel = "wechat_mp";
            m.account = "main";
            m.target = openid(r);
            m.ticket_id = tickets[r];
            m.payload =
                json{{"text", text_of(r, i)}, {"template", "progress"}, {"vars", {{"code", key(r, i)}}}}
                    .dump();
            auto job = [m, now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                     clock_.now().time_since_epoch())
                                     .count()](SQLite::Database& db) { return store::enqueue(db, m, now); };
            ASSERT_TRUE(run_coro(ioc_, store_->write(std::move(job))));
        }
    }

    OutboxOptions options;
    options.channels = {"wechat_mp"};
    options.poll = 200ms;
    options.first_retry = 50ms;
    options.max_retry = 400ms;
    options.max_attempts = 30;
    options.concurrency = 4;
    sender_ = std::make_unique<OutboxSender>(
        ioc_.get_executor(), *store_, clock_,
        [this](const store::OutboxMessage& m) { return send_wechat_mp(*channel_, m); }, metrics_, options);

    // Down at first: the gateway answers 502 (nothing delivered).
    platform_.fail_next_sends_with_status(502, 6);
    started_ = true;
    asio::co_spawn(
        strand_, sender_->run(),
        asio::bind_cancellation_slot(stop_.slot(), [this](const std::exception_ptr&) { stopped_ = true; }));

    const auto r3 = openid(3);
    bool expired = false;
    bool token_stalled = false;
    bool window_closed = false;
    bool window_reopened = false;
    const auto delivered = [&] {
        return platform_.custom_messages().size() + platform_.template_messages().size();
    };
    const auto delivered_to = [&](const std::string& who) {
        const auto all = platform_.custom_messages();
        return std::count_if(all.begin(), all.end(), [&](const auto& m) { return m.touser == who; });
    };
    const auto settled = [&] {
        const auto all = rows();
        return std::none_of(all.begin(), all.end(), [](const auto& m) { return m.state == "pending"; });
    };
    // Each fault starts once the run has got so far; the counts keep enough messages behind each.
    const bool finished = poll_until(
        ioc_,
        [&] {
            const auto n = delivered();
            if (!expired && n >= 8) {
                platform_.expire_current_token();  // 42001: refreshed and resent once, inside MpApi
                expired = true;
            }
            if (!token_stalled && n >= 14) {
                // The token endpoint stops answering: nothing can be sent (no_token), so all is retried.
                platform_.stall_next_token_requests(2, 2s);
                platform_.expire_current_token();
                token_stalled = true;
            }
            if (!window_closed && delivered_to(r3) >= 3) {
                // Resident 3's 48-hour window closes (seven notices still to go): the template goes
                // instead, and the first template is swallowed without an answer (not delivered; resent
                // under the same client_msg_id).
                platform_.close_window(r3);
                platform_.stall_next_sends(SendKind::template_message, 1, 2s, false);
                window_closed = true;
            }
            if (window_closed && !window_reopened && platform_.template_messages().size() >= 3) {
                platform_.open_window(r3);
                // Two customer-service sends (resident 3 alone still has four to go) reach WeChat, but
                // the answer comes too late.
                platform_.stall_next_sends(SendKind::custom, 2, 2s, true);
                window_reopened = true;
            }
            return window_reopened && delivered() >= kResidents * kPerResident && settled();
        },
        40s);
    ASSERT_TRUE(finished) << "delivered " << delivered() << ", expired " << expired << ", token stalled "
                          << token_stalled << ", window closed " << window_closed << ", reopened "
                          << window_reopened;

    // Exactly once each, and in order per resident.
    const auto seen = arrivals();
    std::map<std::string, int> times;
    std::map<std::string, std::vector<std::string>> per_resident;
    for (const auto& a : seen) {
        ++times[a.key];
        per_resident[a.key.substr(0, 2)].push_back(a.key);
    }
    ASSERT_EQ(times.size(), static_cast<std::size_t>(kResidents * kPerResident));
    for (const auto& [k, n] : times) {
        EXPECT_EQ(n, 1) << k;
    }
    for (int r = 0; r < kResidents; ++r) {
        std::vector<std::string> expected;
        for (int i = 0; i < kPerResident; ++i) {
            expected.push_back(key(r, i));
        }
        EXPECT_EQ(per_resident["R" + std::to_string(r)], expected) << "resident " << r;
    }

    // What WeChat refused with 45015 went as a template, keyed by the outbox key.
    const auto refused = platform_.window_refusals();
    ASSERT_FALSE(refused.empty());
    std::set<std::string> templated;
    for (const auto& t : platform_.template_messages()) {
        EXPECT_EQ(t.touser, r3);
        EXPECT_EQ(t.template_id, "TPL-PROGRESS");
        EXPECT_EQ(t.fields.at("character_string2"), t.client_msg_id);
        templated.insert(t.client_msg_id);
    }
    for (const auto& text : refused) {
        EXPECT_TRUE(templated.contains(text.substr(text.find('R'), key(0, 0).size()))) << text;
    }

    // The faults happened as planned.
    const auto stalls = platform_.stalled_sends();
    ASSERT_EQ(stalls.size(), 3U);
    EXPECT_EQ(stalls[0].kind, SendKind::template_message);
    EXPECT_FALSE(stalls[0].delivered);
    EXPECT_TRUE(templated.contains(stalls[0].client_msg_id));  // resent, and arrived once

    // The late-answered customer-service sends arrived, were not resent, and are recorded as such.
    std::set<std::string> unsure;
    for (std::size_t i = 1; i < stalls.size(); ++i) {
        EXPECT_EQ(stalls[i].kind, SendKind::custom);
        EXPECT_TRUE(stalls[i].delivered);
        unsure.insert(stalls[i].text.substr(stalls[i].text.find('R'), key(0, 0).size()));
    }
    std::size_t sent = 0;
    for (const auto& m : rows()) {
        if (unsure.contains(m.key)) {
            EXPECT_EQ(m.state, "failed") << m.key;
            EXPECT_EQ(m.attempts, 1) << m.key;
            EXPECT_TRUE(m.last_error.starts_with("may have been delivered; not resent")) << m.last_error;
            auto job = [ticket = m.ticket_id](SQLite::Database& db) {
                return store::ticket_events(db, ticket);
            };
            const auto log = run_coro(ioc_, store_->run(std::move(job)));
            const auto failed = std::count_if(log.begin(), log.end(), [&](const tickets::Event& e) {
                return e.kind == "delivery_failed" && json::parse(e.data).at("key") == m.key;
            });
            EXPECT_EQ(failed, 1) << m.key;
        } else {
            EXPECT_EQ(m.state, "sent") << m.key << ": " << m.last_error;
            ++sent;
        }
    }
    EXPECT_EQ(sent, static_cast<std::size_t>(kResidents * kPerResident) - unsure.size());
    EXPECT_GE(platform_.token_requests(), 4U);  // the first, after 42001, two stalled, the recovery
}

}  // namespace
}  // namespace anju::runtime
