"""Figures rendered by matplotlib's Agg canvas, without pyplot.

pyplot picks a GUI backend from the environment and keeps every figure in global state; a
Figure bound to an Agg canvas needs no display and is freed like any object. savefig still
writes SVG through matplotlib's SVG renderer when the file name says so.
"""
import pathlib

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

FORMATS = ("png", "svg")
_DPI = 120


def new_figure(width_in: float, height_in: float) -> Figure:
    """An empty figure of that size in inches, laid out so titles and labels never overlap."""
    figure = Figure(figsize=(width_in, height_in), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def save(figure: Figure, directory: pathlib.Path, name: str, image_format: str) -> pathlib.Path:
    """Writes `figure` to directory/name.image_format (one of FORMATS) and returns the path."""
    if image_format not in FORMATS:
        raise ValueError(f"image format {image_format!r} must be one of {', '.join(FORMATS)}")
    path = directory / f"{name}.{image_format}"
    figure.savefig(path, dpi=_DPI)
    return path
