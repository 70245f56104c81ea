#!/usr/bin/env python3
"""Writes the sample inputs `vton tryon` uses with no arguments: a drawn figure (not a photograph of
anyone), the mask of its clothes, a shirt and a pair of trousers.

    /usr/bin/python3 tools/export/make_samples.py

Deterministic: the same Pillow (Debian's 9.4) writes the same files. Output:
vton-examples/src/main/resources/io/omoib/vton/examples/samples/{person.jpg,mask.png,upper.jpg,lower.jpg}
"""
from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parents[2] / "vton-examples/src/main/resources/io/omoib/vton/examples/samples"
W, H = 600, 800
SKIN = (224, 172, 140)


def person():
    img = Image.new("RGB", (W, H), (236, 232, 222))
    d = ImageDraw.Draw(img)
    d.rectangle([0, 640, W, H], fill=(200, 196, 186))                       # floor
    d.ellipse([255, 60, 345, 165], fill=SKIN)                               # head
    d.rectangle([285, 160, 315, 190], fill=SKIN)                            # neck
    d.rounded_rectangle([200, 185, 400, 420], radius=30, fill=(70, 90, 160))  # sweater
    d.rounded_rectangle([150, 195, 205, 420], radius=20, fill=(70, 90, 160))  # sleeves
    d.rounded_rectangle([395, 195, 450, 420], radius=20, fill=(70, 90, 160))
    d.ellipse([150, 410, 200, 455], fill=SKIN)                              # hands
    d.ellipse([400, 410, 450, 455], fill=SKIN)
    d.rectangle([210, 415, 295, 700], fill=(50, 50, 55))                    # trousers
    d.rectangle([305, 415, 390, 700], fill=(50, 50, 55))
    d.rectangle([210, 415, 390, 450], fill=(50, 50, 55))
    d.ellipse([195, 690, 300, 730], fill=(30, 25, 20))                      # shoes
    d.ellipse([300, 690, 405, 730], fill=(30, 25, 20))
    return img


def mask():
    img = Image.new("L", (W, H), 0)
    d = ImageDraw.Draw(img)
    d.rounded_rectangle([140, 175, 460, 430], radius=30, fill=255)          # upper body, arms
    d.rectangle([200, 405, 400, 705], fill=255)                             # legs
    return img


def upper():
    img = Image.new("RGB", (500, 500), (255, 255, 255))
    d = ImageDraw.Draw(img)
    red = (200, 40, 50)
    d.polygon([(150, 60), (350, 60), (470, 160), (410, 220), (360, 180), (360, 460), (140, 460),
               (140, 180), (90, 220), (30, 160)], fill=red)
    d.ellipse([205, 40, 295, 100], fill=(255, 255, 255))                    # collar
    for y in range(120, 460, 40):
        d.line([(140, y), (360, y)], fill=(235, 200, 60), width=8)          # stripes
    return img


def lower():
    img = Image.new("RGB", (400, 560), (255, 255, 255))
    d = ImageDraw.Draw(img)
    blue = (40, 80, 150)
    d.polygon([(90, 30), (310, 30), (340, 530), (220, 530), (200, 200), (180, 530), (60, 530)], fill=blue)
    d.rectangle([90, 30, 310, 60], fill=(30, 60, 120))                      # waistband
    return img


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    person().save(OUT / "person.jpg", quality=90)
    mask().save(OUT / "mask.png")
    upper().save(OUT / "upper.jpg", quality=90)
    lower().save(OUT / "lower.jpg", quality=90)
    for f in sorted(OUT.iterdir()):
        print(f.name, f.stat().st_size)


if __name__ == "__main__":
    main()
