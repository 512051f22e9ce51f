// The backend the cuda kernel suite (cuda_kernels_test.cc) runs on. The suite is linked into two
// executables, each defining KernelBackendUnderTest: cuda_shim_test runs the kernels on the CPU
// shim, cuda_gpu_test on a GPU through the cuda backend (and skips, saying why, without one).
#ifndef ATTNSERVE_TESTS_KERNELS_CUDA_BACKEND_UNDER_TEST_H_
#define ATTNSERVE_TESTS_KERNELS_CUDA_BACKEND_UNDER_TEST_H_

#include <string>

#include "kernels/api/backend.h"

namespace attnserve::cuda {

struct BackendUnderTest {
  const Backend* backend = nullptr;
  std::string unavailable_reason;  // empty when `backend` can run the kernels
};

const BackendUnderTest& KernelBackendUnderTest();

}  // namespace attnserve::cuda

#endif  // ATTNSERVE_TESTS_KERNELS_CUDA_BACKEND_UNDER_TEST_H_
