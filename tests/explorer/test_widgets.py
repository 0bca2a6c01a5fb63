"""The channel explorer, driven headless: its state, its picture, its widget, every control and combination.

Checked against independent references: torch.nn.functional.conv2d, torch.nn.Conv2d's parameter
count, hand formulas for the MACs, the lecture's printed numbers, and kernels written out by hand.
"""

import re

import ipywidgets as W
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from chanconv.explorer import ChannelExplorer
from chanconv.explorer.html import CSS, color, render, render_sections, status_html
from chanconv.explorer.state import (
    PHOTO_SIZE,
    PRESETS,
    RANGES,
    Settings,
    explore,
    group_options,
    preset_kernel,
)
from tools.explorer_bench import benchmark_redraws

LECTURE = [[[56, 72], [104, 120]], [[76, 100], [148, 172]], [[96, 128], [192, 224]]]
LARGEST = dict(source="random", preset="random", c_i=8, c_o=8, k_h=7, k_w=7, n_h=48, n_w=48, padding=3,
               bias=True)
MAX_PAYLOAD = 150_000


@pytest.fixture
def explorer():
    return ChannelExplorer(device="cpu")


def torch_reference(state):
    s = state.settings
    return F.conv2d(state.X[None], state.K, state.b, stride=s.stride, padding=s.padding, dilation=s.dilation,
                    groups=s.groups)[0]


def check_state(state):
    """The picture's numbers against torch and the hand formulas; the summary describes what is shown."""
    s = state.settings
    c_ig = s.c_i // s.groups
    assert tuple(state.X.shape) == (s.c_i, s.n_h, s.n_w)
    assert tuple(state.K.shape) == (s.c_o, c_ig, s.k_h, s.k_w)
    assert state.summary and "\n" not in state.summary
    assert f"X: (c_i, n_h, n_w) = ({s.c_i}, {s.n_h}, {s.n_w})" in state.summary
    layer = torch.nn.Conv2d(s.c_i, s.c_o, (s.k_h, s.k_w), groups=s.groups, bias=s.bias)
    params = sum(p.numel() for p in layer.parameters())
    assert f"parameters {params:,}" in state.summary
    if state.message:
        assert state.Y is None and "\n" not in state.message
        assert "Y: none" in state.summary
        return
    torch.testing.assert_close(state.Y, torch_reference(state), rtol=1e-5, atol=1e-4)
    _, m_h, m_w = state.Y.shape
    assert f"MACs {s.c_o * c_ig * s.k_h * s.k_w * m_h * m_w:,}" in state.summary
    assert f"Y: (c_o, m_h, m_w) = ({s.c_o}, {m_h}, {m_w})" in state.summary
    # the partial maps: X[i] ⋆ K[o, i] for every input channel i of o's group, summing (+ b[o]) to Y[o]
    channels = list(state.group_channels)
    assert state.partial.shape == (c_ig, m_h, m_w)
    for il, i in enumerate(channels):
        ref = F.conv2d(state.X[i][None, None], state.K[s.o, il][None, None], stride=s.stride, padding=s.padding,
                       dilation=s.dilation)[0, 0]
        torch.testing.assert_close(state.partial[il], ref, rtol=1e-5, atol=1e-4)
    total = state.partial.sum(0) + (state.b[s.o] if state.b is not None else 0)
    torch.testing.assert_close(total, state.Y[s.o], rtol=1e-5, atol=1e-4)
    # exact for integers; terms written with 3 significant digits (the photo, 1/9 of a blur) round a little
    exact = all(torch.equal(t, t.round()) for t in (state.X, state.K) + ((state.b,) if state.b is not None else ()))
    tol = dict(rel=1e-6, abs=1e-6) if exact else dict(rel=2e-2, abs=2e-2)
    value = float(state.Y[s.o, s.u, s.v])
    assert written_value(state.element.full_text()) == pytest.approx(value, **tol)
    assert written_value(state.element.compact_text()) == pytest.approx(value, **tol)


def written_value(text):
    """Evaluate a written sum 'Y[o, u, v] = ... = value': the terms must give the element."""
    expr = text.split(" = ", 1)[1].rsplit(" = ", 1)[0].replace("×", "*")
    assert re.fullmatch(r"[-0-9.*+() e]+", expr), expr
    return eval(expr)  # noqa: S307 - digits and + * ( ) only, checked above


# -- the lecture's example -------------------------------------------------------------------------

def test_starts_with_the_lectures_example(explorer):
    assert explorer.message == "" and explorer.notes == ()
    assert explorer.result.tolist() == LECTURE
    assert "Y: (c_o, m_h, m_w) = (3, 2, 2)" in explorer.summary
    assert "parameters 24; MACs 96" in explorer.summary
    assert explorer.element_text == "Y[0, 0, 0] = (0×0 + 1×1 + 3×2 + 4×3) + (1×1 + 2×2 + 4×3 + 5×4) = 56"
    assert ("torch.nn.Conv2d(2, 3, kernel_size=(2, 2), stride=1, padding=0, bias=False) gives the same Y: yes"
            in explorer.status.value)
    assert "median of 5 runs" in explorer.status.value  # no single timing of a tiny convolution


def test_more_output_channels_extend_k_plus_one(explorer):
    explorer.controls["c_o"].value = 5
    assert explorer.result[:, 0, 0].tolist() == [56, 76, 96, 116, 136]
    assert explorer.notes == ()


def test_leaving_the_lecture_switches_to_random_integers_and_back(explorer):
    explorer.controls["c_i"].value = 3
    assert explorer.message == "" and explorer.result is not None  # a picture, not a lock
    assert len(explorer.notes) == 2 and all("random integers" in n and "\n" not in n for n in explorer.notes)
    assert "leaves the lecture's 2 × 3 × 3 X" in explorer.notes[0]
    assert "random integers" in explorer.summary and tuple(explorer.result.shape) == (3, 2, 2)
    assert "ℹ" in explorer.status.value
    check_state(explorer.state)
    explorer.controls["c_i"].value = 2
    assert explorer.notes == () and explorer.result.tolist() == LECTURE


@pytest.mark.parametrize("name, value", [("n_h", 5), ("n_w", 4), ("k_h", 3), ("k_w", 1)])
def test_every_shape_control_leaves_the_lecture_with_a_picture(explorer, name, value):
    explorer.controls[name].value = value
    assert explorer.message == "" and explorer.result is not None
    assert explorer.notes and "random integers" in " ".join(explorer.notes)
    check_state(explorer.state)


def test_photo_with_other_channel_counts_is_random_and_says_so():
    ex = ChannelExplorer(device="cpu", source="photo")
    ex.controls["c_i"].value = 2
    assert ex.result is not None and "the photo has 3 channels" in ex.notes[0]
    ex.controls["c_i"].value = 3
    assert ex.state.x_kind == "photo" and ex.notes == ()


# -- every control, every value --------------------------------------------------------------------

def control_values(ex, name):
    widget = ex.controls[name]
    if name in RANGES:
        lo, hi = RANGES[name]
        step = 7 if name in ("n_h", "n_w") else 1
        values = list(range(lo, hi + 1, step)) + [hi]
        return values if name != "seed" else [0, 1, 9999]
    if name in ("o", "u", "v"):
        return list(range(widget.min, widget.max + 1))
    if name == "play":
        return list(range(0, min(widget.max, 12) + 1))
    if hasattr(widget, "options"):
        return [v for _, v in widget.options]
    return [True, False]


@pytest.mark.parametrize("start", [dict(), dict(source="random", n=5, padding=1, bias=True), dict(source="photo")],
                         ids=["lecture", "random", "photo"])
def test_every_value_of_every_control_gives_a_picture(start):
    ex = ChannelExplorer(device="cpu", **start)
    for name in ex.controls:
        before = ex.controls[name].value
        for value in control_values(ex, name):
            ex.controls[name].value = value
            state = ex.state
            assert ex.summary, (name, value)
            assert "<img" in ex.view_html or 'class="kv"' in ex.view_html, (name, value)  # maps drawn
            assert "\n" not in ex.message and all("\n" not in n for n in ex.notes)
            if ex.message:
                assert ex.message in ex.status.value.replace("&#x27;", "'")
            assert ex.payload_bytes <= MAX_PAYLOAD, (name, value, ex.payload_bytes)
        check_state(state)
        if name not in ("source", "play", "o", "u", "v"):
            ex.controls[name].value = before


@settings(max_examples=60, deadline=None)
@given(
    c_i=st.integers(1, 8), c_o=st.integers(1, 8), k_h=st.integers(1, 7), k_w=st.integers(1, 7),
    stride=st.integers(1, 3), padding=st.integers(0, 3), n_h=st.integers(3, 48), n_w=st.integers(3, 48),
    groups=st.integers(1, 8), dilation=st.integers(1, 3), bias=st.booleans(), seed=st.integers(0, 50),
    source=st.sampled_from(["random", "photo", "lecture"]), preset=st.sampled_from(sorted(PRESETS.values())),
    o=st.integers(0, 7), u=st.integers(0, 50), v=st.integers(0, 50),
)
def test_any_combination_gives_a_state_whose_partial_maps_sum_to_y(**kw):
    state = explore(Settings(**kw))
    check_state(state)
    for mode in (dict(), dict(projector=True, full_terms=True, view3d=True)):
        html = render(state, **mode)
        assert len(html.encode()) + len(status_html(state).encode()) <= MAX_PAYLOAD, mode


@pytest.mark.parametrize("setting, words", [
    (dict(source="random", n=4, k_h=7), "the 7×2 kernel (k_h × k_w) is larger than the 4×4 input"),
    (dict(source="random", n=3, k_h=7, k_w=7, padding=1),
     "the 7×7 kernel (k_h × k_w) is larger than the padded 5×5 input"),
])
def test_impossible_combinations_explain_themselves(explorer, setting, words):
    for name, value in setting.items():
        if name == "n":
            explorer.controls["n_h"].value = explorer.controls["n_w"].value = value
        else:
            explorer.controls[name].value = value
    assert explorer.message.startswith("no output Y: " + words) and explorer.result is None
    assert "Y: none (" + words in explorer.summary  # the summary says what is (not) shown
    assert "X: (c_i, n_h, n_w)" in explorer.summary and "K: (c_o, c_i, k_h, k_w)" in explorer.summary
    assert "X[1]" in explorer.view_html and "K[2]" in explorer.view_html  # X and K are still drawn
    assert words in explorer.view_html and words in explorer.status.value
    assert explorer.controls["u"].disabled


def test_groups_follow_the_divisors_and_depthwise_is_named():
    ex = ChannelExplorer(device="cpu", source="random", c_i=4, c_o=8, k_h=3, k_w=3, n=6)
    assert [v for _, v in ex.controls["groups"].options] == group_options(4, 8) == [1, 2, 4]
    ex.controls["groups"].value = 4
    assert "(depthwise)" in ex.summary and tuple(ex.tensors[1].shape) == (8, 1, 3, 3)
    assert "parameters 72;" in ex.summary  # 8 · 1 · 3 · 3, what torch.nn.Conv2d(4, 8, 3, groups=4) holds
    assert "MACs 1,152" in ex.summary  # 8 · 1 · 9 · 4 · 4
    check_state(ex.state)
    ex.controls["c_i"].value = 3  # 4 no longer divides: the largest divisor of gcd(3, 8) = 1 that fits
    assert ex.controls["groups"].value == 1 and "groups = 4 does not divide" in ex.notes[0]
    assert [v for _, v in ex.controls["groups"].options] == [1]
    state = explore(Settings(source="random", c_i=6, c_o=6, groups=4))
    assert state.settings.groups == 3 and "showing groups = 3" in state.notes[0]


def test_partial_maps_of_a_grouped_output_channel_read_its_group_only():
    state = explore(Settings(source="random", preset="random", c_i=6, c_o=4, groups=2, k_h=3, k_w=3, n_h=7, n_w=5,
                             o=3))
    assert list(state.group_channels) == [3, 4, 5]
    check_state(state)


def test_dilation_control():
    ex = ChannelExplorer(device="cpu", source="random", c_i=2, c_o=2, k_h=3, k_w=3, n=9)
    ex.controls["dilation"].value = 2
    assert tuple(ex.result.shape) == (2, 5, 5) and "each kernel spans 5×5" in ex.summary
    check_state(ex.state)
    e = ex.state.element
    assert e.rows == (0, 2, 4) and e.cols == (0, 2, 4)


# -- presets ---------------------------------------------------------------------------------------

def test_presets_produce_the_kernels_they_name():
    prewitt = torch.tensor([[-1.0, -1, -1], [0, 0, 0], [1, 1, 1]])
    K = preset_kernel("h_edge", 2, 2, 3, 3)
    torch.testing.assert_close(K[0, 0], prewitt)
    torch.testing.assert_close(K[0, 1], torch.zeros(3, 3))  # output 0 reads input 0 only
    torch.testing.assert_close(K[1, 1], prewitt)
    torch.testing.assert_close(preset_kernel("v_edge", 1, 1, 3, 3)[0, 0], prewitt.T)
    torch.testing.assert_close(preset_kernel("d_edge", 1, 1, 3, 3)[0, 0],
                               torch.tensor([[0.0, -1, -1], [1, 0, -1], [1, 1, 0]]))
    torch.testing.assert_close(preset_kernel("blur", 1, 1, 2, 3)[0, 0], torch.full((2, 3), 1 / 6))
    ident = preset_kernel("identity", 1, 1, 5, 5)[0, 0]
    assert ident.sum() == 1 and ident[2, 2] == 1
    edges = preset_kernel("edges", 4, 3, 3, 3)
    torch.testing.assert_close(edges[0] * 3, prewitt.expand(3, 3, 3))
    torch.testing.assert_close(edges[1] * 3, prewitt.T.expand(3, 3, 3))


def test_lecture_preset_is_k_plus_o_and_random_is_small_integers():
    state = explore(Settings(c_o=4))
    base = torch.tensor([[[0.0, 1], [2, 3]], [[1, 2], [3, 4]]])
    for o in range(4):
        torch.testing.assert_close(state.K[o], base + o)
    K = explore(Settings(source="random", preset="random", c_i=3, k_h=3, k_w=3)).K
    assert K.min() >= -2 and K.max() <= 2 and torch.equal(K, K.round())


@pytest.mark.parametrize("k", [1, 3, 5])
def test_identity_preset_copies_the_input(k):
    state = explore(Settings(source="random", preset="identity", c_i=3, c_o=5, k_h=k, k_w=k, n_h=7, n_w=6,
                             padding=(k - 1) // 2))
    for o in range(5):
        torch.testing.assert_close(state.Y[o], state.X[o % 3])


def test_blur_preset_is_the_window_average():
    state = explore(Settings(source="photo", preset="blur", c_i=3, c_o=3, k_h=3, k_w=3, n_h=20, n_w=17))
    torch.testing.assert_close(state.Y, F.avg_pool2d(state.X[None], 3, stride=1)[0], rtol=1e-5, atol=1e-5)


def test_edge_presets_fire_on_the_edges_they_name():
    step = torch.zeros(1, 8, 8)
    step[:, 4:, :] = 1.0  # a horizontal edge: dark above, bright below
    for preset, expect in [("h_edge", True), ("v_edge", False)]:
        K = preset_kernel(preset, 1, 1, 3, 3)
        Y = F.conv2d(step[None], K)[0, 0]
        assert (Y.abs().max() > 0) == expect, preset


def test_edge_preset_on_a_one_row_kernel_says_why_and_draws_random():
    state = explore(Settings(source="random", preset="h_edge", k_h=1, k_w=3, n_h=5, n_w=5))
    assert state.k_kind == "random" and "a horizontal edge needs k_h ≥ 2" in state.notes[-1]


def test_photo_is_one_size_from_the_constructor_and_the_dropdown():
    a = ChannelExplorer(device="cpu", source="photo")
    b = ChannelExplorer(device="cpu")
    b.controls["source"].value = "photo"
    for ex in (a, b):
        assert (ex.controls["n_h"].value, ex.controls["n_w"].value) == PHOTO_SIZE
        assert ex.state.x_kind == "photo" and ex.state.k_kind == "edges" and ex.notes == ()
    torch.testing.assert_close(a.state.X, b.state.X)
    torch.testing.assert_close(a.result, b.result)
    assert PHOTO_SIZE[0] >= 40  # a resolution where the edges of a face show
    # the four directions give four different detectors
    Y = a.result
    assert all(not torch.allclose(Y[o], Y[o + 1]) for o in range(3))


# -- the picture -----------------------------------------------------------------------------------

def test_picture_has_legends_values_and_the_partial_maps():
    state = explore(Settings(bias=True))
    html = render(state)
    for name in ("<b>X</b>", "<b>K</b>", "<b>partial maps and Y</b>"):
        assert name in html
    assert "value → colour" in html
    assert "X[0] ⋆ K[0, 0]" in html and "X[1] ⋆ K[0, 1]" in html and "b[0]" in html
    assert ">56</b>" in html and ">19</b>" in html and ">37</b>" in html  # Y, then the two partial maps (bold: picked)
    texts = [re.sub(r"<[^>]+>", "", t) for t in re.findall(r'<pre style="--n:3;[^"]*">(.*?)</pre>', html, re.S)]
    assert " 0  1  2 \n 3  4  5 \n 6  7  8 " in texts  # X[0]'s values, a field of 3 characters per cell
    assert f"{color(8, 9)} 6ch 9ch" in html and f"{color(0, 9)} 0ch 3ch" in html  # their cells' colours (legend 0–9)
    # the 2 × 2 window in X[0] and X[1]; the element in both partial maps, their sum, Y[0] beside them and in Y
    assert html.count('class="w"') == 8 + 5


def test_the_written_sum_names_the_element_with_u_and_v(explorer):
    labels = {explorer.controls[n].description for n in ("o", "u", "v")}
    assert labels == {"Y[o]: o", "row u", "column v"}  # i stays the input channel of notebook 1
    explorer.controls["u"].value = 1
    assert explorer.element_text.startswith("Y[0, 1, 0] = ")
    assert "Σ_i (X[i] ⋆ K[0, i])[1, 0]" in explorer.view_html


def test_written_sum_equals_every_element_while_walking(explorer):
    explorer.controls["source"].value = "random"
    for name, value in dict(c_i=3, c_o=2, k_h=3, k_w=2, n_h=5, n_w=6, padding=1, stride=2, bias=True).items():
        explorer.controls[name].value = value
    c_o, m_h, m_w = explorer.result.shape
    assert explorer.controls["play"].max >= 8 * 54 * 54 - 1  # fixed: more steps than any layer has positions
    for flat in range(2 * c_o * m_h * m_w + 3):  # past the last position the walk starts again at Y[0, 0, 0]
        explorer.controls["play"].value = flat
        o, rest = divmod(flat % (c_o * m_h * m_w), m_h * m_w)
        u, v = divmod(rest, m_w)
        assert explorer.element_text.startswith(f"Y[{o}, {u}, {v}] = ")
        assert written_value(explorer.element_text) == float(explorer.result[o, u, v])


def test_padding_products_are_left_out_of_the_written_sum():
    e = explore(Settings(source="random", c_i=2, k_h=3, k_w=3, n_h=5, n_w=5, padding=2)).element
    assert e.n_padding_terms == 2 * (9 - 1)  # the window at (0, 0) covers one input pixel per channel
    assert e.full_text().count("×") == 2


def test_picked_element_is_clamped_when_the_output_shrinks(explorer):
    explorer.controls["source"].value = "random"
    explorer.controls["n_h"].value = 10
    explorer.controls["u"].value = 8
    explorer.controls["n_h"].value = 4
    assert explorer.controls["u"].value <= explorer.result.shape[1] - 1
    assert explorer.message == ""


def test_projector_mode_has_large_text_and_a_compact_sum():
    state = explore(Settings(source="random", c_i=3, c_o=2, k_h=3, k_w=3, n_h=5, n_w=5, padding=1))
    html = render(state, projector=True)
    assert 'class="ccx proj"' in html
    sizes = [int(px) for rule in re.findall(r"\.ccx\.proj[^{]*\{([^}]*)\}", CSS)
             for px in re.findall(r"font-size:\s*(\d+)px", rule)]
    assert sizes and min(sizes) >= 18
    # every .ccx rule with a font size smaller than 18 px is overridden in projector mode
    small = {sel.strip() for sel, body in re.findall(r"(\.ccx [^{]*)\{([^}]*)\}", CSS)
             if re.search(r"font-size:\s*1[0-7]px", body)}
    covered = " ".join(re.findall(r"(\.ccx\.proj[^{]*)\{", CSS))
    for sel in small:
        assert sel.replace(".ccx ", ".ccx.proj ") in covered, sel
    assert "every product" not in html and "12 products: tick 'every term'" in html.replace("&#x27;", "'")
    assert "every product" in render(state, projector=True, full_terms=True)


def test_projector_toggle_and_payload_at_the_largest_settings():
    ex = ChannelExplorer(device="cpu", **LARGEST)
    # all, the first time (and the status again with the layer's time, measured after the picture)
    assert ex.picture_bytes + len(ex.status.value.encode()) <= ex.payload_bytes <= MAX_PAYLOAD
    ex.controls["c_o"].value = 7
    assert ex.payload_bytes <= MAX_PAYLOAD, ex.payload_bytes
    ex.controls["projector"].value = True
    assert "ccx-proj" in ex.widget._dom_classes and 'class="ccx proj"' in ex.view_html
    ex.controls["full_terms"].value = True
    ex.controls["view3d"].value = True
    assert ex.payload_bytes <= MAX_PAYLOAD, ex.payload_bytes
    # heavy redraws: every shape slider updates on release, the picked element too when the picture is heavy
    for name in ("c_i", "c_o", "k_h", "k_w", "n_h", "n_w", "stride", "padding", "dilation", "o", "u", "v"):
        assert ex.controls[name].continuous_update is False, name
    small = ChannelExplorer(device="cpu")
    assert small.controls["u"].continuous_update is True  # a light picture follows the drag


_PX = re.compile(r'<div class="m" style="width:(\d+)px;height:(\d+)px"><img[^>]*>(.*?)</div>')
_BOX_PX = re.compile(r'class="ob" style="left:(-?\d+)px;top:(-?\d+)px;width:(\d+)px;height:(\d+)px"')
_DOTS = re.compile(r'class="od" style="left:(\d+)px;top:(\d+)px;width:(\d+)px;height:(\d+)px;.*?/(\d+)px (\d+)px"')
_CELLS = re.compile(r'class="(ob|ot)" style="left:calc\(var\(--n\) \* (\d+)ch - (\d)px\);top:calc\((\d+) \* '
                    r'var\(--h\) - \dpx\);width:calc\(var\(--n\) \* (\d+)ch \+ \dpx\);height:calc\((\d+) \*')


def outlines(part: str, n_rows: int, n_cols: int) -> list:
    """Every outlined map of a part of the picture as cells: [(box (r0, r1, c0, c1), taps {(r, c)} or None), ...]."""
    found = []
    for width, height, marks in _PX.findall(part):  # image maps: pixels, `cell` per cell
        cell = int(width) // n_cols
        assert int(height) == n_rows * cell
        for left, top, w, h in _BOX_PX.findall(marks):
            r0, c0 = (int(top) + 2) // cell, (int(left) + 2) // cell  # the box 2 px outside the window
            box = (r0, r0 + (int(h) - 4) // cell, c0, c0 + (int(w) - 4) // cell)
            taps = None
            for left, top, w, h, d_c, d_r in _DOTS.findall(marks):  # a dot every dilation cells
                taps = {(int(top) // cell + a * int(d_r) // cell, int(left) // cell + b * int(d_c) // cell)
                        for a in range(-(-int(h) // int(d_r))) for b in range(-(-int(w) // int(d_c)))}
            found.append((box, taps))
    for block in part.split('<div class="kv">')[1:]:  # written values: cells of var(--n) characters
        marks = _CELLS.findall(block.split("</pre>")[0])
        boxes = [(int(r), int(r) + int(h), int(c), int(c) + int(w)) for k, c, _, r, w, h in marks if k == "ob"]
        taps = {(int(r), int(c)) for k, c, _, r, w, h in marks if k == "ot"} or None
        found += [(box, taps) for box in boxes]
    return found


@settings(max_examples=40, deadline=None)
@given(c_i=st.integers(1, 3), k=st.integers(1, 4), n=st.integers(3, 20), padding=st.integers(0, 3),
       stride=st.integers(1, 3), dilation=st.integers(1, 3), u=st.integers(0, 20), v=st.integers(0, 20))
def test_the_picked_window_is_outlined_where_it_is(c_i, k, n, padding, stride, dilation, u, v):
    """Y[o, u, v]'s window in every input channel, and its cell in the partial maps and Y[o], outlined at the right
    cells: read back from the HTML (boxes in pixels on images, in characters on written values), against the
    rows and columns the element reads (every tap, dilation apart)."""
    state = explore(Settings(source="random", preset="random", c_i=c_i, c_o=2, k_h=k, k_w=k, n_h=n, n_w=n,
                             padding=padding, stride=stride, dilation=dilation, o=1, u=u, v=v))
    if state.message:
        return
    e, s = state.element, state.settings
    parts = render_sections(state)
    size = n + 2 * padding
    window = (e.rows[0], e.rows[-1] + 1, e.cols[0], e.cols[-1] + 1)
    taps = {(r, c) for r in e.rows for c in e.cols}
    x = outlines(parts["x"], size, size)
    assert len(x) == c_i  # every input channel that Y[o] reads
    for box, marked in x:
        assert box == window
        assert marked == (taps if dilation > 1 and k > 1 else None)
    m_h, m_w = state.Y.shape[1:]
    cell = (s.u, s.u + 1, s.v, s.v + 1)
    assert outlines(parts["partial"], m_h, m_w) == [(cell, None)] * (c_i + 2)  # each partial map, the sum, Y[o]
    assert outlines(parts["y"], m_h, m_w) == [(cell, None)]  # Y[o] among the output channels


def test_a_key_press_is_answered_by_few_messages(monkeypatch):
    """Each message from the kernel is relayed by the Jupyter server and handled by the page on its own: the
    control moved is not echoed back, a widget of the picture is sent only when what it shows changes, the
    redraw's stamp rides on the last one, and a control whose range follows the picture changes in one message."""
    ex = ChannelExplorer(device="cpu", **LARGEST)
    sent = []
    monkeypatch.setattr(W.Widget, "_send", lambda self, msg, buffers=None: sent.append((self, msg)))
    names = {id(w): n for n, w in ex.controls.items()} | {id(w): n for n, w in ex.sections.items()}
    names |= {id(ex.status): "status"}

    def messages():
        out = [(names.get(id(w), "?"), m["method"], sorted(m.get("state", {}))) for w, m in sent]
        sent.clear()
        return out

    def stamped():
        return [n for n, w in ex.sections.items() if f'data-redraw="{ex.redraws}"' in w.value]

    ex.controls["u"].set_state({"value": 1})  # a key press on "row u", the way the browser sends it
    assert ex.state.settings.u == 1 and "echo_update" not in str(sent)
    assert messages() == [(n, "update", ["value"]) for n in ("x", "partial", "y")]  # its window, its cell
    assert stamped() == ["y"]
    ex.controls["c_o"].set_state({"value": 6})  # c_o: the picture first, then the groups offered, the range of o
    assert ex.result.shape[0] == 6 and "K[5]" in ex.view_html and "K[6]" not in ex.view_html
    picture = [(n, "update", ["value"]) for n in ("status", "k", "y")]
    syncs = [("groups", "update", ["_options_labels", "index"]), ("o", "update", ["max"])]
    timed = [("status", "update", ["value"])]  # a new layer: its time, measured after the picture
    assert messages() == picture + syncs + timed and "median of 5 runs" in ex.status.value
    ex.controls["c_o"].set_state({"value": 8})  # a layer timed before: its time rides with the status
    assert messages() == picture + syncs and "median of 5 runs" in ex.status.value
    ex.controls["c_o"].set_state({"value": 6})
    assert messages() == picture + syncs
    ex.controls["c_o"].set_state({"value": 6})  # the same value again: nothing is sent
    assert messages() == []
    ex.controls["full_terms"].set_state({"value": True})  # only the written sum changes: one message
    assert messages() == [("y", "update", ["value"])] and stamped() == ["y"]
    ex.controls["full_terms"].value = False
    ex.controls["source"].value = "lecture"  # back to the lecture's example: every widget, the stamp on the last
    assert ex.result.tolist() == LECTURE and stamped() == ["y"]
    assert sum(1 for n, w in ex.sections.items() if "data-redraw" in w.value) >= 1


def test_redraw_benchmark_covers_every_control():
    times = benchmark_redraws(repeat=1)
    assert set(times) >= {"c_i", "c_o", "k_h", "k_w", "stride", "padding", "n_h", "n_w", "seed", "source", "preset"}
    assert all(t > 0 for ts in times.values() for t in ts)


def test_unknown_control_is_a_clear_error():
    with pytest.raises(TypeError, match="unknown control 'size'"):
        ChannelExplorer(size=3)


def test_plain_text_repr_is_the_shapes_summary():
    """What a frontend without widgets shows (and notebook 2 stores): shapes, parameters and MACs."""
    text = ChannelExplorer(device="cpu", c_o=4)._repr_mimebundle_()["text/plain"]
    assert text == ("ChannelExplorer: X: (c_i, n_h, n_w) = (2, 3, 3); K: (c_o, c_i, k_h, k_w) = (4, 2, 2, 2); "
                    "b: none; Y: (c_o, m_h, m_w) = (4, 2, 2); parameters 32; MACs 128; FLOPs 256")


def test_more_channels_keep_the_ones_already_there():
    small = explore(Settings(source="random", preset="random", c_i=2, c_o=3, k_h=3, k_w=3, n_h=6, n_w=5, bias=True))
    more_o = explore(Settings(source="random", preset="random", c_i=2, c_o=5, k_h=3, k_w=3, n_h=6, n_w=5, bias=True))
    torch.testing.assert_close(more_o.K[:3], small.K)
    torch.testing.assert_close(more_o.b[:3], small.b)
    torch.testing.assert_close(more_o.Y[:3], small.Y)  # raising c_o adds output channels, keeps the others
    more_i = explore(Settings(source="random", preset="random", c_i=4, c_o=3, k_h=3, k_w=3, n_h=6, n_w=5))
    torch.testing.assert_close(more_i.X[:2], small.X)  # raising c_i adds input channels


def test_bench_widgets_counts_the_cpu_of_its_own_processes_by_role():
    """`make bench-widgets` reports CPU milliseconds per key press by process: a child that burns 0.3 s of CPU
    with "ipykernel" in its command line is counted as the kernel; Chromium's rewritten process title is read."""
    import subprocess
    import sys

    from tools.explorer_bench import _role, cpu_per_press, process_cpu

    assert _role(["/usr/lib/chromium/chromium --type=renderer --lang=en-US", ""]) == "renderer"
    assert _role(["/usr/lib/chromium/chromium", "--type=gpu-process"]) == "browser"
    assert _role([sys.executable, "/venv/bin/jupyter-lab", "--no-browser"]) == "server"
    assert _role([sys.executable, "-m", "ipykernel_launcher", "-f", "kernel.json"]) == "kernel"
    assert _role(["node", "cli.js"]) is None
    before = process_cpu()
    burn = ("import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass\n"
            "print('burnt', flush=True)\ntime.sleep(30)")
    child = subprocess.Popen([sys.executable, "-c", burn, "ipykernel"], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "burnt"  # it has used its 0.3 s and sleeps: still there to read
        per = cpu_per_press(before, process_cpu(), presses=3)
    finally:
        child.kill()
        child.wait()
    assert 80 <= per["kernel"] <= 200, per  # 0.3 s over 3 presses ≈ 100 ms each


def test_the_walk_steps_on_from_the_element_picked_by_hand_and_stop_goes_back_to_the_start():
    ex = ChannelExplorer(device="cpu", source="random", c_i=2, c_o=2, k_h=3, k_w=3, n=5)  # Y: 2 × 3 × 3
    ex.controls["u"].value = 1
    ex.controls["v"].value = 1  # Y[0, 1, 1], picked by hand
    walked = []
    for step in (1, 2, 3, 4, 5):  # ▶: the Play control counts up
        ex.controls["play"].value = step
        walked.append(ex.element_text.split(" = ")[0])
    assert walked == ["Y[0, 1, 2]", "Y[0, 2, 0]", "Y[0, 2, 1]", "Y[0, 2, 2]", "Y[1, 0, 0]"]
    ex.controls["o"].value = 0  # picked by hand again while it walks
    ex.controls["u"].value = 0
    ex.controls["v"].value = 2
    ex.controls["play"].value = 6
    assert ex.element_text.startswith("Y[0, 1, 0] = ")
    ex.controls["play"].value = 0  # ■: back to the start
    assert ex.element_text.startswith("Y[0, 0, 0] = ")
    ex.controls["play"].value = 1
    assert ex.element_text.startswith("Y[0, 0, 1] = ")


def test_the_picked_element_given_to_the_constructor_is_kept():
    ex = ChannelExplorer(device="cpu", source="random", n=8, k_h=3, k_w=3, o=2, u=4, v=5)
    assert ex.element_text.startswith("Y[2, 4, 5] = ")
    assert (ex.controls["o"].max, ex.controls["u"].max, ex.controls["v"].max) == (2, 5, 5)
    far = ChannelExplorer(device="cpu", source="random", n=8, k_h=3, k_w=3, u=40)  # past the output: clamped
    assert far.element_text.startswith("Y[0, 5, 0] = ") and far.controls["u"].value == 5
