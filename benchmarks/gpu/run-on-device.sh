#!/usr/bin/env bash
# The GPU run of issue 21 in one command, for a machine with Python + torch 2 + CUDA and nothing else
# (no diffusers, no Java, no network): builds random-weight CatVTON models from diffusers' own classes,
# exports them with tools/export/export_catvton.py under that torch, runs CatVTON's own __call__, the
# exported modules driven from Python, and the Java `vton tryon`, and writes every figure and image to $OUT.
#
# Prepare on any machine with the project's Python, a JDK 17, CatVTON's and DJL's sources, copy the
# checkout with carry/ to the GPU host, and run there (within 10 minutes):
#
#   CATVTON_SRC=/path/to/CatVTON DJL_GIT=/path/to/djl/.git benchmarks/gpu/prepare-carry.sh   # fills carry/
#   OUT=/path/to/results bash benchmarks/gpu/run-on-device.sh
#
# carry (git-ignored, ~30 MiB; with the ~12 MiB working tree about 42 MiB to copy):
#   benchmarks/gpu/carry/pydeps/       diffusers 0.29.2 + huggingface_hub 0.23.4 sources, pyenv.py    2 MiB
#   benchmarks/gpu/carry/catvton/      CatVTON's model/{pipeline,attn_processor,utils}.py, utils.py   0.1 MiB
#   benchmarks/gpu/carry/java.tar.xz   jlink'd JRE 17 + vton.jar + the 23 jars a try-on loads     28 MiB
#   benchmarks/gpu/carry/djl-jni/      DJL 0.36.0's JNI sources + generated header + jni.h (to compile
#                                      libdjl_torch.so against the device's libtorch)                0.3 MiB
#
#   benchmarks/gpu/run-on-device.sh --cpu-dry-run     # here: every step that needs no GPU, tiny sizes
#
# Steps, each under its own timeout inside BUDGET seconds (default 540), elapsed printed per step:
#   probe             GPU, driver, torch, CUDA, compilers, Java (figure "machine")
#   pydeps            diffusers importable from carry/pydeps (transformers shadowed by pyenv's stand-in)
#   tiny-build/export diffusers-tiny (tools/fixtures/make_diffusers_model.py), exported cpu-float32
#                     [+ cuda-float16/bfloat16/float32], 192x256
#   export-parity     the torch-2 cpu-float32 export against the committed torch-1.13 one (figure export_parity)
#   tiny-*            CatVTON __call__, Python-driven modules (new and committed export), Java; pairwise image_parity
#   jni-build         libdjl_torch.so compiled against the device's libtorch (when g++ is there)
#   java-*            `vton tryon` with DJL's 2.7.1 JNI and with the compiled one, against the device's libtorch
#   full-*            [GPU] SD-1.5-size random model (built in the background from the start), 768x1024,
#                     15 steps, guidance 2.5: bfloat16 first (export, modules from Python with UNet
#                     batching 1/2/4/8 and a CUDA out-of-memory then a healthy call, CatVTON __call__,
#                     Java), then float16 and float32 (with and without TF32) the same way
# Output ($OUT, at most 8 files of at most 16 MiB): figures.jsonl (one JSON object a line), log.txt (everything
# printed), images-tiny.tar and images-full.tar (the result PNGs, bfloat16 first, each tar <= 15 MiB),
# and catvton-*.json (the exported manifests).
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
DRY=0
if [[ "${1:-}" == --cpu-dry-run || "${VTON_GPU_DRY_RUN:-0}" == 1 ]]; then DRY=1; fi
CARRY=${CARRY:-benchmarks/gpu/carry}
if [[ -z "${OUT:-}" ]]; then OUT=$ROOT/target/gpu-out; fi
WORK=${WORK:-/tmp/vton-gpu}
BUDGET=${BUDGET:-540}
STEPS=${STEPS:-15}
RUNS=${RUNS:-3}
if [[ $DRY == 1 ]]; then
  PY=${PY:-/usr/bin/python3}; STEPS=${STEPS_DRY:-2}; RUNS=1; BUDGET=${BUDGET_DRY:-1800}
else
  PY=${PY:-python3}
fi
mkdir -p "$OUT" "$WORK/img" "$WORK/logs"
rm -f "$OUT/figures.jsonl"
FIG=$OUT/figures.jsonl
exec > >(tee -a "$OUT/log.txt") 2>&1
START=$(date +%s)
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1

PYDEPS=${PYDEPS:-$CARRY/pydeps}
[[ -f $PYDEPS/pyenv.py ]] || { echo "run-on-device: no $PYDEPS/pyenv.py: run prepare-carry.sh first, or set PYDEPS" >&2; exit 2; }
CATVTON_SRC=${CATVTON_SRC:-$ROOT/$CARRY/catvton}
export CATVTON_SRC PYDEPS PY WORK CARRY VTON_PYDEPS=$WORK/pydeps-site
BENCH=(benchmarks/gpu/gpu_bench.py)

# step NAME TIMEOUT CMD...: runs CMD under min(TIMEOUT, what is left of BUDGET); its JSON figure lines
# go to figures.jsonl, everything to the log; records {"figure":"step"} with rc and seconds.
step() {
  local name=$1 limit=$2; shift 2
  local left=$((BUDGET - ($(date +%s) - START) - 15))
  ((limit > left)) && limit=$left
  if ((limit < 5)); then
    echo "== $name: skipped, budget spent"
    echo "{\"figure\": \"step\", \"step\": \"$name\", \"skipped\": \"budget\"}" >>"$FIG"
    return 1
  fi
  echo "== $name (limit ${limit} s): $*"
  local t0 rc
  t0=$(date +%s.%N)
  # bash -c: shell functions (exported with export -f) run under timeout too
  timeout -k 5 "$limit" bash -c '"$@"' "$name" "$@" >"$WORK/logs/$name.txt" 2>&1
  rc=$?
  local secs
  secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  cat "$WORK/logs/$name.txt"
  grep -h '^{"figure"' "$WORK/logs/$name.txt" >>"$FIG" || true
  ((rc == 124)) && echo "== $name: TIMED OUT after $limit s"
  echo "== $name: rc $rc, $secs s"
  echo "{\"figure\": \"step\", \"step\": \"$name\", \"rc\": $rc, \"seconds\": $secs}" >>"$FIG"
  return $rc
}

pack() {  # $OUT gets at most 8 files of at most 16 MiB: the images go into two tars of <= 15 MiB each
  "$PY" - "$WORK/img" "$OUT" <<'EOF'
import os, sys, tarfile
src, out = sys.argv[1], sys.argv[2]
names = sorted(os.listdir(src), key=lambda n: ("bfloat16" not in n, n))  # bfloat16 first: the headline
for group in ("tiny", "full"):
    kept, size, left = [], 0, []
    for n in (n for n in names if f"-{group}-" in n):
        s = os.path.getsize(os.path.join(src, n))
        if size + s <= 15 * 2 ** 20:
            kept.append(n)
            size += s
        else:
            left.append(n)
    if kept:
        with tarfile.open(os.path.join(out, f"images-{group}.tar"), "w") as t:
            for n in kept:
                t.add(os.path.join(src, n), arcname=n)
    if left:
        print(f"images-{group}.tar: left out (size limit): {' '.join(left)}")
EOF
  for m in "$WORK"/*-art*/catvton.json; do
    [[ -f $m ]] && cp "$m" "$OUT/catvton-$(basename "$(dirname "$m")").json"
  done
  echo "== done in $(($(date +%s) - START)) s; $OUT: $(ls "$OUT" | tr '\n' ' ')"
}
trap pack EXIT

# ------------------------------------------------------------------------------------------ machine
step probe 60 "$PY" "${BENCH[@]}" probe
CUDA=0
if [[ $DRY == 0 ]] && "$PY" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)'; then CUDA=1; fi
echo "dry run: $DRY, CUDA: $CUDA, steps $STEPS, runs $RUNS, work $WORK"
TORCH_LIB=$("$PY" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')

# DJL's JNI compiled against this Python's libtorch, in the background while the Python steps run
# (the CPU compiles, the GPU runs); the Java steps wait for it.
rm -rf "$WORK/jni"
step jni-build 360 bash benchmarks/gpu/build-djl-jni.sh "$CARRY/djl-jni" "$PY" "$WORK/jni" &
JNI_BUILD=$!

# transformers is shadowed by pyenv's stand-in: diffusers 0.29.2 needs none of it here (the safety
# checker is skipped), and a transformers 5 would be imported by diffusers' pipelines package.
pydeps_setup() {
  "$PY" -c "import sys; sys.path.insert(0, '$PYDEPS'); import pyenv" || return 1
  mkdir -p "$WORK/shadow"
  ln -sfn "$VTON_PYDEPS/_stubs/transformers" "$WORK/shadow/transformers"
  PYTHONPATH="$WORK/shadow" "$PY" - "$PYDEPS" "$CATVTON_SRC" <<'EOF'
import json, sys
sys.path.insert(0, sys.argv[1]); import pyenv  # noqa
sys.path.insert(0, sys.argv[2])
import diffusers, huggingface_hub, torch
from diffusers import UNet2DConditionModel, AutoencoderKL  # noqa
import model.pipeline  # noqa: CatVTON's own module
print(json.dumps({"figure": "pydeps", "diffusers": diffusers.__version__, "huggingface_hub": huggingface_hub.__version__,
                  "diffusers_from": diffusers.__file__, "torch": torch.__version__}))
EOF
}
export -f pydeps_setup
step pydeps 120 pydeps_setup
export PYTHONPATH=$WORK/shadow

# The full-size random model (CPU work, ~3.8 GB) is built in the background while the tiny steps run.
if ((CUDA)); then
  export FULL=$WORK/full FULL_ART=$WORK/full-art
  step full-build 300 "$PY" tools/fixtures/make_diffusers_model.py --size full --out "$FULL" --pydeps "$PYDEPS" \
    --catvton-src "$CATVTON_SRC" &
  FULL_BUILD=$!
fi

# ------------------------------------------------------------------------------- diffusers-tiny
export TINY=$WORK/tiny TINY_ART=$WORK/tiny-art
step tiny-build 120 "$PY" tools/fixtures/make_diffusers_model.py --size tiny --out "$TINY" --pydeps "$PYDEPS" \
  --catvton-src "$CATVTON_SRC"
export_tiny() {  # device dtypes...
  local device=$1; shift
  "$PY" tools/export/export_catvton.py --pydeps "$PYDEPS" --device "$device" --dtype "$@" \
    --base "$TINY/base" --vae "$TINY/vae" --attn "$TINY/catvton" --weights mix --width 192 --height 256 \
    --check-size 128x192 --name diffusers-tiny-catvton --out "$TINY_ART"
}
export -f export_tiny
rm -rf "$TINY_ART"
step tiny-export-cpu 180 export_tiny cpu float32
((CUDA)) && step tiny-export-cuda 180 export_tiny cuda float16 bfloat16 float32
step export-parity 60 "$PY" "${BENCH[@]}" compare-exports --new "$TINY_ART" --old models/diffusers-tiny-catvton
if ((DRY == 0)); then
  # torch 2 with the torch-1.13 attention processor: separates the processor's effect from the torch version's
  step tiny-export-cpu-math 180 bash -c 'TINY_ART=$TINY_ART-math; export_tiny cpu float32 --attention math'
  step export-parity-math 60 "$PY" "${BENCH[@]}" compare-exports --new "$TINY_ART-math" --old models/diffusers-tiny-catvton
fi

step inputs 60 bash -c "'$PY' benchmarks/compare/fullsize_catvton.py inputs --width 192 --height 256 --out '$WORK/in-tiny' &&
  '$PY' benchmarks/compare/fullsize_catvton.py inputs --width 768 --height 1024 --out '$WORK/in-full'"

IMG=$WORK/img
# Timed runs after one warm-up: RUNS at full size; the tiny model's times mean nothing, one run there.
common=(--steps "$STEPS" --guidance 2.5 --eta 1.0 --seed 42)
RUNS_NOW=1
py_catvton() {  # model diffusers inputs device dtype [tf32]
  local tag="catvton-$1-$4-$5${6:+-tf32}"
  step "$tag" 240 "$PY" "${BENCH[@]}" catvton --label "$1" --diffusers "$2" --inputs "$3" --device "$4" \
    --dtype "$5" ${6:+--tf32} --pydeps "$PYDEPS" --out "$IMG/$tag.png" "${common[@]}" --runs "$RUNS_NOW"
}
py_modules() {  # model artifact inputs device dtype [extra...]
  local model=$1 art=$2 in=$3 device=$4 dtype=$5; shift 5
  local tag="modules-$model-$device-$dtype"
  [[ " $* " == *" --tf32 "* ]] && tag+=-tf32
  step "$tag" 240 "$PY" "${BENCH[@]}" modules --label "$model" --model "$art" --inputs "$in" --device "$device" \
    --dtype "$dtype" --out "$IMG/$tag.png" "${common[@]}" --runs "$RUNS_NOW" "$@"
}
parity() {  # a b what
  "$PY" "${BENCH[@]}" compare-images "$IMG/$1.png" "$IMG/$2.png" --what "$3" | tee -a "$FIG"
}

# item 4: the torch-2 export on the CPU against the committed torch-1.13 export and CatVTON's pipeline
py_catvton tiny "$TINY" "$WORK/in-tiny" cpu float32
py_modules tiny "$TINY_ART" "$WORK/in-tiny" cpu float32 --batches 1 2
py_modules tiny-committed models/diffusers-tiny-catvton "$WORK/in-tiny" cpu float32
parity modules-tiny-cpu-float32 modules-tiny-committed-cpu-float32 "tiny cpu-float32: this torch's export vs the committed torch-1.13 export (Python-driven)"
parity modules-tiny-cpu-float32 catvton-tiny-cpu-float32 "tiny cpu-float32: this torch's export (Python-driven) vs CatVTON __call__"
if ((CUDA)); then
  for dtype in float16 bfloat16 float32; do
    py_catvton tiny "$TINY" "$WORK/in-tiny" cuda "$dtype"
    py_modules tiny "$TINY_ART" "$WORK/in-tiny" cuda "$dtype"
    parity "modules-tiny-cuda-$dtype" "catvton-tiny-cuda-$dtype" "tiny cuda-$dtype: modules (Python-driven) vs CatVTON __call__"
  done
fi

# ------------------------------------------------------------------------------------------- Java
export JAVA_HOME_CARRIED=$WORK/java/jre
java_setup() {
  if [[ -f $CARRY/java.tar.xz ]]; then
    rm -rf "$WORK/java" && mkdir -p "$WORK/java" || return 1
    # Python's tarfile: the device may have no xz
    "$PY" -c "import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])" "$CARRY/java.tar.xz" "$WORK/java" || return 1
    "$JAVA_HOME_CARRIED/bin/java" -version 2>&1 | head -1
    echo "{\"figure\": \"java\", \"runtime\": \"carried jlink JRE\", \"jars\": $(wc -l <"$WORK/java/jars.txt"), \"modules\": \"$(sed 's/^java modules: //' "$WORK/java/modules.txt")\"}"
  else
    echo "no $CARRY/java.tar.xz: run benchmarks/gpu/prepare-carry.sh first" >&2
    return 1
  fi
}
export -f java_setup
step java-setup 60 java_setup
JAVA_OK=$?

# libtorch for DJL's own 2.7.1 JNI: the device's (torch/lib of this Python). In the dry run, DJL's CPU
# libtorch 2.7.1 as its native jar unpacks it (DJL_LIBTORCH), without the JNI DJL keeps beside it, since
# Debian's torch 1.13 is not what that JNI is built for. The compiled JNI uses the libtorch it was built
# against (build-djl-jni.sh writes it to libtorch_dir).
if ((DRY)); then
  src=${DJL_LIBTORCH:-$(ls -d "$HOME"/.djl.ai/pytorch/2.7.1-*cpu-linux-x86_64 2>/dev/null | head -1)}
  [[ -n $src && -d $src ]] || { echo "run-on-device: no DJL CPU libtorch 2.7.1 (run ./vton once, or set DJL_LIBTORCH)" >&2; exit 2; }
  LIBTORCH_DJL=$WORK/libtorch-2.7.1-cpu
  rm -rf "$LIBTORCH_DJL" && mkdir -p "$LIBTORCH_DJL"
  for f in "$src"/*; do [[ $f == *djl_torch* ]] || ln -s "$f" "$LIBTORCH_DJL/"; done
else
  LIBTORCH_DJL=$TORCH_LIB
fi
FLAVOR=$( ((CUDA)) && echo cu128 || echo cpu)
# DJL counts GPUs through JNA's Native.load("cudart"), which finds only a plain libcudart.so: the pip
# CUDA runtime (nvidia/*/lib/libcudart.so.N) gets one by a link in a folder given as jna.library.path.
JNA_PATH=$WORK/cudart
if ((CUDA)); then
  mkdir -p "$JNA_PATH"
  cudart=$("$PY" - <<'EOF'
import glob, os, site, torch
roots = site.getsitepackages() + [os.path.dirname(os.path.dirname(torch.__file__)), "/usr/local/cuda"]
found = sorted(p for r in roots for p in glob.glob(os.path.join(r, "nvidia", "**", "libcudart.so*"), recursive=True)
               + glob.glob(os.path.join(r, "lib64", "libcudart.so*")))
print(found[-1] if found else "")
EOF
)
  echo "cudart for DJL's GPU count: ${cudart:-none found}"
  [[ -n $cudart ]] && ln -sfn "$cudart" "$JNA_PATH/libcudart.so"
fi

# DJL finds its JNI in DJL_CACHE_DIR/pytorch/2.7.1-<flavor>-linux-x86_64/0.36.0-libdjl_torch.so (it
# extracts its own there from pytorch-jni's jar; the compiled one is put there first).
java_tryon() {  # jni(djl|built) model artifact inputs device dtype [extra vton options...]
  local jni=$1 model=$2 art=$3 in=$4 device=$5 dtype=$6; shift 6
  local tag="java-$jni-$model-$device-$dtype"
  [[ " $* " == *" --tf32 "* ]] && tag+=-tf32
  local cache=$WORK/djl-cache-$jni libtorch=$LIBTORCH_DJL
  if [[ $jni == built ]]; then
    [[ -f $WORK/jni/libdjl_torch.so ]] || { echo "== $tag: no compiled JNI"; return 1; }
    libtorch=$(cat "$WORK/jni/libtorch_dir")
    mkdir -p "$cache/pytorch/2.7.1-$FLAVOR-linux-x86_64"
    cp "$WORK/jni/libdjl_torch.so" "$cache/pytorch/2.7.1-$FLAVOR-linux-x86_64/0.36.0-libdjl_torch.so"
  fi
  local vdev=cpu; [[ $device == cuda ]] && vdev=gpu
  step "$tag" 300 env DJL_CACHE_DIR="$cache" PYTORCH_LIBRARY_PATH="$libtorch" PYTORCH_VERSION=2.7.1 \
    PYTORCH_FLAVOR="$FLAVOR" "$JAVA_HOME_CARRIED/bin/java" -XX:+ExitOnOutOfMemoryError -Dai.djl.offline=true \
    -Dai.djl.pytorch.graph_optimizer=false -Djna.library.path="$JNA_PATH" -jar "$WORK/java/app/vton.jar" tryon --model "$art" \
    --device "$vdev" --dtype "$dtype" --person "$in/person.png" --mask "$in/mask.png" --upper "$in/garment.png" \
    --cloth-type upper --steps "$STEPS" --guidance 2.5 --eta 1.0 --seed 42 --runs $((RUNS_NOW + 1)) \
    --out "$IMG/$tag.png" "$@"
  local rc=$?
  "$PY" "${BENCH[@]}" java-figure "$WORK/logs/$tag.txt" --model "$model" --variant "$device-$dtype${*:+ $*}" \
    | tee -a "$FIG"
  return $rc
}

echo "== waiting for jni-build"
wait "$JNI_BUILD"

if ((JAVA_OK == 0)); then
  for jni in djl built; do
    java_tryon "$jni" tiny "$TINY_ART" "$WORK/in-tiny" cpu float32 &&
      parity "java-$jni-tiny-cpu-float32" modules-tiny-cpu-float32 "tiny cpu-float32: Java ($jni JNI) vs Python-driven modules"
    parity "java-$jni-tiny-cpu-float32" catvton-tiny-cpu-float32 "tiny cpu-float32: Java ($jni JNI) vs CatVTON __call__"
    if ((CUDA)); then
      for dtype in float16 bfloat16 float32; do
        java_tryon "$jni" tiny "$TINY_ART" "$WORK/in-tiny" cuda "$dtype" &&
          parity "java-$jni-tiny-cuda-$dtype" "catvton-tiny-cuda-$dtype" "tiny cuda-$dtype: Java ($jni JNI) vs CatVTON __call__"
      done
    fi
  done
fi

# ------------------------------------------------------------------------------ full size (GPU)
if ((CUDA)); then
  RUNS_NOW=$RUNS
  echo "== waiting for full-build"
  wait "$FULL_BUILD"
  # One exporter run per step, bfloat16 (the headline) first: each run writes catvton.json, keeping the
  # variants already there, so what is exported before the budget ends is usable. Self-checked at the
  # traced size only (the runs use no other), UNet batch 1.
  export_full() {  # dtypes...
    "$PY" tools/export/export_catvton.py --pydeps "$PYDEPS" --device cuda --dtype "$@" --base "$FULL/base" \
      --vae "$FULL/vae" --attn "$FULL/catvton" --weights mix --width 768 --height 1024 --check-size 768x1024 \
      --check-batches 1 --no-float32-comparison --name fullsize-random-catvton --out "$FULL_ART"
  }
  export -f export_full
  step full-export-cuda-bfloat16 300 export_full bfloat16
  py_modules full "$FULL_ART" "$WORK/in-full" cuda bfloat16 --batches 1 2 4 8 --oom
  py_catvton full "$FULL" "$WORK/in-full" cuda bfloat16
  parity modules-full-cuda-bfloat16 catvton-full-cuda-bfloat16 "full cuda-bfloat16: modules (Python-driven) vs CatVTON __call__"
  ((JAVA_OK == 0)) && for jni in built djl; do
    java_tryon "$jni" full "$FULL_ART" "$WORK/in-full" cuda bfloat16 &&
      parity "java-$jni-full-cuda-bfloat16" catvton-full-cuda-bfloat16 "full cuda-bfloat16: Java ($jni JNI) vs CatVTON __call__" &&
      break
  done
  step full-export-cuda-float16-float32 300 export_full float16 float32
  for dtype in float16 float32; do
    py_modules full "$FULL_ART" "$WORK/in-full" cuda "$dtype"
    py_catvton full "$FULL" "$WORK/in-full" cuda "$dtype"
    parity "modules-full-cuda-$dtype" "catvton-full-cuda-$dtype" "full cuda-$dtype: modules (Python-driven) vs CatVTON __call__"
  done
  py_modules full "$FULL_ART" "$WORK/in-full" cuda float32 --tf32
  py_catvton full "$FULL" "$WORK/in-full" cuda float32 tf32
  if ((JAVA_OK == 0)); then
    for jni in built djl; do
      [[ -f $IMG/java-$jni-full-cuda-bfloat16.png ]] || continue
      for dtype in float16 float32; do
        java_tryon "$jni" full "$FULL_ART" "$WORK/in-full" cuda "$dtype" &&
          parity "java-$jni-full-cuda-$dtype" "catvton-full-cuda-$dtype" "full cuda-$dtype: Java ($jni JNI) vs CatVTON __call__"
      done
      java_tryon "$jni" full "$FULL_ART" "$WORK/in-full" cuda float32 --tf32
      break
    done
  fi
  "$PY" benchmarks/gpu/flops.py --peak 989 | sed 's/^/flops: /'
fi
