"""The clipped-WGAN toy: critic parameters aggregate in finite time, orbits end on periodic cycles.

After Delgadino, Suassuna and Cabrera (JMLR 2025; docs/science.md §4). A generator Dirac at theta
against data delta_0, a mean-field linear critic f(z) = mean(psi) z with K = 5 parameters
clipped to [-c, c] (c = 1), WGAN payoff, no ridge, time-scale ratio kappa = K (each parameter
moves with K times its partial gradient): theta' = mean(psi), psi_k' = -theta on the box.

Every parameter gets the same velocity, so their differences are frozen until one is
clipped; the clipped group waits on the bound while the others catch up. If they all reach
the bound before theta changes sign they coincide from then on (aggregation in finite time)
and the orbit enters the circle theta^2 + mean(psi)^2 = c^2 (period 2 pi, touching the box).
Otherwise the group is released with a smaller spread and, after one or more passes, the
orbit ends on a clip-free periodic cycle of radius < c with a frozen spread: every start
ends on a periodic orbit, but not every start aggregates. The exact event-driven solution
(`dualflow.analysis.clipped_wgan.clipped_orbit`) predicts each case; the flow (Tsit5,
rtol 1e-10) and GDA (alternating, tau = 1e-3, lr_d = K tau) are measured against it.

Writes `clipped_wgan_toy.png` (phase portrait with the box and the limit cycle; parameter
spread over time with the predicted aggregation times; the five parameters of the first
start) and `clipped_wgan_toy.json` (predicted and measured times, radii, spreads, periods).

    python examples/clipped_wgan_toy.py [--quick] [--out DIR]
"""

import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
from example_cli import finish, parse  # first: float64 and a headless matplotlib backend

import dualflow as df
from dualflow.analysis.clipped_wgan import clipped_orbit, limit_cycle

K, CLIP = 5, 1.0
#: (theta0, psi0) for each start: two that aggregate (on the upper and on the lower bound),
#: two that do not (one and two clipped passes before a clip-free cycle).
STARTS = {
    "A": (-2.0, [0.0, 0.2, 0.4, 0.6, 0.8]),
    "B": (1.8, [-0.7, -0.3, 0.1, 0.5, 0.9]),
    "C": (-1.2, [-0.8, -0.4, 0.0, 0.4, 0.8]),
    "D": (-0.9, [-0.6, -0.3, 0.0, 0.3, 0.6]),
}
COLOURS = {"A": "tab:blue", "B": "tab:orange", "C": "tab:green", "D": "tab:purple"}
SPREAD_TOL_FLOW = 1e-6  # the adaptive flow overshoots the box by ~rtol: "coincide" means within this


def first_time(ts, mask):
    """The first time where `mask` holds (`inf` if never)."""
    return float(ts[np.argmax(mask)]) if mask.any() else float("inf")


def measured_period(ts, theta, after):
    """Twice the mean spacing of the zero crossings of theta after time `after` (linear interpolation)."""
    keep = ts >= after
    t, th = ts[keep], theta[keep]
    idx = np.nonzero(np.sign(th[:-1]) * np.sign(th[1:]) < 0)[0]
    crossings = t[idx] - th[idx] * (t[idx + 1] - t[idx]) / (th[idx + 1] - th[idx])
    return float(2 * np.mean(np.diff(crossings))) if crossings.size >= 3 else float("nan")


def run(theta0, psi0, t1, n_saves, tau):
    game = df.clipped_wgan_toy(K, CLIP)
    gen = df.Measure(jnp.array([[theta0]]), jnp.ones(1))
    start = df.players.FiniteRankState(jnp.asarray(psi0))
    flow = df.solve(
        game,
        gen,
        df.DualFlow(kappa=float(K), rtol=1e-10, atol=1e-12),
        t1=t1,
        n_saves=n_saves,
        max_steps=200_000,
        init_discriminator=start,
    )
    gda = df.solve(game, gen, df.GDA(tau, K * tau), n_steps=int(np.ceil(t1 / tau)), init_discriminator=start)
    return flow, gda


def measure(sol, orbit, spread_tol):
    ts = np.asarray(sol.ts)
    theta, psi = np.asarray(sol.points[:, 0, 0]), np.asarray(sol.discriminator_trace)
    spread = psi.max(axis=1) - psi.min(axis=1)
    radius = np.hypot(theta, psi.mean(axis=1))
    late = ts >= orbit.entry_time + 0.5
    return dict(
        ts=ts,
        theta=theta,
        psi=psi,
        spread=spread,
        radius=radius,
        aggregation_time=first_time(ts, spread <= spread_tol),
        spread_after_aggregation=float(spread[ts >= first_time(ts, spread <= spread_tol)].max())
        if (spread <= spread_tol).any()
        else None,
        final_radius_mean=float(radius[late].mean()),
        final_radius_range=float(np.ptp(radius[late])),
        final_spread=float(spread[-1]),
        period=measured_period(ts, theta, orbit.entry_time + 1e-9),
    )


def main(argv=None):
    quick, out = parse(__doc__, "dualflow-output/clipped-wgan-toy", argv)
    tau = 2e-3 if quick else 5e-4
    n_saves = 1201 if quick else 4001
    orbits = {name: clipped_orbit(th, psi, CLIP) for name, (th, psi) in STARTS.items()}
    t1 = max(o.entry_time for o in orbits.values()) + 2 * 2 * np.pi  # two periods on every final cycle
    summary, runs = {"n_critics": K, "clip": CLIP, "kappa": K, "t1": t1, "gda_lr_g": tau}, {}
    for name, (theta0, psi0) in STARTS.items():
        orbit = orbits[name]
        flow, gda = run(theta0, psi0, t1, n_saves, tau)
        f, g = measure(flow, orbit, SPREAD_TOL_FLOW), measure(gda, orbit, 0.0)
        th_exact, psi_exact = orbit.state_at(f["ts"])
        runs[name] = (f, g)
        summary[name] = {
            "theta0": theta0,
            "psi0": psi0,
            "predicted": {
                "aggregation_time": orbit.aggregation_time,
                "entry_time": orbit.entry_time,
                "final_radius": orbit.final_radius,
                "final_spread": orbit.final_spread,
                "period": orbit.period,
                "events": list(orbit.event_kinds),
            },
            "flow": {
                k: f[k]
                for k in (
                    "aggregation_time",
                    "spread_after_aggregation",
                    "final_radius_mean",
                    "final_radius_range",
                    "final_spread",
                    "period",
                )
            }
            | {
                "max_deviation_from_exact": float(
                    max(np.abs(f["theta"] - th_exact).max(), np.abs(f["psi"] - psi_exact).max())
                ),
                "num_steps": int(flow.stats["num_steps"]),
            },
            "gda": {
                k: g[k]
                for k in (
                    "aggregation_time",
                    "spread_after_aggregation",
                    "final_radius_mean",
                    "final_radius_range",
                    "final_spread",
                    "period",
                )
            },
        }

    fig = plt.figure(figsize=(15, 8.4))
    grid = fig.add_gridspec(2, 2, width_ratios=[1.0, 1.15])
    axes = [fig.add_subplot(grid[:, 0]), fig.add_subplot(grid[0, 1]), fig.add_subplot(grid[1, 1])]
    ax = axes[0]
    ax.axhspan(CLIP, 3, color="0.88", zorder=0)
    ax.axhspan(-3, -CLIP, color="0.88", zorder=0, label="outside the box [-c, c]")
    cycle = limit_cycle(CLIP)
    ax.plot(cycle[:, 0], cycle[:, 1], "k--", lw=2.2, zorder=5, label=f"predicted limit cycle: radius c = {CLIP:g}")
    for name, (f, _) in runs.items():
        o = orbits[name]
        ax.plot(
            f["theta"],
            f["psi"].mean(axis=1),
            color=COLOURS[name],
            lw=1.2,
            label=f"{name}: "
            + (
                f"aggregates at t = {o.aggregation_time:.2f}"
                if np.isfinite(o.aggregation_time)
                else f"never aggregates; final cycle radius {o.final_radius:.3f}"
            ),
        )
        ax.plot(f["theta"][0], f["psi"][0].mean(), "o", color=COLOURS[name], ms=7)
    ax.set_xlim(-2.3, 2.3)
    ax.set_ylim(-1.5, 1.5)
    ax.set_aspect("equal")
    ax.set_xlabel("generator theta")
    ax.set_ylabel("mean critic parameter  mean(psi)")
    ax.set_title(f"phase portrait, dual flow (K = {K}, kappa = K; dots: starts)")
    ax.legend(fontsize=8.5, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2)

    ax = axes[1]
    for name, (f, g) in runs.items():
        o = orbits[name]
        ax.plot(f["ts"], f["spread"], color=COLOURS[name], lw=1.6, label=f"{name}: flow")
        ax.plot(g["ts"], g["spread"], ":", color="k", lw=0.9)
        if np.isfinite(o.aggregation_time):
            ax.axvline(o.aggregation_time, color=COLOURS[name], ls="--", lw=1)
        else:
            ax.axhline(o.final_spread, color=COLOURS[name], ls="--", lw=1)
    ax.plot([], [], ":", color="k", lw=0.9, label=f"GDA, tau = {tau:g}")
    ax.plot(
        [],
        [],
        "--",
        color="0.4",
        lw=1,
        label="predicted: aggregation time (vertical)\nor frozen final spread (horizontal)",
    )
    ax.set_xlim(0, min(t1, 8.0))
    ax.set_xlabel("time t")
    ax.set_ylabel("spread  max psi - min psi")
    ax.set_title("critic parameter spread (flow: solid; GDA: dotted)")
    ax.legend(fontsize=7.5, loc="upper right")

    ax = axes[2]
    f, _ = runs["A"]
    o = orbits["A"]
    for k in range(K):
        ax.plot(f["ts"], f["psi"][:, k], lw=1.2, label=f"psi_{k + 1}")
    ax.plot(f["ts"], f["theta"], "k", lw=1.4, label="theta")
    ax.axhline(CLIP, color="0.5", lw=0.8)
    ax.axhline(-CLIP, color="0.5", lw=0.8)
    ax.axvline(
        o.aggregation_time, color="0.3", ls="--", lw=1, label=f"predicted aggregation t = {o.aggregation_time:.3f}"
    )
    ax.axvline(o.entry_time, color="0.3", ls=":", lw=1.4, label=f"predicted cycle entry t = {o.entry_time:.3f}")
    ax.set_xlim(0, o.entry_time + 2 * np.pi)
    ax.set_ylim(-2.2, 1.3)
    ax.set_xlabel("time t")
    ax.set_ylabel("parameter value")
    ax.set_title("start A (flow): the psi_k reach c one by one and then coincide")
    ax.legend(fontsize=7.5, loc="lower right", ncol=2)
    fig.tight_layout()
    return finish(out, {"clipped_wgan_toy.png": fig}, summary, "clipped_wgan_toy.json", dpi=120, echo=True)


if __name__ == "__main__":
    main()
