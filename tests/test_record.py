# tests/test_record.py: gatekeeper/record.py's light dataclass behaves as dataclasses does.
"""The records' ``__init__`` copies a template of the defaults and updates it from the
arguments; any call it cannot take that way goes field by field. Both must give what a
dataclass gives: values, defaults, fresh factory values, field order, and the errors."""

from __future__ import annotations

from typing import Any

import pytest

from gatekeeper.record import FrozenInstanceError, dataclass, field, replace


@dataclass
class Point:
    x: int
    y: int = 0
    tags: list[str] = field(default_factory=list)
    label: str = field(default="p")


@dataclass(frozen=True)
class Key:
    name: str
    parts: tuple[str, ...] = ()


@dataclass
class Labelled(Point):
    note: str = ""


def test_positional_keyword_and_default_values() -> None:
    assert vars(Point(1)) == {"x": 1, "y": 0, "tags": [], "label": "p"}
    assert vars(Point(1, 2, ["a"], "q")) == {"x": 1, "y": 2, "tags": ["a"], "label": "q"}
    assert vars(Point(y=3, x=4)) == {"x": 4, "y": 3, "tags": [], "label": "p"}
    assert vars(Point(5, label="z")) == {"x": 5, "y": 0, "tags": [], "label": "z"}
    # Field order, whatever order the keywords came in (repr and equality follow it).
    assert list(vars(Point(label="z", tags=[], y=1, x=0))) == ["x", "y", "tags", "label"]
    assert repr(Point(1)) == "Point(x=1, y=0, tags=[], label='p')"
    assert Point(1, 2) == Point(x=1, y=2) and Point(1) != Point(2)


def test_each_instance_gets_its_own_factory_value() -> None:
    a, b = Point(1), Point(2)
    a.tags.append("t")
    assert b.tags == [] and Point(3).tags == []
    given = ["mine"]
    assert Point(1, tags=given).tags is given


def test_inherited_fields_come_first() -> None:
    got = Labelled(1, note="n")
    assert list(vars(got)) == ["x", "y", "tags", "label", "note"]
    assert got.note == "n" and got.tags == []


@pytest.mark.parametrize(("args", "kwargs", "message"), [
    ((), {}, "missing argument 'x'"),
    ((), {"y": 1}, "missing argument 'x'"),
    ((1,), {"z": 2}, "got unexpected z"),
    ((1,), {"x": 2}, "got unexpected x"),  # given twice
    ((1, 2, [], "l", "extra"), {}, "takes 4 positional arguments"),
])
def test_bad_calls_raise_type_errors(args: tuple[Any, ...], kwargs: dict[str, Any],
                                     message: str) -> None:
    with pytest.raises(TypeError, match=message):
        Point(*args, **kwargs)


def test_frozen_records_are_built_but_not_changed() -> None:
    k = Key("a", parts=("b",))
    assert (k.name, k.parts) == ("a", ("b",))
    assert hash(k) == hash(Key("a", ("b",)))
    with pytest.raises(FrozenInstanceError):
        k.name = "other"  # type: ignore[misc]
    assert replace(k, name="c") == Key("c", ("b",))
