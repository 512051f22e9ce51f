#include "kernels/cpu/thread_pool.h"

#include <algorithm>
#include <atomic>

namespace attnserve {

// One ParallelFor call, on its caller's stack. `next` hands out indices without the lock;
// `done` and `workers_inside` (under the pool's mutex) tell the caller when no thread will
// touch the job again, so it can return and free it.
struct ThreadPool::Job {
  Job(int64_t count, absl::FunctionRef<void(int64_t)> body) : count(count), body(body) {}

  const int64_t count;
  const absl::FunctionRef<void(int64_t)> body;
  std::atomic<int64_t> next{0};
  int64_t done = 0;
  int workers_inside = 0;
};

ThreadPool::ThreadPool(int threads) {
  const int workers = std::max(threads, 1) - 1;
  workers_.reserve(workers);
  for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
  }
  for (std::thread& worker : workers_) worker.join();
}

int64_t ThreadPool::RunIndices(Job& job) {
  int64_t ran = 0;
  for (int64_t i = job.next.fetch_add(1); i < job.count; i = job.next.fetch_add(1)) {
    job.body(i);
    ++ran;
  }
  return ran;
}

void ThreadPool::ParallelFor(int64_t count, absl::FunctionRef<void(int64_t)> body) {
  if (count <= 0) return;
  Job job(count, body);
  if (!workers_.empty() && count > 1) {
    absl::MutexLock lock(&mutex_);
    jobs_.push_back(&job);
  }
  const int64_t ran = RunIndices(job);
  absl::MutexLock lock(&mutex_);
  job.done += ran;
  mutex_.Await(absl::Condition(
      +[](Job* job) { return job->done == job->count && job->workers_inside == 0; }, &job));
  // Every index is claimed, so no worker will pick the job up again; it may still be queued.
  jobs_.erase(std::remove(jobs_.begin(), jobs_.end(), &job), jobs_.end());
}

void ThreadPool::WorkerLoop() {
  while (true) {
    Job* job;
    {
      absl::MutexLock lock(&mutex_);
      mutex_.Await(absl::Condition(
          +[](ThreadPool* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mutex_) {
            return self->stopping_ || !self->jobs_.empty();
          },
          this));
      if (stopping_) return;
      job = jobs_.front();
      if (job->next.load() >= job->count) {
        jobs_.pop_front();  // fully claimed: its caller waits for the threads still inside
        continue;
      }
      ++job->workers_inside;
    }
    const int64_t ran = RunIndices(*job);
    absl::MutexLock lock(&mutex_);
    job->done += ran;
    --job->workers_inside;
  }
}

}  // namespace attnserve
