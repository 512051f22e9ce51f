#include "kernels/api/attention_work.h"

#include "gtest/gtest.h"

namespace attnserve {
namespace {

AttentionProblem Problem(int64_t batch, int64_t q_len, int64_t kv_len) {
  AttentionProblem problem;
  problem.shape = {batch,
                   q_len,
                   kv_len,
                   /*heads=*/4,
                   /*kv_heads=*/2,
                   /*head_dim=*/64,
                   /*v_head_dim=*/32};
  return problem;
}

TEST(AttentionWork, FullAttentionCountsEveryPair) {
  const AttentionWork work = CountAttentionWork(Problem(2, 3, 5));
  EXPECT_EQ(work.visible_pairs, 2 * 3 * 5 * 4);
  EXPECT_EQ(work.flops, 2.0 * (64 + 32) * 2 * 3 * 5 * 4);
  EXPECT_EQ(work.query_tokens, 6);
}

TEST(AttentionWork, CausalPrefillCountsTheLowerTriangle) {
  AttentionProblem problem = Problem(1, 8, 8);
  problem.causal = true;
  EXPECT_EQ(CountAttentionWork(problem).visible_pairs, (8 * 9 / 2) * 4);
}

TEST(AttentionWork, CausalDecodeWithCacheSeesAllCachedKeys) {
  AttentionProblem problem = Problem(1, 2, 10);
  problem.causal = true;  // queries at key positions 8 and 9
  EXPECT_EQ(CountAttentionWork(problem).visible_pairs, (9 + 10) * 4);
}

TEST(AttentionWork, WindowAndLengthsLimitThePairs) {
  AttentionProblem problem = Problem(2, 4, 6);
  problem.causal = true;
  problem.window = 2;           // each query sees itself and one key before
  problem.kv_lengths = {6, 3};  // batch 1: queries at keys 2..5 see only keys < 3
  // batch 0: 4 rows x 2 keys; batch 1: row at key 2 sees {1, 2}, at 3 sees {2}, then nothing.
  EXPECT_EQ(CountAttentionWork(problem).visible_pairs, (8 + 2 + 1) * 4);
}

}  // namespace
}  // namespace attnserve
