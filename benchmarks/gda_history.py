"""Benchmark: exact-history discrete GDA (Becker's update with the exact RKHS discriminator).

The game (docs/science.md §2): data on the 8-ring (M points, masses 1/M), N particles (masses 1/N) in
2-D, Gaussian kernel, kernel IPM payoff, ridge `lam`, **Wasserstein** velocity, GDA in the
order `alternating_d_first` (Becker et al.: the G-step uses the new f at the old X):

    D-step:  f <- (1 - eta_d lam) f + eta_d ( sum_i p_i K(., y_i) - sum_j m_j K(., x_j) )
    G-step:  x_j <- x_j + eta_g grad f(x_j)

From f_0 = 0 the discriminator is f = c m_nu - sum_b w_b m_{X_b}: one coefficient on the data
and one weight per past configuration X_b, decaying like (1 - eta_d lam)^age. dualflow's
`ExactRKHS` keeps this history in a ring buffer of `B` slots, sized so that a slot is
overwritten once its weight has fallen below `history_tol` (1e-12) of its first weight.

The baseline, written here in plain NumPy, keeps the same history in a preallocated ring
buffer of the same `B` slots (only the filled slots are summed, so its early steps are
cheaper) and evaluates grad f with the matmul form of the squared distances
(|x|^2 + |z|^2 - 2 x.z) and BLAS products. NumPy's OpenBLAS runs with one thread
(`OPENBLAS_NUM_THREADS=1`, set here unless the environment sets it; its products have
inner dimension 2 or output width 2 and its threads only slowed them on the 2-core machine).

Agreement: max |X_dualflow - X_numpy| over the particles after the last step (float64).
Timings are medians after one warm-up for dualflow (compile time reported apart); the NumPy
run, which has nothing to warm up, is timed once in full mode.

    python benchmarks/gda_history.py [--quick]
"""

from __future__ import annotations

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy loads (see the docstring)

import jax

jax.config.update("jax_enable_x64", True)

import numpy as np
from common import row, timed

import dualflow as df

WORKLOAD = "exact-history GDA"
BANDWIDTH, REG, LR_G, LR_D = 0.5, 1.0, 0.05, 0.2


def setup(n: int, seed: int = 0):
    k_data, k_gen = jax.random.split(jax.random.PRNGKey(seed))
    data = df.ring8(k_data, n, std=0.05)
    x0 = 0.5 * jax.random.normal(k_gen, (n, 2))
    game = df.KernelGame(data, df.ExactRKHS(df.Gaussian(BANDWIDTH)), reg=REG, velocity="wasserstein")
    return game, x0


def numpy_gda(y, p, x0, m, n_steps: int, capacity: int):
    """Alternating (D-first) exact-kernel GDA with a ring buffer of `capacity` past configurations."""
    n, d = x0.shape
    gamma = 1.0 / BANDWIDTH**2
    decay = 1.0 - LR_D * REG
    hist_points = np.empty((capacity, n, d))
    hist_weights = np.zeros(capacity)  # one weight per slot (kernel IPM)
    data_coef = 0.0
    y_sq = np.sum(y**2, axis=1)
    x = x0.copy()
    for k in range(n_steps):
        # D-step: decay everything, add eta_d to the data coefficient, push X_k with weight eta_d
        data_coef = decay * data_coef + LR_D
        hist_weights *= decay
        slot = k % capacity
        hist_points[slot] = x
        hist_weights[slot] = LR_D
        filled = min(k + 1, capacity)
        # G-step at the old X with the new f: grad f(x) = sum_z beta_z K(x, z) (z - x) gamma
        centres = np.concatenate([y, hist_points[:filled].reshape(-1, d)])
        coefs = np.concatenate([data_coef * p, -np.repeat(hist_weights[:filled], n) * np.tile(m, filled)])
        z_sq = np.concatenate([y_sq, np.sum(hist_points[:filled] ** 2, axis=2).reshape(-1)])
        sq = np.sum(x**2, axis=1)[:, None] + z_sq[None, :] - 2.0 * (x @ centres.T)
        weighted = np.exp(-0.5 * gamma * np.maximum(sq, 0.0)) * coefs  # (N, C)
        grad = gamma * (weighted @ centres - np.sum(weighted, axis=1)[:, None] * x)
        x = x + LR_G * grad  # Wasserstein velocity: grad f itself
    return x


def run(quick: bool) -> list[dict]:
    n, n_steps = (64, 200) if quick else (256, 1000)
    game, x0 = setup(n)
    solver = df.GDA(lr_g=LR_G, lr_d=LR_D, order="alternating_d_first")
    capacity = game.discriminator.capacity(n_steps + 1, 1 - LR_D * REG)
    case = (
        f"N=M={n} d=2 steps={n_steps} history={capacity} slots (history_tol 1e-12) "
        "alternating_d_first wasserstein float64"
    )

    def dualflow_run():
        sol = df.solve(game, df.Measure(x0), solver, n_steps=n_steps, save_every=n_steps)
        sol.final_points.block_until_ready()
        return sol

    start = time.perf_counter()
    sol = dualflow_run()
    first_s = time.perf_counter() - start
    dualflow_s = timed(dualflow_run, repeats=3 if quick else 2, warmup=0)  # the first call was the warm-up
    x_ours = np.asarray(sol.final_points)

    y, p = np.asarray(game.data.points), np.asarray(game.data.masses)
    m = np.full(n, 1.0 / n)
    x_start = np.asarray(x0)
    answer = {}

    def numpy_run():
        answer["x"] = numpy_gda(y, p, x_start, m, n_steps, capacity)

    numpy_s = timed(numpy_run, repeats=3 if quick else 1, warmup=0)
    x_numpy = answer["x"]
    pairs = n * sum(game.data.size + n * min(k + 1, capacity) for k in range(n_steps))
    return [
        row(
            WORKLOAD,
            case,
            dualflow_s=dualflow_s,
            baseline="NumPy (ring buffer, matmul distances)",
            baseline_s=numpy_s,
            agreement=float(np.max(np.abs(x_ours - x_numpy))),
            agreement_kind="max |X_dualflow - X_numpy| after the last step",
            note="dualflow sums every slot of its fixed buffer from the first step; NumPy only the filled ones",
            compile_s=max(first_s - dualflow_s, 0.0),
            result=sol.result_name,
            dropped_weight=float(sol.stats["dropped_weight"]),
            max_displacement=float(np.max(np.abs(x_ours - x_start))),
            numpy_kernel_pairs=pairs,
            dualflow_kernel_pairs=n_steps * n * (game.data.size + n * capacity),
            openblas_threads=os.environ.get("OPENBLAS_NUM_THREADS"),
            load_avg=os.getloadavg(),
        )
    ]


if __name__ == "__main__":
    import json

    for r in run("--quick" in sys.argv[1:]):
        print(json.dumps(r, default=str))
