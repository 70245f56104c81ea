#!/usr/bin/env python3
"""Exports CatVTON to a catvton-torchscript artifact (docs/ARCHITECTURE.md "Model artifact").

Use torch 2.7.x, the libtorch DJL 0.36.0 serves with, so self-attention traces to the fused
scaled-dot-product kernel, plus diffusers, huggingface_hub and safetensors:

    pip install torch==2.7.1 diffusers==0.29.2 huggingface_hub safetensors   # CatVTON pins diffusers 0.29.2
    python tools/export/export_catvton.py --device cuda --dtype float16 bfloat16 float32 \\
        --weights mix-48k-1024 --out models/catvton-mix-48k-1024

Other torch versions work with a warning; torch 1.13 (no native F.scaled_dot_product_attention)
gets diffusers' plain AttnProcessor, the same math. Without pip (Debian's torch 1.13), --pydeps DIR
imports DIR/pyenv.py first, which makes diffusers 0.29.2 importable from source (the project's
shared pydeps folder; it cannot read .safetensors, so local folders need .bin files there).

It loads, as CatVTON's CatVTONPipeline does,
  - the UNet of the SD-1.5 inpainting base (--base, default booksforcharlie/stable-diffusion-inpainting),
  - the VAE stabilityai/sd-vae-ft-mse (--vae),
  - CatVTON's self-attention weights (--attn zhengchong/CatVTON, subfolder <weights>/attention:
    model.safetensors as downloaded, or pytorch_model.bin), keyed as CatVTON's training saves them
    (see match_attention_checkpoint),
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


SERVING_TORCH = (2, 7)  # DJL 0.36.0 serves with libtorch 2.7.1


def torch_version() -> tuple:
    match = re.match(r"(\d+)\.(\d+)", torch.__version__)
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


def check_torch_version() -> None:
    """Warns, never stops, when the exporting torch is not the serving libtorch's 2.7.x."""
    if torch_version() != SERVING_TORCH:
        print(f"warning: exporting with torch {torch.__version__}; the serving libtorch is 2.7.1 (DJL 0.36.0). "
              "TorchScript from other versions has loaded there so far (1.13 was checked), but export with "
              "torch 2.7.x to be sure", file=sys.stderr)


# ------------------------------------------------------------------------------- attention processors

class SkipAttnProcessor(nn.Module):
    """CatVTON's cross-attention replacement: returns the attention's input unchanged, so the
    transformer block adds norm2(h) to h where SD would add cross-attention to the text."""

    def __call__(self, attn, hidden_states, encoder_hidden_states=None, attention_mask=None, temb=None,
                 *args, **kwargs):
        return hidden_states


ATTENTION_CHOICES = ("auto", "sdpa", "math")


def attention_kind(choice: str) -> str:
    """"sdpa" or "math" for --attention: auto is sdpa on torch >= 2.0 (native
    F.scaled_dot_product_attention, traced as aten::scaled_dot_product_attention: the fused
    flash/memory-efficient kernels on CUDA, which the 1024x768 UNet needs: its top-level self-attention
    has 24576 tokens) and math on older torch. sdpa on torch 1.13 is refused: there the function is at
    most a Python stand-in (a --pydeps folder's pyenv.py), traced into the same math as AttnProcessor."""
    if choice == "auto":
        return "sdpa" if torch_version() >= (2, 0) else "math"
    if choice == "sdpa" and torch_version() < (2, 0):
        raise SystemExit(f"--attention sdpa needs torch >= 2.0 (this is {torch.__version__}); use --attention math")
    return choice


def self_attention_processor(kind: str):
    """diffusers' AttnProcessor2_0 (F.scaled_dot_product_attention) for "sdpa"; diffusers' plain
    AttnProcessor (the same math: softmax(q k^T * scale) v, as baddbmm + softmax + bmm) for "math"."""
    from diffusers.models.attention_processor import AttnProcessor, AttnProcessor2_0
    return AttnProcessor2_0() if kind == "sdpa" else AttnProcessor()


def set_catvton_processors(unet, vae, kind: str) -> str:
    """UNet: attn1 (self-attention) -> the chosen self-attention processor; attn2 (cross-attention) ->
    skip. VAE (its mid-block attention): the same self-attention processor. Checks that every
    processor in place is the one asked for (diffusers picks its own default per torch version, so
    the choice is made and verified here, not left to it). Returns the processor's class name."""
    processors = {}
    for name in unet.attn_processors.keys():
        processors[name] = self_attention_processor(kind) if name.endswith("attn1.processor") else SkipAttnProcessor()
    unet.set_attn_processor(processors)
    if vae.attn_processors:
        vae.set_attn_processor(self_attention_processor(kind))
    wanted = type(self_attention_processor(kind))
    installed = [(n, p) for n, p in unet.attn_processors.items() if n.endswith("attn1.processor")]
    installed += [("vae." + n, p) for n, p in vae.attn_processors.items()]
    wrong = [n for n, p in installed if type(p) is not wanted]
    if not installed or wrong:
        raise SystemExit(f"self-attention processors: expected {wanted.__name__} everywhere, "
                         f"{wrong[:3] or 'none installed'} differ")
    skipped = [n for n, p in unet.attn_processors.items()
               if not n.endswith("attn1.processor") and not isinstance(p, SkipAttnProcessor)]
    if skipped:
        raise SystemExit(f"cross-attention processors not skipped: {skipped[:3]}")
    return wanted.__name__


def set_fp32_precision(mode: str) -> str:
    """Float32 matrix products and convolutions on CUDA: "ieee" (exact) or "tf32". torch >= 2.9 has
    per-backend fp32_precision settings and deprecates the allow_tf32 flags; older torch has only the
    flags. Returns which API was used. (hasattr cannot ask the old way: torch.backends.cuda.matmul
    raises AssertionError for unknown attributes.)"""
    if torch_version() >= (2, 9):
        try:
            torch.backends.cuda.matmul.fp32_precision = mode
            torch.backends.cudnn.conv.fp32_precision = mode
            return "fp32_precision"
        except (AttributeError, AssertionError, RuntimeError):
            pass
    torch.backends.cuda.matmul.allow_tf32 = mode == "tf32"
    torch.backends.cudnn.allow_tf32 = mode == "tf32"
    return "allow_tf32"


def exact_float32() -> None:
    """No TF32 while exporting, so the float32 self-check is exact on the GPU."""
    set_fp32_precision("ieee")


# ------------------------------------------------------------------------- CatVTON's attention checkpoint

ATTN_BLOCK_SUFFIX = "attn1"
CHECKPOINT_NAMES = ("model.safetensors", "pytorch_model.bin")  # accelerate's SAFE_WEIGHTS_NAME, WEIGHTS_NAME


def read_state_dict(folder: str) -> tuple:
    """(path, state dict) of the attention checkpoint in folder: model.safetensors (the download) or
    pytorch_model.bin (the same tensors saved with torch.save), else the only .safetensors/.bin file."""
    files = [n for n in CHECKPOINT_NAMES if os.path.isfile(os.path.join(folder, n))]
    if not files:
        files = sorted(n for n in os.listdir(folder) if n.endswith((".safetensors", ".bin")))
        if len(files) != 1:
            raise SystemExit(f"{folder}: expected model.safetensors or pytorch_model.bin (CatVTON's attention "
                             f"checkpoint), found {files or 'no checkpoint'}")
    path = os.path.join(folder, files[0])
    if path.endswith(".safetensors"):
        try:
            from safetensors.torch import load_file
            return path, load_file(path, device="cpu")
        except (ImportError, RuntimeError) as e:
            raise SystemExit(f"{path}: cannot read it without the safetensors package ({e}); "
                             "pip install safetensors") from e
    # weights_only: tensors only, no pickled code; the default from torch 2.6 on, said here for every torch
    return path, torch.load(path, map_location="cpu", weights_only=True)


def attention_blocks(unet) -> list:
    """[(qualified name, module)] of every self-attention block (name ending in attn1), in named_modules() order."""
    return [(name, module) for name, module in unet.named_modules()
            if name.split(".")[-1] == ATTN_BLOCK_SUFFIX]


def checkpoint_layouts(unet, blocks) -> dict:
    """Where each block's entries start in CatVTON's list get_trainable_module(unet, "attention"):
    every module whose qualified name contains "attn1", in named_modules() order. A block contributes
    itself and its children (attn1, to_q, to_k, to_v, to_out, to_out.0, to_out.1 for SD-1.5), plus,
    in CatVTON's list, its processor: CatVTON's processors are nn.Modules installed by init_adapter
    before the list is built (8 entries per block). "legacy" is the same list without processor
    entries (7 per block), as a processor that is not an nn.Module would give."""
    names = [name for name, _ in unet.named_modules() if ATTN_BLOCK_SUFFIX in name
             and not name.endswith(".processor")]
    layouts = {"catvton": [], "legacy": []}
    position = {"catvton": 0, "legacy": 0}
    for block_name, _ in blocks:
        entries = sum(1 for n in names if n == block_name or n.startswith(block_name + "."))
        for layout, extra in (("catvton", 1), ("legacy", 0)):
            layouts[layout].append(position[layout])
            position[layout] += entries + extra
    return layouts


def match_attention_checkpoint(unet, state: dict, source: str) -> list:
    """Maps the checkpoint's keys to the UNet's attn1 parameters by structure, not by list position
    alone. Keys are "<index>.<parameter path inside the block>" (shared tensors saved once, under the
    block's own entry): the keys are grouped by index, the groups ordered, group k must sit at the
    k-th block's position in CatVTON's list (8 entries per block; the 7-per-block legacy list is
    accepted when every index fits it) and hold exactly that block's parameter names. Anything else
    is refused, naming the first key that does not fit. Returns [(key, parameter)]."""
    blocks = attention_blocks(unet)
    if not blocks:
        raise SystemExit("the UNet has no attn1 modules: not an SD-1.5 UNet?")
    groups = {}
    for key in state:
        match = re.fullmatch(r"(\d+)\.(.+)", key)
        if not match:
            raise SystemExit(f"{source}: key {key!r} is not <index>.<parameter> as in CatVTON's attention "
                             "checkpoint (e.g. '0.to_q.weight')")
        groups.setdefault(int(match.group(1)), {})[match.group(2)] = key
    indices = sorted(groups)
    layouts = checkpoint_layouts(unet, blocks)
    layout = next((name for name in ("catvton", "legacy") if indices == layouts[name]), None)
    if layout is None:
        expected = layouts["catvton"]
        for k, index in enumerate(indices):
            if k >= len(expected) or index != expected[k]:
                first = sorted(groups[index].values())[0]
                want = (f"index {expected[k]} (block {k}, {blocks[k][0]})" if k < len(expected)
                        else f"no more than {len(expected)} blocks")
                raise SystemExit(
                    f"{source}: key {first!r} does not fit CatVTON's attention layout: expected {want}; "
                    f"the {len(blocks)} attn1 blocks start at indices {expected[:4]}... (8 entries per block: "
                    "the block, to_q, to_k, to_v, to_out, to_out.0, to_out.1, processor)")
        k = len(indices)
        raise SystemExit(f"{source}: no value for block {k} ({blocks[k][0]}): expected keys "
                         f"'{expected[k]}.to_q.weight', ...; the checkpoint has {len(indices)} of {len(blocks)} blocks")
    pairs = []
    for k, (index, (block_name, block)) in enumerate(zip(indices, blocks)):
        params = dict(block.named_parameters())
        got = groups[index]
        for rel in sorted(got):
            if rel not in params:
                raise SystemExit(f"{source}: key {got[rel]!r} is not a parameter of block {k} ({block_name}); "
                                 f"expected {sorted(f'{index}.{p}' for p in params)}")
        for rel in params:
            if rel not in got:
                raise SystemExit(f"{source}: no value for {block_name}.{rel}: expected key '{index}.{rel}'")
            value, target = state[got[rel]], params[rel]
            if tuple(value.shape) != tuple(target.shape):
                raise SystemExit(f"{source}: {got[rel]} has shape {tuple(value.shape)}, "
                                 f"{block_name}.{rel} {tuple(target.shape)}")
            pairs.append((got[rel], target))
    print(f"attention checkpoint {source}: {layout} layout ({'8' if layout == 'catvton' else '7'} entries "
          f"per block), {len(blocks)} attn1 blocks")
    return pairs


def load_attention_weights(unet, folder: str) -> int:
    """Loads CatVTON's attention checkpoint into the attn1 parameters; every one receives exactly one
    value. Returns the number of tensors loaded."""
    source, state = read_state_dict(folder)
    pairs = match_attention_checkpoint(unet, state, source)
    targets = [id(p) for _, p in pairs]
    own = {id(p) for _, block in attention_blocks(unet) for p in block.parameters()}
    if len(set(targets)) != len(targets) or set(targets) != own:
        raise SystemExit(f"{source}: {len(own)} attn1 parameters, {len(set(targets))} of them given values "
                         f"by {len(targets)} keys")
    with torch.no_grad():
        for key, target in pairs:
            target.copy_(state[key].to(dtype=target.dtype))
    print(f"loaded {len(pairs)} tensors ({sum(p.numel() for _, p in pairs):,} values) into "
          f"{len(attention_blocks(unet))} self-attention blocks")
    return len(pairs)


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
    processor = set_catvton_processors(unet, vae, attention_kind(args.attention))
    print(f"self-attention processor: {processor} (torch {torch.__version__})")
    load_attention_weights(unet, attention_folder(args.attn, args.weights, args.cache_dir))
    scheduler = DDIMScheduler.from_pretrained(args.base, subfolder="scheduler", cache_dir=args.cache_dir).config
    block = {key: scheduler[key] for key in SCHEDULER_KEYS}
    if scheduler.get("thresholding") or scheduler.get("rescale_betas_zero_snr") or scheduler.get("trained_betas"):
        raise SystemExit(f"unsupported scheduler config (thresholding, zero-SNR or trained betas): {dict(scheduler)}")
    modules = ca.ModuleSet(VaeEncoderCore(vae).eval(), UNetCore(unet).eval(), VaeDecoderCore(vae).eval(),
                           latent_std=1.0, decoder_input_std=1.0 / ca.SCALING_FACTOR)
    return modules, block, processor


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
    parser.add_argument("--pydeps", metavar="DIR",
                        help="import DIR/pyenv.py before diffusers (diffusers from source on machines without pip)")
    parser.add_argument("--check-size", type=parse_size, action="append",
                        help="extra WIDTHxHEIGHT for the self-check (default 384x512); repeatable")
    parser.add_argument("--check-batches", type=int, nargs="+", default=[1, 2],
                        help="UNet batch sizes for the self-check (encoder and decoder use 1)")
    parser.add_argument("--attention", choices=ATTENTION_CHOICES, default="auto",
                        help="self-attention: sdpa (diffusers' AttnProcessor2_0, F.scaled_dot_product_attention), "
                             "math (diffusers' AttnProcessor); auto: sdpa on torch >= 2.0, else math")
    parser.add_argument("--random-weights", action="store_true",
                        help="the folders hold random weights (test models): catvton.json says \"weights\": \"random\", "
                             "and vton warns that the output is noise")
    parser.add_argument("--no-float32-comparison", action="store_true",
                        help="skip comparing float16/bfloat16 variants with the float32 model")
    args = parser.parse_args(argv)

    if args.pydeps:
        sys.path.insert(0, os.path.abspath(args.pydeps))
        import pyenv  # noqa: F401
    check_torch_version()
    dtypes = args.dtype or (["float16"] if args.device == "cuda" else ["float32"])
    try:
        variants = ca.parse_variants(args.device, dtypes)
    except ca.ArtifactError as e:
        raise SystemExit(str(e))
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda but torch.cuda.is_available() is False")
    # Exact float32 on the GPU while checking; TF32 is a run-time setting of the server, not traced.
    exact_float32()
    weights = ATTENTION_WEIGHTS[args.weights]
    modules, scheduler, processor = load_modules(args)
    options = ca.ExportOptions(
        check_sizes=args.check_size or [(384, 512)],
        batches={"vae_encoder": (1,), "unet": tuple(args.check_batches), "vae_decoder": (1,)},
        compare_float32=not args.no_float32_comparison,
        variant_fields={"attention": processor},
        weights="random" if args.random_weights else "trained")
    ca.export_artifact(args.out, args.name or f"catvton-{weights}", args.width, args.height, modules, variants,
                       scheduler=scheduler, options=options)
    ca.verify_artifact(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
