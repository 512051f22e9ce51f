#!/usr/bin/env bash
# Fuzzes request parsing, validation and the handlers' computation (tests/fuzz/decode_fuzzer.cc)
# for SECONDS (default 60) with libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer, built
# with clang in build-fuzz/. Fails on any crash, sanitizer finding, timeout or out-of-memory,
# naming the saved input and how to rerun it. Everything written stays in build-fuzz/: seeds/
# (regenerated each run), corpus/ (grows from run to run), crashes/, fuzz.log.
#   bash scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
build="build-fuzz"
fuzzer="$build/tests/fuzz/decode_fuzzer"

bash scripts/install-deps.sh
if ! command -v clang++ >/dev/null ||
  [ ! -e "$(clang++ -print-runtime-dir)/libclang_rt.fuzzer-$(uname -m).a" ]; then
  echo "fuzz: needs clang with libFuzzer: apt-get install clang libclang-rt-14-dev" >&2
  exit 1
fi

# nvcc output cannot carry the fuzzer's instrumentation: the cuda backend is left out (the
# server then runs without it, as on a machine without the toolkit).
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DATTNSERVE_FUZZ=ON -DATTNSERVE_BUILD_TESTS=OFF -DATTNSERVE_CUDA=OFF >/dev/null
cmake --build "$build" --parallel "${ATTNSERVE_JOBS:-2}" --target decode_fuzzer make_seed_corpus

rm -rf "$build/seeds"
"$build/tests/fuzz/make_seed_corpus" "$build/seeds"
mkdir -p "$build/corpus" "$build/crashes"
cp "$build/seeds"/* "$build/corpus/"

# -max_len: a few times the largest seed (about 2 KB), room for larger shapes. The limits in
# decode_fuzzer.cc keep every accepted request to a few MiB, so one allocation over
# -malloc_limit_mb is a size validation missed: reported at once, with the allocating stack,
# rather than as a timeout while the memory is zeroed.
limits=(-rss_limit_mb=2048 -malloc_limit_mb=256 -timeout=10)
status=0
UBSAN_OPTIONS=print_stacktrace=1 "$fuzzer" "${limits[@]}" -max_total_time="$seconds" \
  -max_len=8192 -print_final_stats=1 -artifact_prefix="$build/crashes/" "$build/corpus" 2>&1 |
  tee "$build/fuzz.log" || status=$?

if [ "$status" -ne 0 ]; then
  echo "fuzz: FAILED (exit $status); full log in $build/fuzz.log" >&2
  grep -o "Test unit written to .*" "$build/fuzz.log" | sed 's/^Test unit written to //' |
    while read -r input; do
      echo "fuzz: input saved as $input; reproduce with:" >&2
      echo "  UBSAN_OPTIONS=print_stacktrace=1 $fuzzer ${limits[*]} $input" >&2
    done
  exit 1
fi
echo "fuzz: no findings in ${seconds}s; corpus in $build/corpus"
