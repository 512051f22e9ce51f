#!/usr/bin/env bash
# The container test (ctest label "container"): on a private Docker daemon started for the run,
# it builds the cpu image from the tracked files of the tree, on a debootstrapped Debian 12
# imported as debian:bookworm-slim (no registry is reachable), and checks that the container
#   - answers `attnctl health` and a verified attention call, as uid 10001 (non-root),
#   - carries the OCI labels and turns healthy through its HEALTHCHECK,
#   - stops on SIGTERM (docker stop) within the grace period, exit code 0;
# then brings attnserve and Prometheus up with docker-compose (deploy/compose, with
# tests/container/compose.test.yml putting a local Debian-packaged Prometheus in place of
# prom/prometheus) and checks through Prometheus's API that it scrapes the attnserve container
# and loaded the recording rules. Everything it made (daemon, images, containers, networks) is
# removed at the end, pass or fail.
# Usage: container_test.sh ATTNCTL CACHE_DIR   (CACHE_DIR keeps the debootstrapped base tarball)
set -euo pipefail

# Every private daemon uses the host's docker0 bridge, so a container of another run can hold
# the address a new container is given; docker-proxy then forwards the published ports to the
# wrong namespace and the client sees "UNAVAILABLE: Socket closed". Hence one run per machine
# at a time, and, once the lock is ours, whatever earlier runs left behind is removed: a run that
# was killed (a CI job stopped mid-test) never reached its cleanup, and the network namespaces
# its daemon mounted keep their containers' addresses on docker0.
exec 9>/tmp/attnserve-container-test.lock
flock -w 900 9 || { echo "another container test held the lock for 15 minutes"; exit 1; }
for stale in /tmp/attnserve-container.*; do
  [ -d "$stale" ] || continue
  echo "== removing what a killed run left in $stale"
  stale_pid=$(cat "$stale/dockerd.pid" 2>/dev/null || true)
  if [ -n "$stale_pid" ] && tr '\0' ' ' 2>/dev/null <"/proc/$stale_pid/cmdline" |
    grep -q -- "$stale"; then
    kill "$stale_pid"
    sleep 5
  fi
  awk -v dir="$stale/" 'index($2, dir) == 1 { print $2 }' /proc/mounts | sort -r |
    xargs -r -n1 umount -l
  rm -rf "$stale"
done
attnctl=$1
cache=$2
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/attnserve-container.XXXXXX)
project=attnservetest$$

for tool in dockerd docker docker-compose debootstrap; do
  command -v "$tool" >/dev/null || {
    echo "container test needs $tool (apt-get install docker.io docker-compose debootstrap)"
    exit 1
  }
done

export DOCKER_HOST="unix://$work/docker.sock" DOCKER_BUILDKIT=0
cleanup() {
  set +e
  docker-compose -p "$project" -f "$repo/deploy/compose/docker-compose.yml" \
    -f "$repo/tests/container/compose.test.yml" down -v --rmi all >/dev/null 2>&1
  docker rm -f attnserve-test >/dev/null 2>&1
  docker image prune -af >/dev/null 2>&1
  [ -f "$work/dockerd.pid" ] && kill "$(cat "$work/dockerd.pid")" 2>/dev/null
  for _ in $(seq 50); do [ -f "$work/dockerd.pid" ] || break; sleep 0.2; done
  umount "$work/exec/netns/default" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

failures=0
check() {  # check DESCRIPTION COMMAND...: runs the command, reports and counts a failure
  local description=$1
  shift
  if "$@"; then echo "ok    $description"; else echo "FAIL  $description"; failures=$((failures + 1)); fi
}

# until_ok SECONDS COMMAND...: retries the command every 0.5 s until it succeeds.
until_ok() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.5
  done
}

echo "== private Docker daemon in $work"
dockerd --host "$DOCKER_HOST" --data-root "$work/data" --exec-root "$work/exec" \
  --pidfile "$work/dockerd.pid" >"$work/dockerd.log" 2>&1 &
until_ok 60 docker info || { tail -20 "$work/dockerd.log"; exit 1; }

echo "== base image debian:bookworm-slim (debootstrap, cached in $cache)"
mkdir -p "$cache"
if [ ! -s "$cache/bookworm-minbase.tar" ]; then
  debootstrap --variant=minbase bookworm "$work/rootfs" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log"; exit 1; }
  tar -C "$work/rootfs" -cf "$cache/bookworm-minbase.tar" .
  rm -rf "$work/rootfs"
fi
docker import "$cache/bookworm-minbase.tar" debian:bookworm-slim >/dev/null

echo "== docker build --target cpu (the files git would commit: no build output, nothing ignored)"
revision=$(git -C "$repo" rev-parse HEAD)
git -C "$repo" ls-files -z --cached --others --exclude-standard |
  tar -C "$repo" --null -T - -cf "$work/context.tar"
start=$SECONDS
docker build --target cpu -t attnserve:test-cpu --build-arg "REVISION=$revision" \
  --build-arg "BUILD_JOBS=${ATTNSERVE_JOBS:-2}" - <"$work/context.tar" >"$work/build.log" 2>&1 ||
  { tail -40 "$work/build.log"; exit 1; }
echo "built in $((SECONDS - start)) s; image $(docker image inspect attnserve:test-cpu \
  --format '{{.Size}}' | awk '{printf "%.0f MB", $1 / 1e6}')"

echo "== the cpu container"
docker run -d --name attnserve-test -p 127.0.0.1::50051 -p 127.0.0.1::9464 \
  attnserve:test-cpu >/dev/null
port=$(docker port attnserve-test 50051 | head -1 | sed 's/.*://')
check "answers attnctl health" until_ok 60 "$attnctl" health --target "127.0.0.1:$port"
check "computes a verified attention call" \
  "$attnctl" attention --target "127.0.0.1:$port" --rope yarn --rope_factor 4 \
  --rope_original_max_position 4096 --alibi --causal --verify
check "runs as uid 10001" test "$(docker exec attnserve-test id -u)" = 10001
check "carries the revision label" test "$(docker image inspect attnserve:test-cpu --format \
  '{{index .Config.Labels "org.opencontainers.image.revision"}}')" = "$revision"
healthy() { [ "$(docker inspect attnserve-test --format '{{.State.Health.Status}}')" = healthy ]; }
check "turns healthy through its HEALTHCHECK" until_ok 40 healthy
start=$(date +%s%N)
docker stop -t 30 attnserve-test >/dev/null
stop_ms=$((($(date +%s%N) - start) / 1000000))
check "stops on SIGTERM within the 10 s grace (took ${stop_ms} ms)" test "$stop_ms" -lt 10000
check "exits 0 after the drain" \
  test "$(docker inspect attnserve-test --format '{{.State.ExitCode}}')" = 0
docker rm attnserve-test >/dev/null

echo "== docker-compose: attnserve + Prometheus"
docker build -t attnserve-test-prometheus -f "$repo/tests/container/prometheus.Dockerfile" \
  "$repo/tests/container" >"$work/prometheus-build.log" 2>&1 ||
  { tail -20 "$work/prometheus-build.log"; exit 1; }
compose=(docker-compose -p "$project" -f "$repo/deploy/compose/docker-compose.yml"
  -f "$repo/tests/container/compose.test.yml")
ATTNSERVE_GRPC_PORT='' ATTNSERVE_METRICS_PORT='' PROMETHEUS_PORT='' GRAFANA_PORT='' \
  "${compose[@]}" up -d --no-build attnserve prometheus >"$work/compose.log" 2>&1 ||
  { cat "$work/compose.log"; exit 1; }
prometheus=$("${compose[@]}" port prometheus 9090 | sed 's/.*://')
scraped() {
  /usr/bin/python3 - "$prometheus" <<'PY'
import json, sys, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/api/v1/query?query=up%7Bjob%3D%22attnserve%22%7D"
result = json.load(urllib.request.urlopen(url, timeout=5))["data"]["result"]
sys.exit(0 if result and result[0]["value"][1] == "1" else 1)
PY
}
check "Prometheus scrapes the attnserve container (up == 1)" until_ok 60 scraped
rules_loaded() {
  /usr/bin/python3 - "$prometheus" <<'PY'
import json, sys, urllib.request
rules = json.load(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/api/v1/rules",
                                         timeout=5))["data"]["groups"]
names = [r["name"] for g in rules for r in g["rules"]]
sys.exit(0 if any(n.startswith("attnserve:") for n in names) and "AttnserveInstanceDown" in names else 1)
PY
}
check "Prometheus loaded attnserve's recording and alerting rules" rules_loaded

echo "container test: $([ "$failures" = 0 ] && echo PASS || echo "$failures FAILED")"
[ "$failures" = 0 ]
