"""`import dualflow` loads the library, not its optional rooms: neither matplotlib (plotting) nor POT
(exact OT in metrics) nor ott-jax (the Sinkhorn player and metric import it on first use)."""

import subprocess
import sys


def test_import_dualflow_loads_neither_matplotlib_nor_pot_nor_ott():
    code = "import sys, dualflow; print(sorted(m for m in ('matplotlib', 'ot', 'ott') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
