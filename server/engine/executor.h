// A fixed pool of threads that runs submitted tasks in FIFO order, so compute never runs on
// gRPC's callback threads: a slow request occupies one compute thread, not the transport.
// The server owns one for its lifetime. Submit is thread-safe; destruction runs every task already
// submitted, then joins the threads.
#ifndef ATTNSERVE_SERVER_ENGINE_EXECUTOR_H_
#define ATTNSERVE_SERVER_ENGINE_EXECUTOR_H_

#include <deque>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"

namespace attnserve {

class Executor {
 public:
  explicit Executor(int num_threads);
  ~Executor();

  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  void Submit(absl::AnyInvocable<void() &&> task);

 private:
  void WorkerLoop();

  absl::Mutex mutex_;
  std::deque<absl::AnyInvocable<void() &&>> tasks_ ABSL_GUARDED_BY(mutex_);
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace attnserve

#endif  // ATTNSERVE_SERVER_ENGINE_EXECUTOR_H_
