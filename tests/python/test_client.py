"""The attnserve Python package against a real server at $ATTNSERVE_TARGET.

Every RPC is called through the package. Expected values never come from the server or the
package: attention from numpy_reference (float64, written from docs/encodings.md), rotations,
tables and slopes from the worked values of docs/encodings.md section 6. Run by ctest through
tests/python/with_server.sh, with PYTHONPATH=client/python and ATTNSERVE_STUBS=build/python.
"""
import os
import unittest

import grpc
import numpy as np

import attnserve
import numpy_reference

TARGET = os.environ["ATTNSERVE_TARGET"]
# Relative L2 error bounds of the README: exact float32, and float16/bfloat16 rounding.
TOLERANCE = {"float32": 1e-5, "float16": 1e-2, "bfloat16": 1e-2}
HEADS = 6  # not a power of two, so both halves of the ALiBi slope formula are used


def relative_l2(actual: np.ndarray, expected: np.ndarray) -> float:
    return float(np.linalg.norm(actual - expected) / np.linalg.norm(expected))


def representable(array: np.ndarray, dtype: str) -> np.ndarray:
    """`array` (float32) with every value exact in `dtype`, so the reference sees what is sent.

    bfloat16 values are truncated to their top 16 bits here, not rounded, to stay independent
    of the package's round-to-nearest-even (tested on its own below).
    """
    if dtype == "bfloat16":
        return (array.view(np.uint32) & np.uint32(0xFFFF0000)).view(np.float32)
    return array.astype(dtype).astype(np.float32)


class ClientTestCase(unittest.TestCase):
    """Shares one client (and its channel) across a test class."""

    @classmethod
    def setUpClass(cls):
        cls.client = attnserve.Client(TARGET, timeout=30)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()


class ServerTest(ClientTestCase):

    def test_health_is_serving_overall_and_for_the_service(self):
        self.assertEqual(self.client.health(), "SERVING")
        self.assertEqual(self.client.health("attnserve.v1.AttentionService"), "SERVING")

    def test_server_info_lists_backends_and_limits(self):
        info = self.client.server_info()
        self.assertTrue(info.version)
        backends = {backend.name: backend for backend in info.backends}
        self.assertTrue(backends["cpu"].is_default)
        self.assertEqual(backends["reference"].dtypes, ["float32", "float16", "bfloat16"])
        self.assertGreater(info.limits.max_message_bytes, 0)
        self.assertGreater(info.limits.compute_threads, 0)


class ComputeAttentionTest(ClientTestCase):
    """Outputs, lse and probabilities against numpy for each mask feature and dtype."""

    # batch 2, q_len 5, kv_len 9, 6 query heads over 2 kv heads (GQA), head_dim 16, v_head_dim 8.
    CASES = {
        "causal GQA": dict(causal=True),
        "causal window": dict(causal=True, window=3),
        "kv_lengths": dict(causal=False, kv_lengths=[9, 4]),
        "position_offsets": dict(causal=True, position_offsets=[0, 1000], kv_lengths=[7, 9]),
    }
    ENCODINGS = {"no encoding": None, "alibi": attnserve.Encoding(alibi=attnserve.Alibi())}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        rng = np.random.default_rng(7)
        cls.query = rng.standard_normal((2, 5, HEADS, 16), dtype=np.float32)
        cls.key = rng.standard_normal((2, 9, 2, 16), dtype=np.float32)
        cls.value = rng.standard_normal((2, 9, 2, 8), dtype=np.float32)

    def check_against_numpy(self, dtype: str, expected_output_dtype: type):
        query, key, value = (representable(x, dtype) for x in (self.query, self.key, self.value))
        for case, options in self.CASES.items():
            for encoding_name, encoding in self.ENCODINGS.items():
                with self.subTest(case=case, encoding=encoding_name):
                    result = self.client.compute_attention(
                        query, key, value, encoding=encoding, dtype=dtype, return_lse=True,
                        return_probabilities=True, **options)
                    slopes = numpy_reference.alibi_slopes(HEADS) if encoding else None
                    output, lse, probabilities = numpy_reference.attention(
                        query, key, value, slopes=slopes, **options)
                    self.assertEqual(result.output.dtype, expected_output_dtype)
                    self.assertLess(relative_l2(result.output, output), TOLERANCE[dtype])
                    self.assertLess(relative_l2(result.probabilities, probabilities),
                                    TOLERANCE[dtype])
                    np.testing.assert_allclose(result.lse, lse, rtol=TOLERANCE[dtype])

    def test_float32_matches_numpy(self):
        self.check_against_numpy("float32", np.float32)

    def test_float16_matches_numpy(self):
        self.check_against_numpy("float16", np.float16)

    def test_bfloat16_matches_numpy_and_comes_back_as_float32(self):
        self.check_against_numpy("bfloat16", np.float32)

    def test_array_dtype_is_sent_when_dtype_is_not_given(self):
        result = self.client.compute_attention(*(x.astype(np.float16) for x in (
            self.query, self.key, self.value)))
        self.assertEqual(result.output.dtype, np.float16)

    def test_output_dtype_converts_the_output(self):
        result = self.client.compute_attention(self.query, self.key, self.value,
                                               output_dtype="float16")
        self.assertEqual(result.output.dtype, np.float16)

    def test_row_without_visible_key_is_zero_with_minus_infinite_lse(self):
        result = self.client.compute_attention(self.query, self.key, self.value,
                                               kv_lengths=[0, 9], return_lse=True)
        np.testing.assert_array_equal(result.output[0], 0.0)
        np.testing.assert_array_equal(result.lse[0], -np.inf)

    def test_backend_and_request_id_come_back(self):
        result = self.client.compute_attention(self.query, self.key, self.value,
                                               backend="reference", request_id="abc-1")
        self.assertEqual((result.backend, result.request_id), ("reference", "abc-1"))
        self.assertIsNone(result.lse)
        self.assertIsNone(result.probabilities)

    def test_float64_arrays_need_a_dtype(self):
        with self.assertRaisesRegex(ValueError, "float64"):
            self.client.compute_attention(*(x.astype(np.float64) for x in (
                self.query, self.key, self.value)))


class RotaryTest(ClientTestCase):
    """ApplyRotary and GetRotaryTable against docs/encodings.md section 6."""

    def test_apply_rotary_at_position_70000_matches_the_worked_values(self):
        query = numpy_reference.worked_value("rope_input.q").reshape(1, 1, 1, 8)
        key = numpy_reference.worked_value("rope_input.k").reshape(1, 1, 1, 8)
        result = self.client.apply_rotary(query, key, rotary=attnserve.Rotary(),
                                          positions=[70000], dtype="float32")
        np.testing.assert_allclose(result.query.ravel(),
                                   numpy_reference.worked_value("default_t1e4.q@70000"),
                                   atol=1e-5)
        np.testing.assert_allclose(result.key.ravel(),
                                   numpy_reference.worked_value("default_t1e4.k@70000"),
                                   atol=1e-5)

    def test_apply_rotary_returns_only_what_was_sent(self):
        key = np.ones((1, 3, 2, 8), dtype=np.float16)
        result = self.client.apply_rotary(key=key)
        self.assertIsNone(result.query)
        self.assertEqual((result.key.shape, result.key.dtype), (key.shape, np.float16))

    def test_rotary_table_of_llama3_matches_the_worked_inverse_frequencies(self):
        rotary = attnserve.Rotary(theta=500000, scaling=attnserve.Llama3(
            factor=8, low_freq_factor=1, high_freq_factor=4, original_max_position=8192))
        table = self.client.rotary_table(rotary, head_dim=128, positions=[0, 5])
        np.testing.assert_allclose(table.inv_freq[[0, 32, 63]],
                                   numpy_reference.worked_value("llama3_d128.inv_freq[0,32,63]"),
                                   rtol=1e-12)
        self.assertEqual(table.attention_factor, 1.0)
        np.testing.assert_allclose(table.cos, np.cos(np.outer([0, 5], table.inv_freq)),
                                   atol=1e-6)
        np.testing.assert_allclose(table.sin, np.sin(np.outer([0, 5], table.inv_freq)),
                                   atol=1e-6)

    def test_yarn_table_carries_its_attention_factor(self):
        table = self.client.rotary_table(
            attnserve.Rotary(scaling=attnserve.Yarn(factor=4, original_max_position=4096)),
            head_dim=8)
        self.assertAlmostEqual(table.attention_factor, 1 + 0.1 * np.log(4), places=12)
        self.assertEqual(table.cos.shape, (0, 4))


class AlibiAndSinusoidalTest(ClientTestCase):

    def test_slopes_follow_the_paper_formula(self):
        for heads, max_bias in ((8, 0), (12, 0), (12, 4), (HEADS, 0)):
            with self.subTest(heads=heads, max_bias=max_bias):
                result = self.client.alibi_slopes(heads, max_bias=max_bias)
                np.testing.assert_allclose(
                    result.slopes, numpy_reference.alibi_slopes(heads, max_bias or 8.0),
                    rtol=1e-7)
                self.assertIsNone(result.bias)

    def test_bias_is_minus_slope_times_distance(self):
        result = self.client.alibi_slopes(4, query_length=3, key_length=5)
        query_positions = 5 - 3 + np.arange(3)
        distance = np.abs(query_positions[:, None] - np.arange(5)[None, :])
        np.testing.assert_allclose(result.bias, -result.slopes[:, None, None] * distance)

    def test_training_length_interpolates_the_slopes(self):
        result = self.client.alibi_slopes(8, key_length=5000, query_length=1,
                                          training_length=2048)
        np.testing.assert_allclose(
            result.slopes, numpy_reference.worked_value("alibi_h8_b8_train2048_L5000"), rtol=1e-7)

    def test_sinusoidal_table_matches_the_worked_values(self):
        table = self.client.sinusoidal_table(8, positions=[5, 70000])
        np.testing.assert_allclose(table[0], numpy_reference.worked_value("sinusoidal_d8@5"),
                                   atol=1e-6)
        np.testing.assert_allclose(table[1], numpy_reference.worked_value("sinusoidal_d8@70000"),
                                   atol=1e-6)


class ErrorTest(ClientTestCase):
    """Rejected calls raise AttnserveError with the server's status and message."""

    def assert_invalid_argument(self, message: str, call, *args, **kwargs):
        with self.assertRaises(attnserve.AttnserveError) as raised:
            call(*args, **kwargs)
        self.assertEqual(raised.exception.code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual(raised.exception.message, message)

    def test_kv_heads_that_do_not_divide_the_query_heads(self):
        query = np.zeros((1, 2, 6, 8), np.float32)
        key = np.zeros((1, 2, 4, 8), np.float32)
        self.assert_invalid_argument("key.shape[2]=4 must divide query heads=6",
                                     self.client.compute_attention, query, key, key)

    def test_yarn_betas_in_the_wrong_order(self):
        rotary = attnserve.Rotary(scaling=attnserve.Yarn(
            factor=4, original_max_position=4096, beta_fast=1, beta_slow=2))
        query = np.zeros((1, 2, 2, 8), np.float32)
        self.assert_invalid_argument(
            "encoding.rotary.yarn.beta_fast=1 must be > beta_slow=2 (0 means 32 and 1)",
            self.client.compute_attention, query, query, query,
            encoding=attnserve.Encoding(rotary=rotary))

    def test_unknown_health_service_is_not_found(self):
        with self.assertRaises(attnserve.AttnserveError) as raised:
            self.client.health("no.such.Service")
        self.assertEqual(raised.exception.code, grpc.StatusCode.NOT_FOUND)


class BfloatConversionTest(unittest.TestCase):
    """float32 -> bfloat16 rounds to nearest, ties to even, as torch and GPUs do."""

    def test_rounding(self):
        cases = {
            1.0: 0x3F80,
            1 + 2**-8: 0x3F80,               # tie, rounds down to even
            1 + 3 * 2**-8: 0x3F82,           # tie, rounds up to even
            1 + 2**-8 + 2**-20: 0x3F81,      # just above the tie
            -2.0: 0xC000,
            float(np.finfo(np.float32).max): 0x7F80,  # past the largest bfloat16: infinity
            -np.inf: 0xFF80,
        }
        bits = attnserve.bfloat16_bits(np.array(list(cases), dtype=np.float32))
        self.assertEqual([hex(b) for b in bits], [hex(b) for b in cases.values()])

    def test_nan_stays_nan(self):
        bits = attnserve.bfloat16_bits(np.array([np.nan], dtype=np.float32))
        widened = (bits.astype(np.uint32) << 16).view(np.float32)
        self.assertTrue(np.isnan(widened[0]))


if __name__ == "__main__":
    unittest.main()
