r"""The continuous dual flow ([docs/science.md §2][science-kernel-game]), in generator time $t = k\eta_g$ with
$\kappa = \eta_d/\eta_g$:

$$\dot x_j = v_j(f_t, X_t), \qquad \dot f_t = \kappa\,\partial_f L(f_t, \mu_t).$$

- `dual_flow_field`: the right-hand side for finite discriminator states (finite-rank
  features; the optimal witness, whose state is empty).
- `history_quadrature_field`: the exact-kernel flow. Its discriminator solves
  $\dot f = \kappa(m_\nu - m_{\mu_t} - \lambda f)$, i.e.
  $f_{t_k+s} = e^{-\kappa\lambda s} f_{t_k} + \kappa\varphi(s)\, m_\nu - \kappa\int_0^s e^{-\kappa\lambda(s-u)} m_{\mu_{t_k+u}}\,du$,
  $\varphi(s) = (1-e^{-\kappa\lambda s})/(\kappa\lambda)$. The memory integral is the trapezoidal
  rule on each solver step, $\kappa\frac s2\,(e^{-\kappa\lambda s} m_{X_k} + m_{X(t_k+s)})$, and the
  data term uses the same rule, $\kappa\frac s2(e^{-\kappa\lambda s}+1)\,m_\nu$, so that a generator
  equal to the data keeps $f \equiv 0$ exactly. Within a step the particles
  see a witness that depends on their own current position. The quadrature is second
  order, hence the scheme is of order $\min(2, p)$ for a solver of order $p$.
"""

from __future__ import annotations

import jax.numpy as jnp


def dual_flow_field(t, y, args):
    r"""diffrax vector field for `y = (g, disc_state)`, `args = (game, generator, kappa)`:
    $\dot g = J(g)^\top v$ (free particles: $\dot x = v$), $\dot f = \kappa\,\partial_f L$."""
    game, generator, kappa = args
    g, disc = y
    x = generator.points(g)
    dg = generator.pullback(g, game.generator_velocity(disc, x, generator.masses))
    return dg, game.discriminator.time_derivative(game, disc, x, generator.masses, kappa)


def memory_coefficients(game, kappa, s):
    r"""`(decay, data_increment, endpoint_weight)` $= (e^{-\kappa\lambda s},\ \kappa\frac s2(e^{-\kappa\lambda s} + 1),\ \kappa\frac s2)$:
    the trapezoidal rule applied alike to the data and the particle terms of the memory
    integral, so that $\mu = \nu$ keeps $f \equiv 0$ exactly (equilibria are preserved)."""
    decay = jnp.exp(-kappa * game.reg * s)
    endpoint = kappa * s / 2
    return decay, endpoint * (decay + 1), endpoint


def history_quadrature_field(t, g, args):
    """diffrax vector field for the generator state within one step of the exact-kernel flow;
    `args = (game, generator, kappa, t_k, state_k)` with `state_k` the discriminator at $t_k$
    (whose newest history slot holds $X_k$)."""
    game, generator, kappa, t_k, state = args
    x = generator.points(g)
    decay, data_inc, endpoint = memory_coefficients(game, kappa, t - t_k)
    virtual = state.advance(x, decay, data_inc, endpoint * decay, endpoint)
    return generator.pullback(g, game.generator_velocity(virtual, x, generator.masses))
