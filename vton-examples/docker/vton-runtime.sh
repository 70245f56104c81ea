# Native runtime settings for the vton JVM, sourced (not run) by ./vton and the container's serve
# script just before they exec java. Measured in BENCHMARKS.md "CPU runtime".
#
# Allocator. glibc's malloc gives libtorch's large, short-lived tensors back to the kernel and takes
# them again at every module call, so a try-on spends much of its time in page faults; jemalloc and
# tcmalloc keep them (PyTorch's CPU performance guide preloads one of the two). VTON_MALLOC chooses:
#   auto (default)  jemalloc if installed (Debian/Ubuntu: libjemalloc2), else tcmalloc
#                   (libtcmalloc-minimal4), else glibc
#   jemalloc, tcmalloc  that library, else glibc
#   glibc           no preload
#   /path/lib.so    that library
# jemalloc runs with purging off (MALLOC_CONF=dirty_decay_ms:-1,muzzy_decay_ms:-1 unless MALLOC_CONF
# is set): freed memory is kept for the next module call instead of being returned and faulted in
# again. That was the fastest and the smallest peak at full size (with its default decay, and for
# tensors over 8 MiB its immediate purge, it was as slow as glibc), at the price that the process
# keeps its peak resident size while idle. With glibc, a fixed mmap threshold keeps peak memory down
# (freed tensors go back to the system instead of fragmenting malloc's heaps), at some speed.
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
    preloaded | glibc) ;;
    auto) lib=$(vton_find_library libjemalloc.so.2 libtcmalloc_minimal.so.4 libtcmalloc.so.4) || lib="" ;;
    jemalloc) lib=$(vton_find_library libjemalloc.so.2) || lib="" ;;
    tcmalloc) lib=$(vton_find_library libtcmalloc_minimal.so.4 libtcmalloc.so.4) || lib="" ;;
    /*) [[ -r "$choice" ]] && lib="$choice" ;;
    *) echo "vton: VTON_MALLOC must be auto, jemalloc, tcmalloc, glibc or a library path, got '$choice'" >&2
       return 2 ;;
  esac
  if [[ -n "$lib" ]]; then
    export LD_PRELOAD="$lib${LD_PRELOAD:+:$LD_PRELOAD}"
    if [[ "$lib" == *jemalloc* ]]; then
      export MALLOC_CONF="${MALLOC_CONF:-dirty_decay_ms:-1,muzzy_decay_ms:-1}"
    fi
  elif [[ "$choice" != preloaded ]]; then
    export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-1048576}"
  fi
  export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
}
