r"""A study's games built and run: the data sample, the initial particles and the player keys of a
seed (`build_problem`), the `KernelGame` of a setting (`build_game`) and one run of the flow or of
GDA in restartable segments (`solve_run`). Shared by the study and compare runners."""

from __future__ import annotations

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ...games.kernel_game import KernelGame
from ...games.payoffs import WGAN, KernelIPM, Logistic, NonSaturating
from ...kernels.features import RandomFourier
from ...kernels.radial import Gaussian
from ...measures.measure import Measure
from ...measures.targets import grid25, ring8
from ...players.base import AbstractDiscriminator
from ...players.exact_rkhs import ExactRKHS
from ...players.finite_rank import FiniteRank
from ...players.neural import NeuralDiscriminator
from ...players.optimal import OptimalWitness
from ...players.saved import FieldGrid
from ...players.spectral import SpectralRKHS
from ...solvers.base import AbstractSolver
from ...solvers.dual_flow import DualFlow
from ...solvers.gda import GDA
from ...solvers.solve import solve
from ..config.study import StudyConfig
from ..store.checkpoints import solve_in_segments


def run_dtype(cfg: StudyConfig):
    return jnp.float32 if cfg.data["precision"] == "float32" else jnp.float64


#: Points per axis of the grid on which a drawn run saves a discriminator that cannot be redrawn from
#: its trace (`FieldGrid`).
FIELD_POINTS = 41


def field_arrows(grid: FieldGrid) -> int:
    """Arrows per axis on panels and frames drawn from a field saved on `grid`: the arrow grid
    on grid points (`FieldGrid.arrow_counts`) nearest 11 per axis."""
    return min(grid.arrow_counts(), key=lambda m: abs(m - 11))


def field_grid_for(cfg: StudyConfig, game, data, x0, seed):
    """The `FieldGrid` on which the run of `seed` saves its discriminator, or `None`: only the first
    seed's runs are drawn, and only players that cannot be redrawn from their trace need one
    (`AbstractDiscriminator.redrawable`; `game` is prepared). The window holds the data and the initial particles with a
    third of their extent as room on each side; particles that go further leave the panels."""
    if seed != cfg.seeds[0] or not cfg.data["outputs"]["figures"] or game.discriminator.redrawable:
        return None
    return FieldGrid.around(np.concatenate([np.asarray(data.points), np.asarray(x0)]), FIELD_POINTS, margin=1 / 3)


def build_problem(cfg: StudyConfig, seed: int):
    """The data sample, the initial particles and the player keys of one seed.

    **Returns:** `(data, x0, keys)`: the target sample (a `Measure` in the study's precision),
    the initial positions `(N, 2)` and a dict of PRNG keys (`"features"`, `"network"`).
    """
    dtype = run_dtype(cfg)
    k_data, k_init, k_features, k_network = jax.random.split(jax.random.PRNGKey(seed), 4)
    target, generator = cfg.data["target"], cfg.data["generator"]
    if target["name"] == "ring8":
        data = ring8(k_data, target["n_data"], radius=target["radius"], std=target["std"])
    else:
        data = grid25(k_data, target["n_data"], spacing=target["spacing"], std=target["std"])
    data = Measure(data.points.astype(dtype), data.masses.astype(dtype))
    x0 = (generator["scale"] * jax.random.normal(k_init, (generator["n_particles"], 2))).astype(dtype)
    return data, x0, {"features": k_features, "network": k_network}


def _payoff(cfg: StudyConfig, name: str):
    game = cfg.data["game"]
    return {
        "kernel_ipm": lambda: KernelIPM(),
        "logistic": lambda: Logistic(),
        "non_saturating": lambda: NonSaturating(),
        "wgan_gp": lambda: WGAN(gradient_penalty=game["gradient_penalty"]),
        "wgan_clip": lambda: WGAN(clip=game["clip"]),
    }[name]()


def build_game(cfg: StudyConfig, params: dict, data, keys, x0):
    """The `KernelGame` of one setting (`params` from `StudyConfig.parameters`) and seed, whose
    initial particles are `x0` (they fix a spectral critic's box).

    The setting's discriminator kind (`discriminator.kind`, or the `discriminator` axis):
    `"spectral"` plays `SpectralRKHS(Gaussian(bandwidth), tol, box)` (the exact kernel to `tol`),
    `"rff"` plays `FiniteRank(RandomFourier(Gaussian(bandwidth), n_features))`, `"exact"` plays
    `ExactRKHS(Gaussian(bandwidth))` (its history), `"neural"` an MLP critic (softplus);
    $\\kappa = \\infty$ replaces the kernel ones by `OptimalWitness` over the same kernel (spectral
    sums for `"spectral"`) or features.
    """
    disc_cfg, game_cfg = cfg.data["discriminator"], cfg.data["game"]
    kernel = Gaussian(params["bandwidth"])
    best_response = math.isinf(params["kappa"])
    disc: AbstractDiscriminator
    kind = params["kind"]
    if kind == "spectral":
        box = (-disc_cfg["box"], disc_cfg["box"]) if disc_cfg["box"] > 0 else None
        disc = (
            OptimalWitness(kernel, method="spectral", tol=disc_cfg["tol"], box=box)
            if best_response
            else SpectralRKHS(kernel, tol=disc_cfg["tol"], box=box)
        )
    elif kind == "rff":
        features = RandomFourier(kernel, params["n_features"], 2, key=keys["features"])
        disc = OptimalWitness(features) if best_response else FiniteRank(features)
    elif kind == "exact":
        disc = OptimalWitness(kernel) if best_response else ExactRKHS(kernel, history_tol=disc_cfg["history_tol"])
    else:
        mlp = eqx.nn.MLP(
            2, "scalar", disc_cfg["width"], disc_cfg["depth"], activation=jax.nn.softplus, key=keys["network"]
        )
        disc = NeuralDiscriminator(mlp)
    game = KernelGame(
        data, disc, reg=game_cfg["reg"], payoff=_payoff(cfg, params["payoff"]), velocity=game_cfg["velocity"]
    )
    return eqx.tree_at(lambda g: g.discriminator, game, game.discriminator.prepared(game, x0))


def solve_run(
    cfg: StudyConfig, params: dict, dynamics: str, game, x0, *, checkpoint=None, on_segment=None, field_grid=None
):
    """One run, in `n_segments(cfg)` restartable segments (`checkpoints.solve_in_segments`); with a
    `field_grid`, the discriminator saved on it at every save (`solve(..., field_grid=)`)."""
    dyn, dtype = cfg.data["dynamics"], run_dtype(cfg)
    segments = n_segments(cfg)
    solver: AbstractSolver
    if dynamics == "gda":
        lr_d = params["lr_d"] if params["lr_d"] is not None else params["tau"]  # unused by a best response
        solver = GDA(
            lr_g=jnp.asarray(params["tau"], dtype),
            lr_d=jnp.asarray(lr_d, dtype),
            order=dyn["order"],
            n_critic=params["n_critic"],
        )

        def piece(x, disc):
            return solve(
                game,
                Measure(x),
                solver,
                n_steps=params["n_steps"] // segments,
                save_every=params["save_every"],
                blowup=dyn["blowup"],
                throw=False,
                init_discriminator=disc,
                field_grid=field_grid,
            )
    else:
        kappa = params["kappa_flow"] if math.isfinite(params["kappa_flow"]) else 1.0  # unused by a best response
        solver = DualFlow(
            kappa=jnp.asarray(kappa, dtype), rtol=dyn["flow_rtol"], atol=dyn["flow_atol"], dt0=dyn["flow_dt0"] or None
        )

        def piece(x, disc):
            return solve(
                game,
                Measure(x),
                solver,
                t1=dyn["t1"] / segments,
                n_saves=(dyn["n_saves"] - 1) // segments + 1,
                max_steps=dyn["max_steps"],
                blowup=dyn["blowup"],
                throw=False,
                init_discriminator=disc,
                field_grid=field_grid,
            )

    if segments == 1:
        return piece(x0, "zero")
    return solve_in_segments(
        piece,
        x0,
        segments,
        dyn["t1"] / segments,
        state_template(game, x0),
        checkpoint=checkpoint,
        fixed_grid=dynamics == "gda",
        on_segment=on_segment,
    )


def n_segments(cfg: StudyConfig) -> int:
    """Segments of every run: horizon / `dynamics.checkpoint_every` (1 when it is 0)."""
    dyn = cfg.data["dynamics"]
    return round(dyn["t1"] / dyn["checkpoint_every"]) if dyn["checkpoint_every"] > 0 else 1


def state_template(game, x0):
    """A discriminator state of the game's player (its structure, for reading stored runs)."""
    n = x0.shape[0]
    return game.discriminator.init(game, x0, jnp.full((n,), 1.0 / n, dtype=x0.dtype), 0)
