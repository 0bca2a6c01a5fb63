"""The lecture's functions against the lecture's printed numbers and against torch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import devices

import chanconv as cc
from chanconv.course.data import lecture_K, lecture_X

K3 = lambda d=None: torch.stack((lecture_K(d), lecture_K(d) + 1, lecture_K(d) + 2))  # noqa: E731


@pytest.mark.parametrize("device", devices())
def test_multi_in_gives_the_lectures_numbers(device):
    Y = cc.corr2d_multi_in(lecture_X(device), lecture_K(device))
    assert Y.device.type == device
    assert Y.tolist() == [[56.0, 72.0], [104.0, 120.0]]


@pytest.mark.parametrize("device", devices())
def test_multi_in_out_gives_the_three_channels(device):
    K = K3(device)
    assert K.shape == (3, 2, 2, 2)
    Y = cc.corr2d_multi_in_out(lecture_X(device), K)
    assert Y.shape == (3, 2, 2)
    assert Y.tolist() == [[[56, 72], [104, 120]], [[76, 100], [148, 172]], [[96, 128], [192, 224]]]


def test_corr2d_single_channel_against_torch():
    X, K = torch.randn(6, 7), torch.randn(3, 2)
    expected = F.conv2d(X[None, None], K[None, None])[0, 0]
    torch.testing.assert_close(cc.corr2d(X, K), expected)


def test_multi_in_out_against_torch_conv2d():
    X, K = torch.randn(4, 7, 6), torch.randn(5, 4, 3, 2)
    torch.testing.assert_close(cc.corr2d_multi_in_out(X, K), F.conv2d(X[None], K)[0], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("device", devices())
def test_1x1_equals_the_general_version(device):
    g = torch.Generator().manual_seed(1)
    X = torch.normal(0, 1, (3, 3, 3), generator=g).to(device)
    K = torch.normal(0, 1, (2, 3, 1, 1), generator=g).to(device)
    Y1 = cc.corr2d_multi_in_out_1x1(X, K)
    Y2 = cc.corr2d_multi_in_out(X, K)
    assert Y1.shape == (2, 3, 3) and Y1.device.type == device
    assert float(torch.abs(Y1 - Y2).sum()) < 1e-6


def test_integers_and_numpy_are_converted():
    Xi = lecture_X().long()
    Y = cc.corr2d_multi_in(Xi, lecture_K().numpy().astype(np.int32))
    assert Y.dtype == torch.get_default_dtype()
    assert Y.tolist() == [[56.0, 72.0], [104.0, 120.0]]


@pytest.mark.parametrize(
    "call, X, K, error, words",
    [
        ("corr2d_multi_in", torch.ones(3, 3, 3), torch.ones(2, 2, 2), ValueError, "X has 3 input channels but K expects 2"),
        ("corr2d_multi_in", torch.ones(3, 3), torch.ones(2, 2, 2), ValueError, "(c_i, n_h, n_w)"),
        ("corr2d_multi_in_out", torch.ones(2, 3, 3), torch.ones(2, 2, 2), ValueError, "(c_o, c_i, k_h, k_w)"),
        ("corr2d_multi_in", torch.ones(2, 3, 3), torch.ones(2, 4, 2), ValueError, "the 4×2 kernel (k_h × k_w) is larger than the 3×3 input"),
        ("corr2d_multi_in_out_1x1", torch.ones(2, 3, 3), torch.ones(3, 2, 2, 2), ValueError, "needs a 1×1 kernel"),
        ("corr2d", [[1.0, 2.0], [3.0, 4.0]], torch.ones(1, 1), TypeError, "must be a torch.Tensor"),
        ("corr2d", torch.ones(3, 3, dtype=torch.bool), torch.ones(1, 1), TypeError, "boolean"),
        ("corr2d", torch.ones(3, 3, dtype=torch.complex64), torch.ones(1, 1), TypeError, "complex"),
        ("corr2d", torch.ones(0, 3), torch.ones(1, 1), ValueError, "no dimension may be 0"),
    ],
)
def test_bad_input_is_a_clear_error(call, X, K, error, words):
    with pytest.raises(error) as info:
        getattr(cc, call)(X, K)
    assert words in str(info.value)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here: the mixed-device check needs one")
def test_different_devices_are_a_clear_error():
    with pytest.raises(ValueError, match="different devices"):
        cc.corr2d_multi_in(lecture_X("cuda"), lecture_K("cpu"))


def test_different_devices_are_a_clear_error_without_cuda():
    # a 'meta' tensor stands in for a second device on a machine without a GPU
    with pytest.raises(ValueError, match="different devices.*X on cpu, K on meta"):
        cc.corr2d_multi_in(lecture_X(), lecture_K().to("meta"))
