"""Phase diagrams of GDA at an isolated true point: predicted by the exact linearization and
measured by simulation, side by side, with the isolated-points theory drawn over them; and the
Asilomar-style heat maps of the dominant |rho|^2 (Becker et al.).

1. `phase_sim_sigma_reg.png`: one true point (mass 1) and one generated point on it (mass 1),
   simultaneous GDA with lr_g = lr_d = 0.1, over (bandwidth, reg). Balanced mass: the theory says
   it converges iff reg > lr_g w ptot / sigma^2 (dashed). Measured: 1000 GDA steps from an offset
   of 1e-6, each run labelled by `classify_trajectory`.
2. `phase_alt_rates.png`: the same point under alternating GDA over (lr_g, lr_d) at sigma = 0.5,
   reg = 0.5 (large rates diverge).
3. `asilomar_rho2.png`: dominant |rho|^2 of alternating GDA for a cluster of two points (mass 0.3
   each) on a true point of mass 1 (delta = 0.4) over (bandwidth, reg), with lr_g = lr_d = 0.01:
   the fastest rate runs along lambda_opt = sqrt(w delta)/sigma (dotted), and the flow's
   oscillation band edges (magenta dash-dot) bound where the mean oscillates.

    python examples/phase_diagrams.py [--quick] [--out DIR]
"""

import time

import jax.numpy as jnp
import numpy as np
from example_cli import finish, parse  # first: float64 and a headless matplotlib backend

import dualflow as df
from dualflow.analysis import theory_curves
from dualflow.plotting import plot_growth, plot_phase_diagram


def main(argv=None):
    quick, out = parse(__doc__, "dualflow-output/phase_diagrams", argv)
    size, measured_size = (40, 12) if quick else (200, 40)
    one = df.Measure(jnp.zeros((1, 1)), jnp.ones(1))
    results = {}

    start = time.perf_counter()
    sigma = ("bandwidth", np.geomspace(0.1, 10, measured_size))
    reg = ("reg", np.geomspace(0.01, 1, measured_size))
    diagram = df.predict_phase_diagram(one, one, x=sigma, y=reg, base=dict(lr_g=0.1, lr_d=0.1), scheme="simultaneous")
    diagram = df.measure_phase_diagram(diagram, n_steps=1000)
    results["simultaneous_sigma_reg"] = {
        "grid": [measured_size, measured_size],
        "agreement_coarse": diagram.agreement(True),
        "agreement_fine": diagram.agreement(False),
        "seconds": time.perf_counter() - start,
    }
    figures = {
        "phase_sim_sigma_reg.png": plot_phase_diagram(
            diagram, curves=theory_curves(diagram, w=1.0, p=1.0), title="one point on a true point, simultaneous GDA"
        )
    }

    start = time.perf_counter()
    rates = df.predict_phase_diagram(
        one,
        one,
        x=("lr_g", np.geomspace(0.02, 5, measured_size)),
        y=("lr_d", np.geomspace(0.02, 5, measured_size)),
        base=dict(bandwidth=0.5, reg=0.5),
        scheme="alternating_d_first",
    )
    rates = df.measure_phase_diagram(rates, n_steps=1000)
    results["alternating_rates"] = {
        "agreement_coarse": rates.agreement(True),
        "agreement_fine": rates.agreement(False),
        "seconds": time.perf_counter() - start,
    }
    figures["phase_alt_rates.png"] = plot_phase_diagram(
        rates, title="alternating GDA over the rates (sigma 0.5, reg 0.5)"
    )

    start = time.perf_counter()
    data = df.Measure(jnp.zeros((1, 1)), jnp.ones(1))
    pair = df.Measure(jnp.zeros((2, 1)), jnp.full(2, 0.3))
    heat = df.predict_phase_diagram(
        data,
        pair,
        x=("bandwidth", np.geomspace(0.1, 10, size)),
        y=("reg", np.geomspace(1e-3, 10, size)),
        base=dict(lr_g=0.01, lr_d=0.01),
        scheme="alternating_d_first",
    )
    best = np.unravel_index(np.argmin(heat.growth), heat.growth.shape)
    column = heat.growth[:, best[1]]
    results["asilomar"] = {
        "grid": [size, size],
        "seconds": time.perf_counter() - start,
        "fastest_sigma": float(heat.x_values[best[1]]),
        "fastest_reg_at_that_sigma": float(heat.y_values[np.argmin(column)]),
        "lambda_opt_at_that_sigma": float(df.analysis.isolated_points.optimal_reg(0.3, 0.4, heat.x_values[best[1]])),
        "min_rho2": float(np.min(heat.growth) ** 2),
    }
    figures["asilomar_rho2.png"] = plot_growth(
        heat,
        curves=theory_curves(heat, w=0.3, p=1.0, n=2),
        title=r"alternating GDA, two points on one (δ = 0.4): dominant $|\rho|^2$",
    )

    for name, r in results.items():
        print(name, {k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()})
    return finish(out, figures, results, "phase_diagrams.json")


if __name__ == "__main__":
    main()
