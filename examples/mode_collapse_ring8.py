"""Mode collapse on the 8-Gaussian ring: the dual flow versus GDA over the time-scale ratio kappa
(and, with --study, over kappa x bandwidth, n_critic x tau, or the payoff).

Each study is a shipped TOML config in examples/configs/ run by `dualflow.experiments.run_study`
(the same as `dualflow run CONFIG --out DIR`). Particles start as a small blob at the centre of the
ring; for every setting and seed both dynamics play the same game to the same horizon, and the
results folder gets summary.json (covered modes, high-quality fraction, KL, W2, Sinkhorn, MMD,
mode hops: mean, std, min, max over seeds), table.md, arrays.npz and the figures.

    python examples/mode_collapse_ring8.py                      # ring8_kappa, a few minutes
    python examples/mode_collapse_ring8.py --study all --quick  # every ring8 study, seconds each
"""

from example_cli import parse_args  # first: float64 and a headless matplotlib backend

import pathlib  # noqa: E402

from dualflow.experiments.mode_collapse import run_study  # noqa: E402

CONFIGS = pathlib.Path(__file__).resolve().parent / "configs"
STUDIES = {"kappa": "ring8_kappa", "kappa_bandwidth": "ring8_kappa_bandwidth", "ncritic_tau": "ring8_ncritic_tau",
           "payoff": "ring8_payoff"}


def main(argv=None):
    args = parse_args(__doc__, "dualflow-output/mode_collapse_ring8", argv,
                      quick_help="the configs' quick variants (seconds), as the tests use",
                      out_help="output folder; each study writes into a subfolder named after it "
                               "(default dualflow-output/mode_collapse_ring8)",
                      add_arguments=lambda parser: parser.add_argument(
                          "--study", choices=[*STUDIES, "all"], default="kappa",
                          help="which ring8 study to run (default kappa: ring8_kappa.toml)"))
    names = list(STUDIES.values()) if args.study == "all" else [STUDIES[args.study]]
    results = {}
    for name in names:
        results[name] = run_study(CONFIGS / f"{name}.toml", args.out / name, quick=args.quick)
    return results


if __name__ == "__main__":
    main()
