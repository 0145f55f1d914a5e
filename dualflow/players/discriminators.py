r"""Discriminator players and their states.

Each discriminator knows how to evaluate its witness $f$ and $\nabla f$, how to take a
discrete ascent step (the D-step of GDA) and, when its state is finite, its time
derivative in the dual flow. Time convention (SCIENCE §2): the continuous flow runs in
generator time $t = k\,\eta_g$ and the discriminator moves $\kappa = \eta_d/\eta_g$ times
faster, $\dot f = \kappa\, \partial_f L$.

- `ExactRKHS(kernel)`: the exact infinite-dimensional RKHS discriminator,
  $f = c\, m_\nu - \sum_b w_b\, m_{X_b}$ with $m_\nu = \sum_i p_i K(\cdot, y_i)$ and a
  history of past generator configurations $X_b$ with decaying weights $w_b$ held in a
  fixed-size ring buffer (kernel IPM payoff only).
- `FiniteRank(features)`: $f = \theta^\top\phi$, an exact finite ODE for the kernel
  $\phi(x)^\top\phi(z)$ (any payoff).
- `OptimalWitness(kernel)`: the fast-discriminator limit $\kappa\to\infty$,
  $f^* = (m_\nu - m_\mu)/\lambda$ (kernel IPM payoff only).
"""

from __future__ import annotations

import abc
import math
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx

from ..kernels.features import AbstractFeatureMap
from ..kernels.fourier import feature_values, feature_witness
from ..dynamics.gda_maps import ascent_decay
from ..kernels.radial import AbstractRadialKernel
from ..kernels.spectral import SpectralLattice, advice_for, check_box, check_lattice_kernel, run_lattice
from ..kernels.sums import kernel_sums
from ..validation import check_choice, check_int, check_positive, is_concrete


def inverse_reg(game):
    r"""$1/\lambda$, and $0$ when $\lambda = 0$ (the unregularized game keeps $f^* = 0$)."""
    positive = game.reg > 0
    return jnp.where(positive, 1 / jnp.where(positive, game.reg, 1.0), 0.0)


def parameter_ascent(game, witness, params, x, masses):
    r"""$\partial_\theta\big[\,\sum_i p_i h_r(f_\theta(y_i)) + \sum_j m_j h_f(f_\theta(x_j)) - P(f_\theta)\big] - \lambda\theta$
    by autodiff, for a critic with parameters $\theta$ (any pytree) and
    `witness(params, z) -> (f(z), grad f(z))`; $P$ is the payoff's penalty (`AbstractPayoff.value`)."""

    def objective(p):
        fy, gy = witness(p, game.data.points)
        fx, gx = witness(p, x)
        return game.payoff.value(fy, fx, gy, gx, game.data.masses, masses)

    return jax.tree_util.tree_map(lambda g, p: g - game.reg * p, jax.grad(objective)(params), params)


def best_response_slopes(kernel, game, x, masses):
    r"""The payoff slopes $s = (h_r'(u_i),\ h_f'(u_j))$ at the best response $f^*$ of a payoff that is
    not linear in $f$, on $z = (y, x)$: $f^* = \lambda^{-1}\sum_k \pi_k s_k K(\cdot, z_k)$ with masses
    $\pi = (p, m)$, where the values $u = f^*(z)$ solve $u = \lambda^{-1} K_{zz}(\pi \odot s(u))$
    (Newton's method, optimistix)."""
    inv = inverse_reg(game).astype(x.dtype)
    m = game.data.size
    z = jnp.concatenate([game.data.points, x])
    gram = kernel.matrix(z, z)
    weights = jnp.concatenate([game.data.masses, masses])

    def slopes(u):
        return jnp.concatenate([game.payoff.real_slope(u[:m]), game.payoff.fake_slope(u[m:])])

    def stationarity(u, _):
        return u - inv * (gram @ (weights * slopes(u)))

    u0 = jnp.zeros(z.shape[0], x.dtype)
    u = optx.root_find(stationarity, optx.Newton(rtol=1e-12, atol=1e-14), u0, max_steps=100, throw=False).value
    return slopes(u)


def implicit_ascent(game, state, lr_d, ascent, fixed_point):
    r"""The implicit D-step $\theta' = \Pi(\theta + \eta_d\,\partial_\theta L(\theta'))$ ($\Pi$ the payoff's
    projection) for a finite `state`; `ascent(state)` is $\partial_\theta L$ in the state's structure and
    `fixed_point(fn, guess)` the proximal solver's fixed-point solve of `fn(y, None) = y`."""

    def fn(new, _):
        step = jax.tree_util.tree_map(lambda a, b: a + lr_d * b, state, ascent(new))
        return game.payoff.project(step)

    return fixed_point(fn, fn(state, None))


def geometric_sum(ratio, n: int):
    """$\\sum_{i<n} \\rho^i$ for a static integer `n` (exact, also at $\\rho = 1$)."""
    return sum(ratio**i for i in range(n))


class AbstractDiscriminator(eqx.Module):
    """Interface of a discriminator player (see module docstring)."""

    #: True when the player's state is a closed form valid only for payoffs linear in $f$.
    requires_linear_payoff: ClassVar[bool] = False
    #: True when the player has parameters that a payoff's constraints (clipping, gradient
    #: penalty) can act on.
    supports_constraints: ClassVar[bool] = False

    #: False when `ProximalGDA(coupling="joint")` cannot form the joint implicit step: the state is
    #: infinite (a history) or too large for a dense Newton solve (a spectral lattice).
    joint_proximal: ClassVar[bool] = True
    #: How `linearize(method="auto")` linearizes games with this player: `"kernel"` (the kernel
    #: trick on the player's radial kernel) or `"jacfwd"` (autodiff of a finite state).
    linearization: ClassVar[str] = "jacfwd"
    #: True when the state is a history of pushes (no finite time derivative): `DualFlow` then
    #: integrates by the history quadrature on fixed steps instead of an adaptive ODE solve.
    flows_by_history: ClassVar[bool] = False

    def capacity(self, num_pushes: int, decay) -> int:
        """History slots a run of `num_pushes` pushes needs (sized before compilation; `decay` per
        push, concrete or `None`). Players without a history need none."""
        return 0

    def with_run_constants(self, game):
        """This player with what stays constant over a run on `game` computed once (inside the
        compiled run). The default has nothing to cache."""
        return self

    def run_stats(self, state) -> dict:
        """Statistics of the final `state` for `Solution.stats` (none by default)."""
        return {}

    @abc.abstractmethod
    def init(self, game, x, masses, capacity: int):
        """Initial state $f_0 = 0$ for generator points `x` with `masses`."""

    def prepared(self, game, x0):
        """This player ready for a run from the generator points `x0`: what must be fixed before
        compilation (a spectral lattice's box and size) is fixed here, on concrete values, and
        checked. The default has nothing to fix."""
        return self

    def domain_margin(self, x):
        r"""How far inside the region where the player's representation holds the generator points
        `x` are (traceable; negative outside). A run whose particles leave it ends with
        `Result.LEFT_BOX`. Default: $+\infty$ (it holds everywhere)."""
        return jnp.asarray(jnp.inf, x.dtype)

    def left_box_advice(self) -> str:
        """What to do when a run ended with `Result.LEFT_BOX` (for the error message)."""
        return ""

    def state_from_trace(self, trace):
        """The discriminator state rebuilt from one saved `trace` entry, or `None` where the trace
        does not hold the whole state (then the field can be drawn at the final time only)."""
        return None

    def best_response(self, game, state, x, masses):
        r"""`state` moved to the best response $f^* = \arg\max_f L(f, \mu)$ to the generator
        `(x, masses)` (for $\lambda = 0$, where no maximizer exists, the kernel IPM keeps $f = 0$)."""
        return state

    @abc.abstractmethod
    def witness(self, game, state, x, masses, z):
        """$(f(z), \\nabla f(z))$, shapes `(n,)`, `(n, d)`; `x`, `masses` are the current
        generator (used only by the optimal witness)."""

    @abc.abstractmethod
    def ascent_step(self, game, state, x, masses, lr_d, n_critic: int):
        """`n_critic` discrete ascent steps $f \\leftarrow f + \\eta_d\\,\\partial_f L(f, \\mu)$
        with the generator held at `x`."""

    @abc.abstractmethod
    def time_derivative(self, game, state, x, masses, kappa):
        """$\\dot f = \\kappa\\,\\partial_f L$ for finite states (ODE right-hand side)."""

    @abc.abstractmethod
    def ascent_direction(self, game, state, x, masses):
        r"""$\partial_f L(f, \mu)$ in the structure of the state (`None` for stateless players)."""

    def proximal_ascent(self, game, state, x, masses, lr_d, fixed_point):
        r"""The implicit D-step of `ProximalGDA`, $f' = \Pi(f + \eta_d\,\partial_f L(f', \mu))$ with the
        generator held at `x` ($\Pi$ the payoff's projection); `fixed_point(fn, guess)` solves
        `fn(y, None) = y` (the solver's root finder, NaN where it fails). Default: solved in the
        state's own structure (`ascent_direction`); nothing to do for a stateless player."""
        if state is None:
            return None
        return implicit_ascent(game, state, lr_d, lambda d: self.ascent_direction(game, d, x, masses), fixed_point)

    @abc.abstractmethod
    def ascent_residual(self, game, state, x, masses):
        r"""Size of $\partial_f L$ at the current state (zero at a stationary discriminator)."""

    def trace(self, state):
        """The small part of the state saved at every save point (`None`: nothing)."""
        return None

    def summary(self, game, state, x, masses):
        """Scalar summary saved over time: the payoff gap $\\sum_i p_i f(y_i) - \\sum_j m_j f(x_j)$."""
        f, _ = self.witness(game, state, x, masses, jnp.concatenate([game.data.points, x]))
        m = game.data.size
        return game.data.masses @ f[:m] - masses @ f[m:]


class ExactState(eqx.Module):
    r"""State of the exact RKHS discriminator
    $f = \sum_i a_i\,p_i K(\cdot, y_i) - \sum_b \sum_j w_{b,j}\, m_j K(\cdot, X_{b,j})$.

    For the kernel IPM every $a_i$ equals one shared coefficient $c$ and every slot carries
    one weight, $w_{b,j} = w_b$; other payoffs give each point its own coefficient.
    `dropped` is the total current weight (largest per-particle weight of each slot) of
    every configuration overwritten in the ring buffer, each decayed like the kept ones:
    the coefficient mass by which the truncated $f$ differs from the untruncated one.
    """

    data_coef: jax.Array  # (M,)
    history_points: jax.Array  # (B, N, d)
    history_weights: jax.Array  # (B, N)
    head: jax.Array  # index of the newest slot
    dropped: jax.Array

    def advance(self, x, decay, data_increment, head_increment, weight):
        """Decay every coefficient by `decay`, add `data_increment` to $a$ and
        `head_increment` to the newest slot, then push `x` with `weight` (increments and
        weight are scalars or per-point arrays)."""
        w = self.accumulate(decay, data_increment, head_increment)
        head = (w.head + 1) % w.history_weights.shape[0]
        return ExactState(
            data_coef=w.data_coef,
            history_points=w.history_points.at[head].set(x),
            history_weights=w.history_weights.at[head].set(jnp.broadcast_to(weight, x.shape[:1])),
            head=head,
            dropped=w.dropped + jnp.max(jnp.abs(w.history_weights[head])),
        )

    def accumulate(self, decay, data_increment, head_increment):
        """Decay every coefficient by `decay` and add the increments to $a$ and to the
        newest slot, without pushing a configuration."""
        weights = decay * self.history_weights
        head_weights = weights[self.head] + jnp.broadcast_to(head_increment, weights.shape[1:])
        return ExactState(
            data_coef=decay * self.data_coef + jnp.broadcast_to(data_increment, self.data_coef.shape),
            history_points=self.history_points,
            history_weights=weights.at[self.head].set(head_weights),
            head=self.head,
            dropped=decay * self.dropped,
        )


class ExactRKHS(AbstractDiscriminator):
    r"""The exact RKHS discriminator with its full (truncated) history.

    From $f_0 = 0$, a D-step $f \leftarrow (1-\eta_d\lambda) f + \eta_d\big(\sum_i p_i h_r'(f(y_i))K(\cdot,y_i)
    + \sum_j m_j h_f'(f(x_j))K(\cdot,x_j)\big)$ keeps $f$ a finite expansion on the data and
    every past configuration. For the kernel IPM ($h_r' = 1$, $h_f' = -1$) after $k$ steps
    $f = c_k m_\nu - \sum_{b} \eta_d (1-\eta_d\lambda)^{k-1-b} m_{X_b}$: the data carry one
    shared coefficient, every past configuration a weight decaying geometrically. Other
    payoffs (logistic, non-saturating) give per-point coefficients; they are played by
    discrete GDA (the continuous exact-kernel flow is implemented for the kernel IPM).

    **Arguments:**

    - `kernel`: any radial kernel.
    - `history_size`: number of buffer slots (static); `None` sizes it from `history_tol`.
    - `history_tol`: a slot may be overwritten once its weight falls below
      `history_tol` times its initial weight (used only to size the buffer). The
      state's `dropped` field reports the total weight actually overwritten.

    The buffer starts with $x_0$ in every slot (weight 0), so its newest slot always holds
    the current configuration $X_k$, as the history quadrature of the flow requires.
    """

    linearization: ClassVar[str] = "kernel"
    joint_proximal: ClassVar[bool] = False
    flows_by_history: ClassVar[bool] = True
    kernel: AbstractRadialKernel
    history_size: int | None = eqx.field(static=True, default=None)
    history_tol: float = eqx.field(static=True, default=1e-12, converter=float)

    def __check_init__(self):
        if not isinstance(self.kernel, AbstractRadialKernel):
            raise ValueError(f"`kernel` must be a radial kernel; received {self.kernel!r}.")
        if self.history_size is not None:
            check_int("history_size", self.history_size, minimum=1)
        check_positive("history_tol", self.history_tol)

    def capacity(self, num_pushes: int, decay) -> int:
        """Buffer slots needed for `num_pushes` pushes whose weights decay by `decay` per push
        (`None` or traced: unknown, keep every push)."""
        if self.history_size is not None:
            return self.history_size
        if decay is not None and is_concrete(decay):
            decay = float(np.max(np.abs(np.asarray(decay))))
            if 0 < decay < 1:
                keep = math.ceil(math.log(self.history_tol) / math.log(decay)) + 1
                return max(1, min(num_pushes, keep))
        return max(1, num_pushes)

    def run_stats(self, state) -> dict:
        return {"dropped_weight": state.dropped}

    def init(self, game, x, masses, capacity):
        return ExactState(
            data_coef=jnp.zeros(game.data.size, x.dtype),
            history_points=jnp.broadcast_to(x, (capacity,) + x.shape),
            history_weights=jnp.zeros((capacity, x.shape[0]), x.dtype),
            head=jnp.zeros((), jnp.int32),
            dropped=jnp.zeros((), x.dtype),
        )

    def best_response(self, game, state, x, masses):
        r"""$f^* = \arg\max_f L(f, \mu)$, stored in the slot that will be overwritten last (every
        other weight emptied), so the newest slot keeps the current configuration the history
        quadrature needs. Kernel IPM: $f^* = (m_\nu - m_\mu)/\lambda$. Other payoffs:
        $f^* = \sum_k \beta_k K(\cdot, z_k)$ on $z = (y, x)$ with $\lambda\beta = (p_i h_r'(f^*(y_i)),\ m_j h_f'(f^*(x_j)))$,
        solved by Newton's method (optimistix) on the values $u = f^*(z)$."""
        inv = inverse_reg(game).astype(x.dtype)
        m = game.data.size
        if game.payoff.linear:
            data_coef, weight = jnp.full(m, inv, x.dtype), jnp.full(x.shape[0], inv, x.dtype)
        else:
            slopes = best_response_slopes(self.kernel, game, x, masses)
            data_coef, weight = inv * slopes[:m], -inv * slopes[m:]
        slot = (state.head - 1) % state.history_weights.shape[0]
        weights = jnp.zeros_like(state.history_weights).at[slot].set(weight)
        return ExactState(data_coef=data_coef, history_points=state.history_points.at[slot].set(x),
                          history_weights=weights, head=state.head, dropped=jnp.zeros_like(state.dropped))

    def expansion(self, game, state, masses):
        r"""Centres and coefficients $(z_k, \beta_k)$ with $f = \sum_k \beta_k K(\cdot, z_k)$."""
        hist = state.history_points.reshape(-1, state.history_points.shape[-1])
        hist_coefs = -(state.history_weights * masses[None, :]).reshape(-1)
        centres = jnp.concatenate([game.data.points, hist])
        coefs = jnp.concatenate([state.data_coef * game.data.masses, hist_coefs])
        return centres, coefs

    def witness(self, game, state, x, masses, z):
        return kernel_sums(self.kernel, z, *self.expansion(game, state, masses))

    def trace(self, state):
        """The mean data coefficient $\bar a$ (for the kernel IPM, the shared coefficient $c$)."""
        return jnp.mean(state.data_coef)

    def _ascent_coefficients(self, game, state, x, masses):
        r"""$(p_i h_r'(f(y_i)),\ m_j h_f'(f(x_j)))$: the coefficients of $\partial_f L + \lambda f$
        on the data and the particles."""
        if game.payoff.linear:
            return game.data.masses, -masses
        f, _ = self.witness(game, state, x, masses, jnp.concatenate([game.data.points, x]))
        m = game.data.size
        return game.data.masses * game.payoff.real_slope(f[:m]), masses * game.payoff.fake_slope(f[m:])

    def ascent_residual(self, game, state, x, masses):
        r"""$\max_z |(\partial_f L)(z)|$ over the data and the particles."""
        z = jnp.concatenate([game.data.points, x])
        drive, _ = kernel_sums(self.kernel, z, z, jnp.concatenate(self._ascent_coefficients(game, state, x, masses)))
        f, _ = self.witness(game, state, x, masses, z)
        return jnp.max(jnp.abs(drive - game.reg * f))

    def ascent_step(self, game, state, x, masses, lr_d, n_critic):
        decay = ascent_decay(lr_d, game.reg)
        if game.payoff.linear:  # closed form of n_critic steps: one push
            increment = lr_d * geometric_sum(decay, n_critic)
            return state.advance(x, decay**n_critic, increment, 0.0, increment)
        for i in range(n_critic):  # the first step pushes x, the others add to its slot
            real, fake = self._ascent_coefficients(game, state, x, masses)
            data_inc, weight = lr_d * real / game.data.masses, -lr_d * fake / masses
            state = (state.advance(x, decay, data_inc, 0.0, weight) if i == 0
                     else state.accumulate(decay, data_inc, weight))
        return state

    def time_derivative(self, game, state, x, masses, kappa):
        raise ValueError("ExactRKHS's state is a history, which has no finite time derivative: `DualFlow` integrates "
                         "it by the history quadrature (`flows_by_history`).")

    def ascent_direction(self, game, state, x, masses):
        raise ValueError("ExactRKHS's ascent direction is a function outside its history's span; its steps are "
                         "closed forms (`ascent_step`, `proximal_ascent`).")

    def proximal_ascent(self, game, state, x, masses, lr_d, fixed_point):
        r"""$f' = \big(f + \eta_d(\sum_i p_i h_r'(f'(y_i))K(\cdot,y_i) + \sum_j m_j h_f'(f'(x_j))K(\cdot,x_j))\big)/(1+\eta_d\lambda)$:
        closed form for the kernel IPM ($h_r' = 1$, $h_f' = -1$), solved for the values
        $u = f'(z)$, $z = (y, X)$, otherwise."""
        shrink = 1 / (1 + lr_d * game.reg)
        increment = lr_d * shrink
        if game.payoff.linear:
            return state.advance(x, shrink, increment, 0.0, increment)
        m = game.data.size
        z = jnp.concatenate([game.data.points, x])
        gram = self.kernel.matrix(z, z)
        f_old, _ = self.witness(game, state, x, masses, z)
        weights = jnp.concatenate([game.data.masses, masses])

        def slopes(u):
            return jnp.concatenate([game.payoff.real_slope(u[:m]), game.payoff.fake_slope(u[m:])])

        def fn(u, _):
            return shrink * f_old + increment * (gram @ (weights * slopes(u)))

        u = fixed_point(fn, fn(f_old, None))
        return state.advance(x, shrink, increment * slopes(u)[:m], 0.0, -increment * slopes(u)[m:])


class FiniteRankState(eqx.Module):
    """$\\theta \\in \\mathbb R^D$ of $f = \\theta^\\top\\phi$."""

    theta: jax.Array


class FiniteRank(AbstractDiscriminator):
    r"""Discriminator $f = \theta^\top \phi$ over a finite feature map; ridge $\frac\lambda2|\theta|^2$.

    $\partial_\theta L = \sum_i p_i h_r'(f(y_i))\phi(y_i) + \sum_j m_j h_f'(f(x_j))\phi(x_j) - \lambda\theta$,
    which for the kernel IPM is $\bar\phi_\nu - \bar\phi_\mu - \lambda\theta$ (mass-weighted sums).
    With a constrained payoff (`WGAN`) the gradient penalty enters by autodiff, clipping
    projects $\theta$ after each ascent step (GDA) or its velocity on the box (flow).

    **Arguments:** `features`, the feature map. (`data_embedding` is a cache that `solve`
    fills through `with_data_embedding`; leave it `None`.)

    Random Fourier features are evaluated through `sincos`: one argument $\Omega z + b$ and
    one polynomial sine-cosine pair per entry, instead of separate `cos` and `sin` library
    calls and an `(n, D, d)` Jacobian (the flow's right-hand side at N = M = 1024, D = 512
    went from about 40 ms to under 2 ms on a 2-core CPU).
    """

    supports_constraints: ClassVar[bool] = True
    features: AbstractFeatureMap
    #: $\sum_i p_i h_r'\,\phi(y_i)$ of the game's data for payoffs linear in $f$ (constant over a run),
    #: computed once per run by `solve` instead of at every right-hand-side evaluation; `None`: recompute.
    data_embedding: jax.Array | None = None

    def __check_init__(self):
        if not isinstance(self.features, AbstractFeatureMap):
            raise ValueError(f"`features` must be a feature map; received {self.features!r}.")

    def with_run_constants(self, game):
        return self if self.data_embedding is not None else self.with_data_embedding(game)

    def with_data_embedding(self, game):
        r"""This discriminator with the data term of $\partial_\theta L$ cached for `game`'s data
        (itself for payoffs that are not linear in $f$ or are constrained: their data term
        changes with $\theta$ or goes through autodiff)."""
        if not game.payoff.linear or game.payoff.constrained:
            return self
        phi_y = self._phi(game.data.points)
        slopes = game.payoff.real_slope(jnp.zeros(game.data.size, phi_y.dtype))  # constant: linear payoff
        return FiniteRank(self.features, (game.data.masses * slopes) @ phi_y)

    def init(self, game, x, masses, capacity):
        return FiniteRankState(jnp.zeros(self.features.num_features, x.dtype))

    def best_response(self, game, state, x, masses):
        r"""$\theta^*$ with $\partial_\theta L(\theta^*, \mu) = 0$: $(\bar\phi_\nu - \bar\phi_\mu)/\lambda$
        for the kernel IPM, Newton's method (optimistix) from `state` for other payoffs."""
        if game.payoff.linear:
            phi = self._phi(jnp.concatenate([game.data.points, x]))
            return FiniteRankState(inverse_reg(game) * (jnp.concatenate([game.data.masses, -masses]) @ phi))
        if game.payoff.constrained:
            raise ValueError(f"no best response is computed under {type(game.payoff).__name__}'s constraints; "
                             "start the discriminator at zero.")

        def ascent(theta, _):
            return self._ascent_theta(game, FiniteRankState(theta), x, masses)

        sol = optx.root_find(ascent, optx.Newton(rtol=1e-12, atol=1e-14), state.theta, max_steps=100, throw=False)
        return FiniteRankState(sol.value)

    def _phi(self, z):
        return feature_values(self.features, z)

    def witness(self, game, state, x, masses, z):
        return feature_witness(self.features, state.theta, z)

    def ascent_direction(self, game, state, x, masses):
        return FiniteRankState(self._ascent_theta(game, state, x, masses))

    def _ascent_theta(self, game, state, x, masses):
        """$\\partial_\\theta L(\\theta, \\mu)$ as an array."""
        if game.payoff.constrained:
            return parameter_ascent(game, lambda theta, z: self.witness(game, FiniteRankState(theta), x, masses, z),
                                    state.theta, x, masses)
        phi_x = self._phi(x)
        fake = (masses * game.payoff.fake_slope(phi_x @ state.theta)) @ phi_x
        if self.data_embedding is not None and game.payoff.linear:
            return self.data_embedding + fake - game.reg * state.theta
        phi_y = self._phi(game.data.points)
        real = (game.data.masses * game.payoff.real_slope(phi_y @ state.theta)) @ phi_y
        return real + fake - game.reg * state.theta

    def trace(self, state):
        r"""$\theta$ itself."""
        return state.theta

    def state_from_trace(self, trace):
        return FiniteRankState(jnp.asarray(trace))

    def ascent_residual(self, game, state, x, masses):
        return jnp.max(jnp.abs(self._ascent_theta(game, state, x, masses)))

    def ascent_step(self, game, state, x, masses, lr_d, n_critic):
        for _ in range(n_critic):
            state = FiniteRankState(game.payoff.project(state.theta + lr_d * self._ascent_theta(game, state, x, masses)))
        return state

    def time_derivative(self, game, state, x, masses, kappa):
        return FiniteRankState(kappa * game.payoff.tangent(state.theta, self._ascent_theta(game, state, x, masses)))



class AbstractOptimalDiscriminator(AbstractDiscriminator):
    """A stateless optimal discriminator: its witness is recomputed from the current particles
    (the fast-discriminator limit), so it has no state, no ascent step and no time derivative."""

    requires_linear_payoff: ClassVar[bool] = True

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
    tol: float = eqx.field(static=True, default=1e-10, converter=float)
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
            return feature_witness(self.kernel, coefs @ feature_values(self.kernel, centres), z)
        if self.method == "spectral" and self.lattice is None:
            raise ValueError("this spectral OptimalWitness has no lattice yet: `solve` fixes it from the data and the "
                             "initial particles; elsewhere call `discriminator.prepared(game, x0)` first.")
        return kernel_sums(self.kernel, z, centres, coefs, method=self.method, lattice=self.lattice)
