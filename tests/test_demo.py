"""The `dualflow demo` command, quick configuration: files, JSON contents, figures, CLI errors."""

import json
import math
import runpy
import sys

import numpy as np
import pytest

from dualflow.experiments.cli import main

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    status = main(["demo", "--quick", "--out", str(out), "--seed", "3"])
    return out, status


def _walk_numbers(obj):
    if isinstance(obj, dict):
        for value in obj.values():
            yield from _walk_numbers(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from _walk_numbers(value)
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        yield obj


def test_demo_writes_every_file(demo_run):
    out, status = demo_run
    assert status == 0
    names = {p.name for p in out.iterdir()}
    assert names == {
        "demo.png",
        "demo.svg",
        "demo_metrics.png",
        "demo_metrics.svg",
        "summary.json",
        "trajectories.npz",
    }  # no temp files left


@pytest.mark.parametrize("name", ["demo.png", "demo_metrics.png"])
def test_demo_figures_are_png(demo_run, name):
    data = (demo_run[0] / name).read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 10_000
    # IHDR: width and height, big-endian, right after the signature and chunk header
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width > 300 and height > 200


def test_demo_summary(demo_run):
    summary = json.loads((demo_run[0] / "summary.json").read_text())
    assert all(math.isfinite(x) for x in _walk_numbers(summary))
    assert summary["seed"] == 3 and summary["quick"] is True
    config = summary["config"]
    assert math.isclose(config["kappa"], config["lr_d"] / config["lr_g"])
    assert config["n_steps"] * config["lr_g"] == pytest.approx(config["t1"])
    assert set(summary["timings_s"]) >= {"gda_s", "flow_s", "total_s"}
    assert all(t >= 0 for t in summary["timings_s"].values())
    assert {"dualflow", "jax"} <= set(summary["versions"])
    for key in ("flow", "gda"):
        run = summary["runs"][key]
        assert run["result"] == "SUCCESSFUL"
        initial, final = run["initial"], run["final"]
        assert initial["t"] == 0 and final["t"] == pytest.approx(config["t1"])
        assert final["mmd"] < initial["mmd"]
        assert final["w2_squared"] < initial["w2_squared"]
        assert 0 <= final["modes_covered"] <= 8 and isinstance(final["modes_covered"], int)
        assert initial["modes_covered"] == 0  # the blob starts away from every mode
        assert 0.0 <= final["high_quality_fraction"] <= 1.0
        assert sum(final["occupancy"]) == pytest.approx(final["high_quality_fraction"])
        assert len(run["series"]["ts"]) == config["n_saves"]
    deviation = summary["flow_vs_gda"]
    assert 0 <= deviation["final_max_deviation"] <= deviation["largest_max_deviation"]
    assert deviation["series"]["max"][0] == 0.0  # same start


def test_demo_trajectories(demo_run):
    out = demo_run[0]
    summary = json.loads((out / "summary.json").read_text())
    with np.load(out / "trajectories.npz") as npz:
        n, s = summary["config"]["n_particles"], summary["config"]["n_saves"]
        for key in ("flow", "gda"):
            assert npz[f"{key}_points"].shape == (s, n, 2)
            np.testing.assert_allclose(npz[f"{key}_ts"], np.linspace(0, summary["config"]["t1"], s), atol=1e-9)
        np.testing.assert_array_equal(npz["flow_points"][0], npz["gda_points"][0])
        assert npz["data_points"].shape == (summary["config"]["n_data"], 2)


def test_help_exits_zero(capsys):
    for argv in (["--help"], ["demo", "--help"]):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for option in ("--out", "--quick", "--seed"):
        assert option in text


@pytest.mark.parametrize(
    "argv", [["demo", "--no-such-option"], [], ["no-such-command"], ["demo", "--seed", "-1"], ["demo", "--seed", "x"]]
)
def test_bad_arguments_exit_nonzero(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code != 0
    assert "usage" in capsys.readouterr().err


def test_python_dash_m_entry_point(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["dualflow", "--help"])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_module("dualflow", run_name="__main__")
    assert exit_info.value.code == 0
    assert "demo" in capsys.readouterr().out
