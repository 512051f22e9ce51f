// Highway's dynamic dispatch: foreach_target.h re-includes this file once per target, each copy
// compiled for that target's instructions inside its own HWY_NAMESPACE; HWY_EXPORT and
// HWY_DYNAMIC_DISPATCH then call the best copy the CPU supports.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/cpu/simd_kernels.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
// Must come after foreach_target.h.
#include "hwy/highway.h"
#include "kernels/cpu/simd_kernels.h"

HWY_BEFORE_NAMESPACE();
namespace attnserve {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

void DotProductsImpl(const float* query, const float* keys, int64_t key_stride, int64_t count,
                     int64_t dim, float* out) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  for (int64_t j = 0; j < count; ++j) {
    const float* key = keys + j * key_stride;
    // Two independent accumulators: an FMA's latency is longer than its issue interval.
    auto sum0 = hn::Zero(d);
    auto sum1 = hn::Zero(d);
    int64_t c = 0;
    for (; c + 2 * lanes <= dim; c += 2 * lanes) {
      sum0 = hn::MulAdd(hn::LoadU(d, query + c), hn::LoadU(d, key + c), sum0);
      sum1 = hn::MulAdd(hn::LoadU(d, query + c + lanes), hn::LoadU(d, key + c + lanes), sum1);
    }
    for (; c + lanes <= dim; c += lanes) {
      sum0 = hn::MulAdd(hn::LoadU(d, query + c), hn::LoadU(d, key + c), sum0);
    }
    float total = hn::GetLane(hn::SumOfLanes(d, hn::Add(sum0, sum1)));
    for (; c < dim; ++c) total += query[c] * key[c];
    out[j] = total;
  }
}

void ScaleAndAddImpl(float rescale, float weight, const float* value, float* accumulator,
                     int64_t dim) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const auto rescale_v = hn::Set(d, rescale);
  const auto weight_v = hn::Set(d, weight);
  int64_t c = 0;
  for (; c + lanes <= dim; c += lanes) {
    const auto kept = hn::Mul(hn::LoadU(d, accumulator + c), rescale_v);
    hn::StoreU(hn::MulAdd(weight_v, hn::LoadU(d, value + c), kept), d, accumulator + c);
  }
  for (; c < dim; ++c) accumulator[c] = accumulator[c] * rescale + weight * value[c];
}

const char* TargetNameImpl() { return hwy::TargetName(HWY_TARGET); }

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace attnserve
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace attnserve {

HWY_EXPORT(DotProductsImpl);
HWY_EXPORT(ScaleAndAddImpl);
HWY_EXPORT(TargetNameImpl);

void DotProducts(const float* query, const float* keys, int64_t key_stride, int64_t count,
                 int64_t dim, float* out) {
  HWY_DYNAMIC_DISPATCH(DotProductsImpl)(query, keys, key_stride, count, dim, out);
}

void ScaleAndAdd(float rescale, float weight, const float* value, float* accumulator, int64_t dim) {
  HWY_DYNAMIC_DISPATCH(ScaleAndAddImpl)(rescale, weight, value, accumulator, dim);
}

const char* SimdTargetName() { return HWY_DYNAMIC_DISPATCH(TargetNameImpl)(); }

}  // namespace attnserve
#endif  // HWY_ONCE
