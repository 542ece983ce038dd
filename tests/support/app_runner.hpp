// Runs a whole anju Application in-process on its own thread, the way integration tests need it:
// real sockets on 127.0.0.1, a FakeClock or any Clock, and a client to talk to it.
#pragma once

#include "bot/net/beast_http_client.hpp"
#include "bot/net/tls.hpp"
#include "bot/runtime/application.hpp"
#include "tests/support/async.hpp"

#include <boost/asio/io_context.hpp>

#include <filesystem>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>

namespace anju::testing {

// A fresh, empty temporary folder, removed with the object.
class TempDir {
public:
    TempDir() {
        std::random_device rd;
        path_ = std::filesystem::temp_directory_path() /
                ("anju-test-" + std::to_string(rd()) + "-" + std::to_string(rd()));
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

// A config for tests: port 0, a store under `dir`, io_threads from ANJU_TEST_IO_THREADS.
inline config::Config test_config(const std::filesystem::path& dir) {
    config::Config c;
    c.source = "test";
    c.service.name = "安居 test";
    c.service.io_threads = test_io_threads();
    c.http.port = 0;
    c.http.shutdown_grace = std::chrono::seconds(2);
    c.store.path = (dir / "var" / "anju.db").string();
    c.store.synchronous = config::StoreConfig::Sync::normal;
    return c;
}

class AppRunner {
public:
    AppRunner(config::Config config, Clock& clock,
              runtime::ApplicationOptions options = {.handle_signals = false})
        : app_(std::make_unique<runtime::Application>(std::move(config), clock, options)) {
        auto started = app_->start();
        if (!started) {
            throw std::runtime_error("application did not start: " + started.error().what());
        }
        thread_ = std::thread([this] { app_->run(); });
    }
    ~AppRunner() { stop(); }
    AppRunner(const AppRunner&) = delete;
    AppRunner& operator=(const AppRunner&) = delete;

    // Graceful stop, as on SIGTERM; waits for run() to return.
    void stop() {
        if (thread_.joinable()) {
            app_->stop();
            thread_.join();
        }
    }

    runtime::Application& app() { return *app_; }
    std::string base_url() const { return "http://127.0.0.1:" + std::to_string(app_->endpoint().port()); }

    // One request to the application (path relative to its base URL), from a private io_context.
    boost::system::result<net::HttpResponse> send(net::HttpRequest request) {
        asio::io_context ioc;
        auto tls = net::make_client_tls_context({});
        net::BeastHttpClient client(ioc.get_executor(), tls);
        if (request.url.starts_with("/")) {
            request.url = base_url() + request.url;
        }
        return run_coro(ioc, client.send(std::move(request)));
    }

private:
    std::unique_ptr<runtime::Application> app_;
    std::thread thread_;
};

}  // namespace anju::testing
