"""Figures with matplotlib (object-oriented API, no pyplot state; saved through the Agg
canvas). Nothing else in dualflow imports this package.

- `plot_particles`: particle panels, one row per run, one column per time.
- `plot_curves`: metric curves over time, one axis per metric, one line per run.
- `plot_phase_diagram`, `plot_growth`: phase diagrams and growth heat maps, with the
  isolated-points theory (`dualflow.analysis.theory_curves`) and traced boundaries overlaid;
  `plot_disagreement`: where GDA's phase differs from the flow's.
- `plot_field_panel`, `plot_final_state`: particles over the discriminator's heat map and
  the generator's velocity arrows (`dualflow.analysis.discriminator_field`).
- `animate_runs`: side-by-side GIF (and MP4 with ffmpeg) of planar runs over time.
- `plot_coverage_curves`, `plot_coverage_heatmap`: mode coverage and distances over time
  (bands over seeds), and coverage tables over two swept parameters.
"""

from .animation import AnimationFiles as AnimationFiles, animate_runs as animate_runs
from .coverage import plot_coverage_curves as plot_coverage_curves, plot_coverage_heatmap as plot_coverage_heatmap
from .curves import plot_curves as plot_curves
from .fields import plot_field_panel as plot_field_panel, plot_final_state as plot_final_state
from .particles import nearest_saved_index as nearest_saved_index, plot_particles as plot_particles
from .phase import (
    plot_disagreement as plot_disagreement,
    plot_growth as plot_growth,
    plot_phase_diagram as plot_phase_diagram,
)
