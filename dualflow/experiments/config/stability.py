r"""The stability commands' configurations: `PhaseConfig` (`dualflow phase`) and `LinearizeConfig`
(`dualflow linearize`), typed and frozen, with the parsers of their text values (`parse_axis`,
`parse_points`). The command line builds them from its arguments; Python callers build them directly."""

from __future__ import annotations

import dataclasses

import numpy as np


def parse_axis(text: str):
    """`NAME:START:STOP:NUM[:log|lin]` -> `(name, values)` (log spacing by default)."""
    parts = text.split(":")
    if len(parts) not in (4, 5):
        raise ValueError(f"an axis is NAME:START:STOP:NUM[:log|lin]; received {text!r}")
    name, start, stop, num = parts[0], float(parts[1]), float(parts[2]), int(parts[3])
    spacing = parts[4] if len(parts) == 5 else "log"
    if spacing not in ("log", "lin"):
        raise ValueError(f"axis spacing must be 'log' or 'lin'; received {spacing!r}")
    values = np.geomspace(start, stop, num) if spacing == "log" else np.linspace(start, stop, num)
    return name, values


def parse_points(text: str):
    """`"x1,y1;x2,y2"` -> array `(n, d)`."""
    try:
        return np.array([[float(v) for v in row.split(",")] for row in text.split(";")])
    except ValueError:
        raise ValueError(f"points are 'x1,y1;x2,y2;...' (rows ';', coordinates ','); received {text!r}") from None


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
