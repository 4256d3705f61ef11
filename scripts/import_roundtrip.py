"""Round trip of torchvision's classification builders: import -> YAML -> analysis, proven against torchvision.

For each builder (torchvision.models.list_models(module=torchvision.models)): `paramcalc import torch
torchvision.models:NAME` with its proof (every layer's output shape and tensors, total parameters, the torchvision
weights loaded into to_torch(yaml) and the outputs compared on a random input); then the YAML's num_params against
torchvision's published weights metadata, and its MACs against the engine's analysis of the bundled file of the same
name where one exists. Each model runs under a time limit (SIGALRM, so Unix only). Needs torch + torchvision:

    PYTHONPATH=. /work/tvenv/bin/python scripts/import_roundtrip.py [NAME ...] [--timeout 600] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Builders whose defaults add training-only heads: the bundled files (and the published counts) leave them out.
KWARGS = {"googlenet": {"aux_logits": False, "init_weights": False},
          "inception_v3": {"aux_logits": False, "init_weights": False}}
INPUT = {"inception_v3": (3, 299, 299)}


def one(name: str) -> dict:
    """Import one builder and check it; a dict describing the outcome."""
    sys.path.insert(0, str(ROOT))
    import torch
    import torchvision.models as tvm

    from paramcalc.errors import ParamcalcError
    from paramcalc.importers.pipeline import import_torch

    torch.set_num_threads(1)
    bundled = ROOT / "architectures" / f"{name}.yaml"
    shape = INPUT.get(name, (3, 224, 224))
    if bundled.is_file() and name not in INPUT:  # import at the bundled file's resolution (EfficientNet-B1..V2: not 224)
        from paramcalc import analyze_file

        (_, bundled_input), = analyze_file(str(bundled)).inputs
        shape = tuple(int(s) for s in bundled_input[1:])
    row = {"name": name, "status": "failed"}
    started = time.perf_counter()
    try:
        result = import_torch(f"torchvision.models:{name}", kwargs=KWARGS.get(name, {}), input_shapes=[shape],
                              file=f"{name}.yaml")
    except ParamcalcError as e:
        row["cause"] = str(e)
        row["seconds"] = round(time.perf_counter() - started, 1)
        return row
    from paramcalc.importers.proof import analyse_text

    analysis = analyse_text(result.text, f"{name}.yaml")
    row.update(params=analysis.totals.params, macs=analysis.totals.macs, layers=result.proof.layers,
               outputs_compared=result.proof.outputs_compared, max_difference=result.proof.max_difference,
               yaml_lines=result.text.count("\n"))
    try:
        published = tvm.get_model_weights(name).DEFAULT.meta.get("num_params")
    except Exception:
        published = None
    row["published_params"] = published
    if bundled.is_file():
        from paramcalc import analyze_file

        row["bundled_macs"] = analyze_file(str(bundled)).totals.macs
    problems = []
    if published is not None and published != analysis.totals.params:
        problems.append(f"num_params {analysis.totals.params:,} vs published {published:,}")
    if row.get("bundled_macs") is not None and row["bundled_macs"] != analysis.totals.macs:
        problems.append(f"MACs {analysis.totals.macs:,} vs bundled {row['bundled_macs']:,}")
    if not result.proof.outputs_compared:
        problems.append("outputs not compared")
    row["status"] = "verified" if not problems else "mismatch"
    if problems:
        row["cause"] = "; ".join(problems)
    row["seconds"] = round(time.perf_counter() - started, 1)
    return row


def one_onnx(name: str, folder: Path) -> dict:
    """Export torchvision's NAME with torch.onnx.export (TorchScript exporter, batch/height/width dynamic), import the
    file, and compare its totals with the PyTorch model's parameter count and the PyTorch import's MACs."""
    sys.path.insert(0, str(ROOT))
    import warnings

    import torch
    import torchvision.models as tvm

    from paramcalc.errors import ParamcalcError
    from paramcalc.importers.pipeline import import_onnx, import_torch
    from paramcalc.importers.proof import analyse_text, randomize

    torch.set_num_threads(1)
    shape = INPUT.get(name, (3, 224, 224))
    started = time.perf_counter()
    model = tvm.get_model(name, **KWARGS.get(name, {})).eval()
    randomize(model)
    path = folder / f"{name}.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(1, *shape),), str(path), dynamo=False, input_names=["x"],
                          dynamic_axes={"x": {0: "batch", 2: "height", 3: "width"}},
                          training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
    row = {"name": f"{name} (onnx)", "status": "failed"}
    try:
        result = import_onnx(str(path), defaults={"height": str(shape[1]), "width": str(shape[2])},
                             file=f"{name}.yaml")
    except ParamcalcError as e:
        row.update(cause=str(e), seconds=round(time.perf_counter() - started, 1))
        return row
    analysis = analyse_text(result.text, f"{name}.yaml")
    torch_macs = analyse_text(import_torch(f"torchvision.models:{name}", kwargs=KWARGS.get(name, {}),
                                           input_shapes=[shape], compare=False).text, "t.yaml").totals.macs
    params = sum(p.numel() for p in model.parameters())
    row.update(params=analysis.totals.params, macs=analysis.totals.macs,
               outputs_compared=result.proof.outputs_compared, max_difference=result.proof.max_difference)
    problems = [f"params {analysis.totals.params:,} vs PyTorch {params:,}"] if analysis.totals.params != params else []
    if analysis.totals.macs != torch_macs:
        problems.append(f"MACs {analysis.totals.macs:,} vs the PyTorch import's {torch_macs:,}")
    if not result.proof.outputs_compared:
        problems.append("outputs not compared")
    row["status"] = "verified" if not problems else "mismatch"
    if problems:
        row["cause"] = "; ".join(problems)
    row["seconds"] = round(time.perf_counter() - started, 1)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*")
    parser.add_argument("--timeout", type=int, default=600)
    parser.add_argument("--json", metavar="FILE", help="also write the rows here")
    parser.add_argument("--onnx", action="store_true",
                        help="export each model to ONNX and import that instead (resnet18, densenet121, "
                             "mobilenet_v2 by default)")
    args = parser.parse_args()
    import torchvision.models as tvm

    import signal

    def alarm(signum, frame):
        raise TimeoutError

    signal.signal(signal.SIGALRM, alarm)
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="paramcalc-onnx-"))
    names = args.names or (["resnet18", "densenet121", "mobilenet_v2"] if args.onnx else tvm.list_models(module=tvm))
    rows = []
    for name in names:  # in this process: importing torch once saves a quarter of a minute per model
        started = time.perf_counter()
        signal.alarm(args.timeout)
        try:
            row = one_onnx(name, folder) if args.onnx else one(name)
        except TimeoutError:
            row = {"name": name, "status": "timeout", "cause": f"over {args.timeout} s"}
        except Exception as e:  # a bug in the importer: record it and go on
            row = {"name": name, "status": "crashed", "cause": f"{type(e).__name__}: {e}"[:300]}
        finally:
            signal.alarm(0)
        row.setdefault("seconds", round(time.perf_counter() - started, 1))
        rows.append(row)
        extra = f"{row.get('params', 0):,} params, {row.get('macs', 0):,} MACs" if "params" in row else ""
        print(f"{row['status']:9} {name:28} {row.get('seconds', '')!s:>7}s  {extra}  {row.get('cause', '')}",
              flush=True)
    verified = sum(r["status"] == "verified" for r in rows)
    what = ("ONNX export, import, proof with outputs compared, params = PyTorch's, MACs = the PyTorch import's"
            if args.onnx else "import, proof with outputs compared, num_params = published, MACs = bundled file "
                              "where one exists")
    print(f"\n{verified} / {len(rows)} verified ({what})")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
