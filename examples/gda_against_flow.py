"""Where each discrete scheme leaves its flow limit: disagreement maps of simultaneous and
alternating GDA, extragradient, optimistic GDA and the decoupled proximal step against the dual
flow, over (tau, lambda), (tau, sigma) and (tau, kappa), predicted by the exact linearizations and
measured by simulation (`disagreement_map`), with every traced boundary drawn.

1. `against_flow_tau_reg.png`: one generated point on one true point (balanced mass), kappa = 1,
   sigma = 1. The flow converges everywhere: every coloured cell is the scheme's own doing.
2. `against_flow_tau_bandwidth.png`: the same point at lambda = 0.3 over (tau, sigma).
3. `against_flow_tau_kappa.png`: an over-covered point (mass 1.5 on a true point of mass 1),
   sigma = 1, lambda = 0.3, over (tau, kappa): the flow itself is unstable below its Hopf line
   kappa = w |delta| / (sigma lambda)^2 = 8.3 (dashed), so both kinds of disagreement appear.

Each run starts 1e-6 (GDA) or 1e-4 (flow) from the equilibrium with the discriminator at its best
response; 1000 steps, the flow to the same time. Quick mode: a smaller (tau, lambda) map of three
schemes only.

    python examples/gda_against_flow.py [--quick] [--out DIR]
"""

import time

import jax.numpy as jnp
import numpy as np
from example_cli import finish, parse  # first: float64 and a headless matplotlib backend

import dualflow as df
from dualflow.plotting import plot_disagreement
from dualflow.solvers import DISCRETE_SCHEMES

ONE = df.Measure(jnp.zeros((1, 1)), jnp.ones(1))
HEAVY = df.Measure(jnp.zeros((1, 1)), jnp.full(1, 1.5))


def maps(quick):
    """`{name: (equilibrium, x axis, y axis, base, title)}` of the three grids."""
    nx, ny = (6, 4) if quick else (24, 20)
    taus = ("lr_g", np.geomspace(0.02, 1, nx))
    return {
        "tau_reg": (ONE, taus, ("reg", np.geomspace(0.05, 1.8, ny)), dict(kappa=1.0, bandwidth=1.0), "balanced point"),
        "tau_bandwidth": (
            ONE,
            taus,
            ("bandwidth", np.geomspace(0.3, 3, ny)),
            dict(kappa=1.0, reg=0.3),
            "balanced point, λ = 0.3",
        ),
        "tau_kappa": (
            HEAVY,
            ("lr_g", np.geomspace(0.01, 0.5, nx)),
            ("kappa", np.geomspace(0.5, 30, ny)),
            dict(bandwidth=1.0, reg=0.3),
            "over-covered point (w = 1.5, δ = −0.5), σ = 1, λ = 0.3",
        ),
    }


def main(argv=None):
    quick, out = parse(__doc__, "dualflow-output/gda_against_flow", argv)
    schemes = ("simultaneous", "extragradient", "optimistic") if quick else DISCRETE_SCHEMES
    results, figures = {}, {}
    chosen = {name: m for name, m in maps(quick).items() if not quick or name == "tau_reg"}
    for name, (equilibrium, x, y, base, title) in chosen.items():
        start = time.perf_counter()
        result = df.disagreement_map(ONE, equilibrium, x=x, y=y, base=base, schemes=schemes, measure=True)
        summary = result.to_json()
        results[name] = {
            "grid": [len(x[1]), len(y[1])],
            "seconds": time.perf_counter() - start,
            "predicted_disagreeing_fraction": summary["predicted_disagreeing_fraction"],
            "measured_disagreeing_fraction": {s: float(np.mean(v != 0)) for s, v in result.measured.items()},
            "category_agreement": summary["agreement"],
            "phase_agreement": summary["phase_agreement"],
            "boundaries": {s: len(b.points) for s, b in result.boundaries.items()},
        }
        figures[f"against_flow_{name}.png"] = plot_disagreement(result, title=f"each scheme against its flow: {title}")
        print(name, {s: round(v, 3) for s, v in summary["predicted_disagreeing_fraction"].items()})
    return finish(out, figures, results, "gda_against_flow.json")


if __name__ == "__main__":
    main()
