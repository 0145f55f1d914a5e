r"""The compiled runs behind every solver: the guarded fixed-step loop (GDA, the proximal step, the
exact-kernel flow's history quadrature) and the adaptive diffrax solve (finite-state flows), each
returning a `Solution` with the same conventions (`solvers.base`: saves after an early end repeat
the last valid state at the end time)."""

from __future__ import annotations

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp

from .solution import Result, Solution
from .stepping import guarded_loop


def history_pushes(num_steps: int, options) -> int:
    """The configurations a history holds over a run of `num_steps` steps: one per step, the
    initial one, and the reference when the discriminator starts at a best response (which must
    never be overwritten by the run's own pushes)."""
    return num_steps + 1 + int(options["reference"] is not None)


def _summary(game, masses, field_grid):
    """What is saved with every state: the payoff gap, the player's trace and, with a `field_grid`,
    $(f, \nabla f)$ at its points."""
    points = None if field_grid is None else jnp.asarray(field_grid.points, masses.dtype)

    def summary(x, disc):
        field = None
        if points is not None:
            f, grad = game.discriminator.witness(game, disc, x, masses, points)
            field = jnp.concatenate([f[:, None], grad], axis=1)
        return game.discriminator.summary(game, disc, x, masses), game.discriminator.trace(disc), field

    return summary


def _initial_discriminator(game, generator, capacity, reference, disc_state):
    if disc_state is not None:
        return disc_state
    x0, masses = generator.points(generator.init()), generator.masses
    disc0 = game.discriminator.init(game, x0, masses, capacity)
    return disc0 if reference is None else game.discriminator.best_response(game, disc0, reference, masses)


def _with_run_constants(game):
    """`game` with what stays constant over a run computed once, inside the compiled run, instead
    of at every step or right-hand-side evaluation (a `FiniteRank` critic's data embedding)."""
    return eqx.tree_at(lambda g: g.discriminator, game, game.discriminator.with_run_constants(game))


@eqx.filter_jit
def run_fixed_steps(
    game,
    solver,
    generator,
    dt,
    n_saves,
    steps_per_save,
    capacity,
    *,
    label,
    blowup,
    stationary_tol,
    progress,
    reference,
    disc_state,
    field_grid,
):
    """`solver.fixed_step` on a uniform grid of spacing `dt`, saving every `steps_per_save` steps."""
    game = _with_run_constants(game)
    masses = generator.masses
    disc0 = _initial_discriminator(game, generator, capacity, reference, disc_state)
    g0 = generator.init()
    ts, xs, (gaps, traces, fields), final = guarded_loop(
        solver.fixed_step(game, generator, dt),
        g0,
        disc0,
        solver.init_memory(game, generator, g0, disc0),
        points=generator.points,
        dt=dt,
        n_saves=n_saves,
        steps_per_save=steps_per_save,
        summary=_summary(game, masses, field_grid),
        residual=lambda x, disc: game.stationarity_residual(disc, x, masses),
        domain_margin=game.discriminator.domain_margin,
        blowup=blowup,
        stationary_tol=stationary_tol,
        progress_label=label if progress else None,
    )
    stats = {"num_steps": final.num_steps, **game.discriminator.run_stats(final.disc)}
    return Solution(
        ts=ts,
        points=xs,
        masses=masses,
        payoff_gap=gaps,
        discriminator_trace=traces,
        final_points=generator.points(final.g),
        final_generator=final.g,
        final_discriminator=final.disc,
        final_time=final.t,
        result=final.result,
        stats=stats,
        field=fields,
        field_grid=field_grid,
    )


def _result_code(sol):
    """`Result` of a diffrax solution whose events are (blow-up, non-finite, stationary, left box)."""
    blew, _, stationary, left = sol.event_mask
    event = sol.result == diffrax.RESULTS.event_occurred
    return jnp.where(
        sol.result == diffrax.RESULTS.successful,
        Result.SUCCESSFUL,
        jnp.where(
            event & blew,
            Result.BLEW_UP,
            jnp.where(
                event & stationary,
                Result.STATIONARY,
                jnp.where(
                    event & left,
                    Result.LEFT_BOX,
                    jnp.where(sol.result == diffrax.RESULTS.max_steps_reached, Result.MAX_STEPS, Result.NONFINITE),
                ),
            ),
        ),
    ).astype(jnp.int32)


@eqx.filter_jit
def run_adaptive_flow(
    game,
    solver,
    generator,
    t1,
    n_saves,
    max_steps,
    *,
    blowup,
    stationary_tol,
    progress,
    reference,
    disc_state,
    field_grid,
):
    """`solver.integrate` (an adaptive diffrax solve) saving at `n_saves` equally spaced times; saves
    after an early end (diffrax leaves them `inf`) repeat the last state at the end time."""
    game = _with_run_constants(game)
    masses = generator.masses
    disc0 = _initial_discriminator(game, generator, 0, reference, disc_state)
    ts = jnp.linspace(0.0, t1, n_saves, dtype=masses.dtype)
    sol = solver.integrate(
        game,
        generator,
        generator.init(),
        disc0,
        ts,
        max_steps=max_steps,
        blowup=blowup,
        stationary_tol=stationary_tol,
        progress=progress,
    )
    (gs, discs), end = sol.ys
    g_end, disc_end = jax.tree_util.tree_map(lambda a: a[0], end)
    final_time = sol.ts[1][0]
    saved = jnp.isfinite(sol.ts[0])

    def past_end_repeats_the_end(series, last):
        mask = saved.reshape(saved.shape + (1,) * (jnp.ndim(series) - 1))
        return jnp.where(mask, series, last[None])

    gs, discs = jax.tree_util.tree_map(past_end_repeats_the_end, (gs, discs), (g_end, disc_end))
    xs = jax.vmap(generator.points)(gs)
    gaps, traces, fields = jax.vmap(_summary(game, masses, field_grid))(xs, discs)
    stats = {k: sol.stats[k] for k in ("num_steps", "num_accepted_steps", "num_rejected_steps")}
    return Solution(
        ts=jnp.where(saved, sol.ts[0], final_time),
        points=xs,
        masses=masses,
        payoff_gap=gaps,
        discriminator_trace=traces,
        final_points=generator.points(g_end),
        final_generator=g_end,
        final_discriminator=disc_end,
        final_time=final_time,
        result=_result_code(sol),
        stats=stats,
        field=fields,
        field_grid=field_grid,
    )
