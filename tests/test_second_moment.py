"""The second-moment model (SMM): its recursion, its asymptotic rates and its ODE limit, each
checked against an independent computation, and the model itself against the exact dynamics
(exact RKHS discriminator, alternating GDA, discriminator first)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from dualflow.analysis.convergence import loglog_slope
from dualflow.analysis.second_moment import (
    cloud_covariance_eigenvalues,
    exact_cloud_dynamics,
    second_moment_flow,
    second_moment_model,
    smm_balanced_asymptote,
    smm_geometric_factor,
)

# Under-covered true point (delta = p - ptot = 1 > 0): 8 points of mass 1/4 around a point of mass 3.
UNDER = dict(lr_g=0.05, lr_d=0.1, reg=0.5, bandwidth=1.0, w=0.25, p=3.0, ptot=2.0)
# Balanced mass (delta = 0): rates large enough that the spread falls ~16x in 400 steps.
BALANCED = dict(lr_g=0.5, lr_d=1.0, reg=0.1, bandwidth=1.0, w=0.5, p=4.0, ptot=4.0)


def rates(params):
    return {k: v for k, v in params.items() if k in ("lr_g", "lr_d", "reg", "bandwidth", "p")}


def symmetric_cloud(scale, n=8, seed=1):
    """`n` points `+-z` with `z ~ N(0, diag(scale))`: zero mean, so the mean never moves."""
    scale = jnp.asarray(scale, dtype=float)[None, :]
    half = jax.random.normal(jax.random.PRNGKey(seed), (n // 2, 2), dtype=float) * scale
    return jnp.concatenate([half, -half])


def exact_and_model(params, points, n_steps, save_every=1):
    """Eigenvalues of the exact cloud and the SMM's, started from the same covariance, `(S, d)` each."""
    n = points.shape[0]
    sol = exact_cloud_dynamics(
        points, jnp.full(n, params["w"], dtype=float), **rates(params), n_steps=n_steps, save_every=save_every
    )
    exact = np.asarray(cloud_covariance_eigenvalues(sol, jnp.zeros(points.shape[1], dtype=float)))
    nu, _ = second_moment_model(exact[0], 0.0, **params, n_steps=n_steps)
    return exact, np.sort(np.asarray(nu)[::save_every], axis=1)


def numpy_smm(nu0, c0, lr_g, lr_d, reg, bandwidth, w, p, ptot, n_steps):
    """A plain loop of the docs/science.md §3 formulas."""
    gamma, delta = 1 / bandwidth**2, p - ptot
    nu, c = np.array(nu0, dtype=float), np.full(len(nu0), c0, dtype=float)
    nus, cs = [nu.copy()], [c.copy()]
    for _ in range(n_steps):
        for i in range(len(nu)):
            c[i] = (1 - reg * lr_d) * c[i] + lr_d * (delta * gamma + ptot * gamma**2 * (nu[i] + 0.5 * nu.sum()))
        for i in range(len(nu)):
            nu[i] *= (1 - lr_g * w * c[i]) ** 2
        nus.append(nu.copy())
        cs.append(c.copy())
    return np.array(nus), np.array(cs)


@pytest.mark.parametrize("params", [UNDER, BALANCED], ids=["under-covered", "balanced"])
def test_recursion_is_the_published_map(params):
    nu0, c0 = [0.003, 0.001, 0.0005], 0.2
    nu, c = second_moment_model(jnp.asarray(nu0, dtype=float), c0, **params, n_steps=60)
    ref_nu, ref_c = numpy_smm(nu0, c0, **params, n_steps=60)
    assert nu.shape == c.shape == (61, 3)
    np.testing.assert_allclose(np.asarray(nu), ref_nu, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(c), ref_c, rtol=1e-12)


@pytest.fixture(scope="module")
def under_covered_runs():
    """The under-covered case at two cloud sizes (std 0.05 and 0.025 sigma along the major axis)."""
    return {s: exact_and_model(UNDER, symmetric_cloud([s, 0.6 * s]), 300) for s in (0.05, 0.025)}


@pytest.fixture(scope="module")
def balanced_run():
    return exact_and_model(BALANCED, symmetric_cloud([0.05, 0.03]), 400)


def relative_error(exact, model):
    return float(np.max(np.abs(model / exact - 1)))


def test_smm_follows_exact_dynamics(under_covered_runs, balanced_run):
    """Relative agreement of the covariance eigenvalues at every step, within $2\\gamma\\,\\mathrm{tr}\\Sigma_0$.

    The SMM drops the next order of the kernel's Taylor expansion: a relative $O(\\gamma|x|^2)$ in
    the curvature and in each particle's velocity. Summed along the collapse
    ($\\sum_k 2\\eta_g w c_k\\nu_k \\approx \\nu_0$) the relative error of $\\nu$ stays
    $O(\\gamma\\,\\mathrm{tr}\\Sigma_0)$; measured: $0.87\\,\\gamma\\,\\mathrm{tr}\\Sigma_0$ (under-covered,
    a collapse by 1e6 in 300 steps) and $0.97\\,\\gamma\\,\\mathrm{tr}\\Sigma_0$ (balanced, 16x in 400
    steps), i.e. 0.15% and 0.17% for $\\gamma\\,\\mathrm{tr}\\Sigma_0 = 1.8\\times10^{-3}$.
    """
    for exact, model in (under_covered_runs[0.05], balanced_run):
        budget = 2 * exact[0].sum()  # gamma = 1
        assert relative_error(exact, model) < budget
    under, balanced = under_covered_runs[0.05][0], balanced_run[0]
    assert np.all(under[-1] < 1e-5 * under[0]) and balanced[-1].sum() < 0.1 * balanced[0].sum()  # real collapses


def test_smm_error_is_the_neglected_second_order_term(under_covered_runs):
    """Halving the cloud quarters the model's error: it is $O(\\gamma\\,\\mathrm{tr}\\Sigma_0)$, not a slip
    in a coefficient (which would leave an error independent of the cloud's size)."""
    ratio = relative_error(*under_covered_runs[0.05]) / relative_error(*under_covered_runs[0.025])
    assert 3.6 < ratio < 4.4


def test_geometric_factor_when_true_point_is_under_covered(under_covered_runs):
    factor = float(smm_geometric_factor(**{k: v for k, v in UNDER.items() if k != "lr_d"}))
    assert factor == pytest.approx((1 - 0.05 * 0.25 * 1.0 / 0.5) ** 2, rel=1e-14)
    nu, _ = second_moment_model(jnp.asarray([0.0013, 0.0004], dtype=float), 0.0, **UNDER, n_steps=300)
    model_ratio = np.asarray(nu[1:] / nu[:-1])
    exact = under_covered_runs[0.05][0]
    exact_ratio = exact[1:] / exact[:-1]
    for ratio in (model_ratio, exact_ratio):  # the transient dies like (1 - reg lr_d)^k and the factor^k
        assert np.all(np.abs(ratio[100] / factor - 1) < 1e-3)
        assert np.all(np.abs(ratio[-1] / factor - 1) < 1e-7)


BALANCED_1D = dict(lr_g=0.5, lr_d=1.0, reg=0.1, bandwidth=1.0, w=0.5, p=2.0, ptot=2.0)


def asymptote(k, dim=1):
    params = {n: BALANCED_1D[n] for n in ("lr_g", "reg", "bandwidth", "w", "ptot")}
    return np.asarray(smm_balanced_asymptote(jnp.asarray(k, dtype=float), dim=dim, **params))


def test_balanced_algebraic_decay_of_the_model():
    """$\\nu_k \\simeq \\lambda\\sigma^4/(3\\eta_g w p_{tot} k)$ in 1-D: the increments of $1/\\nu_k$ tend
    to $3\\eta_g w p_{tot}\\gamma^2/\\lambda$ and $\\nu_k$ to the asymptote (with an $O(\\log k / k)$ lag);
    in 2-D the mean eigenvalue tends to $\\lambda\\sigma^4/(4\\eta_g w p_{tot} k)$."""
    k = np.array([1000, 5000, 20000])
    nu, _ = second_moment_model(jnp.asarray([0.0025], dtype=float), 0.0, **BALANCED_1D, n_steps=20000)
    nu = np.asarray(nu)[:, 0]
    increment = (1 / nu[k] - 1 / nu[k - 1]) * BALANCED_1D["reg"] / (3 * 0.5 * 0.5 * 2.0)
    assert np.all(np.diff(np.abs(increment - 1)) < 0) and abs(increment[-1] - 1) < 1e-3
    gap = np.abs(nu[k] / asymptote(k) - 1)
    assert np.all(np.diff(gap) < 0) and gap[-1] < 0.01
    nu2, _ = second_moment_model(jnp.asarray([0.0025, 0.001], dtype=float), 0.0, **BALANCED_1D, n_steps=20000)
    mean_gap = np.abs(np.asarray(nu2)[k].mean(axis=1) / asymptote(k, dim=2) - 1)
    assert np.all(np.diff(mean_gap) < 0) and mean_gap[-1] < 0.01


def test_balanced_algebraic_decay_of_the_exact_dynamics():
    """Four points of mass 1/2 on a line around a true point of mass 2, 5000 steps."""
    points = jnp.asarray([[0.05], [0.03], [-0.03], [-0.05]], dtype=float)
    exact, model = exact_and_model(BALANCED_1D, points, 5000, save_every=50)
    assert relative_error(exact, model) < 2 * exact[0, 0]
    k = np.array([1000, 5000])
    gap = np.abs(exact[k // 50, 0] / asymptote(k) - 1)
    assert gap[1] < gap[0] and gap[1] < 0.02


def test_flow_is_the_small_rate_limit_of_the_recursion():
    """At fixed generator time $T$ the recursion with $\\eta_g = \\tau$, $\\eta_d = \\kappa\\tau$ differs
    from the ODE by $O(\\tau)$: log-log slope 1."""
    params = {k: v for k, v in UNDER.items() if k not in ("lr_g", "lr_d")}
    kappa, horizon, nu0 = 2.0, 3.0, jnp.asarray([0.002, 0.0007], dtype=float)
    ts, nu_flow, c_flow = second_moment_flow(nu0, 0.0, kappa=kappa, **params, t1=horizon, n_saves=2)
    assert float(ts[-1]) == pytest.approx(horizon)
    assert float(nu_flow[-1, 0]) < 0.2 * float(nu0[0])  # the horizon covers a real collapse
    taus, errors = [0.04, 0.02, 0.01, 0.005], []
    for tau in taus:
        n = round(horizon / tau)
        nu, c = second_moment_model(nu0, 0.0, lr_g=tau, lr_d=kappa * tau, **params, n_steps=n)
        errors.append(max(np.max(np.abs(nu[-1] / nu_flow[-1] - 1)), np.max(np.abs(c[-1] / c_flow[-1] - 1))))
    assert 0.95 < loglog_slope(taus, errors) < 1.05
    assert errors[-1] < 0.02


def test_jit_and_vmap_over_parameters():
    regs = jnp.asarray([0.2, 0.5, 1.0], dtype=float)
    nu0 = jnp.asarray([0.002, 0.001], dtype=float)
    params = {k: v for k, v in UNDER.items() if k != "reg"}

    def final(reg):
        return second_moment_model(nu0, 0.0, reg=reg, **params, n_steps=50)[0][-1]

    batched = jax.jit(jax.vmap(final))(regs)
    for reg, row in zip(regs, batched):
        np.testing.assert_allclose(np.asarray(row), np.asarray(final(float(reg))), rtol=1e-13)


def test_cloud_covariance_eigenvalues_against_numpy():
    """Non-uniform masses, a cloud off its centre: eigenvalues of $\\sum_j m_j (x_j-y)(x_j-y)^T / \\sum m$."""
    rng = np.random.default_rng(0)
    points, masses = rng.normal(size=(6, 3)) + 0.3, rng.uniform(0.5, 2.0, size=6)
    centre = np.array([0.1, -0.2, 0.05])
    sol = exact_cloud_dynamics(points, masses, **rates(UNDER), n_steps=4, save_every=2)
    got = np.asarray(cloud_covariance_eigenvalues(sol, jnp.asarray(centre, dtype=float)))
    assert got.shape == (3, 3)
    for x, eig in zip(np.asarray(sol.points), got):
        offsets = x - centre
        cov = (masses[:, None] * offsets).T @ offsets / masses.sum()
        np.testing.assert_allclose(eig, np.linalg.eigvalsh(cov), rtol=1e-12)


SMM_ARGS = dict(
    nu0=jnp.asarray([0.1, 0.2], dtype=float),
    c0=0.0,
    lr_g=0.01,
    lr_d=0.01,
    reg=0.1,
    bandwidth=1.0,
    w=0.05,
    p=1.0,
    ptot=1.0,
    n_steps=10,
)


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(bandwidth=0.0), "`bandwidth` must be finite and positive"),
        (dict(bandwidth=-1.0), "`bandwidth` must be finite and positive"),
        (dict(reg=-0.1), "`reg` must be finite and non-negative"),
        (dict(lr_g=0.0), "`lr_g` must be finite and positive"),
        (dict(w=float("nan")), "`w` must be finite and positive"),
        (dict(nu0=jnp.ones((2, 2), dtype=float)), r"`nu0` must be a \(d,\) array"),
        (dict(nu0=jnp.asarray([0.1, -0.2], dtype=float)), "`nu0` must be finite and non-negative"),
        (dict(c0=jnp.zeros(3, dtype=float)), r"`c0` must be a scalar or have the shape \(2,\)"),
        (dict(n_steps=0), "`n_steps` must be an integer >= 1"),
    ],
)
def test_model_rejects_bad_arguments(change, message):
    with pytest.raises(ValueError, match=message):
        second_moment_model(**{**SMM_ARGS, **change})


def test_other_functions_reject_bad_arguments():
    flow_args = {k: v for k, v in SMM_ARGS.items() if k not in ("lr_g", "lr_d", "n_steps")}
    with pytest.raises(ValueError, match="`kappa` must be finite and positive"):
        second_moment_flow(**flow_args, kappa=-1.0, t1=1.0)
    with pytest.raises(ValueError, match="`t1` must be finite and positive"):
        second_moment_flow(**flow_args, kappa=1.0, t1=0.0)
    with pytest.raises(ValueError, match="`reg` must be finite and positive"):
        smm_geometric_factor(lr_g=0.01, reg=0.0, bandwidth=1.0, w=0.05, p=2.0, ptot=1.0)
    with pytest.raises(ValueError, match="`bandwidth` must be finite and positive"):
        smm_balanced_asymptote(10.0, lr_g=0.01, reg=0.1, bandwidth=0.0, w=0.05, ptot=1.0)
    with pytest.raises(ValueError, match="`dim` must be an integer >= 1"):
        smm_balanced_asymptote(10.0, lr_g=0.01, reg=0.1, bandwidth=1.0, w=0.05, ptot=1.0, dim=0)
    sol = exact_cloud_dynamics(np.zeros((2, 2)) + [[0.1, 0.0], [-0.1, 0.0]], None, **rates(UNDER), n_steps=1)
    with pytest.raises(ValueError, match=r"`centre` must have shape \(2,\)"):
        cloud_covariance_eigenvalues(sol, jnp.zeros(3, dtype=float))
    with pytest.raises(ValueError, match="`solution` must be a dualflow Solution"):
        cloud_covariance_eigenvalues(np.zeros((1, 2, 2)), jnp.zeros(2, dtype=float))
