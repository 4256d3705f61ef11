"""CI tests the dependency versions pyproject.toml claims: its lowest-versions constraints pin every lower bound."""

from __future__ import annotations

import re
import sys

from conftest import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def _lower_bounds() -> dict:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"]) + list(project["optional-dependencies"]["test"])
    bounds = {}
    for requirement in requirements:
        if ";" in requirement and "python_version < '3.11'" in requirement:
            continue  # tomli: only below Python 3.11, where CI does not run
        name, version = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)\s*>=\s*([0-9][0-9.]*)\s*", requirement).groups()
        bounds[name.lower()] = version
    return bounds


def _pins() -> dict:
    text = (ROOT / ".ci" / "constraints-lowest.txt").read_text(encoding="utf-8")
    return {name.lower(): version for name, version in re.findall(r"^([A-Za-z0-9_.-]+)==([0-9.]+)\s*$", text, re.M)}


def _release(version: str) -> tuple:
    parts = [int(p) for p in version.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def test_the_lowest_versions_ci_installs_are_the_lower_bounds_pyproject_claims():
    bounds, pins = _lower_bounds(), _pins()
    assert set(bounds) == set(pins), (bounds, pins)
    for name, bound in bounds.items():
        assert _release(pins[name]) == _release(bound), (name, bound, pins[name])


def test_ci_runs_the_suite_against_the_newest_and_the_lowest_versions():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "constraints-lowest.txt" in ci and "PIP_CONSTRAINT" in ci
    assert ci.count("python3 -m venv") == 1 and re.search(r"^suite newest .*\n(#.*\n)*suite lowest ", ci, re.M)
