"""Figures with matplotlib (object-oriented API, no pyplot state; saved through the Agg
canvas). Nothing else in dualflow imports this package.

- `plot_particles`: particle panels, one row per run, one column per time.
- `plot_curves`: metric curves over time, one axis per metric, one line per run.
- `plot_phase_diagram`, `plot_growth`, `theory_curves`: phase diagrams and growth heat maps
  with the isolated-points theory overlaid.
"""

from .curves import plot_curves as plot_curves
from .particles import nearest_saved_index as nearest_saved_index, plot_particles as plot_particles
from .phase import plot_growth as plot_growth, plot_phase_diagram as plot_phase_diagram, theory_curves as theory_curves
