"""The checkers of notebook 7: right or not yet, with a levelled hint, never the answer.

Each ``check_*`` takes the student's answers (numbers, tensors or functions), tests them against
an independent computation (``conv2d_cost``, ``torch.nn.functional.conv2d`` on random inputs,
least squares, an operation count), prints one line and returns a :class:`Verdict` recorded
under its exercise id (see :mod:`chanconv.exercises.verdicts`). Nothing prints the expected value.

The same checkers run in two places. In the notebook, for instant feedback, a student's function
is called right there. In the grader (``make grade``), the answers arrive as plain data and every
student function is a :class:`~chanconv.exercises.answers.RemoteFunction`: it runs in a sandboxed
process on the inputs the checker makes here, and only its result (and, where an exercise asks
*how* something is computed, an operation count) comes back; the reference results are computed
here, where the student's code never runs. A verdict's message is the checker's own words: what a
student's code raised appears as its exception type only, never as its text.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch

from ..core import conv as _conv
from ..core import cost as _cost
from ..core import dispatch as _dispatch
from ..core import methods as _methods
from ..core.cost import conv2d_cost
from ..core.i18n import _
from ..course import lecture as _lecture
from .answers import RemoteFunction, StudentFunctionFailed, Unreadable, safe_type_name
from .probes import CONV_NAMES, OpCounter, TimeLimit, calls_into, express_3x3, time_limit
from .variants import numbers
from .verdicts import Verdict, deferred, error, grading_kernel, right, unanswered, wrong

F = torch.nn.functional
STUDENT_FN_SECONDS = 20  # a student's function that runs longer is stopped (an infinite loop)
COST_MODULE = _cost  # the cost module: what exercise 2 may call (conv2d_cost), kept importable for the probes


class _Raised(Exception):
    """A student's function raised: carries the message for the verdict."""


def _instant(exercise: str):
    """A check cell's checker: in a kernel the grader runs, it leaves the checking to the grader."""
    def deco(check):
        @functools.wraps(check)
        def wrapper(*args, **kwargs):
            if grading_kernel():
                return deferred(exercise)
            return check(*args, **kwargs)
        return wrapper
    return deco


def error_type(err: BaseException) -> str:
    """An exception's type as the verdict may show it: a built-in's name, else a neutral word."""
    return safe_type_name(type(err).__name__)


def _kind(x) -> str:
    """What an answer is, in words (never its text: a verdict shows no student-controlled text)."""
    if x is None:
        return "None"
    if isinstance(x, bool):
        return _("a bool")
    if isinstance(x, int | np.integer):
        return _("an int")
    if isinstance(x, float | np.floating):
        return _("a float")
    if isinstance(x, torch.Tensor):
        return _("a tensor")
    if isinstance(x, np.ndarray):
        return _("an array")
    if isinstance(x, str):
        return _("a string")
    if isinstance(x, list | tuple):
        if type(x) in (list, tuple):
            return _("a list") if type(x) is list else _("a tuple")
        return _("a {type}").format(type=type(x).__name__)
    if isinstance(x, dict):
        return _("a dict")
    if isinstance(x, Unreadable):
        return x.kind
    if isinstance(x, RemoteFunction) or callable(x):
        return _("a function")
    return _("an object")


def _fn_name(fn) -> str:
    name = getattr(fn, "name", None) if isinstance(fn, RemoteFunction) else getattr(fn, "__name__", None)
    return name if isinstance(name, str) and name.isidentifier() and len(name) <= 40 else _("your function")


def _call(fn, *args, **kwargs):
    """fn(*args), with a student's exception (or a run past the time limit) turned into _Raised."""
    return _probe_call(fn, args, kwargs)[0]


def _probe_call(fn, args, kwargs=None, modules=(), ops: bool = False):
    """Call a student's function once, and say how it computed: ``(result, report)``.

    ``report``: ``calls`` (the functions of ``modules`` it reached), and with ``ops``,
    ``matmuls`` (matrix-product calls), ``convs`` (convolution calls, by name) and
    ``arith_elements`` (elements written by elementwise arithmetic). A
    :class:`RemoteFunction` measures this where it runs; the report is read defensively."""
    kwargs = kwargs or {}
    if isinstance(fn, RemoteFunction):
        probe = {"modules": [m.__name__ for m in modules], "ops": ops} if (modules or ops) else None
        try:
            result, report = fn.call(tuple(args), kwargs, probe)
        except StudentFunctionFailed as err:
            raise _Raised(str(err)) from None
        return result, _clean_report(report, modules)
    if not callable(fn):
        raise _Raised(_("expected a function, got {kind}").format(kind=_kind(fn)))
    out = []
    counter = OpCounter() if ops else None
    try:
        with time_limit(STUDENT_FN_SECONDS):
            if counter is not None:
                with counter:
                    seen = calls_into(lambda: out.append(fn(*args, **kwargs)), (), list(modules))
            elif modules:
                seen = calls_into(lambda: out.append(fn(*args, **kwargs)), (), list(modules))
            else:
                out.append(fn(*args, **kwargs))
                seen = set()
    except TimeLimit as err:
        raise _Raised(_("{name} {problem} (an endless loop?)").format(name=_fn_name(fn), problem=err)) from None
    except Exception as err:  # a student's function may fail in any way: say how, not where
        raise _Raised(_("{name} raised {error}: {message}").format(name=_fn_name(fn), error=type(err).__name__,
                                                                   message=err)) from None
    report = {"calls": seen}
    if counter is not None:
        report.update(matmuls=counter.matmuls, convs=list(counter.convs), arith_elements=counter.arith_elements)
    return out[0], report


def _clean_report(report, modules) -> dict:
    """A report from a sandboxed run, reduced to what the checkers know: known names, counts."""
    report = report if isinstance(report, dict) else {}
    known = set()
    for mod in modules:
        short = mod.__name__.split(".")[-1]
        known |= {f"{short}.{name}" for name, obj in vars(mod).items()
                  if getattr(obj, "__module__", None) == mod.__name__ and hasattr(obj, "__code__")}

    def count(key):
        v = report.get(key)
        return v if isinstance(v, int) and not isinstance(v, bool) and v >= 0 else 0

    calls = report.get("calls")
    convs = report.get("convs")
    calls = {c for c in calls if isinstance(c, str) and c in known} if isinstance(calls, list | set) else set()
    return {"calls": calls,
            "matmuls": count("matmuls"), "arith_elements": count("arith_elements"),
            "convs": [c for c in convs if isinstance(c, str) and c in CONV_NAMES] if isinstance(convs, list) else []}


def _number(x) -> float | None:
    """x as a float if it is a real number (int, float, 0-d tensor or array), else None."""
    if isinstance(x, bool):
        return None
    if isinstance(x, torch.Tensor | np.ndarray):
        if (x.size if isinstance(x, np.ndarray) else x.numel()) != 1:
            return None
        x = x.item()
    if not isinstance(x, int | float | np.integer | np.floating | np.bool_) or isinstance(x, bool | np.bool_):
        return None
    try:
        v = float(x)
    except (TypeError, ValueError, OverflowError):
        return None
    return v if math.isfinite(v) else None


def _close(got, want: float, rel: float = 1e-9) -> bool:
    v = _number(got)
    return v is not None and abs(v - want) <= rel * max(1.0, abs(want))


def _tensor(x, name: str, dims: int | None = None) -> torch.Tensor:
    """x as a float64 tensor (from a tensor, an array or nested lists), or _Raised saying why not."""
    try:
        t = torch.as_tensor(np.asarray(x.detach().cpu() if isinstance(x, torch.Tensor) else x, dtype=np.float64))
    except (TypeError, ValueError, RuntimeError, OverflowError):
        raise _Raised(_("{name} should be a tensor (or nested lists of numbers), got {kind}").format(
            name=name, kind=_kind(x))) from None
    if dims is not None and t.dim() != dims:
        raise _Raised(_("{name} should have {dims} axes, it has shape {shape}").format(name=name, dims=dims,
                                                                                      shape=tuple(t.shape)))
    if not torch.isfinite(t).all():
        raise _Raised(_("{name} holds inf or nan: use finite numbers").format(name=name))
    return t


def _first(blank, exercise, body) -> Verdict:
    """The not-answered verdict if there is one, else the checker's body run."""
    return blank if blank is not None else _run(exercise, body)


def _run(exercise, body) -> Verdict:
    """Run a checker's body; a student's exception becomes an ERROR verdict with its message."""
    try:
        return body()
    except _Raised as err:
        return error(exercise, str(err))


# 1 -----------------------------------------------------------------------------------------------
def compose_kernels(K1: torch.Tensor, K2: torch.Tensor) -> torch.Tensor:
    """The one kernel K with conv2d(conv2d(X, K1), K2) == conv2d(X, K) (no padding, stride 1, no bias).

    K1: (c_m, c_i, a_h, a_w), K2: (c_o, c_m, b_h, b_w) -> K: (c_o, c_i, a_h + b_h - 1, a_w + b_w - 1).
    """
    c_o, c_m, b_h, b_w = K2.shape
    c_i, a_h, a_w = K1.shape[1:]
    K = torch.zeros((c_o, c_i, a_h + b_h - 1, a_w + b_w - 1), dtype=K1.dtype, device=K1.device)
    for u in range(b_h):
        for v in range(b_w):
            K[:, :, u:u + a_h, v:v + a_w] += torch.einsum("om,mihw->oihw", K2[:, :, u, v], K1)
    return K


@_instant("1a")
def check_combined_kernel_size(combined_kernel_size) -> Verdict:
    """Exercise 1a: ``combined_kernel_size(k1, k2)``, the side of the one kernel equal to a k1 × k1
    then a k2 × k2 cross-correlation (no padding, stride 1)."""
    ex = "1a"

    def body():
        for k1, k2 in [(2, 3), (3, 3), (1, 1), (3, 5), (7, 1), (4, 6), (5, 2)]:
            want = compose_kernels(torch.zeros(1, 1, k1, k1), torch.zeros(1, 1, k2, k2)).shape[-1]
            if not _close(_call(combined_kernel_size, k1, k2), want):
                return wrong(ex, [
                    _("try k1 = {k1}, k2 = {k2} on paper: one output of the second layer reads a window of "
                      "the first layer's outputs; which input pixels do those read?").format(k1=k1, k2=k2),
                    _("for k1 = {k1}, k2 = {k2}: mark the input pixels that reach one final output; how wide "
                      "is the marked block? (the windows of neighbouring first-layer outputs overlap)").format(
                        k1=k1, k2=k2),
                    _("check your function on k2 = 1 (a 1 × 1 second layer changes nothing) and on k1 = 1"),
                ])
        return right(ex)

    return _first(unanswered(ex, combined_kernel_size=combined_kernel_size), ex, body)


def _converse_counterexample(ex: str, counterexample, c_m: int) -> Verdict:
    """Exercise 1b's counterexample: a 3 × 3 kernel that no two 2 × 2 layers with c_m middle channels give."""
    K = _tensor(counterexample, "counterexample").squeeze()
    if tuple(K.shape) != (3, 3):
        raise _Raised(_("the counterexample should be a 3 × 3 kernel, got shape {shape}").format(shape=tuple(K.shape)))
    if K.abs().max() == 0:
        return wrong(ex, _("the zero kernel is expressible (all weights zero): pick another"))
    residual = express_3x3(K, c_m)[0]
    if residual < 1e-7:
        return wrong(ex, part="counterexample", levels=[
            _("least squares found two 2 × 2 layers with {c_m} middle channel(s) that give exactly "
              "this kernel: it is not a counterexample").format(c_m=c_m),
            _("it still splits. Count the free numbers of the two layers with c_m = {c_m} against the "
              "9 of a 3 × 3 kernel: is a counterexample possible at all for this c_m?").format(c_m=c_m),
        ])
    if residual < 1e-3:
        return wrong(ex, _("this kernel is very close to one that splits; pick one clearly away from it"))
    return right(ex, _("no two 2 × 2 layers with c_m = {c_m} give it: least squares leaves "
                       "{residual} of it unexplained").format(c_m=c_m, residual=f"{residual:.0%}"))


@_instant("1b")
def check_converse(middle_channels, counterexample=None, split=None) -> Verdict:
    """Exercise 1b: is every 3 × 3 kernel two stacked 2 × 2 layers (1 → c_m → 1 channels, no bias)?

    ``middle_channels``: c_m, the case you answer. Then give ONE of: ``counterexample``, a 3 × 3
    kernel those layers cannot express (the checker tries to find K1, K2 by least squares), or
    ``split``, a function K (3 × 3 tensor) -> (K1 (c_m, 1, 2, 2), K2 (1, c_m, 2, 2)) that expresses
    every 3 × 3 kernel (the checker tries it on random and on special kernels).
    """
    ex = "1b"
    if middle_channels is None:
        return unanswered(ex, middle_channels=None)
    if counterexample is None and split is None:
        return unanswered(ex, **{_("counterexample or split"): None})

    def body():
        c_m = middle_channels
        if isinstance(c_m, bool) or not isinstance(c_m, int | np.integer) or c_m < 1:
            shown = str(int(c_m)) if isinstance(c_m, int | np.integer) and not isinstance(c_m, bool) else _kind(c_m)
            return wrong(ex, _("middle_channels is the number of channels between the two layers, an int ≥ 1; "
                               "got {shown}").format(shown=shown), part="middle_channels")
        c_m = int(c_m)
        if counterexample is not None and split is not None:
            return wrong(ex, _("give a counterexample OR a split function (set the other to None): they claim "
                               "opposite things"))
        if counterexample is not None:
            return _converse_counterexample(ex, counterexample, c_m)
        # a split function: try it on random kernels and on awkward ones
        g = torch.Generator().manual_seed(11)
        kernels = [torch.randn(3, 3, generator=g, dtype=torch.float64) for _i in range(6)]
        kernels += [torch.tensor(k, dtype=torch.float64) for k in (
            [[1, 0, 1], [0, 0, 0], [1, 0, 1]], [[0, 0, 1], [0, 0, 0], [1, 0, 0]], [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
            [[0, 0, 0], [0, 1, 0], [0, 0, 0]], [[1, 0, 0], [0, 0, 0], [0, 0, 1]], [[1, 0, 1], [1, 0, 1], [1, 0, 1]])]
        for K in kernels:
            out = _call(split, K.clone())
            if not isinstance(out, tuple | list) or len(out) != 2:
                raise _Raised(_("split(K) should return a pair (K1, K2), got {kind}").format(kind=_kind(out)))
            K1, K2 = (_tensor(out[0], "K1", 4), _tensor(out[1], "K2", 4))
            if tuple(K1.shape) != (c_m, 1, 2, 2) or tuple(K2.shape) != (1, c_m, 2, 2):
                return wrong(ex, _("split(K) should return K1 of shape ({c_m}, 1, 2, 2) and K2 of shape "
                                   "(1, {c_m}, 2, 2); got {k1} and {k2}").format(c_m=c_m, k1=tuple(K1.shape),
                                                                                 k2=tuple(K2.shape)), part="split")
            X = torch.randn(1, 1, 7, 7, generator=g, dtype=torch.float64)
            two = F.conv2d(F.conv2d(X, K1), K2)
            if not torch.allclose(two, F.conv2d(X, K.reshape(1, 1, 3, 3)), rtol=1e-6, atol=1e-6):
                return wrong(ex, part="split", levels=[
                    _("the two layers your split returns do not give the kernel back, e.g. for K = {K}").format(
                        K=K.tolist()),
                    _("with c_m middle channels the composed kernel is a sum of c_m terms, one per channel; "
                      "can you give each middle channel a simple job (one part of the 3 × 3 kernel each)?"),
                ])
        return right(ex, _("your split expresses every 3 × 3 kernel tried with c_m = {c_m}").format(c_m=c_m))

    return _run(ex, body)


# 2 -----------------------------------------------------------------------------------------------
_CASES_2 = [(3, 8, 10, 12, 3, 3, 1, 1, 1, 1), (4, 2, 9, 9, 2, 3, 0, 2, 2, 1), (16, 32, 28, 28, 5, 5, 2, 2, 2, 2),
            (1, 1, 5, 7, 5, 1, 0, 3, 3, 2)]


def _2_forward_macs(fm, cost, n_y, args, notes):
    """Exercise 2's forward_macs: the multiply-adds, the bias additions counted or not; None when right."""
    if _close(fm, cost.macs + n_y):
        notes.add(_("forward_macs counts the bias additions (one per output value); leaving them out is right too"))
    elif _close(fm, cost.flops) or _close(fm, cost.flops + n_y):
        return wrong("2", _("forward_macs counts FLOPs (multiplications and additions separately): the "
                            "question asks for multiply-adds, one per product"), part="forward_macs")
    elif not _close(fm, cost.macs):
        return wrong("2", part="forward_macs", levels=[
            _("forward_macs{args}: count the outputs first, then the products that make one output").format(args=args),
            _("forward_macs{args}: padding and stride change how many outputs there are (the output "
              "size rounds down: use //); try your output size on a 1-channel example you can draw").format(args=args),
            _("forward_macs: list what one output value reads (which channels, which positions), then "
              "how many output values there are in all"),
        ])
    return None


def _2_forward_memory(mem, stored, c_o, args):
    """Exercise 2's forward_memory: X, W and b, Y; None when right."""
    if _close(mem, stored - c_o):
        return wrong("2", _("forward_memory: the layer has one more kind of parameter besides W"),
                     part="forward_memory")
    if not _close(mem, stored):
        return wrong("2", part="forward_memory", levels=[
            _("forward_memory{args}: count the numbers in X, in W and b, and in Y").format(args=args),
            _("forward_memory{args}: X is the unpadded input (padding is not stored); Y has the "
              "output size of forward_macs").format(args=args)])
    return None


def _2_backward_macs(bm, cost, n_y, bias_in_forward, args, notes):
    """Exercise 2's backward_macs: dX and dW, the bias gradient's additions counted or not; None when right."""
    if _close(bm, 2 * cost.macs + n_y):
        notes.add(_("you counted the bias gradient's additions; leaving them out is right too"))
    elif _close(bm, 2 * cost.macs):
        pass
    elif bias_in_forward and _close(bm, 2 * (cost.macs + n_y)):
        return wrong("2", _("backward_macs: doubling a forward count that holds the bias additions doubles "
                            "them too; how many additions does the bias gradient need?"), part="backward_macs")
    elif any(_close(bm, v) for v in (2 * cost.flops, 2 * cost.flops + n_y, 2 * cost.flops + 2 * n_y)):
        return wrong("2", _("backward_macs counts FLOPs: the question asks for multiply-adds"), part="backward_macs")
    else:
        return wrong("2", part="backward_macs", levels=[
            _("backward_macs{args}: the backward pass computes two gradients, of the input and of "
              "the weights; count the multiply-adds of each").format(args=args),
            _("backward_macs: for ∂L/∂W[o, i, a, b], which products of the forward pass involve that "
              "weight? For ∂L/∂X[i, r, s], which involve that input?"),
            _("backward_macs: take one forward product W[o, i, a, b]·X[i, r, s]: in which gradient "
              "sums does it reappear, and how often?"),
        ])
    return None


def _2_backward_memory(bmem, stored, n_y, c_o, args, notes):
    """Exercise 2's backward_memory: the forward's numbers and their gradients, ∂L/∂Y counted or not."""
    if _close(bmem, 2 * stored - n_y):
        notes.add(_("you left out the incoming gradient ∂L/∂Y; counting it is right too"))
    elif _close(bmem, 2 * stored):
        notes.add(_("you counted the incoming gradient ∂L/∂Y; leaving it out is right too"))
    elif _close(bmem, 2 * stored - c_o) or _close(bmem, 2 * stored - n_y - c_o):
        return wrong("2", _("backward_memory: the bias has a gradient too"), part="backward_memory")
    else:
        return wrong("2", part="backward_memory", levels=[
            _("backward_memory{args}: what the forward pass stored stays; add one gradient per stored tensor").format(
                args=args),
            _("backward_memory: a gradient has the shape of what it is the gradient of"),
        ])
    return None


@_instant("2")
def check_forward_backward(forward_macs, forward_memory, backward_macs, backward_memory) -> Verdict:
    """Exercise 2: four functions of (c_i, c_o, n_h, n_w, k_h, k_w, p_h, p_w, s_h, s_w), batch 1, no groups.

    forward_macs: multiply-adds of the forward pass (the bias additions, c_o m_h m_w of them, may
    be counted or not); forward_memory: numbers stored (X, W and b, Y); backward_macs:
    multiply-adds for the gradients of X and W (the bias gradient, c_o m_h m_w additions, may be
    counted or not); backward_memory: numbers stored in the backward pass, the forward's plus the
    gradients of X, W and b (with or without the incoming gradient of Y). Each must be exact
    (an int; a float equal to it passes). Writing the counts out and calling ``conv2d_cost`` are
    both fine.
    """
    ex = "2"
    blank = unanswered(ex, forward_macs=forward_macs, forward_memory=forward_memory,
                       backward_macs=backward_macs, backward_memory=backward_memory)
    if blank is not None:
        return blank

    def body():
        notes = set()
        for args in _CASES_2:
            c_i, c_o, n_h, n_w, k_h, k_w, p_h, p_w, s_h, s_w = args
            cost = conv2d_cost(c_i, c_o, k_h, k_w, n_h, n_w, stride=(s_h, s_w), padding=(p_h, p_w))
            n_y = c_o * cost.out_shape[1] * cost.out_shape[2]
            stored = c_i * n_h * n_w + cost.params + n_y
            fm = _call(forward_macs, *args)
            bias_in_forward = _close(fm, cost.macs + n_y)
            verdict = _2_forward_macs(fm, cost, n_y, args, notes)  # a Verdict that is not right is falsy:
            if verdict is None:                                      # compare with None, step by step
                verdict = _2_forward_memory(_call(forward_memory, *args), stored, c_o, args)
            if verdict is None:
                verdict = _2_backward_macs(_call(backward_macs, *args), cost, n_y, bias_in_forward, args, notes)
            if verdict is None:
                verdict = _2_backward_memory(_call(backward_memory, *args), stored, n_y, c_o, args, notes)
            if verdict is not None:
                return verdict
        return right(ex, "; ".join(sorted(notes)))

    return _run(ex, body)


# 3 -----------------------------------------------------------------------------------------------
def describe_3(who: str | None = None) -> str:
    n = numbers("3", who)
    return _("c_i = c_o = {c}, {k} × {k} kernels, a {n} × {n} input, padding {p}, stride 1").format(
        c=n["c"], k=n["k"], n=n["n"], p=n["p"])


@_instant("3")
def check_cost_factors(factor_double_channels, factor_double_padding) -> Verdict:
    """Exercise 3: the factors by which the multiply-adds grow, for this student's numbers
    (``describe_3()``), when c_i and c_o both double, and when the padding doubles.

    Numbers (int or float, 4 and 4.0 alike); the channel factor must be exact (within 1e-6), the
    padding factor within 0.1 % (four significant digits, or the exact ratio)."""
    ex = "3"
    blank = unanswered(ex, factor_double_channels=factor_double_channels,
                       factor_double_padding=factor_double_padding)
    if blank is not None:
        return blank
    n = numbers("3")
    base = conv2d_cost(n["c"], n["c"], n["k"], n["k"], n["n"], n["n"], padding=n["p"])
    ch = conv2d_cost(2 * n["c"], 2 * n["c"], n["k"], n["k"], n["n"], n["n"], padding=n["p"]).macs / base.macs
    pad = conv2d_cost(n["c"], n["c"], n["k"], n["k"], n["n"], n["n"], padding=2 * n["p"]).macs / base.macs
    for name, x in (("factor_double_channels", factor_double_channels), ("factor_double_padding",
                                                                         factor_double_padding)):
        if _number(x) is None:
            return wrong(ex, _("{name} should be a number (an int or a float), got {kind}").format(
                name=name, kind=_kind(x)), part=name.removeprefix("factor_double_"))
    if not _close(factor_double_channels, ch, 1e-6):
        return wrong(ex, part="channels", levels=[
            _("the channels: which factors of the cost contain c_i or c_o?"),
            _("the cost is a product; two of its factors double: what happens to the product?")])
    if _close(factor_double_padding, math.sqrt(pad), 1e-3):
        return wrong(ex, _("the padding: you have the growth along one side; the output grows along both"),
                     part="padding")
    roundings = {float(f"{pad:.{d}g}") for d in (2, 3)} | {round(pad, d) for d in (1, 2)}
    roundings.discard(1.0)  # 1 is the "padding changes nothing" answer, not a rounding
    if not _close(factor_double_padding, pad, 1e-3) and any(_close(factor_double_padding, r) for r in roundings):
        return wrong(ex, _("the padding: close, but rounded too much: the factor must be within 0.1 % (give four "
                           "significant digits, or compute the ratio exactly)"), part="padding")
    if not _close(factor_double_padding, pad, 1e-3):
        return wrong(ex, part="padding", levels=[
            _("the padding: which factors of the cost does the padding change?"),
            _("compute the output side m_h with padding {p} and with padding {p2} for your numbers").format(
                p=n["p"], p2=2 * n["p"]),
            _("the factor is the ratio of the two output areas")])
    return right(ex)


# 4 -----------------------------------------------------------------------------------------------
@_instant("4")
def check_exactly_equal(X, K) -> Verdict:
    """Exercise 4: evidence that Y1 = corr2d_multi_in_out_1x1(X, K) and Y2 = corr2d_multi_in_out(X, K)
    are not always exactly equal: finite float32 X (c_i, n_h, n_w) and K (c_o, c_i, 1, 1) for which
    ``torch.equal(Y1, Y2)`` is False."""
    ex = "4"
    blank = unanswered(ex, X_differ=X, K_differ=K)
    if blank is not None:
        return blank

    def body():
        if not isinstance(X, torch.Tensor) or not isinstance(K, torch.Tensor):
            return wrong(ex, _("X and K should be torch tensors, as in notebook 3; got {x} and {k}").format(
                x=_kind(X), k=_kind(K)))
        if X.dtype != torch.float32 or K.dtype != torch.float32:
            return wrong(ex, _("use float32 tensors, the default (got {x} and {k})").format(x=X.dtype, k=K.dtype))
        if X.dim() != 3 or K.dim() != 4 or K.shape[2:] != (1, 1) or K.shape[1] != X.shape[0]:
            return wrong(ex, _("X should be (c_i, n_h, n_w) and K (c_o, c_i, 1, 1) with the same c_i; got "
                               "{x} and {k}").format(x=tuple(X.shape), k=tuple(K.shape)))
        if not (torch.isfinite(X).all() and torch.isfinite(K).all()):
            return wrong(ex, _("use finite numbers (nan is never equal to itself; that is not the point here)"))
        try:
            Y1 = _lecture.corr2d_multi_in_out_1x1(X.clone(), K.clone())
            Y2 = _lecture.corr2d_multi_in_out(X.clone(), K.clone())
        except Exception as err:  # the lecture's own words about the shapes
            raise _Raised(_("the lecture's functions raised {error}: {message}").format(
                error=error_type(err), message=str(err)[:200])) from None
        if not (torch.isfinite(Y1).all() and torch.isfinite(Y2).all()):
            return wrong(ex, _("the results overflow to inf: use moderate values"))
        if torch.equal(Y1, Y2):
            return wrong(ex, part="equal", levels=[
                _("for this X and K the two results are exactly equal: that is no evidence yet"),
                _("how do the two functions add up the c_i products of one output? Try many input channels "
                  "and values that are not small integers"),
                _("rounding shows up when the partial sums are not exact in float32: try random values "
                  "and c_i of 32 or more"),
            ])
        return right(ex, _("{n} of {total} elements differ").format(n=int((Y1 != Y2).sum()), total=Y1.numel()))

    return _run(ex, body)


# 5 -----------------------------------------------------------------------------------------------
def _shapes_5(g, trials: int) -> list[tuple]:
    """Exercise 5's layers: two fixed ones, then ``trials`` random ones (batch, c_i, c_o, k_h, k_w, n_h, n_w,
    p_h, p_w, s_h, s_w), drawn from ``g``."""
    shapes = [(2, 3, 4, 3, 3, 9, 8, 1, 1, 1, 1), (1, 2, 3, 2, 3, 6, 9, 0, 1, 2, 1)]
    for _trial in range(trials):
        r = [int(v) for v in torch.randint(1, 4, (6,), generator=g)]
        k_h, k_w, s_h, s_w = r[2], r[3], r[4] if r[4] < 3 else 1, r[5] if r[5] < 3 else 2
        p_h, p_w = [int(v) for v in torch.randint(0, 2, (2,), generator=g)]
        shapes.append((r[0], r[1] + 1, int(torch.randint(1, 5, (1,), generator=g)), k_h, k_w,
                       k_h + int(torch.randint(0, 6, (1,), generator=g)),
                       k_w + int(torch.randint(0, 6, (1,), generator=g)), p_h, p_w, s_h, s_w))
    return shapes


@_instant("5")
def check_conv_as_matmul(conv_as_matmul, trials: int = 10) -> Verdict:
    """Exercise 5: ``conv_as_matmul(X, K, stride, padding)`` for X (batch, c_i, n_h, n_w), K (c_o, c_i,
    k_h, k_w), stride (s_h, s_w), padding (p_h, p_w) -> Y (batch, c_o, m_h, m_w): the cross-correlation
    as ONE matrix product (for the whole batch), compared with ``torch.nn.functional.conv2d``.

    Counted under a TorchFunctionMode: exactly one matrix-product call, no convolution call, and
    elementwise arithmetic outside the product of at most about the size of X and Y. Values within
    1e-4 of torch's (relative and absolute), in a floating-point tensor of the output's shape.
    """
    ex = "5"
    blank = unanswered(ex, conv_as_matmul=conv_as_matmul)
    if blank is not None:
        return blank

    def body():
        g = torch.Generator().manual_seed(5)
        for batch, c_i, c_o, k_h, k_w, n_h, n_w, p_h, p_w, s_h, s_w in _shapes_5(g, trials):
            X = torch.randn(batch, c_i, n_h, n_w, generator=g)
            K = torch.randn(c_o, c_i, k_h, k_w, generator=g)
            where = _("X {x}, K {k}, stride ({s_h}, {s_w}), padding ({p_h}, {p_w})").format(
                x=tuple(X.shape), k=tuple(K.shape), s_h=s_h, s_w=s_w, p_h=p_h, p_w=p_w)

            def args(X=X, K=K, stride=(s_h, s_w), padding=(p_h, p_w)):  # fresh copies: a function may
                return X.clone(), K.clone(), stride, padding  # change its inputs in place

            got, ops = _probe_call(conv_as_matmul, args(), modules=(_conv, _dispatch, _methods, _lecture), ops=True)
            if ops["calls"]:
                return wrong(ex, _("your function calls chanconv's convolution code: build the matrix product "
                                   "yourself"))
            if ops["convs"]:
                return wrong(ex, _("your function calls a convolution ({names}): the exercise is to do its work "
                                   "with one matrix product").format(names=", ".join(sorted(set(ops["convs"])))))
            want = F.conv2d(X, K, stride=(s_h, s_w), padding=(p_h, p_w))
            if not isinstance(got, torch.Tensor) or got.shape != want.shape:
                shape = tuple(got.shape) if isinstance(got, torch.Tensor) else _kind(got)
                return wrong(ex, part="shape", levels=[
                    _("for {where} the result should have shape (batch, c_o, m_h, m_w); got {shape}").format(
                        where=where, shape=shape),
                    _("the output size depends on stride and padding: work it out for one axis on paper")])
            if not got.is_floating_point():
                return wrong(ex, _("the result should be a floating-point tensor, like X and K; got {dtype}").format(
                    dtype=got.dtype), part="shape")
            if not torch.allclose(got.to(torch.float64), want.to(torch.float64), rtol=1e-4, atol=1e-4):
                return wrong(ex, part="values", levels=[
                    _("wrong values for {where}").format(where=where),
                    _("does each column (or row) of your big matrix hold exactly one output pixel's window, in "
                      "the order of K's (c_i, k_h, k_w) axes?"),
                    _("check the window's corner for output (i, j) with stride and padding, and that you "
                      "cross-correlate (no kernel flip)"),
                ])
            if ops["matmuls"] == 0:
                return wrong(ex, part="products", levels=[
                    _("the values are right, but no matrix product was called: loops of multiply-adds are not "
                      "the exercise"),
                    _("arrange the windows as one matrix first; then a single @ does all the multiply-adds")])
            if ops["matmuls"] > 1:
                return wrong(ex, part="products", levels=[
                    _("the values are right, but {n} matrix products were called for {where}: the "
                      "exercise asks for one").format(n=ops["matmuls"], where=where),
                    _("one product per pixel, channel or sample is a loop in disguise; gather all windows (of "
                      "every sample) first, then multiply once (a batched @ counts as one)")])
            budget = 2 * (X.numel() + want.numel()) + 64
            if ops["arith_elements"] > budget:
                return wrong(ex, _("the values are right, but {n} elements of elementwise arithmetic were computed "
                                   "outside the product (the multiply-adds belong in the one matrix product)").format(
                    n=f"{ops['arith_elements']:,}"), part="products")
        return right(ex)

    return _run(ex, body)


# 6 -----------------------------------------------------------------------------------------------
@_instant("6")
def check_strip_reads(reads_per_output) -> Verdict:
    """Exercise 6: ``reads_per_output(k, delta)``: input values read per output when a strip k rows
    high and k + delta - 1 columns wide (delta neighbouring k × k windows) gives delta outputs of one
    row of a k × k convolution at once (one channel)."""
    ex = "6"

    def body():
        for k, d in [(3, 1), (3, 2), (5, 4), (7, 8), (1, 1), (4, 3), (2, 5)]:
            got = _call(reads_per_output, k, d)
            if _close(got, k * (k + d - 1) / d, 1e-9):
                continue
            if _close(got, k * (k + d) / d, 1e-9):
                return wrong(ex, [_("k = {k}, Δ = {d}: draw the Δ neighbouring k × k windows side by side; how "
                                    "many columns do they span?").format(k=k, d=d),
                                  _("k = {k}, Δ = {d}: your strip is one column wider than the Δ windows need").format(
                                      k=k, d=d)])
            return wrong(ex, [_("k = {k}, Δ = {d}: how many values does the strip hold?").format(k=k, d=d),
                              _("k = {k}, Δ = {d}: the strip's values are read once and shared by the outputs it "
                                "makes; divide accordingly").format(k=k, d=d),
                              _("check Δ = 1: it should be the same as reading one k × k window per output")])
        return right(ex)

    return _first(unanswered(ex, reads_per_output=reads_per_output), ex, body)


# 7 -----------------------------------------------------------------------------------------------
@_instant("7")
def check_block_diagonal(speedup) -> Verdict:
    """Exercise 7: ``speedup(c, b)``: how many times fewer multiply-adds a c × c matrix-vector
    product needs when the matrix is block-diagonal with b equal blocks (b divides c)."""
    ex = "7"

    def body():
        for c, b in [(8, 2), (64, 4), (256, 8), (12, 3), (5, 1), (6, 6)]:
            if not _close(_call(speedup, c, b), c * c / (b * (c // b) ** 2), 1e-9):
                return wrong(ex, [_("c = {c}, b = {b}: count the multiply-adds of the full product").format(c=c, b=b),
                                  _("c = {c}, b = {b}: now count them for b blocks, each a square block of "
                                    "its own size").format(c=c, b=b),
                                  _("the speed-up is the ratio of the two counts; check b = 1 gives 1")])
        return right(ex)

    return _first(unanswered(ex, speedup=speedup), ex, body)


# 8: beyond the book ------------------------------------------------------------------------------
def describe_8(who: str | None = None) -> str:
    n = numbers("8", who)
    return _("c_i = c_o = {c}, {k} × {k} kernels, groups = {groups} for the grouped layer; the separable layer "
             "pads by {pad}").format(c=n["c"], k=n["k"], groups=n["groups"], pad=n["k"] // 2)


@_instant("8")
def check_grouped(grouped_params, separable_params, separable) -> Verdict:
    """Grouped and depthwise-separable convolutions for this student's numbers (``describe_8()``),
    bias included: the parameters of a k × k layer with ``groups``, of a depthwise k × k layer
    (groups = c) followed by a 1 × 1 layer c → c, and ``separable(X, Wd, bd, Wp, bp)``: that layer,
    X (batch, c, n_h, n_w), Wd (c, 1, k, k), bd (c,), Wp (c, c, 1, 1), bp (c,) -> Y (batch, c, n_h, n_w),
    the depthwise layer padded by k // 2 (k odd, stride 1).
    """
    ex = "8"
    blank = unanswered(ex, grouped_params=grouped_params, separable_params=separable_params, separable=separable)
    if blank is not None:
        return blank

    def body():
        n = numbers("8")
        c, k, groups = n["c"], n["k"], n["groups"]
        full = conv2d_cost(c, c, k, k, 32, 32)
        grouped = conv2d_cost(c, c, k, k, 32, 32, groups=groups).params
        sep = conv2d_cost(c, c, k, k, 32, 32, groups=c).params + conv2d_cost(c, c, 1, 1, 32, 32).params
        if _close(grouped_params, full.params):
            return wrong(ex, _("grouped_params: that is the full layer; with groups, how many input channels does "
                               "one output channel read?"), part="grouped_params")
        if _close(grouped_params, grouped - c):
            return wrong(ex, _("grouped_params: bias included"), part="grouped_params")
        if not _close(grouped_params, grouped):
            return wrong(ex, part="grouped_params", levels=[
                _("grouped_params: count the weights of one output channel's kernel, then all"),
                _("grouped_params: with groups = g each output channel reads c_i / g input channels")])
        if _close(separable_params, sep - 2 * c):
            return wrong(ex, _("separable_params: bias included, in both layers"), part="separable_params")
        if not _close(separable_params, sep):
            return wrong(ex, part="separable_params", levels=[
                _("separable_params: add the two layers' parameters"),
                _("separable_params: the depthwise layer has one k × k kernel per channel (and a bias per "
                  "channel); the 1 × 1 layer is a full c → c layer")])
        g = torch.Generator().manual_seed(7)
        X = torch.randn(2, c, 10, 9, generator=g)
        Wd, bd = torch.randn(c, 1, k, k, generator=g), torch.randn(c, generator=g)
        Wp, bp = torch.randn(c, c, 1, 1, generator=g), torch.randn(c, generator=g)
        got = _call(separable, X.clone(), Wd.clone(), bd.clone(), Wp.clone(), bp.clone())
        want = F.conv2d(F.conv2d(X, Wd, bd, padding=k // 2, groups=c), Wp, bp)
        if not isinstance(got, torch.Tensor) or got.shape != want.shape:
            shape = tuple(got.shape) if isinstance(got, torch.Tensor) else _kind(got)
            return wrong(ex, _("separable: for X of shape {x} (batch, c, n_h, n_w) the result should have the same "
                               "shape (padding k // 2 keeps n_h × n_w); got {shape}").format(x=tuple(X.shape),
                                                                                            shape=shape),
                         part="separable")
        if not got.is_floating_point() or not torch.allclose(got.to(torch.float64), want.to(torch.float64),
                                                             rtol=1e-4, atol=1e-3):
            return wrong(ex, part="separable", levels=[
                _("separable: depthwise first (one kernel per channel, padding k // 2), then the 1 × 1 layer on its "
                  "output"),
                _("separable: chanconv.conv2d takes groups=; a depthwise layer has as many groups as channels")])
        return right(ex)

    return _run(ex, body)
