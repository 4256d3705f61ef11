"""Dense peak throughput of known NVIDIA GPUs, from NVIDIA's datasheets, to put achieved TFLOP/s in proportion.

Figures are dense, in TFLOP/s: NVIDIA prints tensor-core numbers "with sparsity", twice the dense ones, and those are
halved here (H100 SXM bf16: 1,979 with sparsity -> 989.5 dense). fp32 is the non-tensor-core FP32 peak; tf32 the dense
TF32 tensor-core peak, which cuDNN may use for fp32 convolutions (``torch.backends.cudnn.allow_tf32`` is on by
default in PyTorch). None = not supported. No torch here: the device name (``torch.cuda.get_device_name()``) is
matched against the table.
"""

from __future__ import annotations

import re

from ..records import record


@record
class GpuPeak:
    name: str
    pattern: str             # regular expression on the device name
    fp32: float
    tf32: float | None
    bf16: float | None
    fp16: float | None
    source: str

    def peak(self, dtype: str) -> float | None:
        return {"fp32": self.fp32, "bf16": self.bf16, "fp16": self.fp16}.get(dtype)


# Order matters: the first pattern that matches wins (PCIe/NVL before the plain SXM name).
KNOWN_GPUS = (
    GpuPeak("H100 PCIe", r"H100.*PCIe", 51.0, 378.0, 756.5, 756.5,
            "NVIDIA H100 Tensor Core GPU datasheet (2023): H100 PCIe column"),
    GpuPeak("H100 NVL", r"H100.*NVL", 60.0, 417.5, 835.5, 835.5,
            "NVIDIA H100 Tensor Core GPU datasheet (2023): H100 NVL column"),
    GpuPeak("H100 SXM", r"H100", 67.0, 494.5, 989.5, 989.5,
            "NVIDIA H100 Tensor Core GPU datasheet (2023): H100 SXM column"),
    GpuPeak("H200 NVL", r"H200.*NVL", 60.0, 417.5, 835.5, 835.5,
            "NVIDIA H200 Tensor Core GPU datasheet (2024): H200 NVL column"),
    GpuPeak("H200 SXM", r"H200", 67.0, 494.5, 989.5, 989.5,
            "NVIDIA H200 Tensor Core GPU datasheet (2024): H200 SXM column"),
    GpuPeak("A100", r"A100", 19.5, 156.0, 312.0, 312.0,
            "NVIDIA A100 Tensor Core GPU datasheet (2021): A100 40GB/80GB, PCIe and SXM alike"),
    GpuPeak("L4", r"\bL4\b", 30.3, 60.0, 121.0, 121.0,
            "NVIDIA L4 Tensor Core GPU datasheet (2023)"),
    GpuPeak("T4", r"\bT4\b", 8.1, None, None, 65.0,
            "NVIDIA T4 Tensor Core GPU datasheet (2019): FP16/FP32 mixed precision 65 TFLOPS; no bf16 or tf32"),
)


def lookup(device_name: str) -> GpuPeak | None:
    """The known GPU whose pattern matches ``device_name`` ('NVIDIA H100 80GB HBM3' -> H100 SXM), else None."""
    for gpu in KNOWN_GPUS:
        if re.search(gpu.pattern, device_name):
            return gpu
    return None
