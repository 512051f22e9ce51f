"""How much attention lands at each query-key distance under RoPE, ALiBi and both.

The server returns the softmax weights of causal attention over random inputs; the mass at
distance d is averaged over heads and over the queries that can see a key d positions back.
Two inputs show two different things: with independent random queries and keys RoPE has no
content to align, so only ALiBi's built-in recency bias shows; with the same random vector as
query and key at every position, RoPE's rotation alone makes nearby keys score higher (its
"long-term decay"), while unencoded attention stays exactly uniform.
"""
from typing import Optional

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from attnserve.client import Client
from attnserve.encodings import Alibi, Encoding, Rotary
from attnserve.plots.figures import new_figure

BATCH = 2  # independent sequences, to average out the noise of the far distances
LENGTH = 256
HEADS = 8
HEAD_DIM = 64
ENCODINGS = (("none", None), ("RoPE", Encoding(rotary=Rotary())),
             ("ALiBi", Encoding(alibi=Alibi())),
             ("RoPE + ALiBi", Encoding(rotary=Rotary(), alibi=Alibi())))


def mass_by_distance(probabilities: np.ndarray) -> np.ndarray:
    """[kv_len] mean weight at distance d = i - j from square causal weights [batch, heads, i, j].

    The diagonal `-d` holds exactly the (query, key) pairs d apart, so queries too early to
    see a key d back do not dilute the mean.
    """
    return np.array([np.diagonal(probabilities, offset=-distance, axis1=-2, axis2=-1).mean()
                     for distance in range(probabilities.shape[-1])])


def _inputs(rng: np.random.Generator, shared: bool) -> np.ndarray:
    """Random float32 [BATCH, LENGTH, HEADS, HEAD_DIM].

    With `shared`, one random vector per sequence and head is repeated at every position.
    """
    rows = 1 if shared else LENGTH
    vectors = rng.standard_normal((BATCH, rows, HEADS, HEAD_DIM), dtype=np.float32)
    return np.broadcast_to(vectors, (BATCH, LENGTH, HEADS, HEAD_DIM))


def _draw(client: Client, axes: Axes, query: np.ndarray, key: np.ndarray, title: str) -> None:
    """One panel: a curve per encoding for these inputs."""
    for label, encoding in ENCODINGS:
        result = client.compute_attention(query, key, key, encoding=encoding, causal=True,
                                          return_probabilities=True)
        style = {"color": "gray", "linestyle": "--"} if encoding is None else {}
        axes.plot(mass_by_distance(result.probabilities), label=label, **style)
    axes.set(title=title, yscale="log", xlabel="query-key distance i − j (positions)",
             ylabel="mean attention weight (log scale)")
    axes.grid(True, which="major", alpha=0.3)
    axes.legend()


def plot_attention_by_distance(client: Client, seed: Optional[int] = 0) -> Figure:
    """Both panels side by side (inputs from `seed`)."""
    rng = np.random.default_rng(seed)
    figure = new_figure(12, 5)
    independent, shared = figure.subplots(1, 2, sharey=True)
    _draw(client, independent, _inputs(rng, shared=False), _inputs(rng, shared=False),
          "independent random q, k at each position")
    shared_vectors = _inputs(rng, shared=True)
    _draw(client, shared, shared_vectors, shared_vectors,
          "the same random vector as q and k at every position")
    figure.suptitle(f"Causal attention weight by query-key distance (ComputeAttention): "
                    f"{BATCH} sequences of {LENGTH} tokens, {HEADS} heads, head_dim {HEAD_DIM}\n"
                    "RoPE theta 10000, ALiBi max_bias 8; mean over sequences, heads and the "
                    "queries that see that distance")
    return figure
