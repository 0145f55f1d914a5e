r"""The discriminator and the generator's velocity field at arbitrary points, for drawing or probing.

$f(z)$ is the discriminator player's own `witness` with the current particles and masses (the
optimal witness is recomputed from them; the others read their state); the velocity is the one a
generator particle of average weight $\bar w$ would have at $z$,
$v(z) = -\bar w\, h_{\text{gen}}'(f(z))\, \nabla f(z)$, the game's own rule
(`KernelGame.velocity_from_witness`), with $\bar w$ the mean mass for the `"mass_weighted"`
convention and $1$ for `"wasserstein"` (exact for uniform masses).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np


def discriminator_field(game, disc_state, points, masses, z):
    r"""The discriminator $f(z)$ and the velocity $v(z) = -\bar w\, h_{\text{gen}}'(f(z))\nabla f(z)$
    of a generator particle of average weight at the points `z`.

    **Arguments:**

    - `game`: a `KernelGame`; `disc_state`: its discriminator's state (e.g.
      `solution.final_discriminator`; `None` for `OptimalWitness`).
    - `points`: `(N, d)` generator positions; `masses`: `(N,)` their masses (`None`: uniform).
    - `z`: `(n, d)` evaluation points.

    **Returns:** `(f, velocity)`, NumPy arrays of shapes `(n,)` and `(n, d)`.
    """
    points = jnp.asarray(points, dtype=game.data.points.dtype)
    if points.ndim != 2 or points.shape[1] != game.data.dim:
        raise ValueError(
            f"`points` must have shape (N, {game.data.dim}) like the game's data; received {points.shape}."
        )
    if masses is None:
        masses = jnp.full(points.shape[0], 1.0 / points.shape[0], dtype=points.dtype)
    masses = jnp.asarray(masses, dtype=points.dtype)
    z = jnp.asarray(z, dtype=points.dtype)
    f, grad = game.discriminator.witness(game, disc_state, points, masses, z)
    weight = jnp.full(f.shape, jnp.mean(game.velocity_weights(masses)))
    velocity = game.velocity_from_witness(f, grad, weight)
    return np.asarray(f), np.asarray(velocity)
