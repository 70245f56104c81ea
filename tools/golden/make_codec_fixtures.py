#!/usr/bin/python3
"""Writes the ImageCodec test fixtures: small encoded images and the RGB pixels Pillow gets from them.

Rerun (Debian's Pillow 9.4 with libjpeg-turbo 2.1 and libwebp 1.2; the pyenv python3 has no PIL):

    /usr/bin/python3 tools/golden/make_codec_fixtures.py

from the repository root. Output goes to vton-preprocess/src/test/resources/codec/, replacing what is
there. Every input is made from fixed arithmetic and a seeded generator, so a rerun with the same
library versions writes identical files.

For each input NAME.EXT the expectation is NAME.ppm (binary P6, 8-bit RGB): the pixels the preprocessing
contract in shared/DESIGN.md asks for, computed with Pillow: ImageOps.exif_transpose, then alpha (including
palette and tRNS transparency) composited with white.paste(rgb, mask=alpha), then convert("RGB").
Deviations from plain Pillow calls, both deliberate:
- 16-bit samples are reduced to their high byte. Pillow does that itself for 16-bit RGB(A), but opens
  16-bit gray as mode "I" whose convert("RGB") clips at 255, so for gray the high byte is computed here.
- tiff-orient-6.ppm applies the orientation once. Pillow 9.4 already applies a TIFF's orientation while
  loading it, and exif_transpose then applies it a second time.
jpeg-cmyk.jpg and webp-lossy.webp are checked loosely by the tests; their .ppm files are still Pillow's.
encoded-by-pillow-q95.jpg has no expectation: it is Pillow's JPEG encoding of png-rgb.png's pixels.
"""

import io
import math
import random
import struct
import zlib
from pathlib import Path

from PIL import Image, ImageOps

OUT = Path(__file__).resolve().parents[2] / "vton-preprocess/src/test/resources/codec"
W, H = 37, 23


def rgb_content(w, h, seed):
    """Gradients, hard-edged blocks and seeded noise: enough structure for JPEG and WebP to differ."""
    rng = random.Random(seed)
    im = Image.new("RGB", (w, h))
    px = im.load()
    for y in range(h):
        for x in range(w):
            r = x * 255 // (w - 1)
            g = y * 255 // (h - 1)
            b = (x * 7 + y * 13) % 256
            if (x // 6 + y // 5) % 3 == 0:
                r, g, b = 255 - g, b, r
            n = rng.randint(-12, 12)
            px[x, y] = tuple(max(0, min(255, c + n)) for c in (r, g, b))
    return im


def smooth_content(w, h):
    """Soft gradients without hard colour edges, like most of a photo."""
    im = Image.new("RGB", (w, h))
    px = im.load()
    for y in range(h):
        for x in range(w):
            px[x, y] = (round(128 + 90 * math.sin(x / 9)), round(128 + 90 * math.cos(y / 7)),
                        round(60 + 150 * (x + y) / (w + h)))
    return im


def alpha_content(w, h):
    """Fully transparent, fully opaque and every level in between."""
    a = Image.new("L", (w, h))
    px = a.load()
    for y in range(h):
        for x in range(w):
            px[x, y] = 0 if x < 4 else 255 if x >= w - 4 else (x * 255 // (w - 1) + y * 11) % 256
    return a


def contract_rgb(im):
    """The contract's RGB for a Pillow image: orientation, then alpha over white, then RGB."""
    im = ImageOps.exif_transpose(im)
    if im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info:
        rgba = im.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba.convert("RGB"), mask=rgba.getchannel("A"))
        return white
    return im.convert("RGB")


def write(name, data):
    (OUT / name).write_bytes(data)


def write_expected(name, rgb):
    stem = name.rsplit(".", 1)[0]
    rgb.save(OUT / (stem + ".ppm"), format="PPM")


def save(im, name, **options):
    buf = io.BytesIO()
    im.save(buf, **options)
    write(name, buf.getvalue())
    return buf.getvalue()


def save_and_expect(im, name, **options):
    """Saves with Pillow, reopens with Pillow and writes what Pillow decodes as the expectation."""
    data = save(im, name, **options)
    write_expected(name, contract_rgb(Image.open(io.BytesIO(data))))


def save_and_expect_existing(name):
    """Writes the expectation for an input written by hand."""
    write_expected(name, contract_rgb(Image.open(OUT / name)))


def png_chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def hand_png(w, h, bit_depth, colour_type, rows):
    """A minimal PNG for layouts Pillow cannot write (16-bit RGB, 4-bit gray); rows are filter-0 bytes."""
    ihdr = struct.pack(">IIBBBBB", w, h, bit_depth, colour_type, 0, 0, 0)
    raw = b"".join(b"\x00" + row for row in rows)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
            + png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b""))


def linear_rgb_icc():
    """An ICC v2 RGB display profile with sRGB primaries and gamma 1.0: far from sRGB if anyone applied it."""
    def s15(v):
        return struct.pack(">i", round(v * 65536))

    def xyz(x, y, z):
        return b"XYZ \0\0\0\0" + s15(x) + s15(y) + s15(z)

    desc_text = b"linear test profile\0"
    tags = [
        (b"desc", b"desc\0\0\0\0" + struct.pack(">I", len(desc_text)) + desc_text
         + struct.pack(">II", 0, 0) + struct.pack(">HB", 0, 0) + bytes(67)),
        (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", xyz(0.4361, 0.2225, 0.0139)),
        (b"gXYZ", xyz(0.3851, 0.7169, 0.0971)),
        (b"bXYZ", xyz(0.1431, 0.0606, 0.7141)),
        (b"rTRC", b"curv\0\0\0\0" + struct.pack(">IH", 1, 0x0100) + b"\0\0"),
        (b"gTRC", b"curv\0\0\0\0" + struct.pack(">IH", 1, 0x0100) + b"\0\0"),
        (b"bTRC", b"curv\0\0\0\0" + struct.pack(">IH", 1, 0x0100) + b"\0\0"),
        (b"cprt", b"text\0\0\0\0" + b"public domain\0"),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for sig, body in tags:
        body += bytes(-len(body) % 4)
        table += sig + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = (struct.pack(">I", size) + b"\0\0\0\0" + struct.pack(">I", 0x02100000) + b"mntrRGB XYZ "
              + bytes(12) + b"acsp" + bytes(24) + struct.pack(">I", 0)
              + s15(0.9642) + s15(1.0) + s15(0.8249) + bytes(48))
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + data


def exif_with_orientation(orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        old.unlink()

    rgb = rgb_content(W, H, seed=1)
    alpha = alpha_content(W, H)
    rgba = rgb.copy()
    rgba.putalpha(alpha)
    gray = rgb.convert("L")

    # JPEG: JDK ImageIO and Pillow share libjpeg's integer IDCT and fancy upsampling.
    save_and_expect(rgb, "jpeg-baseline.jpg", format="JPEG", quality=90)
    save_and_expect(rgb, "jpeg-progressive.jpg", format="JPEG", quality=90, progressive=True)
    save_and_expect(gray, "jpeg-gray.jpg", format="JPEG", quality=90)
    save_and_expect(rgb, "jpeg-icc.jpg", format="JPEG", quality=90, icc_profile=linear_rgb_icc())

    # CMYK: white, cyan, magenta, yellow, black and red patches of 6x12 pixels, then 12 rows of ink ramps.
    cmyk = Image.new("CMYK", (36, 24))
    patches = [(0, 0, 0, 0), (255, 0, 0, 0), (0, 255, 0, 0), (0, 0, 255, 0), (0, 0, 0, 255), (0, 255, 255, 0)]
    for i, ink in enumerate(patches):
        cmyk.paste(ink, (i * 6, 0, i * 6 + 6, 12))
    px = cmyk.load()
    for y in range(12, 24):
        for x in range(36):
            px[x, y] = (x * 7, (y - 12) * 21, (35 - x) * 7, (x * y) % 96)
    save_and_expect(cmyk, "jpeg-cmyk.jpg", format="JPEG", quality=95)

    # PNG in every layout the contract names.
    save_and_expect(rgb, "png-rgb.png", format="PNG")
    save_and_expect(rgba, "png-rgba.png", format="PNG")
    save_and_expect(gray, "png-gray.png", format="PNG")
    la = gray.copy()
    la.putalpha(alpha)
    save_and_expect(la, "png-gray-alpha.png", format="PNG")
    save_and_expect(rgb, "png-icc.png", format="PNG", icc_profile=linear_rgb_icc())
    save_and_expect(gray.point(lambda v: 255 if v >= 128 else 0).convert("1"), "png-gray1.png", format="PNG")

    palette = Image.new("P", (W, H))
    colours = [(i * 53 % 256, i * 97 % 256, i * 151 % 256) for i in range(16)]
    palette.putpalette([c for rgb3 in colours for c in rgb3])
    palette.putdata([(x // 3 + y // 2 * 5) % 16 for y in range(H) for x in range(W)])
    save_and_expect(palette, "png-palette.png", format="PNG")
    # tRNS with one alpha per entry: opaque, transparent and partial entries.
    save_and_expect(palette, "png-palette-alpha.png", format="PNG",
                    transparency=bytes([255, 0, 128, 200, 30] + [255] * 11))

    samples16 = [[(x * 1777 + y * 2311 + (x * y) % 251) % 65536 for x in range(W)] for y in range(H)]
    gray16 = Image.new("I;16", (W, H))
    gray16.frombytes(b"".join(struct.pack("<%dH" % W, *row) for row in samples16))
    data = save(gray16, "png-gray16.png", format="PNG")
    reopened = Image.open(io.BytesIO(data))
    assert reopened.mode == "I" and list(reopened.getdata()) == [v for row in samples16 for v in row]
    write_expected("png-gray16.png", Image.frombytes("L", (W, H), bytes(v >> 8 for row in samples16 for v in row))
                   .convert("RGB"))

    rgb16_rows = [b"".join(struct.pack(">HHH", s, 65535 - s, (s * 3) % 65536) for s in row) for row in samples16]
    write("png-rgb16.png", hand_png(W, H, 16, 2, rgb16_rows))
    save_and_expect_existing("png-rgb16.png")
    high = bytes(c >> 8 for row in samples16 for s in row for c in (s, 65535 - s, (s * 3) % 65536))
    assert Image.open(OUT / "png-rgb16.png").convert("RGB").tobytes() == high

    rgba16_rows = [b"".join(struct.pack(">HHHH", s, 65535 - s, (s * 3) % 65536, (s * 7) % 65536) for s in row)
                   for row in samples16]
    write("png-rgba16.png", hand_png(W, H, 16, 6, rgba16_rows))
    save_and_expect_existing("png-rgba16.png")

    # tRNS on RGB and gray: one colour (value) is fully transparent.
    save_and_expect(rgb, "png-rgb-trns.png", format="PNG", transparency=rgb.getpixel((10, 10)))
    save_and_expect(gray, "png-gray-trns.png", format="PNG", transparency=gray.getpixel((10, 10)))

    gray4_rows = [bytes(((row[x] >> 12) << 4) | (row[x + 1] >> 12 if x + 1 < W else 0) for x in range(0, W, 2))
                  for row in samples16]
    write("png-gray4.png", hand_png(W, H, 4, 0, gray4_rows))
    save_and_expect_existing("png-gray4.png")
    assert Image.open(OUT / "png-gray4.png").tobytes() == bytes((v >> 12) * 17 for row in samples16 for v in row)

    # WebP: lossless must match exactly; lossy goes through a different VP8 decoder on the JVM, whose
    # nearest-neighbour chroma upsampling differs most at hard colour edges, so it gets smooth content.
    save_and_expect(rgb, "webp-lossless.webp", format="WEBP", lossless=True)
    save_and_expect(rgba, "webp-lossless-alpha.webp", format="WEBP", lossless=True, exact=True)
    save_and_expect(smooth_content(W, H), "webp-lossy.webp", format="WEBP", quality=80, method=4)

    save_and_expect(rgb, "bmp-rgb.bmp", format="BMP")
    save_and_expect(rgb, "tiff-rgb.tif", format="TIFF", compression="tiff_lzw")

    # GIF: three full-size frames; only the first one counts.
    frames = [rgb.quantize(64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)]
    frames += [rgb_content(W, H, seed=s).transpose(Image.Transpose.ROTATE_180)
               .quantize(64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE) for s in (2, 3)]
    save_and_expect(frames[0], "gif-frames.gif", format="GIF", save_all=True, append_images=frames[1:],
                    duration=100, loop=0)

    # What Pillow's encoder writes for png-rgb.png's pixels, to compare ImageCodec.encodeJpeg with.
    save(rgb, "encoded-by-pillow-q95.jpg", format="JPEG", quality=95)

    # EXIF orientation 1-8 on a non-square JPEG; the expectation is Pillow's own decode, transposed.
    for orientation in range(1, 9):
        save_and_expect(rgb, "jpeg-orient-%d.jpg" % orientation, format="JPEG", quality=90,
                        exif=exif_with_orientation(orientation))
    save_and_expect(rgb, "png-orient-6.png", format="PNG", exif=exif_with_orientation(6))
    save_and_expect(rgb, "webp-orient-6.webp", format="WEBP", lossless=True, exif=exif_with_orientation(6))
    # Pillow 9.4 already applies a TIFF's orientation while loading it, so exif_transpose would turn it a
    # second time; the contract applies it once.
    save(rgb, "tiff-orient-6.tif", format="TIFF", tiffinfo={0x0112: 6})
    loaded = Image.open(OUT / "tiff-orient-6.tif")
    loaded.load()
    write_expected("tiff-orient-6.tif", loaded.convert("RGB"))
    assert loaded.tobytes() == rgb.transpose(Image.Transpose.ROTATE_270).tobytes()
    for stem in ("jpeg-orient-6", "png-orient-6", "webp-orient-6", "tiff-orient-6"):
        assert Image.open(OUT / (stem + ".ppm")).size == (H, W), stem


if __name__ == "__main__":
    main()
