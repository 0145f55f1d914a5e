"""The results folder of a study, run by run: what makes sweeps resumable.

Layout of a study folder `OUT/`:

- `config.json` (the resolved configuration), `config_source.toml` (the file as given) and
  `study.json` (`{"kind": "study", "quick": ...}`), written before the first run;
- `runs/<setting>__<dynamics>__seed<k>.npz`: the run's `Solution` (every saved position, the
  discriminator's trace and final state, result code, step counts) and its metrics over time;
- `runs/<...>.json`: the run's record (final metrics, result, timings), written *last*: a run
  counts as finished exactly when its `.json` exists;
- `runs/<...>.checkpoint.npz`: the segments finished so far of a run in progress
  (`dynamics.checkpoint_every > 0`), removed once the run is finished.

Every file is written atomically (`results_store`), so a study killed at any moment leaves only
whole files; run again into the same folder, it skips the finished runs, resumes a run in progress
from its checkpoint and loses nothing. A folder holding runs of a *different* study (another
game, dynamics, size or metric settings) is refused rather than mixed; the sweep, the seeds and
the outputs may change between invocations (new settings and seeds are run, finished ones reused).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..config.study import StudyConfig, parse_study, setting_slug
from .checkpoints import load_solution, save_solution
from .files import ResultsFolderError, check_arrays, make_folder, read_json, write_json, write_text

__all__ = ["ResultsFolderError", "RunStore", "load_folder_config"]

#: Tables and keys of a config that may change between invocations on one folder.
FREE_KEYS = ("name", "description", "seeds", "sweep", "outputs")
_MEASURED = "measured_"


def _fingerprint(cfg: StudyConfig) -> dict:
    return {k: v for k, v in cfg.to_json().items() if k not in FREE_KEYS}


def _differences(old, new, where="") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new)):
            path = f"{where}.{key}" if where else key
            out += _differences(old.get(key), new.get(key), path)
        return out
    return [] if old == new else [f"{where}: {old!r} in the folder, {new!r} now"]


class RunStore:
    """The `runs/` of a study folder (see the module docstring).

    **Arguments:** `folder` (created if missing), `cfg` (the study), `fresh` (delete the folder's
    finished runs and checkpoints first).

    **Raises:** `ResultsFolderError` when the folder holds runs of a different study (the message
    lists the differing keys; use `fresh=True` or another folder).
    """

    def __init__(self, folder, cfg: StudyConfig, *, fresh: bool = False):
        self.folder = make_folder(folder)
        self.runs = self.folder / "runs"
        self.cfg = cfg
        if fresh:
            self.clear()
        previous = self.folder / "config.json"
        if previous.exists() and any(self.runs.glob("*.json")):
            try:
                stored = read_json(previous)
            except ResultsFolderError as error:
                raise ResultsFolderError(
                    f"{error}: the finished runs in {self.runs} cannot be checked against this study. "
                    "Restore that file, or use --fresh to delete those runs, or another --out."
                ) from None
            different = _differences(_fingerprint_of_json(stored), _fingerprint(cfg))
            if different:
                raise ResultsFolderError(
                    f"{self.folder} holds runs of a different study; finished runs would not be comparable:\n"
                    + "\n".join(f"  - {line}" for line in different[:12])
                    + "\nUse another --out, or --fresh to delete those runs."
                )
        self.runs.mkdir(parents=True, exist_ok=True)
        write_json(previous, cfg.to_json())
        write_json(self.folder / "study.json", {"kind": "study", "quick": cfg.quick})
        if cfg.source_text is not None:
            write_text(self.folder / "config_source.toml", cfg.source_text)

    def clear(self) -> int:
        """Delete the finished runs and checkpoints; returns how many files were removed."""
        removed = 0
        for pattern in ("*__seed*.json", "*__seed*.npz"):
            for path in self.runs.glob(pattern):
                path.unlink()
                removed += 1
        return removed

    @staticmethod
    def run_id(setting: dict, dynamics: str, seed: int) -> str:
        """`"kappa-0.1__flow__seed3"` (`"base"` for the one setting of an unswept study)."""
        return f"{setting_slug(setting) or 'base'}__{dynamics}__seed{seed}"

    def done(self, run_id: str) -> bool:
        """Whether the run is finished (its record exists)."""
        return (self.runs / f"{run_id}.json").exists()

    def damaged(self, run_id: str) -> str | None:
        """Why a finished run cannot be read back (its record is not valid JSON, its `.npz` is
        missing or truncated), or `None` when it can. Cheap: the arrays are not decompressed."""
        try:
            read_json(self.runs / f"{run_id}.json")
            check_arrays(self.runs / f"{run_id}.npz")
        except ResultsFolderError as error:
            return str(error)
        return None

    def checkpoint(self, run_id: str) -> Path:
        """The checkpoint file of a run in progress."""
        return self.runs / f"{run_id}.checkpoint.npz"

    def drop_damaged_checkpoint(self, run_id: str) -> str | None:
        """Delete the checkpoint of a run in progress if it cannot be read (truncated, damaged);
        returns why, or `None` when there is none or it is whole (the run restarts from scratch)."""
        path = self.checkpoint(run_id)
        if not path.exists():
            return None
        try:
            check_arrays(path)
        except ResultsFolderError as error:
            path.unlink()
            return str(error)
        return None

    def save(self, run_id: str, sol, measured: dict, record: dict) -> None:
        """Store a finished run: the solution and metrics, then the record, then drop the checkpoint."""
        arrays = {f"{_MEASURED}{k}": np.asarray(v) for k, v in measured.items() if _is_array_like(v)}
        save_solution(self.runs / f"{run_id}.npz", sol, **arrays)
        write_json(self.runs / f"{run_id}.json", record)
        self.checkpoint(run_id).unlink(missing_ok=True)

    def record(self, run_id: str) -> dict:
        """The record of a finished run."""
        record = read_json(self.runs / f"{run_id}.json")
        if isinstance(record.get("final"), dict):
            record["final"] = current_names(record["final"])
        return record

    def load(self, run_id: str, template) -> tuple:
        """`(solution, measured)` of a finished run (`template`: a discriminator state of the player)."""
        sol, arrays = load_solution(self.runs / f"{run_id}.npz", template)
        return sol, current_names({k[len(_MEASURED) :]: v for k, v in arrays.items() if k.startswith(_MEASURED)})


#: Names that runs stored by earlier versions use, and their names now (read transparently).
RENAMED_METRICS = {"num_covered": "n_covered"}


def current_names(table: dict) -> dict:
    """`table` with the metric names of earlier versions replaced by today's (`RENAMED_METRICS`)."""
    return {RENAMED_METRICS.get(k, k): v for k, v in table.items()}


def _is_array_like(value) -> bool:
    return isinstance(value, (int, float, np.ndarray, np.generic)) and not isinstance(value, bool)


def _fingerprint_of_json(config: dict) -> dict:
    return {k: v for k, v in config.items() if k not in FREE_KEYS}


def load_folder_config(folder) -> StudyConfig:
    """The `StudyConfig` of a study folder (from its `config.json` and `study.json`).

    **Raises:** `ResultsFolderError` if the folder is not a study's.
    """
    folder = Path(folder)
    config, marker = folder / "config.json", folder / "study.json"
    if not (config.exists() and marker.exists()):
        raise ResultsFolderError(
            f"{folder} is not a study folder (no config.json and study.json); "
            "give the --out folder of `dualflow run` or `dualflow sweep`."
        )
    study = read_json(marker)
    quick = bool(study.get("quick", False)) if isinstance(study, dict) else False
    data = parse_study(read_json(config), source=str(config)).data  # "inf" reads as kappa = inf
    source = folder / "config_source.toml"
    return StudyConfig(
        data=data,
        quick=quick,
        source=str(config),
        source_text=source.read_text(encoding="utf-8", errors="replace") if source.exists() else None,
    )
