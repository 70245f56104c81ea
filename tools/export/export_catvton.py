#!/usr/bin/env python3
"""Exports the real CatVTON model to a catvton-torchscript artifact (DESIGN.md "Model artifact").

Needs torch >= 2.0 (use 2.7.x, the libtorch DJL 0.36.0 serves with) so self-attention traces to
the fused scaled-dot-product kernel, plus diffusers, huggingface_hub and safetensors:

    pip install torch==2.7.1 diffusers==0.29.2 huggingface_hub safetensors   # CatVTON pins diffusers 0.29.2
    python tools/export/export_catvton.py --device cuda --dtype float16 bfloat16 float32 \\
        --weights mix-48k-1024 --out models/catvton-mix-48k-1024

It loads, as CatVTON's CatVTONPipeline does,
  - the UNet of the SD-1.5 inpainting base (--base, default booksforcharlie/stable-diffusion-inpainting),
  - the VAE stabilityai/sd-vae-ft-mse (--vae),
  - CatVTON's self-attention weights (--attn zhengchong/CatVTON, subfolder <weights>/attention),
replaces the attention processors (cross-attention skipped: the processor hands its input back;
self-attention: scaled-dot-product attention), wraps encoder, UNet and decoder with float32 inputs and
outputs, traces them on --device for every --dtype, and self-checks every traced file (see
catvton_artifact.TOLERANCES). Variants already in --out with the same name and size are kept, so
CPU and CUDA variants can be exported by separate runs into one artifact.
"""
import argparse
import os
import re
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import catvton_artifact as ca  # noqa: E402

ATTENTION_WEIGHTS = {
    "mix-48k-1024": "mix-48k-1024",
    "vitonhd-16k-512": "vitonhd-16k-512",
    "dresscode-16k-512": "dresscode-16k-512",
    # CatVTON's short names (attn_ckpt_version)
    "mix": "mix-48k-1024",
    "vitonhd": "vitonhd-16k-512",
    "dresscode": "dresscode-16k-512",
}
SCHEDULER_KEYS = tuple(ca.DEFAULT_SCHEDULER)


def require_torch_2() -> None:
    match = re.match(r"(\d+)\.(\d+)", torch.__version__)
    major, minor = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
    if major < 2:
        sys.exit(f"export_catvton.py needs torch >= 2.0 (found {torch.__version__}): CatVTON's self-attention "
                 "uses F.scaled_dot_product_attention. Install torch 2.7.x, the version DJL 0.36.0's libtorch has.")
    if (major, minor) != (2, 7):
        print(f"warning: torch {torch.__version__}; the serving libtorch is 2.7.1, export with 2.7.x to match",
              file=sys.stderr)


# ------------------------------------------------------------------------------- attention processors

class SkipAttnProcessor(nn.Module):
    """CatVTON's cross-attention replacement: returns the attention's input unchanged, so the
    transformer block adds norm2(h) to h where SD would add cross-attention to the text."""

    def __call__(self, attn, hidden_states, encoder_hidden_states=None, attention_mask=None, temb=None,
                 *args, **kwargs):
        return hidden_states


def set_catvton_processors(unet) -> None:
    """attn1 (self-attention) -> scaled-dot-product attention; attn2 (cross-attention) -> skip."""
    from diffusers.models.attention_processor import AttnProcessor2_0
    processors = {}
    for name in unet.attn_processors.keys():
        processors[name] = AttnProcessor2_0() if name.endswith("attn1.processor") else SkipAttnProcessor()
    unet.set_attn_processor(processors)


def attention_modules(unet) -> nn.ModuleList:
    """CatVTON's trainable "attention" modules: every module whose qualified name contains "attn1",
    in named_modules() order (the attn1 blocks and their children). The checkpoint's keys index
    this list, so it must be built the same way."""
    return nn.ModuleList([module for name, module in unet.named_modules() if "attn1" in name])


def read_state_dict(folder: str) -> dict:
    candidates = ["model.safetensors", "diffusion_pytorch_model.safetensors", "pytorch_model.bin",
                  "diffusion_pytorch_model.bin"]
    for name in candidates + sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if not os.path.isfile(path):
            continue
        if name.endswith(".safetensors"):
            from safetensors.torch import load_file
            return load_file(path)
        if name.endswith(".bin"):
            return torch.load(path, map_location="cpu")
    raise SystemExit(f"no .safetensors or .bin checkpoint in {folder}")


def load_attention_weights(unet, folder: str) -> None:
    """Loads CatVTON's attention checkpoint into the attn1 modules and checks that every parameter
    of them was set (shared tensors may be saved once under any of their names)."""
    modules = attention_modules(unet)
    if not modules:
        raise SystemExit("the UNet has no attn1 modules: not an SD-1.5 UNet?")
    state = read_state_dict(folder)
    own = modules.state_dict(keep_vars=True)
    unknown = sorted(k for k in state if k not in own)
    if unknown:
        raise SystemExit(f"{folder}: {len(unknown)} keys do not match the UNet's attention modules, e.g. {unknown[:5]}")
    loaded = set()
    with torch.no_grad():
        for key, value in state.items():
            target = own[key]
            if target.shape != value.shape:
                raise SystemExit(f"{folder}: {key} has shape {tuple(value.shape)}, the UNet {tuple(target.shape)}")
            target.copy_(value.to(dtype=target.dtype))
            loaded.add(id(target))
    missing = [name for name, p in modules.named_parameters() if id(p) not in loaded]
    if missing:
        raise SystemExit(f"{folder}: no value for {len(missing)} attention parameters, e.g. {missing[:5]}")
    print(f"loaded {len(state)} tensors into {sum(1 for n, _ in unet.named_modules() if n.endswith('attn1'))} "
          f"self-attention blocks from {folder}")


def attention_folder(attn: str, weights: str, cache_dir=None) -> str:
    sub = ATTENTION_WEIGHTS[weights]
    if os.path.isdir(attn):
        root = attn
    else:
        from huggingface_hub import snapshot_download
        root = snapshot_download(repo_id=attn, allow_patterns=[f"{sub}/attention/*"], cache_dir=cache_dir)
    folder = os.path.join(root, sub, "attention")
    if not os.path.isdir(folder):
        raise SystemExit(f"{folder} does not exist")
    return folder


# ----------------------------------------------------------------------------------------- wrappers

class VaeEncoderCore(nn.Module):
    """image[B,3,H,W] -> moments[B,8,H/8,W/8] = AutoencoderKL.encode(x).latent_dist.parameters."""

    def __init__(self, vae):
        super().__init__()
        self.encoder = vae.encoder
        self.quant_conv = vae.quant_conv

    def forward(self, image):
        h = self.encoder(image)
        return self.quant_conv(h) if self.quant_conv is not None else h


class VaeDecoderCore(nn.Module):
    """latent[B,4,h,w] (already / scaling_factor) -> image[B,3,8h,8w] = AutoencoderKL.decode(z).sample."""

    def __init__(self, vae):
        super().__init__()
        self.post_quant_conv = vae.post_quant_conv
        self.decoder = vae.decoder

    def forward(self, latent):
        z = self.post_quant_conv(latent) if self.post_quant_conv is not None else latent
        return self.decoder(z)


class UNetCore(nn.Module):
    """(sample[N,9,2h,w], timestep int64[N]) -> noise[N,4,2h,w], no text conditioning (CatVTON)."""

    def __init__(self, unet):
        super().__init__()
        self.unet = unet

    def forward(self, sample, timestep):
        return self.unet(sample, timestep, encoder_hidden_states=None, return_dict=False)[0]


def load_modules(args) -> tuple:
    from diffusers import AutoencoderKL, DDIMScheduler, UNet2DConditionModel
    print(f"loading UNet from {args.base}, VAE from {args.vae}")
    unet = UNet2DConditionModel.from_pretrained(args.base, subfolder="unet", torch_dtype=torch.float32,
                                                cache_dir=args.cache_dir)
    if unet.config.in_channels != 9:
        raise SystemExit(f"{args.base}: the UNet has {unet.config.in_channels} input channels, CatVTON needs 9 (inpainting)")
    vae = AutoencoderKL.from_pretrained(args.vae, torch_dtype=torch.float32, cache_dir=args.cache_dir)
    if abs(vae.config.scaling_factor - ca.SCALING_FACTOR) > 1e-9:
        raise SystemExit(f"VAE scaling_factor {vae.config.scaling_factor}, the artifact format fixes {ca.SCALING_FACTOR}")
    set_catvton_processors(unet)
    load_attention_weights(unet, attention_folder(args.attn, args.weights, args.cache_dir))
    scheduler = DDIMScheduler.from_pretrained(args.base, subfolder="scheduler", cache_dir=args.cache_dir).config
    block = {key: scheduler[key] for key in SCHEDULER_KEYS}
    if scheduler.get("thresholding") or scheduler.get("rescale_betas_zero_snr") or scheduler.get("trained_betas"):
        raise SystemExit(f"unsupported scheduler config (thresholding, zero-SNR or trained betas): {dict(scheduler)}")
    modules = ca.ModuleSet(VaeEncoderCore(vae).eval(), UNetCore(unet).eval(), VaeDecoderCore(vae).eval(),
                           latent_std=1.0, decoder_input_std=1.0 / ca.SCALING_FACTOR)
    return modules, block


def parse_size(text: str):
    match = re.fullmatch(r"(\d+)x(\d+)", text)
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r}: use WIDTHxHEIGHT, e.g. 384x512")
    return int(match.group(1)), int(match.group(2))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", choices=("cuda", "cpu"), default="cuda",
                        help="device to trace on; a variant runs only on the device it was traced on")
    parser.add_argument("--dtype", nargs="+", choices=sorted(ca.DTYPES),
                        help="dtypes to export (default: float16 on cuda, float32 on cpu)")
    parser.add_argument("--out", required=True, help="artifact directory")
    parser.add_argument("--weights", default="mix-48k-1024", choices=sorted(ATTENTION_WEIGHTS),
                        help="CatVTON attention weights")
    parser.add_argument("--width", type=int, default=768)
    parser.add_argument("--height", type=int, default=1024)
    parser.add_argument("--name", help="artifact name (default catvton-<weights>)")
    parser.add_argument("--base", default="booksforcharlie/stable-diffusion-inpainting",
                        help="SD-1.5 inpainting repository or folder (UNet and scheduler)")
    parser.add_argument("--vae", default="stabilityai/sd-vae-ft-mse", help="VAE repository or folder")
    parser.add_argument("--attn", default="zhengchong/CatVTON", help="CatVTON repository or folder")
    parser.add_argument("--cache-dir", help="Hugging Face cache folder")
    parser.add_argument("--check-size", type=parse_size, action="append",
                        help="extra WIDTHxHEIGHT for the self-check (default 384x512); repeatable")
    parser.add_argument("--check-batches", type=int, nargs="+", default=[1, 2],
                        help="UNet batch sizes for the self-check (encoder and decoder use 1)")
    parser.add_argument("--no-float32-comparison", action="store_true",
                        help="skip comparing float16/bfloat16 variants with the float32 model")
    args = parser.parse_args(argv)

    require_torch_2()
    dtypes = args.dtype or (["float16"] if args.device == "cuda" else ["float32"])
    try:
        variants = ca.parse_variants(args.device, dtypes)
    except ca.ArtifactError as e:
        raise SystemExit(str(e))
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda but torch.cuda.is_available() is False")
    # Exact float32 on the GPU while checking; TF32 is a run-time setting of the server, not traced.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    weights = ATTENTION_WEIGHTS[args.weights]
    modules, scheduler = load_modules(args)
    options = ca.ExportOptions(
        check_sizes=args.check_size or [(384, 512)],
        batches={"vae_encoder": (1,), "unet": tuple(args.check_batches), "vae_decoder": (1,)},
        compare_float32=not args.no_float32_comparison)
    ca.export_artifact(args.out, args.name or f"catvton-{weights}", args.width, args.height, modules, variants,
                       scheduler=scheduler, options=options)
    ca.verify_artifact(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
