// Early return on error, the one macro Abseil 20220623 does not ship publicly.
#ifndef ATTNSERVE_KERNELS_UTIL_STATUS_MACROS_H_
#define ATTNSERVE_KERNELS_UTIL_STATUS_MACROS_H_

#include "absl/status/status.h"

#define ATTN_RETURN_IF_ERROR(expr)                      \
  do {                                                  \
    if (absl::Status status_ = (expr); !status_.ok()) { \
      return status_;                                   \
    }                                                   \
  } while (false)

#endif  // ATTNSERVE_KERNELS_UTIL_STATUS_MACROS_H_
