#!/usr/bin/python3
"""The attnserve Python package in a few calls: server info, RoPE and ALiBi attention in three
dtypes, the encoding tables, and what a rejected request looks like.

    /usr/bin/python3 client/python/examples/client_example.py --target 127.0.0.1:50051

--target defaults to $ATTNSERVE_TARGET (set by tests/python/with_server.sh), else
127.0.0.1:50051. Stubs come from build/python (made by the build) unless ATTNSERVE_STUBS says
where.
"""
import argparse
import os
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # client/python

import attnserve  # pylint: disable=wrong-import-position


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target",
                        default=os.environ.get("ATTNSERVE_TARGET", "127.0.0.1:50051"))
    args = parser.parse_args()

    with attnserve.Client(args.target, timeout=30) as client:
        info = client.server_info()
        print(f"attnserve {info.version} ({client.health()}), backends: "
              f"{', '.join(backend.name for backend in info.backends)}")

        rng = np.random.default_rng(0)
        query = rng.standard_normal((1, 16, 32, 128), dtype=np.float32)  # 32 query heads
        key = rng.standard_normal((1, 64, 8, 128), dtype=np.float32)     # 8 kv heads (GQA)
        value = rng.standard_normal((1, 64, 8, 128), dtype=np.float32)
        llama3 = attnserve.Encoding(rotary=attnserve.Rotary(theta=500000,
                                                            scaling=attnserve.Llama3()))
        for dtype in ("float32", "float16", "bfloat16"):
            result = client.compute_attention(query, key, value, encoding=llama3, causal=True,
                                              position_offsets=[100000], dtype=dtype,
                                              return_lse=True)
            print(f"llama3 RoPE at 100000+, {dtype}: output {result.output.shape} "
                  f"{result.output.dtype}, lse[0, 0, :2] = {result.lse[0, 0, :2]}")

        hybrid = attnserve.Encoding(
            rotary=attnserve.Rotary(scaling=attnserve.Yarn(factor=4, original_max_position=4096)),
            alibi=attnserve.Alibi())
        result = client.compute_attention(query[:, :4], key[:, :8], value[:, :8],
                                          encoding=hybrid, causal=True,
                                          return_probabilities=True)
        print(f"YaRN + ALiBi weights of the last query, head 0: "
              f"{np.round(result.probabilities[0, 0, -1], 3)}")

        table = client.rotary_table(attnserve.Rotary(theta=500000, scaling=attnserve.Llama3()),
                                    head_dim=128)
        print(f"llama3 inv_freq[0, 32, 63] = {table.inv_freq[[0, 32, 63]]}")
        print(f"ALiBi slopes for 12 heads: {client.alibi_slopes(12).slopes}")

        try:
            client.compute_attention(query[:, :, :6], key[:, :, :4], value[:, :, :4])
        except attnserve.AttnserveError as error:
            print(f"6 query heads over 4 kv heads: {error.code.name}: {error.message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
