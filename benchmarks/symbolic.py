"""Symbolic analysis and sweep speed: concrete vs --symbolic on the bundled networks, a 10,000-layer symbolic model,
and a 100,000-point sweep from compiled closed forms. Prints one table per part, with ratios.

    python benchmarks/symbolic.py                       # everything (a few minutes on 2 cores)
    python benchmarks/symbolic.py --nets resnet50 googlenet --skip-deep --skip-sweep
    PYTHONPATH=/path/to/other/checkout python benchmarks/symbolic.py --skip-sweep   # the same on another version

Times are CPU seconds of this process (time.process_time), the best of --rounds rounds in which the concrete and
the symbolic analysis take turns: on a shared machine that is what the code costs, undisturbed by other processes,
and both sides of a ratio meet the machine in the same state. sympy is imported before anything is timed
(its import, about 0.2 s, is paid once per process), and every remembered symbolic result is forgotten before each
symbolic analysis, so each one is timed as a first analysis. A model that runs past --timeout seconds is reported
as such (the version before this work never finished googlenet, fcn32s_vgg16 and squeezenet --symbolic).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(HERE.parent))  # this checkout, unless PYTHONPATH names another

import sympy  # noqa: E402  (imported before timing on purpose)

from paramcalc import num  # noqa: E402
from paramcalc.bundled import names, resolve  # noqa: E402
from paramcalc.engine import analyze  # noqa: E402
from paramcalc.graph import build_graph, load_graph  # noqa: E402
from paramcalc.spec import load_text  # noqa: E402


class Timeout(Exception):
    pass


def _alarm(*_):
    raise Timeout


def forget():
    """Clear every cache of symbolic results, paramcalc's (where this version has them) and sympy's."""
    if hasattr(num, "clear_caches"):
        num.clear_caches()
    try:
        from paramcalc.layers import base

        base._symbolic_window_output.cache_clear()
    except AttributeError:
        pass
    sympy.core.cache.clear_cache()


def cpu(fn, timeout):
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(timeout)
    try:
        start = time.process_time()
        fn()
        return time.process_time() - start
    except Timeout:
        return None
    finally:
        signal.alarm(0)


def best(fn, rounds, timeout, before=None):
    times = []
    for _ in range(rounds):
        if before:
            before()
        t = cpu(fn, timeout)
        if t is None:
            return None
        times.append(t)
    return min(times)


def paired(concrete, symbolic, rounds, timeout):
    """The best of ``rounds`` CPU times of each, a concrete and a symbolic analysis taking turns (caches cleared
    before each symbolic one), so both meet the same state of a shared machine; (None, None) after a timeout."""
    times_c, times_s = [], []
    for _ in range(rounds):
        t_c = cpu(concrete, timeout)
        forget()
        t_s = cpu(symbolic, timeout)
        if t_c is None:
            return None, None
        times_c.append(t_c)
        if t_s is None:
            return min(times_c), None
        times_s.append(t_s)
    return min(times_c), min(times_s)


def show(t):
    return "timeout" if t is None else f"{t * 1000:8.1f}"


def nets_part(nets, rounds, timeout):
    print(f"{'network':24s} {'layers':>6s} {'concrete ms':>11s} {'symbolic ms':>11s} {'ratio':>6s}  symbols")
    for name in nets:
        path = resolve(name)
        concrete_graph = load_graph(path)
        layers = len(concrete_graph.nodes)
        free = {}
        try:
            load_graph(path, symbolic=True)
        except Exception:  # a symbol that sets a repeat count keeps its value
            free = dict(concrete_graph.symbols)
        t_concrete, t_symbolic = paired(lambda: analyze(load_graph(path)),
                                        lambda: analyze(load_graph(path, symbolic=True, overrides=free)),
                                        rounds, timeout)
        ratio = f"{t_symbolic / t_concrete:6.2f}" if t_symbolic and t_concrete else "     -"
        symbols = ", ".join(k for k, _ in concrete_graph.symbols if k not in free) or "-"
        print(f"{name:24s} {layers:6d} {show(t_concrete):>11s} {show(t_symbolic):>11s} {ratio}  {symbols}", flush=True)


def deep_text(layers: int) -> str:
    unit = ("      - {type: conv, out: c, kernel: 3, padding: 1, bias: false}\n      - {type: batchnorm}\n"
            "      - {type: relu}\n      - {type: conv, out: c, kernel: 3, padding: 1, bias: false}\n"
            "      - {type: batchnorm}\n      - {name: sum, type: add, inputs: [prev, in]}\n      - {type: relu}\n"
            "      - {type: conv, out: c, kernel: 1, bias: false}\n      - {type: relu}\n      - {type: batchnorm}\n")
    return ("symbols: {c: 64, H: 56}\ninput: [c, H, H]\nblocks:\n  unit:\n    layers:\n" + unit
            + f"layers:\n  - {{name: body, type: unit, repeat: {layers // 10}}}\n")


def deep_part(layers, rounds, timeout):
    text = deep_text(layers)
    print(f"{'model':24s} {'layers':>6s} {'concrete ms':>11s} {'symbolic ms':>11s} {'ratio':>6s}  symbols")
    t_concrete, t_symbolic = paired(lambda: analyze(build_graph(load_text(text))),
                                    lambda: analyze(build_graph(load_text(text), symbolic=True)), rounds, timeout)
    ratio = f"{t_symbolic / t_concrete:6.2f}" if t_symbolic and t_concrete else "     -"
    print(f"{'deep residual':24s} {layers:6d} {show(t_concrete):>11s} {show(t_symbolic):>11s} {ratio}  c, H")


def sweep_part(rounds, timeout):
    from paramcalc.sweep import sweep

    family = HERE / "family.yaml"
    grids = [("w", tuple(range(8, 401, 8))), ("d", tuple(range(1, 21))), ("r", tuple(range(33, 433, 4)))]
    count = 50 * 20 * 100
    t = best(lambda: sweep(family, grids), rounds, timeout, before=forget)
    rate = f"{count / t:,.0f} points/s" if t else "-"
    print(f"sweep benchmarks/family.yaml: w 8..400 x d 1..20 x r 33..429 = {count:,} points: "
          f"{'timeout' if t is None else f'{t:.2f} s'} CPU ({rate}; 20 symbolic analyses, one per depth)")
    one = [("res", tuple(range(32, 1032)))]
    t = best(lambda: sweep("resnet50", one), rounds, timeout, before=forget)
    print(f"sweep resnet50 res 32..1031 = 1,000 points: {'timeout' if t is None else f'{t:.2f} s'} CPU "
          f"(one symbolic analysis)")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--nets", nargs="*", default=None, help="bundled networks (default: all)")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--timeout", type=int, default=60, help="seconds before one analysis counts as a blow-up")
    p.add_argument("--deep-layers", type=int, default=10_000)
    p.add_argument("--skip-nets", action="store_true")
    p.add_argument("--skip-deep", action="store_true")
    p.add_argument("--skip-sweep", action="store_true")
    args = p.parse_args()
    print(f"python {sys.version.split()[0]}, sympy {sympy.__version__}, {os.cpu_count()} CPUs; CPU seconds, "
          f"best of {args.rounds}")
    # Warm up lazily imported modules (sympy's and paramcalc's) outside any timing.
    analyze(load_graph(resolve("resnet18"), symbolic=True))
    if not args.skip_nets:
        nets_part(args.nets or names(), args.rounds, args.timeout)
    if not args.skip_deep:
        deep_part(args.deep_layers, args.rounds, args.timeout * 5)
    if not args.skip_sweep:
        sweep_part(args.rounds, args.timeout * 5)


if __name__ == "__main__":
    main()
