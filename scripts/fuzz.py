"""Fuzz the whole path, YAML -> graph -> engine -> every renderer, with mutated architectures; count what breaks.

Each case is made afresh from (seed, index): a bundled architecture or a small generated network, mutated one to
three times at the text level (a value swapped for an awkward one, a line dropped, doubled or moved, a character put
in or taken out, the text cut short), then analysed concretely or with every symbol free, and rendered as a table
(at 60 to 200 columns), JSON, markdown and CSV. A case ends in one of:

  ok      a result, every renderer ran
  clean   a ParamcalcError whose text is one line (what the CLI prints with exit code 2)
  crash   any other exception, or a ParamcalcError spread over several lines (the CLI's exit 3 or a broken promise)
  hang    over the per-case limit of CPU time (an alarm inside the worker; a worker stuck in C code is killed)

    python scripts/fuzz.py --cases 100000 --jobs 2 --timeout 2 --out fuzz-out

prints the counts and writes each crash and hang to --out as a YAML file (its first lines say how it was run and what
happened, so `paramcalc show FILE [--symbolic]` reproduces it) plus summary.json. tests/test_fuzz.py runs a few
thousand cases of the same generator in the suite.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import re
import signal
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Awkward values a user (or a typo) can put where a value goes.
NUMBERS = ["0", "1", "2", "3", "-1", "-3", "7", "64", "1000", "0.5", "1.5", "0.29", "1e3", "1.0e+400", "-0", "+3",
           str(2**63), str(2**63 + 1), "9" * 25, "9" * 5000, ".inf", "-.inf", ".nan", "1:30", "0x1F", "0b101", "0o17",
           "017", "1_000", "100000000"]
EXPRESSIONS = ["c", "c//2", "2*c", "c/3", "c-c", "c//(c-c)", "max(8, c//4)", "'max(8, c//4)'", "min(c, 3)",
               "floor(c/3)", "ceil(c/3)", "2**k", "c**c", "64**64**64", "2**64", "H", "H//2", "H-1", "undefined",
               "__import__('os')", "'1/0'", "c%3", "(c", "c)", "c*0.75", "3/4", "'9999999999999999999999*c'"]
STRUCTURES = ["null", "~", "true", "false", "yes", "[]", "{}", "[1, 2]", "[[1, 0], [0, 1]]", "{a: 1}", "[c, H, H]",
              "[3, H, H]", "[3, 8]", "[4]", "[2, 3, 4, 5]", "'relu\\n'", '"relu\\n"', "x" * 300, "same", "valid",
              "nearest", "bilinear", "2001-13-45", '!!int "abc"', "!!float 0x1F", '!!timestamp "2001-13-45"',
              "!!int 0b1*2", "!!python/object/apply:os.system ['true']", "*a", "&a 3", "*nowhere", "'", '"', "[",
              "{", "]", "}", ":", "- ", "\t", "\x00", "\x01", "\ufeff", "é", "\u2028", "prev", "in", "input",
              "[prev, in]", "[input, prev]"]
CHARACTERS = "[]{},:'\"#&*!|>-?%@` \t\n\x00\x01\x7fé\u2028"
WIDTHS = (60, 80, 100, 120, 200)


def _vocabulary():
    from paramcalc.layers import REGISTRY

    types = sorted(REGISTRY)
    attributes = sorted({a for layer in REGISTRY.values() for a in layer.attributes})
    _OWN.update({t: sorted(REGISTRY[t].attributes) for t in types})
    return types, attributes


_OWN: dict = {}  # layer type -> its own attributes


def _bundled() -> list[tuple[str, str]]:
    folder = ROOT / "architectures"
    return [(p.stem, p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.yaml"))]


SENSIBLE = ["1", "2", "3", "4", "8", "16", "c", "2*c", "c//2", "true", "false", "same", "valid", "[1, 1]", "0"]


def _cost(text: str) -> int:
    """A rough measure of the layers a file expands to (a case's time grows with them): its layer entries, times 8
    when it repeats blocks."""
    return max(text.count("type:"), 1) * (8 if "repeat:" in text else 1)


def _value(rng, types, attributes, sensible=0.0) -> str:
    if rng.random() < sensible:
        return rng.choice(SENSIBLE)
    pool = rng.choice((NUMBERS, NUMBERS, EXPRESSIONS, STRUCTURES, types, attributes))
    return rng.choice(pool)


def _small_network(rng, types, attributes) -> str:
    """A few layers of random types with random attributes, sometimes with symbols, a block and repeats."""
    lines = []
    symbolic = rng.random() < 0.5
    if symbolic:
        lines.append(f"symbols: {{c: {rng.choice(['8', '16', 'null'])}, H: {rng.choice(['32', '17', 'null'])}}}")
    shape = rng.choice(["[3, 32, 32]", "[3, 17, 17]", "[16, 8]", "[10]", "[2, 6, 7, 8]"] +
                       (["[c, H, H]", "[3, H, H]", "[c, 8, 8]"] if symbolic else []))
    lines.append(f"input: {shape}")
    if rng.random() < 0.3:
        inner = rng.choice(types)
        lines += ["blocks:", "  unit:", f"    args: {{k: {rng.choice(['3', '1', 'null'])}}}", "    layers:",
                  f"      - {{type: {inner}, out: 8, kernel: k, padding: 1}}",
                  "      - {type: relu}"]
    lines.append("layers:")
    for i in range(rng.randint(1, 6)):
        kind = "unit" if "blocks:" in lines and rng.random() < 0.3 else rng.choice(types)
        parts = [f"type: {kind}", f"name: l{i}"]
        own = _OWN.get(kind) or attributes
        for attribute in rng.sample(own if rng.random() < 0.85 else attributes, min(rng.randint(0, 3), len(own))):
            parts.append(f"{attribute}: {_value(rng, types, attributes, sensible=0.8)}")
        if kind in ("conv", "linear", "dense", "fc") or rng.random() < 0.3:
            parts.append(f"out: {rng.choice(['4', '8', 'c', '2*c', '10'])}")
        if kind.startswith(("conv", "max", "avg")):
            parts.append(f"kernel: {rng.choice(['1', '2', '3'])}")
        if rng.random() < 0.15:
            parts.append(f"repeat: {rng.choice(['0', '1', '2', '3', 'c', '-1'])}")
        if rng.random() < 0.2 and i:
            parts.append(f"inputs: [l{rng.randrange(i)}, prev]")
        lines.append("  - {" + ", ".join(parts) + "}")
    return "\n".join(lines) + "\n"


def _mutate(rng, text, types, attributes, donors) -> str:
    kind = rng.randrange(8)
    lines = text.split("\n")
    if kind <= 2:  # a value or word swapped for an awkward one
        tokens = list(re.finditer(r"[A-Za-z0-9_.+\-*/()]+", text))
        if tokens:
            t = rng.choice(tokens)
            return text[:t.start()] + _value(rng, types, attributes) + text[t.end():]
    elif kind == 3 and len(lines) > 1:  # a line dropped, doubled or moved
        i = rng.randrange(len(lines))
        op = rng.randrange(3)
        if op == 0:
            del lines[i]
        elif op == 1:
            lines.insert(i, lines[i])
        else:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        return "\n".join(lines)
    elif kind == 4:  # a character put in or taken out
        i = rng.randrange(len(text) + 1)
        if rng.random() < 0.5 and i < len(text):
            return text[:i] + text[i + 1:]
        return text[:i] + rng.choice(CHARACTERS) + text[i:]
    elif kind == 5:  # cut short
        return text[:rng.randrange(len(text) + 1)]
    elif kind == 6:  # a line from another file
        donor = rng.choice(donors).split("\n")
        lines.insert(rng.randrange(len(lines) + 1), rng.choice(donor))
        return "\n".join(lines)
    # a repeat, a stride or a ceil-mode pool added to a layer written on one line
    candidates = [i for i, line in enumerate(lines) if line.rstrip().endswith("}") and "type:" in line]
    if candidates:
        i = rng.choice(candidates)
        extra = rng.choice([f"repeat: {rng.choice(['0', '2', '5', 'c'])}", "stride: 2", "ceil_mode: true",
                            f"groups: {rng.choice(['2', '3', 'c'])}", "padding: same", "dilation: 2"])
        lines[i] = lines[i].rstrip()[:-1] + ", " + extra + "}"
        return "\n".join(lines)
    return text


class Case:
    """One fuzz input and how to run it."""

    __slots__ = ("index", "origin", "text", "symbolic", "depth", "width", "batch")

    def __init__(self, index, origin, text, symbolic, depth, width, batch):
        self.index, self.origin, self.text = index, origin, text
        self.symbolic, self.depth, self.width, self.batch = symbolic, depth, width, batch

    def header(self) -> str:
        flags = " --symbolic" if self.symbolic else ""
        flags += f" --depth {self.depth}" if self.depth is not None else ""
        flags += f" --batch {self.batch}" if self.batch != 1 else ""
        return f"# fuzz case {self.index} from {self.origin}: paramcalc show FILE{flags} (COLUMNS={self.width})"


class Generator:
    """Cases made from (seed, index) alone, so any worker can make any case and a report names it by number."""

    def __init__(self, seed: int, bundled_share: float = 0.4, max_cost: int = 10**9):
        self.seed = seed
        self.types, self.attributes = _vocabulary()
        self.bundled = [(n, t) for n, t in _bundled() if _cost(t) <= max_cost]
        self.bundled_share = bundled_share
        self.weights = [1 / max(_cost(t), 20) for _, t in self.bundled]  # smaller networks more often

    def case(self, index: int) -> Case:
        rng = random.Random(f"{self.seed}:{index}")
        if self.bundled and rng.random() < self.bundled_share:
            origin, text = rng.choices(self.bundled, weights=self.weights)[0]
        else:
            origin, text = "a generated network", _small_network(rng, self.types, self.attributes)
        donors = [t for _, t in rng.sample(self.bundled, min(2, len(self.bundled)))] or [text]
        for _ in range(rng.choice((0, 1, 1, 1, 2, 3))):
            text = _mutate(rng, text, self.types, self.attributes, donors)
        return Case(index, origin, text, rng.random() < 0.3, rng.choice((None, None, 0, 1)), rng.choice(WIDTHS),
                    rng.choice((1, 1, 3)))


class Timeout(BaseException):
    """The per-case time limit passed (a BaseException, so that no `except Exception` in a library swallows it)."""


def _alarm(signum, frame):
    raise Timeout


def run_case(case: Case) -> None:
    """The whole path for one case; returns on success, raises what the path raised."""
    from paramcalc.engine import analyze
    from paramcalc.graph import build_graph
    from paramcalc.render import csvout, jsonout, markdown, table
    from paramcalc.render.grid import Terminal
    from paramcalc.spec import load_text

    file = f"fuzz-{case.index}.yaml"
    analysis = analyze(build_graph(load_text(case.text, file), file, symbolic=case.symbolic), batch=case.batch)
    json.loads(jsonout.render(analysis))
    markdown.render(analysis, case.depth)
    csvout.render(analysis, case.depth)
    table.lines(analysis, case.depth, term=Terminal(width=case.width, color=False))


def classify(case: Case, timeout: float) -> tuple[str, str, str]:
    """(outcome, message, where): where is the innermost paramcalc frame of a crash, for grouping."""
    from paramcalc.errors import ParamcalcError

    # The limit is CPU time of this process (ITIMER_PROF): on a shared machine the wall clock counts the others too.
    old = signal.signal(signal.SIGPROF, _alarm)
    signal.setitimer(signal.ITIMER_PROF, timeout)
    try:
        run_case(case)
        return "ok", "", ""
    except Timeout:
        return "hang", f"over {timeout:g} s of CPU", _where(sys.exc_info()[2])
    except ParamcalcError as e:
        text = str(e)
        if "\n" in text or "\r" in text or len(text) > 1200:
            return "crash", f"error message not one short line: {text[:300]!r}", "message"
        return "clean", text, ""
    except (Exception, RecursionError) as e:  # noqa: B014 — every other exception is a finding
        return "crash", f"{type(e).__name__}: {str(e)[:300]}", _where(sys.exc_info()[2])
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, old)


def _where(tb) -> str:
    frames = [f for f in traceback.extract_tb(tb) if "/paramcalc/" in f.filename.replace(os.sep, "/")]
    if not frames:
        return "?"
    f = frames[-1]
    return f"{f.filename.replace(os.sep, '/').split('/paramcalc/', 1)[1]}:{f.lineno} ({f.name})"


# ------------------------------------------------------------------------------------------- the large run

def warm_up() -> None:
    """Import what the cases use (sympy alone takes 0.2 s, more on a busy machine) before any case is timed: an alarm
    that interrupted an import would leave a half-imported module behind for every later case."""
    import rich.console  # noqa: F401
    import rich.table  # noqa: F401

    from paramcalc import num
    from paramcalc.render import csvout, jsonout, markdown, table  # noqa: F401

    num.sympy().simplify(num.symbol("c") // 2 + 1)
    run_case(Case(-1, "warm-up", "symbols: {c: null}\ninput: [c, 8, 8]\nlayers:\n  - {type: conv, out: c, kernel: 3}\n"
                  "  - {type: maxpool, kernel: 2, ceil_mode: true}\n", True, None, 80, 1))


def _worker(w, jobs, cases, seed, timeout, current, started, results):
    gen = Generator(seed)
    warm_up()
    i = current[w] if current[w] >= 0 else w
    while i < cases:
        current[w], started[w] = i, time.time()
        case = gen.case(i)
        t0 = time.perf_counter()
        outcome, message, where = classify(case, timeout)
        results.put((i, outcome, message, where, time.perf_counter() - t0))
        i += jobs
    current[w] = cases
    results.put(None)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=10)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--timeout", type=float, default=2.0, help="seconds per case (default 2)")
    ap.add_argument("--out", default="fuzz-out", help="folder for the failing inputs and summary.json")
    ap.add_argument("--max-minutes", type=float, default=None, help="stop after this long and report what ran")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    gen = Generator(args.seed)
    ctx = mp.get_context("fork")
    current = ctx.Array("q", [-1] * args.jobs, lock=False)
    started = ctx.Array("d", [0.0] * args.jobs, lock=False)
    results = ctx.Queue()
    workers = {}

    def start(w):
        p = ctx.Process(target=_worker, args=(w, args.jobs, args.cases, args.seed, args.timeout, current, started,
                                              results), daemon=True)
        p.start()
        workers[w] = p

    for w in range(args.jobs):
        start(w)
    counts = {"ok": 0, "clean": 0, "crash": 0, "hang": 0}
    groups: dict = {}
    slowest = (0.0, -1)
    begin = time.time()
    finished = 0
    deadline = begin + args.max_minutes * 60 if args.max_minutes else None
    last_report = begin

    def record(i, outcome, message, where, seconds):
        nonlocal slowest
        counts[outcome] += 1
        slowest = max(slowest, (seconds, i))
        if outcome in ("crash", "hang"):
            key = f"{outcome}: {where}: {re.sub(r'[0-9]+', 'N', message)[:120]}"
            groups.setdefault(key, []).append(i)
            case = gen.case(i)
            (out / f"{outcome}-{i}.yaml").write_text(f"{case.header()}\n# {outcome}: {message} at {where}\n"
                                                     f"{case.text}", encoding="utf-8", errors="backslashreplace")

    while finished < args.jobs:
        try:
            item = results.get(timeout=0.5)
        except Exception:
            item = "idle"
        if item is None:
            finished += 1
        elif item != "idle":
            record(*item)
        now = time.time()
        # A worker still on one case after 60 s of wall time (the limit is CPU time: a busy machine stretches it, but
        # not this far) is stuck in C code, where the alarm cannot interrupt it: it is killed and replaced.
        for w, p in list(workers.items()):
            if p.is_alive() and 0 <= current[w] < args.cases and now - started[w] > max(60, 20 * args.timeout):
                p.kill()
                p.join()
                i = current[w]
                record(i, "hang", f"killed after {now - started[w]:.0f} s", "?", now - started[w])
                current[w] = i + args.jobs
                started[w] = now + 60  # the new worker's imports and warm-up are not a case
                start(w)
        if deadline and now > deadline:
            for p in workers.values():
                p.kill()
            break
        if now - last_report > 60:
            last_report = now
            print(f"... {sum(counts.values()):,} cases, {counts} ({now - begin:.0f} s)", flush=True)
    total = sum(counts.values())
    summary = {"cases": total, "seed": args.seed, "timeout_s": args.timeout, "jobs": args.jobs,
               "seconds": round(time.time() - begin, 1), **counts,
               "slowest_case": {"index": slowest[1], "seconds": round(slowest[0], 3)},
               "groups": {k: {"count": len(v), "examples": v[:5]} for k, v in sorted(groups.items())}}
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(f"{total:,} cases in {summary['seconds']} s (seed {args.seed}, {args.jobs} processes, "
          f"{args.timeout:g} s per case): ok {counts['ok']:,}, clean errors {counts['clean']:,}, "
          f"crashes {counts['crash']:,}, hangs {counts['hang']:,}")
    for key, v in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        print(f"  {len(v):6,}  {key}  (e.g. case {v[0]})")
    if groups:
        print(f"failing inputs: {out}/")
    return 1 if counts["crash"] or counts["hang"] else 0


if __name__ == "__main__":
    sys.exit(main())
