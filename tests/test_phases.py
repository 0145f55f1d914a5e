"""Phase labels (dualflow.analysis.phases) on synthetic trajectories with known answers, built in
plain NumPy, and on real GDA runs of the kernel game checked against the linearized rate."""

import math

import numpy as np
import pytest

import dualflow as df
from dualflow.analysis.phases import Phase, PhaseReport, classify_solution, classify_trajectory

DT = 0.05
K = np.arange(240)
TS = DT * K


def rotation(r, theta=0.3, radius=1.0):
    """x_k = radius r^k (cos k theta, sin k theta): one particle in 2-D, shape (S, 1, 2)."""
    x = radius * r ** K[:, None] * np.stack([np.cos(theta * K), np.sin(theta * K)], axis=1)
    return x[:, None, :]


def monotone(r):
    """x_k = r^k (1, 0.5): straight approach (or escape) along one direction."""
    return (r ** K[:, None] * np.array([1.0, 0.5]))[:, None, :]


ORIGIN = np.zeros((1, 2))


@pytest.mark.parametrize("reference", [ORIGIN, None], ids=["offset", "displacement"])
@pytest.mark.parametrize(
    ("make", "r", "phase"),
    [
        (rotation, 0.95, Phase.CONVERGES_OSCILLATING),
        (rotation, 1.03, Phase.DIVERGES),
        (monotone, 0.95, Phase.CONVERGES),
        (monotone, 1.03, Phase.DIVERGES),
    ],
)
def test_geometric_label_and_rate(make, r, phase, reference):
    report = classify_trajectory(TS, make(r), reference=reference)
    assert report.phase == phase, report.reason
    assert report.rate == pytest.approx(math.log(r) / DT, rel=1e-3)
    assert report.factor == pytest.approx(r, rel=1e-6)
    assert (report.trend < 1) == (r < 1)
    assert isinstance(report, PhaseReport) and report.reason


def test_rotation_counts_two_sign_changes_per_turn():
    report = classify_trajectory(TS, rotation(0.999), reference=ORIGIN)
    turns = 0.3 * K[-1] / (2 * math.pi)
    assert abs(report.sign_changes - 2 * turns) <= 2
    assert classify_trajectory(TS, monotone(0.95), reference=ORIGIN).sign_changes == 0


@pytest.mark.parametrize("reference", [ORIGIN, None], ids=["offset", "displacement"])
def test_neutral_rotation_oscillates(reference):
    report = classify_trajectory(TS, rotation(1.0), reference=reference)
    assert report.phase == Phase.OSCILLATES, report.reason
    assert abs(report.rate) < 1e-10
    assert report.trend == pytest.approx(1.0)
    assert report.final_speed == pytest.approx(abs(np.exp(0.3j) - 1) / DT)


def test_one_dimensional_oscillation_fits_peaks():
    x = (0.98**K * np.cos(0.4 * K))[:, None, None]
    report = classify_trajectory(TS, x, reference=np.zeros((1, 1)))
    assert report.phase == Phase.CONVERGES_OSCILLATING, report.reason
    assert report.rate == pytest.approx(math.log(0.98) / DT, rel=0.01)


def test_nan_tail_diverges():
    x = rotation(0.95)
    x[200:] = np.nan
    report = classify_trajectory(TS, x, reference=ORIGIN)
    assert report.phase == Phase.DIVERGES and "non-finite" in report.reason
    assert len(report.amplitude) == 200
    assert report.rate == pytest.approx(math.log(0.95) / DT, rel=1e-3)


def test_result_code_blew_up_diverges():
    report = classify_trajectory(TS, rotation(0.95), reference=ORIGIN, result=df.Result.BLEW_UP)
    assert report.phase == Phase.DIVERGES and "BLEW_UP" in report.reason
    assert classify_trajectory(TS, rotation(0.95), result=3).phase == Phase.DIVERGES


def test_padding_past_an_early_end_is_dropped():
    """Flows pad with inf times, GDA repeats its last save: neither is evidence of a blow-up."""
    x, ts = monotone(0.8), TS.copy()
    x[150:], ts[150:] = np.inf, np.inf
    assert classify_trajectory(ts, x, result=df.Result.STATIONARY).phase == Phase.CONVERGES
    x, ts = rotation(1.0), TS.copy()
    x[150:], ts[150:] = x[149], ts[149]
    report = classify_trajectory(ts, x, reference=ORIGIN)
    assert report.phase == Phase.OSCILLATES and len(report.amplitude) == 150


def test_stuck_far_from_the_data():
    """One particle slides from 0.2 to rest at 3 while the only data point is at 0."""
    x = (3.0 - 2.8 * 0.9**K)[:, None, None]
    data = np.zeros((1, 1))
    for reference in (data, None):
        report = classify_trajectory(TS, x, reference=reference, data=data)
        assert report.phase == Phase.STUCK, report.reason
        assert report.data_distances == pytest.approx([3.0])


def test_two_particles_around_one_true_point_collapse():
    """Two particles settle at +-0.3 around the true point 0 (started at +-0.05)."""
    offset = 0.3 - 0.25 * 0.9**K
    x = np.stack([offset, -offset], axis=1)[:, :, None]
    report = classify_trajectory(TS, x, reference=np.zeros((2, 1)), data=np.zeros((1, 1)))
    assert report.phase == Phase.MODE_COLLAPSE, report.reason
    assert report.data_distances == pytest.approx([0.3, 0.3])


def test_empty_true_point_is_mode_collapse_and_full_cover_converges():
    data = np.array([[-1.0], [1.0]])
    settle = 0.9 ** K[:, None]
    both_right = (1.0 + np.array([0.2, -0.3]) * settle)[:, :, None]
    report = classify_trajectory(TS, both_right, data=data)
    assert report.phase == Phase.MODE_COLLAPSE and "holds no particle" in report.reason
    one_each = (np.array([-1.0, 1.0]) + np.array([0.2, -0.3]) * settle)[:, :, None]
    assert classify_trajectory(TS, one_each, data=data).phase == Phase.CONVERGES


def test_rest_away_from_the_reference_without_data_is_undecided():
    x = (3.0 - 2.8 * 0.9**K)[:, None, None]
    assert classify_trajectory(TS, x, reference=np.zeros((1, 1))).phase == Phase.UNDECIDED


def test_short_run_is_undecided():
    report = classify_trajectory(TS[:5], rotation(0.9)[:5], reference=ORIGIN)
    assert report.phase == Phase.UNDECIDED


def test_labels_fill_integer_arrays():
    labels = np.array([Phase.DIVERGES, Phase.MODE_COLLAPSE], dtype=np.int32)
    assert [Phase(int(k)) for k in labels] == [Phase.DIVERGES, Phase.MODE_COLLAPSE]


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="points"):
        classify_trajectory(TS, np.zeros((len(TS), 2)))
    with pytest.raises(ValueError, match="ts"):
        classify_trajectory(TS[:-1], rotation(0.9))
    with pytest.raises(ValueError, match="reference"):
        classify_trajectory(TS, rotation(0.9), reference=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="data"):
        classify_trajectory(TS, rotation(0.9), data=np.zeros((3, 1)))
    with pytest.raises(ValueError, match="result"):
        classify_trajectory(TS, rotation(0.9), result=17)
    with pytest.raises(ValueError, match="tail"):
        classify_trajectory(TS, rotation(0.9), tail=0.0)
    with pytest.raises(ValueError, match="far_tol"):
        classify_trajectory(TS, rotation(0.9), data_tol=2.0)
    with pytest.raises(TypeError, match="Solution"):
        classify_solution(rotation(0.9))


# --- real runs: one true point at 0 (mass 1), one generated point (mass 1), Gaussian bandwidth 1 ---

LR = 0.1


def kernel_game_run(x0, reg, *, n_steps=300, blowup=10.0):
    data = df.Measure(np.array([[0.0]]), np.array([1.0]))
    game = df.KernelGame(data=data, discriminator=df.ExactRKHS(df.Gaussian(bandwidth=1.0)), reg=reg)
    sol = df.solve(
        game,
        df.Measure(np.array([[x0]]), np.array([1.0])),
        df.GDA(lr_g=LR, lr_d=LR, order="simultaneous"),
        n_steps=n_steps,
        throw=False,
        blowup=blowup,
    )
    return game, sol


def linear_rate(reg):
    """log|rho| / eta_g of the simultaneous map [[1, eta_g w], [-eta_d p gamma, 1 - eta_d lam]]
    (docs/science.md §3, balanced mass: delta = 0, w = p = 1, gamma = 1); complex pair, so
    |rho|^2 is its determinant."""
    det = 1 - LR * reg + LR * LR
    return 0.5 * math.log(det) / LR


def test_real_run_converges_at_the_linearized_rate():
    game, sol = kernel_game_run(0.1, reg=1.0)
    report = classify_solution(sol, reference=np.zeros((1, 1)), data=game.data)
    assert report.phase in (Phase.CONVERGES, Phase.CONVERGES_OSCILLATING), report.reason
    assert report.rate == pytest.approx(linear_rate(1.0), rel=0.01)
    assert report.data_distances[0] < 1e-6


def test_real_run_with_tiny_reg_diverges_at_the_linearized_rate():
    """reg = 1e-3: eta_g w p / sigma^2 = 0.1 > reg, so simultaneous GDA is linearly unstable.
    Started at 1e-3 the run stays linear over 300 steps. (From 0.1 the discriminator's
    history builds a curvature of order x^2 / reg that damps the swings within 300 steps: a
    nonlinear effect this local criterion does not see.)"""
    _, sol = kernel_game_run(1e-3, reg=1e-3)
    report = classify_solution(sol, reference=np.zeros((1, 1)))
    assert sol.result_name == "SUCCESSFUL"
    assert report.phase == Phase.DIVERGES, report.reason
    assert report.rate == pytest.approx(linear_rate(1e-3), rel=0.01)
    _, sol = kernel_game_run(1e-3, reg=1e-3, blowup=3e-3)
    report = classify_solution(sol, reference=np.zeros((1, 1)))
    assert sol.result_name == "BLEW_UP"
    assert report.phase == Phase.DIVERGES and "BLEW_UP" in report.reason
