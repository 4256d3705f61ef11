"""`paramcalc check` and `snapshot` without the command line: find the architectures, gather their budgets, analyse
each model once per (batch, dtype) and collect outcomes, deltas against a baseline, skipped files and errors.

Exit code of a Report: 2 when any input was unusable (it names the file), else 1 when any budget was exceeded, else 0.

Which files: a file named on the command line is read; a folder is searched recursively for ``*.yaml`` and ``*.yml``
(hidden folders such as ``.github`` are left out); a glob (``models/**/*.yaml``) is expanded, and a glob matching
nothing is an error. A YAML file that is not an architecture (its top level has no ``layers:``) is skipped and listed
as skipped: a pre-commit hook or a folder search passes workflow files and configs too. A YAML file that cannot be
read at all is an error.
"""

from __future__ import annotations

import glob
from fractions import Fraction
from pathlib import Path

from . import num
from .baseline import Baseline, Delta, deltas, growth_outcomes, model_key, snapshot
from .budget import BudgetSet, Config, Outcome, SymbolicTotal, evaluate, from_architecture
from .engine import Analysis, analyze
from .errors import ParamcalcError, SpecError, UsageError
from .graph import build_graph
from .records import field, record
from .spec import load_file

_GLOB_CHARS = set("*?[")


@record
class Problem:
    """Unusable input: a file that cannot be read or built, a malformed budget, a total that stays symbolic."""

    file: str | None
    line: int | None
    message: str                   # the full one-line message, naming the file

    @classmethod
    def of(cls, e: ParamcalcError, file: str | None) -> "Problem":
        if isinstance(e, SpecError):
            return cls(e.file or file, e.line, str(e))
        return cls(file, None, f"{file}: {e}" if file and file not in str(e) else str(e))


@record
class Skipped:
    file: str
    reason: str


@record
class ModelResult:
    """One architecture: its outcomes (one per budget) and its totals against the baseline."""

    file: str
    model: str
    outcomes: tuple
    deltas: tuple = ()             # Delta per recorded total, when the baseline has this model
    baseline: str = ""             # '' (no baseline), 'compared', 'new' (not in the baseline)
    notes: tuple = ()


@record
class Report:
    models: tuple
    errors: tuple = ()
    skipped: tuple = ()
    baseline_file: str | None = None
    max_growth: Fraction | None = None
    checked_paths: tuple = field(default_factory=tuple)

    @property
    def outcomes(self) -> list[Outcome]:
        return [o for m in self.models for o in m.outcomes]

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.passed]

    @property
    def exit_code(self) -> int:
        return 2 if self.errors else 1 if self.failures else 0


def _is_glob(text: str) -> bool:
    return any(c in text for c in _GLOB_CHARS)


def named(paths) -> set:
    """The files among ``paths`` given one by one (a file or a bundled name), not found in a folder or by a glob."""
    from .bundled import resolve

    out = set()
    for item in paths:
        p = Path(str(item))
        if p.is_file():
            out.add(p.resolve())
        elif not p.exists() and not _is_glob(str(item)):
            try:
                out.add(resolve(str(item)).resolve())
            except SpecError:
                pass
    return out


def discover(paths) -> tuple[list[Path], list[Problem]]:
    """The files named by ``paths`` (files, folders, globs, bundled names), in order, without duplicates."""
    from .bundled import resolve

    files: list[Path] = []
    problems: list[Problem] = []
    for item in paths:
        text = str(item)
        p = Path(text)
        if p.is_dir():
            found = sorted(f for pattern in ("*.yaml", "*.yml") for f in p.rglob(pattern)
                           if f.is_file() and not any(part.startswith(".") for part in f.relative_to(p).parts))
            if not found:
                problems.append(Problem(text, None, f"{text}: no *.yaml or *.yml file in this folder"))
            files.extend(found)
        elif p.exists():
            files.append(p)
        elif _is_glob(text):
            found = sorted(Path(f) for f in glob.glob(text, recursive=True) if Path(f).is_file())
            if not found:
                problems.append(Problem(text, None, f"{text}: no file matches this pattern"))
            files.extend(found)
        else:
            try:
                files.append(resolve(text))
            except SpecError as e:
                problems.append(Problem.of(e, text))
    seen, unique = set(), []
    for f in files:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique, problems


def is_architecture(raw) -> bool:
    return isinstance(raw, dict) and "layers" in raw


def _declared(raw) -> set:
    symbols = raw.get("symbols")
    return set(symbols) if isinstance(symbols, dict) else set()


class _Model:
    """One architecture file read once, built once, analysed once per (batch, dtype)."""

    def __init__(self, path: Path, overrides: dict):
        self.path = path
        self.file = str(path)
        self.raw = load_file(path)
        self.overrides = overrides
        self._graph = None
        self._analyses: dict = {}

    def analysis(self, batch: int, dtype: str) -> Analysis:
        if self._graph is None:
            self._graph = build_graph(self.raw, self.file,
                                      overrides={k: v for k, v in self.overrides.items() if k in _declared(self.raw)})
        key = (batch, dtype)
        if key not in self._analyses:
            self._analyses[key] = analyze(self._graph, batch=batch, dtype=dtype)
        return self._analyses[key]


def _check_sets(sets: dict, files_declaring: set, problems: list) -> None:
    unknown = [k for k in sets if k not in files_declaring]
    if unknown:
        problems.append(Problem(None, None, f"--set {unknown[0]}: no checked architecture declares a symbol "
                                            f"'{unknown[0]}'"))


def run_check(paths, *, command_line: BudgetSet | None = None, config: Config | None = None,
              overrides: dict | None = None, batch: int = 1, dtype: str = "fp32",
              baseline: Baseline | None = None, max_growth: Fraction | None = None,
              convention: str | None = None) -> Report:
    """Check every architecture under ``paths`` against its budgets (architecture, pyproject, command line) and,
    with a baseline, against its recorded totals. ``batch`` and ``dtype`` apply to budget sets that name none;
    ``convention`` counts params, MACs and FLOPs budgets the way that tool does (paramcalc.conventions)."""
    config = config or Config()
    overrides = overrides or {}
    files, problems = discover(paths)
    explicit = named(paths)
    models, skipped, declaring = [], [], set()
    if max_growth is None:
        max_growth = Fraction(0)
    for path in files:
        file = str(path)
        try:
            model = _Model(path, overrides)
        except ParamcalcError as e:
            problems.append(Problem.of(e, file))
            continue
        if not is_architecture(model.raw):
            skipped.append(Skipped(file, "not an architecture (no top-level `layers:`)"))
            continue
        declaring |= _declared(model.raw)
        try:
            sets = [s for s in (from_architecture(model.raw, file),) if s is not None]
        except ParamcalcError as e:
            problems.append(Problem.of(e, file))
            continue
        own_budget = bool(sets)
        sets += config.budgets_for(path)
        if command_line is not None and command_line.limits:
            sets.append(command_line)
        free = _free_symbols(model.raw, overrides)
        if (free and not own_budget and baseline is None and path.resolve() not in explicit
                and any(s.limits for s in sets)):
            # Found by a scan, left symbolic and budgeted from elsewhere: skipped with the reason before it is
            # built, so a check of a folder of design studies never loads sympy just to skip them.
            skipped.append(Skipped(file, _symbolic_reason(free)))
            continue
        try:
            plain = model.analysis(batch, dtype)   # every file is built, so a broken one fails even without budgets
        except ParamcalcError as e:
            problems.append(Problem.of(e, file))
            continue
        unknown = [layer.name for layer in plain.layers if layer.type == "opaque"]
        if unknown and any(s.limits for s in sets):  # an imported model's --opaque nodes: no number to measure
            problems.append(Problem(file, None, f"{file}: cannot measure budgets: the cost of {len(unknown)} opaque "
                                                f"layer(s) is unknown ({', '.join(unknown[:3])})"))
            continue
        outcomes = []
        for s in sets:
            analysis = model.analysis(s.batch or batch, s.dtype or dtype)
            for limit in s.limits:
                try:
                    outcomes.append(evaluate(analysis, limit, convention))
                except SymbolicTotal as e:
                    # A model left symbolic has no number to measure. Found in a folder or by a glob under budgets
                    # written elsewhere, it is skipped with the reason; named on its own, or budgeted in its own
                    # file, it is unusable input (a check that measured nothing must not pass quietly).
                    if limit.origin == "architecture" or path.resolve() in explicit:
                        line = limit.line if limit.origin == "architecture" else None
                        problems.append(Problem.of(SpecError(e.message, file=file, line=line), file))
                    elif not any(sk.file == file for sk in skipped):
                        skipped.append(Skipped(file, symbolic_reason(analysis)))
                except ParamcalcError as e:
                    if isinstance(e, SpecError) and e.line is None and limit.file == file:
                        e = SpecError(e.message, file=file, line=limit.line)   # point at the budget key
                    problems.append(Problem.of(e, file))
        result = ModelResult(file, plain.name, tuple(outcomes))
        if baseline is not None:
            entry = baseline.models.get(model_key(path))
            if entry is None:
                result = ModelResult(file, plain.name, tuple(outcomes), baseline="new",
                                     notes=(f"not in the baseline {baseline.file}",))
            else:
                try:
                    then = model.analysis(baseline.batch, baseline.dtype)
                    grown = growth_outcomes(then, entry, max_growth, baseline.file)
                except ParamcalcError as e:
                    problems.append(Problem.of(e, file))
                    grown = []
                    then = None
                notes = []
                if then is not None:
                    now_symbols = {k: str(v) for k, v in then.symbols}
                    was = {k: str(v) for k, v in (entry.get("symbols") or {}).items()}
                    if was != now_symbols:
                        notes.append(f"symbols changed since the baseline: {was} -> {now_symbols}")
                result = ModelResult(file, plain.name, tuple(outcomes) + tuple(grown),
                                     deltas=deltas(then, entry) if then is not None else (), baseline="compared",
                                     notes=tuple(notes))
        models.append(result)
    _check_sets(overrides, declaring, problems)
    if not files and not problems:
        problems.append(Problem(None, None, "nothing to check: give PATHS or set `paths` under [tool.paramcalc] "
                                            "in pyproject.toml"))
    return Report(tuple(models), tuple(problems), tuple(skipped),
                  baseline.file if baseline is not None else None,
                  max_growth if baseline is not None else None, tuple(str(p) for p in paths))


def _free_symbols(raw, overrides: dict) -> list:
    """The symbols a file leaves without a value (null default, not given by --set): read from the file, unbuilt."""
    symbols = raw.get("symbols") if isinstance(raw, dict) else None
    if not isinstance(symbols, dict):
        return []
    return [name for name, default in symbols.items() if default is None and name not in overrides]


def symbolic_reason(analysis: Analysis) -> str:
    """Why a model with symbols left symbolic cannot be measured against a number, and how to give them values."""
    return _symbolic_reason([name for name, value in analysis.symbols if not num.is_concrete(value)])


def _symbolic_reason(free: list) -> str:
    listed = ", ".join(free) or "its symbols"
    return (f"symbolic: its totals depend on {listed}; give {'them' if len(free) > 1 else 'it'} a value "
            f"(--set {free[0] if free else 'NAME'}=... or a default under `symbols:`) to measure it")


def run_snapshot(paths, *, overrides: dict | None = None, batch: int = 1, dtype: str = "fp32") -> tuple[dict, list]:
    """The lock-file document for every architecture under ``paths``, and the files skipped (not architectures, or
    found in a folder or by a glob but left symbolic: a lock file records numbers). The first unusable input raises,
    a symbolic model named on its own included (a snapshot is all or nothing)."""
    overrides = overrides or {}
    files, problems = discover(paths)
    if problems:
        raise UsageError(problems[0].message)
    if not files:
        raise UsageError("nothing to snapshot: give PATHS or set `paths` under [tool.paramcalc] in pyproject.toml")
    analyses, skipped, declaring = [], [], set()
    explicit = named(paths)
    for path in files:
        model = _Model(path, overrides)
        if not is_architecture(model.raw):
            skipped.append(Skipped(str(path), "not an architecture (no top-level `layers:`)"))
            continue
        declaring |= _declared(model.raw)
        free = _free_symbols(model.raw, overrides)
        if free and path.resolve() not in explicit:  # named on its own, model_entry() says why not
            skipped.append(Skipped(str(path), _symbolic_reason(free)))  # known unbuilt: sympy is not loaded
            continue
        analysis = model.analysis(batch, dtype)
        if analysis.graph.symbolic and path.resolve() not in explicit:
            skipped.append(Skipped(str(path), symbolic_reason(analysis)))
            continue
        analyses.append(analysis)
    unknown: list = []
    _check_sets(overrides, declaring, unknown)
    if unknown:
        raise UsageError(unknown[0].message)
    return snapshot(analyses, batch=batch, dtype=dtype), skipped


__all__ = ["Delta", "ModelResult", "Problem", "Report", "Skipped", "discover", "run_check", "run_snapshot"]
