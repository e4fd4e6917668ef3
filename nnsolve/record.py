"""Frozen records: what @dataclass(frozen=True) gives, without its cost at import.

@dataclass writes the source of __init__, __repr__, __eq__, __hash__, __setattr__ and
__delattr__ for each class and compiles it when the module is imported: about 0.5 ms a
class, some 10 ms of `nnsolve run`, whose path holds twenty of them. A Record lists its
fields as annotations, in order, with defaults as class attributes (as a dataclass does), and
writes its own __init__, which stores every field with one `self.__dict__.update(...)`; the
rest is shared here and compiled once, into this module's bytecode. Records compare by their
fields, hash, print and refuse assignment as frozen dataclasses do; `record.replace(f=v)` is
dataclasses.replace. tests/test_records.py checks that each __init__ takes the fields in order
with the class's defaults.
"""

from __future__ import annotations


class FrozenInstanceError(AttributeError):
    """Assigning to a field of a record (dataclasses.FrozenInstanceError is one too)."""


class Record:
    """The base of a frozen record. Subclasses set every field in __init__ and nothing else."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()  # the field names in order, from the annotations

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        own = tuple(name for name in cls.__dict__.get("__annotations__", {}) if name not in cls._fields)
        cls._fields = cls._fields + own
        cls.__match_args__ = cls._fields

    def _values(self) -> tuple:
        return tuple([getattr(self, name) for name in self._fields])

    def __eq__(self, other):
        if other.__class__ is self.__class__:
            return self._values() == other._values()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{self.__class__.__qualname__}({shown})"

    def __setattr__(self, name, value):
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name):
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def replace(self, **changes):
        """A copy with the given fields changed (dataclasses.replace)."""
        values = {name: getattr(self, name) for name in self._fields}
        values.update(changes)
        return self.__class__(**values)
