// The command line of the `anju` executable: which command to run and with which config file.
// Parsing is pure so it can be tested; bot/main.cpp acts on the result.
#pragma once

#include <boost/system/result.hpp>

#include <span>
#include <string>
#include <string_view>

namespace boost {
struct source_location;
}

namespace anju::runtime {

struct CliCommand {
    enum class Kind { serve, check_config, understand, chat, report, version, help };
    Kind kind = Kind::help;
    std::string config_path = "config/anju.json";
    // report only:
    std::string month;            // "2026-11" (checked); "" = last month
    std::string format = "json";  // json | csv | html
    std::string out_path;         // "" = stdout
    std::string community;        // "" = every community
};

// A usage mistake, worded for a one-line message: "unknown option '--foo'".
struct CliError {
    std::string message;
};
[[noreturn]] void throw_exception_from_error(const CliError& e, const boost::source_location& loc);

// Parses the arguments after the program name:
//   serve [--config FILE] · check-config [--config FILE] · understand [--config FILE] · chat [--config FILE]
//   report [--month YYYY-MM] [--format json|csv|html] [--out FILE] [--community ID] [--config FILE]
//   --version · --help
// `--option=VALUE` is accepted for every option with a value, and `-c FILE` for --config.
boost::system::result<CliCommand, CliError> parse_command_line(std::span<const std::string_view> args);

// The text printed by `anju --help`.
std::string usage();

}  // namespace anju::runtime
