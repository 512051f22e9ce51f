// Reads one sample back out of a prometheus-cpp registry, for tests. A histogram's _count and
// _sum are addressed by those suffixes.
#ifndef ATTNSERVE_TESTS_SERVER_REGISTRY_READER_H_
#define ATTNSERVE_TESTS_SERVER_REGISTRY_READER_H_

#include <cmath>
#include <map>
#include <string>

#include "prometheus/registry.h"

namespace attnserve::testing {

// The value of the series `name`{labels} (exactly these labels), or NaN when absent.
inline double MetricValue(const prometheus::Registry& registry, const std::string& name,
                          const std::map<std::string, std::string>& labels) {
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    const bool histogram = family.type == prometheus::MetricType::Histogram;
    const bool wanted =
        family.name == name ||
        (histogram && (name == family.name + "_count" || name == family.name + "_sum"));
    if (!wanted) continue;
    for (const prometheus::ClientMetric& metric : family.metric) {
      std::map<std::string, std::string> found;
      for (const auto& label : metric.label) found[label.name] = label.value;
      if (found != labels) continue;
      switch (family.type) {
        case prometheus::MetricType::Counter:
          return metric.counter.value;
        case prometheus::MetricType::Gauge:
          return metric.gauge.value;
        case prometheus::MetricType::Histogram:
          return name == family.name + "_sum" ? metric.histogram.sample_sum
                                              : static_cast<double>(metric.histogram.sample_count);
        default:
          return NAN;
      }
    }
  }
  return NAN;
}

}  // namespace attnserve::testing

#endif  // ATTNSERVE_TESTS_SERVER_REGISTRY_READER_H_
