#!/usr/bin/env bash
# The cpu backend's benchmarks, side by side, in one command (docs/performance.md explains each
# table): builds bench/ in Release (build-bench/), then runs
#   1. machine_peaks_bench  fp32 FMA peak and streaming read bandwidth, 1 thread and all cores
#   2. attention_bench      prefill 512/2k/8k and decode 4k/32k/128k, fp32 and bf16, none, YaRN
#                           and ALiBi, on all cores (cpu backend; float64 reference on the small
#                           cases), then the scaling cases on 1 thread
#   3. peak_memory          peak RSS of q = kv = 32k and 128k prefills (O(n) check)
#   4. naive_attention.py   matmul-softmax-matmul in numpy (OpenBLAS) and PyTorch, same shapes
# Results go to bench-results/ (overwritten). About 25 minutes on 2 cores; BENCH_LONG_PREFILL=32768
# adds the 32k prefill (about 10 more).
#   bash scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
# Baselines only: PyTorch, and OpenBLAS for numpy (Debian's default reference BLAS would
# flatter the comparison about tenfold).
missing=()
for package in python3-numpy python3-torch libopenblas0-pthread; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" ||
    missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

build=build-bench
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DATTNSERVE_BUILD_TESTS=OFF \
  -DATTNSERVE_BUILD_BENCH=ON >/dev/null
cmake --build "$build" --parallel "${ATTNSERVE_JOBS:-2}" \
  --target machine_peaks_bench attention_bench peak_memory

out=bench-results
rm -rf "$out" && mkdir -p "$out"
cores="$(nproc)"

"$build/bench/machine_peaks_bench" --benchmark_min_time=1 --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true --benchmark_out="$out/machine_peaks.json" |
  tee "$out/machine_peaks.txt"
peak="$(/usr/bin/python3 - "$out/machine_peaks.json" "$cores" <<'PY'
import json, sys
runs = json.load(open(sys.argv[1]))["benchmarks"]
name = f"BM_FmaPeak/threads:{sys.argv[2]}/real_time_median"
print(round(next(r["GFLOP/s"] for r in runs if r["name"] == name), 1))
PY
)"
echo "fp32 FMA peak on $cores cores: $peak GFLOP/s"

long="${BENCH_LONG_PREFILL:+--long_prefill=$BENCH_LONG_PREFILL}"
"$build/bench/attention_bench" --peak_gflops="$peak" --threads="$cores" $long \
  --benchmark_min_time=0.5 --benchmark_out="$out/attention.json" | tee "$out/attention.txt"
# Scaling with threads: the same kernels on one thread.
"$build/bench/attention_bench" --peak_gflops="$peak" --threads=1 --benchmark_min_time=0.5 \
  --benchmark_filter='(prefill/q(512|2048|8192)_.*|decode/.*)/float32/none/cpu' \
  --benchmark_out="$out/attention_1thread.json" | tee "$out/attention_1thread.txt"

for length in 32768 131072; do
  "$build/bench/peak_memory" --length="$length" | tee -a "$out/peak_memory.txt"
done

/usr/bin/python3 bench/naive_attention.py --peak_gflops "$peak" --no-torch |
  tee "$out/naive_numpy.txt"
/usr/bin/python3 bench/naive_attention.py --peak_gflops "$peak" --no-numpy \
  --torch_threads "$cores" | tee "$out/naive_torch.txt"
echo "bench: results in $out/"
