"""Benchmark: the spectral lattice (two NUFFTs) against brute force and against the history.

Three workloads, each timed in the same process against its baseline (medians after a warm-up):

1. **MMD-flow velocity field** (values and gradients of $f^* = (m_\\nu - m_\\mu)/\\lambda$ at the N
   particles, centres = data and particles), 2-D, float64, tol 1e-9: `kernel_sums(method="spectral")`
   against brute force (`method="brute"`, dualflow's fused one-exp tiles). Brute force at the full
   size would take hours, so its pair rate is measured in the same run at N = M = 2e4 and the
   row reports both rates; agreement: the spectral answer against brute force on 2000 of the
   evaluation points (every centre), max relative to sum |beta| (the bound's normalisation).
2. **8-ring dual flow** (kappa = 3, lam = 0.05, sigma = 0.4, Wasserstein velocity): `SpectralRKHS`
   (adaptive Tsit5, rtol 1e-8) against `ExactRKHS`'s history quadrature (Heun, 1000 steps: its
   cost grows with the history, N x (history) x N pairs per step). Agreement: max particle
   distance at the horizon (the history run's own second-order error included).
3. **8-ring GDA** (alternating, lr_g = 0.05, lr_d = 0.15, same game): `SpectralRKHS` against
   `ExactRKHS` (history buffer at history_tol 1e-12: every past step is kept at this decay).
   Agreement: max particle distance after the last step.

The history baselines are timed once, compilation included (minutes of run against seconds of
compilation); the spectral runs are medians after a warm-up. The history's cost per step grows
with the step count, so its ratio grows with the horizon: these sizes are what a 2-core CPU
finishes in minutes, not the issue's N = 1024, T = 50 / 2000 steps.

    python benchmarks/spectral.py [--quick]
"""

from __future__ import annotations

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import dualflow as df  # noqa: E402
from common import peak_rss_gb, row, timed  # noqa: E402

SIGMA, REG, KAPPA, LR_G = 0.4, 0.05, 3.0, 0.05


def _ring_game(discriminator, n, seed=0):
    k_data, k_gen = jax.random.split(jax.random.PRNGKey(seed))
    data = df.ring8(k_data, n)
    x0 = 0.2 * jax.random.normal(k_gen, (n, 2))
    return df.KernelGame(data, discriminator, reg=REG, velocity="wasserstein"), df.Measure(x0)


def _once(fn):
    """`(seconds, result)` of one call, compilation included: the history baselines run for minutes,
    against seconds of compilation, so they are not warmed up (this favours them slightly)."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def velocity_field(n: int, brute_n: int, tol: float = 1e-9) -> dict:
    kernel = df.Gaussian(SIGMA)
    key = jax.random.PRNGKey(1)
    data = df.ring8(key, n)
    x = 0.5 * jax.random.normal(jax.random.PRNGKey(2), (n, 2))
    centres = jnp.concatenate([data.points, x])
    coefs = jnp.concatenate([data.masses, -jnp.full(n, 1.0 / n)]) / REG
    lattice = df.SpectralLattice.fit(kernel, float(centres.min()), float(centres.max()), 2, tol)
    spectral = jax.jit(lambda a, c, w: df.kernel_sums(kernel, a, c, w, method="spectral", lattice=lattice))
    seconds = timed(lambda: jax.block_until_ready(spectral(x, centres, coefs)), repeats=3)
    values, grads = spectral(x, centres, coefs)
    probe = x[:2000]
    brute_v, brute_g = jax.jit(lambda a, c, w: df.kernel_sums(kernel, a, c, w))(probe, centres, coefs)
    scale = float(jnp.sum(jnp.abs(coefs)))
    error = max(float(jnp.max(jnp.abs(values[:2000] - brute_v))), SIGMA * float(jnp.max(jnp.abs(grads[:2000] - brute_g))))
    # brute force's pair rate, measured here at a size it finishes
    xb, cb = x[:brute_n], centres[: 2 * brute_n]
    wb = coefs[: 2 * brute_n]
    brute = jax.jit(lambda a, c, w: df.kernel_sums(kernel, a, c, w))
    brute_s = timed(lambda: jax.block_until_ready(brute(xb, cb, wb)), repeats=3)
    brute_rate = xb.shape[0] * cb.shape[0] / brute_s
    pairs = n * 2 * n
    return row("spectral sums", f"MMD velocity field N = M = {n:.0e}, 2-D float64, tol {tol:g}",
               dualflow_s=seconds, baseline="brute force (pair rate measured here, time extrapolated)",
               baseline_s=pairs / brute_rate, agreement=error / scale, agreement_kind="max error / sum|beta|",
               note=f"{lattice.modes}^2 modes; equivalent {pairs / seconds:.3g} pairs/s vs brute {brute_rate:.3g} "
                    f"pairs/s at N = {brute_n}; peak RSS {peak_rss_gb():.2f} GB")


def dual_flow(n: int, horizon: float) -> dict:
    spectral_game, x0 = _ring_game(df.SpectralRKHS(df.Gaussian(SIGMA)), n)
    history_game, _ = _ring_game(df.ExactRKHS(df.Gaussian(SIGMA)), n)
    flow = df.DualFlow(kappa=KAPPA, rtol=1e-8, atol=1e-10)

    def spectral():
        return jax.block_until_ready(df.solve(spectral_game, x0, flow, t1=horizon, n_saves=2).points)

    def history():
        return jax.block_until_ready(df.solve(history_game, x0, df.DualFlow(kappa=KAPPA), t1=horizon, n_saves=2).points)

    spectral_s = timed(spectral, repeats=3)
    history_s, history_points = _once(history)
    gap = float(np.max(np.abs(np.asarray(spectral()[-1]) - np.asarray(history_points[-1]))))
    return row("spectral flow", f"8-ring dual flow N = {n}, T = {horizon:g}, kappa = 3",
               dualflow_s=spectral_s, baseline="ExactRKHS history quadrature (1000 Heun steps)", baseline_s=history_s,
               agreement=gap, agreement_kind="max |x_spectral - x_history| at T")


def gda(n: int, n_steps: int) -> dict:
    spectral_game, x0 = _ring_game(df.SpectralRKHS(df.Gaussian(SIGMA)), n)
    history_game, _ = _ring_game(df.ExactRKHS(df.Gaussian(SIGMA)), n)
    solver = df.GDA(lr_g=LR_G, lr_d=KAPPA * LR_G)

    def run(game):
        return jax.block_until_ready(df.solve(game, x0, solver, n_steps=n_steps, save_every=n_steps).points)

    spectral_s = timed(lambda: run(spectral_game), repeats=3)
    history_s, history_points = _once(lambda: run(history_game))
    gap = float(np.max(np.abs(np.asarray(run(spectral_game)[-1]) - np.asarray(history_points[-1]))))
    return row("spectral GDA", f"8-ring GDA N = {n}, {n_steps} steps", dualflow_s=spectral_s,
               baseline="ExactRKHS history GDA", baseline_s=history_s, agreement=gap,
               agreement_kind="max |x_spectral - x_history|")


def run(quick: bool) -> list[dict]:
    if quick:
        return [velocity_field(20_000, 4_000), dual_flow(64, 5.0), gda(256, 200)]
    return [velocity_field(1_000_000, 20_000), dual_flow(128, 10.0), gda(1024, 200)]


if __name__ == "__main__":
    from suite import table

    print(table(run("--quick" in sys.argv)))
