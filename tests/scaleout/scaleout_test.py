#!/usr/bin/python3
"""Client-side load balancing across three real servers on 127.0.0.1.

1. attnctl bench sends 300 calls through one client with --target a,b,c: each server's own
   metrics must show about a third of them, all OK. The Python client does the same with 30.
2. A second bench runs while one replica gets SIGTERM: that replica drains and exits 0, and
   the bench must see no failed call (draining and gone replicas answer UNAVAILABLE, which the
   clients' retry policy sends to another replica).

Usage: scaleout_test.py --attnserve BIN --attnctl BIN  (PYTHONPATH/ATTNSERVE_STUBS for the
Python client, as for the other Python tests).
"""
import argparse
import json
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import numpy as np

import attnserve

COMPUTE_OK = re.compile(r'^grpc_server_handled_total\{(?=[^}]*grpc_method="ComputeAttention")'
                        r'(?=[^}]*grpc_code="(\w+)")[^}]*\} (\S+)$', re.MULTILINE)


class Replica:
    """One attnserve process with its gRPC and /metrics ports."""

    def __init__(self, binary: str) -> None:
        self.process = subprocess.Popen(
            [binary, "--host", "127.0.0.1", "--port", "0", "--metrics_port=-1", "--threads", "1",
             "--shutdown_grace_seconds", "20"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.target = self.process.stdout.readline().split()[-1]
        self.metrics = self.process.stdout.readline().split()[-1]

    def handled(self) -> dict:
        """ComputeAttention calls this replica finished, by status code."""
        with urllib.request.urlopen(f"http://{self.metrics}/metrics", timeout=5) as response:
            text = response.read().decode()
        return {code: float(value) for code, value in COMPUTE_OK.findall(text)}

    def terminate(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)


def bench(attnctl: str, targets: str, extra: list, report: str) -> subprocess.Popen:
    command = [attnctl, "bench", "--target", targets, "--concurrency", "6", "--warmup", "0",
               "--q_len", "8", "--kv_len", "256", "--heads", "4", "--head_dim", "64",
               "--json", report] + extra
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def level(report: str) -> dict:
    with open(report) as file:
        return json.load(file)["levels"][0]


def check(condition: bool, message: str, failures: list) -> None:
    print(("ok    " if condition else "FAIL  ") + message)
    if not condition:
        failures.append(message)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--attnserve", required=True)
    parser.add_argument("--attnctl", required=True)
    args = parser.parse_args()
    failures = []
    replicas = [Replica(args.attnserve) for _ in range(3)]
    targets = ",".join(replica.target for replica in replicas)
    try:
        with tempfile.TemporaryDirectory() as work:
            # 1. Even spread, through attnctl bench (the C++ load generator).
            run = bench(args.attnctl, targets, ["--requests", "300"], f"{work}/spread.json")
            _, errors = run.communicate(timeout=120)
            check(run.returncode == 0, f"bench over three replicas exits 0 {errors.strip()}",
                  failures)
            counts = [replica.handled() for replica in replicas]
            served = [count.get("OK", 0) for count in counts]
            check(sum(served) == 300, f"the replicas served all 300 calls: {served}", failures)
            check(all(70 <= s <= 130 for s in served), f"each served about 100: {served}",
                  failures)
            check(all(value == 0 for count in counts for code, value in count.items()
                      if code != "OK"),
                  f"no replica failed a call: {counts}", failures)

            # ... and through the Python client.
            rng = np.random.default_rng(3)
            query = rng.standard_normal((1, 4, 2, 16), dtype=np.float32)
            key = rng.standard_normal((1, 8, 2, 16), dtype=np.float32)
            with attnserve.Client(targets, timeout=20) as client:
                for _ in range(30):
                    client.compute_attention(query, key, key)
            python_served = [replica.handled().get("OK", 0) - before
                             for replica, before in zip(replicas, served)]
            check(all(s >= 5 for s in python_served) and sum(python_served) == 30,
                  f"the Python client spread 30 calls too: {python_served}", failures)

            # 2. A replica leaves mid-run.
            run = bench(args.attnctl, targets, ["--duration", "6"], f"{work}/failover.json")
            time.sleep(2)
            before_exit = replicas[1].handled().get("OK", 0)
            exit_code = replicas[1].terminate()
            check(exit_code == 0, f"the stopped replica drained and exited {exit_code}", failures)
            _, errors = run.communicate(timeout=120)
            result = level(f"{work}/failover.json")
            check(run.returncode == 0 and not result["errors"] and
                  result["ok"] == result["requests"] > 0,
                  f"no call failed while a replica left: {result['ok']} of {result['requests']} "
                  f"ok, errors {result['errors']} {errors.strip()}", failures)
            after = [replicas[i].handled().get("OK", 0) for i in (0, 2)]
            check(all(a > s + 10 for a, s in zip(after, (served[0] + python_served[0],
                                                           served[2] + python_served[2]))),
                  f"the other two kept serving: {after}", failures)
            print(f"info  failover bench: {result['requests']} calls, the stopped replica "
                  f"served {before_exit - served[1] - python_served[1]:.0f} before SIGTERM")
    finally:
        for replica in replicas:
            if replica.process.poll() is None:
                replica.process.kill()
    print("scale-out: " + ("PASS" if not failures else f"{len(failures)} FAILED"))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
