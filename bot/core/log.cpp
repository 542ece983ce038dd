#include "bot/core/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace anju::log {
namespace {

std::atomic<Level> g_level{Level::info};

struct Output {
    std::mutex mutex;
    Sink sink;
};

Output& output() {
    static Output out;
    return out;
}

// RFC 3339 UTC with milliseconds. Log time is wall time by design: it is not domain time, so it
// does not go through the Clock interface.
std::string timestamp() {
    const auto now = std::chrono::system_clock::now();
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    const std::time_t secs = std::chrono::system_clock::to_time_t(now);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
    return buf;
}

}  // namespace

std::optional<Level> parse_level(std::string_view name) {
    static constexpr std::pair<std::string_view, Level> kLevels[] = {
        {"trace", Level::trace}, {"debug", Level::debug}, {"info", Level::info},
        {"warn", Level::warn},   {"error", Level::error}, {"off", Level::off}};
    for (const auto& [text, level] : kLevels) {
        if (text == name) {
            return level;
        }
    }
    return std::nullopt;
}

std::string_view to_string(Level level) {
    switch (level) {
        case Level::trace:
            return "trace";
        case Level::debug:
            return "debug";
        case Level::info:
            return "info";
        case Level::warn:
            return "warn";
        case Level::error:
            return "error";
        case Level::off:
            return "off";
    }
    return "unknown";
}

void set_level(Level level) { g_level.store(level, std::memory_order_relaxed); }
Level level() { return g_level.load(std::memory_order_relaxed); }

void set_sink(Sink sink) {
    auto& out = output();
    std::lock_guard lock(out.mutex);
    out.sink = std::move(sink);
}

std::string quote_value(std::string_view value) {
    bool needs_quotes = value.empty();
    for (const char c : value) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || c == '"' || c == '=' || c == '\\' || u == 0x7f) {
            needs_quotes = true;
            break;
        }
    }
    if (!needs_quotes) {
        return std::string(value);
    }
    std::string out;
    out.reserve(value.size() + 2);
    out.push_back('"');
    for (const char c : value) {
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (u < 0x20 || u == 0x7f) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\x%02x", u);
                    out += buf;
                } else {
                    out.push_back(c);
                }
        }
    }
    out.push_back('"');
    return out;
}

Record::Record(const Logger& logger, Level level) : logger_(logger), level_(level) {}

Record::~Record() {
    std::string line;
    line.reserve(64 + message_.size() + fields_.size());
    line += "ts=";
    line += timestamp();
    line += " level=";
    line += to_string(level_);
    line += " module=";
    line += quote_value(logger_.module());
    line += " msg=";
    line += quote_value(message_);
    line += fields_;

    auto& out = output();
    std::lock_guard lock(out.mutex);
    if (out.sink) {
        out.sink(line);
    } else {
        line.push_back('\n');
        std::fwrite(line.data(), 1, line.size(), stderr);
        std::fflush(stderr);
    }
}

Record& Record::operator<<(const Field& field) {
    fields_.push_back(' ');
    fields_ += field.key;
    fields_.push_back('=');
    fields_ += quote_value(field.value);
    return *this;
}

void Record::append_text(std::string_view text) { message_ += text; }

void LogFailure::operator()(const std::exception_ptr& error) const {
    if (!error) {
        return;
    }
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        ANJU_LOG_ERROR(*logger_) << what_ << " failed" << kv("error", e.what());
    } catch (...) {
        ANJU_LOG_ERROR(*logger_) << what_ << " failed with an exception that is not a std::exception";
    }
}

}  // namespace anju::log
