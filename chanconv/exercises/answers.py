"""Answers as plain data: what a student's kernel hands the grader, and what a re-run hands back.

The grader never looks into a student's Python objects. The student's kernel turns each answer
into plain data (:func:`encode`): numbers, strings, lists and tensors as JSON-able dicts (tensors
as dtype, shape and raw bytes), and functions as *source* (:func:`package_function`): the text of
the function and of every notebook function, class, module and value it uses, as a small program
that a fresh process can run. The grader rebuilds the values with :func:`decode`, which only ever
makes numbers, strings, containers, tensors and arrays (no pickle, nothing executed), and hands
function answers to a sandboxed runner (:mod:`chanconv.exercises.runner`) that re-runs them on the
grader's own inputs.

Everything here that runs in the student's kernel is untrusted by construction: a student may
hand in any data and any source; the grader only ever checks what they do.
"""

from __future__ import annotations

import ast
import base64
import builtins
import dis
import linecache
import math
import re
import sys
import textwrap
import types

import numpy as np
import torch

__all__ = ["encode", "decode", "package_function", "encode_answers", "Unreadable", "FunctionAnswer",
           "RemoteFunction", "AnswerTooLarge", "MAX_ELEMENTS", "safe_type_name"]

MAX_ELEMENTS = 4_000_000  # tensor or array elements in one answer
MAX_TOTAL_BYTES = 64 * 2**20  # all answers of one notebook (or one result) together
MAX_DEPTH = 8  # nesting of lists, tuples and dicts
MAX_ITEMS = 100_000  # list items, all lists together
MAX_STR = 10_000  # characters of one string
MAX_PROGRAM = 400_000  # characters of one function's program

TENSOR_DTYPES = {
    "float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32, "float64": torch.float64,
    "int8": torch.int8, "int16": torch.int16, "int32": torch.int32, "int64": torch.int64, "uint8": torch.uint8,
    "bool": torch.bool, "complex64": torch.complex64, "complex128": torch.complex128,
}
ARRAY_DTYPES = {"float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                "uint64", "bool", "complex64", "complex128"}
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,79}$")
_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,6}$")


def safe_type_name(name) -> str:
    """An exception's type as a verdict may show it: a built-in exception's name, else neutral words
    (a student's own exception class could carry any text in its name)."""
    if isinstance(name, str) and isinstance(getattr(builtins, name, None), type) and issubclass(
            getattr(builtins, name), BaseException):
        return name
    return "an exception"


class AnswerTooLarge(ValueError):
    """An answer (or a function's result) is larger than the grader reads."""


class Unreadable:
    """An answer the grader could not read as plain data (an object of some other kind)."""

    __slots__ = ("kind",)

    def __init__(self, kind: str = "an object the grader cannot read"):
        self.kind = kind

    def __repr__(self):
        return f"<{self.kind}>"


class FunctionAnswer:
    """A function handed in as source: ``program`` defines ``entry``, with ``values`` (plain data,
    encoded) bound first. The grader never runs it itself; a runner does, in a sandbox."""

    __slots__ = ("program", "values", "entry", "missing")

    def __init__(self, program: str, values: dict, entry: str, missing: int = 0):
        self.program, self.values, self.entry, self.missing = program, values, entry, missing

    def as_dict(self) -> dict:
        return {"t": "function", "program": self.program, "values": self.values, "entry": self.entry,
                "missing": self.missing}

    def __repr__(self):
        return f"<function {self.entry} (source)>"


class RemoteFunction:
    """A student's function that runs somewhere else (the grader's sandboxed runner).

    ``call(args, kwargs, probe)`` returns ``(result, report)``; it raises
    :class:`StudentFunctionFailed` with the checker's own words when the function raised, ran too
    long or could not be rebuilt. The checkers call it through ``checkers._call``."""

    name = "your function"

    def __call__(self, *args, **kwargs):
        return self.call(args, kwargs, None)[0]

    def call(self, args, kwargs, probe):  # pragma: no cover - the grader's runner implements it
        raise NotImplementedError


class StudentFunctionFailed(Exception):
    """A re-run student function failed; the message is the grader's own words."""


# ------------------------------------------------------------------------------------------------
# plain data
class _Budget:
    def __init__(self, total_bytes=MAX_TOTAL_BYTES):
        self.bytes, self.items, self.total = 0, 0, total_bytes

    def take(self, n_bytes=0, items=0):
        self.bytes += n_bytes
        self.items += items
        if self.bytes > self.total or self.items > MAX_ITEMS:
            raise AnswerTooLarge(f"more than {self.total // 2**20} MiB or {MAX_ITEMS:,} items")


def _tensor_dict(t: torch.Tensor, budget: _Budget) -> dict:
    name = str(t.dtype).removeprefix("torch.")
    if name not in TENSOR_DTYPES or t.layout != torch.strided or t.is_quantized or t.device.type == "meta":
        return {"t": "unsupported", "kind": "a tensor of a kind the grader cannot read"}
    if t.numel() > MAX_ELEMENTS:
        raise AnswerTooLarge(f"a tensor of {t.numel():,} elements (at most {MAX_ELEMENTS:,})")
    t = torch.Tensor.detach(t).to("cpu").contiguous()
    if type(t) is not torch.Tensor:  # a subclass: its plain data only
        t = t.as_subclass(torch.Tensor)
    raw = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
    budget.take(len(raw))
    return {"t": "tensor", "dtype": name, "shape": list(t.shape), "data": base64.b64encode(raw).decode("ascii")}


def _array_dict(a: np.ndarray, budget: _Budget) -> dict:
    name = a.dtype.name
    if name not in ARRAY_DTYPES:
        return {"t": "unsupported", "kind": "an array of a kind the grader cannot read"}
    if a.size > MAX_ELEMENTS:
        raise AnswerTooLarge(f"an array of {a.size:,} elements (at most {MAX_ELEMENTS:,})")
    raw = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<")).tobytes()
    budget.take(len(raw))
    return {"t": "ndarray", "dtype": name, "shape": list(a.shape), "data": base64.b64encode(raw).decode("ascii")}


def encode(x, *, budget: _Budget | None = None, functions=None, _depth: int = 0) -> dict:
    """``x`` as JSON-able plain data. ``functions(fn) -> dict`` encodes functions (the kernel's
    :func:`package_function`); without it a function is unsupported. Raises :class:`AnswerTooLarge`."""
    budget = budget or _Budget()
    if _depth > MAX_DEPTH:
        return {"t": "unsupported", "kind": "a container nested too deeply"}
    if x is None:
        return {"t": "none"}
    if isinstance(x, bool):
        return {"t": "bool", "v": bool(x)}
    if isinstance(x, int):
        return {"t": "int", "v": str(int(x))} if abs(int(x)).bit_length() < 4000 else {
            "t": "unsupported", "kind": "an integer too large to read"}
    if isinstance(x, float):
        return {"t": "float", "v": repr(float(x))}
    if isinstance(x, complex):
        return {"t": "complex", "re": repr(float(x.real)), "im": repr(float(x.imag))}
    if isinstance(x, str):
        budget.take(len(x))
        return {"t": "str", "v": str(x)[:MAX_STR]}
    if isinstance(x, np.generic):
        if isinstance(x, np.bool_ | np.integer | np.floating | np.complexfloating) and x.dtype.name in ARRAY_DTYPES:
            return {"t": "npscalar", "dtype": x.dtype.name, "v": repr(x.item())}
        return {"t": "unsupported", "kind": "a numpy scalar of a kind the grader cannot read"}
    if isinstance(x, torch.Tensor):
        return _tensor_dict(x, budget)
    if isinstance(x, np.ndarray):
        return _array_dict(x, budget)
    if isinstance(x, list | tuple):  # torch.Size is a tuple
        budget.take(items=len(x))
        kind = "list" if isinstance(x, list) else "tuple"
        return {"t": kind, "items": [encode(v, budget=budget, functions=functions, _depth=_depth + 1) for v in x]}
    if isinstance(x, dict) and all(isinstance(k, str) for k in x):
        budget.take(items=len(x))
        return {"t": "dict", "items": [[str(k)[:MAX_STR], encode(v, budget=budget, functions=functions,
                                                                  _depth=_depth + 1)] for k, v in x.items()]}
    if functions is not None and isinstance(x, types.FunctionType | types.BuiltinFunctionType | np.ufunc):
        return functions(x)
    if callable(x):
        return {"t": "unsupported", "kind": "a callable object that is not a function"}
    return {"t": "unsupported", "kind": "an object the grader cannot read"}


def _float(s) -> float:
    if not isinstance(s, str) or len(s) > 40:
        raise ValueError("not a float")
    return float(s)


def decode(d, *, budget: _Budget | None = None, _depth: int = 0):
    """Plain data back to Python: numbers, strings, lists, tuples, dicts, tensors, arrays, None,
    :class:`FunctionAnswer` (source, never run here) or :class:`Unreadable`. Never executes anything;
    anything malformed becomes :class:`Unreadable`."""
    budget = budget or _Budget()
    try:
        return _decode(d, budget, _depth)
    except AnswerTooLarge:
        raise
    except (KeyError, TypeError, ValueError, OverflowError, AttributeError, RuntimeError, base64.binascii.Error):
        return Unreadable()


def _decode(d, budget, depth):
    if depth > MAX_DEPTH or not isinstance(d, dict):
        return Unreadable()
    t = d.get("t")
    if t == "none":
        return None
    if t == "bool":
        return bool(d["v"]) if isinstance(d["v"], bool) else Unreadable()
    if t == "int":
        v = d["v"]
        if not isinstance(v, str) or len(v) > 1300 or not re.fullmatch(r"-?\d+", v):
            return Unreadable()
        return int(v)
    if t == "float":
        return _float(d["v"])
    if t == "complex":
        return complex(_float(d["re"]), _float(d["im"]))
    if t == "str":
        v = d["v"]
        if not isinstance(v, str):
            return Unreadable()
        budget.take(len(v))
        return v[:MAX_STR]
    if t == "npscalar":
        if d.get("dtype") not in ARRAY_DTYPES or not isinstance(d.get("v"), str) or len(d["v"]) > 60:
            return Unreadable()
        dtype = np.dtype(d["dtype"])
        v = d["v"]
        if dtype.kind == "b":
            return np.bool_(v == "True")
        if dtype.kind in "iu":
            return dtype.type(int(v))
        if dtype.kind == "c":
            return dtype.type(complex(v.strip("()")))
        return dtype.type(float(v))
    if t in ("tensor", "ndarray"):
        return _decode_array(d, t, budget)
    if t in ("list", "tuple"):
        items = d["items"]
        if not isinstance(items, list):
            return Unreadable()
        budget.take(items=len(items))
        out = [_decode(v, budget, depth + 1) for v in items]
        return out if t == "list" else tuple(out)
    if t == "dict":
        items = d["items"]
        if not isinstance(items, list):
            return Unreadable()
        budget.take(items=len(items))
        return {str(k)[:MAX_STR]: _decode(v, budget, depth + 1) for k, v in items}
    if t == "function":
        program, values, entry = d.get("program"), d.get("values"), d.get("entry")
        if not (isinstance(program, str) and isinstance(values, dict) and isinstance(entry, str)
                and _IDENT.match(entry) and len(program) <= MAX_PROGRAM
                and all(isinstance(k, str) and _IDENT.match(k) for k in values)):
            return Unreadable("a function the grader could not read")
        budget.take(len(program))
        missing = d.get("missing", 0)
        return FunctionAnswer(program, values, entry, missing if isinstance(missing, int) else 0)
    return Unreadable()


def _decode_array(d, t, budget):
    dtype, shape, data = d["dtype"], d["shape"], d["data"]
    table = TENSOR_DTYPES if t == "tensor" else ARRAY_DTYPES
    if dtype not in table or not isinstance(shape, list) or len(shape) > 16 or not isinstance(data, str):
        return Unreadable()
    if not all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= MAX_ELEMENTS for n in shape):
        return Unreadable()
    numel = math.prod(shape)
    if numel > MAX_ELEMENTS:
        raise AnswerTooLarge(f"a tensor of {numel:,} elements")
    if len(data) > 4 * (numel * 16 + 2) // 3 + 8:
        return Unreadable()
    raw = base64.b64decode(data, validate=True)
    budget.take(len(raw))
    if t == "ndarray":
        np_dtype = np.dtype(dtype).newbyteorder("<")
        if len(raw) != numel * np_dtype.itemsize:
            return Unreadable()
        return np.frombuffer(raw, dtype=np_dtype).astype(np.dtype(dtype)).reshape(shape).copy()
    tdtype = TENSOR_DTYPES[dtype]
    np_dtype = np.dtype("<i2") if tdtype == torch.bfloat16 else torch.empty(0, dtype=tdtype).numpy().dtype
    if len(raw) != numel * np_dtype.itemsize:
        return Unreadable()
    arr = np.frombuffer(raw, dtype=np_dtype).copy().reshape(shape)
    out = torch.from_numpy(arr)
    return out.view(torch.bfloat16) if tdtype == torch.bfloat16 else out


# ------------------------------------------------------------------------------------------------
# functions as source (in the student's kernel)
_WELL_KNOWN = ("torch", "torch.nn.functional", "torch.nn", "torch.linalg", "torch.fft", "numpy", "math",
               "chanconv", "chanconv.exercises", "functools", "itertools", "operator")


def _code_objects(code):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def _global_names(code) -> list[str]:
    """The global names a function's code (and the code nested in it) reads, in order of first use."""
    seen = {}
    for c in _code_objects(code):
        for ins in dis.get_instructions(c):
            if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME", "STORE_GLOBAL", "DELETE_GLOBAL") and isinstance(
                    ins.argval, str):
                seen.setdefault(ins.argval, None)
    return list(seen)


def _cell_source(code) -> str | None:
    lines = linecache.getlines(code.co_filename)
    return "".join(lines) if lines else None


def _lambda_segment(src: str, tree: ast.AST, code) -> str | None:
    line = code.co_firstlineno
    argnames = list(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])
    cols = [p[2] for p in code.co_positions() if p[0] == line and p[2] is not None and p[3] is not None and p[3] > p[2]]
    col = min(cols) if cols else None
    best = None
    for node in ast.walk(tree):
        if not isinstance(node, ast.Lambda) or node.lineno != line:
            continue
        a = node.args
        names = [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs]
        if names != argnames:
            continue
        if col is not None and node.end_lineno == line and not (node.col_offset <= col <= node.end_col_offset):
            continue
        span = (node.end_lineno - node.lineno, node.end_col_offset - node.col_offset)
        if best is None or span < best[0]:
            best = (span, node)
    return ast.get_source_segment(src, best[1]) if best else None


def _def_segment(src: str, tree: ast.AST, name: str, firstlineno: int, kinds) -> str | None:
    lines = src.splitlines(keepends=True)
    for node in ast.walk(tree):
        if isinstance(node, kinds) and node.name == name:
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            if firstlineno in (start, node.lineno):
                return textwrap.dedent("".join(lines[start - 1:node.end_lineno]))
    return None


def _function_text(f) -> tuple[str, bool] | None:
    """(source text, is_lambda) of a function defined in a notebook cell, or None."""
    code = f.__code__
    src = _cell_source(code)
    if src is None:
        return None
    try:
        tree = ast.parse(src)
    except SyntaxError:
        return None
    if f.__name__ == "<lambda>":
        text = _lambda_segment(src, tree, code)
        return (text, True) if text else None
    text = _def_segment(src, tree, f.__name__, code.co_firstlineno, (ast.FunctionDef, ast.AsyncFunctionDef))
    return (text, False) if text else None


def _class_in_cells(name: str) -> str | None:
    """The source of ``class name`` from the notebook's cells (the latest that defines it): for a
    class without methods, whose source no code object points at."""
    library = tuple(p for p in {sys.prefix, sys.base_prefix, sys.exec_prefix} if p)
    for filename, entry in reversed(list(linecache.cache.items())):
        if not isinstance(filename, str) or filename.startswith(library) or len(entry) < 3:
            continue
        src = "".join(entry[2])
        if f"class {name}" not in src:
            continue
        try:
            tree = ast.parse(src)
        except SyntaxError:
            continue
        lines = src.splitlines(keepends=True)
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and node.name == name:
                start = min([node.lineno] + [d.lineno for d in node.decorator_list])
                return textwrap.dedent("".join(lines[start - 1:node.end_lineno]))
    return None


def _class_text(cls) -> str | None:
    for obj in vars(cls).values():
        fn = obj.__func__ if isinstance(obj, classmethod | staticmethod) else obj
        code = getattr(fn, "__code__", None)
        if code is None:
            continue
        src = _cell_source(code)
        if src is None:
            continue
        try:
            tree = ast.parse(src)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name == cls.__name__ and (
                    node.lineno <= code.co_firstlineno <= node.end_lineno):
                lines = src.splitlines(keepends=True)
                start = min([node.lineno] + [d.lineno for d in node.decorator_list])
                return textwrap.dedent("".join(lines[start - 1:node.end_lineno]))
    return _class_in_cells(cls.__name__)


def _names_in(text: str) -> list[str]:
    """Every name a piece of source reads (decorators, defaults and annotations run at definition)."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []
    return list(dict.fromkeys(n.id for n in ast.walk(tree) if isinstance(n, ast.Name)))


def _importable(obj) -> str | None:
    """``from M import N`` for a function or class that a module exposes under its own name."""
    name = getattr(obj, "__name__", None)
    if not isinstance(name, str) or not _IDENT.match(name):
        return None
    mods = [getattr(obj, "__module__", None)] + list(_WELL_KNOWN)
    for mod_name in mods:
        if not isinstance(mod_name, str) or not _DOTTED.match(mod_name) or mod_name == "__main__":
            continue
        mod = sys.modules.get(mod_name)
        try:
            if mod is not None and getattr(mod, name, None) is obj:
                return f"from {mod_name} import {name}"
        except Exception:  # a module's __getattr__ may fail
            continue
    return None


class _Program:
    """Builds the source of one function answer: imports, values, then definitions."""

    def __init__(self, namespace: dict):
        self.ns = namespace
        self.imports: list[str] = []
        self.defs: list[str] = []
        self.values: dict[str, dict] = {}
        self.done: set[str] = set()
        self.missing = 0
        self.budget = _Budget()

    def add_name(self, name: str, obj) -> None:
        if name in self.done or not _IDENT.match(name):
            return
        self.done.add(name)
        if isinstance(obj, types.ModuleType):
            mod = getattr(obj, "__name__", None)
            if isinstance(mod, str) and _DOTTED.match(mod):
                self.imports.append(f"import {mod} as {name}")
            else:
                self.missing += 1
            return
        if isinstance(obj, types.FunctionType) and getattr(obj, "__module__", None) == "__main__":
            self.add_function(obj, name)
            return
        if isinstance(obj, type) and getattr(obj, "__module__", None) == "__main__":
            text = _class_text(obj)
            if text is None:
                self.missing += 1
                return
            for dep in _names_in(text):
                if dep != name and dep in self.ns:
                    self.add_name(dep, self.ns[dep])
            self.defs.append(text if obj.__name__ == name else f"{text}\n{name} = {obj.__name__}\n")
            return
        if isinstance(obj, types.FunctionType | types.BuiltinFunctionType | type | np.ufunc) or callable(obj):
            line = _importable(obj)
            if line is None:
                self.missing += 1
            else:
                self.imports.append(f"{line} as {name}" if not line.endswith(f" {name}") else line)
            return
        try:
            enc = encode(obj, budget=self.budget)
        except AnswerTooLarge:
            self.missing += 1
            return
        if enc["t"] == "unsupported":
            self.missing += 1
        else:
            self.values[name] = enc

    def add_function(self, f, name: str) -> None:
        for _ in range(10):  # a decorated function: its source carries the decorators, applied again
            inner = getattr(f, "__wrapped__", None)
            if not isinstance(inner, types.FunctionType):
                break
            f = inner
        found = _function_text(f)
        if found is None:
            self.missing += 1
            self.defs.append(f"def {name}(*args, **kwargs):\n    raise NameError('no source')\n")
            return
        text, is_lambda = found
        deps = _global_names(f.__code__) + ([] if is_lambda else _names_in(text))
        for dep in deps:
            if dep != name and dep in f.__globals__:
                self.add_name(dep, f.__globals__[dep])
        body = f"__answer__ = {text}\n" if is_lambda else f"{text}\n__answer__ = {f.__name__}\n"
        if f.__closure__:  # a function made inside another: rebuild its closure's values first
            free = f.__code__.co_freevars
            args = []
            for var, cell in zip(free, f.__closure__):
                try:
                    value = cell.cell_contents
                except ValueError:
                    self.missing += 1
                    value = None
                inner = f"__closure_{name}_{var}"
                self.add_name(inner, value)
                args.append(inner)
            body = (f"def __make_{name}({', '.join(free)}):\n" + textwrap.indent(body, "    ")
                    + "    return __answer__\n" + f"{name} = __make_{name}({', '.join(args)})\n")
        else:
            body = body.replace("__answer__", name, 1) if is_lambda else (
                f"{text}\n" + (f"{name} = {f.__name__}\n" if f.__name__ != name else ""))
        self.defs.append(body)

    def source(self) -> str:
        return "\n".join(dict.fromkeys(self.imports)) + "\n\n" + "\n\n".join(self.defs)


def package_function(fn, name: str, namespace: dict | None = None) -> dict:
    """A function answer as plain data: the program that defines it as ``name`` in a fresh process."""
    if not _IDENT.match(name):
        return {"t": "unsupported", "kind": "a function under a name the grader cannot use"}
    if isinstance(fn, types.FunctionType) and fn.__module__ == "__main__":
        prog = _Program(namespace if namespace is not None else fn.__globals__)
        prog.add_function(fn, name)
    else:
        prog = _Program(namespace or {})
        prog.add_name(name, fn)
    text = prog.source()
    if len(text) > MAX_PROGRAM:
        return {"t": "unsupported", "kind": "a function whose source is too long"}
    return {"t": "function", "program": text, "values": prog.values, "entry": name, "missing": prog.missing}


def encode_answers(namespace: dict, names) -> dict:
    """Every answer name found in a notebook's namespace, as plain data (absent names: None)."""
    budget = _Budget()
    out = {}
    for name in names:
        value = namespace.get(name)
        try:
            out[name] = encode(value, budget=budget,
                               functions=lambda fn, name=name: package_function(fn, name, namespace))
        except AnswerTooLarge:
            out[name] = {"t": "unsupported", "kind": "an answer larger than the grader reads"}
        except Exception:  # noqa: BLE001 - a hostile object may fail in any way
            out[name] = {"t": "unsupported", "kind": "an object the grader cannot read"}
    return out
