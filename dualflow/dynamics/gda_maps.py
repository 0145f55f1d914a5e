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


def ascent_decay(lr_d, reg):
    r"""$1 - \eta_d\lambda$: the factor by which one explicit D-step of the regularized payoff shrinks
    $f$ ($f \leftarrow (1 - \eta_d\lambda) f + \eta_d\,D(f)$), the same for every player and for
    the linearization."""
    return 1 - lr_d * reg


def ordered_step(order: str, g_step, d_step, g, disc):
    r"""One step of both players in `order` (module docstring): `g_step(g, disc) -> g'` moves the
    generator against the discriminator `disc`, `d_step(disc, g) -> disc'` the discriminator against
    the generator state `g`. The one step-order ladder: explicit GDA, the decoupled proximal step
    and the linearized step map all go through it."""
    if order == "simultaneous":
        return g_step(g, disc), d_step(disc, g)
    if order == "alternating_d_first":
        disc = d_step(disc, g)
        return g_step(g, disc), disc
    if order == "alternating_g_first":
        g_new = g_step(g, disc)
        return g_new, d_step(disc, g_new)
    raise ValueError(f"`order` must be one of {STEP_ORDERS}; received {order!r}.")


def generator_step(game, generator, g, x, disc, lr_g):
    r"""Explicit G-step $g + \eta_g\,J(g)^\top v(f, X)$ at the generator's points `x` $= X(g)$."""
    velocity = game.generator_velocity(disc, x, generator.masses)
    return jax.tree_util.tree_map(lambda a, b: a + lr_g * b, g, generator.pullback(g, velocity))


def gda_step(game, generator, order: str, n_critic: int, lr_g, lr_d, g, disc):
    """Advance the generator state `g` and the discriminator `disc` by one GDA step;
    returns the new `(g, disc)`."""
    masses = generator.masses

    def g_step(g, disc):
        return generator_step(game, generator, g, generator.points(g), disc, lr_g)

    def d_step(disc, g):
        return game.discriminator.ascent_step(game, disc, generator.points(g), masses, lr_d, n_critic)

    return ordered_step(order, g_step, d_step, g, disc)
