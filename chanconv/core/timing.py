"""Timing that is fair on CPU and CUDA: warm-up, synchronization, medians."""

from __future__ import annotations

import statistics
import time

import torch

__all__ = ["median_seconds", "sync"]


def sync(device) -> None:
    """Wait for queued work on ``device`` (CUDA launches are asynchronous)."""
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def median_seconds(fn, *, device="cpu", repeat: int = 5, warmup: int = 1,
                   max_seconds: float | None = None, min_seconds: float = 0.0,
                   max_repeat: int = 2000) -> float:
    """Median wall time of ``fn()`` over ``repeat`` runs after ``warmup`` runs.

    ``max_seconds`` stops repeating early once that much time was spent (at least one run);
    ``min_seconds`` keeps repeating past ``repeat`` (up to ``max_repeat`` runs) until that much
    time was spent, so that calls of a few microseconds get a median over many runs.
    """
    for _ in range(warmup):
        fn()
    sync(device)
    times = []
    start = time.perf_counter()
    while True:
        t0 = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - t0)
        elapsed = time.perf_counter() - start
        if max_seconds is not None and elapsed > max_seconds:
            break
        if len(times) >= repeat and (elapsed >= min_seconds or len(times) >= max_repeat):
            break
    return statistics.median(times)
