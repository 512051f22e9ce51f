#!/usr/bin/python3
"""Server reflection (grpc.reflection.v1alpha) lists attnserve's service and the health service.

Debian ships neither the reflection proto nor a Python reflection client, so this sends the
one request it needs as raw protobuf bytes: ServerReflectionRequest{list_services: ""} is field
7 (length-delimited) with an empty string, 0x3a 0x00. The reply's service names are plain
strings inside the response bytes.
"""
import os
import sys

import grpc

METHOD = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"
LIST_SERVICES = b"\x3a\x00"


def main():
    channel = grpc.insecure_channel(os.environ["ATTNSERVE_TARGET"])
    call = channel.stream_stream(METHOD)  # no serializers: requests and replies are bytes
    replies = list(call(iter([LIST_SERVICES]), timeout=10))
    if len(replies) != 1:
        print(f"expected one reply, got {len(replies)}")
        return 1
    for service in (b"attnserve.v1.AttentionService", b"grpc.health.v1.Health"):
        if service not in replies[0]:
            print(f"reflection does not list {service.decode()}: {replies[0]!r}")
            return 1
    print("reflection lists attnserve.v1.AttentionService and grpc.health.v1.Health")
    return 0


if __name__ == "__main__":
    sys.exit(main())
