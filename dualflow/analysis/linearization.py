r"""Exact linearization of the game around an equilibrium ([docs/science.md §3][science-isolated-points], *The general linearization*).

**The kernel trick.** Around an equilibrium $(X^*, f^*)$ of the kernel IPM game with
$f^* = (m_\nu - m_{\mu^*})/\lambda$ and $\nabla f^*(x^*_j) = 0$, perturb $x_j = x^*_j + \xi_j$,
$f = f^* + g$. To first order

$$\dot\xi_j = w_j\big(\nabla^2 f^*(x^*_j)\,\xi_j + \nabla g(x^*_j)\big), \qquad
\dot g = -\kappa\Big(\sum_j m_j\,\partial_z K(\cdot, x^*_j)\,\xi_j + \lambda g\Big).$$

Write $g = \sum_j \partial_z K(\cdot, x^*_j)\,a_j + h$. The span part obeys
$\dot a_j = -\kappa(m_j\xi_j + \lambda a_j)$ and is seen by the particles through the
Gram blocks $G_{ij} = \partial_x\partial_z^\top K(x^*_i, x^*_j)$, $\nabla g(x^*_i) = \sum_j G_{ij} a_j + \nabla h(x^*_i)$;
the rest $h$ only decays, $\dot h = -\kappa\lambda h$, and forces $\xi$ without being fed back.
The system is block triangular, so its spectrum is that of the exact finite matrix

$$J = \begin{pmatrix} W H & W G \\ -\kappa M & -\kappa\lambda I\end{pmatrix}
\quad (2Nd \times 2Nd), \qquad H = \operatorname{diag}_j \nabla^2 f^*(x^*_j),$$

plus the discriminator's *rest mode* $-\kappa\lambda$ of infinite multiplicity. $M = \operatorname{diag}(m_j) \otimes I_d$
(masses), $W = \operatorname{diag}(w_j)\otimes I_d$ (velocity weights: $w_j = m_j$ for `mass_weighted`,
$1$ for `wasserstein`). Where the $\partial_z K(\cdot, x^*_j)$ are linearly dependent (coincident
points of a collapsed cluster) the coordinates $a$ are redundant; the redundant directions
($\xi = 0$, $g = 0$) evolve as $-\kappa\lambda$, so they only add copies of the rest mode.

**Time and step conventions.** The flow's Jacobian is in generator time $t = k\,\eta_g$
(multiply by $\eta_g$ for the per-step rates of Becker et al.). A GDA step is the product of
the linear D-step $A_D$: $a \leftarrow (1 - \eta_d\lambda)a - \eta_d M\xi$ (repeated
`n_critic` times) and G-step $A_G$: $\xi \leftarrow \xi + \eta_g W(H\xi + Ga)$, in the solver's
order: simultaneous (both from the old state), `alternating_d_first` $A_G A_D^{n}$,
`alternating_g_first` $A_D^{n} A_G$. The rest mode is $(1 - \eta_d\lambda)^{n_\text{critic}}$.
`Extragradient` and `OptimisticGDA` build their step from the same two linear fields
(`AbstractSolver.linear_map`); the optimistic step carries the previous directions, so its
matrix acts on $(\xi, u_\xi, a, u_a)$ and its rest mode is the root of largest magnitude of
$\rho^2 = (1 - 2\eta_d\lambda)\rho + \eta_d\lambda$; `ProximalGDA`'s linear map solves its implicit
steps exactly (rest mode $1/(1 + \eta_d\lambda)$), extragradient's rest mode is $1 - c + c^2$,
$c = \eta_d\lambda$.

**Finite states** (`FiniteRank` features with any payoff, `OptimalWitness`): the state is
finite, so the Jacobian of the flow's right-hand side, or of one GDA step, is taken directly
by `jax.jacfwd`; there is no rest mode. For kernel-IPM finite-rank games the kernel trick
applies too (`method="kernel"`, kernel $\phi(x)^\top\phi(z)$): both give the same spectrum up to
copies of $-\kappa\lambda$, a cross-check the tests make.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.flatten_util
import jax.numpy as jnp
import numpy as np

from ..games.kernel_game import KernelGame, check_game_and_measure
from ..measures.measure import Measure
from ..players.generators import Particles
from ..players.optimal import AbstractOptimalDiscriminator, OptimalWitness
from ..solvers.base import AbstractSolver
from ..validation import check_choice
from .witness import best_response_witness, kernel_function, mean_embedding_gap

METHODS = ("auto", "kernel", "jacfwd")


class Linearization(eqx.Module):
    r"""The linearized dynamics at an equilibrium.

    **Fields:**

    - `matrix`: the exact finite matrix: the flow's Jacobian (generator time) or the one-step
      map of GDA, acting on $(\xi, a)$ (kernel trick, `2Nd` square; `4Nd` for `OptimisticGDA`,
      whose state adds the previous directions $(u_\xi, u_a)$, ordered $(\xi, u_\xi, a, u_a)$) or on
      the flattened finite state $(X, \theta)$ and the solver's memory (`jacfwd`).
    - `eigenvalues`, `eigenvectors`: of `matrix` (complex; columns are vectors).
    - `rest_eigenvalue`: the discriminator's infinite-multiplicity mode, $-\kappa\lambda$ for the
      flow, $(1 - \eta_d\lambda)^{n_\text{critic}}$ for GDA, $1 - c + c^2$ for `Extragradient`, the
      root of largest magnitude of $\rho^2 = (1 - 2c)\rho + c$ for `OptimisticGDA`,
      $1/(1 + c)$ for `ProximalGDA` ($c = \eta_d\lambda$); `None` for finite states.
    - `mode_weights`: positive semidefinite metric of the coordinates (identity on $\xi$, the Gram
      $G$ on $a$, so that $a^\top G a = \|g\|_H^2$; likewise on the memory), or `None`.
    - `n_generator`: how many leading coordinates belong to the generator ($Nd$: the particle
      offsets $\xi$; with `OptimisticGDA`, $2Nd$ for the kernel trick and the particles with their
      previous velocities for `jacfwd`, whose state is ordered $(X, u_X, \theta, u_\theta)$).
    - `residual`: stationarity residual of the point (0 at an exact equilibrium): largest particle
      speed and largest $|m_\nu - m_\mu - \lambda f^*|$ over data and particles.
    - `discrete`: `True` for a discrete scheme's step map, `False` for the flow's Jacobian.
    """

    matrix: jax.Array
    eigenvalues: jax.Array
    eigenvectors: jax.Array
    rest_eigenvalue: jax.Array | None
    mode_weights: jax.Array | None
    residual: jax.Array
    n_generator: int = eqx.field(static=True)
    discrete: bool = eqx.field(static=True)

    def _all_eigenvalues(self):
        if self.rest_eigenvalue is None:
            return self.eigenvalues
        return jnp.concatenate([self.eigenvalues, self.rest_eigenvalue.astype(self.eigenvalues.dtype)[None]])

    def _growth_of(self, eigenvalues):
        return jnp.abs(eigenvalues) if self.discrete else jnp.real(eigenvalues)

    @property
    def growth(self) -> jax.Array:
        r"""Spectral radius $\max|\rho|$ (GDA) or spectral abscissa $\max\operatorname{Re} s$ (flow),
        over every mode including the rest mode: the dominant local rate."""
        return jnp.max(self._growth_of(self._all_eigenvalues()))

    @property
    def dominant_eigenvalue(self) -> jax.Array:
        """The eigenvalue of largest growth (the rest mode included)."""
        eigs = self._all_eigenvalues()
        return eigs[jnp.argmax(self._growth_of(eigs))]

    @property
    def dominant_mode(self) -> str:
        """Which mode dominates: `"discriminator rest"` (the $-\\kappa\\lambda$ family),
        `"generator"` (particles move, the discriminator's span part stays zero), or
        `"coupled"` (particles and discriminator move together)."""
        growth = np.asarray(self._growth_of(self.eigenvalues))
        top = int(np.argmax(growth))
        if self.rest_eigenvalue is not None and float(self._growth_of(self.rest_eigenvalue)) >= growth[top] - 1e-12:
            return "discriminator rest"
        vec = np.asarray(self.eigenvectors[:, top])
        n = self.n_generator
        gen = float(np.linalg.norm(vec[:n]) ** 2)
        if self.mode_weights is None:
            disc = float(np.linalg.norm(vec[n:]) ** 2)
        else:
            disc = float(np.real(np.conj(vec[n:]) @ np.asarray(self.mode_weights[n:, n:]) @ vec[n:]))
        return "generator" if disc <= 1e-10 * max(gen, 1e-300) else "coupled"

    @property
    def stable(self) -> jax.Array:
        """`True` when every mode strictly contracts (growth $< 1$ for GDA, $< 0$ for the flow)."""
        return self.growth < (1.0 if self.discrete else 0.0)


def _kernel_trick(game, x, masses, solver, kernel):
    """`(matrix, rest, weights, residual, n_generator)` of the kernel-trick linearization (the state
    of `solver.linear_state`: the offsets, the span coefficients and the solver's memory of each)."""
    n, d = x.shape
    witness = best_response_witness(game, x, masses)
    gap = mean_embedding_gap(game, x, masses)
    grads = jax.vmap(jax.grad(witness))(x)
    hess = jax.vmap(jax.hessian(witness))(x)  # (N, d, d)
    cross = jax.jacfwd(jax.grad(kernel, 0), 1)
    gram = jax.vmap(lambda a: jax.vmap(lambda b: cross(a, b))(x))(x)  # (N, N, d, d)
    gram = gram.transpose(0, 2, 1, 3).reshape(n * d, n * d)
    h_block = jnp.einsum("ij,iab->iajb", jnp.eye(n, dtype=x.dtype), hess).reshape(n * d, n * d)
    w = jnp.repeat(game.velocity_weights(masses), d)
    m = jnp.repeat(masses, d)
    z_all = jnp.concatenate([game.data.points, x])
    residual = jnp.maximum(
        jnp.max(jnp.abs(game.velocity_weights(masses)[:, None] * grads)),
        jnp.max(jnp.abs(jax.vmap(gap)(z_all) - game.reg * jax.vmap(witness)(z_all))),
    )

    def generator_field(xi, a):  # the linearized velocity W (H xi + G a)
        return w * (h_block @ xi + gram @ a)

    def discriminator_field(a, xi):  # the linearized ascent direction -(M xi + lambda a)
        return -(m * xi + game.reg * a)

    nd = n * d

    def linear_matrix(generator_field, discriminator_field, n_xi, n_a):
        """The matrix of the solver's linear map on its linear state (offsets of size `n_xi`, span
        coefficients of size `n_a`, and the solver's memory of each), flattened."""
        step = solver.linear_map(generator_field, discriminator_field)
        flat, unravel = jax.flatten_util.ravel_pytree(
            solver.linear_state(jnp.zeros(n_xi, x.dtype), jnp.zeros(n_a, x.dtype))
        )
        return jax.jacfwd(lambda y: jax.flatten_util.ravel_pytree(step(*unravel(y)))[0])(flat)

    matrix = linear_matrix(generator_field, discriminator_field, nd, nd)
    copies = matrix.shape[0] // (2 * nd)  # the state and the solver's memory of it
    weights = jax.scipy.linalg.block_diag(jnp.eye(copies * nd, dtype=x.dtype), *[gram] * copies)
    # the rest h alone, -lambda h (and the solver's memory of it): its dominant factor
    rest_modes = jnp.linalg.eigvals(linear_matrix(lambda xi, h: xi, lambda h, xi: -game.reg * h, 0, 1))
    rest = jnp.real(rest_modes[jnp.argmax(jnp.abs(rest_modes) if solver.discrete else jnp.real(rest_modes))])  # real
    return matrix, rest, weights, residual, copies * nd


class SmoothOptimalWitness(AbstractOptimalDiscriminator):
    """`OptimalWitness(kernel)` with its witness built from the scalar kernel by autodiff
    (`analysis.witness`), so that second derivatives are exact also at coincident points, where
    the solvers' kernel sums mask the self-interaction gradient. Used by `linearize` only."""

    kernel: object

    def witness(self, game, state, x, masses, z):
        return jax.vmap(jax.value_and_grad(best_response_witness(game, x, masses)))(z)


def _jacfwd(game, x, masses, solver, disc_state):
    """`(matrix, residual, n_generator)` of the finite state `(X, disc_state)` and the solver's memory
    `(generator memory, discriminator memory)`: forward-mode autodiff of the solver's own map
    (`AbstractSolver.local_map`)."""
    residual = game.stationarity_residual(disc_state, x, masses)
    if isinstance(game.discriminator, OptimalWitness):  # its closed form, differentiable at coincident points
        game = eqx.tree_at(lambda g: g.discriminator, game, SmoothOptimalWitness(game.discriminator.kernel))
    generator = Particles(Measure(x, masses))
    memory = solver.linearization_memory(game, generator, x, disc_state)
    # the state ordered (generator part, discriminator part), each with the solver's memory of it
    g_memory, d_memory = (None, None) if memory is None else memory
    state = ((x, g_memory), (disc_state, d_memory))
    # differentiate the floating-point leaves; flags (optax's first-step marker) are held
    variables, held = eqx.partition(state, eqx.is_inexact_array)
    flat, unravel = jax.flatten_util.ravel_pytree(variables)
    step = solver.local_map(game, generator)

    def flat_step(y):
        (x_, g_mem), (d_, d_mem) = eqx.combine(unravel(y), held)
        x_new, d_new, memory_new = step(x_, d_, None if memory is None else (g_mem, d_mem))
        g_new_mem, d_new_mem = (None, None) if memory_new is None else memory_new
        new = eqx.filter(((x_new, g_new_mem), (d_new, d_new_mem)), eqx.is_inexact_array)
        return jax.flatten_util.ravel_pytree(new)[0]

    n_generator = jax.flatten_util.ravel_pytree(eqx.filter(state[0], eqx.is_inexact_array))[0].size
    return jax.jacfwd(flat_step)(flat), residual, n_generator


def linearize(
    game: KernelGame, equilibrium: Measure, solver: AbstractSolver, *, method: str = "auto", discriminator_state=None
) -> Linearization:
    r"""Linearize the flow (`DualFlow(kappa)`) or one GDA step (`GDA(lr_g, lr_d, order, n_critic)`)
    at the generator configuration `equilibrium` with the discriminator at its best response.

    **Arguments:**

    - `game`: a `KernelGame`; `ExactRKHS` needs a kernel twice differentiable at 0 (not
      Laplace or energy).
    - `equilibrium`: the generator at rest, $X^*$ with its masses (find one with
      `find_equilibrium`). Nothing forces it to be exact: `Linearization.residual` says how far
      from stationary it is.
    - `solver`: `DualFlow(kappa)` (Jacobian in generator time) or a discrete scheme (one-step
      map: `GDA`, `Extragradient`, `OptimisticGDA`, `ProximalGDA`). `"jacfwd"` differentiates the
      solver's own map (`AbstractSolver.local_map`: `ProximalGDA`'s implicit step and the optimistic
      step's memory too); the kernel trick builds it from the solver's `linear_map`.
    - `method`: `"kernel"` (the kernel trick, exact for `ExactRKHS`, `SpectralRKHS` (its Gaussian
      kernel) and kernel-IPM `FiniteRank`), `"jacfwd"` (autodiff of the finite state: `FiniteRank`,
      any payoff, `OptimalWitness` and `SpectralRKHS`, whose lattice state gives the Gaussian
      game's spectrum to its `tol` plus copies of the rest mode), `"auto"` (the player's
      `linearization`: kernel for `ExactRKHS` and `SpectralRKHS`, jacfwd otherwise).
    - `discriminator_state`: for `"jacfwd"` on a `FiniteRank` game, the equilibrium
      $\theta^*$ (default: the best response to `equilibrium`).

    **Returns:** a `Linearization` (jittable and `vmap`-able over the game's and solver's array
    leaves).

    **Example:**

    ```python
    lin = linearize(game, Measure(jnp.zeros((1, 1)), jnp.ones(1)), GDA(lr_g=0.1, lr_d=0.1))
    lin.growth, lin.dominant_mode
    ```
    """
    check_game_and_measure(game, equilibrium, "equilibrium")
    if not isinstance(solver, AbstractSolver):
        raise ValueError(f"`solver` must be a solver such as GDA(...) or DualFlow(...); received {solver!r}.")
    check_choice("method", method, METHODS)
    disc = game.discriminator
    if method == "auto":
        method = disc.linearization
    if method == "kernel" and (isinstance(disc, AbstractOptimalDiscriminator) or not game.payoff.linear):
        raise ValueError(
            "method='kernel' needs an ExactRKHS or FiniteRank discriminator and the KernelIPM "
            f"payoff; received {type(disc).__name__} with {type(game.payoff).__name__}. "
            "Use method='jacfwd'."
        )
    if method == "jacfwd" and disc.flows_by_history:
        raise ValueError(
            "method='jacfwd' needs a finite discriminator state (FiniteRank, OptimalWitness); "
            "the exact RKHS discriminator is linearized by method='kernel'."
        )
    x = equilibrium.points.astype(game.data.points.dtype)
    masses = equilibrium.masses.astype(x.dtype)
    game = eqx.tree_at(lambda g: g.discriminator, game, disc.prepared(game, x))
    disc = game.discriminator
    if method == "kernel":
        matrix, rest, weights, residual, n_generator = _kernel_trick(game, x, masses, solver, kernel_function(disc))
    else:
        state = discriminator_state
        if state is None:
            state = disc.best_response(game, disc.init(game, x, masses, 1), x, masses)
        matrix, residual, n_generator = _jacfwd(game, x, masses, solver, state)
        rest, weights = None, None
    eigenvalues, eigenvectors = jnp.linalg.eig(matrix)
    return Linearization(
        matrix=matrix,
        eigenvalues=eigenvalues,
        eigenvectors=eigenvectors,
        rest_eigenvalue=None if rest is None else jnp.asarray(rest, dtype=x.dtype),
        mode_weights=weights,
        residual=residual,
        n_generator=n_generator,
        discrete=solver.discrete,
    )
