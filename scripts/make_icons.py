"""Draw the app icons for the web app manifest: a blue rounded square with a white calendar.

    python scripts/make_icons.py

Writes static/img/icon-192.png, icon-512.png and icon-maskable-512.png with nothing but the
standard library (zlib + struct), so that nobody needs an image editor or Pillow to change
them. The drawing is the same as static/img/icon.svg, on a 64-unit grid; the maskable
variant fills the whole square with blue and shrinks the calendar into the safe zone (the
centre circle of 80 % diameter) because launchers crop it to their own shape.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "static" / "img"

RGBA = tuple[int, int, int, int]
BLUE: RGBA = (0x1D, 0x4E, 0xD8, 255)
WHITE: RGBA = (255, 255, 255, 255)
LIGHT_BLUE: RGBA = (0x93, 0xC5, 0xFD, 255)
GREEN: RGBA = (0x15, 0x80, 0x3D, 255)
CLEAR: RGBA = (0, 0, 0, 0)
# Samples per pixel side: enough to smooth the rounded corners and the dot.
SUPERSAMPLE = 3


def in_rounded_square(x: float, y: float, size: float, radius: float) -> bool:
    cx = min(max(x, radius), size - radius)
    cy = min(max(y, radius), size - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius**2


def calendar(x: float, y: float, scale: float) -> RGBA | None:
    """The calendar sheet of icon.svg in 64-unit coordinates, scaled about the centre."""
    u = (x - 32) / scale + 32
    v = (y - 32) / scale + 32
    if (u - 26) ** 2 + (v - 38) ** 2 <= 16:
        return GREEN
    if 16 <= u <= 48 and 22 <= v <= 29:
        return LIGHT_BLUE
    if 16 <= u <= 48 and 29 < v <= 48:
        return WHITE
    return None


def shader(*, maskable: bool) -> Callable[[float, float], RGBA]:
    """Colour at a point of the 64-unit canvas."""
    # Bigger than in the favicon, where it must read at 16 px. Maskable: the sheet's far
    # corner lies 22.6 units from the centre, so ×1.1 stays inside the 25.6-unit safe circle.
    scale = 1.1 if maskable else 1.3

    def colour(x: float, y: float) -> RGBA:
        if not maskable and not in_rounded_square(x, y, 64, 12):
            return CLEAR
        return calendar(x, y, scale) or BLUE

    return colour


def render(size: int, colour: Callable[[float, float], RGBA]) -> bytes:
    """Raw PNG scanlines (filter byte 0 + RGBA pixels), averaged over the samples."""
    unit = 64 / size
    step = unit / SUPERSAMPLE
    samples = SUPERSAMPLE * SUPERSAMPLE
    rows = bytearray()
    for py in range(size):
        rows.append(0)
        for px in range(size):
            totals = [0, 0, 0, 0]
            for sy in range(SUPERSAMPLE):
                for sx in range(SUPERSAMPLE):
                    r, g, b, a = colour(
                        px * unit + (sx + 0.5) * step, py * unit + (sy + 0.5) * step
                    )
                    # Premultiply so that transparent samples do not darken the edge.
                    totals[0] += r * a
                    totals[1] += g * a
                    totals[2] += b * a
                    totals[3] += a
            alpha = totals[3]
            if alpha:
                rows += bytes(round(c / alpha) for c in totals[:3])
            else:
                rows += b"\0\0\0"
            rows.append(round(alpha / samples))
    return bytes(rows)


def chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def png(size: int, scanlines: bytes) -> bytes:
    # 8-bit RGBA, no interlacing.
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(scanlines, 9))
        + chunk(b"IEND", b"")
    )


ICONS = {
    "icon-192.png": (192, False),
    "icon-512.png": (512, False),
    "icon-maskable-512.png": (512, True),
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, (size, maskable) in ICONS.items():
        (OUT / name).write_bytes(png(size, render(size, shader(maskable=maskable))))
        print(f"wrote {OUT / name}")


if __name__ == "__main__":
    main()
