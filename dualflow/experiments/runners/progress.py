"""Progress of one long, indivisible computation (a compiled `vmap` over a whole grid, which
reports nothing until it returns): `stage` says on stderr what starts, keeps saying that it is
still running, and how long it took.

On a terminal the heartbeat is a tqdm line showing the elapsed time; otherwise (a log file, a
pipe) one line every `HEARTBEAT_S` seconds, so a long `dualflow phase --measure` is never silent.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time

__all__ = ["stage"]

#: Seconds between two "still running" lines when stderr is not a terminal.
HEARTBEAT_S = 30.0


@contextlib.contextmanager
def stage(what: str, *, prefix: str = "dualflow"):
    """Run the body as the stage `what` (e.g. `"simulating 900 grid points"`), reporting on stderr
    `[prefix] what ...` first, a heartbeat while it runs and `[prefix] what: done in 12.3 s` at the end."""
    from tqdm.auto import tqdm

    start = time.perf_counter()
    print(f"[{prefix}] {what} ...", file=sys.stderr, flush=True)
    terminal = sys.stderr.isatty()
    bar = tqdm(desc=what, bar_format="{desc}: {elapsed}", file=sys.stderr, leave=False) if terminal else None
    finished = threading.Event()

    def heartbeat() -> None:
        while not finished.wait(1.0 if bar is not None else HEARTBEAT_S):
            if bar is not None:
                bar.refresh()
            else:
                print(f"[{prefix}] ... {what}: {time.perf_counter() - start:.0f} s so far", file=sys.stderr, flush=True)

    thread = threading.Thread(target=heartbeat, daemon=True)
    thread.start()
    try:
        yield
    finally:
        finished.set()
        thread.join()
        if bar is not None:
            bar.close()
    print(f"[{prefix}] {what}: done in {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
