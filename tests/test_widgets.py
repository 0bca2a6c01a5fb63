"""The channel explorer, driven headless: every control, the picture's numbers, the messages."""

import re

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chanconv as cc
from chanconv.widgets import ChannelExplorer, benchmark_redraws

LECTURE = [[[56, 72], [104, 120]], [[76, 100], [148, 172]], [[96, 128], [192, 224]]]


@pytest.fixture
def explorer():
    return ChannelExplorer(device="cpu")


def test_starts_with_the_lectures_example(explorer):
    assert explorer.message == ""
    assert explorer.result.tolist() == LECTURE
    assert "Y: (c_o, m_h, m_w) = (3, 2, 2)" in explorer.summary
    assert "parameters 24; MACs 96" in explorer.summary
    assert explorer.element_text == "Y[0, 0, 0] = (0×0 + 1×1 + 3×2 + 4×3) + (1×1 + 2×2 + 4×3 + 5×4) = 56"
    assert "torch.nn.Conv2d(2, 3, kernel_size=(2, 2), stride=1, padding=0, bias=False) gives the same Y: yes" in explorer.status.value


def test_more_output_channels_extend_k_plus_one(explorer):
    explorer.controls["c_o"].value = 5
    assert explorer.result[:, 0, 0].tolist() == [56, 76, 96, 116, 136]


def check_against_conv2d(ex):
    v = ex.values()
    X, K, b = ex.tensors
    assert tuple(X.shape) == (v["c_i"], v["n"], v["n"])
    assert tuple(K.shape) == (v["c_o"], v["c_i"], v["k_h"], v["k_w"])
    expected = cc.conv2d(X, K, b, stride=v["stride"], padding=v["padding"], method="torch")
    torch.testing.assert_close(ex.result, expected, rtol=1e-5, atol=1e-4)
    params = v["c_o"] * v["c_i"] * v["k_h"] * v["k_w"] + (v["c_o"] if v["bias"] else 0)
    assert f"parameters {params:,};" in ex.summary
    cost = cc.conv2d_cost(v["c_i"], v["c_o"], v["k_h"], v["k_w"], v["n"], v["n"], stride=v["stride"], padding=v["padding"])
    assert f"MACs {cost.macs:,}" in ex.summary
    assert f"Y: (c_o, m_h, m_w) = {cost.out_shape}" in ex.summary


def element_value(ex):
    """Evaluate the written-out sum: it must equal the picked output element."""
    expr = ex.element_text.split(" = ", 1)[1].rsplit(" = ", 1)[0].replace("×", "*")
    assert re.fullmatch(r"[-0-9.*+() e]+", expr), expr
    return eval(expr)  # noqa: S307 - digits and + * ( ) only, checked above


@pytest.mark.parametrize("name, value", [
    ("c_i", 5), ("c_o", 7), ("k_h", 3), ("k_w", 1), ("stride", 2), ("padding", 3), ("n", 16), ("seed", 42), ("bias", True),
])
def test_each_control(explorer, name, value):
    explorer.controls["source"].value = "random"
    explorer.controls["n"].value = 9
    explorer.controls[name].value = value
    assert explorer.values()[name] == value
    assert explorer.message == ""
    check_against_conv2d(explorer)


@settings(max_examples=60, deadline=None)
@given(
    c_i=st.integers(1, 8), c_o=st.integers(1, 8), k_h=st.integers(1, 7), k_w=st.integers(1, 7),
    stride=st.integers(1, 3), padding=st.integers(0, 3), n=st.integers(3, 16), bias=st.booleans(),
    seed=st.integers(0, 50), source=st.sampled_from(["random", "photo", "lecture"]),
)
def test_any_combination_gives_the_picture_or_one_line(c_i, c_o, k_h, k_w, stride, padding, n, bias, seed, source):
    ex = ChannelExplorer(device="cpu", source="random")
    for name, value in dict(c_i=c_i, c_o=c_o, k_h=k_h, k_w=k_w, stride=stride, padding=padding, n=n, bias=bias, seed=seed).items():
        ex.controls[name].value = value
    ex.controls["source"].value = source  # may preset controls (the lecture's shapes, c_i = 3)
    ex.controls["c_i"].value = c_i  # and may then be contradicted
    if ex.message:
        assert ex.result is None and "\n" not in ex.message
        assert ex.message in ex.status.value.replace("&#x27;", "'")
    else:
        check_against_conv2d(ex)
        o, i, j = (ex.controls[k].value for k in "oij")
        assert element_value(ex) == pytest.approx(float(ex.result[o, i, j]), rel=1e-5, abs=1e-4)


@pytest.mark.parametrize("setting, words", [
    (dict(source="random", n=4, k_h=7), "the 7×2 kernel (k_h × k_w) is larger than the 4×4 input"),
    (dict(source="photo", c_i=2), "the photo has c_i = 3 channels"),
    (dict(c_i=3), "the lecture's X is 2 × 3 × 3"),
])
def test_invalid_combinations_say_why(explorer, setting, words):
    for name, value in setting.items():
        explorer.controls[name].value = value
    assert words in explorer.message
    assert explorer.result is None and explorer.summary == ""


def test_written_sum_equals_every_element_while_walking(explorer):
    explorer.controls["source"].value = "random"
    for name, value in dict(c_i=3, c_o=2, k_h=3, k_w=2, n=5, padding=1, stride=2, bias=True).items():
        explorer.controls[name].value = value
    c_o, m_h, m_w = explorer.result.shape
    assert explorer.controls["play"].max == c_o * m_h * m_w - 1
    for flat in range(c_o * m_h * m_w):
        explorer.controls["play"].value = flat
        o, rest = divmod(flat, m_h * m_w)
        i, j = divmod(rest, m_w)
        assert explorer.element_text.startswith(f"Y[{o}, {i}, {j}] = ")
        assert element_value(explorer) == float(explorer.result[o, i, j])


def test_picked_element_is_clamped_when_the_output_shrinks(explorer):
    explorer.controls["source"].value = "random"
    explorer.controls["n"].value = 10
    explorer.controls["i"].value = 8
    explorer.controls["n"].value = 4
    assert explorer.controls["i"].value <= explorer.result.shape[1] - 1
    assert explorer.message == ""


def test_redraw_benchmark_covers_every_control():
    times = benchmark_redraws(repeat=1)
    assert set(times) >= {"c_i", "c_o", "k_h", "k_w", "stride", "padding", "n", "seed", "source"}
    assert all(t > 0 for ts in times.values() for t in ts)


def test_unknown_control_is_a_clear_error():
    with pytest.raises(TypeError, match="unknown control 'size'"):
        ChannelExplorer(size=3)
