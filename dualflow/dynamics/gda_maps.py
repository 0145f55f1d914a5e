r"""One step of discrete gradient descent-ascent, in each step order.

With D-step $\mathcal D$: `n_critic` ascent steps of rate $\eta_d$ with the generator held
fixed, and G-step $\mathcal G$: $g \leftarrow g + \eta_g\,J(g)^\top v(f, X)$ (for free particles
$x_j \leftarrow x_j + \eta_g v_j(f, X)$; velocity convention of the game; $X = X(g)$ the
generator's points, see `players.generators`):

- `"simultaneous"`: $f' = \mathcal D(f, X)$, $X' = X + \eta_g v(f, X)$ (both from the old state);
- `"alternating_d_first"` (Becker et al.): $f' = \mathcal D(f, X)$, $X' = X + \eta_g v(f', X)$
  (new $f$ evaluated at the old $X$);
- `"alternating_g_first"`: $X' = X + \eta_g v(f, X)$, $f' = \mathcal D(f, X')$.
"""

from __future__ import annotations

import jax

STEP_ORDERS = ("simultaneous", "alternating_d_first", "alternating_g_first")
"""The values of `GDA(order=...)`, in the order of the module docstring."""


def generator_step(game, generator, g, x, disc, lr_g):
    r"""Explicit G-step $g + \eta_g\,J(g)^\top v(f, X)$ at the generator's points `x` $= X(g)$."""
    velocity = game.generator_velocity(disc, x, generator.masses)
    return jax.tree_util.tree_map(lambda a, b: a + lr_g * b, g, generator.pullback(g, velocity))


def gda_step(game, generator, order: str, n_critic: int, lr_g, lr_d, g, disc):
    """Advance the generator state `g` and the discriminator `disc` by one GDA step;
    returns the new `(g, disc)`."""
    d, masses = game.discriminator, generator.masses
    x = generator.points(g)
    if order == "simultaneous":
        return generator_step(game, generator, g, x, disc, lr_g), d.ascent_step(game, disc, x, masses, lr_d, n_critic)
    if order == "alternating_d_first":
        disc = d.ascent_step(game, disc, x, masses, lr_d, n_critic)
        return generator_step(game, generator, g, x, disc, lr_g), disc
    if order == "alternating_g_first":
        g_new = generator_step(game, generator, g, x, disc, lr_g)
        return g_new, d.ascent_step(game, disc, generator.points(g_new), masses, lr_d, n_critic)
    raise ValueError(f"`order` must be one of {STEP_ORDERS}; received {order!r}.")
