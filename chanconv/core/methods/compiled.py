"""The compiled rung: chanconv's im2col in C++, its passes fused, built at first use.

Same signature as every method (see :mod:`chanconv.core.methods`)::

    compiled(X, W, b, stride, padding, dilation, groups=1) -> Y
    X (batch, c_i, n_h, n_w), W (c_o, c_i / g, k_h, k_w), b (c_o,) or None -> Y (batch, c_o, m_h, m_w)
    m_h = floor((n_h + 2 p_h - d_h (k_h - 1) - 1) / s_h) + 1      (likewise m_w)

The source is ``chanconv/core/methods/csrc/conv_fused.cpp``: the cross-correlation of
:func:`chanconv.core.methods.fast.im2col` (every window a column, one matrix product per chunk), with what the
Python version does in separate passes fused into one: the padding is never copied (the gather
writes a zero where a tap falls outside X), strided layers are read directly (no column phases),
groups write straight into their channels of Y (no ``torch.cat``), 1×1 layers multiply X in
place, depthwise layers are a vectorized loop, and a layer is one call instead of 10–20
Python-level ones. The matrix product itself is the same BLAS call.

It is optional. It is built with ``torch.utils.cpp_extension`` (a C++ compiler and ninja) the
first time it is used, which takes 30–90 s; the library is cached (``TORCH_EXTENSIONS_DIR``, by
default ``~/.cache/torch_extensions``), keyed by the source, the flags and the CPU, so later
sessions load it in about a second. Without a compiler or ninja it is absent from
:data:`chanconv.METHODS` and :data:`REASON` says why in one line; importing chanconv never
compiles anything and never fails for it.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import sys
import sysconfig
import time
from pathlib import Path

import torch

from ..i18n import _
from .common import CHUNK_BYTES

__all__ = ["compiled", "input_grad", "weight_grad", "REASON", "SOURCE", "SOURCES",
           "load", "loaded", "prepare", "build_seconds"]

SOURCE = Path(__file__).with_name("csrc") / "conv_fused.cpp"
#: Every file of the rung: the entry points (SOURCE), the dense and depthwise kernels, their shared header.
SOURCES = (SOURCE, SOURCE.with_name("blocked.cpp"), SOURCE.with_name("depthwise.cpp"))
HEADERS = (SOURCE.with_name("kernels.h"),)
FLAGS = ["-O3", "-march=native", "-fopenmp"]

_module = None
_build_seconds: float | None = None
_error: str | None = None


def _ninja_folder() -> str | None:
    """Where ninja is: "" when on PATH; a folder off PATH (pip's ninja beside this Python, in a venv's
    bin/ that may not be on PATH); None when there is none. torch runs ``ninja`` from PATH."""
    if shutil.which("ninja"):
        return ""
    for folder in (os.path.dirname(sys.executable), sysconfig.get_path("scripts")):
        if folder and shutil.which("ninja", path=folder):
            return folder
    return None


def _why_not() -> str | None:
    """None when the rung can be built here, else the one-line reason (cheap: no compiling)."""
    if os.environ.get("CHANCONV_NO_COMPILED"):
        return "CHANCONV_NO_COMPILED is set"
    missing = [f.name for f in SOURCES + HEADERS if not f.is_file()]
    if missing:
        return f"its source {', '.join(missing)} is missing from the installed package"
    cxx = os.environ.get("CXX", "c++")
    if shutil.which(cxx) is None:
        return f"no C++ compiler ({cxx!r} not found; install g++ or clang++, or set CXX)"
    if _ninja_folder() is None:
        return "ninja is not installed (pip install ninja), which torch.utils.cpp_extension needs"
    return None


#: Why the compiled rung is unavailable on this machine (None when it is available).
REASON = _why_not()


def loaded() -> bool:
    """Whether the extension is built and loaded in this process (then ``auto`` may pick it)."""
    return _module is not None


def build_seconds() -> float | None:
    """How long :func:`load` took in this process: compiling (first time) or loading from the cache."""
    return _build_seconds


def _cpu_key() -> str:
    """The CPU's model and flags: a library built with -march=native runs only where it was built."""
    text = platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            lines = [line for line in f if line.startswith(("model name", "flags", "Features"))]
        text += "".join(sorted(set(lines)))
    except OSError:
        text += platform.processor()
    return text


def _name() -> str:
    digest = hashlib.sha1()
    for part in (*(f.read_bytes() for f in SOURCES + HEADERS), " ".join(FLAGS).encode(), _cpu_key().encode(),
                 torch.__version__.encode()):
        digest.update(part)
    return "chanconv_im2col_" + digest.hexdigest()[:12]


def load(verbose: bool = False):
    """Build (first time, 30–90 s) or load (cached, ~1 s) the extension; returns the module.

    Raises RuntimeError with the reason when it cannot be built here.
    """
    global _module, _build_seconds, _error
    if _module is not None:
        return _module
    if REASON is not None:
        raise RuntimeError(f"the compiled rung is unavailable: {REASON}")
    if _error is not None:
        raise RuntimeError(_error)
    from torch.utils.cpp_extension import load as _load  # lazy: only a build needs it (it imports setuptools)

    folder = _ninja_folder()
    if folder:  # pip's ninja, off PATH: torch.utils.cpp_extension runs `ninja` from PATH
        os.environ["PATH"] = folder + os.pathsep + os.environ.get("PATH", "")
    started = time.perf_counter()
    try:
        _module = _load(name=_name(), sources=[str(f) for f in SOURCES], extra_cflags=FLAGS, extra_ldflags=["-fopenmp"],
                        verbose=verbose)
    except Exception as exc:  # a compiler that fails: say so once, keep every other method working
        last = str(exc).strip().splitlines()[-1:] or [type(exc).__name__]
        _error = f"building {SOURCE.name} failed: {last[0][:300]}"
        raise RuntimeError(_error) from exc
    _build_seconds = time.perf_counter() - started
    return _module


def prepare(device="cpu") -> str:
    """Build or load the rung for ``device`` where it can be (the CPU); one line saying how long that took,
    or why it is absent or failed. Afterwards :func:`loaded` says whether it can be used (and ``auto``
    may pick it). ``make bench`` and notebook 8 call this before any timing."""
    if torch.device(device).type != "cpu":
        return _("compiled rung: CPU only, not used on this device")
    if REASON is not None:
        return _("compiled rung absent: {reason}").format(reason=REASON)
    try:
        load()
    except RuntimeError as exc:
        return _("compiled rung failed to build: {error}").format(error=exc)
    return _("compiled rung ready: built or loaded from the cache in {seconds:.1f} s").format(seconds=build_seconds())


def compiled(X, W, b, stride, padding, dilation=(1, 1), groups=1, *, path="auto", nv=0):
    """The layer's forward in C++ (see the module's docstring).

    (signature: every method's, see :mod:`chanconv.core.methods`, plus ``groups``, which it handles itself.)

    X (batch, c_i, n_h, n_w) -> Y (batch, c_o, m_h, m_w), on the CPU, in X's floating dtype.
    ``path`` ("auto", "blocked", "pixels", "depthwise", "tiny", "im2col") and ``nv`` (vectors per tile, 1-4;
    0: chosen by the code) are there to measure the choices the C++ side makes. "pixels" runs the vectors
    along an output row instead of along the output channels; "auto" takes it where a group has at most
    8 output channels (depthwise layers too, but for strided ones, which keep "depthwise").
    """
    return load().conv2d_forward(X, W, b, list(stride), list(padding), list(dilation), groups, path, nv, CHUNK_BYTES)


def input_grad(dY, W, x_shape, stride, padding, dilation=(1, 1), groups=1, *, nv=0):
    """dX = dL/dX of the layer, X's shape (batch, c_i, n_h, n_w), from dY (batch, c_o, m_h, m_w) and W.

    (signature: the layer's numbers in conv2d's order, after what the gradient is made from.)
    The transpose of the forward's gather, phase by phase of the stride (``conv_fused.cpp``, ``blocked.cpp``).
    """
    return load().conv2d_input_grad(dY, W, list(x_shape), list(stride), list(padding), list(dilation), groups, nv)


def weight_grad(dY, X, w_shape, stride, padding, dilation=(1, 1), groups=1, *, nv=0):
    """dW = dL/dW, W's shape (c_o, c_i / g, k_h, k_w): dY against the columns of X, one product over the batch.

    (signature: the layer's numbers in conv2d's order, after what the gradient is made from.)
    """
    return load().conv2d_weight_grad(dY, X, list(w_shape), list(stride), list(padding), list(dilation), groups, nv)
