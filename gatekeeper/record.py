# gatekeeper/record.py: a light @dataclass for the hook's hot path: the same syntax, no import cost.
"""``dataclasses`` costs about 8 ms to import (it pulls in ``inspect``) and a code-generating
``exec`` per class; a warm commit-msg hook defines some twenty records, so together they were
the largest part of its start-up. This module gives the subset of the dataclass API the
gatekeeper uses (fields with defaults and factories, ``frozen``, ``replace``) with generic
methods instead of generated ones. Type checkers see it as a dataclass (PEP 681).
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time: 2 ms of every hook
if TYPE_CHECKING:
    from typing import Any, TypeVar

    from typing_extensions import dataclass_transform

    T = TypeVar("T")
else:
    def dataclass_transform(**_kw: Any) -> Any:
        return lambda f: f

_MISSING: Any = object()


class FrozenInstanceError(AttributeError):
    """Assigning to a field of a frozen record."""


class _Field:
    __slots__ = ("default", "default_factory")

    def __init__(self, default: Any, default_factory: Any) -> None:
        self.default = default
        self.default_factory = default_factory


def field(*, default: Any = _MISSING, default_factory: Any = _MISSING) -> Any:
    """A field with a default value or a factory for one (as ``dataclasses.field``)."""
    return _Field(default, default_factory)


def _init_for(names: tuple[str, ...], defaults: dict[str, Any],
              factories: dict[str, Any]) -> Any:
    count = len(names)
    fields = frozenset(names)
    # Every field in order, its default filled in: an instance's values are this dict's copy,
    # updated by the arguments in C (a range makes thousands of records: a Python loop over
    # every field of each was 2 % of judging one). Any call the copy cannot take as it is
    # goes the field-by-field way, which raises what a dataclass would.
    template = {n: defaults.get(n, _MISSING) for n in names}
    unset = tuple(n for n in names if n not in defaults)

    def slow(self: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        if len(args) > count:
            raise TypeError(f"{type(self).__name__}() takes {count} positional arguments")
        setter = object.__setattr__
        for i, name in enumerate(names):
            if i < len(args):
                value = args[i]
            elif name in kwargs:
                value = kwargs.pop(name)
            elif name in defaults:
                value = defaults[name]
            elif name in factories:
                value = factories[name]()
            else:
                raise TypeError(f"{type(self).__name__}() missing argument {name!r}")
            setter(self, name, value)
        if kwargs:
            raise TypeError(f"{type(self).__name__}() got unexpected {', '.join(kwargs)}")

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) > count or not fields.issuperset(kwargs) or (
                args and not kwargs.keys().isdisjoint(names[:len(args)])):
            slow(self, args, dict(kwargs))
            return
        values = template.copy()
        if args:
            values.update(zip(names, args, strict=False))  # the first len(args) fields
        values.update(kwargs)
        for name in unset:
            if values[name] is _MISSING:
                if name not in factories:  # a field is missing: raised as before
                    slow(self, args, kwargs)
                    return
                values[name] = factories[name]()
        self.__dict__.update(values)  # not through __setattr__: frozen records too

    return __init__


def _values(self: Any) -> tuple[Any, ...]:
    return tuple(getattr(self, n) for n in type(self).__record_fields__)


def _repr(self: Any) -> str:
    inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in type(self).__record_fields__)
    return f"{type(self).__name__}({inner})"


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is not self.__class__:
        return NotImplemented
    return _values(self) == _values(other)


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


@dataclass_transform(field_specifiers=(field,))
def dataclass(cls: Any = None, /, *, frozen: bool = False, slots: bool = False) -> Any:
    """Make ``cls`` a record: ``__init__``, ``__repr__``, ``__eq__`` (and ``__hash__`` when
    frozen) from its annotated fields. ``slots`` is accepted for compatibility and ignored."""
    del slots

    def wrap(klass: Any) -> Any:
        names: list[str] = []
        defaults: dict[str, Any] = {}
        factories: dict[str, Any] = {}
        for base in reversed(klass.__mro__[1:]):
            for n in getattr(base, "__record_fields__", ()):
                if n not in names:
                    names.append(n)
            defaults.update(getattr(base, "__record_defaults__", {}))
            factories.update(getattr(base, "__record_factories__", {}))
        # Not inspect.get_annotations: importing inspect is the cost this module avoids.
        own = klass.__dict__.get("__annotations__", {})  # noqa: RUF063
        for name, annotation in own.items():
            if "ClassVar" in str(annotation):
                continue
            if name not in names:
                names.append(name)
            value = klass.__dict__.get(name, _MISSING)
            if isinstance(value, _Field):
                if value.default_factory is not _MISSING:
                    factories[name] = value.default_factory
                    delattr(klass, name)
                elif value.default is not _MISSING:
                    defaults[name] = value.default
                    setattr(klass, name, value.default)
                else:
                    delattr(klass, name)
            elif value is not _MISSING:
                defaults[name] = value
        klass.__record_fields__ = tuple(names)
        klass.__record_defaults__ = defaults
        klass.__record_factories__ = factories
        setattr(klass, "__match_args__", tuple(names))  # noqa: B010 - mypy: not assignable
        klass.__init__ = _init_for(tuple(names), defaults, factories)
        klass.__repr__ = _repr
        klass.__eq__ = _eq
        if frozen:
            klass.__setattr__ = _frozen_setattr
            klass.__delattr__ = _frozen_delattr
            klass.__hash__ = lambda self: hash(_values(self))
        else:
            klass.__hash__ = None
        return klass

    return wrap if cls is None else wrap(cls)


def replace(obj: T, **changes: Any) -> T:
    """A copy of record ``obj`` with some fields changed (as ``dataclasses.replace``)."""
    kwargs = {n: getattr(obj, n) for n in type(obj).__record_fields__}  # type: ignore[attr-defined]
    kwargs.update(changes)
    return type(obj)(**kwargs)
