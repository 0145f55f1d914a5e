r"""The GAN game between free particles and a discriminator ([docs/science.md §2][science-kernel-game]).

$$L(f, \mu) = \sum_i p_i\,h_{\text{real}}(f(y_i)) + \sum_j m_j\,h_{\text{fake}}(f(x_j)) - \frac{\lambda}{2}\|f\|^2,$$

the kernel IPM $\sum_i p_i f(y_i) - \sum_j m_j f(x_j) - \frac\lambda2\|f\|_H^2$ by default.

**Velocity conventions** of the free-particle generator (both first-class, chosen by name):

- `"mass_weighted"`: $\dot x_j = -m_j\,h_{\text{fake}}'(f(x_j))\,\nabla f(x_j)$ ($= m_j \nabla f(x_j)$
  for the IPM): the Euclidean gradient of the finite game in the positions, Becker et al.'s form.
- `"wasserstein"`: $\dot x_j = -h_{\text{fake}}'(f(x_j))\,\nabla f(x_j)$: the particle form of the
  Wasserstein gradient flow $\partial_t\mu = \operatorname{div}(\mu\,\nabla \tfrac{\delta L}{\delta\mu})$, Turinici's form.

With uniform masses $1/N$ the two differ by a factor $N$ in time.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from ..measures.measure import Measure
from ..players.base import AbstractDiscriminator
from ..players.optimal import OptimalWitness
from ..precision import cast_floating
from ..validation import check_choice, checked_positive
from .payoffs import AbstractPayoff, KernelIPM

VELOCITY_CONVENTIONS = ("mass_weighted", "wasserstein")
r"""The values of `KernelGame(velocity=...)`: `"mass_weighted"` ($v_j = m_j\nabla f(x_j)$, the
Euclidean gradient of the finite game) and `"wasserstein"` ($v_j = \nabla f(x_j)$, the particle
form of the Wasserstein flow of measures)."""


class KernelGame(eqx.Module):
    r"""A GAN game: data measure, discriminator player, payoff, ridge and velocity convention.

    **Arguments:**

    - `data`: the target $\nu = \sum_i p_i\delta_{y_i}$ (a `Measure`).
    - `discriminator`: `ExactRKHS(kernel)`, `FiniteRank(features)` or `OptimalWitness(kernel)`.
    - `reg`: ridge $\lambda \ge 0$ (array leaf; `OptimalWitness` needs $\lambda > 0$).
    - `payoff`: `KernelIPM()` (default), `Logistic()`, `NonSaturating()` or `WGAN(clip, gradient_penalty)`.
    - `velocity`: `"mass_weighted"` (default) or `"wasserstein"`.

    **Example:**

    ```python
    game = KernelGame(data=Measure(y, p), discriminator=ExactRKHS(Gaussian(bandwidth=1.0)), reg=0.1)
    ```
    """

    data: Measure
    discriminator: AbstractDiscriminator
    reg: jax.Array
    payoff: AbstractPayoff
    velocity: str = eqx.field(static=True)

    def __init__(self, data, discriminator, reg=0.0, payoff=None, velocity="mass_weighted"):
        if not isinstance(data, Measure):
            raise ValueError(f"`data` must be a dualflow Measure; received {type(data).__name__}.")
        if not isinstance(discriminator, AbstractDiscriminator):
            raise ValueError(
                "`discriminator` must be a discriminator player such as ExactRKHS, FiniteRank or OptimalWitness; "
                f"received {type(discriminator).__name__}."
            )
        payoff = KernelIPM() if payoff is None else payoff
        if not isinstance(payoff, AbstractPayoff):
            raise ValueError(f"`payoff` must be a payoff such as KernelIPM(); received {payoff!r}.")
        check_choice("velocity", velocity, VELOCITY_CONVENTIONS)
        if payoff.constrained and not discriminator.supports_constraints:
            raise ValueError(
                f"{type(payoff).__name__}'s Lipschitz constraints (clipping, gradient penalty) act on a critic's "
                f"parameters; `{type(discriminator).__name__}` has none. Use FiniteRank or NeuralDiscriminator."
            )
        if discriminator.requires_linear_payoff and not payoff.linear:
            raise ValueError(
                f"`{type(discriminator).__name__}` has a closed form only for payoffs linear in f "
                f"(KernelIPM); received {type(payoff).__name__}. Use FiniteRank features instead."
            )
        discriminator.check_dimension(data.dim, data.points.dtype)
        self.data = data
        self.discriminator = cast_floating(discriminator, data.points.dtype)
        self.reg = checked_positive(
            "reg", reg, allow_zero=not isinstance(discriminator, OptimalWitness), dtype=data.points.dtype
        )
        self.payoff = cast_floating(payoff, data.points.dtype)  # its array leaves (WGAN) in the data dtype
        self.velocity = velocity

    def velocity_weights(self, masses):
        """$w_j$: the masses (`mass_weighted`) or ones (`wasserstein`)."""
        return masses if self.velocity == "mass_weighted" else jnp.ones_like(masses)

    def generator_velocity(self, disc_state, x, masses):
        """$\\dot x_j = -w_j\\,h_{\\text{gen}}'(f(x_j))\\,\\nabla f(x_j)$, shape `(N, d)`."""
        f, grad = self.discriminator.witness(self, disc_state, x, masses, x)
        return self.velocity_from_witness(f, grad, self.velocity_weights(masses))

    def velocity_from_witness(self, f, grad, weights):
        """$-w\\,h_{\\text{gen}}'(f)\\,\\nabla f$ from witness values `f` `(n,)`, gradients `grad`
        `(n, d)` and velocity weights `weights` `(n,)` (also for points that are not particles,
        e.g. to draw the velocity field on a grid)."""
        return (-weights * self.payoff.generator_slope(f))[:, None] * grad

    def stationarity_residual(self, disc_state, x, masses):
        r"""$\max(\max_j |\dot x_j|, |\partial_f L|)$: zero exactly at a stationary point of
        the joint dynamics (the particles at rest *and* the discriminator at its best response)."""
        speed = jnp.max(jnp.abs(self.generator_velocity(disc_state, x, masses)))
        return jnp.maximum(speed, self.discriminator.ascent_residual(self, disc_state, x, masses))


def check_game_and_measure(game, measure, name: str) -> None:
    """Raise `ValueError` unless `game` is a `KernelGame` and `measure` (the argument called
    `name`) a `Measure` of the data's dimension."""
    if not isinstance(game, KernelGame):
        raise ValueError(f"`game` must be a KernelGame; received {type(game).__name__}.")
    if not isinstance(measure, Measure):
        raise ValueError(f"`{name}` must be a dualflow Measure; received {type(measure).__name__}.")
    if measure.dim != game.data.dim:
        raise ValueError(f"`{name}` points have dimension {measure.dim} but the data have dimension {game.data.dim}.")
