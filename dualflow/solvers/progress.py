"""A text progress meter usable from inside compiled loops (one line on stderr)."""

from __future__ import annotations

import sys

import jax


def report(label: str, done, total: int) -> None:
    """Print `label: done/total` from inside `jit`/`scan` (ordered host callback)."""

    def _print(d):
        d = int(d)
        end = "\n" if d >= total else ""
        sys.stderr.write(f"\r{label}: {d}/{total} ({100 * d / total:5.1f}%){end}")
        sys.stderr.flush()

    jax.debug.callback(_print, done, ordered=True)
