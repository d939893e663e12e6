"""Headless Chromium for the tests that look at a page the way a user does.

`chromium()` finds the browser (None when it is not installed: CI installs it with
``scripts/system-deps.sh --browser``); `screenshot` and `dump_dom` open a local file (with an
optional ``#fragment``) in a throwaway profile; `read_png` decodes the screenshot without Pillow.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np

__all__ = ["chromium", "screenshot", "dump_dom", "read_png"]


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu",
                           "--disable-quic", "--no-first-run", "--disable-background-networking",
                           "--disable-component-update", "--disable-sync",
                           f"--user-data-dir={tmp_path / 'profile'}", *args],
                          capture_output=True, timeout=120, check=False)


def _url(page: str | os.PathLike, fragment: str) -> str:
    return "file://" + os.path.abspath(page) + (f"#{fragment}" if fragment else "")


def screenshot(page: str | os.PathLike, tmp_path: Path, size: tuple[int, int] = (1200, 900),
               fragment: str = "") -> np.ndarray:
    """The page as the browser shows it: an (height, width, 3) array of RGB values (int)."""
    shot = tmp_path / (os.path.basename(page) + (f"-{fragment}" if fragment else "") + ".png")
    _run([f"--screenshot={shot}", f"--window-size={size[0]},{size[1]}", _url(page, fragment)],
         tmp_path)
    assert shot.exists(), f"Chromium wrote no screenshot of {page}"
    return read_png(str(shot))[..., :3].astype(int)


def dump_dom(page: str | os.PathLike, tmp_path: Path, fragment: str = "",
             size: tuple[int, int] | None = None, wait_ms: int = 0) -> str:
    """The page's DOM after its scripts ran on load, as HTML text; `size`: the window's (width,
    height); `wait_ms`: also let timers and events (an image's error) run for that long."""
    flags = [f"--window-size={size[0]},{size[1]}"] if size else []
    if wait_ms:
        flags.append(f"--virtual-time-budget={wait_ms}")
    done = _run([*flags, "--dump-dom", _url(page, fragment)], tmp_path)
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")[-2000:]
    return done.stdout.decode("utf-8")


def read_png(path: str) -> np.ndarray:
    """Decode an 8-bit, non-interlaced grey/RGB/RGBA PNG into an (h, w, channels) uint8 array."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    w, h, depth, colour, _, _, interlace = header
    assert depth == 8 and interlace == 0 and colour in (0, 2, 6), header
    ch = {0: 1, 2: 3, 6: 4}[colour]
    raw = zlib.decompress(idat)
    stride = w * ch
    img = np.zeros((h, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.int64)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = np.frombuffer(raw, np.uint8, stride, y * (stride + 1) + 1).astype(np.int64)
        if f == 0:
            cur = line
        elif f == 1:  # Sub: running sum per channel
            cur = np.cumsum(line.reshape(w, ch), axis=0).reshape(-1) % 256
        elif f == 2:
            cur = (line + prev) % 256
        else:
            cur = np.zeros(stride, dtype=np.int64)
            for i in range(stride):
                a = cur[i - ch] if i >= ch else 0
                b = prev[i]
                c = prev[i - ch] if i >= ch else 0
                if f == 3:
                    cur[i] = (line[i] + (a + b) // 2) % 256
                else:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                    cur[i] = (line[i] + pred) % 256
        img[y] = cur
        prev = cur
    return img.reshape(h, w, ch)
