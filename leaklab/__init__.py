"""leaklab: an analyst's bench for leaked API keys and secrets.

The public verbs are imported lazily, so ``import leaklab`` stays fast and pandas,
matplotlib and GitPython load only when a verb that needs them is first used.

    >>> import leaklab
    >>> callable(leaklab.load) and callable(leaklab.dedupe)
    True
"""

from __future__ import annotations

import sys
import types
from importlib import import_module

__version__ = "0.1.0"

# public name -> "module:attribute"
_VERBS = {
    "load": "leaklab.readers:load",
    "formats": "leaklab.readers:formats",
    "sniff": "leaklab.readers:sniff",
    "dedupe": "leaklab.dedupe:dedupe",
    "history": "leaklab.history:history",
    "scan": "leaklab.scan:scan",
    "load_timeline": "leaklab.timeline:load_timeline",
    "exposure_windows": "leaklab.exposure:exposure_windows",
    "usage_in_windows": "leaklab.usage:usage_in_windows",
    "derived_windows": "leaklab.usage:derived_windows",
    "issued_windows": "leaklab.usage:issued_windows",
    "validate": "leaklab.schema:validate",
    "describe": "leaklab.schema:describe",
    "Secret": "leaklab.fingerprint:Secret",
    "redacted": "leaklab.fingerprint:redacted",
    "LeakLabError": "leaklab.errors:LeakLabError",
    "RecordError": "leaklab.errors:RecordError",
    "UnknownFormatError": "leaklab.errors:UnknownFormatError",
    "SchemaError": "leaklab.errors:SchemaError",
    "LeakLabWarning": "leaklab.errors:LeakLabWarning",
    "load_access_logs": "leaklab.logs:load_access_logs",
    "load_inventory": "leaklab.inventory:load_inventory",
    "Ledger": "leaklab.ledger:Ledger",
    "blast_radius": "leaklab.blast:blast_radius",
    "score": "leaklab.triage:score",
    "remediation": "leaklab.triage:remediation",
    "triage_board": "leaklab.widgets:triage_board",
    "report": "leaklab.report:report",
}

# Submodules reachable as attributes (leaklab.demo, leaklab.plots, ...), imported on first use.
_SUBMODULES = {"blast", "cli", "dedupe", "demo", "errors", "exposure", "fingerprint", "gitlog", "inventory", "ledger", "logs", "outofcore", "plots", "readers", "report", "scenarios", "schema", "taxonomy", "timeline", "triage", "usage", "widgets", "workshop"}

__all__ = sorted(_VERBS)  # noqa: F822 - resolved lazily by __getattr__


def __getattr__(name: str):
    target = _VERBS.get(name) or (f"leaklab.{name}" if name in _SUBMODULES else None)
    if target is None:
        raise AttributeError(f"module 'leaklab' has no attribute {name!r}")
    module, _, attr = target.partition(":")
    value = import_module(module)
    if attr:
        value = getattr(value, attr)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_VERBS) | _SUBMODULES)


class _Package(types.ModuleType):
    """Keeps verbs bound when their module of the same name is imported.

    Importing ``leaklab.dedupe`` (the module) makes Python bind it as ``leaklab.dedupe``,
    over the verb ``leaklab.dedupe()``; the verb wins, the module stays in ``sys.modules``.
    """

    def __setattr__(self, name: str, value) -> None:
        if isinstance(value, types.ModuleType) and name in _VERBS and _VERBS[name] != value.__name__:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
