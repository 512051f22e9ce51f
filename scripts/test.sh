#!/usr/bin/env bash
# README command 2: install what is missing, build everything, and run every test (unit tests,
# integration tests against real servers on 127.0.0.1, the Python client and quick start, a real
# Prometheus, Node's grpc-js, the Kubernetes manifests, the cpu image and compose stack on a
# private Docker daemon), a bounded libFuzzer run over request decoding (scripts/fuzz.sh,
# ATTNSERVE_FUZZ_SECONDS, default 60; 0 skips), then the whole suite again built with
# AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/; any finding fails its test), and
# the cuda shim's lanes-as-threads tests under ThreadSanitizer (build-tsan/).
# ATTNSERVE_SANITIZE=0 skips the last two.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/build.sh
ctest --test-dir build --output-on-failure --parallel "${ATTNSERVE_JOBS:-2}"

if [ "${ATTNSERVE_FUZZ_SECONDS:-60}" != 0 ]; then
  mkdir -p build-fuzz
  bash scripts/fuzz.sh "${ATTNSERVE_FUZZ_SECONDS:-60}" >build-fuzz/run.log 2>&1 || {
    tail -n 40 build-fuzz/run.log; exit 1; }
  grep -E "^(Done|fuzz:)" build-fuzz/run.log
fi

if [ "${ATTNSERVE_SANITIZE:-1}" != 0 ]; then
  # nvcc output is not instrumented, so the sanitizer builds skip it (-DATTNSERVE_CUDA=OFF); the
  # cuda kernels still build and run there on the CPU shim. -O1 without debug info compiles in
  # half the time of -O2 -g (a sanitizer report still names every function of its stack; rebuild
  # with -g for line numbers).
  sanitizer_flags=(-DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNDEBUG")
  cmake -S . -B build-asan -G Ninja "${sanitizer_flags[@]}" -DATTNSERVE_SANITIZE=ON \
    -DATTNSERVE_CUDA=OFF >/dev/null
  cmake --build build-asan --parallel "${ATTNSERVE_JOBS:-2}"
  # The container test builds the image from source; it has none of our code to instrument.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure --parallel "${ATTNSERVE_JOBS:-2}" --timeout 300 \
    --label-exclude container

  # ThreadSanitizer sees the cuda kernels' shared-memory traffic between the shim's threads: one
  # small build of the one test binary that has them.
  cmake -S . -B build-tsan -G Ninja "${sanitizer_flags[@]}" -DATTNSERVE_TSAN=ON \
    -DATTNSERVE_CUDA=OFF >/dev/null
  cmake --build build-tsan --parallel "${ATTNSERVE_JOBS:-2}" --target cuda_shim_test
  TSAN_OPTIONS=halt_on_error=1 ctest --test-dir build-tsan --output-on-failure --timeout 300 \
    --no-tests=error -R 'CudaKernelsOnThreads|ShimModes.*/Threads'
fi
