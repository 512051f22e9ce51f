"""Conversion between numpy arrays and the service's Tensor messages.

Tensors travel as row-major little-endian bytes of float32, float16 or bfloat16. numpy has no
bfloat16, so bfloat16 is sent from float32 values rounded to nearest-even (what a GPU or torch
does when casting) and comes back widened to float32, which is exact.
"""
from typing import Optional, Union

import numpy as np
import numpy.typing as npt

from attnserve.v1 import attention_pb2 as pb

# "float32", "float16" or "bfloat16", or a numpy float32/float16 dtype.
DType = Union[str, npt.DTypeLike]

BFLOAT16 = "bfloat16"
_DATA_TYPES = {"float32": pb.DATA_TYPE_FLOAT32, "float16": pb.DATA_TYPE_FLOAT16,
               BFLOAT16: pb.DATA_TYPE_BFLOAT16}
_NUMPY_WIRE_TYPES = {pb.DATA_TYPE_FLOAT32: np.dtype("<f4"), pb.DATA_TYPE_FLOAT16: np.dtype("<f2")}


def data_type(dtype: DType) -> int:
    """The DataType enum value of `dtype`; ValueError for a dtype the service does not take."""
    name = dtype if isinstance(dtype, str) and dtype == BFLOAT16 else np.dtype(dtype).name
    if name not in _DATA_TYPES:
        raise ValueError(f"dtype {name}: the service takes float32, float16 or bfloat16")
    return _DATA_TYPES[name]


def bfloat16_bits(array: npt.ArrayLike) -> np.ndarray:
    """The bfloat16 bit patterns (uint16) nearest to `array`'s float32 values, ties to even.

    Adding 0x7FFF plus the lowest kept bit before truncating rounds to nearest-even; it carries
    into the exponent where it should (largest finite values round to infinity). NaNs keep
    their sign and become quiet NaNs instead, since the carry could turn them into infinity.
    """
    bits = np.ascontiguousarray(array, dtype=np.float32).view(np.uint32)
    rounded = (bits + np.uint32(0x7FFF) + ((bits >> 16) & np.uint32(1))) >> 16
    quiet_nan = (bits >> 16) | np.uint32(0x0040)
    return np.where(np.isnan(bits.view(np.float32)), quiet_nan, rounded).astype("<u2")


def to_tensor(array: npt.ArrayLike, dtype: Optional[DType] = None) -> pb.Tensor:
    """`array` as a Tensor of `dtype`, or of the array's own dtype when `dtype` is None."""
    array = np.asarray(array)
    wire_type = data_type(array.dtype if dtype is None else dtype)
    if wire_type == pb.DATA_TYPE_BFLOAT16:
        data = bfloat16_bits(array)
    else:
        data = np.ascontiguousarray(array, dtype=_NUMPY_WIRE_TYPES[wire_type])
    return pb.Tensor(dtype=wire_type, shape=array.shape, data=data.tobytes())


def from_tensor(tensor: pb.Tensor) -> np.ndarray:
    """A writable numpy array of `tensor`: float32 or float16, bfloat16 widened to float32."""
    shape = tuple(tensor.shape)
    if tensor.dtype == pb.DATA_TYPE_BFLOAT16:
        bits = np.frombuffer(tensor.data, dtype="<u2").astype(np.uint32) << 16
        return bits.view(np.float32).reshape(shape)
    if tensor.dtype not in _NUMPY_WIRE_TYPES:
        raise ValueError(f"response tensor has unknown dtype {tensor.dtype}")
    wire = _NUMPY_WIRE_TYPES[tensor.dtype]
    return np.frombuffer(tensor.data, dtype=wire).astype(wire.newbyteorder("=")).reshape(shape)
