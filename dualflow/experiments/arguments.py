"""The `dualflow` command line's parser: every command, its options and their value types
(`build_parser`). `cli.py` runs what it parses."""

from __future__ import annotations

import argparse
import math
import re
import textwrap

from .config.schema import AXES
from .config.stability import SCHEMES, parse_axis, parse_masses, parse_points
from .config.study import parse_value
from .config.validate import did_you_mean


def _number_type(kind: type, *, allow_zero: bool):
    """An argparse `type`: text -> a finite `kind` (int or float) `> 0` (`>= 0` with `allow_zero`);
    argparse reports a bad value as `argument --OPTION: expected ...`."""
    expected = (
        f"expected a {'non-negative' if allow_zero else 'positive'} {'integer' if kind is int else 'finite number'}"
    )

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{expected}, received {text!r}") from None
        if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
            raise argparse.ArgumentTypeError(f"{expected}, received {text!r}")
        return value

    return parse


nonnegative_int = _number_type(int, allow_zero=True)
positive_int = _number_type(int, allow_zero=False)
positive_float = _number_type(float, allow_zero=False)
nonnegative_float = _number_type(float, allow_zero=True)


def _checked_text(parse):
    """An argparse `type` that checks its text with `parse` (a `ValueError` becomes argparse's
    `argument --OPTION: ...` message) and keeps the text (the configs hold text)."""

    def check(text: str) -> str:
        try:
            parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
        return text

    return check


#: What argparse takes for a negative number rather than an option: `-1`, `-.5`, and the points
#: `-1;1` or `-1,0;1,0` of `dualflow linearize` (Python 3.13's own rule; 3.11 and 3.12 take only
#: `-1` and `-.5`, so `--data '-1;1'` as written in the help would read as an unknown option).
_NEGATIVE_NUMBER = re.compile(r"-\.?\d")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `dualflow` command (one subparser per command)."""
    parser = argparse.ArgumentParser(
        prog="dualflow",
        description="GAN training as dynamics: the continuous-time dual flow versus discrete "
        "gradient descent-ascent (GDA).",
        epilog="Run `dualflow <command> --help` for the options of a command.",
    )
    commands = parser.add_subparsers(dest="command", metavar="<command>", required=True)
    demo = commands.add_parser(
        "demo",
        help="flow versus GDA on the 8-Gaussian ring: a shipped study, figures + JSON",
        description="Generator particles start as a small blob at the centre of the 8-Gaussian ring and "
        "learn it against the exact Gaussian-kernel (RKHS) discriminator, once with GDA "
        "(alternating, discriminator first) and once with the continuous dual flow over the "
        "same horizon (t = k * lr_g, kappa = lr_d / lr_g). The demo is the study "
        "dualflow/experiments/config/demo.toml run by `dualflow run`: it writes that study's "
        "folder (summary.json, table.md, arrays.npz, runs/), panels_base.png (particles over "
        "the discriminator and its velocity field, flow above GDA), metrics_base.png, "
        "coverage_over_time.png, flow_vs_gda.png and animation_base.gif. Measured run times: "
        "docs/cli.md, 'How long things take'.",
    )
    demo.add_argument(
        "--out",
        metavar="DIR",
        default=None,
        help="results folder, created if missing; finished runs already there are reused (default: "
        "dualflow-output/demo, with '-quick' appended under --quick)",
    )
    demo.add_argument(
        "--quick",
        action="store_true",
        help="run a smaller, shorter configuration (48 particles, horizon 10) "
        "instead of the full one (128 particles, horizon 20)",
    )
    demo.add_argument(
        "--seed",
        type=nonnegative_int,
        default=0,
        metavar="INT",
        help="seed of the random data sample and of the initial blob; the same seed gives the "
        "same numbers (default: 0)",
    )
    demo.add_argument(
        "--fresh", action="store_true", help="delete the folder's finished runs first (default: reuse them)"
    )
    _add_stability_commands(commands)
    _add_study_commands(commands)
    _add_compare_arguments(
        commands.add_parser(
            "compare",
            help="flow versus GDA at several step sizes tau: the tau -> 0 limit, figures + JSON",
            formatter_class=argparse.RawDescriptionHelpFormatter,
            description=_fill(
                "Run one setting of a study config with the dual flow and with GDA at several tau "
                "(lr_g = tau, lr_d = kappa tau; step k at time t = k tau) from the same start, and "
                "measure how far GDA is from the flow over time and how that distance shrinks with tau. "
                "Writes compare.json, arrays.npz and compare.png / compare.svg into --out."
            ),
            epilog="example:\n  dualflow compare examples/configs/ring8_kappa.toml --set kappa=0.3 --quick",
        )
    )
    commands.add_parser(
        "plot",
        help="redraw the figures of a results folder from its stored runs (nothing is rerun)",
        description=_fill(
            "Redraw the figures of RESULTS_DIR without running anything. A study folder (the --out of "
            "`dualflow run` or `dualflow sweep`): read its stored runs and write summary.json, table.md, "
            "arrays.npz, the figures (PNG and SVG) and the animation again. A `dualflow compare` "
            "folder: draw compare.png and compare.svg again from its arrays.npz. Exit status 2 if the "
            "folder is neither, or a study's run is missing (an interrupted study: run it again)."
        ),
    ).add_argument("results_dir", metavar="RESULTS_DIR", help="a study's results folder")
    return parser


_STUDY_DESCRIPTION = (
    "for every swept setting (kappa, n_critic, tau, payoff or bandwidth; none, one or two axes), every "
    "dynamics (the dual flow and GDA) and every seed, train particles on the 8-Gaussian ring or the 5x5 grid "
    "and measure mode coverage, W2, Sinkhorn, MMD and mode hops over time. Writes config.json, "
    "summary.json (mean, std, min, max over seeds), table.md, arrays.npz, figures (coverage tables, coverage "
    "over time, field panels; PNG and SVG) and a flow-vs-GDA GIF into --out, and every finished run into "
    "--out/runs/. Rerun into the same folder, a study skips its finished runs and resumes a run in progress from "
    "its last checkpoint (dynamics.checkpoint_every), so an interrupted study loses nothing; a folder holding "
    "another study's runs is refused (use --fresh or another --out). A progress bar (on a terminal) and one line "
    "per run go to stderr. An invalid config is reported (every problem, with its key path) before anything "
    "runs, with exit status 2."
)


def _fill(text: str) -> str:
    return textwrap.fill(text, width=100)


def _add_study_options(command, folder: str):
    command.add_argument(
        "config", metavar="CONFIG", help="the study's TOML file, e.g. examples/configs/ring8_kappa.toml"
    )
    command.add_argument(
        "--out",
        metavar="DIR",
        default=None,
        help="results folder, created if missing; finished runs already there are reused (default: "
        f"dualflow-output/{folder}, with '-quick' appended under --quick)",
    )
    command.add_argument(
        "--quick",
        action="store_true",
        help="shrink the study for a first look or a test: at most 2 seeds, 32 particles, 64 data "
        "points, 64 features, 11 saves and a quarter of the horizon, then the config's own "
        "[quick] table",
    )
    command.add_argument(
        "--fresh",
        action="store_true",
        help="delete the finished runs and checkpoints in --out first, and run everything again",
    )


def _add_study_commands(commands):
    run = commands.add_parser(
        "run",
        help="a mode-collapse study from a TOML config: flow vs GDA over its sweep, figures + JSON + npz",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=_fill(
            "Run the study described by CONFIG (a TOML file; schema in "
            "dualflow.experiments.config.study): " + _STUDY_DESCRIPTION
        ),
        epilog="examples:\n"
        "  dualflow run examples/configs/ring8_kappa.toml --out dualflow-output/ring8_kappa\n"
        "  dualflow run examples/configs/grid25_kappa.toml --quick   # fewer seeds, particles, "
        "a shorter horizon",
    )
    _add_study_options(run, "<study name>")
    sweep = commands.add_parser(
        "sweep",
        help="a study over axes given on the command line (--over kappa=0.1,1,inf), resumable",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=_fill(
            "Run the study of CONFIG over the axes given by --over instead of the config's [sweep] "
            "(the panels and the animation then use their default settings): "
            + _STUDY_DESCRIPTION
            + " Sweeping more values into the same --out later reuses the runs already there."
        ),
        epilog="examples:\n"
        "  dualflow sweep examples/configs/ring8_kappa.toml --over kappa=0.3,3,inf --quick\n"
        "  dualflow sweep examples/configs/ring8_kappa.toml --over n_critic=1,5 --over tau=0.05,0.1 --out o",
    )
    _add_study_options(sweep, "<study name>-sweep")
    sweep.add_argument(
        "--over",
        metavar="AXIS=V1,V2,...",
        action="append",
        required=True,
        type=_axis,
        help="a swept axis and its values, comma-separated; AXIS one of kappa (> 0 or inf), n_critic, "
        "tau, payoff (kernel_ipm, logistic, non_saturating, wgan_gp, wgan_clip) or bandwidth; "
        "give --over once or twice (rows, then columns)",
    )


def _axis(text: str):
    """`"kappa=0.1,1,inf"` -> `("kappa", [0.1, 1, "inf"])`; values are checked with the config."""
    name, sep, values = text.partition("=")
    if not sep or not name.strip() or not values.strip():
        raise argparse.ArgumentTypeError(f"expected AXIS=V1,V2,... (e.g. kappa=0.1,1,inf), received {text!r}")
    name = name.strip()
    if name not in AXES:
        raise argparse.ArgumentTypeError(f"unknown axis {name!r} in {text!r}{did_you_mean(name, AXES, 'axes')}")
    return name, [parse_value(v.strip()) for v in values.split(",")]


def _taus_argument(text: str) -> list[float]:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated step sizes such as 0.1,0.05,0.025; received {text!r}"
        )
    values = []
    for part in parts:
        try:
            value = float(part)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected comma-separated numbers such as 0.1,0.05,0.025; {part!r} is not a number"
            ) from None
        if not (math.isfinite(value) and value > 0):
            raise argparse.ArgumentTypeError(f"expected positive finite step sizes; received {part!r}")
        values.append(value)
    return values


def _set_argument(text: str) -> tuple[str, object]:
    axis, sep, value = text.partition("=")
    axis, value = axis.strip(), value.strip()
    if not sep or not axis or not value:
        raise argparse.ArgumentTypeError(f"expected AXIS=VALUE such as kappa=3 or kappa=inf; received {text!r}")
    if axis not in AXES:
        raise argparse.ArgumentTypeError(f"unknown axis {axis!r} in {text!r}{did_you_mean(axis, AXES, 'axes')}")
    return axis, parse_value(value)


def _add_compare_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the `dualflow compare` arguments to `parser` (an argparse subparser); returns it."""
    parser.add_argument(
        "config",
        metavar="CONFIG",
        help="a study's TOML file (the schema of `dualflow run`), e.g. examples/configs/ring8_kappa.toml",
    )
    parser.add_argument(
        "--taus",
        type=_taus_argument,
        default=None,
        metavar="TAU,TAU,...",
        help="comma-separated GDA step sizes tau (lr_g = tau, lr_d = kappa * tau), e.g. "
        "0.1,0.05,0.025; the horizon dynamics.t1 must be a whole number of steps of each "
        "(default: the setting's tau, tau/2 and tau/4)",
    )
    parser.add_argument(
        "--set",
        dest="set",
        action="append",
        type=_set_argument,
        default=None,
        metavar="AXIS=VALUE",
        help="the setting compared: the value of one swept axis (kappa, n_critic, tau, payoff or "
        "bandwidth), read like a value of the config's [sweep], e.g. --set kappa=3, "
        "--set kappa=inf, --set payoff=logistic; repeat for several axes. Any valid value is "
        "allowed, swept or not (default: the config's base values; its [sweep] is ignored)",
    )
    parser.add_argument(
        "--seed",
        type=nonnegative_int,
        default=0,
        metavar="INT",
        help="seed of the data sample, the initial particles and the random features, as in "
        "`dualflow run` (default: 0)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="apply the config's --quick overrides first (at most 32 particles, 64 data points, "
        "64 features, a quarter of the horizon, then its [quick] table)",
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        default=None,
        help="results folder, created if missing; files of the same names are replaced (default: "
        "dualflow-output/<study name>-compare, with '-quick' appended under --quick)",
    )
    return parser


def _add_stability_commands(commands):
    # Long on purpose: argparse declarations, one per option, each with its help.
    def rates(p):
        p.add_argument("--lr-g", type=positive_float, default=0.1, help="generator rate eta_g (default 0.1)")
        p.add_argument(
            "--lr-d",
            type=positive_float,
            default=0.1,
            help="discriminator rate eta_d (default 0.1); the flow uses kappa = lr_d / lr_g",
        )
        p.add_argument("--bandwidth", type=positive_float, default=1.0, help="Gaussian bandwidth sigma (default 1)")
        p.add_argument("--reg", type=nonnegative_float, default=0.1, help="ridge lambda (default 0.1)")
        p.add_argument(
            "--scheme",
            choices=SCHEMES,
            default="alternating_d_first",
            help="the solver: a GDA step order, extragradient, optimistic (GDA), proximal (the decoupled "
            "proximal step) or flow (the dual flow) (default alternating_d_first)",
        )

    phase = commands.add_parser(
        "phase",
        help="phase diagram over two parameters: linearization (and simulation), figures + JSON",
        description="Phase diagram of the isolated points model: a cluster of --cluster generated points (mass "
        "--w each) collapsed on one true point (mass --p), 1-D, Gaussian kernel. Two parameters are "
        "swept (--x, --y); the others take the values of --bandwidth, --reg, --lr-g, --lr-d. Writes "
        "phase.png (predicted | measured labels, theory curves, boundaries traced exactly), growth.png (dominant |rho|^2) and "
        "phase.json. Measured run times: docs/cli.md, 'How long things take'.",
    )
    phase.add_argument(
        "--x",
        type=_checked_text(parse_axis),
        default="bandwidth:0.1:10:100",
        metavar="AXIS",
        help="x axis NAME:START:STOP:NUM[:log|lin], NAME one of bandwidth, reg, lr_g, lr_d, kappa "
        "(lr_d / lr_g), imbalance (p - total generated mass) (default bandwidth:0.1:10:100)",
    )
    phase.add_argument(
        "--y",
        type=_checked_text(parse_axis),
        default="reg:0.01:1:100",
        metavar="AXIS",
        help="y axis, same form (default reg:0.01:1:100)",
    )
    phase.add_argument("--cluster", type=positive_int, default=1, help="generated points on the true point (default 1)")
    phase.add_argument("--w", type=positive_float, default=1.0, help="mass of each generated point (default 1)")
    phase.add_argument("--p", type=positive_float, default=1.0, help="mass of the true point (default 1)")
    phase.add_argument(
        "--measure",
        action="store_true",
        help="also simulate every grid point (GDA from an offset of 1e-6, the flow from 1e-4) and label the runs; "
        "keep the grid small (e.g. 30 x 30)",
    )
    phase.add_argument("--steps", type=positive_int, default=1000, help="GDA steps per simulated run (default 1000)")
    phase.add_argument(
        "--critic",
        choices=("exact", "spectral"),
        default="exact",
        help="the Gaussian-kernel critic: exact (its history) or spectral (its lattice coefficients, "
        "to 1e-10; one lattice for the grid); default exact",
    )
    phase.add_argument(
        "--against-flow",
        action="store_true",
        help="also the dual flow's diagram over the same grid, and where the GDA scheme's phase differs from "
        "the flow's (disagreement.png, disagreement.json; with --measure, both simulated); try "
        "--x lr_g:0.02:1:20 --y reg:0.05:2:16",
    )
    phase.add_argument(
        "--out", default="dualflow-output/phase", metavar="DIR", help="output folder (default dualflow-output/phase)"
    )
    rates(phase)

    lin = commands.add_parser(
        "linearize",
        help="exact linearization at a configuration: eigenvalues, growth, dominant mode, JSON",
        description="Linearize the kernel game (exact Gaussian RKHS discriminator at its best response) at the "
        "generator configuration --generator, for one GDA step or the dual flow. Points are written "
        "'x1,y1;x2,y2' (rows ';', coordinates ','). Example: dualflow linearize --data '0' "
        "--generator '0' --reg 0.5 --scheme simultaneous",
    )
    lin._negative_number_matcher = _NEGATIVE_NUMBER  # --data -1;1
    points, masses = _checked_text(parse_points), _checked_text(parse_masses)
    lin.add_argument("--data", required=True, type=points, help="true points, e.g. '-1;1' (1-D) or '0,0;1,1' (2-D)")
    lin.add_argument(
        "--data-masses",
        type=masses,
        default=None,
        help="masses of the true points, e.g. '0.5;0.5' (default uniform 1/M)",
    )
    lin.add_argument("--generator", required=True, type=points, help="generated points, same form")
    lin.add_argument("--masses", type=masses, default=None, help="masses of the generated points (default uniform 1/N)")
    lin.add_argument(
        "--find-equilibrium", action="store_true", help="first refine --generator to an equilibrium by Newton's method"
    )
    lin.add_argument("--n-critic", type=positive_int, default=1, help="D-steps per G-step (default 1)")
    lin.add_argument(
        "--velocity",
        choices=("mass_weighted", "wasserstein"),
        default="mass_weighted",
        help="velocity convention (default mass_weighted)",
    )
    lin.add_argument(
        "--out",
        default="dualflow-output/linearize",
        metavar="DIR",
        help="output folder (default dualflow-output/linearize)",
    )
    rates(lin)
