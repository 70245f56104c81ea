#!/usr/bin/env python3
"""Python side of run-on-device.sh: each subcommand prints one JSON line (a figure) on stdout.

    gpu_bench.py probe
        the machine: GPU, driver, torch, CUDA, cuDNN, compilers, Java, glibc
    gpu_bench.py catvton --diffusers DIR --inputs DIR --device cuda --dtype bfloat16 --out R.png
        CatVTON's own CatVTONPipeline.__call__ (built as tools/fixtures/make_catvton_golden.py builds it)
        on the diffusers folder: one warm-up, then --runs timed try-ons (synchronised), peak GPU memory
    gpu_bench.py modules --model ARTIFACT --inputs DIR --device cuda --dtype bfloat16 --out R.png
        the artifact's TorchScript modules driven from Python (tools/reference/reference_pipeline.py,
        the pipeline the Java one is tested against): whole try-on time and the time inside the modules;
        --batches 1 2 4 8: UNet throughput per try-on batch (guidance doubles the batch);
        --oom: an oversized UNet batch, answered by torch.cuda.OutOfMemoryError, then a normal call
        that must give the same output as before it
    gpu_bench.py compare-images A.png B.png --what "java vs catvton, cuda-bfloat16"
        max and mean |difference| in grey levels over every pixel and channel
    gpu_bench.py java-figure LOG --model NAME --variant cuda-bfloat16
        the figure of a `vton tryon --runs N` log: cold and warm (median) total and parts, in seconds
    gpu_bench.py compare-exports --new ARTIFACT --old ARTIFACT
        two exports of the same model (e.g. torch 2 against the committed torch 1.13 one): every
        weight and every module's output on the same seeded inputs, cpu-float32 variants

Random numbers: CatVTON's __call__ draws every number from one stream (torch.manual_seed(seed),
generator=torch.default_generator), except the VAE posterior sample, which diffusers draws on the
tensor's device. The Java pipeline and the reference draw everything on the CPU and move it to the
device (the CUDA generator gives other numbers), so `catvton` makes the posterior sample draw from
the CPU default generator too: on the CPU that is what diffusers does anyway, on CUDA it makes the
two pipelines comparable. Nothing else of CatVTON's code is changed.
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path[:0] = [os.path.join(REPO, "tools", "fixtures"), os.path.join(REPO, "tools", "reference"),
                os.path.join(REPO, "tools", "export")]


def input_scales():
    """The magnitudes export_catvton.py gives the self-check's random inputs (the real model's)."""
    import catvton_artifact as ca
    return ca.ModuleSet(None, None, None, latent_std=1.0, decoder_input_std=1.0 / ca.SCALING_FACTOR)


def emit(figure: dict) -> None:
    print(json.dumps(figure), flush=True)


def command_version(argv) -> str:
    if not shutil.which(argv[0]):
        return "absent"
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"error: {e}"
    lines = (done.stdout + done.stderr).strip().splitlines()
    return lines[0] if lines else f"exit {done.returncode}"


def probe(args) -> int:
    import torch
    figure = {
        "figure": "machine", "python": platform.python_version(), "executable": sys.executable,
        "torch": torch.__version__, "torch_lib": os.path.join(os.path.dirname(torch.__file__), "lib"),
        "cuda_available": torch.cuda.is_available(), "torch_cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
        "cxx11_abi": bool(torch._C._GLIBCXX_USE_CXX11_ABI), "cpus": os.cpu_count(),
        "glibc": " ".join(platform.libc_ver()), "kernel": platform.release(),
        "gcc": command_version(["gcc", "--version"]), "g++": command_version(["g++", "--version"]),
        "nvcc": command_version(["nvcc", "--version"]) if shutil.which("nvcc") else "absent",
        "cmake": command_version(["cmake", "--version"]), "java": command_version(["java", "-version"]),
        "nvidia_smi": command_version(["nvidia-smi", "--query-gpu=name,driver_version,memory.total",
                                       "--format=csv,noheader"]),
    }
    if torch.cuda.is_available():
        p = torch.cuda.get_device_properties(0)
        figure.update(gpu=p.name, capability=f"{p.major}.{p.minor}", gpu_memory_gib=round(p.total_memory / 2 ** 30, 1),
                      multiprocessors=p.multi_processor_count)
    try:
        import numpy
        figure["numpy"] = numpy.__version__
    except ImportError:
        figure["numpy"] = "absent"
    emit(figure)
    return 0


# ------------------------------------------------------------------------------------------- timing

def sync(device: str) -> None:
    import torch
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def set_tf32(device: str, on: bool) -> None:
    """TF32 for float32 matrix products and convolutions on CUDA (off: exact float32)."""
    if device.startswith("cuda"):
        import export_catvton
        export_catvton.set_fp32_precision("tf32" if on else "ieee")


def reset_peak(device: str) -> None:
    import torch
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def peak_gib(device: str):
    import torch
    return round(torch.cuda.max_memory_allocated() / 2 ** 30, 3) if device.startswith("cuda") else None


def timed_runs(device: str, runs: int, once) -> dict:
    """One warm-up, then `runs` synchronised calls of once(); the median and every time in seconds."""
    result = once()
    times = []
    for _ in range(runs):
        sync(device)
        started = time.perf_counter()
        result = once()
        sync(device)
        times.append(time.perf_counter() - started)
    return {"result": result, "median_s": round(statistics.median(times), 4),
            "times_s": [round(t, 4) for t in times]}


# ------------------------------------------------------------------------------------------ CatVTON

def cpu_posterior_sample() -> None:
    """DiagonalGaussianDistribution.sample draws from the CPU default generator (see the module doc)."""
    import torch
    from diffusers.models.autoencoders import vae as vae_module
    from diffusers.utils.torch_utils import randn_tensor

    def sample(self, generator=None):
        noise = randn_tensor(self.mean.shape, generator=generator or torch.default_generator,
                             device=self.parameters.device, dtype=self.parameters.dtype)
        return self.mean + self.std * noise
    vae_module.DiagonalGaussianDistribution.sample = sample


def catvton(args) -> int:
    import make_diffusers_model as mdm
    mdm.import_environment(args.pydeps or mdm.DEFAULT_PYDEPS, args.catvton_src)
    import torch
    from PIL import Image
    import make_catvton_golden as mcg
    dtype = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}[args.dtype]
    set_tf32(args.device, args.tf32)
    mcg.use_catvton_loader()
    cpu_posterior_sample()
    started = time.perf_counter()
    pipe = mcg.catvton_pipeline(args.diffusers, dtype, os.path.join(args.diffusers, "catvton"))
    pipe.device = args.device
    pipe.vae.to(args.device)
    pipe.unet.to(args.device)
    loaded = time.perf_counter() - started
    person, mask, garment = (Image.open(os.path.join(args.inputs, n + ".png")) for n in ("person", "mask", "garment"))
    size = person.size
    reset_peak(args.device)
    with torch.no_grad():
        timing = timed_runs(args.device, args.runs, lambda: mcg.run_catvton(
            pipe, person, mask, garment, size, args.steps, args.guidance, args.eta, args.seed))
    Image.fromarray(timing.pop("result")).save(args.out)
    emit({"figure": "catvton_call", "model": args.label, "device": args.device, "dtype": args.dtype,
          "tf32": args.tf32, "size": f"{size[0]}x{size[1]}", "steps": args.steps, "guidance": args.guidance,
          "load_s": round(loaded, 3), **timing, "peak_gib": peak_gib(args.device), "torch": torch.__version__,
          "image": os.path.basename(args.out)})
    return 0


# ------------------------------------------------------------------------------------------ modules

class TimedModule:
    """A TorchScript module whose calls add their synchronised wall time to a shared counter."""

    def __init__(self, module, counter, device):
        self.module, self.counter, self.device = module, counter, device

    def __call__(self, *args):
        sync(self.device)
        started = time.perf_counter()
        out = self.module(*args)
        sync(self.device)
        self.counter[0] += time.perf_counter() - started
        return out


def unet_batches(artifact, device: str, batches, runs: int) -> list:
    """UNet calls per try-on batch b (2b rows with guidance) at the artifact's size: seconds per call,
    try-ons per second and the throughput relative to b = 1."""
    import torch
    import catvton_artifact as ca
    rows = []
    for b in batches:
        gen = torch.Generator().manual_seed(b)
        sample, t = ca.example_inputs("unet", artifact.width, artifact.height, 2 * b, device, gen, input_scales())
        with torch.no_grad():
            timing = timed_runs(device, runs, lambda: artifact.modules["unet"](sample, t))
        timing.pop("result")
        rows.append({"batch": b, "unet_call_s": timing["median_s"], "tryons_per_s": round(b / timing["median_s"], 3)})
        del sample, t
    for row in rows:
        row["throughput_vs_1"] = round(row["tryons_per_s"] / rows[0]["tryons_per_s"], 3)
    return rows


def oom_check(artifact, device: str, rows: int = 64) -> dict:
    """A CUDA out-of-memory inside the UNet: a ballast tensor leaves 256 MiB free, then a UNet call
    with `rows` rows (an oversized batch for what is left) must raise; with the ballast gone, a
    batch-2 call must run and give the output it gave before."""
    import torch
    import catvton_artifact as ca
    gen = torch.Generator().manual_seed(7)
    sample, t = ca.example_inputs("unet", artifact.width, artifact.height, 2, device, gen, input_scales())
    big = ca.example_inputs("unet", artifact.width, artifact.height, rows, device, gen, input_scales())
    unet = artifact.modules["unet"]
    answer = {"figure": "cuda_oom", "rows": rows}
    with torch.no_grad():
        before = unet(sample, t).cpu()
        torch.cuda.empty_cache()
        free, _ = torch.cuda.mem_get_info()
        ballast = torch.empty(max(0, free - 256 * 2 ** 20), dtype=torch.uint8, device=device)
        answer["free_gib_during"] = round(torch.cuda.mem_get_info()[0] / 2 ** 30, 3)
        try:
            unet(*big)
            answer["raised"] = "nothing"
        except torch.cuda.OutOfMemoryError as e:
            answer["raised"] = "torch.cuda.OutOfMemoryError: " + str(e).splitlines()[0][:160]
        except RuntimeError as e:  # what a TorchScript call raises for a CUDA error
            answer["raised"] = "RuntimeError: " + str(e).splitlines()[0][:160]
        del ballast, big
        torch.cuda.empty_cache()
        after = unet(sample, t).cpu()
    answer["healthy_after"] = bool(torch.equal(before, after))
    answer["max_abs_after_vs_before"] = float((after - before).abs().max())
    return answer


def modules(args) -> int:
    import numpy  # noqa: F401
    import torch
    from PIL import Image
    import reference_pipeline as ref
    set_tf32(args.device, args.tf32)
    started = time.perf_counter()
    artifact = ref.Artifact(args.model, args.device, args.dtype)
    loaded = time.perf_counter() - started
    counter = [0.0]
    plain = artifact.modules
    artifact.modules = {name: TimedModule(m, counter, args.device) for name, m in plain.items()}
    person = ref.load_rgb(os.path.join(args.inputs, "person.png"))
    mask = ref.load_gray(os.path.join(args.inputs, "mask.png"))
    garment = ref.load_rgb(os.path.join(args.inputs, "garment.png"))
    module_times = []

    def once():
        counter[0] = 0.0
        out = ref.tryon(artifact, person, mask, garment, seed=args.seed, steps=args.steps,
                        guidance=args.guidance, eta=args.eta)
        module_times.append(counter[0])
        return out

    reset_peak(args.device)
    timing = timed_runs(args.device, args.runs, once)
    Image.fromarray(timing.pop("result")).save(args.out)
    inside = statistics.median(module_times[1:] or module_times)
    emit({"figure": "python_modules", "model": args.label, "device": args.device, "dtype": args.dtype,
          "tf32": args.tf32, "size": f"{artifact.width}x{artifact.height}", "steps": args.steps,
          "guidance": args.guidance, "load_s": round(loaded, 3), **timing, "modules_s": round(inside, 4),
          "overhead": round(timing["median_s"] / inside, 4) if inside else None,
          "peak_gib": peak_gib(args.device), "torch": torch.__version__,
          "exported_with": artifact.variant.get("torch_version"), "attention": artifact.variant.get("attention"),
          "image": os.path.basename(args.out)})
    artifact.modules = plain
    if args.batches:
        reset_peak(args.device)
        emit({"figure": "unet_batching", "model": args.label, "device": args.device, "dtype": args.dtype,
              "rows": unet_batches(artifact, args.device, args.batches, args.runs), "peak_gib": peak_gib(args.device)})
    if args.oom:
        if not args.device.startswith("cuda"):
            emit({"figure": "cuda_oom", "skipped": "not a CUDA device"})
        else:
            emit({"figure": "cuda_oom", "model": args.label, "dtype": args.dtype, **oom_check(artifact, args.device)})
    return 0


# ---------------------------------------------------------------------------------- compare exports

def compare_exports(args) -> int:
    """Weights and outputs of two exports' cpu-float32 variants on the same seeded inputs."""
    import torch
    import catvton_artifact as ca
    import reference_pipeline as ref
    new, old = ref.Artifact(args.new, "cpu", "float32"), ref.Artifact(args.old, "cpu", "float32")
    if (new.width, new.height) != (old.width, old.height):
        raise SystemExit(f"{args.new} is {new.width}x{new.height}, {args.old} {old.width}x{old.height}: not the same model")
    figure = {"figure": "export_parity", "new": os.path.basename(os.path.normpath(args.new)),
              "new_torch": new.variant.get("torch_version"), "new_attention": new.variant.get("attention"),
              "old_torch": old.variant.get("torch_version"), "old_attention": old.variant.get("attention", "unrecorded"),
              "size": f"{new.width}x{new.height}", "modules": {}}
    for name in ca.MODULES:
        a, b = new.modules[name].state_dict(), old.modules[name].state_dict()
        same_keys = sorted(a) == sorted(b)
        weight_diff = max((float((a[k].float() - b[k].float()).abs().max()) for k in a if k in b
                           and a[k].shape == b[k].shape), default=float("nan"))
        gen = torch.Generator().manual_seed(11)
        inputs = ca.example_inputs(name, new.width, new.height, 1, "cpu", gen, input_scales())
        with torch.no_grad():
            x, y = new.modules[name](*inputs), old.modules[name](*inputs)
        diff = float((x - y).abs().max())
        scale = float(y.abs().max())
        figure["modules"][name] = {
            "same_weight_names": same_keys, "weights_max_abs": weight_diff,
            "output_max_abs": diff, "output_rel": round(diff / scale, 9) if scale else None,
            "identical_files": ca.sha256_of(os.path.join(args.new, new.variant[name]))
            == ca.sha256_of(os.path.join(args.old, old.variant[name])),
        }
    emit(figure)
    return 0


def compare_images(args) -> int:
    import numpy as np
    from PIL import Image
    missing = [p for p in (args.a, args.b) if not os.path.isfile(p)]
    if missing:
        emit({"figure": "image_parity", "what": args.what, "missing": [os.path.basename(p) for p in missing]})
        return 1
    a = np.asarray(Image.open(args.a).convert("RGB")).astype(np.int32)
    b = np.asarray(Image.open(args.b).convert("RGB")).astype(np.int32)
    if a.shape != b.shape:
        emit({"figure": "image_parity", "what": args.what, "shapes": [list(a.shape), list(b.shape)]})
        return 1
    d = np.abs(a - b)
    emit({"figure": "image_parity", "what": args.what, "max_abs": int(d.max()), "mean_abs": round(float(d.mean()), 4),
          "over_1": int((d > 1).sum()), "values": int(d.size)})
    return 0


def java_figure(args) -> int:
    """`vton tryon` prints "<variant>, ...: prepare P ms, encode E ms, denoise D ms (...), decode C ms,
    total T ms" for the run (--runs 1) or for the cold run and the warm median (--runs N)."""
    import re
    text = open(args.log, errors="replace").read()
    part = re.compile(r"prepare (\d+) ms, encode (\d+) ms, denoise (\d+) ms.*?decode (\d+) ms, total (\d+) ms")
    figure = {"figure": "java_tryon", "model": args.model, "variant": args.variant}
    for line in text.splitlines():
        m = part.search(line)
        if not m:
            continue
        kind = "warm" if "warm" in line else "cold"
        figure[kind] = dict(zip(("prepare_s", "encode_s", "denoise_s", "decode_s", "total_s"),
                                (int(x) / 1000 for x in m.groups())))
    if "cold" not in figure:
        errors = [l for l in text.splitlines() if re.search(r"Error|Exception|error:|undefined symbol", l)]
        figure["failed"] = (errors[:3] or text.strip().splitlines()[-3:] or ["no output"])
    emit(figure)
    return 0 if "cold" in figure else 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("probe")

    def run_options(p):
        p.add_argument("--inputs", required=True, help="folder with person.png, mask.png, garment.png (prepared)")
        p.add_argument("--out", required=True, help="result PNG")
        p.add_argument("--device", default="cuda")
        p.add_argument("--dtype", choices=("float32", "float16", "bfloat16"), default="float32")
        p.add_argument("--tf32", action="store_true", help="TF32 for float32 on CUDA (default: exact float32)")
        p.add_argument("--steps", type=int, default=15)
        p.add_argument("--guidance", type=float, default=2.5)
        p.add_argument("--eta", type=float, default=1.0)
        p.add_argument("--seed", type=int, default=42)
        p.add_argument("--runs", type=int, default=3, help="timed runs after one warm-up")
        p.add_argument("--label", default="", help="model name for the figure")

    p = sub.add_parser("catvton")
    run_options(p)
    p.add_argument("--diffusers", required=True, help="folder written by tools/fixtures/make_diffusers_model.py")
    p.add_argument("--pydeps")
    p.add_argument("--catvton-src", default=os.environ.get("CATVTON_SRC"))
    p = sub.add_parser("modules")
    run_options(p)
    p.add_argument("--model", required=True, help="catvton-torchscript artifact")
    p.add_argument("--batches", type=int, nargs="*", help="UNet throughput at these try-on batch sizes")
    p.add_argument("--oom", action="store_true", help="also check an out-of-memory UNet call (CUDA)")
    p = sub.add_parser("compare-exports")
    p.add_argument("--new", required=True)
    p.add_argument("--old", required=True)
    p = sub.add_parser("compare-images")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--what", required=True)
    p = sub.add_parser("java-figure")
    p.add_argument("log")
    p.add_argument("--model", required=True)
    p.add_argument("--variant", required=True)
    args = parser.parse_args(argv)
    return {"probe": probe, "catvton": catvton, "modules": modules, "compare-exports": compare_exports,
            "compare-images": compare_images, "java-figure": java_figure}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
