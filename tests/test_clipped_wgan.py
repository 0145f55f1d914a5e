"""The clipped-WGAN toy (docs/science.md §4): the library's GDA and flow against the closed forms of
`analysis.clipped_wgan`, and those closed forms against a plain NumPy projected Euler loop."""

import math

import diffrax
import jax.numpy as jnp
import numpy as np
import pytest

import dualflow as df
from dualflow.analysis.clipped_wgan import CYCLE_PERIOD, clipped_orbit, cycle_radius, limit_cycle, single_critic_entry
from dualflow.kernels.copies import Copies
from dualflow.players.finite_rank import FiniteRankState

K, CLIP = 4, 1.0
AGGREGATES = (-2.0, [0.0, 0.25, 0.5, 0.75])  # all four reach +c before theta changes sign
NO_AGGREGATION = (-0.9, [-0.6, -0.2, 0.2, 0.6])  # released with a spread: a smaller periodic cycle


def numpy_toy(theta, psi, clip, checkpoints, dt):
    """Plain projected Euler of theta' = mean(psi), psi_k' = -theta on [-c, c] (D-step first);
    the states at the `checkpoints` times."""
    psi, out, step = np.array(psi, dtype=float), [], 0
    for t in checkpoints:
        while step < int(round(t / dt)):
            psi = np.clip(psi - dt * theta, -clip, clip)
            theta = theta + dt * psi.mean()
            step += 1
        out.append((theta, psi.copy()))
    return out


def zero_crossing_period(ts, theta):
    idx = np.nonzero(np.sign(theta[:-1]) * np.sign(theta[1:]) < 0)[0]
    crossings = ts[idx] - theta[idx] * (ts[idx + 1] - ts[idx]) / (theta[idx + 1] - theta[idx])
    assert crossings.size >= 3
    return 2 * np.mean(np.diff(crossings))


# ---- the closed forms themselves ---------------------------------------------------------------


@pytest.mark.parametrize("theta0, psi0", [AGGREGATES, NO_AGGREGATION, (1.7, [-0.8, -0.1, 0.3, 0.9]), (0.4, [0.2])])
def test_exact_orbit_matches_numpy_projected_euler(theta0, psi0):
    orbit = clipped_orbit(theta0, psi0, CLIP)
    checkpoints = (0.7, 3.0, 7.0)
    for t, (theta, psi) in zip(checkpoints, numpy_toy(theta0, psi0, CLIP, checkpoints, 1e-4)):
        exact_theta, exact_psi = orbit.state_at([t])
        assert abs(exact_theta[0] - theta) < 1e-3
        assert np.max(np.abs(exact_psi[0] - psi)) < 1e-3


def test_single_critic_closed_form():
    # all parameters equal: the circle of radius R0 hits psi = c at theta = -sqrt(R0^2 - c^2)
    theta0, psi0 = -2.0, 0.5
    r0 = math.hypot(theta0, psi0)
    t_hit, t_entry = single_critic_entry(theta0, psi0, CLIP)
    # on the circle theta = R0 sin(t + phi), psi = R0 cos(t + phi): psi = c with theta < 0
    assert r0 * math.cos(t_hit + math.atan2(theta0, psi0)) == pytest.approx(CLIP, abs=1e-12)
    assert r0 * math.sin(t_hit + math.atan2(theta0, psi0)) == pytest.approx(-math.sqrt(r0**2 - 1), abs=1e-12)
    assert t_entry - t_hit == pytest.approx(math.sqrt(r0**2 - CLIP**2) / CLIP, rel=1e-14)
    orbit = clipped_orbit(theta0, [psi0] * 3, CLIP)
    assert orbit.aggregation_time == 0.0  # equal from the start
    np.testing.assert_allclose(orbit.event_times, [t_hit, t_entry], rtol=1e-12)
    assert single_critic_entry(0.3, 0.4, CLIP) == (math.inf, math.inf)  # R0 = 0.5 <= c: never clipped
    assert cycle_radius(2.5) == 2.5 and pytest.approx(2 * np.pi) == CYCLE_PERIOD
    assert np.allclose(np.hypot(*limit_cycle(2.5).T), 2.5)


# ---- GDA and the flow against the closed forms ---------------------------------------------------


def run_gda(theta0, psi0, t1, tau=1e-3, clip=CLIP):
    game = df.clipped_wgan_toy(K, clip)
    sol = df.solve(
        game,
        df.Measure(jnp.array([[theta0]]), jnp.ones(1)),
        df.GDA(tau, K * tau),
        n_steps=int(round(t1 / tau)),
        init_discriminator=FiniteRankState(jnp.asarray(psi0)),
    )
    return np.asarray(sol.ts), np.asarray(sol.points[:, 0, 0]), np.asarray(sol.discriminator_trace)


def run_flow(theta0, psi0, t1, solver=None, dt0=None, rtol=1e-10, atol=1e-12, n_saves=2001):
    game = df.clipped_wgan_toy(K, CLIP)
    sol = df.solve(
        game,
        df.Measure(jnp.array([[theta0]]), jnp.ones(1)),
        df.DualFlow(kappa=float(K), solver=solver, dt0=dt0, rtol=rtol, atol=atol),
        t1=t1,
        n_saves=n_saves,
        max_steps=100_000,
        init_discriminator=FiniteRankState(jnp.asarray(psi0)),
    )
    return np.asarray(sol.ts), np.asarray(sol.points[:, 0, 0]), np.asarray(sol.discriminator_trace)


def test_gda_aggregates_at_the_predicted_time_and_ends_on_the_cycle():
    tau = 1e-3
    orbit = clipped_orbit(*AGGREGATES, CLIP)
    t1 = orbit.entry_time + 2 * CYCLE_PERIOD
    ts, theta, psi = run_gda(*AGGREGATES, t1, tau)
    spread = psi.max(axis=1) - psi.min(axis=1)
    first = np.argmax(spread == 0.0)  # projected GDA sets clipped parameters exactly to c
    assert spread[first] == 0.0 and abs(ts[first] - orbit.aggregation_time) <= 3 * tau
    assert np.all(spread[first:] == 0.0)  # coincide forever after
    assert np.all(psi[first] == CLIP)
    late = ts > orbit.entry_time + 5 * tau
    radius = np.hypot(theta[late], psi[late].mean(axis=1))
    assert np.max(np.abs(radius - CLIP)) < 2 * tau  # alternating GDA: radius c up to O(tau)
    assert zero_crossing_period(ts[late], theta[late]) == pytest.approx(2 * np.pi, abs=10 * tau)
    assert np.max(np.abs(psi)) <= CLIP  # never outside the box


def test_flow_follows_the_exact_orbit():
    orbit = clipped_orbit(*AGGREGATES, CLIP)
    t1 = orbit.entry_time + 2 * CYCLE_PERIOD
    ts, theta, psi = run_flow(*AGGREGATES, t1)
    exact_theta, exact_psi = orbit.state_at(ts)
    assert np.max(np.abs(theta - exact_theta)) < 1e-6
    assert np.max(np.abs(psi - exact_psi)) < 1e-6
    spread = psi.max(axis=1) - psi.min(axis=1)
    dt = ts[1] - ts[0]
    before, after = ts < orbit.aggregation_time - dt, ts > orbit.aggregation_time + dt
    assert np.min(spread[before]) > 1e-3 and np.max(spread[after]) < 1e-6  # zero at the predicted time
    assert np.max(np.abs(psi)) < CLIP + 1e-6  # the adaptive flow overshoots the box by ~rtol only
    late = ts > orbit.entry_time + dt
    radius = np.hypot(theta[late], psi[late].mean(axis=1))
    assert np.max(np.abs(radius - CLIP)) < 1e-6
    assert zero_crossing_period(ts[late], theta[late]) == pytest.approx(2 * np.pi, abs=1e-5)


def test_fixed_step_euler_flow_aggregates_within_one_step():
    orbit = clipped_orbit(*AGGREGATES, CLIP)
    dt = 1e-3
    ts, theta, psi = run_flow(*AGGREGATES, 3.0, solver=diffrax.Euler(), dt0=dt, n_saves=3001)
    spread = psi.max(axis=1) - psi.min(axis=1)
    # projected Euler overshoots the bound by at most dt |theta| <= 2 dt, then holds the parameter
    first = np.argmax(spread <= 4 * dt)
    assert abs(ts[first] - orbit.aggregation_time) < 5 * dt
    assert np.all(spread[first:] <= 4 * dt)


def test_a_start_that_does_not_aggregate_ends_on_a_smaller_cycle():
    orbit = clipped_orbit(*NO_AGGREGATION, CLIP)
    assert math.isinf(orbit.aggregation_time) and orbit.final_spread > 0.1 and orbit.final_radius < CLIP - 0.1
    t1 = orbit.entry_time + 2 * CYCLE_PERIOD
    ts, theta, psi = run_flow(*NO_AGGREGATION, t1)
    late = ts > orbit.entry_time + 1e-2
    spread = psi.max(axis=1) - psi.min(axis=1)
    assert np.max(np.abs(spread[late] - orbit.final_spread)) < 1e-6  # frozen spread
    radius = np.hypot(theta[late], psi[late].mean(axis=1))
    assert np.max(np.abs(radius - orbit.final_radius)) < 1e-6
    assert zero_crossing_period(ts[late], theta[late]) == pytest.approx(2 * np.pi, abs=1e-5)


def test_unclipped_toy_conserves_radius_and_spread():
    # a box far away (c = 50) is never reached: circles of radius R0, differences conserved
    theta0, psi0 = AGGREGATES
    tau = 1e-3
    ts, theta, psi = run_gda(theta0, psi0, 2 * CYCLE_PERIOD, tau, clip=50.0)
    radius = np.hypot(theta, psi.mean(axis=1))
    r0 = math.hypot(theta0, np.mean(psi0))
    assert np.max(np.abs(radius - r0)) < 2 * tau * r0  # alternating GDA: conserved up to O(tau)
    np.testing.assert_allclose(
        psi - psi.mean(axis=1, keepdims=True), np.broadcast_to(np.asarray(psi0) - np.mean(psi0), psi.shape), atol=1e-12
    )
    assert zero_crossing_period(ts, theta) == pytest.approx(2 * np.pi, abs=10 * tau)


# ---- pieces and argument checks -----------------------------------------------------------------


def test_copies_features_against_numpy():
    x = jnp.array([[0.5, -1.0], [2.0, 3.0]])
    phi = Copies(3, dim=2)
    np.testing.assert_allclose(phi(x), np.tile(np.asarray(x), (1, 3)) / 3)
    jac = np.asarray(phi.jacobian(x))
    assert jac.shape == (2, 6, 2)
    np.testing.assert_allclose(jac[1], np.tile(np.eye(2), (3, 1)) / 3)
    with pytest.raises(ValueError, match="n_copies"):
        Copies(0)
    with pytest.raises(ValueError, match="scale"):
        Copies(2, scale=-1.0)


def test_toy_argument_checks():
    with pytest.raises(ValueError, match="clip"):
        df.clipped_wgan_toy(3, 0.0)
    with pytest.raises(ValueError, match="box"):
        clipped_orbit(0.0, [2.0], 1.0)
    with pytest.raises(ValueError, match="psi0"):
        single_critic_entry(0.0, 2.0, 1.0)
    # a start state of the wrong shape is caught before the run starts
    with pytest.raises(ValueError, match="state"):
        df.solve(
            df.clipped_wgan_toy(3),
            df.Measure(jnp.ones((1, 1)), jnp.ones(1)),
            df.GDA(0.1, 0.1),
            n_steps=2,
            init_discriminator=FiniteRankState(jnp.zeros(2)),
        )
