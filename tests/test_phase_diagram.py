"""Phase diagrams: the vmapped linearization against the isolated-points closed forms, and the
measured (simulated) diagram against the predicted one."""

import jax.numpy as jnp
import numpy as np
import pytest

import dualflow as df
from dualflow.analysis import isolated_points as ip

ONE = df.Measure(jnp.zeros((1, 1)), jnp.ones(1))
SIGMA = ("bandwidth", np.geomspace(0.2, 5, 9))
REG = ("reg", np.geomspace(0.01, 1, 7))


def test_predicted_growth_is_the_closed_form_on_the_grid():
    pair = df.Measure(jnp.zeros((2, 1)), jnp.full(2, 0.3))
    for scheme in ("simultaneous", "alternating_d_first", "alternating_g_first"):
        diagram = df.predict_phase_diagram(ONE, pair, x=SIGMA, y=REG, base=dict(lr_g=0.05, lr_d=0.2), scheme=scheme)
        sigma, reg = np.meshgrid(SIGMA[1], REG[1])
        closed = np.asarray(ip.isolated_spectral_radius(0.05, 0.2, reg, sigma, 0.3, 1.0, 2, scheme))
        np.testing.assert_allclose(diagram.growth, closed, rtol=1e-12)
        assert np.max(diagram.residual) < 1e-12


def test_simultaneous_threshold_separates_predicted_phases():
    diagram = df.predict_phase_diagram(ONE, ONE, x=SIGMA, y=REG, base=dict(lr_g=0.1, lr_d=0.1), scheme="simultaneous")
    sigma, reg = np.meshgrid(SIGMA[1], REG[1])
    critical = np.asarray(ip.simultaneous_critical_reg(0.1, 1.0, 1.0, sigma))
    diverges = diagram.predicted == df.Phase.DIVERGES
    assert np.all(diverges[reg < critical * 0.99]) and not np.any(diverges[reg > critical * 1.01])


def test_kappa_and_imbalance_axes():
    diagram = df.predict_phase_diagram(
        ONE,
        ONE,
        x=("kappa", [0.5, 2.0]),
        y=("imbalance", [-0.5, 0.0, 0.5]),
        base=dict(lr_g=0.05, bandwidth=0.7, reg=0.4),
        scheme="alternating_d_first",
    )
    for i, delta in enumerate([-0.5, 0.0, 0.5]):
        for j, kappa in enumerate([0.5, 2.0]):
            closed = float(
                ip.isolated_spectral_radius(0.05, 0.05 * kappa, 0.4, 0.7, 1.0, 1.0 + delta, 1, "alternating_d_first")
            )
            assert diagram.growth[i, j] == pytest.approx(closed, rel=1e-12)


def test_measured_diagram_agrees_with_prediction():
    diagram = df.predict_phase_diagram(ONE, ONE, x=SIGMA, y=REG, base=dict(lr_g=0.1, lr_d=0.1), scheme="simultaneous")
    measured = df.measure_phase_diagram(diagram, n_steps=600)
    assert measured.agreement(coarse=True) >= 0.9
    both = (measured.predicted == df.Phase.DIVERGES) & (measured.measured == df.Phase.DIVERGES)
    assert both.sum() >= 0.3 * both.size  # the diverging corner is really measured as diverging
    summary = measured.to_json()
    assert summary["agreement_coarse"] == measured.agreement(True)


def test_bad_axes_are_refused():
    with pytest.raises(ValueError, match="axis"):
        df.predict_phase_diagram(ONE, ONE, x=("sigma", [1.0]), y=REG)
    with pytest.raises(ValueError, match="differ"):
        df.predict_phase_diagram(ONE, ONE, x=REG, y=REG)
    with pytest.raises(ValueError, match="unknown `base`"):
        df.predict_phase_diagram(ONE, ONE, x=SIGMA, y=REG, base=dict(sigma=1.0))
    for old in (dict(x=("ratio", [1.0]), y=REG), dict(x=SIGMA, y=REG, base=dict(ratio=2.0))):  # the former name
        with pytest.raises(ValueError, match="'ratio' is now called 'kappa'"):
            df.predict_phase_diagram(ONE, ONE, **old)
    with pytest.raises(ValueError, match="positive"):
        df.predict_phase_diagram(ONE, ONE, x=("bandwidth", [-1.0, 1.0]), y=REG)


def test_spectral_critic_gives_the_exact_diagram():
    """One shared lattice over the whole grid: the vmapped spectral runs are labelled as the history runs
    are, with the same fitted rates, and the prediction is the exact one."""
    sigma, reg = ("bandwidth", np.geomspace(0.3, 3, 4)), ("reg", np.geomspace(0.02, 1, 3))
    pair = df.Measure(jnp.array([[0.0], [0.0]]), jnp.full(2, 0.5))
    kwargs = dict(x=sigma, y=reg, base=dict(lr_g=0.1, lr_d=0.1), scheme="simultaneous")
    exact = df.predict_phase_diagram(ONE, pair, **kwargs)
    spectral = df.predict_phase_diagram(ONE, pair, critic="spectral", tol=1e-12, **kwargs)
    np.testing.assert_allclose(spectral.growth, exact.growth, rtol=1e-12)
    assert spectral.lattice is not None and spectral.to_json()["critic"] == "spectral"
    exact, spectral = (df.measure_phase_diagram(d, n_steps=400) for d in (exact, spectral))
    np.testing.assert_array_equal(spectral.measured, exact.measured)
    assert len(set(exact.measured.ravel())) >= 2  # the grid crosses a boundary
    # the lattice's kernel error (1e-12 K(0)) against the runs' displacement (offset 1e-6) perturbs a
    # trajectory by 1e-6 relative, i.e. a fitted rate by about 1e-6 / horizon (40) in absolute terms
    np.testing.assert_allclose(spectral.measured_rate, exact.measured_rate, rtol=1e-6, atol=1e-6 / 40)
    with pytest.raises(ValueError, match="critic"):
        df.predict_phase_diagram(ONE, pair, critic="rff", **kwargs)


# ---- traced boundaries against the closed forms -------------------------------------------------
def test_traced_simultaneous_threshold_is_the_closed_form():
    """Balanced mass: simultaneous GDA's Neimark-Sacker boundary is lambda = eta_g w p_tot / sigma^2
    (isolated_points.simultaneous_critical_reg), traced in either axis."""
    diagram = df.predict_phase_diagram(ONE, ONE, x=SIGMA, y=REG, base=dict(lr_g=0.1, lr_d=0.1), scheme="simultaneous")
    for along in ("y", "x"):
        boundary = df.trace_boundary(diagram, along=along)
        assert boundary.points.shape[0] >= 4 and np.all(boundary.converged)
        sigma, reg = boundary.points.T
        np.testing.assert_allclose(reg, np.asarray(ip.simultaneous_critical_reg(0.1, 1.0, 1.0, sigma)), rtol=1e-8)
        assert set(boundary.kinds) == {"Neimark-Sacker (complex pair, |ρ| = 1)"}
        assert np.all(np.abs(np.abs(boundary.eigenvalues) - 1) < 1e-5)  # on the unit circle


def test_traced_flip_of_the_rest_mode():
    """The discriminator's rest mode 1 - eta_d lambda reaches -1 at eta_d lambda = 2: a flip."""
    diagram = df.predict_phase_diagram(
        ONE,
        ONE,
        x=("lr_d", np.geomspace(0.5, 20, 15)),
        y=("reg", np.geomspace(0.2, 2, 6)),
        base=dict(lr_g=0.01, bandwidth=1.0),
        scheme="simultaneous",
    )
    boundary = df.trace_boundary(diagram, along="x")
    lr_d, reg = boundary.points.T
    assert lr_d.size == 6
    np.testing.assert_allclose(lr_d * reg, 2.0, rtol=1e-8)
    assert set(boundary.kinds) == {"flip (ρ = −1)"}


def _overcovered_flow_diagram():
    """The flow's diagram of one generated point of mass 1.5 on a true point of mass 1 (delta = -0.5)."""
    heavy = df.Measure(jnp.zeros((1, 1)), jnp.full(1, 1.5))
    return df.predict_phase_diagram(
        ONE,
        heavy,
        x=("bandwidth", np.geomspace(0.3, 3, 12)),
        y=("reg", np.geomspace(0.05, 2, 10)),
        base=dict(lr_g=0.05, kappa=2.0),
        scheme="flow",
    )


def test_traced_flow_hopf_boundary_of_an_overcovered_point():
    """One generated point of mass w = 1.5 on a true point of mass 1: the flow is stable iff
    lambda^2 > (eta_g / eta_d) w |delta| / sigma^2 (isolated_points.overcovered_critical_reg), a Hopf boundary."""
    diagram = _overcovered_flow_diagram()
    for along in ("y", "x"):
        boundary = df.trace_boundary(diagram, along=along)
        sigma, reg = boundary.points.T
        assert sigma.size >= 5
        np.testing.assert_allclose(reg, np.asarray(ip.overcovered_critical_reg(0.05, 0.1, 1.5, -0.5, sigma)), rtol=1e-8)
        assert set(boundary.kinds) == {"Hopf (complex pair, Re s = 0)"}
    curves = boundary.curves()
    assert list(curves) == ["flow: Hopf (complex pair, Re s = 0)"]


def test_no_crossing_gives_an_empty_boundary():
    diagram = df.predict_phase_diagram(
        ONE, ONE, x=("bandwidth", [0.5, 1.0]), y=("reg", [1.0, 2.0]), base=dict(lr_g=0.01, lr_d=0.01)
    )
    assert np.all(diagram.growth < 1)
    boundary = df.trace_boundary(diagram)
    assert boundary.points.shape == (0, 2) and boundary.curves() == {}
    with pytest.raises(ValueError, match="along"):
        df.trace_boundary(diagram, along="z")


# ---- measured flow diagrams ------------------------------------------------------------------
def _off_boundary(labels):
    """Grid cells whose four neighbours carry the same predicted label."""
    same = np.ones(labels.shape, dtype=bool)
    padded = np.pad(labels, 1, mode="edge")
    for dy, dx in ((0, 1), (2, 1), (1, 0), (1, 2)):
        same &= padded[dy : dy + labels.shape[0], dx : dx + labels.shape[1]] == labels
    return same


def test_measured_flow_diagram_agrees_with_its_linearization():
    """Flow runs from X* + eps (vmapped DualFlow), labelled by classify_trajectory, against the
    flow Jacobian's labels: >= 95% agreement off the predicted boundary."""
    diagram = _overcovered_flow_diagram()
    measured = df.measure_phase_diagram(diagram, n_steps=400)  # t1 = 400 * 0.05 = 20
    off = _off_boundary(measured.predicted)
    assert off.sum() >= 0.6 * off.size
    assert np.mean(measured.measured[off] == measured.predicted[off]) >= 0.95
    assert measured.agreement(coarse=True) >= 0.9
    assert {df.Phase.DIVERGES, df.Phase.CONVERGES} <= set(np.unique(measured.measured[off]).tolist())


def test_gda_diagram_refuses_flow_arguments():
    diagram = df.predict_phase_diagram(ONE, ONE, x=("bandwidth", [0.5, 1.0]), y=("reg", [0.1, 1.0]))
    with pytest.raises(ValueError, match="apply to a flow diagram"):
        df.measure_phase_diagram(diagram, t1=5.0)


# ---- where GDA leaves its flow -----------------------------------------------------------------
def test_disagreement_map_over_tau_and_reg():
    """Balanced mass, kappa = 1: the flow converges everywhere; simultaneous GDA is unstable where
    lambda < eta_g w p_tot / sigma^2 = tau (the closed form), alternating GDA nowhere but its flip
    corner eta_d lambda >= 2. Predicted categories against the closed form off the boundary, and
    against simulation of both dynamics."""
    taus, regs = np.geomspace(0.02, 1, 10), np.geomspace(0.05, 2, 8)
    result = df.disagreement_map(
        ONE, ONE, x=("lr_g", taus), y=("reg", regs), base=dict(kappa=1.0, bandwidth=1.0), measure=True, n_steps=1000
    )
    tau, reg = np.meshgrid(taus, regs)
    clear = (np.abs(np.log(reg / tau)) > 0.01) & (tau * reg < 1.9)
    expected = np.where(reg < tau, 1, 0)
    np.testing.assert_array_equal(result.predicted["simultaneous"][clear], expected[clear])
    assert not np.any(result.predicted["alternating_d_first"][tau * reg < 1.9])
    assert np.all(result.flow.predicted != df.Phase.DIVERGES)
    for scheme in ("simultaneous", "alternating_d_first"):
        assert result.agreement(scheme) >= 0.95
    assert result.boundaries["flow"].points.shape == (0, 2)
    simultaneous = result.boundaries["simultaneous"]
    np.testing.assert_allclose(simultaneous.points[:, 1], simultaneous.points[:, 0], rtol=1e-8)  # lambda = tau
    summary = result.to_json()
    assert summary["predicted_disagreeing_fraction"]["simultaneous"] == pytest.approx(np.mean(expected), abs=0.05)
    with pytest.raises(ValueError, match="discrete schemes"):
        df.disagreement_map(ONE, ONE, x=("lr_g", taus), y=("reg", regs), schemes=("flow",))


def _lone_point_growth(scheme, tau, reg, kappa=1.0, sigma=1.0):
    r"""The closed form of the lone balanced point: the flow's modes solve $s^2 + \kappa\lambda s + \kappa/\sigma^2 = 0$
    (rest mode $-\kappa\lambda$); with $\mu = \tau s$ extragradient multiplies a mode by $1 + \mu + \mu^2$,
    optimistic GDA by the roots of $\rho^2 - (1 + 2\mu)\rho + \mu$, the decoupled simultaneous proximal step
    by the eigenvalues of $\begin{pmatrix}1 & \tau/\sigma^2\\ -\eta_d/(1+\eta_d\lambda) & 1/(1+\eta_d\lambda)\end{pmatrix}$."""
    modes = np.concatenate([np.roots([1, kappa * reg, kappa / sigma**2]), [-kappa * reg]])
    mu = tau * modes
    if scheme == "extragradient":
        factors = 1 + mu + mu**2
    elif scheme == "optimistic":
        factors = np.concatenate([np.roots([1, -(1 + 2 * u), u]) for u in mu])
    else:
        lr_d = kappa * tau
        step = np.array([[1, tau / sigma**2], [-lr_d / (1 + lr_d * reg), 1 / (1 + lr_d * reg)]])
        factors = np.concatenate([np.linalg.eigvals(step), [1 / (1 + lr_d * reg)]])
    return np.max(np.abs(factors))


def test_mitigations_track_the_flow_where_their_closed_forms_say():
    """Extragradient, optimistic GDA and the decoupled proximal step on the lone balanced point: the
    predicted growth is the closed form at every cell and the disagreement with the flow is where
    the closed form leaves the unit disc; simulated extragradient and optimistic runs agree with the
    prediction (the proximal step's runs are simulated by examples/gda_against_flow.py)."""
    # lambda = 2 (kappa = sigma = 1) is the flow's double mode s = -1, where eigenvalues are only
    # sqrt(eps)-accurate on either side: the grid stays off it
    taus, regs = np.geomspace(0.02, 1, 10), np.geomspace(0.05, 1.8, 8)
    schemes = ("extragradient", "optimistic", "proximal")
    result = df.disagreement_map(ONE, ONE, x=("lr_g", taus), y=("reg", regs), base=dict(kappa=1.0), schemes=schemes)
    measured = df.disagreement_map(
        ONE, ONE, x=("lr_g", taus), y=("reg", regs), base=dict(kappa=1.0), schemes=schemes[:2], measure=True
    )
    for scheme in schemes[:2]:
        np.testing.assert_array_equal(measured.predicted[scheme], result.predicted[scheme])
        assert measured.agreement(scheme) >= 0.95
    for scheme in schemes:
        expected = np.array([[_lone_point_growth(scheme, t, r) for t in taus] for r in regs])
        np.testing.assert_allclose(result.gda[scheme].growth, expected, rtol=0, atol=1e-12)
        clear = np.abs(expected - 1) > 1e-3
        np.testing.assert_array_equal(result.predicted[scheme][clear], (expected > 1)[clear].astype(int))
    assert not np.any(result.predicted["extragradient"][:, taus < 0.5])  # tracks the flow at small steps
    assert np.all(result.predicted["optimistic"][:, -1] == 1)  # tau = 1: optimism oscillates out


def test_growth_map_is_centred_on_neutral_with_a_visible_neutral_contour():
    """|rho|^2 on a diverging map whose middle (white) is 1, the computed |rho|^2 = 1 contour in its
    own colour (not the black of the theory lines drawn over it) and named in the legend."""
    from matplotlib.collections import QuadMesh
    from matplotlib.colors import TwoSlopeNorm, to_rgba

    from dualflow.plotting import plot_growth
    from dualflow.plotting.phase import GROWTH_CMAP, NEUTRAL_COLOUR

    diagram = df.predict_phase_diagram(ONE, ONE, x=SIGMA, y=REG, base=dict(lr_g=0.1, lr_d=0.1), scheme="simultaneous")
    rho2 = np.asarray(diagram.growth) ** 2
    assert rho2.min() < 1 < rho2.max()
    curves = df.analysis.theory_curves(diagram, w=1.0, p=1.0)
    ax = plot_growth(diagram, curves=curves).axes[0]
    (mesh,) = [c for c in ax.collections if isinstance(c, QuadMesh)]
    assert isinstance(mesh.norm, TwoSlopeNorm) and mesh.norm.vcenter == 1.0 and mesh.cmap.name == GROWTH_CMAP
    assert mesh.norm.vmin == pytest.approx(rho2.min()) and mesh.norm(1.0) == 0.5
    np.testing.assert_allclose(mesh.cmap(mesh.norm(1.0))[:3], [0.97, 0.97, 0.97], atol=0.01)  # white-ish middle
    contours = [c for c in ax.collections if not isinstance(c, QuadMesh)]
    assert len(contours) == 1 and np.allclose(contours[0].get_edgecolor()[0], to_rgba(NEUTRAL_COLOUR))
    theory = [line for line in ax.get_lines() if line.get_label() in curves]
    assert theory and all(to_rgba(line.get_color()) != to_rgba(NEUTRAL_COLOUR) for line in theory)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0] == r"computed neutral: dominant $|\rho|^2$ = 1"
    assert "neutral at 1" in ax.figure.axes[1].get_ylabel() and "white: neutral" not in ax.get_title()
