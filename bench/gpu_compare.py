"""The yardsticks for bench/gpu_attention_bench.cc on the same GPU: PyTorch's
scaled_dot_product_attention with its flash backend (FlashAttention-2 inside PyTorch), and
transformers' Llama RoPE (its rotate_half formula) run before it, unfused, for the cases where
attnserve fuses RoPE. Same shapes, dtypes and timing rule (device time of one call, inputs on
the device, mean of --repetitions after a warm-up). ALiBi has no flash-backend form in PyTorch,
so the rope+alibi cases are compared with rope alone. Prints SKIPPED, with the reason, without
torch or a GPU.

    python3 bench/gpu_compare.py [--repetitions 20]
"""
import argparse
import sys


def time_ms(torch, function, repetitions):
    function()
    start = torch.cuda.Event(enable_timing=True)
    stop = torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(repetitions):
        function()
    stop.record()
    torch.cuda.synchronize()
    return start.elapsed_time(stop) / repetitions


def rope_tables(torch, batch, tokens, head_dim, dtype):
    """cos and sin as transformers' LlamaRotaryEmbedding returns them ([b, s, d], theta 500000;
    Llama 3's frequency scaling changes the values, not the work)."""
    inv_freq = 1.0 / (500000 ** (torch.arange(0, head_dim, 2, device="cuda").float() / head_dim))
    positions = torch.arange(tokens, device="cuda").float()
    angles = torch.outer(positions, inv_freq)
    embedding = torch.cat((angles, angles), dim=-1)
    return (embedding.cos().to(dtype).expand(batch, -1, -1),
            embedding.sin().to(dtype).expand(batch, -1, -1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repetitions", type=int, default=20)
    repetitions = parser.parse_args().repetitions
    try:
        import torch
        import torch.nn.functional as F
        from torch.nn.attention import SDPBackend, sdpa_kernel
        from transformers.models.llama.modeling_llama import rotate_half
    except ImportError as error:
        print(f"SKIPPED: torch and transformers are needed: {error}")
        return 0
    if not torch.cuda.is_available():
        print("SKIPPED: torch sees no CUDA device")
        return 0

    # (case, batch, q_len, kv_len, heads, kv_heads, head_dim, dtype, rope): the cases of
    # gpu_attention_bench.cc that PyTorch's flash backend can run (float16 / bfloat16).
    cases = [
        ("prefill 16k d128 fp16 causal", 1, 16384, 16384, 16, 16, 128, torch.float16, False),
        ("prefill 16k d128 fp16 causal rope", 1, 16384, 16384, 16, 16, 128, torch.float16, True),
        ("prefill 16k d64 bf16 causal rope", 1, 16384, 16384, 32, 32, 64, torch.bfloat16, True),
        ("decode b1 kv16k gqa4 fp16", 1, 1, 16384, 32, 8, 128, torch.float16, False),
        ("decode b1 kv64k gqa4 fp16", 1, 1, 65536, 32, 8, 128, torch.float16, False),
        ("decode b1 kv64k gqa4 fp16 rope", 1, 1, 65536, 32, 8, 128, torch.float16, True),
        ("decode b8 kv16k gqa4 fp16 rope", 8, 1, 16384, 32, 8, 128, torch.float16, True),
    ]
    print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}\n")
    print("| case (PyTorch) | ms | TFLOP/s or GB/s |\n|---|---|---|")
    for name, batch, q_len, kv_len, heads, kv_heads, head_dim, dtype, rope in cases:
        q = torch.randn(batch, heads, q_len, head_dim, device="cuda", dtype=dtype)
        k = torch.randn(batch, kv_heads, kv_len, head_dim, device="cuda", dtype=dtype)
        v = torch.randn(batch, kv_heads, kv_len, head_dim, device="cuda", dtype=dtype)
        cos, sin = rope_tables(torch, batch, kv_len, head_dim, dtype)
        decode = q_len == 1

        def rotated(x, positions):
            # apply_rotary_pos_emb's formula for one tensor, on the last `positions` rows.
            c, s = cos[:, -positions:].unsqueeze(1), sin[:, -positions:].unsqueeze(1)
            return x * c + rotate_half(x) * s

        def attention():
            query, key = q, k
            if rope:
                # Every key is rotated on every call, as attnserve's fused kernel does: its
                # requests carry K unrotated.
                query, key = rotated(q, q_len), rotated(k, kv_len)
            # PyTorch's is_causal is top-left aligned: a decode step's single query would see one
            # key, so decode runs unmasked (it sees every key, as the bottom-right mask says).
            return F.scaled_dot_product_attention(query, key, value=v, is_causal=not decode,
                                                  enable_gqa=kv_heads != heads)

        with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
            ms = time_ms(torch, attention, repetitions)
        if decode:
            kv_bytes = 2 * batch * kv_len * kv_heads * head_dim * q.element_size()
            rate = f"{kv_bytes / (ms / 1e3) / 1e9:.0f} GB/s"
        else:
            flops = 4 * batch * heads * q_len * kv_len * head_dim / 2
            rate = f"{flops / (ms / 1e3) / 1e12:.0f} TFLOP/s"
        print(f"| {name} | {ms:.3f} | {rate} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
