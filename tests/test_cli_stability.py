"""`dualflow phase` and `dualflow linearize` end to end, checked against the closed forms."""

import json

import numpy as np
import pytest
from content_checks import assert_figure

from dualflow.analysis import isolated_points as ip
from dualflow.experiments.cli import main


@pytest.mark.parametrize("critic", ["exact", "spectral"])
def test_phase_command_writes_figures_and_agreeing_json(tmp_path, critic):
    status = main(
        [
            "phase",
            "--x",
            "bandwidth:0.2:5:8",
            "--y",
            "reg:0.01:1:8",
            "--scheme",
            "simultaneous",
            "--measure",
            "--steps",
            "600",
            "--critic",
            critic,
            "--out",
            tmp_path,
        ]
    )
    assert status == 0
    summary = json.loads((tmp_path / "phase.json").read_text())
    assert summary["critic"] == critic
    assert summary["agreement_coarse"] >= 0.9
    growth = summary["growth"][0][0]  # sigma 0.2, reg 0.01, one point of mass 1 on a true point of mass 1
    assert growth == pytest.approx(float(ip.isolated_spectral_radius(0.1, 0.1, 0.01, 0.2, 1.0, 1.0)), rel=1e-12)
    for name in ("phase.png", "growth.png"):
        assert_figure(tmp_path / name)  # and its .svg
    boundary = summary["boundary"]  # the traced threshold: lambda = lr_g w p_tot / sigma^2
    assert len(boundary["points"]) >= 3
    for sigma, reg in boundary["points"]:
        assert reg == pytest.approx(float(ip.simultaneous_critical_reg(0.1, 1.0, 1.0, sigma)), rel=1e-8)


def test_phase_against_flow_writes_the_disagreement_map(tmp_path, capsys):
    argv = ["phase", "--x", "lr_g:0.02:1:8", "--y", "reg:0.05:2:6", "--scheme", "simultaneous", "--against-flow"]
    assert main([*argv, "--out", tmp_path]) == 0
    report = json.loads((tmp_path / "disagreement.json").read_text())
    categories = report["predicted"]["simultaneous"]
    for row, reg in zip(categories, report["y_values"]):
        for category, tau in zip(row, report["x_values"]):
            if abs(reg / tau - 1) > 0.05 and tau * reg < 1.9:  # off the threshold lambda = tau and the flip corner
                assert category == (1 if reg < tau else 0)
    assert_figure(tmp_path / "disagreement.png")
    assert "of the cells disagree" in capsys.readouterr().out
    assert main(["phase", "--scheme", "flow", "--against-flow", "--out", tmp_path]) == 2


def test_linearize_command_reports_the_closed_form(tmp_path, capsys):
    status = main(
        [
            "linearize",
            "--data",
            "0",
            "--generator",
            "0",
            "--masses",
            "1",
            "--data-masses",
            "1",
            "--bandwidth",
            "0.7",
            "--reg",
            "0.5",
            "--lr-g",
            "0.05",
            "--lr-d",
            "0.2",
            "--scheme",
            "alternating_d_first",
            "--out",
            tmp_path,
        ]
    )
    assert status == 0
    report = json.loads((tmp_path / "linearization.json").read_text())
    assert report["growth"] == pytest.approx(
        float(ip.isolated_spectral_radius(0.05, 0.2, 0.5, 0.7, 1.0, 1.0, 1, "alternating_d_first")), rel=1e-12
    )
    assert report["rest_eigenvalue"] == pytest.approx(1 - 0.2 * 0.5)
    assert "spectral radius" in capsys.readouterr().out


def test_bad_values_exit_with_status_2(tmp_path, capsys):
    assert main(["phase", "--x", "sigma:1:2:3", "--out", tmp_path]) == 2
    assert "axis" in capsys.readouterr().err
    assert main(["linearize", "--data", "0;x", "--generator", "0", "--out", tmp_path]) == 2


def test_linearize_refuses_an_equilibrium_newton_found_out_of_the_data_reach(tmp_path, capsys):
    args = ["linearize", "--data", "0", "--masses", "0.8;0.8", "--bandwidth", "0.5", "--reg", "0.5"]
    args += ["--find-equilibrium", "--out", str(tmp_path / "lin")]
    assert main([*args, "--generator", "0.1;-0.2"]) == 2
    err = capsys.readouterr().err
    assert "--find-equilibrium: Newton carried generator point(s) [0, 1]" in err and "out of the data's reach" in err
    assert not (tmp_path / "lin" / "linearization.json").exists()
    assert main([*args, "--generator", "0.3;-0.3"]) == 0
    report = json.loads((tmp_path / "lin" / "linearization.json").read_text())
    assert report["equilibrium"]["converged"]
    assert np.abs(report["equilibrium"]["points"]).ravel() == pytest.approx([0.27985] * 2, abs=1e-4)
