#include "bot/core/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace anju::metrics {
namespace {

bool valid_name(const std::string& name) {
    if (name.empty()) {
        return false;
    }
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
        const bool digit = c >= '0' && c <= '9';
        if (!alpha && !(digit && i > 0)) {
            return false;
        }
    }
    return true;
}

std::string format_number(double v) {
    if (std::isinf(v)) {
        return v > 0 ? "+Inf" : "-Inf";
    }
    if (std::isnan(v)) {
        return "NaN";
    }
    // The shortest of %.15g and %.17g that reads back as the same double, so 0.1 prints as "0.1".
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.15g", v);
    if (std::strtod(buf, nullptr) != v) {
        std::snprintf(buf, sizeof buf, "%.17g", v);
    }
    return buf;
}

// Label values escape backslash, double quote and newline (exposition format rules).
std::string escape_label(const std::string& value) {
    std::string out;
    out.reserve(value.size());
    for (const char c : value) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::string label_set(const std::vector<std::string>& names, const std::vector<std::string>& values,
                      const std::string& extra = {}) {
    if (names.empty() && extra.empty()) {
        return {};
    }
    std::string out = "{";
    for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) {
        if (i > 0) {
            out.push_back(',');
        }
        out += names[i] + "=\"" + escape_label(values[i]) + "\"";
    }
    if (!extra.empty()) {
        if (out.size() > 1) {
            out.push_back(',');
        }
        out += extra;
    }
    out.push_back('}');
    return out;
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<std::uint64_t>[bounds_.size() + 1]) {
    std::sort(bounds_.begin(), bounds_.end());
    for (std::size_t i = 0; i <= bounds_.size(); ++i) {
        counts_[i].store(0, std::memory_order_relaxed);
    }
}

void Histogram::observe(double value) {
    const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);
    counts_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(value, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
    Snapshot s;
    s.bounds = bounds_;
    std::uint64_t running = 0;
    for (std::size_t i = 0; i <= bounds_.size(); ++i) {
        running += counts_[i].load(std::memory_order_relaxed);
        s.cumulative.push_back(running);
    }
    s.sum = sum_.load(std::memory_order_relaxed);
    s.count = running;
    return s;
}

std::vector<double> latency_buckets() {
    return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

Registry::Entry& Registry::add(std::string name, std::string help, Kind kind,
                               const std::vector<std::string>& labels, bool& created) {
    if (!valid_name(name)) {
        throw std::invalid_argument("invalid metric name: " + name);
    }
    std::lock_guard lock(mutex_);
    for (const auto& e : entries_) {
        if (e->name != name) {
            continue;
        }
        const std::vector<std::string>* existing = e->counters     ? &e->counters->label_names()
                                                   : e->gauges     ? &e->gauges->label_names()
                                                   : e->histograms ? &e->histograms->label_names()
                                                                   : nullptr;
        if (e->kind != kind || existing == nullptr || *existing != labels) {
            throw std::invalid_argument("metric registered twice with another kind or labels: " + name);
        }
        created = false;
        return *e;
    }
    auto entry = std::make_unique<Entry>();
    entry->name = std::move(name);
    entry->help = std::move(help);
    entry->kind = kind;
    entries_.push_back(std::move(entry));
    created = true;
    return *entries_.back();
}

Family<Counter>& Registry::counter(std::string name, std::string help, std::vector<std::string> labels) {
    bool created = false;
    auto& e = add(std::move(name), std::move(help), Kind::counter, labels, created);
    if (created) {
        e.counters =
            std::make_unique<Family<Counter>>(std::move(labels), [] { return std::make_unique<Counter>(); });
    }
    return *e.counters;
}

Family<Gauge>& Registry::gauge(std::string name, std::string help, std::vector<std::string> labels) {
    bool created = false;
    auto& e = add(std::move(name), std::move(help), Kind::gauge, labels, created);
    if (created) {
        e.gauges =
            std::make_unique<Family<Gauge>>(std::move(labels), [] { return std::make_unique<Gauge>(); });
    }
    return *e.gauges;
}

Family<Histogram>& Registry::histogram(std::string name, std::string help, std::vector<std::string> labels,
                                       std::vector<double> bounds) {
    bool created = false;
    auto& e = add(std::move(name), std::move(help), Kind::histogram, labels, created);
    if (created) {
        e.histograms = std::make_unique<Family<Histogram>>(
            std::move(labels), [bounds = std::move(bounds)] { return std::make_unique<Histogram>(bounds); });
    }
    return *e.histograms;
}

void Registry::gauge_callback(std::string name, std::string help, std::function<double()> read) {
    {
        std::lock_guard lock(mutex_);
        for (auto& e : entries_) {
            if (e->name == name) {
                if (!e->read) {
                    throw std::invalid_argument("metric registered twice with another kind: " + name);
                }
                e->read = std::move(read);
                return;
            }
        }
        if (!valid_name(name)) {
            throw std::invalid_argument("invalid metric name: " + name);
        }
        auto entry = std::make_unique<Entry>();
        entry->name = std::move(name);
        entry->help = std::move(help);
        entry->kind = Kind::gauge;
        entry->read = std::move(read);
        entries_.push_back(std::move(entry));
    }
}

std::string Registry::render() const {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& e : entries_) {
        const char* type = e->kind == Kind::counter ? "counter"
                           : e->kind == Kind::gauge ? "gauge"
                                                    : "histogram";
        out += "# HELP " + e->name + " " + e->help + "\n";
        out += "# TYPE " + e->name + " " + type + "\n";
        if (e->read) {
            out += e->name + " " + format_number(e->read()) + "\n";
        } else if (e->counters) {
            const auto& names = e->counters->label_names();
            e->counters->for_each([&](const std::vector<std::string>& labels, const Counter& c) {
                out += e->name + label_set(names, labels) + " " + std::to_string(c.value()) + "\n";
            });
        } else if (e->gauges) {
            const auto& names = e->gauges->label_names();
            e->gauges->for_each([&](const std::vector<std::string>& labels, const Gauge& g) {
                out += e->name + label_set(names, labels) + " " + std::to_string(g.value()) + "\n";
            });
        } else if (e->histograms) {
            const auto& names = e->histograms->label_names();
            e->histograms->for_each([&](const std::vector<std::string>& labels, const Histogram& h) {
                const auto s = h.snapshot();
                for (std::size_t i = 0; i < s.cumulative.size(); ++i) {
                    const std::string le =
                        i < s.bounds.size() ? format_number(s.bounds[i]) : std::string("+Inf");
                    out += e->name + "_bucket" + label_set(names, labels, "le=\"" + le + "\"") + " " +
                           std::to_string(s.cumulative[i]) + "\n";
                }
                out += e->name + "_sum" + label_set(names, labels) + " " + format_number(s.sum) + "\n";
                out += e->name + "_count" + label_set(names, labels) + " " + std::to_string(s.count) + "\n";
            });
        }
    }
    return out;
}

}  // namespace anju::metrics
