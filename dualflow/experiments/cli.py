"""The `dualflow` command line: `dualflow <command> [options]` (also `python -m dualflow`).

Commands:

- `demo`: the 8-Gaussian ring learned by the exact-kernel dual flow and by GDA, side by side: the
  shipped study `config/demo.toml` run like `run` (see `dualflow.experiments.runners.demo`).
- `phase`: a predicted (and optionally measured) phase diagram of the isolated points model.
- `linearize`: the exact linearization at a configuration, with eigenvalues and dominant mode.
(See `dualflow.experiments.runners.stability`.)
- `run`: a mode-collapse study described by a TOML config (`dualflow.experiments.runners.study`),
  resumable: finished runs in the results folder are reused (`dualflow.experiments.store.runs`).
- `sweep`: the same with the swept axes given on the command line (`--over kappa=0.1,1,inf`).
- `compare`: flow versus GDA at several step sizes tau, one setting (`dualflow.experiments.runners.compare`).
- `plot`: redraw a study folder's figures from its stored runs, without running anything.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jax

from .arguments import build_parser
from .config.stability import LinearizeConfig, PhaseConfig, from_arguments, parse_masses, parse_points
from .config.study import ConfigError
from .runners.compare import redraw_compare, run_compare
from .runners.demo import run_demo
from .runners.stability import run_linearize, run_phase
from .runners.study import finish_study, run_study
from .store.runs import ResultsFolderError, load_folder_config


def _main_compare(args: argparse.Namespace) -> int:
    """Run `dualflow compare` from parsed arguments (`_add_compare_arguments`).

    **Returns:** the exit status: 0, or 2 after printing `dualflow compare: error: ...` on stderr
    for an invalid config, setting or taus (`ConfigError`).
    """
    setting: dict = {}
    for axis, value in args.set or []:
        if axis in setting:
            print(
                f"dualflow compare: error: --set {axis} given twice ({setting[axis]!r} and {value!r})", file=sys.stderr
            )
            return 2
        setting[axis] = value
    return _guarded(
        "compare",
        lambda: run_compare(args.config, args.out, taus=args.taus, setting=setting, seed=args.seed, quick=args.quick),
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `dualflow` command. `argv` defaults to `sys.argv[1:]`.

    **Returns:** the exit status (0 on success). Bad arguments exit with status 2 (argparse).
    """
    args = build_parser().parse_args(sys.argv[1:] if argv is None else [str(a) for a in argv])
    jax.config.update("jax_enable_x64", True)  # the command line's edge: float64 metrics and analysis
    if args.command == "demo":
        return _guarded("demo", lambda: run_demo(args.out, quick=args.quick, seed=args.seed, fresh=args.fresh))
    if args.command == "linearize" and (mismatch := _linearize_mismatch(args)):
        return _error("linearize", mismatch)
    if args.command in ("phase", "linearize"):
        try:
            if args.command == "phase":
                run_phase(from_arguments(PhaseConfig, args))
            else:
                run_linearize(from_arguments(LinearizeConfig, args))
        except ValueError as error:  # bad values: a clear message and exit status 2, like argparse
            return _error(args.command, error)
        return 0
    if args.command in ("run", "sweep"):
        sweep = None
        if args.command == "sweep":
            sweep = {}
            for name, values in args.over:
                if name in sweep:
                    return _error(args.command, f"--over {name} is given twice")
                sweep[name] = values
        return _guarded(
            args.command, lambda: run_study(args.config, args.out, quick=args.quick, fresh=args.fresh, sweep=sweep)
        )
    if args.command == "plot":
        return _guarded("plot", lambda: _redraw(args.results_dir))
    if args.command == "compare":
        return _main_compare(args)
    raise AssertionError(f"unhandled command {args.command!r}")  # argparse rejects unknown commands


def _redraw(folder):
    """Redraw a results folder of `dualflow run` / `sweep` (a study) or of `dualflow compare`."""
    if (Path(folder) / "compare.json").exists():
        return redraw_compare(folder)
    if (Path(folder) / "study.json").exists():
        return finish_study(load_folder_config(folder), folder)
    raise ResultsFolderError(
        f"{folder} is not a results folder of `dualflow run`, `sweep` or `compare` (no "
        "study.json or compare.json); `phase` draws its figures in seconds: rerun it"
    )


def _linearize_mismatch(args: argparse.Namespace) -> str | None:
    """What does not fit together among `dualflow linearize`'s points and masses (each already
    checked by its argparse type), or `None`."""
    data, generator = parse_points(args.data), parse_points(args.generator)
    if generator.shape[1] != data.shape[1]:
        return (
            f"--generator has points of dimension {generator.shape[1]} ({args.generator!r}) but --data has points "
            f"of dimension {data.shape[1]} ({args.data!r}); give both in the same dimension"
        )
    for option, masses, points, of in (
        ("--data-masses", args.data_masses, data, "--data"),
        ("--masses", args.masses, generator, "--generator"),
    ):
        if masses is not None and len(parse_masses(masses)) != len(points):
            return (
                f"{option} has {len(parse_masses(masses))} masses ({masses!r}) but {of} has {len(points)} points; "
                "give one mass per point"
            )
    return None


def _error(command: str, message) -> int:
    print(f"dualflow {command}: error: {message}", file=sys.stderr)
    return 2


def _guarded(command: str, action) -> int:
    """Run `action`; a bad config or results folder (a `ValueError` raised before or instead of
    running) is reported as `dualflow <command>: error: ...` with exit status 2."""
    try:
        action()
    except (ConfigError, ResultsFolderError) as error:
        return _error(command, error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
