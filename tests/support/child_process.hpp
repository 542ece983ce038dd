// Runs the real anju executable (or any program) from a test, as a newcomer would from a shell:
// arguments, extra environment, captured stdout/stderr, signals, and bounded waits.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <utility>
#include <vector>

namespace anju::testing {

class ChildProcess {
public:
    // Starts `program` with `args` (without argv[0]) in `cwd`, with the parent's environment plus
    // `env` ("NAME=value" entries). Throws std::runtime_error if it cannot be started.
    ChildProcess(const std::string& program, const std::vector<std::string>& args,
                 const std::string& cwd = "", const std::vector<std::string>& env = {});
    // Kills the process if it is still running and reaps it.
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    // Reads stderr until it contains `text` or `timeout` passes; true if found.
    bool wait_for_stderr(std::string_view text, std::chrono::milliseconds timeout);

    void send_signal(int signal);

    // Waits for the exit; returns the exit status, 128+signal if killed by a signal, or nullopt on
    // timeout. Drains stdout and stderr meanwhile.
    std::optional<int> wait(std::chrono::milliseconds timeout);

    const std::string& out() const { return out_; }
    const std::string& err() const { return err_; }

private:
    void pump(std::chrono::milliseconds timeout);

    pid_t pid_ = -1;
    int out_fd_ = -1;
    int err_fd_ = -1;
    std::string out_;
    std::string err_;
    std::optional<int> status_;
};

// Runs a program to completion (with a cap) and returns {exit status, stdout, stderr}.
struct RunResult {
    int status = -1;
    std::string out;
    std::string err;
};
RunResult run_program(const std::string& program, const std::vector<std::string>& args,
                      const std::string& cwd = "", const std::vector<std::string>& env = {},
                      std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace anju::testing
