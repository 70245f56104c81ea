#!/usr/bin/env bash
# Fills benchmarks/gpu/carry/ (git-ignored) with what run-on-device.sh needs on a machine that has only
# Python and torch: the device run carries this one folder (the `run` tool's `carry`), at most 64 MiB
# together with the working tree.
#
#   CATVTON_SRC=/path/to/CatVTON DJL_GIT=/path/to/djl.git benchmarks/gpu/prepare-carry.sh
#   (CATVTON_GIT=/path/to/CatVTON.git instead of CATVTON_SRC; DJL_GIT: a clone of deepjavalibrary/djl with tag v0.36.0)
#
#   carry/pydeps/        diffusers 0.29.2 and huggingface_hub 0.23.4 sources + pyenv.py (from PYDEPS,
#                        required: a folder of those sources with pyenv.py)                   ~2 MiB
#   carry/catvton/       CatVTON's model/{pipeline,attn_processor,utils}.py, utils.py, LICENSE  <0.1 MiB
#                        (CC BY-NC-SA 4.0: carried, never committed)
#   carry/java.tar.xz    jre/: a jlink'd Java 17 runtime with the modules jdeps finds in the jars, libjvm
#                        stripped; app/: vton.jar and the jars `vton tryon` loads (found by running it
#                        with -verbose:class on the toy model) plus DJL's pytorch-jni (its
#                        libdjl_torch.so for cpu and cu128, built for libtorch 2.7.1). Not
#                        pytorch-native-cpu (111 MB): on the device DJL uses Python's torch/lib.  ~28 MiB
#   carry/djl-jni/       DJL v0.36.0's JNI sources (engines/pytorch/pytorch-native/src/main/native,
#                        api/src/main/native/djl/utils.h, Apache-2.0), the header `javac -h` makes from
#                        PyTorchLibrary.java, this JDK's jni.h: what build-djl-jni.sh compiles   ~0.4 MiB
#
# Builds vton-examples/target/vton.jar first when it is missing (with ./mvnw).
# Prints each part's size and the total that would travel.
set -euo pipefail
cd "$(dirname "$0")/../.."
CARRY=benchmarks/gpu/carry
PYDEPS=${PYDEPS:?set PYDEPS to a folder of diffusers 0.29.2 and huggingface_hub sources with pyenv.py}
MODULES_EXTRA=jdk.crypto.ec   # loaded by `vton tryon` (security providers), not named by jdeps
mkdir -p "$CARRY"

# --- diffusers sources
rm -rf "$CARRY/pydeps" && mkdir -p "$CARRY/pydeps"
cp "$PYDEPS"/pyenv.py "$PYDEPS"/*-src.tar.gz "$CARRY/pydeps/"

# --- CatVTON's source: the files tools/fixtures and benchmarks/gpu import
rm -rf "$CARRY/catvton" && mkdir -p "$CARRY/catvton/model"
files=(model/pipeline.py model/attn_processor.py model/utils.py utils.py LICENSE)
if [[ -n "${CATVTON_SRC:-}" ]]; then
  for f in "${files[@]}"; do cp "$CATVTON_SRC/$f" "$CARRY/catvton/$f"; done
elif [[ -n "${CATVTON_GIT:-}" ]]; then
  for f in "${files[@]}"; do git --git-dir="$CATVTON_GIT" show "HEAD:$f" >"$CARRY/catvton/$f"; done
else
  echo "set CATVTON_SRC to a checkout of https://github.com/Zheng-Chong/CatVTON (or CATVTON_GIT to its .git)" >&2
  exit 2
fi

# --- DJL's JNI sources at the version the jars are (0.36.0), for build-djl-jni.sh
: "${DJL_GIT:?set DJL_GIT to a clone of https://github.com/deepjavalibrary/djl (its .git folder) with tag v0.36.0}"
rm -rf "$CARRY/djl-jni" && mkdir -p "$CARRY/djl-jni"/{native,include,jni,utils/djl}
djl=$(mktemp -d)
git --git-dir="$DJL_GIT" archive v0.36.0 engines/pytorch/pytorch-native/src/main/native api/src/main/native/djl \
  engines/pytorch/pytorch-engine/src/main/java/ai/djl/pytorch/jni LICENSE | tar -x -C "$djl"
cp "$djl"/engines/pytorch/pytorch-native/src/main/native/* "$CARRY/djl-jni/native/"
cp "$djl"/api/src/main/native/djl/utils.h "$CARRY/djl-jni/utils/djl/"
cp "$djl"/LICENSE "$CARRY/djl-jni/"
jdk_include=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")/include
cp -r "$jdk_include/jni.h" "$jdk_include/linux" "$CARRY/djl-jni/jni/"

# --- Java: the jar, the jars a try-on loads, a jlink'd runtime
jar=vton-examples/target/vton.jar
if [[ ! -f "$jar" ]]; then
  ./mvnw -B -q -pl vton-examples -am package -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true
fi
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
java -verbose:class -Dai.djl.offline=true -Dai.djl.pytorch.graph_optimizer=false -jar "$jar" tryon \
  --model models/toy-catvton --steps 2 --out "$stage/toy.png" >"$stage/classes.txt" 2>&1
mkdir -p "$stage/java/app/lib"
cp "$jar" "$stage/java/app/"
{ grep -o 'source: file:[^ ]*\.jar' "$stage/classes.txt" | sed 's/^source: file://' | grep '/lib/'
  ls vton-examples/target/lib/pytorch-jni-*.jar; } | sort -u | while read -r j; do
  cp "$j" "$stage/java/app/lib/"
done
lib=vton-examples/target/lib
mkdir -p "$djl/classes"
javac -h "$CARRY/djl-jni/include" -d "$djl/classes" \
  -cp "$lib/api-0.36.0.jar:$lib/pytorch-engine-0.36.0.jar:$lib/slf4j-api-2.0.17.jar:$lib/gson-2.13.1.jar" \
  "$djl/engines/pytorch/pytorch-engine/src/main/java/ai/djl/pytorch/jni/PyTorchLibrary.java"
rm -rf "$djl"
modules=$(jdeps --ignore-missing-deps --print-module-deps --multi-release 17 -q "$jar" "$stage"/java/app/lib/*.jar)
jlink --add-modules "$modules,$MODULES_EXTRA" --strip-debug --no-header-files --no-man-pages \
  --compress=0 --output "$stage/java/jre"
strip --strip-unneeded "$stage/java/jre/lib/server/libjvm.so"
"$stage/java/jre/bin/java" -version 2>&1 | head -1
echo "java modules: $modules,$MODULES_EXTRA" | tee "$stage/java/modules.txt"
ls "$stage/java/app/lib" >"$stage/java/jars.txt"
tar -C "$stage/java" -cJf "$CARRY/java.tar.xz" jre app modules.txt jars.txt

tree=$(git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)
untracked=$(git ls-files -z --others --exclude-standard | xargs -0 -r du -cb 2>/dev/null | tail -1 | cut -f1)
carry=$(du -sb "$CARRY" | cut -f1)
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
echo "carry: djl-jni $(mib "$(du -sb "$CARRY/djl-jni" | cut -f1)"), pydeps $(mib "$(du -sb "$CARRY/pydeps" | cut -f1)"), catvton $(mib "$(du -sb "$CARRY/catvton" | cut -f1)"), java.tar.xz $(mib "$(stat -c %s "$CARRY/java.tar.xz")") ($(wc -l <"$stage/java/jars.txt") jars)"
echo "travels: working tree $(mib "$tree") + untracked $(mib "${untracked:-0}") + carry $(mib "$carry") = $(mib $((tree + ${untracked:-0} + carry))) (limit 64 MiB)"
