"""The documentation site: `mkdocs build --strict` succeeds, and the API pages document every
public symbol of dualflow and of its subpackages.

The public API of a package is its `__all__` where it defines one, otherwise the names its
`__init__.py` re-exports explicitly (`from .x import A as A`, the house convention). A symbol is
documented when some `::: identifier` directive under `docs/api/` renders the same object, or
renders a module that holds it with its members.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
API_DIR = ROOT / "docs" / "api"
PACKAGES = (
    "dualflow",
    "dualflow.measures",
    "dualflow.kernels",
    "dualflow.players",
    "dualflow.games",
    "dualflow.dynamics",
    "dualflow.solvers",
    "dualflow.analysis",
    "dualflow.metrics",
    "dualflow.plotting",
    "dualflow.experiments",
)
DIRECTIVE = re.compile(r"^::: *(?P<identifier>[\w.]+) *$")
PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", flags=re.S)
# Pages whose Python snippets are complete programs (run by the slow test below).
SNIPPET_PAGES = (
    "index.md",
    "getting_started.md",
    "howto/flow_vs_gda.md",
    "howto/stability.md",
    "howto/multi_device.md",
    "howto/mode_collapse_study.md",
    "howto/neural.md",
    "howto/sinkhorn.md",
    "howto/large_n.md",
    "engine.md",
    "stability.md",
    "players.md",
    "mode_collapse.md",
)


def public_names(package: str) -> list[str]:
    """`__all__` of `package` if it has one, else its explicit re-exports (`X as X`)."""
    module = importlib.import_module(package)
    if hasattr(module, "__all__"):
        return list(module.__all__)
    tree = ast.parse(Path(module.__file__).read_text())
    return [
        alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.asname == alias.name
    ]


def directives(pages) -> list[tuple[str, dict]]:
    """`(identifier, options)` of every `:::` directive in the Markdown files `pages`."""
    found = []
    for page in pages:
        lines = Path(page).read_text().splitlines()
        for i, line in enumerate(lines):
            match = DIRECTIVE.match(line)
            if not match:
                continue
            block = []
            for following in lines[i + 1 :]:
                if following.strip() and not following.startswith("    "):
                    break
                block.append(following[4:])
            config = yaml.safe_load("\n".join(block)) or {}
            found.append((match["identifier"], config.get("options", {}) or {}))
    return found


def resolve(identifier: str):
    """The object a directive renders. As in griffe, a submodule wins over an attribute of the
    same name (`dualflow.solvers.solve` is the module, `dualflow.solvers.solve.solve` the function)."""
    parts = identifier.split(".")
    obj, path = importlib.import_module(parts[0]), parts[0]
    for part in parts[1:]:
        path = f"{path}.{part}"
        try:
            obj = importlib.import_module(path)
        except ModuleNotFoundError:
            obj = getattr(obj, part)  # AttributeError: the directive names nothing
    return obj


def documented_objects(found) -> list:
    """Every object the directives `found` render: the objects themselves and, for a module
    rendered with its members, the public members defined in it (or those listed)."""
    objects = []
    for identifier, options in found:
        obj = resolve(identifier)
        objects.append(obj)
        members = options.get("members", True)
        if inspect.ismodule(obj) and members is not False:
            names = (
                members
                if isinstance(members, list)
                else [
                    name
                    for name, value in vars(obj).items()
                    if not name.startswith("_") and getattr(value, "__module__", None) == obj.__name__
                ]
            )
            objects.extend(getattr(obj, name) for name in names)
    return objects


def undocumented(found) -> list[str]:
    """Public symbols (`package.name`) that no directive in `found` renders."""
    ids = {id(obj) for obj in documented_objects(found)}
    missing = []
    for package in PACKAGES:
        module = importlib.import_module(package)
        missing += [f"{package}.{name}" for name in public_names(package) if id(getattr(module, name)) not in ids]
    return missing


def api_directives():
    pages = sorted(API_DIR.glob("*.md"))
    assert pages, f"no API pages under {API_DIR}"
    return directives(pages)


def test_site_builds_strictly(tmp_path):
    site = tmp_path / "site"
    # the notebooks are rendered as stored: tests/test_notebooks.py executes them (the docs build
    # alone executes them for the published site)
    env = dict(
        os.environ, NO_MKDOCS_2_WARNING="1", DUALFLOW_DOCS_EXECUTE="false", DUALFLOW_DOCS_CACHE=str(tmp_path / "cache")
    )
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert proc.returncode == 0, f"mkdocs build --strict failed ({proc.returncode}):\n{proc.stderr}\n{proc.stdout}"
    # mkdocstrings really rendered the API (not an empty page) and the maths went through arithmatex
    solvers = (site / "api" / "solvers" / "index.html").read_text()
    assert 'id="dualflow.solvers.GDA"' in solvers and 'id="dualflow.solvers.solve.solve"' in solvers
    assert 'class="arithmatex"' in solvers
    for page in (
        "getting_started",
        "concepts",
        "science",
        "benchmarks",
        "engine",
        "stability",
        "players",
        "mode_collapse",
    ):
        assert (site / page / "index.html").exists(), page
    # offline: no page loads a script, a stylesheet or a font from another host (the maths is
    # KaTeX, served from the site itself)
    external = sorted(
        {
            url
            for page in site.rglob("*.html")
            for url in re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="((?:https?:)?//[^"]+)"', page.read_text())
        }
    )
    assert not external, f"pages load assets from the network: {external}"
    assert (site / "javascripts" / "katex" / "katex.min.js").exists()
    # the tutorials are pages of the site, with a link to download the notebook
    notebooks = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks
    for name in notebooks:
        page = (site / "notebooks" / name.removesuffix(".ipynb") / "index.html").read_text()
        assert "jp-RenderedMarkdown" in page and "jp-CodeCell" in page, name
        assert (site / "notebooks" / name.removesuffix(".ipynb") / name).exists(), name
    assert "katex.min.js" in solvers and "auto-render.min.js" in solvers


def test_public_api_found():
    """The walk over the public API sees the packages' real contents (so the next test is not vacuous)."""
    for package in PACKAGES:
        names = public_names(package)
        assert names, package
        module = importlib.import_module(package)
        for name in names:
            assert hasattr(module, name), f"{package}.{name} is exported but missing"
    assert {"solve", "Measure", "KernelGame", "GDA", "DualFlow", "linearize"} <= set(public_names("dualflow"))
    assert "run_study" in public_names("dualflow.experiments")


def test_every_public_symbol_is_in_the_api_reference():
    missing = undocumented(api_directives())
    assert not missing, (
        "public symbols without a `:::` directive in docs/api/ (add `::: package.Name` to the "
        f"subpackage's page): {missing}"
    )


def test_the_coverage_check_can_fail():
    found = api_directives()
    without_gda = [(identifier, options) for identifier, options in found if identifier != "dualflow.solvers.GDA"]
    assert len(without_gda) == len(found) - 1
    assert {"dualflow.GDA", "dualflow.solvers.GDA"} <= set(undocumented(without_gda))
    # a package rendered without its members documents none of them
    assert "dualflow.solvers.DualFlow" in undocumented([("dualflow.solvers", {"members": False})])
    # a module rendered with its members documents what is defined in it
    assert "dualflow.analysis.linearize" not in undocumented([("dualflow.analysis.linearization", {})])


def snippets(page: str) -> str:
    return "\n".join(PYTHON_BLOCK.findall((ROOT / "docs" / page).read_text()))


@pytest.mark.parametrize("page", SNIPPET_PAGES)
def test_page_snippets_parse(page):
    compile(snippets(page), page, "exec")


@pytest.mark.slow
@pytest.mark.parametrize("page", [p for p in SNIPPET_PAGES if PYTHON_BLOCK.search((ROOT / "docs" / p).read_text())])
def test_page_snippets_run(page, tmp_path):
    """The page's Python snippets, concatenated, run as one script (in a scratch folder that
    sees the repository's `examples/`, so that relative config paths resolve)."""
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    script = tmp_path / "snippets.py"
    script.write_text(snippets(page))
    env = dict(
        os.environ,
        MPLBACKEND="Agg",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    proc = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=1200, env=env
    )
    assert proc.returncode == 0, f"the snippets of docs/{page} failed:\n{proc.stderr[-6000:]}"


def public_objects() -> dict[int, str]:
    """`id(object) -> name` of the public API: each package's exports, the public functions of
    `dualflow.sharding` (a module without re-exports), and the members of exported submodules
    (`dualflow.analysis.isolated_points`): their `__all__`, else their public names defined there."""
    found = {}
    modules = []
    for package in (*PACKAGES, "dualflow.sharding"):
        module = importlib.import_module(package)
        names = public_names(package) or [
            name
            for name, value in vars(module).items()
            if not name.startswith("_") and getattr(value, "__module__", None) == module.__name__
        ]
        for name in names:
            value = getattr(module, name)
            found[id(value)] = f"{package}.{name}"
            if inspect.ismodule(value):
                modules.append(value)
    for module in modules:
        names = getattr(module, "__all__", None) or [
            name
            for name, value in vars(module).items()
            if not name.startswith("_") and getattr(value, "__module__", None) == module.__name__
        ]
        found.update({id(getattr(module, name)): f"{module.__name__}.{name}" for name in names})
    return found


def internal_directives(found) -> list[str]:
    """Directives in `found` that render something outside the public API. A module rendered with
    `members: false` shows only its docstring (prose) and is allowed."""
    public = public_objects()
    internal = []
    for identifier, options in found:
        obj = resolve(identifier)
        members = options.get("members", True)
        if inspect.ismodule(obj):
            if members is False:
                continue
            if id(obj) not in public:
                internal.append(identifier)
            elif isinstance(members, list):
                internal += [f"{identifier}.{m}" for m in members if id(getattr(obj, m)) not in public]
        elif id(obj) not in public:
            internal.append(identifier)
    return internal


def test_the_api_reference_documents_only_the_public_api():
    internal = internal_directives(api_directives())
    assert not internal, (
        "`:::` directives in docs/api/ render names that no package exports (export them or drop "
        f"the directive): {internal}"
    )


def test_the_public_api_check_can_fail():
    assert internal_directives([("dualflow.kernels._nufft", {"members": ["points_to_lattice"]})])
    assert internal_directives([("dualflow.kernels.sums.spectral_is_cheaper", {})])
    assert not internal_directives([("dualflow.analysis.isolated_points", {}), ("dualflow.solvers.GDA", {})])
    assert not internal_directives([("dualflow.analysis.boundaries", {"members": False})])
