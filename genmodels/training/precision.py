"""Choosing the fastest safe numeric mode for training on this machine, and saying which."""
from __future__ import annotations

import contextlib
from pathlib import Path

import torch


def pick_device(requested: str = "auto") -> torch.device:
    """"auto" = CUDA when present, else CPU. Checked at call time, never at import."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(requested)


def cpu_has_native_bf16() -> bool:
    """True on CPUs with AVX512-BF16 or AMX: there oneDNN runs bf16 convolutions natively; elsewhere
    bf16 autocast is emulated and slower than fp32, so we do not use it."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return ("avx512_bf16" in flags or "amx_bf16" in flags) and torch.backends.mkldnn.is_available()


def pick_precision(requested: str, device: torch.device) -> tuple[str, str]:
    """-> (precision, reason). precision is "bf16" (autocast) or "fp32"."""
    if requested == "fp32":
        return "fp32", "fp32 (requested)"
    if device.type == "cuda":
        ok = torch.cuda.is_bf16_supported()
        return ("bf16", "bf16 autocast on the GPU") if ok else ("fp32", "fp32 (this GPU has no bf16)")
    if cpu_has_native_bf16():
        return "bf16", "bf16 autocast (this CPU has native bf16 instructions)"
    if requested == "bf16":
        return "fp32", "fp32 (bf16 was requested, but this CPU has no native bf16, where it would be slower)"
    return "fp32", "fp32 (this CPU has no native bf16)"


def autocast(precision: str, device: torch.device):
    """The autocast context for a forward pass; a no-op for fp32."""
    if precision == "bf16":
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()
