"""Evaluation metrics: MMD, exact W2 (POT, evaluation only), Sinkhorn divergence (ott-jax), mode coverage."""

from .mmd import mmd as mmd, mmd_squared as mmd_squared
from .modes import ModeCoverage as ModeCoverage, mode_coverage as mode_coverage
from .sinkhorn import sinkhorn_divergence as sinkhorn_divergence
from .wasserstein import w2 as w2, w2_squared as w2_squared
