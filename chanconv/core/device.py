"""Where chanconv computes: ``default_device()``, and what the machine is (its CPU's model, read once here)."""

from __future__ import annotations

import os
import platform
import subprocess

import torch

from .i18n import _, ngettext

__all__ = ["default_device", "device_name", "cpu_model", "cpuinfo_fields", "read_cpuinfo", "read_sys",
           "logical_cpus"]

ENV = "CHANCONV_DEVICE"


def default_device() -> torch.device:
    """CUDA when available, else the CPU; ``CHANCONV_DEVICE`` overrides it.

    ``CHANCONV_DEVICE`` takes ``cpu``, ``cuda`` or ``cuda:N``. Asking for a device that is
    not there raises a ``RuntimeError`` that says what is available.
    """
    wanted = os.environ.get(ENV, "").strip()
    if not wanted:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    setting = f"{ENV}={wanted!r}"
    try:
        device = torch.device(wanted)
    except RuntimeError as err:
        raise ValueError(_("{setting} is not a device name: use cpu, cuda or cuda:N").format(setting=setting)) from err
    if device.type == "cpu":
        return device
    if device.type != "cuda":
        raise ValueError(_("{setting}: chanconv runs on cpu or cuda, not {kind}").format(setting=setting,
                                                                                       kind=device.type))
    if not torch.cuda.is_available():
        raise RuntimeError(_(
            "{setting} asks for CUDA, but this torch ({version}) sees no CUDA device: unset {env} or set it to cpu"
        ).format(setting=setting, version=torch.__version__, env=ENV))
    count = torch.cuda.device_count()
    if device.index is not None and device.index >= count:
        devices = _("cuda:0 to cuda:{last}").format(last=count - 1) if count > 1 else "cuda:0"
        raise RuntimeError(ngettext(
            "{setting} asks for CUDA device {index}, but there is only {count} ({devices})",
            "{setting} asks for CUDA device {index}, but there are only {count} ({devices})", count,
        ).format(setting=setting, index=device.index, count=count, devices=devices))
    return device


def device_name(device=None) -> str:
    """A short human name: ``cpu`` or ``cuda (NVIDIA H100 ...)``."""
    device = torch.device(device) if device is not None else default_device()
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return "cpu"


# The machine ----------------------------------------------------------------------------------
def read_cpuinfo() -> str:
    """The text of ``/proc/cpuinfo`` ('' where there is none, e.g. macOS or Windows)."""
    try:
        with open("/proc/cpuinfo") as f:
            return f.read()
    except OSError:
        return ""


def read_sys(path: str) -> str | None:
    """One small file of sysfs, stripped; None when it is absent (VMs often lack cpufreq)."""
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def _sysctl(name: str) -> str | None:
    """macOS ``sysctl -n name``; None elsewhere or on failure."""
    if platform.system() != "Darwin":
        return None
    try:
        out = subprocess.run(["sysctl", "-n", name], capture_output=True, text=True, timeout=2)
    except (OSError, subprocess.SubprocessError):
        return None
    return (out.stdout.strip() or None) if out.returncode == 0 else None


def logical_cpus() -> int:
    """The CPUs this process may run on (its affinity mask; else os.cpu_count())."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _first_block(cpuinfo: str) -> dict[str, str]:
    """The first processor's ``key: value`` lines of /proc/cpuinfo."""
    fields: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        if not line.strip():
            if fields:
                break
            continue
        key, sep, value = line.partition(":")
        if sep:
            fields.setdefault(key.strip(), value.strip())
    return fields


def cpuinfo_fields() -> dict[str, str]:
    """The first processor's fields of ``/proc/cpuinfo`` (empty where there is none)."""
    return _first_block(read_cpuinfo())


def cpu_model(fields: dict[str, str] | None = None) -> str:
    """The CPU's model name as the system gives it ("Intel(R) Xeon(R) Processor @ 2.80GHz"; on macOS
    ``machdep.cpu.brand_string``); every timing names it."""
    info = cpuinfo_fields() if fields is None else fields
    return (info.get("model name") or _sysctl("machdep.cpu.brand_string")
            or platform.processor() or platform.machine() or "unknown CPU")
