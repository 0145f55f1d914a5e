"""Benchmark: sweep throughput, predicted (linearized) and simulated phase diagrams.

(a) **Linearized**: configurations per second of `predict_phase_diagram` on a 400 x 400
    (bandwidth, reg) grid, reusing `benchmarks/phase_diagram.py` (a cluster on one true point,
    simultaneous GDA; its NumPy baseline builds the same matrices in a Python loop and calls
    `np.linalg.eigvals`, timed on 2000 random grid points and extrapolated). Target: < 5 s.

(b) **Simulated**: a G x G sweep over the rates (lr_g, lr_d) of exact-kernel GDA
    (`alternating_d_first`, mass-weighted velocity) started 1e-6 away from the collapsed
    equilibrium of one generated point (mass 0.6) on one true point (mass 1) in 1-D, with the
    discriminator at the equilibrium's best response (bandwidth 1, reg 0.1), exactly the runs of
    `measure_phase_diagram`. The rates are array leaves of `GDA`, so one compiled function
    serves every grid point:

    - dualflow, vmapped: `jax.jit(jax.vmap(run_one))` over the grid, `run_one` calling `solve`;
    - dualflow, `measure_phase_diagram` (the same vmapped runs, then every run labelled in Python);
    - baseline 1: a Python loop calling `solve` once per grid point (compiled once, warmed up);
    - baseline 2: a Python loop over grid points of a NumPy implementation of the same update
      (history of past positions with decaying weights, written here), each run a loop over steps.

    Two run lengths in full mode: 100 steps (the per-call cost of a Python loop shows) and 1000
    steps (each run's own work dominates: every step sums the kernel over the whole history,
    which under `vmap` is sized for all the pushes from the first step).

    Agreement: the largest difference of the saved trajectories over all runs while dualflow's run
    is inside the neighbourhood the labels look at (offset at most `escape` x 1e-6 = 1e-3: beyond
    it a diverging run amplifies rounding differences without bound), and the number of grid
    points whose phase label (the `measure_phase_diagram` rule applied to each path's
    trajectories) differs from dualflow's.

    python benchmarks/sweep_throughput.py [--quick]
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp
import numpy as np
import phase_diagram
from common import row, timed

import dualflow as df

WORKLOAD = "sweep throughput"
ORDER, BANDWIDTH, REG, WEIGHT, OFFSET, ESCAPE = "alternating_d_first", 1.0, 0.1, 0.6, 1e-6, 1e3


def linearized(quick: bool) -> dict:
    size = 100 if quick else 400
    result = phase_diagram.main(
        ["--size", str(size), "--repeats", "3", "--baseline-samples", "500" if quick else "2000"]
    )
    configs = size * size
    return row(
        WORKLOAD,
        f"predicted phase diagram {size}x{size} (bandwidth x reg), 2x2 GDA matrix per point",
        dualflow_s=result["dualflow_seconds_median"],
        baseline="NumPy loop: matrix + np.linalg.eigvals",
        baseline_s=result["numpy_seconds_extrapolated"],
        agreement=result["max_abs_disagreement"],
        agreement_kind="max |spectral radius dualflow - NumPy| on the sampled points",
        note=f"NumPy time extrapolated from {2000 if not quick else 500} random grid points; target < 5 s",
        configs_per_s=configs / result["dualflow_seconds_median"],
        numpy_configs_per_s=result["numpy_configs_per_second"],
        compile_s=result["dualflow_seconds_first_call"] - result["dualflow_seconds_median"],
        load_avg=os.getloadavg(),
    )


def sweep_problem(size: int):
    data = df.Measure(jnp.zeros((1, 1)), jnp.ones(1))
    equilibrium = df.Measure(jnp.zeros((1, 1)), jnp.full(1, WEIGHT))
    rates = np.geomspace(0.01, 1.0, size)
    direction = jax.random.normal(jax.random.PRNGKey(0), equilibrium.points.shape, dtype=equilibrium.points.dtype)
    start = df.Measure(equilibrium.points + OFFSET * direction / jnp.max(jnp.abs(direction)), equilibrium.masses)
    lr_g, lr_d = (a.ravel() for a in np.meshgrid(rates, rates))  # rows: lr_d, columns: lr_g
    return data, equilibrium, start, rates, lr_g, lr_d


def numpy_run(y, p, x0, m, x_star, lr_g, lr_d, n_steps, save_every):
    """Exact-kernel GDA (alternating, D first; mass-weighted) in NumPy, the discriminator started at
    the best response to `x_star`: f = c m_nu - sum_b w_b m_{X_b}, the history grown as it goes."""
    n, d = x0.shape
    gamma, decay = 1.0 / BANDWIDTH**2, 1.0 - lr_d * REG
    centres = np.empty((y.shape[0] + (n_steps + 1) * n, d))  # data, then X*, then X_0, X_1, ...
    centres[: y.shape[0]] = y
    centres[y.shape[0] : y.shape[0] + n] = x_star
    slot_weights = np.empty(n_steps + 1)
    slot_weights[0] = 1.0 / REG  # f_0 = (m_nu - m_{X*}) / reg
    data_coef = 1.0 / REG
    x, saves = x0.copy(), [x0.copy()]
    for k in range(n_steps):
        data_coef = decay * data_coef + lr_d
        slot_weights[: k + 1] *= decay
        slot_weights[k + 1] = lr_d
        filled = y.shape[0] + (k + 2) * n
        centres[filled - n : filled] = x
        coefs = np.concatenate([data_coef * p, -np.repeat(slot_weights[: k + 2], n) * np.tile(m, k + 2)])
        diff = centres[None, :filled] - x[:, None, :]  # (N, C, d): z - x
        kernel = np.exp(-0.5 * gamma * np.sum(diff**2, axis=2)) * coefs
        x = x + lr_g * m[:, None] * gamma * np.einsum("nc,ncd->nd", kernel, diff)
        if (k + 1) % save_every == 0:
            saves.append(x.copy())
    return np.stack(saves)


def inside_difference(ours, theirs, reference):
    """Largest |ours - theirs| over the saves up to the first one where `ours` has left the
    neighbourhood of `reference` (offset above ESCAPE * OFFSET), that save included."""
    offset = np.max(np.abs(ours - reference), axis=(1, 2))
    outside = np.nonzero(~(offset <= ESCAPE * OFFSET))[0]
    last = outside[0] + 1 if outside.size else len(ours)
    return float(np.max(np.abs(ours[:last] - theirs[:last])))


def label(ts, xs, reference, result):
    """The `measure_phase_diagram` rule: escaped runs are cut there and labelled as diverging."""
    outside = np.nonzero(~(np.max(np.abs(xs - reference), axis=(1, 2)) <= ESCAPE * OFFSET))[0]
    if outside.size:
        ts, xs, result = ts[: outside[0] + 1], xs[: outside[0] + 1], df.Result.BLEW_UP
    return int(df.analysis.phases.classify_trajectory(ts, xs, reference=reference, result=int(result)).phase)


def simulated(size: int, n_steps: int, save_every: int, quick: bool) -> list[dict]:
    runs = size * size
    data, equilibrium, start, rates, lr_g, lr_d = sweep_problem(size)
    # exactly the game of measure_phase_diagram under vmap (where the rates are traced, every push
    # is kept: n_steps pushes + the start + the equilibrium's slot); fixed here so that the Python
    # loop, with concrete rates, compiles one program too
    game = df.KernelGame(data, df.ExactRKHS(df.Gaussian(BANDWIDTH), history_size=n_steps + 2), reg=REG)

    def run_one(a, b):
        sol = df.solve(
            game,
            start,
            df.GDA(lr_g=a, lr_d=b, order=ORDER),
            n_steps=n_steps,
            save_every=save_every,
            blowup=1e3,
            throw=False,
            init_discriminator=equilibrium,
        )
        return sol.ts, sol.points, sol.result

    sweep = jax.jit(jax.vmap(run_one))
    lr_g_j, lr_d_j = jnp.asarray(lr_g), jnp.asarray(lr_d)
    vmap_s = timed(lambda: jax.block_until_ready(sweep(lr_g_j, lr_d_j)), repeats=3, warmup=1)
    ts, points, results = (np.asarray(a) for a in sweep(lr_g_j, lr_d_j))

    def loop():
        answer["loop"] = jax.block_until_ready([run_one(a, b) for a, b in zip(lr_g, lr_d)])

    answer = {}
    loop_s = timed(loop, repeats=1 if not quick else 3, warmup=1)
    looped = [tuple(np.asarray(a) for a in r) for r in answer["loop"]]
    x_star = np.asarray(equilibrium.points)
    loop_diff = max(inside_difference(q, r[1], x_star) for r, q in zip(looped, points))

    y, p = np.asarray(data.points), np.asarray(data.masses)
    x0, m = np.asarray(start.points), np.asarray(start.masses)

    def numpy_sweep():
        answer["points"] = [numpy_run(y, p, x0, m, x_star, a, b, n_steps, save_every) for a, b in zip(lr_g, lr_d)]

    numpy_s = timed(numpy_sweep, repeats=1, warmup=0)
    numpy_points = answer["points"]
    finite = [np.isfinite(q).all(axis=(1, 2)) for q in numpy_points]
    numpy_diff = max(inside_difference(q, r, x_star) for q, r in zip(points, numpy_points))

    diagram = df.predict_phase_diagram(
        data, equilibrium, x=("lr_g", rates), y=("lr_d", rates), base=dict(bandwidth=BANDWIDTH, reg=REG), scheme=ORDER
    )
    measure_s = timed(
        lambda: df.measure_phase_diagram(diagram, n_steps=n_steps, save_every=save_every),
        repeats=1 if not quick else 2,
        warmup=1,
    )
    measured = df.measure_phase_diagram(diagram, n_steps=n_steps, save_every=save_every).measured.ravel()
    ours = np.array([label(t, x, x_star, r) for t, x, r in zip(ts, points, results)])
    loop_labels = np.array([label(t, x, x_star, r) for t, x, r in looped])
    numpy_labels = np.array(
        [
            label(t, x, x_star, df.Result.SUCCESSFUL if f.all() else df.Result.NONFINITE)
            for t, x, f in zip(ts, numpy_points, finite)
        ]
    )
    case = f"simulated sweep {size}x{size} (lr_g x lr_d), {n_steps} GDA steps, exact history ({n_steps + 2} slots)"
    common = dict(
        runs=runs,
        dualflow_runs_per_s=runs / vmap_s,
        predicted_vs_measured_agreement=float(np.mean(measured == diagram.predicted.ravel())),
        load_avg=os.getloadavg(),
    )
    return [
        row(
            WORKLOAD,
            case + ", vmapped solve",
            dualflow_s=vmap_s,
            baseline="Python loop of dualflow.solve",
            baseline_s=loop_s,
            agreement=loop_diff,
            agreement_kind="max |trajectory difference| over all runs, within the 1e-3 neighbourhood",
            note=f"labels differing: {int(np.sum(loop_labels != ours))} of {runs}",
            baseline_runs_per_s=runs / loop_s,
            **common,
        ),
        row(
            WORKLOAD,
            case + ", vmapped solve",
            dualflow_s=vmap_s,
            baseline="Python loop of a NumPy GDA",
            baseline_s=numpy_s,
            agreement=numpy_diff,
            agreement_kind="max |trajectory difference| over all runs, within the 1e-3 neighbourhood",
            note=f"labels differing: {int(np.sum(numpy_labels != ours))} of {runs}",
            baseline_runs_per_s=runs / numpy_s,
            **common,
        ),
        row(
            WORKLOAD,
            case + ", measure_phase_diagram (runs + labels)",
            dualflow_s=measure_s,
            baseline="Python loop of dualflow.solve + the same labels",
            baseline_s=loop_s * 1.0,
            agreement=float(np.sum(measured != ours)),
            agreement_kind="grid points whose label differs",
            note="the baseline's time counts its runs only (its labelling is not timed)",
            measured_runs_per_s=runs / measure_s,
            **common,
        ),
    ]


def run(quick: bool) -> list[dict]:
    rows = [linearized(quick)]
    # short runs (per-call overhead matters) and long ones (each run's own work dominates)
    for size, n_steps, save_every in [(6, 200, 5)] if quick else [(20, 100, 1), (20, 1000, 10)]:
        rows += simulated(size, n_steps, save_every, quick)
    return rows


if __name__ == "__main__":
    import json

    for r in run("--quick" in sys.argv[1:]):
        print(json.dumps(r, default=str))
