#!/usr/bin/python3
"""Writes attnserve's plots into a directory, as PNG or SVG.

    /usr/bin/python3 client/python/attnserve_plots.py --target 127.0.0.1:50051 \\
        --bench-json sweep.json --out docs/images

bench_sweep comes from an `attnctl bench --json` file; alibi_bias, rope_wavelengths and
attention_by_distance are computed by the live server at --target. Each source that is not
given is skipped with a message. Prints one line per file written; exits 1 if a call fails
or the bench file cannot be read.
"""
import argparse
import pathlib
import sys

# The package sits next to this script; the generated stubs are found by the package itself.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import attnserve  # pylint: disable=wrong-import-position
from attnserve import plots  # pylint: disable=wrong-import-position


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", help="HOST:PORT of a running server, for the encoding plots")
    parser.add_argument("--bench-json", type=pathlib.Path,
                        help="the output of `attnctl bench --json`, for the bench plot")
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("."),
                        help="directory to write into (created if missing)")
    parser.add_argument("--format", choices=plots.FORMATS, default="png")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per call")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    if args.bench_json is None:
        print(f"{plots.BENCH_PLOT}: skipped, no --bench-json given")
    if args.target is None:
        print(f"{', '.join(plots.SERVER_PLOTS)}: skipped, no --target given")
    client = attnserve.Client(args.target, timeout=args.timeout) if args.target else None
    try:
        written = plots.write_all(args.out, args.format, client=client,
                                  bench_json=args.bench_json)
    except attnserve.AttnserveError as error:
        print(f"attnserve_plots: a call to {args.target} failed: {error}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as error:  # an unreadable or wrong bench JSON file
        print(f"attnserve_plots: {error}", file=sys.stderr)
        return 1
    finally:
        if client is not None:
            client.close()
    for name, path in written.items():
        print(f"{name}: wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
