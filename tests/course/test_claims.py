"""Every number and claim the notebooks' prose states, recomputed from chanconv.

The prose of notebooks 02–05 states these facts; the notebooks print them in compared outputs
(tests/test_notebooks.py checks the strings are there) and these tests recompute them from
the formulas and from independent references, so that prose, outputs and code cannot drift.
"""

import inspect
import json
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import chanconv as cc
from chanconv.course.data import lecture_K, lecture_X
from chanconv.course.layouts import conv2d_nhwc, hwio_to_oihw, nchw_to_nhwc, nhwc_to_nchw, oihw_to_hwio
from chanconv.course.partials import partial_maps

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
SLIDE_RATES = {"CPU": 0.15e12, "GPU": 12e12}  # FLOP/s, from the lecture's slide


def notebook_text(stem):
    nb = json.loads((NOTEBOOKS / f"{stem}.ipynb").read_text(encoding="utf-8"))
    parts = []
    for c in nb["cells"]:
        parts.append("".join(c["source"]))
        if c["cell_type"] == "code" and "nbval-ignore-output" not in c.get("metadata", {}).get("tags", []):
            for o in c["outputs"]:
                parts.append("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


# --- notebook 04: 10 layers × 1M samples --------------------------------------------------

def estimate():
    work = cc.conv2d_cost(100, 100, 5, 5, 68, 68, batch=1_000_000)
    return 10 * work.macs, 10 * work.flops


def test_the_work_is_counted_from_the_cost_formula():
    macs, flops = estimate()
    # by hand: c_i c_o k_h k_w m_h m_w per sample, 10 layers, 10⁶ samples
    assert macs == 10 * 10**6 * 100 * 100 * 5 * 5 * 64 * 64 == 1.024e16
    assert flops == 2 * macs


def test_the_estimate_in_flops_is_38_h_and_28_min():
    _, flops = estimate()
    hours = flops / SLIDE_RATES["CPU"] / 3600
    minutes = flops / SLIDE_RATES["GPU"] / 60
    assert round(hours, 1) == 37.9
    assert round(minutes, 1) == 28.4
    text = notebook_text("04_conv_layer_and_cost")
    assert f"CPU at  0.15 TFLOP/s: {hours:5.1f} h" in text
    assert f"GPU at 12.00 TFLOP/s: {flops / SLIDE_RATES['GPU'] / 3600:5.1f} h = {minutes:7.1f} min" in text
    assert "as the lecture's slide gives them" in text  # the rates say where they come from
    summary = notebook_text("05_summary")
    assert f"at 0.15 TFLOP/s: {hours:.1f} h;  at 12 TFLOP/s: {minutes:.1f} min" in summary
    assert "≈ 37.9 h" in summary and "≈ 28.4 min" in summary


def test_the_slides_rounding_is_half_the_flop_count():
    """18 h / 14 min: 10¹⁶ (multiply-adds) divided by FLOP/s rates."""
    assert round(1e16 / SLIDE_RATES["CPU"] / 3600, 1) == 18.5
    assert round(1e16 / SLIDE_RATES["GPU"] / 60, 1) == 13.9
    _, flops = estimate()
    assert flops / 1e16 == pytest.approx(2.048)
    text = notebook_text("04_conv_layer_and_cost")
    assert "slide's rounding, CPU: 1e16 / 0.15e12 =  18.5 h" in text
    assert "slide's rounding, GPU: 1e16 / 12e12 =   0.2 h =    13.9 min" in text
    assert "1e16 / 0.15e12" in text and "18 h" in text and "14 min" in text


# --- notebook 05: the errata checked ----------------------------------------------------

def test_conv2d_fourth_positional_parameter_is_stride():
    names = list(inspect.signature(torch.nn.Conv2d).parameters)
    assert names[:5] == ["in_channels", "out_channels", "kernel_size", "stride", "padding"]
    layer = torch.nn.Conv2d(3, 4, 3, 1, 2)  # the notes' order, meant as padding=1, stride=2
    assert layer.stride == (1, 1) and layer.padding == (2, 2)


def test_two_linear_1x1_layers_are_one_but_not_with_a_relu():
    g = torch.Generator().manual_seed(0)
    X = torch.rand(4, 6, 6, generator=g)
    W1, W2 = torch.randn(5, 4, 1, 1, generator=g), torch.randn(3, 5, 1, 1, generator=g)
    one = cc.conv2d(X, (W2[:, :, 0, 0] @ W1[:, :, 0, 0])[:, :, None, None])
    assert torch.allclose(cc.conv2d(cc.conv2d(X, W1), W2), one, atol=1e-5)
    assert not torch.allclose(cc.conv2d(torch.relu(cc.conv2d(X, W1)), W2), one, atol=1e-3)


def test_a_1x1_layer_maps_m_inputs_to_n_outputs():
    """Erratum 7: n kernel tensors of m 1×1 pieces turn m input channels into n outputs."""
    n, m = 2, 3
    K = torch.randn(n, m, 1, 1)
    assert cc.conv2d(torch.rand(m, 4, 4), K).shape == (n, 4, 4)
    assert cc.conv2d_cost(m, n, 1, 1, 4, 4).params == n * m + n


def test_the_summary_table_lists_all_eight_errata():
    text = notebook_text("05_summary")
    for needle in [r"$c_o \times c_i$", r"$(c_o + 1) \times (c_i + 1)$", "1 GFLOP", "10 PFlops", "$k_h = h_w = 5$",
                   "0th dimension", "nn.Conv2d(input_channel, output_channel, kernel_size, padding, stride)",
                   "把 n 个 channels 变成了 m 个 channels", "multi-layer perceptrons"]:
        assert needle in text, needle
    assert "18 h at 0.15" not in text
    assert "Both are right" not in notebook_text("04_conv_layer_and_cost"), "erratum 3: the notes' 1 GFLOP counts MACs"


# --- notebook 02: layouts -----------------------------------------------------------------

def test_layout_conversions_are_transposes_that_round_trip():
    X = torch.arange(2 * 3 * 4 * 5.0).reshape(2, 3, 4, 5)
    assert nchw_to_nhwc(X).shape == (2, 4, 5, 3)
    assert torch.equal(nhwc_to_nchw(nchw_to_nhwc(X)), X)
    assert nchw_to_nhwc(X)[1, 2, 3, 0] == X[1, 0, 2, 3]
    K = torch.arange(6 * 3 * 2 * 4.0).reshape(6, 3, 2, 4)
    assert oihw_to_hwio(K).shape == (2, 4, 3, 6)
    assert torch.equal(hwio_to_oihw(oihw_to_hwio(K)), K)
    assert oihw_to_hwio(K)[1, 3, 2, 5] == K[5, 2, 1, 3]
    assert np.array_equal(oihw_to_hwio(K.numpy()), oihw_to_hwio(K).numpy())


@settings(max_examples=60, deadline=None)
@given(b=st.integers(1, 2), c_i=st.integers(1, 4), c_o=st.integers(1, 4), n_h=st.integers(1, 7),
       n_w=st.integers(1, 7), k_h=st.integers(1, 3), k_w=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_tensorflow_layout_convolution_equals_torch(b, c_i, c_o, n_h, n_w, k_h, k_w, seed):
    assume(k_h <= n_h and k_w <= n_w)
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(b, c_i, n_h, n_w, generator=g, dtype=torch.float64)
    K = torch.randn(c_o, c_i, k_h, k_w, generator=g, dtype=torch.float64)
    Y_tf = conv2d_nhwc(nchw_to_nhwc(X).numpy(), oihw_to_hwio(K).numpy())
    assert Y_tf.shape == (b, n_h - k_h + 1, n_w - k_w + 1, c_o)
    assert torch.allclose(nhwc_to_nchw(torch.from_numpy(Y_tf)), F.conv2d(X, K))


def test_lecture_example_in_tensorflow_layout_and_reshape_is_wrong():
    X, K = lecture_X(), lecture_K()
    K3 = torch.stack((K, K + 1, K + 2))
    Y_tf = conv2d_nhwc(nchw_to_nhwc(X[None]).numpy(), oihw_to_hwio(K3).numpy())
    assert nhwc_to_nchw(torch.from_numpy(Y_tf))[0].tolist() == [
        [[56, 72], [104, 120]], [[76, 100], [148, 172]], [[96, 128], [192, 224]]]
    wrong = conv2d_nhwc(nchw_to_nhwc(X[None]).numpy(), K3.reshape(2, 2, 2, 3).numpy())
    assert not np.array_equal(wrong, Y_tf)


def test_layout_conversions_name_the_expected_axes():
    with pytest.raises(ValueError, match=r"X must have 4 axes \(batch, c_i, n_h, n_w\)"):
        nchw_to_nhwc(torch.zeros(3, 4, 4))
    with pytest.raises(ValueError, match=r"K must have 4 axes \(k_h, k_w, c_i, c_o\)"):
        hwio_to_oihw(np.zeros((3, 3, 2)))


def test_conv2d_nhwc_names_the_mismatched_channels():
    with pytest.raises(ValueError, match="c_i = 3 .*c_i = 2"):
        conv2d_nhwc(np.zeros((1, 4, 4, 3)), np.zeros((2, 2, 2, 1)))


# --- partial maps -------------------------------------------------------------------------

def test_partial_maps_of_the_lecture_example():
    P = partial_maps(lecture_X(), lecture_K())
    assert P.partials.tolist() == [[[19, 25], [37, 43]], [[37, 47], [67, 77]]]
    assert P.output.tolist() == [[56, 72], [104, 120]]


@pytest.mark.parametrize("seed, dilation", [(0, 1), (1, 1), (2, 2), (3, (1, 2))])
def test_partial_maps_sum_to_conv2d(seed, dilation):
    g = torch.Generator().manual_seed(seed)
    c_i, c_o = 3, 4
    X = torch.randn(c_i, 9, 8, generator=g)
    K = torch.randn(c_o, c_i, 3, 2, generator=g)
    b = torch.randn(c_o, generator=g)
    Y = F.conv2d(X[None], K, b, padding=1, stride=2, dilation=dilation)[0]  # torch's, the reference
    for o in range(c_o):
        P = partial_maps(X, K, o, b, padding=1, stride=2, dilation=dilation)
        assert P.partials.shape == (c_i,) + Y.shape[1:]
        for c in range(c_i):  # each partial is the single-channel cross-correlation
            ref = F.conv2d(X[None, c:c + 1], K[o:o + 1, c:c + 1], padding=1, stride=2, dilation=dilation)[0, 0]
            assert torch.allclose(P.partials[c], ref, atol=1e-5)
        assert P.bias == pytest.approx(float(b[o]))
        assert torch.allclose(P.output, Y[o], atol=1e-5)


def test_partial_maps_rejects_bad_input():
    with pytest.raises(ValueError, match="c_i = 2 .*c_i = 3"):
        partial_maps(torch.zeros(2, 4, 4), torch.zeros(1, 3, 2, 2))
    with pytest.raises(ValueError, match="out_channel"):
        partial_maps(torch.zeros(2, 4, 4), torch.zeros(1, 2, 2, 2), 1)


# --- notebook 03: which diagonal --------------------------------------------------------

def diagonal_responses(img):
    """Largest |E0|, |E1|, |D0|, |D1| and strength inside the image, as notebook 3 computes them."""
    sobel = torch.tensor([[1.0, 2.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -2.0, -1.0]])
    W_edges = torch.stack([sobel, sobel.T])[:, None]
    W_diag = (torch.tensor([[1.0, 1.0], [1.0, -1.0]]) / 2**0.5).reshape(2, 2, 1, 1)
    E = cc.conv2d(img[None], W_edges, padding=1)
    D = cc.conv2d(E, W_diag)
    maps = [E[0], E[1], D[0], D[1], E.pow(2).sum(0).sqrt()]
    return [float(m[1:-1, 1:-1].abs().max()) for m in maps]


def test_each_diagonal_channel_is_blind_to_the_other_diagonal_only():
    """Issue 20: D0 and D1 do not answer "only to their own diagonal": a horizontal or vertical
    edge gives |D0| = |D1| = 4/√2 ≈ 2.83; a diagonal gives 3√2 ≈ 4.24 in its own and 0 in the other."""
    n = 12
    u, v = torch.meshgrid(torch.arange(n), torch.arange(n), indexing="ij")
    tests = {"horizontal": (u < n // 2).float(), "vertical": (v < n // 2).float(),
             "/ diagonal": (u + v < n).float(), "\\ diagonal": (u < v).float()}
    got = {name: diagonal_responses(img) for name, img in tests.items()}
    for name in ("horizontal", "vertical"):
        assert got[name][2] == pytest.approx(4 / 2**0.5, abs=1e-4) == pytest.approx(got[name][3], abs=1e-4)
    assert got["/ diagonal"][2] == pytest.approx(3 * 2**0.5, abs=1e-4) and got["/ diagonal"][3] < 1e-6
    assert got["\\ diagonal"][3] == pytest.approx(3 * 2**0.5, abs=1e-4) and got["\\ diagonal"][2] < 1e-6
    text = notebook_text("03_1x1_convolution")
    for name, values in got.items():
        assert "".join(f"{x:7.3f} " for x in values) + "  " + name in text, name
    assert "answers only" not in text and "edges along /" not in text and "diagonal ↘" not in text
    assert "keeps the input's size: m_h = n_h" not in text, "holds only at stride 1 without padding"
    assert "n_h = 28, padding 1, stride 1: m_h = 30" in text and "n_h = 28, padding 0, stride 2: m_h = 14" in text


def test_the_strength_layer_reads_the_squared_edge_channels():
    """The second 1×1 layer's input is E² (not D); D² gives the same sum, the diagonal matrix being orthogonal."""
    g = torch.Generator().manual_seed(0)
    E = torch.randn(2, 7, 6, generator=g)
    W_diag = (torch.tensor([[1.0, 1.0], [1.0, -1.0]]) / 2**0.5).reshape(2, 2, 1, 1)
    ones = torch.ones(1, 2, 1, 1)
    D = cc.conv2d(E, W_diag)
    assert torch.allclose(cc.conv2d(E**2, ones), cc.conv2d(D**2, ones), atol=1e-5)
    assert "the same S from D² instead of E²: True" in notebook_text("03_1x1_convolution")


def test_gradient_descent_step_0_prints_the_starting_weights():
    text = notebook_text("03_1x1_convolution")
    assert "step   0: loss" in text
    line = next(ln for ln in text.splitlines() if ln.startswith("step   0:"))
    assert "weights [0.0, 0.0, 0.0]" in line and "bias +0.000" in line


def test_matmul_and_loop_1x1_differ_by_at_most_a_few_ulps():
    g = torch.Generator().manual_seed(1)
    X = torch.rand((256, 8, 8), generator=g)
    K = torch.rand((8, 256, 1, 1), generator=g)
    Y_mat = cc.corr2d_multi_in_out_1x1(X, K)
    Y_loop = cc.corr2d_multi_in_out(X, K)
    rel = ((Y_mat - Y_loop).abs() / Y_loop.abs()).max()
    assert rel < 64 * torch.finfo(torch.float32).eps


# --- notebook 09: what the detectors respond to, what the gray test can show ------------------

def test_detector_labels_come_from_the_measured_responses():
    """Issue 20: "G−R" (a sum of kernel weights) labelled a detector that votes for red vertical. The labels
    now come from each detector's measured response to the four classes' bars, by the rule the notebook states."""
    import re

    text = notebook_text("09_backward_and_training")
    assert "R−G" not in text and "G−R" not in text
    classes = ["red horizontal", "red vertical", "green horizontal", "green vertical"]
    rows = re.findall(r"^ +(\d) +([-+]\d+\.\d\d) +([-+]\d+\.\d\d) +([-+]\d+\.\d\d) +([-+]\d+\.\d\d)  (.+)$", text, re.M)
    assert len(rows) >= 2, "the response table is in the stored output"
    labels = {}
    for j, *values, label in rows:
        r = [float(x) for x in values]
        colour = 0 if r[0] + r[1] >= r[2] + r[3] else 1
        h, v = r[2 * colour], r[2 * colour + 1]
        name = ["red", "green"][colour]
        expected = f"{name} horizontal" if h >= 1.5 * v else f"{name} vertical" if v >= 1.5 * h else f"{name} bars"
        assert label == expected, (j, r, label)
        labels[j] = label
    for cls in classes:  # every vote names the detector with the label of the table
        line = next(ln for ln in text.splitlines() if ln.startswith(f"{cls:16}: "))
        for j, label in re.findall(r"detector (\d) \(([a-z ]+)\)", line):
            assert labels[j] == label, (cls, j, label)


def test_the_gray_images_are_said_to_hold_no_bar_and_one_channel_tests_are_shown():
    text = notebook_text("09_backward_and_training")
    assert "cannot come out otherwise, for any network" in " ".join(text.split())
    for row in ("red only", "green only", "no bar at all", "gray copies", "guessing"):
        assert any(ln.startswith(row) for ln in text.splitlines()), row
