r"""Phase diagrams: the local phase of an equilibrium over a grid of two parameters, predicted by
the exact linearization and measured by simulation, side by side.

**The problem.** Data $\nu$ (`data`), an equilibrium configuration $X^*$ with masses
(`equilibrium`, e.g. a cluster collapsed on a true point, a lone point, or one found by
`find_equilibrium`), a Gaussian kernel and base values of every parameter (`base`). Two of
the parameters are swept:

- `bandwidth` ($\sigma$), `reg` ($\lambda$), `lr_g` ($\eta_g$), `lr_d` ($\eta_d$);
- `kappa` $= \eta_d/\eta_g$ (sets $\eta_d = \kappa\,\eta_g$; for the flow, its $\kappa$);
- `imbalance` $\delta = \sum_i p_i - \sum_j m_j$ (the data masses are rescaled to total
  $\sum_j m_j + \delta$).

The configuration is held fixed over the grid; `PhaseDiagram.residual` says where it is an
exact equilibrium (collapsed clusters and lone points are one for every parameter value).

**Predicted** (`predict_phase_diagram`): one compiled call `vmap`s `linearize` over the whole
grid. Labels (`Phase`): `DIVERGES` when the growth (spectral radius of the GDA step, or spectral
abscissa of the flow, the rest mode included) exceeds neutral by more than `neutral_tol`,
`OSCILLATES` when it is neutral within `neutral_tol`, else `CONVERGES_OSCILLATING` when the
slowest mode the particles see is a complex pair, `CONVERGES` otherwise.

**Measured** (`measure_phase_diagram`): one compiled call `vmap`s `solve` over the grid (GDA in
its order, or the dual flow for a flow diagram), each run started at $X^* + \varepsilon v$ (a fixed random direction $v$, $|\varepsilon v|_\infty$ = `offset`)
with the discriminator at the equilibrium's best response, and each run is labelled by
`classify_trajectory` against the reference $X^*$.

**The critic** (`critic`): `"exact"` holds the RKHS discriminator by its history (`ExactRKHS`),
`"spectral"` by its lattice coefficients (`SpectralRKHS`, exact to `tol`: one lattice, sized for
the smallest and largest bandwidth of the grid and a box around the data and the equilibrium
with `kernels.spectral.BOX_ROOM`, serves every grid point of the `vmap`). Both are the same
Gaussian-kernel game; the predictions agree to `tol` and the measured runs to the lattice's
accuracy (tested), and the spectral one's cost per step does not grow with the step count.
"""

from __future__ import annotations

import dataclasses
import inspect

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..games.kernel_game import KernelGame
from ..kernels.radial import Gaussian
from ..kernels.spectral import SpectralLattice, default_box
from ..measures.measure import Measure
from ..players.exact_rkhs import ExactRKHS
from ..players.spectral import SpectralRKHS
from ..sharding import map_rows
from ..solvers.schemes import SCHEMES, scheme_solver
from ..solvers.solution import Result
from ..solvers.solve import solve
from ..validation import check_choice, check_int, check_key, check_positive
from .linearization import linearize
from .phases import Phase, classify_trajectory

AXES = ("bandwidth", "reg", "lr_g", "lr_d", "kappa", "imbalance")
#: Former names of axes, refused with the current one named.
RENAMED_AXES = {"ratio": "kappa"}
BASE = {"bandwidth": 1.0, "reg": 0.1, "lr_g": 0.1, "lr_d": 0.1}
CRITICS = ("exact", "spectral")
COARSE = {
    Phase.CONVERGES: "converges",
    Phase.CONVERGES_OSCILLATING: "converges",
    Phase.OSCILLATES: "oscillates",
    Phase.DIVERGES: "diverges",
}


def neutral_growth(scheme: str) -> float:
    """The growth of a neutral mode: $|\\rho| = 1$ for a GDA step, $\\operatorname{Re} s = 0$ for the flow."""
    return 0.0 if scheme == "flow" else 1.0


def coarse_labels(labels) -> np.ndarray:
    """`Phase` values as converges / oscillates / diverges (`COARSE`; `"other"` for the rest)."""
    return np.vectorize(lambda k: COARSE.get(Phase(int(k)), "other"))(labels)


@dataclasses.dataclass(frozen=True)
class PhaseDiagram:
    """A phase diagram over `x_values` (columns) and `y_values` (rows).

    **Fields:** `x_name`, `y_name`, `x_values`, `y_values`; `growth` `(ny, nx)` (spectral radius
    of the GDA step or spectral abscissa of the flow, rest mode included); `predicted` `(ny, nx)`
    integer `Phase` labels; `residual` `(ny, nx)` stationarity residual of the configuration;
    `measured` `(ny, nx)` labels from simulation (or `None`); `measured_rate` (fitted rate per
    unit time, or `None`); `scheme` (a name of `solvers.SCHEMES`); `discrete`; the problem
    (`data`, `equilibrium`, `base` with every fixed parameter, `n_critic`, `velocity`); the
    critic's `lattice` (a `SpectralLattice` shared by the grid, or `None` for the exact history critic).
    """

    x_name: str
    y_name: str
    x_values: np.ndarray
    y_values: np.ndarray
    growth: np.ndarray
    predicted: np.ndarray
    residual: np.ndarray
    scheme: str
    discrete: bool
    data: Measure
    equilibrium: Measure
    base: dict
    n_critic: int
    velocity: str
    lattice: SpectralLattice | None = None
    measured: np.ndarray | None = None
    measured_rate: np.ndarray | None = None

    def agreement(self, coarse: bool = True) -> float:
        """Fraction of grid points where the measured label equals the predicted one
        (`coarse`: compare converges / oscillates / diverges only)."""
        if self.measured is None:
            raise ValueError("this diagram has no measured labels; run `measure_phase_diagram`.")
        if coarse:
            return float(np.mean(coarse_labels(self.predicted) == coarse_labels(self.measured)))
        return float(np.mean(self.predicted == self.measured))

    @property
    def neutral(self) -> float:
        """The growth of a neutral mode for this diagram's scheme (`neutral_growth`)."""
        return neutral_growth(self.scheme)

    def to_json(self) -> dict:
        """A JSON-able summary (label names, growth, agreement)."""
        names = np.vectorize(lambda k: Phase(k).name)
        out = {
            "x_name": self.x_name,
            "y_name": self.y_name,
            "x_values": self.x_values.tolist(),
            "y_values": self.y_values.tolist(),
            "scheme": self.scheme,
            "growth": self.growth.tolist(),
            "predicted": names(self.predicted).tolist(),
            "max_residual": float(np.max(self.residual)),
            "critic": "exact" if self.lattice is None else "spectral",
        }
        if self.measured is not None:
            out.update(
                measured=names(self.measured).tolist(),
                agreement_coarse=self.agreement(True),
                agreement_fine=self.agreement(False),
            )
        return out


def _renamed(name):
    if name in RENAMED_AXES:
        raise ValueError(
            f"the axis {name!r} is now called {RENAMED_AXES[name]!r} (eta_d / eta_g, one name everywhere)."
        )


def _check_axis(name, values):
    _renamed(name)
    check_choice("axis", name, AXES)
    values = np.asarray(values, dtype=float)
    if values.ndim != 1 or values.size < 1:
        raise ValueError(f"axis {name!r}: expected a 1-D array of values; received shape {values.shape}.")
    if name != "imbalance":
        check_positive(name, values)
    return values


def _setup(data, equilibrium, x, y, base, solver_kind):
    if not isinstance(data, Measure) or not isinstance(equilibrium, Measure):
        raise ValueError(
            "`data` and `equilibrium` must be dualflow Measures; received "
            f"{type(data).__name__} and {type(equilibrium).__name__}."
        )
    if data.dim != equilibrium.dim:
        raise ValueError(f"`equilibrium` has dimension {equilibrium.dim} but the data have dimension {data.dim}.")
    (x_name, x_values), (y_name, y_values) = x, y
    if x_name == y_name:
        raise ValueError(f"the two axes must differ; received {x_name!r} twice.")
    for name in base:
        _renamed(name)
    unknown = set(base) - set(BASE) - {"kappa", "imbalance"}
    if unknown:
        raise ValueError(f"unknown `base` keys {sorted(unknown)}; expected some of {list(AXES)}.")
    params = dict(BASE, **base)
    for key, value in params.items():
        if key != "imbalance":
            check_positive(key, value)
    check_choice("scheme", solver_kind, SCHEMES)
    x, y = (x_name, _check_axis(x_name, x_values)), (y_name, _check_axis(y_name, y_values))
    if "imbalance" in params:
        _check_imbalance("base['imbalance']", params["imbalance"], equilibrium)
    for name, values in (x, y):
        if name == "imbalance":
            _check_imbalance("imbalance", values, equilibrium)
    return x, y, params


def _check_imbalance(name, values, equilibrium):
    r"""Raise unless every imbalance $\delta$ leaves the data a positive mass
    $\sum_j m_j + \delta > 0$ (the data masses are rescaled to that total)."""
    values = np.asarray(values, dtype=float)
    lowest = -float(np.sum(np.asarray(equilibrium.masses)))
    if not np.all(np.isfinite(values) & (values > lowest)):
        raise ValueError(
            f"`{name}` must be finite and > {lowest:.6g} (minus the equilibrium's total mass: the data are "
            f"rescaled to that mass plus the imbalance, which must stay positive); received {values.tolist()}."
        )


def _lattice_for(critic, tol, data, equilibrium, grid):
    """The one lattice of a spectral grid (smallest and largest bandwidth, box around the data and
    the equilibrium), or `None` for the exact critic."""
    check_choice("critic", critic, CRITICS)
    if critic == "exact":
        return None
    bandwidths = np.asarray(grid["bandwidth"])
    points = np.concatenate([np.asarray(data.points), np.asarray(equilibrium.points)])
    lower, upper = default_box(points, bandwidths.max())
    return SpectralLattice.fit(
        Gaussian(1.0), lower, upper, data.dim, tol, bandwidths=(bandwidths.min(), bandwidths.max())
    )


def _critic(bandwidth, lattice):
    kernel = Gaussian(bandwidth)
    return ExactRKHS(kernel) if lattice is None else SpectralRKHS(kernel, lattice=lattice)


def _build(data, equilibrium, params, scheme, n_critic, velocity, lattice, **flow_options):
    """Game and solver at one grid point (`params` may hold traced values; `flow_options`:
    `DualFlow`'s tolerances for a simulated flow)."""
    lr_g = params["lr_g"]
    lr_d = params["kappa"] * lr_g if "kappa" in params else params["lr_d"]
    masses = data.masses
    if "imbalance" in params:
        masses = masses * (jnp.sum(equilibrium.masses) + params["imbalance"]) / jnp.sum(data.masses)
    game = KernelGame(
        Measure(data.points, masses), _critic(params["bandwidth"], lattice), reg=params["reg"], velocity=velocity
    )
    return game, scheme_solver(scheme, lr_g, lr_d, n_critic=n_critic, **flow_options)


def _grid(x, y, params):
    """Flattened parameter arrays over the grid (rows: y, columns: x)."""
    (x_name, xs), (y_name, ys) = x, y
    gx, gy = np.meshgrid(xs, ys)
    grid = {k: np.full(gx.size, float(v)) for k, v in params.items()}
    grid[x_name], grid[y_name] = gx.ravel(), gy.ravel()
    return {k: jnp.asarray(v) for k, v in grid.items()}


def _over_grid(one, grid, mesh):
    """`vmap(one)` over the flattened grid; with a `mesh`, the grid points split across its devices."""
    return jax.vmap(one)(grid) if mesh is None else map_rows(jax.vmap(one), grid, mesh=mesh, gather=True)


def dominant_mode(data, equilibrium, params, scheme, n_critic, velocity, lattice):
    """The linearization at one parameter point (`params`: every axis value, may be traced):
    `(growth, dominant eigenvalue, residual)`; the dominant eigenvalue is the one of largest
    $|\rho|$ (GDA) or real part (flow)."""
    game, solver = _build(data, equilibrium, params, scheme, n_critic, velocity, lattice)
    lin = linearize(game, equilibrium, solver)
    growth_of = jnp.abs if lin.discrete else jnp.real
    return lin.growth, lin.eigenvalues[jnp.argmax(growth_of(lin.eigenvalues))], lin.residual


@eqx.filter_jit
def _predict(data, equilibrium, grid, scheme, n_critic, velocity, lattice, mesh):
    def one(params):
        growth, dominant, residual = dominant_mode(data, equilibrium, params, scheme, n_critic, velocity, lattice)
        return growth, jnp.imag(dominant) != 0, residual

    return _over_grid(one, grid, mesh)


def predict_phase_diagram(
    data: Measure,
    equilibrium: Measure,
    *,
    x,
    y,
    base=None,
    scheme="alternating_d_first",
    n_critic: int = 1,
    velocity="mass_weighted",
    neutral_tol: float = 1e-9,
    critic: str = "exact",
    tol: float = 1e-10,
    mesh=None,
) -> PhaseDiagram:
    r"""The predicted phase diagram: `linearize` at every grid point, in one compiled `vmap`.

    **Arguments:**

    - `data`, `equilibrium`: the true measure and the equilibrium configuration (fixed over the grid).
    - `x`, `y`: `(name, values)` of the two swept parameters (names in `AXES`).
    - `base`: values of the other parameters (defaults `BASE`: bandwidth 1, reg 0.1, rates 0.1).
    - `scheme`: a name of `solvers.SCHEMES`: a GDA order (`"simultaneous"`, `"alternating_d_first"`,
      `"alternating_g_first"`), `"extragradient"`, `"optimistic"`, `"proximal"` (one-step maps), or
      `"flow"` (the dual flow, $\kappa = \eta_d/\eta_g$, Jacobian in generator time).
    - `n_critic` (GDA orders only), `velocity`: as in `GDA` and `KernelGame`.
    - `neutral_tol`: growth within this of neutral (1 for GDA, 0 for the flow) is `OSCILLATES`.
    - `critic`, `tol`: `"exact"` (`ExactRKHS`, the history) or `"spectral"` (`SpectralRKHS` held
      to `tol`, one lattice for the grid; module docstring); `measure_phase_diagram` simulates
      the same critic.
    - `mesh`: a `jax.sharding.Mesh` (e.g. `dualflow.sharding.device_mesh()`) to split the grid
      points across its devices (`map_rows`; one device's numbers to rounding), or `None`: one device.

    **Returns:** a `PhaseDiagram` (without measured labels).
    """
    x, y, params = _setup(data, equilibrium, x, y, base or {}, scheme)
    n_critic = check_int("n_critic", n_critic, minimum=1)
    check_positive("neutral_tol", neutral_tol)
    grid = _grid(x, y, params)
    lattice = _lattice_for(critic, tol, data, equilibrium, grid)
    growth, complex_pair, residual = _predict(data, equilibrium, grid, scheme, n_critic, velocity, lattice, mesh)
    shape = (len(y[1]), len(x[1]))
    growth, complex_pair = np.asarray(growth).reshape(shape), np.asarray(complex_pair).reshape(shape)
    neutral = neutral_growth(scheme)
    labels = np.where(
        growth > neutral + neutral_tol,
        Phase.DIVERGES,
        np.where(
            growth >= neutral - neutral_tol,
            Phase.OSCILLATES,
            np.where(complex_pair, Phase.CONVERGES_OSCILLATING, Phase.CONVERGES),
        ),
    )
    return PhaseDiagram(
        x_name=x[0],
        y_name=y[0],
        x_values=x[1],
        y_values=y[1],
        growth=growth,
        predicted=labels.astype(int),
        residual=np.asarray(residual).reshape(shape),
        scheme=scheme,
        discrete=scheme != "flow",
        data=data,
        equilibrium=equilibrium,
        base=params,
        n_critic=n_critic,
        velocity=velocity,
        lattice=lattice,
    )


@eqx.filter_jit
def _simulate(data, equilibrium, start, grid, scheme, n_critic, velocity, lattice, arguments, flow_options, mesh):
    def one(params):
        game, solver = _build(data, equilibrium, params, scheme, n_critic, velocity, lattice, **flow_options)
        sol = solve(game, start, solver, **arguments, throw=False, init_discriminator=equilibrium)
        return sol.ts, sol.points, sol.result

    return _over_grid(one, grid, mesh)


#: The options of `classify_trajectory` that `measure_phase_diagram` passes on (the others it sets).
CLASSIFY_OPTIONS = frozenset(inspect.signature(classify_trajectory).parameters) - {
    "ts",
    "points",
    "reference",
    "result",
}


def measure_phase_diagram(
    diagram: PhaseDiagram,
    *,
    n_steps: int = 1000,
    save_every: int = 1,
    t1: float | None = None,
    n_saves: int | None = None,
    rtol: float = 1e-10,
    atol: float = 1e-14,
    offset: float | None = None,
    escape: float = 1e3,
    blowup: float = 1e3,
    key=None,
    mesh=None,
    **classify_options,
) -> PhaseDiagram:
    r"""Simulate every grid point of `diagram` in one compiled `vmap` (its discrete scheme, or the
    dual flow for a `"flow"` diagram), label the runs with `classify_trajectory` against $X^*$
    and return the diagram with `measured` and `measured_rate` filled in.

    Every run starts at $X^* + \varepsilon v$ ($v$ a fixed random direction,
    $|\varepsilon v|_\infty$ = `offset`) with the discriminator at its best response to $X^*$.

    **Arguments:**

    - `diagram`: from `predict_phase_diagram`; the same problem and critic are simulated.
    - A discrete scheme: `n_steps` steps, saved every `save_every`.
    - The flow (`DualFlow` with $\kappa = \eta_d/\eta_g$ of each grid point, generator time):
      to `t1` (default: the time `n_steps` GDA steps of the base $\eta_g$ reach) with `n_saves`
      saves (default `min(n_steps // save_every, 500) + 1`), adaptive to `rtol`, `atol` (the
      displacement must be resolved far below `offset`; an exact-history critic takes fixed steps).
    - `offset`: the initial displacement (default 1e-6 for GDA, 1e-4 for the flow, whose
      tolerances set a floor that GDA's exact arithmetic does not have).
    - `escape`: a run whose offset exceeds `escape` times `offset` has left the equilibrium's
      neighbourhood and is labelled `DIVERGES` (what it does further out is nonlinear, not the
      local phase; it may well come back); `blowup`: bound on $|x|$ of the simulation itself.
    - `key`: PRNG key of the displacement's direction (default `PRNGKey(0)`); `mesh`: split the
      grid points across the devices of this `jax.sharding.Mesh` (as in `predict_phase_diagram`);
      `classify_options`: passed to `classify_trajectory`.
    """
    if not isinstance(diagram, PhaseDiagram):
        raise ValueError(
            f"`diagram` must be a PhaseDiagram from `predict_phase_diagram`; received {type(diagram).__name__}."
        )
    unknown = set(classify_options) - CLASSIFY_OPTIONS
    if unknown:
        raise ValueError(
            f"unknown options {sorted(unknown)} (passed to `classify_trajectory`); expected some of "
            f"{sorted(CLASSIFY_OPTIONS)}."
        )
    check_positive("escape", escape)
    check_positive("blowup", blowup, allow_inf=True)
    check_positive("rtol", rtol)
    check_positive("atol", atol)
    flow = diagram.scheme == "flow"
    if not flow and (t1 is not None or n_saves is not None):
        raise ValueError(
            "`t1` and `n_saves` apply to a flow diagram; a GDA diagram runs `n_steps` saved every `save_every`."
        )
    n_steps = check_int("n_steps", n_steps, minimum=1)
    save_every = check_int("save_every", save_every, minimum=1)
    offset = (1e-4 if flow else 1e-6) if offset is None else offset
    check_positive("offset", offset)
    if flow:
        t1 = n_steps * float(diagram.base["lr_g"]) if t1 is None else t1
        n_saves = min(n_steps // save_every, 500) + 1 if n_saves is None else n_saves
        check_positive("t1", t1)
        n_saves = check_int("n_saves", n_saves, minimum=2)
        arguments, flow_options = {"t1": float(t1), "n_saves": n_saves, "blowup": blowup}, {"rtol": rtol, "atol": atol}
    else:
        arguments, flow_options = {"n_steps": n_steps, "save_every": save_every, "blowup": blowup}, {}
    data, equilibrium = diagram.data, diagram.equilibrium
    x, y = (diagram.x_name, diagram.x_values), (diagram.y_name, diagram.y_values)
    key = jax.random.PRNGKey(0) if key is None else key
    check_key("key", key)
    direction = jax.random.normal(key, equilibrium.points.shape, dtype=equilibrium.points.dtype)
    start = Measure(equilibrium.points + offset * direction / jnp.max(jnp.abs(direction)), equilibrium.masses)
    ts, points, results = _simulate(
        data,
        equilibrium,
        start,
        _grid(x, y, diagram.base),
        diagram.scheme,
        diagram.n_critic,
        diagram.velocity,
        diagram.lattice,
        arguments,
        flow_options,
        mesh,
    )
    ts, points, results = np.asarray(ts), np.asarray(points), np.asarray(results)
    reference = np.asarray(equilibrium.points)
    reports = []
    for t, xs, result in zip(ts, points, results):
        outside = np.nonzero(~(np.max(np.abs(xs - reference), axis=(1, 2)) <= escape * offset))[0]
        if outside.size:  # left the neighbourhood: keep the run up to there, labelled as escaped
            t, xs, result = t[: outside[0] + 1], xs[: outside[0] + 1], Result.BLEW_UP
        reports.append(classify_trajectory(t, xs, reference=reference, result=int(result), **classify_options))
    shape = diagram.growth.shape
    measured = np.array([int(r.phase) for r in reports]).reshape(shape)
    rates = np.array([r.rate for r in reports]).reshape(shape)
    return dataclasses.replace(diagram, measured=measured, measured_rate=rates)
