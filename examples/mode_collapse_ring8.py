"""Mode collapse on the 8-Gaussian ring: the dual flow versus GDA over the time-scale ratio kappa
(and, with --study, over kappa x bandwidth, n_critic x tau, the payoff, or WGAN-GP beside the kernel IPM).

Each study is a shipped TOML config in examples/configs/ run by `dualflow.experiments.run_study`
(the same as `dualflow run CONFIG --out DIR`). Particles start as a small blob at the centre of the
ring; for every setting and seed both dynamics play the same game to the same horizon, and the
results folder gets summary.json (covered modes, high-quality fraction, KL, W2, Sinkhorn, MMD,
mode hops: mean, std, min, max over seeds), table.md, arrays.npz and the figures.

    python examples/mode_collapse_ring8.py                      # ring8_kappa: 210 runs
    python examples/mode_collapse_ring8.py --study all --quick  # every ring8 study, seconds each
"""

from example_cli import run_studies  # first: float64 and a headless matplotlib backend

STUDIES = {
    "kappa": "ring8_kappa",
    "kappa_bandwidth": "ring8_kappa_bandwidth",
    "ncritic_tau": "ring8_ncritic_tau",
    "payoff": "ring8_payoff",
    "wgan_gp": "ring8_wgan_gp",
}


def main(argv=None):
    return run_studies(__doc__, "dualflow-output/mode_collapse_ring8", STUDIES, argv, default="kappa")


if __name__ == "__main__":
    main()
