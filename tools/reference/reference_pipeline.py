#!/usr/bin/python3
"""The CatVTON pipeline of docs/ARCHITECTURE.md "Pipeline math" in plain PyTorch, for any catvton-torchscript artifact.

No diffusers: the DDIM scheduler below is an independent implementation that follows diffusers'
``DDIMScheduler`` operation by operation in float32, and the loop follows CatVTON's ``__call__``.
Works with PyTorch 1.13 (Debian) and 2.x. Two commands:

    # one try-on from prepared PNGs (already at the artifact size, as TryOnImages.prepare makes them)
    /usr/bin/python3 tools/reference/reference_pipeline.py run --model models/mini-catvton \\
        --person person.png --mask mask.png --garment garment.png --out result.png \\
        [--dtype float32] [--seed 42] [--steps 15] [--guidance 2.5] [--eta 1.0] [--threads 1]

    # DDIM scheduler values for the Java DdimScheduler tests
    /usr/bin/python3 tools/reference/reference_pipeline.py ddim --out vton-core/src/test/resources/ddim

Conventions (all CPU, float32 outside the modules):
  image  = rgb / 127.5 - 1                       [1,3,H,W]
  mask   = (gray >= 128)                          [1,1,H,W], gray = Pillow convert("L")
  masked = image * (mask < 0.5)
  random numbers: ONE torch.Generator().manual_seed(seed), torch.randn(shape, generator=g), in order
    (a) [1,4,h,w] masked-person latent, (b) [1,4,h,w] garment latent, (c) [1,4,2h,w] initial noise,
    (d) one [1,4,2h,w] per step, only when eta > 0 (drawn inside step, after the UNet call)
  latent = (mean + exp(0.5 * clamp(logvar, -30, 20)) * eps) * scaling_factor
  maskLatent = nearest(mask, (h, w))  (= mask[:, :, ::8, ::8])
  guidance > 1: batch [uncond, cond], uncond garment latent = 0; eps = u + g * (c - u)
  result: top half of the latent, (1 / scaling_factor) * latent, decode,
    (x / 2 + 0.5).clamp(0, 1), * 255, round half to even (numpy), uint8
"""
import argparse
import json
import math
import os
import sys
import time
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from catvton_common import scaled_linear_alphas_cumprod  # noqa: E402

MODULES = ("vae_encoder", "unet", "vae_decoder")


# ---------------------------------------------------------------------------------------------- DDIM

class Ddim:
    """DDIM in float32, same operations in the same order as diffusers' DDIMScheduler (no
    thresholding, no clipping unless clip_sample, no rescale_betas_zero_snr)."""

    def __init__(self, num_train_timesteps: int = 1000, beta_start: float = 0.00085, beta_end: float = 0.012,
                 beta_schedule: str = "scaled_linear", steps_offset: int = 1, set_alpha_to_one: bool = False,
                 clip_sample: bool = False, prediction_type: str = "epsilon", timestep_spacing: str = "leading",
                 clip_sample_range: float = 1.0, **ignored):
        self.num_train_timesteps = num_train_timesteps
        if beta_schedule == "scaled_linear":
            self.alphas_cumprod = scaled_linear_alphas_cumprod(beta_start, beta_end, num_train_timesteps)
        elif beta_schedule == "linear":
            betas = torch.linspace(beta_start, beta_end, num_train_timesteps, dtype=torch.float32)
            self.alphas_cumprod = torch.cumprod(1.0 - betas, dim=0)
        else:
            raise ValueError(f"beta_schedule {beta_schedule!r} is not supported")
        self.final_alpha_cumprod = torch.tensor(1.0) if set_alpha_to_one else self.alphas_cumprod[0]
        self.steps_offset = steps_offset
        self.clip_sample = clip_sample
        self.clip_sample_range = clip_sample_range
        if prediction_type not in ("epsilon", "v_prediction", "sample"):
            raise ValueError(f"prediction_type {prediction_type!r} is not supported")
        self.prediction_type = prediction_type
        if timestep_spacing not in ("leading", "trailing", "linspace"):
            raise ValueError(f"timestep_spacing {timestep_spacing!r} is not supported")
        self.timestep_spacing = timestep_spacing
        self.num_inference_steps = None
        self.timesteps: List[int] = []

    def set_timesteps(self, n: int) -> List[int]:
        if not 0 < n <= self.num_train_timesteps:
            raise ValueError(f"steps must be in 1..{self.num_train_timesteps}, got {n}")
        self.num_inference_steps = n
        T = self.num_train_timesteps
        if self.timestep_spacing == "linspace":
            ts = np.linspace(0, T - 1, n).round()[::-1].astype(np.int64)
        elif self.timestep_spacing == "leading":
            ratio = T // n
            ts = (np.arange(0, n) * ratio).round()[::-1].astype(np.int64) + self.steps_offset
        else:  # trailing
            ratio = T / n
            ts = np.round(np.arange(T, 0, -ratio)).astype(np.int64) - 1
        self.timesteps = [int(t) for t in ts]
        return self.timesteps

    def prev_timestep(self, t: int) -> int:
        # diffusers uses T // n for every spacing, trailing and linspace included.
        return t - self.num_train_timesteps // self.num_inference_steps

    def alphas(self, t: int):
        prev = self.prev_timestep(t)
        a = self.alphas_cumprod[t]
        a_prev = self.alphas_cumprod[prev] if prev >= 0 else self.final_alpha_cumprod
        return a, a_prev

    def variance(self, t: int) -> torch.Tensor:
        a, a_prev = self.alphas(t)
        return ((1 - a_prev) / (1 - a)) * (1 - a / a_prev)

    def step(self, model_output: torch.Tensor, t: int, sample: torch.Tensor, eta: float = 0.0,
             generator: Optional[torch.Generator] = None, variance_noise: Optional[torch.Tensor] = None):
        """Returns (prev_sample, pred_original_sample). Draws one randn(model_output.shape) from
        ``generator`` when eta > 0 and no ``variance_noise`` is given."""
        a, a_prev = self.alphas(t)
        b = 1 - a
        if self.prediction_type == "epsilon":
            x0 = (sample - b ** 0.5 * model_output) / a ** 0.5
            eps = model_output
        elif self.prediction_type == "sample":
            x0 = model_output
            eps = (sample - a ** 0.5 * x0) / b ** 0.5
        else:  # v_prediction
            x0 = (a ** 0.5) * sample - (b ** 0.5) * model_output
            eps = (a ** 0.5) * model_output + (b ** 0.5) * sample
        if self.clip_sample:
            x0 = x0.clamp(-self.clip_sample_range, self.clip_sample_range)
        std = eta * self.variance(t) ** 0.5
        direction = (1 - a_prev - std ** 2) ** 0.5 * eps
        prev = a_prev ** 0.5 * x0 + direction
        if eta > 0:
            if variance_noise is None:
                variance_noise = torch.randn(model_output.shape, generator=generator, dtype=model_output.dtype)
            prev = prev + std * variance_noise
        return prev, x0


# ------------------------------------------------------------------------------------------ pipeline

class Artifact:
    """The three TorchScript modules of one variant of an artifact directory."""

    def __init__(self, model_dir: str, device: str = "cpu", dtype: str = "float32"):
        with open(os.path.join(model_dir, "catvton.json")) as f:
            self.manifest = json.load(f)
        if self.manifest.get("format") != "catvton-torchscript":
            raise ValueError(f"{model_dir}: not a catvton-torchscript artifact")
        chosen = [v for v in self.manifest["variants"] if v["device"] == device and v["dtype"] == dtype]
        if not chosen:
            have = ", ".join(f"{v['device']}-{v['dtype']}" for v in self.manifest["variants"])
            raise ValueError(f"{model_dir}: no {device}-{dtype} variant (have {have})")
        self.variant = chosen[0]
        self.device = device
        self.modules = {m: torch.jit.load(os.path.join(model_dir, self.variant[m]), map_location=device).eval()
                        for m in MODULES}
        self.scaling_factor = float(self.manifest["scaling_factor"])
        self.scheduler_config = self.manifest["scheduler"]
        self.width, self.height = self.manifest["width"], self.manifest["height"]


def load_rgb(path: str) -> torch.Tensor:
    rgb = np.asarray(Image.open(path).convert("RGB"), dtype=np.uint8)
    return torch.from_numpy(rgb.copy()).permute(2, 0, 1)[None]  # [1,3,H,W] uint8


def load_gray(path: str) -> torch.Tensor:
    gray = np.asarray(Image.open(path).convert("L"), dtype=np.uint8)
    return torch.from_numpy(gray.copy())[None, None]  # [1,1,H,W] uint8


def to_image(x: torch.Tensor) -> np.ndarray:
    """[1,3,H,W] float in about [-1,1] -> HxWx3 uint8, as CatVTON: (x/2+0.5).clamp(0,1)*255, round."""
    x = (x / 2 + 0.5).clamp(0, 1)
    x = x[0].permute(1, 2, 0).float().numpy()
    return (x * 255).round().astype("uint8")


def vae_latent(artifact: Artifact, image: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    moments = artifact.modules["vae_encoder"](image.to(artifact.device)).cpu()
    mean, logvar = torch.chunk(moments, 2, dim=1)
    logvar = torch.clamp(logvar, -30.0, 20.0)
    std = torch.exp(0.5 * logvar)
    eps = torch.randn(mean.shape, generator=generator, dtype=mean.dtype)
    return (mean + std * eps) * artifact.scaling_factor


@torch.no_grad()
def tryon(artifact: Artifact, person: torch.Tensor, mask: torch.Tensor, garment: torch.Tensor,
          seed: int = 42, steps: int = 15, guidance: float = 2.5, eta: float = 1.0,
          on_step=None, timings: Optional[Dict[str, float]] = None) -> np.ndarray:
    """person, garment: [1,3,H,W] uint8; mask: [1,1,H,W] uint8 (grey). Returns HxWx3 uint8."""
    if person.shape[-2:] != mask.shape[-2:] or person.shape[-2:] != garment.shape[-2:]:
        raise ValueError("person, mask and garment must have the same size")
    image = person.float() / 127.5 - 1.0
    cond_image = garment.float() / 127.5 - 1.0
    mask = (mask >= 128).float()
    masked_image = image * (mask < 0.5)

    generator = torch.Generator().manual_seed(seed)
    started = time.perf_counter()
    masked_latent = vae_latent(artifact, masked_image, generator)   # (a)
    cond_latent = vae_latent(artifact, cond_image, generator)       # (b)
    mask_latent = F.interpolate(mask, size=masked_latent.shape[-2:], mode="nearest")
    encoded = time.perf_counter()

    masked_concat = torch.cat([masked_latent, cond_latent], dim=-2)
    mask_concat = torch.cat([mask_latent, torch.zeros_like(mask_latent)], dim=-2)
    latents = torch.randn(masked_concat.shape, generator=generator, dtype=torch.float32)  # (c)
    scheduler = Ddim(**artifact.scheduler_config)
    timesteps = scheduler.set_timesteps(steps)
    cfg = guidance > 1.0
    if cfg:
        masked_concat = torch.cat([torch.cat([masked_latent, torch.zeros_like(cond_latent)], dim=-2), masked_concat])
        mask_concat = torch.cat([mask_concat] * 2)
    unet = artifact.modules["unet"]
    for i, t in enumerate(timesteps):
        model_in = torch.cat([latents] * 2) if cfg else latents
        unet_in = torch.cat([model_in, mask_concat, masked_concat], dim=1)
        t_batch = torch.full((unet_in.shape[0],), t, dtype=torch.int64)
        noise = unet(unet_in.to(artifact.device), t_batch.to(artifact.device)).cpu()
        if cfg:
            uncond, cond = noise.chunk(2)
            noise = uncond + guidance * (cond - uncond)
        latents, _ = scheduler.step(noise, t, latents, eta=eta, generator=generator)  # (d) if eta > 0
        if on_step:
            on_step(i, t)
    denoised = time.perf_counter()

    latents = latents.split(latents.shape[-2] // 2, dim=-2)[0]
    latents = 1 / artifact.scaling_factor * latents
    decoded = artifact.modules["vae_decoder"](latents.to(artifact.device)).cpu()
    if not torch.isfinite(decoded).all():
        raise FloatingPointError("the decoder produced NaN or Inf")
    out = to_image(decoded)
    if timings is not None:
        finished = time.perf_counter()
        timings.update(encode=encoded - started, denoise=denoised - encoded, decode=finished - denoised,
                       total=finished - started)
    return out


def run_files(model: str, person: str, mask: str, garment: str, out: Optional[str], device="cpu",
              dtype="float32", **params) -> np.ndarray:
    artifact = Artifact(model, device, dtype)
    result = tryon(artifact, load_rgb(person), load_gray(mask), load_rgb(garment), **params)
    if out:
        Image.fromarray(result).save(out, optimize=True)
    return result


# ------------------------------------------------------------------------------- scheduler fixtures

def f32(x) -> str:
    """The shortest decimal that reads back as the same float32 (Java Float.parseFloat)."""
    return np.format_float_positional(np.float32(x), unique=True, trim="-") if abs(float(x)) >= 1e-4 or float(x) == 0 \
        else np.format_float_scientific(np.float32(x), unique=True, trim="-")


class F32(float):
    """A float that json writes with the shortest float32 representation."""

    def __repr__(self):
        return f32(self)


def floats(t) -> list:
    return [F32(v) for v in torch.as_tensor(t, dtype=torch.float32).flatten().tolist()]


def dump(obj) -> str:
    """JSON with float32-shortest numbers: numbers as F32 are written through their repr."""
    def enc(o):
        if isinstance(o, F32):
            s = repr(o)
            return s if any(c in s for c in ".en") else s + ".0"
        if isinstance(o, bool) or o is None:
            return json.dumps(o)
        if isinstance(o, (int, float, str)):
            return json.dumps(o)
        if isinstance(o, dict):
            return "{" + ", ".join(f"{json.dumps(k)}: {enc(v)}" for k, v in o.items()) + "}"
        if isinstance(o, (list, tuple)):
            return "[" + ", ".join(enc(v) for v in o) + "]"
        raise TypeError(type(o))
    return enc(obj)


DDIM_SHAPE = (1, 4, 2, 2)


def ddim_fixed_tensors():
    """Deterministic float32 sample, model_output and variance_noise of shape DDIM_SHAPE."""
    k = torch.arange(int(np.prod(DDIM_SHAPE)), dtype=torch.float64)
    sample = (torch.sin(k * 0.7 + 0.3) * 1.5).float().view(DDIM_SHAPE)
    model_output = (torch.cos(k * 1.3 - 0.2) * 0.9).float().view(DDIM_SHAPE)
    noise = (torch.sin(k * 2.1 + 1.0) * 1.1).float().view(DDIM_SHAPE)
    return sample, model_output, noise


def ddim_case(config: dict, steps: int, eta: float) -> dict:
    scheduler = Ddim(**config)
    timesteps = scheduler.set_timesteps(steps)
    sample, model_output, noise = ddim_fixed_tensors()
    per_step = {k: [] for k in ("prev_timesteps", "alpha_prod_t", "alpha_prod_t_prev", "variance", "std_dev_t")}
    for t in timesteps:
        a, a_prev = scheduler.alphas(t)
        per_step["prev_timesteps"].append(scheduler.prev_timestep(t))
        per_step["alpha_prod_t"].append(F32(float(a)))
        per_step["alpha_prod_t_prev"].append(F32(float(a_prev)))
        per_step["variance"].append(F32(float(scheduler.variance(t))))
        per_step["std_dev_t"].append(F32(float(eta * scheduler.variance(t) ** 0.5)))
    picks = sorted({0, 1, steps // 2, steps - 1} & set(range(steps)))
    step_results = []
    for i in picks:
        prev, x0 = scheduler.step(model_output, timesteps[i], sample, eta=eta, variance_noise=noise)
        step_results.append({"index": i, "timestep": timesteps[i],
                             "prev_sample": floats(prev), "pred_original_sample": floats(x0)})
    return {"config": config, "num_inference_steps": steps, "eta": F32(eta), "timesteps": timesteps,
            **per_step, "steps": step_results}


def write_ddim_fixtures(out_dir: str) -> List[str]:
    os.makedirs(out_dir, exist_ok=True)
    sample, model_output, noise = ddim_fixed_tensors()
    base = {"num_train_timesteps": 1000, "beta_start": 0.00085, "beta_end": 0.012,
            "beta_schedule": "scaled_linear", "clip_sample": False}
    written = []
    for spacing in ("leading", "trailing", "linspace"):
        cases = []
        for prediction in ("epsilon", "v_prediction"):
            for set_alpha_to_one in (False, True):
                # steps_offset only moves "leading" timesteps; one offset-1 set elsewhere shows it is ignored
                offsets = (0, 1) if spacing == "leading" or (prediction, set_alpha_to_one) == ("epsilon", False) else (0,)
                for offset in offsets:
                    config = dict(base, steps_offset=offset, set_alpha_to_one=set_alpha_to_one,
                                  prediction_type=prediction, timestep_spacing=spacing)
                    for steps in (1, 5, 15, 50):
                        for eta in (0.0, 1.0):
                            cases.append(ddim_case(config, steps, eta))
        doc = {
            "description": "diffusers DDIMScheduler values, float32, computed by tools/reference/reference_pipeline.py "
                           "(ddim); step() uses the fixed tensors below, variance_noise added only when eta > 0",
            "torch_version": torch.__version__,
            "shape": list(DDIM_SHAPE),
            "sample": floats(sample), "model_output": floats(model_output), "variance_noise": floats(noise),
            "cases": cases,
        }
        path = os.path.join(out_dir, f"ddim_{spacing}.json")
        with open(path, "w") as f:
            f.write(dump(doc))
            f.write("\n")
        written.append(path)
    acp = Ddim(**dict(base, steps_offset=1, set_alpha_to_one=False)).alphas_cumprod
    path = os.path.join(out_dir, "alphas_cumprod_scaled_linear.json")
    with open(path, "w") as f:
        f.write(dump({"beta_start": F32(0.00085), "beta_end": F32(0.012), "beta_schedule": "scaled_linear",
                      "num_train_timesteps": 1000, "alphas_cumprod": floats(acp)}))
        f.write("\n")
    written.append(path)
    # Validate: every file parses as JSON and reads back to the same float32 values.
    for p in written:
        with open(p) as f:
            json.load(f)
    return written


# ----------------------------------------------------------------------------------------------- CLI

def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="one try-on from prepared PNGs")
    r.add_argument("--model", required=True, help="artifact directory (holds catvton.json)")
    r.add_argument("--person", required=True)
    r.add_argument("--mask", required=True)
    r.add_argument("--garment", required=True)
    r.add_argument("--out", help="result PNG")
    r.add_argument("--device", default="cpu")
    r.add_argument("--dtype", default="float32", choices=("float32", "float16", "bfloat16"))
    r.add_argument("--seed", type=int, default=42)
    r.add_argument("--steps", type=int, default=15)
    r.add_argument("--guidance", type=float, default=2.5)
    r.add_argument("--eta", type=float, default=1.0)
    r.add_argument("--threads", type=int, help="torch.set_num_threads")
    r.add_argument("--repeat", type=int, default=1, help="run this many times and print each time")
    d = sub.add_parser("ddim", help="write the DDIM scheduler fixtures")
    d.add_argument("--out", required=True, help="folder for the JSON files")
    args = parser.parse_args(argv)
    if args.command == "ddim":
        for p in write_ddim_fixtures(args.out):
            print(f"wrote {p} ({os.path.getsize(p) / 1024:.1f} KiB)")
        return 0
    if args.threads:
        torch.set_num_threads(args.threads)
    artifact = Artifact(args.model, args.device, args.dtype)
    inputs = load_rgb(args.person), load_gray(args.mask), load_rgb(args.garment)
    for _ in range(args.repeat):
        timings = {}
        result = tryon(artifact, *inputs, seed=args.seed, steps=args.steps, guidance=args.guidance,
                       eta=args.eta, timings=timings)
        print("time: " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in timings.items()), flush=True)
    if args.out:
        Image.fromarray(result).save(args.out, optimize=True)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
