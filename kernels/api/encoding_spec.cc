#include "kernels/api/encoding_spec.h"

namespace attnserve {
namespace {

struct ScalingNamer {
  const char* operator()(const std::monostate&) const { return "default"; }
  const char* operator()(const LinearScaling&) const { return "linear"; }
  const char* operator()(const NtkScaling&) const { return "ntk"; }
  const char* operator()(const DynamicNtkScaling&) const { return "dynamic_ntk"; }
  const char* operator()(const YarnScaling&) const { return "yarn"; }
  const char* operator()(const Llama3Scaling&) const { return "llama3"; }
  const char* operator()(const LongRopeScaling&) const { return "longrope"; }
};

}  // namespace

const char* ScalingName(const RotaryScaling& scaling) {
  return std::visit(ScalingNamer{}, scaling);
}

}  // namespace attnserve
