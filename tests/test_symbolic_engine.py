"""Symbolic analysis stays small and fast, and its closed forms are right: a chain of ceil-mode pools on a symbolic
size, and every bundled architecture with its symbols left free, substituted back and compared with the concrete
analysis at the file's own default values (an independent check of each closed form).

Time bounds are loose on purpose: they are there to catch an exponential blow-up (four ceil-mode pools once never
finished; googlenet --symbolic ended in sympy's PrecisionExhausted), not to measure speed (benchmarks/symbolic.py
does that).
"""

from __future__ import annotations

import time
from fractions import Fraction

import pytest

sympy = pytest.importorskip("sympy")

from paramcalc import num  # noqa: E402
from paramcalc.bundled import names, resolve  # noqa: E402
from paramcalc.engine import analyze  # noqa: E402
from paramcalc.errors import SpecError  # noqa: E402
from paramcalc.graph import load_graph  # noqa: E402

from conftest import analyse_text  # noqa: E402

H = sympy.Symbol("H", integer=True, positive=True)


def torch_pool_out(L, k, s, p, d=1, ceil_mode=True):
    """PyTorch's pooling_output_shape (aten/src/ATen/native/Pool.h), written out here independently: the output
    rounds up in ceil mode, but the last window must start inside the input or its left padding."""
    span = L + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= L + p:
        out -= 1
    return out


def pool_chain(n, kernel=3, stride=2, padding=1):
    layer = f"  - {{type: maxpool, kernel: {kernel}, stride: {stride}, padding: {padding}, ceil_mode: true}}\n"
    return "symbols: {H: null}\ninput: [3, H, H]\nlayers:\n" + layer * n


@pytest.mark.parametrize("n", range(1, 9))
def test_a_chain_of_ceil_mode_pools_stays_one_floor_and_matches_pytorch(n):
    start = time.perf_counter()
    a = analyse_text(pool_chain(n))
    assert time.perf_counter() - start < 20, "a chain of ceil-mode pools took exponential time"
    size = a.layers[-1].output_shape[2]
    assert size.count(sympy.floor) == 1 and size.count(sympy.Piecewise) == 0, size
    for h in [*range(1, 70), 223, 224, 225, 1000, 1023, 1024, 1025]:
        expected = h
        for _ in range(n):
            expected = torch_pool_out(expected, 3, 2, 1)
        assert size.xreplace({H: h}) == expected, (n, h)
    # The totals are one closed form too: substituted, they equal the concrete analysis.
    concrete = analyse_text(pool_chain(n), overrides={"H": 97})
    assert a.totals.activation_bytes.xreplace({H: 97}) == concrete.totals.activation_bytes
    assert a.totals.ops["pooling"].xreplace({H: 97}) == concrete.totals.ops["pooling"]


@pytest.mark.parametrize("kernel,stride,padding,dilation", [
    (2, 2, 0, 1), (3, 2, 0, 1), (3, 2, 1, 1), (3, 1, 1, 1), (2, 3, 1, 1), (1, 2, 0, 1), (5, 3, 2, 1), (3, 3, 1, 2),
    (4, 4, 2, 1), (2, 5, 0, 1),
])
def test_ceil_mode_window_closed_form_equals_pytorchs_rule_at_every_size(kernel, stride, padding, dilation):
    text = ("symbols: {H: null}\ninput: [1, H]\nlayers:\n"
            f"  - {{type: maxpool, kernel: {kernel}, stride: {stride}, padding: {padding}, dilation: {dilation}, "
            "ceil_mode: true}\n")
    size = analyse_text(text).layers[-1].output_shape[2]
    assert size.count(sympy.Piecewise) == 0
    k_eff = dilation * (kernel - 1) + 1
    for h in range(max(1, k_eff - 2 * padding), 200):
        assert size.xreplace({H: h}) == torch_pool_out(h, kernel, stride, padding, dilation), h


@pytest.mark.parametrize("steps", [
    ((2, 1), (2, 0)), ((3, 5), (7, -2), (2, 1)), ((4, 3), (4, 3), (4, 3), (4, 3)), ((5, -1), (3, 2)),
])
def test_nested_floor_and_ceil_divisions_collapse_to_one_floor(steps):
    # floor((floor((x + a)/m) + b)/n) == floor((x + a + b*m)/(m*n)): each step is a whole offset then a division.
    x, values = H, {h: h for h in range(1, 300)}
    for i, (m, b) in enumerate(steps):
        divide = num.floordiv if i % 2 == 0 else num.ceildiv
        x = divide(x + b, m)
        values = {h: (v + b) // m if i % 2 == 0 else -(-(v + b) // m) for h, v in values.items()}
    assert x.count(sympy.floor) == 1 and x.count(sympy.ceiling) == 0, x
    for h, v in values.items():
        assert x.xreplace({H: h}) == v


def test_sums_of_many_symbolic_terms_are_one_add():
    c = num.symbol("c")
    terms = [c * i for i in range(1, 2001)] + [7, Fraction(1, 2), Fraction(1, 2)]
    assert num.total(terms) == 2001000 * c + 8


def _defaults_and_symbolic(name):
    """The concrete analysis at the file's defaults, and the analysis with every symbol free (those that set a
    `repeat:` count must stay numbers: they are given their defaults)."""
    path = resolve(name)
    concrete = analyze(load_graph(path))
    defaults = dict(concrete.symbols)
    start = time.perf_counter()
    try:
        symbolic = analyze(load_graph(path, symbolic=True))
    except SpecError as e:
        assert "repeat" in str(e) and "\n" not in str(e)
        fixed = {k: v for k, v in defaults.items()}
        symbolic = analyze(load_graph(path, symbolic=True, overrides=fixed))
    seconds = time.perf_counter() - start
    return concrete, symbolic, defaults, seconds


def _at(value, env):
    """A symbolic value with the defaults substituted (xreplace evaluates floors exactly)."""
    if value is None or num.is_concrete(value):
        return value
    return num.normalize(sympy.sympify(value).xreplace(env))


@pytest.mark.parametrize("name", names())
def test_symbolic_analysis_of_every_bundled_architecture_is_fast_and_substitutes_to_the_concrete_one(name):
    concrete, symbolic, defaults, seconds = _defaults_and_symbolic(name)
    # Well under a second per hundred layers on a quiet machine; only a blow-up breaks this bound.
    assert seconds < 10 + 0.2 * len(concrete.layers), f"{name}: symbolic analysis took {seconds:.1f} s"
    env = {sympy.Symbol(k, integer=True, positive=True): v for k, v in defaults.items()}
    assert len(symbolic.layers) == len(concrete.layers)
    exact_fields = True  # an adaptive pool's symbolic window is an upper bound (layers/pool.py): fields after it
    for s, c in zip(symbolic.layers, concrete.layers):
        exact_fields = exact_fields and not c.type.startswith("adaptive_")
        assert tuple(_at(x, env) for x in s.output_shape) == c.output_shape, (name, c.name)
        for key in ("params", "buffers", "macs", "flops", "activation_elements"):
            assert _at(getattr(s, key), env) == getattr(c, key), (name, c.name, key)
        assert {k: _at(v, env) for k, v in s.ops.items()} == c.ops, (name, c.name)
        if exact_fields and c.receptive_field is not None and not c.receptive_field.whole:
            assert tuple(_at(x, env) for x in s.receptive_field.size) == c.receptive_field.size, (name, c.name)
    for key in ("params", "trainable_params", "buffers", "macs", "flops", "weight_bytes", "activation_bytes"):
        assert _at(getattr(symbolic.totals, key), env) == getattr(concrete.totals, key), (name, key)
    assert {k: _at(v, env) for k, v in symbolic.totals.ops.items()} == concrete.totals.ops


@pytest.mark.parametrize("name", ["googlenet", "fcn32s_vgg16", "squeezenet1_0", "inception_v3"])
def test_show_symbolic_finishes_on_the_networks_that_used_to_blow_up(name, run_cli):
    start = time.perf_counter()
    r = run_cli("show", name, "--symbolic", "--format", "json")
    assert r.exit_code == 0, r.output
    assert time.perf_counter() - start < 60


def test_strided_same_padding_chain_stays_small_and_equals_tensorflows_ceil_rule():
    """Five stride-2 'same' convolutions with a free kernel size: each size is ceil(L/2) (TensorFlow's 'SAME' rule,
    derived in base.window_output's docstring); before, the padding's max nested in every later size and the
    analysis ran for minutes (a fuzz-found hang)."""
    import math
    import time

    from conftest import analyse_text

    text = """
        symbols: {M: null, N: null, Dk: 3, H: null}
        input: [M, H, H]
        layers:
          - {type: conv, out: N, kernel: Dk, padding: same, bias: false, repeat: 5, stride: 2}
    """
    start = time.process_time()
    a = analyse_text(text, symbolic=True)
    assert time.process_time() - start < 30  # loose: only a blow-up of the expressions can break it
    H = num.symbol("H")
    for H_value in (1, 2, 7, 31, 32, 33, 224):
        for k in (1, 2, 3, 5):
            concrete = analyse_text(text, overrides={"M": 3, "N": 4, "H": H_value, "Dk": k})
            expected = H_value
            for layer_sym, layer in zip(a.layers, concrete.layers):
                expected = math.ceil(expected / 2)
                assert layer.output_shape[2] == expected
                assert int(num.sympy().sympify(layer_sym.output_shape[2]).subs(H, H_value)) == expected
