// The cpu backend's threads: ParallelFor spreads the indices of one request's work (query
// tiles, key splits, preparation chunks) over the pool's workers and the calling thread, which
// computes too, so one request uses every core. Calls from several threads at once are served
// in arrival order, each index claimed by exactly one thread. Owned by the backend for the
// server's lifetime; ParallelFor is thread-safe; destruction waits for the workers to exit and
// must not overlap a ParallelFor.
#ifndef ATTNSERVE_KERNELS_CPU_THREAD_POOL_H_
#define ATTNSERVE_KERNELS_CPU_THREAD_POOL_H_

#include <cstdint>
#include <deque>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/synchronization/mutex.h"

namespace attnserve {

class ThreadPool {
 public:
  // `threads` computing threads in all, the caller of ParallelFor included (so threads - 1
  // workers are started); at least 1.
  explicit ThreadPool(int threads);
  ~ThreadPool();

  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls body(i) once for every i in [0, count) and returns when every call has returned.
  void ParallelFor(int64_t count, absl::FunctionRef<void(int64_t)> body);

 private:
  struct Job;

  void WorkerLoop();
  // Claims and runs indices of `job` until none is left; returns how many it ran.
  static int64_t RunIndices(Job& job);

  absl::Mutex mutex_;
  std::deque<Job*> jobs_ ABSL_GUARDED_BY(mutex_);  // jobs with indices left to claim
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace attnserve

#endif  // ATTNSERVE_KERNELS_CPU_THREAD_POOL_H_
