"""The tutorial notebooks run in quick mode, write nothing into the repository, and are stored
without outputs.

Each notebook is executed by a fresh Jupyter kernel (nbclient) with `DUALFLOW_QUICK=1`, the
notebook's folder as working directory, `DUALFLOW_OUTPUT` pointing into a temporary folder (the
only place a notebook may write files), this checkout on `PYTHONPATH` and `MPLBACKEND=Agg`. The
notebooks select matplotlib's inline backend (headless: every figure is rendered to PNG, so a
drawing error fails the test too). A failing cell fails the test with that cell's source and
traceback.
"""

import os
import pathlib
import re

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
EXPECTED = [
    "01_introduction.ipynb",
    "02_stability_and_phase_diagrams.ipynb",
    "03_mode_collapse.ipynb",
    "04_optimal_transport_flows.ipynb",
    "05_neural_gan.ipynb",
]
CELL_TIMEOUT = 900  # seconds per cell: generous, a quick notebook takes well under a minute in all
SKIPPED_FOLDERS = {"build", "dist", "dualflow-output", "node_modules", "site-packages"}


def _tutorials():
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def _repository_notebooks():
    """Every notebook in the source tree (hidden folders, checkpoints and build or output folders left out)."""
    found = []
    for path in ROOT.rglob("*.ipynb"):
        parts = path.relative_to(ROOT).parts[:-1]
        if any(part.startswith(".") or part in SKIPPED_FOLDERS for part in parts):
            continue
        found.append(path)
    return sorted(found)


def _snapshot(folder):
    return {p.relative_to(folder): p.stat().st_mtime_ns for p in folder.rglob("*")}


def test_expected_notebooks_exist():
    names = [p.name for p in _tutorials()]
    missing = [name for name in EXPECTED if name not in names]
    assert not missing, f"missing tutorial notebooks: {missing}; found {names}"


@pytest.mark.parametrize("path", _tutorials(), ids=lambda p: p.name)
def test_notebook_conventions(path):
    """The first code cell reads the quick flag and turns on float64, as every tutorial promises."""
    nb = nbformat.read(path, as_version=4)
    code = [cell.source for cell in nb.cells if cell.cell_type == "code"]
    assert code, f"{path.name} has no code cell"
    assert 'os.environ.get("DUALFLOW_QUICK", "0") == "1"' in code[0], (
        f"{path.name}: the first code cell must read QUICK"
    )
    assert 'jax.config.update("jax_enable_x64", True)' in code[0], (
        f"{path.name}: the first code cell must enable float64"
    )
    assert nb.cells[0].cell_type == "markdown", f"{path.name} must open with a Markdown introduction"


def test_notebooks_are_stored_without_outputs():
    notebooks = _repository_notebooks()
    assert notebooks, "no notebook found in the repository"
    dirty = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            if cell.get("outputs") or cell.get("execution_count") is not None:
                dirty.append(f"{path.relative_to(ROOT)}: cell {index} has outputs or an execution count")
    assert not dirty, "notebooks must be stored without outputs (clear them before committing):\n" + "\n".join(dirty)


@pytest.mark.parametrize("path", _tutorials(), ids=lambda p: p.name)
def test_notebook_runs_in_quick_mode(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    output = tmp_path / "output"
    output.mkdir()
    env = dict(os.environ)
    env.update(
        DUALFLOW_QUICK="1",
        DUALFLOW_OUTPUT=str(output),
        MPLBACKEND="Agg",
        PYTHONDONTWRITEBYTECODE="1",
        # the kernel imports this checkout's dualflow, whatever is installed
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    before = _snapshot(NOTEBOOKS)
    client = NotebookClient(
        nb, timeout=CELL_TIMEOUT, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    try:
        client.execute(env=env)
    except CellExecutionError as err:
        message = re.sub(r"\x1b\[[0-9;]*m", "", str(err))  # the kernel's traceback comes with terminal colours
        pytest.fail(f"{path.name} failed in quick mode:\n{message}", pytrace=False)
    assert _snapshot(NOTEBOOKS) == before, f"{path.name} wrote into {NOTEBOOKS}; it must write under DUALFLOW_OUTPUT"
