r"""Extragradient (Korpelevich): a look-ahead GDA step, then the step from the old state with the
look-ahead's gradients."""

from __future__ import annotations

from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from ..dynamics.gda_maps import generator_step
from ..validation import positive_leaf
from .base import AbstractSteppedSolver


class Extragradient(AbstractSteppedSolver):
    r"""Extragradient with rates $\eta_g$ (`lr_g`) and $\eta_d$ (`lr_d`): from $(X_k, f_k)$ the
    look-ahead is one simultaneous GDA step,

    $$\tilde x_j = x_j + \eta_g\,v_j(f_k, X_k),\qquad \tilde f = f_k + \eta_d\,\partial_f L(f_k, \mu_k),$$

    and the step uses the look-ahead's gradients at the old state,

    $$x_j' = x_j + \eta_g\,v_j(\tilde f, \tilde X),\qquad f' = f_k + \eta_d\,\partial_f L(\tilde f, \tilde\mu)$$

    (a parametric generator: $g' = g + \eta_g J(\tilde g)^\top v(\tilde f, \tilde X)$; velocity
    convention of the game; a constrained critic is projected after each of the two D-steps).
    Near an equilibrium with Jacobian $J$ (generator time) a flow mode $e^{st}$ becomes
    $1 + \eta s + (\eta s)^2$ per step (for $\eta_d = \kappa\eta_g$), against $1 + \eta s$ for
    simultaneous GDA: it damps the rotation that makes simultaneous GDA spiral out.

    Two velocity and two ascent evaluations per step; `ExactRKHS` pushes two configurations
    ($X_k$ and $\tilde X$) per step. Saved times are $t = k\,\eta_g$.

    **Arguments:** `lr_g`, `lr_d`: positive rates (array leaves: sweeps can `vmap` over them).
    """

    lr_g: ArrayLike = eqx.field(converter=positive_leaf("lr_g"))
    lr_d: ArrayLike = eqx.field(converter=positive_leaf("lr_d"))
    pushes_per_step: ClassVar[int] = 2

    def decay_per_push(self, reg):
        r"""$\sqrt{1 - c + c^2}$, $c = \eta_d\lambda$: a history weight shrinks by $1 - c + c^2$ per step,
        over two pushes."""
        c = self.lr_d * reg
        return jnp.sqrt(1 - c + c**2)

    def linear_map(self, generator_field, discriminator_field):
        r"""The look-ahead $(\tilde\xi, \tilde a)$ by one simultaneous step, then
        $(\xi + \eta_g v(\tilde\xi, \tilde a),\ a + \eta_d\,\partial L(\tilde a, \tilde\xi))$."""

        def step(xi, a):
            xi_look = xi + self.lr_g * generator_field(xi, a)
            a_look = a + self.lr_d * discriminator_field(a, xi)
            return xi + self.lr_g * generator_field(xi_look, a_look), a + self.lr_d * discriminator_field(
                a_look, xi_look
            )

        return step

    def fixed_step(self, game, generator, dt):
        r"""The step `(g, disc, memory, t) -> (g, disc, memory)` for `stepping.guarded_loop` (`dt` is
        `lr_g`; no memory)."""
        masses = generator.masses
        player = game.discriminator

        def step(g, disc, memory, t):
            x = generator.points(g)
            g_look = generator_step(game, generator, g, x, disc, self.lr_g)
            disc_look = player.ascent_step(game, disc, x, masses, self.lr_d, 1)
            x_look = generator.points(g_look)
            velocity = generator.pullback(g_look, game.generator_velocity(disc_look, x_look, masses))
            g_new = jax.tree_util.tree_map(lambda a, b: a + self.lr_g * b, g, velocity)
            disc_new = player.extragradient_ascent(game, disc, disc_look, x_look, masses, self.lr_d)
            return g_new, disc_new, memory

        return step
