#include "kernels/api/encoding_spec.h"

namespace attnserve {
namespace {

struct ScalingNamer {
  std::string_view operator()(const std::monostate&) const { return "default"; }
  std::string_view operator()(const LinearScaling&) const { return "linear"; }
  std::string_view operator()(const NtkScaling&) const { return "ntk"; }
  std::string_view operator()(const DynamicNtkScaling&) const { return "dynamic_ntk"; }
  std::string_view operator()(const YarnScaling&) const { return "yarn"; }
  std::string_view operator()(const Llama3Scaling&) const { return "llama3"; }
  std::string_view operator()(const LongRopeScaling&) const { return "longrope"; }
};

}  // namespace

std::string_view ScalingName(const RotaryScaling& scaling) {
  return std::visit(ScalingNamer{}, scaling);
}

}  // namespace attnserve
