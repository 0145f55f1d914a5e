"""Analysis: local stability (exact linearization, equilibria, isolated-points closed forms,
second-moment model, the clipped-WGAN toy's orbits), phases of trajectories, phase diagrams, and the GDA-to-flow limit."""

from . import clipped_wgan as clipped_wgan
from . import isolated_points as isolated_points
from .convergence import (
    ConvergenceStudy as ConvergenceStudy,
)
from .convergence import (
    flow_gda_errors as flow_gda_errors,
)
from .convergence import (
    gda_flow_convergence as gda_flow_convergence,
)
from .convergence import (
    loglog_slope as loglog_slope,
)
from .equilibria import Equilibrium as Equilibrium
from .equilibria import find_equilibrium as find_equilibrium
from .fields import discriminator_field as discriminator_field
from .linearization import Linearization as Linearization
from .linearization import linearize as linearize
from .phase_diagram import (
    PhaseDiagram as PhaseDiagram,
)
from .phase_diagram import (
    measure_phase_diagram as measure_phase_diagram,
)
from .phase_diagram import (
    predict_phase_diagram as predict_phase_diagram,
)
from .phase_diagram import (
    theory_curves as theory_curves,
)
from .phases import Phase as Phase
from .phases import PhaseReport as PhaseReport
from .phases import classify_solution as classify_solution
from .phases import classify_trajectory as classify_trajectory
from .rates import fitted_eigenvalues as fitted_eigenvalues
from .second_moment import (
    cloud_covariance_eigenvalues as cloud_covariance_eigenvalues,
)
from .second_moment import (
    second_moment_flow as second_moment_flow,
)
from .second_moment import (
    second_moment_model as second_moment_model,
)
from .second_moment import (
    smm_balanced_asymptote as smm_balanced_asymptote,
)
from .second_moment import (
    smm_geometric_factor as smm_geometric_factor,
)
