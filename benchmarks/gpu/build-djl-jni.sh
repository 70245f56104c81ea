#!/usr/bin/env bash
# Compiles DJL 0.36.0's PyTorch JNI (libdjl_torch.so) against the libtorch of a Python's torch, for a
# machine whose libtorch is not the 2.7.1 DJL's own JNI is built for (the GPU machine: torch 2.11).
#
#   benchmarks/gpu/build-djl-jni.sh SRC PYTHON OUTDIR
#
# SRC (benchmarks/gpu/prepare-carry.sh writes it as carry/djl-jni): DJL v0.36.0's
# engines/pytorch/pytorch-native/src/main/native, api/src/main/native/djl/utils.h, the JNI header that
# `javac -h` makes from PyTorchLibrary.java (include/), and the JDK's jni.h (jni/). Compiles each source
# with g++ -O2 -std=c++17 in parallel, as DJL's CMakeLists.txt does (no cmake needed): the torch headers
# of PYTHON's torch (torch.utils.cpp_extension.include_paths), its C++ ABI flag, V1_13_X on torch 1.13
# (as DJL's build.sh), USE_CUDA with the CUDA headers when that torch has CUDA. Links against that
# torch's lib folder with rpath $ORIGIN. Writes OUTDIR/libdjl_torch.so and OUTDIR/libtorch_dir (the
# folder to give DJL as PYTORCH_LIBRARY_PATH).
set -euo pipefail
SRC=$(realpath "$1"); PY=$2; OUTDIR=$3
mkdir -p "$OUTDIR"; OUTDIR=$(realpath "$OUTDIR")
command -v g++ >/dev/null || { echo "no g++ on this machine" >&2; exit 3; }
eval "$("$PY" - <<'EOF'
import glob, os, torch
from torch.utils import cpp_extension as c
lib = c.library_paths()[0]
cuda = bool(torch.version.cuda) and os.path.exists(os.path.join(lib, "libtorch_cuda.so"))
incs = list(c.include_paths())
if cuda:
    import site
    roots = site.getsitepackages() + [os.path.dirname(os.path.dirname(torch.__file__))]
    incs += sorted({d for r in roots for d in glob.glob(os.path.join(r, "nvidia", "*", "include"))})
    incs += [d for d in ("/usr/local/cuda/include",) if os.path.isdir(d)]
print(f"TORCH_LIB={lib}")
print(f"TORCH_VERSION={torch.__version__.split('+')[0]}")
print(f"ABI={int(torch._C._GLIBCXX_USE_CXX11_ABI)}")
print(f"CUDA={int(cuda)}")
print("INCLUDES='" + " ".join("-I" + i for i in incs) + "'")
EOF
)"
defs=(-D_GLIBCXX_USE_CXX11_ABI="$ABI")
libs=(-ltorch -ltorch_cpu -lc10)
if [[ $TORCH_VERSION == 1.13.* || $TORCH_VERSION == 2.0.* || $TORCH_VERSION == 2.1.* ]]; then defs+=(-DV1_13_X); fi
if ((CUDA)); then defs+=(-DUSE_CUDA); libs+=(-ltorch_cuda -lc10_cuda); fi
echo "torch $TORCH_VERSION, lib $TORCH_LIB, cxx11 abi $ABI, cuda $CUDA, $(g++ --version | head -1)"
build=$OUTDIR/obj
mkdir -p "$build"
export SRC build INCLUDES
export DEFS="${defs[*]}"
ls "$SRC"/native/*.cc | xargs -P "$(nproc)" -I{} sh -c \
  'g++ -O2 -fPIC -std=c++17 -w $DEFS $INCLUDES -I"$SRC/include" -I"$SRC/jni" -I"$SRC/jni/linux" -I"$SRC/utils" \
     -c "{}" -o "$build/$(basename "{}" .cc).o" || { echo "FAILED: {}" >&2; exit 255; }'
g++ -shared -o "$OUTDIR/libdjl_torch.so" "$build"/*.o -L"$TORCH_LIB" "${libs[@]}" -Wl,-rpath,'$ORIGIN'
echo "$TORCH_LIB" >"$OUTDIR/libtorch_dir"
rm -rf "$build"
echo "built $OUTDIR/libdjl_torch.so ($(stat -c %s "$OUTDIR/libdjl_torch.so") bytes) against torch $TORCH_VERSION"
