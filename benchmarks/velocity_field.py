"""Benchmark: the exact-kernel velocity field (MMD-flow witness gradient) at growing N = M.

For each size, dualflow's `kernel_sums` (dense below `DENSE_PAIRS`, chunked above) is timed
after warm-up (median of repeats) and, where the N x M matrix fits, compared with a plain
NumPy implementation run in the same process: the ratio and the largest disagreement are
reported, so a fast wrong answer cannot pass. Peak resident memory is read from the OS.

    python benchmarks/velocity_field.py [--sizes 1000 10000 100000] [--dim 2] [--float32] [--out FILE]
"""

import argparse
import json
import resource
import statistics
import time

import jax
import numpy as np


def numpy_witness_grad(x, y, p, m, sigma):
    diff_y = x[:, None, :] - y[None]
    diff_x = x[:, None, :] - x[None]
    ky = np.exp(-np.sum(diff_y**2, -1) / (2 * sigma**2))
    kx = np.exp(-np.sum(diff_x**2, -1) / (2 * sigma**2))
    return -(np.einsum("nk,k,nkd->nd", ky, p, diff_y) - np.einsum("nk,k,nkd->nd", kx, m, diff_x)) / sigma**2


def timed(fn, repeats):
    fn()  # warm-up (compilation)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--dim", type=int, default=2)
    parser.add_argument("--float32", action="store_true")
    parser.add_argument("--numpy-max", type=int, default=5000, help="largest N for the NumPy baseline")
    parser.add_argument("--repeats", type=int, default=None, help="timed repeats after warm-up (default 10, 3 at N >= 1e5)")
    parser.add_argument("--out", default=None, help="write the rows as JSON here")
    args = parser.parse_args(argv)
    jax.config.update("jax_enable_x64", not args.float32)
    import jax.numpy as jnp

    import dualflow as df
    from dualflow.kernels.sums import kernel_sums

    dtype = np.float32 if args.float32 else np.float64
    sigma = 0.5
    kernel = df.Gaussian(sigma)
    field = jax.jit(lambda x, c, w: kernel_sums(kernel, x, c, w)[1])
    rows = []
    for n in args.sizes:
        rng = np.random.default_rng(0)
        y = rng.normal(size=(n, args.dim)).astype(dtype)
        x = (0.5 * rng.normal(size=(n, args.dim))).astype(dtype)
        p = np.full(n, 1.0 / n, dtype)
        centres = jnp.asarray(np.concatenate([y, x]))
        coefs = jnp.asarray(np.concatenate([p, -p]))
        xj = jnp.asarray(x)
        repeats = args.repeats or (3 if n >= 100_000 else 10)
        t_dual = timed(lambda: field(xj, centres, coefs).block_until_ready(), repeats)
        row = {"n": n, "dim": args.dim, "dtype": np.dtype(dtype).name, "device": str(jax.devices()[0]),
               "dualflow_s": t_dual, "pairs_per_s": 2 * n * n / t_dual}
        if n <= args.numpy_max:
            t_np = timed(lambda: numpy_witness_grad(x, y, p, p, sigma), 3)
            ours = np.asarray(field(xj, centres, coefs))
            row.update(numpy_s=t_np, speedup_vs_numpy=t_np / t_dual,
                       max_abs_diff=float(np.max(np.abs(ours - numpy_witness_grad(x, y, p, p, sigma)))))
        row["peak_rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
        rows.append(row)
        print(json.dumps(row), flush=True)
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(rows, fh, indent=2)
    return rows


if __name__ == "__main__":
    main()
