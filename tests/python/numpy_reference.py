"""Independent float64 numpy versions of what the server computes, for the Python client tests.

Written from the formulas of docs/encodings.md (sections 3 and 5), not from the server's code,
and kept plain (one einsum per product, masks as boolean arrays) so they are easy to audit.
Also reads the worked values of section 6 straight from that document.
"""
import pathlib
import re
from typing import Optional, Sequence, Tuple

import numpy as np

ENCODINGS_DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "encodings.md"


def worked_value(name: str) -> np.ndarray:
    """The float64 vector `name = [...]` listed in docs/encodings.md section 6."""
    match = re.search(rf"^{re.escape(name)} = \[(.*)\]$", ENCODINGS_DOC.read_text(), re.MULTILINE)
    if match is None:
        raise KeyError(f"{name} is not a worked value in {ENCODINGS_DOC}")
    return np.array([float(value) for value in match.group(1).split(",")])


def alibi_slopes(num_heads: int, max_bias: float = 8.0) -> np.ndarray:
    """Press et al.'s slopes for `num_heads` heads (section 3).

    The first n = 2^floor(log2 H) heads take the n-head power-of-two series, the rest every
    other slope of the 2n-head series.
    """
    n = 2 ** int(np.floor(np.log2(num_heads)))
    exponents = [max_bias * (h + 1) / n if h < n else max_bias * (2 * (h - n) + 1) / (2 * n)
                 for h in range(num_heads)]
    return np.array([2.0 ** -exponent for exponent in exponents])


def attention(query: np.ndarray, key: np.ndarray, value: np.ndarray, *, causal: bool,
              window: int = 0, position_offsets: Optional[Sequence[int]] = None,
              kv_lengths: Optional[Sequence[int]] = None,
              slopes: Optional[np.ndarray] = None) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Attention without RoPE (section 5), optionally with ALiBi `slopes` [H].

    Returns output [B, Sq, H, Dv], lse [B, H, Sq] and probabilities [B, H, Sq, Sk]; a row with
    no visible key gives zeros and lse -inf.
    """
    query, key, value = (np.asarray(x, dtype=np.float64) for x in (query, key, value))
    batch, q_len, heads, head_dim = query.shape
    kv_len, kv_heads = key.shape[1], key.shape[2]
    offsets = np.zeros(batch, np.int64) if position_offsets is None else np.array(position_offsets)
    lengths = np.full(batch, kv_len) if kv_lengths is None else np.array(kv_lengths)
    # Query head h reads kv head h // (heads / kv_heads).
    key = np.repeat(key, heads // kv_heads, axis=2)
    value = np.repeat(value, heads // kv_heads, axis=2)

    logits = np.einsum("bihd,bjhd->bhij", query, key) / np.sqrt(head_dim)
    key_positions = offsets[:, None] + np.arange(kv_len)                    # [B, Sk]
    query_positions = offsets[:, None] + kv_len - q_len + np.arange(q_len)  # [B, Sq]
    distance = query_positions[:, :, None] - key_positions[:, None, :]      # [B, Sq, Sk]
    visible = np.arange(kv_len)[None, None, :] < lengths[:, None, None]  # [B, 1, Sk]
    if causal:
        visible = visible & (distance >= 0)
    if window:
        visible = visible & (distance < window)
    if slopes is not None:
        logits -= slopes[None, :, None, None] * np.abs(distance)[:, None]
    logits = np.where(visible[:, None], logits, -np.inf)

    row_max = logits.max(axis=-1, keepdims=True)
    row_max = np.where(np.isfinite(row_max), row_max, 0.0)  # rows with no key: all -inf
    weights = np.exp(logits - row_max)
    total = weights.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        lse = (np.log(total) + row_max)[..., 0]
        probabilities = np.where(total > 0, weights / total, 0.0)
    output = np.einsum("bhij,bjhd->bihd", probabilities, value)
    return output, lse, probabilities
