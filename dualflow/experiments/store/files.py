"""The results store of a study: one folder, every file written atomically.

Each file is written to a temporary file in the same folder and moved into place with
`os.replace` (`dualflow._atomic.atomic_path`), so a reader (or a study interrupted half-way)
never sees a half-written file; the animation (`dualflow.plotting.animation`) is written the
same way.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import numpy as np

from ..._atomic import atomic_path

__all__ = ["write_bytes", "write_figure", "write_json", "write_npz", "write_text"]


def write_bytes(path, payload: bytes) -> Path:
    """Write `payload` to `path` atomically (folders created); returns the path."""
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(payload)
        f.flush()
        os.fsync(f.fileno())
    return path


def write_text(path, text: str) -> Path:
    """Write UTF-8 text atomically."""
    return write_bytes(path, text.encode())


def write_json(path, obj) -> Path:
    """Write `obj` as indented JSON (no NaN or infinity: use `None` or strings)."""
    return write_text(path, json.dumps(obj, indent=2, allow_nan=False) + "\n")


def write_npz(path, arrays: dict) -> Path:
    """Write a compressed `.npz` of NumPy arrays."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return write_bytes(path, buffer.getvalue())


def write_figure(path, fig, *, dpi: int = 110, svg: bool = True) -> Path:
    """Save a matplotlib figure as PNG at `path` and, with `svg`, as SVG beside it (same name,
    `.svg`; vector, for papers); returns the PNG's path."""
    path = Path(path)
    for suffix in (".png", ".svg") if svg else (".png",):
        buffer = io.BytesIO()
        fig.savefig(buffer, format=suffix[1:], dpi=dpi)
        write_bytes(path.with_suffix(suffix), buffer.getvalue())
    return path
