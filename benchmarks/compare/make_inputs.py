#!/usr/bin/python3
"""Writes the benchmark inputs: a person, a mask, an upper and a lower garment, as JPEG.

    /usr/bin/python3 benchmarks/compare/make_inputs.py OUT_DIR

Synthetic and seeded (no photographs), with gradients, shapes and noise so that JPEG decoding and
resampling cost what they cost on photos. Sizes are those of typical phone and catalogue pictures.
"""
import os
import random
import sys

from PIL import Image, ImageDraw, ImageFilter

SIZES = {"person": (1200, 1600), "mask": (1200, 1600), "upper": (900, 1100), "lower": (800, 1200)}


def picture(width, height, seed):
    rnd = random.Random(seed)
    noise = Image.frombytes("RGB", (width // 4, height // 4),
                            bytes(rnd.randrange(256) for _ in range((width // 4) * (height // 4) * 3)))
    im = noise.resize((width, height), Image.BICUBIC).filter(ImageFilter.GaussianBlur(2))
    draw = ImageDraw.Draw(im)
    for _ in range(40):
        x0, y0 = rnd.randrange(width), rnd.randrange(height)
        box = (x0, y0, x0 + rnd.randrange(20, width // 3), y0 + rnd.randrange(20, height // 3))
        draw.ellipse(box, fill=tuple(rnd.randrange(256) for _ in range(3)))
    return im


def mask(width, height):
    im = Image.new("L", (width, height), 0)
    ImageDraw.Draw(im).ellipse((width // 4, height // 5, 3 * width // 4, 4 * height // 5), fill=255)
    return im.convert("RGB")


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for i, (name, size) in enumerate(SIZES.items()):
        im = mask(*size) if name == "mask" else picture(*size, seed=i)
        im.save(os.path.join(out, name + ".jpg"), quality=92)


if __name__ == "__main__":
    main()
