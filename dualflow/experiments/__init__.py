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

The runners import jax; they are imported on first use (PEP 562 `__getattr__`), so that the
command line (`cli`, `config`) starts without it.
"""

from importlib import import_module
from typing import TYPE_CHECKING

from .cli import main as main
from .config.demo import demo_config as demo_config
from .config.stability import LinearizeConfig as LinearizeConfig, PhaseConfig as PhaseConfig
from .config.study import ConfigError as ConfigError, StudyConfig as StudyConfig, load_study as load_study

#: The runners' public functions, by module (imported on first use; the `TYPE_CHECKING` block
#: below names the same for type checkers and the API docs).
_RUNNERS = {
    "compare": ("run_compare",),
    "demo": ("run_demo",),
    "stability": ("run_linearize", "run_phase"),
    "study": ("finish_study", "run_study"),
}
_WHERE = {name: module for module, names in _RUNNERS.items() for name in names}
__all__ = ["main", "demo_config", "LinearizeConfig", "PhaseConfig", "ConfigError", "StudyConfig", "load_study", *_WHERE]


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(import_module(f".runners.{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:
    from .runners.compare import run_compare as run_compare
    from .runners.demo import run_demo as run_demo
    from .runners.stability import run_linearize as run_linearize, run_phase as run_phase
    from .runners.study import finish_study as finish_study, run_study as run_study
