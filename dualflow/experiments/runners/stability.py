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

import dataclasses
from typing import Any

import jax.numpy as jnp
import numpy as np

from ...analysis.boundaries import trace_boundary
from ...analysis.disagreement import disagreement_map
from ...analysis.equilibria import REACH, find_equilibrium
from ...analysis.isolated_points import theory_curves
from ...analysis.linearization import linearize
from ...analysis.phase_diagram import measure_phase_diagram, predict_phase_diagram
from ...analysis.phases import Phase
from ...games.kernel_game import KernelGame
from ...kernels.radial import Gaussian
from ...measures.measure import Measure
from ...players.exact_rkhs import ExactRKHS
from ...solvers.schemes import scheme_solver
from ..config.stability import LinearizeConfig, PhaseConfig, parse_axis, parse_masses, parse_points
from ..store.files import make_folder, write_figure, write_json
from .precision import float64
from .progress import stage


@float64
def run_phase(config: PhaseConfig) -> dict:
    """Compute the phase diagram `config` describes, draw it and write `phase.json` (float64).

    **Returns:** the summary written to `phase.json`."""
    from ...plotting import plot_growth, plot_phase_diagram  # matplotlib only when drawing

    out = make_folder(config.out)
    data = Measure(jnp.zeros((1, 1)), jnp.array([config.p]))
    cluster = Measure(jnp.zeros((config.cluster, 1)), jnp.full(config.cluster, config.w))
    base = dict(bandwidth=config.bandwidth, reg=config.reg, lr_g=config.lr_g, lr_d=config.lr_d)
    axes = dict(x=parse_axis(config.x), y=parse_axis(config.y), base=base, critic=config.critic)
    n_x, n_y = axes["x"][1].size, axes["y"][1].size
    grid = f"{n_x} x {n_y} = {n_x * n_y} grid points ({axes['x'][0]} x {axes['y'][0]})"
    simulated = f"simulating each for {config.steps} steps"
    disagreement = None
    if config.against_flow:
        if config.scheme == "flow":
            raise ValueError("--against-flow compares a GDA scheme with the flow; give --scheme a GDA order.")
        work = f"GDA ({config.scheme}) and the flow, {grid}: predicting" + (f", {simulated}" if config.measure else "")
        with stage(work, prefix="dualflow phase"):
            disagreement = disagreement_map(
                data, cluster, schemes=(config.scheme,), measure=config.measure, n_steps=config.steps, **axes
            )
        diagram = disagreement.gda[config.scheme]
    else:
        with stage(f"{config.scheme}, {grid}: predicting", prefix="dualflow phase"):
            diagram = predict_phase_diagram(data, cluster, scheme=config.scheme, **axes)
        if config.measure:
            with stage(f"{config.scheme}, {grid}: {simulated}", prefix="dualflow phase"):
                diagram = measure_phase_diagram(diagram, n_steps=config.steps)
    curves = theory_curves(diagram, w=config.w, p=config.p, n=config.cluster)
    boundary = disagreement.boundaries[config.scheme] if disagreement is not None else trace_boundary(diagram)
    fixed = phase_parameters(config, swept=(axes["x"][0], axes["y"][0]))
    title = f"{config.scheme}: " + ", ".join(f"{k} = {v:g}" for k, v in fixed.items() if k != "velocity")
    title += f", {fixed['velocity'].replace('_', '-')} velocity"
    write_figure(out / "phase.png", plot_phase_diagram(diagram, curves=curves, boundary=boundary, title=title))
    write_figure(out / "growth.png", plot_growth(diagram, curves=curves, boundary=boundary, title=title))
    summary = {
        "kind": "phase",
        "parameters": fixed,
        "command": dataclasses.asdict(config),
        **diagram.to_json(),
        "boundary": boundary.to_json(),
    }
    write_json(out / "phase.json", summary)
    for kind in ("predicted", "measured") if config.measure else ("predicted",):
        print("\n".join(phase_table(f"{kind} phases ({config.scheme}, {n_x * n_y} grid points)", summary[kind])))
    kinds = ", ".join(sorted(set(boundary.kinds.tolist()))) or "none on this grid"
    print(f"traced boundary: {len(boundary.points)} points ({kinds})")
    if config.measure:
        print(
            f"agreement with simulation: {100 * summary['agreement_coarse']:.1f}% (converge/oscillate/diverge), "
            f"{100 * summary['agreement_fine']:.1f}% (exact label)"
        )
    if disagreement is not None:
        from ...plotting import plot_disagreement

        write_figure(out / "disagreement.png", plot_disagreement(disagreement))
        report = {"kind": "disagreement", **disagreement.to_json()}
        write_json(out / "disagreement.json", report)
        share = report["predicted_disagreeing_fraction"][config.scheme]
        print(
            f"GDA ({config.scheme}) against the flow: {100 * share:.1f}% of the cells disagree (predicted)"
            + (
                f", measured categories agree with the prediction in {100 * disagreement.agreement(config.scheme):.1f}%"
                if config.measure
                else ""
            )
            + f"; wrote {out / 'disagreement.png'}, {out / 'disagreement.json'}"
        )
    print(f"wrote {out / 'phase.png'}, {out / 'growth.png'} (and .svg), {out / 'phase.json'}")
    return summary


def phase_parameters(config: PhaseConfig, swept) -> dict:
    """What a phase diagram holds fixed (so that it can be reproduced from `phase.json`): the
    rates, bandwidth and ridge not swept, the cluster, its masses and the true point's, and the
    velocity convention (the isolated points model is mass-weighted, Becker's form)."""
    game = {k: getattr(config, k) for k in ("lr_g", "lr_d", "bandwidth", "reg") if k not in swept}
    return {**game, "cluster": config.cluster, "w": config.w, "p": config.p, "velocity": "mass_weighted"}


def phase_table(title: str, labels) -> list[str]:
    """`title:` and one line per phase present among `labels` (names of `Phase`, any shape), in
    the order of `Phase`: its name, its count and its share of the cells."""
    labels = np.asarray(labels).ravel()
    lines = [f"{title}:"]
    for phase in Phase:
        count = int(np.sum(labels == phase.name))
        if count:
            lines.append(f"  {phase.name:<22} {count:>7}  {100 * count / labels.size:5.1f}%")
    return lines


@float64
def run_linearize(config: LinearizeConfig) -> dict:
    """Linearize at the configuration `config` describes and write `linearization.json` (float64).

    **Returns:** the report written there."""

    out = make_folder(config.out)
    data_points, points = parse_points(config.data), parse_points(config.generator)
    data = Measure(
        jnp.asarray(data_points), None if config.data_masses is None else jnp.asarray(parse_masses(config.data_masses))
    )
    generator = Measure(
        jnp.asarray(points), None if config.masses is None else jnp.asarray(parse_masses(config.masses))
    )
    game = KernelGame(data, ExactRKHS(Gaussian(config.bandwidth)), reg=config.reg, velocity=config.velocity)
    report: dict[str, Any] = {}
    if config.find_equilibrium:
        eq = find_equilibrium(game, generator)
        escaped = np.flatnonzero(np.asarray(eq.escaped))
        if escaped.size:
            raise ValueError(
                f"--find-equilibrium: Newton carried generator point(s) {escaped.tolist()} from --generator to "
                f"{np.asarray(eq.points)[escaped].tolist()}, out of the data's reach (every data point's kernel "
                f"below {REACH:g} of its peak), where the witness is flat and its gradient vanishes trivially; that "
                "is no equilibrium of interest. Start closer to the data."
            )
        report["equilibrium"] = {
            "points": np.asarray(eq.points).tolist(),
            "converged": bool(eq.converged),
            "residual": float(eq.residual),
        }
        generator = eq.measure
    solver = scheme_solver(config.scheme, config.lr_g, config.lr_d, n_critic=config.n_critic)
    lin = linearize(game, generator, solver)
    eigs = np.asarray(lin.eigenvalues)
    eigs = eigs[np.argsort(-(np.abs(eigs) if lin.discrete else np.real(eigs)))]
    report.update(
        command=dataclasses.asdict(config),
        scheme=config.scheme,
        growth=float(lin.growth),
        stable=bool(lin.stable),
        dominant_mode=lin.dominant_mode,
        residual=float(lin.residual),
        rest_eigenvalue=float(np.asarray(lin.rest_eigenvalue)),  # the kernel trick (ExactRKHS) always has one
        eigenvalues=[[float(e.real), float(e.imag)] for e in eigs],
        convention="one GDA step" if lin.discrete else "flow Jacobian in generator time t = k lr_g",
    )
    write_json(out / "linearization.json", {"kind": "linearization", **report})
    kind = "spectral radius" if lin.discrete else "spectral abscissa"
    print(
        f"{kind} {report['growth']:.10g} ({'stable' if report['stable'] else 'not stable'}); "
        f"dominant mode: {report['dominant_mode']}; residual {report['residual']:.2e}"
    )
    print(
        "eigenvalues (real, imag): "
        + ", ".join(f"({e.real:.6g}, {e.imag:.6g})" for e in eigs[:8])
        + (" ..." if len(eigs) > 8 else "")
        + f"; rest mode {report['rest_eigenvalue']:.6g}"
    )
    print(f"wrote {out / 'linearization.json'}")
    return report
