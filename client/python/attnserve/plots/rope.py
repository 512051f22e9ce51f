"""RoPE wavelengths per dimension pair under every scaling the service offers.

Pair i turns by inv_freq_i radians per position, so its wavelength 2π/inv_freq_i is the
distance over which it repeats. Context extension is about the pairs whose wavelength passes
the original context length: the model never saw them complete a turn, so the scalings
stretch those (and differ in how they treat the fast pairs). All curves share one setup, a
Llama-3-like theta with an 8x extension of an 8192-position context, and come from the server's
GetRotaryTable, evaluated at the extended length (dynamic NTK and LongRoPE depend on it).
"""
from typing import List, Tuple

import numpy as np
from matplotlib.figure import Figure

from attnserve.client import Client
from attnserve.encodings import (DynamicNtk, Linear, Llama3, LongRope, Ntk, Rotary, Scaling,
                                 Yarn)
from attnserve.plots.figures import new_figure

HEAD_DIM = 128
THETA = 500000.0
ORIGINAL_CONTEXT = 8192
FACTOR = 8.0
EXTENDED_CONTEXT = int(ORIGINAL_CONTEXT * FACTOR)


def scalings() -> List[Tuple[str, Scaling]]:
    """Each scaling, labelled, configured for the same 8x extension.

    LongRoPE's per-pair factors are searched per model; a ramp from 1 (fastest pair) to FACTOR
    (slowest), quadratic in log scale, stands in for them here.
    """
    pairs = HEAD_DIM // 2
    long_factor = list(FACTOR ** (np.linspace(0.0, 1.0, pairs) ** 2))
    return [
        (f"linear (factor {FACTOR:g})", Linear(FACTOR)),
        (f"ntk (alpha {FACTOR:g})", Ntk(FACTOR)),
        (f"dynamic_ntk (factor {FACTOR:g}, at {EXTENDED_CONTEXT} positions)",
         DynamicNtk(FACTOR, ORIGINAL_CONTEXT)),
        (f"yarn (factor {FACTOR:g})", Yarn(FACTOR, ORIGINAL_CONTEXT)),
        (f"llama3 (factor {FACTOR:g})", Llama3(FACTOR, original_max_position=ORIGINAL_CONTEXT)),
        (f"longrope (long factors 1…{FACTOR:g})",
         LongRope(short_factor=[1.0] * pairs, long_factor=long_factor,
                  original_max_position=ORIGINAL_CONTEXT, factor=FACTOR)),
    ]


def plot_rope_wavelengths(client: Client) -> Figure:
    """Wavelength against pair index, log scale, one curve per scaling plus the unscaled one."""
    figure = new_figure(9, 5.5)
    axes = figure.subplots()
    curves = [("default (no scaling)", None)] + scalings()
    for label, scaling in curves:
        table = client.rotary_table(Rotary(theta=THETA, scaling=scaling), HEAD_DIM,
                                    positions=[EXTENDED_CONTEXT - 1])
        # Drawn wide and pale so the scalings that keep some pairs unchanged show on top of it.
        style = {"color": "black", "linewidth": 6, "alpha": 0.25} if scaling is None else {}
        axes.plot(2 * np.pi / table.inv_freq, label=label, **style)
    axes.axhline(ORIGINAL_CONTEXT, color="gray", linestyle="--",
                 label=f"original context ({ORIGINAL_CONTEXT} positions)")
    axes.axhline(EXTENDED_CONTEXT, color="gray", linestyle=":",
                 label=f"extended context ({EXTENDED_CONTEXT} positions)")
    axes.set(yscale="log", xlabel=f"dimension pair i (of head_dim / 2 = {HEAD_DIM // 2})",
             ylabel="wavelength 2π / inv_freq (positions, log scale)",
             title=f"RoPE wavelengths per pair: head_dim {HEAD_DIM}, theta {THETA:g}, "
                   f"{FACTOR:g}× extension (GetRotaryTable)")
    axes.grid(True, which="major", alpha=0.3)
    axes.legend(fontsize="small")
    return figure
