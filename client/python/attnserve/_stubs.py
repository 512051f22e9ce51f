"""Finds the Python modules protoc generates from the protos and makes them importable.

The build writes them to `<stubs>/attnserve/v1` and `<stubs>/grpc/health/v1`, where `<stubs>`
is `$ATTNSERVE_STUBS` or, by default, `<repo>/build/python`. Both top-level names are taken by
regular packages, this one and grpcio's `grpc`, so putting `<stubs>` on sys.path would not help:
Python searches a regular package's subpackages only in its `__path__`. The generated folders are
appended to those `__path__` lists instead, which also serves the generated modules' own absolute
imports (`from attnserve.v1 import attention_pb2`, `from grpc.health.v1 import health_pb2`).
"""
import os
import pathlib
from typing import MutableSequence

import grpc

STUBS_ENV = "ATTNSERVE_STUBS"
_REPO = pathlib.Path(__file__).resolve().parents[3]


def stubs_directory() -> pathlib.Path:
    """The folder holding the generated `attnserve/` and `grpc/` trees."""
    return pathlib.Path(os.environ.get(STUBS_ENV) or _REPO / "build" / "python").resolve()


def install(package_path: MutableSequence[str]) -> None:
    """Appends the generated trees to `package_path` (attnserve's) and grpc's `__path__`.

    Raises:
      ImportError: the generated modules are not where they are looked for; the message says
        where that was and how to build them.
    """
    stubs = stubs_directory()
    expected = [stubs / "attnserve" / "v1" / "attention_pb2_grpc.py",
                stubs / "grpc" / "health" / "v1" / "health_pb2_grpc.py"]
    missing = [str(path) for path in expected if not path.is_file()]
    if missing:
        source = (f"from ${STUBS_ENV}" if os.environ.get(STUBS_ENV) else
                  f"the default; set ${STUBS_ENV} to look elsewhere")
        raise ImportError(
            f"attnserve: generated gRPC stubs not found in {stubs} ({source}): "
            f"missing {', '.join(missing)}. The build generates them: "
            f"`bash {_REPO / 'scripts' / 'build.sh'}` writes them to {_REPO / 'build' / 'python'}.")
    for package, tree in ((package_path, stubs / "attnserve"), (grpc.__path__, stubs / "grpc")):
        if str(tree) not in package:
            package.append(str(tree))
