"""Plots of attnserve: a bench sweep, and encodings computed by a live server.

write_all() makes every plot it has data for; each module draws one kind of figure and returns
a matplotlib Figure, so callers can also save or adjust them one by one.
"""
import pathlib
from typing import Callable, Dict, Optional

from matplotlib.figure import Figure

from attnserve.client import Client
from attnserve.plots.alibi import plot_alibi_bias
from attnserve.plots.bench import load_sweep, plot_sweep
from attnserve.plots.distance import plot_attention_by_distance
from attnserve.plots.figures import FORMATS, save
from attnserve.plots.rope import plot_rope_wavelengths

# The plots a live server provides, by file name (without the format's suffix).
SERVER_PLOTS: Dict[str, Callable[[Client], Figure]] = {
    "alibi_bias": plot_alibi_bias,
    "rope_wavelengths": plot_rope_wavelengths,
    "attention_by_distance": plot_attention_by_distance,
}
BENCH_PLOT = "bench_sweep"


def write_all(directory: pathlib.Path, image_format: str = "png",
              client: Optional[Client] = None,
              bench_json: Optional[pathlib.Path] = None) -> Dict[str, pathlib.Path]:
    """Writes the bench plot if `bench_json` is given and the server plots if `client` is.

    Returns the paths written, by plot name. The directory is created if missing.
    """
    directory.mkdir(parents=True, exist_ok=True)
    written = {}
    if bench_json is not None:
        figure = plot_sweep(load_sweep(bench_json), source=bench_json.name)
        written[BENCH_PLOT] = save(figure, directory, BENCH_PLOT, image_format)
    if client is not None:
        for name, plot in SERVER_PLOTS.items():
            written[name] = save(plot(client), directory, name, image_format)
    return written


__all__ = ["BENCH_PLOT", "FORMATS", "SERVER_PLOTS", "load_sweep", "plot_alibi_bias",
           "plot_attention_by_distance", "plot_rope_wavelengths", "plot_sweep", "write_all"]
