r"""The continuous dual flow as a solver (diffrax underneath)."""

from __future__ import annotations

import math
import sys
from typing import ClassVar

import diffrax
import equinox as eqx
import jax.numpy as jnp
import numpy as np
import optimistix as optx
from jax.typing import ArrayLike

from ..dynamics.vector_field import dual_flow_field, history_quadrature_field, memory_coefficients
from ..validation import check_int, check_positive, concrete_or_none, float_field, positive_leaf
from .base import AbstractSolver
from .runs import history_pushes, run_adaptive_flow, run_fixed_steps
from .stepping import all_finite


class DualFlow(AbstractSolver):
    r"""Integrate the dual flow $\dot x_j = v_j(f_t, X_t)$, $\dot f_t = \kappa\,\partial_f L$
    (time $t = k\eta_g$ of GDA with $\eta_g = \tau$, $\eta_d = \kappa\tau$, $\tau \to 0$).

    - Finite discriminator states (`FiniteRank`, `OptimalWitness`): an exact ODE on the
      pytree `(particles, discriminator)`, solved by any diffrax `solver` with an adaptive
      `PIDController(rtol, atol)` (default `Tsit5`, `rtol=1e-6`, `atol=1e-9`); solvers
      without an error estimate (`Euler`) take fixed steps `dt0` (default `t1/1000`).
    - `ExactRKHS`: history quadrature on fixed steps of at most `dt0` (default
      `t1/1000`): the memory integral is the trapezoidal rule on the solver's steps,
      and each step of the particles is one step of an explicit diffrax `solver` (default
      `Heun`): order $\min(2, p)$ for a solver of order $p$ (see `dynamics.vector_field`).
      `rtol`, `atol` and `max_steps` do not apply to this fixed-step scheme.

    **Arguments:** `kappa` (time-scale ratio $\eta_d/\eta_g$, array leaf), `solver`,
    `rtol`, `atol`, `dt0` (initial step for adaptive solves; `None` lets diffrax choose).
    """

    arguments: ClassVar[tuple[str, ...]] = ("t1", "n_saves", "max_steps")
    defaults: ClassVar[dict] = {"n_saves": 101, "max_steps": 100_000}
    discrete: ClassVar[bool] = False

    kappa: ArrayLike = eqx.field(converter=positive_leaf("kappa"), default=1.0)
    solver: diffrax.AbstractSolver | None = None
    rtol: float = eqx.field(static=True, default=1e-6, converter=float_field("rtol"))
    atol: float = eqx.field(static=True, default=1e-9, converter=float_field("atol"))
    dt0: float | None = eqx.field(static=True, default=None, converter=float_field("dt0", optional=True))

    def __check_init__(self):
        if self.solver is not None and not isinstance(self.solver, diffrax.AbstractSolver):
            raise ValueError(f"`solver` must be a diffrax solver such as diffrax.Tsit5(); received {self.solver!r}.")

    def run(self, game, generator, options, *, t1=None, n_saves=101, max_steps=100_000):
        check_positive("t1", t1)
        n_saves = check_int("n_saves", n_saves, minimum=2)
        max_steps = check_int("max_steps", max_steps, minimum=1)
        if not game.discriminator.flows_by_history:
            return run_adaptive_flow(game, self, generator, float(t1), n_saves, max_steps, **options)
        if not game.payoff.linear:
            raise ValueError(
                "the exact-kernel flow (history quadrature) is implemented for payoffs linear in f (KernelIPM); "
                f"received {type(game.payoff).__name__}. Play it with GDA, or use a spectral, FiniteRank or neural "
                "discriminator for the flow."
            )
        t1 = float(t1)
        dt_max = self.dt0 if self.dt0 is not None else t1 / 1000
        steps_per_save = max(1, math.ceil(t1 / (n_saves - 1) / dt_max * (1 - 1e-12)))
        dt = t1 / ((n_saves - 1) * steps_per_save)
        rate = concrete_or_none(self.kappa * game.reg)
        capacity = game.discriminator.capacity(
            history_pushes((n_saves - 1) * steps_per_save, options), None if rate is None else np.exp(-rate * dt)
        )
        return run_fixed_steps(
            game, self, generator, dt, n_saves, steps_per_save, capacity, label="flow steps", **options
        )

    def local_map(self, game, generator):
        r"""The time derivative $(\dot g, \dot f) = (J^\top v, \kappa\,\partial_f L)$ of a finite state
        (`dynamics.dual_flow_field`)."""
        return lambda g, disc, memory: (*dual_flow_field(0.0, (g, disc), (game, generator, self.kappa)), None)

    def linear_map(self, generator_field, discriminator_field):
        r"""$(\dot\xi, \dot a) = (v(\xi, a),\ \kappa\,\partial L(a, \xi))$."""
        return lambda xi, a: (generator_field(xi, a), self.kappa * discriminator_field(a, xi))

    # ---- exact kernel: history quadrature ---------------------------------------------
    def fixed_step(self, game, generator, dt):
        """The step `(g, disc, memory, t) -> (g, disc, memory)` of the exact-kernel flow (history
        quadrature; no memory)."""
        solver = diffrax.Heun() if self.solver is None else self.solver
        if isinstance(solver, diffrax.AbstractImplicitSolver):
            raise ValueError(
                f"the exact-kernel flow (history quadrature) needs an explicit diffrax solver; "
                f"received {type(solver).__name__}."
            )
        term = diffrax.ODETerm(history_quadrature_field)

        def step(g, disc, memory, t):
            args = (game, generator, self.kappa, t, disc)
            solver_state = solver.init(term, t, t + dt, g, args)
            g_new = solver.step(term, t, t + dt, g, args, solver_state, made_jump=False)[0]
            decay, data_inc, endpoint = memory_coefficients(game, self.kappa, dt)
            return g_new, disc.advance(generator.points(g_new), decay, data_inc, endpoint * decay, endpoint), memory

        return step

    # ---- finite states: adaptive ODE ---------------------------------------------------
    def integrate(self, game, generator, g0, disc0, ts, *, max_steps, blowup, stationary_tol, progress):
        """Adaptive diffrax solve of the finite-state dual flow from `(g0, disc0)`, saving at `ts`."""

        def blew_up(t, y, args, **kwargs):
            return jnp.max(jnp.abs(generator.points(y[0]))) > blowup

        def stationary(t, y, args, **kwargs):
            if stationary_tol is None:
                return jnp.array(False)
            return game.stationarity_residual(y[1], generator.points(y[0]), generator.masses) < stationary_tol

        def nonfinite(t, y, args, **kwargs):
            return ~all_finite(y[0])

        def left_domain(t, y, args, **kwargs):  # a float: the root finder ends the run on the box's edge
            x = generator.points(y[0])
            return jnp.minimum(game.discriminator.domain_margin(x), jnp.asarray(jnp.finfo(x.dtype).max, x.dtype))

        solver = diffrax.Tsit5() if self.solver is None else self.solver
        if isinstance(solver, diffrax.AbstractAdaptiveSolver):
            controller, dt0 = diffrax.PIDController(rtol=self.rtol, atol=self.atol), self.dt0
        else:  # no error estimate (e.g. Euler): fixed steps
            controller, dt0 = diffrax.ConstantStepSize(), self.dt0 if self.dt0 is not None else (ts[-1] - ts[0]) / 1000
        return diffrax.diffeqsolve(
            diffrax.ODETerm(dual_flow_field),
            solver,
            t0=ts[0],
            t1=ts[-1],
            dt0=dt0,
            y0=(g0, disc0),
            args=(game, generator, self.kappa),
            saveat=diffrax.SaveAt(subs=[diffrax.SubSaveAt(ts=ts), diffrax.SubSaveAt(t1=True)]),
            stepsize_controller=controller,
            event=diffrax.Event(
                cond_fn=(blew_up, nonfinite, stationary, left_domain), root_finder=optx.Newton(rtol=1e-8, atol=1e-10)
            ),
            max_steps=max_steps,
            throw=False,
            progress_meter=_progress_meter(progress),
        )


def _progress_meter(progress: bool):
    """diffrax's tqdm bar on a terminal; elsewhere a line at every tenth of the horizon (its text
    meter's default prints fifty)."""
    if not progress:
        return diffrax.NoProgressMeter()
    return diffrax.TqdmProgressMeter() if sys.stderr.isatty() else diffrax.TextProgressMeter(minimum_increase=0.1)
