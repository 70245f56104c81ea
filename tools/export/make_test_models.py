#!/usr/bin/python3
"""Builds the two small CatVTON test artifacts under models/: toy-catvton and mini-catvton.

Runs with Debian's PyTorch 1.13 (``apt-get install python3-torch``), from the repository root:

    /usr/bin/python3 tools/export/make_test_models.py

Both artifacts get ``cpu-float32`` and ``cpu-bfloat16`` variants, are traced at 768x1024 and are
self-checked at 768x1024 and 384x512 (the mini also at 1536x2048, for the scaling benchmark) through the
same code the real export uses (catvton_artifact.py).

toy-catvton: analytic, no random weights, predictable output (see README.md "Toy model"):
  vae_encoder  mean = GAIN * avgpool8(image) in channels 0-2, 0 in channel 3; logvar = -30 everywhere
  vae_decoder  image = nearest-upsample8(latent[:, 0:3] / GAIN)
  unet         eps = (x_t - sqrt(acp[t]) * target) / sqrt(1 - acp[t]), so DDIM's x0 is `target`:
               person half: masked-person latent outside the mask, the garment latent warped
               (bilinear grid_sample) onto the mask's bounding box inside it; garment half: the
               garment latent itself.
mini-catvton: small random weights with the real structure in miniature (conv UNet with skips,
  GroupNorm, SiLU, sinusoidal timestep embedding, self-attention over person+garment tokens; small
  VAE). Deterministic: fixed seeds.
"""
import argparse
import math
import os
import sys

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import catvton_artifact as ca  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
WIDTH, HEIGHT = 768, 1024
CHECK_SIZES = {"toy": [(384, 512)], "mini": [(384, 512), (1536, 2048)]}   # the mini's largest for the scaling benchmark

# The toy VAE multiplies the block means by TOY_GAIN and the decoder divides by it. DDIM's last step
# leaves sqrt(1 - acp[0]) = 0.029 of noise in the latent (and eta > 0 adds about 0.021 more), which
# a pass-through decoder would show as ~20 grey levels of noise; the gain shrinks it to ~0.02 levels.
TOY_GAIN = 1000.0
TOY_LOGVAR = -30.0


def alphas_cumprod(scheduler: dict) -> torch.Tensor:
    """diffusers' scaled_linear schedule in float32."""
    n = scheduler["num_train_timesteps"]
    betas = torch.linspace(scheduler["beta_start"] ** 0.5, scheduler["beta_end"] ** 0.5, n,
                           dtype=torch.float32) ** 2
    return torch.cumprod(1.0 - betas, dim=0)


# ----------------------------------------------------------------------------------------------- toy

class ToyVaeEncoder(nn.Module):
    """moments = [GAIN * avgpool8(rgb), 0 | logvar -30 x 4]."""

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        mean_rgb = F.avg_pool2d(image, kernel_size=8, stride=8) * TOY_GAIN
        constant = torch.zeros_like(mean_rgb[:, :1])
        mean = torch.cat([mean_rgb, constant], dim=1)
        logvar = torch.zeros_like(mean) + TOY_LOGVAR
        return torch.cat([mean, logvar], dim=1)


class ToyVaeDecoder(nn.Module):
    """image = nearest-upsample8(latent[:, :3] / GAIN); channel 3 is ignored."""

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        rgb = latent[:, 0:3] / TOY_GAIN
        return F.interpolate(rgb, scale_factor=8.0, mode="nearest")


def warp_into_box(garment: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Warps the whole garment latent [N,C,h,w] onto the bounding box of mask [N,1,h,w] (> 0.5).

    For a cell (i, j), with the box rows y0..y1 and columns x0..x1 (inclusive), bh = y1 - y0 + 1,
    bw = x1 - x0 + 1, it samples the garment bilinearly (border padding) at source row
    (i + 0.5 - y0) * h / bh - 0.5 and column (j + 0.5 - x0) * w / bw - 0.5 (grid_sample,
    align_corners=False). All in float32 with tensor ops only, so the trace holds for any mask and
    size. Cells outside the box get border values; the caller uses the mask to pick them.
    """
    m = (mask.float() > 0.5).float()                      # [N,1,h,w]
    rows = m.amax(dim=3)                                  # [N,1,h]
    cols = m.amax(dim=2)                                  # [N,1,w]
    row_idx = torch.cumsum(torch.ones_like(rows), dim=-1) - 1.0
    col_idx = torch.cumsum(torch.ones_like(cols), dim=-1) - 1.0
    h = row_idx[..., -1:] + 1.0                           # [N,1,1], from the tensor, not a Python int
    w = col_idx[..., -1:] + 1.0
    y0 = torch.where(rows > 0.5, row_idx, h).amin(dim=-1, keepdim=True)
    y1 = torch.where(rows > 0.5, row_idx, -torch.ones_like(row_idx)).amax(dim=-1, keepdim=True)
    x0 = torch.where(cols > 0.5, col_idx, w).amin(dim=-1, keepdim=True)
    x1 = torch.where(cols > 0.5, col_idx, -torch.ones_like(col_idx)).amax(dim=-1, keepdim=True)
    bh = torch.clamp(y1 - y0 + 1.0, min=1.0)              # an empty mask gives a harmless box
    bw = torch.clamp(x1 - x0 + 1.0, min=1.0)
    gy = (row_idx + 0.5 - y0) / bh * 2.0 - 1.0            # [N,1,h], normalised garment row
    gx = (col_idx + 0.5 - x0) / bw * 2.0 - 1.0            # [N,1,w]
    gy = gy.transpose(1, 2)                               # [N,h,1]
    grid_x = gx + gy * 0.0                                # [N,h,w]
    grid_y = gy + gx * 0.0
    grid = torch.stack([grid_x, grid_y], dim=-1)          # [N,h,w,2] as (x, y)
    warped = F.grid_sample(garment.float(), grid, mode="bilinear", padding_mode="border",
                           align_corners=False)
    return warped.to(garment.dtype)


class ToyUNet(nn.Module):
    """Predicts the eps for which DDIM's x0 is the toy target (see module docstring)."""

    def __init__(self, scheduler: dict):
        super().__init__()
        acp = alphas_cumprod(scheduler)
        self.register_buffer("sqrt_acp", acp.sqrt())
        self.register_buffer("sqrt_one_minus_acp", (1.0 - acp).sqrt())

    def forward(self, sample: torch.Tensor, timestep: torch.Tensor) -> torch.Tensor:
        x = sample[:, 0:4]
        mask_person, _ = sample[:, 4:5].chunk(2, dim=2)
        person, garment = sample[:, 5:9].chunk(2, dim=2)
        inside = (mask_person > 0.5).to(sample.dtype)
        warped = warp_into_box(garment, mask_person)
        target_person = person * (1.0 - inside) + warped * inside
        target = torch.cat([target_person, garment], dim=2)
        a = self.sqrt_acp.index_select(0, timestep).to(sample.dtype).view(-1, 1, 1, 1)
        s = self.sqrt_one_minus_acp.index_select(0, timestep).to(sample.dtype).view(-1, 1, 1, 1)
        return (x - a * target) / s


def toy_modules() -> ca.ModuleSet:
    return ca.ModuleSet(ToyVaeEncoder(), ToyUNet(ca.DEFAULT_SCHEDULER), ToyVaeDecoder(),
                        latent_std=TOY_GAIN * ca.SCALING_FACTOR * 0.5, decoder_input_std=TOY_GAIN * 0.5)


# ---------------------------------------------------------------------------------------------- mini

def groups(channels: int) -> int:
    return 8 if channels % 8 == 0 else 1


def timestep_embedding(timestep: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding [N, dim] in float32 (the caller casts it to the activation dtype)."""
    half = dim // 2
    freqs = torch.exp(torch.arange(half, dtype=torch.float32, device=timestep.device)
                      * (-math.log(10000.0) / half))
    args = timestep.float()[:, None] * freqs[None, :]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class ResBlock(nn.Module):
    def __init__(self, cin: int, cout: int, temb: int = 0):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups(cin), cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.temb = nn.Linear(temb, cout) if temb else None
        self.norm2 = nn.GroupNorm(groups(cout), cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x: torch.Tensor, emb: torch.Tensor = None) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        if self.temb is not None:
            h = h + self.temb(F.silu(emb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return (x if self.skip is None else self.skip(x)) + h


class SelfAttention(nn.Module):
    """Multi-head softmax self-attention over all H*W tokens (person and garment halves together)."""

    def __init__(self, channels: int, heads: int = 2):
        super().__init__()
        self.heads = heads
        self.norm = nn.GroupNorm(groups(channels), channels)
        self.qkv = nn.Linear(channels, 3 * channels)
        self.out = nn.Linear(channels, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = self.norm(x).flatten(2).transpose(1, 2)              # [N, L, C]
        q, k, v = self.qkv(tokens).chunk(3, dim=-1)
        d = q.shape[-1] // self.heads
        q = q.unflatten(-1, (self.heads, d)).transpose(1, 2)          # [N, heads, L, d]
        k = k.unflatten(-1, (self.heads, d)).transpose(1, 2)
        v = v.unflatten(-1, (self.heads, d)).transpose(1, 2)
        weights = torch.softmax(q @ k.transpose(-1, -2) * (d ** -0.5), dim=-1)
        attended = (weights @ v).transpose(1, 2).flatten(2)            # [N, L, C]
        return x + self.out(attended).transpose(1, 2).reshape_as(x)


class MiniUNet(nn.Module):
    """9 -> 4 channels; 16/32/32 channels at 1, 1/2, 1/4 resolution; attention at 1/4."""

    def __init__(self, c1: int = 16, c2: int = 32, temb: int = 64):
        super().__init__()
        self.temb_dim = temb
        self.time_mlp = nn.Sequential(nn.Linear(temb, temb), nn.SiLU(), nn.Linear(temb, temb))
        self.conv_in = nn.Conv2d(9, c1, 3, padding=1)
        self.down1 = ResBlock(c1, c1, temb)
        self.pool1 = nn.Conv2d(c1, c1, 3, stride=2, padding=1)
        self.down2 = ResBlock(c1, c2, temb)
        self.pool2 = nn.Conv2d(c2, c2, 3, stride=2, padding=1)
        self.mid1 = ResBlock(c2, c2, temb)
        self.attn = SelfAttention(c2)
        self.mid2 = ResBlock(c2, c2, temb)
        self.up2 = ResBlock(c2 + c2, c2, temb)
        self.up1 = ResBlock(c2 + c1, c1, temb)
        self.norm_out = nn.GroupNorm(groups(c1), c1)
        self.conv_out = nn.Conv2d(c1, 4, 3, padding=1)

    def forward(self, sample: torch.Tensor, timestep: torch.Tensor) -> torch.Tensor:
        emb = self.time_mlp(timestep_embedding(timestep, self.temb_dim).to(sample.dtype))
        h1 = self.down1(self.conv_in(sample), emb)                       # [N,c1,2h,w]
        h2 = self.down2(self.pool1(h1), emb)                             # [N,c2,h,w/2]
        h = self.mid1(self.pool2(h2), emb)                               # [N,c2,h/2,w/4]
        h = self.mid2(self.attn(h), emb)
        h = F.interpolate(h, scale_factor=2.0, mode="nearest")
        h = self.up2(torch.cat([h, h2], dim=1), emb)
        h = F.interpolate(h, scale_factor=2.0, mode="nearest")
        h = self.up1(torch.cat([h, h1], dim=1), emb)
        return self.conv_out(F.silu(self.norm_out(h)))


class MiniVaeEncoder(nn.Module):
    """image -> moments [mean(4) | logvar(4)] at 1/8; logvar = -5 + 3 tanh(.) in [-8, -2]."""

    def __init__(self, c1: int = 16, c2: int = 32):
        super().__init__()
        self.conv_in = nn.Conv2d(3, c1, 3, padding=1)
        self.block1 = ResBlock(c1, c1)
        self.down1 = nn.Conv2d(c1, c1, 3, stride=2, padding=1)
        self.block2 = ResBlock(c1, c2)
        self.down2 = nn.Conv2d(c2, c2, 3, stride=2, padding=1)
        self.block3 = ResBlock(c2, c2)
        self.down3 = nn.Conv2d(c2, c2, 3, stride=2, padding=1)
        self.norm_out = nn.GroupNorm(groups(c2), c2)
        self.conv_out = nn.Conv2d(c2, 8, 3, padding=1)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        h = self.down1(self.block1(self.conv_in(image)))
        h = self.down2(self.block2(h))
        h = self.down3(self.block3(h))
        mean, raw = self.conv_out(F.silu(self.norm_out(h))).chunk(2, dim=1)
        return torch.cat([mean, torch.tanh(raw) * 3.0 - 5.0], dim=1)


class MiniVaeDecoder(nn.Module):
    """latent [4] at 1/8 -> image [3] in (-1, 1) through three bilinear x2 upsamplings and a tanh."""

    def __init__(self, c1: int = 16, c2: int = 32):
        super().__init__()
        self.conv_in = nn.Conv2d(4, c2, 3, padding=1)
        self.block1 = ResBlock(c2, c2)
        self.up1 = nn.Conv2d(c2, c2, 3, padding=1)
        self.block2 = ResBlock(c2, c1)
        self.up2 = nn.Conv2d(c1, c1, 3, padding=1)
        self.block3 = ResBlock(c1, c1)
        self.up3 = nn.Conv2d(c1, c1, 3, padding=1)
        self.norm_out = nn.GroupNorm(groups(c1), c1)
        self.conv_out = nn.Conv2d(c1, 3, 3, padding=1)

    @staticmethod
    def upsample(x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        h = self.block1(self.conv_in(latent))
        h = self.block2(self.up1(self.upsample(h)))
        h = self.block3(self.up2(self.upsample(h)))
        h = self.up3(self.upsample(h))
        return torch.tanh(self.conv_out(F.silu(self.norm_out(h))))


def init_weights(module: nn.Module, gain: float = 1.0) -> None:
    """N(0, gain^2 / fan_in) weights and small random biases: activations stay O(1) through the
    GroupNorm/SiLU stacks (the default init shrinks them layer by layer)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            fan_in = m.weight[0].numel()
            nn.init.normal_(m.weight, 0.0, gain / math.sqrt(fan_in))
            if m.bias is not None:
                nn.init.normal_(m.bias, 0.0, 0.05)
        elif isinstance(m, nn.GroupNorm):
            nn.init.normal_(m.weight, 1.0, 0.1)
            nn.init.normal_(m.bias, 0.0, 0.1)


def scale_(layer: nn.Module, factor: float) -> None:
    with torch.no_grad():
        layer.weight.mul_(factor)
        if layer.bias is not None:
            layer.bias.mul_(factor)


def mini_modules(seed: int = 20240607) -> ca.ModuleSet:
    torch.manual_seed(seed)
    encoder, unet, decoder = MiniVaeEncoder(), MiniUNet(), MiniVaeDecoder()
    for module in (encoder, unet, decoder):
        init_weights(module, gain=1.4)
        for block in module.modules():
            if isinstance(block, ResBlock):
                scale_(block.conv2, 0.5)   # residual branches start smaller than the skip path
    scale_(unet.conv_out, 1.0)     # eps about N(0, 1)
    scale_(encoder.conv_out, 1.0)
    scale_(decoder.conv_out, 0.6)  # pre-tanh std about 0.6: smooth, not saturated
    return ca.ModuleSet(encoder.eval(), unet.eval(), decoder.eval(), latent_std=1.0, decoder_input_std=5.0)


# ----------------------------------------------------------------------------------------------- main

def build(name: str, out_root: str, dtypes) -> None:
    modules = toy_modules() if name == "toy" else mini_modules()
    out = os.path.join(out_root, f"{name}-catvton")
    variants = ca.parse_variants("cpu", dtypes)
    ca.export_artifact(out, f"{name}-catvton", WIDTH, HEIGHT, modules, variants,
                       options=ca.ExportOptions(check_sizes=CHECK_SIZES[name]))
    ca.verify_artifact(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join(REPO, "models"), help="folder for the artifacts")
    parser.add_argument("--only", choices=("toy", "mini"), help="build just one of the two")
    parser.add_argument("--dtype", nargs="+", default=["float32", "bfloat16"], choices=("float32", "bfloat16"))
    args = parser.parse_args(argv)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    for name in ("toy", "mini"):
        if args.only in (None, name):
            build(name, args.out, args.dtype)
    return 0


if __name__ == "__main__":
    sys.exit(main())
