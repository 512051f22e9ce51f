// The cpu backend's thread pool: every index runs exactly once, on several threads, also when
// several callers share the pool.
#include "kernels/cpu/thread_pool.h"

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

namespace attnserve {
namespace {

TEST(ThreadPool, RunsEveryIndexExactlyOnce) {
  ThreadPool pool(3);
  EXPECT_EQ(pool.threads(), 3);
  for (int64_t count : {0, 1, 2, 3, 1000}) {
    std::vector<std::atomic<int>> runs(count);
    pool.ParallelFor(count, [&](int64_t i) { runs[i].fetch_add(1); });
    for (int64_t i = 0; i < count; ++i) EXPECT_EQ(runs[i].load(), 1) << "index " << i;
  }
}

TEST(ThreadPool, SpreadsIndicesOverItsThreads) {
  ThreadPool pool(2);
  absl::Mutex mutex;
  std::set<std::thread::id> seen;
  std::atomic<int> inside{0};
  // Each index waits until another thread is inside too (or gives up after a while), so one
  // thread cannot run them all.
  pool.ParallelFor(2, [&](int64_t) {
    inside.fetch_add(1);
    for (int spin = 0; spin < 2000 && inside.load() < 2; ++spin) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    absl::MutexLock lock(&mutex);
    seen.insert(std::this_thread::get_id());
  });
  EXPECT_EQ(seen.size(), 2u);
}

TEST(ThreadPool, ServesSeveralCallersAtOnce) {
  ThreadPool pool(2);
  constexpr int kCallers = 4;
  constexpr int64_t kIndices = 500;
  std::vector<std::vector<std::atomic<int>>> runs(kCallers);
  for (auto& caller_runs : runs) caller_runs = std::vector<std::atomic<int>>(kIndices);
  std::vector<std::thread> callers;
  for (int caller = 0; caller < kCallers; ++caller) {
    callers.emplace_back([&, caller] {
      for (int round = 0; round < 20; ++round) {
        pool.ParallelFor(kIndices, [&](int64_t i) { runs[caller][i].fetch_add(1); });
      }
    });
  }
  for (std::thread& caller : callers) caller.join();
  for (const auto& caller_runs : runs) {
    for (const auto& count : caller_runs) EXPECT_EQ(count.load(), 20);
  }
}

TEST(ThreadPool, OfOneThreadRunsOnTheCaller) {
  ThreadPool pool(1);
  const std::thread::id caller = std::this_thread::get_id();
  pool.ParallelFor(10, [&](int64_t) { EXPECT_EQ(std::this_thread::get_id(), caller); });
}

}  // namespace
}  // namespace attnserve
