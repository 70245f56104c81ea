"""Writes CatVTON model artifacts in the `catvton-torchscript` format (docs/ARCHITECTURE.md "Model artifact").

Shared by ``export_catvton.py`` (the real model, torch >= 2.0 + diffusers) and ``make_test_models.py``
(the toy and mini test models, Debian's PyTorch 1.13). Everything but loading the real weights lives
here, so the test-model builder exercises the same wrapping, tracing, hashing, manifest and self-check
code the real export uses.

An artifact is a directory::

    catvton.json
    cpu-float32/{vae_encoder,unet,vae_decoder}.pt
    cpu-bfloat16/...                      one folder per (device, dtype) variant
    cuda-float16/...

Module contract (every input and output float32, whatever the variant computes in):

    vae_encoder(image[B,3,H,W] in [-1,1])              -> moments[B,8,H/8,W/8]  (mean || logvar)
    unet(sample[N,9,2H/8,W/8], timestep int64[N])      -> noise[N,4,2H/8,W/8]
    vae_decoder(latent[B,4,H/8,W/8], already / scaling) -> image[B,3,H,W] in about [-1,1]

The eager "core" modules handed to :func:`export_artifact` take and return tensors of their own dtype;
:class:`Float32Module` / :class:`Float32UNet` cast at the boundary so the traced files speak float32
(DJL aborts the JVM on bfloat16 arrays created from Java).
"""
import copy
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
from torch import nn

FORMAT = "catvton-torchscript"
FORMAT_VERSION = 1
WEIGHTS = ("trained", "random", "analytic")   # the manifest's "weights" values; absent means trained
MODULES = ("vae_encoder", "unet", "vae_decoder")
VAE_SCALE_FACTOR = 8
LATENT_CHANNELS = 4
SCALING_FACTOR = 0.18215

# The scheduler of SD-1.5 inpainting (the base CatVTON loads its DDIMScheduler from).
DEFAULT_SCHEDULER = {
    "num_train_timesteps": 1000,
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "steps_offset": 1,
    "set_alpha_to_one": False,
    "clip_sample": False,
    "prediction_type": "epsilon",
    "timestep_spacing": "leading",
}

DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}

# Self-check tolerances: a check fails when max|got - want| > atol + rtol * max|want|.
# "traced": the reloaded TorchScript file against the eager module of the same dtype (only fusion or
# kernel choice can differ). "vs_float32": the variant against the eager float32 module (rounding of a
# lower precision dtype through the whole network; a sanity bound that catches bad casts and NaNs).
TOLERANCES = {
    "traced": {
        "float32": {"atol": 1e-4, "rtol": 1e-4},
        "float16": {"atol": 1e-2, "rtol": 1e-2},
        "bfloat16": {"atol": 2e-2, "rtol": 2e-2},
    },
    "vs_float32": {
        "float16": {"atol": 5e-2, "rtol": 5e-2},
        "bfloat16": {"atol": 1e-1, "rtol": 1e-1},
    },
}


class ArtifactError(RuntimeError):
    """An export or self-check failure; the message says which module, variant and size."""


@dataclass
class ModuleSet:
    """The three eager float32 modules of a model, before wrapping.

    vae_encoder: image[B,3,H,W] -> moments[B,8,H/8,W/8]; unet: (sample[N,9,2h,w], timestep int64[N])
    -> noise[N,4,2h,w]; vae_decoder: latent[B,4,h,w] -> image[B,3,H,W]. Each computes in the dtype
    of its parameters and returns that dtype; the float32 boundary is added by :func:`wrap`.
    """
    vae_encoder: nn.Module
    unet: nn.Module
    vae_decoder: nn.Module
    # Typical magnitude of the tensors the modules see, for the random self-check inputs.
    latent_std: float = 1.0          # unet conditioning latents (scaled latents)
    decoder_input_std: float = 1.0   # latents / scaling_factor given to the decoder


@dataclass
class Variant:
    device: str   # "cpu" or "cuda"
    dtype: str    # "float32", "float16" or "bfloat16"

    @property
    def folder(self) -> str:
        return f"{self.device}-{self.dtype}"

    @property
    def torch_dtype(self) -> torch.dtype:
        return DTYPES[self.dtype]


class Float32Module(nn.Module):
    """One-tensor module with a float32 boundary: casts the input to the inner dtype, output to float32."""

    def __init__(self, inner: nn.Module, dtype: torch.dtype):
        super().__init__()
        self.inner = inner
        self.dtype = dtype

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner(x.to(self.dtype)).float()


class Float32UNet(nn.Module):
    """UNet with a float32 boundary; the timestep stays int64."""

    def __init__(self, inner: nn.Module, dtype: torch.dtype):
        super().__init__()
        self.inner = inner
        self.dtype = dtype

    def forward(self, sample: torch.Tensor, timestep: torch.Tensor) -> torch.Tensor:
        return self.inner(sample.to(self.dtype), timestep).float()


def wrap(name: str, inner: nn.Module, dtype: torch.dtype) -> nn.Module:
    wrapper = Float32UNet(inner, dtype) if name == "unet" else Float32Module(inner, dtype)
    return wrapper.eval()


def latent_size(width: int, height: int) -> Tuple[int, int]:
    if width % 64 or height % 64:
        raise ArtifactError(f"width and height must be multiples of 64, got {width}x{height}")
    return height // VAE_SCALE_FACTOR, width // VAE_SCALE_FACTOR


def example_inputs(name: str, width: int, height: int, batch: int, device: str,
                   generator: torch.Generator, modules: ModuleSet) -> Tuple[torch.Tensor, ...]:
    """Random float32 inputs shaped like the pipeline's, on ``device``.

    UNet inputs look like a guidance batch: a binary mask rectangle in the person half of the mask
    channel, conditioning latents in both halves, the garment half zero in entry 0 (the uncond entry).
    """
    h, w = latent_size(width, height)
    if name == "vae_encoder":
        x = torch.rand(batch, 3, height, width, generator=generator) * 2 - 1
        return (x.to(device),)
    if name == "vae_decoder":
        z = torch.randn(batch, LATENT_CHANNELS, h, w, generator=generator) * modules.decoder_input_std
        return (z.to(device),)
    noisy = torch.randn(batch, 4, 2 * h, w, generator=generator)
    mask = torch.zeros(batch, 1, 2 * h, w)
    for b in range(batch):
        y0 = int(torch.randint(0, h // 2, (1,), generator=generator))
        x0 = int(torch.randint(0, w // 2, (1,), generator=generator))
        y1 = y0 + 1 + int(torch.randint(0, h - y0, (1,), generator=generator))
        x1 = x0 + 1 + int(torch.randint(0, w - x0, (1,), generator=generator))
        mask[b, 0, y0:y1, x0:x1] = 1.0
    cond = torch.randn(batch, 4, 2 * h, w, generator=generator) * modules.latent_std
    cond[:, :, :h] *= 1.0 - mask[:, :, :h]  # masked person: the masked region encodes to about 0
    if batch > 1:
        cond[0, :, h:] = 0.0
    sample = torch.cat([noisy, mask, cond], dim=1)
    timestep = torch.randint(0, 1000, (batch,), generator=generator, dtype=torch.int64)
    return sample.to(device), timestep.to(device)


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _compare(got: torch.Tensor, want: torch.Tensor, tol: Dict[str, float]) -> Tuple[bool, float, float]:
    got, want = got.float(), want.float()
    if got.shape != want.shape:
        return False, float("inf"), 0.0
    if not torch.isfinite(got).all():
        return False, float("nan"), float(want.abs().max())
    diff = float((got - want).abs().max())
    scale = float(want.abs().max())
    return diff <= tol["atol"] + tol["rtol"] * scale, diff, scale


@dataclass
class CheckResult:
    module: str
    variant: str
    kind: str          # "traced" or "vs_float32"
    size: Tuple[int, int]
    batch: int
    max_abs_diff: float
    max_abs_ref: float
    ok: bool

    def line(self) -> str:
        rel = self.max_abs_diff / self.max_abs_ref if self.max_abs_ref else float("nan")
        return (f"  {'ok  ' if self.ok else 'FAIL'} {self.variant:<14} {self.module:<11} {self.kind:<10} "
                f"{self.size[0]}x{self.size[1]} batch {self.batch}: max|diff| {self.max_abs_diff:.3g} "
                f"(max|ref| {self.max_abs_ref:.3g}, {rel:.2e} relative)")


@dataclass
class ExportOptions:
    check_sizes: Sequence[Tuple[int, int]] = ()         # (width, height) besides the artifact's size
    batches: Dict[str, Sequence[int]] = field(default_factory=lambda: {
        "vae_encoder": (1, 2), "unet": (1, 2, 3), "vae_decoder": (1, 2)})
    trace_batch: Dict[str, int] = field(default_factory=lambda: {
        "vae_encoder": 1, "unet": 2, "vae_decoder": 1})
    seed: int = 0
    compare_float32: bool = True   # also check float16/bfloat16 variants against the float32 model
    variant_fields: Dict[str, str] = field(default_factory=dict)  # written into every new variant's entry
    weights: str = "trained"       # catvton.json "weights": trained, random (test models) or analytic (the toy)
    log: Callable[[str], None] = print


def strip_debug_info(path: str) -> None:
    """Rewrites a saved TorchScript archive without its ``*.debug_pkl`` records: they hold the
    absolute paths and text of the traced Python sources, which would tie the file's bytes (and
    sha256) to the machine and checkout that exported it. Loading and running are unaffected."""
    reader = torch._C.PyTorchFileReader(path)
    records = [(name, reader.get_record(name)) for name in reader.get_all_records()
               if not name.endswith(".debug_pkl")]
    del reader
    folder = os.path.join(os.path.dirname(path), ".strip")
    os.makedirs(folder, exist_ok=True)
    stripped = os.path.join(folder, os.path.basename(path))  # same name: the archive's prefix comes from it
    writer = torch._C.PyTorchFileWriter(stripped)
    for name, data in records:
        writer.write_record(name, data, len(data))
    writer.write_end_of_file()
    del writer
    os.replace(stripped, path)
    os.rmdir(folder)


def trace_module(name: str, wrapper: nn.Module, inputs: Tuple[torch.Tensor, ...]) -> torch.jit.ScriptModule:
    with torch.no_grad():
        return torch.jit.trace(wrapper, inputs, check_trace=False)


def export_artifact(out_dir: str, name: str, width: int, height: int, modules: ModuleSet,
                    variants: Sequence[Variant], scheduler: Optional[dict] = None,
                    options: Optional[ExportOptions] = None) -> dict:
    """Traces ``modules`` for every variant into ``out_dir``, self-checks them, writes catvton.json.

    ``modules`` are eager float32 modules on the CPU; each variant gets a deep copy moved to its
    device and dtype. Variants of an existing catvton.json with the same name, size and scheduler
    are kept unless re-exported here. Raises :class:`ArtifactError` when a self-check fails.
    """
    options = options or ExportOptions()
    scheduler = dict(scheduler or DEFAULT_SCHEDULER)
    latent_size(width, height)
    sizes = [(width, height)] + [s for s in options.check_sizes if tuple(s) != (width, height)]
    for s in sizes:
        latent_size(*s)
    os.makedirs(out_dir, exist_ok=True)
    log = options.log

    entries = []
    failures = []
    references: Dict[str, Dict[str, nn.Module]] = {}  # device -> float32 eager wrappers
    for variant in variants:
        if variant.dtype not in DTYPES:
            raise ArtifactError(f"unknown dtype {variant.dtype!r}; use one of {sorted(DTYPES)}")
        device = variant.device
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise ArtifactError(f"variant {variant.folder}: CUDA is not available in this Python")
        folder = os.path.join(out_dir, variant.folder)
        os.makedirs(folder, exist_ok=True)
        entry = {"device": device, "dtype": variant.dtype, "torch_version": torch.__version__,
                 **options.variant_fields}
        sums = {}
        for module_name in MODULES:
            started = time.time()
            eager = getattr(modules, module_name)
            inner = copy.deepcopy(eager).to(device=device, dtype=variant.torch_dtype).eval()
            wrapper = wrap(module_name, inner, variant.torch_dtype)
            gen = torch.Generator().manual_seed(options.seed)
            inputs = example_inputs(module_name, width, height, options.trace_batch[module_name],
                                    device, gen, modules)
            traced = trace_module(module_name, wrapper, inputs)
            rel = f"{variant.folder}/{module_name}.pt"
            path = os.path.join(out_dir, rel)
            torch.jit.save(traced, path)
            strip_debug_info(path)
            del traced
            entry[module_name] = rel
            sums[rel] = sha256_of(path)
            log(f"traced {rel} ({os.path.getsize(path) / 1024:.0f} KiB, {time.time() - started:.1f} s)")

            reloaded = torch.jit.load(path, map_location=device).eval()
            reference = None
            if variant.dtype != "float32" and options.compare_float32:
                per_device = references.setdefault(device, {})
                if module_name not in per_device:
                    fp32 = eager if device == "cpu" else copy.deepcopy(eager).to(device)
                    per_device[module_name] = wrap(module_name, fp32.float().eval(), torch.float32)
                reference = per_device[module_name]
            for (w, h) in sizes:
                for batch in options.batches[module_name]:
                    gen = torch.Generator().manual_seed(options.seed + 1000 * batch + w + h)
                    args = example_inputs(module_name, w, h, batch, device, gen, modules)
                    with torch.no_grad():
                        got = reloaded(*args)
                        want = wrapper(*args)
                        checks = [("traced", want, TOLERANCES["traced"][variant.dtype])]
                        if reference is not None:
                            checks.append(("vs_float32", reference(*args),
                                           TOLERANCES["vs_float32"][variant.dtype]))
                    if got.dtype != torch.float32:
                        failures.append(f"{rel}: output dtype {got.dtype}, expected float32")
                    for kind, ref, tol in checks:
                        ok, diff, scale = _compare(got, ref, tol)
                        result = CheckResult(module_name, variant.folder, kind, (w, h), batch, diff, scale, ok)
                        log(result.line())
                        if not ok:
                            failures.append(result.line().strip())
            del reloaded, wrapper, inner
        entry["sha256"] = sums
        entries.append(entry)
        if device.startswith("cuda"):
            torch.cuda.empty_cache()
    if failures:
        raise ArtifactError("self-check failed (tolerances: %s):\n%s" % (json.dumps(TOLERANCES), "\n".join(failures)))

    manifest = write_manifest(out_dir, name, width, height, scheduler, entries, log, sizes, options.weights)
    return manifest


def manifest_header(name: str, width: int, height: int, scheduler: dict,
                    sizes: Sequence[Tuple[int, int]] = (), weights: str = "trained") -> dict:
    """The artifact-wide part of catvton.json. ``sizes`` lists every (width, height) the modules
    were self-checked at; the runtime accepts images of exactly those sizes. ``weights`` other than
    "trained" is written as the "weights" field ("random": test models whose output is noise;
    "analytic": the toy), so that the runtime can warn that the output is no try-on."""
    if weights not in WEIGHTS:
        raise ArtifactError(f"unknown weights {weights!r}; use one of {', '.join(WEIGHTS)}")
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "name": name,
    }
    if weights != "trained":
        header["weights"] = weights
    return {
        **header,
        "width": width,
        "height": height,
        "sizes": [[w, h] for (w, h) in (sizes or [(width, height)])],
        "vae_scale_factor": VAE_SCALE_FACTOR,
        "latent_channels": LATENT_CHANNELS,
        "scaling_factor": SCALING_FACTOR,
        "concat_dim": "height",
        "scheduler": scheduler,
    }


def write_manifest(out_dir: str, name: str, width: int, height: int, scheduler: dict,
                   entries: List[dict], log: Callable[[str], None] = print,
                   sizes: Sequence[Tuple[int, int]] = (), weights: str = "trained") -> dict:
    """Writes catvton.json, keeping compatible variants already listed there that were not re-exported."""
    manifest = manifest_header(name, width, height, scheduler, sizes, weights)
    path = os.path.join(out_dir, "catvton.json")
    kept = []
    if os.path.exists(path):
        with open(path) as f:
            old = json.load(f)
        same = all(old.get(k) == v for k, v in manifest.items())
        new_keys = {(e["device"], e["dtype"]) for e in entries}
        if same:
            kept = [v for v in old.get("variants", []) if (v["device"], v["dtype"]) not in new_keys]
            for v in kept:
                log(f"keeping variant {v['device']}-{v['dtype']} from the existing catvton.json")
        else:
            log("existing catvton.json describes another model or size: replacing its variant list")
    order = {"cpu": 0}
    variants = sorted(kept + entries, key=lambda e: (order.get(e["device"], 1), e["device"],
                                                      list(DTYPES).index(e["dtype"])))
    manifest["variants"] = variants
    with open(path, "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    log(f"wrote {path} ({len(variants)} variants)")
    return manifest


def parse_variants(device: str, dtypes: Sequence[str]) -> List[Variant]:
    out = []
    for d in dtypes:
        if d not in DTYPES:
            raise ArtifactError(f"unknown dtype {d!r}; use float32, float16 or bfloat16")
        if device == "cpu" and d == "float16":
            # PyTorch 1.13 cannot trace float16 on the CPU, and libtorch runs it ~12x slower than fp32.
            raise ArtifactError("float16 variants are for CUDA; use float32 or bfloat16 on the CPU")
        out.append(Variant(device, d))
    return out


def verify_artifact(out_dir: str, log: Callable[[str], None] = print) -> None:
    """Checks that catvton.json lists existing files whose sha256 sums match."""
    with open(os.path.join(out_dir, "catvton.json")) as f:
        manifest = json.load(f)
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise ArtifactError(f"{out_dir}: not a {FORMAT} v{FORMAT_VERSION} artifact")
    for v in manifest["variants"]:
        for m in MODULES:
            rel = v[m]
            path = os.path.join(out_dir, rel)
            if not os.path.exists(path):
                raise ArtifactError(f"{out_dir}: {rel} is missing")
            if sha256_of(path) != v["sha256"][rel]:
                raise ArtifactError(f"{out_dir}: {rel} does not match its sha256")
    log(f"{out_dir}: {len(manifest['variants'])} variants, all files present, sha256 sums match")
