"""Fuzzing the whole path, YAML -> graph -> engine -> table/json/markdown/csv: a result or one clean line, in time.

A seeded sample of scripts/fuzz.py's cases (mutated bundled architectures and small generated networks, concrete and
with every symbol free) runs in this process. Each must end in a result that every renderer prints, or in a
ParamcalcError whose text is one line (the CLI's exit code 2) — never another exception (the CLI's exit code 3) —
within a generous per-case bound of CPU time that only a hang or an exponential blow-up can pass. The large run
(100,000 cases in parallel processes, 2 s per case) is `python scripts/fuzz.py`.
"""

from __future__ import annotations

import importlib.util
import os
import time

from conftest import ROOT

CASES = int(os.environ.get("PARAMCALC_FUZZ_CASES", "2000"))
SEED = 2024
PER_CASE_CPU_S = 10.0   # a case takes milliseconds; only a hang or a blow-up comes near this
WALL_BUDGET_S = 60.0    # on a slow or busy machine the sample stops here, having run at least MIN_CASES
MIN_CASES = 300


def _fuzz_module():
    spec = importlib.util.spec_from_file_location("paramcalc_fuzz", ROOT / "scripts" / "fuzz.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fuzzed_architectures_end_in_a_result_or_one_clean_line_never_a_crash_or_a_hang():
    fuzz = _fuzz_module()
    fuzz.warm_up()
    generator = fuzz.Generator(SEED, max_cost=150)  # the larger bundled networks are left to the large run
    outcomes = {"ok": 0, "clean": 0, "crash": 0, "hang": 0}
    failures = []
    start = time.perf_counter()
    for index in range(CASES):
        if time.perf_counter() - start > WALL_BUDGET_S and index >= MIN_CASES:
            break
        case = generator.case(index)
        outcome, message, where = fuzz.classify(case, PER_CASE_CPU_S)
        outcomes[outcome] += 1
        if outcome in ("crash", "hang"):
            failures.append(f"{case.header()}\n# {outcome}: {message} at {where}\n{case.text[:2000]}")
    assert not failures, f"{len(failures)} of {sum(outcomes.values())} cases failed:\n\n" + "\n\n".join(failures[:5])
    # The sample exercises both ends: results that every renderer printed, and refusals.
    assert outcomes["ok"] >= sum(outcomes.values()) // 20 and outcomes["clean"] > 0, outcomes
