#!/usr/bin/env bash
# Compiler launcher: runs the rest of the command line and also saves its stderr to $1 (the
# cuda backend's ptxas resource report, which a test reads).
set -uo pipefail
report=$1
shift
"$@" 2> >(tee "$report" >&2)
status=$?
wait
exit $status
