"""Position encodings as dataclasses that mirror the proto messages field for field.

Zero values mean the server's default, exactly as in the proto (docs/encodings.md sections 1-3
give the formulas), so `Rotary()` is unscaled RoPE with theta 10000 and `Alibi()` the usual
slopes with max_bias 8. Each class turns into its message with `to_proto()`.
"""
import dataclasses
from typing import Optional, Sequence, Union

from attnserve.v1 import attention_pb2 as pb


@dataclasses.dataclass(frozen=True)
class Linear:
    """Position interpolation: every inverse frequency divided by `factor` (> 0)."""

    factor: float

    def to_proto(self) -> pb.LinearScaling:
        return pb.LinearScaling(factor=self.factor)


@dataclasses.dataclass(frozen=True)
class Ntk:
    """Static NTK-aware base change: theta' = theta * alpha^(d / (d - 2))."""

    alpha: float

    def to_proto(self) -> pb.NtkScaling:
        return pb.NtkScaling(alpha=self.alpha)


@dataclasses.dataclass(frozen=True)
class DynamicNtk:
    """transformers' "dynamic": the NTK base grows with the request length past the original."""

    factor: float
    original_max_position: int

    def to_proto(self) -> pb.DynamicNtkScaling:
        return pb.DynamicNtkScaling(factor=self.factor,
                                    original_max_position=self.original_max_position)


@dataclasses.dataclass(frozen=True)
class Yarn:
    """YaRN; `truncate` None means the server's default (true; gpt-oss sends false)."""

    factor: float
    original_max_position: int
    beta_fast: float = 0.0
    beta_slow: float = 0.0
    mscale: float = 0.0
    mscale_all_dim: float = 0.0
    attention_factor: float = 0.0
    truncate: Optional[bool] = None

    def to_proto(self) -> pb.YarnScaling:
        message = pb.YarnScaling(
            factor=self.factor, original_max_position=self.original_max_position,
            beta_fast=self.beta_fast, beta_slow=self.beta_slow, mscale=self.mscale,
            mscale_all_dim=self.mscale_all_dim, attention_factor=self.attention_factor)
        if self.truncate is not None:  # proto3 `optional`: absent and false differ
            message.truncate = self.truncate
        return message


@dataclasses.dataclass(frozen=True)
class Llama3:
    """Llama 3.1's frequency-band scaling; zeros mean factor 8, 1, 4 and 8192 positions."""

    factor: float = 0.0
    low_freq_factor: float = 0.0
    high_freq_factor: float = 0.0
    original_max_position: int = 0

    def to_proto(self) -> pb.Llama3Scaling:
        return pb.Llama3Scaling(
            factor=self.factor, low_freq_factor=self.low_freq_factor,
            high_freq_factor=self.high_freq_factor,
            original_max_position=self.original_max_position)


@dataclasses.dataclass(frozen=True)
class LongRope:
    """Phi-3's LongRoPE: per-pair factors, long ones past `original_max_position`."""

    short_factor: Sequence[float]
    long_factor: Sequence[float]
    original_max_position: int
    factor: float = 0.0
    attention_factor: float = 0.0

    def to_proto(self) -> pb.LongRopeScaling:
        return pb.LongRopeScaling(
            short_factor=self.short_factor, long_factor=self.long_factor,
            original_max_position=self.original_max_position, factor=self.factor,
            attention_factor=self.attention_factor)


Scaling = Union[Linear, Ntk, DynamicNtk, Yarn, Llama3, LongRope]

# The RotaryEncoding oneof field that holds each scaling.
_SCALING_FIELDS = {Linear: "linear", Ntk: "ntk", DynamicNtk: "dynamic_ntk", Yarn: "yarn",
                   Llama3: "llama3", LongRope: "longrope"}


@dataclasses.dataclass(frozen=True)
class Rotary:
    """RoPE; `rotary_dim` 0 means head_dim, `scaling` None the unscaled encoding."""

    theta: float = 0.0
    rotary_dim: int = 0
    interleaved: bool = False
    scaling: Optional[Scaling] = None

    def to_proto(self) -> pb.RotaryEncoding:
        message = pb.RotaryEncoding(theta=self.theta, rotary_dim=self.rotary_dim,
                                    interleaved=self.interleaved)
        if self.scaling is not None:
            field = _SCALING_FIELDS[type(self.scaling)]
            getattr(message, field).CopyFrom(self.scaling.to_proto())
        return message


@dataclasses.dataclass(frozen=True)
class Alibi:
    """ALiBi: explicit per-head `slopes`, or computed from `max_bias` (0 means 8)."""

    slopes: Optional[Sequence[float]] = None
    max_bias: float = 0.0
    training_length: int = 0

    def to_proto(self) -> pb.AlibiEncoding:
        return pb.AlibiEncoding(slopes=[] if self.slopes is None else list(self.slopes),
                                max_bias=self.max_bias,
                                training_length=self.training_length)


@dataclasses.dataclass(frozen=True)
class Encoding:
    """RoPE, ALiBi, both (hybrid) or neither."""

    rotary: Optional[Rotary] = None
    alibi: Optional[Alibi] = None

    def to_proto(self) -> pb.PositionEncoding:
        return pb.PositionEncoding(
            rotary=self.rotary.to_proto() if self.rotary else None,
            alibi=self.alibi.to_proto() if self.alibi else None)
