"""The old flat module names, kept importable for one release: ``import chanconv.plotting`` still works.

Until version 0.2 chanconv was 28 modules side by side; they now live in ``core``, ``course``,
``explorer`` and ``perf``. A student's copy of an older notebook (``from chanconv.plotting import
plot_maps``, ``from chanconv.widgets import ChannelExplorer``) would break, so each old name is an
alias of its new module, with a ``DeprecationWarning`` naming the new place. Two names stay for
good, without a warning: ``chanconv.nn`` (as ``torch.nn``) and ``chanconv.data``.
This module goes in the next release; nothing inside the package imports an old name.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import types
import warnings

#: Old name (under chanconv.) -> its new module(s); two modules are merged into one namespace.
MOVED = {
    "autograd": ("core.autograd",), "backward": ("core.backward",), "checks": ("core.checks",),
    "compiled": ("core.methods.compiled",), "conv": ("core.conv", "core.dispatch"), "cost": ("core.cost",),
    "device": ("core.device",), "fast": ("core.methods.fast",), "layer": ("core.layer",),
    "methods": ("core.methods",), "readable": ("core.methods.readable",), "timing": ("core.timing",),
    "lecture": ("course.lecture",), "layouts": ("course.layouts",), "partials": ("course.partials",),
    "explain": ("course.element",), "plotting": ("course.figures", "perf.figures"),
    "course_copy": ("course.distribute",), "colab": ("course.distribute",),
    "widgets": ("explorer.widget",), "explorer_state": ("explorer.state",),
    "bench": ("perf.bench",), "roofline": ("perf.roofline",),
}
#: Names that stay, without a warning.
PUBLIC = {"nn": "core.nn", "data": "course.data"}


def _load(old: str) -> types.ModuleType:
    if old in PUBLIC:
        return importlib.import_module(f"chanconv.{PUBLIC[old]}")
    targets = [f"chanconv.{t}" for t in MOVED[old]]
    warnings.warn(f"chanconv.{old} has moved to {' and '.join(targets)}; the old name goes in the next release",
                  DeprecationWarning, stacklevel=3)
    modules = [importlib.import_module(t) for t in targets]
    if len(modules) == 1:
        return modules[0]
    merged = types.ModuleType(f"chanconv.{old}", f"chanconv.{old}: {' and '.join(targets)}, merged")
    for module in modules:
        merged.__dict__.update({k: v for k, v in vars(module).items() if not k.startswith("__")})
    return merged


class _Loader(importlib.abc.Loader):
    def create_module(self, spec):
        return None  # a placeholder module, replaced in sys.modules below

    def exec_module(self, module):
        # what the import returns is what sys.modules holds afterwards: the new module itself, untouched
        sys.modules[module.__name__] = _load(module.__name__.split(".", 1)[1])


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        prefix, _, old = fullname.partition(".")
        if prefix != "chanconv" or (old not in MOVED and old not in PUBLIC):
            return None
        return importlib.util.spec_from_loader(fullname, _Loader())


def attribute(name: str):
    """``chanconv.<name>`` for an old module name used as an attribute (``chanconv.explain.element_terms``)."""
    if name in MOVED or name in PUBLIC:
        return importlib.import_module(f"chanconv.{name}")
    raise AttributeError(f"module 'chanconv' has no attribute {name!r}")


def install() -> None:
    """Put the finder on ``sys.meta_path`` (once)."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.append(_Finder())
