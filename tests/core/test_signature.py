"""torch's signature: dilation, padding="valid"/"same", positional arguments, in conv2d, its cost and auto."""

import inspect

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

import chanconv as cc
from chanconv.core.methods import applies

TORCH_ORDER = ["input", "weight", "bias", "stride", "padding", "dilation", "groups"]


@st.composite
def dilated_layers(draw):
    """A layer with dilation, any padding torch takes (ints, pairs, "valid", "same"), groups; it always fits."""
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    c_i, c_o = groups * draw(st.integers(1, 3)), groups * draw(st.integers(1, 3))
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    d = draw(st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    s = draw(st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    p = draw(st.one_of(st.integers(0, 2), st.tuples(st.integers(0, 2), st.integers(0, 2)), st.just("valid"),
                       st.just("same")))
    if p == "same":
        s = 1
    pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)  # noqa: E731
    (d_h, d_w), (p_h, p_w) = pair(d), pair(p) if not isinstance(p, str) else (0, 0)
    n_h = draw(st.integers(max(1, d_h * (k[0] - 1) + 1 - 2 * p_h), 11))
    n_w = draw(st.integers(max(1, d_w * (k[1] - 1) + 1 - 2 * p_w), 11))
    batch = draw(st.sampled_from([None, 1, 2]))
    return dict(c_i=c_i, c_o=c_o, k=k, n=(n_h, n_w), stride=s, padding=p, dilation=d, groups=groups, batch=batch,
                bias=draw(st.booleans()), seed=draw(st.integers(0, 2**31 - 1)))


def tensors(layer, dtype=torch.float64):
    g = torch.Generator().manual_seed(layer["seed"])
    shape = (layer["c_i"], *layer["n"]) if layer["batch"] is None else (layer["batch"], layer["c_i"], *layer["n"])
    X = torch.randn(shape, generator=g, dtype=dtype)
    W = torch.randn(layer["c_o"], layer["c_i"] // layer["groups"], *layer["k"], generator=g, dtype=dtype)
    b = torch.randn(layer["c_o"], generator=g, dtype=dtype) if layer["bias"] else None
    return X, W, b


def args(layer):
    return layer["stride"], layer["padding"], layer["dilation"], layer["groups"]


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


@settings(max_examples=150, deadline=None)
@given(dilated_layers())
def test_every_method_matches_torch_with_dilation_and_padding_strings(layer):
    X, W, b = tensors(layer)
    ref = F.conv2d(X, W, b, *args(layer))
    for method in cc.METHODS + ("auto", "torch"):
        if method in cc.METHODS and not applies(method, *layer["k"], pair(layer["stride"]), pair(layer["dilation"])):
            continue
        Y = cc.conv2d(X, W, b, *args(layer), method=method)
        torch.testing.assert_close(Y, ref, rtol=1e-9, atol=1e-9, msg=lambda m, method=method: f"{method}: {m}")


@settings(max_examples=60, deadline=None)
@given(dilated_layers())
def test_cost_and_output_size_follow_dilation(layer):
    n_h, n_w = layer["n"]
    batch = layer["batch"] or 1
    cost = cc.conv2d_cost(layer["c_i"], layer["c_o"], *layer["k"], n_h, n_w, stride=layer["stride"],
                          padding=layer["padding"], dilation=layer["dilation"], groups=layer["groups"], batch=batch)
    torch_layer = torch.nn.Conv2d(layer["c_i"], layer["c_o"], layer["k"], *args(layer))
    Y = torch_layer(torch.zeros(batch, layer["c_i"], n_h, n_w))
    assert cost.out_shape == tuple(Y.shape[1:])
    assert cost.params == sum(p.numel() for p in torch_layer.parameters())
    # dilation moves the taps: each output pixel still costs (c_i / g) k_h k_w multiply-adds
    assert cost.macs == Y.numel() * (layer["c_i"] // layer["groups"]) * layer["k"][0] * layer["k"][1]
    if not isinstance(layer["padding"], str):
        (s_h, _), (p_h, _), (d_h, _) = pair(layer["stride"]), pair(layer["padding"]), pair(layer["dilation"])
        assert cc.output_size(n_h, layer["k"][0], s_h, p_h, d_h) == Y.shape[2]


def test_signature_is_torch_order_and_keywords_still_work():
    params = list(inspect.signature(cc.conv2d).parameters.values())
    assert [p.name for p in params[:7]] == TORCH_ORDER
    assert params[7].name == "method" and params[7].kind is inspect.Parameter.KEYWORD_ONLY
    assert [p.default for p in params[2:7]] == [None, 1, 0, 1, 1]
    g = torch.Generator().manual_seed(0)
    X, W, b = torch.randn(2, 4, 9, 9, generator=g), torch.randn(6, 2, 3, 3, generator=g), torch.randn(6, generator=g)
    ref = F.conv2d(X, W, b, 2, 1, 2, 2)
    torch.testing.assert_close(cc.conv2d(X, W, b, 2, 1, 2, 2), ref)
    torch.testing.assert_close(cc.conv2d(X, W, b, stride=2, padding=1, dilation=2, groups=2, method="im2col"), ref)
    # the keyword calls of before (issue 12's explorer, the notebooks) are unchanged
    torch.testing.assert_close(cc.conv2d(X, W[:, :1].repeat(1, 4, 1, 1), b, stride=2, padding=1),
                               F.conv2d(X, W[:, :1].repeat(1, 4, 1, 1), b, stride=2, padding=1))


@pytest.mark.parametrize("k, d", [((2, 2), 1), ((4, 3), 1), ((2, 3), (2, 3)), ((3, 3), 2), ((1, 4), 3)])
def test_same_keeps_the_size_and_pads_the_extra_zero_after(k, d):
    """torch's rule: d (k - 1) zeros in all per axis, the odd one after (bottom, right)."""
    g = torch.Generator().manual_seed(1)
    X, W = torch.randn(1, 2, 7, 8, generator=g), torch.randn(3, 2, *k, generator=g)
    Y = cc.conv2d(X, W, padding="same", dilation=d)
    assert Y.shape[2:] == X.shape[2:]
    torch.testing.assert_close(Y, F.conv2d(X, W, padding="same", dilation=d))
    d_h, d_w = pair(d)
    total_h, total_w = d_h * (k[0] - 1), d_w * (k[1] - 1)
    padded = F.pad(X, (total_w // 2, total_w - total_w // 2, total_h // 2, total_h - total_h // 2))
    torch.testing.assert_close(Y, cc.conv2d(padded, W, dilation=d, method="loops"))
    cost = cc.conv2d_cost(2, 3, *k, 7, 8, padding="same", dilation=d)
    assert cost.out_shape == (3, 7, 8)
    assert cc.conv2d_cost(2, 3, *k, 7, 8, padding="valid").out_shape == (3, 8 - k[0], 9 - k[1])


def test_valid_is_no_padding():
    X, W = torch.randn(2, 6, 6), torch.randn(1, 2, 3, 3)
    torch.testing.assert_close(cc.conv2d(X, W, padding="valid"), cc.conv2d(X, W))


def test_auto_never_picks_a_method_that_declines_dilation(monkeypatch):
    from chanconv.core import dispatch  # lazy: only this test swaps its table

    # a table that says winograd for every class (what a machine's fit may well say for 3 x 3 layers)
    monkeypatch.setattr(dispatch, "TABLE", {"rung": {(None, None): "winograd"}, "python": {(None, None): "winograd"}})
    assert cc.auto_method(256, 256, 3, 3, 32, 32, padding=1) == "winograd"
    assert cc.auto_method(256, 256, 3, 3, 32, 32, padding=2, dilation=2) != "winograd"
    for d in (1, 2, (1, 3)):
        method = cc.auto_method(64, 64, 3, 3, 32, 32, batch=8, padding="same", dilation=d)
        assert applies(method, 3, 3, (1, 1), pair(d))


BAD = [
    (dict(padding="same", stride=2), ValueError, "padding='same' needs stride 1, got stride (2, 2)"),
    (dict(padding="full"), ValueError, "padding must be 'valid', 'same', an int or a pair of ints, got 'full'"),
    (dict(dilation=0), ValueError, "dilation must be at least 1"),
    (dict(dilation=(1, 1.5)), TypeError, "dilation must be an int or a pair of ints"),
    (dict(dilation=(1, 2, 3)), ValueError, "dilation must be an int or a pair"),
    (dict(dilation=3), ValueError, "the 3×3 kernel (k_h × k_w) with dilation (3, 3) spans 7×7 and is larger than the 5×5 input"),
    (dict(dilation=2, method="winograd"), ValueError, "method 'winograd' does not handle dilation (2, 2)"),
]


@pytest.mark.parametrize("kwargs, error, words", BAD, ids=[w for _, _, w in BAD])
def test_bad_dilation_and_padding_are_clear_errors(kwargs, error, words):
    with pytest.raises(error) as info:
        cc.conv2d(torch.ones(2, 5, 5), torch.ones(1, 2, 3, 3), **kwargs)
    assert words in str(info.value)
    assert "chanconv" in info.traceback[-1].path.parts, "raised by chanconv, not deep inside torch"
    if kwargs.get("method") is None:
        cost_kwargs = {k: v for k, v in kwargs.items() if k != "method"}
        with pytest.raises(error, match=None) as info:
            cc.conv2d_cost(2, 1, 3, 3, 5, 5, **cost_kwargs)
        assert words in str(info.value)


def test_every_method_handles_dilation_or_names_it():
    X, W = torch.randn(1, 2, 9, 9, dtype=torch.float64), torch.randn(3, 2, 3, 3, dtype=torch.float64)
    ref = F.conv2d(X, W, dilation=2)
    for method in cc.METHODS:
        if method == "matmul1x1":  # a 1×1 kernel has one tap: dilation changes nothing
            W1 = W[:, :, :1, :1]
            torch.testing.assert_close(cc.conv2d(X, W1, dilation=2, method=method), F.conv2d(X, W1, dilation=2))
            continue
        try:
            Y = cc.conv2d(X, W, dilation=2, method=method)
        except ValueError as err:
            assert "dilation" in str(err), method
            continue
        torch.testing.assert_close(Y, ref, msg=method)
