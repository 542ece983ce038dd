#include "bot/runtime/cli.hpp"

#include <boost/throw_exception.hpp>

#include <stdexcept>

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
    } else if (!first.empty() && first.front() == '-') {
        return CliError{"unknown option '" + std::string(first) + "'"};
    } else {
        return CliError{"unknown command '" + std::string(first) + "'"};
    }
    for (std::size_t i = 1; i < args.size(); ++i) {
        const auto arg = args[i];
        if (arg == "--config" || arg == "-c") {
            if (i + 1 >= args.size() || args[i + 1].empty()) {
                return CliError{"option '" + std::string(arg) + "' needs a file name"};
            }
            command.config_path = std::string(args[++i]);
        } else if (arg.starts_with("--config=")) {
            command.config_path = std::string(arg.substr(9));
            if (command.config_path.empty()) {
                return CliError{"option '--config' needs a file name"};
            }
        } else if (arg == "--help" || arg == "-h") {
            command.kind = CliCommand::Kind::help;
            return command;
        } else if (!arg.empty() && arg.front() == '-') {
            return CliError{"unknown option '" + std::string(arg) + "'"};
        } else {
            return CliError{"unexpected argument '" + std::string(arg) + "'"};
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
           "  anju --version                     print the version\n"
           "  anju --help                        print this help\n"
           "\n"
           "FILE defaults to config/anju.json. Secrets may come from the environment instead of the\n"
           "file: ANJU_<KEY_PATH>, e.g. ANJU_ADMIN_TOKEN for admin.token.\n"
           "Exit status: 0 success, 1 failure (bad config, store or network error), 2 usage error.\n";
}

}  // namespace anju::runtime
