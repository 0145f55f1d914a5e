"""A griffe extension for the API pages: signatures of `equinox.Module` classes.

Equinox builds each module's `__init__` from its fields at class creation, which static
analysis cannot see, so without this the API pages would show `GDA` instead of
`GDA(lr_g, lr_d, order='alternating_d_first', n_critic=1)`. For every class that defines no
`__init__` of its own, this extension imports the class and gives griffe an `__init__` built
from the runtime signature (names, kinds and defaults; annotations are not shown on the site).
Everything else stays static. Loaded from `mkdocs.yml` (`extensions:`).
"""

from __future__ import annotations

import importlib
import inspect

import griffe

_KINDS = {
    inspect.Parameter.POSITIONAL_ONLY: griffe.ParameterKind.positional_only,
    inspect.Parameter.POSITIONAL_OR_KEYWORD: griffe.ParameterKind.positional_or_keyword,
    inspect.Parameter.VAR_POSITIONAL: griffe.ParameterKind.var_positional,
    inspect.Parameter.KEYWORD_ONLY: griffe.ParameterKind.keyword_only,
    inspect.Parameter.VAR_KEYWORD: griffe.ParameterKind.var_keyword,
}


def _runtime_class(cls: griffe.Class):
    """The class object itself, or None (nested classes, modules that must not be imported)."""
    if cls.parent is None or not cls.parent.is_module or cls.module.path.endswith("__main__"):
        return None
    try:
        return getattr(importlib.import_module(cls.module.path), cls.name, None)
    except Exception:  # noqa: BLE001 - a module that fails to import keeps its static view
        return None


class EquinoxInit(griffe.Extension):
    """Synthesise `__init__` for equinox modules from their runtime signature."""

    def on_class_members(self, *, cls: griffe.Class, **kwargs) -> None:
        if "__init__" in cls.members:
            return
        runtime = _runtime_class(cls)
        try:
            import equinox as eqx
        except ImportError:  # pragma: no cover - equinox is a dependency
            return
        if not (inspect.isclass(runtime) and issubclass(runtime, eqx.Module)):
            return
        try:
            signature = inspect.signature(runtime)
        except (TypeError, ValueError):
            return
        parameters = [griffe.Parameter("self", kind=griffe.ParameterKind.positional_or_keyword)]
        for p in signature.parameters.values():
            default = None if p.default is inspect.Parameter.empty else repr(p.default)
            parameters.append(griffe.Parameter(p.name, kind=_KINDS[p.kind], default=default))
        cls.set_member("__init__", griffe.Function("__init__", lineno=cls.lineno, endlineno=cls.lineno,
                                                   parent=cls, parameters=griffe.Parameters(*parameters)))
