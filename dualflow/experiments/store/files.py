"""The results store of a study: one folder, every file written atomically, every file read back
with an error that names it.

Each file is written to a temporary file in the same folder and moved into place with
`os.replace` (`dualflow._atomic.atomic_path`), so a reader (or a study interrupted half-way)
never sees a half-written file; the animation (`dualflow.plotting.animation`) is written the
same way. `make_folder` creates a results folder or says why it cannot (before anything is
computed); `read_json` and `read_arrays` read a stored file or raise `ResultsFolderError` naming
it (a file copied half-way, edited by hand or lost).
"""

from __future__ import annotations

import errno
import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np

from ..._atomic import atomic_path

__all__ = [
    "ResultsFolderError",
    "check_arrays",
    "make_folder",
    "read_arrays",
    "read_json",
    "write_bytes",
    "write_figure",
    "write_json",
    "write_npz",
    "write_text",
]


class ResultsFolderError(ValueError):
    """A results folder cannot be used: it cannot be created or written, it holds another study's
    runs, it is not a results folder, or one of its files cannot be read."""


def make_folder(path) -> Path:
    """Create the results folder `path` (and its parents) if missing; returns it as a `Path`.

    **Raises:** `ResultsFolderError` naming `path` (the `--out` of a command) when it is an
    existing file, lies under a file, has a name too long for the file system, or cannot be
    created or written.
    """
    path = Path(path)
    try:
        if path.exists() and not path.is_dir():
            raise ResultsFolderError(f"--out {path}: a file of that name exists; expected a folder (or a new name)")
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        reason = _MKDIR_REASONS.get(error.errno or 0, error.strerror or str(error))
        raise ResultsFolderError(f"--out {path}: cannot create the results folder: {reason}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ResultsFolderError(f"--out {path}: the results folder is not writable (permission denied)")
    return path


#: Why `mkdir` failed, in words (by `errno`).
_MKDIR_REASONS = {
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EEXIST: "a part of the path is a file, not a folder",
    errno.ENAMETOOLONG: "a name in the path is too long for the file system",
    errno.EACCES: "permission denied",
    errno.EROFS: "the file system is read-only",
}


def read_json(path):
    """The JSON document stored at `path`.

    **Raises:** `ResultsFolderError` naming `path` when it is missing, unreadable or not valid
    JSON."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultsFolderError(f"{path} is missing") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ResultsFolderError(f"{path} cannot be read ({_reason(error)})") from None


def read_arrays(path) -> dict:
    """Every array of the `.npz` file at `path`, as a dict of NumPy arrays.

    **Raises:** `ResultsFolderError` naming `path` when it is missing, truncated or not an
    `.npz` file."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as f:
            return {k: f[k] for k in f.files}
    except FileNotFoundError:
        raise ResultsFolderError(f"{path} is missing") from None
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as error:
        raise ResultsFolderError(f"{path} cannot be read ({_reason(error)})") from None


def check_arrays(path) -> None:
    """Raise `ResultsFolderError` naming `path` unless it is a whole `.npz` file; cheap: it reads
    the zip directory (written last), not the arrays."""
    path = Path(path)
    try:
        zipfile.ZipFile(path).close()
    except FileNotFoundError:
        raise ResultsFolderError(f"{path} is missing") from None
    except (OSError, zipfile.BadZipFile) as error:
        raise ResultsFolderError(f"{path} cannot be read ({_reason(error)})") from None


def _reason(error: Exception) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
    if isinstance(error, zipfile.BadZipFile):
        return f"not a whole .npz file, truncated or damaged: {error}"
    if isinstance(error, UnicodeDecodeError):
        return "not UTF-8 text"
    if isinstance(error, OSError):
        return error.strerror or str(error)
    return f"{type(error).__name__}: {error}"


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
