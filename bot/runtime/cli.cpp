#include "bot/runtime/cli.hpp"

#include "bot/reports/report.hpp"

#include <boost/throw_exception.hpp>

#include <optional>
#include <stdexcept>
#include <utility>

namespace anju::runtime {

void throw_exception_from_error(const CliError& e, const boost::source_location& loc) {
    boost::throw_exception(std::invalid_argument(e.message), loc);
}

boost::system::result<CliCommand, CliError> parse_command_line(std::span<const std::string_view> args) {
    CliCommand command;
    if (args.empty()) {
        return CliError{"no command given"};
    }
    const auto first = args.front();
    if (first == "--help" || first == "-h" || first == "help") {
        command.kind = CliCommand::Kind::help;
        return command;
    }
    if (first == "--version" || first == "-V" || first == "version") {
        command.kind = CliCommand::Kind::version;
        return command;
    }
    if (first == "serve") {
        command.kind = CliCommand::Kind::serve;
    } else if (first == "check-config") {
        command.kind = CliCommand::Kind::check_config;
    } else if (first == "understand") {
        command.kind = CliCommand::Kind::understand;
    } else if (first == "chat") {
        command.kind = CliCommand::Kind::chat;
    } else if (first == "report") {
        command.kind = CliCommand::Kind::report;
    } else if (!first.empty() && first.front() == '-') {
        return CliError{"unknown option '" + std::string(first) + "'"};
    } else {
        return CliError{"unknown command '" + std::string(first) + "'"};
    }
    // The options of `report`, each with a value (what it needs, for the message when it is missing).
    const std::pair<std::string_view, std::string_view> report_options[] = {
        {"--month", "a month (YYYY-MM)"},
        {"--format", "a format (json, csv or html)"},
        {"--out", "a file name"},
        {"--community", "a community id"},
    };
    for (std::size_t i = 1; i < args.size(); ++i) {
        const auto arg = args[i];
        if (arg == "--help" || arg == "-h") {
            command.kind = CliCommand::Kind::help;
            return command;
        }
        // "--name VALUE", "--name=VALUE" (and "-c FILE").
        std::string_view name = arg;
        std::optional<std::string_view> value;
        if (const auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
            name = arg.substr(0, eq);
            value = arg.substr(eq + 1);
        }
        std::string_view needs;
        if (name == "--config" || name == "-c") {
            needs = "a file name";
        } else if (command.kind == CliCommand::Kind::report) {
            for (const auto& [option, what] : report_options) {
                if (name == option) {
                    needs = what;
                }
            }
        }
        if (needs.empty()) {
            if (!arg.empty() && arg.front() == '-') {
                return CliError{"unknown option '" + std::string(name) + "'"};
            }
            return CliError{"unexpected argument '" + std::string(arg) + "'"};
        }
        if (!value && i + 1 < args.size()) {
            value = args[++i];
        }
        if (!value || value->empty()) {
            return CliError{"option '" + std::string(name) + "' needs " + std::string(needs)};
        }
        const std::string text(*value);
        if (name == "--config" || name == "-c") {
            command.config_path = text;
        } else if (name == "--month") {
            if (!reports::parse_month(text)) {
                return CliError{"option '--month' must be a month as YYYY-MM, e.g. 2026-11 (got '" + text +
                                "')"};
            }
            command.month = text;
        } else if (name == "--format") {
            if (text != "json" && text != "csv" && text != "html") {
                return CliError{"option '--format' must be json, csv or html (got '" + text + "')"};
            }
            command.format = text;
        } else if (name == "--out") {
            command.out_path = text;
        } else {
            command.community = text;
        }
    }
    return command;
}

std::string usage() {
    return "anju " ANJU_VERSION
           " - property-complaint handling (物业投诉) through chat\n"
           "\n"
           "Usage:\n"
           "  anju serve [--config FILE]         run the service until SIGINT/SIGTERM (Ctrl-C)\n"
           "  anju check-config [--config FILE]  validate a config file and list every problem\n"
           "  anju understand [--config FILE]    read messages (one per line) on stdin, print how each is\n"
           "                                     understood, one JSON object per line\n"
           "  anju chat [--config FILE]          talk to the dialog on the terminal as a resident would\n"
           "  anju report [--month YYYY-MM] [--format json|csv|html] [--out FILE] [--community ID]\n"
           "              [--config FILE]        the monthly complaint analysis (月度投诉分析) from the\n"
           "                                     store: last month unless --month; JSON unless --format;\n"
           "                                     to stdout unless --out; every community unless --community\n"
           "  anju --version                     print the version\n"
           "  anju --help                        print this help\n"
           "\n"
           "FILE defaults to config/anju.json. Secrets may come from the environment instead of the\n"
           "file: ANJU_<KEY_PATH>, e.g. ANJU_ADMIN_TOKEN for admin.token.\n"
           "Exit status: 0 success, 1 failure (bad config, store or network error), 2 usage error.\n";
}

}  // namespace anju::runtime
