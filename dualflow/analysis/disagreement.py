r"""Where GDA leaves its own limit: the cells of a parameter grid where GDA's phase differs from
the dual flow's.

GDA with rates $\eta_g = \tau$, $\eta_d = \kappa\tau$ tends to the dual flow (time-scale ratio
$\kappa$, generator time $t = k\tau$) as $\tau \to 0$. At a finite step the two can part: GDA
oscillates or diverges where the flow converges (step-size-induced instability), or converges
where the flow does not (a stable GDA of an unstable flow). `disagreement_map` predicts both
diagrams over the same grid (the flow's Jacobian and each GDA order's one-step map, by
`predict_phase_diagram`), optionally measures both by simulation (`measure_phase_diagram`),
compares their coarse labels (converges / oscillates / diverges) cell by cell and traces every
predicted boundary (`trace_boundary`). Typical grids are $(\tau, \lambda)$, $(\tau, \sigma)$ and
$(\tau, \kappa)$: x = `("lr_g", taus)` with `kappa` in `base` or on the other axis.

Categories (`CATEGORIES`), for any discrete scheme (GDA of either order, extragradient, optimistic
GDA, the proximal step): 0 agree; 1 the scheme unstable where the flow converges; 2 the scheme
converges where the flow is unstable; 3 both unstable, in different ways (oscillates against
diverges).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..solvers.schemes import DISCRETE_SCHEMES
from .boundaries import Boundary, trace_boundary
from .phase_diagram import PhaseDiagram, coarse_labels, measure_phase_diagram, predict_phase_diagram

__all__ = ["CATEGORIES", "Disagreement", "disagreement_map"]

CATEGORIES = (
    "agree",
    "scheme unstable, flow converges",
    "scheme converges, flow unstable",
    "both unstable, differently",
)


def compare_phases(flow_labels: np.ndarray, gda_labels: np.ndarray) -> np.ndarray:
    """The category (`CATEGORIES`) of every cell, from two label grids of `Phase` values."""
    flow, gda = coarse_labels(flow_labels), coarse_labels(gda_labels)
    flow_stable, gda_stable = flow == "converges", gda == "converges"
    return np.select(
        [flow == gda, flow_stable & ~gda_stable, gda_stable & ~flow_stable],
        [0, 1, 2],
        default=3,
    ).astype(int)


@dataclasses.dataclass(frozen=True)
class Disagreement:
    """Flow against GDA over one grid.

    **Fields:** `flow` (the flow's `PhaseDiagram`), `gda` (`{scheme: PhaseDiagram}`), `predicted`
    (`{scheme: (ny, nx) categories}` from the linearizations), `measured` (the same from
    simulation, or `None`), `boundaries` (`{"flow" or scheme: Boundary}`, traced along y).

    **Methods:** `agreement(scheme)`: the fraction of cells where the measured category equals
    the predicted one.
    """

    flow: PhaseDiagram
    gda: dict
    predicted: dict
    boundaries: dict
    measured: dict | None = None

    def agreement(self, scheme: str) -> float:
        if self.measured is None:
            raise ValueError("this map has no measured categories; call disagreement_map(..., measure=True).")
        return float(np.mean(self.measured[scheme] == self.predicted[scheme]))

    def to_json(self) -> dict:
        out: dict = {
            "x_name": self.flow.x_name,
            "y_name": self.flow.y_name,
            "x_values": self.flow.x_values.tolist(),
            "y_values": self.flow.y_values.tolist(),
            "categories": list(CATEGORIES),
            "predicted": {s: v.tolist() for s, v in self.predicted.items()},
            "predicted_disagreeing_fraction": {s: float(np.mean(v != 0)) for s, v in self.predicted.items()},
            "boundaries": {name: b.to_json() for name, b in self.boundaries.items()},
        }
        if self.measured is not None:
            out["measured"] = {s: v.tolist() for s, v in self.measured.items()}
            out["agreement"] = {s: self.agreement(s) for s in self.measured}
            out["phase_agreement"] = {
                "flow": self.flow.agreement(),
                **{s: d.agreement() for s, d in self.gda.items()},
            }
        return out


def disagreement_map(
    data,
    equilibrium,
    *,
    x,
    y,
    base=None,
    schemes=("simultaneous", "alternating_d_first"),
    measure: bool = False,
    n_steps: int = 1000,
    critic: str = "exact",
    **options,
) -> Disagreement:
    r"""Predict (and with `measure`, simulate) the flow and each GDA order over one grid, and
    compare their phases cell by cell (module docstring).

    **Arguments:** `data`, `equilibrium`, `x`, `y`, `base`, `critic` and `options`
    (`n_critic`, `velocity`, `neutral_tol`, `tol`, `mesh`) as in `predict_phase_diagram`;
    `schemes`: the discrete schemes (`solvers.schemes.DISCRETE_SCHEMES`: GDA orders, `"extragradient"`,
    `"optimistic"`, `"proximal"`); `measure`: also simulate every diagram (`measure_phase_diagram`
    with `n_steps` GDA steps; the flow to the time `n_steps` steps of the base $\eta_g$ reach).

    **Returns:** a `Disagreement`.
    """
    if not schemes or any(s not in DISCRETE_SCHEMES for s in schemes):
        raise ValueError(
            f"`schemes` must be discrete schemes to compare with the flow (some of {DISCRETE_SCHEMES}); "
            f"received {schemes!r}."
        )
    common = dict(x=x, y=y, base=base, critic=critic, **options)
    flow = predict_phase_diagram(data, equilibrium, scheme="flow", **common)
    gda = {s: predict_phase_diagram(data, equilibrium, scheme=s, **common) for s in schemes}
    if measure:
        flow = measure_phase_diagram(flow, n_steps=n_steps)
        gda = {s: measure_phase_diagram(d, n_steps=n_steps) for s, d in gda.items()}
    boundaries: dict[str, Boundary] = {"flow": trace_boundary(flow)}
    boundaries.update({s: trace_boundary(d) for s, d in gda.items()})
    predicted = {s: compare_phases(flow.predicted, d.predicted) for s, d in gda.items()}
    measured = None
    if flow.measured is not None:
        measured = {s: compare_phases(flow.measured, d.measured) for s, d in gda.items() if d.measured is not None}
    return Disagreement(flow=flow, gda=gda, predicted=predicted, boundaries=boundaries, measured=measured)
