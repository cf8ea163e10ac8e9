// Process metrics in Prometheus text format (exposition 0.0.4): labelled
// counters and histograms owned by a registry, plus collectors that report
// numbers kept elsewhere (e.g. the verify cache's stats) at scrape time.
// Recording is lock-free once a label set exists; it never allocates then.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace tokengate {

class Counter {
 public:
  void Increment(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Histogram {
 public:
  explicit Histogram(const std::vector<double>* bounds);
  void Observe(double value);

  struct Snapshot {
    std::vector<uint64_t> cumulative;  // One per bound; the +Inf bucket is `count`.
    uint64_t count = 0;
    double sum = 0;
  };
  Snapshot Take() const;

 private:
  const std::vector<double>* bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // Per bound, not cumulative; last is +Inf.
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

// Writes samples in the text format; collectors use it for numbers they own.
class MetricsWriter {
 public:
  using Labels = std::vector<std::pair<std::string, std::string>>;

  void Family(absl::string_view name, absl::string_view type, absl::string_view help);
  void Sample(absl::string_view name, const Labels& labels, double value);
  void HistogramSamples(absl::string_view name, const Labels& labels, const std::vector<double>& bounds,
                        const std::vector<uint64_t>& cumulative, uint64_t count, double sum);
  // Shorthands for a family with one unlabelled sample.
  void SingleCounter(absl::string_view name, absl::string_view help, double value);
  void SingleGauge(absl::string_view name, absl::string_view help, double value);

  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

// A metric family: one instance per label-value tuple, created on first use.
template <typename Metric>
class MetricFamily {
 public:
  MetricFamily(std::string name, std::string help, std::vector<std::string> label_names,
               std::function<std::unique_ptr<Metric>()> make)
      : name_(std::move(name)),
        help_(std::move(help)),
        label_names_(std::move(label_names)),
        make_(std::move(make)) {}

  // `values` must match the label names in number. The pointer stays valid
  // as long as the family does, so hot paths may keep it.
  Metric* WithLabels(const std::vector<std::string>& values) {
    {
      absl::ReaderMutexLock lock(&mutex_);
      if (auto it = metrics_.find(values); it != metrics_.end()) return it->second.get();
    }
    absl::MutexLock lock(&mutex_);
    auto& slot = metrics_[values];
    if (slot == nullptr) slot = make_();
    return slot.get();
  }

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  template <typename Visit>
  void ForEach(Visit visit) const {
    absl::ReaderMutexLock lock(&mutex_);
    for (const auto& [values, metric] : metrics_) {
      MetricsWriter::Labels labels;
      for (size_t i = 0; i < label_names_.size() && i < values.size(); ++i) {
        labels.emplace_back(label_names_[i], values[i]);
      }
      visit(labels, *metric);
    }
  }

 private:
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  const std::function<std::unique_ptr<Metric>()> make_;
  mutable absl::Mutex mutex_;
  absl::flat_hash_map<std::vector<std::string>, std::unique_ptr<Metric>> metrics_;
};

using CounterFamily = MetricFamily<Counter>;
using HistogramFamily = MetricFamily<Histogram>;

// Latency buckets in seconds, from 100 µs to 5 s.
const std::vector<double>& DefaultLatencyBoundsSeconds();

class MetricsRegistry {
 public:
  using Collector = std::function<void(MetricsWriter&)>;

  // Families live as long as the registry; names follow Prometheus rules
  // (counters end in _total).
  CounterFamily* AddCounter(std::string name, std::string help, std::vector<std::string> labels);
  HistogramFamily* AddHistogram(std::string name, std::string help, std::vector<std::string> labels,
                                std::vector<double> bounds);
  void AddCollector(Collector collector);

  std::string RenderText() const;

 private:
  struct HistogramEntry {
    std::vector<double> bounds;
    std::unique_ptr<HistogramFamily> family;
  };
  mutable absl::Mutex mutex_;
  std::vector<std::unique_ptr<CounterFamily>> counters_ ABSL_GUARDED_BY(mutex_);
  std::vector<std::unique_ptr<HistogramEntry>> histograms_ ABSL_GUARDED_BY(mutex_);
  std::vector<Collector> collectors_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace tokengate
