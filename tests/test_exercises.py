"""The exercise checkers: right answers pass, wrong ones fail with a hint that gives nothing away."""

import pytest
import torch
import torch.nn.functional as F

import chanconv as cc
from chanconv import exercises as ex


def verdict(capsys, fn, *args):
    ok = fn(*args)
    out = capsys.readouterr().out.strip()
    return ok, out


def test_compose_kernels_is_one_convolution():
    g = torch.Generator().manual_seed(0)
    K1, K2 = torch.randn(3, 2, 3, 2, generator=g), torch.randn(4, 3, 2, 4, generator=g)
    X = torch.randn(2, 9, 10, generator=g)
    two = cc.conv2d(cc.conv2d(X, K1), K2)
    torch.testing.assert_close(cc.conv2d(X, ex.compose_kernels(K1, K2)), two, rtol=1e-4, atol=1e-4)


CASES = [
    (ex.check_combined_kernel_size, [lambda k1, k2: k1 + k2 - 1], [lambda k1, k2: k1 + k2, lambda k1, k2: k1 * k2]),
    (ex.check_converse, [False], [True]),
    (ex.check_cost_factors, [4, (34 / 32) ** 2], [2, (34 / 32) ** 2]),
    (ex.check_cost_factors, [4.0, 1.12890625], [4, 1.0]),
    (ex.check_exactly_equal, [False], [True]),
    (ex.check_strip_reads, [lambda k, d: k * (k + d) / d], [lambda k, d: k * k]),
    (ex.check_block_diagonal, [lambda c, b: b], [lambda c, b: b * b]),
]


@pytest.mark.parametrize("check, right, wrong", CASES, ids=[c[0].__name__ for c in CASES])
def test_right_and_wrong(capsys, check, right, wrong):
    ok, out = verdict(capsys, check, *right)
    assert ok and out == "✓ right"
    if len(right) == 1:
        for w in wrong:
            ok, out = verdict(capsys, check, w)
            assert not ok and out.startswith("✗ not yet:")
    else:
        ok, out = verdict(capsys, check, *wrong)
        assert not ok and out.startswith("✗ not yet:")


def test_answers_of_the_wrong_type_get_a_hint_not_a_traceback(capsys):
    assert not verdict(capsys, ex.check_strip_reads, lambda k, d: "many")[0]
    assert not verdict(capsys, ex.check_cost_factors, "four", 1.13)[0]
    assert not verdict(capsys, ex.check_combined_kernel_size, lambda k1, k2: None)[0]


def test_unanswered(capsys):
    ok, out = verdict(capsys, ex.check_converse, None)
    assert not ok and "not answered yet" in out


def out_size(n, k, p, s):
    return (n + 2 * p - k) // s + 1


def fwd(c_i, c_o, h, w, k_h, k_w, p_h, p_w, s_h, s_w):
    return c_o * out_size(h, k_h, p_h, s_h) * out_size(w, k_w, p_w, s_w) * c_i * k_h * k_w


def mem(c_i, c_o, h, w, k_h, k_w, p_h, p_w, s_h, s_w):
    return c_i * h * w + c_o * c_i * k_h * k_w + c_o + c_o * out_size(h, k_h, p_h, s_h) * out_size(w, k_w, p_w, s_w)


def test_forward_backward(capsys):
    def bwd(*a):
        return 2 * fwd(*a)

    def bmem(*a):
        return 2 * mem(*a)

    assert verdict(capsys, ex.check_forward_backward, fwd, mem, bwd, bmem) == (True, "✓ right")

    def fwd_no_padding(c_i, c_o, h, w, k_h, k_w, p_h, p_w, s_h, s_w):
        return c_o * (h - k_h + 1) * (w - k_w + 1) * c_i * k_h * k_w

    ok, out = verdict(capsys, ex.check_forward_backward, fwd_no_padding, mem, bwd, bmem)
    assert not ok and "m_h = ⌊(h + 2p_h − k_h) / s_h⌋ + 1" in out
    ok, out = verdict(capsys, ex.check_forward_backward, fwd, mem, fwd, bmem)
    assert not ok and "gradient" in out


def im2col_matmul(X, K):
    c_o, c_i, k_h, k_w = K.shape
    cols = F.unfold(X[None], (k_h, k_w))[0]  # (c_i k_h k_w, m_h m_w)
    m_h, m_w = X.shape[1] - k_h + 1, X.shape[2] - k_w + 1
    return (K.reshape(c_o, -1) @ cols).reshape(c_o, m_h, m_w)


def test_conv_as_matmul(capsys):
    assert verdict(capsys, ex.check_conv_as_matmul, im2col_matmul) == (True, "✓ right")

    def flipped(X, K):  # a true convolution (flipped kernel): wrong for a cross-correlation
        return im2col_matmul(X, K.flip(-1, -2))

    ok, out = verdict(capsys, ex.check_conv_as_matmul, flipped)
    assert not ok and "wrong values" in out
    ok, out = verdict(capsys, ex.check_conv_as_matmul, lambda X, K: 1 / 0)
    assert not ok and "ZeroDivisionError" in out


def test_grouped(capsys):
    grouped = 64 * 16 * 9 + 64
    separable = (64 * 9 + 64) + (64 * 64 + 64)

    def sep(X, Wd, bd, Wp, bp):
        return cc.conv2d(cc.conv2d(X, Wd, bd, padding=1, groups=64), Wp, bp)

    assert verdict(capsys, ex.check_grouped, grouped, separable, sep) == (True, "✓ right")
    assert not verdict(capsys, ex.check_grouped, 64 * 64 * 9 + 64, separable, sep)[0]
    assert not verdict(capsys, ex.check_grouped, grouped, separable + 64, sep)[0]
    ok, out = verdict(capsys, ex.check_grouped, grouped, separable, lambda X, Wd, bd, Wp, bp: cc.conv2d(X, Wp, bp))
    assert not ok and "depthwise first" in out
