r"""`SpectralRKHS`: the exact Gaussian-kernel discriminator held by its lattice Fourier coefficients.

On a spectral lattice (`kernels.spectral`: frequencies $\omega_k = 2\pi k/L$, weights
$w_k = \hat s(\omega_k)(2\pi/L)^d$) every function of the RKHS spanned by the game's points is

$$f(x) = \operatorname{Re}\sum_k w_k\,\theta_k\,e^{i\omega_k\cdot(x - c)}, \qquad
\langle f, g\rangle_H = \operatorname{Re}\sum_k w_k\,\theta_k\bar\vartheta_k,$$

and $\sum_j \pi_j K(\cdot, z_j)$ has coefficients $\hat\pi_k = \sum_j \pi_j e^{-i\omega_k\cdot(z_j - c)}$
(a type-1 NUFFT). So the D-step and the flow of the discriminator ([docs/science.md §6][science-spectral]) are exact
finite maps of $\theta$, with no history:

$$\theta \leftarrow (1 - \eta_d\lambda)\,\theta + \eta_d\,\hat D(\theta), \qquad
\dot\theta = \kappa\big(\hat D(\theta) - \lambda\theta\big), \qquad
\hat D_k = \sum_i p_i h_r'(f(y_i))\,e^{-i\omega_k\cdot(y_i - c)} + \sum_j m_j h_f'(f(x_j))\,e^{-i\omega_k\cdot(x_j - c)},$$

($\hat D = \hat\nu - \hat\mu$ for the kernel IPM), and the witness and its gradient at the
particles are one batched type-2 NUFFT. Cost $O(N + M + G\log G)$ per step, memory $O(G)$.
The state is the real and imaginary parts of $\theta$, a real array of shape `(2,) + (modes,) * d`
(the anti-Hermitian part of $\theta$ is invisible in $f$ and only decays at the rest rate
$-\kappa\lambda$).

The representation is the Gaussian kernel to `tol` only while every point stays in the
lattice's box; a particle that leaves it ends the run with `Result.LEFT_BOX` (and the last valid
state), never a silently wrong answer.
"""

from __future__ import annotations

from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp

from ..dynamics.gda_maps import ascent_decay
from ..kernels.radial import AbstractRadialKernel
from ..kernels.spectral import SpectralLattice, advice_for, check_box, check_lattice_kernel, run_lattice
from ..validation import float_field
from .ascent import best_response_slopes, geometric_sum, inverse_reg
from .base import SMALL_TRACE, AbstractDiscriminator


class SpectralState(eqx.Module):
    r"""$\theta$ of $f = \operatorname{Re}\sum_k w_k\theta_k e^{i\omega_k\cdot(x - c)}$: real and imaginary
    parts stacked, shape `(2,) + (modes,) * d`."""

    coefs: jax.Array

    def complex(self):
        """$\\theta$ as a complex array `(modes,) * d`."""
        return jax.lax.complex(self.coefs[0], self.coefs[1])


def _real_parts(theta):
    return jnp.stack([jnp.real(theta), jnp.imag(theta)])


class SpectralRKHS(AbstractDiscriminator):
    r"""The exact RKHS discriminator of a Gaussian (or multiscale-Gaussian) kernel, held to `tol` by
    its lattice Fourier coefficients (module docstring; [docs/science.md §6][science-spectral]).

    Plays in `GDA` (every order, `n_critic`), `ProximalGDA` (decoupled; the joint step's dense
    Newton solve over $2G$ lattice coefficients is refused), `DualFlow` with any diffrax solver
    (adaptive by default: the spectral flow is an exact finite ODE), `linearize` and phase
    diagrams, with the kernel IPM and the other payoffs linear in the discriminator's
    coefficients (logistic, non-saturating; not WGAN's constraints), in both velocity conventions.

    **Arguments:**

    - `kernel`: `Gaussian` or `Multiscale` of Gaussians.
    - `tol`: the kernel's accuracy, $|K_{\text{lattice}} - K| \le$ `tol` $K(0)$ for points in the
      box (the lattice's cut-off, margin and NUFFT precision follow from it, `kernels.spectral`).
    - `box`: `(lower, upper)`, the cube $[\ell, u]^d$ the particles may occupy (`None`: the data
      and initial particles with their own extent, at least one bandwidth, as room on
      each side; fixed by `solve` before compilation). A particle leaving it ends the run with
      `Result.LEFT_BOX`.
    - `lattice`: a ready `SpectralLattice` (overrides `box` and `tol`): pass one built outside a
      `vmap` over bandwidths (`SpectralLattice.fit(..., bandwidths=(smallest, largest))`).

    ```python
    game = df.KernelGame(df.ring8(), df.SpectralRKHS(df.Gaussian(0.4)), reg=0.05)
    sol = df.solve(game, x0, df.DualFlow(kappa=3.0), t1=50.0)   # adaptive Tsit5, no history
    ```
    """

    linearization: ClassVar[str] = "kernel"
    joint_proximal: ClassVar[bool] = False
    kernel: AbstractRadialKernel
    tol: float = eqx.field(static=True, default=1e-10, converter=float_field("tol"))
    box: tuple[float, float] | None = eqx.field(static=True, default=None, converter=check_box)
    lattice: SpectralLattice | None = None

    def __check_init__(self):
        check_lattice_kernel(self.kernel, 1)
        if not self.tol < 1:
            raise ValueError(f"`tol` must be below 1; received {self.tol!r}.")
        if self.lattice is not None and not isinstance(self.lattice, SpectralLattice):
            raise ValueError(f"`lattice` must be a SpectralLattice; received {self.lattice!r}.")

    # ---- the lattice -------------------------------------------------------------------
    def prepared(self, game, x0):
        if self.lattice is not None:
            check_lattice_kernel(self.kernel, x0.shape[1])
            if self.lattice.dim != x0.shape[1]:
                raise ValueError(
                    f"the lattice is for points in dimension {self.lattice.dim}; the particles have "
                    f"dimension {x0.shape[1]}."
                )
            return self
        lattice = run_lattice(self.kernel, self.tol, self.box, game.data.points, x0)
        return SpectralRKHS(self.kernel, self.tol, self.box, lattice)

    def _lattice(self) -> SpectralLattice:
        if self.lattice is None:
            raise ValueError(
                "this SpectralRKHS has no lattice yet: `solve` and `linearize` fix it from the data and "
                "the initial particles; elsewhere call `discriminator.prepared(game, x0)` first."
            )
        return self.lattice

    def domain_margin(self, x):
        return self._lattice().margin(x)

    def left_box_advice(self):
        return advice_for(self._lattice())

    # ---- the player --------------------------------------------------------------------
    def init(self, game, x, masses, capacity):
        lattice = self._lattice()
        check_lattice_kernel(self.kernel, x.shape[1])
        return SpectralState(jnp.zeros((2,) + (lattice.modes,) * lattice.dim, x.dtype))

    def _function(self, theta, z):
        """$(f(z), \\nabla f(z))$ of the lattice function with coefficients `theta` (complex)."""
        lattice = self._lattice()
        return lattice.evaluate(lattice.weights(self.kernel, z.dtype).astype(theta.dtype) * theta, z)

    def witness(self, game, state, x, masses, z):
        return self._function(state.complex(), z)

    def _point_coefficients(self, game, state, x, masses):
        r"""The masses $\pi$ on $z = (y, x)$ of $\partial_f L + \lambda f = \sum_k \pi_k K(\cdot, z_k)$:
        $(p_i h_r'(f(y_i)),\ m_j h_f'(f(x_j)))$."""
        m = game.data.size
        if game.payoff.linear:
            zeros = jnp.zeros(m + x.shape[0], x.dtype)
            real, fake = game.payoff.real_slope(zeros[:m]), game.payoff.fake_slope(zeros[m:])
        else:
            f, _ = self.witness(game, state, x, masses, jnp.concatenate([game.data.points, x]))
            real, fake = game.payoff.real_slope(f[:m]), game.payoff.fake_slope(f[m:])
        return jnp.concatenate([game.data.masses * real, masses * fake])

    def drive(self, game, state, x, masses):
        r"""$\hat D$: the lattice coefficients of $\partial_f L + \lambda f$ ($\hat\nu - \hat\mu$ for the IPM), real
        and imaginary parts stacked like the state."""
        z = jnp.concatenate([game.data.points, x])
        return _real_parts(self._lattice().transform(z, self._point_coefficients(game, state, x, masses)))

    def ascent_step(self, game, state, x, masses, lr_d, n_critic):
        decay = ascent_decay(lr_d, game.reg)
        if game.payoff.linear:  # the drive does not depend on f: closed form of n_critic steps
            increment = lr_d * geometric_sum(decay, n_critic)
            return SpectralState(decay**n_critic * state.coefs + increment * self.drive(game, state, x, masses))
        for _ in range(n_critic):
            state = SpectralState(decay * state.coefs + lr_d * self.drive(game, state, x, masses))
        return state

    def ascent_direction(self, game, state, x, masses):
        r"""$\hat D - \lambda\theta$: the coefficients of $\partial_f L$, as a `SpectralState` (the proximal
        step of `ProximalGDA` solves $\theta' = \theta + \eta_d(\hat D(\theta') - \lambda\theta')$ with it)."""
        return SpectralState(self.drive(game, state, x, masses) - game.reg * state.coefs)

    def time_derivative(self, game, state, x, masses, kappa):
        return SpectralState(kappa * self.ascent_direction(game, state, x, masses).coefs)

    def best_response(self, game, state, x, masses):
        r"""$\theta^* = \hat D(\theta^*)/\lambda$: $(\hat\nu - \hat\mu)/\lambda$ for the kernel IPM; for other
        payoffs the point coefficients of the best response (`best_response_slopes`) transformed."""
        inv = inverse_reg(game).astype(x.dtype)
        if game.payoff.linear:
            return SpectralState(inv * self.drive(game, state, x, masses))
        weights = jnp.concatenate([game.data.masses, masses]) * best_response_slopes(self.kernel, game, x, masses)
        z = jnp.concatenate([game.data.points, x])
        return SpectralState(inv * _real_parts(self._lattice().transform(z, weights)))

    def ascent_residual(self, game, state, x, masses):
        r"""$\max_z |(\partial_f L)(z)|$ over the data and the particles."""
        z = jnp.concatenate([game.data.points, x])
        direction = self.ascent_direction(game, state, x, masses)
        return jnp.max(jnp.abs(self._function(direction.complex(), z)[0]))

    @property
    def redrawable(self):
        """True for a lattice of at most `SMALL_TRACE` real numbers ($2G$): its coefficients are then
        the trace. A larger lattice (the 5 x 5 grid at bandwidth 0.25 has $293^2$ modes, 139 MB over
        101 saves) is drawn from $f$ saved on a grid instead."""
        return self.lattice is not None and 2 * self.lattice.size <= SMALL_TRACE

    def trace(self, state):
        """The whole state where it is small (`redrawable`), so that $f$ can be drawn at every save;
        otherwise nothing."""
        return state.coefs if self.redrawable else None

    def state_from_trace(self, trace):
        return None if trace is None else SpectralState(jnp.asarray(trace))
