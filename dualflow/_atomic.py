"""Files written atomically: to a temporary file in the same folder, then moved into place with
`os.replace`, so a reader (or a program interrupted half-way) never sees a half-written file.

Used by the results store (`dualflow.experiments.store.files`) and by the animations
(`dualflow.plotting.animation`), whose writers (matplotlib's) need a path rather than bytes.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path"]


@contextlib.contextmanager
def atomic_path(path, *, suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary path beside `path` (folders created) to write to; when the block ends
    normally it is moved onto `path`, when it raises it is removed and `path` is left as it was.

    The temporary file is hidden (`.<name>.<random><suffix>`); a writer that picks its format
    from the file name gets it from `suffix` (e.g. `".tmp.gif"`).

    **Example:**

    ```python
    with atomic_path("out/animation.gif", suffix=".tmp.gif") as tmp:
        anim.save(tmp, writer=PillowWriter(fps=6))
    ```
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; results are ordinary files
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
