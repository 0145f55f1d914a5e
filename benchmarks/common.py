"""What every benchmark shares: timing after warm-up, result rows, peak memory, optional baselines.

A workload module of the suite (`python benchmarks/suite.py`) exposes
`run(quick: bool) -> list[dict]`, one row per measured case, built with `row(...)`.
"""

from __future__ import annotations

import importlib
import pathlib
import resource
import statistics
import time


def timed(fn, repeats: int = 5, warmup: int = 1) -> float:
    """Median wall time of `fn()` over `repeats` calls, after `warmup` untimed calls (compilation).
    `fn` must block until its result is ready (`.block_until_ready()` for jax arrays)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_rss_gb() -> float:
    """Peak resident memory of this process so far, in GB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def optional(module: str):
    """`(module, None)` if it imports, else `(None, reason)`: baselines skip with a note."""
    try:
        return importlib.import_module(module), None
    except Exception as error:
        return None, f"{module} not available ({type(error).__name__}: {error})"


def row(
    workload: str,
    case: str,
    *,
    dualflow_s: float | None,
    baseline: str | None = None,
    baseline_s: float | None = None,
    agreement: float | None = None,
    agreement_kind: str = "",
    note: str = "",
    **extra,
) -> dict:
    """One measured case: dualflow's median time, a baseline's, the ratio baseline / dualflow
    (> 1: dualflow faster) and the answers' agreement (e.g. max abs or relative difference,
    named by `agreement_kind`), so that a fast wrong answer shows."""
    ratio = baseline_s / dualflow_s if baseline_s and dualflow_s else None
    return {
        "workload": workload,
        "case": case,
        "dualflow_s": dualflow_s,
        "baseline": baseline,
        "baseline_s": baseline_s,
        "ratio": ratio,
        "agreement": agreement,
        "agreement_kind": agreement_kind,
        "note": note,
        **extra,
    }


#: Where a benchmark writes its record unless `--out` says otherwise: the project's one output
#: folder, not the repository. Records worth keeping are copied to `benchmarks/results/`.
OUTPUT_FOLDER = pathlib.Path("dualflow-output") / "benchmarks"
