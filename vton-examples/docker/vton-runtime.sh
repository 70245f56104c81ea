# Native runtime settings for the vton JVM, sourced (not run) by ./vton and the container's serve
# script just before they exec java. Measured in BENCHMARKS.md "CPU runtime".
#
# Allocator. glibc's malloc gives libtorch's large, short-lived tensors back to the kernel and takes
# them again at every module call, so a try-on spends much of its time in page faults; tcmalloc keeps
# them (PyTorch's CPU performance guide preloads it too). VTON_MALLOC chooses:
#   auto (default)  tcmalloc if installed (Debian/Ubuntu: libtcmalloc-minimal4), else glibc
#   tcmalloc, jemalloc  that library, else glibc with a warning
#   glibc           no preload
#   /path/lib.so    that library
# With glibc, a fixed mmap threshold keeps peak memory down (freed tensors go back to the system
# instead of fragmenting malloc's heaps: full size 8.4 instead of 11.6 GiB), at some speed.
# A malloc already in LD_PRELOAD is left alone. Silent: the JVM reads its own memory map and says
# which allocator it got (vton tryon's summary, serve's and worker's first log line).
#
# OpenMP. libtorch's worker threads spin while they wait for each other; beside other busy processes a
# spinning thread holds a core that another one needs. OMP_WAIT_POLICY=PASSIVE unless set.

vton_find_library() {  # name...: the first libNAME found in the usual library folders
  local name dir
  for name in "$@"; do
    for dir in "/usr/lib/$(uname -m)-linux-gnu" /usr/lib64 /usr/lib /usr/local/lib; do
      if [[ -r "$dir/$name" ]]; then
        echo "$dir/$name"
        return 0
      fi
    done
  done
  return 1
}

vton_runtime() {
  local choice="${VTON_MALLOC:-auto}" lib=""
  if [[ "$(uname -s)" != Linux ]]; then
    return 0
  fi
  if [[ "${LD_PRELOAD:-}" == *malloc* ]]; then
    choice=preloaded
  fi
  case "$choice" in
    preloaded) ;;
    auto | tcmalloc) lib=$(vton_find_library libtcmalloc_minimal.so.4 libtcmalloc.so.4) || lib="" ;;
    jemalloc) lib=$(vton_find_library libjemalloc.so.2) || lib="" ;;
    glibc) ;;
    /*) [[ -r "$choice" ]] && lib="$choice" ;;
    *) echo "vton: VTON_MALLOC must be auto, tcmalloc, jemalloc, glibc or a library path, got '$choice'" >&2
       return 2 ;;
  esac
  if [[ -n "$lib" ]]; then
    export LD_PRELOAD="$lib${LD_PRELOAD:+:$LD_PRELOAD}"
  elif [[ "$choice" != preloaded ]]; then
    export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-1048576}"
  fi
  export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
}
