r"""Small games with exact answers (SCIENCE §4), built from the general machinery.

- `bilinear(s)`: a generator Dirac at $x$ (mass 1) against data $\delta_0$, features
  $\phi(z) = s z$ and no ridge give $L = -s\,\psi\,x$, which is $L = s\,x\,\psi$ after
  $\psi \to -\psi$. The flow conserves $x^2+\psi^2$.
- `dirac_gan()`: Mescheder et al.'s Dirac-GAN, a Dirac at $\theta$ against data $\delta_0$
  with the logistic payoff and linear critic $f(z) = \psi z$; the Jacobian at the
  equilibrium has eigenvalues $\pm i\,h'(0) = \pm i/2$; `dirac_gan(gradient_penalty=g)` damps them.
- `linear_critic(data, a)`: critic $f(z) = \psi^\top z$ with ridge $\frac{a}{2}|\psi|^2$ in the
  payoff (SCIENCE's $f = y\cdot x - \frac a2|y|^2$) on particles: only the
  generator's mean moves (a damped oscillator).
"""

from __future__ import annotations

import jax.numpy as jnp

from ..kernels.features import Identity
from ..measures.measure import Measure
from ..players.discriminators import FiniteRank
from .kernel_game import KernelGame
from .payoffs import Logistic


def bilinear(s=1.0) -> KernelGame:
    """The bilinear game $L = s\\,x\\,\\psi$ on $\\mathbb R \\times \\mathbb R$ (start the
    generator as `Measure([[x0]], [1.0])`)."""
    return KernelGame(data=Measure(jnp.zeros((1, 1)), jnp.ones(1)),
                      discriminator=FiniteRank(Identity(1, scale=s)), reg=0.0)


def dirac_gan(gradient_penalty=0.0) -> KernelGame:
    r"""The Dirac-GAN with the logistic payoff (generator: `Measure([[theta0]], [1.0])`).

    `gradient_penalty` $g \ge 0$ adds $-\frac g2|\nabla_z f|^2 = -\frac g2\psi^2$ to the critic's
    payoff (for a linear critic the gradient penalty is this ridge): the Jacobian at the
    equilibrium then has eigenvalues $-g/2 \pm \sqrt{g^2/4 - h'(0)^2}$, $h'(0) = 1/2$."""
    return KernelGame(data=Measure(jnp.zeros((1, 1)), jnp.ones(1)),
                      discriminator=FiniteRank(Identity(1)), reg=gradient_penalty, payoff=Logistic())


def linear_critic(data: Measure, a=1.0) -> KernelGame:
    """Linear critic $f(z) = \\psi^\\top z$ with ridge $a$ against `data`."""
    return KernelGame(data=data, discriminator=FiniteRank(Identity(data.dim)), reg=a)
