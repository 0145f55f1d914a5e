"""Players of the game: generators (free particles, neural) and discriminators (exact RKHS by
history or by spectral lattice, finite-rank, neural, optimal witnesses)."""

from .base import AbstractDiscriminator as AbstractDiscriminator
from .exact_rkhs import ExactRKHS as ExactRKHS
from .exact_rkhs import ExactState as ExactState
from .finite_rank import FiniteRank as FiniteRank
from .finite_rank import FiniteRankState as FiniteRankState
from .generators import (
    AbstractGenerator as AbstractGenerator,
)
from .generators import (
    NeuralGenerator as NeuralGenerator,
)
from .generators import (
    Particles as Particles,
)
from .generators import (
    as_generator as as_generator,
)
from .neural import NeuralDiscriminator as NeuralDiscriminator
from .optimal import AbstractOptimalDiscriminator as AbstractOptimalDiscriminator
from .optimal import OptimalWitness as OptimalWitness
from .sinkhorn import SinkhornDuals as SinkhornDuals
from .sinkhorn import SinkhornPotentials as SinkhornPotentials
from .spectral import SpectralRKHS as SpectralRKHS
from .spectral import SpectralState as SpectralState
