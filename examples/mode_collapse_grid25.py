"""Mode collapse on the 5x5 Gaussian grid: the dual flow versus GDA over the time-scale ratio kappa
(and, with --study ncritic, over n_critic, GDA's D-steps per G-step).

Runs the shipped studies examples/configs/grid25_kappa.toml and grid25_ncritic.toml with
`dualflow.experiments.run_study` (the same as `dualflow run examples/configs/grid25_kappa.toml
--out DIR`): particles start as a wide Gaussian over the grid; for every setting and seed both
dynamics play the same game to the same horizon. With 25 modes a uniform generator puts 4% of its
particles on each, so these studies count a mode as covered from 2% of the particles (half its
share), not the 5% used for the 8-ring.

    python examples/mode_collapse_grid25.py                           # grid25_kappa, the full study
    python examples/mode_collapse_grid25.py --study all --quick       # both studies, seconds each
"""

from example_cli import run_studies  # first: float64 and a headless matplotlib backend

STUDIES = {"kappa": "grid25_kappa", "ncritic": "grid25_ncritic"}


def main(argv=None):
    return run_studies(__doc__, "dualflow-output/mode_collapse_grid25", STUDIES, argv, default="kappa")


if __name__ == "__main__":
    main()
