r"""The second-moment model (SMM) of a generated cloud collapsing onto one true point.

Becker et al.'s journal model (IEEE TSP 2025; [docs/science.md §3][science-isolated-points]). One true point $y = 0$ of mass
$p$; a zero-mean cloud of generated points $x_j$, each of mass $w$, total mass
$p_{\text{tot}} = n w$, mass imbalance $\delta = p - p_{\text{tot}}$; Gaussian kernel
$K(x, z) = e^{-|x-z|^2/(2\sigma^2)}$, $\gamma = 1/\sigma^2$. The state is reduced to

- $\nu_i$: the eigenvalues of the mass-weighted cloud covariance
  $\Sigma = \frac{1}{p_{\text{tot}}}\sum_j w\, x_j x_j^\top$ (about the true point);
- $c_i = -\partial^2 f/\partial z_i^2(0)$: the discriminator's curvature at the true point
  along the same eigen-directions.

**Derivation.** The D-step is $f \leftarrow (1-\eta_d\lambda) f + \eta_d(m_\nu - m_\mu)$ with
$m_\nu - m_\mu = p K(\cdot, 0) - \sum_j w K(\cdot, x_j)$. For the Gaussian kernel
$-\nabla_z^2 K(z, x)|_{z=0} = K(0, x)(\gamma I - \gamma^2 x x^\top)$ and
$K(0, x) = 1 - \tfrac\gamma2 |x|^2 + O(\gamma^2|x|^4)$, so to second order in the cloud

$$-\nabla^2 (m_\nu - m_\mu)(0)
= \delta\gamma\, I + p_{\text{tot}}\gamma^2\big(\Sigma + \tfrac12 \operatorname{tr}\Sigma\; I\big),$$

diagonal in $\Sigma$'s eigenbasis. The G-step with the mass-weighted velocity is
$x_j \leftarrow x_j + \eta_g w \nabla f(x_j)$ and, $f$ being even about $0$ for a symmetric cloud
(or to leading order for a zero-mean one), $\nabla f(x_j) = -C x_j + O(|x_j|^3)$, so
$\Sigma \leftarrow (I - \eta_g w C)\,\Sigma\,(I - \eta_g w C)$. Starting from $f_0 = 0$ ($C = 0$)
the eigenbasis never changes. With alternating GDA, discriminator first (the G-step sees the
*new* $f$), the model is the recursion

$$c_i \leftarrow (1-\lambda\eta_d)\, c_i
+ \eta_d\big[\delta\gamma + p_{\text{tot}}\gamma^2\big(\nu_i + \tfrac12\textstyle\sum_l \nu_l\big)\big],
\qquad \nu_i \leftarrow \nu_i\,(1 - \eta_g w\, c_i)^2 .$$

In generator time $t = k\eta_g$ with $\kappa = \eta_d/\eta_g$ and $\eta_g \to 0$ it becomes the ODE
$\dot c_i = \kappa\big[-\lambda c_i + \delta\gamma + p_{\text{tot}}\gamma^2(\nu_i + \tfrac12\sum_l\nu_l)\big]$,
$\dot\nu_i = -2 w\, c_i \nu_i$.

**Neglected terms.** The next order of the kernel expansion changes the curvature by a
relative $O(\gamma\,\operatorname{tr}\Sigma)$ and the particle velocity by a relative
$O(\gamma |x_j|^2)$; summed over a collapsing trajectory
($\sum_k 2\eta_g w c_k \nu_k \approx \nu_0 - \nu_\infty$) the relative error of $\nu$ stays
$O(\gamma \operatorname{tr}\Sigma_0)$. A cloud that is not symmetric also has odd moments that move
its mean, which the model ignores.
"""

from __future__ import annotations

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..games.kernel_game import KernelGame
from ..kernels.radial import Gaussian
from ..measures.measure import Measure
from ..players.exact_rkhs import ExactRKHS
from ..solvers.gda import GDA
from ..solvers.solution import Solution
from ..solvers.solve import solve
from ..validation import check_int, check_positive, is_concrete


def _float(name, value):
    """`value` as an array of the default float dtype (float64 under x64), checked finite when
    concrete (traced values pass through: the checks belong before `jit`/`vmap`)."""
    arr = jnp.asarray(value, dtype=float)
    if is_concrete(arr) and not np.all(np.isfinite(np.asarray(arr))):
        raise ValueError(f"`{name}` must be finite; received {value!r}.")
    return arr


def _initial_state(nu0, c0):
    """Check and convert the initial eigenvalues $\\nu_0$ `(d,)` and curvatures $c_0$ (`()` or `(d,)`)."""
    nu0 = _float("nu0", nu0)
    if nu0.ndim != 1 or nu0.shape[0] == 0:
        raise ValueError(
            f"`nu0` must be a (d,) array of covariance eigenvalues with d >= 1; received shape {nu0.shape}."
        )
    check_positive("nu0", nu0, allow_zero=True)
    c0 = _float("c0", c0)
    if c0.shape not in ((), nu0.shape):
        raise ValueError(f"`c0` must be a scalar or have the shape {nu0.shape} of `nu0`; received shape {c0.shape}.")
    return nu0, jnp.broadcast_to(c0, nu0.shape)


def _masses(bandwidth, w, p, ptot):
    """Check the kernel and masses; return $(\\gamma, w, \\delta, p_{\\text{tot}})$."""
    values = {"bandwidth": bandwidth, "w": w, "p": p, "ptot": ptot}
    for name, value in values.items():
        check_positive(name, value)
    bandwidth, w, p, ptot = (_float(name, value) for name, value in values.items())
    return 1 / bandwidth**2, w, p - ptot, ptot


def _curvature_drive(nu, gamma, delta, ptot):
    r"""$-\partial_i^2(m_\nu - m_\mu)(0) \approx \delta\gamma + p_{\text{tot}}\gamma^2(\nu_i + \frac12\sum_l\nu_l)$,
    to second order in the cloud (module docstring)."""
    return delta * gamma + ptot * gamma**2 * (nu + 0.5 * jnp.sum(nu, axis=-1, keepdims=True))


@eqx.filter_jit
def _smm_scan(nu0, c0, lr_g, lr_d, reg, gamma, w, delta, ptot, n_steps):
    def step(state, _):
        nu, c = state
        c = (1 - reg * lr_d) * c + lr_d * _curvature_drive(nu, gamma, delta, ptot)
        nu = nu * (1 - lr_g * w * c) ** 2  # the G-step sees the new curvature: alternating, D first
        return (nu, c), (nu, c)

    _, (nus, cs) = jax.lax.scan(step, (nu0, c0), None, length=n_steps)
    return jnp.concatenate([nu0[None], nus]), jnp.concatenate([c0[None], cs])


def second_moment_model(nu0, c0, *, lr_g, lr_d, reg, bandwidth, w, p, ptot, n_steps: int):
    r"""The SMM recursion for alternating GDA, discriminator first (module docstring):

    $$c_i \leftarrow (1-\lambda\eta_d)\, c_i
    + \eta_d\big[\delta\gamma + p_{\text{tot}}\gamma^2\big(\nu_i + \tfrac12\textstyle\sum_l \nu_l\big)\big],
    \qquad \nu_i \leftarrow \nu_i\,(1 - \eta_g w\, c_i)^2,$$

    with $\gamma = 1/\sigma^2$, $\delta = p - p_{\text{tot}}$ and the mass-weighted velocity
    $\dot x_j = w \nabla f(x_j)$ (dualflow's default). Step $k$ is generator time $t = k\eta_g$.
    Jittable and `vmap`pable over every numeric argument (`n_steps` is static).

    **Arguments:**

    - `nu0`: `(d,)` eigenvalues of the mass-weighted cloud covariance about the true point.
    - `c0`: curvature $-\partial_i^2 f(0)$, scalar or `(d,)` (`0.0` for $f_0 = 0$, as `solve` starts).
    - `lr_g`, `lr_d`: rates $\eta_g$, $\eta_d$; `reg`: ridge $\lambda \ge 0$; `bandwidth`: $\sigma$.
    - `w`: mass of each generated point; `p`: mass of the true point; `ptot`: total generated mass.
    - `n_steps`: number of GDA steps.

    **Returns:** `(nu, c)`, each of shape `(n_steps + 1, d)` (row 0 is the initial state).

    **Example:**

    ```python
    nu, c = second_moment_model(jnp.array([0.1, 0.2]), 0.0, lr_g=0.01, lr_d=0.01, reg=0.1,
                                bandwidth=1.0, w=0.05, p=1.0, ptot=1.0, n_steps=1000)
    ```
    """
    nu0, c0 = _initial_state(nu0, c0)
    check_positive("lr_g", lr_g)
    check_positive("lr_d", lr_d)
    check_positive("reg", reg, allow_zero=True)
    n_steps = check_int("n_steps", n_steps, minimum=1)
    gamma, w, delta, ptot = _masses(bandwidth, w, p, ptot)
    return _smm_scan(
        nu0, c0, _float("lr_g", lr_g), _float("lr_d", lr_d), _float("reg", reg), gamma, w, delta, ptot, n_steps
    )


def _smm_field(t, state, args):
    nu, c = state
    kappa, reg, gamma, w, delta, ptot = args
    return -2 * w * c * nu, kappa * (_curvature_drive(nu, gamma, delta, ptot) - reg * c)


@eqx.filter_jit
def _smm_ode(nu0, c0, kappa, reg, gamma, w, delta, ptot, t1, n_saves, rtol, atol, max_steps):
    ts = jnp.linspace(0.0, t1, n_saves, dtype=nu0.dtype)
    sol = diffrax.diffeqsolve(
        diffrax.ODETerm(_smm_field),
        diffrax.Tsit5(),
        t0=ts[0],
        t1=ts[-1],
        dt0=None,
        y0=(nu0, c0),
        args=(kappa, reg, gamma, w, delta, ptot),
        saveat=diffrax.SaveAt(ts=ts),
        stepsize_controller=diffrax.PIDController(rtol=rtol, atol=atol),
        max_steps=max_steps,
    )
    nu, c = sol.ys
    return sol.ts, nu, c


def second_moment_flow(
    nu0,
    c0,
    *,
    kappa,
    reg,
    bandwidth,
    w,
    p,
    ptot,
    t1,
    n_saves: int = 101,
    rtol: float = 1e-10,
    atol: float = 1e-12,
    max_steps: int = 100_000,
):
    r"""The continuous-time SMM, the limit $\eta_g \to 0$ of `second_moment_model` in generator
    time $t = k\eta_g$ with $\kappa = \eta_d/\eta_g$ fixed:

    $$\dot c_i = \kappa\big[-\lambda c_i + \delta\gamma
    + p_{\text{tot}}\gamma^2\big(\nu_i + \tfrac12\textstyle\sum_l \nu_l\big)\big],
    \qquad \dot\nu_i = -2 w\, c_i\, \nu_i .$$

    The recursion is a first-order (Euler-type) discretization of it: at a fixed $t$ the two
    differ by $O(\eta_g)$. Integrated with diffrax's `Tsit5` and an adaptive `PIDController`.

    **Arguments:**

    - `nu0`, `c0`, `reg`, `bandwidth`, `w`, `p`, `ptot`: as in `second_moment_model`.
    - `kappa`: time-scale ratio $\eta_d/\eta_g$.
    - `t1`, `n_saves`: integrate over $[0, t_1]$ saving at `n_saves` equally spaced times.
    - `rtol`, `atol`, `max_steps`: the step-size controller's tolerances and step budget.

    **Returns:** `(ts, nu, c)` with shapes `(n_saves,)`, `(n_saves, d)`, `(n_saves, d)`.
    """
    nu0, c0 = _initial_state(nu0, c0)
    check_positive("kappa", kappa)
    check_positive("reg", reg, allow_zero=True)
    check_positive("t1", t1)
    n_saves = check_int("n_saves", n_saves, minimum=2)
    check_positive("rtol", rtol)
    check_positive("atol", atol)
    max_steps = check_int("max_steps", max_steps, minimum=1)
    gamma, w, delta, ptot = _masses(bandwidth, w, p, ptot)
    return _smm_ode(
        nu0,
        c0,
        _float("kappa", kappa),
        _float("reg", reg),
        gamma,
        w,
        delta,
        ptot,
        _float("t1", t1),
        n_saves,
        float(rtol),
        float(atol),
        max_steps,
    )


def smm_balanced_asymptote(k, *, lr_g, reg, bandwidth, w, ptot, dim: int = 1):
    r"""Algebraic decay of the SMM at balanced mass ($\delta = 0$):
    $\nu_k \simeq \dfrac{\lambda\sigma^4}{(2 + d)\,\eta_g w\, p_{\text{tot}}\, k}$, which in 1-D is
    $\lambda\sigma^4/(3\eta_g w p_{\text{tot}} k)$ ([docs/science.md §3][science-isolated-points]).

    Assumptions of the derivation: $\lambda > 0$ and $k \gg 1/(\lambda\eta_d)$, so the curvature
    follows the cloud quasi-statically, $c_i \approx p_{\text{tot}}\gamma^2(\nu_i + \frac12\sum_l\nu_l)/\lambda$;
    $\eta_g w c_i \ll 1$, so $(1-\eta_g w c_i)^2 \approx 1 - 2\eta_g w c_i$; and an isotropic cloud
    (all $\nu_i = \nu$), where $\nu_{k+1} = \nu_k - (2+d)\eta_g w p_{\text{tot}}\gamma^2\nu_k^2/\lambda$ gives
    $1/\nu_k \simeq (2+d)\eta_g w p_{\text{tot}} k/(\lambda\sigma^4)$ up to $O(\log k)$ and a constant set by
    the transient (large when the curvature, still remembering a larger cloud, overshoots: then
    $\nu_k$ approaches the law from below, like $1/(Ak + D)$). An anisotropic
    cloud becomes isotropic only slowly (relative spread $\propto k^{-2/(2+d)}$), so in $d > 1$
    the formula holds for the mean eigenvalue $\frac1d\sum_i\nu_i$ before it holds for each one.

    **Arguments:** `k` (step count, array), `lr_g`, `reg` ($> 0$), `bandwidth`, `w`, `ptot`, `dim` ($d$).

    **Returns:** the predicted $\nu_k$, shaped like `k`.
    """
    check_positive("k", k)
    for name, value in (("lr_g", lr_g), ("reg", reg), ("bandwidth", bandwidth), ("w", w), ("ptot", ptot)):
        check_positive(name, value)
    dim = check_int("dim", dim, minimum=1)
    return (
        _float("reg", reg)
        * _float("bandwidth", bandwidth) ** 4
        / ((2 + dim) * _float("lr_g", lr_g) * _float("w", w) * _float("ptot", ptot) * _float("k", k))
    )


def smm_geometric_factor(*, lr_g, reg, bandwidth, w, p, ptot):
    r"""Per-step factor of the SMM's geometric decay when the true point is under-covered
    ($\delta = p - p_{\text{tot}} > 0$): $\nu_{k+1}/\nu_k \to (1 - \eta_g w\,\delta\gamma/\lambda)^2$.

    Assumptions of the derivation: $\lambda > 0$; the cloud collapses ($\nu \to 0$, which needs
    $0 < \eta_g w\delta\gamma/\lambda < 2$), so the curvature tends to its fixed point
    $c^* = \delta\gamma/\lambda$ (the Hessian of $f^* = (\delta/\lambda)K(\cdot, 0)$; the transient
    decays like $(1-\lambda\eta_d)^k$). This is the discrete spread mode $\rho_b = 1 - b$ of
    [docs/science.md §3][science-isolated-points], squared. For $\delta < 0$ the same expression exceeds 1: the cloud spreads, and
    the small-cloud model soon stops applying.

    **Arguments:** `lr_g`, `reg` ($> 0$), `bandwidth`, `w`, `p`, `ptot`.

    **Returns:** the limit of $\nu_{k+1}/\nu_k$ (a scalar array).
    """
    check_positive("lr_g", lr_g)
    check_positive("reg", reg)
    gamma, w, delta, _ = _masses(bandwidth, w, p, ptot)
    return (1 - _float("lr_g", lr_g) * w * delta * gamma / _float("reg", reg)) ** 2


def exact_cloud_dynamics(
    points, masses=None, *, lr_g, lr_d, reg, bandwidth, p, n_steps: int, save_every: int = 1, throw: bool = True
) -> Solution:
    r"""The exact dynamics the SMM approximates: alternating GDA (discriminator first) with the
    exact RKHS discriminator of a Gaussian kernel, starting from $f_0 = 0$, one true point of
    mass $p$ at the origin, and the mass-weighted velocity $\dot x_j = m_j\nabla f(x_j)$.

    **Arguments:**

    - `points`: `(n, d)` generated points (relative to the true point at the origin).
    - `masses`: `(n,)` generated masses (`None`: uniform $1/n$).
    - `lr_g`, `lr_d`, `reg`, `bandwidth`, `p`: as in `second_moment_model`.
    - `n_steps`, `save_every`, `throw`: as in `dualflow.solve`.

    **Returns:** the `Solution` of `dualflow.solve`; feed it to `cloud_covariance_eigenvalues`.
    """
    generator = Measure(points, masses)
    data = Measure(
        jnp.zeros((1, generator.dim), dtype=generator.points.dtype),
        jnp.reshape(jnp.asarray(p, dtype=generator.points.dtype), (1,)),
    )
    game = KernelGame(data, ExactRKHS(Gaussian(bandwidth)), reg=reg)
    return solve(
        game,
        generator,
        GDA(lr_g, lr_d, order="alternating_d_first"),
        n_steps=n_steps,
        save_every=save_every,
        throw=throw,
    )


@jax.jit
def _covariance_eigenvalues(points, masses, centre):
    offsets = points - centre[None, None, :]
    weights = masses / jnp.sum(masses)
    return jnp.linalg.eigvalsh(jnp.einsum("n,snd,sne->sde", weights, offsets, offsets))


def cloud_covariance_eigenvalues(solution: Solution, centre):
    r"""Eigenvalues of the mass-weighted covariance of a trajectory's cloud about `centre`,
    $\Sigma(t) = \sum_j \frac{m_j}{\sum_l m_l}(x_j(t) - y)(x_j(t) - y)^\top$ at every saved time:
    the exact counterpart of the SMM's $\nu$ (taken about the true point $y$, not about the
    cloud's own mean, since the model assumes a zero-mean cloud).

    **Arguments:**

    - `solution`: a `Solution` (its `points` `(S, n, d)` and `masses` `(n,)`).
    - `centre`: `(d,)` the true point $y$.

    **Returns:** `(S, d)` eigenvalues, ascending at every saved time.
    """
    if not isinstance(solution, Solution):
        raise ValueError(f"`solution` must be a dualflow Solution; received {type(solution).__name__}.")
    centre = _float("centre", centre)
    dim = solution.points.shape[-1]
    if centre.shape != (dim,):
        raise ValueError(
            f"`centre` must have shape ({dim},) to match the solution's points; received shape {centre.shape}."
        )
    return _covariance_eigenvalues(solution.points, solution.masses, centre.astype(solution.points.dtype))
