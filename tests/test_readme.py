"""The README's Python API block runs as written and does what it says."""

import pathlib
import re

import numpy as np

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def test_readme_api_block_runs():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "README has no python block"
    namespace = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    sol, flow = namespace["sol"], namespace["flow"]
    assert sol.points.shape == (1001, 2, 1)
    assert flow.points.shape == (101, 2, 1)
    assert flow.result_name == "SUCCESSFUL"
    assert np.all(np.isfinite(np.asarray(flow.points)))
