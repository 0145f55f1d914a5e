"""The house's code checks, run by the test command so that CI enforces them: ruff's lint and
format (configured in pyproject.toml) over the package, tests, examples and benchmarks, and mypy
over the package. Each check is first shown able to fail on a file that breaks it."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TREES = ("dualflow", "tests", "examples", "benchmarks")


def _run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def test_ruff_lint_passes():
    proc = _run("ruff", "check", *TREES)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_format_passes():
    proc = _run("ruff", "format", "--check", *TREES)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_passes():
    proc = _run("mypy")  # the packages and options of [tool.mypy]
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    "source,check,finding",
    [
        ("import os\n", ("ruff", "check"), "F401"),  # an unused import
        ("x = {'a':1}\n", ("ruff", "format", "--check"), "would be reformatted"),
        ("def f(x: int) -> str:\n    return x\n", ("mypy",), "Incompatible return value"),
    ],
)
def test_the_checks_can_fail(tmp_path, source, check, finding):
    """The same tools and the project's configuration reject a file that breaks them."""
    bad = tmp_path / "bad.py"
    bad.write_text(source)
    extra = (
        ("--config-file", str(ROOT / "pyproject.toml"))
        if check[0] == "mypy"
        else ("--config", str(ROOT / "pyproject.toml"))
    )
    proc = _run(*check, *extra, str(bad), cwd=tmp_path)
    assert proc.returncode != 0 and finding in proc.stdout + proc.stderr, proc.stdout + proc.stderr
