"""Kernels, finite-rank feature maps, memory-linear kernel sums and the spectral lattice."""

from .copies import Copies as Copies
from .features import (
    AbstractFeatureMap as AbstractFeatureMap,
    Identity as Identity,
    Nystrom as Nystrom,
    RandomFourier as RandomFourier,
)
from .radial import (
    AbstractRadialKernel as AbstractRadialKernel,
    Energy as Energy,
    Gaussian as Gaussian,
    Laplace as Laplace,
    Multiscale as Multiscale,
    RationalQuadratic as RationalQuadratic,
)
from .spectral import SpectralLattice as SpectralLattice
from .sums import kernel_sums as kernel_sums
