"""The one exception the client raises for a failed call, so callers need not know gRPC's."""
import grpc


class AttnserveError(Exception):
    """A call that the server (or the channel) ended with a non-OK status.

    Attributes:
      code: the gRPC status, e.g. grpc.StatusCode.INVALID_ARGUMENT for a broken rule.
      message: the status details; for INVALID_ARGUMENT the server names the field and the rule
        (`key.shape[2]=4 must divide query heads=6`).
    """

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message

    @classmethod
    def from_rpc_error(cls, error: grpc.RpcError) -> "AttnserveError":
        """The typed form of the exception grpcio raises (a grpc.Call as well)."""
        return cls(error.code(), error.details() or "")
