"""dualflow: GAN training as dynamics. Dual flows on measures versus discrete GDA."""

from importlib.metadata import PackageNotFoundError, version

from . import analysis as analysis
from . import dynamics as dynamics
from . import games as games
from . import kernels as kernels
from . import measures as measures
from .analysis import (
    Phase as Phase,
)
from .analysis import (
    classify_solution as classify_solution,
)
from .analysis import (
    find_equilibrium as find_equilibrium,
)
from .analysis import (
    linearize as linearize,
)
from .analysis import (
    measure_phase_diagram as measure_phase_diagram,
)
from .analysis import (
    predict_phase_diagram as predict_phase_diagram,
)
from .games import (
    WGAN as WGAN,
)
from .games import (
    KernelGame as KernelGame,
)
from .games import (
    KernelIPM as KernelIPM,
)
from .games import (
    Logistic as Logistic,
)
from .games import (
    NonSaturating as NonSaturating,
)
from .games import (
    bilinear as bilinear,
)
from .games import (
    clipped_wgan_toy as clipped_wgan_toy,
)
from .games import (
    dirac_gan as dirac_gan,
)
from .games import (
    linear_critic as linear_critic,
)
from .kernels import (
    Energy as Energy,
)
from .kernels import (
    Gaussian as Gaussian,
)
from .kernels import (
    Identity as Identity,
)
from .kernels import (
    Laplace as Laplace,
)
from .kernels import (
    Multiscale as Multiscale,
)
from .kernels import (
    Nystrom as Nystrom,
)
from .kernels import (
    RandomFourier as RandomFourier,
)
from .kernels import (
    RationalQuadratic as RationalQuadratic,
)
from .kernels import (
    SpectralLattice as SpectralLattice,
)
from .kernels import (
    kernel_sums as kernel_sums,
)
from .measures import Measure as Measure
from .measures import grid25 as grid25
from .measures import isolated_points as isolated_points
from .measures import ring8 as ring8
from .players import (
    ExactRKHS as ExactRKHS,
)
from .players import (
    FiniteRank as FiniteRank,
)
from .players import (
    NeuralDiscriminator as NeuralDiscriminator,
)
from .players import (
    NeuralGenerator as NeuralGenerator,
)
from .players import (
    OptimalWitness as OptimalWitness,
)
from .players import (
    Particles as Particles,
)
from .players import (
    SinkhornPotentials as SinkhornPotentials,
)
from .players import (
    SpectralRKHS as SpectralRKHS,
)
from .solvers import GDA as GDA
from .solvers import DualFlow as DualFlow
from .solvers import ProximalGDA as ProximalGDA
from .solvers import Result as Result
from .solvers import Solution as Solution
from .solvers import solve as solve

try:
    __version__ = version("dualflow")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"
