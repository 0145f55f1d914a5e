"""Players of the game: generators (free particles, neural) and discriminators (exact RKHS by
history or by spectral lattice, finite-rank, neural, optimal witnesses)."""

from .base import AbstractDiscriminator as AbstractDiscriminator
from .exact_rkhs import ExactRKHS as ExactRKHS, ExactState as ExactState
from .finite_rank import FiniteRank as FiniteRank, FiniteRankState as FiniteRankState
from .generators import (
    AbstractGenerator as AbstractGenerator,
    NeuralGenerator as NeuralGenerator,
    Particles as Particles,
    as_generator as as_generator,
)
from .neural import NeuralDiscriminator as NeuralDiscriminator
from .optimal import AbstractOptimalDiscriminator as AbstractOptimalDiscriminator, OptimalWitness as OptimalWitness
from .saved import FieldGrid as FieldGrid, SavedWitness as SavedWitness
from .sinkhorn import SinkhornDuals as SinkhornDuals, SinkhornPotentials as SinkhornPotentials
from .spectral import SpectralRKHS as SpectralRKHS, SpectralState as SpectralState
