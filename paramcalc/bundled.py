"""The architectures shipped with paramcalc, found by name ('resnet50') from any folder."""

from __future__ import annotations

from pathlib import Path

from .errors import SpecError


def directory() -> Path:
    """Installed wheels carry them in paramcalc/architectures; a source checkout keeps them at the top level."""
    inside = Path(__file__).resolve().parent / "architectures"
    if inside.is_dir():
        return inside
    return Path(__file__).resolve().parent.parent / "architectures"


def names() -> list[str]:
    d = directory()
    return sorted(p.stem for p in d.glob("*.yaml")) if d.is_dir() else []


def resolve(path_or_name) -> Path:
    """A path that exists, or the bundled architecture of that name; otherwise an error with suggestions."""
    path = Path(path_or_name)
    if path.exists() and path.suffix.lower() != ".onnx":
        return path
    from .importers.targets import is_import_target  # a PyTorch or ONNX model, imported on the fly

    if is_import_target(str(path_or_name)):
        from .importers.targets import materialize

        return materialize(str(path_or_name))
    candidate = directory() / f"{path_or_name}.yaml"
    if path.suffix == "" and "/" not in str(path_or_name) and candidate.is_file():
        return candidate
    import difflib

    hint = difflib.get_close_matches(path.stem, names(), n=3)
    extra = f"; bundled architectures with a similar name: {', '.join(hint)}" if hint else \
        "; `paramcalc list` shows the bundled architectures"
    raise SpecError(f"no such file or bundled architecture{extra}", file=str(path_or_name))
