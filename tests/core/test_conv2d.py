"""conv2d: every method against torch.nn.functional.conv2d, and every bad input."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import devices
from hypothesis import given, settings
from hypothesis import strategies as st

import chanconv as cc
from chanconv.core.methods import applies


@st.composite
def layers(draw, max_k=5, max_n=10):
    """A random layer: shapes, stride, padding, batch, bias; the window always fits."""
    c_i = draw(st.integers(1, 5))
    c_o = draw(st.integers(1, 5))
    k_h = draw(st.integers(1, max_k))
    k_w = draw(st.integers(1, max_k))
    s = draw(st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    p = draw(st.one_of(st.integers(0, 2), st.tuples(st.integers(0, 2), st.integers(0, 2))))
    p_h, p_w = (p, p) if isinstance(p, int) else p
    n_h = draw(st.integers(max(1, k_h - 2 * p_h), max_n))
    n_w = draw(st.integers(max(1, k_w - 2 * p_w), max_n))
    batch = draw(st.sampled_from([None, 1, 2, 3]))
    bias = draw(st.booleans())
    seed = draw(st.integers(0, 2**31 - 1))
    return dict(c_i=c_i, c_o=c_o, k=(k_h, k_w), n=(n_h, n_w), stride=s, padding=p, batch=batch,
                bias=bias, seed=seed)


def make(layer, device="cpu", dtype=torch.float32):
    g = torch.Generator().manual_seed(layer["seed"])
    shape = (layer["c_i"], *layer["n"]) if layer["batch"] is None else (layer["batch"], layer["c_i"], *layer["n"])
    X = torch.randn(shape, generator=g, dtype=dtype).to(device)
    W = torch.randn(layer["c_o"], layer["c_i"], *layer["k"], generator=g, dtype=dtype).to(device)
    b = torch.randn(layer["c_o"], generator=g, dtype=dtype).to(device) if layer["bias"] else None
    return X, W, b


def reference(X, W, b, stride, padding):
    X4 = X if X.dim() == 4 else X[None]
    Y = F.conv2d(X4.double(), W.double(), None if b is None else b.double(), stride=stride, padding=padding)
    return Y if X.dim() == 4 else Y[0]


def stride_pair(s):
    return (s, s) if isinstance(s, int) else tuple(s)


def check_all_methods(layer, device):
    X, W, b = make(layer, device)
    ref = reference(X, W, b, layer["stride"], layer["padding"])
    for method in cc.METHODS + ("auto",):
        if method != "auto" and not applies(method, *layer["k"], stride_pair(layer["stride"])):
            continue
        Y = cc.conv2d(X, W, b, stride=layer["stride"], padding=layer["padding"], method=method)
        assert Y.shape == ref.shape, method
        assert Y.device == X.device and Y.dtype == X.dtype, method
        torch.testing.assert_close(Y.double(), ref, rtol=1e-4, atol=1e-4, msg=lambda m, method=method: f"{method}: {m}")


@settings(max_examples=300)
@given(layers())
def test_every_method_matches_torch_conv2d(layer):
    check_all_methods(layer, "cpu")


@given(layers(max_k=3, max_n=8).filter(lambda lay: lay["k"] == (3, 3)).map(lambda lay: {**lay, "stride": 1}))
def test_winograd_shapes_match_torch(layer):
    check_all_methods(layer, "cpu")


@pytest.mark.parametrize("device", devices())
def test_lecture_layer_every_fast_method(device):
    g = torch.Generator().manual_seed(0)
    X = torch.randn(2, 16, 20, 20, generator=g).to(device)
    W = torch.randn(8, 16, 3, 3, generator=g).to(device)
    b = torch.randn(8, generator=g).to(device)
    ref = reference(X, W, b, 1, 1)
    for method in cc.METHODS:
        if method == "matmul1x1":
            continue
        torch.testing.assert_close(cc.conv2d(X, W, b, padding=1, method=method).double(), ref, rtol=1e-4, atol=1e-4)


@pytest.mark.cuda
@pytest.mark.parametrize("device", devices()[1:])
@given(layer=layers())
def test_every_method_matches_torch_on_cuda(device, layer):
    check_all_methods(layer, device)


def test_reduced_multiplication_methods_meet_their_bound():
    from chanconv.core.methods import FFT_REL_ERROR, WINOGRAD_REL_ERROR

    g = torch.Generator().manual_seed(3)
    X = torch.randn(2, 32, 30, 30, generator=g)
    W = torch.randn(16, 32, 3, 3, generator=g)
    ref = reference(X, W, None, 1, 1)
    for method, bound in [("winograd", WINOGRAD_REL_ERROR), ("fft", FFT_REL_ERROR)]:
        Y = cc.conv2d(X, W, padding=1, method=method).double()
        rel = float((Y - ref).norm() / ref.norm())
        assert rel < bound, (method, rel)


AUTO_CASES = [((8, 8, 1, 1, 10, 10), {}), ((2, 3, 2, 2, 3, 3), {}), ((100, 100, 5, 5, 68, 68), {}),
              ((64, 64, 3, 3, 32, 32), dict(padding=1)), ((64, 64, 3, 3, 32, 32), dict(batch=8, padding=1)),
              ((256, 256, 3, 3, 32, 32), dict(padding=1)), ((64, 128, 3, 3, 56, 56, (2, 2)), dict(padding=1)),
              ((3, 64, 7, 7, 112, 112, (2, 2)), dict(padding=3)), ((64, 64, 3, 3, 56, 56), dict(padding=1, groups=64))]


def _table_choice(shape, kw, table):
    """What the fitted table says for this layer (auto_table's own tests check the table itself)."""
    from chanconv.core.auto_table import layer_class, lookup
    from chanconv.core.layer import Layer

    c_i, c_o, k_h, k_w, n_h, n_w, *stride = shape
    layer = Layer.describe(c_i, c_o, k_h, k_w, n_h, n_w, stride[0] if stride else 1, kw.get("padding", 0),
                           groups=kw.get("groups", 1), batch=kw.get("batch", 1))
    return lookup(table, *layer_class(layer))


def test_methods_list_and_auto(monkeypatch):
    from chanconv.core import methods
    from chanconv.core.auto_table import TABLE

    monkeypatch.setattr(methods.compiled, "loaded", lambda: False)  # the rule before the compiled rung is loaded
    assert set(cc.METHODS) >= {"loops", "unfold", "im2col", "im2row", "shift", "matmul1x1", "winograd", "fft"}
    assert "torch" not in cc.METHODS
    for shape, kw in AUTO_CASES:
        assert cc.auto_method(*shape, **kw) == _table_choice(shape, kw, TABLE["python"]), (shape, kw)
    for shape in [(1, 1, 1, 1, 1, 1), (512, 512, 3, 3, 7, 7), (3, 5, 11, 3, 40, 13)]:
        assert cc.auto_method(*shape) in cc.METHODS


def test_auto_with_the_compiled_rung_loaded(monkeypatch):
    """Once loaded, auto reads the table fitted with the rung among the methods; CUDA never gets the rung."""
    from chanconv.core import methods
    from chanconv.core.auto_table import TABLE

    if "compiled" not in cc.METHODS:
        pytest.skip(f"compiled rung absent here: {methods.ABSENT.get('compiled')}")
    monkeypatch.setattr(methods.compiled, "loaded", lambda: True)
    for shape, kw in AUTO_CASES:
        assert cc.auto_method(*shape, **kw) == _table_choice(shape, kw, TABLE["rung"]), (shape, kw)
    assert cc.auto_method(2, 3, 2, 2, 3, 3, device="cuda") != "compiled"


@pytest.mark.parametrize("method, stride", [(m, s) for m in ("im2col", "im2row", "winograd")
                                            for s in ((1, 1), (2, 1), (1, 3)) if applies(m, 3, 3, s)])
def test_chunked_methods_match_torch_with_tiny_chunks(monkeypatch, method, stride):
    from chanconv.core.methods import common  # the chunk size of the chunked rungs

    monkeypatch.setattr(common, "CHUNK_BYTES", 4096)  # forces many row (and sample) chunks
    g = torch.Generator().manual_seed(1)
    X = torch.randn(3, 19, 17, 3, generator=g).permute(0, 3, 2, 1)  # (3, 3, 17, 19), not contiguous
    W, b = torch.randn(4, 3, 3, 3, generator=g), torch.randn(4, generator=g)
    torch.testing.assert_close(cc.conv2d(X, W, b, stride=stride, padding=(1, 2), method=method),
                               F.conv2d(X, W, b, stride=stride, padding=(1, 2)), rtol=1e-5, atol=1e-5)


def test_numpy_and_integers_are_converted():
    X = np.array([np.arange(9).reshape(3, 3), np.arange(1, 10).reshape(3, 3)])  # the lecture's X
    W = torch.tensor([[[[0, 1], [2, 3]], [[1, 2], [3, 4]]]])
    assert cc.conv2d(X, W).tolist() == [[[56.0, 72.0], [104.0, 120.0]]]


def test_dtypes_are_promoted():
    X, W = torch.randn(2, 5, 5, dtype=torch.float64), torch.randn(3, 2, 2, 2)
    assert cc.conv2d(X, W, method="im2col").dtype == torch.float64


BAD = [
    (dict(X=torch.ones(3, 5, 5), weight=torch.ones(4, 2, 3, 3)), ValueError, "X has 3 input channels but the weight expects 2"),
    (dict(X=torch.ones(5, 5), weight=torch.ones(4, 2, 3, 3)), ValueError, "X must have shape (c_i, n_h, n_w) or (batch, c_i, n_h, n_w), got 2 dimension(s)"),
    (dict(X=torch.ones(1, 1, 2, 5, 5), weight=torch.ones(4, 2, 3, 3)), ValueError, "got 5 dimension(s)"),
    (dict(X=torch.ones(2, 5, 5), weight=torch.ones(2, 3, 3)), ValueError, "weight must have shape (c_o, c_i, k_h, k_w)"),
    (dict(X=torch.ones(2, 4, 4), weight=torch.ones(1, 2, 7, 7)), ValueError, "the 7×7 kernel (k_h × k_w) is larger than the 4×4 input"),
    (dict(X=torch.ones(2, 4, 4), weight=torch.ones(1, 2, 7, 7), padding=1), ValueError, "larger than the padded 6×6 input"),
    (dict(X=torch.ones(2, 4, 4), weight=torch.ones(1, 2, 3, 3), stride=0), ValueError, "stride must be at least 1"),
    (dict(X=torch.ones(2, 4, 4), weight=torch.ones(1, 2, 3, 3), stride=(1, -1)), ValueError, "stride must be at least 1"),
    (dict(X=torch.ones(2, 4, 4), weight=torch.ones(1, 2, 3, 3), padding=-1), ValueError, "padding must be 0 or more"),
    (dict(X=torch.ones(2, 4, 4), weight=torch.ones(1, 2, 3, 3), padding=1.5), TypeError, "padding must be an int or a pair of ints"),
    (dict(X=torch.ones(2, 4, 4), weight=torch.ones(1, 2, 3, 3), stride=(1, 2, 3)), ValueError, "stride must be an int or a pair"),
    (dict(X=torch.ones(2, 4, 4), weight=torch.ones(3, 2, 3, 3), bias=torch.ones(2)), ValueError, "bias must have shape (c_o,) = (3,)"),
    (dict(X=torch.ones(2, 4, 4), weight=torch.ones(3, 2, 3, 3), bias=torch.ones(3, 2)), ValueError, "bias must have shape (c_o,) = (3,), one number per output channel, got (3, 2)"),
    (dict(X=[[1.0]], weight=torch.ones(1, 1, 1, 1)), TypeError, "X must be a torch.Tensor (or a NumPy array), got a list"),
    (dict(X=torch.ones(1, 3, 3), weight=torch.ones(1, 1, 1, 1, dtype=torch.bool)), TypeError, "weight is a boolean tensor"),
    (dict(X=np.array([["a"]]), weight=torch.ones(1, 1, 1, 1)), TypeError, "NumPy array of dtype <U1"),
    (dict(X=torch.ones(2, 4, 4), weight=torch.ones(1, 2, 3, 3), method="magic"), ValueError, "unknown method 'magic'"),
    (dict(X=torch.ones(2, 4, 4), weight=torch.ones(1, 2, 3, 3), method="matmul1x1"), ValueError, "it needs k_h = k_w = 1"),
    (dict(X=torch.ones(2, 6, 6), weight=torch.ones(1, 2, 3, 3), stride=2, method="winograd"), ValueError, "3×3 kernel at stride 1"),
    (dict(X=torch.ones(2, 4, 4), weight=torch.ones(1, 2, 3, 3).to("meta")), ValueError, "different devices (X on cpu, weight on meta)"),
    (dict(X=torch.ones(0, 2, 4, 4), weight=torch.ones(1, 2, 3, 3)), ValueError, "no dimension may be 0"),
]


@pytest.mark.parametrize("kwargs, error, words", BAD, ids=[w for _, _, w in BAD])
def test_bad_input_is_a_clear_error(kwargs, error, words):
    kwargs = dict(kwargs)
    X, W = kwargs.pop("X"), kwargs.pop("weight")
    with pytest.raises(error) as info:
        cc.conv2d(X, W, **kwargs)
    assert words in str(info.value)
    assert "chanconv" in info.traceback[-1].path.parts, "raised by chanconv, not deep inside torch"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here: a real second device is needed")
def test_cpu_and_cuda_mixed_is_a_clear_error():
    with pytest.raises(ValueError, match="different devices"):
        cc.conv2d(torch.ones(2, 4, 4, device="cuda"), torch.ones(1, 2, 3, 3))


@settings(max_examples=60)
@given(layers(), st.sampled_from([1, 2, 3]))
def test_groups_match_torch(layer, groups):
    layer = {**layer, "c_i": layer["c_i"] * groups, "c_o": layer["c_o"] * groups}
    X, W, b = make(layer)
    W = W[:, : layer["c_i"] // groups].contiguous()
    X4 = X if X.dim() == 4 else X[None]
    ref = F.conv2d(X4.double(), W.double(), None if b is None else b.double(), stride=layer["stride"], padding=layer["padding"], groups=groups)
    ref = ref if X.dim() == 4 else ref[0]
    for method in ("auto", "im2col", "shift", "unfold"):
        Y = cc.conv2d(X, W, b, stride=layer["stride"], padding=layer["padding"], groups=groups, method=method)
        torch.testing.assert_close(Y.double(), ref, rtol=1e-4, atol=1e-4)
    cost = cc.conv2d_cost(layer["c_i"], layer["c_o"], *layer["k"], *layer["n"], stride=layer["stride"], padding=layer["padding"], groups=groups)
    torch_layer = torch.nn.Conv2d(layer["c_i"], layer["c_o"], layer["k"], groups=groups)
    assert cost.params == sum(p.numel() for p in torch_layer.parameters())


def test_groups_bad_input():
    with pytest.raises(ValueError, match="cannot be split into groups = 2"):
        cc.conv2d(torch.ones(4, 5, 5), torch.ones(3, 2, 3, 3), groups=2)
    with pytest.raises(ValueError, match=r"X has 4 input channels but the weight expects 6.*groups = 3"):
        cc.conv2d(torch.ones(4, 5, 5), torch.ones(3, 2, 3, 3), groups=3)
    with pytest.raises(ValueError, match="groups must be a positive int"):
        cc.conv2d(torch.ones(4, 5, 5), torch.ones(4, 4, 3, 3), groups=0)


@settings(max_examples=60)
@given(layers())
def test_readable_rungs_match_torch(layer):
    """chanconv.core.methods.readable, read first: the loops, the sliding window, a plain im2col, the 1×1 product."""
    from chanconv.core.methods import readable

    X, W, b = make(layer, dtype=torch.float64)
    X4 = X if X.dim() == 4 else X[None]
    s, p = stride_pair(layer["stride"]), stride_pair(layer["padding"])
    for d in ((1, 1), (2, 1)):
        if d[0] * (layer["k"][0] - 1) + 1 > X4.shape[2] + 2 * p[0]:
            continue
        ref = F.conv2d(X4, W, b, s, p, d)
        for fn in (readable.loops, readable.unfold, readable.im2col_plain):
            torch.testing.assert_close(fn(X4, W, b, s, p, d), ref, msg=fn.__name__)
        if layer["k"] == (1, 1):
            torch.testing.assert_close(readable.matmul1x1(X4, W, b, s, p, d), ref)
