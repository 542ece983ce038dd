// anju's logger: one line per event in logfmt (ts, level, module, msg, then key=value fields),
// written to stderr (or a test sink) under a lock. Chat content is logged only at debug level;
// secrets never (wrap them in anju::Secret, which prints as <redacted>).
//
//   inline const anju::log::Logger http_log{"http"};
//   ANJU_LOG_INFO(http_log) << "request served" << kv("status", 200);
#pragma once

#include <exception>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>

namespace anju::log {

enum class Level : int { trace = 0, debug, info, warn, error, off };

// Parses "trace", "debug", "info", "warn", "error", "off".
std::optional<Level> parse_level(std::string_view name);
std::string_view to_string(Level level);

// The process-wide minimum level (default info). Thread-safe.
void set_level(Level level);
Level level();

// Where finished lines go (without trailing newline). An empty function restores stderr.
// Calls to the sink are serialised. Meant for tests and for start-up, not to be swapped under load.
using Sink = std::function<void(std::string_view line)>;
void set_sink(Sink sink);

// A named logger for one module. Cheap to copy; holds only the module name.
class Logger {
public:
    explicit constexpr Logger(std::string_view module) : module_(module) {}
    std::string_view module() const { return module_; }
    bool enabled(Level l) const { return l >= level() && l != Level::off; }

private:
    std::string_view module_;
};

// A key=value field. Build with kv().
struct Field {
    std::string key;
    std::string value;
};

template <class T>
Field kv(std::string_view key, const T& value) {
    if constexpr (std::is_convertible_v<const T&, std::string_view>) {
        return {std::string(key), std::string(std::string_view(value))};
    } else {
        std::ostringstream out;
        out << value;
        return {std::string(key), std::move(out).str()};
    }
}

// Quotes and escapes a value for logfmt when needed (spaces, quotes, '=', control characters).
std::string quote_value(std::string_view value);

// One log line under construction; emitted by the destructor. Text streamed before the first
// field forms the message.
class Record {
public:
    Record(const Logger& logger, Level level);
    ~Record();
    Record(const Record&) = delete;
    Record& operator=(const Record&) = delete;

    Record& operator<<(const Field& field);
    template <class T>
    Record& operator<<(const T& value) {
        std::ostringstream out;
        out << value;
        append_text(out.str());
        return *this;
    }
    Record& operator<<(std::string_view text) {
        append_text(text);
        return *this;
    }
    Record& operator<<(const char* text) { return *this << std::string_view(text); }

private:
    void append_text(std::string_view text);

    const Logger& logger_;
    Level level_;
    std::string message_;
    std::string fields_;
};

// A co_spawn completion handler that logs an exception escaping the coroutine instead of losing
// it (house rule: never `detached` for work that can fail). For awaitable<void> coroutines.
class LogFailure {
public:
    LogFailure(const Logger& logger, std::string_view what) : logger_(&logger), what_(what) {}
    void operator()(const std::exception_ptr& error) const;

private:
    const Logger* logger_;
    std::string_view what_;  // a literal: it must outlive the coroutine
};

}  // namespace anju::log

namespace anju {
using log::kv;
}

#define ANJU_LOG(logger, lvl)                  \
    if (!(logger).enabled(::anju::log::lvl)) { \
    } else                                     \
        ::anju::log::Record(logger, ::anju::log::lvl)
#define ANJU_LOG_TRACE(logger) ANJU_LOG(logger, Level::trace)
#define ANJU_LOG_DEBUG(logger) ANJU_LOG(logger, Level::debug)
#define ANJU_LOG_INFO(logger) ANJU_LOG(logger, Level::info)
#define ANJU_LOG_WARN(logger) ANJU_LOG(logger, Level::warn)
#define ANJU_LOG_ERROR(logger) ANJU_LOG(logger, Level::error)
