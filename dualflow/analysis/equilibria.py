r"""Equilibria of the kernel game by root finding on the stationarity conditions.

A state $(X^*, f^*)$ is stationary for the flow and for every GDA order exactly when the
discriminator is at its best response and every particle sits at a critical point of it:

$$f^* = \frac{m_\nu - m_{\mu^*}}{\lambda}, \qquad \nabla f^*(x^*_j) = 0 \quad (j = 1..N),$$

$Nd$ equations in the $Nd$ unknowns $X^*$ (masses fixed, $\lambda > 0$). They are solved by
Newton's method (optimistix) from the user's configuration, with a least-squares linear solve
so that the singular directions of degenerate equilibria (balanced clusters, lone points free
to translate) do not stop it. Which equilibrium is found depends on the start: a cluster
started on a true point stays collapsed, two points started near $\pm r$ around an
over-covered true point find the approximate mode collapse, a point far from the data is a
lone stuck point. The velocity convention does not matter (the conditions have no weights).

Newton may also run off to where the data's kernel is negligible: there $\nabla f^* \approx 0$
for a trivial reason (a residual of $10^{-120}$ at twenty bandwidths), not an equilibrium
of interest. A particle that started within the data's reach and ends outside it
($\max_i K(x_j, y_i) < $ `REACH` $K(0)$) is reported in `Equilibrium.escaped`, and the search
then does not count as converged.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import lineax as lx
import optimistix as optx

from ..games.kernel_game import KernelGame, check_game_and_measure
from ..measures.measure import Measure
from ..validation import check_int, check_positive, is_concrete
from .witness import best_response_witness, kernel_function

#: A particle is out of the data's reach where every data point's kernel is below this fraction
#: of the kernel's peak $K(0)$.
REACH = 1e-6


class Equilibrium(eqx.Module):
    """Result of `find_equilibrium` (carries its diagnostics instead of raising under jit).

    **Fields:** `points` `(N, d)`, `masses` `(N,)`, `residual` ($\\max_j|\\nabla f^*(x_j)|$),
    `converged` (residual below `atol` and no particle `escaped`), `num_steps` (Newton
    iterations), `escaped` `(N,)`: the particles Newton moved out of the data's reach (module
    docstring), where the residual is small only because the witness is flat.
    """

    points: jax.Array
    masses: jax.Array
    residual: jax.Array
    converged: jax.Array
    num_steps: jax.Array
    escaped: jax.Array

    @property
    def measure(self) -> Measure:
        """The equilibrium generator as a `Measure` (for `linearize` and `solve`)."""
        return Measure(self.points, self.masses)


def witness_gradients(game: KernelGame, x, masses):
    r"""$\nabla f^*(x_j)$ for every particle, `(N, d)`: the stationarity residual of the generator
    with the discriminator at its best response."""
    return jax.vmap(jax.grad(best_response_witness(game, x, masses)))(x)


def find_equilibrium(
    game: KernelGame, generator: Measure, *, atol: float = 1e-12, rtol: float = 1e-10, max_steps: int = 100
) -> Equilibrium:
    r"""Newton's method for $\nabla f^*_X(x_j) = 0$ from the configuration `generator`.

    **Arguments:**

    - `game`: a `KernelGame` with `reg` $> 0$ and a kernel-IPM discriminator (`ExactRKHS`,
      `FiniteRank`, `OptimalWitness`: the equilibria are the same).
    - `generator`: the starting configuration and the (fixed) masses.
    - `atol`, `rtol`: Newton's tolerances on the step; `converged` is judged on the residual
      against `atol` (scaled by the witness's size, $\max(1, |f^*|_\infty)$).
    - `max_steps`: Newton iterations.

    **Returns:** an `Equilibrium`; where Newton carried a particle out of the data's reach
    (`escaped`), it is not `converged`: start closer to the configuration of interest.

    **Example:**

    ```python
    eq = find_equilibrium(game, Measure(jnp.array([[-0.4], [0.4]]), jnp.array([0.4, 0.4])))
    eq.points, eq.converged
    ```
    """
    check_game_and_measure(game, generator, "generator")
    if not game.payoff.linear:
        raise ValueError(
            "equilibria are computed for the kernel IPM payoff (f* = (m_nu - m_mu)/reg); "
            f"received {type(game.payoff).__name__}."
        )
    if is_concrete(game.reg) and not float(jnp.min(game.reg)) > 0:
        raise ValueError(f"`find_equilibrium` needs reg > 0 (f* = (m_nu - m_mu)/reg); received {game.reg}.")
    check_positive("atol", atol)
    check_positive("rtol", rtol)
    max_steps = check_int("max_steps", max_steps, minimum=1)
    masses = generator.masses.astype(game.data.points.dtype)
    x0 = generator.points.astype(masses.dtype)
    return _newton(game, x0, masses, atol, rtol, max_steps)


@eqx.filter_jit
def _newton(game, x0, masses, atol, rtol, max_steps):
    def residual(x, _):
        return witness_gradients(game, x, masses)

    solver = optx.Newton(rtol=rtol, atol=atol, linear_solver=lx.AutoLinearSolver(well_posed=False))
    sol = optx.root_find(residual, solver, x0, max_steps=max_steps, throw=False)
    x = sol.value
    size = jnp.maximum(1.0, jnp.max(jnp.abs(jax.vmap(best_response_witness(game, x, masses))(x))))
    res = jnp.max(jnp.abs(residual(x, None)))
    escaped = _out_of_reach(game, x) & ~_out_of_reach(game, x0)
    return Equilibrium(
        points=x,
        masses=masses,
        residual=res,
        converged=(res <= atol * size) & ~jnp.any(escaped),
        num_steps=sol.stats["num_steps"],
        escaped=escaped,
    )


def _out_of_reach(game, x):
    """`(N,)`: True where every data point's kernel at the particle is below `REACH` of its peak."""
    kernel = kernel_function(game.discriminator)
    peak = kernel(game.data.points[0], game.data.points[0])
    reach = jax.vmap(lambda z: jnp.max(jax.vmap(lambda y: kernel(z, y))(game.data.points)))(x)
    return reach < REACH * peak
