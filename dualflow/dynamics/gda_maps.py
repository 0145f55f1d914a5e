r"""One step of discrete gradient descent-ascent, in each step order.

With D-step $\mathcal D$: `n_critic` ascent steps of rate $\eta_d$ with the generator held
fixed, and G-step $\mathcal G$: $x_j \leftarrow x_j + \eta_g v_j(f, X)$ (velocity convention
of the game):

- `"simultaneous"`: $f' = \mathcal D(f, X)$, $X' = X + \eta_g v(f, X)$ (both from the old state);
- `"alternating_d_first"` (Becker et al.): $f' = \mathcal D(f, X)$, $X' = X + \eta_g v(f', X)$
  (new $f$ evaluated at the old $X$);
- `"alternating_g_first"`: $X' = X + \eta_g v(f, X)$, $f' = \mathcal D(f, X')$.
"""

from __future__ import annotations

STEP_ORDERS = ("simultaneous", "alternating_d_first", "alternating_g_first")


def gda_step(game, order: str, n_critic: int, lr_g, lr_d, x, disc, masses):
    """Advance `(x, disc)` by one GDA step; returns the new `(x, disc)`."""
    d = game.discriminator

    def g_step(state):
        return x + lr_g * game.generator_velocity(state, x, masses)

    if order == "simultaneous":
        return g_step(disc), d.ascent_step(game, disc, x, masses, lr_d, n_critic)
    if order == "alternating_d_first":
        disc = d.ascent_step(game, disc, x, masses, lr_d, n_critic)
        return g_step(disc), disc
    if order == "alternating_g_first":
        x_new = g_step(disc)
        return x_new, d.ascent_step(game, disc, x_new, masses, lr_d, n_critic)
    raise ValueError(f"`order` must be one of {STEP_ORDERS}; received {order!r}.")
