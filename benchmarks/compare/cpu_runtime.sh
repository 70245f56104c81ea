#!/usr/bin/env bash
# CPU runtime settings side by side (allocator, OpenMP waiting and threads, warm-up): see cpu_runtime.py.
#   benchmarks/compare/cpu_runtime.sh          # ROUNDS=3 STEPS=30 MODEL=mini SECTIONS="allocators load embedded warmup"
# Installs Debian's python3-torch, python3-pil, libtcmalloc-minimal4 and libjemalloc2 when missing, builds
# the jars, runs a copy of vton.jar (so no rebuild lands in a timing) and holds the Maven lock (LOCK) while
# it measures.
set -euo pipefail
cd "$(dirname "$0")/../.."
WORK=${WORK:-benchmarks/target/cpu-runtime}
export WORK="$(mkdir -p "$WORK" && cd "$WORK" && pwd)"
if ! /usr/bin/python3 -c 'import torch, PIL' 2>/dev/null || ! ls /usr/lib/*/libtcmalloc_minimal.so.4 /usr/lib/*/libjemalloc.so.2 >/dev/null 2>&1; then
  echo "installing python3-torch, python3-pil, libtcmalloc-minimal4, libjemalloc2" >&2
  apt-get install -y -qq python3-torch python3-pil libtcmalloc-minimal4 libjemalloc2 >/dev/null
fi
./mvnw -B -q -pl vton-examples,benchmarks -am package -DskipTests
rm -rf "$WORK/java" && mkdir -p "$WORK/java"
cp -r vton-examples/target/vton.jar vton-examples/target/lib "$WORK/java/"
samples=vton-examples/src/main/resources/io/omoib/vton/examples/samples
java -Dai.djl.offline=true -jar "$WORK/java/vton.jar" preprocess --person $samples/person.jpg --mask $samples/mask.png \
  --upper $samples/upper.jpg --lower $samples/lower.jpg --out "$WORK/prepared" >/dev/null
exec 9>"${LOCK:-/tmp/mvn.lock}"
flock 9
/usr/bin/python3 benchmarks/compare/cpu_runtime.py
