r"""What the discriminator players share to take their ascent steps: $1/\lambda$, the autodiff
ascent of a parametric critic, the payoff slopes at a nonlinear best response (Newton's method,
optimistix), the implicit D-step of `ProximalGDA` in a finite state's own structure, and the
geometric sum that folds `n_critic` steps of a linear payoff into one."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optimistix as optx


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
