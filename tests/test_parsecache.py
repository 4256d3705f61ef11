"""The parse cache (paramcalc.parsecache): an unchanged file comes back with the same data and the same lines without
the YAML parser; any change to the text or to what parses it is a miss; a broken or unwritable cache is no cache."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from paramcalc import parsecache, spec, yamlparse
from paramcalc.errors import SpecError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARCH = os.path.join(ROOT, "architectures")


def lines(x):
    """Data, types and every line mark, for comparing two loads exactly."""
    if isinstance(x, dict):
        assert type(x) is spec.LineDict
        return x.line, sorted(x.key_lines.items(), key=repr), [(repr(k), lines(v)) for k, v in x.items()]
    if isinstance(x, list):
        return [lines(v) for v in x]
    return type(x).__name__, repr(x)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("PARAMCALC_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def parses(monkeypatch):
    """Counts the texts the YAML parser is asked to parse."""
    calls = []
    real = yamlparse.parse

    def counting(text, file):
        calls.append(file)
        return real(text, file)

    monkeypatch.setattr(yamlparse, "parse", counting)
    return calls


def test_every_bundled_file_comes_back_from_the_cache_with_the_same_data_and_lines(cache, parses):
    names = sorted(n for n in os.listdir(ARCH) if n.endswith(".yaml"))
    for name in names:
        path = os.path.join(ARCH, name)
        with open(path, encoding="utf-8") as f:
            fresh = spec.load_text(f.read(), path)
        first, second = spec.load_file(path), spec.load_file(path)
        assert fresh == first == second and lines(fresh) == lines(first) == lines(second), name
    assert len(parses) == 2 * len(names)  # load_text once, the first load_file once; every second load is a hit


def test_scalars_keys_and_merges_survive_the_round_trip(cache, tmp_path, parses):
    text = ("base: &b {a: 1, 'b': [1.5, -0.0, .inf, null, true, 'x: y']}\n"
            "m:\n  <<: *b\n  3: three\n  true: yes\n  null: ~\n  2.5: half\n  big: 9223372036854775807\n"
            "u: \"ünïcødé \\u2603\"\nlist: [[1, [2, {deep: [3]}]], {}]\n")
    path = tmp_path / "odd.yaml"
    path.write_text(text, encoding="utf-8")
    a = spec.load_file(path)
    b = spec.load_file(path)
    assert len(parses) == 1
    assert lines(a) == lines(b)
    assert b["m"][3] == "three" and b["m"][True] is True and b["m"][None] is None and b["m"][2.5] == "half"
    assert b["m"].line_of("a") == a["m"].line_of("a")


def test_an_edited_file_is_parsed_again_even_with_the_same_size_and_time(cache, tmp_path, parses):
    path = tmp_path / "net.yaml"
    path.write_text("input: [3, 8, 8]\nlayers:\n  - {type: conv, out: 4, kernel: 3}\n", encoding="utf-8")
    before = os.stat(path)
    assert spec.load_file(path)["layers"][0]["out"] == 4
    path.write_text("input: [3, 8, 8]\nlayers:\n  - {type: conv, out: 5, kernel: 3}\n", encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert spec.load_file(path)["layers"][0]["out"] == 5
    assert spec.load_file(path)["layers"][0]["out"] == 5
    assert len(parses) == 2


def test_another_parser_stamp_is_a_miss(cache, tmp_path, parses, monkeypatch):
    path = tmp_path / "net.yaml"
    path.write_text("input: [3, 8, 8]\n", encoding="utf-8")
    spec.load_file(path)
    monkeypatch.setattr(parsecache, "stamp", lambda: "another PyYAML")
    spec.load_file(path)
    spec.load_file(path)
    assert len(parses) == 2


def test_the_stamp_names_the_yaml_that_import_would_load():
    import yaml

    assert os.path.abspath(yaml.__file__) in parsecache.stamp()


def test_broken_entries_are_misses_and_never_errors(cache, tmp_path, parses):
    path = tmp_path / "net.yaml"
    path.write_text("input: [3, 8, 8]\nlayers: []\n", encoding="utf-8")
    spec.load_file(path)
    (entry,) = cache.iterdir()
    good = entry.read_text(encoding="utf-8")
    head = good.partition("\n")[0]
    for broken in ("", "garbage", head, head + "\n[", head + "\n{}", head + "\n[1, 2, 3]",
                   head + '\n["input: [3, 8, 8]\\nlayers: []\\n", {"l": 1}]', good[:-3], "\udcff".encode(
                       "utf-8", "surrogatepass").decode("latin-1")):
        entry.write_text(broken, encoding="utf-8")
        assert spec.load_file(path) == {"input": [3, 8, 8], "layers": []}
    assert len(parses) == 1 + 9


def test_errors_are_never_cached_and_stay_located(cache, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("input: [3, 8, 8]\nlayers:\n  - {type: relu, name: a\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(SpecError) as e:
            spec.load_file(path)
        assert e.value.line is not None and "bad.yaml" in str(e.value)
    assert not cache.exists() or not any(cache.iterdir())


def test_off_and_unwritable_folders_mean_no_cache(tmp_path, monkeypatch, parses):
    path = tmp_path / "net.yaml"
    path.write_text("input: [3, 8, 8]\n", encoding="utf-8")
    monkeypatch.setenv("PARAMCALC_CACHE_DIR", "off")
    spec.load_file(path)
    spec.load_file(path)
    assert len(parses) == 2 and parsecache.directory() is None
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("PARAMCALC_CACHE_DIR", str(blocker / "cache"))
    assert spec.load_file(path) == {"input": [3, 8, 8]}
    assert len(parses) == 3


def test_standard_input_is_not_cached(cache, monkeypatch, parses):
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"input: [3, 8, 8]\n")))
    assert spec.load_file("-") == {"input": [3, 8, 8]}
    assert len(parses) == 1 and not cache.exists()


def test_a_cached_show_imports_no_yaml_and_prints_the_same(tmp_path):
    env = {**os.environ, "PARAMCALC_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": ROOT}
    code = ("import sys\nfrom paramcalc.cli import main\n"
            "try:\n    main(['show', 'resnet50', '--format', 'json'], prog_name='paramcalc')\n"
            "except SystemExit:\n    pass\n"
            "print('yaml' in sys.modules, file=sys.stderr)\n")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
            for _ in range(2)]
    assert [r.stderr.strip() for r in runs] == ["True", "False"], [r.stderr for r in runs]
    assert runs[0].stdout == runs[1].stdout and '"params":25557032' in runs[0].stdout.replace(" ", "")
