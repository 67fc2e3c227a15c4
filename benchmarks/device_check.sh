#!/usr/bin/env bash
# The GPU check in one command (see benchmarks/device_check.py): environment, the device's matmul
# peak, one reference-budget trial trained in a Ray actor holding a whole GPU, and four trials packed
# on one GPU. Under 8 minutes on one GPU; on a machine without CUDA it runs the smoke budget and
# says what it skipped.
#
#   benchmarks/device_check.sh [OUT_PATH] [extra device_check.py options]
#
# OUT_PATH defaults to $OUT/device_check.json, else benchmarks/results/device_check.json.
# PYTHON picks the interpreter (default: python3); it needs the package and its dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
out_args=()
if [[ $# -gt 0 && "$1" != -* ]]; then
    out_args=(--out "$1")
    shift
fi
export RAY_USAGE_STATS_ENABLED="${RAY_USAGE_STATS_ENABLED:-0}" TQDM_DISABLE="${TQDM_DISABLE:-1}"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
exec "${PYTHON:-python3}" -m benchmarks.device_check "${out_args[@]}" "$@"
