r"""Optimistic gradient descent-ascent (Popov; Daskalakis et al.): each step extrapolates the gradient
from the previous one, through optax's optimistic gradient."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from ..players.base import OPTIMISM
from ..validation import positive_leaf
from .base import AbstractSteppedSolver


class OptimisticGDA(AbstractSteppedSolver):
    r"""Optimistic GDA with rates $\eta_g$ (`lr_g`) and $\eta_d$ (`lr_d`), both players from the old
    state (simultaneous):

    $$x_j^{k+1} = x_j^k + \eta_g\big(2v_j^k - v_j^{k-1}\big),\qquad
    f_{k+1} = f_k + \eta_d\big(2D_k - D_{k-1}\big),$$

    $v^k = v(f_k, X_k)$ the velocity (convention of the game; a parametric generator uses its
    pullback $J(g_k)^\top v^k$), $D_k = \partial_f L(f_k, \mu_k)$ the ascent direction. The first step
    takes $v^{-1} = v^0$, $D_{-1} = D_0$ (a plain GDA step), as optax's `scale_by_optimistic_gradient`
    (which performs the update for the generator and for finite discriminator states; `ExactRKHS`
    does it in closed form on its history, one push per step). Near an equilibrium a flow mode
    $s$ (generator time) gives per-step factors $\rho$ with
    $\rho^2 = \rho(1 + 2\eta s) - \eta s$ (for $\eta_d = \kappa\eta_g$): the past gradient is
    negative momentum that damps the rotation of simultaneous GDA. Saved times are $t = k\,\eta_g$.

    The previous directions are the solver's memory within one run: a run continued from a
    `Solution`'s final state (`init_discriminator=sol.final_discriminator`, or the segments of a
    checkpointed study) starts its memory afresh, so its first step is a plain GDA step.

    **Arguments:** `lr_g`, `lr_d`: positive rates (array leaves: sweeps can `vmap` over them).
    """

    lr_g: ArrayLike = eqx.field(converter=positive_leaf("lr_g"))
    lr_d: ArrayLike = eqx.field(converter=positive_leaf("lr_d"))

    def decay_per_push(self, reg):
        r"""The root of largest magnitude of $\rho^2 = (1 - 2c)\rho + c$, $c = \eta_d\lambda$,
        $(|1 - 2c| + \sqrt{1 + 4c^2})/2$: a history weight's decay per step (one push), $1 - c + O(c^2)$
        (the negative root dominates for $c > 1/2$)."""
        c = self.lr_d * reg
        return (jnp.abs(1 - 2 * c) + jnp.sqrt(1 + 4 * c**2)) / 2

    def init_memory(self, game, generator, g, disc):
        """The previous directions, unset (the first step is plain GDA): optax's state for the
        generator, the player's `optimistic_memory` for the discriminator."""
        return OPTIMISM.init(g), game.discriminator.optimistic_memory(game, disc)

    def linearization_memory(self, game, generator, g, disc):
        """The memory after one step from `(g, disc)`: the previous directions set (for `linearize`)."""
        return self.fixed_step(game, generator, self.lr_g)(g, disc, self.init_memory(game, generator, g, disc), 0.0)[2]

    def linear_state(self, xi, a):
        r"""`((xi, u_xi), (a, u_a))`: offsets and span coefficients with their previous directions."""
        return (xi, jnp.zeros_like(xi)), (a, jnp.zeros_like(a))

    def linear_map(self, generator_field, discriminator_field):
        r"""$(\xi, u_\xi), (a, u_a) \mapsto (\xi + \eta_g(2v - u_\xi), v), (a + \eta_d(2D - u_a), D)$ with
        $v = v(\xi, a)$, $D = \partial L(a, \xi)$."""

        def step(generator_part, discriminator_part):
            (xi, previous_v), (a, previous_d) = generator_part, discriminator_part
            v, d = generator_field(xi, a), discriminator_field(a, xi)
            return (xi + self.lr_g * (2 * v - previous_v), v), (a + self.lr_d * (2 * d - previous_d), d)

        return step

    def fixed_step(self, game, generator, dt):
        r"""The step `(g, disc, memory, t) -> (g, disc, memory)` for `stepping.guarded_loop` (`dt` is
        `lr_g`; `memory`: the previous directions)."""
        masses = generator.masses
        player = game.discriminator

        def step(g, disc, memory, t):
            g_memory, d_memory = memory
            x = generator.points(g)
            velocity = generator.pullback(g, game.generator_velocity(disc, x, masses))
            update, g_memory = OPTIMISM.update(velocity, g_memory)
            disc_new, d_memory = player.optimistic_ascent(game, disc, d_memory, x, masses, self.lr_d)
            return jax.tree_util.tree_map(lambda a, b: a + self.lr_g * b, g, update), disc_new, (g_memory, d_memory)

        return step
