#!/usr/bin/python3
"""Replays the cases record_cases wrote with the C++ client through Python's grpcio.

Each request is parsed from the recorded C++ bytes and serialized again by Python's protobuf;
each call must end with the C++ status code and message, and an OK response must be the same
message as the C++ one (compared as deterministic serializations, which is exact for doubles,
unlike message ==, where -0.0 equals 0.0 and NaN differs from itself).

Needs the attnserve package on PYTHONPATH and ATTNSERVE_STUBS (see client/python/attnserve).
"""
import argparse
import base64
import json
import sys

import grpc

import attnserve  # pylint: disable=unused-import  # makes the generated modules importable
from attnserve.v1 import attention_pb2
from grpc.health.v1 import health_pb2

CALL_TIMEOUT_S = 30


def message_classes():
    """{(service full name, method name): (request class, response class)} of both protos."""
    classes = {}
    for module in (attention_pb2, health_pb2):
        for service in module.DESCRIPTOR.services_by_name.values():
            for method in service.methods:  # every RPC's types are top-level messages
                classes[(service.full_name, method.name)] = (
                    getattr(module, method.input_type.name),
                    getattr(module, method.output_type.name))
    return classes


def replay(channel, classes, recorded):
    """Returns the differences from the C++ result of one case, as strings."""
    request_bytes = base64.b64decode(recorded["request"])
    path = f"/{recorded['service']}/{recorded['method']}"
    types = classes.get((recorded["service"], recorded["method"]))
    if types is None:  # a method the protos do not declare (UnknownMethod): raw bytes
        request, call = request_bytes, channel.unary_unary(path)
    else:
        request = types[0].FromString(request_bytes)
        call = channel.unary_unary(path, request_serializer=types[0].SerializeToString)
    try:
        response_bytes = call(request, timeout=CALL_TIMEOUT_S)  # raw, as the C++ bytes are
        code, message = grpc.StatusCode.OK.value[0], ""
    except grpc.RpcError as error:
        response_bytes, code, message = None, error.code().value[0], error.details()

    problems = []
    if code != recorded["code"]:
        problems.append(f"code C++ {recorded['code']}, grpcio {code}")
    if message != recorded["message"]:
        problems.append(f"message C++ {recorded['message']!r}, grpcio {message!r}")
    if response_bytes is not None and recorded["code"] == 0:
        expected = base64.b64decode(recorded["response"])
        if types is not None:
            got_message, expected_message = (types[1].FromString(b) for b in (response_bytes,
                                                                               expected))
            response_bytes = got_message.SerializeToString(deterministic=True)
            expected = expected_message.SerializeToString(deterministic=True)
        if response_bytes != expected:
            problems.append("response differs from the C++ one")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True)
    parser.add_argument("--cases", required=True)
    args = parser.parse_args()
    with open(args.cases, encoding="utf-8") as file:
        cases = json.load(file)["cases"]
    classes = message_classes()
    mismatches = []
    with grpc.insecure_channel(args.target) as channel:
        for recorded in cases:
            problems = replay(channel, classes, recorded)
            if problems:
                mismatches.append(f"{recorded['method']}/{recorded['case']}: {'; '.join(problems)}")
    for mismatch in mismatches:
        print(f"MISMATCH {mismatch}")
    print(f"grpcio {grpc.__version__}: {len(cases)} cases, "
          f"{len(cases) - len(mismatches)} matched the C++ client")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
