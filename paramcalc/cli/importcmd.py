"""`paramcalc import torch|onnx`: a model from PyTorch or ONNX written as paramcalc YAML, proven against its source."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..errors import UsageError


def _shape(text: str) -> tuple:
    try:
        shape = tuple(int(x) for x in text.split(","))
    except ValueError:
        raise UsageError(f"--input must be sizes without the batch axis, like 3,224,224; got {text!r}") from None
    if not shape or any(s < 1 for s in shape):
        raise UsageError(f"--input must be positive sizes without the batch axis, like 3,224,224; got {text!r}")
    return shape


def _kwargs(items) -> dict:
    """--kwargs '{"num_classes": 10}' or --kwargs num_classes=10 (values read as JSON when they can be)."""
    out = {}
    for item in items:
        text = item.strip()
        if text.startswith("{"):
            try:
                value = json.loads(text)
            except json.JSONDecodeError as e:
                raise UsageError(f"--kwargs: not a JSON object: {e}") from None
            if not isinstance(value, dict):
                raise UsageError("--kwargs: give a JSON object or NAME=VALUE")
            out.update(value)
            continue
        name, eq, raw = text.partition("=")
        if not eq or not name.strip().isidentifier():
            raise UsageError(f"--kwargs: expected NAME=VALUE or a JSON object, got {item!r}")
        try:
            out[name.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            out[name.strip()] = raw
    return out


def _emit(text: str, output: str | None) -> str:
    if output:
        try:
            Path(output).write_text(text)
        except OSError as e:
            raise UsageError(f"cannot write {output}: {e.strerror}") from None
        return output
    click.echo(text, nl=False)
    return "<stdout>"


@click.group("import")
def import_command():
    """Write a PyTorch module or an ONNX file as paramcalc YAML, and prove it equal to the source.

    \b
    Examples:
      paramcalc import torch torchvision.models:resnet50 -o resnet50.yaml
      paramcalc import torch mynet.py:Net --kwargs num_classes=10 --input 3,32,32
      paramcalc import onnx model.onnx -o model.yaml
    """


@import_command.command("torch")
@click.argument("target", metavar="MODULE:CALLABLE")
@click.option("--kwargs", "kwargs", multiple=True, metavar="JSON|NAME=VALUE",
              help="Arguments for the callable: a JSON object, or NAME=VALUE (repeatable).")
@click.option("--input", "inputs", multiple=True, metavar="C,H,W",
              help="Input shape without the batch axis, one per forward() input  [default: 3,224,224]")
@click.option("--symbolic-input", is_flag=True, help="Make the input's height and width the symbols H and W.")
@click.option("--opaque", is_flag=True,
              help="Keep operations without a mapping as opaque nodes (declared output shape, unknown cost).")
@click.option("--no-compare", is_flag=True, help="Skip running both models (the structural proof still runs).")
@click.option("-o", "--output", metavar="FILE", help="Write the YAML here (default: standard output).")
def torch_command(target, kwargs, inputs, symbolic_input, opaque, no_compare, output):
    """Import a PyTorch model: MODULE:CALLABLE or path/to/file.py:Name (a class or a function returning a module)."""
    from ..importers.pipeline import import_torch

    if ":" not in target:
        raise UsageError(f"{target}: expected MODULE:CALLABLE or path/to/file.py:Name")
    shapes = [_shape(s) for s in inputs] or [(3, 224, 224)]
    where = {}
    result = import_torch(target, kwargs=_kwargs(kwargs), input_shapes=shapes, symbolic_input=symbolic_input,
                          opaque=opaque, compare=not no_compare, file=output or "<stdout>",
                          write=lambda text: where.setdefault("file", _emit(text, output)))
    click.echo(result.proof.line(where["file"]), err=output is None)


@import_command.command("onnx")
@click.argument("model", metavar="MODEL.onnx")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE",
              help="A default value for a symbolic dimension (dim_param); repeatable.")
@click.option("--opaque", is_flag=True,
              help="Keep operations without a mapping as opaque nodes (declared output shape, unknown cost).")
@click.option("-o", "--output", metavar="FILE", help="Write the YAML here (default: standard output).")
def onnx_command(model, sets, opaque, output):
    """Import an ONNX model: ops to layer types, initializers to parameters, dim_params to symbols."""
    from ..importers.pipeline import import_onnx
    from .common import parse_sets

    where = {}
    result = import_onnx(model, defaults=parse_sets(sets), opaque=opaque, file=output or "<stdout>",
                         write=lambda text: where.setdefault("file", _emit(text, output)))
    click.echo(result.proof.line(where["file"]), err=output is None)
