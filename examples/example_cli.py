"""What every example shares: float64, a headless matplotlib, and `--quick` / `--out` options."""

import argparse
import pathlib

import jax
import matplotlib

jax.config.update("jax_enable_x64", True)
matplotlib.use("Agg")


def parse(doc: str, default_out: str, argv=None, quick_help: str = "a smaller run (seconds), as the tests use"):
    """Parse `--quick` and `--out` for an example; returns `(quick, out_dir)` with the folder created."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--out", default=default_out, help=f"output folder (default {default_out})")
    args = parser.parse_args(argv)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    return args.quick, out
