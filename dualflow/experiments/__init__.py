"""Experiments and the command line. Nothing else in dualflow imports this package.

- `run_demo`: the 8-Gaussian ring, exact-kernel dual flow versus GDA (`dualflow demo`).
- `main`: the `dualflow` command line (`python -m dualflow` too).
"""

from .cli import main as main
from .demo import DemoConfig as DemoConfig, run_demo as run_demo
