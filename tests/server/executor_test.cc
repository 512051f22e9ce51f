#include "server/engine/executor.h"

#include <atomic>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace attnserve {
namespace {

TEST(Executor, RunsEverySubmittedTaskBeforeItIsDestroyed) {
  std::atomic<int> done = 0;
  {
    Executor executor(2);
    for (int i = 0; i < 100; ++i) executor.Submit([&done] { done.fetch_add(1); });
  }
  EXPECT_EQ(done.load(), 100);
}

TEST(Executor, ASlowTaskDoesNotHoldUpTheOtherThread) {
  Executor executor(2);
  absl::Notification release_slow, fast_ran;
  executor.Submit([&release_slow] { release_slow.WaitForNotification(); });
  executor.Submit([&fast_ran] { fast_ran.Notify(); });
  // Bounded wait: the fast task must run while the slow one still blocks its thread.
  EXPECT_TRUE(fast_ran.WaitForNotificationWithTimeout(absl::Seconds(10)));
  release_slow.Notify();
}

TEST(Executor, OneThreadRunsTasksInSubmissionOrder) {
  std::vector<int> order;
  {
    Executor executor(1);
    for (int i = 0; i < 10; ++i) executor.Submit([&order, i] { order.push_back(i); });
  }
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

}  // namespace
}  // namespace attnserve
