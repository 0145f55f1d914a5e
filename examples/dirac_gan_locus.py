"""The Dirac-GAN's eigenvalue locus under a gradient penalty, and what it does to training.

Reproduces Mescheder, Geiger and Nowozin, "Which Training Methods for GANs do actually
Converge?" (ICML 2018), Sec. 2-3 and Fig. 1-3: a generator Dirac at theta against data at 0,
a linear critic psi * x and the logistic payoff h(t) = -log(1 + exp(-t)), so h'(0) = 1/2.
Unregularized, the Jacobian of the continuous dynamics at (0, 0) has eigenvalues +- i h'(0)
(a centre); a gradient penalty g (for a linear critic it is the ridge g/2 psi^2) moves them to

    s = -g/2 +- sqrt(g^2/4 - h'(0)^2),

a complex pair with real part -g/2 up to the critical g = 2 h'(0) = 1 (a double root at
-1/2), then two real roots, one of which goes back to 0 like -h'(0)^2 / g: too much penalty
slows convergence again.

Computed here with `linearize(dirac_gan(gradient_penalty=g), Measure([[0]], [1]), DualFlow(1))`
(forward-mode Jacobian of the finite state (theta, psi)) on a fine grid of g in [0, 3] and
compared with the closed form. The second row simulates training from (theta, psi) = (1, 0)
for g = 0 and g = 0.5: the dual flow (kappa = 1), and GDA with tau = 0.2 (lr_g = lr_d)
simultaneous and alternating (D first). Unregularized, the flow circles, simultaneous GDA
spirals out and alternating GDA stays bounded (Mescheder's Fig. 2); with g = 0.5 all three
spiral in, the flow at the rate Re s = -g/2 = -0.25 (fitted from the simulated radius).

Writes `dirac_gan_locus.png` and `dirac_gan_locus.json` (largest deviation of the linearized
eigenvalues from the closed form, fitted versus predicted decay rates, final radii).

    python examples/dirac_gan_locus.py [--quick] [--out DIR]
"""

import equinox as eqx
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
from example_cli import finish, parse  # first: float64 and a headless matplotlib backend

import dualflow as df
from dualflow.analysis.linearization import linearize

H1 = 0.5  # h'(0) of the logistic payoff
G_CRIT = 2 * H1


def closed_form(g):
    """The pair -g/2 +- sqrt(g^2/4 - h'(0)^2), sorted by imaginary part, then real part (descending)."""
    root = np.sqrt(np.asarray(g, dtype=complex) ** 2 / 4 - H1**2)
    return np.stack([-g / 2 + root, -g / 2 - root], axis=-1)


def _sorted_pair(pair):
    pair = np.asarray(pair)
    return pair[np.lexsort((-pair.real, -pair.imag))]


def main(argv=None):
    quick, out = parse(__doc__, "dualflow-output/dirac-gan-locus", argv)
    origin = df.Measure(jnp.zeros((1, 1)), jnp.ones(1))
    lin = eqx.filter_jit(linearize)  # one compilation for the whole grid (g is an array leaf)

    # --- the locus: linearization versus closed form --------------------------------------
    grid = np.arange(0, 301, 5 if quick else 1) / 100  # exact multiples of 0.01: g = 1 exactly on the grid
    eigs = np.array(
        [np.asarray(lin(df.dirac_gan(gradient_penalty=g), origin, df.DualFlow(1.0)).eigenvalues) for g in grid]
    )
    expected = closed_form(grid)
    deviation = max(float(np.max(np.abs(_sorted_pair(e) - _sorted_pair(c)))) for e, c in zip(eigs, expected))
    # trace and determinant (-g and h'(0)^2) are well conditioned even at the double root
    trace_dev = float(np.max(np.abs(eigs.sum(axis=1) + grid)))
    det_dev = float(np.max(np.abs(eigs.prod(axis=1) - H1**2)))
    at_crit = eigs[np.flatnonzero(grid == G_CRIT)[0]]

    # --- training trajectories ------------------------------------------------------------
    tau = 0.2
    n_steps = 150 if quick else 400
    start = df.Measure(jnp.ones((1, 1)), jnp.ones(1))
    runs = {}
    fig = plt.figure(figsize=(13, 9.5))
    ax_locus = fig.add_subplot(2, 2, (1, 2))
    traj_axes = [fig.add_subplot(2, 2, 3), fig.add_subplot(2, 2, 4)]
    for ax, g in zip(traj_axes, (0.0, 0.5)):
        game = df.dirac_gan(gradient_penalty=g)
        flow = df.solve(game, start, df.DualFlow(1.0, rtol=1e-10, atol=1e-12), t1=n_steps * tau, n_saves=n_steps + 1)
        theta, psi = np.asarray(flow.points[:, 0, 0]), np.asarray(flow.discriminator_trace[:, 0])
        radius = np.hypot(theta, psi)
        ts = np.asarray(flow.ts)
        tail = ts >= ts[-1] / 2
        row = {
            "flow": {
                "final_radius": float(radius[-1]),
                "fitted_rate": float(np.polyfit(ts[tail], np.log(radius[tail]), 1)[0]) if g > 0 else None,
                "predicted_rate": -g / 2 if g else 0.0,
            }
        }
        ax.plot(theta, psi, "k-", lw=1.6, label="dual flow", zorder=3)
        for order, style, name in (
            ("simultaneous", "C3.-", "simultaneous"),
            ("alternating_d_first", "C0.-", "alternating (D first)"),
        ):
            sol = df.solve(game, start, df.GDA(tau, tau, order=order), n_steps=n_steps, throw=False, blowup=1e3)
            x, p = np.asarray(sol.points[:, 0, 0]), np.asarray(sol.discriminator_trace[:, 0])
            step_lin = lin(game, origin, df.GDA(tau, tau, order=order))
            row[order] = {
                "final_radius": float(np.hypot(x[-1], p[-1])),
                "result": sol.result_name,
                "predicted_rho": float(step_lin.growth),
            }
            ax.plot(x, p, style, ms=2, lw=0.5, alpha=0.8, label=f"GDA {name}, |ρ| = {float(step_lin.growth):.4f}")
        runs[f"g={g:g}"] = row
        ax.plot([1.0], [0.0], "k*", ms=10, label="start (θ, ψ) = (1, 0)")
        ax.plot([0.0], [0.0], "k+", ms=12, mew=2, label="equilibrium")
        ax.set_title(f"training, gradient penalty g = {g:g}, τ = {tau} ({n_steps} steps / t = {n_steps * tau:g})")
        ax.set_xlabel("generator parameter θ (Dirac position)")
        ax.set_ylabel("discriminator parameter ψ (critic slope)")
        ax.set_aspect("equal", adjustable="datalim")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")

    # --- locus figure ---------------------------------------------------------------------
    dense = np.linspace(0, grid[-1], 2001)
    cf = closed_form(dense)
    ax_locus.plot(cf[:, 0].real, cf[:, 0].imag, "k-", lw=1, label=r"closed form $-g/2 \pm \sqrt{g^2/4 - h'(0)^2}$")
    ax_locus.plot(cf[:, 1].real, cf[:, 1].imag, "k-", lw=1)
    sc = None
    for k in range(2):
        sc = ax_locus.scatter(
            eigs[:, k].real,
            eigs[:, k].imag,
            c=grid,
            cmap="viridis",
            s=14,
            zorder=3,
            label="linearize(...) eigenvalues" if k == 0 else None,
        )
    fig.colorbar(sc, ax=ax_locus, label="gradient penalty g")
    ax_locus.plot(
        [-G_CRIT / 2], [0.0], "rD", ms=9, zorder=4, label=f"critical g = 2h'(0) = {G_CRIT:g}: double root -1/2"
    )
    ax_locus.plot([0, 0], [-H1, H1], "rx", ms=9, mew=2, zorder=4, label=r"g = 0: $\pm i\,h'(0)$")
    ax_locus.axvline(0, color="grey", lw=0.6)
    ax_locus.axhline(0, color="grey", lw=0.6)
    ax_locus.set_xlabel("Re s (generator time)")
    ax_locus.set_ylabel("Im s")
    ax_locus.set_title(
        f"Dirac-GAN: Jacobian eigenvalues at (θ, ψ) = (0, 0) for g in [0, {grid[-1]:g}] "
        f"(max deviation from closed form {deviation:.1e})"
    )
    ax_locus.legend(fontsize=9, loc="lower left")
    ax_locus.grid(alpha=0.3)
    fig.tight_layout()

    results = {
        "penalties": grid.tolist(),
        "max_eigenvalue_deviation": deviation,
        "max_trace_deviation": trace_dev,
        "max_determinant_deviation": det_dev,
        "critical_penalty": G_CRIT,
        "eigenvalues_at_critical": [[float(e.real), float(e.imag)] for e in at_crit],
        "real_for_g_above_critical": bool(np.all(np.abs(eigs[grid > G_CRIT].imag) < 1e-12)),
        "complex_for_g_below_critical": bool(np.all(np.abs(eigs[grid < G_CRIT].imag) > 0)),
        "trajectories": runs,
    }
    print(
        f"Dirac-GAN locus over {len(grid)} penalties: max |linearize - closed form| = {deviation:.2e} "
        f"(trace {trace_dev:.1e}, det {det_dev:.1e}); at g = {G_CRIT:g}: {at_crit.real.tolist()}"
    )
    for name, row in runs.items():
        print(
            f"  {name}: final radius flow {row['flow']['final_radius']:.3g}, GDA simultaneous "
            f"{row['simultaneous']['final_radius']:.3g}, alternating {row['alternating_d_first']['final_radius']:.3g}"
            + (
                f"; flow decay rate {row['flow']['fitted_rate']:.4f} (predicted {row['flow']['predicted_rate']:g})"
                if row["flow"]["fitted_rate"] is not None
                else ""
            )
        )
    return finish(out, {"dirac_gan_locus.png": fig}, results, "dirac_gan_locus.json")


if __name__ == "__main__":
    main()
