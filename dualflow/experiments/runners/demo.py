r"""`dualflow demo`: the 8-Gaussian ring learned by the exact-kernel dual flow and by GDA.

The newcomer's first run, and an ordinary study: the shipped config
`dualflow/experiments/config/demo.toml` run by `run_study` (one setting, one seed). A cloud of
generator particles starts as a small blob at the centre of the 8-Gaussian ring; the
discriminator is the exact RKHS witness of a Gaussian kernel (`SpectralRKHS`: its lattice Fourier
coefficients, the kernel to 1e-10, no history and no random features); the kernel IPM payoff
with ridge $\lambda$ and the Wasserstein velocity $\dot x_j = \nabla f(x_j)$. Two solvers play
the same game over the same horizon:

- **GDA**, alternating with the discriminator first (Becker et al.), rates $\eta_g = \tau$,
  $\eta_d = \kappa\tau$;
- **the dual flow** $\dot x_j = \nabla f_t(x_j)$, $\dot f_t = \kappa(m_\nu - m_{\mu_t} - \lambda f_t)$,
  in generator time $t = k\,\eta_g$, integrated by diffrax's adaptive Tsit5 to `flow_rtol`, the
  reference that GDA approximates.

The results folder is a study's (`dualflow.experiments.runners.study`): `summary.json`,
`table.md`, `arrays.npz`, `runs/`, and the figures `panels_base.png` (particles over the
discriminator and its velocity field at five times, flow above GDA), `metrics_base.png`,
`coverage_over_time.png`, `flow_vs_gda.png` (the largest distance between a particle's two
paths), the coverage tables and `animation_base.gif`. Run again into the same folder, it reuses
the finished runs and redraws.
"""

from __future__ import annotations

from pathlib import Path

from ..config.demo import demo_config
from .study import run_study

__all__ = ["run_demo"]


def run_demo(out_dir=None, *, quick: bool = False, seed: int = 0, fresh: bool = False, log: bool = True) -> dict:
    r"""Run the demo study and print its headline numbers.

    **Arguments:**

    - `out_dir`: the results folder (default `dualflow-output/demo`, `demo-quick` with `quick`).
    - `quick`: the config's `[quick]` table (48 particles, horizon 10; about 30 s on 2 CPU cores).
    - `seed`: the one seed (`PRNGKey(seed)` draws the data sample and the initial blob).
    - `fresh`: delete the folder's finished runs first; `log`: progress on stderr.

    **Returns:** the study's summary (`run_study`), with `"files"`: the paths written.

    **Example:**

    ```python
    summary = run_demo("dualflow-output/demo", quick=True)
    summary["settings"][0]["dynamics"]["flow"]["n_covered"]["mean"]
    ```
    """
    cfg = demo_config(quick=quick, seed=seed)
    summary = run_study(cfg, out_dir, fresh=fresh, log=log)
    entry = summary["settings"][0]
    for stats in entry["dynamics"].values():
        print(
            f"[dualflow demo] {stats['label']:>9}: {_number(stats['n_covered']['mean'], '.0f')}/8 modes covered, "
            f"{_number(stats['high_quality_fraction']['mean'], '.0%')} of the particles on a mode, "
            f"W2 {_number(stats['w2']['mean'])}, MMD {_number(stats['mmd']['mean'], '.4f')} "
            f"at t = {cfg.data['dynamics']['t1']:g} "
            f"({', '.join(stats['results'])})",
            flush=True,
        )
    distance = entry["flow_vs_gda"]
    print(
        f"[dualflow demo] flow vs GDA: largest particle distance {_number(distance['largest']['mean'])}, "
        f"{_number(distance['final']['mean'])} at the end.",
        flush=True,
    )
    print(f"[dualflow demo] {_files_written(summary['files'])}", flush=True)
    return summary


def _files_written(files: dict) -> str:
    """`Wrote <folder>/: the figures (each PNG also as SVG), the animation and the data files`."""
    paths = [Path(p) for p in files.values()]
    figures = [p.name for p in paths if p.suffix == ".png"]
    svg = all(p.with_suffix(".svg").exists() for p in paths if p.suffix == ".png")
    others = [p.name for p in paths if p.suffix != ".png"]
    return (
        f"Wrote {paths[0].parent}/: {', '.join(figures)}"
        + (" (each also as .svg)" if svg and figures else "")
        + f"; {', '.join(others)}; runs/ (every run's arrays and record)"
    )


def _number(value, spec: str = ".3f") -> str:
    """A summary number for the log (`n/a` where no run had a finite value)."""
    return "n/a" if value is None else format(value, spec)
