"""Players of the game: generators (free particles, neural) and discriminators (exact RKHS by
history or by spectral lattice, finite-rank, neural, optimal witnesses)."""

from .discriminators import (
    AbstractDiscriminator as AbstractDiscriminator,
    ExactRKHS as ExactRKHS,
    ExactState as ExactState,
    FiniteRank as FiniteRank,
    FiniteRankState as FiniteRankState,
    AbstractOptimalDiscriminator as AbstractOptimalDiscriminator,
    OptimalWitness as OptimalWitness,
)
from .generators import (
    AbstractGenerator as AbstractGenerator,
    NeuralGenerator as NeuralGenerator,
    Particles as Particles,
    as_generator as as_generator,
)
from .neural import NeuralDiscriminator as NeuralDiscriminator
from .spectral import SpectralRKHS as SpectralRKHS, SpectralState as SpectralState
from .sinkhorn import SinkhornDuals as SinkhornDuals, SinkhornPotentials as SinkhornPotentials
