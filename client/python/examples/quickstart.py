#!/usr/bin/python3
"""attnserve from Python: server info, causal grouped-query attention checked against numpy,
and a Llama-3 RoPE request.

Run with Debian's interpreter (it has python3-grpcio and python3-numpy):
    /usr/bin/python3 client/python/examples/quickstart.py --target 127.0.0.1:50051
The generated stubs are found in build/python (made by the build) unless --stubs says where.
Exits 1 if the server's answer differs from numpy's float64 result by more than 1e-5.
"""
import argparse
import pathlib
import sys

import numpy as np

REPO = pathlib.Path(__file__).resolve().parents[3]


def tensor(pb, array):
    """A float32 attnserve Tensor holding `array`."""
    array = np.ascontiguousarray(array, dtype="<f4")
    return pb.Tensor(dtype=pb.DATA_TYPE_FLOAT32, shape=array.shape, data=array.tobytes())


def array(tensor_message):
    """The float32 numpy array in a response Tensor."""
    return np.frombuffer(tensor_message.data, dtype="<f4").reshape(tuple(tensor_message.shape))


def numpy_causal_attention(q, k, v):
    """Plain float64 attention in attnserve's layout: [batch, seq, heads, dim], GQA, causal."""
    q, k, v = (x.astype(np.float64) for x in (q, k, v))
    group = q.shape[2] // k.shape[2]
    k, v = np.repeat(k, group, axis=2), np.repeat(v, group, axis=2)
    scores = np.einsum("bihd,bjhd->bhij", q, k) / np.sqrt(q.shape[-1])
    q_len, kv_len = q.shape[1], k.shape[1]
    visible = np.arange(kv_len)[None, :] <= np.arange(q_len)[:, None] + (kv_len - q_len)
    scores = np.where(visible, scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights /= weights.sum(axis=-1, keepdims=True)
    return np.einsum("bhij,bjhd->bihd", weights, v)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="127.0.0.1:50051")
    parser.add_argument("--stubs", default=str(REPO / "build" / "python"))
    args = parser.parse_args()
    sys.path.insert(0, args.stubs)
    import grpc
    from attnserve.v1 import attention_pb2 as pb
    from attnserve.v1 import attention_pb2_grpc as rpc

    stub = rpc.AttentionServiceStub(grpc.insecure_channel(args.target))
    info = stub.GetServerInfo(pb.ServerInfoRequest(), timeout=10)
    print(f"attnserve {info.version}, backends: {', '.join(b.name for b in info.backends)}")

    rng = np.random.default_rng(0)
    q = rng.standard_normal((1, 16, 8, 64), dtype=np.float32)  # 8 query heads
    k = rng.standard_normal((1, 24, 2, 64), dtype=np.float32)  # 2 kv heads (GQA)
    v = rng.standard_normal((1, 24, 2, 64), dtype=np.float32)
    response = stub.ComputeAttention(
        pb.AttentionRequest(query=tensor(pb, q), key=tensor(pb, k), value=tensor(pb, v),
                            causal=True), timeout=30)
    out, expected = array(response.output), numpy_causal_attention(q, k, v)
    error = np.linalg.norm(out - expected) / np.linalg.norm(expected)
    print(f"causal GQA on '{response.backend}': output {out.shape}, rel. L2 error vs numpy "
          f"float64 {error:.2e}")

    rope = pb.PositionEncoding(rotary=pb.RotaryEncoding(theta=500000, llama3=pb.Llama3Scaling()))
    response = stub.ComputeAttention(
        pb.AttentionRequest(query=tensor(pb, q), key=tensor(pb, k), value=tensor(pb, v),
                            causal=True, encoding=rope, position_offsets=[100000],
                            return_lse=True), timeout=30)
    print(f"llama3 RoPE at positions 100000+: output {array(response.output).shape}, "
          f"lse[0, 0, :3] = {array(response.lse)[0, 0, :3]}")
    return 0 if error < 1e-5 else 1


if __name__ == "__main__":
    sys.exit(main())
