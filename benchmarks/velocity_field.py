r"""Benchmark: the exact-kernel velocity field (MMD-flow witness gradient) at growing N = M.

The workload: particles $x_1..x_N$ (a Gaussian blob) and data $y_1..y_M$ (standard normal),
uniform masses $p = m = 1/N$, Gaussian kernel of bandwidth $\sigma$, and the field

$$v(x_n) = \sum_k p_k \nabla_x K(x_n, y_k) - \sum_k m_k \nabla_x K(x_n, x_k)
        = -\frac{1}{\sigma^2}\Big(\sum_k p_k K_{nk}(x_n - y_k) - \sum_k m_k K(x_n, x_k)(x_n - x_k)\Big),$$

(with the witness values $\sum_k p_k K(x_n, y_k) - \sum_k m_k K(x_n, x_k)$ alongside): $N(N + M)$
Gaussian pairs per evaluation. $\sigma = 0.5$ in 2-D and $\sigma = \sqrt{d}$ in 64-D (distances
of normal points grow like $\sqrt{2d}$).

Implementations, each in its own Python process (`ceiling.isolated`: one runtime's thread
pool at a time; and each process's peak memory is its own):

- **dualflow**: `kernel_sums(Gaussian(sigma), x, [y, x], [p, -m])`, jitted and compiled
  ahead of time (dense below `DENSE_PAIRS`, chunked above: memory $O(N + M + \text{block}^2)$).
- **numpy**: written here. Rows in one dense block where the $N \times (N + M)$ work arrays
  fit in 2 GB, else in row chunks of about 64 MB; distances by coordinate differences in
  2-D, by the matmul trick (BLAS) in 64-D; gradient by per-coordinate differences in 2-D,
  by the matmul form $x_n \sum_k w_{nk} - \sum_k w_{nk} z_k$ (BLAS) in 64-D.
- **torch** (CPU, its intra-op threads): the same algorithm in torch.
- **geomloss** (`SamplesLoss("gaussian", backend="tensorized")`, torch autograd): the
  gradient of $\tfrac12\mathrm{MMD}^2$ in $x$, divided by $-p_n$ (which is $v$). Tensorized
  means dense: it also forms the $M \times M$ block. Its "online"/"multiscale" backends need
  pykeops (skipped with a note where it does not import).

Every row reports the median time (after warm-up: one call, or ahead-of-time compilation for
dualflow), pairs per second, the baseline's time and the ratio baseline / dualflow (> 1:
dualflow faster), the largest disagreement of the baseline's field with dualflow's
(max |v_b - v| / max |v|, same dtype), the process's peak resident memory (`ru_maxrss`),
XLA's temporary buffers for the compiled field, and dualflow's rate as a fraction of this
machine's pair-rate ceiling for the same `(d, dtype)` (`benchmarks/ceiling.py`, measured in
the same run: the bare reduction $\sum_k e^{-|x_n - z_k|^2/2\sigma^2}$, the cheapest thing any
velocity field must do per pair). The 1-minute load average is recorded in every row.

    python benchmarks/velocity_field.py [--quick] [--sizes 1000 10000 100000] [--dims 2 64]
        [--dtypes float32 float64] [--baseline-max 10000] [--no-ceiling] [--out FILE]

`--quick`: N in {1000, 10000} (64-D: 1000 only), jax-only ceilings. Results go to `--out`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time

import numpy as np

if __package__ in (None, ""):  # run as a script: make `benchmarks.*` importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.ceiling import best_row, isolated, pair_rates
from benchmarks.common import optional, row

WORK_BYTES = 2e9  # numpy/torch: one dense block while its work arrays fit in this much memory
CHUNK_BYTES = 64e6  # else row chunks of about this many bytes per work array


def bandwidth(d: int) -> float:
    return 0.5 if d <= 8 else float(np.sqrt(d))


def problem(n: int, d: int, dtype: str, seed: int = 0):
    """`(x, centres, coefs, sigma)`: particles, the centres [y, x] and the weights [p, -m]."""
    rng = np.random.default_rng(seed)
    y = rng.normal(size=(n, d))
    x = 0.5 * rng.normal(size=(n, d))
    p = np.full(n, 1.0 / n)
    return (x.astype(dtype), np.concatenate([y, x]).astype(dtype), np.concatenate([p, -p]).astype(dtype), bandwidth(d))


def _rows_per_chunk(n: int, m: int, itemsize: int) -> int:
    if 3 * n * m * itemsize <= WORK_BYTES:
        return n
    return max(1, int(CHUNK_BYTES // (m * itemsize)))


# --- baselines, written here -------------------------------------------------------------------
def numpy_field(x, centres, coefs, sigma, rows=None):
    """Witness values and gradients in NumPy (see the module docstring for the algorithm)."""
    n, d = x.shape
    rows = rows or _rows_per_chunk(n, len(centres), x.itemsize)
    slope = x.dtype.type(-1 / (2 * sigma**2))
    values, grads = np.empty(n, x.dtype), np.empty((n, d), x.dtype)
    zz = np.sum(centres * centres, axis=1)
    for i in range(0, n, rows):
        xb = x[i : i + rows]
        if d <= 8:
            diffs = [xb[:, j, None] - centres[None, :, j] for j in range(d)]
            s = diffs[0] ** 2
            for q in diffs[1:]:
                s += q**2
        else:
            s = xb @ centres.T
            s *= -2
            s += np.sum(xb * xb, axis=1)[:, None]
            s += zz[None, :]
            np.maximum(s, 0, out=s)
        s *= slope
        w = np.exp(s, out=s)
        values[i : i + rows] = w @ coefs
        w *= coefs[None, :]
        if d <= 8:
            grads[i : i + rows] = np.stack([np.sum(w * q, axis=1) for q in diffs], axis=1)
        else:
            grads[i : i + rows] = np.sum(w, axis=1)[:, None] * xb - w @ centres
    grads *= 2 * slope
    return values, grads


def torch_field(torch, x, centres, coefs, sigma, rows=None):
    """The same algorithm in torch (CPU)."""
    n, d = x.shape
    rows = rows or _rows_per_chunk(n, centres.shape[0], x.element_size())
    slope = -1 / (2 * sigma**2)
    values, grads = torch.empty(n, dtype=x.dtype), torch.empty((n, d), dtype=x.dtype)
    zz = (centres * centres).sum(1)
    cols = [centres[:, j].contiguous() for j in range(d)]
    for i in range(0, n, rows):
        xb = x[i : i + rows]
        if d <= 8:
            diffs = [xb[:, j, None] - cols[j][None, :] for j in range(d)]
            s = diffs[0].square()
            for q in diffs[1:]:
                s += q.square()
        else:
            s = torch.addmm((xb * xb).sum(1)[:, None] + zz[None, :], xb, centres.T, alpha=-2).clamp_(min=0)
        w = s.mul_(slope).exp_()
        values[i : i + rows] = w @ coefs
        w.mul_(coefs[None, :])
        if d <= 8:
            grads[i : i + rows] = torch.stack([(w * q).sum(1) for q in diffs], dim=1)
        else:
            grads[i : i + rows] = w.sum(1)[:, None] * xb - w @ centres
    return values, grads.mul_(2 * slope)


# --- one implementation, measured in its own process -------------------------------------------
def measure(impl: str, n: int, d: int, dtype: str, repeats: int, answers: str) -> dict:
    """Time `impl` on the problem `(n, d, dtype)` in this process; save its gradients to `answers`."""
    x, centres, coefs, sigma = problem(n, d, dtype)
    out = {"note": ""}
    if impl == "dualflow":
        import jax

        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp

        import dualflow as df
        from dualflow.kernels import sums
        from dualflow.precision import cast_floating

        kernel = cast_floating(df.Gaussian(sigma), jnp.dtype(dtype))
        args = [jnp.asarray(a) for a in (x, centres, coefs)]
        compiled = jax.jit(lambda x, z, c: sums.kernel_sums(kernel, x, z, c)).lower(*args).compile()
        memory = compiled.memory_analysis()
        out["xla_temp_gb"] = memory.temp_size_in_bytes / 1e9 if memory is not None else None
        path = "dense" if n * len(centres) <= sums.DENSE_PAIRS else f"chunked, block {sums.BLOCK}"
        out["note"] = f"jax {jax.__version__}, {path}"
        seconds, (_, grads) = _timed(lambda: jax.block_until_ready(compiled(*args)), repeats, warmup=0)
        grads = np.asarray(grads)
    elif impl == "numpy":
        rows = _rows_per_chunk(n, len(centres), x.itemsize)
        out["note"] = "dense" if rows == n else f"chunked, {rows} rows"
        seconds, (_, grads) = _timed(lambda: numpy_field(x, centres, coefs, sigma), repeats)
    elif impl == "torch":
        import torch

        tx, tc, tw = (torch.from_numpy(a) for a in (x, centres, coefs))
        rows = _rows_per_chunk(n, len(centres), x.itemsize)
        out["note"] = f"torch {torch.__version__}, {torch.get_num_threads()} threads, " + (
            "dense" if rows == n else f"chunked, {rows} rows"
        )
        seconds, (_, grads) = _timed(lambda: torch_field(torch, tx, tc, tw, sigma), repeats)
        grads = grads.numpy()
    elif impl == "geomloss":
        import geomloss
        import torch

        loss = geomloss.SamplesLoss("gaussian", blur=sigma, backend="tensorized")
        ty = torch.from_numpy(centres[:n])
        tp = torch.from_numpy(-coefs[n:])  # particle masses m (the coefficients carry -m)
        tq = torch.from_numpy(coefs[:n])

        def field():
            tx = torch.from_numpy(x).requires_grad_(True)
            (g,) = torch.autograd.grad(loss(tp, tx, tq, ty), [tx])
            return g

        out["note"] = f"geomloss {geomloss.__version__} tensorized (dense N x N, N x M and M x M blocks)"
        seconds, g = _timed(field, repeats)
        grads = (-g / tp[:, None]).numpy()
    else:
        raise ValueError(f"unknown implementation {impl!r}")
    np.save(answers, grads)
    out.update(seconds=seconds, peak_rss_gb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6)
    return out


def _timed(fn, repeats, warmup=None):
    """`(median seconds, last result)`: like `common.timed` (warm-up calls untimed; one when
    more than one call is timed, none for a single long call), keeping the answer."""
    warmup = (1 if repeats > 1 else 0) if warmup is None else warmup
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


# --- the suite's entry point -------------------------------------------------------------------
def _impls(n, d, baseline_max, quick):
    """The baselines to run at this size: `{name: None}`, or `{name: reason it is skipped}`."""
    too_big = n > (10 * baseline_max if d <= 8 else baseline_max)
    out = {"numpy": f"N above --baseline-max ({baseline_max}; 10x that in 2-D)" if too_big else None}
    torch, reason = optional("torch")
    out["torch"] = reason or out["numpy"]
    geomloss, reason = optional("geomloss")
    if geomloss is None:
        out["geomloss"] = reason
    elif 9 * n * n * 8 > 12e9:  # K_xx, K_xy, K_yy and their intermediate and saved copies
        out["geomloss"] = "its tensorized backend stores dense N x N and N x M blocks (> 12 GB here)"
    elif quick and n > 1000:
        out["geomloss"] = "--quick: its dense run is left to the full benchmark above N = 1000"
    else:
        out["geomloss"] = None
    keops, reason = optional("pykeops")
    out["geomloss online (pykeops)"] = reason or "not run: pykeops imports, but no KeOps run is written here"
    return out


def run(
    quick: bool,
    sizes=None,
    dims=(2, 64),
    dtypes=("float32", "float64"),
    baseline_max: int = 10_000,
    with_ceiling: bool = True,
    echo=None,
) -> list[dict]:
    """One row per (N, d, dtype) and baseline: see the module docstring. `echo(row)`, if
    given, is called with each row as soon as it is measured."""
    rows = _EchoList(echo)
    ceilings = {}
    for d in dims:
        for dtype in dtypes:
            if sizes:
                case_sizes = sizes
            elif quick:
                case_sizes = [1000, 10_000] if d <= 8 else [1000]
            else:
                case_sizes = [1000, 10_000, 100_000]
            if with_ceiling:
                candidates = pair_rates(
                    d, dtype, quick=quick, families=("jax",) if quick else ("jax", "numpy", "torch")
                )
                ceilings[d, dtype] = best_row(candidates, dtype)
            for n in case_sizes:
                pairs = n * 2 * n
                repeats = 5 if pairs <= 2e8 else (3 if pairs <= 2e9 else 1)
                # baselines are 10-50x slower: fewer calls (a single one, unwarmed, above 2e7 pairs in --quick)
                baseline_repeats = 1 if (quick and pairs > 2e7) or pairs > 2e9 else (3 if pairs > 2e7 else 5)
                with tempfile.TemporaryDirectory() as tmp:
                    ours = isolated(
                        "velocity_field:measure",
                        impl="dualflow",
                        n=n,
                        d=d,
                        dtype=dtype,
                        repeats=repeats,
                        answers=os.path.join(tmp, "dualflow.npy"),
                    )
                    v_ours = np.load(os.path.join(tmp, "dualflow.npy")).astype(np.float64)
                    ceiling = ceilings.get((d, dtype))
                    common = dict(
                        n=n,
                        m=n,
                        d=d,
                        dtype=dtype,
                        pairs=pairs,
                        pairs_per_s=pairs / ours["seconds"],
                        peak_rss_gb=ours["peak_rss_gb"],
                        xla_temp_gb=ours.get("xla_temp_gb"),
                        ceiling_pairs_per_s=ceiling["pairs_per_s"] if ceiling else None,
                        ceiling_impl=ceiling["impl"] if ceiling else None,
                        fraction_of_ceiling=(pairs / ours["seconds"] / ceiling["pairs_per_s"] if ceiling else None),
                        nxm_matrix_gb=pairs * np.dtype(dtype).itemsize / 1e9,
                    )
                    case = f"N=M={n} d={d} {dtype}"
                    summary = f"{common['pairs_per_s']:.3g} pairs/s"
                    if ceiling:
                        summary += f" = {common['fraction_of_ceiling']:.2f} of the ceiling ({ceiling['impl']})"
                    summary += f"; peak RSS {ours['peak_rss_gb']:.2f} GB; {ours['note']}"
                    rows.append(
                        row(
                            "velocity_field",
                            case,
                            dualflow_s=ours["seconds"],
                            note=summary,
                            load_avg=os.getloadavg()[0],
                            **common,
                        )
                    )
                    for impl, skip in _impls(n, d, baseline_max, quick).items():
                        if skip:
                            rows.append(
                                row(
                                    "velocity_field",
                                    case,
                                    dualflow_s=ours["seconds"],
                                    baseline=impl,
                                    note=f"skipped: {skip}",
                                    load_avg=os.getloadavg()[0],
                                    **common,
                                )
                            )
                            continue
                        path = os.path.join(tmp, f"{impl}.npy")
                        try:
                            theirs = isolated(
                                "velocity_field:measure",
                                impl=impl,
                                n=n,
                                d=d,
                                dtype=dtype,
                                repeats=baseline_repeats,
                                answers=path,
                            )
                        except RuntimeError as error:
                            rows.append(
                                row(
                                    "velocity_field",
                                    case,
                                    dualflow_s=ours["seconds"],
                                    baseline=impl,
                                    note=f"failed: {str(error).splitlines()[-1]}",
                                    load_avg=os.getloadavg()[0],
                                    **common,
                                )
                            )
                            continue
                        v_theirs = np.load(path).astype(np.float64)
                        disagreement = float(np.max(np.abs(v_theirs - v_ours)) / np.max(np.abs(v_ours)))
                        rows.append(
                            row(
                                "velocity_field",
                                case,
                                dualflow_s=ours["seconds"],
                                baseline=impl,
                                baseline_s=theirs["seconds"],
                                agreement=disagreement,
                                agreement_kind="max |v_baseline - v_dualflow| / max |v_dualflow|",
                                note=theirs["note"],
                                baseline_peak_rss_gb=theirs["peak_rss_gb"],
                                load_avg=os.getloadavg()[0],
                                **common,
                            )
                        )
    return list(rows)


class _EchoList(list):
    def __init__(self, echo):
        super().__init__()
        self.echo = echo

    def append(self, item):
        super().append(item)
        if self.echo is not None:
            self.echo(item)


def print_row(r: dict) -> None:
    if r["baseline"] is None:
        print(f"{r['case']:<28} dualflow {r['dualflow_s']:.4g} s  ({r['note']}; load {r['load_avg']:.2f})", flush=True)
    elif r["baseline_s"]:
        print(
            f"{'':<28} {r['baseline']:<10} {r['baseline_s']:.4g} s  ratio {r['ratio']:.2f}  "
            f"disagreement {r['agreement']:.1e}  ({r['note']})",
            flush=True,
        )
    else:
        print(f"{'':<28} {r['baseline']:<10} {r['note']}", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sizes", type=int, nargs="+", default=None)
    parser.add_argument("--dims", type=int, nargs="+", default=[2, 64])
    parser.add_argument("--dtypes", nargs="+", default=["float32", "float64"])
    parser.add_argument(
        "--baseline-max", type=int, default=10_000, help="largest N for the numpy and torch baselines (2-D: 10x this)"
    )
    parser.add_argument("--no-ceiling", action="store_true", help="skip the ceiling measurement")
    parser.add_argument("--out", default=None, help="write the rows as JSON here")
    args = parser.parse_args(argv)
    rows = run(
        args.quick,
        args.sizes,
        tuple(args.dims),
        tuple(args.dtypes),
        args.baseline_max,
        not args.no_ceiling,
        echo=print_row,
    )
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(rows, fh, indent=2)
    return rows


if __name__ == "__main__":
    main()
