r"""Payoffs of the form $L(f, \mu) = \sum_i p_i\, h_{\text{real}}(f(y_i)) + \sum_j m_j\, h_{\text{fake}}(f(x_j)) - \tfrac{\lambda}{2}\|f\|^2$.

The discriminator ascends $L$, the generator descends it. The particle velocity is
$v_j = -w_j\, h_{\text{fake}}'(f(x_j))\, \nabla f(x_j)$ ($w_j = m_j$ or $1$, see the
velocity conventions in `games.kernel_game`).

- `KernelIPM`: $h_{\text{real}}(t) = t$, $h_{\text{fake}}(t) = -t$, the kernel game of
  Becker et al. and Turinici (linear in $\mu$; optimal discriminator $(m_\nu - m_\mu)/\lambda$).
- `Logistic`: $h_{\text{real}}(t) = \log\sigma(t)$, $h_{\text{fake}}(t) = \log(1-\sigma(t))$,
  the vanilla GAN with $D = \sigma(f)$; with a linear critic it is the Dirac-GAN.
"""

from __future__ import annotations

import abc
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp


class AbstractPayoff(eqx.Module):
    """Link functions of the real and fake terms (derivatives by autodiff)."""

    #: True when $L$ is linear in $f$ (closed-form histories and optimal witnesses exist).
    linear: eqx.AbstractClassVar[bool]

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


class KernelIPM(AbstractPayoff):
    """$L = \\sum_i p_i f(y_i) - \\sum_j m_j f(x_j) - \\frac{\\lambda}{2}\\|f\\|^2$ (SCIENCE §2)."""

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
