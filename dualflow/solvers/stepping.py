"""A guarded fixed-step loop shared by discrete GDA and the fixed-step exact-kernel flow.

`guarded_loop` runs `n_saves - 1` blocks of `steps_per_save` steps in `lax.scan`,
saving after each block. Every step is checked: a non-finite state, one beyond the
blow-up bound or one outside the discriminator's domain (`domain_margin` < 0, the box of a spectral
lattice) is *not* accepted; the loop freezes at the last good state and records
`Result.NONFINITE` / `Result.BLEW_UP` / `Result.LEFT_BOX`. A step after which the stationarity residual
(`KernelGame.stationarity_residual`: particle speeds and the discriminator's ascent
direction) is below `stationary_tol` is accepted and then freezes the loop with
`Result.STATIONARY`.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from .progress import report
from .solution import Result


def all_finite(tree):
    """True when every entry of every array leaf of `tree` is finite."""
    return jnp.all(jnp.stack([jnp.all(jnp.isfinite(leaf)) for leaf in jax.tree_util.tree_leaves(tree)]))


class LoopState(eqx.Module):
    g: object
    disc: object
    memory: object
    t: jax.Array
    result: jax.Array
    num_steps: jax.Array


def _select(pred, new, old):
    return jax.tree_util.tree_map(lambda a, b: jnp.where(pred, a, b), new, old)


def guarded_loop(
    step,
    g0,
    disc0,
    memory0=None,
    *,
    points,
    dt,
    n_saves: int,
    steps_per_save: int,
    summary,
    residual,
    domain_margin,
    blowup,
    stationary_tol,
    progress_label: str | None,
):
    """Run `step(g, disc, memory, t) -> (g, disc, memory)` on a uniform grid of spacing `dt`; `points(g)` are the
    generator's positions (checked against `blowup` and `domain_margin(x) >= 0`, and saved), `summary(x, disc)`
    is saved with each state, `residual(x, disc)` is compared with `stationary_tol`; `memory` is what a
    solver carries from step to step besides the state (`OptimisticGDA`'s previous gradients; `None`
    for the others), started at `memory0`.

    **Returns:** `(ts, saved_points, saved_summaries, final LoopState)`.
    """
    x0 = points(g0)
    init = LoopState(
        g0, disc0, memory0, jnp.zeros((), x0.dtype), jnp.asarray(Result.SUCCESSFUL, jnp.int32), jnp.zeros((), jnp.int32)
    )

    def one_step(state: LoopState, _):
        running = state.result == Result.SUCCESSFUL
        # a stopped run skips the step (an implicit step that failed is not retried to the end)
        g_new, disc_new, memory_new = jax.lax.cond(
            running,
            lambda: step(state.g, state.disc, state.memory, state.t),
            lambda: (state.g, state.disc, state.memory),
        )
        x_new = points(g_new)
        finite = all_finite((g_new, x_new))
        x_checked = jnp.where(finite, x_new, 0.0)
        inside = jnp.max(jnp.abs(x_checked)) <= blowup
        in_domain = domain_margin(x_checked) >= 0
        accept = running & finite & inside & in_domain
        result = jnp.where(
            ~running,
            state.result,
            jnp.where(
                ~finite,
                Result.NONFINITE,
                jnp.where(~inside, Result.BLEW_UP, jnp.where(~in_domain, Result.LEFT_BOX, Result.SUCCESSFUL)),
            ),
        )
        if stationary_tol is not None:
            at_rest = residual(x_new, disc_new) < stationary_tol
            result = jnp.where(accept & at_rest, Result.STATIONARY, result)
        # t = k dt exactly (no drift from summing dt)
        new = LoopState(
            g_new,
            disc_new,
            memory_new,
            (state.num_steps + 1).astype(x0.dtype) * dt,
            result.astype(jnp.int32),
            state.num_steps + 1,
        )
        kept = LoopState(state.g, state.disc, state.memory, state.t, result.astype(jnp.int32), state.num_steps)
        return _select(accept, new, kept), None

    def block(state, i):
        state, _ = jax.lax.scan(one_step, state, None, length=steps_per_save)
        if progress_label is not None:
            report(progress_label, (i + 1) * steps_per_save, (n_saves - 1) * steps_per_save, steps_per_save)
        x = points(state.g)
        return state, (x, summary(x, state.disc), state.t)

    final, (xs, sums, ts) = jax.lax.scan(block, init, jnp.arange(n_saves - 1))
    ts = jnp.concatenate([init.t[None], ts])
    xs = jnp.concatenate([x0[None], xs])
    sums = jax.tree_util.tree_map(lambda a, b: jnp.concatenate([a[None], b]), summary(x0, disc0), sums)
    return ts, xs, sums, final
