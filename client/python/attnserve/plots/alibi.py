"""ALiBi's bias matrices, one heatmap per head, as GetAlibiSlopes returns them.

All heads share one colour scale: that the last heads look almost flat is the point, their
small slopes let them attend far back while the first heads stay local.
"""
import numpy as np
from matplotlib.figure import Figure

from attnserve.client import Client
from attnserve.plots.figures import new_figure


def plot_alibi_bias(client: Client, num_heads: int = 8, length: int = 32) -> Figure:
    """The server's bias [heads, length, length] for `num_heads` heads with max_bias 8."""
    alibi = client.alibi_slopes(num_heads, query_length=length, key_length=length)
    columns = min(num_heads, 4)
    rows = -(-num_heads // columns)
    figure = new_figure(3.0 * columns + 1.2, 3.0 * rows + 0.8)
    grid = figure.subplots(rows, columns, squeeze=False)
    lowest = float(alibi.bias.min())
    for axes in grid.flat[num_heads:]:  # the last row's unused cells
        axes.remove()
    for head, axes in enumerate(grid.flat[:num_heads]):
        image = axes.imshow(alibi.bias[head], cmap="viridis", vmin=lowest, vmax=0.0)
        axes.set_title(f"head {head}: slope $m = 2^{{{np.log2(alibi.slopes[head]):g}}}$")
        if head % columns == 0:
            axes.set_ylabel("query position i")
        if head + columns >= num_heads:  # nothing below it
            axes.set_xlabel("key position j")
    figure.colorbar(image, ax=grid.flat[:num_heads], label="bias added to the scaled logit")
    figure.suptitle(f"ALiBi bias −m·|i − j|: {num_heads} heads, max_bias 8, "
                    f"{length} queries × {length} keys (GetAlibiSlopes)")
    return figure
