r"""Closed forms of the isolated points model (Becker et al.; [docs/science.md §3][science-isolated-points]).

One true point $y$ of mass $p$ with a cluster of $n$ generated points of mass $w$ each
(total $p_\text{tot} = nw$, imbalance $\delta = p - p_\text{tot}$), Gaussian kernel of bandwidth
$\sigma$, $\gamma = 1/\sigma^2$, ridge $\lambda$, rates $\eta_g$ (`lr_g`), $\eta_d$ (`lr_d`),
mass-weighted velocity (Becker's form). At the collapsed equilibrium $x_j = y$ the
discriminator is locally $f^* = (\delta/\lambda)K(\cdot, y)$. With

$$a = \eta_d\lambda, \qquad b = \frac{\eta_g w\delta}{\lambda\sigma^2}, \qquad c = \frac{\eta_g\eta_d w p_\text{tot}}{\sigma^2},$$

the linearized modes *per step* (the generator-time Jacobian of `linearize` times $\eta_g$) are
$-a$ (the discriminator's rest), $-b$ (spread modes, multiplicity $(n-1)d$) and, per coordinate,
the roots of $s^2 + (a+b)s + (ab + c) = 0$ (cluster mean coupled to the discriminator's slope).
Names follow the library's vocabulary: `lr_g` $=\eta_g$, `lr_d` $=\eta_d$, `reg` $=\lambda$,
`bandwidth` $=\sigma$, `w`, `p`, `n` as in the papers. Every function is plain `jax.numpy`:
it broadcasts over array arguments and can be `vmap`ped.

Each formula is checked in `tests/test_isolated_points.py` against the general linearization,
against rates fitted from the exact nonlinear dynamics, and at its thresholds.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ..dynamics.gda_maps import STEP_ORDERS
from ..validation import check_choice


def isolated_coefficients(lr_g, lr_d, reg, bandwidth, w, p, n=1):
    r"""$(a, b, c) = \big(\eta_d\lambda,\ \eta_g w\delta/(\lambda\sigma^2),\ \eta_g\eta_d w p_\text{tot}/\sigma^2\big)$
    with $p_\text{tot} = nw$, $\delta = p - p_\text{tot}$ (`reg` $> 0$)."""
    lr_g, lr_d, reg, bandwidth, w, p = (jnp.asarray(v, dtype=float) for v in (lr_g, lr_d, reg, bandwidth, w, p))
    ptot = n * w
    return lr_d * reg, lr_g * w * (p - ptot) / (reg * bandwidth**2), lr_g * lr_d * w * ptot / bandwidth**2


def isolated_flow_modes(lr_g, lr_d, reg, bandwidth, w, p, n=1):
    r"""Per-step continuous-time modes $(-a,\ -b,\ s_+,\ s_-)$ with
    $s_\pm = -\frac{a+b}{2} \pm \sqrt{\frac{(a-b)^2}{4} - c}$ (complex when $(a-b)^2 < 4c$);
    $-b$ exists only for $n \ge 2$. Note $ab + c = \eta_g\eta_d w p/\sigma^2 > 0$."""
    a, b, c = isolated_coefficients(lr_g, lr_d, reg, bandwidth, w, p, n)
    a, b, c = jnp.broadcast_arrays(a, b, c)
    cplx = lambda v: jax.lax.complex(v, jnp.zeros_like(v))
    root = jnp.sqrt(cplx((a - b) ** 2 / 4 - c))
    mid = cplx(-(a + b) / 2)
    return jnp.stack([cplx(-a), cplx(-b), mid + root, mid - root])


def isolated_gda_map(lr_g, lr_d, reg, bandwidth, w, p, n=1, order="simultaneous"):
    r"""The $2\times 2$ one-step map of GDA on (cluster mean offset, discriminator slope at $y$),
    $\rho_a = 1 - a$, $\rho_b = 1 - b$:

    - simultaneous: $\begin{pmatrix}\rho_b & \eta_g w\\ -\eta_d p_\text{tot}\gamma & \rho_a\end{pmatrix}$;
    - `alternating_d_first`: $\begin{pmatrix}\rho_b - c & \eta_g w\rho_a\\ -\eta_d p_\text{tot}\gamma & \rho_a\end{pmatrix}$;
    - `alternating_g_first`: $\begin{pmatrix}\rho_b & \eta_g w\\ -\eta_d p_\text{tot}\gamma\rho_b & \rho_a - c\end{pmatrix}$
      (the D-step sees the moved points).

    **Returns:** an array `(..., 2, 2)`.
    """
    check_choice("order", order, STEP_ORDERS)
    a, b, c = isolated_coefficients(lr_g, lr_d, reg, bandwidth, w, p, n)
    rho_a, rho_b = 1 - a, 1 - b
    slope = -lr_d * n * w / bandwidth**2
    gain = lr_g * w * jnp.ones_like(rho_a)
    if order == "simultaneous":
        rows = [[rho_b, gain], [slope, rho_a]]
    elif order == "alternating_d_first":
        rows = [[rho_b - c, gain * rho_a], [slope, rho_a]]
    else:
        rows = [[rho_b, gain], [slope * rho_b, rho_a - c]]
    rows = [jnp.broadcast_arrays(*row) for row in rows]
    return jnp.stack([jnp.stack(row, axis=-1) for row in rows], axis=-2)


def isolated_spectral_radius(lr_g, lr_d, reg, bandwidth, w, p, n=1, order="simultaneous"):
    r"""Dominant $|\rho|$ of GDA at the collapsed cluster: the largest of the $2\times2$ map's
    eigenvalues, the rest mode $|1-a|$ and, for $n \ge 2$, the spread modes $|1-b|$."""
    a, b, _ = isolated_coefficients(lr_g, lr_d, reg, bandwidth, w, p, n)
    rho = jnp.max(jnp.abs(jnp.linalg.eigvals(isolated_gda_map(lr_g, lr_d, reg, bandwidth, w, p, n, order))), axis=-1)
    rho = jnp.maximum(rho, jnp.abs(1 - a))
    return jnp.where(jnp.asarray(n) >= 2, jnp.maximum(rho, jnp.abs(1 - b)), rho)


def simultaneous_critical_reg(lr_g, w, ptot, bandwidth):
    r"""Balanced mass ($\delta = 0$): simultaneous GDA's cluster mean converges iff
    $\lambda > \eta_g w p_\text{tot}/\sigma^2$ (then $|\rho|^2 = 1 - a + c < 1$ on the oscillating
    branch). This returns the critical $\lambda$. (For $n \ge 2$ the spread modes are neutral,
    $\rho_b = 1$: the spread decays only algebraically, see the second-moment model.)"""
    return lr_g * w * ptot / bandwidth**2


def alternating_oscillation_modulus(lr_g, lr_d, reg, bandwidth, w, p, n=1):
    r"""Modulus of alternating (D-first) GDA's complex eigenvalue pair:
    $|\rho| = \sqrt{\det} = \sqrt{(1-a)(1-b)}$, which is $\sqrt{1 - \eta_d\lambda}$ at balanced mass.

    The often quoted $\sqrt{1-\eta_d\lambda}$ holds only for $\delta = 0$: the determinant of the
    alternating map is $\rho_a\rho_b$ (checked in the
    tests against the general linearization and simulation)."""
    a, b, _ = isolated_coefficients(lr_g, lr_d, reg, bandwidth, w, p, n)
    return jnp.sqrt((1 - a) * (1 - b))


def overcovered_critical_reg(lr_g, lr_d, w, delta, bandwidth):
    r"""Over-covered true point ($\delta < 0$, one generated point): the flow is stable iff
    $a + b > 0$, i.e. $\lambda^2 > (\eta_g/\eta_d)\,w|\delta|/\sigma^2$. Returns that critical $\lambda$."""
    return jnp.sqrt(lr_g / lr_d * w * jnp.abs(delta)) / bandwidth


def lone_point_critical_reg(lr_g, lr_d, w, bandwidth):
    r"""A lone generated point (mass $w$, no true point near; $p = 0$, $\delta = -w$) runs away iff
    $\lambda^2 < (\eta_g/\eta_d)\,w^2/\sigma^2$, else it is stuck (its modes are $0$, translation,
    and $-(a+b)$). Returns the critical $\lambda = \sqrt{\eta_g/\eta_d}\,w/\sigma$."""
    return jnp.sqrt(lr_g / lr_d) * w / bandwidth


def collapse_radius(w, p, bandwidth):
    r"""Approximate mode collapse: two points of mass $w$ around a true point of mass $p$ rest at
    $\pm r$ with $r^2 = \frac{2\sigma^2}{3}\ln\frac{2w}{p}$ ($\nabla f^* = 0$ at $\pm r$ for the Gaussian
    kernel); such a configuration exists iff $2w > p$ (`nan` otherwise)."""
    log = jnp.log(2 * w / p)
    return jnp.where(log > 0, jnp.sqrt(2 * bandwidth**2 / 3 * jnp.where(log > 0, log, 1.0)), jnp.nan)


def optimal_reg(w, delta, bandwidth, lr_g=1.0, lr_d=1.0):
    r"""$\lambda_\text{opt} = \sqrt{(\eta_g/\eta_d)\,w\delta}/\sigma$ ($\delta > 0$): where the rest mode
    $-a$ and the spread mode $-b$ have equal rates, the fastest local rate of the flow for a
    cluster ($n \ge 2$; the coupled roots are always faster than $\min(a, b)$). The form
    $\sqrt{w\delta}/\sigma$ is the case $\eta_g = \eta_d$."""
    return jnp.sqrt(lr_g / lr_d * w * delta) / bandwidth


def oscillation_band(lr_g, lr_d, reg, w, p, n=1):
    r"""The band of $\gamma = 1/\sigma^2$ where the flow's coupled roots are complex (the cluster
    mean oscillates): $(a - b)^2 < 4c$ with $b = \beta\gamma$, $c = c'\gamma$,
    $\beta = \eta_g w\delta/\lambda$, $c' = \eta_g\eta_d w p_\text{tot}$, i.e. between the roots of
    $\beta^2\gamma^2 - (2a\beta + 4c')\gamma + a^2 = 0$.

    **Returns:** `(gamma_low, gamma_high)`; for $\delta = 0$ the band is $\gamma > a^2/(4c')$
    (`gamma_high = inf`)."""
    ptot = n * w
    a = lr_d * reg
    beta = lr_g * w * (p - ptot) / reg
    c1 = lr_g * lr_d * w * ptot
    lin = 2 * a * beta + 4 * c1
    safe_beta = jnp.where(beta == 0, 1.0, beta)
    disc = jnp.sqrt(jnp.maximum(lin**2 - 4 * beta**2 * a**2, 0.0))
    low = jnp.where(beta == 0, a**2 / (4 * c1), (lin - disc) / (2 * safe_beta**2))
    high = jnp.where(beta == 0, jnp.inf, (lin + disc) / (2 * safe_beta**2))
    return low, high


def theory_curves(diagram, *, w, p, n=1):
    r"""Curves `{label: (sigma, reg)}` of the isolated-points theory over a `PhaseDiagram`'s bandwidth
    range, for the model of `n` generated points of mass `w` on a true point of mass `p` (empty
    unless the axes are bandwidth and reg; the diagram's fixed rates): the balanced simultaneous
    threshold $\lambda = \eta_g w p_{tot}/\sigma^2$, the optimal ridge
    $\lambda_{opt} = \sqrt{(\eta_g/\eta_d) w\delta}/\sigma$ for $\delta = p - n w > 0$, and the edges of
    the flow's oscillation band (`isolated_points.oscillation_band`). Labels starting with `_`
    are drawn without a legend entry."""
    if (diagram.x_name, diagram.y_name) != ("bandwidth", "reg"):
        return {}
    lr_g = diagram.base["lr_g"]
    lr_d = diagram.base["kappa"] * lr_g if "kappa" in diagram.base else diagram.base["lr_d"]
    sigma = np.geomspace(diagram.x_values.min(), diagram.x_values.max(), 200)
    ptot, delta = n * w, p - n * w
    curves = {}
    if abs(delta) < 1e-12 and diagram.scheme == "simultaneous":
        curves[r"simultaneous threshold $\lambda = \eta_g w p_{tot}/\sigma^2$"] = (
            sigma,
            np.asarray(simultaneous_critical_reg(lr_g, w, ptot, sigma)),
        )
    if delta > 0:
        curves[r"$\lambda_{opt} = \sqrt{(\eta_g/\eta_d) w\delta}/\sigma$"] = (
            sigma,
            np.asarray(optimal_reg(w, delta, sigma, lr_g, lr_d)),
        )
    reg = np.geomspace(diagram.y_values.min(), diagram.y_values.max(), 200)
    low, high = (np.asarray(g) for g in oscillation_band(lr_g, lr_d, reg, w, p, n))
    for edge, gamma in ((r"flow oscillation band edges", low), (None, high)):
        with np.errstate(divide="ignore", invalid="ignore"):
            curves[edge or "_band high"] = (1 / np.sqrt(np.where(gamma > 0, gamma, np.nan)), reg)
    return curves
