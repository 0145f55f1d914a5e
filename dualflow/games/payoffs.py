r"""Payoffs of the form $L(f, \mu) = \sum_i p_i\, h_{\text{real}}(f(y_i)) + \sum_j m_j\, h_{\text{fake}}(f(x_j)) - \tfrac{\lambda}{2}\|f\|^2 - P(f)$.

The discriminator ascends $L$; the generator descends its own loss
$\sum_j m_j\, h_{\text{gen}}(f(x_j))$, which is $h_{\text{gen}} = h_{\text{fake}}$ (the zero-sum game)
except for the non-saturating loss. The particle velocity is
$v_j = -w_j\, h_{\text{gen}}'(f(x_j))\, \nabla f(x_j)$ ($w_j = m_j$ or $1$, see the velocity
conventions in `games.kernel_game`). $P$ is a Lipschitz penalty of the critic (WGAN-GP), zero otherwise.

- `KernelIPM`: $h_{\text{real}}(t) = t$, $h_{\text{fake}}(t) = -t$, the kernel game of
  Becker et al. and Turinici (linear in $\mu$; optimal discriminator $(m_\nu - m_\mu)/\lambda$).
- `Logistic`: $h_{\text{real}}(t) = \log\sigma(t)$, $h_{\text{fake}}(t) = \log(1-\sigma(t))$,
  the vanilla GAN with $D = \sigma(f)$; with a linear critic it is the Dirac-GAN.
- `NonSaturating`: the logistic discriminator, and the generator minimizes
  $-\sum_j m_j \log\sigma(f(x_j))$ instead ($h_{\text{gen}}(t) = -\log\sigma(t)$). Two payoffs:
  the game is **not zero-sum**, so it lies outside the single-payoff theory (no saddle
  point of one $L$; the dynamics can still be simulated and linearized as a vector field).
- `WGAN`: $h_{\text{real}}(t) = t$, $h_{\text{fake}}(t) = -t$ with a Lipschitz-constrained critic:
  parameter clipping to $[-c, c]$ (projected ascent) and/or the gradient penalty
  $P(f) = \frac g2 \sum_k \omega_k (|\nabla f(z_k)| - 1)^2$ on the data and generator points
  ($\omega = \frac12(p, m)$, the deterministic counterpart of sampling interpolates).
  The constraints act on parameters: play it with `FiniteRank` or `NeuralDiscriminator`.
"""

from __future__ import annotations

import abc
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from ..validation import checked_positive, is_concrete, positive_leaf


class AbstractPayoff(eqx.Module):
    """Link functions of the real and fake terms (derivatives by autodiff), the generator's
    link, and the critic's constraints (none by default)."""

    #: True when $L$ is linear in $f$ (closed-form histories and optimal witnesses exist).
    linear: eqx.AbstractClassVar[bool]
    #: False when the generator minimizes a loss other than $L$ (two payoffs).
    zero_sum: ClassVar[bool] = True
    #: True when the critic's parameters are constrained (clipping, gradient penalty).
    constrained: ClassVar[bool] = False

    @abc.abstractmethod
    def real(self, t):
        """$h_{\\text{real}}(t)$, elementwise."""

    @abc.abstractmethod
    def fake(self, t):
        """$h_{\\text{fake}}(t)$, elementwise."""

    def real_slope(self, t):
        """$h_{\\text{real}}'(t)$."""
        return jnp.vectorize(jax.grad(self.real))(t)

    def fake_slope(self, t):
        """$h_{\\text{fake}}'(t)$."""
        return jnp.vectorize(jax.grad(self.fake))(t)

    def generator_slope(self, t):
        """$h_{\\text{gen}}'(t)$, the slope of the generator's loss ($= h_{\\text{fake}}'$ when zero-sum)."""
        return self.fake_slope(t)

    def value(self, f_real, f_fake, grad_real, grad_fake, real_masses, fake_masses):
        r"""The discriminator's objective without the ridge:
        $\sum_i p_i h_{\text{real}}(f(y_i)) + \sum_j m_j h_{\text{fake}}(f(x_j)) - P(f)$, from the
        witness values and gradients at the data and the generator points."""
        return real_masses @ self.real(f_real) + fake_masses @ self.fake(f_fake)

    def project(self, params):
        """The critic's parameters after a constrained ascent step (identity: no constraint)."""
        return params

    def tangent(self, params, velocity):
        """The parameter velocity of the constrained flow (identity: no constraint)."""
        return velocity


class KernelIPM(AbstractPayoff):
    """$L = \\sum_i p_i f(y_i) - \\sum_j m_j f(x_j) - \\frac{\\lambda}{2}\\|f\\|^2$ ([docs/science.md §2][science-kernel-game])."""

    linear: ClassVar[bool] = True

    def real(self, t):
        return t

    def fake(self, t):
        return -t

    def real_slope(self, t):
        return jnp.ones_like(t)

    def fake_slope(self, t):
        return -jnp.ones_like(t)


class Logistic(AbstractPayoff):
    """Vanilla GAN: $L = \\sum_i p_i \\log\\sigma(f(y_i)) + \\sum_j m_j \\log(1 - \\sigma(f(x_j)))$."""

    linear: ClassVar[bool] = False

    def real(self, t):
        return jax.nn.log_sigmoid(t)

    def fake(self, t):
        return jax.nn.log_sigmoid(-t)


class NonSaturating(Logistic):
    r"""The non-saturating GAN: the discriminator ascends the logistic payoff, the generator
    descends $-\sum_j m_j \log\sigma(f(x_j))$ (Goodfellow et al.'s practical loss). **Not
    zero-sum**: two payoffs, outside the single-payoff theory of [docs/science.md §2][science-kernel-game]."""

    zero_sum: ClassVar[bool] = False

    def generator_slope(self, t):
        return -jax.nn.sigmoid(-t)  # d/dt of -log(sigmoid(t))


def _optional_clip(value):
    return None if value is None else checked_positive("clip", value)


def _is_zero(value) -> bool:
    """`value` is concrete and zero (a traced weight may be anything: its terms are kept)."""
    return is_concrete(value) and not np.any(np.asarray(value))


class WGAN(AbstractPayoff):
    r"""Wasserstein GAN: $L = \sum_i p_i f(y_i) - \sum_j m_j f(x_j) - \frac\lambda2\|\theta\|^2 - P(f)$
    with a Lipschitz-constrained critic.

    **Arguments:**

    - `clip`: $c > 0$ clips every critic parameter to $[-c, c]$ after each ascent step; in
      the flow the parameter velocity is projected on the box (components pushing outward at
      the boundary are zeroed). `None`: no clipping.
    - `gradient_penalty`: $g \ge 0$, the weight of $P(f) = \frac g2\sum_k\omega_k(|\nabla f(z_k)|-1)^2$
      over the data and generator points, $\omega = \frac12(p, m)$.

    At least one of the two must be set (without either the critic is unconstrained:
    use `KernelIPM` with a ridge). Both are array leaves: a vmapped sweep over the clip or the
    penalty weight compiles once (and checks them at run time, `validation.checked_positive`).
    """

    linear: ClassVar[bool] = False
    constrained: ClassVar[bool] = True
    clip: ArrayLike | None = eqx.field(default=None, converter=_optional_clip)
    gradient_penalty: ArrayLike = eqx.field(default=0.0, converter=positive_leaf("gradient_penalty", allow_zero=True))

    def __check_init__(self):
        if self.clip is None and _is_zero(self.gradient_penalty):
            raise ValueError(
                "WGAN needs `clip` or `gradient_penalty` > 0 (a Lipschitz constraint); for an "
                "unconstrained critic use KernelIPM with a ridge `reg`."
            )

    def real(self, t):
        return t

    def fake(self, t):
        return -t

    def value(self, f_real, f_fake, grad_real, grad_fake, real_masses, fake_masses):
        ipm = real_masses @ f_real - fake_masses @ f_fake
        if _is_zero(self.gradient_penalty):  # known to be zero at construction: no penalty terms
            return ipm
        grads = jnp.concatenate([grad_real, grad_fake])
        weights = 0.5 * jnp.concatenate([real_masses / jnp.sum(real_masses), fake_masses / jnp.sum(fake_masses)])
        norms = jnp.sqrt(jnp.sum(grads**2, axis=-1) + jnp.finfo(grads.dtype).tiny)
        return ipm - 0.5 * self.gradient_penalty * (weights @ (norms - 1) ** 2)

    def project(self, params):
        if self.clip is None:
            return params
        return jax.tree_util.tree_map(lambda a: jnp.clip(a, -self.clip, self.clip), params)

    def tangent(self, params, velocity):
        if self.clip is None:
            return velocity

        def project(a, v):
            outward = ((a >= self.clip) & (v > 0)) | ((a <= -self.clip) & (v < 0))
            return jnp.where(outward, 0.0, v)

        return jax.tree_util.tree_map(project, params, velocity)
