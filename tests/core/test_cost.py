"""conv2d_cost against the formulas, torch.nn.Conv2d's parameters, and a loop that counts."""

import itertools

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import chanconv as cc


def test_the_lectures_layer():
    cost = cc.conv2d_cost(100, 100, 5, 5, 68, 68)
    assert cost.out_shape == (100, 64, 64)
    assert cost.macs == 1_024_000_000  # the slide's "1 GFLOP" counts multiply-adds
    assert cost.flops == 2_048_000_000  # multiplications and additions counted separately
    assert cost.params == 250_100  # 100·100·5·5 weights + 100 biases (b has shape c_o)
    assert cost.weights == 250_000
    assert cost.input_bytes == 4 * 100 * 68 * 68
    assert cost.weight_bytes == 4 * 250_100
    assert cost.output_bytes == 4 * 100 * 64 * 64


def test_1x1_channel_reduction_256_to_64():
    cost = cc.conv2d_cost(256, 64, 1, 1, 28, 28)
    assert cost.params == 256 * 64 + 64  # not (c_o + 1)(c_i + 1)
    assert cost.params != (64 + 1) * (256 + 1)
    assert cost.out_shape == (64, 28, 28)


def count_by_loops(c_i, c_o, k_h, k_w, n_h, n_w, stride, padding, batch):
    """Walk every output element and count the multiplications a direct sum does."""
    s_h, s_w = stride
    p_h, p_w = padding
    macs = 0
    m_h = m_w = 0
    for i in itertools.count():
        if i * s_h + k_h > n_h + 2 * p_h:
            break
        m_h += 1
    for j in itertools.count():
        if j * s_w + k_w > n_w + 2 * p_w:
            break
        m_w += 1
    for _n, _o, _i, _j in itertools.product(range(batch), range(c_o), range(m_h), range(m_w)):
        for _c, _a, _d in itertools.product(range(c_i), range(k_h), range(k_w)):
            macs += 1
    return (c_o, m_h, m_w), macs


@given(
    st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(1, 4),
    st.integers(4, 9), st.integers(4, 9), st.integers(1, 3), st.integers(1, 3),
    st.integers(0, 2), st.integers(0, 2), st.integers(1, 2),
)
def test_formulas_equal_a_counting_loop_and_torch(c_i, c_o, k_h, k_w, n_h, n_w, s_h, s_w, p_h, p_w, batch):
    cost = cc.conv2d_cost(c_i, c_o, k_h, k_w, n_h, n_w, stride=(s_h, s_w), padding=(p_h, p_w), batch=batch)
    shape, macs = count_by_loops(c_i, c_o, k_h, k_w, n_h, n_w, (s_h, s_w), (p_h, p_w), batch)
    assert cost.out_shape == shape
    assert cost.macs == macs and cost.flops == 2 * macs
    layer = torch.nn.Conv2d(c_i, c_o, (k_h, k_w), stride=(s_h, s_w), padding=(p_h, p_w))
    assert cost.params == sum(p.numel() for p in layer.parameters())
    Y = layer(torch.zeros(batch, c_i, n_h, n_w))
    assert tuple(Y.shape[1:]) == cost.out_shape
    assert cost.output_bytes == Y.numel() * 4


def test_no_bias():
    assert cc.conv2d_cost(3, 8, 3, 3, 10, 10, bias=False).params == 8 * 3 * 3 * 3


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        (dict(c_i=0), ValueError, "c_i must be at least 1"),
        (dict(k_h=12), ValueError, "the 12×3 kernel (k_h × k_w) is larger than the 10×10 input"),
        (dict(stride=0), ValueError, "stride must be at least 1"),
        (dict(c_o=2.5), TypeError, "c_o must be an int"),
    ],
)
def test_bad_arguments(kwargs, error, words):
    args = dict(c_i=3, c_o=4, k_h=3, k_w=3, n_h=10, n_w=10) | kwargs
    stride = args.pop("stride", 1)
    with pytest.raises(error) as info:
        cc.conv2d_cost(**args, stride=stride)
    assert words in str(info.value)


def count_dilated(c_i, c_o, k_h, k_w, n_h, n_w, stride, padding, dilation):
    """Walk the windows of a dilated kernel: window (i, j) fits when its last tap is inside the padded input."""
    (s_h, s_w), (p_h, p_w), (d_h, d_w) = stride, padding, dilation
    m_h = sum(1 for i in range(n_h + 2 * p_h) if i * s_h + d_h * (k_h - 1) < n_h + 2 * p_h)
    m_w = sum(1 for j in range(n_w + 2 * p_w) if j * s_w + d_w * (k_w - 1) < n_w + 2 * p_w)
    macs = sum(1 for _ in itertools.product(range(c_o), range(m_h), range(m_w), range(c_i), range(k_h), range(k_w)))
    return (c_o, m_h, m_w), macs


@given(
    st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3),
    st.integers(7, 10), st.integers(7, 10), st.integers(1, 3), st.integers(1, 3),
    st.integers(0, 2), st.integers(0, 2), st.integers(1, 3), st.integers(1, 3),
)
def test_dilation_formula_equals_a_counting_loop(c_i, c_o, k_h, k_w, n_h, n_w, s_h, s_w, p_h, p_w, d_h, d_w):
    cost = cc.conv2d_cost(c_i, c_o, k_h, k_w, n_h, n_w, stride=(s_h, s_w), padding=(p_h, p_w), dilation=(d_h, d_w))
    shape, macs = count_dilated(c_i, c_o, k_h, k_w, n_h, n_w, (s_h, s_w), (p_h, p_w), (d_h, d_w))
    assert cost.out_shape == shape and cost.macs == macs
    assert cost.dilation == (d_h, d_w)
    assert cc.output_size(n_h, k_h, s_h, p_h, d_h) == shape[1]


def test_dilation_one_changes_nothing_and_same_pads_unevenly():
    assert cc.conv2d_cost(100, 100, 5, 5, 68, 68, dilation=1) == cc.conv2d_cost(100, 100, 5, 5, 68, 68)
    assert cc.conv2d_cost(3, 8, 3, 3, 32, 32, dilation=2).out_shape == (8, 28, 28)
    same = cc.conv2d_cost(3, 8, 4, 4, 32, 32, padding="same")
    assert same.out_shape == (8, 32, 32) and same.padding == ((1, 2), (1, 2))
    assert cc.conv2d_cost(3, 8, 3, 3, 32, 32, padding="same", dilation=2).padding == (2, 2)
