"""Becker et al.'s divergence case: with a narrow kernel the generated points are not attracted.

Reproduces the divergence experiment of Becker, Pandit, Rangan and Fletcher ("Instability and
Local Minima in GAN Training with Kernel Discriminators", NeurIPS 2022; docs/science.md §5): 1-D,
true points at -1 and 1 (masses .5, .5), generated points started at 1.6 and 1.7 (masses .5,
.5), exact Gaussian-RKHS discriminator from f_0 = 0, alternating GDA (D first) with
lr_d = .1, lr_g = .01, reg = 1, for sigma in {.1, .25, .5, .75, 1}.

Number of steps, from trial runs: 20000 (generator time t = 200; `--quick`: 10000). By 5000
steps both points of sigma = .75 and 1 sit at the data to ~1e-2 (squared W2 reaches rounding
zero after ~6000 and ~13000 steps), and the outcome of every smaller sigma is settled: nothing
changes in longer runs up to 2e5 steps,
except sigma = .25, which creeps (by ~0.004 in 10^4 steps) and falls onto the true point at 1
only after ~1e5 steps, into the approximate mode collapse r = .17.

What it shows (each outcome predicted by the isolated-points formulas of docs/science.md §3):
- sigma = .1: the point at 1.6 falls onto the true point at 1, the point at 1.7 *runs away* at
  constant speed (thrown out at |x| = 20, `blowup`): a lone point runs away iff
  reg^2 < (lr_g/lr_d) w^2 / sigma^2, i.e. sigma < sqrt(lr_g/lr_d) w / reg = 0.158;
- sigma = .25: above that threshold the lone point at ~1.95 is pinned by its own history,
  *stuck* four bandwidths from the data;
- sigma = .5: both points settle around the true point at 1, at 0.648 and 1.335 (the
  approximate *mode collapse*, r = sqrt(2 sigma^2/3 ln(2w/p)) = .34 for an isolated true point),
  and the true point at -1 is left uncovered;
- sigma = .75, 1: both points converge to the data (squared W2 -> 0).

The figure shows both generated points over the steps for every sigma, and the squared
2-Wasserstein distance W_2^2 to the data (`dualflow.metrics.w2_squared`, exact LP, masses
normalized) over the steps. The JSON holds per sigma the final positions, the result code,
the outcome read from the final geometry (runs away / converges / stuck more than two
bandwidths from the data / mode collapse), the `classify_solution` phase (with
`far_tol = 2 sigma`), the lone-point prediction and the squared W2 series.

The classifier's label agrees with the outcome except at sigma = .25: the stuck point creeps
toward the data, slowly accelerating, so its generic rules call it OSCILLATES (10000 steps,
three tiny reversals of the motion) or DIVERGES (20000 steps, growing motion). Both labels
are reported as they come; the outcome and the drift per step say what happens.

    python examples/divergence_case.py [--quick] [--out DIR]
"""

import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
from example_cli import finish, parse  # first: float64 and a headless matplotlib backend
from matplotlib.ticker import MaxNLocator

import dualflow as df
from dualflow.analysis.isolated_points import collapse_radius, lone_point_critical_reg
from dualflow.analysis.phases import classify_solution
from dualflow.metrics import w2_squared

SIGMAS = [0.1, 0.25, 0.5, 0.75, 1.0]
LR_D, LR_G, REG, W = 0.1, 0.01, 1.0, 0.5
BLOWUP = 20.0


def _outcome(result, final, w2sq, sigma):
    """What happened, from the final geometry alone (the classifier's label is reported beside it)."""
    if result == "BLEW_UP":
        return "runs away"
    if w2sq < 1e-8:
        return "converges to the data"
    if np.max(np.min(np.abs(final[:, None] - np.array([-1.0, 1.0])[None, :]), axis=1)) > 2 * sigma:
        return "stuck far from the data"
    return "mode collapse"


def main(argv=None):
    quick, out = parse(__doc__, "dualflow-output/divergence-case", argv)
    n_steps = 10_000 if quick else 20_000
    save_every = 50
    data = df.Measure(jnp.array([[-1.0], [1.0]]), jnp.array([0.5, 0.5]))
    start = df.Measure(jnp.array([[1.6], [1.7]]), jnp.array([W, W]))
    solver = df.GDA(lr_g=LR_G, lr_d=LR_D, order="alternating_d_first")

    results = {
        "lr_d": LR_D,
        "lr_g": LR_G,
        "reg": REG,
        "n_steps": n_steps,
        "save_every": save_every,
        "blowup": BLOWUP,
        "runaway_sigma_threshold": float(np.sqrt(LR_G / LR_D) * W / REG),
        "runs": {},
    }
    fig, axes = plt.subplots(2, 3, figsize=(15, 8.5))
    flat = axes.ravel()
    for ax, sigma in zip(flat, SIGMAS):
        game = df.KernelGame(data, df.ExactRKHS(df.Gaussian(sigma)), reg=REG)
        sol = df.solve(game, start, solver, n_steps=n_steps, save_every=save_every, throw=False, blowup=BLOWUP)
        steps = np.arange(len(sol.ts)) * save_every
        done = int(sol.stats["num_steps"])
        live = steps <= done  # after a blow-up GDA repeats its last state: those saves are not drawn
        points = np.asarray(sol.points[:, :, 0])
        w2sq = np.array([w2_squared(df.Measure(p, start.masses), data) for p in np.asarray(sol.points)])
        report = classify_solution(sol, data=data, far_tol=2 * sigma)
        runaway = bool(float(lone_point_critical_reg(LR_G, LR_D, W, sigma)) > REG)
        outcome = _outcome(sol.result_name, points[live][-1], w2sq[live][-1], sigma)
        half = points[live][len(points[live]) // 2]
        drift = float(np.max(np.abs(points[live][-1] - half)) / max(done - steps[live][len(points[live]) // 2], 1))
        results["runs"][f"{sigma:g}"] = {
            "sigma": sigma,
            "final_positions": points[live][-1].tolist(),
            "result": sol.result_name,
            "steps_run": done,
            "outcome": outcome,
            "phase": report.phase.name,
            "reason": report.reason,
            "drift_per_step_second_half": drift,
            "lone_point_runs_away_predicted": runaway,
            "collapse_radius_isolated": float(collapse_radius(W, 0.5, sigma)),
            "final_w2_squared": float(w2sq[live][-1]),
            "steps": steps[live].tolist(),
            "w2_squared": w2sq[live].tolist(),
        }
        for j, color in enumerate(("C0", "C1")):
            ax.plot(
                steps[live],
                points[live, j],
                color=color,
                lw=1.6,
                label=f"generated point {j + 1} (from {1.6 + 0.1 * j:g})",
            )
        for y in (-1.0, 1.0):
            ax.axhline(y, color="k", ls="--", lw=0.8)
        ax.plot([], [], "k--", lw=0.8, label="true points ±1")
        if sol.result_name == "BLEW_UP":
            ax.plot(steps[live][-1], points[live][-1, 1], "rx", ms=9, mew=2, label=f"|x| > {BLOWUP:g}: run stopped")
        ax.set_title(
            f"σ = {sigma:g}: {outcome} (classifier: {report.phase.name.lower().replace('_', ' ')})", fontsize=11
        )
        ax.set_xlabel("GDA step k")
        ax.set_ylabel("position x")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")
    ax = flat[-1]
    for i, sigma in enumerate(SIGMAS):
        run = results["runs"][f"{sigma:g}"]
        ax.semilogy(
            run["steps"], np.maximum(run["w2_squared"], 1e-30), color=f"C{i + 2}", lw=1.6, label=f"σ = {sigma:g}"
        )
    ax.set_ylim(1e-22, 1e3)
    ax.set_xlabel("GDA step k")
    ax.set_ylabel(r"squared W2 to the data, $W_2^2(\mu_k, \nu)$")
    ax.set_title("squared W2 to the data (exact 0 falls off the axis)", fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    for ax in flat:
        ax.xaxis.set_major_locator(MaxNLocator(5))
    fig.suptitle(
        f"Divergence case: true points ±1, generated from 1.6 and 1.7; exact RKHS, alternating GDA, "
        f"η_d = {LR_D:g}, η_g = {LR_G:g}, λ = {REG:g}",
        fontsize=12,
    )
    fig.tight_layout()

    print(f"lone point runs away for sigma < {results['runaway_sigma_threshold']:.3f} (reg = {REG:g})")
    for key, run in results["runs"].items():
        pos = ", ".join(f"{x:.4g}" for x in run["final_positions"])
        print(
            f"  sigma={key:<5} {run['outcome']}: final ({pos}) after {run['steps_run']} steps [{run['result']}], "
            f"squared W2 {run['final_w2_squared']:.3g}, drift {run['drift_per_step_second_half']:.1e}/step, "
            f"classifier {run['phase']}"
        )
    return finish(out, {"divergence_case.png": fig}, results, "divergence_case.json")


if __name__ == "__main__":
    main()
