#!/usr/bin/env bash
# The full soak: 2,000 toy-model requests through the real server (its own process) at concurrency 16,
# then the curve of the server's resident memory, threads and open files, and the answers by status.
#   benchmarks/soak.sh              # REQUESTS=2000 by default; CI runs the same test with 300
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS=${REQUESTS:-2000}
./mvnw -B -q -pl vton-examples -am install -DskipTests
./mvnw -B -q -pl vton-examples verify -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=SoakIT \
  -Dsoak.requests="$REQUESTS"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(java -version 2>&1 | head -1)"
echo "$REQUESTS requests (2 steps, 768x1024, toy model) at concurrency 16; server with -Xmx512m and queue 16"
cat vton-examples/target/soak-curve.txt
