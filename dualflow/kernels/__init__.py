"""Kernels, finite-rank feature maps, memory-linear kernel sums and the spectral lattice."""

from .copies import Copies as Copies
from .features import (
    AbstractFeatureMap as AbstractFeatureMap,
)
from .features import (
    Identity as Identity,
)
from .features import (
    Nystrom as Nystrom,
)
from .features import (
    RandomFourier as RandomFourier,
)
from .radial import (
    AbstractRadialKernel as AbstractRadialKernel,
)
from .radial import (
    Energy as Energy,
)
from .radial import (
    Gaussian as Gaussian,
)
from .radial import (
    Laplace as Laplace,
)
from .radial import (
    Multiscale as Multiscale,
)
from .radial import (
    RationalQuadratic as RationalQuadratic,
)
from .spectral import SpectralLattice as SpectralLattice
from .sums import kernel_sums as kernel_sums
