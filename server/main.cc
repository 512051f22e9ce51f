// attnserve: the attention service. Prints "listening on HOST:PORT" as the first line of stdout
// once it serves; SIGINT or SIGTERM drain it and it exits 0.
#include <csignal>
#include <cstdint>
#include <iostream>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "server/logging.h"
#include "server/server.h"

ABSL_FLAG(std::string, host, "0.0.0.0", "Address to listen on.");
ABSL_FLAG(int, port, 50051, "Port to listen on; 0 picks a free port.");
ABSL_FLAG(int, metrics_port, 9464,
          "Port of the Prometheus /metrics endpoint (plain HTTP, on --metrics_host); 0 disables "
          "it, -1 picks a free port. When enabled, the second stdout line is \"metrics on "
          "HOST:PORT\".");
ABSL_FLAG(std::string, metrics_host, "",
          "Address of /metrics; empty means --host. /metrics has no TLS: with --tls_cert, bind "
          "it to an internal address.");
ABSL_FLAG(int, threads, 0,
          "Requests computed at once, and the threads the cpu backend spreads one request over; "
          "0 means one per CPU core.");
ABSL_FLAG(int64_t, max_message_bytes, int64_t{256} << 20,
          "Largest request and response message, in bytes.");
ABSL_FLAG(int64_t, max_probability_elements, int64_t{64} << 20,
          "Largest batch*heads*q_len*kv_len a request may ask return_probabilities for.");
ABSL_FLAG(int64_t, max_tensor_elements, int64_t{1} << 27,
          "Largest element count of any one request tensor.");
ABSL_FLAG(int64_t, max_attention_work, int64_t{1} << 32,
          "Largest batch*heads*q_len*kv_len of one ComputeAttention request.");
ABSL_FLAG(int, max_inflight_requests, 256,
          "Calls accepted and not yet finished, queued ones included; more are refused with "
          "RESOURCE_EXHAUSTED.");
ABSL_FLAG(int, max_queued_requests, 128,
          "Calls waiting for a compute thread; more are refused with RESOURCE_EXHAUSTED.");
ABSL_FLAG(std::string, backend, "auto",
          "Backend for requests that name none: auto (cuda when a usable GPU exists, else cpu), "
          "cpu, cuda (built with nvcc; without a GPU its requests run on the cpu) or reference.");
ABSL_FLAG(int, cuda_device, 0, "The GPU (CUDA device ordinal) the cuda backend uses.");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM certificate chain: serve gRPC and /metrics over TLS (needs --tls_key).");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert.");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CA bundle: require client certificates signed by it (mutual TLS), on gRPC and "
          "/metrics.");
ABSL_FLAG(std::string, auth_token_file, "",
          "File of bearer tokens, one per line: AttentionService calls need 'authorization: "
          "Bearer <token>' metadata with one of them (health and reflection stay open).");
ABSL_FLAG(double, shutdown_grace_seconds, 10,
          "On SIGINT/SIGTERM, how long in-flight calls get to finish.");

namespace {

// Blocks SIGINT and SIGTERM in this thread and every thread started after it, so that
// WaitForSignal receives them synchronously instead of a handler interrupting anything.
sigset_t BlockTerminationSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

int WaitForSignal(const sigset_t& signals) {
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  return signal_number;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "attnserve: transformer attention with position encodings, over gRPC");
  absl::ParseCommandLine(argc, argv);
  const sigset_t signals = BlockTerminationSignals();

  attnserve::ServerConfig config;
  config.host = absl::GetFlag(FLAGS_host);
  config.port = absl::GetFlag(FLAGS_port);
  config.metrics_host = absl::GetFlag(FLAGS_metrics_host);
  config.metrics_port = absl::GetFlag(FLAGS_metrics_port);
  const int threads = absl::GetFlag(FLAGS_threads);
  config.compute_threads =
      threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : threads;
  config.limits.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  config.limits.max_probability_elements = absl::GetFlag(FLAGS_max_probability_elements);
  config.limits.max_tensor_elements = absl::GetFlag(FLAGS_max_tensor_elements);
  config.limits.max_attention_work = absl::GetFlag(FLAGS_max_attention_work);
  config.admission.max_inflight_requests = absl::GetFlag(FLAGS_max_inflight_requests);
  config.admission.max_queued_requests = absl::GetFlag(FLAGS_max_queued_requests);
  config.default_backend = absl::GetFlag(FLAGS_backend);
  config.cuda_device = absl::GetFlag(FLAGS_cuda_device);
  config.tls = {absl::GetFlag(FLAGS_tls_cert), absl::GetFlag(FLAGS_tls_key),
                absl::GetFlag(FLAGS_tls_client_ca)};
  config.auth_token_file = absl::GetFlag(FLAGS_auth_token_file);

  absl::StatusOr<std::unique_ptr<attnserve::Server>> server =
      attnserve::Server::Start(config, std::make_shared<prometheus::Registry>());
  if (!server.ok()) {
    attnserve::LogError(absl::StrCat("cannot start: ", server.status().message()));
    return 1;
  }
  std::cout << "listening on " << config.host << ":" << (*server)->port() << std::endl;
  if ((*server)->metrics_port() != 0) {
    const std::string& metrics_host =
        config.metrics_host.empty() ? config.host : config.metrics_host;
    std::cout << "metrics on " << metrics_host << ":" << (*server)->metrics_port() << std::endl;
  }
  if (!config.auth_token_file.empty() && config.tls.cert_file.empty()) {
    attnserve::LogWarning("--auth_token_file without --tls_cert: tokens travel in clear text");
  }
  attnserve::LogInfo(absl::StrCat("serving with ", config.compute_threads,
                                  " compute threads, default backend ",
                                  (*server)->default_backend()));

  const int signal_number = WaitForSignal(signals);
  const double grace_seconds = absl::GetFlag(FLAGS_shutdown_grace_seconds);
  attnserve::LogInfo(absl::StrCat("received ", strsignal(signal_number), ", draining for up to ",
                                  grace_seconds, " s"));
  (*server)->Shutdown(absl::Seconds(grace_seconds));
  attnserve::LogInfo("stopped");
  return 0;
}
