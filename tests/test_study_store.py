"""Resumable studies: an interrupted sweep or run, started again, loses nothing and gives the
numbers of an uninterrupted one; segmented runs against unsegmented ones; `dualflow sweep`,
`dualflow plot` and the refusal to mix two studies in one folder."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from content_checks import assert_animation, assert_figure
from PIL import Image, ImageSequence

from dualflow.experiments.cli import main
from dualflow.experiments.runners import build, study
from dualflow.experiments.runners.study import run_study
from dualflow.experiments.store.runs import ResultsFolderError, load_folder_config

SMALL = {
    "name": "small",
    "seeds": 2,
    "target": {"n_data": 16},
    "generator": {"n_particles": 8},
    "discriminator": {"n_features": 16},
    "dynamics": {"t1": 1.0, "tau": 0.05, "n_saves": 5},
    "metrics": {"every": 2, "distances": ["mmd"]},
    "outputs": {"figures": False, "animation": False},
    "sweep": {"kappa": [1.0, "inf"]},
}

ARRAY_KEYS = ("ts", "result", "n_covered", "occupancy", "mmd", "points")


def small(**tables):
    raw = json.loads(json.dumps(SMALL))
    for table, values in tables.items():
        if isinstance(values, dict):
            raw.setdefault(table, {}).update(values)
        else:
            raw[table] = values
    return raw


def arrays(folder):
    with np.load(folder / "arrays.npz") as f:
        return {k: f[k] for k in ARRAY_KEYS}


class Crash(Exception):
    pass


def crash_after(monkeypatch, target, name, calls):
    """Make `target.name` raise `Crash` on its call number `calls + 1` (a killed process)."""
    original, count = getattr(target, name), {"n": 0}

    def wrapped(*args, **kwargs):
        count["n"] += 1
        if count["n"] > calls:
            raise Crash
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, wrapped)
    return count


def count_calls(monkeypatch, target, name):
    return crash_after(monkeypatch, target, name, 10**9)


def no_partial_files(folder):
    return not [p for p in folder.rglob("*") if p.name.endswith(".tmp") or ".tmp." in p.name]  # .x.tmp.gif


def test_interrupted_sweep_resumes_and_matches_an_uninterrupted_one(tmp_path, monkeypatch):
    whole = tmp_path / "whole"
    run_study(small(), whole, log=False)

    out = tmp_path / "interrupted"
    with monkeypatch.context() as m:
        crash_after(m, study, "solve_run", 3)
        with pytest.raises(Crash):
            run_study(small(), out, log=False)
    finished = sorted(p.stem for p in (out / "runs").glob("*.json"))
    assert len(finished) == 3 and no_partial_files(out) and not (out / "summary.json").exists()
    with pytest.raises(ResultsFolderError, match="not finished"):  # plot refuses an unfinished study
        study.finish_study(load_folder_config(out), out, log=False)

    with monkeypatch.context() as m:
        solves = count_calls(m, study, "solve_run")
        summary = run_study(small(), out, log=False)
    assert solves["n"] == 8 - 3  # 2 settings x 2 dynamics x 2 seeds, 3 already done
    assert len(summary["runs"]) == 8
    for key, value in arrays(whole).items():
        np.testing.assert_array_equal(arrays(out)[key], value, err_msg=key)


def test_a_wider_sweep_reuses_the_runs_already_in_the_folder(tmp_path, monkeypatch, capsys):
    out = tmp_path / "s"
    assert main(["sweep", *_config(tmp_path, small()), "--over", "kappa=1", "--out", str(out)]) == 0
    with monkeypatch.context() as m:
        solves = count_calls(m, study, "solve_run")
        assert main(["sweep", *_config(tmp_path, small()), "--over", "kappa=1,inf", "--out", str(out)]) == 0
    assert solves["n"] == 4  # only kappa = inf: 2 dynamics x 2 seeds
    err = capsys.readouterr().err
    assert "4 already in" in err and "4 to run" in err
    assert "4 run(s) in" in err and "4 finished run(s) reused" in err  # the timings say what this call ran
    summary = json.loads((out / "summary.json").read_text())
    assert summary["axes"] == [{"name": "kappa", "values": [1.0, "inf"]}] and len(summary["runs"]) == 8
    timings = summary["timings_s"]
    ran_now = sum(r["solve_s"] for r in summary["runs"] if r["setting"] == {"kappa": "inf"})
    assert timings["this_call_solve_s"] == pytest.approx(ran_now, abs=1e-3) and timings["solve_s"] > ran_now
    assert main(["plot", str(out)]) == 0
    assert "nothing run (8 finished runs redrawn)" in capsys.readouterr().err
    assert json.loads((out / "summary.json").read_text())["timings_s"]["this_call_solve_s"] == 0


def test_another_study_in_the_same_folder_is_refused_and_fresh_starts_over(tmp_path, capsys):
    out = tmp_path / "s"
    config = _config(tmp_path, small(sweep={"kappa": [1.0]}))
    assert main(["run", *config, "--out", str(out)]) == 0
    other = _config(tmp_path, small(sweep={"kappa": [1.0]}, game={"reg": 0.1}), "other.toml")
    assert main(["run", *other, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "holds runs of a different study" in err and "game.reg: 0.5 in the folder, 0.1 now" in err
    assert main(["run", *other, "--out", str(out), "--fresh"]) == 0
    assert json.loads((out / "config.json").read_text())["game"]["reg"] == 0.1


ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def drawn_study(tmp_path_factory):
    """A small float64 study with its figures and animation (copy it before changing it)."""
    out = tmp_path_factory.mktemp("drawn") / "s"
    run_study(small(precision="float64", outputs={"figures": True, "animation": True}), out, log=False)
    return out


def pictures(folder) -> dict:
    """Every PNG and GIF of a folder as its frames' RGB pixels (metadata left out)."""
    out = {}
    for path in sorted(folder.glob("*.png")) + sorted(folder.glob("*.gif")):
        with Image.open(path) as image:
            out[path.name] = [np.asarray(frame.convert("RGB")) for frame in ImageSequence.Iterator(image)]
    return out


def test_plot_redraws_the_same_pixels_without_x64(drawn_study, tmp_path):
    """`dualflow plot` in a fresh process where jax's x64 is off redraws the study in its own
    precision (float64): the same data, start and discriminator, so the same pixels, PNG and GIF."""
    out = tmp_path / "s"
    shutil.copytree(drawn_study, out)
    before = pictures(out)
    assert any(name.endswith(".gif") for name in before) and "panels_kappa-1.png" in before
    for name in before:
        (out / name).unlink()
    env = {key: value for key, value in os.environ.items() if not key.startswith("JAX_")}
    env["JAX_ENABLE_X64"] = "0"
    proc = subprocess.run(
        [sys.executable, "-m", "dualflow", "plot", str(out)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert "truncated to dtype float32" not in proc.stderr
    after = pictures(out)
    assert sorted(after) == sorted(before)
    for name, frames in before.items():
        assert len(after[name]) == len(frames), name
        for index, (old, new) in enumerate(zip(frames, after[name])):
            assert old.shape == new.shape and np.array_equal(old, new), f"{name}, frame {index} differs"


def test_plot_redraws_the_figures_from_the_stored_runs(drawn_study, tmp_path, monkeypatch):
    out = tmp_path / "s"
    shutil.copytree(drawn_study, out)
    before = json.loads((out / "summary.json").read_text())
    figures = sorted(p.name for p in out.glob("*.png")) + sorted(p.name for p in out.glob("*.svg"))
    assert "coverage_table.png" in figures and "coverage_table.svg" in figures
    for name in figures:
        (out / name).unlink()
    with monkeypatch.context() as m:
        solves = count_calls(m, study, "solve_run")
        assert main(["plot", str(out)]) == 0
    assert solves["n"] == 0
    assert sorted(p.name for p in out.glob("*.png")) + sorted(p.name for p in out.glob("*.svg")) == figures
    after = json.loads((out / "summary.json").read_text())
    assert after["settings"] == before["settings"] and after["runs"] == before["runs"]
    assert main(["plot", str(tmp_path)]) == 2  # not a study folder


def test_checkpointed_run_resumes_mid_run_and_matches(tmp_path, monkeypatch):
    raw = small(seeds=1, dynamics={"checkpoint_every": 0.25}, sweep={"kappa": [2.0]})  # 4 segments
    whole = tmp_path / "whole"
    run_study(raw, whole, log=False)
    out = tmp_path / "killed"
    with monkeypatch.context() as m:
        crash_after(m, build, "solve", 2)  # the flow runs first: killed in its third segment
        with pytest.raises(Crash):
            run_study(raw, out, log=False)
    checkpoint = out / "runs" / "kappa-2__flow__seed0.checkpoint.npz"
    with np.load(checkpoint) as f:
        assert int(f["segments_done"]) == 2 and f["ts"].shape == (3,)  # saves at t = 0, 0.25, 0.5
    with monkeypatch.context() as m:
        solves = count_calls(m, build, "solve")
        run_study(raw, out, log=False)
    assert solves["n"] == 2 + 4  # the flow's last two segments, then GDA's four
    assert not checkpoint.exists() and no_partial_files(out)
    for key, value in arrays(whole).items():
        np.testing.assert_array_equal(arrays(out)[key], value, err_msg=key)


def test_segments_give_the_unsegmented_run(tmp_path):
    """GDA in segments takes the very same steps; the adaptive flow restarts its step-size
    controller at each segment, so it agrees to the solver's tolerance."""
    one = tmp_path / "one"
    run_study(small(seeds=1, sweep={"kappa": [2.0]}, dynamics={"flow_rtol": 1e-9, "flow_atol": 1e-12}), one, log=False)
    four = tmp_path / "four"
    run_study(
        small(
            seeds=1, sweep={"kappa": [2.0]}, dynamics={"flow_rtol": 1e-9, "flow_atol": 1e-12, "checkpoint_every": 0.25}
        ),
        four,
        log=False,
    )
    a, b = arrays(one), arrays(four)
    np.testing.assert_allclose(b["ts"], a["ts"], rtol=0, atol=1e-14)
    gda, flow = 1, 0
    np.testing.assert_allclose(b["points"][0, gda], a["points"][0, gda], rtol=0, atol=1e-6)  # float32 storage
    np.testing.assert_allclose(b["points"][0, flow], a["points"][0, flow], rtol=0, atol=1e-6)
    with (
        np.load(one / "runs" / "kappa-2__gda__seed0.npz") as f1,
        np.load(four / "runs" / "kappa-2__gda__seed0.npz") as f4,
    ):
        np.testing.assert_allclose(f4["points"], f1["points"], rtol=0, atol=1e-13)  # float64, every save
        np.testing.assert_allclose(f4["disc_0"], f1["disc_0"], rtol=0, atol=1e-12)  # the final lattice state
        assert int(f4["stats_num_steps"]) == int(f1["stats_num_steps"]) == 20


def _config(tmp_path, raw, name="study.toml"):
    """Write `raw` as TOML (the few types used here) and return it as a CLI argument list."""
    lines = []

    def value(v):
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return repr(v)

    for key, v in raw.items():
        if not isinstance(v, dict):
            lines.append(f"{key} = {value(v)}")
    for key, v in raw.items():
        if isinstance(v, dict):
            lines.append(f"[{key}]")
            lines += [f"{k} = {value(x)}" for k, x in v.items()]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return [str(path)]


def test_runs_stored_by_earlier_versions_read_with_todays_metric_names(tmp_path):
    """A record written before `num_covered` became `n_covered` is read back under the new name."""
    from dualflow.experiments.config.study import parse_study
    from dualflow.experiments.store.runs import RunStore, current_names

    store = RunStore(tmp_path, parse_study({"seeds": 1}))
    run_id = store.run_id({}, "gda", 0)
    (store.runs / f"{run_id}.json").write_text(json.dumps({"final": {"num_covered": 7, "w2": 0.5}}))
    assert store.record(run_id)["final"] == {"n_covered": 7, "w2": 0.5}
    assert current_names({"num_covered": 1, "occupancy": 2}) == {"n_covered": 1, "occupancy": 2}


def test_exact_study_draws_the_discriminator_at_every_panel(tmp_path):
    """A study with the exact history critic saves its discriminator on a grid for the drawn runs
    (the first seed): the stored field of the GDA run equals the NumPy reference's witness at every
    save, the other seed stores none, and every panel is drawn with its field."""
    from numpy_gda import numpy_gda

    from dualflow.experiments.config.study import parse_study

    raw = small(discriminator={"kind": "exact"}, outputs={"figures": True, "animation": True}, sweep={"kappa": [2.0]})
    out = tmp_path / "s"
    run_study(raw, out, log=False)
    cfg = parse_study(raw)
    data, x0, _ = build.build_problem(cfg, cfg.seeds[0])
    with np.load(out / "runs" / "kappa-2__gda__seed0.npz") as f:
        field, grid_spec, ts = f["field"], f["field_grid"], f["ts"]
    assert field.shape == (5, build.FIELD_POINTS**2, 3)
    grid = build.FieldGrid((grid_spec[0], grid_spec[1]), (grid_spec[2], grid_spec[3]), int(grid_spec[4]))
    y, p = np.asarray(data.points), np.asarray(data.masses)
    x, m = np.asarray(x0), np.full(x0.shape[0], 1 / x0.shape[0])
    _, expected = numpy_gda(
        y, p, x, m, "alternating_d_first", 1, 20, np.ones_like(m), sigma=0.4, reg=0.5, lr_g=0.05, lr_d=0.1,
        probe=grid.points,
    )  # fmt: skip
    np.testing.assert_allclose(ts, 0.05 * 5 * np.arange(5), atol=1e-12)
    np.testing.assert_allclose(field, expected[::5], rtol=0, atol=1e-10)
    with np.load(out / "runs" / "kappa-2__gda__seed1.npz") as f:
        assert "field" not in f.files
    with np.load(out / "runs" / "kappa-2__flow__seed0.npz") as f:
        assert f["field"].shape == (5, build.FIELD_POINTS**2, 3) and np.all(np.isfinite(f["field"]))
    assert_figure(out / "panels_kappa-2.png")
    assert_animation(out / "animation_kappa-2.gif")


DAMAGES = {
    "record_not_json": ("kappa-1__gda__seed1.json", lambda p: p.write_text('{"final": '), "not valid JSON"),
    "npz_truncated": (
        "kappa-1__gda__seed1.npz",
        lambda p: p.write_bytes(p.read_bytes()[:200]),
        "not a whole .npz file, truncated or damaged",
    ),
    "npz_missing": ("kappa-1__gda__seed1.npz", lambda p: p.unlink(), "is missing"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_damaged_run_is_named_by_plot_and_computed_again_by_a_resume(tmp_path, monkeypatch, capsys, damage):
    raw = small(sweep={"kappa": [1.0]})
    out = tmp_path / "s"
    run_study(raw, out, log=False)
    before = arrays(out)
    name, spoil, words = DAMAGES[damage]
    spoil(out / "runs" / name)
    assert main(["plot", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"dualflow plot: error: {out}: 1 finished run(s) cannot be read back: {out / 'runs' / name}" in err
    assert words in err and "computes such runs again" in err and "Traceback" not in err
    with monkeypatch.context() as m:
        solves = count_calls(m, study, "solve_run")
        assert main(["run", *_config(tmp_path, raw), "--out", str(out)]) == 0
    assert solves["n"] == 1  # only the damaged run; the three others are kept
    err = capsys.readouterr().err
    assert f"warning: {out / 'runs' / name}" in err and "kappa-1__gda__seed1 will be computed again" in err
    for key, value in arrays(out).items():
        np.testing.assert_array_equal(value, before[key], err_msg=key)  # the same numbers as before the damage


def test_a_damaged_config_json_is_named_and_the_runs_are_kept(tmp_path, capsys):
    raw = small(sweep={"kappa": [1.0]})
    out = tmp_path / "s"
    run_study(raw, out, log=False)
    (out / "config.json").write_text("{not json")
    assert main(["plot", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"dualflow plot: error: {out / 'config.json'} cannot be read (not valid JSON" in err
    assert main(["run", *_config(tmp_path, raw), "--out", str(out)]) == 2  # never mixes runs it cannot check
    err = capsys.readouterr().err
    assert f"{out / 'config.json'} cannot be read" in err and "--fresh to delete those runs" in err
    assert len(list((out / "runs").glob("*.json"))) == 4  # nothing lost


def test_a_damaged_checkpoint_restarts_its_run_with_a_warning(tmp_path, capsys):
    raw = small(seeds=1, dynamics={"checkpoint_every": 0.25}, sweep={"kappa": [2.0]})
    whole = tmp_path / "whole"
    run_study(raw, whole, log=False)
    out = tmp_path / "s"
    checkpoint = out / "runs" / "kappa-2__flow__seed0.checkpoint.npz"
    checkpoint.parent.mkdir(parents=True)
    checkpoint.write_bytes(b"PK\x03\x04 cut short")
    assert main(["run", *_config(tmp_path, raw), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"warning: {checkpoint} cannot be read" in err and "starts again from the beginning" in err
    for key, value in arrays(whole).items():
        np.testing.assert_array_equal(arrays(out)[key], value, err_msg=key)


def test_plot_of_a_damaged_compare_folder_names_the_file(tmp_path, capsys):
    (tmp_path / "compare.json").write_text('{"kind": "compare", ')
    np.savez(tmp_path / "arrays.npz", ts=np.zeros(2))
    assert main(["plot", str(tmp_path)]) == 2
    assert f"{tmp_path / 'compare.json'} cannot be read (not valid JSON" in capsys.readouterr().err
    (tmp_path / "compare.json").write_text('{"kind": "compare"}')
    (tmp_path / "arrays.npz").write_bytes(b"")
    assert main(["plot", str(tmp_path)]) == 2
    assert f"{tmp_path / 'arrays.npz'} cannot be read" in capsys.readouterr().err
