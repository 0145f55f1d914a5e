"""Players of the game: discriminators (the generator is the free-particle measure,
moved by `KernelGame.generator_velocity`)."""

from .discriminators import (
    AbstractDiscriminator as AbstractDiscriminator,
    ExactRKHS as ExactRKHS,
    ExactState as ExactState,
    FiniteRank as FiniteRank,
    FiniteRankState as FiniteRankState,
    OptimalWitness as OptimalWitness,
)
