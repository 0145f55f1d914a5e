"""Analysis: local stability (exact linearization, equilibria, isolated-points closed forms,
second-moment model, the clipped-WGAN toy's orbits), phases of trajectories, phase diagrams and their traced boundaries, and the GDA-to-flow limit."""

from . import clipped_wgan as clipped_wgan, isolated_points as isolated_points
from .boundaries import Boundary as Boundary, trace_boundary as trace_boundary
from .convergence import (
    ConvergenceStudy as ConvergenceStudy,
    flow_gda_errors as flow_gda_errors,
    gda_flow_convergence as gda_flow_convergence,
    loglog_slope as loglog_slope,
)
from .disagreement import Disagreement as Disagreement, disagreement_map as disagreement_map
from .equilibria import Equilibrium as Equilibrium, find_equilibrium as find_equilibrium
from .fields import discriminator_field as discriminator_field
from .isolated_points import theory_curves as theory_curves
from .linearization import Linearization as Linearization, linearize as linearize
from .phase_diagram import (
    PhaseDiagram as PhaseDiagram,
    measure_phase_diagram as measure_phase_diagram,
    predict_phase_diagram as predict_phase_diagram,
)
from .phases import (
    Phase as Phase,
    PhaseReport as PhaseReport,
    classify_solution as classify_solution,
    classify_trajectory as classify_trajectory,
)
from .rates import fitted_eigenvalues as fitted_eigenvalues
from .second_moment import (
    cloud_covariance_eigenvalues as cloud_covariance_eigenvalues,
    second_moment_flow as second_moment_flow,
    second_moment_model as second_moment_model,
    smm_balanced_asymptote as smm_balanced_asymptote,
    smm_geometric_factor as smm_geometric_factor,
)
