"""Benchmark: the spectral lattice (two NUFFTs) against brute force and against the history.

Three workloads, each timed in the same process against its baseline (medians after a warm-up):

1. **MMD-flow velocity field** (values and gradients of $f^* = (m_\\nu - m_\\mu)/\\lambda$ at the N
   particles, centres = data and particles), 2-D, float64, tol 1e-9: `kernel_sums(method="spectral")`
   against brute force (`method="brute"`, dualflow's fused one-exp tiles). Brute force at the full
   size would take hours, so its pair rate is measured in the same run at N = M = 2e4 and the
   row reports both rates; agreement: the spectral answer against brute force on 2000 of the
   evaluation points (every centre), max relative to sum |beta| (the bound's normalisation).
2. **8-ring dual flow** (kappa = 3, lam = 0.05, sigma = 0.4, Wasserstein velocity): `SpectralRKHS`
   (adaptive Tsit5, rtol 1e-8) against `ExactRKHS`'s history quadrature (Heun, fixed steps: its
   cost grows with the history, N x (history) x N pairs per step). Agreement: max particle
   distance at the end of the short history run (the history's own second-order error included).
3. **8-ring GDA** (alternating, lr_g = 0.05, lr_d = 0.15, same game): `SpectralRKHS` against
   `ExactRKHS` (history buffer at history_tol 1e-12: every past step is kept at this decay).
   Agreement: max particle distance after the short history run's last step.

The spectral runs are medians after a warm-up, at the full size. The history's cost per step grows
with the steps taken, so at the full size (N = 1024, T = 50 / 2000 steps) it would run for hours
on a 2-core CPU: it is timed once (compilation included) at two short lengths and its full time
extrapolated by the exact cost model a s + b s^2 (`_history_seconds`; the row's note gives the
measured times). Agreement is measured where both ran.

    python benchmarks/spectral.py [--quick]
"""

from __future__ import annotations

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp
import numpy as np
from common import peak_rss_gb, row, timed

import dualflow as df

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


def _history_seconds(run_for, short: int, full: int):
    """Seconds of a history run of `full` steps, extrapolated from runs of `short // 4`, `short` and
    `2 short` steps.

    The history's cost per step grows linearly with the steps taken (its buffer holds every past
    step), so a run of s steps takes c + a s + b s^2, c its compilation (the same program at every
    length): the three coefficients are fitted to the three measured runs and the full time is
    a full + b full^2 (compilation excluded, as in the spectral medians). Returns
    `(seconds at full, note, result of the short run)`."""
    lengths = np.array([max(short // 4, 1), short, 2 * short])
    seconds, results = zip(*(_once(lambda s=int(s): run_for(s)) for s in lengths))
    c, a, b = np.linalg.solve(np.vander(lengths, 3, increasing=True), np.array(seconds))
    note = (
        f"history measured at {', '.join(map(str, lengths))} steps ({', '.join(f'{t:.1f}' for t in seconds)} s; "
        f"compilation {c:.1f} s), extrapolated to {full} by c + a s + b s^2"
    )
    return a * full + b * full**2, note, results[1]


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
    error = max(
        float(jnp.max(jnp.abs(values[:2000] - brute_v))), SIGMA * float(jnp.max(jnp.abs(grads[:2000] - brute_g)))
    )
    # brute force's pair rate, measured here at a size it finishes
    xb, cb = x[:brute_n], centres[: 2 * brute_n]
    wb = coefs[: 2 * brute_n]
    brute = jax.jit(lambda a, c, w: df.kernel_sums(kernel, a, c, w))
    brute_s = timed(lambda: jax.block_until_ready(brute(xb, cb, wb)), repeats=3)
    brute_rate = xb.shape[0] * cb.shape[0] / brute_s
    pairs = n * 2 * n
    return row(
        "spectral sums",
        f"MMD velocity field N = M = {n:.0e}, 2-D float64, tol {tol:g}",
        dualflow_s=seconds,
        baseline="brute force (pair rate measured here, time extrapolated)",
        baseline_s=pairs / brute_rate,
        agreement=error / scale,
        agreement_kind="max error / sum|beta|",
        note=f"{lattice.modes}^2 modes; equivalent {pairs / seconds:.3g} pairs/s vs brute {brute_rate:.3g} "
        f"pairs/s at N = {brute_n}; peak RSS {peak_rss_gb():.2f} GB",
    )


def dual_flow(n: int, horizon: float, dt: float, short: int) -> dict:
    """Spectral flow over `[0, horizon]` against the history flow on fixed steps `dt` (0.01: the step at
    which the history's own error is a few 1e-6 at T = 10, the accuracy asked of the comparison; at
    T = 50 it is larger, which favours the history), timed at three short lengths and extrapolated
    to `horizon / dt`. Agreement at `t = 1` against the history Richardson-extrapolated from steps
    `dt` and `dt / 2` (removing its O(dt^2) error)."""
    spectral_game, x0 = _ring_game(df.SpectralRKHS(df.Gaussian(SIGMA)), n)
    history_game, _ = _ring_game(df.ExactRKHS(df.Gaussian(SIGMA)), n)
    flow = df.DualFlow(kappa=KAPPA, rtol=1e-8, atol=1e-10)

    def spectral(t1):
        return jax.block_until_ready(df.solve(spectral_game, x0, flow, t1=t1, n_saves=2).points)

    def history(t1, step=dt):
        return jax.block_until_ready(
            df.solve(history_game, x0, df.DualFlow(kappa=KAPPA, dt0=step), t1=t1, n_saves=2).points
        )

    spectral_s = timed(lambda: spectral(horizon), repeats=3)
    history_s, note, _ = _history_seconds(lambda steps: history(steps * dt), short, round(horizon / dt))
    coarse, fine = (np.asarray(history(1.0, step)[-1]) for step in (dt, dt / 2))
    gap = float(np.max(np.abs(np.asarray(spectral(1.0)[-1]) - (4 * fine - coarse) / 3)))
    return row(
        "spectral flow",
        f"8-ring dual flow N = {n}, T = {horizon:g}, kappa = 3",
        dualflow_s=spectral_s,
        baseline=f"ExactRKHS history quadrature (Heun, dt = {dt:g})",
        baseline_s=history_s,
        agreement=gap,
        agreement_kind="max |x_spectral - x_history| at t = 1 (history Richardson-extrapolated)",
        note=note,
    )


def gda(n: int, n_steps: int, short: int) -> dict:
    spectral_game, x0 = _ring_game(df.SpectralRKHS(df.Gaussian(SIGMA)), n)
    history_game, _ = _ring_game(df.ExactRKHS(df.Gaussian(SIGMA)), n)
    solver = df.GDA(lr_g=LR_G, lr_d=KAPPA * LR_G)

    def run(game, steps):
        return jax.block_until_ready(df.solve(game, x0, solver, n_steps=steps, save_every=steps).points)

    spectral_s = timed(lambda: run(spectral_game, n_steps), repeats=3)
    history_s, note, history_points = _history_seconds(lambda steps: run(history_game, steps), short, n_steps)
    gap = float(np.max(np.abs(np.asarray(run(spectral_game, short)[-1]) - np.asarray(history_points[-1]))))
    return row(
        "spectral GDA",
        f"8-ring GDA N = {n}, {n_steps} steps",
        dualflow_s=spectral_s,
        baseline="ExactRKHS history GDA",
        baseline_s=history_s,
        agreement=gap,
        agreement_kind=f"max |x_spectral - x_history| after {short} steps",
        note=note,
    )


def run(quick: bool) -> list[dict]:
    if quick:
        return [velocity_field(20_000, 4_000), dual_flow(128, 5.0, 0.01, 50), gda(256, 200, 50)]
    return [velocity_field(1_000_000, 20_000), dual_flow(1024, 50.0, 0.01, 50), gda(1024, 2000, 100)]


if __name__ == "__main__":
    from suite import table

    print(table(run("--quick" in sys.argv)))
