r"""Discrete gradient descent-ascent as a solver."""

from __future__ import annotations

import equinox as eqx
from jax.typing import ArrayLike

from ..dynamics.gda_maps import STEP_ORDERS, ascent_decay, gda_step, ordered_step
from ..validation import check_choice, int_field, positive_leaf
from .base import AbstractSteppedSolver


class GDA(AbstractSteppedSolver):
    r"""Discrete GDA with rates $\eta_g$ (`lr_g`), $\eta_d$ (`lr_d`):

    D-step $f \leftarrow f + \eta_d\,\partial_f L$ (for the kernel IPM
    $f \leftarrow (1-\eta_d\lambda) f + \eta_d(m_\nu - m_\mu)$), repeated `n_critic` times;
    G-step $x_j \leftarrow x_j + \eta_g v_j$ with the game's velocity convention.

    **Arguments:**

    - `lr_g`, `lr_d`: positive rates (array leaves: sweeps can `vmap` over them).
    - `order`: `"simultaneous"`, `"alternating_d_first"` (Becker et al.: the G-step uses
      the new $f$ at the old $X$) or `"alternating_g_first"`.
    - `n_critic`: D-steps per G-step.

    Saved times are $t = k\,\eta_g$, the time of the continuous limit with
    $\kappa = n_{\text{critic}}\,\eta_d/\eta_g$. With an `OptimalWitness` discriminator the
    D-step is the exact best response, so `lr_d`, `n_critic` and `order` play no role.
    """

    lr_g: ArrayLike = eqx.field(converter=positive_leaf("lr_g"))
    lr_d: ArrayLike = eqx.field(converter=positive_leaf("lr_d"))
    order: str = eqx.field(static=True, default="alternating_d_first")
    n_critic: int = eqx.field(static=True, default=1, converter=int_field("n_critic", minimum=1))

    def __check_init__(self):
        check_choice("order", self.order, STEP_ORDERS)

    def linear_map(self, generator_field, discriminator_field):
        r"""The step in `order` of the G-step $\xi \leftarrow \xi + \eta_g\,v(\xi, a)$ and `n_critic`
        D-steps $a \leftarrow a + \eta_d\,\partial L(a, \xi)$ (the generator held), through the one
        step-order ladder (`dynamics.ordered_step`)."""

        def g_step(xi, a):
            return xi + self.lr_g * generator_field(xi, a)

        def d_step(a, xi):
            for _ in range(self.n_critic):
                a = a + self.lr_d * discriminator_field(a, xi)
            return a

        return lambda xi, a: ordered_step(self.order, g_step, d_step, xi, a)

    def decay_per_push(self, reg):
        r"""$(1 - \eta_d\lambda)^{n_{\text{critic}}}$ per G-step (one push)."""
        return ascent_decay(self.lr_d, reg) ** self.n_critic

    def fixed_step(self, game, generator, dt):
        r"""The step function `(g, disc, memory, t) -> (g, disc, memory)` for `stepping.guarded_loop`
        (`dt` is `lr_g`: one GDA step advances generator time by $\eta_g$; no memory)."""

        def step(g, disc, memory, t):
            return *gda_step(game, generator, self.order, self.n_critic, self.lr_g, self.lr_d, g, disc), memory

        return step
