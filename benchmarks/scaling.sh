#!/usr/bin/env bash
# Time and peak resident memory of the mini model against resolution (384x512, 768x1024, 1536x2048,
# batch 1) and against batch size (1, 2, 4 at 768x1024), each configuration in a JVM of its own.
#   benchmarks/scaling.sh                 # STEPS=5 ITERATIONS=3 MODEL=mini by default
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${STEPS:-5}
ITERATIONS=${ITERATIONS:-3}
MODEL=${MODEL:-mini}
./mvnw -B -q -pl benchmarks -am package -DskipTests
jar=benchmarks/target/benchmarks.jar

run() {  # width height batch
  java -Dai.djl.offline=true -Dai.djl.pytorch.graph_optimizer=false -cp "$jar" \
    io.omoib.vton.benchmarks.ScalingTiming "models/$MODEL-catvton" "$1" "$2" "$3" "$STEPS" "$ITERATIONS" \
    | awk -v size="$1x$2" -v batch="$3" '{ v[$1] = $2 } END { printf "%-10s %6d %12.0f %14.0f %10d\n", size, batch, v["ms"], v["ms_per_image"], v["peak_mib"] }'
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(java -version 2>&1 | head -1)"
echo "$MODEL model, $STEPS steps, guidance 2.5, eta 1; median of $ITERATIONS runs after a warm-up; peak = VmHWM of the JVM"
printf "%-10s %6s %12s %14s %10s\n" "size" "batch" "ms" "ms/image" "peak MiB"
for size in "384 512" "768 1024" "1536 2048"; do
  run $size 1
done
for batch in 2 4; do
  run 768 1024 "$batch"
done
