"""The architectures shipped with paramcalc, found by name ('resnet50') from any folder."""

from __future__ import annotations

import os

from .errors import SpecError

TYPE_CHECKING = False  # typing is not imported at run time
if TYPE_CHECKING:
    from pathlib import Path


def directory() -> Path:
    """Installed wheels carry them in paramcalc/architectures; a source checkout keeps them at the top level."""
    from pathlib import Path

    return Path(_directory_text())


def names() -> list[str]:
    d = directory()
    return sorted(p.stem for p in d.glob("*.yaml")) if d.is_dir() else []


def _directory_text() -> str:
    """directory() as text, found without pathlib."""
    here = os.path.dirname(os.path.realpath(__file__))
    inside = os.path.join(here, "architectures")
    return inside if os.path.isdir(inside) else os.path.join(os.path.dirname(here), "architectures")


def locate(path_or_name) -> str:
    """resolve() as text: what `paramcalc show resnet50` reads. A plain bundled name is found with os.path alone (no
    pathlib or importer import on the command line's most common path); anything else goes through resolve()."""
    text = str(path_or_name)
    if text and not any(c in text for c in "./:\\") and not os.path.exists(text):
        candidate = os.path.join(_directory_text(), f"{text}.yaml")
        if os.path.isfile(candidate):
            return candidate
    return str(resolve(path_or_name))


def resolve(path_or_name) -> Path:
    """A path that exists, or the bundled architecture of that name; otherwise an error with suggestions."""
    from pathlib import Path

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
