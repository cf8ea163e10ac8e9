#include "common/base/metrics.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tokengate {
namespace {

std::string FormatValue(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  return absl::StrFormat("%.9g", value);
}

// Label values escape backslash, quote and newline (the text format's rule).
void AppendLabelValue(std::string& out, absl::string_view value) {
  for (const char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out.push_back(c);
    }
  }
}

void AppendLabels(std::string& out, const MetricsWriter::Labels& labels, absl::string_view extra_name = {},
                  absl::string_view extra_value = {}) {
  if (labels.empty() && extra_name.empty()) return;
  out.push_back('{');
  bool first = true;
  auto append = [&](absl::string_view name, absl::string_view value) {
    if (!first) out.push_back(',');
    first = false;
    absl::StrAppend(&out, name, "=\"");
    AppendLabelValue(out, value);
    out.push_back('"');
  };
  for (const auto& [name, value] : labels) append(name, value);
  if (!extra_name.empty()) append(extra_name, extra_value);
  out.push_back('}');
}

}  // namespace

Histogram::Histogram(const std::vector<double>* bounds)
    : bounds_(bounds), buckets_(new std::atomic<uint64_t>[bounds->size() + 1]) {
  for (size_t i = 0; i <= bounds_->size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double value) {
  const size_t index = std::lower_bound(bounds_->begin(), bounds_->end(), value) - bounds_->begin();
  buckets_[index].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Take() const {
  Snapshot snapshot;
  uint64_t running = 0;
  for (size_t i = 0; i < bounds_->size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    snapshot.cumulative.push_back(running);
  }
  // Read after the buckets so count >= every bucket even under concurrent writes.
  snapshot.count = std::max(running + buckets_[bounds_->size()].load(std::memory_order_relaxed),
                            count_.load(std::memory_order_relaxed));
  snapshot.sum = sum_.load(std::memory_order_relaxed);
  return snapshot;
}

void MetricsWriter::Family(absl::string_view name, absl::string_view type, absl::string_view help) {
  absl::StrAppend(&out_, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

void MetricsWriter::Sample(absl::string_view name, const Labels& labels, double value) {
  out_.append(name.data(), name.size());
  AppendLabels(out_, labels);
  absl::StrAppend(&out_, " ", FormatValue(value), "\n");
}

void MetricsWriter::HistogramSamples(absl::string_view name, const Labels& labels,
                                     const std::vector<double>& bounds,
                                     const std::vector<uint64_t>& cumulative, uint64_t count, double sum) {
  const std::string bucket = absl::StrCat(name, "_bucket");
  for (size_t i = 0; i < bounds.size() && i < cumulative.size(); ++i) {
    out_ += bucket;
    AppendLabels(out_, labels, "le", FormatValue(bounds[i]));
    absl::StrAppend(&out_, " ", cumulative[i], "\n");
  }
  out_ += bucket;
  AppendLabels(out_, labels, "le", "+Inf");
  absl::StrAppend(&out_, " ", count, "\n");
  Sample(absl::StrCat(name, "_sum"), labels, sum);
  Sample(absl::StrCat(name, "_count"), labels, static_cast<double>(count));
}

void MetricsWriter::SingleCounter(absl::string_view name, absl::string_view help, double value) {
  Family(name, "counter", help);
  Sample(name, {}, value);
}

void MetricsWriter::SingleGauge(absl::string_view name, absl::string_view help, double value) {
  Family(name, "gauge", help);
  Sample(name, {}, value);
}

const std::vector<double>& DefaultLatencyBoundsSeconds() {
  static const std::vector<double> kBounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                              0.05,   0.1,     0.25,   0.5,   1,      2.5,   5};
  return kBounds;
}

CounterFamily* MetricsRegistry::AddCounter(std::string name, std::string help,
                                           std::vector<std::string> labels) {
  auto family = std::make_unique<CounterFamily>(std::move(name), std::move(help), std::move(labels),
                                                [] { return std::make_unique<Counter>(); });
  absl::MutexLock lock(&mutex_);
  counters_.push_back(std::move(family));
  return counters_.back().get();
}

HistogramFamily* MetricsRegistry::AddHistogram(std::string name, std::string help,
                                               std::vector<std::string> labels, std::vector<double> bounds) {
  auto entry = std::make_unique<HistogramEntry>();
  entry->bounds = std::move(bounds);
  std::sort(entry->bounds.begin(), entry->bounds.end());
  const std::vector<double>* stable_bounds = &entry->bounds;
  entry->family = std::make_unique<HistogramFamily>(
      std::move(name), std::move(help), std::move(labels),
      [stable_bounds] { return std::make_unique<Histogram>(stable_bounds); });
  absl::MutexLock lock(&mutex_);
  histograms_.push_back(std::move(entry));
  return histograms_.back()->family.get();
}

void MetricsRegistry::AddCollector(Collector collector) {
  absl::MutexLock lock(&mutex_);
  collectors_.push_back(std::move(collector));
}

std::string MetricsRegistry::RenderText() const {
  MetricsWriter writer;
  absl::MutexLock lock(&mutex_);
  for (const auto& family : counters_) {
    writer.Family(family->name(), "counter", family->help());
    family->ForEach([&](const MetricsWriter::Labels& labels, const Counter& counter) {
      writer.Sample(family->name(), labels, static_cast<double>(counter.value()));
    });
  }
  for (const auto& entry : histograms_) {
    const HistogramFamily& family = *entry->family;
    writer.Family(family.name(), "histogram", family.help());
    family.ForEach([&](const MetricsWriter::Labels& labels, const Histogram& histogram) {
      const Histogram::Snapshot s = histogram.Take();
      writer.HistogramSamples(family.name(), labels, entry->bounds, s.cumulative, s.count, s.sum);
    });
  }
  for (const auto& collect : collectors_) collect(writer);
  return writer.Take();
}

}  // namespace tokengate
