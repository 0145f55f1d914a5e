"""Every example runs in quick mode and reports what it claims."""

import importlib.util
import pathlib
import sys

import pytest

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
    assert (tmp_path / "convergence.png").stat().st_size > 10_000


def test_bilinear_and_dirac_gan_quick(tmp_path):
    summary = load("bilinear_and_dirac_gan").main(["--quick", "--out", str(tmp_path)])
    bilinear = summary["bilinear game"]
    assert bilinear["simultaneous"]["final_radius_sq"] == pytest.approx(bilinear["simultaneous"]["closed_form"],
                                                                   rel=1e-12)
    for game in summary.values():
        assert abs(game["flow"]["final_radius_sq"] - 1.0) < 1e-8  # the flow conserves x^2 + psi^2
    assert (tmp_path / "exact_games.png").stat().st_size > 10_000


def test_phase_diagrams_quick(tmp_path):
    results = load("phase_diagrams").main(["--quick", "--out", str(tmp_path)])
    assert results["simultaneous_sigma_reg"]["agreement_coarse"] >= 0.9
    assert results["alternating_rates"]["agreement_coarse"] >= 0.9
    asilomar = results["asilomar"]  # the fastest ridge at the best bandwidth sits near lambda_opt
    assert 0.5 < asilomar["fastest_reg_at_that_sigma"] / asilomar["lambda_opt_at_that_sigma"] < 2
    for name in ("phase_sim_sigma_reg.png", "phase_alt_rates.png", "asilomar_rho2.png"):
        assert (tmp_path / name).stat().st_size > 10_000


def test_covariance_smm_quick(tmp_path):
    results = load("covariance_smm").main(["--quick", "--out", str(tmp_path)])
    assert results["n_steps"] > 0
    assert (tmp_path / "covariance_smm.png").stat().st_size > 10_000
