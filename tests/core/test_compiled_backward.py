"""The compiled rung's backward (dX and dW in C++) and its forward's tiles, against torch's autograd.

dX is computed phase by phase of the stride, dW as one product over the batch, groups and depthwise
layers in one call each; the tiles come in widths of 1-4 vectors of output channels and the threads
split the work in a grid that depends on the layer. Every one of those choices must give torch's
gradients: checked by hypothesis over stride, padding, dilation, groups and batch, by gradcheck in
float64, for every tile width and for 1-4 threads.
"""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chanconv
from chanconv.core import backward, methods
from chanconv.core.methods import compiled

needs_compiled = pytest.mark.skipif("compiled" not in chanconv.METHODS,
                                    reason=f"compiled rung absent here: {methods.ABSENT.get('compiled')}")



def _layer(draw):
    groups = draw(st.sampled_from([1, 1, 1, 2, 3]))
    depthwise = draw(st.booleans()) and groups > 1
    c_i = groups * (1 if depthwise else draw(st.integers(1, 5)))
    c_o = groups * draw(st.integers(1, 21))  # across the 16 lanes of one vector of output channels
    k_h, k_w = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
    n_h = draw(st.integers(max(1, d[0] * (k_h - 1) + 1 - 2 * p[0]), 18))
    n_w = draw(st.integers(max(1, d[1] * (k_w - 1) + 1 - 2 * p[1]), 18))
    return draw(st.integers(1, 3)), c_i, c_o, (n_h, n_w), (k_h, k_w), s, p, d, groups


def _torch_gradients(X, W, dY, s, p, d, g):
    X, W = X.detach().requires_grad_(), W.detach().requires_grad_()
    return torch.autograd.grad(F.conv2d(X, W, None, s, p, d, g), (X, W), dY)


@needs_compiled
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_dx_and_dw_equal_torch_for_any_stride_padding_dilation_groups_and_batch(built, data):
    batch, c_i, c_o, n, k, s, p, d, g = _layer(data.draw)
    dtype = data.draw(st.sampled_from([torch.float32, torch.float64]))
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(batch, c_i, *n, generator=gen, dtype=dtype)
    W = torch.randn(c_o, c_i // g, *k, generator=gen, dtype=dtype)
    dY = torch.randn(F.conv2d(X, W, None, s, p, d, g).shape, generator=gen, dtype=dtype)
    gX, gW = _torch_gradients(X, W, dY, s, p, d, g)
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == torch.float32 else dict(rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(compiled.input_grad(dY, W, X.shape, s, p, d, g), gX, **tol)
    torch.testing.assert_close(compiled.weight_grad(dY, X, W.shape, s, p, d, g), gW, **tol)


@needs_compiled
@pytest.mark.parametrize("case", [
    dict(stride=2, padding=1, groups=2),
    dict(stride=(1, 2), padding=(2, 0), dilation=2),
    dict(padding="same"),  # even kernel: one more zero row and column after than before
])
def test_gradcheck_in_float64(built, case):
    gen = torch.Generator().manual_seed(3)
    k = 4 if case.get("padding") == "same" else 3
    X = torch.randn(2, 4, 7, 8, dtype=torch.float64, generator=gen, requires_grad=True)
    W = torch.randn(6, 4 // case.get("groups", 1), k, k, dtype=torch.float64, generator=gen, requires_grad=True)
    b = torch.randn(6, dtype=torch.float64, generator=gen, requires_grad=True)
    assert torch.autograd.gradcheck(lambda X, W, b: chanconv.conv2d(X, W, b, method="compiled", **case), (X, W, b))


@needs_compiled
def test_gradcheck_depthwise(built):
    gen = torch.Generator().manual_seed(4)
    X = torch.randn(2, 3, 7, 7, dtype=torch.float64, generator=gen, requires_grad=True)
    W = torch.randn(6, 1, 3, 3, dtype=torch.float64, generator=gen, requires_grad=True)  # two per input channel
    assert torch.autograd.gradcheck(lambda X, W: chanconv.conv2d(X, W, None, 2, 1, 1, 3, method="compiled"), (X, W))


@needs_compiled
@pytest.mark.parametrize("nv", [1, 2, 3, 4])
@pytest.mark.parametrize("threads", [1, 2, 3, 4])
def test_every_tile_width_and_thread_grid_gives_torchs_result(built, nv, threads):
    """Tiles of 1-4 vectors of channels, and 1-4 threads (a grid of rows x channel blocks, dW's partial sums)."""
    gen = torch.Generator().manual_seed(5)
    X = torch.randn(3, 20, 13, 11, generator=gen)
    W = torch.randn(70, 20, 3, 3, generator=gen) / 15
    b = torch.randn(70, generator=gen)
    s, p = (2, 1), (1, 2)
    Y = F.conv2d(X, W, b, s, p)
    dY = torch.randn(Y.shape, generator=gen)
    gX, gW = _torch_gradients(X, W, dY, s, p, 1, 1)
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        torch.testing.assert_close(compiled.compiled(X, W, b, s, p, path="blocked", nv=nv), Y, rtol=1e-4, atol=1e-4)
        torch.testing.assert_close(compiled.input_grad(dY, W, X.shape, s, p, nv=nv), gX, rtol=1e-4, atol=1e-4)
        torch.testing.assert_close(compiled.weight_grad(dY, X, W.shape, s, p, nv=nv), gW, rtol=1e-4, atol=1e-3)
    finally:
        torch.set_num_threads(before)


@needs_compiled
@pytest.mark.parametrize("nv", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("groups", [1, 4])
def test_pixel_tiles_of_every_width_and_thread_grid_give_torchs_result(built, nv, threads, groups):
    """The pixel path (few output channels per group): 1-4 vectors of pixels, partial channel blocks, strides."""
    gen = torch.Generator().manual_seed(7)
    X = torch.randn(2, 8, 23, 37, generator=gen)
    W = torch.randn(7 * groups, 8 // groups, 3, 5, generator=gen)
    b = torch.randn(7 * groups, generator=gen)
    s, p, d = (2, 1), (1, 2), (1, 2)
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        torch.testing.assert_close(compiled.compiled(X, W, b, s, p, d, groups, path="pixels", nv=nv),
                                   F.conv2d(X, W, b, s, p, d, groups), rtol=1e-4, atol=1e-4)
    finally:
        torch.set_num_threads(before)


@needs_compiled
@pytest.mark.parametrize("path", ["blocked", "im2col", "tiny", "depthwise", "pixels"])
def test_every_forward_path_gives_torchs_result(built, path):
    gen = torch.Generator().manual_seed(6)
    g = 6 if path == "depthwise" else 2
    X = torch.randn(2, 6, 9, 10, generator=gen)
    W = torch.randn(12, 6 // g, 3, 2, generator=gen)
    b = torch.randn(12, generator=gen)
    torch.testing.assert_close(compiled.compiled(X, W, b, (1, 2), (1, 0), (2, 1), g, path=path),
                               F.conv2d(X, W, b, (1, 2), (1, 0), (2, 1), g), rtol=1e-5, atol=1e-5)


@needs_compiled
def test_nn_conv2d_trains_through_the_compiled_backward_when_the_rung_is_loaded(built, monkeypatch):
    calls = []
    real = compiled.input_grad
    monkeypatch.setattr(compiled, "input_grad", lambda *a, **k: calls.append(1) or real(*a, **k))
    layer = chanconv.nn.Conv2d(3, 8, 3, padding=1)  # method="auto"
    twin = torch.nn.Conv2d(3, 8, 3, padding=1)
    twin.load_state_dict(layer.state_dict())
    X = torch.randn(4, 3, 9, 9, requires_grad=True)
    X2 = X.detach().clone().requires_grad_()
    layer(X).square().sum().backward()
    twin(X2).square().sum().backward()
    assert calls, "the compiled backward computed dX"
    torch.testing.assert_close(X.grad, X2.grad, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(layer.weight.grad, twin.weight.grad, rtol=1e-4, atol=1e-3)
    torch.testing.assert_close(layer.bias.grad, twin.bias.grad, rtol=1e-4, atol=1e-3)


@needs_compiled
def test_without_the_rung_nn_conv2d_trains_through_the_python_backward(built, monkeypatch):
    monkeypatch.setattr(methods.compiled, "loaded", lambda: False)
    used = []
    real = backward.input_gradient
    monkeypatch.setattr("chanconv.core.autograd.input_gradient", lambda *a, **k: used.append(1) or real(*a, **k))
    monkeypatch.setattr(compiled, "input_grad", lambda *a, **k: pytest.fail("the compiled backward ran"))
    layer = chanconv.nn.Conv2d(3, 8, 3, padding=1)
    X = torch.randn(4, 3, 9, 9, requires_grad=True)
    layer(X).square().sum().backward()
    assert used and X.grad is not None


@needs_compiled
def test_a_method_named_keeps_its_own_python_backward(built, monkeypatch):
    """method="im2col" trains through the from-scratch backward by im2col (what notebook 9 teaches), even with
    the rung loaded; only "auto" and "compiled" use the compiled backward."""
    monkeypatch.setattr(compiled, "input_grad", lambda *a, **k: pytest.fail("the compiled backward ran"))
    layer = chanconv.nn.Conv2d(3, 8, 3, padding=1, method="im2col")
    X = torch.randn(2, 3, 9, 9, requires_grad=True)
    layer(X).sum().backward()
    assert X.grad is not None


@needs_compiled
def test_conv2d_backward_uses_the_rung_for_auto(built):
    gen = torch.Generator().manual_seed(7)
    X, W = torch.randn(2, 4, 8, 8, generator=gen), torch.randn(6, 2, 3, 3, generator=gen)
    dY = torch.randn(2, 6, 4, 4, generator=gen)
    dX, dW, db = chanconv.conv2d_backward(dY, X, W, stride=2, padding=1, groups=2)
    gX, gW = _torch_gradients(X, W, dY, 2, 1, 1, 2)
    torch.testing.assert_close(dX, gX, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(dW, gW, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(db, dY.sum(dim=(0, 2, 3)))
