// Process metrics rendered in the Prometheus text exposition format (version 0.0.4).
// Counters, gauges and histograms, each in a family with fixed label names; updates are lock-free
// atomics once a labelled child has been looked up. Families live as long as their Registry.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace anju::metrics {

class Counter {
public:
    void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> value_{0};
};

class Gauge {
public:
    void set(std::int64_t v) { value_.store(v, std::memory_order_relaxed); }
    void inc(std::int64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
    void dec(std::int64_t n = 1) { value_.fetch_sub(n, std::memory_order_relaxed); }
    std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::int64_t> value_{0};
};

// Cumulative buckets with the given upper bounds (ascending); +Inf is implicit.
class Histogram {
public:
    explicit Histogram(std::vector<double> bounds);
    void observe(double value);

    struct Snapshot {
        std::vector<double> bounds;
        std::vector<std::uint64_t> cumulative;  // one per bound, then +Inf
        double sum = 0;
        std::uint64_t count = 0;
    };
    Snapshot snapshot() const;

private:
    std::vector<double> bounds_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // bounds_.size() + 1 slots
    std::atomic<double> sum_{0};
    std::atomic<std::uint64_t> count_{0};
};

// Latency buckets in seconds, from 0.5 ms to 10 s.
std::vector<double> latency_buckets();

enum class Kind { counter, gauge, histogram };

// All children of one metric name, keyed by label values. Thread-safe.
template <class Metric>
class Family {
public:
    Family(std::vector<std::string> label_names, std::function<std::unique_ptr<Metric>()> make)
        : label_names_(std::move(label_names)), make_(std::move(make)) {}

    // The child with these label values (one per label name), created on first use. The reference
    // stays valid for the family's lifetime; callers on hot paths may keep it.
    Metric& with(const std::vector<std::string>& label_values) {
        std::lock_guard lock(mutex_);
        auto& slot = children_[label_values];
        if (!slot) {
            slot = make_();
        }
        return *slot;
    }

    const std::vector<std::string>& label_names() const { return label_names_; }

    template <class Fn>
    void for_each(Fn&& fn) const {
        std::lock_guard lock(mutex_);
        for (const auto& [labels, metric] : children_) {
            fn(labels, *metric);
        }
    }

private:
    std::vector<std::string> label_names_;
    std::function<std::unique_ptr<Metric>()> make_;
    mutable std::mutex mutex_;
    std::map<std::vector<std::string>, std::unique_ptr<Metric>> children_;
};

// Owns every metric of the process and renders them. Registration happens at start-up (it is
// thread-safe anyway); names match [a-zA-Z_:][a-zA-Z0-9_:]*. Registering a name again with the same
// kind and label names returns the existing family (several channels of one kind share theirs);
// with another kind or other labels it throws std::invalid_argument.
class Registry {
public:
    Family<Counter>& counter(std::string name, std::string help, std::vector<std::string> labels = {});
    Family<Gauge>& gauge(std::string name, std::string help, std::vector<std::string> labels = {});
    Family<Histogram>& histogram(std::string name, std::string help, std::vector<std::string> labels,
                                 std::vector<double> bounds);

    // A gauge read at scrape time, e.g. a queue depth owned by another component. The callback must
    // be thread-safe and stay valid until the registry is destroyed or the gauge is replaced.
    void gauge_callback(std::string name, std::string help, std::function<double()> read);

    // Prometheus text format, families in registration order.
    std::string render() const;

private:
    struct Entry {
        std::string name;
        std::string help;
        Kind kind;
        std::unique_ptr<Family<Counter>> counters;
        std::unique_ptr<Family<Gauge>> gauges;
        std::unique_ptr<Family<Histogram>> histograms;
        std::function<double()> read;
    };
    // The entry for `name`, created if new; nullptr-free. `created` tells which.
    Entry& add(std::string name, std::string help, Kind kind, const std::vector<std::string>& labels,
               bool& created);

    mutable std::mutex mutex_;
    std::vector<std::unique_ptr<Entry>> entries_;
};

}  // namespace anju::metrics
