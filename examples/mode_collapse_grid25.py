"""Mode collapse on the 5x5 Gaussian grid: the dual flow versus GDA over the time-scale ratio kappa.

Runs the shipped study examples/configs/grid25_kappa.toml with `dualflow.experiments.run_study`
(the same as `dualflow run examples/configs/grid25_kappa.toml --out DIR`): particles start as a
wide Gaussian over the grid; for every kappa and seed both dynamics play the same game to the same
horizon. With 25 modes a uniform generator puts 4% of its particles on each, so this study counts a
mode as covered from 2% of the particles (half its share), not the 5% used for the 8-ring.

    python examples/mode_collapse_grid25.py            # the full study
    python examples/mode_collapse_grid25.py --quick    # seconds
"""

from example_cli import parse_args  # first: float64 and a headless matplotlib backend

import pathlib  # noqa: E402

from dualflow.experiments.mode_collapse import run_study  # noqa: E402

CONFIGS = pathlib.Path(__file__).resolve().parent / "configs"


def main(argv=None):
    args = parse_args(__doc__, "dualflow-output/mode_collapse_grid25", argv,
                      quick_help="the config's quick variant (seconds), as the tests use",
                      out_help="output folder; the study writes into its subfolder grid25_kappa")
    name = "grid25_kappa"
    return {name: run_study(CONFIGS / f"{name}.toml", args.out / name, quick=args.quick)}


if __name__ == "__main__":
    main()
