#!/usr/bin/python3
"""Times the Python service's image preparation with Pillow, single-threaded.

    /usr/bin/python3 benchmarks/compare/preprocess_pillow.py INPUT_DIR ITERATIONS

INPUT_DIR holds person.jpg, mask.jpg, upper.jpg and lower.jpg (make_inputs.py). Prints, as
``name median_ms`` lines: ``prepare`` (decode the four JPEGs, EXIF-transpose, convert, then CatVTON's
resize_and_crop / resize_and_padding with the upper garment stacked over the lower one, mask to gray
and thresholded, all at 768x1024) and ``lanczos`` (the person, decoded, resized to 768x1024). Then a
``digest`` line: SHA-256 over the three prepared images, which the Java side must reproduce.
"""
import hashlib
import io
import os
import statistics
import sys
import time

from PIL import Image, ImageOps

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "reference"))
from catvton_common import resize_and_crop, resize_and_padding, stack_garments, threshold  # noqa: E402

SIZE = (768, 1024)


def decode(data):
    image = Image.open(io.BytesIO(data))
    image = ImageOps.exif_transpose(image)
    return image.convert("RGB")


def prepare(inputs):
    person, mask, upper, lower = (decode(inputs[n]) for n in ("person", "mask", "upper", "lower"))
    garment = stack_garments(upper, lower)
    mask = threshold(resize_and_crop(mask.convert("L"), SIZE))
    return resize_and_crop(person, SIZE), mask, resize_and_padding(garment, SIZE)


def median_ms(fn, iterations):
    for _ in range(3):
        fn()
    times = []
    for _ in range(iterations):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main():
    folder, iterations = sys.argv[1], int(sys.argv[2])
    inputs = {}
    for name in ("person", "mask", "upper", "lower"):
        with open(os.path.join(folder, name + ".jpg"), "rb") as f:
            inputs[name] = f.read()
    person = decode(inputs["person"])
    print("prepare %.3f" % median_ms(lambda: prepare(inputs), iterations))
    print("lanczos %.3f" % median_ms(lambda: person.resize(SIZE, Image.LANCZOS), iterations))
    digest = hashlib.sha256()
    for image in prepare(inputs):
        digest.update(image.tobytes())
    print("digest " + digest.hexdigest())


if __name__ == "__main__":
    main()
