"""The small exact games: bilinear game and Dirac-GAN, flow versus GDA in each step order.

The bilinear game L = s x psi: the dual flow circles (x^2 + psi^2 conserved), simultaneous
GDA spirals out by a factor 1 + tau^2 s^2 per step, alternating GDA stays on an ellipse.
The Dirac-GAN (logistic payoff, linear critic) behaves the same way near its equilibrium.
Writes `exact_games.png` and `exact_games.json` (measured invariants next to their closed forms).

    python examples/bilinear_and_dirac_gan.py [--quick] [--out DIR]
"""

import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
from example_cli import finish, parse  # first: float64 and a headless matplotlib backend

import dualflow as df


def main(argv=None):
    quick, out = parse(__doc__, "dualflow-output/exact-games", argv)
    s, tau = 1.0, 0.1
    n = 60 if quick else 300
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.6))
    summary = {}
    for ax, (name, game, start) in zip(
        axes, [("bilinear game", df.bilinear(s), 1.0), ("Dirac-GAN", df.dirac_gan(), 1.0)]
    ):
        gen = df.Measure(jnp.full((1, 1), start), jnp.ones(1))
        flow = df.solve(game, gen, df.DualFlow(rtol=1e-10, atol=1e-12), t1=n * tau, n_saves=n + 1)
        ax.plot(flow.points[:, 0, 0], flow.discriminator_trace[:, 0], "k-", lw=1.5, label="dual flow")
        rows = {"flow": {"final_radius_sq": float(flow.points[-1, 0, 0] ** 2 + flow.discriminator_trace[-1, 0] ** 2)}}
        for order in ("simultaneous", "alternating_d_first"):
            sol = df.solve(game, gen, df.GDA(tau, tau, order=order), n_steps=n)
            x, psi = np.asarray(sol.points[:, 0, 0]), np.asarray(sol.discriminator_trace[:, 0])
            ax.plot(x, psi, ".-", ms=2, lw=0.6, label=f"GDA {order.replace('_', ' ')}, tau={tau}")
            rows[order] = {"final_radius_sq": float(x[-1] ** 2 + psi[-1] ** 2)}
        summary[name] = rows
        ax.set_title(name)
        ax.set_xlabel("generator parameter")
        ax.set_ylabel("discriminator parameter")
        ax.set_aspect("equal", adjustable="datalim")
        ax.legend(fontsize=8)
    summary["bilinear game"]["simultaneous"]["closed_form"] = (1 + tau**2 * s**2) ** n
    fig.tight_layout()
    return finish(out, {"exact_games.png": fig}, summary, "exact_games.json", dpi=120, echo=True)


if __name__ == "__main__":
    main()
