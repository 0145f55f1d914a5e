r"""The small-learning-rate limit: how fast GDA approaches the dual flow.

With $\eta_g = \tau$, $\eta_d = \kappa\tau$, GDA after $k$ steps approximates the flow at
$t = k\tau$ with a global error $O(\tau)$ on a fixed horizon (explicit Euler-type
splitting): on a log-log plot of error against $\tau$ the slope is 1.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

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


def flow_gda_errors(ts, flow_points, gda_points, taus, *, flow_end=math.inf, gda_ends=None) -> dict:
    r"""Particle-wise distance of GDA runs to the flow over time, its maximum and the log-log slope.

    $$e_\tau(t_k) = \max_j |x_j^{\tau}(t_k) - x_j^{\text{flow}}(t_k)|, \qquad
    E_\tau = \max_k e_\tau(t_k), \qquad \text{slope} = \text{LS slope of } \log E_\tau
    \text{ against } \log \tau.$$

    **Arguments:**

    - `ts`: `(S,)` common times; `flow_points`: `(S, N, d)` the flow at `ts`.
    - `gda_points`: `(n, S, N, d)` each GDA run at `ts` (the same labelled particles).
    - `taus`: `(n,)` the step sizes.
    - `flow_end`, `gda_ends`: the time each run ended (`final_time`; `(n,)` for GDA); errors
      after the earlier end of the pair, or at non-finite positions, are `nan`.

    **Returns:** a dict with `errors` `(n, S)`, `max_errors` `(n,)` (`nan` when a run ended
    before the last time or has a `nan` error), `final_errors` `(n,)` ($e_\tau$ at the last
    time), `slope` (`nan` with fewer than two positive finite `max_errors`) and
    `local_slopes` `(n - 1,)`: $\log(E_{\tau_i}/E_{\tau_{i+1}}) / \log(\tau_i/\tau_{i+1})$ between
    neighbouring steps in the order given. The fitted slope describes the runs only where the
    local slopes agree: where they do not, the larger steps are outside the asymptotic regime
    (e.g. their particles took other paths) and the fit mixes two regimes.
    """
    ts = np.asarray(ts, dtype=np.float64)
    flow_points = np.asarray(flow_points, dtype=np.float64)
    gda_points = np.asarray(gda_points, dtype=np.float64)
    taus = np.asarray(taus, dtype=np.float64)
    if flow_points.ndim != 3 or flow_points.shape[0] != ts.shape[0]:
        raise ValueError(
            f"`flow_points` must have shape (S, N, d) with S = len(ts) = {ts.shape[0]}; received {flow_points.shape}."
        )
    if gda_points.shape != (taus.shape[0],) + flow_points.shape:
        raise ValueError(
            f"`gda_points` must have shape (len(taus), S, N, d) = {(taus.shape[0],) + flow_points.shape}; "
            f"received {gda_points.shape}."
        )
    gda_ends = np.full(taus.shape, np.inf) if gda_ends is None else np.asarray(gda_ends, dtype=np.float64)
    slack = 1e-9 * max(1.0, float(np.max(np.abs(ts))) if ts.size else 1.0)
    errors = np.linalg.norm(gda_points - flow_points[None], axis=-1).max(axis=-1)  # (n, S)
    ended = ts[None, :] > np.minimum(gda_ends, float(flow_end))[:, None] + slack
    errors = np.where(ended | ~np.isfinite(errors), np.nan, errors)
    complete = np.all(np.isfinite(errors), axis=1)
    max_errors = np.where(complete, np.max(np.where(np.isfinite(errors), errors, -np.inf), axis=1), np.nan)
    final_errors = errors[:, -1]
    usable = np.isfinite(max_errors) & (max_errors > 0)
    slope = math.nan
    if np.count_nonzero(usable) >= 2:
        slope = loglog_slope(taus[usable], max_errors[usable])
    with np.errstate(divide="ignore", invalid="ignore"):
        local = np.log(max_errors[:-1] / max_errors[1:]) / np.log(taus[:-1] / taus[1:])
    return {
        "errors": errors,
        "max_errors": max_errors,
        "final_errors": final_errors,
        "slope": slope,
        "local_slopes": np.where(np.isfinite(local), local, np.nan),
    }


def gda_flow_convergence(
    game,
    generator,
    *,
    kappa: float,
    t1: float,
    taus,
    order="alternating_d_first",
    reference_dt: float | None = None,
) -> ConvergenceStudy:
    r"""Run GDA with $\eta_g = \tau$, $\eta_d = \kappa\tau$ for $T/\tau$ steps, for each $\tau$ in
    `taus`, and measure $\max_j |x_j^{\text{GDA}}(T/\tau) - x_j^{\text{flow}}(T)|$ (Euclidean:
    `flow_gda_errors` at the one time $T$).

    The reference flow is the adaptive diffrax solve at `rtol = atol = 1e-12` for finite
    discriminator states, or the second-order history-quadrature flow with step
    `reference_dt` (default `min(taus) / 4`: its $O(dt^2)$ error is then negligible against GDA's $O(\tau)$) for
    players whose state is a history (`flows_by_history`: `ExactRKHS`).

    **Returns:** a `ConvergenceStudy` with the fitted slope (1 expected).
    """
    check_positive("kappa", kappa)
    check_positive("t1", t1)
    check_positive("taus", np.asarray(taus))
    taus = np.sort(np.asarray(taus, dtype=float))[::-1]
    steps = t1 / taus
    if not np.allclose(steps, np.round(steps)):
        raise ValueError(f"`t1 / tau` must be an integer for every tau; received {steps.tolist()}.")
    if game.discriminator.flows_by_history:  # the history quadrature: fixed steps
        dt = reference_dt if reference_dt is not None else float(taus.min()) / 4
        flow = DualFlow(kappa=kappa, dt0=dt)
    else:
        flow = DualFlow(kappa=kappa, rtol=1e-12, atol=1e-12)
    reference = np.asarray(solve(game, generator, flow, t1=t1, n_saves=2).final_points)
    finals = [
        solve(
            game, generator, GDA(lr_g=tau, lr_d=kappa * tau, order=order), n_steps=int(n), save_every=int(n)
        ).final_points
        for tau, n in zip(taus, np.round(steps).astype(int))
    ]
    measured = flow_gda_errors([t1], reference[None], np.stack([np.asarray(x) for x in finals])[:, None], taus)
    errors = measured["final_errors"]
    return ConvergenceStudy(taus=taus, errors=errors, slope=loglog_slope(taus, errors), reference=reference)
