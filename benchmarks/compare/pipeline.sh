#!/usr/bin/env bash
# Java vs the Python reference pipeline on the same TorchScript artifact, inputs and thread count.
#
#   benchmarks/compare/pipeline.sh               # MODELS="toy mini" ROUNDS=3 ITERATIONS=5 THREADS=$(nproc)
#
# Both sides run one 768x1024 try-on (15 steps, guidance 2.5, eta 1, seed 42) on the CPU with THREADS
# intra-op threads; rounds alternate Java, Python, Java, ... and each reports medians. The table shows
# the median of the round medians, the Java/Python ratio (target <= 1.0) and Java's overhead, the
# pipeline's wall time over the time inside the modules (target <= 1.05).
set -euo pipefail
cd "$(dirname "$0")/../.."
MODELS=${MODELS:-"toy mini"}
ROUNDS=${ROUNDS:-3}
ITERATIONS=${ITERATIONS:-5}
THREADS=${THREADS:-$(nproc)}
PY=/usr/bin/python3

if ! "$PY" -c 'import torch, PIL' 2>/dev/null; then
  echo "installing Debian's python3-torch and python3-pil" >&2
  apt-get install -y -qq python3-torch python3-pil >/dev/null
fi
./mvnw -B -q -pl benchmarks -am package -DskipTests
jar=benchmarks/target/benchmarks.jar
inputs=benchmarks/target/compare-inputs
"$PY" benchmarks/compare/make_inputs.py "$inputs"
rm -f "$inputs"/prepared_*.png

results=$(mktemp)
trap 'rm -f "$results"' EXIT
for model in $MODELS; do
  for ((round = 1; round <= ROUNDS; round++)); do
    java -Dai.djl.offline=true -Dai.djl.pytorch.graph_optimizer=false -Dai.djl.pytorch.num_interop_threads=1 \
      -Dai.djl.pytorch.num_threads="$THREADS" -cp "$jar" io.omoib.vton.benchmarks.PipelineTiming \
      "models/$model-catvton" "$inputs" "$ITERATIONS" | sed "s/^/$model java /" >>"$results"
    "$PY" benchmarks/compare/pipeline_python.py "models/$model-catvton" "$inputs" "$ITERATIONS" "$THREADS" \
      | sed "s/^/$model python /" >>"$results"
  done
done

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(java -version 2>&1 | head -1), PyTorch $("$PY" -c 'import torch; print(torch.__version__)') vs libtorch 2.7.1 (DJL 0.36.0)"
echo "one 768x1024 try-on, 15 steps, guidance 2.5, eta 1; $THREADS threads; $ROUNDS rounds of $ITERATIONS"
awk '
  function median(list,    n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  { v[$1, $2, $3] = v[$1, $2, $3] " " $4; models[$1] = 1 }
  END {
    printf "%-6s %12s %12s %8s %16s\n", "model", "java ms", "python ms", "ratio", "java overhead"
    for (m in models) {
      j = median(v[m, "java", "total"]); p = median(v[m, "python", "total"])
      printf "%-6s %12.1f %12.1f %8.2f %16.3f\n", m, j, p, j / p, median(v[m, "java", "overhead"])
    }
  }' "$results"
