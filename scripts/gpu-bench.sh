#!/usr/bin/env bash
# Layer 4 of docs/gpu.md in one command, on a machine with an NVIDIA GPU and the project's
# dependencies (scripts/install-deps.sh): builds in Release with the cuda backend (build-gpu/),
# then runs
#   1. the cuda kernel suite on the GPU (cuda_gpu_test, ctest label "gpu": the suite the CPU
#      shim runs, against the float64 reference),
#   2. bench/gpu_attention_bench (device time of the kernels per call),
#   3. bench/gpu_compare.py (PyTorch's flash SDPA and transformers' RoPE on the same shapes; with
#      the python3 first on PATH, which needs torch and transformers).
# Without a GPU each step says SKIPPED and why. Results go to gpu-results/ (overwritten); the
# exit status is the suite's.
#   bash scripts/gpu-bench.sh
set -uo pipefail
cd "$(dirname "$0")/.."
build=build-gpu
out=gpu-results
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DATTNSERVE_BUILD_BENCH=ON \
  >/dev/null || exit 1
cmake --build "$build" --parallel "${ATTNSERVE_JOBS:-$(nproc)}" \
  --target cuda_gpu_test gpu_attention_bench || exit 1
mkdir -p "$out"

(cd "$build" && ctest -L gpu --output-on-failure) | tee "$out/suite.txt"
suite=${PIPESTATUS[0]}
"$build/bench/gpu_attention_bench" | tee "$out/attnserve.md"
python3 bench/gpu_compare.py | tee "$out/pytorch.md"
exit "$suite"
