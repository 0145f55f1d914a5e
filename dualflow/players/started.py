r"""`StartedAt`: a discriminator player that starts from a given state instead of $f_0 = 0$.

Training starts the RKHS players at $f_0 = 0$ (`solve(..., init_discriminator="zero")`) and
the neural critic at its network's initial weights. Some exact games need another start:
the clipped-WGAN toy (SCIENCE §4) follows $K$ critic parameters that begin *apart*, and
under clipping no best response exists to start from. `StartedAt(player, state)` plays
exactly like `player` (every method is delegated) except that `init` returns `state`.

It is a wrapper rather than a field of each player, so any discriminator can be started
anywhere without touching its class. Code that dispatches on the player's type
(`isinstance(d, FiniteRank)`, e.g. the kernel linearization) sees the wrapper, not the
player: unwrap with `.discriminator` there.
"""

from __future__ import annotations

import equinox as eqx
import jax
import numpy as np

from ..validation import is_concrete
from .discriminators import AbstractDiscriminator


class StartedAt(AbstractDiscriminator):
    r"""The discriminator `discriminator`, started at `state`.

    **Arguments:**

    - `discriminator`: any discriminator player (`FiniteRank`, `NeuralDiscriminator`, ...).
    - `state`: its initial state, a pytree with the structure, shapes and dtypes (up to the
      run's floating dtype) of `discriminator.init(...)`, e.g. `FiniteRankState(theta0)`.

    `solve(..., init_discriminator="best_response")` still replaces the start by the best
    response, as for the bare player.

    **Example:**

    ```python
    critic = StartedAt(FiniteRank(Copies(3)), FiniteRankState(jnp.array([0.2, -0.1, 0.5])))
    ```
    """

    discriminator: AbstractDiscriminator
    state: object

    def __check_init__(self):
        if not isinstance(self.discriminator, AbstractDiscriminator):
            raise ValueError(f"`discriminator` must be a discriminator player; received {self.discriminator!r}.")
        concrete = [leaf for leaf in jax.tree_util.tree_leaves(self.state) if eqx.is_array(leaf) and is_concrete(leaf)]
        if not all(np.all(np.isfinite(np.asarray(leaf))) for leaf in concrete):
            raise ValueError("`state` must be finite.")

    @property
    def requires_linear_payoff(self):
        return self.discriminator.requires_linear_payoff

    @property
    def supports_constraints(self):
        return self.discriminator.supports_constraints

    def init(self, game, x, masses, capacity):
        expected = jax.eval_shape(lambda: self.discriminator.init(game, x, masses, capacity))
        got = jax.eval_shape(lambda: self.state)
        same = jax.tree_util.tree_structure(expected) == jax.tree_util.tree_structure(got) and all(
            a.shape == b.shape for a, b in zip(jax.tree_util.tree_leaves(expected), jax.tree_util.tree_leaves(got)))
        if not same:
            raise ValueError(f"`state` must match {type(self.discriminator).__name__}'s state "
                             f"{jax.tree_util.tree_map(lambda a: a.shape, expected)}; received "
                             f"{jax.tree_util.tree_map(lambda a: a.shape, got)}.")
        return jax.tree_util.tree_map(lambda a, e: a.astype(e.dtype), self.state, expected)

    def best_response(self, game, state, x, masses):
        return self.discriminator.best_response(game, state, x, masses)

    def witness(self, game, state, x, masses, z):
        return self.discriminator.witness(game, state, x, masses, z)

    def ascent_step(self, game, state, x, masses, lr_d, n_critic):
        return self.discriminator.ascent_step(game, state, x, masses, lr_d, n_critic)

    def ascent_direction(self, game, state, x, masses):
        return self.discriminator.ascent_direction(game, state, x, masses)

    def time_derivative(self, game, state, x, masses, kappa):
        return self.discriminator.time_derivative(game, state, x, masses, kappa)

    def ascent_residual(self, game, state, x, masses):
        return self.discriminator.ascent_residual(game, state, x, masses)

    def trace(self, state):
        return self.discriminator.trace(state)

    def summary(self, game, state, x, masses):
        return self.discriminator.summary(game, state, x, masses)
