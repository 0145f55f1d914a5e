"""The clipped-WGAN toy and the neural-players example run in quick mode and report what they claim."""

import math

import numpy as np
import pytest
from content_checks import assert_figure
from test_examples import load  # tests/ is on sys.path under pytest; it also puts examples/ there


def test_clipped_wgan_toy_quick(tmp_path):
    summary = load("clipped_wgan_toy").main(["--quick", "--out", str(tmp_path)])
    tau, clip = summary["gda_lr_g"], summary["clip"]
    aggregating = [name for name in "ABCD" if math.isfinite(summary[name]["predicted"]["aggregation_time"])]
    assert aggregating == ["A", "B"]  # two starts aggregate, two end on smaller cycles
    for name in "ABCD":
        run = summary[name]
        predicted, flow, gda = run["predicted"], run["flow"], run["gda"]
        assert flow["max_deviation_from_exact"] < 1e-6  # the flow follows the exact event-driven solution
        for measured in (flow, gda):
            assert measured["period"] == pytest.approx(2 * np.pi, abs=1e-4 if measured is flow else 10 * tau)
            assert measured["final_radius_mean"] == pytest.approx(predicted["final_radius"], abs=2 * tau)
        if name in aggregating:
            assert predicted["final_radius"] == pytest.approx(clip, abs=1e-12)
            # measured on the save grid: within one save interval (flow), a few steps (GDA, saved every step)
            save_dt = summary["t1"] / 1200
            assert 0 <= flow["aggregation_time"] - predicted["aggregation_time"] <= save_dt + 1e-9
            assert abs(gda["aggregation_time"] - predicted["aggregation_time"]) <= 5 * tau
            assert gda["spread_after_aggregation"] == 0.0 and flow["spread_after_aggregation"] < 1e-6
        else:
            assert math.isinf(flow["aggregation_time"]) and math.isinf(gda["aggregation_time"])
            assert predicted["final_radius"] < clip - 0.1
            assert flow["final_spread"] == pytest.approx(predicted["final_spread"], abs=1e-6)
            assert gda["final_spread"] == pytest.approx(predicted["final_spread"], abs=10 * tau)
    assert_figure(tmp_path / "clipped_wgan_toy.png")


def test_neural_gan_quick(tmp_path):
    summary = load("neural_gan").main(["--quick", "--out", str(tmp_path)])
    runs = summary["runs"]
    assert len(runs) == 16  # 2 critics x 2 generators x 4 payoffs
    for name, run in runs.items():
        assert run["finite"] and run["result"] == "SUCCESSFUL", name
        assert np.all(np.isfinite(run["mmd_over_time"])), name
        assert run["mmd_start"] == pytest.approx(summary["mmd_start"], rel=1e-9)  # one common start
        assert 0 <= run["modes_covered"] <= 8
        # the non-saturating game is labelled as such (two payoffs), the logistic one is zero-sum
        assert run["zero_sum"] is (run["payoff"] != "NonSaturating")
        if run["payoff"] in ("WGAN-GP", "KernelIPM"):
            assert run["mmd_end"] < run["mmd_start"] / 2, name
    # free particles under the RFF critic with the kernel IPM (the kernel game) cover every mode
    best = runs["RFF critic / free particles / KernelIPM"]
    assert best["modes_covered"] == 8 and best["mmd_end"] < summary["mmd_start"] / 10
    assert_figure(tmp_path / "neural_gan.png")
