"""Evaluation metrics: MMD, exact W2 (POT, evaluation only), Sinkhorn divergence (ott-jax), mode coverage,
precision / recall / density / coverage by nearest neighbours (`prdc`); all of them along a run
(`metrics_over_time`) and mode hopping."""

from .mmd import mmd as mmd, mmd_squared as mmd_squared
from .mode_hopping import ModeHops as ModeHops, mode_hops as mode_hops, particle_hops as particle_hops
from .modes import (
    ModeCoverage as ModeCoverage,
    mode_coverage as mode_coverage,
    mode_labels as mode_labels,
    occupancy_kl as occupancy_kl,
)
from .prdc import prdc as prdc
from .sinkhorn import sinkhorn_divergence as sinkhorn_divergence
from .trajectory import (
    MetricsOverTime as MetricsOverTime,
    default_bandwidth as default_bandwidth,
    metrics_over_time as metrics_over_time,
)
from .wasserstein import w2 as w2, w2_squared as w2_squared
