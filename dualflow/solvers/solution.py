"""The common output of every run, continuous or discrete."""

from __future__ import annotations

import enum

import equinox as eqx
import jax
import numpy as np

from .._custom_types import Masses, Points, Times, TimeSeries, Trajectory
from ..players.saved import FieldGrid, SavedWitness


class Result(enum.IntEnum):
    """Why a run ended. `SUCCESSFUL` and `STATIONARY` are normal ends; the others are
    failures that `throw=True` turns into a `RuntimeError`."""

    # An IntEnum, not an `eqx.Enumeration`, on purpose: `Solution.result` stays a plain int32
    # array that a vmapped sweep stacks, `jnp.where` selects, NumPy compares, an `.npz` store keeps
    # and JSON writes, with no conversion at any of those edges (an Enumeration item is a pytree
    # with its own equality, which none of them take). The compiled runs produce the codes with
    # `jnp.where` over these integers, and `Result(code)` names one on the host.

    #: The run reached its horizon.
    SUCCESSFUL = 0
    #: The flow used up its `max_steps` budget before the horizon.
    MAX_STEPS = 1
    #: A coordinate exceeded `blowup` in absolute value.
    BLEW_UP = 2
    #: The state became NaN or infinite (or a proximal step did not converge).
    NONFINITE = 3
    #: Every particle's speed fell below `stationary_tol`.
    STATIONARY = 4
    #: A particle left the region where the discriminator's representation holds (the box of a
    #: spectral lattice); the run keeps the last state inside it.
    LEFT_BOX = 5

    @property
    def failed(self) -> bool:
        """Whether this end is a failure (`MAX_STEPS`, `BLEW_UP`, `NONFINITE`, `LEFT_BOX`)."""
        return self in (Result.MAX_STEPS, Result.BLEW_UP, Result.NONFINITE, Result.LEFT_BOX)


class Solution(eqx.Module):
    r"""A trajectory of the game.

    **Fields:**

    - `ts`: `(S,)` saved times in generator time $t = k\,\eta_g$ (GDA) or flow time.
      After an early end, saves past the end repeat the last state at the end time (every solver).
      `LEFT_BOX` ends a run whose particle left a spectral discriminator's box.
    - `points`: `(S, N, d)` generator positions at the saved times.
    - `masses`: `(N,)` generator masses.
    - `payoff_gap`: `(S,)` discriminator summary $\sum_i p_i f(y_i) - \sum_j m_j f(x_j)$.
    - `discriminator_trace`: the discriminator's state (or its small part) at the saved times:
      $\theta$ `(S, D)` for `FiniteRank`, the lattice coefficients `(S, 2, G_1, ..., G_d)` for
      `SpectralRKHS` (`discriminator.state_from_trace` rebuilds the state), the data coefficient
      `(S,)` for `ExactRKHS`, `None` for `OptimalWitness`.
    - `final_points`, `final_discriminator`, `final_time`: the last finite state reached.
    - `final_generator`: the generator's final state (the positions for free particles, the
      parameters of a `NeuralGenerator`).
    - `result`: integer code of `Result`.
    - `stats`: dict of step statistics (`num_steps`; for adaptive flows `num_accepted_steps`,
      `num_rejected_steps`; for exact histories `dropped_weight`).
    - `field`, `field_grid`: with `solve(..., field_grid=grid)`, the discriminator on that grid at
      every save, `(S, n * n, 3)`: $(f, \partial_1 f, \partial_2 f)$ at the grid points, evaluated by
      the player with the particles of that save (`saved_discriminator` reads one save back);
      `None` otherwise.
    """

    ts: Times
    points: Trajectory
    masses: Masses
    payoff_gap: TimeSeries
    discriminator_trace: object
    final_points: Points
    final_generator: object
    final_discriminator: object
    final_time: jax.Array
    result: jax.Array
    stats: dict
    field: jax.Array | None = None
    field_grid: FieldGrid | None = None

    @property
    def result_name(self) -> str:
        """Name of the result code (`"SUCCESSFUL"`, `"BLEW_UP"`, ...)."""
        return Result(int(np.asarray(self.result))).name

    def saved_discriminator(self, game, index: int):
        """`(game, state)`: `game` with its discriminator replaced by the one saved at save `index`
        (`SavedWitness` on `field_grid`), for the drawing functions (`plot_field_panel` on that grid)."""
        if self.field is None or self.field_grid is None:
            raise ValueError("this run saved no field on a grid; run it with solve(..., field_grid=FieldGrid(...)).")
        return eqx.tree_at(lambda g: g.discriminator, game, SavedWitness(self.field_grid)), self.field[index]
