"""The proximal-steps example runs in quick mode and reports what it claims."""

import pytest
from content_checks import assert_figure
from test_examples import load  # tests/ is on sys.path under pytest; it also puts examples/ there


def test_proximal_steps_quick(tmp_path):
    summary = load("proximal_steps").main(["--quick", "--out", str(tmp_path)])
    bilinear = summary["bilinear game"]
    # decoupled proximal GDA is explicit GDA in disguise: the same iterates, the same growth
    assert bilinear["decoupled"]["max_abs_difference_to_explicit"] <= 1e-13 * bilinear["decoupled"]["scale"]
    assert bilinear["explicit"]["final_radius_sq"] == pytest.approx(bilinear["explicit"]["closed_form"], rel=1e-12)
    assert bilinear["decoupled"]["final_radius_sq"] == pytest.approx(bilinear["explicit"]["closed_form"], rel=1e-12)
    # the joint proximal point step contracts by exactly 1/(1 + tau^2 s^2) per step; the flow conserves
    assert bilinear["joint"]["final_radius_sq"] == pytest.approx(bilinear["joint"]["closed_form"], rel=1e-12)
    assert bilinear["flow"]["final_radius_sq"] == pytest.approx(1.0, abs=1e-8)

    ring = summary["8-ring kernel game"]["schemes"]
    assert all(row["result"] == "SUCCESSFUL" for row in ring.values())
    joint = ring["joint prox"]
    assert joint["mmd_final"] < 0.1 * joint["mmd_initial"]
    # more damped than every explicit or decoupled scheme at the same rates
    assert joint["mmd_final"] < 0.25 * ring["explicit GDA (simultaneous)"]["mmd_min_last_quarter"]
    assert joint["mmd_final"] < 0.5 * ring["explicit GDA (alternating)"]["mmd_min_last_quarter"]
    assert joint["mmd_final"] < 0.25 * ring["decoupled prox"]["mmd_min_last_quarter"]
    assert_figure(tmp_path / "proximal_steps.png")
