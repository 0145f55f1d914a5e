"""A griffe extension for the API pages: an enum's members as one table in its docstring.

Rendered one by one, the members of an `enum.IntEnum` (`Result`, `Phase`) become a heading each,
labelled "class-attribute" and "instance-attribute", with nothing under it. For every enum class
this extension instead appends a **Members** table (name, value and, where the source has a
`#:` comment above the member, that comment) to the class docstring and removes the members
from griffe's view, so that the page shows the class, its table and its other members
(properties, methods). Loaded from `mkdocs.yml` (`extensions:`).
"""

from __future__ import annotations

import enum
import importlib
import inspect

import griffe


def _runtime_enum(cls: griffe.Class):
    """The enum class itself, or None (not an enum, nested, or its module fails to import)."""
    if cls.parent is None or not cls.parent.is_module:
        return None
    try:
        runtime = getattr(importlib.import_module(cls.module.path), cls.name, None)
    except Exception:  # a module that fails to import keeps its static view
        return None
    return runtime if inspect.isclass(runtime) and issubclass(runtime, enum.Enum) else None


def _comment_above(lines: list[str], lineno: int) -> str:
    """The `#:` comment lines just above source line `lineno` (1-based), joined."""
    comment = []
    index = lineno - 2
    while index >= 0 and lines[index].strip().startswith("#:"):
        comment.insert(0, lines[index].strip()[2:].strip())
        index -= 1
    return " ".join(comment)


class EnumMembersTable(griffe.Extension):
    """Document enum members as a table in the class docstring."""

    def on_class_members(self, *, cls: griffe.Class, **kwargs) -> None:
        runtime = _runtime_enum(cls)
        if runtime is None:
            return
        lines = cls.module.lines
        rows = []
        for member in runtime:
            attribute = cls.members.get(member.name)
            meaning = _comment_above(lines, attribute.lineno) if attribute is not None and attribute.lineno else ""
            rows.append((f"`{member.name}`", f"`{member.value!r}`", meaning))
            if attribute is not None:
                cls.del_member(member.name)
        header = ("name", "value", "meaning")
        if not any(meaning for *_, meaning in rows):  # no comments: no empty column
            header, rows = header[:2], [row[:2] for row in rows]
        table = "\n".join(
            ["**Members:**", "", "| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
            + ["| " + " | ".join(row) + " |" for row in rows]
        )
        if cls.docstring is None:
            cls.docstring = griffe.Docstring(table, parent=cls)
        else:
            cls.docstring.value = f"{cls.docstring.value}\n\n{table}"
