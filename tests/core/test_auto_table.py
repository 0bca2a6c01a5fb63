"""auto's rule: the fitted decision table, its classes, and that it only ever picks a method that handles the layer."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chanconv
from chanconv.core import auto_table, methods
from chanconv.core.auto_table import TABLE, layer_class, lookup
from chanconv.core.dispatch import pick_method
from chanconv.core.layer import Layer


@pytest.mark.parametrize("layer, expected", [
    (Layer.describe(64, 64, 3, 3, 56, 56, padding=1, groups=64), ("depthwise", "small")),
    (Layer.describe(128, 128, 3, 3, 56, 56, padding=1, groups=32), ("grouped", "large")),
    (Layer.describe(256, 64, 1, 1, 28, 28), ("1x1", "large")),
    (Layer.describe(16, 16, 1, 1, 28, 28), ("1x1", "small")),
    (Layer.describe(64, 64, 3, 3, 32, 32, padding=1), ("3x3", "large")),
    (Layer.describe(64, 128, 3, 3, 56, 56, stride=2, padding=1), ("strided", "large")),
    (Layer.describe(64, 64, 3, 3, 32, 32, padding=2, dilation=2), ("other", "large")),
    (Layer.describe(128, 128, 1, 7, 17, 17, padding=(0, 3)), ("other", "large")),
    (Layer.describe(2, 3, 2, 2, 3, 3), ("other", "tiny")),  # the lecture's 2 × 2 example
    (Layer.describe(3, 8, 3, 3, 16, 16, padding=1), ("3x3", "tiny")),
])
def test_layer_classes(layer, expected):
    assert layer_class(layer) == expected


def test_lookup_falls_back_to_the_kind_then_the_whole_grid():
    table = {("3x3", "large"): "winograd", ("3x3", None): "shift", (None, None): "im2col"}
    assert lookup(table, "3x3", "large") == "winograd"
    assert lookup(table, "3x3", "tiny") == "shift"
    assert lookup(table, "1x1", "tiny") == "im2col"


def test_both_tables_are_complete_and_say_where_they_were_fitted():
    for name in ("rung", "python"):
        assert (None, None) in TABLE[name]
        for (kind, size), method in TABLE[name].items():
            assert kind in (None, *auto_table.KINDS) and size in (None, *auto_table.SIZES)
            assert method in methods.IMPLEMENTATIONS or (method == "compiled" and "compiled" in methods.ABSENT)
        assert "compiled" not in TABLE["python"].values()
    assert auto_table.FITTED.get("cpu") and auto_table.FITTED.get("grid")


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_auto_only_picks_a_method_that_handles_the_layer(data):
    groups = data.draw(st.sampled_from([1, 1, 2, 4]))
    c_i = groups * data.draw(st.integers(1, 64))
    c_o = groups * data.draw(st.integers(1, 64))
    k_h, k_w = data.draw(st.integers(1, 7)), data.draw(st.integers(1, 7))
    stride, dilation = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 2))
    n = data.draw(st.integers(dilation * (max(k_h, k_w) - 1) + 1, 40))
    layer = Layer.describe(c_i, c_o, k_h, k_w, n, n, stride, 0, dilation, groups, batch=data.draw(st.integers(1, 8)))
    for loaded in (False, True):
        if loaded and "compiled" not in chanconv.METHODS:
            continue
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(methods.compiled, "loaded", lambda v=loaded: v)
            method = pick_method(layer, "cpu")
        assert method in methods.IMPLEMENTATIONS
        assert methods.declines(method, k_h, k_w, layer.stride, layer.dilation) is None
        assert loaded or method != "compiled", "never the rung before it is loaded"


def test_cuda_never_gets_the_cpu_only_rung(monkeypatch):
    monkeypatch.setattr(methods.compiled, "loaded", lambda: True)
    for shape in [(2, 3, 2, 2, 3, 3), (64, 64, 3, 3, 32, 32), (256, 64, 1, 1, 28, 28)]:
        assert chanconv.auto_method(*shape, device="cuda") != "compiled"


def test_auto_method_counts_groups():
    """auto_method takes the layer's channels and its groups (a depthwise layer is its own kind)."""
    depthwise = Layer.describe(64, 64, 3, 3, 56, 56, padding=1, groups=64)
    assert chanconv.auto_method(64, 64, 3, 3, 56, 56, padding=1, groups=64) == pick_method(depthwise)
