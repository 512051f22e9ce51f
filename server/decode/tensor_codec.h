// proto Tensor <-> kernels TensorView. Decoding checks everything a kernel relies on (dtype,
// rank, positive dims, no overflow, exact byte count) and names the field in its error; the
// view points into the proto's bytes, which must outlive it.
#ifndef ATTNSERVE_SERVER_DECODE_TENSOR_CODEC_H_
#define ATTNSERVE_SERVER_DECODE_TENSOR_CODEC_H_

#include <cstdint>
#include <initializer_list>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "attnserve/v1/attention.pb.h"
#include "kernels/api/data_type.h"
#include "kernels/api/tensor_view.h"

namespace attnserve {

// `field` names the dtype field in errors, e.g. "query.dtype".
absl::StatusOr<DataType> DecodeDataType(int proto_value, absl::string_view field);
v1::DataType ToProto(DataType dtype);

// `dim_names` gives the expected rank and names the dims in errors, e.g. {"batch", "q_len", ...}.
absl::StatusOr<TensorView> DecodeTensor(const v1::Tensor& tensor, absl::string_view field,
                                        std::initializer_list<absl::string_view> dim_names);

// Every element of `tensor` is finite: NaN and infinities are refused at the edge (they are
// almost always an upstream bug, and would poison whole rows of attention silently). Names the
// first offending element, e.g. "query.data[17] = nan: inputs must be finite".
absl::Status CheckFinite(const TensorView& tensor, absl::string_view field);

// Sets `tensor`'s dtype and shape, sizes its bytes and returns a view to write them through.
MutableTensorView AllocateTensor(v1::Tensor& tensor, DataType dtype, std::vector<int64_t> shape);

}  // namespace attnserve

#endif  // ATTNSERVE_SERVER_DECODE_TENSOR_CODEC_H_
