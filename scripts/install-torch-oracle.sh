#!/usr/bin/env bash
# Installs PyTorch as an optional test oracle, but only its CPU build 2.13.0 when a wheel of it
# lies in pip's find-links folder (as on the project's machines). A plain `pip install torch`, or
# the package's `torch` extra (torch>=2.1, for users), would pull a CUDA build of several GB where
# no torch is installed: CI and make never do that. Without torch the comparison tests skip.
set -uo pipefail
py="${1:-python}"
links="${PIP_FIND_LINKS:-$($py -m pip config get global.find-links 2>/dev/null || true)}"
for dir in $links; do
  if ls "$dir"/torch-2.13.0+cpu-*.whl >/dev/null 2>&1; then
    $py -m pip install -q "torch==2.13.0+cpu" && exit 0
  fi
done
echo "torch CPU wheel not found locally: the torch comparison tests will be skipped" >&2
exit 0
