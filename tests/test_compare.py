"""`dualflow compare`: flow versus GDA at several tau, checked against an independent NumPy/scipy
computation of both dynamics (random Fourier features, kernel IPM, Wasserstein velocity,
alternating GDA with the discriminator first)."""

import argparse
import json
import math
from pathlib import Path

import numpy as np
import pytest
from content_checks import assert_figure, assert_json, assert_npz
from scipy.integrate import solve_ivp

from dualflow.analysis.convergence import flow_gda_errors
from dualflow.experiments.cli import build_parser, main
from dualflow.experiments.config.study import ConfigError, load_study
from dualflow.experiments.runners.build import build_game, build_problem
from dualflow.experiments.runners.compare import first_order_regime, run_compare

CONFIG = Path(__file__).resolve().parents[1] / "examples" / "configs" / "ring8_kappa.toml"
KAPPA = 0.3  # a slow discriminator: smooth dynamics on [0, T], where the first order shows at these taus
SETTING = {"kappa": KAPPA, "discriminator": "rff"}  # the random-feature critic, which the NumPy reference plays


# ---- an independent implementation of the game -----------------------------------------------
def _numpy_game(kappa):
    """The quick ring8 game of seed 0 as plain NumPy: features (W, b, s), data, ridge, start."""
    cfg = load_study(CONFIG, quick=True)
    params = cfg.parameters({"kappa": kappa, "discriminator": "rff"})
    data, x0, keys = build_problem(cfg, 0)
    features = build_game(cfg, params, data, keys, x0).discriminator.features  # the random draw only
    return dict(
        W=np.asarray(features.frequencies),
        b=np.asarray(features.phases),
        s=float(features.scale),
        y=np.asarray(data.points),
        p=np.asarray(data.masses),
        x0=np.asarray(x0),
        reg=cfg.data["game"]["reg"],
        kappa=kappa,
        t1=cfg.data["dynamics"]["t1"],
    )


def _phi(g, x):
    return g["s"] * np.cos(x @ g["W"].T + g["b"])


def _grad_f(g, theta, x):  # f = theta . phi, Wasserstein velocity dx/dt = grad f(x)
    return (-g["s"] * np.sin(x @ g["W"].T + g["b"]) * theta) @ g["W"]


def _ascent(g, theta, x):  # mean_nu phi - mean_mu phi - lam theta (masses 1/N)
    return g["p"] @ _phi(g, g["y"]) - _phi(g, x).mean(axis=0) - g["reg"] * theta


def _numpy_flow(g, ts):
    n = g["x0"].shape[0]

    def rhs(t, z):
        x, theta = z[: 2 * n].reshape(n, 2), z[2 * n :]
        return np.concatenate([_grad_f(g, theta, x).ravel(), g["kappa"] * _ascent(g, theta, x)])

    z0 = np.concatenate([g["x0"].ravel(), np.zeros(g["W"].shape[0])])
    sol = solve_ivp(rhs, (0.0, ts[-1]), z0, method="DOP853", t_eval=ts, rtol=1e-12, atol=1e-13)
    assert sol.success
    return sol.y[: 2 * n].T.reshape(len(ts), n, 2)


def _numpy_gda(g, tau, n_steps, save_every):
    x, theta = g["x0"].copy(), np.zeros(g["W"].shape[0])
    saved = [x.copy()]
    for k in range(1, n_steps + 1):
        theta = theta + g["kappa"] * tau * _ascent(g, theta, x)  # D-step first
        x = x + tau * _grad_f(g, theta, x)  # G-step with the new discriminator
        if k % save_every == 0:
            saved.append(x.copy())
    return np.stack(saved)


# ---- the quick ring8 comparison ----------------------------------------------------------------
@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    summary = run_compare(CONFIG, out, setting=SETTING, quick=True, log=False)
    return out, summary


def test_files_and_summary(quick_run):
    out, summary = quick_run
    assert_json(out / "compare.json", ("kind", "taus", "errors", "slope", "runs"))
    assert_npz(out / "arrays.npz", ("ts", "taus", "flow_points", "gda_points", "errors"))
    assert_figure(out / "compare.png")  # and compare.svg
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]  # atomic writes left no temporaries
    written = json.loads((out / "compare.json").read_text())
    assert written["kind"] == "compare" and written["quick"] and written["seed"] == 0
    assert written["setting"] == SETTING and written["parameters"]["kappa"] == KAPPA
    assert written["taus"] == [0.05, 0.025, 0.0125]  # the config's tau, tau/2, tau/4
    assert [e["n_steps"] for e in written["errors"]] == [100, 200, 400]  # quick horizon 5
    assert written["config"]["dynamics"]["t1"] == 5.0
    assert [r["result"] for r in written["runs"]] == ["SUCCESSFUL"] * 5  # flow, check flow, three GDA runs
    assert written["flow"]["settings"]["rtol"] <= 1e-10 and written["flow_check"]["accurate"]
    assert {"dualflow", "jax", "numpy"} <= set(written["versions"])
    assert set(written["final_metrics"]) == {"flow", "gda tau=0.05", "gda tau=0.025", "gda tau=0.0125"}
    assert 0 <= written["final_metrics"]["flow"]["n_covered"] <= 8 and written["final_metrics"]["flow"]["w2"] > 0
    assert set(written["files"]) >= {"arrays", "figure", "figure_svg", "compare"}
    assert (out / "compare.svg").read_text().lstrip().startswith("<?xml")


def test_trajectories_and_errors_against_numpy_and_scipy(quick_run):
    out, summary = quick_run
    a = np.load(out / "arrays.npz")
    g = _numpy_game(KAPPA)
    np.testing.assert_array_equal(a["x0"], g["x0"])
    np.testing.assert_array_equal(a["data_points"], g["y"])
    ts = a["ts"]
    np.testing.assert_allclose(ts, np.linspace(0.0, g["t1"], 101), atol=1e-12)  # every step of tau = 0.05

    flow = _numpy_flow(g, ts)
    np.testing.assert_allclose(a["flow_points"], flow, atol=1e-7)
    gda = np.stack([_numpy_gda(g, tau, n, n // 100) for tau, n in zip(a["taus"], a["n_steps"])])
    np.testing.assert_allclose(a["gda_points"], gda, atol=1e-9)

    errors = np.sqrt(((gda - flow[None]) ** 2).sum(axis=-1)).max(axis=-1)  # (taus, times)
    np.testing.assert_allclose(a["errors"], errors, atol=1e-6)
    written = json.loads((out / "compare.json").read_text())
    max_errors = errors.max(axis=1)
    np.testing.assert_allclose([e["max_error"] for e in written["errors"]], max_errors, rtol=1e-5)
    np.testing.assert_allclose([e["final_error"] for e in written["errors"]], errors[:, -1], rtol=1e-5)
    np.testing.assert_allclose([e["error_over_time"] for e in written["errors"]], errors, atol=1e-6)
    slope = np.polyfit(np.log(a["taus"]), np.log(max_errors), 1)[0]
    assert written["slope"] == pytest.approx(slope, abs=1e-4)

    # first order: the error halves with tau, at every time after the start and at its maximum
    assert np.all(np.diff(max_errors) < 0)
    ratios = errors[:-1, 1:] / errors[1:, 1:]
    assert np.all((ratios > 1.7) & (ratios < 2.3)), ratios.min()
    assert 0.9 < written["slope"] < 1.1
    assert written["first_order_regime"] and len(written["local_slopes"]) == 2
    # the reference flow's own error is far below the smallest GDA difference
    assert np.max(np.abs(a["flow_points"] - flow)) < 1e-4 * max_errors.min()


# ---- the measurement on a closed form ------------------------------------------------------------
def test_errors_and_slope_on_a_closed_form():
    """dx/dt = -x: the flow is x0 e^{-t}, GDA-like Euler steps x0 (1 - tau)^k; to first order
    e_tau(t) = |x0| t e^{-t} tau / 2, maximal at t = 1: E_tau -> |x0| tau / (2 e)."""
    x0 = np.array([[1.0, 0.0], [0.0, -2.0], [0.3, 0.4]])
    horizon, taus = 4.0, [0.02, 0.01, 0.005, 0.0025]
    ts = np.linspace(0.0, horizon, 201)  # every step of the largest tau
    flow = np.exp(-ts)[:, None, None] * x0
    gda = np.stack([(1 - tau) ** np.round(ts / tau)[:, None, None] * x0 for tau in taus])
    out = flow_gda_errors(ts, flow, gda, taus)
    assert out["errors"].shape == (4, 201) and np.all(out["errors"][:, 0] == 0)
    np.testing.assert_allclose(out["max_errors"] / np.asarray(taus), 2.0 / (2 * math.e), rtol=0.03)
    assert out["slope"] == pytest.approx(1.0, abs=0.02)
    np.testing.assert_allclose(
        out["final_errors"],
        np.abs((1 - np.asarray(taus)) ** (horizon / np.asarray(taus)) - math.exp(-horizon)) * 2.0,
        rtol=1e-9,
    )
    # an exact power law gives its exponent; a run that ended early has no maximum and is left out
    synthetic = 3.0 * np.asarray(taus) ** 1.5
    gda_pow = flow[None] + synthetic[:, None, None, None] * np.array([1.0, 0.0])
    out = flow_gda_errors(ts, flow, gda_pow, taus, gda_ends=[2.0, np.inf, np.inf, np.inf])
    assert np.isnan(out["max_errors"][0]) and np.all(np.isnan(out["errors"][0, ts > 2.0]))
    assert np.all(np.isfinite(out["errors"][0, ts <= 2.0]))
    np.testing.assert_allclose(out["max_errors"][1:], synthetic[1:], rtol=1e-12)
    assert out["slope"] == pytest.approx(1.5, abs=1e-12)
    assert np.isnan(out["local_slopes"][0])  # no maximum for the run that ended early
    np.testing.assert_allclose(out["local_slopes"][1:], 1.5, rtol=1e-12)
    assert not first_order_regime(out["local_slopes"])
    # two regimes: the largest step far off (its particles on other modes), then first order
    kinked = np.array([2.48, 0.3, 0.15, 0.075])
    gda_kink = flow[None] + kinked[:, None, None, None] * np.array([1.0, 0.0])
    out = flow_gda_errors(ts, flow, gda_kink, taus)
    np.testing.assert_allclose(out["local_slopes"], np.log2(kinked[:-1] / kinked[1:]), rtol=1e-12)
    assert not first_order_regime(out["local_slopes"]) and first_order_regime(out["local_slopes"][1:])
    with pytest.raises(ValueError, match="gda_points"):
        flow_gda_errors(ts, flow, gda[:2], taus)


# ---- validation and the command line ---------------------------------------------------------------
def test_validation_errors_name_the_option(tmp_path):
    with pytest.raises(ConfigError, match=r"--taus: .*tau = 0\.03 gives 166\.667 steps"):
        run_compare(CONFIG, tmp_path, taus=[0.05, 0.03], quick=True, log=False)
    with pytest.raises(ConfigError, match=r"--taus: .*distinct"):
        run_compare(CONFIG, tmp_path, taus=[0.05, 0.05], quick=True, log=False)
    with pytest.raises(ConfigError, match=r"--set kapa: unknown axis; did you mean 'kappa'\?"):
        run_compare(CONFIG, tmp_path, setting={"kapa": 3}, quick=True, log=False)
    with pytest.raises(ConfigError, match=r"--set kappa: expected a positive number"):
        run_compare(CONFIG, tmp_path, setting={"kappa": -1}, quick=True, log=False)
    with pytest.raises(ConfigError, match=r"--set payoff: expected one of"):
        run_compare(CONFIG, tmp_path, setting={"payoff": "logistc"}, quick=True, log=False)
    assert list(tmp_path.iterdir()) == []  # nothing ran, nothing was written


def _parse(argv):
    """The `compare` subparser and the arguments it parsed from `argv`."""
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return commands.choices["compare"], parser.parse_args(["compare", *argv])


def test_arguments_and_exit_status(tmp_path, capsys):
    parser, args = _parse(
        [
            str(CONFIG),
            "--taus",
            "0.1,0.05,0.025",
            "--set",
            "kappa=inf",
            "--set",
            "payoff=kernel_ipm",
            "--set",
            "n_critic=2",
            "--seed",
            "3",
            "--quick",
            "--out",
            str(tmp_path),
        ]
    )
    assert args.taus == [0.1, 0.05, 0.025] and args.seed == 3 and args.quick and args.out == str(tmp_path)
    assert args.set == [("kappa", math.inf), ("payoff", "kernel_ipm"), ("n_critic", 2)]
    assert all(action.help for action in parser._actions)

    with pytest.raises(SystemExit) as exit_info:  # a misspelt axis is refused by the parser, naming --set
        main(["compare", *[str(CONFIG), "--set", "kapa=3", "--quick", "--out", str(tmp_path)]])
    assert exit_info.value.code == 2
    assert "argument --set: unknown axis 'kapa' in 'kapa=3'; did you mean 'kappa'?" in capsys.readouterr().err
    assert main(["compare", *[str(CONFIG), "--taus", "0.03", "--quick", "--out", str(tmp_path)]]) == 2
    assert "--taus" in capsys.readouterr().err
    assert main(["compare", *[str(CONFIG), "--set", "kappa=1", "--set", "kappa=2", "--out", str(tmp_path)]]) == 2
    assert "--set kappa given twice" in capsys.readouterr().err
    assert main(["compare", *[str(tmp_path / "missing.toml"), "--out", str(tmp_path)]]) == 2
    assert "cannot read the file" in capsys.readouterr().err
    for bad in (["--taus", "0.1,x"], ["--taus", "-0.1"], ["--set", "kappa"], ["--seed", "-1"]):
        with pytest.raises(SystemExit) as exit_info:
            _parse([str(CONFIG), *bad])
        assert exit_info.value.code == 2
    assert list(tmp_path.iterdir()) == []


def test_plot_redraws_the_comparison(quick_run, tmp_path, capsys):
    import shutil

    out = tmp_path / "copy"
    shutil.copytree(quick_run[0], out)
    for name in ("compare.png", "compare.svg"):
        (out / name).unlink()
    capsys.readouterr()
    assert main(["plot", str(out)]) == 0
    assert f"[dualflow compare] wrote {out / 'compare.png'}, {out / 'compare.svg'}" in capsys.readouterr().err
    assert_figure(out / "compare.png")  # and compare.svg
