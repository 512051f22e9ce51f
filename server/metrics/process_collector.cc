#include "server/metrics/process_collector.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace attnserve {
namespace {

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream file(path);
  if (!file) return std::nullopt;
  std::stringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

// The fields of /proc/PID/stat after the command name, which may itself hold spaces and
// parentheses: field 3 (state) is element 0.
std::optional<std::vector<std::string>> StatFields(const std::string& stat) {
  const size_t name_end = stat.rfind(')');
  if (name_end == std::string::npos) return std::nullopt;
  return absl::StrSplit(stat.substr(name_end + 1), ' ', absl::SkipEmpty());
}

std::optional<double> Field(const std::vector<std::string>& fields, int proc_field_number) {
  const size_t index = static_cast<size_t>(proc_field_number - 3);
  double value;
  if (index >= fields.size() || !absl::SimpleAtod(fields[index], &value)) return std::nullopt;
  return value;
}

// "btime N" of /proc/stat: boot time in seconds since the epoch.
std::optional<double> BootTime(const std::string& proc_stat) {
  for (absl::string_view line : absl::StrSplit(proc_stat, '\n')) {
    double value;
    if (absl::ConsumePrefix(&line, "btime ") && absl::SimpleAtod(line, &value)) return value;
  }
  return std::nullopt;
}

// The soft limit of "Max open files" in /proc/PID/limits.
std::optional<double> MaxOpenFiles(const std::string& limits) {
  for (absl::string_view line : absl::StrSplit(limits, '\n')) {
    if (!absl::ConsumePrefix(&line, "Max open files")) continue;
    const std::vector<std::string> words = absl::StrSplit(line, ' ', absl::SkipEmpty());
    double value;
    if (!words.empty() && absl::SimpleAtod(words[0], &value)) return value;
  }
  return std::nullopt;
}

void AddMetric(std::vector<prometheus::MetricFamily>& families, const char* name, const char* help,
               prometheus::MetricType type, std::optional<double> value) {
  if (!value) return;
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = *value;
  } else {
    metric.gauge.value = *value;
  }
  families.push_back({name, help, type, {metric}});
}

}  // namespace

ProcessCollector::ProcessCollector(std::string proc_root, std::string self)
    : proc_root_(std::move(proc_root)), self_(std::move(self)) {}

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  const std::string process_dir = proc_root_ + "/" + self_;
  const double ticks_per_second = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page_bytes = static_cast<double>(sysconf(_SC_PAGESIZE));

  std::optional<double> cpu_seconds, resident_bytes, virtual_bytes, threads, start_time;
  const std::optional<std::string> stat = ReadFile(process_dir + "/stat");
  const std::optional<std::vector<std::string>> fields = stat ? StatFields(*stat) : std::nullopt;
  if (fields) {
    const std::optional<double> user = Field(*fields, 14), system = Field(*fields, 15);
    if (user && system) cpu_seconds = (*user + *system) / ticks_per_second;
    if (auto pages = Field(*fields, 24)) resident_bytes = *pages * page_bytes;
    virtual_bytes = Field(*fields, 23);
    threads = Field(*fields, 20);
    const std::optional<std::string> proc_stat = ReadFile(proc_root_ + "/stat");
    const std::optional<double> boot = proc_stat ? BootTime(*proc_stat) : std::nullopt;
    if (auto start_ticks = Field(*fields, 22); start_ticks && boot) {
      start_time = *boot + *start_ticks / ticks_per_second;
    }
  }
  std::optional<double> open_fds;
  std::error_code error;
  std::filesystem::directory_iterator fd_dir(process_dir + "/fd", error);
  if (!error) {
    open_fds = 0;
    for ([[maybe_unused]] const auto& entry : fd_dir) *open_fds += 1;
  }
  const std::optional<std::string> limits = ReadFile(process_dir + "/limits");

  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> families;
  AddMetric(families, "process_cpu_seconds_total",
            "Total user and system CPU time spent in seconds.", MetricType::Counter, cpu_seconds);
  AddMetric(families, "process_resident_memory_bytes", "Resident memory size in bytes.",
            MetricType::Gauge, resident_bytes);
  AddMetric(families, "process_virtual_memory_bytes", "Virtual memory size in bytes.",
            MetricType::Gauge, virtual_bytes);
  AddMetric(families, "process_open_fds", "Number of open file descriptors.", MetricType::Gauge,
            open_fds);
  AddMetric(families, "process_max_fds", "Maximum number of open file descriptors.",
            MetricType::Gauge, limits ? MaxOpenFiles(*limits) : std::nullopt);
  AddMetric(families, "process_start_time_seconds",
            "Start time of the process since unix epoch in seconds.", MetricType::Gauge,
            start_time);
  AddMetric(families, "process_threads", "Number of OS threads in the process.", MetricType::Gauge,
            threads);
  return families;
}

}  // namespace attnserve
