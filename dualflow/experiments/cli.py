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

from .arguments import build_parser
from .config.stability import LinearizeConfig, PhaseConfig, from_arguments, parse_masses, parse_points
from .config.study import ConfigError
from .store.files import ResultsFolderError

# jax and the runners are imported by the commands that run (`_run`), not here: `dualflow
# --help` and a usage error answer at once instead of after the seconds jax takes to import.


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `dualflow` command. `argv` defaults to `sys.argv[1:]`.

    **Returns:** the exit status (0 on success). Bad arguments exit with status 2 (argparse); a
    bad value, config or results folder found later returns 2 after one message on stderr.
    """
    args = build_parser().parse_args(sys.argv[1:] if argv is None else [str(a) for a in argv])
    if args.command == "linearize" and (mismatch := _linearize_mismatch(args)):
        return _error("linearize", mismatch)
    if args.command == "compare":
        setting: dict = {}
        for axis, value in args.set or []:
            if axis in setting:
                return _error("compare", f"--set {axis} given twice ({setting[axis]!r} and {value!r})")
            setting[axis] = value
        args.set = setting
    if args.command == "sweep":
        over: dict = {}
        for name, values in args.over:
            if name in over:
                return _error("sweep", f"--over {name} is given twice")
            over[name] = values
        args.over = over
    import jax

    jax.config.update("jax_enable_x64", True)  # the command line's edge: float64 metrics and analysis
    try:
        _run(args)
    except (ConfigError, ResultsFolderError) as error:  # a bad config or results folder
        return _error(args.command, error)
    except ValueError as error:
        if args.command not in ("phase", "linearize"):
            raise
        return _error(args.command, error)  # a bad combination of values, found by the library
    return 0


def _run(args: argparse.Namespace) -> None:
    """Run the command of the parsed `args` (checked by `main`)."""
    if args.command == "demo":
        from .runners.demo import run_demo

        run_demo(args.out, quick=args.quick, seed=args.seed, fresh=args.fresh)
    elif args.command == "phase":
        from .runners.stability import run_phase

        run_phase(from_arguments(PhaseConfig, args))
    elif args.command == "linearize":
        from .runners.stability import run_linearize

        run_linearize(from_arguments(LinearizeConfig, args))
    elif args.command in ("run", "sweep"):
        from .runners.study import run_study

        sweep = args.over if args.command == "sweep" else None
        run_study(args.config, args.out, quick=args.quick, fresh=args.fresh, sweep=sweep)
    elif args.command == "compare":
        from .runners.compare import run_compare

        run_compare(args.config, args.out, taus=args.taus, setting=args.set, seed=args.seed, quick=args.quick)
    elif args.command == "plot":
        _redraw(args.results_dir)
    else:  # argparse rejects unknown commands
        raise AssertionError(f"unhandled command {args.command!r}")


def _redraw(folder) -> None:
    """Redraw a results folder of `dualflow run` / `sweep` (a study) or of `dualflow compare`."""
    from .runners.compare import redraw_compare
    from .runners.study import finish_study
    from .store.runs import load_folder_config

    if (Path(folder) / "compare.json").exists():
        redraw_compare(folder)
    elif (Path(folder) / "study.json").exists():
        finish_study(load_folder_config(folder), folder)
    else:
        raise ResultsFolderError(
            f"{folder} is not a results folder of `dualflow run`, `sweep` or `compare` (no "
            "study.json or compare.json); `phase` and `linearize` write no runs to redraw: rerun them"
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


if __name__ == "__main__":
    sys.exit(main())
