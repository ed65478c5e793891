"""Errors that say which file, which record and what was expected.

Every reader raises :class:`LeakLabError` (or a subclass) for bad input, so a caller
can catch one type. The message always names the file and the record when known::

    >>> str(RecordError("gitleaks.json", "[3]", "field 'StartLine' must be int, got str"))
    "gitleaks.json, record [3]: field 'StartLine' must be int, got str"

Messages never quote a field's value: it may be a secret.
"""

from __future__ import annotations


class LeakLabError(ValueError):
    """Base class for every error leaklab raises about its input."""

    def __init__(self, file: object = None, record: object = None, reason: str = ""):
        self.file = None if file is None else str(file)
        self.record = None if record is None else str(record)
        self.reason = reason
        super().__init__(self._message())

    def _message(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.record:
            where.append(f"record {self.record}")
        return f"{', '.join(where)}: {self.reason}" if where else self.reason


class UnknownFormatError(LeakLabError):
    """The input matches none of the supported formats."""


class RecordError(LeakLabError):
    """One record of a known format is malformed."""


class SchemaError(LeakLabError):
    """A frame does not meet its column contract."""


class LeakLabWarning(UserWarning):
    """Something was skipped or assumed; the message says what and where."""
