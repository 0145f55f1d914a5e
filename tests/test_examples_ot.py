"""The optimal-transport examples run in quick mode and report what they claim."""

import numpy as np
from content_checks import assert_figure
from test_examples import load  # tests/ is on sys.path under pytest; it also puts examples/ there


def test_sinkhorn_flow_quick(tmp_path):
    summary = load("sinkhorn_flow").main(["--quick", "--out", str(tmp_path)])
    runs = summary["runs"]
    assert set(runs) == {"0.01", "0.05", "0.2"}
    for run in runs.values():
        assert run["result"] == "SUCCESSFUL"
        divergence = np.asarray(run["sinkhorn_divergence"])
        assert np.all(np.diff(divergence) < 0)  # the flow descends the functional it follows
        assert run["divergence_decrease_factor"] > 5e3  # measured: 1.9e5, 3.1e4, 7.9e3
        assert run["w2_squared"][-1] < 1e-2 * run["w2_squared"][0]
    # the smaller epsilon, the sooner the modes are covered (measured at t = 4: 8, 7, 1 of 8)
    assert runs["0.01"]["final_covered_modes"] == 8
    assert runs["0.05"]["final_covered_modes"] >= 6
    assert (
        runs["0.01"]["final_covered_modes"] >= runs["0.05"]["final_covered_modes"] >= runs["0.2"]["final_covered_modes"]
    )
    assert runs["0.01"]["w2_squared"][-1] < runs["0.05"]["w2_squared"][-1] < runs["0.2"]["w2_squared"][-1]
    for name in ("sinkhorn_flow_particles.png", "sinkhorn_flow_curves.png"):
        assert_figure(tmp_path / name)
