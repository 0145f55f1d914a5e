"""`import dualflow` loads the library, not its optional rooms: neither matplotlib (plotting) nor POT
(exact OT in metrics) nor ott-jax (the Sinkhorn player and metric import it on first use)."""

import subprocess
import sys


def test_import_dualflow_loads_neither_matplotlib_nor_pot_nor_ott():
    code = "import sys, dualflow; print(sorted(m for m in ('matplotlib', 'ot', 'ott') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_command_line_parses_without_importing_jax():
    """`dualflow --help` answers at once: building the parser (and `main` up to argparse) imports
    neither jax nor the runners; jax comes with the command that runs."""
    code = (
        "import sys\n"
        "from dualflow.experiments.cli import build_parser, main\n"
        "build_parser()\n"
        "try:\n"
        "    main(['run', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in ('jax', 'equinox', 'diffrax', 'matplotlib') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_the_lazy_public_names_are_those_the_type_checkers_see():
    """`dualflow` and `dualflow.experiments` import their public names on first use; the names in
    their `TYPE_CHECKING` blocks (for type checkers and the API docs) are exactly those, and each
    resolves to the object of its subpackage."""
    import ast
    import importlib
    from pathlib import Path

    for package in ("dualflow", "dualflow.experiments"):
        module = importlib.import_module(package)
        tree = ast.parse(Path(module.__file__).read_text())
        (block,) = [
            node for node in tree.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
        ]
        static = {alias.asname for node in block.body if isinstance(node, ast.ImportFrom) for alias in node.names}
        lazy = set(module._WHERE) | set(getattr(module, "_SUBPACKAGES", ()))
        assert static == lazy, package
        assert static <= set(module.__all__)
        for name in module._WHERE:
            source = importlib.import_module(
                f"{package}.{'runners.' if package.endswith('experiments') else ''}{module._WHERE[name]}"
            )
            assert getattr(module, name) is getattr(source, name)
