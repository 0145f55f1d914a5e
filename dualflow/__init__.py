"""dualflow: GAN training as dynamics. Dual flows on measures versus discrete GDA.

The public names below are imported on first use (PEP 562 `__getattr__`): `import dualflow` is
instant and the `dualflow` command answers `--help` without importing jax; `dualflow.solve`,
`from dualflow import Gaussian` and `dualflow.analysis` import what they name when they are
reached. Type checkers and the API docs read the same names from the `TYPE_CHECKING` block, which
a test keeps equal to `_EXPORTS`.
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from importlib.util import find_spec
from typing import TYPE_CHECKING

#: The subpackages reachable as attributes, and the names re-exported from each subpackage.
_SUBPACKAGES = ("analysis", "dynamics", "games", "kernels", "measures")
_EXPORTS = {
    "analysis": (
        "Phase",
        "classify_solution",
        "disagreement_map",
        "find_equilibrium",
        "linearize",
        "measure_phase_diagram",
        "predict_phase_diagram",
        "trace_boundary",
    ),
    "games": (
        "WGAN",
        "KernelGame",
        "KernelIPM",
        "Logistic",
        "NonSaturating",
        "bilinear",
        "clipped_wgan_toy",
        "dirac_gan",
        "linear_critic",
    ),
    "kernels": (
        "Energy",
        "Gaussian",
        "Identity",
        "Laplace",
        "Multiscale",
        "Nystrom",
        "RandomFourier",
        "RationalQuadratic",
        "SpectralLattice",
        "kernel_sums",
    ),
    "measures": ("Measure", "grid25", "isolated_points", "ring8"),
    "players": (
        "ExactRKHS",
        "FieldGrid",
        "FiniteRank",
        "NeuralDiscriminator",
        "NeuralGenerator",
        "OptimalWitness",
        "Particles",
        "SinkhornPotentials",
        "SpectralRKHS",
    ),
    "solvers": ("GDA", "DualFlow", "Extragradient", "OptimisticGDA", "ProximalGDA", "Result", "Solution", "solve"),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = [*_SUBPACKAGES, *_WHERE]


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value  # later lookups skip __getattr__
        return value
    if name in _SUBPACKAGES or (not name.startswith("__") and find_spec(f"{__name__}.{name}") is not None):
        return import_module(f".{name}", __name__)  # any subpackage, e.g. dualflow.solvers, as before
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:
    from . import analysis as analysis, dynamics as dynamics, games as games, kernels as kernels, measures as measures
    from .analysis import (
        Phase as Phase,
        classify_solution as classify_solution,
        disagreement_map as disagreement_map,
        find_equilibrium as find_equilibrium,
        linearize as linearize,
        measure_phase_diagram as measure_phase_diagram,
        predict_phase_diagram as predict_phase_diagram,
        trace_boundary as trace_boundary,
    )
    from .games import (
        WGAN as WGAN,
        KernelGame as KernelGame,
        KernelIPM as KernelIPM,
        Logistic as Logistic,
        NonSaturating as NonSaturating,
        bilinear as bilinear,
        clipped_wgan_toy as clipped_wgan_toy,
        dirac_gan as dirac_gan,
        linear_critic as linear_critic,
    )
    from .kernels import (
        Energy as Energy,
        Gaussian as Gaussian,
        Identity as Identity,
        Laplace as Laplace,
        Multiscale as Multiscale,
        Nystrom as Nystrom,
        RandomFourier as RandomFourier,
        RationalQuadratic as RationalQuadratic,
        SpectralLattice as SpectralLattice,
        kernel_sums as kernel_sums,
    )
    from .measures import Measure as Measure, grid25 as grid25, isolated_points as isolated_points, ring8 as ring8
    from .players import (
        ExactRKHS as ExactRKHS,
        FieldGrid as FieldGrid,
        FiniteRank as FiniteRank,
        NeuralDiscriminator as NeuralDiscriminator,
        NeuralGenerator as NeuralGenerator,
        OptimalWitness as OptimalWitness,
        Particles as Particles,
        SinkhornPotentials as SinkhornPotentials,
        SpectralRKHS as SpectralRKHS,
    )
    from .solvers import (
        GDA as GDA,
        DualFlow as DualFlow,
        Extragradient as Extragradient,
        OptimisticGDA as OptimisticGDA,
        ProximalGDA as ProximalGDA,
        Result as Result,
        Solution as Solution,
        solve as solve,
    )

try:
    __version__ = version("dualflow")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"
