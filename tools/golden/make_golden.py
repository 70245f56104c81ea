#!/usr/bin/python3
"""Writes the Pillow golden files the vton-preprocess tests compare with, bit for bit.

Run with Debian's Pillow 9.4 (``apt-get install python3-pil``), from the repository root:

    /usr/bin/python3 tools/golden/make_golden.py

Inputs are synthetic and seeded, so the output is the same on every run. Everything goes to
``vton-preprocess/src/test/resources/golden/``: inputs and expected outputs as PNG, plus
``cases.txt`` listing each case as ``operation input expected parameters...``.
"""
import os
import random
import sys

import numpy as np
import PIL
from PIL import Image, ImageDraw, ImageFilter

OUT = os.path.join("vton-preprocess", "src", "test", "resources", "golden")


def synthetic(width, height, seed, mode="RGB"):
    """A deterministic test picture: gradients, shapes and a noise patch, so every resampling weight
    matters but the PNG stays small."""
    rnd = random.Random(seed)
    im = Image.new("RGB", (width, height))
    px = im.load()
    for y in range(height):
        for x in range(width):
            px[x, y] = (
                (x * 255) // max(width - 1, 1),
                (y * 255) // max(height - 1, 1),
                ((x + y) * 7 + seed) % 256,
            )
    draw = ImageDraw.Draw(im)
    for _ in range(6):
        x0, y0 = rnd.randrange(width), rnd.randrange(height)
        x1, y1 = x0 + rnd.randrange(1, max(width // 2, 2)), y0 + rnd.randrange(1, max(height // 2, 2))
        colour = tuple(rnd.randrange(256) for _ in range(3))
        if rnd.random() < 0.5:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
        else:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
    # A patch of noise with full-range jumps exercises clamping of the Lanczos overshoot.
    pw, ph = min(width, 12), min(height, 12)
    ox, oy = rnd.randrange(width - pw + 1), rnd.randrange(height - ph + 1)
    for y in range(ph):
        for x in range(pw):
            px[ox + x, oy + y] = tuple(rnd.choice((0, 255, rnd.randrange(256))) for _ in range(3))
    return im.convert(mode) if mode != "RGB" else im


def resize_and_crop(image, size):
    # CatVTON utils.resize_and_crop, verbatim in behaviour.
    w, h = image.size
    target_w, target_h = size
    if w / h < target_w / target_h:
        new_w = w
        new_h = w * target_h // target_w
    else:
        new_h = h
        new_w = h * target_w // target_h
    image = image.crop(((w - new_w) // 2, (h - new_h) // 2, (w + new_w) // 2, (h + new_h) // 2))
    return image.resize(size, Image.LANCZOS)


def resize_and_padding(image, size):
    # CatVTON utils.resize_and_padding, verbatim in behaviour.
    w, h = image.size
    target_w, target_h = size
    if w / h < target_w / target_h:
        new_h = target_h
        new_w = w * target_h // h
    else:
        new_w = target_w
        new_h = h * target_w // w
    image = image.resize((new_w, new_h), Image.LANCZOS)
    padding = Image.new("RGB", size, (255, 255, 255))
    padding.paste(image, ((target_w - new_w) // 2, (target_h - new_h) // 2))
    return padding


def stack(upper, lower):
    # DESIGN.md "Garment stacking": centred on white.
    width = max(upper.width, lower.width)
    canvas = Image.new("RGB", (width, upper.height + lower.height), (255, 255, 255))
    canvas.paste(upper, ((width - upper.width) // 2, 0))
    canvas.paste(lower, ((width - lower.width) // 2, upper.height))
    return canvas


def threshold(gray):
    return gray.point(lambda v: 255 if v >= 128 else 0)


class Writer:
    def __init__(self):
        self.lines = []
        self.saved = {}

    def image(self, name, im):
        if name not in self.saved:
            im.save(os.path.join(OUT, name), optimize=True)
            self.saved[name] = im
        return name

    def case(self, *fields):
        self.lines.append(" ".join(str(f) for f in fields))


def main():
    if PIL.__version__ != "9.4.0":
        sys.exit("expected Pillow 9.4.0 (Debian's python3-pil), found " + PIL.__version__)
    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):
        os.remove(os.path.join(OUT, old))
    out = Writer()

    # Lanczos alone: down, up, mixed, one axis only, big ratios, extreme shapes, 1x1.
    lanczos = [
        ((257, 193), (101, 67)), ((37, 29), (150, 111)), ((120, 40), (50, 97)),
        ((97, 50), (40, 50)), ((50, 97), (50, 33)), ((801, 601), (31, 17)),
        ((1, 2000), (3, 100)), ((2000, 1), (100, 3)), ((1, 2000), (1, 7)),
        ((1, 1), (5, 7)), ((5, 7), (1, 1)), ((64, 64), (64, 64)), ((333, 444), (768, 1024)),
    ]
    for i, (src, dst) in enumerate(lanczos):
        name = out.image(f"src_{src[0]}x{src[1]}.png", synthetic(*src, seed=i))
        im = out.saved[name]
        exp = out.image(f"lanczos_{src[0]}x{src[1]}_to_{dst[0]}x{dst[1]}.png", im.resize(dst, Image.LANCZOS))
        out.case("lanczos", name, exp, *dst)
        gname = out.image(f"src_{src[0]}x{src[1]}_L.png", im.convert("L"))
        gexp = out.image(f"lanczos_{src[0]}x{src[1]}_to_{dst[0]}x{dst[1]}_L.png",
                         out.saved[gname].resize(dst, Image.LANCZOS))
        out.case("lanczos", gname, gexp, *dst)

    # CatVTON framing from several aspect ratios, to both pipeline sizes.
    framing_sources = [(300, 400), (500, 300), (200, 500), (123, 77), (1000, 999), (41, 1000), (1, 2000)]
    for i, src in enumerate(framing_sources):
        name = out.image(f"src_{src[0]}x{src[1]}.png", synthetic(*src, seed=100 + i))
        im = out.saved[name]
        for size in ((768, 1024), (384, 512)):
            tag = f"{src[0]}x{src[1]}_to_{size[0]}x{size[1]}"
            out.case("crop", name, out.image(f"crop_{tag}.png", resize_and_crop(im, size)), *size)
            new_w = src[0] * size[1] // src[1] if src[0] / src[1] < size[0] / size[1] else size[0]
            new_h = size[1] if src[0] / src[1] < size[0] / size[1] else src[1] * size[0] // src[0]
            if new_w > 0 and new_h > 0:  # Pillow refuses a zero-sized resize; Java must refuse too
                out.case("padding", name, out.image(f"padding_{tag}.png", resize_and_padding(im, size)), *size)
            else:
                out.case("padding-refused", name, "-", *size)

    # Gray conversion and thresholding.
    noise = Image.frombytes("RGB", (64, 48), bytes(random.Random(7).randrange(256) for _ in range(64 * 48 * 3)))
    out.case("gray", out.image("noise_64x48.png", noise), out.image("gray_64x48.png", noise.convert("L")))
    ramp = Image.frombytes("L", (256, 3), bytes(list(range(256)) * 3))
    out.case("threshold", out.image("ramp_256x3.png", ramp), out.image("threshold_256x3.png", threshold(ramp)))
    mask_src = synthetic(90, 120, seed=300, mode="L")
    out.case("threshold", out.image("mask_src_90x120.png", mask_src),
             out.image("threshold_90x120.png", threshold(mask_src)))

    # Blur and dilation of a binary mask, as used for repainting.
    binary = threshold(mask_src)
    out.image("binary_90x120.png", binary)
    for radius in (0.5, 1.5, 5, 21, 80):
        blurred = binary.filter(ImageFilter.GaussianBlur(radius))
        out.case("blur", "binary_90x120.png", out.image(f"blur_{radius}_90x120.png", blurred), radius)
    for size in (1, 3, 9, 31):
        dilated = binary.filter(ImageFilter.MaxFilter(size))
        out.case("dilate", "binary_90x120.png", out.image(f"dilate_{size}_90x120.png", dilated), size)

    # Garment stacking: wider top, wider bottom, odd width differences, equal widths.
    pairs = [((40, 30), (25, 50)), ((21, 17), (60, 33)), ((33, 10), (32, 10)), ((16, 16), (16, 16))]
    for i, (a, b) in enumerate(pairs):
        upper = out.image(f"upper_{a[0]}x{a[1]}.png", synthetic(*a, seed=200 + i))
        lower = out.image(f"lower_{b[0]}x{b[1]}.png", synthetic(*b, seed=250 + i))
        expected = stack(out.saved[upper], out.saved[lower])
        out.case("stack", upper, lower, out.image(f"stack_{a[0]}x{a[1]}_{b[0]}x{b[1]}.png", expected))

    # The whole preparation for each cloth type at 384x512, as the Python service computes it.
    person = out.image("person_300x420.png", synthetic(300, 420, seed=400))
    mask = out.image("mask_300x420.png", synthetic(300, 420, seed=401))
    upper = out.image("upper_120x90.png", synthetic(120, 90, seed=402))
    lower = out.image("lower_80x150.png", synthetic(80, 150, seed=403))
    size = (384, 512)
    exp_person = out.image("prepared_person.png", resize_and_crop(out.saved[person], size))
    exp_mask = out.image("prepared_mask.png", threshold(resize_and_crop(out.saved[mask].convert("L"), size)))
    garments = {"upper": out.saved[upper], "lower": out.saved[lower],
                "overall": stack(out.saved[upper], out.saved[lower])}
    for cloth_type, garment in garments.items():
        exp_garment = out.image(f"prepared_garment_{cloth_type}.png", resize_and_padding(garment, size))
        out.case("prepare", cloth_type, person, mask, upper, lower, exp_person, exp_mask, exp_garment, *size)

    # CatVTON inference.py's repaint: the mask blurred with GaussianBlur(h // 50 made odd), then
    # person * (1 - m) + result * m in float64, truncated by astype(uint8).
    person = out.image("repaint_person_128x256.png", synthetic(128, 256, seed=500))
    result = out.image("repaint_result_128x256.png", synthetic(128, 256, seed=501))
    mask = out.image("repaint_mask_128x256.png", threshold(synthetic(128, 256, seed=502, mode="L")))
    kernel = 256 // 50
    kernel += 1 if kernel % 2 == 0 else 0
    m = np.array(out.saved[mask].filter(ImageFilter.GaussianBlur(kernel))) / 255
    m = m[:, :, None]
    blended = np.array(out.saved[person]) * (1 - m) + np.array(out.saved[result]) * m
    out.case("repaint", person, mask, result,
             out.image("repaint_expected_128x256.png", Image.fromarray(blended.astype(np.uint8))))

    with open(os.path.join(OUT, "cases.txt"), "w") as f:
        f.write("# generated by tools/golden/make_golden.py with Pillow " + PIL.__version__ + "\n")
        f.write("\n".join(out.lines) + "\n")
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"{len(out.lines)} cases, {len(os.listdir(OUT))} files, {total // 1024} KiB in {OUT}")


if __name__ == "__main__":
    main()
