r"""The stability commands' configurations: `PhaseConfig` (`dualflow phase`) and `LinearizeConfig`
(`dualflow linearize`), typed and frozen, with the parsers of their text values (`parse_axis`,
`parse_points`, `parse_masses`) and the names the command line offers (`SCHEMES`, `PHASE_AXES`). The command line builds them from its arguments; Python callers build them directly."""

from __future__ import annotations

import dataclasses

import numpy as np

from .validate import did_you_mean

#: The solvers of the stability commands: the names of `dualflow.solvers.schemes.SCHEMES`, kept
#: here so that the command line builds its help without importing jax (a test keeps them equal).
SCHEMES = (
    "simultaneous",
    "alternating_d_first",
    "alternating_g_first",
    "extragradient",
    "optimistic",
    "proximal",
    "flow",
)
#: The parameters a phase diagram sweeps: `dualflow.analysis.phase_diagram.AXES` (a test keeps them equal).
PHASE_AXES = ("bandwidth", "reg", "lr_g", "lr_d", "kappa", "imbalance")
AXIS_FORM = "NAME:START:STOP:NUM[:log|lin], e.g. bandwidth:0.1:10:100"


def parse_axis(text: str):
    """`NAME:START:STOP:NUM[:log|lin]` -> `(name, values)`: `NUM` values from `START` to `STOP`,
    log-spaced by default (then `START`, `STOP` > 0), `NAME` one of `PHASE_AXES`.

    **Raises:** `ValueError` saying which part is wrong, with the expected form."""
    parts = text.split(":")
    if len(parts) not in (4, 5):
        raise ValueError(f"expected {AXIS_FORM} (NUM an integer >= 1); received {text!r}")
    name, spacing = parts[0], parts[4] if len(parts) == 5 else "log"
    if name not in PHASE_AXES:
        raise ValueError(f"unknown axis {name!r} in {text!r}{did_you_mean(name, PHASE_AXES, 'axes')}")
    try:
        start, stop = float(parts[1]), float(parts[2])
    except ValueError:
        raise ValueError(f"START and STOP must be numbers in {AXIS_FORM}; received {text!r}") from None
    try:
        num = int(parts[3])
    except ValueError:
        num = 0
    if num < 1:
        raise ValueError(f"NUM must be an integer >= 1 in {AXIS_FORM}; received NUM {parts[3]!r} in {text!r}")
    if spacing not in ("log", "lin"):
        raise ValueError(f"the spacing must be 'log' or 'lin'; received {spacing!r} in {text!r}")
    if not (np.isfinite(start) and np.isfinite(stop)) or (spacing == "log" and not (start > 0 and stop > 0)):
        bound = "positive" if spacing == "log" else "finite"
        raise ValueError(
            f"START and STOP must be {bound} numbers{' for log spacing (or add :lin)' if spacing == 'log' else ''}; "
            f"received {text!r}"
        )
    values = np.geomspace(start, stop, num) if spacing == "log" else np.linspace(start, stop, num)
    return name, values


def parse_points(text: str):
    """`"x1,y1;x2,y2"` -> a finite array `(n, d)` (rows `;`, coordinates `,`).

    **Raises:** `ValueError` for text that is not that form, rows of different lengths, or
    entries that are not finite."""
    form = "points 'x1,y1;x2,y2;...' (rows ';', coordinates ',')"
    try:
        rows = [[float(v) for v in row.split(",")] for row in text.split(";")]
    except ValueError:
        raise ValueError(f"expected {form}; received {text!r}") from None
    if len({len(row) for row in rows}) != 1:
        raise ValueError(f"expected {form}, every point with the same number of coordinates; received {text!r}")
    points = np.array(rows)
    if not np.all(np.isfinite(points)):
        raise ValueError(f"expected finite coordinates; received {text!r}")
    return points


def parse_masses(text: str):
    """`"0.5;0.5"` (or `"0.5,0.5"`) -> a positive finite array `(n,)`.

    **Raises:** `ValueError` unless every entry is a finite positive number."""
    try:
        masses = np.array([float(v) for v in text.replace(",", ";").split(";")])
    except ValueError:
        raise ValueError(
            f"expected masses such as '0.5;0.5' (one per point, ';'-separated); received {text!r}"
        ) from None
    if not np.all(np.isfinite(masses) & (masses > 0)):
        raise ValueError(f"expected finite positive masses; received {text!r}")
    return masses


@dataclasses.dataclass(frozen=True, kw_only=True)
class StabilityGame:
    """What both stability commands share: the Gaussian-kernel game and its solver.

    **Fields:** `lr_g`, `lr_d` (the rates; the flow's $\\kappa$ is `lr_d / lr_g`), `bandwidth`,
    `reg` and `scheme` (a name in `solvers.schemes.SCHEMES`: a GDA step order, `"extragradient"`,
    `"optimistic"`, `"proximal"` or `"flow"`).
    """

    lr_g: float = 0.1
    lr_d: float = 0.1
    bandwidth: float = 1.0
    reg: float = 0.1
    scheme: str = "alternating_d_first"


@dataclasses.dataclass(frozen=True, kw_only=True)
class PhaseConfig(StabilityGame):
    """A phase diagram of the isolated points model (`dualflow phase`).

    **Fields:** `x`, `y` (the swept axes, `NAME:START:STOP:NUM[:log|lin]`), `cluster` (generated
    points on the true point), `w` (mass of each), `p` (mass of the true point), `measure` (also
    simulate every grid point), `steps` (GDA steps per simulated run), `critic` (`"exact"` or
    `"spectral"`), `against_flow` (also the flow's diagram over the same grid and where the two
    differ: `disagreement_map`), `out` (the output folder); the game's fields (`StabilityGame`) give the values
    of the parameters not swept.
    """

    x: str = "bandwidth:0.1:10:100"
    y: str = "reg:0.01:1:100"
    cluster: int = 1
    w: float = 1.0
    p: float = 1.0
    measure: bool = False
    steps: int = 1000
    critic: str = "exact"
    against_flow: bool = False
    out: str = "dualflow-output/phase"


@dataclasses.dataclass(frozen=True, kw_only=True)
class LinearizeConfig(StabilityGame):
    """The exact linearization at one configuration (`dualflow linearize`).

    **Fields:** `data`, `generator` (points, `"x1,y1;x2,y2"`), `data_masses`, `masses` (their
    masses, same form; `None`: uniform), `find_equilibrium` (refine `generator` by Newton's method
    first), `n_critic`, `velocity` (`"mass_weighted"` or `"wasserstein"`), `out`; and the game's
    fields (`StabilityGame`).
    """

    data: str
    generator: str
    data_masses: str | None = None
    masses: str | None = None
    find_equilibrium: bool = False
    n_critic: int = 1
    velocity: str = "mass_weighted"
    out: str = "dualflow-output/linearize"


def from_arguments(model, args):
    """`model` (`PhaseConfig` or `LinearizeConfig`) built from the fields of parsed `args` (argparse)."""
    return model(**{field.name: getattr(args, field.name) for field in dataclasses.fields(model)})
