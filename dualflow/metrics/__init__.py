"""Evaluation metrics: MMD, exact W2 (POT, evaluation only), Sinkhorn divergence (ott-jax), mode coverage;
all of them along a run (`metrics_over_time`) and mode hopping."""

from .mmd import mmd as mmd
from .mmd import mmd_squared as mmd_squared
from .mode_hopping import ModeHops as ModeHops
from .mode_hopping import mode_hops as mode_hops
from .mode_hopping import particle_hops as particle_hops
from .modes import (
    ModeCoverage as ModeCoverage,
)
from .modes import (
    mode_coverage as mode_coverage,
)
from .modes import (
    mode_labels as mode_labels,
)
from .modes import (
    occupancy_kl as occupancy_kl,
)
from .sinkhorn import sinkhorn_divergence as sinkhorn_divergence
from .trajectory import (
    MetricsOverTime as MetricsOverTime,
)
from .trajectory import (
    default_bandwidth as default_bandwidth,
)
from .trajectory import (
    metrics_over_time as metrics_over_time,
)
from .wasserstein import w2 as w2
from .wasserstein import w2_squared as w2_squared
