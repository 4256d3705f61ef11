"""records.record against the real thing: each class below is made twice, once by @dataclass(frozen=True) and once by
@record, and every behaviour a caller can see (signature, defaults, repr, equality, hash, frozenness, dataclasses'
fields/replace/asdict/astuple, pattern matching, copy and pickle, subclassing) must be the same."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
from typing import ClassVar

import pytest

from paramcalc import records
from paramcalc.records import record


def _twins(make):
    """The class ``make(decorator, field)`` defines, as a frozen dataclass and as a record."""
    dc = make(dataclasses.dataclass(frozen=True), dataclasses.field)
    rc = make(record, records.field)
    return dc, rc


def plain(decorate, field):
    @decorate
    class Point:
        """A point."""

        x: int
        y: int = 0
        label: str = "p"

    return Point


def options(decorate, field):
    @decorate
    class Layer:
        name: str
        shape: tuple
        attrs: dict = field(default_factory=dict)
        graph: object = field(default=None, repr=False, compare=False)
        kind: ClassVar[str] = "layer"
        note: str | None = None

        @property
        def rank(self):
            return len(self.shape)

    return Layer


def single(decorate, field):
    @decorate
    class One:
        value: object

    return One


def empty(decorate, field):
    @decorate
    class Nothing:
        pass

    return Nothing


def post_init(decorate, field):
    @decorate
    class Checked:
        size: int

        def __post_init__(self):
            if self.size < 0:
                raise ValueError("negative")

    return Checked


SAMPLES = {
    plain: [((1,), {}), ((1, 2), {}), ((), {"x": 3, "label": "q"}), ((1.5, [1]), {"label": None})],
    options: [(("a", (1, 2)), {}), (("b", ()), {"attrs": {"k": 1}, "graph": "g", "note": "n"})],
    single: [((7,), {}), (((1, 2),), {})],
    empty: [((), {})],
    post_init: [((3,), {})],
}


CASES = [pytest.param(make, args, kwargs, id=f"{make.__name__}-{args}-{sorted(kwargs)}")
         for make, samples in SAMPLES.items() for args, kwargs in samples]


@pytest.mark.parametrize("make", list(SAMPLES), ids=[m.__name__ for m in SAMPLES])
def test_signature_match_args_and_fields_are_dataclasses(make):
    dc, rc = _twins(make)
    assert str(inspect.signature(rc)) == str(inspect.signature(dc))
    assert rc.__match_args__ == dc.__match_args__
    assert dataclasses.is_dataclass(rc) and not dataclasses.is_dataclass(records)
    got, want = dataclasses.fields(rc), dataclasses.fields(dc)
    assert [(f.name, f.type, f.default, f.default_factory, f.repr, f.compare, f.hash, f.init) for f in got] == \
           [(f.name, f.type, f.default, f.default_factory, f.repr, f.compare, f.hash, f.init) for f in want]
    assert rc.__dataclass_params__.frozen and rc.__dataclass_params__.eq
    for name in ("y", "label", "graph", "note", "kind"):  # class attributes: defaults stay, factories go
        assert (name in vars(rc)) == (name in vars(dc))
        if name in vars(dc):
            assert getattr(rc, name) == getattr(dc, name)


@pytest.mark.parametrize("make, args, kwargs", CASES)
def test_instances_behave_alike(make, args, kwargs):
    dc, rc = _twins(make)
    d, r = dc(*args, **kwargs), rc(*args, **kwargs)
    assert repr(r) == repr(d)
    assert vars(r) == vars(d)
    assert r == rc(*args, **kwargs) and not (r != rc(*args, **kwargs))
    assert r != d  # another class: not equal, as two dataclasses of the same fields are not
    try:
        want = hash(d)
    except TypeError as e:
        with pytest.raises(TypeError, match=str(e).split(":")[0]):
            hash(r)
    else:
        assert hash(r) == want
    assert dataclasses.asdict(r) == dataclasses.asdict(d)
    assert dataclasses.astuple(r) == dataclasses.astuple(d)
    for name in list(vars(d)) + ["other"]:
        for action in (lambda o: setattr(o, name, 1), lambda o: delattr(o, name)):
            with pytest.raises(dataclasses.FrozenInstanceError) as want_error:
                action(d)
            with pytest.raises(dataclasses.FrozenInstanceError) as got_error:
                action(r)
            assert str(got_error.value) == str(want_error.value)
    for same in (copy.copy(r), copy.deepcopy(r)):
        assert same == r and same is not r


@pytest.mark.parametrize("make, args, kwargs", CASES)
def test_replace_both_ways(make, args, kwargs):
    dc, rc = _twins(make)
    r = rc(*args, **kwargs)
    names = [f.name for f in dataclasses.fields(dc)]
    if names:
        change = {names[0]: 4}
        want = dataclasses.replace(dc(*args, **kwargs), **change)
        for got in (records.replace(r, **change), dataclasses.replace(r, **change), r.__replace__(**change)):
            assert type(got) is rc and vars(got) == vars(want)
    assert records.replace(r) == r
    with pytest.raises(TypeError, match="unexpected keyword argument 'nope'"):
        records.replace(r, nope=1)


def test_compare_false_fields_are_left_out_of_equality_and_hash():
    _, rc = _twins(options)
    a, b = rc("a", (1,), graph="one"), rc("a", (1,), graph="two")
    assert a == b and "graph" not in repr(a)
    assert rc("a", (1,), note="x") != a
    dc, rc = _twins(single)
    assert hash(rc((1, 2))) == hash(dc((1, 2))) == hash(((1, 2),))


def test_errors_as_dataclasses_gives_them():
    dc, rc = _twins(plain)
    for cls in (dc, rc):
        with pytest.raises(TypeError, match="missing 1 required positional argument: 'x'"):
            cls()
        with pytest.raises(TypeError, match="unexpected keyword argument 'z'"):
            cls(1, z=2)
    dc, rc = _twins(post_init)
    for cls in (dc, rc):
        with pytest.raises(ValueError, match="negative"):
            cls(-1)
    with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):
        @record
        class Bad:
            a: int = 1
            b: int
    with pytest.raises(ValueError, match="both default and default_factory"):
        records.field(default=1, default_factory=list)


def test_a_dataclass_may_subclass_a_record_and_a_record_no_record():
    _, rc = _twins(plain)

    @dataclasses.dataclass(frozen=True)
    class Labelled(rc):
        colour: str = "red"

    obj = Labelled(1, 2, "p", "blue")
    assert [f.name for f in dataclasses.fields(obj)] == ["x", "y", "label", "colour"]
    assert records.replace(obj, x=5) == Labelled(5, 2, "p", "blue")
    assert repr(obj).endswith("Labelled(x=1, y=2, label='p', colour='blue')")
    with pytest.raises(TypeError, match="records do not support"):
        @record
        class Deeper(rc):
            z: int = 0


def test_methods_a_class_writes_itself_stay():
    @record
    class Shown:
        a: int

        def __repr__(self):
            return "mine"

    assert repr(Shown(1)) == "mine" and Shown(1) == Shown(1)
    with pytest.raises(TypeError, match="cannot overwrite attribute __setattr__"):
        @record
        class Mutable:
            a: int

            def __setattr__(self, name, value):
                pass


def test_pattern_matching():
    _, rc = _twins(plain)
    match rc(1, 2):
        case rc(x, y, label):
            assert (x, y, label) == (1, 2, "p")
        case _:
            pytest.fail("no match")


def test_the_result_types_are_records_that_pickle():
    from paramcalc import load_graph
    from paramcalc.engine import analyze

    a = analyze(load_graph("resnet18"))
    again = pickle.loads(pickle.dumps(a))
    assert again.totals == a.totals and again.layers == a.layers
    assert dataclasses.replace(a.totals, params=1).params == 1

