"""Instruments the checkers use to look at *how* an answer computes, not only what it returns.

* :class:`OpCounter` — a ``torch.overrides.TorchFunctionMode`` that counts matrix-product calls,
  convolution calls and the elementwise floating-point work (elements written by arithmetic).
* :func:`calls_into` — which functions of given modules a call reached (``sys.setprofile``).
* :func:`express_3x3` — least squares (alternating) for "is this 3 × 3 kernel two stacked 2 × 2
  layers with c_m middle channels?".
* :func:`time_limit` — stop a student's function that runs too long (SIGALRM, main thread).
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading

import numpy as np
import torch
from torch.overrides import TorchFunctionMode

from ..core.i18n import _

F = torch.nn.functional

MATMUL_NAMES = {
    "matmul", "mm", "bmm", "mv", "dot", "vdot", "inner", "outer", "ger", "einsum", "tensordot", "addmm",
    "addbmm", "baddbmm", "addmv", "addr", "linear", "bilinear", "chain_matmul", "multi_dot", "vecdot", "kron",
    "__matmul__", "__rmatmul__", "__imatmul__",
}
CONV_NAMES = {
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "convolution",
    "_convolution", "conv_tbc", "cudnn_convolution", "mkldnn_convolution",
}
ARITH_NAMES = {
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "addcmul", "addcdiv", "sum",
    "nansum", "prod", "mean", "cumsum", "cumprod", "sum_to_size", "trapezoid", "fma",
    "__add__", "__radd__", "__iadd__", "__sub__", "__rsub__", "__isub__", "__mul__", "__rmul__", "__imul__",
    "__truediv__", "__rtruediv__", "__itruediv__",
    "add_", "sub_", "mul_", "div_", "addcmul_", "addcdiv_", "index_add", "index_add_", "scatter_add",
    "scatter_add_", "scatter_reduce", "index_reduce",
}


def _name(func) -> str:
    return getattr(func, "__name__", "") or str(func)


class OpCounter(TorchFunctionMode):
    """Counts, while active: ``matmuls`` (calls), ``convs`` (calls, with their names), ``arith_calls``
    and ``arith_elements`` (elements of floating-point tensors that arithmetic produced)."""

    def __init__(self):
        super().__init__()
        self.matmuls = 0
        self.convs: list[str] = []
        self.arith_calls = 0
        self.arith_elements = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        name = _name(func)
        if name in MATMUL_NAMES:
            self.matmuls += 1
        elif name in CONV_NAMES:
            self.convs.append(name)
        elif name in ARITH_NAMES:
            self.arith_calls += 1
            if isinstance(out, torch.Tensor) and out.is_floating_point():
                self.arith_elements += out.numel()
        return out


def calls_into(fn, args, modules) -> set[str]:
    """Call ``fn(*args)`` and return the names of the functions of ``modules`` that it reached.

    The result of ``fn`` is discarded; exceptions propagate.
    """
    codes = {}
    for mod in modules:
        for obj in vars(mod).values():
            code = getattr(obj, "__code__", None)
            if code is not None and getattr(obj, "__module__", None) == mod.__name__:
                codes[code] = f"{mod.__name__.split('.')[-1]}.{obj.__name__}"
    seen: set[str] = set()

    def profile(frame, event, arg):
        if event == "call" and frame.f_code in codes:
            seen.add(codes[frame.f_code])

    old = sys.getprofile()
    sys.setprofile(profile)
    try:
        fn(*args)
    finally:
        sys.setprofile(old)
    return seen


class TimeLimit(Exception):
    """Raised inside a student's function that ran past its time limit."""


@contextlib.contextmanager
def time_limit(seconds: float):
    """Raise :class:`TimeLimit` in the block after ``seconds`` (main thread on Unix; else no limit)."""
    if seconds is None or threading.current_thread() is not threading.main_thread() or not hasattr(
            signal, "setitimer"):
        yield
        return

    def on_alarm(signum, frame):
        raise TimeLimit(_("ran past {seconds} s").format(seconds=f"{seconds:g}"))

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


# exercise 1: can two stacked 2 × 2 layers with c_m middle channels express a 3 × 3 kernel? ---------
def _conv_matrix(A: np.ndarray) -> np.ndarray:
    """M with M @ vec(B) = vec(Σ_m A_m ⋆ B_m), the 3 × 3 kernel of stacking 2 × 2 kernels A_m and B_m."""
    c_m = A.shape[0]
    M = np.zeros((3, 3, c_m, 2, 2))
    for m in range(c_m):
        for u in range(2):
            for v in range(2):
                M[u:u + 2, v:v + 2, m, u, v] += A[m]
    return M.reshape(9, 4 * c_m)


def _levenberg_marquardt(k, A, B, norm, steps: int = 200):
    """Refine K1, K2 jointly (Gauss-Newton with damping) from an ALS start."""
    c_m = A.shape[0]
    lam = 1e-3
    r = _conv_matrix(A) @ B.reshape(-1) - k
    for _step in range(steps):
        J = np.hstack([_conv_matrix(B), _conv_matrix(A)])  # the product is symmetric in A and B
        step = np.linalg.solve(J.T @ J + lam * np.eye(J.shape[1]), -J.T @ r)
        A2, B2 = A + step[:4 * c_m].reshape(A.shape), B + step[4 * c_m:].reshape(B.shape)
        r2 = _conv_matrix(A2) @ B2.reshape(-1) - k
        if np.linalg.norm(r2) < np.linalg.norm(r):
            A, B, r, lam = A2, B2, r2, max(lam / 10, 1e-15)
        else:
            lam *= 10
        if np.linalg.norm(r) / norm < 1e-13 or lam > 1e12:
            break
    return float(np.linalg.norm(r) / norm), A, B


def express_3x3(K, c_m: int, restarts: int = 40, iters: int = 300, seed: int = 0):
    """Least squares for K (3 × 3) = the composed kernel of K1 (c_m, 1, 2, 2) then K2 (1, c_m, 2, 2).

    Alternates two linear least-squares problems (K1 fixed: solve K2; K2 fixed: solve K1) from
    ``restarts`` random starts. Returns (relative residual ‖K − K(K1, K2)‖ / ‖K‖, K1, K2) of the best
    start, as float64 tensors in PyTorch's layout. With c_m ≥ 4 it is one linear solve: exact.
    """
    k = np.asarray(K, dtype=np.float64).reshape(9)
    norm = np.linalg.norm(k)
    if norm == 0:
        return 0.0, torch.zeros(c_m, 1, 2, 2, dtype=torch.float64), torch.zeros(1, c_m, 2, 2, dtype=torch.float64)
    rng = np.random.default_rng(seed)
    best = (np.inf, None, None)
    for _restart in range(restarts):
        if c_m >= 4:  # the first four middle channels: the four shifts of the kernel's 2 × 2 corners
            A = np.zeros((c_m, 2, 2))
            for m, (u, v) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
                A[m, u, v] = 1.0
            iters = 0
        else:
            A = rng.standard_normal((c_m, 2, 2))
        B = np.linalg.lstsq(_conv_matrix(A), k, rcond=None)[0].reshape(c_m, 2, 2)
        for _iteration in range(iters):
            A = np.linalg.lstsq(_conv_matrix(B), k, rcond=None)[0].reshape(c_m, 2, 2)
            B = np.linalg.lstsq(_conv_matrix(A), k, rcond=None)[0].reshape(c_m, 2, 2)
        r = float(np.linalg.norm(_conv_matrix(A) @ B.reshape(-1) - k) / norm)
        if r < best[0]:
            best = (r, A, B)
        if r < 1e-12:
            break
    r, A, B = best
    if 1e-12 < r < 1e-2:  # ALS crawls near degenerate solutions: finish with Levenberg-Marquardt
        r, A, B = _levenberg_marquardt(k, A, B, norm)
    # the first layer maps 1 channel to c_m, the second c_m to 1; A_m ⋆ B_m is symmetric in the two
    return r, torch.from_numpy(A).reshape(c_m, 1, 2, 2), torch.from_numpy(B).reshape(1, c_m, 2, 2)
