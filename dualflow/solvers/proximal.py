r"""Proximal (implicit, JKO-like) gradient descent-ascent.

Explicit GDA evaluates every velocity at the *old* state. A proximal step evaluates it at the
*new* one, so each step solves an implicit equation. Two couplings ([docs/science.md §2][science-kernel-game],
"Optimal-transport players"):

**Decoupled** (`coupling="decoupled"`): each player takes a proximal step against the other
player's current value. The generator, against $f_k$,

$$g_{k+1} = \arg\min_g\ \sum_j m_j\,h_{\text{gen}}\big(f_k(x_j(g))\big) + \frac{\|g - g_k\|^2}{2\eta_g}
\quad\Longleftrightarrow\quad g_{k+1} = g_k + \eta_g\,J(g_{k+1})^\top v\big(f_k, X(g_{k+1})\big),$$

and the discriminator, against $\mu_k$,

$$f_{k+1} = \arg\max_f\ L(f, \mu_k) - \frac{\|f - f_k\|^2}{2\eta_d}
\quad\Longleftrightarrow\quad f_{k+1} = f_k + \eta_d\,\partial_f L(f_{k+1}, \mu_k).$$

For free particles the velocity convention of the game fixes the metric of the generator's
step: `"mass_weighted"` ($v_j = m_j\nabla f$ for the kernel IPM) is the Euclidean proximal
step $|X - X_k|^2/(2\eta_g)$ of the finite game; `"wasserstein"` ($v_j = \nabla f$) is the
particle JKO step $\arg\min_X \sum_j m_j h_{\text{gen}}(f_k(x_j)) + W^2(X, X_k)/(2\eta_g)$ with
the mass-weighted transport cost under the identity coupling,
$W^2(X, X_k) = \sum_j m_j |x_j - x_{k,j}|^2$ (an upper bound on $W_2^2(\mu, \mu_k)$, equal to
it while the step is small compared with the particles' separation). For the kernel IPM with
`ExactRKHS` the discriminator's step is the closed form

$$f_{k+1} = \frac{f_k + \eta_d\,(m_\nu - m_{\mu_k})}{1 + \eta_d\lambda}$$

(decay $1/(1+\eta_d\lambda)$ per push of the history). **For payoffs linear in $\mu$ the
decoupled step is explicit GDA in disguise.** The discriminator's gradient
$m_\nu - m_{\mu_k} - \lambda f$ depends on $f$ only through the ridge, so its proximal step is
the explicit one up to the factor $1/(1+\eta_d\lambda)$. When the witness is also linear in
$x$, as in the bilinear game $L = s\,x\,\psi$, the generator's velocity does not depend on $x$
either. The iterates are then exactly those of explicit GDA, and $x^2 + \psi^2$ still grows
by $1 + \tau^2 s^2$ per simultaneous step. Neither player's step damps the rotation that the
coupling produces.

**Joint** (`coupling="joint"`): the proximal point step on the whole state
$z = (g, \theta)$, i.e. implicit Euler of the coupled dual flow with $\kappa = \eta_d/\eta_g$,

$$z_{k+1} = z_k + \eta_g\,F_\kappa(z_{k+1}),\qquad F_\kappa(g, \theta) = \big(J^\top v(f_\theta, X(g)),\ \kappa\,\partial_\theta L(\theta, \mu(g))\big).$$

This step is dissipative: on the bilinear game
$x^2/\eta_g + \psi^2/\eta_d$ shrinks by exactly $1/(1 + \eta_g\eta_d s^2)$ per step. Near a
stable equilibrium a mode $e^{\mu t}$ of the linearized flow is multiplied by $1/(1 - \eta_g\mu)$
per step, against $1 + \eta_g\mu$ for explicit GDA. Oscillating modes ($|\mathrm{Im}\,\mu|$ large)
are damped much harder by the joint step. A purely decaying real mode $\mu = -a$ is damped
slightly less ($1/(1+\eta_g a) > 1 - \eta_g a$). It needs a
finite discriminator state (`FiniteRank`, `NeuralDiscriminator`) or a stateless one
(`OptimalWitness`, Sinkhorn potentials: then only the generator is implicit, and the
witness is that of the new particles).

**Implicit equations.** Each is a fixed point $y = \Phi(y)$ solved by optimistix from the
explicit GDA step, with `throw=False`. The default solver is `optx.Dogleg(rtol, atol)`:
Newton's method on $y - \Phi(y) = 0$ inside a trust region. Plain Newton from the explicit
step diverges on large steps of non-convex games (the kernel game at $\eta = 1$ on the
8-ring), where the trust region still converges in about ten iterations. Free particles in
the decoupled step solve one small $d$-dimensional problem per particle (`vmap`). In a
zero-sum game each of these is the minimisation of its proximal objective
$w_j h_{\text{fake}}(f_k(z)) + |z - x_{k,j}|^2/(2\eta_g)$ ($w_j$ the velocity weight; likewise
the whole objective in $g$ for a neural generator with mass-weighted velocities), done
with `optx.BFGS(rtol, atol)` and then polished by `optx.Newton(rtol, atol)` (BFGS alone
stops near $10^{-8}$). That objective is coercive, so descent always reaches a local minimiser, which
solves the implicit equation. A root finder can instead stall at a non-zero local minimum
of the residual once the objective is non-convex.

A step is accepted when the solver reports success *and* its residual is small,
$\max|y - \Phi(y)| \le \sqrt{\varepsilon}\,(1 + \max|y|)$ ($\varepsilon$ the dtype's machine
epsilon; a converged solve sits at rounding level, far below this). The residual check
catches a least-squares solver stuck at a non-zero local minimum of $|y - \Phi(y)|^2$.
Any other step comes back as NaN, so `solve` ends the run with `Result.NONFINITE` at the
last accepted state instead of silently going on with an unconverged iterate. The solution
found is the one reached from the explicit step. When the step is small enough for the
proximal objective to be strongly convex, this is the proximal point itself.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx
from jax.typing import ArrayLike

from ..dynamics.gda_maps import STEP_ORDERS, ordered_step
from ..players.generators import Particles
from ..validation import check_choice, check_positive, int_field, positive_leaf
from .base import AbstractSteppedSolver

COUPLINGS = ("decoupled", "joint")
ROOT_FINDERS = (
    optx.AbstractRootFinder,
    optx.AbstractFixedPointSolver,
    optx.AbstractLeastSquaresSolver,
    optx.AbstractMinimiser,
)


class ProximalGDA(AbstractSteppedSolver):
    r"""Proximal (implicit, JKO-like) GDA with rates $\eta_g$ (`lr_g`) and $\eta_d$ (`lr_d`);
    the equations are in the module docstring.

    **Arguments:**

    - `lr_g`, `lr_d`: positive rates (array leaves: sweeps can `vmap` over them).
    - `coupling`: `"decoupled"` (each player's proximal step against the other's current
      value) or `"joint"` (the proximal point step on the whole state: implicit Euler of
      the dual flow with $\kappa = \eta_d/\eta_g$).
    - `order` (decoupled only): `"simultaneous"` (default: both steps from the old state),
      `"alternating_d_first"` (the generator's step against $f_{k+1}$) or
      `"alternating_g_first"` (the discriminator's step against $\mu_{k+1}$). The joint step
      has no order: leave it `"simultaneous"`.
    - `max_iterations`: iteration cap of each implicit solve (static).
    - `rtol`, `atol`: tolerances of the default solvers (static). `None`:
      $\varepsilon^{2/3}$ of the run's floating dtype ($3.7\times10^{-11}$ in float64,
      $2.4\times10^{-5}$ in float32). Newton's quadratic convergence takes the final iterate
      well below these.
    - `root_finder`: any optimistix root finder, fixed-point, least-squares or minimisation
      solver that `optx.fixed_point` accepts, carrying its own tolerances. Examples:
      `optx.Newton(rtol, atol)` (no trust region: a little cheaper per iteration, but it
      can diverge on large steps), or `optx.FixedPointIteration(rtol, atol)` (one velocity
      evaluation per iteration and no Jacobian; it converges when
      $\eta_g\,\mathrm{Lip}(v) < 1$). `None` means `optx.Dogleg(rtol, atol)`, except for the
      decoupled particle steps of zero-sum games, which use `optx.BFGS` on the proximal
      objective and then `optx.Newton` (module docstring). A float32 run under
      `jax_enable_x64` uses `optx.Newton` instead of Dogleg, because optimistix 0.1.0's Dogleg
      mixes dtypes there. A given `root_finder` solves every equation on its own.

    A step that does not converge is NaN: `solve` then ends with `Result.NONFINITE`.
    Saved times are $t = k\,\eta_g$. `ExactRKHS` plays the decoupled step only (its state is
    infinite-dimensional); `coupling="joint"` with it raises `ValueError`.

    **Example:**

    ```python
    game = dualflow.bilinear(1.0)
    start = dualflow.Measure([[1.0]], [1.0])
    sol = dualflow.solve(game, start, ProximalGDA(0.1, 0.1, coupling="joint"), n_steps=100)
    # x^2 + psi^2 = (1 + 0.01)^-100
    ```
    """

    lr_g: ArrayLike = eqx.field(converter=positive_leaf("lr_g"))
    lr_d: ArrayLike = eqx.field(converter=positive_leaf("lr_d"))
    coupling: str = eqx.field(static=True, default="decoupled")
    order: str = eqx.field(static=True, default="simultaneous")
    max_iterations: int = eqx.field(static=True, default=100, converter=int_field("max_iterations", minimum=1))
    rtol: float | None = eqx.field(static=True, default=None)
    atol: float | None = eqx.field(static=True, default=None)
    root_finder: (
        optx.AbstractRootFinder
        | optx.AbstractFixedPointSolver
        | optx.AbstractLeastSquaresSolver
        | optx.AbstractMinimiser
        | None
    ) = None

    def __check_init__(self):
        check_choice("coupling", self.coupling, COUPLINGS)
        check_choice("order", self.order, STEP_ORDERS)
        if self.coupling == "joint" and self.order != "simultaneous":
            raise ValueError(
                "the joint proximal step is one implicit step of the whole state and has no order; "
                f"leave `order` as 'simultaneous' (received {self.order!r})."
            )
        for name in ("rtol", "atol"):
            if getattr(self, name) is not None:
                check_positive(name, getattr(self, name))
        if self.root_finder is not None:
            if not isinstance(self.root_finder, ROOT_FINDERS):
                raise ValueError(
                    "`root_finder` must be an optimistix solver that optx.fixed_point accepts, such as "
                    f"optx.Newton(rtol, atol); received {self.root_finder!r}."
                )
            if self.rtol is not None or self.atol is not None:
                raise ValueError(
                    "`rtol`/`atol` configure the default solver; a custom `root_finder` carries its own "
                    "tolerances: pass one or the other."
                )

    def decay_per_push(self, reg):
        r"""$1/(1 + \eta_d\lambda)$: the factor by which `ExactRKHS` history weights decay per
        step (one push per step), used to size the history buffer."""
        return 1 / (1 + self.lr_d * reg)

    def linear_map(self, generator_field, discriminator_field):
        r"""The implicit steps of two linear fields, solved exactly: decoupled,
        $\xi' = (I - \eta_g V)^{-1}(\xi + \eta_g v(0, a))$ with $V = \partial_\xi v$ and likewise
        $a' = (I - \eta_d A)^{-1}(a + \eta_d\,\partial L(0, \xi))$, in `order`; joint,
        $z' = (I - \eta_g F_\kappa)^{-1} z$ for the whole linear state $z = (\xi, a)$."""
        if self.coupling == "joint":

            def joint(xi, a):
                n = xi.shape[0]

                def field(z):
                    return jnp.concatenate(
                        [self.lr_g * generator_field(z[:n], z[n:]), self.lr_d * discriminator_field(z[n:], z[:n])]
                    )

                z = _linear_implicit(field, jnp.concatenate([xi, a]))
                return z[:n], z[n:]

            return joint

        def g_step(xi, a):
            return _linear_implicit(
                lambda y: self.lr_g * generator_field(y, jnp.zeros_like(a)),
                xi + self.lr_g * generator_field(jnp.zeros_like(xi), a),
            )

        def d_step(a, xi):
            return _linear_implicit(
                lambda y: self.lr_d * discriminator_field(y, jnp.zeros_like(xi)),
                a + self.lr_d * discriminator_field(jnp.zeros_like(a), xi),
            )

        return lambda xi, a: ordered_step(self.order, g_step, d_step, xi, a)

    def fixed_step(self, game, generator, dt):
        r"""The step function `(g, disc, memory, t) -> (g, disc, memory)` for `stepping.guarded_loop`
        (`dt` is `lr_g`: one step advances generator time by $\eta_g$; no memory)."""
        if self.coupling == "joint" and not game.discriminator.joint_proximal:
            raise ValueError(
                "coupling='joint' needs a small finite discriminator state (FiniteRank, "
                "NeuralDiscriminator) or a stateless one (OptimalWitness); "
                f"{type(game.discriminator).__name__} holds an infinite-dimensional f (a history) or one "
                "too large for a dense Newton solve (a spectral lattice). Use coupling='decoupled', or "
                "FiniteRank features."
            )

        def step(g, disc, memory, t):
            if self.coupling == "joint":
                return *self._joint_step(game, generator, g, disc), memory
            return *self._decoupled_step(game, generator, g, disc), memory

        return step

    # ---- the two couplings -------------------------------------------------------------
    def _decoupled_step(self, game, generator, g, disc):
        def d_step(disc, g):
            return self._discriminator_prox(game, disc, generator.points(g), generator.masses)

        return ordered_step(self.order, lambda g, disc: self._generator_prox(game, generator, g, disc), d_step, g, disc)

    def _joint_step(self, game, generator, g, disc):
        masses, lr_g, lr_d = generator.masses, self.lr_g, self.lr_d

        def velocity(g_new, d_new):
            x_new = generator.points(g_new)
            return _scaled(lr_g, generator.pullback(g_new, game.generator_velocity(d_new, x_new, masses)))

        if disc is None:  # stateless discriminator: only the generator is implicit

            def fn(g_new, _):
                return _add(g, velocity(g_new, None))

            g_new = self._solve(fn, _add(g, velocity(g, None)), generator.points(g).dtype)
            return g_new, None

        def d_update(g_new, d_new):
            x_new = generator.points(g_new)
            return game.payoff.project(
                _add(disc, _scaled(lr_d, game.discriminator.ascent_direction(game, d_new, x_new, masses)))
            )

        def fn(y, _):
            g_new, d_new = y
            return _add(g, velocity(g_new, d_new)), d_update(g_new, d_new)

        guess = (_add(g, velocity(g, disc)), d_update(g, disc))  # explicit simultaneous GDA
        return self._solve(fn, guess, generator.points(g).dtype)

    # ---- one player's proximal step ----------------------------------------------------
    def _generator_prox(self, game, generator, g, disc):
        r"""$g' = g + \eta_g J(g')^\top v(f, X(g'))$ with $f$ held (the witness of $X_k$ for stateless players)."""
        x_k, masses = generator.points(g), generator.masses
        weights = game.velocity_weights(masses)

        def velocity_at(z, w):  # velocity of points z (n, d) with velocity weights w (n,), against f_k
            f, grad = game.discriminator.witness(game, disc, x_k, masses, z)
            return game.velocity_from_witness(f, grad, w)

        if isinstance(generator, Particles):  # independent d-dimensional problems, one per particle

            def one(x_j, w_j):
                def fn(z, _):
                    return x_j + self.lr_g * velocity_at(z[None], w_j[None])[0]

                def objective(z, _):  # w_j h_gen(f(z)) + |z - x_j|^2 / (2 eta_g): zero-sum, h_gen = h_fake
                    f, _ = game.discriminator.witness(game, disc, x_k, masses, z[None])
                    return w_j * game.payoff.fake(f)[0] + jnp.sum((z - x_j) ** 2) / (2 * self.lr_g)

                return self._solve(fn, fn(x_j, None), x_j.dtype, objective if game.payoff.zero_sum else None)

            return jax.vmap(one)(x_k, weights)

        def fn(g_new, _):
            x_new = generator.points(g_new)
            return _add(g, _scaled(self.lr_g, generator.pullback(g_new, velocity_at(x_new, weights))))

        def objective(g_new, _):  # sum_j m_j h_gen(f(x_j(g'))) + |g' - g|^2 / (2 eta_g): mass-weighted, zero-sum
            f, _ = game.discriminator.witness(game, disc, x_k, masses, generator.points(g_new))
            distance = sum(
                jnp.sum((a - b) ** 2) for a, b in zip(jax.tree_util.tree_leaves(g_new), jax.tree_util.tree_leaves(g))
            )
            return masses @ game.payoff.fake(f) + distance / (2 * self.lr_g)

        potential = game.payoff.zero_sum and game.velocity == "mass_weighted"
        return self._solve(fn, fn(g, None), x_k.dtype, objective if potential else None)

    def _discriminator_prox(self, game, disc, x, masses):
        r"""$f' = f + \eta_d\,\partial_f L(f', \mu)$ with $\mu$ held (projected for clipped critics): the
        player's own implicit step, solved by this solver's root finder."""
        return game.discriminator.proximal_ascent(
            game, disc, x, masses, self.lr_d, lambda fn, guess: self._solve(fn, guess, x.dtype)
        )

    # ---- the implicit solve ------------------------------------------------------------
    def _solver(self, dtype):
        if self.root_finder is not None:
            return self.root_finder
        default = float(np.finfo(dtype).eps) ** (2 / 3)
        tolerances = dict(
            rtol=default if self.rtol is None else self.rtol, atol=default if self.atol is None else self.atol
        )
        if jnp.zeros(()).dtype != dtype:
            # optimistix 0.1.0's Dogleg starts its state with `jnp.array(0.0)`, which is float64 under
            # `jax_enable_x64` and breaks its `lax.cond` for a float32 problem: plain Newton there.
            return optx.Newton(**tolerances)
        return optx.Dogleg(**tolerances)

    def _solve(self, fn, guess, dtype, objective=None):
        """The fixed point of `fn` from `guess` (by default, a local minimum of `objective` when
        one is given); NaN everywhere unless the solve converged and its residual passes the
        check of the module docstring."""
        solver = self._solver(dtype)
        if objective is not None and self.root_finder is None:  # descend to a minimiser, then polish by Newton
            descent = optx.minimise(
                objective,
                optx.BFGS(rtol=solver.rtol, atol=solver.atol),
                guess,
                max_steps=self.max_iterations,
                throw=False,
            )
            guess, solver = descent.value, optx.Newton(rtol=solver.rtol, atol=solver.atol)  # a local min: no TR
        sol = optx.fixed_point(fn, solver, guess, max_steps=self.max_iterations, throw=False)
        y = sol.value
        residual = _max_abs(jax.tree_util.tree_map(lambda a, b: a - b, fn(y, None), y))
        bound = float(np.finfo(dtype).eps) ** 0.5 * (1 + _max_abs(y))
        converged = (sol.result == optx.RESULTS.successful) & (residual <= bound)
        return jax.tree_util.tree_map(lambda a: jnp.where(converged, a, jnp.nan), y)


def _linear_implicit(operator, rhs):
    r"""The solution $y$ of $y = \text{rhs} + \text{operator}(y)$ for a linear `operator` on vectors."""
    if rhs.size == 0:
        return rhs
    matrix = jax.jacfwd(operator)(jnp.zeros_like(rhs))
    return jnp.linalg.solve(jnp.eye(rhs.size, dtype=rhs.dtype) - matrix, rhs)


def _max_abs(tree):
    return jnp.max(jnp.stack([jnp.max(jnp.abs(leaf)) for leaf in jax.tree_util.tree_leaves(tree)]))


def _add(a, b):
    return jax.tree_util.tree_map(lambda u, v: u + v, a, b)


def _scaled(c, tree):
    return jax.tree_util.tree_map(lambda u: c * u, tree)
