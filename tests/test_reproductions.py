"""The paper reproductions in examples/ run in quick mode and show what they claim."""

import math

import numpy as np
import pytest
from content_checks import assert_figure
from test_examples import load  # tests/ is on sys.path under pytest; it also puts examples/ there


def test_becker_two_point_grid_quick(tmp_path):
    results = load("becker_two_point_grid").main(["--quick", "--out", str(tmp_path)])
    runs = results["runs"]
    assert len(runs) == 12  # 2 x 2 sub-grid, three bandwidths each
    for run in runs:
        # the general linearization is the isolated-points closed form
        assert run["predicted_rho"] == pytest.approx(run["closed_form_rho"], rel=1e-12)
        # and the exact nonlinear dynamics started near the equilibrium contract (or grow) at its rate
        assert abs(run["fitted_rho_near_equilibrium"] - run["predicted_rho"]) < 1e-2 * run["predicted_rho"]
    assert results["max_fit_relative_error"] < 1e-6
    # lr_d = 1, sigma = .1: the collapsed point is unstable (|rho| = 9) and the run does not converge
    unstable = [r for r in runs if r["lr_d"] == 1.0 and r["sigma"] == 0.1]
    assert unstable and all(not r["stable"] and r["predicted_rho"] > 7 for r in unstable)
    assert all(r["final_distance"] > 0.1 for r in unstable)
    # where the start is small against the bandwidth the cold-start run decays at the predicted rate
    for run in runs:
        if run["stable"] and run["sigma"] >= 1.0:
            assert abs(run["cold_start_tail_factor"] - run["predicted_rho"]) < 1e-2 * run["predicted_rho"], run
    # balanced mass, oscillating regime: |rho| = sqrt(1 - lr_d reg) whatever sigma
    run = next(r for r in runs if (r["lr_d"], r["lr_g"], r["reg"], r["sigma"]) == (0.1, 0.01, 0.1, 1.0))
    assert run["predicted_rho"] == pytest.approx(math.sqrt(1 - 0.1 * 0.1), rel=1e-12)
    assert_figure(tmp_path / "becker_grid.png")
    assert (tmp_path / "becker_grid.json").exists()


def test_divergence_case_quick(tmp_path):
    results = load("divergence_case").main(["--quick", "--out", str(tmp_path)])
    runs = results["runs"]
    narrow, wide = runs["0.1"], runs["1"]
    # sigma = .1: a generated point runs away (as the lone-point threshold predicts), no convergence
    assert narrow["result"] == "BLEW_UP" and narrow["phase"] == "DIVERGES" and narrow["outcome"] == "runs away"
    assert narrow["lone_point_runs_away_predicted"]
    assert narrow["final_w2_squared"] > 1.0
    # sigma = 1: both points reach the data
    assert wide["phase"] == "CONVERGES" and wide["final_w2_squared"] < 1e-8
    assert wide["final_positions"] == pytest.approx([-1.0, 1.0], abs=1e-4)
    assert runs["0.75"]["final_w2_squared"] < 1e-8
    # in between: stuck far from the data, and the approximate mode collapse around the true point at 1
    assert runs["0.25"]["outcome"] == "stuck far from the data" and not runs["0.25"]["lone_point_runs_away_predicted"]
    collapse = runs["0.5"]
    assert collapse["phase"] == "MODE_COLLAPSE" and collapse["outcome"] == "mode collapse"
    low, high = sorted(collapse["final_positions"])
    assert 0.5 < low < 1.0 < high < 1.5  # both points around the true point at 1, -1 left uncovered
    assert (1 - low + high - 1) / 2 == pytest.approx(collapse["collapse_radius_isolated"], rel=0.1)
    assert results["runaway_sigma_threshold"] == pytest.approx(math.sqrt(0.1) * 0.5)
    # squared W2 is recorded over time and starts at the initial configuration's value
    assert wide["w2_squared"][0] == pytest.approx(0.5 * 2.6**2 + 0.5 * 0.7**2)
    assert_figure(tmp_path / "divergence_case.png")


def test_dimension_study_quick(tmp_path):
    results = load("dimension_study").main(["--quick", "--out", str(tmp_path)])
    rows = results["rows"]
    assert [r["d"] for r in rows] == [1, 2, 3]
    # the local rate does not depend on d (isolated model), and equals the closed form
    assert results["max_predicted_spread_over_d"] < 1e-12
    for r in rows:
        assert r["predicted_rho"] == pytest.approx(results["closed_form_rho"], rel=1e-12)
        assert r["dominant_mode"] == "generator"  # the spread modes 1 - b dominate with these parameters
    # simulation agrees with the linearization, dominant mode and coupled pair
    assert results["max_fit_relative_error"] < 1e-6
    assert results["max_pair_fit_relative_error"] < 1e-6
    # only the multiplicities grow with d: (n-1)d spread modes, d pairs, (n-1)d rest copies
    assert results["multiplicities_match"]
    assert_figure(tmp_path / "dimension_study.png")


def test_multiscale_kernels_quick(tmp_path):
    results = load("multiscale_kernels").main(["--quick", "--out", str(tmp_path)])
    narrow, wide, multi = results["runs"].values()
    # the narrow kernel is not attracted from distance 3, the wide and multiscale ones are
    assert not narrow["attracted"] and narrow["final_distance"] > 0.9 * results["x0"]
    assert wide["attracted"] and multi["attracted"]
    # locally the narrow kernel is fast, the wide one slow; the multiscale kernel has the narrow one's rate
    assert multi["local_rho"] < wide["local_rho"] - 0.04
    assert multi["local_rho"] == pytest.approx(narrow["local_rho"], abs=1e-6)
    assert narrow["from_near_start"]["steps_to_1e-6"] is not None
    # so the multiscale kernel beats the wide one on the way in: it reaches 1e-6, the wide one does not
    assert multi["steps_to_1e-6"] is not None and wide["steps_to_1e-6"] is None
    assert multi["final_distance"] < 1e-20 < wide["final_distance"]
    # the linearized rates are those of the simulated dynamics
    for run in (narrow, wide, multi):
        assert run["fitted_rho_near_equilibrium"] == pytest.approx(run["local_rho"], rel=1e-6)
    assert multi["fitted_rho_linear_regime"] == pytest.approx(multi["local_rho"], rel=1e-3)
    assert_figure(tmp_path / "multiscale_kernels.png")


def test_dirac_gan_locus_quick(tmp_path):
    results = load("dirac_gan_locus").main(["--quick", "--out", str(tmp_path)])
    assert results["max_eigenvalue_deviation"] < 1e-10
    assert results["max_trace_deviation"] < 1e-12 and results["max_determinant_deviation"] < 1e-12
    assert [v for e in results["eigenvalues_at_critical"] for v in e] == pytest.approx([-0.5, 0.0, -0.5, 0.0], abs=1e-7)
    assert results["real_for_g_above_critical"] and results["complex_for_g_below_critical"]
    unregularized, penalized = results["trajectories"]["g=0"], results["trajectories"]["g=0.5"]
    # g = 0: the flow circles, simultaneous GDA spirals out, alternating GDA stays bounded
    assert unregularized["flow"]["final_radius"] == pytest.approx(1.0, abs=1e-6)
    assert unregularized["simultaneous"]["final_radius"] > 1.5
    assert unregularized["simultaneous"]["predicted_rho"] == pytest.approx(math.sqrt(1 + 0.2**2 / 4), rel=1e-12)
    assert 0.9 < unregularized["alternating_d_first"]["final_radius"] < 1.1
    # g = 0.5: everything spirals in, the flow at about Re s = -g/2
    for run in penalized.values():
        assert run["final_radius"] < 1e-2
    assert penalized["flow"]["fitted_rate"] == pytest.approx(-0.25, rel=0.1)
    assert_figure(tmp_path / "dirac_gan_locus.png")


def numpy_coverage(x, centres, std, min_fraction=0.05, radius_stds=3.0):
    """(covered modes, high-quality fraction): nearest centre within radius_stds std, uniform particles."""
    dist = np.linalg.norm(x[:, None, :] - centres[None], axis=2)
    near = dist.min(axis=1) <= radius_stds * std
    occupancy = np.bincount(dist.argmin(axis=1)[near], minlength=len(centres)) / len(x)
    return int(np.sum(occupancy >= min_fraction)), float(near.mean())


def numpy_mmd(x, y, q, bandwidth):
    """MMD between uniform particles x and the weighted data (y, q), Gaussian kernel."""
    z, c = np.concatenate([x, y]), np.concatenate([np.full(len(x), 1 / len(x)), -q])
    gram = np.exp(-np.sum((z[:, None] - z[None]) ** 2, axis=2) / (2 * bandwidth**2))
    return float(np.sqrt(max(c @ gram @ c, 0.0)))


RING8 = 2.0 * np.stack([np.cos(np.arange(8) * np.pi / 4), np.sin(np.arange(8) * np.pi / 4)], axis=1)
GRID25 = np.stack(np.meshgrid(np.arange(-2.0, 3.0), np.arange(-2.0, 3.0), indexing="ij"), axis=-1).reshape(25, 2)


@pytest.mark.parametrize(
    "example, study, name",
    [
        ("mode_collapse_ring8", "kappa", "ring8_kappa"),
        ("mode_collapse_ring8", "ncritic_tau", "ring8_ncritic_tau"),
        ("mode_collapse_grid25", "ncritic", "grid25_ncritic"),
    ],
)
def test_mode_collapse_quick(tmp_path, example, study, name):
    results = load(example).main(["--quick", "--study", study, "--out", str(tmp_path)])
    assert list(results) == [name]
    summary, folder = results[name], tmp_path / name
    ring = example.endswith("ring8")
    centres, min_fraction = (RING8, 0.05) if ring else (GRID25, 0.02)  # the grid: half a uniform share of 4%
    assert summary["quick"] and summary["target"]["n_modes"] == len(centres)
    arrays = np.load(folder / "arrays.npz")
    assert np.asarray(arrays["centres"]) == pytest.approx(centres, abs=1e-12)
    std = float(arrays["std"])
    settings = summary["settings"]
    points = arrays["points"].reshape(len(settings), *arrays["points"].shape[-5:])
    spacing = 2 * 2.0 * np.sin(np.pi / 8) if ring else 1.0  # the MMD bandwidth: neighbouring modes' distance
    for i, setting in enumerate(settings):
        params = setting["parameters"]
        # GDA runs lr_g = tau, lr_d = kappa tau with n_critic D-steps; its flow limit has kappa n_critic
        assert params["lr_g"] == params["tau"]
        if params["kappa"] != "inf":
            assert params["lr_d"] == pytest.approx(params["kappa"] * params["tau"])
            assert params["kappa_flow"] == pytest.approx(params["n_critic"] * params["kappa"])
        for d, dynamics in enumerate(arrays["dynamics"]):
            stats = setting["dynamics"][str(dynamics)]
            assert stats["n_failed"] == 0
            for r in range(points.shape[2]):
                final = points[i, d, r, -1].astype(float)
                covered, quality = numpy_coverage(final, centres, std, min_fraction)
                assert stats["n_covered"]["values"][r] == covered
                assert stats["high_quality_fraction"]["values"][r] == pytest.approx(quality, abs=1e-12)
                mmd = numpy_mmd(final, arrays["data_points"][r], arrays["data_masses"][r], spacing)
                assert stats["mmd"]["values"][r] == pytest.approx(mmd, rel=1e-4, abs=1e-6)  # positions saved as float32
    if study == "kappa":  # kappa -> infinity (the best-response discriminator) is part of the sweep
        assert [s["setting"]["kappa"] for s in settings][-1] == "inf"
    else:
        assert sorted({s["setting"]["n_critic"] for s in settings}) == [1, 5]
    for figure in ("coverage_table.png", "coverage_over_time.png", "hq_table.png"):
        assert_figure(folder / figure)
