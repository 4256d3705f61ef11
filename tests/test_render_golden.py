"""Every bundled architecture's `show` (table, JSON, Markdown, CSV), `compare` and `sweep` output equals the golden
files in tests/golden/, written by `python tests/render_golden.py --overwrite` from code whose output was checked."""

from __future__ import annotations

import difflib

import pytest

import render_golden

CASES = render_golden.cases()


def test_every_case_has_a_golden_file_and_no_file_is_orphaned():
    stems = {stem for stem, _ in CASES}
    files = {str(p.relative_to(render_golden.GOLDEN))[:-3] for p in render_golden.GOLDEN.rglob("*.gz")}
    assert stems - files == set(), "run: python tests/render_golden.py --overwrite"
    assert files - stems == set()


@pytest.mark.parametrize("stem,args", CASES, ids=[stem for stem, _ in CASES])
def test_output_equals_the_golden_file(stem, args):
    expected = render_golden.read(stem)
    actual = render_golden.run(args)
    if actual != expected:
        diff = "".join(list(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                                 f"golden/{stem}", "now"))[:80])
        pytest.fail(f"`paramcalc {' '.join(args)}` differs from tests/golden/{stem}.gz:\n{diff}")
