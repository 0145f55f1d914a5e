"""dualflow: GAN training as dynamics. Dual flows on measures versus discrete GDA."""

from importlib.metadata import PackageNotFoundError, version

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
