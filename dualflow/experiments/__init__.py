"""Experiments and the command line. Nothing else in dualflow imports this package.

- `config/`: what a run is asked to do. `StudyConfig` and `load_study` (mode-collapse studies
  from TOML; the schema in `config.schema`), `demo_config` (the shipped `config/demo.toml`),
  `PhaseConfig`, `LinearizeConfig`.
- `runners/`: what runs it. `run_study` (and `finish_study`), `run_compare`, `run_demo`,
  `run_phase`, `run_linearize`; the games built in `runners.build`, measured and summarised in
  `runners.measure`, drawn in `runners.figures`.
- `store/`: what is kept. Atomic file writes (`store.files`), the resumable run store
  (`store.runs`), checkpointed segments (`store.checkpoints`), JSON records (`store.records`).
- `cli.py`: the `dualflow` command line (`python -m dualflow` too); the only place the global
  `jax_enable_x64` flag is set (runners called from Python compute in float64 in a scoped
  context instead).
"""

from .cli import main as main
from .config.demo import demo_config as demo_config
from .config.stability import LinearizeConfig as LinearizeConfig, PhaseConfig as PhaseConfig
from .config.study import ConfigError as ConfigError, StudyConfig as StudyConfig, load_study as load_study
from .runners.compare import run_compare as run_compare
from .runners.demo import run_demo as run_demo
from .runners.stability import run_linearize as run_linearize, run_phase as run_phase
from .runners.study import finish_study as finish_study, run_study as run_study
