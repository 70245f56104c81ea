"""The one copy, for every tool here, of what CatVTON and diffusers define and several scripts need:

- ``resize_and_crop`` and ``resize_and_padding``: CatVTON's ``utils.py`` functions of the same
  names, same behaviour (Pillow LANCZOS; docs/ARCHITECTURE.md "Preprocessing contract");
- ``stack_garments``: the upper garment over the lower one, centred on white (docs/ARCHITECTURE.md "Garment
  stacking", the condition image of cloth type ``overall``);
- ``threshold``: the mask rule ``>= 128 -> 255, else 0``;
- ``scaled_linear_alphas_cumprod``: diffusers' ``scaled_linear`` beta schedule, cumulative product
  of ``1 - beta`` in float32.

Import with ``sys.path.insert(0, "<repo>/tools/reference")``. Pillow is imported only by the image
functions, torch only by the schedule, so scripts that need one do not need the other.
"""


def resize_and_crop(image, size):
    """CatVTON utils.resize_and_crop: centre-crop to the target aspect ratio, then LANCZOS to ``size``."""
    from PIL import Image
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
    """CatVTON utils.resize_and_padding: LANCZOS to fit inside ``size``, centred on a white canvas."""
    from PIL import Image
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


def stack_garments(upper, lower):
    """docs/ARCHITECTURE.md "Garment stacking": width max(w1, w2), height h1 + h2, white; each centred."""
    from PIL import Image
    width = max(upper.width, lower.width)
    canvas = Image.new("RGB", (width, upper.height + lower.height), (255, 255, 255))
    canvas.paste(upper, ((width - upper.width) // 2, 0))
    canvas.paste(lower, ((width - lower.width) // 2, upper.height))
    return canvas


def threshold(gray):
    """A Pillow "L" image with every value >= 128 set to 255 and the rest to 0."""
    return gray.point(lambda v: 255 if v >= 128 else 0)


def scaled_linear_alphas_cumprod(beta_start=0.00085, beta_end=0.012, num_train_timesteps=1000):
    """diffusers' scaled_linear schedule: betas = linspace(sqrt(b0), sqrt(b1), n)^2 in float32,
    returned as cumprod(1 - betas) (a float32 tensor of n values)."""
    import torch
    betas = torch.linspace(beta_start ** 0.5, beta_end ** 0.5, num_train_timesteps, dtype=torch.float32) ** 2
    return torch.cumprod(1.0 - betas, dim=0)
