"""A description of the machine a result was measured on (for the result file).

Timings are only comparable on the same hardware, so every result records it. torch is
consulted only if something already imported it: describing the machine must not cost
a multi-second import for text-only numpy encoders.
"""

from __future__ import annotations

import platform
import sys
from importlib import metadata
from pathlib import Path


def cpu_name() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def gpu_name() -> str | None:
    torch = sys.modules.get("torch")
    if torch is None:
        return None
    try:
        if torch.cuda.is_available():
            return str(torch.cuda.get_device_name(0))
    except Exception:  # a broken CUDA setup must not break writing a result
        return None
    return None


def describe_hardware(device: str | None) -> dict:
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": cpu_name(),
        "device": device or "cpu",
        "gpu": gpu_name(),
        "torch": _package_version("torch"),
    }
