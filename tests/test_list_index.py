"""`paramcalc list` reads architectures/index.json only for files whose SHA-256 it records; anything else is
analysed live, so the listing can never show a stale number."""

from __future__ import annotations

import json

from paramcalc.render import listing


def test_the_index_agrees_with_a_live_analysis_of_every_bundled_file():
    from paramcalc.bundled import directory, names

    index = json.loads((directory() / listing.INDEX_FILE).read_text(encoding="utf-8"))["architectures"]
    assert sorted(index) == names()
    for name in ("alexnet", "resnet50", "vgg_two_3x3", "gpt2"):
        assert tuple(index[name][k] for k in ("params", "macs", "description")) == \
            listing.live_entry(directory() / f"{name}.yaml")
    assert index["alexnet"]["params"] == "61,100,840"  # torchvision's published num_params


def test_a_file_whose_hash_differs_from_the_index_is_analysed_live(tmp_path, monkeypatch):
    from paramcalc import bundled

    (tmp_path / "tiny.yaml").write_text("description: a tiny net\ninput: [1, 10]\nlayers:\n"
                                        "  - {type: linear, out: 3}\n")
    stale = {"architectures": {"tiny": {"sha256": "0" * 64, "params": "999", "macs": "9", "description": "old"}}}
    (tmp_path / listing.INDEX_FILE).write_text(json.dumps(stale))
    monkeypatch.setattr(bundled, "directory", lambda: tmp_path)
    assert listing.entries() == [("tiny", "33", "30", "a tiny net")]  # 10*3 + 3 params, 10*3 MACs
