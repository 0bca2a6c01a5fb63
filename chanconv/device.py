"""Where chanconv computes: ``default_device()``."""

from __future__ import annotations

import os

import torch

__all__ = ["default_device", "device_name"]

ENV = "CHANCONV_DEVICE"


def default_device() -> torch.device:
    """CUDA when available, else the CPU; ``CHANCONV_DEVICE`` overrides it.

    ``CHANCONV_DEVICE`` takes ``cpu``, ``cuda`` or ``cuda:N``. Asking for a device that is
    not there raises a ``RuntimeError`` that says what is available.
    """
    wanted = os.environ.get(ENV, "").strip()
    if not wanted:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(wanted)
    except RuntimeError as err:
        raise ValueError(f"{ENV}={wanted!r} is not a device name: use cpu, cuda or cuda:N") from err
    if device.type == "cpu":
        return device
    if device.type != "cuda":
        raise ValueError(f"{ENV}={wanted!r}: chanconv runs on cpu or cuda, not {device.type}")
    if not torch.cuda.is_available():
        raise RuntimeError(
            f"{ENV}={wanted!r} asks for CUDA, but this torch ({torch.__version__}) sees no CUDA "
            f"device: unset {ENV} or set it to cpu"
        )
    count = torch.cuda.device_count()
    if device.index is not None and device.index >= count:
        raise RuntimeError(
            f"{ENV}={wanted!r} asks for CUDA device {device.index}, but there "
            f"{'is' if count == 1 else 'are'} only {count} (cuda:0"
            + (f" to cuda:{count - 1}" if count > 1 else "") + ")"
        )
    return device


def device_name(device=None) -> str:
    """A short human name: ``cpu`` or ``cuda (NVIDIA H100 ...)``."""
    device = torch.device(device) if device is not None else default_device()
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return "cpu"
