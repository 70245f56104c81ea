#!/usr/bin/python3
"""CPU runtime settings side by side: allocator, OpenMP waiting and threads, warm-up.

    benchmarks/compare/cpu_runtime.sh            # ROUNDS=3 STEPS=30 MODEL=mini; SECTIONS="allocators load embedded warmup"

Every figure is a median over ROUNDS interleaved rounds, measured in one session:

- allocators: one whole `vton tryon` process (Java, the packaged jar with ./vton's JVM flags for a one-shot
  command, 768x1024, STEPS steps, guidance 2.5, eta 1, seed 42, default threads) per allocator: glibc's defaults, glibc with the 1 MiB mmap threshold,
  tcmalloc, jemalloc with its defaults and with decay off; and the Python reference
  (tools/reference/reference_pipeline.py on the same artifact and prepared images, plain python3) with
  glibc, jemalloc and tcmalloc. Wall time, try-on time, peak RSS; Java's outputs must be bit-identical.
- load: Java as the launchers run it (vton-runtime.sh: jemalloc with purging off,
  OMP_WAIT_POLICY=PASSIVE) against the Python reference as users run it (plain python3), alone and
  beside one busy core (a shell loop), plus Java with OpenMP's default (active) waiting and with one
  thread.
- embedded: EmbeddedLoop, 100 toy-model runs in one JVM (15 steps) with the launchers' allocator:
  active waiting, passive waiting, one thread; alone and beside the busy core. Median, p99, p99/median.
- warmup: `vton tryon --runs 5` on the toy and mini models: the cold first run against the warm median.
- dtype: the same whole process as shipped with --dtype float32 and bfloat16, and how far apart the
  two images are (what --dtype auto weighs on this CPU).

Prints the machine, each section's table and the ratios the targets name. Needs Debian's
python3-torch and python3-pil, libtcmalloc-minimal4 and libjemalloc2 (the .sh installs them).
"""
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
WORK = os.environ.get("WORK", os.path.join(REPO, "benchmarks", "target", "cpu-runtime"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))
STEPS = int(os.environ.get("STEPS", "30"))
MODEL = os.environ.get("MODEL", "mini")
SECTIONS = os.environ.get("SECTIONS", "allocators load embedded warmup dtype").split()
PY = "/usr/bin/python3"
LIBDIRS = (f"/usr/lib/{platform.machine()}-linux-gnu", "/usr/lib64", "/usr/lib")


def library(name):
    for d in LIBDIRS:
        if os.path.exists(os.path.join(d, name)):
            return os.path.join(d, name)
    sys.exit(f"{name} not found; install it (cpu_runtime.sh does)")


TCMALLOC = library("libtcmalloc_minimal.so.4")
JEMALLOC = library("libjemalloc.so.2")
JAVA_FLAGS = ["-XX:+ExitOnOutOfMemoryError", "-XX:MaxRAMPercentage=50", "-Dai.djl.offline=true",
              "-Dai.djl.pytorch.graph_optimizer=false"]
# ./vton runs one-shot commands (tryon without --runs, preprocess) without the optimising JIT compiler
ONE_SHOT_FLAGS = ["-XX:TieredStopAtLevel=1"]


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("LD_PRELOAD", "MALLOC_MMAP_THRESHOLD_", "MALLOC_CONF", "OMP_WAIT_POLICY", "OMP_NUM_THREADS",
                        "VTON_MALLOC", "VTON_THREADS")}
    env.update(extra)
    return env


def timed(cmd, env, log):
    """Runs a command under /usr/bin/time; returns (wall s, peak RSS MiB, output)."""
    tfile = log + ".time"
    with open(log, "w") as out:
        rc = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", tfile] + cmd, env=env, cwd=REPO, stdout=out,
                            stderr=subprocess.STDOUT).returncode
    text = open(log).read()
    if rc != 0:
        sys.exit(f"failed ({rc}): {' '.join(cmd)}\n{text[-3000:]}")
    wall, rss = open(tfile).read().split()[-2:]
    return float(wall), int(rss) / 1024, text


def java_tryon(name, env, out_png, dtype="float32"):
    cmd = ["java"] + JAVA_FLAGS + ONE_SHOT_FLAGS + ["-jar", os.path.join(WORK, "java", "vton.jar"), "tryon", "--model",
                                                    f"models/{MODEL}-catvton", "--dtype", dtype, "--steps", str(STEPS),
                                   "--person", f"{WORK}/prepared/person.png", "--mask", f"{WORK}/prepared/mask.png",
                                   "--upper", f"{WORK}/prepared/garment.png", "--cloth-type", "upper", "--out", out_png]
    wall, rss, text = timed(cmd, env, f"{WORK}/log/{name}.log")
    m = re.search(r"total (\d+) ms", text)
    return wall, rss, int(m.group(1)) / 1000


def python_tryon(name, env, out_png):
    cmd = [PY, "tools/reference/reference_pipeline.py", "run", "--model", f"models/{MODEL}-catvton",
           "--person", f"{WORK}/prepared/person.png", "--mask", f"{WORK}/prepared/mask.png",
           "--garment", f"{WORK}/prepared/garment.png", "--out", out_png, "--steps", str(STEPS)]
    wall, rss, text = timed(cmd, env, f"{WORK}/log/{name}.log")
    m = re.search(r"total (\d+) ms", text)
    return wall, rss, int(m.group(1)) / 1000


def shipped_env():
    """The environment the launchers give the JVM (vton-runtime.sh), from a clean one."""
    script = f"source {REPO}/vton-examples/docker/vton-runtime.sh; vton_runtime >&2; env -0"
    raw = subprocess.run(["bash", "-c", script], env=clean_env(), capture_output=True, check=True).stdout
    return dict(item.split("=", 1) for item in raw.decode().split("\0") if "=" in item)


class Hog:
    """One busy core: a shell loop, as a neighbour process would be."""

    def __enter__(self):
        self.p = subprocess.Popen(["sh", "-c", "while :; do :; done"])
        return self

    def __exit__(self, *a):
        self.p.kill()
        self.p.wait()


def same_pixels(a, b):
    from PIL import Image
    import numpy as np
    x = np.asarray(Image.open(a)).astype(int)
    y = np.asarray(Image.open(b)).astype(int)
    d = abs(x - y)
    return int(d.max()), float(d.mean())


def med(values):
    return statistics.median(values)


def section_allocators():
    runs = {
        "Java, glibc defaults": ("java", clean_env()),
        "Java, glibc, MALLOC_MMAP_THRESHOLD_=1 MiB": ("java", clean_env(MALLOC_MMAP_THRESHOLD_="1048576")),
        "Java, tcmalloc": ("java", clean_env(LD_PRELOAD=TCMALLOC)),
        "Java, jemalloc defaults": ("java", clean_env(LD_PRELOAD=JEMALLOC)),
        "Java, jemalloc, decay off": ("java", clean_env(LD_PRELOAD=JEMALLOC,
                                                        MALLOC_CONF="dirty_decay_ms:-1,muzzy_decay_ms:-1")),
        "Python reference, glibc (plain python3)": ("python", clean_env()),
        "Python reference, jemalloc, decay off": ("python", clean_env(LD_PRELOAD=JEMALLOC,
                                                                     MALLOC_CONF="dirty_decay_ms:-1,muzzy_decay_ms:-1")),
        "Python reference, tcmalloc": ("python", clean_env(LD_PRELOAD=TCMALLOC)),
    }
    results = {name: [] for name in runs}
    for r in range(ROUNDS):
        for i, (name, (side, env)) in enumerate(runs.items()):
            out = f"{WORK}/out/alloc-{i}.png"
            results[name].append((java_tryon if side == "java" else python_tryon)(f"alloc-{i}-{r}", env, out))
    base = med([x[0] for x in results["Python reference, glibc (plain python3)"]])
    print(f"\n## Allocators: {MODEL}, 768x1024, {STEPS} steps, guidance 2.5, default threads; medians of {ROUNDS}\n")
    print("| process | wall s | try-on s | peak RSS MiB | wall / Python plain |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, xs in results.items():
        wall = med([x[0] for x in xs])
        print(f"| {name} | {wall:.2f} | {med([x[2] for x in xs]):.2f} | {med([x[1] for x in xs]):.0f} | {wall / base:.2f} |")
    java = [f"{WORK}/out/alloc-{i}.png" for i, (n, (s, _)) in enumerate(runs.items()) if s == "java"]
    diffs = [same_pixels(java[0], other)[0] for other in java[1:]]
    print(f"\nJava outputs across allocators: max |diff| {max(diffs)} (0 = bit-identical); "
          f"Java vs Python (glibc): max |diff| {same_pixels(java[0], f'{WORK}/out/alloc-5.png')[0]}")


def section_load():
    ship = shipped_env()
    runs = {
        "Java as shipped (jemalloc, passive waiting)": ("java", ship),
        "Java, active waiting (OpenMP default)": ("java", {k: v for k, v in ship.items() if k != "OMP_WAIT_POLICY"}),
        "Java, passive waiting, 1 thread": ("java", dict(ship, VTON_THREADS="1")),
        "Python reference (plain python3)": ("python", clean_env()),
    }
    results = {(name, busy): [] for name in runs for busy in (False, True)}
    for r in range(ROUNDS):
        for busy in (False, True):
            for i, (name, (side, env)) in enumerate(runs.items()):
                fn = java_tryon if side == "java" else python_tryon
                tag = f"load-{i}-{'hog' if busy else 'alone'}-{r}"
                if busy:
                    with Hog():
                        results[(name, busy)].append(fn(tag, env, f"{WORK}/out/{tag}.png"))
                else:
                    results[(name, busy)].append(fn(tag, env, f"{WORK}/out/{tag}.png"))
    print(f"\n## Alone and beside one busy core: {MODEL}, {STEPS} steps, whole process; medians of {ROUNDS}\n")
    print("| process | alone: wall s | / Python | beside a busy core: wall s | / Python |")
    print("| --- | ---: | ---: | ---: | ---: |")
    py = {busy: med([x[0] for x in results[("Python reference (plain python3)", busy)]]) for busy in (False, True)}
    for name in runs:
        a = med([x[0] for x in results[(name, False)]])
        b = med([x[0] for x in results[(name, True)]])
        print(f"| {name} | {a:.2f} | {a / py[False]:.2f} | {b:.2f} | {b / py[True]:.2f} |")
    ship_name = "Java as shipped (jemalloc, passive waiting)"
    print(f"\ntargets: alone {med([x[0] for x in results[(ship_name, False)]]) / py[False]:.2f} (<= 0.5), "
          f"beside a busy core {med([x[0] for x in results[(ship_name, True)]]) / py[True]:.2f} (<= 0.6)")


def section_embedded():
    jar = os.path.join(REPO, "benchmarks", "target", "benchmarks.jar")
    ship = shipped_env()
    active = {k: v for k, v in ship.items() if k != "OMP_WAIT_POLICY"}
    configs = {
        "active waiting, default threads": (active, []),
        "passive waiting, default threads": (ship, []),
        "passive waiting, 1 thread": (ship, ["1"]),
    }
    rows = []
    for busy in (False, True):
        for name, (env, threads) in configs.items():
            cmd = ["java"] + JAVA_FLAGS + ["-cp", jar, "io.omoib.vton.benchmarks.EmbeddedLoop", "models/toy-catvton",
                                           f"{WORK}/prepared", "100", "15"] + threads
            log = f"{WORK}/log/embedded-{len(rows)}.log"
            if busy:
                with Hog():
                    _, _, text = timed(cmd, env, log)
            else:
                _, _, text = timed(cmd, env, log)
            m = re.search(r"median ([\d.]+) p90 ([\d.]+) p99 ([\d.]+) max ([\d.]+) cpu_per_wall ([\d.]+) threads (\d+)", text)
            rows.append((busy, name, m))
    print("\n## Embedded loop: 100 toy runs (15 steps, guidance 2.5) in one JVM, jemalloc as shipped\n")
    print("| condition | setting | threads | median ms | p90 ms | p99 ms | max ms | p99 / median | CPU / wall |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for busy, name, m in rows:
        median, p90, p99, mx, cpu, threads = (float(m.group(i)) for i in range(1, 7))
        print(f"| {'beside a busy core' if busy else 'alone'} | {name} | {threads:.0f} | {median:.1f} | {p90:.1f} | "
              f"{p99:.1f} | {mx:.1f} | {p99 / median:.2f} | {cpu:.2f} |")


def section_warmup():
    print("\n## Warm-up: vton tryon --runs 5 (as shipped), cold first run against the median of runs 2-5\n")
    print("| model | cold ms | warm ms | cold / warm |")
    print("| --- | ---: | ---: | ---: |")
    for model in ("toy", "mini"):
        cmd = ["java"] + JAVA_FLAGS + ["-jar", os.path.join(WORK, "java", "vton.jar"), "tryon", "--model",
                                       f"models/{model}-catvton", "--runs", "5", "--out", f"{WORK}/out/warm-{model}.jpg"]
        _, _, text = timed(cmd, shipped_env(), f"{WORK}/log/warmup-{model}.log")
        cold = int(re.search(r"cold \(run 1\): .*total (\d+) ms", text).group(1))
        warm = int(re.search(r"warm \(median of runs 2-5\): .*total (\d+) ms", text).group(1))
        print(f"| {model} | {cold} | {warm} | {cold / warm:.1f} |")


def section_dtype():
    ship = shipped_env()
    results = {d: [] for d in ("float32", "bfloat16")}
    for r in range(ROUNDS):
        for d in results:
            results[d].append(java_tryon(f"dtype-{d}-{r}", ship, f"{WORK}/out/dtype-{d}.png", d))
    f32 = med([x[0] for x in results["float32"]])
    print(f"\n## dtype: {MODEL}, {STEPS} steps, whole process as shipped; medians of {ROUNDS}\n")
    print("| dtype | wall s | try-on s | peak RSS MiB | wall / float32 |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for d, xs in results.items():
        wall = med([x[0] for x in xs])
        print(f"| {d} | {wall:.2f} | {med([x[2] for x in xs]):.2f} | {med([x[1] for x in xs]):.0f} | {wall / f32:.2f} |")
    worst, mean = same_pixels(f"{WORK}/out/dtype-float32.png", f"{WORK}/out/dtype-bfloat16.png")
    print(f"\nbfloat16 against float32: max |diff| {worst}, mean {mean:.2f} levels")


def main():
    for d in ("log", "out"):
        os.makedirs(os.path.join(WORK, d), exist_ok=True)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    flags = set(next((l.split(":", 1)[1].split() for l in open("/proc/cpuinfo") if l.startswith("flags")), []))
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    torch_version = subprocess.run([PY, "-c", "import torch; print(torch.__version__)"], capture_output=True,
                                   text=True).stdout.strip()
    print(f"machine: {os.cpu_count()} cores, {cpu}, "
          f"{' '.join(sorted(flags & {'avx2', 'avx512f', 'avx512_bf16', 'amx_bf16'}))}; {java}; "
          f"libtorch 2.7.1 (DJL 0.36.0) vs Python torch {torch_version}; load average before: {os.getloadavg()[0]:.2f}")
    started = time.time()
    for s in SECTIONS:
        globals()[f"section_{s}"]()
        sys.stdout.flush()
    print(f"\n{time.time() - started:.0f} s; load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
