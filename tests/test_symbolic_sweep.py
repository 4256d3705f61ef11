"""`sweep` from compiled closed forms: exact at every point, checked against the concrete engine run at a sample of
points of a 100,000-point grid over width, depth (a repeat count) and resolution; the compiler alone against sympy's
own substitution; and the edge cases (an empty layer, a symbol left free, Fractions) handled as before."""

from __future__ import annotations

import random
import time
from fractions import Fraction

import pytest

sympy = pytest.importorskip("sympy")

from paramcalc.engine import analyze  # noqa: E402
from paramcalc.errors import UsageError  # noqa: E402
from paramcalc.exact import compile_exact  # noqa: E402
from paramcalc.explore import Evaluator  # noqa: E402
from paramcalc.graph import load_graph  # noqa: E402
from paramcalc.sweep import sweep  # noqa: E402

from conftest import ROOT  # noqa: E402

FAMILY = ROOT / "benchmarks" / "family.yaml"
H, c = sympy.symbols("H c", integer=True, positive=True)


def _concrete(values: dict):
    t = analyze(load_graph(FAMILY, overrides=values)).totals
    return t.params, t.macs, t.weight_bytes, t.activation_bytes


def test_a_100000_point_sweep_over_width_depth_and_resolution_is_exact_at_sampled_points():
    grids = [("w", tuple(range(8, 401, 8))), ("d", tuple(range(1, 21))), ("r", tuple(range(33, 433, 4)))]
    start = time.perf_counter()
    result = sweep(FAMILY, grids)
    assert time.perf_counter() - start < 300  # a few seconds on a quiet machine; per-point sympy took minutes
    assert len(result.points) == 100_000 and result.method == "symbolic"
    rng = random.Random(14)
    for p in rng.sample(result.points, 25) + [result.points[0], result.points[-1]]:
        values = dict(p.values)
        assert (p.params, p.compute, p.weight_bytes, p.activation_bytes) == _concrete(values), values
        assert all(type(x) is int for x in (p.params, p.compute, p.weight_bytes, p.activation_bytes))


def test_params_follow_the_hand_formula_in_width_and_depth():
    # Per unit of width c: two 3x3 convs (18c^2) and two BatchNorms (4c). Stages at w, 2w, 4w give
    # d * (18 + 72 + 288) w^2 + d * (4 + 8 + 16) w; the stem 3*49*w, the strided convs 18w^2 + 72w^2 and the
    # fc 4w*10 + 10 complete it: params = d(378w^2 + 28w) + 90w^2 + 187w + 10.
    result = sweep(FAMILY, [("w", (8, 40, 96)), ("d", (1, 3, 7))], sets={"r": 64})
    assert result.method == "symbolic"
    for p in result.points:
        w, d = dict(p.values)["w"], dict(p.values)["d"]
        assert p.params == d * (378 * w * w + 28 * w) + 90 * w * w + 187 * w + 10


def test_compiled_closed_forms_equal_sympys_substitution():
    exprs = [
        sympy.floor((H + 1) / 2) ** 2 * c + sympy.Rational(3, 2) * c * (c + 1),
        sympy.ceiling(H / 3) * 7 - sympy.floor(H / 5),
        sympy.Max(3, sympy.floor(H / 4)) + sympy.Min(c, 9),
        sympy.Mod(H, 32),
        H / 7 + c,
        sympy.Piecewise((H - 1, sympy.Ge(2 * H, c + 5)), (H, True)),
        Fraction(5, 3),
        None,
        12,
    ]
    f = compile_exact(exprs, [H, c])
    for h in range(1, 60, 7):
        for cc in (1, 2, 5, 64):
            got = f(h, cc)
            for g, e in zip(got, exprs):
                if e is None or isinstance(e, (int, Fraction)):
                    assert g == e
                    continue
                want = e.subs({H: h, c: cc})
                assert g == want and (type(g) is int) == bool(want.is_Integer), (e, h, cc, g, want)


def test_a_symbol_left_free_and_an_empty_layer_are_still_errors(tmp_path):
    path = tmp_path / "free.yaml"
    path.write_text("symbols: {c: null, H: null}\ninput: [c, H, H]\nlayers:\n"
                    "  - {type: conv, out: c, kernel: 5, bias: false}\n")
    with pytest.raises(UsageError, match="still depend on H"):
        Evaluator(path, ["c"]).at((64,))
    by_side = Evaluator(path, ["H"], sets={"c": 4})
    assert not by_side.valid((4,)) and by_side.valid((5,))   # a 5x5 kernel needs H >= 5
    with pytest.raises(UsageError, match="H=4 a layer's output would be empty"):
        by_side.at((4,))
    assert by_side.at((7,)).compute == 4 * 4 * 25 * 3 * 3      # out 4 x 3 x 3 positions, 4 x 25 MACs each


def test_a_sweep_over_only_a_repeat_count_re_runs_the_engine_and_says_so():
    result = sweep(FAMILY, [("d", (1, 2, 3))], sets={"w": 8, "r": 32})
    assert result.method == "concrete"
    assert [p.params for p in result.points] == [_concrete({"w": 8, "d": d, "r": 32})[0] for d in (1, 2, 3)]


@pytest.mark.parametrize("code", [
    "from paramcalc.sweep import sweep; sweep('vgg_two_3x3', [('c', (8, 16))], sets={'H': 8}, method='concrete')",
    # A folder scan under a budget: the bundled design studies (symbols without values) are skipped unbuilt.
    "from paramcalc.check import run_check; from paramcalc.budget import budget_set; "
    "limit = budget_set({'max_params': '200M'}, origin='command line', file=None, line_of=lambda k: None); "
    "r = run_check(['architectures'], command_line=limit); "
    "assert len(r.skipped) >= 10 and not r.errors, r.errors",
    "from paramcalc.check import run_snapshot; doc, skipped = run_snapshot(['architectures']); assert skipped",
])
def test_sweep_check_and_snapshot_without_symbolic_values_do_not_import_sympy(code):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", f"import sys; {code}; print('sympy' in sys.modules)"],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "False"
