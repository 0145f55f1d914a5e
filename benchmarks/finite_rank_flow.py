"""Benchmark: the coupled finite-rank dual flow on the 8-ring, dualflow against scipy and torchdiffeq.

The ODE (docs/science.md §2, `FiniteRank` with random Fourier features of a Gaussian kernel of bandwidth
0.5, kernel IPM payoff, ridge lam = 0.1, kappa = 1, the **Wasserstein** velocity dx_j/dt = grad f(x_j),
masses m_j = 1/N, data on the 8-ring of radius 2 with std 0.05, x0 ~ N(0, 0.5^2 I)):

    phi(z)     = s cos(Omega z + b),   s = sqrt(2 / D),   f = theta . phi
    dx_j/dt    = grad f(x_j) = -s sum_k theta_k sin(omega_k . x_j + b_k) omega_k
    dtheta/dt  = kappa ( sum_i p_i phi(y_i) - sum_j m_j phi(x_j) - lam theta )

with N = M = 1024 particles / data points in 2-D and D = 512 features, integrated over [0, T]
(T = 5) at rtol = 1e-6, atol = 1e-9 in float64 by:

- dualflow: `solve(game, Measure(x0), DualFlow(kappa, rtol=rtol, atol=atol), t1=T, n_saves=2)`
  (diffrax `Tsit5`, a 5(4) Runge-Kutta pair, PID controller used as an I controller);
- scipy `solve_ivp(method="RK45")` (Dormand-Prince 5(4), the same order as Tsit5; DOP853 is of
  order 8) with a vectorized NumPy right-hand side written here, the data term precomputed;
- torchdiffeq `odeint(method="dopri5")` (Dormand-Prince 5(4)) with the same right-hand side in
  torch (float64), timed with one thread and with torch's default thread count; the faster is
  the baseline (both are in the row).

NumPy's OpenBLAS runs with one thread (`OPENBLAS_NUM_THREADS=1`, set by this module unless the
environment sets it): its products here are too small to gain from threads, and on a busy
machine its threads made the NumPy right-hand side 3x slower.

All three use an RMS error norm with scale `atol + rtol * |y|` over the whole state (particles
and theta). Before timing, the NumPy and torch right-hand sides are checked against dualflow's
vector field (`dynamics.dual_flow_field`) at a random state (max abs difference < 1e-10).

Reported per baseline: medians after one warm-up (dualflow's first call, which compiles, is
reported apart as `compile_s`), the ratio baseline / dualflow, steps and right-hand-side
evaluations of each run (Dormand-Prince and Tsit5 spend 6 evaluations per attempted step, plus
2 to choose the first step: `baseline_attempted_steps` = (evaluations - 2) / 6; `baseline_steps`
counts scipy's accepted steps, `dualflow_steps` diffrax's accepted + rejected), and the
agreement: the largest particle difference at T between the runs, plus each run's largest
particle error against a tight untimed reference (dualflow at rtol = 1e-11, atol = 1e-13).
A row for one right-hand-side evaluation alone shows where the time goes.

    python benchmarks/finite_rank_flow.py [--quick]
"""

from __future__ import annotations

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
# The NumPy baseline's BLAS products have inner dimension 2 or are matrix-vector products:
# OpenBLAS's threads do not help them, and on the shared 2-core machine they made the NumPy
# right-hand side 3x slower (44 ms against 16 ms). One thread is the stronger baseline; it is
# set before NumPy loads (an explicit setting in the environment is kept and reported).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp
import numpy as np
from common import optional, row, timed
from scipy.integrate import solve_ivp

import dualflow as df
from dualflow.dynamics.vector_field import dual_flow_field
from dualflow.players.finite_rank import FiniteRankState

WORKLOAD = "finite-rank flow (8-ring)"
KAPPA, REG, BANDWIDTH, RTOL, ATOL = 1.0, 0.1, 0.5, 1e-6, 1e-9


def setup(n: int, features: int, seed: int = 0):
    """The game (8-ring data, random Fourier critic, Wasserstein velocity) and the start x0."""
    k_data, k_gen, k_rff = jax.random.split(jax.random.PRNGKey(seed), 3)
    data = df.ring8(k_data, n, std=0.05)
    x0 = 0.5 * jax.random.normal(k_gen, (n, 2))
    rff = df.RandomFourier(df.Gaussian(BANDWIDTH), features, 2, key=k_rff)
    game = df.KernelGame(data, df.FiniteRank(rff), reg=REG, velocity="wasserstein")
    return game, x0


def numpy_problem(game, n_particles: int):
    """The right-hand side of the same ODE in NumPy, on the flat state (x.ravel(), theta)."""
    rff = game.discriminator.features
    omega, phase, scale = np.asarray(rff.frequencies), np.asarray(rff.phases), float(rff.scale)
    y, p = np.asarray(game.data.points), np.asarray(game.data.masses)
    m = np.full(n_particles, 1.0 / n_particles)
    data_term = p @ (scale * np.cos(y @ omega.T + phase))  # constant over the run
    d = y.shape[1]
    size = n_particles * d

    def rhs(t, state):
        x, theta = state[:size].reshape(n_particles, d), state[size:]
        u = x @ omega.T
        u += phase
        velocity = (np.sin(u) * theta) @ omega
        velocity *= -scale
        dtheta = KAPPA * (data_term - scale * (m @ np.cos(u)) - REG * theta)
        return np.concatenate([velocity.ravel(), dtheta])

    return rhs


def torch_problem(torch, game, n_particles: int):
    """The same right-hand side in torch (float64), for torchdiffeq (`f(t, state)`)."""
    rff = game.discriminator.features
    as_t = lambda a: torch.as_tensor(np.array(a), dtype=torch.float64)
    omega, phase, scale = as_t(rff.frequencies), as_t(rff.phases), float(rff.scale)
    y, p = as_t(game.data.points), as_t(game.data.masses)
    m = torch.full((n_particles,), 1.0 / n_particles, dtype=torch.float64)
    data_term = p @ (scale * torch.cos(y @ omega.T + phase))
    d = y.shape[1]
    size = n_particles * d

    def rhs(t, state):
        x, theta = state[:size].reshape(n_particles, d), state[size:]
        u = x @ omega.T + phase
        velocity = -scale * ((torch.sin(u) * theta) @ omega)
        dtheta = KAPPA * (data_term - scale * (m @ torch.cos(u)) - REG * theta)
        return torch.cat([velocity.reshape(-1), dtheta])

    return rhs


def dualflow_field(game, n_particles: int):
    """dualflow's own compiled vector field on the flat state (for the checks and the RHS row)."""
    from dualflow.solvers.solve import _with_run_constants  # the constants `solve` caches per run

    d = game.data.dim
    game = jax.jit(_with_run_constants)(game)  # once, as in a run

    @jax.jit
    def field(game, state):
        x, theta = state[: n_particles * d].reshape(n_particles, d), state[n_particles * d :]
        generator = df.Particles(df.Measure(x))
        dx, dtheta = dual_flow_field(0.0, (x, FiniteRankState(theta)), (game, generator, jnp.asarray(KAPPA)))
        return jnp.concatenate([dx.ravel(), dtheta.theta])

    return lambda state: field(game, state)


def run(quick: bool) -> list[dict]:
    n, features, horizon = (256, 128, 5.0) if quick else (1024, 512, 5.0)
    repeats = 3 if quick else 5
    game, x0 = setup(n, features)
    d = game.data.dim
    case = f"N=M={n} D={features} d={d} T={horizon:g} rtol={RTOL:g} atol={ATOL:g} wasserstein float64"
    state0 = np.concatenate([np.asarray(x0).ravel(), np.zeros(features)])

    # --- the baselines' right-hand sides against dualflow's vector field at a random state ---
    rng = np.random.default_rng(1)
    probe = np.concatenate([rng.normal(size=n * d), rng.normal(size=features)])
    field = dualflow_field(game, n)
    ours_rhs = np.asarray(field(jnp.asarray(probe)))
    numpy_rhs = numpy_problem(game, n)
    rhs_error = float(np.max(np.abs(numpy_rhs(0.0, probe) - ours_rhs)))
    if not rhs_error < 1e-10:
        raise AssertionError(f"the NumPy right-hand side differs from dualflow's by {rhs_error:.2e}")

    # --- dualflow ---
    solver = df.DualFlow(KAPPA, rtol=RTOL, atol=ATOL)

    def dualflow_run():
        sol = df.solve(game, df.Measure(x0), solver, t1=horizon, n_saves=2)
        sol.final_points.block_until_ready()
        return sol

    start = time.perf_counter()
    sol = dualflow_run()
    first_s = time.perf_counter() - start
    dualflow_s = timed(dualflow_run, repeats=repeats, warmup=0)  # the first call was the warm-up
    compile_s = max(first_s - dualflow_s, 0.0)
    x_ours = np.asarray(sol.final_points)
    steps_ours = int(sol.stats["num_steps"])
    tight = df.solve(game, df.Measure(x0), df.DualFlow(KAPPA, rtol=1e-11, atol=1e-13), t1=horizon, n_saves=2)
    x_ref = np.asarray(tight.final_points)
    moved = float(np.max(np.abs(x_ref - np.asarray(x0))))
    common = dict(
        load_avg=os.getloadavg(),
        dualflow_steps=steps_ours,
        dualflow_accepted_rejected=(int(sol.stats["num_accepted_steps"]), int(sol.stats["num_rejected_steps"])),
        dualflow_error_vs_tight=float(np.max(np.abs(x_ours - x_ref))),
        max_displacement=moved,
        tight_reference_steps=int(tight.stats["num_steps"]),
    )
    rows = []

    # --- one right-hand-side evaluation ---
    probe_j = jnp.asarray(probe)
    field_s = timed(lambda: field(probe_j).block_until_ready(), repeats=20, warmup=2)
    numpy_rhs_s = timed(lambda: numpy_rhs(0.0, probe), repeats=20, warmup=2)
    rows.append(
        row(
            WORKLOAD,
            f"one right-hand side, N={n} D={features}",
            dualflow_s=field_s,
            baseline="NumPy right-hand side",
            baseline_s=numpy_rhs_s,
            agreement=rhs_error,
            agreement_kind="max abs difference of the right-hand sides at a random state",
            note="dualflow's compiled `dual_flow_field` with the run's cached data term",
            load_avg=os.getloadavg(),
        )
    )

    # --- scipy solve_ivp (RK45) + NumPy ---
    answer = {}

    def scipy_run():
        answer["scipy"] = solve_ivp(numpy_rhs, (0.0, horizon), state0, method="RK45", rtol=RTOL, atol=ATOL)

    scipy_s = timed(scipy_run, repeats=max(1, repeats - 2), warmup=1)
    out = answer["scipy"]
    x_scipy = out.y[: n * d, -1].reshape(n, d)
    rows.append(
        row(
            WORKLOAD,
            case,
            dualflow_s=dualflow_s,
            baseline="scipy solve_ivp RK45 + NumPy RHS",
            baseline_s=scipy_s,
            agreement=float(np.max(np.abs(x_ours - x_scipy))),
            agreement_kind="max |X_T dualflow - X_T baseline|",
            note=f"dualflow: diffrax Tsit5 5(4); scipy: Dormand-Prince 5(4); "
            f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}",
            compile_s=compile_s,
            baseline_steps=len(out.t) - 1,
            baseline_rhs_evals=int(out.nfev),
            baseline_attempted_steps=(int(out.nfev) - 2) / 6,
            baseline_error_vs_tight=float(np.max(np.abs(x_scipy - x_ref))),
            **common,
        )
    )

    # --- torchdiffeq (dopri5) + torch ---
    torch, why = optional("torch")
    torchdiffeq, why_tde = optional("torchdiffeq") if torch is not None else (None, why)
    if torchdiffeq is None:
        rows.append(
            row(
                WORKLOAD,
                case,
                dualflow_s=dualflow_s,
                baseline="torchdiffeq dopri5 + torch RHS",
                note=f"skipped: {why_tde}",
                **common,
            )
        )
        return rows
    torch_rhs = torch_problem(torch, game, n)
    torch_error = float(np.max(np.abs(torch_rhs(0.0, torch.as_tensor(probe)).numpy() - ours_rhs)))
    if not torch_error < 1e-10:
        raise AssertionError(f"the torch right-hand side differs from dualflow's by {torch_error:.2e}")
    evals = [0]

    def counted(t, state):
        evals[0] += 1
        return torch_rhs(t, state)

    state0_t, times_t = torch.as_tensor(state0), torch.tensor([0.0, horizon], dtype=torch.float64)

    def torch_run():
        with torch.no_grad():
            return torchdiffeq.odeint(counted, state0_t, times_t, method="dopri5", rtol=RTOL, atol=ATOL)

    default_threads = torch.get_num_threads()
    torch_times = {}
    for threads in sorted({1, default_threads}):
        torch.set_num_threads(threads)
        torch_times[threads] = timed(torch_run, repeats=max(1, repeats - 2), warmup=1)
    torch.set_num_threads(default_threads)
    best_threads = min(torch_times, key=torch_times.get)
    evals[0] = 0
    x_torch = torch_run()[-1, : n * d].numpy().reshape(n, d)  # counted once more, untimed
    rows.append(
        row(
            WORKLOAD,
            case,
            dualflow_s=dualflow_s,
            baseline="torchdiffeq dopri5 + torch RHS",
            baseline_s=torch_times[best_threads],
            agreement=float(np.max(np.abs(x_ours - x_torch))),
            agreement_kind="max |X_T dualflow - X_T baseline|",
            note=f"torch {torch.__version__} with {best_threads} thread(s), the faster of "
            f"{', '.join(f'{k}: {v:.3g} s' for k, v in torch_times.items())}; Dormand-Prince 5(4)",
            compile_s=compile_s,
            baseline_rhs_evals=evals[0],
            baseline_attempted_steps=(evals[0] - 2) / 6,
            torch_seconds_by_threads=torch_times,
            baseline_error_vs_tight=float(np.max(np.abs(x_torch - x_ref))),
            **common,
        )
    )
    return rows


if __name__ == "__main__":
    import json

    for r in run("--quick" in sys.argv[1:]):
        print(json.dumps(r, default=str))
