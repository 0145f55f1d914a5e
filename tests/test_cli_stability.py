"""`dualflow phase` and `dualflow linearize` end to end, checked against the closed forms."""

import json

import numpy as np
import pytest
from content_checks import assert_figure

from dualflow.analysis import isolated_points as ip
from dualflow.experiments.cli import main


@pytest.mark.parametrize("critic", ["exact", "spectral"])
def test_phase_command_writes_figures_and_agreeing_json(tmp_path, critic, capsys, monkeypatch):
    from dualflow.experiments.runners import progress

    monkeypatch.setattr(progress, "HEARTBEAT_S", 0.05)  # stderr is not a terminal here: a line every 0.05 s
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
    # what the diagram held fixed, so that it can be reproduced from its record
    assert summary["parameters"] == {
        "lr_g": 0.1,
        "lr_d": 0.1,
        "cluster": 1,
        "w": 1.0,
        "p": 1.0,
        "velocity": "mass_weighted",
    }
    assert summary["command"]["x"] == "bandwidth:0.2:5:8" and summary["command"]["steps"] == 600
    captured = capsys.readouterr()
    what = "simultaneous, 8 x 8 = 64 grid points (bandwidth x reg): simulating each for 600 steps"
    assert f"[dualflow phase] {what} ...\n" in captured.err  # the start, the heartbeat, the end
    assert f"[dualflow phase] ... {what}: " in captured.err and " s so far\n" in captured.err
    assert f"[dualflow phase] {what}: done in " in captured.err
    for kind in ("predicted", "measured"):  # one line per phase: its count and share, as in phase.json
        labels = np.asarray(summary[kind]).ravel()
        block = captured.out.split(f"{kind} phases (simultaneous, 64 grid points):\n")[1].split(":\n")[0]
        names, counts = np.unique(labels, return_counts=True)
        for name, count in zip(names, counts):
            assert f"  {name:<22} {count:>7}  {100 * count / 64:5.1f}%" in block
    assert "{" not in captured.out
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


def _usage_error(argv, capsys) -> str:
    """The stderr of a command line that argparse refuses (exit status 2)."""
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["phase", "--x", "sigma:1:2:3"],
            "argument --x: unknown axis 'sigma' in 'sigma:1:2:3'; valid axes: bandwidth,",
        ),
        (
            ["phase", "--x", "bandwith:0.1:1:3"],
            "argument --x: unknown axis 'bandwith' in 'bandwith:0.1:1:3'; did you mean 'bandwidth'?",
        ),
        (
            ["phase", "--x", "bandwidth:0.1:1:a"],
            "argument --x: NUM must be an integer >= 1 in NAME:START:STOP:NUM[:log|lin]",
        ),
        (
            ["phase", "--y", "reg:0.1:1:2.5"],
            "argument --y: NUM must be an integer >= 1 in NAME:START:STOP:NUM[:log|lin], e.g. bandwidth:0.1:10:100; received NUM '2.5'",
        ),
        (["phase", "--x", "bandwidth:a:1:3"], "argument --x: START and STOP must be numbers in NAME:START:STOP:NUM"),
        (
            ["phase", "--x", "bandwidth:0:1:3"],
            "argument --x: START and STOP must be positive numbers for log spacing (or add :lin)",
        ),
        (
            ["phase", "--x", "bandwidth:1:3"],
            "argument --x: expected NAME:START:STOP:NUM[:log|lin], e.g. bandwidth:0.1:10:100 (NUM an integer >= 1)",
        ),
        (["phase", "--cluster", "0"], "argument --cluster: expected a positive integer, received '0'"),
        (["phase", "--w", "nan"], "argument --w: expected a positive finite number, received 'nan'"),
        (["phase", "--steps", "1.5"], "argument --steps: expected a positive integer, received '1.5'"),
        (
            ["linearize", "--data", "0", "--generator", "0", "--lr-g", "0", "--scheme", "flow"],
            "argument --lr-g: expected a positive finite number, received '0'",
        ),
        (
            ["linearize", "--data", "0", "--generator", "0", "--lr-d", "-1"],
            "argument --lr-d: expected a positive finite number, received '-1'",
        ),
        (
            ["linearize", "--data", "0", "--generator", "0", "--reg", "-0.1"],
            "argument --reg: expected a non-negative finite number, received '-0.1'",
        ),
        (
            ["linearize", "--data", "0;x", "--generator", "0"],
            "argument --data: expected points 'x1,y1;x2,y2;...' (rows ';', coordinates ','); received '0;x'",
        ),
        (
            ["linearize", "--data", "0;nan", "--generator", "0"],
            "argument --data: expected finite coordinates; received '0;nan'",
        ),
        (
            ["linearize", "--data", "0,1;2", "--generator", "0"],
            "argument --data: expected points 'x1,y1;x2,y2;...' (rows ';', coordinates ','), every point with the same number of coordinates",
        ),
        (
            ["linearize", "--data", "0", "--generator", "0", "--masses", "0"],
            "argument --masses: expected finite positive masses; received '0'",
        ),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_bad_values_name_the_option_and_the_form(tmp_path, capsys, argv, message):
    assert message in _usage_error([*argv, "--out", tmp_path], capsys)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--generator", "0,1"],
            "--generator has points of dimension 2 ('0,1') but --data has points of dimension 1 ('0')",
        ),
        (["--generator", "0,1", "--find-equilibrium"], "--generator has points of dimension 2"),
        (
            ["--generator", "0", "--data-masses", "0.5;0.5"],
            "--data-masses has 2 masses ('0.5;0.5') but --data has 1 points; give one mass per point",
        ),
        (
            ["--generator", "0", "--masses", "1;1"],
            "--masses has 2 masses ('1;1') but --generator has 1 points; give one mass per point",
        ),
    ],
)
def test_linearize_names_the_options_that_do_not_fit_together(tmp_path, capsys, argv, message):
    assert main(["linearize", "--data", "0", *argv, "--out", tmp_path]) == 2
    err = capsys.readouterr().err
    assert f"dualflow linearize: error: {message}" in err and "equilibrium" not in err and "`points`" not in err


def test_linearize_reads_negative_points_as_the_help_writes_them(tmp_path, capsys):
    """`--data '-1;1'` (the help's example) is a value, not an option: the report is the one of
    `--data=-1;1`, which argparse always read as a value."""
    common = ["--scheme", "simultaneous", "--reg", "0.5"]
    assert main(["linearize", "--data", "-1;1", "--generator", "-1;1", *common, "--out", tmp_path / "a"]) == 0
    assert main(["linearize", "--data=-1;1", "--generator=-1;1", *common, "--out", tmp_path / "b"]) == 0
    report = json.loads((tmp_path / "a" / "linearization.json").read_text())
    other = json.loads((tmp_path / "b" / "linearization.json").read_text())
    assert report["command"].pop("out") != other["command"].pop("out")  # the one difference: the folder
    assert report == other
    from dualflow.experiments.arguments import build_parser

    args = build_parser().parse_args(["linearize", "--data", "-1,0;1,-2.5", "--generator", "-.5,0"])
    assert (args.data, args.generator) == ("-1,0;1,-2.5", "-.5,0")


def test_the_parser_offers_the_library_names():
    """The command line's scheme and phase-axis names (kept jax-free) are the library's."""
    from dualflow.analysis.phase_diagram import AXES
    from dualflow.experiments.config.stability import PHASE_AXES, SCHEMES
    from dualflow.solvers.schemes import SCHEMES as LIBRARY_SCHEMES

    assert SCHEMES == LIBRARY_SCHEMES and PHASE_AXES == AXES


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
    command = report["command"]  # everything the command line fixed
    assert command["generator"] == "0.3;-0.3" and command["masses"] == "0.8;0.8" and command["data"] == "0"
    assert command["bandwidth"] == 0.5 and command["reg"] == 0.5 and command["velocity"] == "mass_weighted"
    assert np.abs(report["equilibrium"]["points"]).ravel() == pytest.approx([0.27985] * 2, abs=1e-4)
