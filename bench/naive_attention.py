#!/usr/bin/python3
"""Naive attention (scores matmul, softmax, value matmul) in numpy float32, and in PyTorch when
it is importable, on the shapes of bench/attention_bench.cc, printing GFLOP/s counted the same
way: 4*b*h*q*kv*d per call, halved for causal (the naive code computes the full score matrix and
masks it, so causal cases do twice the counted work), and for decode GB/s of K and V read.

Only the encoding "none": RoPE and ALiBi add O(len*d) and O(q*kv) work next to the matmuls'
O(q*kv*d). The time covers everything from [len, heads, d] inputs to the [q, heads, d] output.

  /usr/bin/python3 bench/naive_attention.py [--peak_gflops X] [--long_prefill 32768] [--no-torch]
      [--no-numpy] [--torch_threads N]

numpy and torch call whatever libblas.so.3 Debian's alternatives select (the slow reference
BLAS unless an optimized one is installed); the last lines say which one was loaded.
"""
import argparse
import time

import numpy as np

BATCH, HEADS, KV_HEADS, HEAD_DIM = 1, 32, 8, 128
GROUP = HEADS // KV_HEADS


def gflop(q_len, kv_len, causal):
    return 4e-9 * BATCH * HEADS * q_len * kv_len * HEAD_DIM / (2 if causal else 1)


def kv_gigabytes(kv_len, itemsize):
    return 1e-9 * BATCH * kv_len * KV_HEADS * 2 * HEAD_DIM * itemsize


def causal_mask(q_len, kv_len):
    """True where a key is hidden: bottom-right aligned, like the service (docs/encodings.md)."""
    return np.triu(np.ones((q_len, kv_len), dtype=bool), k=kv_len - q_len + 1)


def attention_numpy(q, k, v, causal):
    """q [q_len, heads, d], k and v [kv_len, kv_heads, d]; one query head at a time."""
    scale = np.float32(1 / np.sqrt(HEAD_DIM))
    mask = causal_mask(q.shape[0], k.shape[0]) if causal else None
    out = np.empty_like(q)
    for h in range(HEADS):
        g = h // GROUP
        scores = (q[:, h, :] @ k[:, g, :].T) * scale
        if mask is not None:
            scores[mask] = -np.inf
        scores -= scores.max(axis=1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=1, keepdims=True)
        out[:, h, :] = scores @ v[:, g, :]
    return out


def attention_torch(torch, q, k, v, causal):
    """The Hugging Face "eager" formulation: K/V repeated per group (its repeat_kv), batched
    matmuls, softmax in float32."""
    q = q.transpose(0, 1)  # [heads, q_len, d]

    def repeat_kv(x):  # [kv_len, kv_heads, d] -> [heads, kv_len, d]
        x = x.transpose(0, 1)
        return x[:, None].expand(KV_HEADS, GROUP, *x.shape[1:]).reshape(HEADS, *x.shape[1:])

    k, v = repeat_kv(k), repeat_kv(v)
    scores = torch.matmul(q, k.transpose(1, 2)) * (1 / HEAD_DIM**0.5)
    if causal:
        hidden = torch.from_numpy(causal_mask(q.shape[1], k.shape[1]))
        scores = scores.masked_fill(hidden, float("-inf"))
    weights = torch.softmax(scores.float(), dim=-1).to(q.dtype)
    return torch.matmul(weights, v).transpose(0, 1)


def time_call(fn, min_time):
    """Mean seconds per call: the first call alone when it is slow, else after one warm-up
    call, as many calls as fill min_time."""
    start = time.perf_counter()
    fn()
    first = time.perf_counter() - start
    if first >= min_time:
        return first, 1
    calls, start = 0, time.perf_counter()
    while calls == 0 or time.perf_counter() - start < min_time:
        fn()
        calls += 1
    return (time.perf_counter() - start) / calls, calls


def blas_libraries():
    """The BLAS shared objects this process mapped (numpy's is picked by Debian alternatives)."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "blas" in line.lower()}
        return ", ".join(sorted(p for p in paths if p.startswith("/"))) or "none found"
    except OSError:
        return "unknown"


def report(case, impl, dtype, seconds, calls, q_len, kv_len, causal, itemsize, peak):
    rate = gflop(q_len, kv_len, causal) / seconds
    line = (f"{case:<24} {impl:<12} {dtype:<9} {seconds * 1e3:10.2f} ms {calls:4d} calls"
            f" {rate:8.2f} GFLOP/s")
    if peak:
        line += f" {100 * rate / peak:6.2f} %peak"
    if not causal:
        line += f" {kv_gigabytes(kv_len, itemsize) / seconds:7.2f} GB/s"
    print(line, flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peak_gflops", type=float, default=0, help="adds a %%peak column")
    parser.add_argument("--long_prefill", type=int, nargs="*", default=[], help="e.g. 32768")
    parser.add_argument("--min_time", type=float, default=1.0, help="seconds per case")
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch even if present")
    parser.add_argument("--no-numpy", action="store_true",
                        help="torch only (run apart: each one's idle threads spin on the cores)")
    parser.add_argument("--torch_threads", type=int, default=0,
                        help="torch.set_num_threads (0: torch's default, 1 in Debian's build)")
    args = parser.parse_args()

    torch = None
    if not args.no_torch:
        try:
            import torch  # noqa: PLC0415 (optional dependency)
        except ImportError:
            print("PyTorch not importable: numpy only")
    if torch is not None and args.torch_threads > 0:
        torch.set_num_threads(args.torch_threads)

    cases = [(n, n, True) for n in [512, 2048, 8192] + args.long_prefill]
    cases += [(1, n, False) for n in (4096, 32768, 131072)]
    rng = np.random.default_rng(2024)
    for q_len, kv_len, causal in cases:
        name = f"{'prefill' if causal else 'decode'}/q{q_len}_kv{kv_len}"
        # Uniform in [-1, 1), like tests/support/random_problem: never zeros.
        q = rng.uniform(-1, 1, (q_len, HEADS, HEAD_DIM)).astype(np.float32)
        k = rng.uniform(-1, 1, (kv_len, KV_HEADS, HEAD_DIM)).astype(np.float32)
        v = rng.uniform(-1, 1, (kv_len, KV_HEADS, HEAD_DIM)).astype(np.float32)
        if not args.no_numpy:
            seconds, calls = time_call(lambda: attention_numpy(q, k, v, causal), args.min_time)
            report(name, "numpy", "float32", seconds, calls, q_len, kv_len, causal, 4,
                   args.peak_gflops)
        if torch is None:
            continue
        # Debian's torch 1.13 multiplies bf16 at about 1 GFLOP/s on AVX2: a bf16 8k prefill
        # would take 10 minutes, so bf16 prefill stops at 2048.
        slow_bf16 = causal and q_len > 2048
        for dtype, itemsize in ((torch.float32, 4),) + (() if slow_bf16 else ((torch.bfloat16, 2),)):
            tq, tk, tv = (torch.from_numpy(x).to(dtype) for x in (q, k, v))
            with torch.inference_mode():
                seconds, calls = time_call(lambda: attention_torch(torch, tq, tk, tv, causal),
                                           args.min_time)
            report(name, "torch", str(dtype).removeprefix("torch."), seconds, calls, q_len,
                   kv_len, causal, itemsize, args.peak_gflops)
    print(f"numpy {np.__version__}, BLAS: {blas_libraries()}")
    if torch is not None:
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")


if __name__ == "__main__":
    main()
