r"""The interface of a discriminator player.

Each discriminator knows how to evaluate its witness $f$ and $\nabla f$, how to take a
discrete ascent step (the D-step of GDA) and, when its state is finite, its time
derivative in the dual flow. Time convention ([docs/science.md §2][science-kernel-game]): the continuous flow runs in
generator time $t = k\,\eta_g$ and the discriminator moves $\kappa = \eta_d/\eta_g$ times
faster, $\dot f = \kappa\, \partial_f L$. The players are one per file: `ExactRKHS`
(`exact_rkhs.py`), `SpectralRKHS` (`spectral.py`), `FiniteRank` (`finite_rank.py`),
`NeuralDiscriminator` (`neural.py`), `OptimalWitness` (`optimal.py`) and
`SinkhornPotentials` (`sinkhorn.py`).
"""

from __future__ import annotations

import abc
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import optax

from .ascent import implicit_ascent

#: The optimistic update $2D_k - D_{k-1}$ of a gradient sequence (optax; its first step uses
#: $D_{-1} = D_0$, a plain step).
OPTIMISM = optax.scale_by_optimistic_gradient(alpha=1.0, beta=1.0)


#: The most numbers a discriminator state may hold to be saved whole at every save (`trace`): 64 KiB
#: per save in float64, about the size of $(f, \nabla f)$ on a 41 x 41 drawing grid.
SMALL_TRACE = 2**13


def moved(game, state, direction, rate):
    r"""$\Pi(\theta + \eta\,d)$ for a finite state: the payoff's projection of the state moved by `rate`
    along `direction` (same pytree structure)."""
    return game.payoff.project(jax.tree_util.tree_map(lambda a, b: a + rate * b, state, direction))


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

    @property
    def redrawable(self) -> bool:
        """True when the discriminator can be redrawn at every save from what a run saves anyway: its
        whole state in the `trace` (at most `SMALL_TRACE` numbers) or no state. Otherwise a study
        saves $f$ on a grid (`solve(..., field_grid=)`). Known once the player is `prepared`."""
        return False

    def check_dimension(self, dim: int, dtype) -> None:
        """Raise `ValueError` unless the player evaluates points of dimension `dim` (and `dtype`):
        `KernelGame` checks its data against it, `solve` the generator against the data. The default
        (radial kernels) accepts any dimension."""

    def capacity(self, n_pushes: int, decay) -> int:
        """History slots a run of `n_pushes` pushes needs (sized before compilation; `decay` per
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

    def extragradient_ascent(self, game, state, look, x_look, masses, lr_d):
        r"""The D-update of `Extragradient`, $f' = \Pi(f + \eta_d\,\partial_f L(\tilde f, \tilde\mu))$: the
        ascent direction at the look-ahead $\tilde f$ (`look`, one D-step from `state`) against the
        look-ahead generator `x_look`, applied to `state`. Default: in the state's own structure
        (`ascent_direction`)."""
        return moved(game, state, self.ascent_direction(game, look, x_look, masses), lr_d)

    def optimistic_memory(self, game, state):
        """The memory of `optimistic_ascent` at the start of a run (optax's optimistic-gradient state
        by default: the previous direction, unset)."""
        return OPTIMISM.init(state)

    def optimistic_ascent(self, game, state, memory, x, masses, lr_d):
        r"""The D-update of `OptimisticGDA`, $f_{k+1} = \Pi(f_k + \eta_d(2D_k - D_{k-1}))$ with
        $D_k = \partial_f L(f_k, \mu_k)$ (the first step: $D_{-1} = D_0$); returns `(state, memory)`.
        Default: optax's `scale_by_optimistic_gradient` on the state's own structure."""
        update, memory = OPTIMISM.update(self.ascent_direction(game, state, x, masses), memory)
        return moved(game, state, update, lr_d), memory

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
