// The anju executable: argv → config → Application::run(). Nothing else lives here.
#include "bot/core/clock.hpp"
#include "bot/core/log.hpp"
#include "bot/reports/report.hpp"
#include "bot/runtime/application.hpp"
#include "bot/runtime/cli.hpp"
#include "bot/runtime/reports_api.hpp"
#include "config/config.hpp"
#include "dialogs/flow.hpp"
#include "dialogs/report.hpp"
#include "dialogs/understand.hpp"
#include "store/store.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

int check_config(const std::string& path) {
    auto loaded = anju::config::load_config(path, anju::config::process_env());
    if (!loaded) {
        for (const auto& problem : loaded.error().items) {
            std::fprintf(stderr, "%s\n", problem.to_string().c_str());
        }
        std::fprintf(stderr, "%zu problem%s found\n", loaded.error().items.size(),
                     loaded.error().items.size() == 1 ? "" : "s");
        return kExitFailure;
    }
    if (loaded->dialogs.settings.enabled) {
        // The files read; now check that they make a working dialog (flows for every category,
        // every reply the dialog says, restatements that name real slots).
        auto dialogs = anju::dialogs::Dialogs::create(loaded->dialogs);
        if (!dialogs) {
            for (const auto& problem : dialogs.error()) {
                std::fprintf(stderr, "%s/%s\n", loaded->dialogs.settings.dir.c_str(), problem.c_str());
            }
            std::fprintf(stderr, "%zu problem%s found\n", dialogs.error().size(),
                         dialogs.error().size() == 1 ? "" : "s");
            return kExitFailure;
        }
    }
    std::printf("%s: OK\n", path.c_str());
    return 0;
}

// The config at `path` for the dialog tools, or nullopt with the problems on stderr.
std::optional<anju::config::Config> config_with_dialogs(const std::string& path) {
    auto loaded = anju::config::load_config(path, anju::config::process_env());
    if (!loaded) {
        for (const auto& problem : loaded.error().items) {
            std::fprintf(stderr, "anju: %s\n", problem.to_string().c_str());
        }
        return std::nullopt;
    }
    if (!loaded->dialogs.settings.enabled) {
        std::fprintf(stderr, "anju: %s has no \"dialogs\" section\n", path.c_str());
        return std::nullopt;
    }
    return std::move(*loaded);
}

// Reads messages one per line on stdin and prints one JSON object per line: the tool operators
// use to tune the lexicons in config/dialogs/understanding.json.
int understand(const std::string& path) {
    auto loaded = config_with_dialogs(path);
    if (!loaded) {
        return kExitFailure;
    }
    auto understander = anju::dialogs::Understander::create(loaded->dialogs.understanding);
    if (!understander) {
        for (const auto& problem : understander.error()) {
            std::fprintf(stderr, "anju: %s\n", problem.c_str());
        }
        return kExitFailure;
    }
    std::string line;
    while (std::getline(std::cin, line)) {
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        if (line.empty()) {
            continue;
        }
        std::printf("%s\n", anju::dialogs::understanding_json(line, understander->understand(line)).c_str());
        std::fflush(stdout);
    }
    return 0;
}

// A resident's side of the dialog on the terminal: each line is a message, the bot's reply and any
// complaint it files are printed. The dialog's clock is the real one.
int chat(const std::string& path) {
    auto loaded = config_with_dialogs(path);
    if (!loaded) {
        return kExitFailure;
    }
    auto dialogs = anju::dialogs::Dialogs::create(loaded->dialogs);
    if (!dialogs) {
        for (const auto& problem : dialogs.error()) {
            std::fprintf(stderr, "anju: %s\n", problem.c_str());
        }
        return kExitFailure;
    }
    anju::SystemClock clock;
    anju::dialogs::DialogState state;
    std::string line;
    std::printf("> ");
    std::fflush(stdout);
    while (std::getline(std::cin, line)) {
        anju::dialogs::Event event;
        event.text = line;
        event.resident = "terminal";
        auto turn = dialogs->step(state, event, clock.now());
        state = std::move(turn.state);
        std::printf("%s\n", turn.reply.c_str());
        for (const auto& action : turn.actions) {
            if (action.kind == anju::dialogs::Action::Kind::submit ||
                action.kind == anju::dialogs::Action::Kind::handover) {
                const auto& d = action.draft;
                std::printf("  [%s] %s/%s/%s room=%s slots=",
                            action.kind == anju::dialogs::Action::Kind::submit ? "submit" : "handover",
                            std::string(anju::dialogs::to_string(d.nature)).c_str(), d.category.c_str(),
                            std::string(anju::dialogs::to_string(d.urgency)).c_str(),
                            d.room.display().c_str());
                for (const auto& [k, v] : d.slots.items()) {
                    std::printf("%s=%s ", k.c_str(), v.c_str());
                }
                std::printf("expectation=%s\n", d.expectation.c_str());
            }
        }
        std::printf("> ");
        std::fflush(stdout);
    }
    return 0;
}

// `anju report`: the monthly analysis of the store the config names, to stdout or --out. The store
// is opened the way the service opens it (a second connection is fine while it runs: WAL), so an
// older database is migrated first; a missing one is an error rather than a new empty file.
int monthly_report(const anju::runtime::CliCommand& command) {
    auto loaded = anju::config::load_config(command.config_path, anju::config::process_env());
    if (!loaded) {
        for (const auto& problem : loaded.error().items) {
            std::fprintf(stderr, "anju: %s\n", problem.to_string().c_str());
        }
        return kExitFailure;
    }
    // Only problems on stderr: the report itself may be on stdout.
    anju::log::set_level(std::max(loaded->log.level, anju::log::Level::warn));
    const auto& config = *loaded;
    const auto& communities = config.tickets.communities;
    if (!command.community.empty() && !communities.empty() &&
        std::none_of(communities.begin(), communities.end(),
                     [&command](const auto& c) { return c.id == command.community; })) {
        std::fprintf(stderr, "anju: no community '%s' in %s (see tickets.communities)\n",
                     command.community.c_str(), command.config_path.c_str());
        return kExitUsage;
    }
    const auto& path = config.store.path;
    std::error_code ec;
    if (path == ":memory:" || !std::filesystem::is_regular_file(path, ec)) {
        std::fprintf(
            stderr,
            "anju: no database at '%s' (store.path in %s); run anju serve with this config first, or "
            "point store.path at the service's database\n",
            path.c_str(), command.config_path.c_str());
        return kExitFailure;
    }
    anju::SystemClock clock;
    const auto now = clock.now();
    const auto month = command.month.empty()
                           ? anju::reports::month_of(now, config.tickets.utc_offset_minutes).previous()
                           : anju::reports::parse_month(command.month).value();
    anju::store::StoreOptions store_options;
    store_options.path = path;
    store_options.synchronous_full = config.store.synchronous == anju::config::StoreConfig::Sync::full;
    store_options.busy_timeout = config.store.busy_timeout;
    // Declared before the store: the store's thread lets go of this context's executor only after
    // the job has resumed here, and the store's destructor waits for that thread.
    boost::asio::io_context ioc;
    auto opened = anju::store::Store::open(store_options);
    if (!opened) {
        std::fprintf(stderr, "anju: %s\n", opened.error().what().c_str());
        return kExitFailure;
    }
    auto& store = **opened;
    const auto options = anju::runtime::report_options(config, month, command.community);
    auto job = [&options, month, now](SQLite::Database& db) {
        return anju::reports::build_monthly_report(db, month, options, now);
    };
    auto built = boost::asio::co_spawn(ioc, store.run(std::move(job)), boost::asio::use_future);
    ioc.run();
    const auto report = built.get();
    auto closed = boost::asio::co_spawn(ioc, store.close(), boost::asio::use_future);
    ioc.restart();
    ioc.run();
    closed.get();

    const auto text =
        command.format == "csv" ? anju::reports::to_csv(report)
        : command.format == "html"
            ? anju::reports::to_html(report)
            : anju::reports::to_json(report).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) +
                  "\n";
    if (command.out_path.empty() || command.out_path == "-") {
        std::fwrite(text.data(), 1, text.size(), stdout);
        return std::fflush(stdout) == 0 ? 0 : kExitFailure;
    }
    std::ofstream out(command.out_path, std::ios::binary | std::ios::trunc);
    if (out) {
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
        out.close();
    }
    if (!out) {
        std::fprintf(stderr, "anju: cannot write '%s': %s\n", command.out_path.c_str(), std::strerror(errno));
        return kExitFailure;
    }
    return 0;
}

int serve(const std::string& path) {
    auto loaded = anju::config::load_config(path, anju::config::process_env());
    if (!loaded) {
        for (const auto& problem : loaded.error().items) {
            std::fprintf(stderr, "anju: %s\n", problem.to_string().c_str());
        }
        return kExitFailure;
    }
    anju::log::set_level(loaded->log.level);
    anju::SystemClock clock;
    anju::runtime::Application app(std::move(*loaded), clock);
    if (auto started = app.start(); !started) {
        std::fprintf(stderr, "anju: %s\n", started.error().what().c_str());
        return kExitFailure;
    }
    const auto endpoint = app.endpoint();
    const auto host = endpoint.address().is_v6() ? "[" + endpoint.address().to_string() + "]"
                                                 : endpoint.address().to_string();
    const auto url = "http://" + host + ":" + std::to_string(endpoint.port());
    std::fprintf(stderr,
                 "anju %s is running on %s (config %s, store %s)\n"
                 "  open %s/ in a browser, or: curl %s/healthz\n"
                 "  press Ctrl-C to stop\n",
                 ANJU_VERSION, url.c_str(), app.config().source.c_str(), app.config().store.path.c_str(),
                 url.c_str(), url.c_str());
    app.run();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string_view> args(argv + (argc > 0 ? 1 : 0), argv + argc);
    auto command = anju::runtime::parse_command_line(args);
    if (!command) {
        std::fprintf(stderr, "anju: %s (see anju --help)\n", command.error().message.c_str());
        return kExitUsage;
    }
    try {
        switch (command->kind) {
            case anju::runtime::CliCommand::Kind::help:
                std::fputs(anju::runtime::usage().c_str(), stdout);
                return 0;
            case anju::runtime::CliCommand::Kind::version:
                std::printf("anju %s\n", ANJU_VERSION);
                return 0;
            case anju::runtime::CliCommand::Kind::check_config:
                return check_config(command->config_path);
            case anju::runtime::CliCommand::Kind::chat:
                return chat(command->config_path);
            case anju::runtime::CliCommand::Kind::understand:
                return understand(command->config_path);
            case anju::runtime::CliCommand::Kind::serve:
                return serve(command->config_path);
            case anju::runtime::CliCommand::Kind::report:
                return monthly_report(*command);
        }
    } catch (const std::exception& e) {
        // Last resort: a bug or an unusable environment. One line, no stack trace.
        std::fprintf(stderr, "anju: fatal: %s\n", e.what());
        return kExitFailure;
    }
    return kExitFailure;
}
