r"""The interface every solver implements, and the discrete family's shared run.

`solve` validates what is common to every run (the game, the generator, the bounds), then asks
the solver which of its run-length arguments apply (`AbstractSolver.arguments`), refuses the
others, and hands the run to `AbstractSolver.run`. Two families implement it:

- `AbstractSteppedSolver` (`GDA`, `ProximalGDA`): `n_steps` steps of generator time
  $\eta_g$ each, saved every `save_every` steps; each solver provides its step
  (`fixed_step`) and the factor by which a history's weights decay per step (`decay_per_push`).
- `DualFlow`: the flow over $[0, t_1]$ saved at `n_saves` times, with a `max_steps` budget.

One rule for saves after an early end (`Result` other than `SUCCESSFUL`), for every solver:
they repeat the last valid state, and their time is the end time (`Solution.final_time`).
"""

from __future__ import annotations

import abc
from typing import ClassVar

import equinox as eqx

from ..validation import check_int, concrete_or_none
from .runs import history_pushes, run_fixed_steps
from .solution import Solution


class AbstractSolver(eqx.Module):
    """A solver that `solve` can run."""

    #: The run-length arguments of `solve` that apply to this solver.
    arguments: ClassVar[tuple[str, ...]]
    #: Their defaults (for those that have one).
    defaults: ClassVar[dict]
    #: True for a step map (GDA and its kin: linearized, a one-step matrix whose spectral radius
    #: decides stability), False for a flow (a Jacobian whose spectral abscissa decides it).
    discrete: ClassVar[bool]

    #: History pushes per step (sizes `ExactRKHS`'s buffer): two for `Extragradient` ($X_k$ and its look-ahead).
    pushes_per_step: ClassVar[int] = 1

    @abc.abstractmethod
    def local_map(self, game, generator):
        """The map `(g, disc, memory) -> (g', disc', memory')` this solver applies: one step for a
        discrete solver, the time derivative `(dg/dt, ddisc/dt, None)` for a flow (`memory`: see
        `init_memory`). `linearize(method="jacfwd")` differentiates it."""

    def init_memory(self, game, generator, g, disc):
        """What the solver carries from step to step besides the state `(g, disc)`, as a pair
        `(generator memory, discriminator memory)` (`OptimisticGDA`'s previous directions), at the
        start of a run; `None` (the default) for a solver without memory."""
        return None

    def linearization_memory(self, game, generator, g, disc):
        """The memory at which `linearize(method="jacfwd")` differentiates `local_map` about `(g, disc)`:
        that of a run in progress (the default: `init_memory`)."""
        return self.init_memory(game, generator, g, disc)

    def linear_map(self, generator_field, discriminator_field):
        r"""This solver's map built from two linear fields, for the kernel-trick linearization:
        `generator_field(xi, a)` the particles' velocity and `discriminator_field(a, xi)` the
        discriminator's ascent direction per unit rate (`linearize(method="kernel")`); it acts on
        the linear state of `linear_state`. Solvers without one refuse it."""
        raise ValueError(f"{type(self).__name__} has no kernel-trick linearization; use method='jacfwd'.")

    def linear_state(self, xi, a):
        r"""The linear state `(generator part, discriminator part)` that `linear_map` acts on, from the
        offsets $\xi$ and span coefficients $a$: `(xi, a)` itself, or with the solver's memory
        (`OptimisticGDA`: the previous directions, `((xi, u_xi), (a, u_a))`)."""
        return xi, a

    @abc.abstractmethod
    def run(self, game, generator, options: dict, **arguments) -> Solution:
        """The run of `game` from `generator` (prepared and cast by `solve`), with `options`
        (`blowup`, `stationary_tol`, `progress`, `reference`, `disc_state`, `field_grid`) and this solver's
        `arguments` (defaults filled in)."""


class AbstractSteppedSolver(AbstractSolver):
    r"""A discrete solver: each step advances generator time by $\eta_g$ (`lr_g`)."""

    arguments: ClassVar[tuple[str, ...]] = ("n_steps", "save_every")
    defaults: ClassVar[dict] = {"save_every": 1}
    discrete: ClassVar[bool] = True

    def local_map(self, game, generator):
        """One step, `fixed_step` at $\\eta_g$."""
        step = self.fixed_step(game, generator, self.lr_g)
        return lambda g, disc, memory: step(g, disc, memory, 0.0)

    @abc.abstractmethod
    def fixed_step(self, game, generator, dt):
        """The step `(g, disc, memory, t) -> (g, disc, memory)` for `stepping.guarded_loop`."""

    @abc.abstractmethod
    def decay_per_push(self, reg):
        """The factor by which a history's weights decay per step (one push per step); sizes
        `ExactRKHS`'s buffer."""

    def run(self, game, generator, options, *, n_steps=None, save_every=1):
        n_steps = check_int("n_steps", n_steps, minimum=1)
        save_every = check_int("save_every", save_every, minimum=1)
        if n_steps % save_every:
            raise ValueError(f"`n_steps` ({n_steps}) must be a multiple of `save_every` ({save_every}).")
        decay = concrete_or_none(self.decay_per_push(game.reg))
        capacity = game.discriminator.capacity(history_pushes(n_steps * self.pushes_per_step, options), decay)
        return run_fixed_steps(
            game,
            self,
            generator,
            self.lr_g,
            n_steps // save_every + 1,
            save_every,
            capacity,
            label="GDA steps",
            **options,
        )
