"""A text progress meter usable from inside compiled loops (on stderr).

On a terminal it rewrites one line (`\r`) at every update; elsewhere (a log file, a pipe, a
notebook's captured stream) it prints a whole line at every tenth of the run and at its end, so
that a log holds at most eleven lines per run instead of one fragment per save."""

from __future__ import annotations

import sys

import jax


def report(label: str, done, total: int, step: int) -> None:
    """Print `label: done/total (pct%)` from inside `jit`/`scan` (ordered host callback), where
    `done` grows by `step` between calls."""

    def _print(d):
        d = int(d)
        line = f"{label}: {d}/{total} ({100 * d / total:5.1f}%)"
        if sys.stderr.isatty():
            sys.stderr.write("\r" + line + ("\n" if d >= total else ""))
        elif d >= total or (10 * d) // total > (10 * (d - step)) // total:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    jax.debug.callback(_print, done, ordered=True)
