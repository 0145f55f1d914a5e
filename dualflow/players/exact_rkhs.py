r"""`ExactRKHS(kernel)`: the exact infinite-dimensional RKHS discriminator,
$f = c\, m_\nu - \sum_b w_b\, m_{X_b}$ with $m_\nu = \sum_i p_i K(\cdot, y_i)$ and a
history of past generator configurations $X_b$ with decaying weights $w_b$ held in a
fixed-size ring buffer (any radial kernel, any dimension)."""

from __future__ import annotations

import math
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..dynamics.gda_maps import ascent_decay
from ..kernels.radial import AbstractRadialKernel
from ..kernels.sums import kernel_sums
from ..validation import float_field, int_field, is_concrete
from .ascent import best_response_slopes, geometric_sum, inverse_reg
from .base import AbstractDiscriminator


class ExactState(eqx.Module):
    r"""State of the exact RKHS discriminator
    $f = \sum_i a_i\,p_i K(\cdot, y_i) - \sum_b \sum_j w_{b,j}\, m_j K(\cdot, X_{b,j})$.

    For the kernel IPM every $a_i$ equals one shared coefficient $c$ and every slot carries
    one weight, $w_{b,j} = w_b$; other payoffs give each point its own coefficient.
    `dropped` is the total current weight (largest per-particle weight of each slot) of
    every configuration overwritten in the ring buffer, each decayed like the kept ones:
    the coefficient mass by which the truncated $f$ differs from the untruncated one. The
    extrapolating steps (`Extragradient`, `OptimisticGDA`), whose weights follow two-term
    recurrences, add the magnitudes without decay: an upper bound.
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

    def pushed(self, x):
        """The same function with `x` in a new newest slot at weight 0 (the overwritten slot's weight
        joins `dropped`): the layout in which a step's direction at `x` is written."""
        return self.advance(x, 1.0, 0.0, 0.0, 0.0)

    def plus(self, other, rate):
        """The coefficients of this state plus `rate` times those of `other`, a state of the same
        layout (the same history points and head); the magnitudes of their `dropped` add (a bound)."""
        return ExactState(
            data_coef=self.data_coef + rate * other.data_coef,
            history_points=self.history_points,
            history_weights=self.history_weights + rate * other.history_weights,
            head=self.head,
            dropped=self.dropped + jnp.abs(rate) * other.dropped,
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
    history_size: int | None = eqx.field(
        static=True, default=None, converter=int_field("history_size", minimum=1, optional=True)
    )
    history_tol: float = eqx.field(static=True, default=1e-12, converter=float_field("history_tol"))

    def __check_init__(self):
        if not isinstance(self.kernel, AbstractRadialKernel):
            raise ValueError(f"`kernel` must be a radial kernel; received {self.kernel!r}.")

    def capacity(self, n_pushes: int, decay) -> int:
        """Buffer slots needed for `n_pushes` pushes whose weights decay by `decay` per push
        (`None` or traced: unknown, keep every push)."""
        if self.history_size is not None:
            return self.history_size
        if decay is not None and is_concrete(decay):
            decay = float(np.max(np.abs(np.asarray(decay))))
            if 0 < decay < 1:
                keep = math.ceil(math.log(self.history_tol) / math.log(decay)) + 1
                return max(1, min(n_pushes, keep))
        return max(1, n_pushes)

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
        return ExactState(
            data_coef=data_coef,
            history_points=state.history_points.at[slot].set(x),
            history_weights=weights,
            head=state.head,
            dropped=jnp.zeros_like(state.dropped),
        )

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
        r"""The mean data coefficient $\bar a$ (for the kernel IPM, the shared coefficient $c$)."""
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
            state = (
                state.advance(x, decay, data_inc, 0.0, weight) if i == 0 else state.accumulate(decay, data_inc, weight)
            )
        return state

    def _direction(self, game, state, x, masses):
        r"""`(state.pushed(x), D)`: the ascent direction $D = \partial_f L(f, \mu)$ at `state` against the
        generator `x`, written as a state of the pushed layout ($x$ in the newest slot)."""
        real, fake = self._ascent_coefficients(game, state, x, masses)
        pushed = state.pushed(x)
        weights = (-game.reg * pushed.history_weights).at[pushed.head].add(-fake / masses)
        direction = ExactState(
            data_coef=real / game.data.masses - game.reg * pushed.data_coef,
            history_points=pushed.history_points,
            history_weights=weights,
            head=pushed.head,
            dropped=jnp.zeros_like(pushed.dropped),  # the state's own `dropped` is counted once
        )
        return pushed, direction

    def extragradient_ascent(self, game, state, look, x_look, masses, lr_d):
        r"""$f' = f + \eta_d\,\partial_f L(\tilde f, \tilde\mu)$ in closed form: `look` is `state` after one
        push ($X_k$, in its newest slot); $f'$ holds both $X_k$ and $\tilde X$ = `x_look` (two pushes per step)."""
        aligned = state.pushed(look.history_points[look.head])
        _, direction = self._direction(game, look, x_look, masses)
        return aligned.pushed(x_look).plus(direction, lr_d)

    def optimistic_memory(self, game, state):
        """`(initial, previous direction)`: a flag for the first step and a zero direction."""
        zero = state.plus(state, -1.0)
        return jnp.asarray(True), eqx.tree_at(lambda s: s.dropped, zero, jnp.zeros_like(zero.dropped))

    def optimistic_ascent(self, game, state, memory, x, masses, lr_d):
        r"""$f_{k+1} = f_k + \eta_d(2D_k - D_{k-1})$ in closed form (one push of $X_k$ per step; the previous
        direction is moved to the same layout; the first step uses $D_{-1} = D_0$, as optax does)."""
        initial, previous = memory
        pushed, direction = self._direction(game, state, x, masses)
        previous = jax.tree_util.tree_map(lambda a, b: jnp.where(initial, a, b), direction, previous.pushed(x))
        return pushed.plus(direction, 2 * lr_d).plus(previous, -lr_d), (jnp.asarray(False), direction)

    def time_derivative(self, game, state, x, masses, kappa):
        raise ValueError(
            "ExactRKHS's state is a history, which has no finite time derivative: `DualFlow` integrates "
            "it by the history quadrature (`flows_by_history`)."
        )

    def ascent_direction(self, game, state, x, masses):
        raise ValueError(
            "ExactRKHS's ascent direction is a function outside its history's span; its steps are "
            "closed forms (`ascent_step`, `proximal_ascent`)."
        )

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
