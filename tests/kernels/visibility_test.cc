// Checks the closed-form key ranges of kernels/math/visibility.h against the `visible`
// predicate of docs/encodings.md section 5, evaluated key by key, over every small combination
// of q_len, kv_len, kv_length, causal and window (q_len > kv_len included).
#include "kernels/math/visibility.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <limits>

#include "gtest/gtest.h"

namespace attnserve {
namespace {

// A batch offset far from 0: positions enter only as differences, so any offset must do.
constexpr int64_t kOffset = 70000;

int64_t QueryPosition(const RowMask& mask, int64_t i) {
  return kOffset + mask.kv_len - mask.q_len + i;
}
int64_t KeyPosition(int64_t j) { return kOffset + j; }

// Section 5, literally.
bool Visible(const RowMask& mask, int64_t i, int64_t j) {
  const int64_t pos_q = QueryPosition(mask, i);
  const int64_t pos_k = KeyPosition(j);
  return j < mask.kv_length && (!mask.causal || pos_k <= pos_q) &&
         (mask.window == 0 || pos_q - pos_k < mask.window);
}

// Calls `check` for every mask with q_len in [1, 6], kv_len in [0, 6], kv_length in
// [0, kv_len], both causal settings and window in [0, 8], and every query row of it.
void ForEveryMaskAndRow(const std::function<void(const RowMask&, int64_t)>& check) {
  for (int64_t q_len = 1; q_len <= 6; ++q_len) {
    for (int64_t kv_len = 0; kv_len <= 6; ++kv_len) {
      for (int64_t kv_length = 0; kv_length <= kv_len; ++kv_length) {
        for (bool causal : {false, true}) {
          for (int64_t window = 0; window <= 8; ++window) {
            const RowMask mask{q_len, kv_len, kv_length, causal, window};
            for (int64_t i = 0; i < q_len; ++i) {
              SCOPED_TRACE(::testing::Message() << "q_len " << q_len << " kv_len " << kv_len
                                                << " kv_length " << kv_length << " causal "
                                                << causal << " window " << window << " row " << i);
              check(mask, i);
            }
          }
        }
      }
    }
  }
}

TEST(Visibility, QueryKeyIndexIsPositionDifferencePlusKeyIndex) {
  ForEveryMaskAndRow([](const RowMask& mask, int64_t i) {
    for (int64_t j = 0; j < mask.kv_len; ++j) {
      EXPECT_EQ(QueryKeyIndex(mask, i) - j, QueryPosition(mask, i) - KeyPosition(j));
    }
  });
}

TEST(Visibility, VisibleKeysContainExactlyTheVisibleKeys) {
  ForEveryMaskAndRow([](const RowMask& mask, int64_t i) {
    const KeyRange range = VisibleKeys(mask, i);
    for (int64_t j = 0; j < mask.kv_len; ++j) {
      EXPECT_EQ(range.begin <= j && j < range.end, Visible(mask, i, j)) << "key " << j;
    }
  });
}

TEST(Visibility, NonEmptyVisibleKeysLieWithinTheValidKeys) {
  ForEveryMaskAndRow([](const RowMask& mask, int64_t i) {
    const KeyRange range = VisibleKeys(mask, i);
    if (range.end <= range.begin) return;
    EXPECT_GE(range.begin, 0);
    EXPECT_LE(range.end, mask.kv_length);
  });
}

TEST(Visibility, NearestVisibleDistanceIsTheSmallestVisibleDistance) {
  int64_t rows_checked = 0;
  ForEveryMaskAndRow([&rows_checked](const RowMask& mask, int64_t i) {
    const KeyRange range = VisibleKeys(mask, i);
    int64_t nearest = std::numeric_limits<int64_t>::max();
    for (int64_t j = 0; j < mask.kv_len; ++j) {
      if (Visible(mask, i, j)) {
        nearest = std::min(nearest, std::abs(QueryPosition(mask, i) - KeyPosition(j)));
      }
    }
    if (nearest == std::numeric_limits<int64_t>::max()) return;  // no visible key
    EXPECT_EQ(NearestVisibleDistance(mask, i, range), nearest);
    ++rows_checked;
  });
  EXPECT_GT(rows_checked, 1000);
}

TEST(Visibility, HugeWindowsAreUnlimitedEvenForRowsBeforeTheFirstKey) {
  // Regression: aligned - window + 1 overflowed for aligned < 0 (q_len > kv_len) and a window
  // near INT64_MAX, giving a huge negative begin and out-of-bounds reads (found by review).
  for (int64_t window : {std::numeric_limits<int64_t>::max(), int64_t{1} << 62}) {
    const RowMask mask{/*q_len=*/3, /*kv_len=*/1, /*kv_length=*/1, /*causal=*/false, window};
    for (int64_t i = 0; i < 3; ++i) {
      const KeyRange range = VisibleKeys(mask, i);
      EXPECT_EQ(range.begin, 0) << "row " << i;
      EXPECT_EQ(range.end, 1) << "row " << i;
    }
  }
}

}  // namespace
}  // namespace attnserve
