"""The `dualflow run` command: a shipped study in quick mode, and exit status 2 on a bad config."""

import json
import pathlib

import pytest
from content_checks import assert_animation, assert_figure, assert_json, assert_npz

from dualflow.experiments.cli import main

CONFIGS = pathlib.Path(__file__).resolve().parents[1] / "examples" / "configs"


def test_run_quick_writes_the_results_folder(tmp_path, capsys):
    out = tmp_path / "ring8"
    assert main(["run", str(CONFIGS / "ring8_kappa.toml"), "--quick", "--out", str(out)]) == 0
    progress = capsys.readouterr().err
    assert "[dualflow] (1/" in progress and "modes covered" in progress  # one line per run on stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["quick"] and summary["study"] == "ring8_kappa"
    runs = len(summary["settings"]) * len(summary["dynamics"]) * len(summary["seeds"])
    assert len(summary["runs"]) == runs and progress.count("[dualflow] (") == runs
    assert summary["kind"] == "study" and len(list((out / "runs").glob("*.json"))) == runs
    assert_json(out / "config.json", ("name", "target", "discriminator", "dynamics", "sweep"))
    assert_npz(out / "arrays.npz", ("ts", "n_covered", "occupancy", "points", "result"))
    table = (out / "table.md").read_text().splitlines()
    assert "covered modes" in table[0] and len(table) == 2 + len(summary["settings"]) * len(summary["dynamics"])
    for name in ("coverage_table.png", "coverage_over_time.png"):
        assert_figure(out / name)  # and its .svg
    animations, panels = list(out.glob("animation_*.gif")), list(out.glob("panels_*.png"))
    assert animations and panels
    assert_animation(animations[0])
    assert_figure(panels[0])


def test_run_rejects_a_bad_config_with_status_2(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[dynamics]\nkapa = 3\nt1 = 'long'\nflow_max_steps = 10\n[sweep]\nkappa = [1]\n")
    assert main(["run", str(bad), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "dualflow run: error: invalid study configuration" in err
    assert "dynamics.kapa: unknown key; did you mean 'kappa'?" in err
    assert "dynamics.t1: expected a finite number, received a string 'long'" in err
    assert "dynamics.flow_max_steps: renamed, write `dynamics.max_steps`" in err  # a former key names the new one
    assert not (tmp_path / "out").exists()  # nothing ran
    assert main(["run", str(tmp_path / "missing.toml")]) == 2
    assert "cannot read the file" in capsys.readouterr().err


def test_run_help_and_usage(capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert "CONFIG" in text and "--quick" in text and "--out" in text and "exit status 2" in text
    with pytest.raises(SystemExit) as info:
        main(["run"])  # CONFIG is required
    assert info.value.code == 2


def test_every_command_and_option_has_help(capsys):
    import argparse

    from dualflow.experiments.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(commands.choices) == {"demo", "run", "sweep", "compare", "plot", "phase", "linearize"}
    for name, sub in commands.choices.items():
        assert sub.description, name
        for action in sub._actions:
            assert action.help, (name, action.dest)
            default = action.default
            if default not in (None, False, argparse.SUPPRESS):  # an option's help states its default
                shown = f"{default:g}" if isinstance(default, float) else str(default)
                assert "default" in action.help and shown in action.help, (name, action.dest, action.help)
        with pytest.raises(SystemExit) as info:
            main([name, "--help"])
        assert info.value.code == 0
        assert sub.format_usage().split()[1] in capsys.readouterr().out


def _unusable_out(tmp_path, kind):
    """An --out that cannot be a results folder, and the words the error must use."""
    file = tmp_path / "a_file"
    file.write_text("not a folder")
    return {
        "file": (file, "a file of that name exists; expected a folder"),
        "under_a_file": (file / "out", "a part of the path is a file, not a folder"),
        "too_long": (tmp_path / ("x" * 300), "a name in the path is too long"),
    }[kind]


@pytest.mark.parametrize("kind", ["file", "under_a_file", "too_long"])
@pytest.mark.parametrize(
    "command",
    [
        ["demo", "--quick"],
        ["run", str(CONFIGS / "ring8_kappa.toml"), "--quick"],
        ["sweep", str(CONFIGS / "ring8_kappa.toml"), "--quick", "--over", "kappa=1"],
        ["compare", str(CONFIGS / "ring8_kappa.toml"), "--quick"],
        ["phase", "--x", "bandwidth:0.2:5:3", "--y", "reg:0.01:1:3"],
        ["linearize", "--data", "0", "--generator", "0"],
    ],
    ids=lambda c: c[0] if isinstance(c, list) else c,
)
def test_an_unusable_out_is_refused_before_anything_runs(tmp_path, capsys, monkeypatch, command, kind):
    from dualflow.experiments.runners import build

    def never(*args, **kwargs):
        raise AssertionError("computation started")

    monkeypatch.setattr(build, "build_problem", never)  # no study, demo or comparison starts
    out, words = _unusable_out(tmp_path, kind)
    assert main([*command, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"dualflow {command[0]}: error: --out {out}" in err and words in err
    assert "Traceback" not in err


def test_a_config_that_is_not_utf8_is_a_config_error(tmp_path, capsys):
    for name, payload in (("binary.toml", bytes(range(256))), ("utf16.toml", "name = 'x'\n".encode("utf-16"))):
        (tmp_path / name).write_bytes(payload)
        assert main(["run", str(tmp_path / name), "--out", str(tmp_path / "out")]) == 2
        err = capsys.readouterr().err
        assert f"dualflow run: error: invalid study configuration in {tmp_path / name}" in err
        assert "not UTF-8 text" in err and "saved as UTF-8" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["sweep", "--over", "kapa=1,2"], "argument --over: unknown axis 'kapa' in 'kapa=1,2'; did you mean 'kappa'?"),
        (
            ["compare", "--set", "bandwith=0.3"],
            "argument --set: unknown axis 'bandwith' in 'bandwith=0.3'; did you mean",
        ),
    ],
)
def test_a_misspelt_axis_on_the_command_line_names_the_option(tmp_path, capsys, argv, message):
    with pytest.raises(SystemExit) as info:
        main([argv[0], str(CONFIGS / "ring8_kappa.toml"), *argv[1:], "--out", str(tmp_path / "o")])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "configuration" not in err


TINY = """name = "tiny"
seeds = 1
[target]
n_data = 16
[generator]
n_particles = 8
[discriminator]
n_features = 16
[dynamics]
t1 = 2.0
tau = 0.05
n_saves = 3
[metrics]
every = 2
distances = ["mmd"]
[outputs]
figures = false
animation = false
[sweep]
kappa = [1.0]
"""


def test_every_command_has_its_own_default_folder(tmp_path, monkeypatch):
    """`dualflow-output/<name>[-<command>][-quick]`: `run` and `sweep` of one config, quick or
    not, never write into one folder (a sweep's figures beside a run's stale ones)."""
    from dualflow.experiments.config.demo import demo_config
    from dualflow.experiments.config.study import default_folder, parse_study

    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny.toml").write_text(TINY)
    assert main(["run", "tiny.toml", "--quick"]) == 0
    assert main(["sweep", "tiny.toml", "--over", "kappa=1", "--quick"]) == 0
    assert main(["run", "tiny.toml"]) == 0
    assert sorted(p.name for p in (tmp_path / "dualflow-output").iterdir()) == [
        "tiny",
        "tiny-quick",
        "tiny-sweep-quick",
    ]
    for folder in (tmp_path / "dualflow-output").iterdir():
        assert (folder / "summary.json").exists()
    full, quick = parse_study({"name": "s"}), parse_study({"name": "s"}, quick=True)
    names = [str(default_folder(cfg, command)) for cfg in (full, quick) for command in ("run", "sweep", "compare")]
    assert names == [
        f"dualflow-output/{name}"
        for name in ("s", "s-sweep", "s-compare", "s-quick", "s-sweep-quick", "s-compare-quick")
    ]
    assert [str(default_folder(demo_config(quick=q))) for q in (False, True)] == [
        "dualflow-output/demo",
        "dualflow-output/demo-quick",
    ]
