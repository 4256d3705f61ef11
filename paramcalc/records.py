"""Frozen records: the classes `@dataclass(frozen=True)` makes, for the values every analysis creates, made cheaply.

Every `paramcalc show` makes a dozen result classes (Node, Graph, LayerResult, Analysis, ...). As dataclasses they
cost about a third of a short run: importing `dataclasses` brings `inspect` (with `ast`, `dis` and `tokenize`),
about 12 ms, and each frozen dataclass takes about 1 ms to process (six generated methods, each compiled on its
own). `record` gives a class the same `__init__` (the one method compiled from text), `__repr__`, `__eq__`,
`__hash__`, `__setattr__`, `__delattr__` (closures) and `__match_args__`, about 0.25 ms a class, and leaves
dataclasses' own description (`__dataclass_fields__`,
`__dataclass_params__`) to be made the first time something asks for it, by `dataclasses` itself from a twin
dataclass. So `dataclasses.fields`, `replace`, `asdict`, `astuple` and `is_dataclass` work on a record as on a
frozen dataclass, and a dataclass may subclass one; assigning to a field raises `dataclasses.FrozenInstanceError`.

What a record supports is what the core's classes use: annotated fields (a `ClassVar` annotation is not a field),
defaults, and `field(default=..., default_factory=..., repr=..., compare=...)`; no base class may have fields.
"""

from __future__ import annotations

from operator import attrgetter

__all__ = ["field", "record", "replace"]


class _Missing:
    def __repr__(self):
        return "MISSING"


MISSING = _Missing()


class _Factory:
    """The default an `__init__` shows for a field made by a default_factory (dataclasses shows the same)."""

    def __repr__(self):
        return "<factory>"


_FACTORY = _Factory()


class _Spec:
    __slots__ = ("default", "default_factory", "repr", "compare")

    def __init__(self, default, default_factory, repr, compare):
        self.default = default
        self.default_factory = default_factory
        self.repr = repr
        self.compare = compare


def field(*, default=MISSING, default_factory=MISSING, repr: bool = True, compare: bool = True) -> _Spec:
    """A record field with options, as `dataclasses.field`: a default or a default factory, and whether the field
    appears in the repr and takes part in equality and the hash."""
    if default is not MISSING and default_factory is not MISSING:
        raise ValueError("cannot specify both default and default_factory")
    return _Spec(default, default_factory, repr, compare)


def replace(obj, /, **changes):
    """A copy of record ``obj`` with the given fields changed, as `dataclasses.replace` (which works too, at the
    cost of importing dataclasses)."""
    if "_record_fields" not in type(obj).__dict__:  # a dataclass made from a record: its own fields too
        import dataclasses

        return dataclasses.replace(obj, **changes)
    fields = obj._record_fields
    for name in changes:
        if name not in fields:
            raise TypeError(f"{type(obj).__name__}.__init__() got an unexpected keyword argument {name!r}")
    return obj.__class__(**{name: changes[name] if name in changes else getattr(obj, name) for name in fields})


def _replace_method(self, /, **changes):
    return replace(self, **changes)


def _frozen(what: str, name: str):
    from dataclasses import FrozenInstanceError

    raise FrozenInstanceError(f"cannot {what} field {name!r}")


class _Description:
    """`__dataclass_fields__` / `__dataclass_params__` of a record, made on first use from a twin frozen dataclass
    with the same fields, then stored on the record in place of this descriptor."""

    def __init__(self, owner: type, specs: list):
        self.owner = owner
        self.specs = specs

    def __get__(self, obj, objtype=None):
        import dataclasses

        def given(value):
            return dataclasses.MISSING if value is MISSING else value

        owner = self.owner
        twin = dataclasses.make_dataclass(owner.__name__, [
            (name, annotation, dataclasses.field(default=given(spec.default),
                                                 default_factory=given(spec.default_factory),
                                                 repr=spec.repr, compare=spec.compare))
            for name, annotation, spec in self.specs
        ], frozen=True)
        # set on the record itself (type.__setattr__: the frozen __setattr__ guards instances only)
        type.__setattr__(owner, "__dataclass_fields__", twin.__dataclass_fields__)
        type.__setattr__(owner, "__dataclass_params__", twin.__dataclass_params__)
        return owner.__dict__["__dataclass_fields__"]


def _init(cls: type, specs: list):
    """The record's __init__: the one method compiled from text, so that it takes its fields by name and position,
    with their defaults, as fast as a hand-written one."""
    scope = {"_FACTORY": _FACTORY}
    parameters, body = [], []
    for name, _, spec in specs:
        if spec.default_factory is not MISSING:
            scope[f"_factory_{name}"] = spec.default_factory
            parameters.append(f"{name}=_FACTORY")
            body.append(f" _d['{name}'] = _factory_{name}() if {name} is _FACTORY else {name}")
        else:
            if spec.default is not MISSING:
                scope[f"_default_{name}"] = spec.default
                parameters.append(f"{name}=_default_{name}")
            else:
                parameters.append(name)
            body.append(f" _d['{name}'] = {name}")
    if "__post_init__" in cls.__dict__:
        body.append(" self.__post_init__()")
    exec("\n".join([f"def __init__(self, {', '.join(parameters)}):", " _d = self.__dict__", *body, " pass"]), scope)
    init = scope["__init__"]
    init.__annotations__ = {**{name: annotation for name, annotation, _ in specs}, "return": None}
    return init


def _methods(cls: type, names: tuple, specs: list) -> dict:
    """__repr__, __eq__, __hash__ and the frozen __setattr__ and __delattr__: closures over the field names (compiling
    them from text, as dataclasses does, costs more than all of a record's other work)."""
    shown = tuple(name for name, _, spec in specs if spec.repr)
    compared = tuple(name for name, _, spec in specs if spec.compare)
    fields = frozenset(names)

    if len(compared) > 1:
        values = attrgetter(*compared)  # a tuple of the values, in C
    else:
        def values(obj) -> tuple:
            return tuple([getattr(obj, name) for name in compared])

    def __repr__(self):
        return f"{self.__class__.__qualname__}({', '.join([f'{name}={getattr(self, name)!r}' for name in shown])})"

    def __eq__(self, other):
        if other.__class__ is self.__class__:
            return values(self) == values(other)
        return NotImplemented

    def __hash__(self):
        return hash(values(self))

    def __setattr__(self, name, value):
        if type(self) is cls or name in fields:
            _frozen("assign to", name)
        super(cls, self).__setattr__(name, value)

    def __delattr__(self, name):
        if type(self) is cls or name in fields:
            _frozen("delete", name)
        super(cls, self).__delattr__(name)

    return {"__repr__": __repr__, "__eq__": __eq__, "__hash__": __hash__, "__setattr__": __setattr__,
            "__delattr__": __delattr__}


def _is_class_var(annotation) -> bool:
    text = annotation.strip() if isinstance(annotation, str) else repr(annotation)  # typing.ClassVar[int]
    return text.startswith(("ClassVar", "typing.ClassVar", "t.ClassVar"))


def record(cls: type) -> type:
    """Make ``cls`` a frozen record: what `@dataclass(frozen=True)` would make of it (see the module's docstring)."""
    for base in cls.__mro__[1:]:
        if "__dataclass_fields__" in base.__dict__ or "_record_fields" in base.__dict__:
            raise TypeError(f"record {cls.__name__}: base class {base.__name__} has fields, which records do not "
                            "support")
    specs = []  # (name, annotation, _Spec)
    for name, annotation in getattr(cls, "__annotations__", {}).items():  # its own (Python 3.10+), however made
        if _is_class_var(annotation):
            continue
        value = cls.__dict__.get(name, MISSING)
        if isinstance(value, _Spec):
            spec = value
            if spec.default is MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, spec.default)
        else:
            spec = _Spec(value, MISSING, True, True)
        if specs and spec.default is MISSING and spec.default_factory is MISSING and (
                specs[-1][2].default is not MISSING or specs[-1][2].default_factory is not MISSING):
            raise TypeError(f"non-default argument {name!r} follows default argument")
        specs.append((name, annotation, spec))

    names = tuple(name for name, _, _ in specs)
    methods = {"__init__": _init(cls, specs), **_methods(cls, names, specs)}
    for method in ("__setattr__", "__delattr__"):
        if method in cls.__dict__:
            raise TypeError(f"cannot overwrite attribute {method} in class {cls.__name__}")
    for method, function in methods.items():
        if cls.__dict__.get(method) is not None:
            continue  # a method the class defines itself stays, as with dataclasses
        function.__qualname__ = f"{cls.__qualname__}.{method}"
        setattr(cls, method, function)
    if "__replace__" not in cls.__dict__:  # copy.replace (Python 3.13), as a dataclass has it
        cls.__replace__ = _replace_method
    cls.__match_args__ = tuple(names)
    cls._record_fields = tuple(names)
    description = _Description(cls, specs)
    cls.__dataclass_fields__ = description
    cls.__dataclass_params__ = _Params(description)
    if cls.__doc__ is None:
        cls.__doc__ = f"{cls.__name__}({', '.join(f'{n}: {a}' for n, a, _ in specs)})"
    return cls


class _Params:
    """`__dataclass_params__`'s descriptor: asking for it makes the description (and both attributes)."""

    def __init__(self, description: _Description):
        self.description = description

    def __get__(self, obj, objtype=None):
        self.description.__get__(None)
        return self.description.owner.__dict__["__dataclass_params__"]
