#!/usr/bin/env bash
# Java vs Pillow on the Python service's image preparation, side by side on one machine.
#
#   benchmarks/compare/preprocess.sh            # ROUNDS=5 ITERATIONS=30 by default
#
# Both sides get the same JPEGs (make_inputs.py), run single-threaded (pinned to one CPU with
# taskset when available) and report a median per round; rounds alternate Java, Pillow, Java, ...
# The table shows the median of the round medians and the Java/Pillow ratio (target <= 0.67), and
# checks that both sides prepared bit-identical images.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-5}
ITERATIONS=${ITERATIONS:-30}
PY=/usr/bin/python3

if ! "$PY" -c 'import PIL' 2>/dev/null; then
  echo "installing Debian's python3-pil (Pillow 9.4)" >&2
  apt-get install -y -qq python3-pil >/dev/null
fi
jar=benchmarks/target/benchmarks.jar
./mvnw -B -q -pl benchmarks -am package -DskipTests
inputs=benchmarks/target/compare-inputs
"$PY" benchmarks/compare/make_inputs.py "$inputs"

pin=()
if command -v taskset >/dev/null; then pin=(taskset -c 0); fi
results=$(mktemp)
trap 'rm -f "$results"' EXIT
for ((round = 1; round <= ROUNDS; round++)); do
  "${pin[@]}" java -cp "$jar" io.omoib.vton.benchmarks.PreprocessTiming "$inputs" "$ITERATIONS" | sed 's/^/java /' >>"$results"
  "${pin[@]}" "$PY" benchmarks/compare/preprocess_pillow.py "$inputs" "$ITERATIONS" | sed 's/^/pillow /' >>"$results"
done

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(java -version 2>&1 | head -1)"
echo "inputs: person and mask 1200x1600, garments 900x1100 and 800x1200 (JPEG); output 768x1024; $ROUNDS rounds of $ITERATIONS"
awk '
  function median(list,    n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  $2 == "digest" { digest[$1] = digest[$1] == "" || digest[$1] == $3 ? $3 : "MIXED"; next }
  { times[$1, $2] = times[$1, $2] " " $3 }
  END {
    printf "%-10s %12s %12s %8s\n", "work", "java ms", "pillow ms", "ratio"
    split("prepare lanczos", works, " ")
    for (w = 1; w <= 2; w++) {
      j = median(times["java", works[w]]); p = median(times["pillow", works[w]])
      printf "%-10s %12.2f %12.2f %8.2f\n", works[w], j, p, j / p
    }
    same = digest["java"] == digest["pillow"] && digest["java"] != "MIXED"
    print "prepared images identical: " (same ? "yes" : "NO (" digest["java"] " vs " digest["pillow"] ")")
    exit same ? 0 : 1
  }' "$results"
