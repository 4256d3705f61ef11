"""Deep models, whole process: `paramcalc show` at 1,000 to 20,000 layers, as a table and as JSON.

Each size is `preresnet1001_cifar` with its units per stage `n` set so that the model has about that many layers
(30n + 8: n = 333 gives 9,998). Every command is a fresh process (`python -m paramcalc show preresnet1001_cifar --set
n=N [--format json]`, output to /dev/null), with the bytecode caches written and used (PYTHONDONTWRITEBYTECODE is
dropped from the children's environment), in a shuffled (interleaved) order each round. It prints, per size and
format, the median wall and CPU seconds (user + system, of the child), and per format a least-squares line through the
CPU medians: the fixed cost (start-up, imports) plus a cost per layer, with r² (1.0 = growth exactly linear in layers).

Give several checkouts to compare versions in the same rounds (each runs with PYTHONPATH at its root):

    python benchmarks/deep.py                                   # this checkout, 5 rounds
    python benchmarks/deep.py --rounds 7 --checkout before=/tmp/main --checkout after=.
    python benchmarks/deep.py --sizes 1000,10000 --formats json --python /work/venv/bin/python

Goal (issue 14): 10,000 layers in under 1 s as a table and as JSON, growth linear in layers.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL = "preresnet1001_cifar"
SIZES = (1_000, 2_500, 5_000, 10_000, 20_000)
FORMATS = ("table", "json")


def units_for(layers: int) -> int:
    """preresnet1001_cifar has 30n + 8 layers (3 stages of n units of 10 layers, a projection per stage, a stem and
    a head)."""
    return max(1, round((layers - 8) / 30))


def layers_of(n: int) -> int:
    return 30 * n + 8


def run(python: str, checkout: Path, n: int, fmt: str) -> tuple[float, float]:
    """Wall and CPU seconds of one fresh `paramcalc show` process."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "COLUMNS")}
    env["PYTHONPATH"] = str(checkout)
    cmd = [python, "-m", "paramcalc", "show", MODEL, "--set", f"n={n}"] + (["--format", fmt] if fmt != "table" else [])
    start = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=checkout)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    error = child.stderr.read().decode()
    child.stderr.close()
    if child.returncode != 0:
        raise SystemExit(f"failed ({child.returncode}): {' '.join(cmd)} in {checkout}\n{error[-800:]}")
    return wall, usage.ru_utime + usage.ru_stime


def fit(points: list[tuple[int, float]]) -> tuple[float, float, float]:
    """Least-squares line y = a + b x: (a, b, r²)."""
    xs, ys = [x for x, _ in points], [y for _, y in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in points) / sxx
    a = my - b * mx
    ss = sum((y - my) ** 2 for y in ys)
    r2 = 1 - sum((y - a - b * x) ** 2 for x, y in points) / ss if ss else 1.0
    return a, b, r2


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)), help="approximate layer counts, comma-separated")
    ap.add_argument("--formats", default=",".join(FORMATS))
    ap.add_argument("--checkout", action="append", default=[],
                    help="LABEL=PATH (or PATH) of a paramcalc checkout to time; repeat to compare (default: this one)")
    ap.add_argument("--python", default=sys.executable, help="Python with paramcalc's dependencies")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    checkouts = {}
    for spec in args.checkout or [str(ROOT)]:
        label, _, path = spec.rpartition("=")
        path = Path(path).resolve()
        checkouts[label or path.name] = path
    units = [units_for(int(s)) for s in args.sizes.split(",") if s]
    formats = [f for f in args.formats.split(",") if f]
    for label, path in checkouts.items():  # write the bytecode caches, and fail early on a broken checkout
        run(args.python, path, units[0], formats[0])
    cases = [(label, n, fmt) for label in checkouts for n in units for fmt in formats]
    wall: dict = {c: [] for c in cases}
    cpu: dict = {c: [] for c in cases}
    rng = random.Random(args.seed)
    for r in range(args.rounds):
        rng.shuffle(cases)
        for label, n, fmt in cases:
            w, c = run(args.python, checkouts[label], n, fmt)
            wall[label, n, fmt].append(w)
            cpu[label, n, fmt].append(c)
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)

    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",) * 3
    print(f"{MODEL} --set n=N, whole process, median of {args.rounds} interleaved rounds; load average "
          f"{' '.join(f'{x:.2f}' for x in load)} at the end; {os.cpu_count()} CPUs; {sys.version.split()[0]}")
    for label, path in checkouts.items():
        print(f"\n{label} ({path})")
        print(f"{'layers':>8} " + " ".join(f"{fmt + ' wall':>11} {fmt + ' CPU':>10}" for fmt in formats))
        for n in sorted(units):
            cells = " ".join(f"{statistics.median(wall[label, n, fmt]):>10.3f}s {statistics.median(cpu[label, n, fmt]):>9.3f}s"
                             for fmt in formats)
            print(f"{layers_of(n):>8,} {cells}")
        if len(units) >= 2:
            for fmt in formats:
                a, b, r2 = fit([(layers_of(n), statistics.median(cpu[label, n, fmt])) for n in units])
                print(f"  {fmt}: CPU = {a:.3f} s + {b * 1e6:.1f} µs/layer (r² {r2:.4f})")
    if len(checkouts) > 1:
        first = next(iter(checkouts))
        print(f"\nCPU time relative to {first} (median / median)")
        for label in list(checkouts)[1:]:
            for fmt in formats:
                ratios = " ".join(f"{layers_of(n):,}: {statistics.median(cpu[label, n, fmt]) / statistics.median(cpu[first, n, fmt]):.2f}"
                                  for n in sorted(units))
                print(f"  {label} {fmt}: {ratios}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
