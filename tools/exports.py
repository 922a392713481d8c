"""Lazy re-exports for package `__init__` modules (PEP 562).

A package's public names are listed in its `__all__`, but importing the package must stay cheap:
`import agents` may not load torch, llama.cpp or chromadb just because one re-exported name lives
beside them. `lazy_exports` gives a package a module `__getattr__` that imports the defining module
on first access, and a `__dir__` that lists the exported names.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, Iterable[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """(`__getattr__`, `__dir__`) for `package`, which re-exports `exports` (module name -> names)."""
    home = {name: module for module, names in exports.items() for name in names}
    namespace = vars(importlib.import_module(package))

    def __getattr__(name: str) -> Any:
        module = home.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value  # later lookups skip __getattr__
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *home})

    return __getattr__, __dir__
