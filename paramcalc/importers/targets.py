"""`MODULE:CALLABLE` and `.onnx` targets wherever a YAML file is accepted: imported on the fly (structure proven,
outputs not compared) into a YAML file in the temporary folder, whose path the commands then read."""

from __future__ import annotations

from pathlib import Path

from ..errors import UsageError


def is_import_target(text: str) -> bool:
    """'pkg.mod:build', 'net.py:Net', 'net.py:Net@3,32,32' or 'model.onnx' (no framework imported to decide)."""
    text = str(text)
    if text.lower().endswith(".onnx"):
        return True
    head, sep, tail = text.partition("@")[0].rpartition(":")
    if not sep or not head or not tail or "/" in tail or tail.lower().endswith((".yaml", ".yml")):
        return False
    return head.endswith(".py") or all(part.isidentifier() for part in head.split("."))


def materialize(target: str) -> Path:
    """Import ``target`` and return the path of the YAML file written for it."""
    import hashlib
    import tempfile

    from .pipeline import import_onnx, import_torch

    folder = Path(tempfile.gettempdir()) / "paramcalc-imports"
    folder.mkdir(exist_ok=True)
    stem = "".join(c if c.isalnum() else "_" for c in target)[-60:]
    path = folder / f"{stem}-{hashlib.sha256(target.encode()).hexdigest()[:10]}.yaml"
    if target.lower().endswith(".onnx"):
        result = import_onnx(target, file=str(path))
    else:
        spec, _, shape = target.partition("@")
        try:
            shapes = [tuple(int(x) for x in shape.split(","))] if shape else [(3, 224, 224)]
        except ValueError:
            raise UsageError(f"{target}: the input after '@' must be sizes like 3,224,224") from None
        result = import_torch(spec, input_shapes=shapes, compare=False, file=str(path), name=spec,
                              symbolic_input=True)  # H and W default to the input size; sweep and solve can vary them
    path.write_text(result.text)
    return path
