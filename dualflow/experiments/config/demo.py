r"""The demo's configuration: `demo.toml`, a study config shipped with the package (the values and
why they were chosen are in its comments), and `demo_config`, which reads it with the seed given.

`dualflow demo [--quick] [--seed S]` runs exactly this study with the study runner; the same
study from a copy of the file is `dualflow run demo.toml`.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from .study import StudyConfig, parse_study

#: The shipped file.
DEMO_CONFIG = Path(__file__).with_name("demo.toml")


def demo_config(*, quick: bool = False, seed: int = 0) -> StudyConfig:
    """The demo study, `demo.toml` with `seeds = [seed]` (and its `[quick]` table under `quick`).

    **Raises:** `ValueError` when `seed` is not a non-negative integer.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"`seed` must be a non-negative integer; received {seed!r}.")
    text = DEMO_CONFIG.read_text()
    raw = tomllib.loads(text)
    raw["seeds"] = [int(seed)]
    return parse_study(raw, quick=quick, source=str(DEMO_CONFIG), source_text=text)
