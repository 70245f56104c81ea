#!/usr/bin/env bash
# Every side-by-side comparison in one command, then the targets:
#   Java vs Pillow on the Python service's image preparation   (preprocess.sh; target ratio <= 0.67)
#   Java vs the Python reference pipeline, same TorchScript     (pipeline.sh;  target ratio <= 1.0,
#     artifact, inputs and threads                                             Java overhead <= 1.05)
#
#   benchmarks/compare/run.sh          # the two scripts' defaults; their ROUNDS/ITERATIONS/MODELS apply
#
# Installs Debian's python3-torch and python3-pil when missing. Rounds are interleaved (Java, Python,
# Java, ...) and every figure is a median of round medians. Exits non-zero only if the prepared images
# differ between Java and Pillow (a correctness failure), not when a speed target is missed.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
if ! "$PY" -c 'import torch, PIL' 2>/dev/null; then
  echo "installing Debian's python3-torch and python3-pil" >&2
  apt-get install -y -qq python3-torch python3-pil >/dev/null
fi

preprocess=$(benchmarks/compare/preprocess.sh)
echo "$preprocess"
echo
pipeline=$(benchmarks/compare/pipeline.sh)
echo "$pipeline"
echo

verdict() {  # name value target
  awk -v n="$1" -v v="$2" -v t="$3" 'BEGIN { printf "%-40s %8.3f %8s  %s\n", n, v, "<= " t, (v + 0 <= t + 0 ? "met" : "MISSED") }'
}
printf "%-40s %8s %8s\n" "target" "measured" "wanted"
verdict "preprocessing Java/Pillow" "$(echo "$preprocess" | awk '$1 == "prepare" { print $4 }')" 0.67
mini=$(echo "$pipeline" | awk '$1 == "mini"')
if [[ -n "$mini" ]]; then
  verdict "pipeline Java/Python (mini)" "$(echo "$mini" | awk '{ print $4 }')" 1.0
  verdict "Java overhead, total/modules (mini)" "$(echo "$mini" | awk '{ print $5 }')" 1.05
fi
