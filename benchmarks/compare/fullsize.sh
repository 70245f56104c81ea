#!/usr/bin/env bash
# Full-size CatVTON with random weights: Java (`vton tryon`) against CatVTON's own pipeline, side by side.
#
#   CATVTON_SRC=/path/to/CatVTON benchmarks/compare/fullsize.sh      # ROUNDS=1 STEPS=2 by default
#
# 1. tools/fixtures/make_diffusers_model.py --size full: diffusers' SD-1.5 UNet with 9 input channels
#    (859.5 M parameters), the sd-vae-ft-mse VAE (83.7 M), a CatVTON attention checkpoint written by
#    CatVTON's own code; random weights, into $WORK/diffusers (git-ignored, ~3.8 GB).
# 2. tools/export/export_catvton.py exports it at 384x512 as cpu-float32 and cpu-bfloat16 into
#    $WORK/artifact (~5 GB).
# 3. The same prepared 384x512 inputs (person, mask, stacked garment) go to both sides; each process
#    runs alone under /usr/bin/time -v: Java `vton tryon` (float32, then bfloat16) and CatVTON's
#    CatVTONPipeline.__call__ (float32, THREADS torch threads, default nproc) with STEPS steps, guidance 2.5, eta 1, seed 42. Rounds alternate.
#    Debian's torch calls whatever libblas.so.3 is installed (the reference BLAS unless an optimised one
#    is): PY_BLAS_DIR, a folder with another libblas.so.3 (e.g. /usr/lib/x86_64-linux-gnu/openblas-pthread
#    from Debian's libopenblas0-pthread), goes first on the Python runs' LD_LIBRARY_PATH.
# Holds the Maven lock /tmp/mvn.lock (LOCK) while measuring, and runs a copy of the jar ./vton builds.
# BFLOAT16=auto (default) runs Java's bfloat16 try-on only on a CPU with bfloat16 instructions
# (avx512_bf16 or amx_bf16 in /proc/cpuinfo): with AVX2 only, libtorch's bfloat16 kernels ran the mini
# model 29 times slower than float32, and the full-size try-on did not finish its encoder in 12 minutes.
# BFLOAT16=1 runs it anyway, 0 never.
# Prints the machine, each run's numbers (with the load average before and after), the medians, the
# ratios, the float32 parity (max/mean |Δ|) and Java's bfloat16-vs-float32 difference.
# Steps 1 and 2 are skipped when their output exists. Needs CATVTON_SRC (git clone
# https://github.com/Zheng-Chong/CatVTON) and diffusers (pip, or a source tree made importable on torch 1.13 by a pyenv.py in PYDEPS).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
WORK=${WORK:-target/fullsize}
PYDEPS=${PYDEPS:-../shared/pydeps}
ROUNDS=${ROUNDS:-1}
STEPS=${STEPS:-2}
BFLOAT16=${BFLOAT16:-auto}
if [[ "$BFLOAT16" == auto ]]; then
  if grep -qE 'avx512_bf16|amx_bf16' /proc/cpuinfo; then BFLOAT16=1; else BFLOAT16=0; fi
fi
: "${CATVTON_SRC:?set CATVTON_SRC to a checkout of https://github.com/Zheng-Chong/CatVTON}"
export CATVTON_SRC

if [[ ! -f "$WORK/diffusers/build.json" ]]; then
  "$PY" tools/fixtures/make_diffusers_model.py --size full --out "$WORK/diffusers" --pydeps "$PYDEPS"
fi
export_variant() {  # dtype [extra options]
  local dtype=$1; shift
  if ! grep -q "\"dtype\": \"$dtype\"" "$WORK/artifact/catvton.json" 2>/dev/null; then
    "$PY" tools/export/export_catvton.py --pydeps "$PYDEPS" --device cpu --dtype "$dtype" \
      --base "$WORK/diffusers/base" --vae "$WORK/diffusers/vae" --attn "$WORK/diffusers/catvton" --weights mix \
      --width 384 --height 512 --check-size 384x512 --check-batches 1 --name fullsize-random-catvton \
      --out "$WORK/artifact" "$@"
  fi
}
export_variant float32
# The self-check runs the UNet at batch 1 only (each full-size forward takes minutes on 2 cores with
# torch 1.13). The bfloat16 variant skips the comparison with float32: random weights at this size are
# not expected to stay within the 10 % bound the tiny model already exceeds at 384x512
# (tools/fixtures/README.md); it is exported for timing.
export_variant bfloat16 --no-float32-comparison
"$PY" benchmarks/compare/fullsize_catvton.py inputs --out "$WORK/inputs"

# Measure with nothing else building: hold the Maven lock (LOCK) from here to the end. Build the jar
# that ./vton runs, then run a copy of it with ./vton's JVM flags, so that no rebuild lands in a timing.
exec 9>"${LOCK:-/tmp/mvn.lock}"
flock 9
./vton --version >/dev/null
rm -rf "$WORK/java" && mkdir -p "$WORK/java"
cp -r vton-examples/target/vton.jar vton-examples/target/lib "$WORK/java/"
cat >"$WORK/java/vton" <<EOF
#!/usr/bin/env bash
export MALLOC_MMAP_THRESHOLD_="\${MALLOC_MMAP_THRESHOLD_:-1048576}"
exec java -XX:+ExitOnOutOfMemoryError -XX:MaxRAMPercentage=50 \${JAVA_OPTS:-} -Dvton.home="$PWD" -Dai.djl.offline=true \\
  -Dai.djl.pytorch.graph_optimizer=false -jar "$(realpath "$WORK/java/vton.jar")" "\$@"
EOF
chmod +x "$WORK/java/vton"
in="$WORK/inputs"
log="$WORK/log"
mkdir -p "$log"
java_run() {  # round dtype
  uptime >"$log/java-$2-$1.load"
  /usr/bin/time -v -o "$log/java-$2-$1.time" "$WORK/java/vton" tryon --model "$WORK/artifact" \
    --dtype "$2" --person "$in/person.png" --mask "$in/mask.png" --upper "$in/garment.png" --cloth-type upper \
    --steps "$STEPS" --guidance 2.5 --eta 1.0 --seed 42 \
    --out "$WORK/java-$2.png" >"$log/java-$2-$1.out" 2>&1
  uptime >>"$log/java-$2-$1.load"
}
python_run() {  # round dtype
  uptime >"$log/python-$2-$1.load"
  LD_LIBRARY_PATH="${PY_BLAS_DIR:+$PY_BLAS_DIR:}${LD_LIBRARY_PATH:-}" /usr/bin/time -v -o "$log/python-$2-$1.time" "$PY" benchmarks/compare/fullsize_catvton.py run \
    --diffusers "$WORK/diffusers" --inputs "$in" --out "$WORK/python-$2.png" --dtype "$2" --steps "$STEPS" \
    --guidance 2.5 --eta 1.0 --seed 42 --threads "${THREADS:-$(nproc)}" --pydeps "$PYDEPS" >"$log/python-$2-$1.out" 2>"$log/python-$2-$1.err"
  uptime >>"$log/python-$2-$1.load"
}
for ((round = 1; round <= ROUNDS; round++)); do
  java_run "$round" float32
  python_run "$round" float32
  if [[ "$BFLOAT16" == 1 ]]; then java_run "$round" bfloat16; fi
done

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB," \
  "$(java -version 2>&1 | head -1), DJL 0.36.0 / libtorch 2.7.1 vs Python torch $("$PY" -c 'import torch; print(torch.__version__)')"
echo "model: diffusers UNet2DConditionModel (SD-1.5, in_channels 9) + AutoencoderKL (sd-vae-ft-mse), random weights;" \
  "384x512, $STEPS steps, guidance 2.5, eta 1, seed 42"
"$PY" - "$log" "$ROUNDS" "$WORK" "$BFLOAT16" <<'EOF'
import json, os, re, statistics, subprocess, sys
log, rounds, work, bf16 = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4] == "1"

def timefile(path):
    text = open(path).read()
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)) / 1024 / 1024
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (.+)", text).group(1).strip().split(":")
    seconds = sum(float(x) * 60 ** i for i, x in enumerate(reversed(wall)))
    return seconds, rss

rows = {}
for side, dtype in (("java", "float32"), ("python", "float32")) + ((("java", "bfloat16"),) if bf16 else ()):
    runs = []
    for r in range(1, rounds + 1):
        wall, rss = timefile(f"{log}/{side}-{dtype}-{r}.time")
        out = open(f"{log}/{side}-{dtype}-{r}.out").read()
        if side == "java":
            m = re.search(r"prepare (\d+) ms, encode (\d+) ms, denoise (\d+) ms .*decode (\d+) ms, total (\d+) ms", out)
            if not m:
                sys.exit(f"{side} {dtype} round {r} failed:\n{out[-2000:]}")
            tryon = int(m.group(5)) / 1000
            detail = f"encode {int(m.group(2)) / 1000:.1f} s, denoise {int(m.group(3)) / 1000:.1f} s, decode {int(m.group(4)) / 1000:.1f} s"
            load = wall - tryon
        else:
            j = json.loads(out.strip().splitlines()[-1])
            tryon, load = j["run_s"], j["load_s"]
            detail = f"imports {j['import_s']:.1f} s, {j['threads']} threads, BLAS {j.get('blas', '?')}"
        runs.append((tryon, load, wall, rss, detail))
        loads = [l.split("load average:")[-1].strip() for l in open(f"{log}/{side}-{dtype}-{r}.load")]
        print(f"  {side:6} {dtype:8} round {r}: try-on {tryon:.1f} s ({detail}); load {load:.1f} s; "
              f"process {wall:.1f} s; peak RSS {rss:.2f} GiB; load average before {loads[0]}, after {loads[-1]}")
    rows[(side, dtype)] = [statistics.median(x[i] for x in runs) for i in range(4)]

print(f"\n| side | try-on (median) | model load | process wall | peak RSS |")
print("| --- | --- | --- | --- | --- |")
for (side, dtype), (tryon, load, wall, rss) in rows.items():
    what = "Java vton tryon" if side == "java" else "CatVTON __call__ (Python)"
    print(f"| {what}, {dtype} | {tryon:.1f} s | {load:.1f} s | {wall:.1f} s | {rss:.2f} GiB |")
j, p = rows[("java", "float32")], rows[("python", "float32")]
print(f"\nratios Java/Python (float32): try-on {j[0] / p[0]:.2f} (target <= 1.0), peak RSS {j[3] / p[3]:.2f} (target <= 1.0), "
      f"load {j[1] / p[1]:.2f}")
cmp = subprocess.run([sys.executable, "benchmarks/compare/fullsize_catvton.py", "compare",
                      f"{work}/java-float32.png", f"{work}/python-float32.png"], capture_output=True, text=True)
print(f"parity float32, Java vs CatVTON: {cmp.stdout.strip()}")
if bf16:
    jb = rows[("java", "bfloat16")]
    print(f"Java bfloat16/Python float32: try-on {jb[0] / p[0]:.2f}, peak RSS {jb[3] / p[3]:.2f}")
    cmp = subprocess.run([sys.executable, "benchmarks/compare/fullsize_catvton.py", "compare",
                          f"{work}/java-bfloat16.png", f"{work}/java-float32.png"], capture_output=True, text=True)
    print(f"Java bfloat16 vs Java float32 (the bfloat16 tolerance at full size): {cmp.stdout.strip()}")
else:
    print("Java bfloat16: not run (BFLOAT16=0, or auto on a CPU without bfloat16 instructions)")
EOF
