#include <barrier>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <thread>
#include <vector>

#include "kernels/cuda/shim/fiber_context.h"
#include "kernels/cuda/shim/shim_runtime.h"

namespace attnserve::cudashim {
namespace {

constexpr unsigned char kPoisonByte = 0xFF;  // NaN in float32, float16 and bfloat16 alike
constexpr size_t kMaxGatherBytes = 64;  // the largest per-lane contribution (an mma's operands)
constexpr size_t kFiberStackBytes = 256 * 1024;

[[noreturn]] void Fail(const char* message) {
  std::fprintf(stderr, "cuda shim: %s\n", message);
  std::abort();
}

struct PendingCopy {
  void* destination;
  const void* source;
  size_t bytes;
  bool zero_fill;
};

class BlockRunner;

struct Lane {
  LaneState state;
  BlockRunner* runner = nullptr;
  int warp = 0;
  std::vector<PendingCopy> open_group;
  std::deque<std::vector<PendingCopy>> committed_groups;
};

thread_local Lane* current_lane = nullptr;

Lane& Current() {
  if (current_lane == nullptr) Fail("a device function was called outside a kernel launch");
  return *current_lane;
}

// What both lane modes share: the block's shared memory, its lanes and the warps' exchange
// slots. A mode supplies the two barriers and how lanes run.
class BlockRunner {
 public:
  BlockRunner(const LaunchConfig& config)
      : config_(config),
        lane_count_(static_cast<int>(config.block.x * config.block.y * config.block.z)),
        shared_(config.shared_bytes),
        exchange_(static_cast<size_t>(lane_count_) * kMaxGatherBytes),
        lanes_(lane_count_) {
    if (lane_count_ % kWarpSize != 0) Fail("blocks must be whole warps");
  }
  virtual ~BlockRunner() = default;

  // Runs every lane of block `block_idx` through `body` and returns when all have finished.
  void RunBlock(Dim3 block_idx, const std::function<void()>& body) {
    if (!shared_.empty()) std::memset(shared_.data(), kPoisonByte, shared_.size());
    for (int t = 0; t < lane_count_; ++t) {
      Lane& lane = lanes_[t];
      lane = Lane{};
      lane.runner = this;
      lane.warp = t / kWarpSize;
      lane.state.linear_thread = t;
      lane.state.thread_idx = {t % config_.block.x, t / config_.block.x % config_.block.y,
                               t / (config_.block.x * config_.block.y)};
      lane.state.block_idx = block_idx;
      lane.state.block_dim = config_.block;
      lane.state.grid_dim = config_.grid;
    }
    RunLanes(body);
  }

  std::byte* shared() { return shared_.data(); }

  void WarpAllGather(Lane& lane, const void* mine, size_t bytes, void* all) {
    if (bytes > kMaxGatherBytes) Fail("warp exchange of more than 64 bytes per lane");
    std::byte* warp_slots = exchange_.data() + lane.warp * kWarpSize * kMaxGatherBytes;
    std::memcpy(warp_slots + (lane.state.linear_thread % kWarpSize) * kMaxGatherBytes, mine, bytes);
    SyncWarp(lane);
    for (int source = 0; source < kWarpSize; ++source) {
      std::memcpy(static_cast<std::byte*>(all) + source * bytes,
                  warp_slots + source * kMaxGatherBytes, bytes);
    }
    SyncWarp(lane);  // nobody overwrites a slot before every lane has read it
  }

  virtual void SyncThreads(Lane& lane) = 0;
  virtual void SyncWarp(Lane& lane) = 0;

 protected:
  virtual void RunLanes(const std::function<void()>& body) = 0;

  int lane_count() const { return lane_count_; }
  int warp_count() const { return lane_count_ / kWarpSize; }
  Lane& lane(int index) { return lanes_[index]; }

 private:
  const LaunchConfig config_;
  const int lane_count_;
  std::vector<std::byte> shared_;
  std::vector<std::byte> exchange_;
  std::vector<Lane> lanes_;
};

// Lanes as OS threads; the barriers are std::barrier, and a finished lane drops out of both.
class ThreadBlockRunner final : public BlockRunner {
 public:
  using BlockRunner::BlockRunner;

  void SyncThreads(Lane&) override { block_barrier_->arrive_and_wait(); }
  void SyncWarp(Lane& lane) override { warp_barriers_[lane.warp]->arrive_and_wait(); }

 private:
  void RunLanes(const std::function<void()>& body) override {
    block_barrier_ = std::make_unique<std::barrier<>>(lane_count());
    warp_barriers_.clear();
    for (int w = 0; w < warp_count(); ++w) {
      warp_barriers_.push_back(std::make_unique<std::barrier<>>(kWarpSize));
    }
    std::vector<std::thread> threads;
    for (int t = 0; t < lane_count(); ++t) {
      threads.emplace_back([this, t, &body] {
        Lane& me = lane(t);
        current_lane = &me;
        body();
        current_lane = nullptr;
        warp_barriers_[me.warp]->arrive_and_drop();
        block_barrier_->arrive_and_drop();
      });
    }
    for (std::thread& thread : threads) thread.join();
  }

  std::unique_ptr<std::barrier<>> block_barrier_;
  std::vector<std::unique_ptr<std::barrier<>>> warp_barriers_;
};

// Lanes as fibers on the launching thread. A lane runs until it waits on a barrier;
// the scheduler runs one warp until every lane of it waits on __syncthreads (or finished),
// then the next, alternating the warp order between sweeps.
class FiberBlockRunner final : public BlockRunner {
 public:
  explicit FiberBlockRunner(const LaunchConfig& config)
      : BlockRunner(config), fibers_(lane_count()), warp_barriers_(warp_count()) {
    for (Fiber& fiber : fibers_)
      fiber.stack = std::make_unique_for_overwrite<std::byte[]>(kFiberStackBytes);
  }

  void SyncThreads(Lane& lane) override { Wait(lane, block_barrier_, lane_count()); }
  void SyncWarp(Lane& lane) override { Wait(lane, warp_barriers_[lane.warp], kWarpSize); }

 private:
  struct Barrier {
    int arrived = 0;
    int finished = 0;  // lanes that left the kernel no longer count
    uint64_t generation = 0;
  };

  struct Fiber {
    FiberContext context;
    std::unique_ptr<std::byte[]> stack;
    const Barrier* waiting_on = nullptr;
    uint64_t waiting_generation = 0;
    bool done = false;
  };

  static void Release(Barrier& barrier, int members) {
    if (barrier.arrived > 0 && barrier.arrived + barrier.finished == members) {
      barrier.arrived = 0;
      ++barrier.generation;
    }
  }

  void Wait(Lane& lane, Barrier& barrier, int members) {
    ++barrier.arrived;
    const uint64_t generation = barrier.generation;
    Release(barrier, members);
    if (barrier.generation != generation) return;
    Fiber& fiber = fibers_[lane.state.linear_thread];
    fiber.waiting_on = &barrier;
    fiber.waiting_generation = generation;
    FiberContext::Switch(fiber.context, scheduler_);
    fiber.waiting_on = nullptr;
  }

  bool Runnable(const Fiber& fiber) const {
    return !fiber.done && (fiber.waiting_on == nullptr ||
                           fiber.waiting_on->generation != fiber.waiting_generation);
  }

  static void Entry() {
    Lane& me = Current();
    auto* runner = static_cast<FiberBlockRunner*>(me.runner);
    (*runner->body_)();
    runner->Finish(me);
    FiberContext::Switch(runner->fibers_[me.state.linear_thread].context, runner->scheduler_);
  }

  void Finish(Lane& lane) {
    fibers_[lane.state.linear_thread].done = true;
    ++warp_barriers_[lane.warp].finished;
    Release(warp_barriers_[lane.warp], kWarpSize);
    ++block_barrier_.finished;
    Release(block_barrier_, lane_count());
  }

  void RunLanes(const std::function<void()>& body) override {
    body_ = &body;
    block_barrier_ = Barrier{};
    for (Barrier& barrier : warp_barriers_) barrier = Barrier{};
    for (int t = 0; t < lane_count(); ++t) {
      Fiber& fiber = fibers_[t];
      fiber.done = false;
      fiber.waiting_on = nullptr;
      fiber.context.Prepare(fiber.stack.get(), kFiberStackBytes, &FiberBlockRunner::Entry);
    }
    for (bool reversed = false;; reversed = !reversed) {
      bool progressed = false;
      for (int k = 0; k < warp_count(); ++k) {
        progressed |= RunWarpUntilBlocked(reversed ? warp_count() - 1 - k : k);
      }
      if (block_barrier_.finished == lane_count()) break;
      if (!progressed) Fail("deadlock: lanes wait on barriers that the others never reach");
    }
    current_lane = nullptr;
  }

  bool RunWarpUntilBlocked(int warp) {
    bool progressed = false;
    for (bool ran = true; ran;) {
      ran = false;
      for (int t = warp * kWarpSize; t < (warp + 1) * kWarpSize; ++t) {
        if (!Runnable(fibers_[t])) continue;
        current_lane = &lane(t);
        FiberContext::Switch(scheduler_, fibers_[t].context);
        ran = progressed = true;
      }
    }
    return progressed;
  }

  std::vector<Fiber> fibers_;
  Barrier block_barrier_;
  std::vector<Barrier> warp_barriers_;
  FiberContext scheduler_;
  const std::function<void()>* body_ = nullptr;
};

void PerformCopies(const std::vector<PendingCopy>& copies) {
  for (const PendingCopy& copy : copies) {
    if (copy.zero_fill) {
      std::memset(copy.destination, 0, copy.bytes);
    } else {
      std::memcpy(copy.destination, copy.source, copy.bytes);
    }
  }
}

}  // namespace

const LaneState& CurrentLane() { return Current().state; }

std::byte* BlockSharedMemory() { return Current().runner->shared(); }

void SyncThreads() {
  Lane& lane = Current();
  lane.runner->SyncThreads(lane);
}

void SyncWarp() {
  Lane& lane = Current();
  lane.runner->SyncWarp(lane);
}

void WarpAllGather(const void* mine, size_t bytes, void* all) {
  Lane& lane = Current();
  lane.runner->WarpAllGather(lane, mine, bytes, all);
}

void QueueAsyncCopy(void* destination, const void* source, size_t bytes, bool zero_fill) {
  Current().open_group.push_back({destination, source, bytes, zero_fill});
}

void CommitAsyncCopies() {
  Lane& lane = Current();
  lane.committed_groups.push_back(std::move(lane.open_group));
  lane.open_group.clear();
}

void WaitAsyncCopies(int groups_left) {
  Lane& lane = Current();
  while (static_cast<int>(lane.committed_groups.size()) > groups_left) {
    PerformCopies(lane.committed_groups.front());
    lane.committed_groups.pop_front();
  }
}

void RunGrid(const LaunchConfig& config, const std::function<void()>& body) {
  std::unique_ptr<BlockRunner> runner;
  // Sanitizers cannot follow the hand-written fiber switch: in their builds every lane is a
  // thread, which is what they are there to check.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  constexpr bool kThreadsOnly = true;
#else
  constexpr bool kThreadsOnly = false;
#endif
  if (kThreadsOnly || config.mode == LaneMode::kThreads) {
    runner = std::make_unique<ThreadBlockRunner>(config);
  } else {
    runner = std::make_unique<FiberBlockRunner>(config);
  }
  for (unsigned z = 0; z < config.grid.z; ++z) {
    for (unsigned y = 0; y < config.grid.y; ++y) {
      for (unsigned x = 0; x < config.grid.x; ++x) runner->RunBlock({x, y, z}, body);
    }
  }
}

}  // namespace attnserve::cudashim
