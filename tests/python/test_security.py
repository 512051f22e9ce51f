"""The Python client against a server requiring mutual TLS and a bearer token.

Run by ctest through tests/python/with_server.sh with ATTNSERVE_TEST_PKI=1: the certificates
and tokens in $ATTNSERVE_PKI_DIR were made for this run by tests/support/make_test_pki.sh.
"""
import os
import socket
import ssl
import unittest
import urllib.request

import grpc
import numpy as np

import attnserve
import numpy_reference

TARGET = os.environ["ATTNSERVE_TARGET"]
METRICS_TARGET = os.environ["ATTNSERVE_METRICS_TARGET"]
PKI = os.environ["ATTNSERVE_PKI_DIR"]


def pem(name: str) -> bytes:
    with open(os.path.join(PKI, name), "rb") as file:
        return file.read()


def token(name: str) -> str:
    return pem(name).decode().strip()


def client(**security) -> attnserve.Client:
    return attnserve.Client(TARGET, timeout=20, **security)


def trusted_client(**extra) -> attnserve.Client:
    return client(root_certificates=pem("ca.pem"), certificate_chain=pem("client.pem"),
                  private_key=pem("client.key"), **extra)


class MutualTlsWithToken(unittest.TestCase):

    def test_a_client_with_certificate_and_token_computes_attention(self):
        rng = np.random.default_rng(7)
        query = rng.standard_normal((1, 4, 2, 8), dtype=np.float32)
        key = rng.standard_normal((1, 6, 2, 8), dtype=np.float32)
        value = rng.standard_normal((1, 6, 2, 8), dtype=np.float32)
        with trusted_client(auth_token=token("token.txt")) as secured:
            result = secured.compute_attention(query, key, value, causal=True)
        expected, _, _ = numpy_reference.attention(query, key, value, causal=True)
        error = np.linalg.norm(result.output - expected) / np.linalg.norm(expected)
        self.assertLess(error, 1e-5)

    def test_without_a_token_the_call_is_unauthenticated(self):
        with trusted_client() as secured, self.assertRaises(attnserve.AttnserveError) as raised:
            secured.server_info()
        self.assertEqual(raised.exception.code, grpc.StatusCode.UNAUTHENTICATED)
        self.assertEqual(raised.exception.message,
                         "missing 'authorization: Bearer <token>' metadata")
        with trusted_client(auth_token=token("wrong_token.txt")) as wrong, \
                self.assertRaises(attnserve.AttnserveError) as raised:
            wrong.alibi_slopes(4)
        self.assertEqual(raised.exception.code, grpc.StatusCode.UNAUTHENTICATED)
        self.assertEqual(raised.exception.message, "invalid bearer token")

    def test_health_needs_a_certificate_but_no_token(self):
        with trusted_client() as secured:
            self.assertEqual(secured.health(), "SERVING")

    def test_without_a_client_certificate_the_handshake_fails(self):
        with client(root_certificates=pem("ca.pem"), auth_token=token("token.txt")) as anonymous, \
                self.assertRaises(attnserve.AttnserveError) as raised:
            anonymous.server_info()
        self.assertEqual(raised.exception.code, grpc.StatusCode.UNAVAILABLE)

    def test_plaintext_clients_are_refused(self):
        with client(auth_token=token("token.txt")) as plaintext, \
                self.assertRaises(attnserve.AttnserveError) as raised:
            plaintext.server_info()
        self.assertEqual(raised.exception.code, grpc.StatusCode.UNAVAILABLE)


class MetricsEndpoint(unittest.TestCase):
    """/metrics stays plain HTTP (Debian 12's civetweb crashes serving HTTPS with OpenSSL 3)."""

    def test_metrics_are_plain_http_and_a_tls_hello_does_not_hurt_the_server(self):
        host, port = METRICS_TARGET.rsplit(":", 1)
        context = ssl.create_default_context(cafile=os.path.join(PKI, "ca.pem"))
        with socket.create_connection((host, int(port)), timeout=5) as raw:
            with self.assertRaises((ssl.SSLError, OSError)):
                context.wrap_socket(raw, server_hostname="localhost")
        with urllib.request.urlopen(f"http://{METRICS_TARGET}/metrics", timeout=5) as response:
            self.assertIn(b"attnserve_build_info", response.read())
        with trusted_client(auth_token=token("token.txt")) as secured:
            self.assertEqual(secured.health(), "SERVING")


if __name__ == "__main__":
    unittest.main()
