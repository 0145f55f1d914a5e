r"""Stateless optimal discriminators, and `OptimalWitness(kernel)`: the fast-discriminator limit
$\kappa\to\infty$, $f^* = (m_\nu - m_\mu)/\lambda$ (kernel IPM payoff only)."""

from __future__ import annotations

from typing import ClassVar

import equinox as eqx
import jax.numpy as jnp

from ..kernels.features import AbstractFeatureMap
from ..kernels.radial import AbstractRadialKernel
from ..kernels.spectral import SpectralLattice, advice_for, check_box, check_lattice_kernel, run_lattice
from ..kernels.sums import kernel_sums
from ..validation import check_choice, float_field
from .base import AbstractDiscriminator


class AbstractOptimalDiscriminator(AbstractDiscriminator):
    """A stateless optimal discriminator: its witness is recomputed from the current particles
    (the fast-discriminator limit), so it has no state, no ascent step and no time derivative."""

    requires_linear_payoff: ClassVar[bool] = True

    @property
    def redrawable(self):
        """Always: stateless, the witness follows from the saved particles."""
        return True

    def init(self, game, x, masses, capacity):
        return None

    def ascent_residual(self, game, state, x, masses):
        return jnp.zeros((), x.dtype)

    def ascent_step(self, game, state, x, masses, lr_d, n_critic):
        return None

    def time_derivative(self, game, state, x, masses, kappa):
        return None

    def ascent_direction(self, game, state, x, masses):
        return None


class OptimalWitness(AbstractOptimalDiscriminator):
    r"""Best response $f^* = \arg\max_f L(f,\mu) = (m_\nu - m_\mu)/\lambda$ (needs $\lambda > 0$):
    the generator then follows the MMD gradient flow of $\mathrm{MMD}^2(\mu,\nu)/(2\lambda)$, the
    $\kappa\to\infty$ limit of the dual flow.

    **Arguments:**

    - `kernel`: a radial kernel (the limit of `ExactRKHS(kernel)` and of `SpectralRKHS(kernel)`)
      or a feature map (the limit of `FiniteRank(features)`: $f^* = \theta^{*\top}\phi$ with
      $\theta^* = (\bar\phi_\nu - \bar\phi_\mu)/\lambda$, mass-weighted sums).
    - `method`: how the witness's kernel sums are taken, `"brute"` (every pair) or `"spectral"`
      (the lattice and two NUFFTs, $O(N + M + G\log G)$: a large-N MMD flow; Gaussian kernels,
      $d \le 3$). With `"spectral"`, `tol`, `box` and `lattice` mean what they mean for
      `SpectralRKHS`, and a particle leaving the box ends the run with `Result.LEFT_BOX`.

    Stateless: the witness is recomputed from the current particles."""

    kernel: AbstractRadialKernel | AbstractFeatureMap
    method: str = eqx.field(static=True, default="brute")
    tol: float = eqx.field(static=True, default=1e-10, converter=float_field("tol"))
    box: tuple[float, float] | None = eqx.field(static=True, default=None, converter=check_box)
    lattice: SpectralLattice | None = None

    def __check_init__(self):
        if not isinstance(self.kernel, (AbstractRadialKernel, AbstractFeatureMap)):
            raise ValueError(f"`kernel` must be a radial kernel or a feature map; received {self.kernel!r}.")
        check_choice("method", self.method, ("brute", "spectral"))
        if self.method == "spectral":
            check_lattice_kernel(self.kernel, 1)

    def prepared(self, game, x0):
        if self.method == "brute" or self.lattice is not None:
            return self
        lattice = run_lattice(self.kernel, self.tol, self.box, game.data.points, x0)
        return OptimalWitness(self.kernel, self.method, self.tol, self.box, lattice)

    def domain_margin(self, x):
        return super().domain_margin(x) if self.lattice is None else self.lattice.margin(x)

    def left_box_advice(self):
        return "" if self.lattice is None else advice_for(self.lattice)

    def witness(self, game, state, x, masses, z):
        centres = jnp.concatenate([game.data.points, x])
        coefs = jnp.concatenate([game.data.masses, -masses]) / game.reg
        if isinstance(self.kernel, AbstractFeatureMap):
            return self.kernel.witness(coefs @ self.kernel.values(centres), z)
        if self.method == "spectral" and self.lattice is None:
            raise ValueError(
                "this spectral OptimalWitness has no lattice yet: `solve` fixes it from the data and the "
                "initial particles; elsewhere call `discriminator.prepared(game, x0)` first."
            )
        return kernel_sums(self.kernel, z, centres, coefs, method=self.method, lattice=self.lattice)
