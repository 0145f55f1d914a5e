"""The `dualflow demo` command, quick configuration: files, JSON contents, figures, CLI errors."""

import json
import math
import runpy
import sys

import numpy as np
import pytest

from dualflow.experiments.cli import main
from dualflow.experiments.config.demo import DEMO_CONFIG

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


def test_demo_is_the_shipped_study(demo_run):
    """The demo writes a study folder of the shipped config, with the seed given and nothing left over."""
    out, status = demo_run
    assert status == 0
    names = {p.name for p in out.iterdir()}
    figures = {"panels_base", "metrics_base", "coverage_over_time", "flow_vs_gda", "coverage_table", "hq_table"}
    assert names == (
        {f"{f}.{ext}" for f in figures for ext in ("png", "svg")}
        | {"summary.json", "table.md", "arrays.npz", "config.json", "config_source.toml", "study.json"}
        | {"animation_base.gif", "runs"}
    )  # no temp files left
    assert {p.name for p in (out / "runs").iterdir()} == {
        f"base__{d}__seed3.{ext}" for d in ("flow", "gda") for ext in ("npz", "json")
    }
    assert (out / "config_source.toml").read_text() == DEMO_CONFIG.read_text()
    config = json.loads((out / "config.json").read_text())
    assert config["seeds"] == [3] and config["name"] == "demo"
    assert config["discriminator"]["kind"] == "spectral" and config["dynamics"]["order"] == "alternating_d_first"


@pytest.mark.parametrize("name", ["panels_base.png", "flow_vs_gda.png", "metrics_base.png"])
def test_demo_figures_are_png(demo_run, name):
    data = (demo_run[0] / name).read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    # IHDR: width and height, big-endian, right after the signature and chunk header
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width > 300 and height > 200


def test_demo_summary(demo_run):
    out = demo_run[0]
    summary = json.loads((out / "summary.json").read_text())
    assert all(math.isfinite(x) for x in _walk_numbers(summary))
    assert summary["seeds"] == [3] and summary["quick"] is True and summary["study"] == "demo"
    assert {"dualflow", "jax"} <= set(summary["versions"])
    (entry,) = summary["settings"]
    assert entry["parameters"]["kappa"] == entry["parameters"]["lr_d"] / entry["parameters"]["lr_g"]
    with np.load(out / "arrays.npz") as arrays:
        assert arrays["ts"].shape == (2, 1, 21)  # (dynamics, seeds, saves)
        np.testing.assert_allclose(arrays["ts"][:, 0], np.broadcast_to(np.linspace(0, 10, 21), (2, 21)), atol=1e-9)
        for r, dynamics in enumerate(arrays["dynamics"]):
            stats = entry["dynamics"][str(dynamics)]
            assert stats["results"] == {"SUCCESSFUL": 1}
            covered, mmd, w2 = arrays["n_covered"][r, 0], arrays["mmd"][r, 0], arrays["w2"][r, 0]
            assert covered[0] == 0  # the blob starts away from every mode
            assert mmd[-1] < mmd[0] and w2[-1] < w2[0]
            assert stats["n_covered"]["mean"] == covered[-1]


def test_demo_flow_vs_gda_distance(demo_run):
    """The flow-to-GDA distance of the summary and arrays.npz, against NumPy on the stored runs."""
    out = demo_run[0]
    with np.load(out / "runs" / "base__flow__seed3.npz") as flow, np.load(out / "runs" / "base__gda__seed3.npz") as gda:
        np.testing.assert_array_equal(flow["points"][0], gda["points"][0])  # same start
        expected = np.max(np.sqrt(np.sum((flow["points"] - gda["points"]) ** 2, axis=-1)), axis=-1)
    with np.load(out / "arrays.npz") as arrays:
        np.testing.assert_allclose(arrays["flow_gda_distance"][0], expected, rtol=1e-12, atol=0)
    distance = json.loads((out / "summary.json").read_text())["settings"][0]["flow_vs_gda"]
    assert distance["largest"]["mean"] == pytest.approx(expected.max(), rel=1e-12)
    assert distance["final"]["mean"] == pytest.approx(expected[-1], rel=1e-12)
    assert expected[0] == 0 and expected.max() > 1e-3  # GDA's first-order gap shows


def test_demo_rerun_reuses_the_runs(demo_run, capsys):
    out = demo_run[0]
    before = (out / "runs" / "base__flow__seed3.json").read_text()
    assert main(["demo", "--quick", "--out", str(out), "--seed", "3"]) == 0
    assert "0 to run" in capsys.readouterr().err
    assert (out / "runs" / "base__flow__seed3.json").read_text() == before


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


def test_demo_says_every_file_it_wrote(demo_run):
    """The closing line names every figure (and that each has its SVG), the animation and the data files."""
    from dualflow.experiments.runners.demo import _files_written

    out = demo_run[0]
    line = _files_written(json.loads((out / "summary.json").read_text())["files"])
    assert line.startswith(f"Wrote {out}/: ") and "(each also as .svg)" in line
    listed = {name.strip(" ,;") for name in line.split(": ", 1)[1].replace("(each also as .svg)", "").split()}
    written = {p.name for p in out.iterdir() if p.suffix != ".svg" and p.name not in ("runs", "study.json")}
    assert written <= listed and "runs/" in listed
