r"""The solvers by name, for diagrams and commands that compare them: each GDA step order, the
extrapolating steps, the decoupled proximal step and the flow, all built from the same two rates
($\eta_g$, $\eta_d$; the flow's $\kappa = \eta_d/\eta_g$)."""

from __future__ import annotations

from ..dynamics.gda_maps import STEP_ORDERS
from .dual_flow import DualFlow
from .extragradient import Extragradient
from .gda import GDA
from .optimistic import OptimisticGDA
from .proximal import ProximalGDA

#: Every scheme name: the GDA step orders, `"extragradient"`, `"optimistic"`, `"proximal"` (the decoupled
#: simultaneous proximal step) and `"flow"`.
SCHEMES = (*STEP_ORDERS, "extragradient", "optimistic", "proximal", "flow")
#: The discrete ones (a step map), in the same order.
DISCRETE_SCHEMES = SCHEMES[:-1]


def scheme_solver(scheme: str, lr_g, lr_d, *, n_critic: int = 1, **flow_options):
    r"""The solver named `scheme` with rates `lr_g`, `lr_d` (array leaves allowed): `GDA(order=scheme,
    n_critic=n_critic)` for a step order, `Extragradient`, `OptimisticGDA`, `ProximalGDA` (decoupled,
    simultaneous), or `DualFlow(kappa=lr_d / lr_g, **flow_options)`. `n_critic` applies to the GDA
    orders only."""
    if scheme in STEP_ORDERS:
        return GDA(lr_g=lr_g, lr_d=lr_d, order=scheme, n_critic=n_critic)
    if n_critic != 1:
        raise ValueError(f"`n_critic` applies to the GDA step orders; scheme {scheme!r} takes one D-step per step.")
    if scheme == "flow":
        return DualFlow(kappa=lr_d / lr_g, **flow_options)
    solvers = {"extragradient": Extragradient, "optimistic": OptimisticGDA, "proximal": ProximalGDA}
    if scheme not in solvers:
        raise ValueError(f"`scheme` must be one of {SCHEMES}; received {scheme!r}.")
    return solvers[scheme](lr_g=lr_g, lr_d=lr_d)
