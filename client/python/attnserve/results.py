"""What the client's calls return: the response messages as dataclasses of numpy arrays."""
import dataclasses
from typing import List, Optional

import numpy as np
from google.protobuf import message

from attnserve.tensors import from_tensor
from attnserve.v1 import attention_pb2 as pb


def _optional_array(response: message.Message, field: str) -> Optional[np.ndarray]:
    """The array in tensor field `field` of `response`, or None where it has none."""
    return from_tensor(getattr(response, field)) if response.HasField(field) else None


def dtype_name(data_type: int) -> str:
    """"float32" for DATA_TYPE_FLOAT32, and so on: the spelling the client's dtype= takes."""
    return pb.DataType.Name(data_type).removeprefix("DATA_TYPE_").lower()


@dataclasses.dataclass
class AttentionResult:
    """ComputeAttention's answer.

    Attributes:
      output: [batch, q_len, heads, v_head_dim] in the output dtype (bfloat16 as float32);
        zeros for a query row that sees no key.
      lse: float32 [batch, heads, q_len] natural log-sum-exp (-inf for such rows), if asked for.
      probabilities: float32 [batch, heads, q_len, kv_len] softmax weights, if asked for.
      backend: the backend that computed it.
      request_id: the request's id, echoed.
    """

    output: np.ndarray
    lse: Optional[np.ndarray]
    probabilities: Optional[np.ndarray]
    backend: str
    request_id: str

    @classmethod
    def from_proto(cls, response: pb.AttentionResponse) -> "AttentionResult":
        return cls(output=from_tensor(response.output), lse=_optional_array(response, "lse"),
                   probabilities=_optional_array(response, "probabilities"),
                   backend=response.backend, request_id=response.request_id)


@dataclasses.dataclass
class RotaryResult:
    """ApplyRotary's answer: the rotated tensors, each in its input dtype; None if not sent."""

    query: Optional[np.ndarray]
    key: Optional[np.ndarray]

    @classmethod
    def from_proto(cls, response: pb.RotaryResponse) -> "RotaryResult":
        return cls(query=_optional_array(response, "query"), key=_optional_array(response, "key"))


@dataclasses.dataclass
class RotaryTable:
    """GetRotaryTable's answer.

    Attributes:
      inv_freq: float64 [rotary_dim / 2], the scaled inverse frequencies.
      attention_factor: the factor a that multiplies cos and sin.
      cos: float32 [positions, rotary_dim / 2], a * cos(p * inv_freq).
      sin: float32 [positions, rotary_dim / 2], a * sin(p * inv_freq).
    """

    inv_freq: np.ndarray
    attention_factor: float
    cos: np.ndarray
    sin: np.ndarray

    @classmethod
    def from_proto(cls, response: pb.RotaryTable) -> "RotaryTable":
        return cls(inv_freq=np.array(response.inv_freq, dtype=np.float64),
                   attention_factor=response.attention_factor, cos=from_tensor(response.cos),
                   sin=from_tensor(response.sin))


@dataclasses.dataclass
class AlibiResult:
    """GetAlibiSlopes' answer.

    Attributes:
      slopes: float32 [heads].
      bias: float32 [heads, query_length, key_length] when both lengths were given, else None.
    """

    slopes: np.ndarray
    bias: Optional[np.ndarray]

    @classmethod
    def from_proto(cls, response: pb.AlibiResponse) -> "AlibiResult":
        return cls(slopes=np.array(response.slopes, dtype=np.float32),
                   bias=_optional_array(response, "bias"))


@dataclasses.dataclass
class BackendInfo:
    """One backend: the `backend=` value that selects it, its devices and input dtypes."""

    name: str
    devices: List[str]
    dtypes: List[str]
    is_default: bool
    description: str

    @classmethod
    def from_proto(cls, backend: pb.BackendInfo) -> "BackendInfo":
        return cls(name=backend.name, devices=list(backend.devices),
                   dtypes=[dtype_name(data_type) for data_type in backend.dtypes],
                   is_default=backend.is_default, description=backend.description)


@dataclasses.dataclass
class ServerLimits:
    """The server's limits; requests beyond them fail with RESOURCE_EXHAUSTED."""

    max_message_bytes: int
    max_probability_elements: int
    compute_threads: int

    @classmethod
    def from_proto(cls, limits: pb.ServerLimits) -> "ServerLimits":
        return cls(max_message_bytes=limits.max_message_bytes,
                   max_probability_elements=limits.max_probability_elements,
                   compute_threads=limits.compute_threads)


@dataclasses.dataclass
class ServerInfo:
    """GetServerInfo's answer."""

    version: str
    backends: List[BackendInfo]
    limits: ServerLimits

    @classmethod
    def from_proto(cls, info: pb.ServerInfo) -> "ServerInfo":
        return cls(version=info.version,
                   backends=[BackendInfo.from_proto(backend) for backend in info.backends],
                   limits=ServerLimits.from_proto(info.limits))
