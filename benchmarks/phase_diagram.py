"""Benchmark: throughput of the predicted (linearized) phase diagram.

dualflow builds the exact linearization (kernel-trick matrix and its eigenvalues) at every grid
point in one compiled `vmap` (`predict_phase_diagram`). The baseline is what a user would write
without it: a Python loop over configurations, each building the same one-step matrix of
simultaneous GDA at a cluster of `n` points on one true point with NumPy (Gaussian kernel
derivatives by hand) and calling `np.linalg.eigvals`. It runs on a random subsample of the grid
and its per-configuration time is extrapolated. The largest disagreement of the spectral
radius on the subsample is reported, so a fast wrong answer cannot pass.

    python benchmarks/phase_diagram.py [--size 400] [--cluster 1] [--baseline-samples 2000] [--out FILE]
"""

import argparse
import json
import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)

import dualflow as df


def numpy_growth(sigma, reg, lr_g, lr_d, n, w):
    """Spectral radius of simultaneous GDA at n points of mass w on a true point of mass 1 (1-D),
    from the kernel-trick matrix written out in NumPy."""
    gamma = 1 / sigma**2
    delta = 1.0 - n * w
    hess = -delta * gamma / reg  # f* = (delta/reg) K(., y): Hessian at y
    gram = np.full((n, n), gamma)  # d1 d2 K(y, y) = gamma for every pair of the collapsed cluster
    eye = np.eye(n)
    top = np.hstack([eye + lr_g * w * hess * eye, lr_g * w * gram])
    bottom = np.hstack([-lr_d * w * eye, (1 - lr_d * reg) * eye])
    eig = np.linalg.eigvals(np.vstack([top, bottom]))
    return max(np.max(np.abs(eig)), abs(1 - lr_d * reg))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=400, help="grid edge (size x size configurations)")
    parser.add_argument("--cluster", type=int, default=1, help="generated points on the true point")
    parser.add_argument("--baseline-samples", type=int, default=2000, help="configurations timed for NumPy")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=None, help="write the results as JSON here")
    args = parser.parse_args(argv)
    n, w, lr_g, lr_d = args.cluster, 0.6 / args.cluster, 0.1, 0.1
    data = df.Measure(jnp.zeros((1, 1)), jnp.ones(1))
    cluster = df.Measure(jnp.zeros((n, 1)), jnp.full(n, w))
    sigmas, regs = np.geomspace(0.1, 10, args.size), np.geomspace(0.01, 1, args.size)

    def run():
        return df.predict_phase_diagram(
            data,
            cluster,
            x=("bandwidth", sigmas),
            y=("reg", regs),
            base=dict(lr_g=lr_g, lr_d=lr_d),
            scheme="simultaneous",
        )

    start = time.perf_counter()
    diagram = run()
    first = time.perf_counter() - start  # includes compilation
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)

    rng = np.random.default_rng(0)
    rows, cols = rng.integers(0, args.size, args.baseline_samples), rng.integers(0, args.size, args.baseline_samples)
    start = time.perf_counter()
    reference = [numpy_growth(sigmas[c], regs[r], lr_g, lr_d, n, w) for r, c in zip(rows, cols)]
    numpy_per_config = (time.perf_counter() - start) / args.baseline_samples
    error = float(np.max(np.abs(diagram.growth[rows, cols] - np.asarray(reference))))

    configs = args.size**2
    result = {
        "grid": [args.size, args.size],
        "cluster": n,
        "matrix_size": 2 * n,
        "dualflow_seconds_median": seconds,
        "dualflow_seconds_first_call": first,
        "dualflow_configs_per_second": configs / seconds,
        "numpy_configs_per_second": 1 / numpy_per_config,
        "numpy_seconds_extrapolated": configs * numpy_per_config,
        "speedup": configs * numpy_per_config / seconds,
        "max_abs_disagreement": error,
        "device": jax.devices()[0].device_kind,
        "jax": jax.__version__,
    }
    for key, value in result.items():
        print(f"{key:32s} {value}")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(result, fh, indent=2)
    return result


if __name__ == "__main__":
    main()
