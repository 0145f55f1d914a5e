"""`dualflow phase` and `dualflow linearize`: stability analysis from the command line.

- `phase`: a phase diagram of the isolated points model (a cluster of `--cluster` points of
  mass `--w` on one true point of mass `--p`, 1-D) over two swept parameters, predicted by the
  exact linearization and, with `--measure`, measured by simulation; writes `phase.png`
  (predicted | measured, theory overlaid), `growth.png` (dominant |rho|^2 heat map), each also
  as SVG, and `phase.json`.
- `linearize`: the exact linearization at a configuration given on the command line (optionally
  refined to an equilibrium by Newton's method): eigenvalues, growth, dominant mode, residual;
  writes `linearization.json`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .results_store import write_figure, write_json

SCHEMES = ("simultaneous", "alternating_d_first", "alternating_g_first", "flow")


def parse_axis(text: str):
    """`NAME:START:STOP:NUM[:log|lin]` -> `(name, values)` (log spacing by default)."""
    parts = text.split(":")
    if len(parts) not in (4, 5):
        raise ValueError(f"an axis is NAME:START:STOP:NUM[:log|lin]; received {text!r}")
    name, start, stop, num = parts[0], float(parts[1]), float(parts[2]), int(parts[3])
    spacing = parts[4] if len(parts) == 5 else "log"
    if spacing not in ("log", "lin"):
        raise ValueError(f"axis spacing must be 'log' or 'lin'; received {spacing!r}")
    values = np.geomspace(start, stop, num) if spacing == "log" else np.linspace(start, stop, num)
    return name, values


def parse_points(text: str):
    """`"x1,y1;x2,y2"` -> array `(n, d)`."""
    try:
        return np.array([[float(v) for v in row.split(",")] for row in text.split(";")])
    except ValueError:
        raise ValueError(f"points are 'x1,y1;x2,y2;...' (rows ';', coordinates ','); received {text!r}") from None




def run_phase(args) -> dict:
    """Compute (and plot) the diagram described by the parsed `phase` arguments."""
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    import dualflow as df
    from dualflow.plotting import plot_growth, plot_phase_diagram, theory_curves

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    data = df.Measure(jnp.zeros((1, 1)), jnp.array([args.p]))
    cluster = df.Measure(jnp.zeros((args.cluster, 1)), jnp.full(args.cluster, args.w))
    base = dict(bandwidth=args.bandwidth, reg=args.reg, lr_g=args.lr_g, lr_d=args.lr_d)
    diagram = df.predict_phase_diagram(data, cluster, x=parse_axis(args.x), y=parse_axis(args.y), base=base,
                                       scheme=args.scheme, critic=args.critic)
    if args.measure:
        diagram = df.measure_phase_diagram(diagram, n_steps=args.steps)
    curves = theory_curves(diagram, w=args.w, p=args.p, n=args.cluster)
    write_figure(out / "phase.png", plot_phase_diagram(diagram, curves=curves))  # and phase.svg
    write_figure(out / "growth.png", plot_growth(diagram, curves=curves))
    summary = {"kind": "phase", **diagram.to_json()}
    write_json(out / "phase.json", summary)
    labels = np.asarray(summary["predicted"])
    counts = {str(name): int(np.sum(labels == name)) for name in np.unique(labels)}
    print(f"predicted phases: {counts}")
    if args.measure:
        print(f"agreement with simulation: {100 * summary['agreement_coarse']:.1f}% (converge/oscillate/diverge), "
              f"{100 * summary['agreement_fine']:.1f}% (exact label)")
    print(f"wrote {out / 'phase.png'}, {out / 'growth.png'} (and .svg), {out / 'phase.json'}")
    return summary


def run_linearize(args) -> dict:
    """Linearize at the configuration described by the parsed `linearize` arguments."""
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    import dualflow as df

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    data_points, points = parse_points(args.data), parse_points(args.generator)
    data = df.Measure(jnp.asarray(data_points), None if args.data_masses is None else
                      jnp.asarray(parse_points(args.data_masses).ravel()))
    generator = df.Measure(jnp.asarray(points), None if args.masses is None else
                           jnp.asarray(parse_points(args.masses).ravel()))
    game = df.KernelGame(data, df.ExactRKHS(df.Gaussian(args.bandwidth)), reg=args.reg, velocity=args.velocity)
    report = {}
    if args.find_equilibrium:
        eq = df.find_equilibrium(game, generator)
        report["equilibrium"] = {"points": np.asarray(eq.points).tolist(), "converged": bool(eq.converged),
                                 "residual": float(eq.residual)}
        generator = eq.measure
    solver = df.DualFlow(kappa=args.lr_d / args.lr_g) if args.scheme == "flow" else \
        df.GDA(lr_g=args.lr_g, lr_d=args.lr_d, order=args.scheme, n_critic=args.n_critic)
    lin = df.linearize(game, generator, solver)
    eigs = np.asarray(lin.eigenvalues)
    eigs = eigs[np.argsort(-(np.abs(eigs) if lin.discrete else np.real(eigs)))]
    report.update(scheme=args.scheme, growth=float(lin.growth), stable=bool(lin.stable),
                  dominant_mode=lin.dominant_mode, residual=float(lin.residual),
                  rest_eigenvalue=float(lin.rest_eigenvalue),
                  eigenvalues=[[float(e.real), float(e.imag)] for e in eigs],
                  convention="one GDA step" if lin.discrete else "flow Jacobian in generator time t = k lr_g")
    write_json(out / "linearization.json", {"kind": "linearization", **report})
    kind = "spectral radius" if lin.discrete else "spectral abscissa"
    print(f"{kind} {report['growth']:.10g} ({'stable' if report['stable'] else 'not stable'}); "
          f"dominant mode: {report['dominant_mode']}; residual {report['residual']:.2e}")
    print("eigenvalues (real, imag): " + ", ".join(f"({e.real:.6g}, {e.imag:.6g})" for e in eigs[:8])
          + (" ..." if len(eigs) > 8 else "") + f"; rest mode {report['rest_eigenvalue']:.6g}")
    print(f"wrote {out / 'linearization.json'}")
    return report
