"""Checks of what a written file holds, not of its size: a figure that is an image of the
expected size with something drawn on it, an SVG that parses and draws, an animation whose
frames change, JSON with the expected keys and only finite numbers, an npz with named arrays."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
from PIL import Image

#: A drawn figure: at least this many pixels across and this spread of intensities (a blank or
#: single-colour image has none), with at least this fraction of its pixels not background.
MIN_PIXELS = 120
MIN_STD = 0.03
MIN_INK = 0.01


def _pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"), dtype=float) / 255.0


def _ink(pixels: np.ndarray) -> float:
    """Fraction of pixels that differ from the most common colour (the background)."""
    flat = pixels.reshape(-1, 3)
    colours, counts = np.unique(np.round(flat, 2), axis=0, return_counts=True)
    background = colours[np.argmax(counts)]
    return float(np.mean(np.any(np.abs(np.round(flat, 2) - background) > 0.02, axis=1)))


def assert_figure(path, *, min_width: int = MIN_PIXELS, min_height: int = MIN_PIXELS) -> np.ndarray:
    """`path` is a PNG (and its `.svg` twin, if there is one, is a drawing) with something drawn
    on it; returns its pixels `(h, w, 3)` in [0, 1]."""
    path = Path(path)
    with Image.open(path) as image:
        assert image.format == "PNG", f"{path}: not a PNG ({image.format})"
        width, height = image.size
        pixels = _pixels(image)
    assert width >= min_width and height >= min_height, f"{path}: {width}x{height} pixels is too small"
    assert pixels.std() > MIN_STD, f"{path}: blank image (pixel std {pixels.std():.3g})"
    assert _ink(pixels) > MIN_INK, f"{path}: almost nothing drawn ({_ink(pixels):.3%} of the pixels)"
    svg = path.with_suffix(".svg")
    if svg.exists():
        assert_svg(svg)
    return pixels


def assert_svg(path) -> None:
    """`path` parses as SVG and draws paths (matplotlib writes every artist as a `<path>` or `<use>`)."""
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg"), f"{path}: root element {root.tag}"
    drawn = [el for el in root.iter() if el.tag.rsplit("}", 1)[-1] in ("path", "use", "text", "image")]
    assert len(drawn) > 10, f"{path}: only {len(drawn)} drawn elements"


def assert_animation(path, *, min_frames: int = 2) -> None:
    """`path` is a GIF of at least `min_frames` frames, each drawn, and not all the same."""
    with Image.open(path) as image:
        assert image.format == "GIF", f"{path}: not a GIF ({image.format})"
        frames = []
        for index in range(image.n_frames):
            image.seek(index)
            frames.append(_pixels(image))
    assert len(frames) >= min_frames, f"{path}: {len(frames)} frames"
    assert all(frame.std() > MIN_STD for frame in frames), f"{path}: a blank frame"
    assert max(np.abs(frame - frames[0]).max() for frame in frames[1:]) > 0.1, f"{path}: the frames do not change"


def _numbers(value, where=""):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _numbers(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _numbers(item, f"{where}[{index}]")
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield where, value


def assert_json(path, keys=()) -> dict:
    """`path` holds a JSON object with every key in `keys` and only finite numbers (JSON itself
    cannot hold NaN; dualflow writes infinities as the strings "inf"); returns it."""
    data = json.loads(Path(path).read_text())
    assert isinstance(data, dict), f"{path}: not a JSON object"
    missing = [key for key in keys if key not in data]
    assert not missing, f"{path}: missing keys {missing}"
    bad = [where for where, number in _numbers(data) if not math.isfinite(number)]
    assert not bad, f"{path}: non-finite numbers at {bad[:5]}"
    return data


def assert_npz(path, names=()) -> dict:
    """`path` is an npz holding the arrays `names`; returns them as a dict."""
    with np.load(path) as arrays:
        out = {name: arrays[name] for name in arrays.files}
    missing = [name for name in names if name not in out]
    assert not missing, f"{path}: missing arrays {missing}"
    return out
