"""Draws the app icons of the installable portal (issue #20) with Pillow, once; the PNGs are committed.

    .venv/bin/python scripts/make_pwa_icons.py

writes sikesal/portal/static/portal/icons/icon-192.png, icon-512.png and maskable-512.png: the portal's
brand blue (#0b5cab, portal.css --brand) with a white speech bubble holding an "S". The maskable icon keeps
its drawing inside the central 80 % safe zone, as launchers crop it to a circle or a squircle.
"""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

OUT = Path(__file__).resolve().parent.parent / "sikesal" / "portal" / "static" / "portal" / "icons"
BRAND, WHITE = (11, 92, 171), (255, 255, 255)


def draw(size, scale, rounded):
    """A `size` px icon whose drawing spans `scale` of it; `rounded` corners for the plain icon."""
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    if rounded:
        d.rounded_rectangle([0, 0, size - 1, size - 1], radius=size // 6, fill=BRAND)
    else:
        d.rectangle([0, 0, size, size], fill=BRAND)
    inner = size * scale
    left, top = (size - inner) / 2, (size - inner) / 2
    bubble = [left + inner * 0.08, top + inner * 0.10, left + inner * 0.92, top + inner * 0.78]
    d.rounded_rectangle(bubble, radius=inner * 0.16, fill=WHITE)
    tail = [
        (left + inner * 0.26, top + inner * 0.74),
        (left + inner * 0.22, top + inner * 0.95),
        (left + inner * 0.46, top + inner * 0.76),
    ]
    d.polygon(tail, fill=WHITE)
    font = ImageFont.load_default(size=int(inner * 0.56))
    cx, cy = (bubble[0] + bubble[2]) / 2, (bubble[1] + bubble[3]) / 2
    d.text((cx, cy), "S", fill=BRAND, font=font, anchor="mm")
    return img


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    draw(192, 0.86, True).save(OUT / "icon-192.png", optimize=True)
    draw(512, 0.86, True).save(OUT / "icon-512.png", optimize=True)
    draw(512, 0.64, False).convert("RGB").save(OUT / "maskable-512.png", optimize=True)
    draw(180, 0.80, False).convert("RGB").save(OUT / "apple-touch-icon-180.png", optimize=True)


if __name__ == "__main__":
    main()
