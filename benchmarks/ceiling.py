r"""This machine's practical ceiling for Gaussian kernel pair evaluations per second, and matmul FLOP/s.

**What "ceiling" means.** Every exact-kernel velocity field (the MMD-flow witness gradient
$\sum_k \beta_k \nabla_x K(x_n, z_k)$, however it is written) must, for every pair
$(x_n, z_k)$, at least form the squared distance, take one exponential and add the result
somewhere. The cheapest such computation is the bare reduction

$$r_n = \sum_k \exp\!\big(-|x_n - z_k|^2 / (2\sigma^2)\big),$$

with no weights, no gradient and nothing else. Its best measured rate here (pairs per
second, over the reasonable implementations at hand) is the *ceiling*: a velocity field,
which needs the values times weights and $d$ more sums per pair, can approach it but not pass
it by more than noise. `benchmarks/velocity_field.py` reports dualflow's rate as a fraction of
it, measured in the same run.

Implementations tried (the best of each family is kept, all are reported):

- **jax**: jitted tiles, `lax.map` over row blocks and `lax.scan` over column blocks with a
  running sum, several tile shapes; squared distances from coordinate differences for
  $d \le 8$, from the matmul identity $|x|^2 + |z|^2 - 2x\cdot z$ above (and there the row
  sums both by a reduction and by a matrix-vector product).
- **numpy**: row chunks of a preallocated buffer, in-place ufuncs (NumPy's exp is
  single-threaded), distances by coordinate differences for $d \le 8$ and always also by the
  matmul trick through BLAS (`x @ z.T`, multi-threaded OpenBLAS).
- **torch** (CPU, its intra-op threads): the matmul trick (`addmm`) or coordinate differences,
  then `exp_` and `sum`, in row chunks.

Matmul FLOP/s: square products $2n^3 / t$ with NumPy (OpenBLAS) and `jnp.dot`, float32 and float64.

Each timing is the median of several calls after a warm-up call; the 1-minute load average
(`os.getloadavg`) is recorded in every row, as other jobs may share the cores.

    python benchmarks/ceiling.py [--quick] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

if __package__ in (None, ""):  # run as a script: make `benchmarks.common` importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.common import optional, row, timed

SIGMA = 1.0
LOW_DIM = 8


def _problem(n, m, d, dtype, seed=0):
    rng = np.random.default_rng(seed)
    # sigma relative to the typical distance, so that the exponentials are neither all 0 nor all 1
    scale = 1.0 / np.sqrt(d)
    return (scale * rng.normal(size=(n, d))).astype(dtype), (scale * rng.normal(size=(m, d))).astype(dtype)


def numpy_reference(x, z, sigma=SIGMA):
    """Float64 reference of $r_n$ (row chunks, coordinate differences), for the agreement check."""
    x, z = x.astype(np.float64), z.astype(np.float64)
    out = np.empty(len(x))
    step = max(1, 2**22 // (len(z) * x.shape[1]))
    for i in range(0, len(x), step):
        s = np.sum((x[i : i + step, None, :] - z[None, :, :]) ** 2, axis=-1)
        out[i : i + step] = np.exp(-s / (2 * sigma**2)).sum(1)
    return out


# --- jax ---------------------------------------------------------------------------------------
def _jax_bare(rows, cols, d, dtype, sum_by_matmul=False):
    import jax
    import jax.numpy as jnp

    slope = dtype(-1 / (2 * SIGMA**2))

    def tile(xb, zb):
        if d <= LOW_DIM:
            s = sum((xb[:, None, i] - zb[None, :, i]) ** 2 for i in range(d))
        else:
            s = jnp.maximum(jnp.sum(xb * xb, 1)[:, None] + jnp.sum(zb * zb, 1)[None, :] - 2 * (xb @ zb.T), 0)
        if sum_by_matmul:  # the sum as a matrix-vector product (XLA then materializes the tile)
            return jnp.exp(slope * s) @ jnp.ones(zb.shape[0], zb.dtype)
        return jnp.sum(jnp.exp(slope * s), axis=1)

    def reduction(x, z):
        z_blocks = z.reshape(-1, cols, d)

        def row_block(xb):
            def step(acc, zb):
                return acc + tile(xb, zb), None

            return jax.lax.scan(step, jnp.zeros(rows, x.dtype), z_blocks)[0]

        return jax.lax.map(row_block, x.reshape(-1, rows, d)).reshape(-1)

    return jax.jit(reduction)


def _jax_rates(x, z, repeats, tiles):
    import jax.numpy as jnp

    d, dtype = x.shape[1], x.dtype.type
    xj, zj = jnp.asarray(x), jnp.asarray(z)
    out = []
    for rows, cols in tiles:
        if x.shape[0] % rows or z.shape[0] % cols:
            continue
        for by_matmul in (False, True) if d > LOW_DIM else (False,):
            f = _jax_bare(rows, cols, d, dtype, by_matmul)
            seconds = timed(lambda: f(xj, zj).block_until_ready(), repeats)
            name = f"jax tiles {rows}x{cols}" + (", sum by matmul" if by_matmul else "")
            out.append((name, seconds, np.asarray(f(xj, zj))))
    return out


# --- numpy -------------------------------------------------------------------------------------
def _numpy_differences(x, z, chunk):
    slope = x.dtype.type(-1 / (2 * SIGMA**2))
    out = np.empty(len(x), dtype=x.dtype)
    buf = np.empty((chunk, len(z)), dtype=x.dtype)
    tmp = np.empty_like(buf)
    zt = np.ascontiguousarray(z.T)
    for i in range(0, len(x), chunk):
        xb = x[i : i + chunk]
        b, t = buf[: len(xb)], tmp[: len(xb)]
        np.subtract(xb[:, 0:1], zt[0][None, :], out=b)
        np.square(b, out=b)
        for j in range(1, x.shape[1]):
            np.subtract(xb[:, j : j + 1], zt[j][None, :], out=t)
            np.square(t, out=t)
            b += t
        b *= slope
        np.exp(b, out=b)
        b.sum(axis=1, out=out[i : i + len(xb)])
    return out


def _numpy_matmul(x, z, chunk):
    slope = x.dtype.type(-1 / (2 * SIGMA**2))
    out = np.empty(len(x), dtype=x.dtype)
    buf = np.empty((chunk, len(z)), dtype=x.dtype)
    zz = np.sum(z * z, axis=1)
    xx = np.sum(x * x, axis=1)
    for i in range(0, len(x), chunk):
        xb = x[i : i + chunk]
        b = buf[: len(xb)]
        np.matmul(xb, z.T, out=b)
        b *= -2
        b += xx[i : i + len(xb), None]
        b += zz[None, :]
        np.maximum(b, 0, out=b)
        b *= slope
        np.exp(b, out=b)
        b.sum(axis=1, out=out[i : i + len(xb)])
    return out


def _numpy_rates(x, z, repeats, chunks):
    out = []
    for chunk in chunks:
        if x.shape[1] <= LOW_DIM:
            seconds = timed(lambda: _numpy_differences(x, z, chunk), repeats)
            out.append((f"numpy differences, rows of {chunk}", seconds, _numpy_differences(x, z, chunk)))
        seconds = timed(lambda: _numpy_matmul(x, z, chunk), repeats)
        out.append((f"numpy matmul trick (BLAS), rows of {chunk}", seconds, _numpy_matmul(x, z, chunk)))
    return out


# --- torch -------------------------------------------------------------------------------------
def _torch_rates(x, z, repeats, chunks):
    torch, reason = optional("torch")
    if torch is None:
        return [], reason
    slope = -1 / (2 * SIGMA**2)
    xt, zt = torch.from_numpy(x), torch.from_numpy(z)
    zz = (zt * zt).sum(1)
    xx = (xt * xt).sum(1)
    cols = [zt[:, j].contiguous() for j in range(x.shape[1])]

    def matmul(chunk):
        out = torch.empty(len(x), dtype=xt.dtype)
        for i in range(0, len(x), chunk):
            xb = xt[i : i + chunk]
            b = torch.addmm(xx[i : i + chunk, None] + zz[None, :], xb, zt.T, alpha=-2)
            b.clamp_(min=0).mul_(slope).exp_()
            torch.sum(b, dim=1, out=out[i : i + chunk])
        return out.numpy()

    def differences(chunk):
        out = torch.empty(len(x), dtype=xt.dtype)
        for i in range(0, len(x), chunk):
            xb = xt[i : i + chunk]
            b = (xb[:, 0:1] - cols[0][None, :]).square_()
            for j in range(1, x.shape[1]):
                b += (xb[:, j : j + 1] - cols[j][None, :]).square_()
            b.mul_(slope).exp_()
            torch.sum(b, dim=1, out=out[i : i + chunk])
        return out.numpy()

    out = []
    note = f"torch {torch.__version__}, {torch.get_num_threads()} threads"
    for chunk in chunks:
        if x.shape[1] <= LOW_DIM:
            seconds = timed(lambda: differences(chunk), repeats)
            out.append((f"torch differences, rows of {chunk}", seconds, differences(chunk)))
        seconds = timed(lambda: matmul(chunk), repeats)
        out.append((f"torch matmul trick (addmm), rows of {chunk}", seconds, matmul(chunk)))
    return out, note


def _family_rates(family: str, d: int, dtype: str, n: int, m: int, quick: bool, answers: str) -> list:
    """`[(name, seconds), ...]` for one family of implementations, run in this process; the
    answers are saved to the `.npz` file `answers` (one array per name)."""
    dtype = np.dtype(dtype).type
    repeats = 3 if quick else 5
    x, z = _problem(n, m, d, dtype)
    note = ""
    if family == "jax":
        import jax

        jax.config.update("jax_enable_x64", True)
        tiles = [(1024, 1024), (512, 2048)]
        if not quick:
            tiles += [(512, 512), (2048, 1024), (2048, 2048), (256, m)]
        results = _jax_rates(x, z, repeats, tiles)
        note = f"jax {jax.__version__}"
    elif family == "numpy":
        results = _numpy_rates(x, z, repeats, [128] if quick else [64, 256])
        note = f"numpy {np.__version__}"
    else:
        results, note = _torch_rates(x, z, repeats, [128] if quick else [64, 256])
    np.savez(answers, **{f"a{i}": answer for i, (_, _, answer) in enumerate(results)})
    return [(name, seconds, note) for name, seconds, _ in results]


def isolated(function: str, **kwargs):
    """`function(**kwargs)` (a name in `benchmarks.<module>`, as `"module:function"`) run in a fresh
    Python process, its JSON-able result returned. Each runtime's thread pool (XLA's, OpenBLAS's,
    torch's) then has the cores to itself: measured in one process, whichever ran last slows the
    next (XLA's worker threads keep spinning for a while after a computation)."""
    module, name = function.split(":")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = (
        f"import json, sys; sys.path.insert(0, {root!r}); from benchmarks.{module} import {name}; "
        f"print('@@RESULT@@' + json.dumps({name}(**json.loads(sys.argv[1]))))"
    )
    done = subprocess.run([sys.executable, "-c", code, json.dumps(kwargs)], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{function} failed in its subprocess:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.rsplit("@@RESULT@@", 1)[1])


def pair_rates(
    d: int, dtype, quick: bool = False, n: int | None = None, m: int | None = None, families=("jax", "numpy", "torch")
) -> list[dict]:
    """One row per implementation of the bare reduction for this dimension and dtype
    (`pairs_per_s`, `seconds`, `agreement`: max relative difference from a float64 NumPy
    reference); each family (jax, numpy, torch) in its own process."""
    dtype = np.dtype(dtype)
    n = n or (2048 if quick else 4096)
    m = m or 2 * n
    x, z = _problem(n, m, d, dtype.type)
    reference = numpy_reference(x, z)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for family in families:
            answers = os.path.join(tmp, f"{family}.npz")
            try:
                results = isolated(
                    "ceiling:_family_rates",
                    family=family,
                    d=d,
                    dtype=dtype.name,
                    n=n,
                    m=m,
                    quick=quick,
                    answers=answers,
                )
            except RuntimeError as error:  # a family that cannot run here is skipped with a note
                rows.append(
                    row(
                        "ceiling",
                        f"gaussian pairs d={d} {dtype.name}",
                        dualflow_s=None,
                        baseline=family,
                        note=f"skipped: {str(error).splitlines()[-1]}",
                        kind="pair_rate",
                        impl=family,
                        d=d,
                        dtype=dtype.name,
                        n=n,
                        m=m,
                        pairs_per_s=None,
                        load_avg=os.getloadavg()[0],
                    )
                )
                continue
            stored = np.load(answers)
            for i, (name, seconds, note) in enumerate(results):
                answer = stored[f"a{i}"]
                rows.append(
                    row(
                        "ceiling",
                        f"gaussian pairs d={d} {dtype.name}",
                        dualflow_s=None,
                        baseline=name,
                        baseline_s=seconds,
                        agreement=float(np.max(np.abs(answer - reference) / reference)),
                        agreement_kind="max relative difference vs float64 NumPy",
                        note=f"{n * m / seconds:.3g} pairs/s; {note}",
                        kind="pair_rate",
                        impl=name,
                        d=d,
                        dtype=dtype.name,
                        n=n,
                        m=m,
                        pairs_per_s=n * m / seconds,
                        seconds=seconds,
                        load_avg=os.getloadavg()[0],
                    )
                )
    return rows


def best_row(rows: list[dict], dtype) -> dict | None:
    """The fastest row of `pair_rates` that computes the reduction (`kind = "ceiling"`), or `None`."""
    # an implementation only counts if it computes the reduction (float32 sums of 1e7 terms: 1e-3 at worst)
    tol = 1e-3 if np.dtype(dtype) == np.float32 else 1e-9
    valid = [r for r in rows if r["pairs_per_s"] and r["agreement"] is not None and r["agreement"] < tol]
    if not valid:
        return None
    best = dict(max(valid, key=lambda r: r["pairs_per_s"]))
    best.update(
        kind="ceiling",
        case=best["case"] + " (best)",
        candidates={r["impl"]: r["pairs_per_s"] for r in rows if r["pairs_per_s"]},
    )
    return best


def ceiling(d: int, dtype, quick: bool = False, **size) -> dict:
    """This machine's pair-rate ceiling for `(d, dtype)`: the best row of `pair_rates`, with
    every implementation's rate under `candidates`."""
    return best_row(pair_rates(d, dtype, quick, **size), dtype)


def matmul_rates(quick: bool = False) -> list[dict]:
    """Square matmul FLOP/s ($2n^3/t$), NumPy (BLAS) and jax, float32 and float64."""
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    n = 1024 if quick else 2048
    repeats = 3 if quick else 5
    rows = []
    for dtype in (np.float32, np.float64):
        rng = np.random.default_rng(1)
        a, b = rng.normal(size=(n, n)).astype(dtype), rng.normal(size=(n, n)).astype(dtype)
        aj, bj = jnp.asarray(a), jnp.asarray(b)
        dot = jax.jit(jnp.dot)
        for name, fn in (("numpy (OpenBLAS)", lambda: a @ b), ("jax jnp.dot", lambda: dot(aj, bj).block_until_ready())):
            seconds = timed(fn, repeats)
            rows.append(
                row(
                    "ceiling",
                    f"matmul {n}x{n} {np.dtype(dtype).name}",
                    dualflow_s=None,
                    baseline=name,
                    baseline_s=seconds,
                    note=f"{2 * n**3 / seconds:.3g} FLOP/s",
                    kind="matmul",
                    impl=name,
                    dtype=np.dtype(dtype).name,
                    n=n,
                    flops_per_s=2 * n**3 / seconds,
                    seconds=seconds,
                    load_avg=os.getloadavg()[0],
                )
            )
    return rows


def run(quick: bool) -> list[dict]:
    """Every implementation's pair rate for d in {2, 64}, float32 and float64, each case's best
    (`kind = "ceiling"`), and the matmul FLOP/s."""
    rows = []
    for d in (2, 64):
        for dtype in (np.float32, np.float64):
            candidates = pair_rates(d, dtype, quick)
            rows += candidates + [r for r in [best_row(candidates, dtype)] if r]
    return rows + isolated("ceiling:matmul_rates", quick=quick)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller problems and fewer variants")
    parser.add_argument("--out", default=None, help="write the rows as JSON here")
    args = parser.parse_args(argv)
    rows = run(args.quick)
    for r in rows:
        if r["kind"] == "matmul":
            print(f"{r['case']:<34} {r['impl']:<44} {r['flops_per_s']:.3e} FLOP/s   load {r['load_avg']:.2f}")
        else:
            mark = "  <- ceiling" if r["kind"] == "ceiling" else ""
            print(
                f"{r['case']:<34} {r['impl']:<44} {r['pairs_per_s']:.3e} pairs/s  "
                f"rel diff {r['agreement']:.1e}  load {r['load_avg']:.2f}{mark}"
            )
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(rows, fh, indent=2)
    return rows


if __name__ == "__main__":
    main()
