r"""`solve`: the one entry point for discrete GDA and continuous dual flows."""

from __future__ import annotations

import math

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..games.kernel_game import KernelGame, check_game_and_measure
from ..measures.measure import Measure
from ..players.discriminators import ExactRKHS, ExactState, FiniteRank
from ..players.generators import AbstractGenerator, as_generator
from ..precision import cast_floating
from ..validation import check_choice, check_int, check_positive, is_concrete
from .dual_flow import DualFlow
from .gda import GDA
from .proximal import ProximalGDA
from .solution import Result, Solution
from .stepping import guarded_loop

INIT_DISCRIMINATOR = ("zero", "best_response")


def solve(game: KernelGame, generator: Measure | AbstractGenerator, solver: GDA | DualFlow, *, n_steps: int | None = None,
          save_every: int = 1, t1: float | None = None, n_saves: int = 101, max_steps: int = 100_000,
          blowup: float = 1e6, stationary_tol: float | None = None, throw: bool = True,
          progress: bool = False, init_discriminator="zero") -> Solution:
    r"""Run the game from the generator `generator` with a discrete or continuous solver.

    **Arguments:**

    - `game`: a `KernelGame` (data, discriminator, `reg`, payoff, velocity convention).
    - `generator`: the initial generator: a `Measure` (free particles; positions and masses,
      the masses stay fixed) or a generator player such as `NeuralGenerator` (its parameters
      follow the pulled-back velocity, see `players.generators`).
    - `solver`: `GDA(lr_g, lr_d, order, n_critic)`, `ProximalGDA(lr_g, lr_d, coupling)` or `DualFlow(kappa, ...)`.
    - `n_steps`, `save_every` (GDA): number of steps, and save every `save_every` steps
      (`n_steps` must be a multiple of it). Saved times are $t = k\,\eta_g$.
    - `t1`, `n_saves` (flow): integrate over $[0, t_1]$ saving at `n_saves` equally spaced times.
    - `max_steps`: step budget of adaptive flows (ends with `Result.MAX_STEPS`).
    - `blowup`: a state with $\max|x| >$ `blowup` ends the run (`Result.BLEW_UP`).
    - `stationary_tol`: end with `Result.STATIONARY` once every particle's speed is below it.
    - `throw`: raise `RuntimeError` on `MAX_STEPS`, `BLEW_UP`, `NONFINITE`; with `False` the
      labelled `Solution` (with its last finite state) is returned so a sweep goes on.
    - `progress`: print a progress meter on stderr.
    - `init_discriminator`: `"zero"` ($f_0 = 0$, as training starts), `"best_response"`
      ($f_0$ the best response to the initial generator: a run started at an equilibrium stays
      there), or a `Measure` with the generator's masses ($f_0$ the best response to *that*
      configuration: start the particles at $X^* + \varepsilon$ with the discriminator at the
      equilibrium's, to watch the local modes of a stability analysis), or a discriminator
      state of finite players (`FiniteRankState(theta0)`, a neural critic's parameters): start
      exactly there (e.g. the clipped-WGAN toy's critic parameters started apart).

    **Returns:** a `Solution`.

    **Example:**

    ```python
    sol = solve(game, Measure(x0, q), GDA(lr_g=0.01, lr_d=0.1), n_steps=1000, save_every=10)
    sol.points[-1]          # positions after 1000 steps
    flow = solve(game, Measure(x0, q), DualFlow(kappa=10.0), t1=10.0)
    ```
    """
    generator = as_generator(generator)
    check_game_and_measure(game, generator.measure(generator.init()), "generator")
    if not float(blowup) > 0:
        raise ValueError(f"`blowup` must be positive (inf for no bound); received {blowup!r}.")
    if stationary_tol is not None:
        check_positive("stationary_tol", stationary_tol)
    dtype = game.data.points.dtype  # the run lives in the data's dtype
    generator = cast_floating(generator, dtype)
    # what a player must fix before compilation (a spectral lattice's box) is fixed on concrete values
    game = eqx.tree_at(lambda g: g.discriminator, game,
                       cast_floating(game.discriminator.prepared(game, generator.points(generator.init())), dtype))
    reference, disc_state = _discriminator_start(game, init_discriminator, generator)
    solver = cast_floating(solver, dtype)
    options = dict(blowup=blowup, stationary_tol=stationary_tol, progress=progress, disc_state=disc_state,
                   reference=None if reference is None else reference.astype(dtype))
    if isinstance(solver, (GDA, ProximalGDA)):
        check_int("n_steps", n_steps, minimum=1)
        check_int("save_every", save_every, minimum=1)
        if n_steps % save_every:
            raise ValueError(f"`n_steps` ({n_steps}) must be a multiple of `save_every` ({save_every}).")
        sol = _run_gda(game, solver, generator, n_steps, save_every, **options)
    elif isinstance(solver, DualFlow):
        check_positive("t1", t1)
        check_int("n_saves", n_saves, minimum=2)
        check_int("max_steps", max_steps, minimum=1)
        if isinstance(game.discriminator, ExactRKHS):
            if not game.payoff.linear:
                raise ValueError(
                    "the exact-kernel flow (history quadrature) is implemented for payoffs linear in f (KernelIPM); "
                    f"received {type(game.payoff).__name__}. Play it with GDA, or use a FiniteRank or neural "
                    "discriminator for the flow.")
            sol = _run_quadrature_flow(game, solver, generator, float(t1), n_saves, **options)
        else:
            sol = _run_adaptive_flow(game, solver, generator, float(t1), n_saves, max_steps, **options)
    else:
        raise ValueError(f"`solver` must be GDA(...), ProximalGDA(...) or DualFlow(...); "
                         f"received {type(solver).__name__}.")
    if throw and is_concrete(sol.result) and Result(int(np.asarray(sol.result))).failed:
        advice = game.discriminator.left_box_advice() if sol.result_name == "LEFT_BOX" else ""
        raise RuntimeError(
            f"the run ended with {sol.result_name} at t = {float(sol.final_time):.6g}; {advice + '; ' if advice else ''}"
            "pass throw=False to get the labelled Solution with its last valid state instead."
        )
    return sol


def _summary(game, masses):
    def summary(x, disc):
        return game.discriminator.summary(game, disc, x, masses), game.discriminator.trace(disc)

    return summary


def _residual(game, masses):
    def residual(x, disc):
        return game.stationarity_residual(disc, x, masses)

    return residual


def _discriminator_start(game, init, generator):
    """`(reference, state)`: the configuration whose best response starts the discriminator
    (`None`: none), and a given start state (`None`: none), from `init_discriminator`."""
    measure = generator.measure(generator.init())
    if isinstance(init, Measure):
        same_masses = not (is_concrete(init.masses) and is_concrete(measure.masses)) or np.allclose(
            init.masses, measure.masses)
        if init.points.shape != measure.points.shape or not same_masses:
            raise ValueError("`init_discriminator` as a Measure must have the generator's shape "
                             f"{measure.points.shape} and masses; received shape {init.points.shape}.")
        return init.points, None
    if isinstance(init, str):
        check_choice("init_discriminator", init, INIT_DISCRIMINATOR)
        return (measure.points if init == "best_response" else None), None
    if isinstance(game.discriminator, ExactRKHS):
        raise ValueError("the exact RKHS discriminator starts at 'zero', at 'best_response' or at the best response "
                         f"to a Measure; received {type(init).__name__}.")
    expected = jax.eval_shape(lambda: game.discriminator.init(game, measure.points, measure.masses, 0))
    shapes = jax.tree_util.tree_map(lambda a: jnp.shape(a), init)
    if (jax.tree_util.tree_structure(init) != jax.tree_util.tree_structure(expected)
            or shapes != jax.tree_util.tree_map(lambda a: a.shape, expected)):
        raise ValueError(f"`init_discriminator` as a state must have the structure and shapes of "
                         f"{type(game.discriminator).__name__}'s state {expected}; received {init!r}.")
    return None, cast_floating(jax.tree_util.tree_map(jnp.asarray, init), measure.points.dtype)


def _initial_discriminator(game, generator, capacity, reference, disc_state):
    if disc_state is not None:
        return disc_state
    x0, masses = generator.points(generator.init()), generator.masses
    disc0 = game.discriminator.init(game, x0, masses, capacity)
    return disc0 if reference is None else game.discriminator.best_response(game, disc0, reference, masses)


def _reference_slot(options):
    """One more history slot when the discriminator starts at a best response: the reference
    configuration must never be overwritten by the run's own pushes."""
    return int(options["reference"] is not None)


def _capacity(game, num_pushes, decay_per_push):
    """History slots for `ExactRKHS` (sized before compilation, from concrete rates)."""
    if isinstance(game.discriminator, ExactRKHS):
        return game.discriminator.capacity(num_pushes + 1, decay_per_push)
    return 0


def _with_run_constants(game):
    """`game` with what stays constant over a run computed once, inside the compiled run, instead
    of at every step or right-hand-side evaluation (a `FiniteRank` critic's data embedding)."""
    if isinstance(game.discriminator, FiniteRank) and game.discriminator.data_embedding is None:
        return eqx.tree_at(lambda g: g.discriminator, game, game.discriminator.with_data_embedding(game))
    return game


def _concrete_or_none(value):
    return np.asarray(value) if is_concrete(value) else None


def _run_gda(game, solver, generator, n_steps, save_every, **options):
    decay = _concrete_or_none(solver.decay_per_push(game.reg) if isinstance(solver, ProximalGDA)
                              else (1 - solver.lr_d * game.reg) ** solver.n_critic)  # per G-step (one push)
    capacity = _capacity(game, n_steps + _reference_slot(options), decay)
    return _run_fixed_steps(game, solver, generator, solver.lr_g, n_steps // save_every + 1, save_every, capacity,
                            label="GDA steps", **options)


def _run_quadrature_flow(game, solver, generator, t1, n_saves, **options):
    dt_max = solver.dt0 if solver.dt0 is not None else t1 / 1000
    steps_per_save = max(1, math.ceil(t1 / (n_saves - 1) / dt_max * (1 - 1e-12)))
    dt = t1 / ((n_saves - 1) * steps_per_save)
    rate = _concrete_or_none(solver.kappa * game.reg)
    capacity = _capacity(game, (n_saves - 1) * steps_per_save + _reference_slot(options), None if rate is None else np.exp(-rate * dt))
    return _run_fixed_steps(game, solver, generator, dt, n_saves, steps_per_save, capacity, label="flow steps",
                            **options)


@eqx.filter_jit
def _run_fixed_steps(game, solver, generator, dt, n_saves, steps_per_save, capacity, *, label, blowup,
                     stationary_tol, progress, reference, disc_state):
    """GDA, or the exact-kernel flow, on a uniform grid of spacing `dt` (`solver.fixed_step`)."""
    game = _with_run_constants(game)
    masses = generator.masses
    disc0 = _initial_discriminator(game, generator, capacity, reference, disc_state)
    ts, xs, (gaps, traces), final = guarded_loop(
        solver.fixed_step(game, generator, dt), generator.init(), disc0, points=generator.points, dt=dt,
        n_saves=n_saves, steps_per_save=steps_per_save,
        summary=_summary(game, masses), residual=_residual(game, masses), domain_margin=game.discriminator.domain_margin,
        blowup=blowup,
        stationary_tol=stationary_tol, progress_label=label if progress else None)
    stats = {"num_steps": final.num_steps}
    if isinstance(final.disc, ExactState):
        stats["dropped_weight"] = final.disc.dropped
    return Solution(ts=ts, points=xs, masses=masses, payoff_gap=gaps, discriminator_trace=traces,
                    final_points=generator.points(final.g), final_generator=final.g,
                    final_discriminator=final.disc, final_time=final.t, result=final.result, stats=stats)


@eqx.filter_jit
def _run_adaptive_flow(game, solver, generator, t1, n_saves, max_steps, *, blowup, stationary_tol, progress,
                       reference, disc_state):
    game = _with_run_constants(game)
    masses = generator.masses
    disc0 = _initial_discriminator(game, generator, 0, reference, disc_state)
    ts = jnp.linspace(0.0, t1, n_saves, dtype=masses.dtype)
    sol = solver.integrate(game, generator, generator.init(), disc0, ts, max_steps=max_steps, blowup=blowup,
                           stationary_tol=stationary_tol, progress=progress)
    (gs, discs), (g_end, disc_end) = sol.ys
    xs = jax.vmap(generator.points)(gs)
    blew, nonfinite, stationary, left = sol.event_mask
    event = sol.result == diffrax.RESULTS.event_occurred
    result = jnp.where(
        sol.result == diffrax.RESULTS.successful, Result.SUCCESSFUL,
        jnp.where(event & blew, Result.BLEW_UP,
                  jnp.where(event & stationary, Result.STATIONARY,
                            jnp.where(event & left, Result.LEFT_BOX,
                                      jnp.where(sol.result == diffrax.RESULTS.max_steps_reached, Result.MAX_STEPS,
                                                Result.NONFINITE)))))
    summary = _summary(game, masses)
    gaps, traces = jax.vmap(summary)(xs, discs)
    stats = {k: sol.stats[k] for k in ("num_steps", "num_accepted_steps", "num_rejected_steps")}
    g_end = jax.tree_util.tree_map(lambda a: a[0], g_end)
    return Solution(ts=sol.ts[0], points=xs, masses=masses, payoff_gap=gaps, discriminator_trace=traces,
                    final_points=generator.points(g_end), final_generator=g_end,
                    final_discriminator=jax.tree_util.tree_map(lambda a: a[0], disc_end),
                    final_time=sol.ts[1][0], result=result.astype(jnp.int32), stats=stats)
