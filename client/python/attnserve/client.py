"""Client: one method per RPC of attnserve.v1.AttentionService, plus the health check.

Arrays go in as numpy float32/float16 (or any float array with dtype="bfloat16") and come back
as numpy arrays; every failed call raises AttnserveError. A Client owns one gRPC channel; like
the channel, it may be used from several threads at once.
"""
import json
from typing import Callable, Iterable, List, Optional, TypeVar

import grpc
import numpy as np
import numpy.typing as npt
from google.protobuf import message

from attnserve.encodings import Encoding, Rotary
from attnserve.errors import AttnserveError
from attnserve.results import AlibiResult, AttentionResult, RotaryResult, RotaryTable, ServerInfo
from attnserve.tensors import DType, data_type, from_tensor, to_tensor
from attnserve.v1 import attention_pb2 as pb
from attnserve.v1 import attention_pb2_grpc as rpc
from grpc.health.v1 import health_pb2
from grpc.health.v1 import health_pb2_grpc

Response = TypeVar("Response")

# Balanced call by call over every address the target resolves to, skipping replicas whose
# health is not SERVING (draining, or failed their self-check), retrying UNAVAILABLE (a replica
# draining or gone): every attnserve RPC is a pure function, so a call may run twice.
_SERVICE_CONFIG = json.dumps({
    "loadBalancingConfig": [{"round_robin": {}}],
    "healthCheckConfig": {"serviceName": "attnserve.v1.AttentionService"},
    "methodConfig": [{
        "name": [{"service": "attnserve.v1.AttentionService"},
                 {"service": "grpc.health.v1.Health"}],
        "retryPolicy": {"maxAttempts": 4, "initialBackoff": "0.05s", "maxBackoff": "1s",
                        "backoffMultiplier": 2, "retryableStatusCodes": ["UNAVAILABLE"]},
    }],
})

# grpcio refuses responses over 4 MiB by default; attention outputs and probabilities are often
# larger. The server enforces its own limit (GetServerInfo's max_message_bytes) on both sides.
# A request is kept for a retry only up to the per-call retry buffer (256 KiB by default).
_CHANNEL_OPTIONS = [("grpc.max_receive_message_length", -1),
                    ("grpc.service_config", _SERVICE_CONFIG),
                    ("grpc.per_rpc_retry_buffer_size", 256 << 20)]


def _channel_target(target: str) -> str:
    """A gRPC target from host:port, a URI, or several comma-separated IPv4 ip:port."""
    return target if "," not in target else "ipv4:" + target


def _ints(values: Optional[Iterable[int]]) -> List[int]:
    """A repeated int64 field's value from a list, a numpy array or None (empty)."""
    return [] if values is None else [int(value) for value in values]


class Client:
    """A connection to one attnserve server.

    `target` is host:port, a gRPC URI (dns:///name:port balances over every address of the
    name, e.g. a Kubernetes headless Service) or several IPv4 ip:port, comma-separated; calls
    are balanced round-robin and UNAVAILABLE is retried. Each call waits at most `timeout`
    seconds (its gRPC deadline). Use as a context manager, or call close(), to release the
    channel.

    Security (all optional): `tls` connects over TLS, verifying the server against
    `root_certificates` (PEM bytes; None: the system's roots); `certificate_chain` and
    `private_key` (PEM bytes) are the client's identity for servers requiring mutual TLS, and
    any of these three implies `tls`. `server_name` overrides the name the server's certificate
    must carry. `auth_token` is sent as "authorization: Bearer <token>" with every call (as
    metadata, so it also works over plaintext, e.g. inside a service mesh).
    """

    def __init__(self, target: str, timeout: float = 60.0, *, tls: bool = False,
                 root_certificates: Optional[bytes] = None,
                 certificate_chain: Optional[bytes] = None, private_key: Optional[bytes] = None,
                 server_name: Optional[str] = None, auth_token: Optional[str] = None) -> None:
        self.timeout = timeout
        self._metadata = (("authorization", f"Bearer {auth_token}"),) if auth_token else ()
        options = list(_CHANNEL_OPTIONS)
        if server_name:
            options.append(("grpc.ssl_target_name_override", server_name))
        if tls or root_certificates or certificate_chain or private_key:
            credentials = grpc.ssl_channel_credentials(root_certificates, private_key,
                                                       certificate_chain)
            self._channel = grpc.secure_channel(_channel_target(target), credentials,
                                                options=options)
        else:
            self._channel = grpc.insecure_channel(_channel_target(target), options=options)
        self._attention = rpc.AttentionServiceStub(self._channel)
        self._health = health_pb2_grpc.HealthStub(self._channel)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _call(self, method: Callable[..., Response], request: message.Message) -> Response:
        """`method(request)` with the client's deadline; gRPC errors become AttnserveError."""
        try:
            return method(request, timeout=self.timeout, metadata=self._metadata)
        except grpc.RpcError as error:
            raise AttnserveError.from_rpc_error(error) from error

    def compute_attention(
            self, query: npt.ArrayLike, key: npt.ArrayLike, value: npt.ArrayLike, *,
            encoding: Optional[Encoding] = None, causal: bool = False,
            softmax_scale: float = 0.0, window: int = 0,
            position_offsets: Optional[Iterable[int]] = None,
            kv_lengths: Optional[Iterable[int]] = None, backend: str = "",
            dtype: Optional[DType] = None, output_dtype: Optional[DType] = None,
            return_lse: bool = False, return_probabilities: bool = False,
            request_id: str = "") -> AttentionResult:
        """softmax(scale * rope(Q) rope(K)^T + alibi + mask) V on the server.

        Args:
          query: [batch, q_len, heads, head_dim].
          key: [batch, kv_len, kv_heads, head_dim]; kv_heads divides heads (GQA, MQA).
          value: [batch, kv_len, kv_heads, v_head_dim].
          encoding: RoPE and/or ALiBi; None for neither.
          causal: bottom-right aligned causal mask (queries are the last q_len tokens).
          softmax_scale: 0 means 1 / sqrt(head_dim).
          window: 0 means unlimited; else a key is visible iff pos_q - pos_k < window.
          position_offsets: per batch element, the position of key 0; None means all 0.
          kv_lengths: per batch element, how many keys are valid; None means all kv_len.
          backend: "" for the server's default, or a name from server_info().
          dtype: the dtype to send query, key and value in; None takes each array's own.
          output_dtype: the output's dtype; None means the query's.
          return_lse: also return the log-sum-exp of every row.
          return_probabilities: also return the softmax weights.
          request_id: echoed in the result.

        Raises:
          AttnserveError: INVALID_ARGUMENT names the broken rule, RESOURCE_EXHAUSTED a limit.
        """
        request = pb.AttentionRequest(
            query=to_tensor(query, dtype), key=to_tensor(key, dtype),
            value=to_tensor(value, dtype), encoding=encoding.to_proto() if encoding else None,
            causal=causal, softmax_scale=softmax_scale, window=window,
            position_offsets=_ints(position_offsets), kv_lengths=_ints(kv_lengths),
            backend=backend,
            output_dtype=pb.DATA_TYPE_UNSPECIFIED if output_dtype is None else data_type(
                output_dtype),
            return_lse=return_lse, return_probabilities=return_probabilities,
            request_id=request_id)
        return AttentionResult.from_proto(self._call(self._attention.ComputeAttention, request))

    def apply_rotary(self, query: Optional[npt.ArrayLike] = None,
                     key: Optional[npt.ArrayLike] = None, *, rotary: Rotary = Rotary(),
                     positions: Optional[Iterable[int]] = None,
                     dtype: Optional[DType] = None) -> RotaryResult:
        """Rotates query and/or key ([batch, seq, heads, head_dim]) as a model's RoPE does.

        `positions` has one entry per sequence index; None means 0 .. seq - 1.
        """
        request = pb.RotaryRequest(
            query=None if query is None else to_tensor(query, dtype),
            key=None if key is None else to_tensor(key, dtype), rotary=rotary.to_proto(),
            positions=_ints(positions))
        return RotaryResult.from_proto(self._call(self._attention.ApplyRotary, request))

    def rotary_table(self, rotary: Rotary, head_dim: int,
                     positions: Iterable[int] = ()) -> RotaryTable:
        """The inverse frequencies, attention factor and cos/sin rows at `positions`.

        The largest position sets the request length that dynamic_ntk and longrope depend on.
        """
        request = pb.RotaryTableRequest(rotary=rotary.to_proto(), head_dim=head_dim,
                                        positions=_ints(positions))
        return RotaryTable.from_proto(self._call(self._attention.GetRotaryTable, request))

    def alibi_slopes(self, num_heads: int, max_bias: float = 0.0, query_length: int = 0,
                     key_length: int = 0, training_length: int = 0) -> AlibiResult:
        """ALiBi slopes for `num_heads` heads; with both lengths > 0, also the bias matrix."""
        request = pb.AlibiRequest(num_heads=num_heads, max_bias=max_bias,
                                  query_length=query_length, key_length=key_length,
                                  training_length=training_length)
        return AlibiResult.from_proto(self._call(self._attention.GetAlibiSlopes, request))

    def sinusoidal_table(self, dim: int, positions: Iterable[int],
                         theta: float = 0.0) -> np.ndarray:
        """float32 [positions, dim]: sin at even columns, cos at odd ones (theta 0: 10000)."""
        request = pb.SinusoidalRequest(dim=dim, positions=_ints(positions), theta=theta)
        return from_tensor(self._call(self._attention.GetSinusoidalTable, request).table)

    def server_info(self) -> ServerInfo:
        """Version, backends (devices, dtypes, which is the default) and limits."""
        return ServerInfo.from_proto(
            self._call(self._attention.GetServerInfo, pb.ServerInfoRequest()))

    def health(self, service: str = "") -> str:
        """The grpc.health.v1 status name ("SERVING", "NOT_SERVING", ...) of `service`.

        "" asks about the server as a whole; "attnserve.v1.AttentionService" about the service.
        """
        response = self._call(self._health.Check, health_pb2.HealthCheckRequest(service=service))
        return health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)
