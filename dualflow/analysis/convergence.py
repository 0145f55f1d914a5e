r"""The small-learning-rate limit: how fast GDA approaches the dual flow.

With $\eta_g = \tau$, $\eta_d = \kappa\tau$, GDA after $k$ steps approximates the flow at
$t = k\tau$ with a global error $O(\tau)$ on a fixed horizon (explicit Euler-type
splitting): on a log-log plot of error against $\tau$ the slope is 1.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..players.exact_rkhs import ExactRKHS
from ..solvers.dual_flow import DualFlow
from ..solvers.gda import GDA
from ..solvers.solve import solve
from ..validation import check_positive


@dataclasses.dataclass(frozen=True)
class ConvergenceStudy:
    """Result of `gda_flow_convergence`: `taus`, `errors` (max particle deviation at the
    horizon), the fitted log-log `slope` and the reference flow's final positions."""

    taus: np.ndarray
    errors: np.ndarray
    slope: float
    reference: np.ndarray


def loglog_slope(h, e) -> float:
    """Least-squares slope of $\\log e$ against $\\log h$."""
    return float(np.polyfit(np.log(np.asarray(h)), np.log(np.asarray(e)), 1)[0])


def gda_flow_convergence(game, generator, *, kappa: float, horizon: float, taus, order="alternating_d_first",
                         reference_dt: float | None = None) -> ConvergenceStudy:
    r"""Run GDA with $\eta_g = \tau$, $\eta_d = \kappa\tau$ for $T/\tau$ steps, for each $\tau$ in
    `taus`, and measure $\max_j |x_j^{\text{GDA}}(T/\tau) - x_j^{\text{flow}}(T)|$.

    The reference flow is the adaptive diffrax solve at `rtol = atol = 1e-12` for finite
    discriminator states, or the second-order history-quadrature flow with step
    `reference_dt` (default `min(taus) / 4`: its $O(dt^2)$ error is then negligible against GDA's $O(\tau)$) for `ExactRKHS`.

    **Returns:** a `ConvergenceStudy` with the fitted slope (1 expected).
    """
    check_positive("kappa", kappa)
    check_positive("horizon", horizon)
    check_positive("taus", np.asarray(taus))
    taus = np.sort(np.asarray(taus, dtype=float))[::-1]
    steps = horizon / taus
    if not np.allclose(steps, np.round(steps)):
        raise ValueError(f"`horizon / tau` must be an integer for every tau; received {steps.tolist()}.")
    if isinstance(game.discriminator, ExactRKHS):
        dt = reference_dt if reference_dt is not None else float(taus.min()) / 4
        flow = DualFlow(kappa=kappa, dt0=dt)
    else:
        flow = DualFlow(kappa=kappa, rtol=1e-12, atol=1e-12)
    reference = np.asarray(solve(game, generator, flow, t1=horizon, n_saves=2).final_points)
    errors = []
    for tau, n in zip(taus, np.round(steps).astype(int)):
        sol = solve(game, generator, GDA(lr_g=tau, lr_d=kappa * tau, order=order), n_steps=int(n), save_every=int(n))
        errors.append(np.max(np.abs(np.asarray(sol.final_points) - reference)))
    errors = np.asarray(errors)
    return ConvergenceStudy(taus=taus, errors=errors, slope=loglog_slope(taus, errors), reference=reference)
