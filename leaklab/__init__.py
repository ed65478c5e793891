"""leaklab: an analyst's bench for leaked API keys and secrets.

The public verbs are imported lazily, so ``import leaklab`` stays fast and pandas,
matplotlib and GitPython load only when a verb that needs them is first used.

    >>> import leaklab
    >>> callable(leaklab.load) and callable(leaklab.dedupe)
    True
"""

from __future__ import annotations

from importlib import import_module

__version__ = "0.1.0"

# public name -> "module:attribute"
_VERBS = {
    "load": "leaklab.readers:load",
    "formats": "leaklab.readers:formats",
    "sniff": "leaklab.readers:sniff",
    "dedupe": "leaklab.dedupe:dedupe",
    "validate": "leaklab.schema:validate",
    "describe": "leaklab.schema:describe",
    "Secret": "leaklab.fingerprint:Secret",
    "LeakLabError": "leaklab.errors:LeakLabError",
    "RecordError": "leaklab.errors:RecordError",
    "UnknownFormatError": "leaklab.errors:UnknownFormatError",
    "SchemaError": "leaklab.errors:SchemaError",
    "LeakLabWarning": "leaklab.errors:LeakLabWarning",
    "plots": "leaklab.plots",
    "demo": "leaklab.demo",
}

__all__ = sorted(_VERBS)


def __getattr__(name: str):
    target = _VERBS.get(name)
    if target is None:
        raise AttributeError(f"module 'leaklab' has no attribute {name!r}")
    module, _, attr = target.partition(":")
    value = import_module(module)
    if attr:
        value = getattr(value, attr)
    globals()[name] = value
    return value


def __dir__():
    return sorted(list(globals()) + list(_VERBS))
