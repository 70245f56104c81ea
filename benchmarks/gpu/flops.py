#!/usr/bin/env python3
"""FLOPs of one CatVTON try-on, counted layer by layer from the SD-1.5 architecture, and the lower
bound on its time that a GPU's peak throughput gives. Plain Python, no dependencies:

    python3 benchmarks/gpu/flops.py                  # 1024x768, H100 SXM bf16 dense peak 989 TFLOP/s
    python3 benchmarks/gpu/flops.py --width 384 --height 512 --peak 989

Counted: every convolution and linear layer and the attention products (a multiply-add is 2 FLOPs).
Not counted: normalisations, activations, additions and the DDIM arithmetic, each well under 1 %.

CatVTON's UNet is the SD-1.5 inpainting UNet (9 input channels) with its cross-attention replaced by
a no-op (SkipAttnProcessor: no text), run on the person and garment latents stacked along the height
(latent H = 2 * height / 8); classifier-free guidance runs it on a batch of 2 per step. The VAE
(sd-vae-ft-mse) encodes the masked person and the garment and decodes the person half once.
"""
import argparse


def conv(h, w, cin, cout, k=3):
    return 2 * h * w * cin * cout * k * k


def linear(n, cin, cout):
    return 2 * n * cin * cout


def resnet(h, w, cin, cout):
    return conv(h, w, cin, cout) + conv(h, w, cout, cout) + (conv(h, w, cin, cout, 1) if cin != cout else 0)


def attention(n, c, kv_tokens=None, kv_dim=None):
    """Projections q, k, v, out and the two products QK^T and AV."""
    kv_n = n if kv_tokens is None else kv_tokens
    kv_c = c if kv_dim is None else kv_dim
    return (linear(n, c, c) + 2 * linear(kv_n, kv_c, c) + linear(n, c, c)
            + 2 * (2 * n * kv_n * c))


def transformer(h, w, c, cross_attention):
    """SD-1.5 Transformer2DModel: proj_in, self-attention, cross-attention (77 tokens of 768), GEGLU FF, proj_out."""
    n = h * w
    flops = linear(n, c, c)                                   # proj_in (1x1 conv)
    flops += attention(n, c)                                  # self-attention
    if cross_attention:
        flops += attention(n, c, kv_tokens=77, kv_dim=768)    # text cross-attention (SD); CatVTON skips it
    flops += linear(n, c, 8 * c) + linear(n, 4 * c, c)        # GEGLU: C -> 2*4C, 4C -> C
    flops += linear(n, c, c)                                  # proj_out
    return flops


def unet(h, w, cross_attention=False, attention_share=None):
    """SD-1.5 UNet2DConditionModel at latent h x w, in_channels 9 (inpainting)."""
    ch = [320, 640, 1280, 1280]
    total = {"conv": 0, "attention": 0}

    def add(kind, f):
        total[kind] += f

    add("conv", conv(h, w, 9, 320))                           # conv_in
    skips = [320]
    c_in = 320
    for level, c in enumerate(ch):
        s = 2 ** level
        for _ in range(2):
            add("conv", resnet(h // s, w // s, c_in, c))
            if level < 3:
                add("attention", transformer(h // s, w // s, c, cross_attention))
            c_in = c
            skips.append(c)
        if level < 3:
            add("conv", conv(h // (2 * s), w // (2 * s), c, c))   # downsample, stride 2
            skips.append(c)
    s = 8                                                      # mid block at h/8
    add("conv", 2 * resnet(h // s, w // s, 1280, 1280))
    add("attention", transformer(h // s, w // s, 1280, cross_attention))
    for level, c in enumerate(reversed(ch)):                  # up blocks: 1280, 1280, 640, 320
        s = 2 ** (3 - level)
        for _ in range(3):
            skip = skips.pop()
            add("conv", resnet(h // s, w // s, c_in + skip, c))
            if level > 0:
                add("attention", transformer(h // s, w // s, c, cross_attention))
            c_in = c
        if level < 3:
            add("conv", conv(h // s * 2, w // s * 2, c, c))   # nearest upsample then conv
    add("conv", conv(h, w, 320, 4))                           # conv_out
    return total


def vae_encoder(h, w):
    ch = [128, 256, 512, 512]
    f = conv(h, w, 3, 128)
    c_in = 128
    for level, c in enumerate(ch):
        s = 2 ** level
        for _ in range(2):
            f += resnet(h // s, w // s, c_in, c)
            c_in = c
        if level < 3:
            f += conv(h // (2 * s), w // (2 * s), c, c)
    s = 8
    f += 2 * resnet(h // s, w // s, 512, 512) + attention((h // s) * (w // s), 512)
    f += conv(h // s, w // s, 512, 8) + conv(h // s, w // s, 8, 8, 1)
    return f


def vae_decoder(h, w):
    s = 8
    f = conv(h // s, w // s, 4, 4, 1) + conv(h // s, w // s, 4, 512)
    f += 2 * resnet(h // s, w // s, 512, 512) + attention((h // s) * (w // s), 512)
    c_in = 512
    for level, c in enumerate([512, 512, 256, 128]):
        s = 2 ** (3 - level)
        for _ in range(3):
            f += resnet(h // s, w // s, c_in, c)
            c_in = c
        if level < 3:
            f += conv(h // s * 2, w // s * 2, c, c)
    f += conv(h, w, 128, 3)
    return f


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--width", type=int, default=768)
    p.add_argument("--height", type=int, default=1024)
    p.add_argument("--peak", type=float, default=989.0, help="TFLOP/s: H100/H200 SXM dense bf16 is 989")
    args = p.parse_args()
    lh, lw = args.height // 8, args.width // 8
    call = unet(2 * lh, lw)
    call_total = call["conv"] + call["attention"]
    sd = unet(lh, lw, cross_attention=True)
    enc, dec = vae_encoder(args.height, args.width), vae_decoder(args.height, args.width)
    T = 1e12
    print(f"image {args.width}x{args.height}, latent {lw}x{lh}, CatVTON UNet input {lw}x{2 * lh} (9 channels)")
    print(f"UNet call, batch 1:           {call_total / T:8.2f} TFLOP  (convolutions {call['conv'] / T:.2f}, "
          f"transformers {call['attention'] / T:.2f})")
    print(f"  for scale: SD-1.5 inpainting UNet at the single latent, with text: {(sd['conv'] + sd['attention']) / T:.2f} TFLOP")
    print(f"VAE encoder, one image:        {enc / T:8.2f} TFLOP   VAE decoder: {dec / T:.2f} TFLOP")
    peak = args.peak * T
    print(f"peak {args.peak:.0f} TFLOP/s; lower bound = FLOPs / peak (real kernels reach perhaps 40-60 % of it)")
    print(f"{'steps':>5} {'guidance':>9} {'TFLOP':>9} {'seconds >=':>11}")
    for steps in (15, 50):
        for guided in (True, False):
            flops = steps * (2 if guided else 1) * call_total + 2 * enc + dec
            print(f"{steps:5d} {'2.5' if guided else 'off':>9} {flops / T:9.1f} {flops / peak:11.3f}")


if __name__ == "__main__":
    main()
