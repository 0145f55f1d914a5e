"""Experiments and the command line. Nothing else in dualflow imports this package.

- `run_demo`: the 8-Gaussian ring, exact-kernel dual flow versus GDA (`dualflow demo`).
- `run_study`, `load_study`: mode-collapse studies from TOML configs (`dualflow run CONFIG`; see
  `dualflow.experiments.mode_collapse` and the schema in `dualflow.experiments.study_config`).
- `main`: the `dualflow` command line (`python -m dualflow` too).
"""

from .cli import main as main
from .demo import DemoConfig as DemoConfig, run_demo as run_demo
from .mode_collapse import run_study as run_study
from .study_config import ConfigError as ConfigError, StudyConfig as StudyConfig, load_study as load_study
