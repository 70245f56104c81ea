#!/usr/bin/python3
"""Writes the golden files the vton-core tests compare with.

Run from the repository root with Debian's PyTorch 1.13 and Pillow 9.4, after make_test_models.py:

    /usr/bin/python3 tools/export/make_golden.py

Writes
  vton-core/src/test/resources/golden/
    person.png, mask.png, garment.png      prepared 384x512 inputs (synthetic shapes and gradients)
    mini/*.png, toy/*.png                  reference_pipeline.py outputs for the cases in cases.json
    toy/closed_form_g*.png                 the toy model's closed-form expectation (README "Toy model")
    cases.json                             index of every case
  vton-core/src/test/resources/ddim/*.json DDIM scheduler values (reference_pipeline.py ddim)

The toy outputs are checked against the closed form here (max difference 1 grey level) before
anything is written.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
from PIL import Image, ImageDraw

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_pipeline as rp  # noqa: E402
from make_test_models import TOY_GAIN, alphas_cumprod  # noqa: E402
from catvton_artifact import DEFAULT_SCHEDULER  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
RESOURCES = os.path.join(REPO, "vton-core", "src", "test", "resources")
WIDTH, HEIGHT = 384, 512


# -------------------------------------------------------------------------------------------- inputs

def vertical_gradient(width, height, top, bottom):
    t = np.linspace(0.0, 1.0, height)[:, None, None]
    rows = (1 - t) * np.array(top, float) + t * np.array(bottom, float)
    return Image.fromarray(np.repeat(rows, width, axis=1).round().astype(np.uint8), "RGB")


# The garment region of the person, on the 8-pixel grid so every latent cell is fully in or out:
# a torso with short sleeves (a T shape). Its bounding box is x 88..295, y 144..343.
TORSO = (128, 144, 256, 344)      # x0, y0, x1, y1 (exclusive)
SLEEVES = (88, 144, 296, 208)


def make_person():
    im = vertical_gradient(WIDTH, HEIGHT, (214, 226, 238), (150, 160, 178))
    d = ImageDraw.Draw(im)
    d.rectangle((0, 448, WIDTH, HEIGHT), fill=(120, 104, 92))                       # floor
    d.ellipse((152, 40, 232, 136), fill=(224, 182, 150))                             # head
    d.pieslice((148, 32, 236, 112), 180, 360, fill=(70, 46, 30))                     # hair
    d.rectangle((178, 128, 206, 150), fill=(214, 170, 140))                          # neck
    d.rectangle((92, 148, 292, 204), fill=(60, 120, 60))                             # sleeves
    d.rectangle((132, 148, 252, 340), fill=(60, 120, 60))                            # green top
    for y in range(170, 330, 24):
        d.rectangle((132, y, 252, y + 8), fill=(90, 160, 90))                        # stripes
    d.rectangle((96, 204, 124, 320), fill=(224, 182, 150))                           # arms
    d.rectangle((260, 204, 288, 320), fill=(224, 182, 150))
    d.rectangle((136, 340, 248, 470), fill=(40, 44, 70))                             # trousers
    d.rectangle((186, 372, 198, 470), fill=(28, 30, 50))
    return im


def make_mask():
    im = Image.new("L", (WIDTH, HEIGHT), 0)
    d = ImageDraw.Draw(im)
    d.rectangle((TORSO[0], TORSO[1], TORSO[2] - 1, TORSO[3] - 1), fill=255)
    d.rectangle((SLEEVES[0], SLEEVES[1], SLEEVES[2] - 1, SLEEVES[3] - 1), fill=255)
    return im


def make_garment():
    """A red T-shirt with yellow bands and a round neck on white, as resize_and_padding leaves it."""
    im = Image.new("RGB", (WIDTH, HEIGHT), (255, 255, 255))
    d = ImageDraw.Draw(im)
    shirt = (200, 40, 48)
    d.polygon([(40, 150), (120, 100), (264, 100), (344, 150), (312, 230), (280, 210),
               (280, 420), (104, 420), (104, 210), (72, 230)], fill=shirt)
    for y in range(200, 400, 40):
        d.rectangle((104, y, 280, y + 12), fill=(240, 200, 40))
    d.ellipse((160, 84, 224, 132), fill=(255, 255, 255))                             # neckline
    # a left-to-right shade so the warp's orientation is visible
    arr = np.asarray(im).astype(np.float64)
    shade = np.linspace(0.75, 1.0, WIDTH)[None, :, None]
    red = (arr[..., 0:1] < 250) | (arr[..., 1:2] < 250)
    arr = np.where(red, arr * shade, arr)
    return Image.fromarray(arr.round().astype(np.uint8), "RGB")


# --------------------------------------------------------------------------------------- closed form

def block_mean(x, k=8):
    h, w = x.shape[0] // k, x.shape[1] // k
    return x.reshape(h, k, w, k, -1).mean(axis=(1, 3))


def bilinear_border(src, sy, sx):
    """grid_sample(bilinear, border, align_corners=False) at unnormalised source coordinates."""
    h, w = src.shape[:2]
    sy = np.clip(sy, 0, h - 1)
    sx = np.clip(sx, 0, w - 1)
    y0 = np.floor(sy).astype(int)
    x0 = np.floor(sx).astype(int)
    y1 = np.minimum(y0 + 1, h - 1)
    x1 = np.minimum(x0 + 1, w - 1)
    fy = (sy - y0)[..., None]
    fx = (sx - x0)[..., None]
    return ((1 - fy) * (1 - fx) * src[y0, x0] + (1 - fy) * fx * src[y0, x1]
            + fy * (1 - fx) * src[y1, x0] + fy * fx * src[y1, x1])


def toy_closed_form(person_rgb, mask_gray, garment_rgb, guidance):
    """The toy model's result without its residual noise (README "Toy model"), as uint8 HxWx3."""
    image = person_rgb.astype(np.float64) / 127.5 - 1
    inside_px = mask_gray >= 128
    masked = np.where(inside_px[..., None], 0.0, image)
    person_blocks = block_mean(masked)                                   # [h,w,3] in [-1,1]
    garment_blocks = block_mean(garment_rgb.astype(np.float64) / 127.5 - 1)
    mask_latent = inside_px[::8, ::8]                                    # nearest at (8i, 8j)
    h, w = mask_latent.shape
    rows = np.nonzero(mask_latent.any(axis=1))[0]
    cols = np.nonzero(mask_latent.any(axis=0))[0]
    y0, y1, x0, x1 = rows[0], rows[-1], cols[0], cols[-1]
    bh, bw = y1 - y0 + 1, x1 - x0 + 1
    ii, jj = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    sy = (ii + 0.5 - y0) * h / bh - 0.5
    sx = (jj + 0.5 - x0) * w / bw - 0.5
    warped = bilinear_border(garment_blocks, sy, sx)
    g = guidance if guidance > 1 else 1.0
    value = np.where(mask_latent[..., None], g * warped, person_blocks)
    value = value * np.sqrt(float(alphas_cumprod(DEFAULT_SCHEDULER)[0]))  # DDIM's last step: sqrt(acp[0]) * x0
    pixels = np.clip((value + 1) / 2, 0, 1) * 255
    return np.rint(np.repeat(np.repeat(pixels, 8, axis=0), 8, axis=1)).astype(np.uint8)


# --------------------------------------------------------------------------------------------- cases

# The mini model's outputs are noise-like textures (random weights do not denoise), about 285 KiB
# per PNG, so the mini matrix is a covering subset rather than the full product (see README.md):
# (dtype, steps, guidance, eta, seed).
MINI_CASES = [
    ("float32", 15, 2.5, 1.0, 42),    # the service defaults
    ("float32", 15, 2.5, 1.0, 7),     # another seed
    ("float32", 15, 1.0, 1.0, 42),    # no guidance (batch of 1)
    ("float32", 5, 2.5, 1.0, 42),     # fewer steps
    ("float32", 5, 1.0, 1.0, 7),
    ("float32", 15, 2.5, 0.0, 42),    # eta 0: no per-step noise draws
    ("bfloat16", 15, 2.5, 1.0, 42),
    ("bfloat16", 5, 1.0, 1.0, 7),
]


def case_list():
    cases = [("mini",) + c for c in MINI_CASES]
    for dtype in ("float32", "bfloat16"):
        for guidance in (1.0, 2.5):
            cases.append(("toy", dtype, 15, guidance, 1.0, 42))
    cases.append(("toy", "float32", 15, 2.5, 0.0, 42))
    cases.append(("toy", "float32", 5, 2.5, 1.0, 7))
    return cases


def case_id(model, dtype, steps, guidance, eta, seed):
    return f"{model}-{dtype}-steps{steps}-g{guidance:g}-eta{eta:g}-seed{seed}"


TOLERANCES = {
    # Java (DJL, libtorch 2.7.1) against these files, per pixel and channel, in grey levels.
    "float32": {"max_abs": 2, "mean_abs": 0.25},
    "bfloat16": {"max_abs": 16, "mean_abs": 1.5},
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=os.path.join(REPO, "models"))
    parser.add_argument("--out", default=RESOURCES, help="test resources folder (golden/ and ddim/ go inside)")
    args = parser.parse_args(argv)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    golden = os.path.join(args.out, "golden")
    for sub in ("", "mini", "toy"):
        os.makedirs(os.path.join(golden, sub), exist_ok=True)

    person, mask, garment = make_person(), make_mask(), make_garment()
    inputs = {"person": "person.png", "mask": "mask.png", "garment": "garment.png"}
    for im, name in ((person, "person.png"), (mask, "mask.png"), (garment, "garment.png")):
        im.save(os.path.join(golden, name), optimize=True)
    # Read back what was written, as the Java tests will.
    person_t = rp.load_rgb(os.path.join(golden, "person.png"))
    mask_t = rp.load_gray(os.path.join(golden, "mask.png"))
    garment_t = rp.load_rgb(os.path.join(golden, "garment.png"))

    artifacts = {}
    entries = []
    for model, dtype, steps, guidance, eta, seed in case_list():
        key = (model, dtype)
        if key not in artifacts:
            artifacts[key] = rp.Artifact(os.path.join(args.models, f"{model}-catvton"), "cpu", dtype)
        cid = case_id(model, dtype, steps, guidance, eta, seed)
        result = rp.tryon(artifacts[key], person_t, mask_t, garment_t, seed=seed, steps=steps,
                          guidance=guidance, eta=eta)
        expected = f"{model}/{cid}.png"
        Image.fromarray(result).save(os.path.join(golden, expected), optimize=True)
        entry = {"id": cid, "model": f"models/{model}-catvton", "device": "cpu", "dtype": dtype,
                 "steps": steps, "guidance": guidance, "eta": eta, "seed": seed, **inputs,
                 "expected": expected, "tolerance": TOLERANCES[dtype]}
        if model == "toy":
            closed = toy_closed_form(person_t[0].permute(1, 2, 0).numpy(), mask_t[0, 0].numpy(),
                                     garment_t[0].permute(1, 2, 0).numpy(), guidance)
            name = f"toy/closed_form_g{guidance:g}.png"
            Image.fromarray(closed).save(os.path.join(golden, name), optimize=True)
            diff = np.abs(closed.astype(int) - result.astype(int))
            limit = 1 if dtype == "float32" else TOLERANCES["bfloat16"]["max_abs"]
            print(f"{cid}: closed form max diff {diff.max()}, mean {diff.mean():.4f}, "
                  f"pixels off by >0: {(diff > 0).mean() * 100:.3f} %")
            if diff.max() > limit:
                raise SystemExit(f"{cid}: toy output differs from its closed form by {diff.max()} levels")
            entry["closed_form"] = name
        entries.append(entry)
        print(f"wrote {expected}", flush=True)

    index = {
        "description": "CatVTON reference outputs from tools/export/reference_pipeline.py (DESIGN.md Pipeline math); "
                       "paths relative to this folder, except model (relative to the repository root)",
        "generator": "tools/export/make_golden.py",
        "torch_version": torch.__version__,
        "width": WIDTH, "height": HEIGHT,
        "mask_box": {"torso": TORSO, "sleeves": SLEEVES},
        "cases": entries,
    }
    with open(os.path.join(golden, "cases.json"), "w") as f:
        json.dump(index, f, indent=1)
        f.write("\n")
    for p in rp.write_ddim_fixtures(os.path.join(args.out, "ddim")):
        print(f"wrote {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
