r"""`solve`: the one entry point for every solver (discrete GDA, the proximal step, dual flows)."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..games.kernel_game import KernelGame, check_game_and_measure
from ..measures.measure import Measure
from ..players.generators import AbstractGenerator, as_generator
from ..players.saved import FieldGrid
from ..precision import cast_floating
from ..validation import check_choice, check_positive, is_concrete
from .base import AbstractSolver
from .solution import Result, Solution

INIT_DISCRIMINATOR = ("zero", "best_response")


def solve(
    game: KernelGame,
    generator: Measure | AbstractGenerator,
    solver: AbstractSolver,
    *,
    n_steps: int | None = None,
    save_every: int | None = None,
    t1: float | None = None,
    n_saves: int | None = None,
    max_steps: int | None = None,
    blowup: float = 1e6,
    stationary_tol: float | None = None,
    throw: bool = True,
    progress: bool = False,
    init_discriminator="zero",
    field_grid: FieldGrid | None = None,
) -> Solution:
    r"""Run the game from the generator `generator` with a discrete or continuous solver.

    **Arguments:**

    - `game`: a `KernelGame` (data, discriminator, `reg`, payoff, velocity convention).
    - `generator`: the initial generator: a `Measure` (free particles; positions and masses,
      the masses stay fixed) or a generator player such as `NeuralGenerator` (its parameters
      follow the pulled-back velocity, see `players.generators`).
    - `solver`: `GDA(lr_g, lr_d, order, n_critic)`, `ProximalGDA(lr_g, lr_d, coupling)` or `DualFlow(kappa, ...)`.
    - `n_steps`, `save_every` (`GDA`, `ProximalGDA`): number of steps, and save every
      `save_every` (default 1) steps (`n_steps` must be a multiple of it). Saved times are
      $t = k\,\eta_g$.
    - `t1`, `n_saves`, `max_steps` (`DualFlow`): integrate over $[0, t_1]$ saving at `n_saves`
      (default 101) equally spaced times, within a budget of `max_steps` (default 100 000) steps
      of adaptive flows (ends with `Result.MAX_STEPS`).
    - A run-length argument that does not apply to `solver` is refused with a message naming
      those that do (a GDA run has no `t1`, a flow no `n_steps`).
    - After an early end, saves repeat the last valid state at the end time, for every solver.
    - `blowup`: a state with $\max|x| >$ `blowup` ends the run (`Result.BLEW_UP`).
    - `stationary_tol`: end with `Result.STATIONARY` once every particle's speed is below it.
    - `throw`: raise `RuntimeError` on `MAX_STEPS`, `BLEW_UP`, `NONFINITE`; with `False` the
      labelled `Solution` (with its last finite state) is returned so a sweep goes on.
    - `progress`: print a progress meter on stderr.
    - `init_discriminator`: `"zero"` ($f_0 = 0$, as training starts), `"best_response"`
      ($f_0$ the best response to the initial generator: a run started at an equilibrium stays
      there), or a `Measure` with the generator's masses ($f_0$ the best response to *that*
      configuration: start the particles at $X^* + \varepsilon$ with the discriminator at the
      equilibrium's, to watch the local modes of a stability analysis), or a discriminator
      state of finite players (`FiniteRankState(theta0)`, a neural critic's parameters): start
      exactly there (e.g. the clipped-WGAN toy's critic parameters started apart).
    - `field_grid`: a `FieldGrid` (planar games): save the discriminator $(f, \nabla f)$ on it at
      every save (`Solution.field`; `Solution.saved_discriminator` reads a save back for drawing).
      Costs one witness evaluation at its $n^2$ points per save.

    **Returns:** a `Solution`.

    **Example:**

    ```python
    sol = solve(game, Measure(x0, q), GDA(lr_g=0.01, lr_d=0.1), n_steps=1000, save_every=10)
    sol.points[-1]          # positions after 1000 steps
    flow = solve(game, Measure(x0, q), DualFlow(kappa=10.0), t1=10.0)
    ```
    """
    generator = as_generator(generator)
    check_game_and_measure(game, generator.measure(generator.init()), "generator")
    check_positive("blowup", blowup, allow_inf=True)
    if stationary_tol is not None:
        check_positive("stationary_tol", stationary_tol)
    dtype = game.data.points.dtype  # the run lives in the data's dtype
    generator = cast_floating(generator, dtype)
    # what a player must fix before compilation (a spectral lattice's box) is fixed on concrete values
    game = eqx.tree_at(
        lambda g: g.discriminator,
        game,
        cast_floating(game.discriminator.prepared(game, generator.points(generator.init())), dtype),
    )
    reference, disc_state = _discriminator_start(game, init_discriminator, generator)
    if not isinstance(solver, AbstractSolver):
        raise ValueError(
            f"`solver` must be GDA(...), ProximalGDA(...) or DualFlow(...); received {type(solver).__name__}."
        )
    given = dict(n_steps=n_steps, save_every=save_every, t1=t1, n_saves=n_saves, max_steps=max_steps)
    given = {name: value for name, value in given.items() if value is not None}
    misplaced = sorted(set(given) - set(solver.arguments))
    if misplaced:
        raise ValueError(
            f"{type(solver).__name__} runs take {', '.join(f'`{a}`' for a in solver.arguments)}; "
            f"received {', '.join(f'`{a}`' for a in misplaced)}, which apply to other solvers."
        )
    solver = cast_floating(solver, dtype)
    if field_grid is not None and not isinstance(field_grid, FieldGrid):
        raise ValueError(f"`field_grid` must be a dualflow FieldGrid; received {type(field_grid).__name__}.")
    if field_grid is not None and game.data.dim != 2:
        raise ValueError(f"`field_grid` records planar games; the game's data have dimension {game.data.dim}.")
    options = dict(
        field_grid=field_grid,
        blowup=blowup,
        stationary_tol=stationary_tol,
        progress=progress,
        disc_state=disc_state,
        reference=None if reference is None else reference.astype(dtype),
    )
    sol = solver.run(game, generator, options, **{**solver.defaults, **given})
    if throw and is_concrete(sol.result) and Result(int(np.asarray(sol.result))).failed:
        advice = game.discriminator.left_box_advice() if sol.result_name == "LEFT_BOX" else ""
        raise RuntimeError(
            f"the run ended with {sol.result_name} at t = {float(sol.final_time):.6g}; {advice + '; ' if advice else ''}"
            "pass throw=False to get the labelled Solution with its last valid state instead."
        )
    return sol


def _discriminator_start(game, init, generator):
    """`(reference, state)`: the configuration whose best response starts the discriminator
    (`None`: none), and a given start state (`None`: none), from `init_discriminator`."""
    measure = generator.measure(generator.init())
    if isinstance(init, Measure):
        same_shape = init.points.shape == measure.points.shape
        same_masses = not (is_concrete(init.masses) and is_concrete(measure.masses)) or np.allclose(
            init.masses, measure.masses
        )
        if not (same_shape and same_masses):
            raise ValueError(
                "`init_discriminator` as a Measure must have the generator's shape "
                f"{measure.points.shape} and masses; received shape {init.points.shape}."
            )
        return init.points, None
    if isinstance(init, str):
        check_choice("init_discriminator", init, INIT_DISCRIMINATOR)
        return (measure.points if init == "best_response" else None), None
    if game.discriminator.flows_by_history:
        raise ValueError(
            "the exact RKHS discriminator starts at 'zero', at 'best_response' or at the best response "
            f"to a Measure; received {type(init).__name__}."
        )
    expected = jax.eval_shape(lambda: game.discriminator.init(game, measure.points, measure.masses, 0))
    shapes = jax.tree_util.tree_map(lambda a: jnp.shape(a), init)
    if jax.tree_util.tree_structure(init) != jax.tree_util.tree_structure(expected) or shapes != jax.tree_util.tree_map(
        lambda a: a.shape, expected
    ):
        raise ValueError(
            f"`init_discriminator` as a state must have the structure and shapes of "
            f"{type(game.discriminator).__name__}'s state {expected}; received {init!r}."
        )
    return None, cast_floating(jax.tree_util.tree_map(jnp.asarray, init), measure.points.dtype)
