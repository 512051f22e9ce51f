"""Throughput and latency of an `attnctl bench` sweep, from the JSON it writes (version 1).

attnctl bench sweeps concurrency (`--concurrency-range`), in a closed loop or in an open loop
at one offered rate, so concurrency is the x axis; a sweep whose levels offer different rates
(several runs merged by hand) is drawn against the offered rate instead. The knee attnctl reports, the level past which
more load buys little throughput for much more tail latency, is marked on both panels.
"""
import dataclasses
import json
import pathlib
from typing import Any, Dict, List, Optional, Tuple

from matplotlib import ticker
from matplotlib.figure import Figure

from attnserve.plots.figures import new_figure

BENCH_VERSION = 1
_PERCENTILES = ("p50", "p90", "p99")


@dataclasses.dataclass(frozen=True)
class Level:
    """One load level of the sweep: what was offered and what came out."""

    concurrency: int
    rate: Optional[float]  # open loop: the target requests/s
    requests_per_s: float
    latency_s: Dict[str, float]
    errors: int


@dataclasses.dataclass(frozen=True)
class Sweep:
    """The parts of a bench JSON file the plot shows."""

    mode: str  # "closed" or "open"
    kinds: List[str]  # one line per request kind
    levels: List[Level]
    knee_concurrency: Optional[int]
    knee_reason: str


def _describe_kind(kind: Dict[str, Any]) -> str:
    """One legend-sized line for a request kind: name, shape, dtype, encoding."""
    causal = ", causal" if kind.get("causal") else ""
    return (f"{kind['name']}: q {kind['shape']}, kv_len {kind['kv_len']}, kv_heads "
            f"{kind['kv_heads']}, {kind['dtype']}, {kind['encoding']}{causal}")


def load_sweep(path: pathlib.Path) -> Sweep:
    """Reads a bench JSON file; ValueError if it is not version 1 of the schema."""
    document = json.loads(path.read_text())
    version = document.get("attnctl_bench_version")
    if version != BENCH_VERSION:
        raise ValueError(f"{path}: attnctl_bench_version={version!r}, this plot reads "
                         f"version {BENCH_VERSION}")
    levels = [Level(concurrency=level["concurrency"], rate=level.get("rate"),
                    requests_per_s=level["requests_per_s"], latency_s=level["latency_s"],
                    errors=sum(level.get("errors", {}).values()))
              for level in document["levels"]]
    knee = document.get("knee") or {}
    return Sweep(mode=document["config"]["mode"],
                 kinds=[_describe_kind(kind) for kind in document["config"]["kinds"]],
                 levels=sorted(levels, key=lambda level: (level.rate or 0, level.concurrency)),
                 knee_concurrency=knee.get("concurrency"), knee_reason=knee.get("reason", ""))


def _varies_rate(sweep: Sweep) -> bool:
    """Whether the levels offer different open-loop rates."""
    return sweep.mode == "open" and len({level.rate for level in sweep.levels}) > 1


def _load_axis(sweep: Sweep) -> Tuple[List[float], str, str]:
    """The x values, the axis label and the knee label's format for them.

    Concurrency, unless the levels offer different open-loop rates.
    """
    if _varies_rate(sweep):
        return ([level.rate for level in sweep.levels], "offered load (requests/s)",
                "knee ({:g} requests/s offered)")
    return ([level.concurrency for level in sweep.levels], "concurrency (requests in flight)",
            "knee (concurrency {:g})")


def plot_sweep(sweep: Sweep, source: str) -> Figure:
    """Throughput and p50/p90/p99 latency against load; `source` names the data in the title."""
    x_values, x_label, knee_label = _load_axis(sweep)
    figure = new_figure(11, 4.8)
    throughput, latency = figure.subplots(1, 2)
    throughput.plot(x_values, [level.requests_per_s for level in sweep.levels], "o-",
                    label="achieved")
    if _varies_rate(sweep):
        throughput.plot(x_values, x_values, ":", color="gray", label="offered")
    throughput.set(title="Throughput", ylabel="throughput (requests/s)", ylim=(0, None))
    for percentile in _PERCENTILES:
        latency.plot(x_values, [level.latency_s[percentile] * 1e3 for level in sweep.levels],
                     "o-", label=percentile)
    latency.set(title="Latency", ylabel="latency (ms, log scale)", yscale="log")
    latency.yaxis.set_major_formatter(ticker.ScalarFormatter())

    knee_x = next((x for x, level in zip(x_values, sweep.levels)
                   if level.concurrency == sweep.knee_concurrency), None)
    for axes in (throughput, latency):
        axes.set_xscale("log", base=2)
        axes.set_xticks(x_values, [f"{x:g}" for x in x_values])
        axes.set_xlabel(x_label)
        axes.grid(True, which="both", alpha=0.3)
        if knee_x is not None:
            axes.axvline(knee_x, color="red", linestyle="--", label=knee_label.format(knee_x))
        axes.legend()

    errors = sum(level.errors for level in sweep.levels)
    knee_text = f"knee: {sweep.knee_reason}" if knee_x is not None else "no knee reported"
    figure.suptitle(f"attnctl bench, {sweep.mode} loop: {source}\n" + "; ".join(sweep.kinds)
                    + f"\n{knee_text}; {errors} failed requests in all")
    return figure
