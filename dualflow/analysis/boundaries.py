r"""Phase boundaries as curves: the neutral set of a phase diagram, traced by root finding.

A `PhaseDiagram` labels grid points; its boundaries, read off the grid, are only as fine as the
grid. `trace_boundary` finds them exactly. For every value of one axis it looks along the other
(`along`) for grid cells where the predicted growth crosses neutral, and refines each crossing
by bisection (`optimistix.Bisection`, in the logarithm of a positive parameter) on

$$h(u) = g(u) - g_0, \qquad g = \max_k |\rho_k| \ (\text{GDA}, g_0 = 1), \qquad
g = \max_k \operatorname{Re} s_k \ (\text{flow}, g_0 = 0),$$

the growth of `linearize` at that parameter point, the rest mode included. Each root is named
by the mode that crosses (the dominant eigenvalue just on the unstable side of the root):

- GDA: a complex pair on the unit circle is a **Neimark–Sacker** boundary, $\rho = -1$ a
  **flip**, $\rho = +1$ a **fold**;
- the flow: a complex pair on the imaginary axis is a **Hopf** boundary, $s = 0$ a **fold**.

Crossings between two neighbouring grid values are found; two crossings inside one cell cancel
and are missed (refine the grid there). A neutral mode that stays neutral (the spread modes of
a balanced cluster, $\rho_b = 1$) is not a crossing and is not traced.
"""

from __future__ import annotations

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx

from ..validation import check_choice
from .phase_diagram import PhaseDiagram, dominant_mode, neutral_growth

__all__ = ["Boundary", "trace_boundary"]

#: The kinds of boundary point, by the dominant eigenvalue at the root.
KINDS = {
    (True, "complex"): "Neimark-Sacker (complex pair, |ρ| = 1)",
    (True, "negative"): "flip (ρ = −1)",
    (True, "positive"): "fold (ρ = +1)",
    (False, "complex"): "Hopf (complex pair, Re s = 0)",
    (False, "negative"): "fold (s = 0)",
    (False, "positive"): "fold (s = 0)",
}


@dataclasses.dataclass(frozen=True)
class Boundary:
    """The traced neutral set of a diagram's prediction.

    **Fields:** `x_name`, `y_name`, `scheme` (as the diagram's); `along` (the axis solved for,
    `"x"` or `"y"`); `points` `(K, 2)`: the $(x, y)$ of each crossing; `kinds` `(K,)`: the name of
    each (module docstring); `eigenvalues` `(K,)`: the crossing mode's eigenvalue next to each root;
    `residuals` `(K,)`: $|g - g_0|$ there; `converged` `(K,)`: the bisection met its tolerance.
    """

    x_name: str
    y_name: str
    scheme: str
    along: str
    points: np.ndarray
    kinds: np.ndarray
    eigenvalues: np.ndarray
    residuals: np.ndarray
    converged: np.ndarray

    def curves(self) -> dict:
        """`{label: (xs, ys)}` per kind (for a plot overlay): the k-th crossing of that kind at each
        value of the fixed axis (in order along the other) makes branch k, sorted along the fixed
        axis; branches are separated by NaN, so a line plot does not join them."""
        fixed, moving = (0, 1) if self.along == "y" else (1, 0)
        out = {}
        for kind in dict.fromkeys(self.kinds.tolist()):
            chosen = self.points[self.kinds == kind]
            chosen = chosen[np.lexsort((chosen[:, moving], chosen[:, fixed]))]
            _, first = np.unique(chosen[:, fixed], return_index=True)
            rank = np.arange(len(chosen)) - np.repeat(first, np.diff(np.append(first, len(chosen))))
            gap = np.full((1, 2), np.nan)
            joined = np.concatenate([np.concatenate([chosen[rank == k], gap]) for k in range(rank.max() + 1)])[:-1]
            out[f"{self.scheme}: {kind}"] = (joined[:, 0], joined[:, 1])
        return out

    def to_json(self) -> dict:
        return {
            "scheme": self.scheme,
            "along": self.along,
            "x_name": self.x_name,
            "y_name": self.y_name,
            "points": self.points.tolist(),
            "kinds": self.kinds.tolist(),
            "max_residual": float(np.max(self.residuals)) if self.residuals.size else None,
        }


def _crossings(diagram: PhaseDiagram, along: str):
    """Brackets `(fixed value, low, high)` of every sign change of growth - neutral along an axis."""
    h = diagram.growth - diagram.neutral  # (ny, nx)
    if along == "x":
        fixed_values, moving, rows = diagram.y_values, diagram.x_values, h
    else:
        fixed_values, moving, rows = diagram.x_values, diagram.y_values, h.T
    brackets = []
    for fixed, row in zip(fixed_values, rows):
        for i in np.flatnonzero(row[:-1] * row[1:] < 0):
            brackets.append((fixed, moving[i], moving[i + 1]))
    return np.asarray(brackets, dtype=np.float64).reshape(-1, 3)


@eqx.filter_jit
def _refine(problem, base, names, scheme, options, brackets, log_scale, rtol, atol, max_steps):
    data, equilibrium, lattice = problem
    moving_name, fixed_name = names
    n_critic, velocity = options
    neutral = neutral_growth(scheme)
    to_value = jnp.exp if log_scale else (lambda u: u)

    def point(fixed, u):
        params = dict(base)
        params[fixed_name], params[moving_name] = fixed, to_value(u)
        return dominant_mode(data, equilibrium, params, scheme, n_critic, velocity, lattice)

    def one(bracket):
        fixed, low, high = bracket[0], bracket[1], bracket[2]
        lower, upper = (jnp.log(low), jnp.log(high)) if log_scale else (low, high)
        sol = optx.root_find(
            lambda u, _: point(fixed, u)[0] - neutral,
            optx.Bisection(rtol=rtol, atol=atol),
            (lower + upper) / 2,
            options={"lower": lower, "upper": upper},
            max_steps=max_steps,
            throw=False,
        )
        growth = point(fixed, sol.value)[0]
        # the crossing mode: the dominant one just on the unstable side (at the root, neutral modes may tie)
        unstable = jnp.where(point(fixed, upper)[0] > neutral, upper, lower)
        eigenvalue = point(fixed, sol.value + 1e-6 * (unstable - sol.value))[1]
        return to_value(sol.value), eigenvalue, jnp.abs(growth - neutral), sol.result == optx.RESULTS.successful

    return jax.vmap(one)(brackets)


def trace_boundary(
    diagram: PhaseDiagram, *, along: str = "y", rtol: float = 1e-14, atol: float = 1e-14, max_steps: int = 256
) -> Boundary:
    r"""Trace the neutral set of `diagram`'s predicted growth as curves (module docstring).

    **Arguments:**

    - `diagram`: a `PhaseDiagram` from `predict_phase_diagram` (its problem, critic and scheme).
    - `along`: the axis solved for, `"y"` (for every x value, the y where growth is neutral) or `"x"`.
    - `rtol`, `atol`: `optimistix.Bisection`'s tolerances, on the logarithm of a positive
      parameter (on the value itself for `imbalance`) and on $|g - g_0|$; `max_steps`: its budget.

    **Returns:** a `Boundary` (empty when the growth crosses neutral nowhere on the grid).

    **Example:**

    ```python
    diagram = predict_phase_diagram(data, equilibrium, x=("bandwidth", sigmas), y=("reg", regs),
                                    scheme="simultaneous")
    boundary = trace_boundary(diagram)          # the reg of the threshold at every bandwidth
    plot_phase_diagram(diagram, boundary=boundary)
    ```
    """
    if not isinstance(diagram, PhaseDiagram):
        raise ValueError(
            f"`diagram` must be a PhaseDiagram (predict_phase_diagram); received {type(diagram).__name__}."
        )
    check_choice("along", along, ("x", "y"))
    brackets = _crossings(diagram, along)
    moving = diagram.x_name if along == "x" else diagram.y_name
    empty = np.zeros((0,))
    if not brackets.shape[0]:
        return Boundary(
            diagram.x_name, diagram.y_name, diagram.scheme, along, np.zeros((0, 2)), empty.astype(str),
            empty.astype(complex), empty, empty.astype(bool),
        )  # fmt: skip
    with jax.enable_x64(True):
        roots, eigenvalues, residuals, converged = (
            np.asarray(v)
            for v in _refine(
                (diagram.data, diagram.equilibrium, diagram.lattice),
                {k: jnp.asarray(v, dtype=jnp.float64) for k, v in diagram.base.items()},
                (moving, diagram.y_name if along == "x" else diagram.x_name),
                diagram.scheme,
                (diagram.n_critic, diagram.velocity),
                jnp.asarray(brackets),
                moving != "imbalance",
                rtol,
                atol,
                max_steps,
            )
        )
    fixed = brackets[:, 0]
    points = np.stack([roots, fixed] if along == "x" else [fixed, roots], axis=1)
    scale = np.maximum(np.abs(eigenvalues), 1e-300)
    kinds = np.asarray(
        [
            KINDS[
                (diagram.discrete, "complex" if abs(ev.imag) > 1e-9 * s else "negative" if ev.real < 0 else "positive")
            ]
            for ev, s in zip(eigenvalues, scale)
        ]
    )
    return Boundary(
        diagram.x_name, diagram.y_name, diagram.scheme, along, points, kinds, eigenvalues, residuals, converged
    )
