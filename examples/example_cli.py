"""What every example shares: float64, a headless matplotlib, `--quick` / `--out` options, and the
closing step (save the figures, write the JSON of measured numbers, say what was written); and, for
the mode-collapse examples, running shipped study configs picked by `--study`."""

import argparse
import json
import pathlib

import jax
import matplotlib

jax.config.update("jax_enable_x64", True)
matplotlib.use("Agg")

import matplotlib.pyplot as plt

from dualflow.experiments.runners.study import run_study
from dualflow.experiments.store.files import write_figure, write_text

QUICK_HELP = "a smaller run (seconds), as the tests use"
CONFIGS = pathlib.Path(__file__).resolve().parent / "configs"


def parse_args(
    doc: str,
    default_out: str,
    argv=None,
    *,
    quick_help: str = QUICK_HELP,
    out_help: str | None = None,
    add_arguments=None,
) -> argparse.Namespace:
    """Parse `--quick`, `--out` and whatever `add_arguments(parser)` adds; `args.out` is a created
    `pathlib.Path`."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument(
        "--out",
        default=default_out,
        help=out_help if out_help is not None else f"output folder (default {default_out})",
    )
    if add_arguments is not None:
        add_arguments(parser)
    args = parser.parse_args(argv)
    args.out = pathlib.Path(args.out)
    args.out.mkdir(parents=True, exist_ok=True)
    return args


def parse(doc: str, default_out: str, argv=None, quick_help: str = QUICK_HELP):
    """Parse `--quick` and `--out` for an example; returns `(quick, out_dir)` with the folder created."""
    args = parse_args(doc, default_out, argv, quick_help=quick_help)
    return args.quick, args.out


def finish(out: pathlib.Path, figures: dict, results, json_name: str, *, dpi: int = 110, echo: bool = False):
    """The closing step of an example: save each figure of `figures` (file name -> matplotlib
    figure) as PNG in `out` and close it, write `results` as indented JSON to `out / json_name`
    (every file atomically, through the studies' results store), print the JSON too when `echo`,
    and print one line naming every file written. Returns `results`, so `main` can end with
    `return finish(...)`."""
    paths = []
    for name, fig in figures.items():
        paths.append(write_figure(out / name, fig, dpi=dpi, svg=False))
        plt.close(fig)
    text = json.dumps(results, indent=2)
    paths.append(write_text(out / json_name, text))
    if echo:
        print(text)
    names = [str(path) for path in paths]
    print("wrote " + (", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]))
    return results


def run_studies(doc: str, default_out: str, studies: dict, argv=None, *, default: str) -> dict:
    """Run shipped mode-collapse studies (`studies`: option value -> config name in `examples/configs/`)
    with `dualflow.experiments.run_study`: `--study` picks one (default `default`) or `all`, `--quick`
    their quick variants; each writes into `out / <config name>`. Returns `{config name: summary}`."""
    args = parse_args(
        doc,
        default_out,
        argv,
        quick_help="the configs' quick variants (seconds), as the tests use",
        out_help=f"output folder; each study writes into a subfolder named after it (default {default_out})",
        add_arguments=lambda parser: parser.add_argument(
            "--study",
            choices=[*studies, "all"],
            default=default,
            help=f"which study to run (default {default}: {studies[default]}.toml)",
        ),
    )
    names = list(studies.values()) if args.study == "all" else [studies[args.study]]
    return {name: run_study(CONFIGS / f"{name}.toml", args.out / name, quick=args.quick) for name in names}
