#!/usr/bin/env bash
# Soak: attnctl bench at high concurrency against one real attnserve on 127.0.0.1 for a set
# time (bench/soak_scenario.yaml, one response in 50 checked against the float64 reference),
# sampling the server's RSS, open fds and threads every 2 s. Passes when no call failed or
# mismatched and neither memory nor fds grow: the median RSS of the last third of the run is
# within max(10%, 16 MiB) of the first third's (the first 10% of samples, warm-up, left out),
# and the fd count ends no more than 4 above the first third's maximum.
# Usage: scripts/soak.sh [SECONDS (600)] [CONCURRENCY (128)]
# Results in build/soak/: samples.csv, bench.json, summary.txt (also printed).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
concurrency=${2:-128}
out=build/soak
bash scripts/build.sh >/dev/null
rm -rf "$out"
mkdir -p "$out"

build/server/attnserve --host 127.0.0.1 --port 0 --metrics_port 0 >"$out/server.out" \
  2>"$out/server.err" &
server=$!
trap 'kill -9 "$server" "${sampler:-}" 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q '^listening on ' "$out/server.out" && break; sleep 0.1; done
target=$(sed -n '1s/^listening on //p' "$out/server.out")
[ -n "$target" ] || { echo "soak: server did not start"; cat "$out/server.err"; exit 1; }

# status_kb FIELD: a /proc/PID/status field of the server, in kB.
status_kb() { awk -v field="$1:" '$1 == field { print $2 }' "/proc/$server/status"; }
(
  echo "seconds,rss_kb,fds,threads"
  start=$SECONDS
  while kill -0 "$server" 2>/dev/null; do
    echo "$((SECONDS - start)),$(status_kb VmRSS),$(ls "/proc/$server/fd" | wc -l),$(status_kb Threads)"
    sleep 2
  done
) >"$out/samples.csv" 2>/dev/null &
sampler=$!

bench_status=0
build/client/attnctl bench --target "$target" --scenario bench/soak_scenario.yaml \
  --concurrency "$concurrency" --connections 4 --duration "$seconds" --warmup 5 --verify 50 \
  --timeout_seconds 60 --json "$out/bench.json" >"$out/bench.txt" 2>"$out/bench.err" ||
  bench_status=$?
peak_rss_kb=$(status_kb VmHWM)
kill -TERM "$server"
wait "$server" || { echo "soak: server did not exit 0 on SIGTERM"; exit 1; }
wait "$sampler" || true

{
  echo "soak: ${seconds} s at concurrency ${concurrency}, bench exit ${bench_status}"
  cat "$out/bench.txt"
  echo "server peak RSS (VmHWM): $((peak_rss_kb / 1024)) MiB"
  /usr/bin/python3 - "$out/samples.csv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
rows = [r for r in rows if r["rss_kb"] and r["fds"]]
body = rows[len(rows) // 10:]
third = max(1, len(body) // 3)
first, last = body[:third], body[-third:]
rss_first = statistics.median(int(r["rss_kb"]) for r in first)
rss_last = statistics.median(int(r["rss_kb"]) for r in last)
fds_first_max = max(int(r["fds"]) for r in first)
fds_end = int(body[-1]["fds"])
growth_kb = rss_last - rss_first
allowed_kb = max(0.10 * rss_first, 16 * 1024)
print(f"samples: {len(rows)}; RSS median first third {rss_first / 1024:.1f} MiB, last third "
      f"{rss_last / 1024:.1f} MiB (growth {growth_kb / 1024:+.1f} MiB, allowed "
      f"{allowed_kb / 1024:.1f}); fds first-third max {fds_first_max}, at end {fds_end}; "
      f"threads {min(int(r['threads']) for r in rows)}..{max(int(r['threads']) for r in rows)}")
ok = growth_kb <= allowed_kb and fds_end <= fds_first_max + 4
print("trend: " + ("flat" if ok else "GROWING"))
sys.exit(0 if ok else 1)
PY
} | tee "$out/summary.txt"
trend_status=${PIPESTATUS[0]}
[ "$bench_status" = 0 ] && [ "$trend_status" = 0 ] && echo "soak: PASS" || {
  echo "soak: FAIL (bench exit $bench_status, trend exit $trend_status)"; exit 1; }
