"""Makes the image fixtures of testdata/social/images/ (and the Telegram
export's photos/): three different generated pictures, and copies of the
first one re-encoded, resized or labelled, which a perceptual hash must match.

    python3 -m pip install pillow && python3 make.py

Deterministic (fixed seeds, no fonts); the committed files are its output.
"""

import os
import random

from PIL import Image, ImageDraw, ImageFilter

HERE = os.path.dirname(os.path.abspath(__file__))
PHOTOS = os.path.join(HERE, "..", "telegram", "photos")


def picture(seed, size=(320, 240)):
    """A smooth, photo-like picture: a colour gradient with blurred shapes."""
    rnd = random.Random(seed)
    w, h = size
    img = Image.new("RGB", size)
    px = img.load()
    c0 = [rnd.randrange(256) for _ in range(3)]
    c1 = [rnd.randrange(256) for _ in range(3)]
    for y in range(h):
        for x in range(w):
            t = (x / w + y / h) / 2
            px[x, y] = tuple(int(a + (b - a) * t) for a, b in zip(c0, c1))
    d = ImageDraw.Draw(img)
    for _ in range(12):
        x0, y0 = rnd.randrange(w), rnd.randrange(h)
        r = rnd.randrange(15, 70)
        fill = tuple(rnd.randrange(256) for _ in range(3))
        if rnd.random() < 0.5:
            d.ellipse([x0 - r, y0 - r, x0 + r, y0 + r], fill=fill)
        else:
            d.rectangle([x0 - r, y0 - r // 2, x0 + r, y0 + r // 2], fill=fill)
    return img.filter(ImageFilter.GaussianBlur(2))


def main():
    os.makedirs(PHOTOS, exist_ok=True)
    a, b, c = picture(1), picture(2), picture(3)
    a.save(os.path.join(HERE, "a.png"))
    a.save(os.path.join(HERE, "a-q60.jpg"), quality=60)
    a.resize((160, 120), Image.LANCZOS).save(os.path.join(HERE, "a-half.jpg"), quality=85)
    a.resize((480, 360), Image.BICUBIC).save(os.path.join(HERE, "a-large.webp"), quality=80)
    marked = a.copy()
    ImageDraw.Draw(marked).rectangle([286, 216, 312, 232], fill=(255, 255, 255))
    marked.save(os.path.join(HERE, "a-marked.jpg"), quality=85)
    b.save(os.path.join(HERE, "b.jpg"), quality=85)
    c.save(os.path.join(HERE, "c.png"))
    # The Telegram export's photos: the same picture as three accounts sent
    # it (original, re-encoded, resized), and an unrelated one.
    a.save(os.path.join(PHOTOS, "photo_1@01-03-2024_10-00-00.jpg"), quality=90)
    a.save(os.path.join(PHOTOS, "photo_2@01-03-2024_10-02-00.jpg"), quality=60)
    # Resized, with a white label pasted in a corner: a near-identical copy.
    small = marked.resize((200, 150), Image.LANCZOS)
    small.save(os.path.join(PHOTOS, "photo_3@01-03-2024_10-04-00.jpg"), quality=80)
    b.save(os.path.join(PHOTOS, "photo_4@01-03-2024_10-05-00.jpg"), quality=85)


if __name__ == "__main__":
    main()
