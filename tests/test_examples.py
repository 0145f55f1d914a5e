"""Every example runs in quick mode and reports what it claims."""

import importlib.util
import pathlib
import sys

import jax
import numpy as np
import pytest
import scipy.integrate
import scipy.optimize
from content_checks import assert_figure

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"
sys.path.insert(0, str(EXAMPLES))  # examples import their shared `example_cli`


def load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_flow_vs_gda_convergence_quick(tmp_path):
    results = load("flow_vs_gda_convergence").main(["--quick", "--out", str(tmp_path)])
    for study in results.values():
        assert 0.85 <= study["slope"] <= 1.15
    assert_figure(tmp_path / "convergence.png")


def test_spectral_critic_quick(tmp_path):
    """The lattice meets its bound against NumPy at every tol and the error falls with tol; the
    spectral game agrees with the history game (GDA to rounding, the flow to the history
    quadrature's own second-order error)."""
    results = load("spectral_critic").main(["--quick", "--out", str(tmp_path)])
    tols, errors = results["accuracy"]["tol"], results["accuracy"]["error"]
    assert all(e <= t for e, t in zip(errors, tols))
    assert all(a > 10 * b for a, b in zip(errors, errors[1:]))
    assert results["random_features"]["error"][-1] < results["random_features"]["error"][0] / 5
    assert results["game"]["gda_max_distance"] < 1e-9
    assert results["game"]["flow_max_distance"] < 1e-5


def test_bilinear_and_dirac_gan_quick(tmp_path):
    summary = load("bilinear_and_dirac_gan").main(["--quick", "--out", str(tmp_path)])
    bilinear = summary["bilinear game"]
    assert bilinear["simultaneous"]["final_radius_sq"] == pytest.approx(
        bilinear["simultaneous"]["closed_form"], rel=1e-12
    )
    for game in summary.values():
        assert abs(game["flow"]["final_radius_sq"] - 1.0) < 1e-8  # the flow conserves x^2 + psi^2
    assert_figure(tmp_path / "exact_games.png")


def test_phase_diagrams_quick(tmp_path):
    results = load("phase_diagrams").main(["--quick", "--out", str(tmp_path)])
    assert results["simultaneous_sigma_reg"]["agreement_coarse"] >= 0.9
    assert results["alternating_rates"]["agreement_coarse"] >= 0.9
    asilomar = results["asilomar"]  # the fastest ridge at the best bandwidth sits near lambda_opt
    assert 0.5 < asilomar["fastest_reg_at_that_sigma"] / asilomar["lambda_opt_at_that_sigma"] < 2
    for name in ("phase_sim_sigma_reg.png", "phase_alt_rates.png", "asilomar_rho2.png"):
        assert_figure(tmp_path / name)


def numpy_cloud_gda(x, *, w, p, lr_g, lr_d, reg, sigma, n_steps):
    """Alternating GDA (D first) with the exact RKHS discriminator in NumPy: f is a sum of kernels
    on the true point (at 0) and on every past generated position, with decaying coefficients."""
    centres, coefs = np.zeros((0, x.shape[1])), np.zeros(0)
    for _ in range(n_steps):
        coefs = (1 - lr_d * reg) * coefs
        centres = np.concatenate([centres, np.zeros((1, x.shape[1])), x])
        coefs = np.concatenate([coefs, [lr_d * p], np.full(x.shape[0], -lr_d * w)])
        diff = x[:, None, :] - centres[None]
        kern = np.exp(-np.sum(diff**2, axis=2) / (2 * sigma**2))
        grad = -np.einsum("jc,c,jcd->jd", kern, coefs, diff) / sigma**2
        x = x + lr_g * w * grad
    return x


def numpy_smm(nu, *, w, p, ptot, lr_g, lr_d, reg, sigma, n_steps):
    """The second-moment recursion of docs/science.md §3 in NumPy, from curvature 0."""
    gamma, c = 1 / sigma**2, np.zeros_like(nu)
    for _ in range(n_steps):
        c = (1 - reg * lr_d) * c + lr_d * ((p - ptot) * gamma + ptot * gamma**2 * (nu + 0.5 * nu.sum()))
        nu = nu * (1 - lr_g * w * c) ** 2
    return nu


def test_covariance_smm_quick(tmp_path):
    module = load("covariance_smm")
    results = module.main(["--quick", "--out", str(tmp_path)])
    cloud = np.asarray(module.initial_cloud(jax.random.PRNGKey(0)))
    assert cloud.shape == (20, 2) and np.allclose(cloud.mean(axis=0), 0, atol=1e-15)
    nu0 = np.linalg.eigvalsh(cloud.T @ cloud / len(cloud))
    n_steps, lr = results["n_steps"], results["lr_g"]
    assert n_steps == 200 and len(results["runs"]) == 8  # 2 reg x 2 sigma x 2 true masses
    for run in results["runs"]:
        kw = dict(lr_g=lr, lr_d=lr, reg=run["reg"], sigma=run["bandwidth"], n_steps=n_steps)
        final = numpy_cloud_gda(cloud, w=1.0, p=run["p"], **kw)
        np.testing.assert_allclose(run["final_exact"], np.linalg.eigvalsh(final.T @ final / len(final)), rtol=1e-8)
        smm = np.sort(numpy_smm(nu0, w=1.0, p=run["p"], ptot=20.0, **kw))
        np.testing.assert_allclose(run["final_smm"], smm, rtol=1e-10)
        # the model is a small-cloud expansion: close for sigma = 5, visibly off for sigma = 1
        assert run["max_relative_gap"] < 0.01 if run["bandwidth"] == 5.0 else run["max_relative_gap"] > 0.3
    # the under-covered true point (delta = 1) pulls the cloud in faster than the balanced one
    by_setting = {(r["reg"], r["bandwidth"], r["p"]): r for r in results["runs"]}
    for reg, sigma, _ in by_setting:
        assert np.all(
            np.asarray(by_setting[reg, sigma, 21.0]["final_exact"])
            < np.asarray(by_setting[reg, sigma, 20.0]["final_exact"])
        )
    assert_figure(tmp_path / "covariance_smm.png")


def numpy_features(problem):
    """The random Fourier map phi(z) = c cos(z W^T + b) and its gradient contraction, in NumPy."""
    features = problem["features"]
    w, b, c = (np.asarray(features.frequencies), np.asarray(features.phases), float(features.scale))

    def phi(z):
        return c * np.cos(z @ w.T + b)

    def grad_f(theta, z):  # grad of f = theta . phi at each row of z
        return (-c * np.sin(z @ w.T + b) * theta) @ w

    return phi, grad_f


def test_flow_vs_gda_side_by_side_quick(tmp_path):
    module = load("flow_vs_gda_side_by_side")
    results = module.main(["--quick", "--out", str(tmp_path)])
    problem = module.build_problem(True)
    phi, grad_f = numpy_features(problem)
    y, p = np.asarray(problem["data"].points), np.asarray(problem["data"].masses)
    x0, m = np.asarray(problem["start"].points), np.asarray(problem["start"].masses)
    kappa, reg, horizon = problem["kappa"], problem["reg"], problem["t1"]
    mean_data = p @ phi(y)
    runs = results["runs"]
    assert set(runs) == {"dual flow", *(f"GDA, τ = {tau:g}" for tau in problem["taus"])}

    # GDA (alternating, D first, Wasserstein velocity) step by step in NumPy
    for tau in (problem["taus"][0], problem["taus"][-1]):
        x, theta = x0.copy(), np.zeros(phi(x0).shape[1])
        for _ in range(int(round(horizon / tau))):
            theta = theta + kappa * tau * (mean_data - m @ phi(x) - reg * theta)
            x = x + tau * grad_f(theta, x)
        np.testing.assert_allclose(runs[f"GDA, τ = {tau:g}"]["final_points"], x, rtol=0, atol=1e-10)

    # the flow: the same ODE on (X, theta) by scipy's DOP853
    n = x0.shape[0]

    def field(t, state):
        x, theta = state[: 2 * n].reshape(n, 2), state[2 * n :]
        return np.concatenate([grad_f(theta, x).ravel(), kappa * (mean_data - m @ phi(x) - reg * theta)])

    state0 = np.concatenate([x0.ravel(), np.zeros(phi(x0).shape[1])])
    ode = scipy.integrate.solve_ivp(field, (0, horizon), state0, method="DOP853", rtol=1e-11, atol=1e-12)
    flow_final = ode.y[: 2 * n, -1].reshape(n, 2)
    np.testing.assert_allclose(runs["dual flow"]["final_points"], flow_final, rtol=0, atol=1e-6)

    for label, run in runs.items():
        final = np.asarray(run["final_points"])
        assert run["result"] == "SUCCESSFUL", label
        # covered modes from the final positions: >= 5% of the particles within 3 std of a centre
        angles = 2 * np.pi * np.arange(8) / 8
        centres = 2.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
        dist = np.linalg.norm(final[:, None] - centres[None], axis=2)
        near = dist.min(axis=1) <= 3 * 0.02
        counts = np.bincount(dist.argmin(axis=1)[near], minlength=8)
        assert run["final_covered_modes"] == int(np.sum(counts >= 0.05 * n)), label
        # squared W2 between equal-mass clouds of equal size: the optimal assignment (scipy)
        cost = np.sum((final[:, None] - flow_final[None]) ** 2, axis=2)
        rows, cols = scipy.optimize.linear_sum_assignment(cost)
        assert run["w2_squared_to_flow"][-1] == pytest.approx(cost[rows, cols].mean(), abs=1e-5), label
        assert run["max_deviation_from_flow"][0] == 0.0
    # GDA is the flow's first-order scheme: early on the deviation halves with tau
    early = [runs[f"GDA, τ = {tau:g}"]["max_deviation_at_early_time"] for tau in problem["taus"]]
    assert early[0] > early[1] > early[2] > 0
    assert 1.6 < early[1] / early[2] < 2.6
    assert 0.8 < results["early_deviation_slope"] < 1.3
    for name in ("flow_vs_gda_particles.png", "flow_vs_gda_curves.png"):
        assert_figure(tmp_path / name)
    assert (tmp_path / "flow_vs_gda_side_by_side.json").exists()


def test_gda_against_flow_quick(tmp_path):
    """Every scheme's measured categories agree with its prediction; on the balanced point the flow
    converges everywhere, so all disagreement is the scheme's, and extragradient disagrees least
    (the over-covered (tau, kappa) map runs in the full mode)."""
    results = load("gda_against_flow").main(["--quick", "--out", str(tmp_path)])
    for study in results.values():
        assert min(study["category_agreement"].values()) >= 0.95
        assert min(study["phase_agreement"].values()) >= 0.95
    balanced = results["tau_reg"]["predicted_disagreeing_fraction"]
    assert balanced["extragradient"] < balanced["optimistic"] < balanced["simultaneous"]
    assert_figure(tmp_path / "against_flow_tau_reg.png")
