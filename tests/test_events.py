"""Runs that blow up, overflow or run out of steps end labelled, with their last finite state."""

import jax.numpy as jnp
import numpy as np
import pytest

import dualflow as df

ONE = df.Measure(jnp.ones((1, 1)), jnp.ones(1))


def test_gda_blowup_is_labelled_and_keeps_last_finite_state():
    # simultaneous GDA on the bilinear game grows by (1 + tau^2 s^2) per step
    sol = df.solve(df.bilinear(1.0), ONE, df.GDA(1.0, 1.0, order="simultaneous"), n_steps=100, blowup=1e3, throw=False)
    assert sol.result_name == "BLEW_UP"
    x = float(sol.final_points[0, 0])
    assert np.isfinite(x) and abs(x) <= 1e3
    steps = int(sol.stats["num_steps"])
    assert steps < 100
    # the state kept is the one after `steps` accepted steps: radius^2 = 2^steps
    assert x**2 + float(sol.final_discriminator.theta[0]) ** 2 == pytest.approx(2.0**steps)
    with pytest.raises(RuntimeError, match="BLEW_UP"):
        df.solve(df.bilinear(1.0), ONE, df.GDA(1.0, 1.0, order="simultaneous"), n_steps=100, blowup=1e3)


def test_gda_overflow_is_labelled_nonfinite():
    sol = df.solve(
        df.bilinear(1.0), ONE, df.GDA(1e200, 1e200, order="simultaneous"), n_steps=10, blowup=np.inf, throw=False
    )
    assert sol.result_name == "NONFINITE"
    assert np.all(np.isfinite(np.asarray(sol.final_points)))


def test_flow_blowup_event():
    """The mean of particles under a linear critic is pulled from 0 towards data at 10;
    a bound of 5 stops the flow at the end of the step that crosses it."""
    game = df.linear_critic(df.Measure(np.full((1, 1), 10.0)), a=0.1)
    sol = df.solve(game, df.Measure(np.zeros((2, 1))), df.DualFlow(), t1=50.0, blowup=5.0, throw=False)
    assert sol.result_name == "BLEW_UP"
    assert 0.0 < float(sol.final_time) < 50.0
    assert 5.0 < float(np.max(np.abs(sol.final_points))) < 6.0


def test_flow_max_steps_is_labelled():
    sol = df.solve(df.bilinear(1.0), ONE, df.DualFlow(), t1=100.0, max_steps=3, throw=False)
    assert sol.result_name == "MAX_STEPS"
    with pytest.raises(RuntimeError, match="MAX_STEPS"):
        df.solve(df.bilinear(1.0), ONE, df.DualFlow(), t1=100.0, max_steps=3)


@pytest.mark.parametrize("solver", [df.GDA(0.5, 0.5), df.DualFlow(kappa=1.0, dt0=0.1)])
def test_stationarity_event_at_an_equilibrium(solver):
    """A generator sitting on the data with equal masses is an equilibrium of the kernel
    game once f has converged to f* = 0; with reg > 0, f -> 0 geometrically."""
    data = df.Measure(np.array([[0.0], [3.0]]))
    game = df.KernelGame(data, df.ExactRKHS(df.Gaussian(1.0)), reg=1.0)
    kwargs = dict(n_steps=200) if isinstance(solver, df.GDA) else dict(t1=100.0)
    sol = df.solve(game, data, solver, stationary_tol=1e-6, **kwargs)
    assert sol.result_name == "STATIONARY"


def test_no_false_stationarity_when_the_discriminator_still_moves():
    """At the start f = 0, so particles are at rest, but the discriminator is not."""
    data = df.Measure(np.array([[0.0], [3.0]]))
    game = df.KernelGame(data, df.ExactRKHS(df.Gaussian(1.0)), reg=1.0)
    sol = df.solve(
        game,
        df.Measure(np.array([[1.0], [2.0]])),
        df.GDA(0.5, 0.5, order="simultaneous"),
        n_steps=5,
        stationary_tol=1e-6,
    )
    assert sol.result_name == "SUCCESSFUL"


def test_progress_meter_prints(capfd):
    df.solve(df.bilinear(1.0), ONE, df.GDA(0.1, 0.1), n_steps=20, save_every=10, progress=True)
    assert "GDA steps: 20/20" in capfd.readouterr().err


def test_progress_meter_prints_a_line_per_tenth_when_stderr_is_no_terminal(capfd):
    """Captured stderr is not a terminal: 300 saves give one whole line per tenth, no carriage returns."""
    df.solve(df.bilinear(1.0), ONE, df.GDA(0.01, 0.01), n_steps=300, save_every=1, progress=True)
    err = capfd.readouterr().err
    assert "\r" not in err
    assert err.splitlines() == [f"GDA steps: {30 * k}/300 ({10 * k:5.1f}%)" for k in range(1, 11)]
    df.solve(df.bilinear(1.0), ONE, df.DualFlow(), t1=5.0, progress=True)
    lines = capfd.readouterr().out.splitlines()  # diffrax's text meter: a percentage per tenth
    assert 2 <= len(lines) <= 12 and lines[-1] == "100.00%"


def test_saves_after_an_early_end_repeat_the_last_state_for_every_solver():
    """One rule for both families: past the end, a save holds the final state at the end time.
    Bilinear simultaneous GDA grows by 2 per step (tau = s = 1); the flow's end is a step budget."""
    gda = df.solve(df.bilinear(1.0), ONE, df.GDA(1.0, 1.0, order="simultaneous"), n_steps=40, blowup=1e3, throw=False)
    flow = df.solve(df.bilinear(1.0), ONE, df.DualFlow(), t1=100.0, max_steps=3, throw=False)
    for sol in (gda, flow):
        ts, points = np.asarray(sol.ts), np.asarray(sol.points)
        past = ts >= float(sol.final_time)
        assert past.sum() >= 2 and np.all(np.isfinite(ts)) and np.all(np.isfinite(points))
        np.testing.assert_array_equal(ts[past], float(sol.final_time))
        np.testing.assert_array_equal(points[past], np.broadcast_to(np.asarray(sol.final_points), points[past].shape))
    # the bilinear flow conserves the radius 1 of its start up to its end
    assert np.max(np.abs(np.asarray(flow.points))) <= 1.0 + 1e-9


@pytest.mark.parametrize(
    "solver, misplaced, applies",
    [
        (df.GDA(0.1, 0.1), dict(n_steps=5, t1=99.0, n_saves=7), "`n_steps`, `save_every`"),
        (df.ProximalGDA(0.1, 0.1), dict(n_steps=5, max_steps=10), "`n_steps`, `save_every`"),
        (df.DualFlow(), dict(t1=1.0, n_steps=5, save_every=1), "`t1`, `n_saves`, `max_steps`"),
    ],
)
def test_arguments_of_the_other_family_are_refused(solver, misplaced, applies):
    with pytest.raises(ValueError, match=applies):
        df.solve(df.bilinear(1.0), ONE, solver, **misplaced)
