"""Gradients: every method differentiable, the from-scratch backward against autograd, no cost without grad."""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

import chanconv as cc
from chanconv.core.autograd import Conv2dFunction
from chanconv.core.conv import conv2d_with_backward
from chanconv.core.methods import DIFFERENTIABLE, applies

# small layers: gradcheck perturbs every input number, and "loops" is the lecture's Python loops
GRADCHECK_LAYERS = [
    # (k_h, k_w), stride, padding, dilation, groups
    ((3, 3), 1, 1, 1, 1),
    ((1, 1), 2, 1, 1, 2),
    ((2, 3), (2, 1), (1, 0), (1, 2), 2),
    ((2, 2), 1, "same", (2, 1), 1),
    ((3, 2), (1, 3), 0, 1, 1),
]


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def small(k, groups, seed=0, batch=2, n=(5, 6), c=2):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(batch, c * groups, *n, generator=g, dtype=torch.float64, requires_grad=True)
    W = torch.randn(2 * groups, c, *k, generator=g, dtype=torch.float64, requires_grad=True)
    b = torch.randn(2 * groups, generator=g, dtype=torch.float64, requires_grad=True)
    return X, W, b


@pytest.mark.parametrize("method", cc.METHODS + ("auto",))
@pytest.mark.parametrize("k, s, p, d, groups", GRADCHECK_LAYERS)
def test_gradcheck_every_method(method, k, s, p, d, groups):
    if method != "auto" and not applies(method, *k, pair(s), pair(d)):
        pytest.skip(f"{method} does not handle this layer")
    X, W, b = small(k, groups, n=(4, 5) if method == "loops" else (5, 6), batch=1 if method == "loops" else 2)
    # fast mode (a random projection of the Jacobian) for the slow ones: autograd through the FFT's
    # complex products, and the lecture's Python loops
    fast = method in ("fft", "loops")
    assert torch.autograd.gradcheck(lambda X, W, b: cc.conv2d(X, W, b, s, p, d, groups, method=method), (X, W, b),
                                    fast_mode=fast)


@pytest.mark.parametrize("method", ["loops", "im2col", "shift", "winograd"])
def test_gradcheck_from_scratch_backward_with_any_forward(method):
    k, s, p, d, groups = ((3, 3), 1, 1, 1, 2) if method == "winograd" else ((2, 3), 2, 1, (2, 1), 2)
    X, W, b = small(k, groups, batch=1, n=(4, 5))
    assert torch.autograd.gradcheck(lambda X, W, b: conv2d_with_backward(X, W, b, s, p, d, groups, method=method),
                                    (X, W, b))


@st.composite
def grad_layers(draw):
    groups = draw(st.sampled_from([1, 1, 2]))
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    p = draw(st.one_of(st.tuples(st.integers(0, 2), st.integers(0, 2)), st.just("same")))
    if p == "same":
        s = (1, 1)
    p_h, p_w = (0, 0) if p == "same" else p
    n = (draw(st.integers(max(1, d[0] * (k[0] - 1) + 1 - 2 * p_h), 10)),
         draw(st.integers(max(1, d[1] * (k[1] - 1) + 1 - 2 * p_w), 10)))
    return dict(k=k, s=s, p=p, d=d, groups=groups, n=n, batch=draw(st.integers(1, 3)),
                c_i=groups * draw(st.integers(1, 3)), c_o=groups * draw(st.integers(1, 3)),
                bias=draw(st.booleans()), seed=draw(st.integers(0, 2**31 - 1)))


@settings(max_examples=40, deadline=None)
@given(grad_layers())
def test_float32_gradients_equal_torch(layer):
    g = torch.Generator().manual_seed(layer["seed"])
    X = torch.randn(layer["batch"], layer["c_i"], *layer["n"], generator=g)
    W = torch.randn(layer["c_o"], layer["c_i"] // layer["groups"], *layer["k"], generator=g)
    b = torch.randn(layer["c_o"], generator=g) if layer["bias"] else None
    args = (layer["s"], layer["p"], layer["d"], layer["groups"])
    leaves = [t.clone().requires_grad_() for t in (X, W) + ((b,) if b is not None else ())]
    Y = F.conv2d(leaves[0], leaves[1], leaves[2] if b is not None else None, *args)
    dY = torch.randn(Y.shape, generator=g)
    ref = torch.autograd.grad(Y, leaves, dY)
    for method in cc.METHODS + ("auto",):
        if method == "loops" or (method != "auto" and not applies(method, *layer["k"], layer["s"], layer["d"])):
            continue
        mine = [t.clone().requires_grad_() for t in (X, W) + ((b,) if b is not None else ())]
        Y2 = cc.conv2d(mine[0], mine[1], mine[2] if b is not None else None, *args, method=method)
        for r, m in zip(ref, torch.autograd.grad(Y2, mine, dY)):
            torch.testing.assert_close(m, r, rtol=1e-4, atol=1e-4, msg=lambda msg, method=method: f"{method}: {msg}")


@settings(max_examples=40, deadline=None)
@given(grad_layers())
def test_conv2d_backward_equals_autograd(layer):
    g = torch.Generator().manual_seed(layer["seed"])
    X = torch.randn(layer["batch"], layer["c_i"], *layer["n"], generator=g, dtype=torch.float64, requires_grad=True)
    W = torch.randn(layer["c_o"], layer["c_i"] // layer["groups"], *layer["k"], generator=g, dtype=torch.float64,
                    requires_grad=True)
    b = torch.randn(layer["c_o"], generator=g, dtype=torch.float64, requires_grad=True)
    args = (layer["s"], layer["p"], layer["d"], layer["groups"])
    Y = F.conv2d(X, W, b, *args)
    dY = torch.randn(Y.shape, generator=g, dtype=torch.float64)
    ref = torch.autograd.grad(Y, (X, W, b), dY)
    for method in ("auto", "im2col", "unfold"):
        dX, dW, db = cc.conv2d_backward(dY, X.detach(), W.detach(), *args, method=method)
        for r, m in zip(ref, (dX, dW, db)):
            torch.testing.assert_close(m, r, rtol=1e-10, atol=1e-10)


def test_conv2d_backward_on_the_lectures_example():
    """The lecture's X (2, 3, 3) and K (2, 2, 2), one output channel: dW = X ⋆ dY, dX = full correlation."""
    from chanconv.course.data import lecture_K, lecture_X

    X, K = lecture_X().double(), lecture_K().double()[None]  # (2, 3, 3), (1, 2, 2, 2)
    dY = torch.ones(1, 2, 2, dtype=torch.float64)  # L = sum of Y
    dX, dW, db = cc.conv2d_backward(dY, X, K)
    Xg, Kg = X.clone().requires_grad_(), K.clone().requires_grad_()
    cc.conv2d(Xg, Kg).sum().backward()
    torch.testing.assert_close(dX, Xg.grad)
    torch.testing.assert_close(dW, Kg.grad)
    # by hand: with dY all ones, dW[0, c, a, e] is the sum of X[c]'s 2×2 block at (a, e)
    assert dW[0, 0].tolist() == [[0 + 1 + 3 + 4, 1 + 2 + 4 + 5], [3 + 4 + 6 + 7, 4 + 5 + 7 + 8]]
    assert db.tolist() == [4.0]


def test_conv2d_backward_bad_input():
    X, W = torch.ones(1, 2, 5, 5), torch.ones(3, 2, 3, 3)
    with pytest.raises(ValueError, match=r"dY must have Y's shape \(1, 3, 3, 3\)"):
        cc.conv2d_backward(torch.ones(1, 3, 4, 4), X, W)
    with pytest.raises(ValueError, match="X has 2 input channels but the weight expects 4"):
        cc.conv2d_backward(torch.ones(1, 3, 3, 3), X, torch.ones(3, 4, 3, 3))


def test_fast_paths_do_not_use_autograd_when_nothing_requires_grad(monkeypatch):
    calls = []
    real = Conv2dFunction.apply
    monkeypatch.setattr(Conv2dFunction, "apply", lambda *a: calls.append(1) or real(*a))
    X, W = torch.randn(1, 64, 16, 16), torch.randn(64, 64, 3, 3)
    for method in ("im2col", "im2row", "shift", "winograd", "auto"):
        Y = cc.conv2d(X, W, padding=1, method=method)
        assert not Y.requires_grad and Y.grad_fn is None
        with torch.no_grad():
            cc.conv2d(X, W.clone().requires_grad_(), padding=1, method=method)
    assert calls == [], "no autograd wrapper unless a gradient is needed"
    cc.conv2d(X, W.clone().requires_grad_(), padding=1, method="im2col")
    assert calls == [1]
    assert not (DIFFERENTIABLE & {"im2col", "im2row", "shift", "winograd"})
    assert conv2d_with_backward(X, W, padding=1).shape == (1, 64, 16, 16)


def test_a_method_trains_with_its_own_forward_and_the_scratch_backward():
    """A few steps of gradient descent give the same weights with chanconv (winograd + scratch) as with torch."""
    g = torch.Generator().manual_seed(0)
    X, T = torch.randn(4, 8, 10, 10, generator=g), torch.randn(4, 8, 10, 10, generator=g)
    W0, b0 = 0.1 * torch.randn(8, 8, 3, 3, generator=g), torch.zeros(8)
    results = []
    for conv in (lambda X, W, b: F.conv2d(X, W, b, padding=1),
                 lambda X, W, b: conv2d_with_backward(X, W, b, padding=1, method="winograd")):
        W, b = W0.clone().requires_grad_(), b0.clone().requires_grad_()
        opt = torch.optim.SGD([W, b], lr=0.05)
        for _ in range(5):
            opt.zero_grad()
            ((conv(X, W, b) - T) ** 2).mean().backward()
            opt.step()
        results.append((W.detach(), b.detach()))
    torch.testing.assert_close(results[1][0], results[0][0], rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(results[1][1], results[0][1], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("k, s, p, n", [((3, 3), 1, (1, 1), (5, 6)), ((5, 3), 1, (2, 0), (6, 5)),
                                        ((3, 3), 2, (1, 2), (7, 9)), ((3, 2), 1, (2, 1), (4, 4))])
def test_padded_input_gradient_as_notebook_9_states_it(k, s, p, n):
    """Notebook 9: with padding p, dX is dY (stride-spread) padded by k - 1 - p and cross-correlated with
    the flipped, channel-swapped kernel (windows ending at the padded input's last row and column),
    and conv2d_backward drops p rows and columns on each side; both against torch's autograd."""
    X, W, _ = small(k, 1, n=n)
    Y = F.conv2d(X, W, stride=s, padding=p)
    assert all((n[i] + 2 * p[i] - k[i]) % s == 0 for i in range(2))  # the windows reach the last row and column
    dY = torch.randn(Y.shape, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    (Y * dY).sum().backward()
    spread = dY.new_zeros(*dY.shape[:2], (dY.shape[2] - 1) * s + 1, (dY.shape[3] - 1) * s + 1)
    spread[:, :, ::s, ::s] = dY
    q_h, q_w = k[0] - 1 - p[0], k[1] - 1 - p[1]
    stated = F.conv2d(F.pad(spread, (q_w, q_w, q_h, q_h)), W.detach().transpose(0, 1).flip(2, 3))
    torch.testing.assert_close(stated, X.grad)
    dX, _, _ = cc.conv2d_backward(dY, X.detach(), W.detach(), stride=s, padding=p)
    torch.testing.assert_close(dX, X.grad)
