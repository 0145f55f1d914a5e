r"""A neural discriminator: the critic $f_\theta$ is a network, $\theta$ follows the payoff's gradient.

$$\dot\theta = \kappa\,\Pi\Big(\partial_\theta\big[\textstyle\sum_i p_i h_r(f_\theta(y_i)) + \sum_j m_j h_f(f_\theta(x_j)) - P(f_\theta)\big] - \lambda\theta\Big)$$

in the flow (generator time, $\kappa = \eta_d/\eta_g$), and $\theta \leftarrow \Pi_{\text{box}}(\theta + \eta_d\,\partial_\theta L)$ in a
GDA D-step; $\lambda$ (`reg`) is weight decay on every parameter, $P$ and the projections $\Pi$
come from the payoff (`WGAN` gradient penalty and clipping; none for the others).
Unlike the RKHS players its witness is not linear in its state, so no closed-form best
response exists: runs start from the network's initial parameters.
"""

from __future__ import annotations

from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp

from .ascent import parameter_ascent
from .base import AbstractDiscriminator


class NeuralDiscriminator(AbstractDiscriminator):
    r"""Critic $f_\theta(z)$ given by an equinox network mapping a point `(d,)` to a scalar.

    **Arguments:** `model`, e.g. `eqx.nn.MLP(d, "scalar", width_size=64, depth=2,
    activation=jax.nn.softplus, key=key)` (a smooth activation keeps $\nabla f$ and the
    flow's vector field smooth). Its floating arrays are the state $\theta$, initialized to
    the model's own values (an explicit key makes runs reproducible).

    **Example:**

    ```python
    critic = NeuralDiscriminator(eqx.nn.MLP(2, "scalar", 64, 2, activation=jax.nn.softplus, key=key))
    game = KernelGame(data, critic, reg=1e-3, payoff=WGAN(gradient_penalty=1.0))
    ```
    """

    supports_constraints: ClassVar[bool] = True
    params0: object
    static: object = eqx.field(static=True)

    def __init__(self, model):
        if not isinstance(model, eqx.Module):
            raise ValueError(f"`model` must be an equinox Module; received {type(model).__name__}.")
        self.params0, self.static = eqx.partition(model, eqx.is_inexact_array)

    def model(self, state):
        """The network with parameters `state`."""
        return eqx.combine(state, self.static)

    def check_dimension(self, dim, dtype):
        """The network must map a point `(dim,)` to a scalar (checked by `jax.eval_shape`, nothing runs)."""
        try:
            out = jax.eval_shape(self.model(self.params0), jax.ShapeDtypeStruct((dim,), dtype))
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"the critic network (`model`) cannot evaluate a point of the data's dimension {dim}: {error}"
            ) from None
        if out.shape != ():
            raise ValueError(
                f"the critic network (`model`) must map a point to a scalar; it returns shape {out.shape}."
            )

    def init(self, game, x, masses, capacity):
        return self.params0

    def best_response(self, game, state, x, masses):
        raise ValueError(
            "a neural discriminator has no closed-form best response; use init_discriminator='zero' "
            "(the network's initial parameters)."
        )

    def _witness(self, params, z):
        model = self.model(params)
        return jax.vmap(jax.value_and_grad(model))(z)

    def witness(self, game, state, x, masses, z):
        return self._witness(state, z)

    def ascent_direction(self, game, state, x, masses):
        r"""$\partial_\theta L(\theta, \mu)$ (a pytree like the parameters)."""
        return parameter_ascent(game, self._witness, state, x, masses)

    def ascent_residual(self, game, state, x, masses):
        leaves = jax.tree_util.tree_leaves(self.ascent_direction(game, state, x, masses))
        return jnp.max(jnp.stack([jnp.max(jnp.abs(leaf)) for leaf in leaves]))

    def ascent_step(self, game, state, x, masses, lr_d, n_critic):
        for _ in range(n_critic):
            step = self.ascent_direction(game, state, x, masses)
            state = game.payoff.project(jax.tree_util.tree_map(lambda p, g: p + lr_d * g, state, step))
        return state

    def time_derivative(self, game, state, x, masses, kappa):
        direction = game.payoff.tangent(state, self.ascent_direction(game, state, x, masses))
        return jax.tree_util.tree_map(lambda g: kappa * g, direction)

    def trace(self, state):
        """Nothing per save (the parameters are in `Solution.final_discriminator`)."""
        return None
