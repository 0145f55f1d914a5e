"""Mode-collapse studies: config validation, the games a config builds, and a tiny study whose
summary is checked against the saved arrays with plain NumPy."""

import importlib.util
import json
import math
import pathlib
import sys

import jax
import numpy as np
import pytest
from content_checks import assert_animation, assert_figure, assert_json, assert_npz

import dualflow as df
from dualflow.experiments.config.study import ConfigError, load_study, parse_study
from dualflow.experiments.runners.build import build_game, build_problem
from dualflow.experiments.runners.study import run_study

ROOT = pathlib.Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "examples" / "configs").glob("*.toml"))


def minimal(**tables):
    raw = {"sweep": {"kappa": [1.0]}}
    raw.update(tables)
    return raw


# ---- validation ----------------------------------------------------------------------------
def problems_of(raw, **kwargs):
    with pytest.raises(ConfigError) as info:
        parse_study(raw, **kwargs)
    return info.value.problems, str(info.value)


def test_unknown_key_is_rejected_with_the_closest_valid_key():
    problems, message = problems_of(minimal(dynamics={"kapa": 1.0}))
    assert problems == ["dynamics.kapa: unknown key; did you mean 'kappa'?"]
    assert isinstance(ConfigError(problems), ValueError)
    problems, _ = problems_of(minimal(dynamic={"kappa": 1.0}))
    assert problems == ["dynamic: unknown key; did you mean 'dynamics'?"]
    problems, _ = problems_of({"sweep": {"bandwith": [0.3, 0.4]}})
    assert "sweep.bandwith: unknown axis; did you mean 'bandwidth'?" in problems[0]


def test_wrong_types_and_ranges_are_reported_with_their_key_paths():
    problems, _ = problems_of(
        minimal(
            generator={"n_particles": "many"},
            game={"reg": -1.0, "payoff": "logistc"},
            dynamics={"kappa": 0, "compare": ["flow", "sgd"]},
        )
    )
    assert "generator.n_particles: expected an integer, received a string 'many'" in problems
    assert "game.reg: expected a number >= 0, received -1.0" in problems
    assert any(p.startswith("game.payoff: expected one of") and "did you mean 'logistic'?" in p for p in problems)
    assert 'dynamics.kappa: expected a positive number or "inf", received 0' in problems
    assert any(p.startswith("dynamics.compare[1]: expected one of ['flow', 'gda']") for p in problems)
    problems, _ = problems_of(minimal(seeds=[1, 1]))
    assert problems == ["seeds: the seeds must be distinct, received [1, 1]"]
    problems, _ = problems_of(minimal(outputs={"figures": "yes"}))
    assert problems == ["outputs.figures: expected true or false, received a string 'yes'"]
    problems, _ = problems_of({"sweep": {"kappa": [1.0, "fast"]}})
    assert problems == ["sweep.kappa[1]: expected a positive number or \"inf\", received 'fast'"]


def test_a_study_name_is_a_plain_folder_name():
    """The name is the default output folder under dualflow-output/: a path would write elsewhere."""
    for name in ("../../escaped-study", "/tmp/abs", "a/b", "..", ".hidden", ""):
        problems, _ = problems_of(minimal(name=name))
        assert problems == [
            "name: expected a plain folder name (letters, digits, '-', '_' and '.', starting with a letter or "
            f"digit; no path), received {name!r}"
        ]
    assert parse_study(minimal(name="ring8_kappa-v2.1")).name == "ring8_kappa-v2.1"


def test_cross_checks_name_the_setting():
    problems, _ = problems_of({"sweep": {"kappa": [1.0, "inf"], "payoff": ["kernel_ipm", "logistic"]}})
    assert problems == [
        "sweep (kappa = inf, payoff = logistic): kappa = inf (the best response) is not available: "
        "payoff 'logistic' has no closed-form best response (kernel_ipm only)"
    ]
    problems, _ = problems_of({"sweep": {"tau": [0.05, 0.3]}})
    assert problems == ["dynamics.t1 (20) must be a whole number of GDA steps of tau = 0.3; received 66.6667 steps"]
    problems, _ = problems_of({"sweep": {"tau": [0.05, 0.1, 0.2]}, "dynamics": {"n_saves": 41}})
    assert problems == ["dynamics.n_saves - 1 (40) must divide the number of GDA steps horizon / tau = 100 (tau = 0.2)"]
    problems, _ = problems_of({"sweep": {"kappa": [1.0], "tau": [0.05], "bandwidth": [0.3]}})
    assert problems == ["sweep: sweep at most two axes; received 3 (kappa, tau, bandwidth)"]
    problems, _ = problems_of({"sweep": {"kappa": [1.0, 2.0]}, "outputs": {"panel_settings": [{"kappa": 3.0}]}})
    assert problems == ["outputs.panel_settings: kappa = 3 is not one of the swept settings"]
    problems, _ = problems_of({"dynamics": {"checkpoint_every": 3.0}})
    assert problems == [
        "dynamics.checkpoint_every (3) must divide the horizon (20) into whole segments; received 6.66667 segments"
    ]
    problems, _ = problems_of({"dynamics": {"checkpoint_every": 20 / 3, "n_saves": 41}})
    assert problems == [
        "dynamics.checkpoint_every: the 3 segments must each end on a save, so they must divide "
        "dynamics.n_saves - 1 (40)"
    ]
    problems, _ = problems_of({"discriminator": {"kind": "exact"}, "dynamics": {"checkpoint_every": 5.0}})
    assert problems[0].startswith(
        "dynamics.checkpoint_every: the exact RKHS discriminator's state is its whole history"
    )


def test_no_sweep_is_one_setting_and_a_sweep_can_be_replaced():
    cfg = parse_study({"dynamics": {"checkpoint_every": 10.0}})
    assert cfg.axes == [] and cfg.shape == () and cfg.settings == [{}]
    quick = parse_study({"dynamics": {"checkpoint_every": 10.0}}, quick=True)
    assert quick.data["dynamics"]["checkpoint_every"] == 2.5  # a quarter, like the horizon: still 2 segments
    raw = {
        "sweep": {"kappa": [1.0, 2.0]},
        "outputs": {"panel_settings": [{"kappa": 2.0}]},
        "quick": {"sweep": {"kappa": [2.0]}},
    }
    cfg = parse_study(raw, sweep={"n_critic": [1, 5]}, quick=True)
    assert cfg.settings == [{"n_critic": 1}, {"n_critic": 5}] and cfg.data["outputs"]["panel_settings"] == []
    problems, _ = problems_of(raw, sweep={"kapa": [1.0]})
    assert problems == [
        "sweep.kapa: unknown axis; did you mean 'kappa'? (axes: kappa, n_critic, tau, payoff, bandwidth, discriminator)"
    ]


def test_defaults_quick_overrides_and_settings():
    cfg = parse_study(
        {
            "seeds": 4,
            "sweep": {"kappa": [1, "inf"], "bandwidth": [0.3, 0.5]},
            "quick": {"generator": {"n_particles": 8}},
        },
        quick=True,
    )
    assert cfg.seeds == [0, 1]  # quick: at most two seeds
    assert cfg.data["generator"]["n_particles"] == 8  # the config's own [quick] table wins
    assert cfg.data["dynamics"]["t1"] == 5.0 and cfg.data["dynamics"]["n_saves"] == 11
    assert cfg.data["outputs"]["animation_frames"] >= 11  # the GIF shows every save (was thinned to 8)
    assert cfg.shape == (2, 2)
    assert cfg.settings == [
        {"kappa": 1.0, "bandwidth": 0.3},
        {"kappa": 1.0, "bandwidth": 0.5},
        {"kappa": math.inf, "bandwidth": 0.3},
        {"kappa": math.inf, "bandwidth": 0.5},
    ]
    p = cfg.parameters({"kappa": 2.0, "n_critic": 3})
    assert p["lr_d"] == pytest.approx(2.0 * 0.05) and p["kappa_flow"] == 6.0 and p["n_steps"] == 100
    assert json.loads(json.dumps(cfg.to_json()))["sweep"]["kappa"] == [1.0, "inf"]


def test_toml_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[sweep\nkappa = [1]\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_study(bad)
    with pytest.raises(ConfigError, match="cannot read the file"):
        load_study(tmp_path / "missing.toml")
    good = tmp_path / "mine.toml"
    good.write_text("seeds = [3, 5]\n[sweep]\nkappa = [1, inf]\n")  # TOML's own inf works too
    cfg = load_study(good)
    assert cfg.name == "mine" and cfg.seeds == [3, 5] and cfg.settings[1]["kappa"] == math.inf


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_shipped_configs_validate(path):
    full, quick = load_study(path), load_study(path, quick=True)
    assert 1 <= len(full.axes) <= 2 and full.data["name"] == path.stem
    assert len(quick.settings) * len(quick.seeds) <= len(full.settings) * len(full.seeds)
    assert quick.data["generator"]["n_particles"] <= min(64, full.data["generator"]["n_particles"])
    assert quick.data["dynamics"]["t1"] < full.data["dynamics"]["t1"]
    # every shipped study is long and wide enough to see the end state (N >= 512, T >= 100, 5 seeds)
    assert full.data["generator"]["n_particles"] >= 512 and full.data["dynamics"]["t1"] >= 100
    assert len(full.seeds) >= 5 and full.data["dynamics"]["compare"] == ["flow", "gda"]


def test_ring8_kappa_config_sweeps_kappa_to_infinity_with_five_seeds():
    cfg = load_study(ROOT / "examples" / "configs" / "ring8_kappa.toml")
    assert cfg.axes == [
        ("kappa", [0.1, 0.3, 1.0, 3.0, 10.0, 100.0, math.inf]),
        ("discriminator", ["spectral", "rff:256", "rff:4096"]),
    ]
    assert len(cfg.seeds) >= 5 and cfg.data["dynamics"]["compare"] == ["flow", "gda"]
    assert cfg.data["generator"]["n_particles"] >= 512 and cfg.data["dynamics"]["t1"] >= 100
    quick = load_study(ROOT / "examples" / "configs" / "ring8_kappa.toml", quick=True).data["description"]
    assert quick.startswith("Quick mode: ") and "generator.n_particles = 32 (full: 512)" in quick
    assert "dynamics.t1 = 5 (full: 100)" in quick and quick.endswith(cfg.data["description"])
    for count in (256, 4096):
        params = cfg.parameters({"kappa": 1.0, "discriminator": f"rff:{count}"})
        assert params["kind"] == "rff" and params["n_features"] == count


# ---- the games a config builds ---------------------------------------------------------------
def test_kappa_inf_plays_the_optimal_witness_over_the_same_features():
    cfg = parse_study({"discriminator": {"kind": "rff", "n_features": 16}, "sweep": {"kappa": [2.0, "inf"]}})
    data, x0, keys = build_problem(cfg, seed=0)
    finite = build_game(cfg, cfg.parameters({"kappa": 2.0}), data, keys, x0)
    best = build_game(cfg, cfg.parameters({"kappa": math.inf}), data, keys, x0)
    assert isinstance(finite.discriminator, df.FiniteRank)
    assert isinstance(best.discriminator, df.OptimalWitness)
    np.testing.assert_array_equal(best.discriminator.kernel.frequencies, finite.discriminator.features.frequencies)
    # its witness is theta* . phi with theta* = (mean phi over the data - mean phi over the particles) / reg
    phi = np.asarray(finite.discriminator.features(np.concatenate([data.points, x0])))
    theta = (phi[: data.size].mean(axis=0) - phi[data.size :].mean(axis=0)) / cfg.data["game"]["reg"]
    z = np.asarray(x0[:5])
    f, _ = best.discriminator.witness(best, None, x0, np.full(x0.shape[0], 1 / x0.shape[0]), z)
    np.testing.assert_allclose(np.asarray(f), np.asarray(finite.discriminator.features(z)) @ theta, rtol=1e-10)

    exact = parse_study({"discriminator": {"kind": "exact"}, "sweep": {"kappa": [2.0, "inf"]}})
    assert isinstance(
        build_game(exact, exact.parameters({"kappa": math.inf}), data, keys, x0).discriminator, df.OptimalWitness
    )
    assert isinstance(build_game(exact, exact.parameters({"kappa": 2.0}), data, keys, x0).discriminator, df.ExactRKHS)


def test_seeds_fix_data_start_and_features():
    cfg = parse_study({"generator": {"n_particles": 8}, "target": {"n_data": 16}, "sweep": {"kappa": [1.0]}})
    a, b, c = build_problem(cfg, 3), build_problem(cfg, 3), build_problem(cfg, 4)
    np.testing.assert_array_equal(a[0].points, b[0].points)
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.allclose(a[1], c[1])
    assert a[0].points.dtype == np.float64 and a[1].shape == (8, 2)


# ---- a tiny study, checked against the saved arrays ------------------------------------------
TINY = {
    "name": "tiny",
    "seeds": 2,
    "target": {"name": "ring8", "n_data": 32, "std": 0.2},  # wide modes: some coverage after a short run
    "generator": {"n_particles": 16, "init": "gaussian"},
    "discriminator": {"kind": "rff", "n_features": 32, "bandwidth": 0.5},  # the NumPy check replays these features
    "game": {"reg": 1.0},
    "dynamics": {"tau": 0.1, "t1": 1.0, "n_saves": 6},
    # kappa = 100: lr_d * reg = 10 > 2, GDA's D-step diverges: a failed run that must not stop the study
    "sweep": {"kappa": [1.0, 100.0, "inf"]},
    "metrics": {"every": 1, "distances": ["w2", "mmd"]},
    "outputs": {"panel_settings": [{"kappa": "inf"}], "panel_times": [0.0, 1.0], "animation_frames": 3},
}


def test_tiny_study(tmp_path):
    """One small study (12 runs, about 15 s), checked from every side below (one test, so that
    parallel workers do not each run it)."""
    summary = run_study(TINY, tmp_path, log=False)
    check_results_folder(tmp_path, summary)
    check_failed_runs_are_recorded(summary)
    check_summary_against_numpy(tmp_path, summary)
    check_same_start(tmp_path)


def check_results_folder(out, summary):
    assert_json(out / "summary.json", ("study", "settings", "runs", "seeds", "versions", "timings_s"))
    assert_json(out / "config.json", ("name", "target", "dynamics", "sweep"))
    assert_npz(out / "arrays.npz", ("ts", "n_covered", "occupancy", "points", "result", "centres"))
    assert "covered modes" in (out / "table.md").read_text().splitlines()[0]
    for name in (
        "coverage_table.png",
        "hq_table.png",
        "coverage_over_time.png",
        "metrics_kappa-inf.png",
        "panels_kappa-inf.png",
    ):
        assert_figure(out / name)
    assert_animation(out / "animation_kappa-100.gif")
    on_disk = json.loads((out / "summary.json").read_text())
    assert on_disk["study"] == "tiny" and on_disk["seeds"] == [0, 1]
    assert on_disk["versions"]["dualflow"] == df.__version__ and on_disk["versions"]["jax"] == jax.__version__
    assert set(on_disk["timings_s"]) >= {"solve_s", "metrics_s", "plots_s", "total_s"}
    assert on_disk["axes"] == [{"name": "kappa", "values": [1.0, 100.0, "inf"]}]
    assert json.loads((out / "config.json").read_text())["sweep"]["kappa"] == [1.0, 100.0, "inf"]
    assert len(on_disk["runs"]) == 3 * 2 * 2
    for entry in on_disk["settings"]:
        for dyn in ("flow", "gda"):
            stats = entry["dynamics"][dyn]
            assert set(stats) >= {
                "n_covered",
                "high_quality_fraction",
                "kl_occupancy",
                "w2",
                "mmd",
                "mode_hops",
                "results",
                "n_failed",
            }
    check_table(out, on_disk)


def check_table(out, summary):
    """`table.md`: one row per setting and dynamics whose cells are the summary's seed statistics."""
    from dualflow.experiments.runners.measure import TABLE_COLUMNS

    lines = (out / "table.md").read_text().splitlines()
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    assert header[:3] == ["kappa", "dynamics", "covered modes at T (of 8)"]
    assert len(lines) == 2 + 3 * 2 and len(header) == 2 + len(TABLE_COLUMNS)
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in lines[2:]]
    for row, (entry, dyn) in zip(rows, [(e, d) for e in summary["settings"] for d in ("flow", "gda")]):
        stats = entry["dynamics"][dyn]
        assert row[0] == entry["label"].split("=")[-1].strip() and row[1].startswith(stats["label"])
        for cell, (name, _, fmt) in zip(row[2:], TABLE_COLUMNS):
            s = stats[name]
            if s["mean"] is None:
                assert cell == "n/a"
                continue
            mean, std = (float(v) for v in cell.split(" [")[0].split(" ± "))
            assert mean == pytest.approx(s["mean"], abs=0.51 * 10 ** -int(fmt[1]))
            assert std == pytest.approx(s["std"], abs=0.51 * 10 ** -int(fmt[1]))
            if name == "n_covered":
                assert cell.endswith(f"[{s['min']:.0f}, {s['max']:.0f}]")


def check_failed_runs_are_recorded(summary):
    gda = summary["settings"][1]["dynamics"]["gda"]  # kappa = 100
    assert summary["settings"][1]["setting"] == {"kappa": 100.0}
    assert gda["n_failed"] == 2 and set(gda["results"]) <= {"BLEW_UP", "NONFINITE"}
    assert summary["failed_runs"] >= 2
    assert summary["settings"][0]["dynamics"]["gda"]["results"] == {"SUCCESSFUL": 2}
    assert all(r["result"] == "SUCCESSFUL" for r in summary["runs"] if r["setting"]["kappa"] == "inf")


def numpy_coverage(points, centres, std, radius_stds=3.0, min_fraction=0.05):
    """Covered modes and high-quality fraction of uniform particles, plain NumPy."""
    distances = np.linalg.norm(points[:, None, :] - centres[None, :, :], axis=-1)
    nearest = distances.argmin(axis=1)
    on_mode = distances.min(axis=1) <= radius_stds * std
    counts = np.array([np.sum(on_mode & (nearest == k)) for k in range(len(centres))])
    fractions = counts / len(points)
    return int(np.sum(fractions >= min_fraction)), float(on_mode.mean())


def numpy_mmd(x, y, bandwidth):
    def k(a, b):
        return np.exp(-np.sum((a[:, None] - b[None]) ** 2, axis=-1) / (2 * bandwidth**2))

    return math.sqrt(max(k(x, x).mean() + k(y, y).mean() - 2 * k(x, y).mean(), 0.0))


def check_summary_against_numpy(out, summary):
    arrays = np.load(out / "arrays.npz")
    assert list(arrays["axis0_labels"]) == ["1", "100", "inf"] and list(arrays["dynamics"]) == ["flow", "gda"]
    centres = np.array([[2 * math.cos(2 * math.pi * k / 8), 2 * math.sin(2 * math.pi * k / 8)] for k in range(8)])
    np.testing.assert_allclose(arrays["centres"], centres, atol=1e-12)
    spacing = 4 * math.sin(math.pi / 8)  # neighbouring centres of the ring of radius 2
    assert arrays["points"].shape == (3, 2, 2, 6, 16, 2)
    assert arrays["trajectory_index"][-1] == 5
    for i, entry in enumerate(summary["settings"]):
        for r, dyn in enumerate(("flow", "gda")):
            stats = entry["dynamics"][dyn]
            covered, quality, mmds = [], [], []
            for k in range(2):
                ts = arrays["ts"][i, r, k]
                last = np.flatnonzero(np.all(np.isfinite(arrays["points"][i, r, k]), axis=(1, 2)) & np.isfinite(ts))[-1]
                x = arrays["points"][i, r, k, last].astype(np.float64)
                n, q = numpy_coverage(x, centres, 0.2)
                covered.append(n)
                quality.append(q)
                mmds.append(numpy_mmd(x, arrays["data_points"][k], spacing))
                if stats["n_failed"] == 0:
                    assert ts[-1] == pytest.approx(1.0)
            assert stats["n_covered"]["values"] == covered
            np.testing.assert_allclose(stats["high_quality_fraction"]["values"], quality, atol=1e-12)
            assert stats["n_covered"]["mean"] == pytest.approx(np.mean(covered))
            assert stats["n_covered"]["std"] == pytest.approx(np.std(covered))
            assert (stats["n_covered"]["min"], stats["n_covered"]["max"]) == (min(covered), max(covered))
            if stats["n_failed"] == 0:  # positions saved as float32: MMD to ~1e-6
                np.testing.assert_allclose(stats["mmd"]["values"], mmds, rtol=1e-4, atol=1e-6)
            # the metrics over time end with the same final coverage
            np.testing.assert_array_equal(
                arrays["n_covered"][i, r, :, -1][np.isfinite(arrays["n_covered"][i, r, :, -1])],
                np.array(covered)[np.isfinite(arrays["n_covered"][i, r, :, -1])],
            )


def check_same_start(out):
    arrays = np.load(out / "arrays.npz")
    np.testing.assert_array_equal(arrays["points"][:, 0, :, 0], arrays["points"][:, 1, :, 0])
    np.testing.assert_array_equal(arrays["points"][0, :, :, 0], arrays["points"][2, :, :, 0])


# ---- the examples ----------------------------------------------------------------------------
def load_example(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ROOT / "examples"))
    return module


def test_grid25_example_quick(tmp_path):
    results = load_example("mode_collapse_grid25").main(["--quick", "--out", str(tmp_path)])
    summary = results["grid25_kappa"]
    assert summary["target"]["n_modes"] == 25 and summary["quick"]
    assert_figure(tmp_path / "grid25_kappa" / "coverage_table.png")
