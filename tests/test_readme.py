"""The README's Python API block runs as written and its stated numbers hold, checked against the
plain-NumPy GDA of `numpy_gda.py` (an independent implementation) and its Richardson limit."""

import pathlib
import re

import numpy as np
from numpy_gda import numpy_gda

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def test_readme_api_block_runs_and_its_numbers_hold():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "README has no python block"
    namespace = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    sol, flow, order = namespace["sol"], namespace["flow"], namespace["order"]
    assert sol.points.shape == (1001, 2, 1) and flow.points.shape == (101, 2, 1)
    assert flow.result_name == "SUCCESSFUL"

    y, p = np.array([[-1.0], [1.0]]), np.array([0.5, 0.5])
    x, m = np.array([[1.6], [1.7]]), np.array([0.5, 0.5])

    def reference(lr_g, steps):
        return numpy_gda(y, p, x, m, order, 1, steps, m, sigma=0.5, reg=1.0, lr_g=lr_g, lr_d=10 * lr_g)

    # the last GDA run of the block is the plain NumPy GDA
    np.testing.assert_allclose(np.asarray(sol.points), reference(0.01, 1000), rtol=0, atol=1e-10)
    # the stated flow end point: the Richardson limit of the NumPy GDA (first order in lr_g)
    limit = 2 * reference(0.005, 2000)[-1] - reference(0.01, 1000)[-1]
    stated = np.array([[0.658], [1.344]])
    assert np.max(np.abs(np.asarray(flow.final_points) - limit)) < 1e-4
    assert np.max(np.abs(limit - stated)) < 5e-4  # the README's three decimals
    # "every GDA order stays within 0.005 of the flow on [0, 10]" (saves every 0.1: every 10th step)
    for other in ("simultaneous", "alternating_d_first", "alternating_g_first"):
        path = numpy_gda(y, p, x, m, other, 1, 1000, m, sigma=0.5, reg=1.0, lr_g=0.01, lr_d=0.1)
        assert np.max(np.abs(path[::10] - np.asarray(flow.points))) < 0.005, other
