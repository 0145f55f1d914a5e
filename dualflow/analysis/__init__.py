"""Analysis of trajectories: convergence of GDA to the dual flow."""

from .convergence import (
    ConvergenceStudy as ConvergenceStudy,
    gda_flow_convergence as gda_flow_convergence,
    loglog_slope as loglog_slope,
)
