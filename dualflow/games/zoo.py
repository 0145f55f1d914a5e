r"""Small games with exact answers ([docs/science.md §4][science-exact-references]), built from the general machinery.

- `bilinear(s)`: a generator Dirac at $x$ (mass 1) against data $\delta_0$, features
  $\phi(z) = s z$ and no ridge give $L = -s\,\psi\,x$, which is $L = s\,x\,\psi$ after
  $\psi \to -\psi$. The flow conserves $x^2+\psi^2$.
- `dirac_gan()`: Mescheder et al.'s Dirac-GAN, a Dirac at $\theta$ against data $\delta_0$
  with the logistic payoff and linear critic $f(z) = \psi z$; the Jacobian at the
  equilibrium has eigenvalues $\pm i\,h'(0) = \pm i/2$; `dirac_gan(gradient_penalty=g)` damps them.
- `linear_critic(data, a)`: critic $f(z) = \psi^\top z$ with ridge $\frac{a}{2}|\psi|^2$ in the
  payoff (the linear critic $f = y\cdot x - \frac a2|y|^2$ of [docs/science.md §4][science-exact-references]) on
  particles: only the generator's mean moves (a damped oscillator).
- `clipped_wgan_toy(n_critics, clip, psi0)`: a Dirac at $\theta$ against $\delta_0$, the
  mean-field linear critic $f(z) = \bar\psi z$ of $K$ parameters clipped to $[-c, c]$
  (WGAN, no ridge); closed forms in `analysis.clipped_wgan`.
"""

from __future__ import annotations

import jax.numpy as jnp

from ..kernels.copies import Copies
from ..kernels.features import Identity
from ..measures.measure import Measure
from ..players.finite_rank import FiniteRank
from ..validation import check_int, check_positive, checked_positive
from .kernel_game import KernelGame
from .payoffs import WGAN, Logistic


def bilinear(s=1.0) -> KernelGame:
    """The bilinear game $L = s\\,x\\,\\psi$ on $\\mathbb R \\times \\mathbb R$ (start the
    generator as `Measure([[x0]], [1.0])`)."""
    return KernelGame(
        data=Measure(jnp.zeros((1, 1)), jnp.ones(1)), discriminator=FiniteRank(Identity(1, scale=s)), reg=0.0
    )


def dirac_gan(gradient_penalty=0.0) -> KernelGame:
    r"""The Dirac-GAN with the logistic payoff (generator: `Measure([[theta0]], [1.0])`).

    `gradient_penalty` $g \ge 0$ adds $-\frac g2|\nabla_z f|^2 = -\frac g2\psi^2$ to the critic's
    payoff (for a linear critic the gradient penalty is this ridge): the Jacobian at the
    equilibrium then has eigenvalues $-g/2 \pm \sqrt{g^2/4 - h'(0)^2}$, $h'(0) = 1/2$."""
    return KernelGame(
        data=Measure(jnp.zeros((1, 1)), jnp.ones(1)),
        discriminator=FiniteRank(Identity(1)),
        reg=checked_positive("gradient_penalty", gradient_penalty, allow_zero=True),
        payoff=Logistic(),
    )


def linear_critic(data: Measure, a=1.0) -> KernelGame:
    """Linear critic $f(z) = \\psi^\\top z$ with ridge $a$ against `data`."""
    return KernelGame(
        data=data, discriminator=FiniteRank(Identity(data.dim)), reg=checked_positive("a", a, allow_zero=True)
    )


def clipped_wgan_toy(n_critics: int, clip=1.0) -> KernelGame:
    r"""The clipped-WGAN toy ([docs/science.md §4][science-exact-references]; `analysis.clipped_wgan` has its closed forms).

    Data $\delta_0$; critic $f(z) = \frac1K\sum_k\psi_k z$ (`FiniteRank(Copies(K))`) with the
    WGAN payoff, clipping $c$, no ridge: $L = -\bar\psi\,\theta$ for a generator Dirac at
    $\theta$ (start it as `Measure([[theta0]], [1.0])`). Play it with **$\kappa = K$**,
    `DualFlow(kappa=K)` or `GDA(lr_g=tau, lr_d=K*tau)` (the mean-field time scale: each
    parameter moves with $K\,\partial L/\partial\psi_k = -\theta$); then
    $\dot\theta = \bar\psi$ and $\dot\psi_k = -\theta$ projected on $[-c, c]$.

    **Arguments:**

    - `n_critics`: $K \ge 1$.
    - `clip`: $c > 0$.

    Start the critic parameters apart with `solve(..., init_discriminator=FiniteRankState(psi0))`
    (`psi0` of shape `(K,)` inside $[-c, c]$; the default start is $\psi = 0$).

    **Example:**

    ```python
    game = clipped_wgan_toy(3, clip=1.0)
    sol = solve(game, Measure(jnp.array([[-2.0]]), jnp.ones(1)), DualFlow(kappa=3.0), t1=20.0,
                init_discriminator=FiniteRankState(jnp.array([0.1, 0.3, 0.8])))
    sol.discriminator_trace     # (S, 3): psi over time; aggregates in finite time
    ```
    """
    n_critics = check_int("n_critics", n_critics, minimum=1)
    check_positive("clip", clip)
    return KernelGame(
        data=Measure(jnp.zeros((1, 1)), jnp.ones(1)),
        discriminator=FiniteRank(Copies(n_critics, dim=1)),
        reg=0.0,
        payoff=WGAN(clip=clip),
    )
