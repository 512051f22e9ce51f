#include "server/decode/request_limits.h"

#include "absl/strings/str_cat.h"

namespace attnserve {

absl::Status CheckTensorElements(const TensorView& tensor, absl::string_view field,
                                 const RequestLimits& limits) {
  if (tensor.num_elements() <= limits.max_tensor_elements) return absl::OkStatus();
  return absl::ResourceExhaustedError(
      absl::StrCat(field, " has ", tensor.num_elements(),
                   " elements, over max_tensor_elements=", limits.max_tensor_elements));
}

std::optional<int64_t> CheckedProduct(std::initializer_list<int64_t> factors) {
  int64_t product = 1;
  for (int64_t factor : factors) {
    if (__builtin_mul_overflow(product, factor, &product)) return std::nullopt;
  }
  return product;
}

std::optional<int64_t> ResponseTensorBytes(
    std::initializer_list<std::initializer_list<int64_t>> tensors) {
  int64_t total = 0;
  for (std::initializer_list<int64_t> tensor : tensors) {
    const std::optional<int64_t> bytes = CheckedProduct(tensor);
    if (!bytes || __builtin_add_overflow(total, *bytes, &total)) return std::nullopt;
  }
  return total;
}

absl::Status CheckResponseBytes(std::optional<int64_t> bytes, const RequestLimits& limits) {
  if (bytes && *bytes <= limits.max_message_bytes - kMessageOverheadBytes) {
    return absl::OkStatus();
  }
  return absl::ResourceExhaustedError(
      absl::StrCat("response would carry ", bytes ? absl::StrCat(*bytes) : "over 2^63",
                   " bytes of tensors, over max_message_bytes=", limits.max_message_bytes, " less ",
                   kMessageOverheadBytes, " for the message around them"));
}

}  // namespace attnserve
