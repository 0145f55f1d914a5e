"""What the documentation and the docstrings refer to exists: the mathematics they cite is the
page `docs/science.md` (its numbered sections), not a file outside the repository, and the
docstring examples read attributes that a `Solution` has."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import dualflow as df

ROOT = Path(__file__).resolve().parents[1]
SCIENCE = ROOT / "docs" / "science.md"
TREES = ("dualflow", "docs", "examples", "notebooks", "benchmarks", "tests")
SUFFIXES = {".py", ".md", ".ipynb", ".toml", ".yml"}
HEADING = re.compile(r"^## (?P<number>\d+)\. .*\{#(?P<anchor>[\w-]+)\}\s*$", flags=re.M)
SECTION_CITATION = re.compile(r"science\.md`?\s+§(?P<number>\d+)")
ANCHOR_CITATION = re.compile(r"science(?:\.md)?#(?P<anchor>science-[\w-]+)|\]\[(?P<autoref>science-[\w-]+)\]")
SOLUTION_ATTRIBUTE = re.compile(r"\bsol\.(?P<name>[A-Za-z_]\w*)")


def _sources():
    files = [ROOT / "README.md", ROOT / "mkdocs.yml"]
    for tree in TREES:
        files += [p for p in sorted((ROOT / tree).rglob("*")) if p.suffix in SUFFIXES and p.is_file()]
    return [p for p in files if p != Path(__file__).resolve()]


def _sections():
    return {m["number"]: m["anchor"] for m in HEADING.finditer(SCIENCE.read_text())}


def test_no_reference_to_the_internal_notes():
    """The mathematics used to live in a notes file outside the repository; nothing may cite it."""
    citing = [str(p.relative_to(ROOT)) for p in _sources() if re.search(r"SCIENCE(\.md)?\b", p.read_text())]
    assert not citing, f"files citing SCIENCE.md instead of docs/science.md: {citing}"


def test_science_page_has_the_cited_sections():
    assert set(_sections()) >= {"2", "3", "4", "5", "6", "7"}, sorted(_sections())


def test_every_citation_of_the_science_page_names_one_of_its_sections():
    sections = _sections()
    anchors = set(sections.values())
    wrong = []
    for path in _sources():
        text = path.read_text()
        where = path.relative_to(ROOT)
        wrong += [f"{where}: §{m['number']}" for m in SECTION_CITATION.finditer(text) if m["number"] not in sections]
        wrong += [
            f"{where}: #{m['anchor'] or m['autoref']}"
            for m in ANCHOR_CITATION.finditer(text)
            if (m["anchor"] or m["autoref"]) not in anchors
        ]
    assert not wrong, f"citations of docs/science.md naming no section of it ({sorted(sections)}): {wrong}"


def _docstrings():
    for path in sorted((ROOT / "dualflow").rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                doc = ast.get_docstring(node)
                if doc:
                    yield f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 1)}", doc


def test_docstring_examples_read_existing_solution_attributes():
    """`sol.<name>` in a docstring (the house's name for a `Solution`) names a field, property or
    method of `Solution`."""
    known = {name for name in dir(df.Solution) if not name.startswith("_")} | set(df.Solution.__dataclass_fields__)
    seen, unknown = 0, []
    for where, doc in _docstrings():
        for m in SOLUTION_ATTRIBUTE.finditer(doc):
            seen += 1
            if m["name"] not in known:
                unknown.append(f"{where}: sol.{m['name']}")
    assert seen >= 5, "the scan found no docstring that reads a Solution attribute"
    assert not unknown, f"docstrings read attributes that Solution does not have ({sorted(known)}): {unknown}"
