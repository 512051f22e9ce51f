#!/usr/bin/python3
"""attnserve as Prometheus sees it, end to end, on 127.0.0.1 only.

Run by ctest under tests/python/with_server.sh, which starts attnserve and exports
ATTNSERVE_TARGET and ATTNSERVE_METRICS_TARGET. This script:
  1. sends a known mix of good and bad requests with attnctl;
  2. checks the live /metrics with `promtool check metrics`;
  3. starts a real Prometheus (temporary storage, 1 s scrapes, deploy/'s rule files) and checks
     through its HTTP API that PromQL sees exactly those counts per method and code;
  4. runs every PromQL expression of the Grafana dashboard and of the rules: each must parse
     and return data (alerts: their expression without the threshold).
Everything it starts it stops; every wait is bounded.
"""
import argparse
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import yaml

SERVICE = "attnserve.v1.AttentionService"
TIMEOUT_S = 60


def attnctl(binary, *args, expect):
    result = subprocess.run([binary, *args], capture_output=True, text=True, timeout=60)
    if result.returncode != expect:
        sys.exit(f"attnctl {' '.join(args)} exited {result.returncode}, wanted {expect}: "
                 f"{result.stderr}")


def send_workload(binary, target):
    """The requests whose counts Prometheus must see, by (method, code)."""
    for seed in range(5):
        attnctl(binary, "attention", "--target", target, "--seed", str(seed), "--rope", "llama3",
                "--rope_theta", "500000", "--causal", expect=0)
    for _ in range(3):  # kv_heads must divide heads
        attnctl(binary, "attention", "--target", target, "--heads", "6", "--kv_heads", "4",
                expect=1)
    for _ in range(2):
        attnctl(binary, "rotary", "--target", target, "--head_dim", "64", expect=0)
    attnctl(binary, "alibi", "--target", target, "--heads", "12", expect=0)
    return {("ComputeAttention", "OK"): 5, ("ComputeAttention", "InvalidArgument"): 3,
            ("GetRotaryTable", "OK"): 2, ("GetAlibiSlopes", "OK"): 1}


def check_metrics_with_promtool(metrics_target):
    text = urllib.request.urlopen(f"http://{metrics_target}/metrics", timeout=10).read()
    result = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True)
    if result.returncode != 0:
        sys.exit(f"promtool check metrics failed:\n{result.stdout.decode()}{result.stderr.decode()}")
    print(f"promtool check metrics: ok ({len(text)} bytes of live /metrics)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Prometheus:
    """A Prometheus server on 127.0.0.1 with temporary storage, scraping one target."""

    def __init__(self, workdir, metrics_target, rule_files):
        config = workdir / "prometheus.yml"
        config.write_text(json.dumps({  # JSON is YAML
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(f) for f in rule_files],
            "scrape_configs": [{"job_name": "attnserve",
                                "static_configs": [{"targets": [metrics_target]}]}],
        }))
        self.port = free_port()
        self.log = open(workdir / "prometheus.log", "w")
        self.process = subprocess.Popen(
            ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={workdir / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT)

    def query(self, expr):
        """The API's answer to an instant query: (status, result list or error)."""
        url = (f"http://127.0.0.1:{self.port}/api/v1/query?"
               + urllib.parse.urlencode({"query": expr}))
        try:
            answer = json.load(urllib.request.urlopen(url, timeout=10))
        except urllib.error.HTTPError as error:  # 400 for a parse error
            answer = json.load(error)
        except (urllib.error.URLError, ConnectionError):
            return "unreachable", None
        if answer["status"] != "success":
            return "error", answer.get("error")
        return "success", answer["data"]["result"]

    def wait_for(self, what, condition):
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"prometheus exited {self.process.returncode}; see its log")
            value = condition()
            if value:
                return value
            time.sleep(0.5)
        sys.exit(f"timed out after {TIMEOUT_S} s waiting for {what}")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def handled_counts(prometheus):
    status, result = prometheus.query(f'grpc_server_handled_total{{grpc_service="{SERVICE}"}} > 0')
    if status != "success":
        return None
    return {(r["metric"]["grpc_method"], r["metric"]["grpc_code"]): int(float(r["value"][1]))
            for r in result}


def dashboard_expressions(path):
    dashboard = json.loads(path.read_text())
    return [(f"dashboard '{p['title']}'", t["expr"]) for p in dashboard["panels"]
            for t in p.get("targets", [])]


def rule_expressions(rule_files):
    """(name, expression to run) for every rule; an alert runs without its threshold."""
    expressions = []
    for path in rule_files:
        rules = [rule for group in yaml.safe_load(path.read_text())["groups"]
                 for rule in group["rules"]]
        if not rules:
            sys.exit(f"{path}: no rules found")
        for rule in rules:
            expr = " ".join(rule["expr"].split())
            if "alert" in rule:
                expressions.append((f"alert {rule['alert']} (full expression parses)", expr))
                expr = re.split(r"\s(?:>|<|==|!=|>=|<=)\s[\d.]+$", expr)[0]
                expressions.append((f"alert {rule['alert']}", expr))
            else:
                expressions.append((f"record {rule['record']}", expr))
    return expressions


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--attnctl", required=True)
    parser.add_argument("--repo", required=True, type=pathlib.Path)
    args = parser.parse_args()
    target = os.environ["ATTNSERVE_TARGET"]
    metrics_target = os.environ["ATTNSERVE_METRICS_TARGET"]
    rule_files = sorted((args.repo / "deploy/prometheus/rules").glob("*.yml"))

    expected = send_workload(args.attnctl, target)
    check_metrics_with_promtool(metrics_target)

    workdir = pathlib.Path(tempfile.mkdtemp(prefix="attnserve_prometheus_"))
    prometheus = Prometheus(workdir, metrics_target, rule_files)
    try:
        prometheus.wait_for("the first scrape (up == 1)", lambda: (
            lambda s_r: s_r[0] == "success" and s_r[1] and s_r[1][0]["value"][1] == "1")(
                prometheus.query('up{job="attnserve"}')))
        seen = prometheus.wait_for("the workload's counts", lambda: (
            lambda counts: counts if counts and set(expected) <= set(counts) and all(
                counts[k] >= v for k, v in expected.items()) else None)(handled_counts(prometheus)))
        if seen != expected:
            sys.exit(f"PromQL sees {seen}, the workload was {expected}")
        print(f"PromQL sees exactly the workload: {seen}")
        status, started = prometheus.query(
            f'grpc_server_started_total{{grpc_service="{SERVICE}",grpc_method="ComputeAttention"}}')
        if status != "success" or float(started[0]["value"][1]) != 8:
            sys.exit(f"grpc_server_started_total for ComputeAttention: {started}")

        failures = []
        expressions = (dashboard_expressions(args.repo / "deploy/grafana/dashboards/attnserve.json")
                       + rule_expressions(rule_files))
        for name, expr in expressions:
            if name.endswith("(full expression parses)"):
                status, result = prometheus.query(expr)
                if status != "success":
                    failures.append(f"{name}: {result}")
                continue
            try:
                prometheus.wait_for(f"{name} to return data", lambda: (
                    lambda s_r: s_r[0] == "success" and len(s_r[1]) > 0)(prometheus.query(expr)))
            except SystemExit as timeout:
                failures.append(f"{name}: {prometheus.query(expr)} ({timeout})")
        if failures:
            sys.exit("expressions without data:\n  " + "\n  ".join(failures))
        print(f"all {len(expressions)} dashboard and rule expressions parse and return data")
    finally:
        prometheus.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
