"""The channel explorer, driven headless: its state, what it sends to the browser, every control and combination.

Checked against independent references: torch.nn.functional.conv2d, torch.nn.Conv2d's parameter
count, hand formulas for the MACs, the lecture's printed numbers, and kernels written out by hand.
The browser side is tested in test_frontend.py (its functions in Node) and test_browser.py (JupyterLab).
"""

import importlib
import json
import re
from pathlib import Path

import ipywidgets as W
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from ipywidgets.embed import dependency_state, embed_data

import chanconv
from chanconv._moved import MOVED
from chanconv.explorer import ChannelExplorer
from chanconv.explorer.payload import decode, encode
from chanconv.explorer.state import (
    PHOTO_SIZE,
    PRESETS,
    RANGES,
    Settings,
    explore,
    group_options,
    partial_of,
    preset_kernel,
)
from tools.explorer_bench import benchmark_redraws

LECTURE = [[[56, 72], [104, 120]], [[76, 100], [148, 172]], [[96, 128], [192, 224]]]
LARGEST = dict(source="random", preset="random", c_i=8, c_o=8, k_h=7, k_w=7, n_h=48, n_w=48, padding=3,
               bias=True)
MAX_PAYLOAD = 100_000  # bytes a full redraw sends at most (the target at the largest settings)


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
            in explorer.view.text["torch"])
    assert "median of 5 runs" in explorer.view.text["timing"]  # no single timing of a tiny convolution


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
    assert list(explorer.notes) == explorer.view.text["notes"]
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
    if hasattr(widget, "options"):
        return [v for _, v in widget.options]
    return [True, False]


def sent_picture(ex):
    """What the browser holds for the explorer's picture, decoded: (layer, {name: array or None})."""
    return ex.view.layer, {name: decode(getattr(ex.view, name)) for name in "xkbyp"}


def check_sent(ex):
    """The browser gets exactly the state's tensors (and the partial maps of the picked o among those sent)."""
    state = ex.state
    layer, got = sent_picture(ex)
    s = state.settings
    assert (layer["c_i"], layer["c_o"], layer["k_h"], layer["k_w"], layer["stride"], layer["padding"],
            layer["dilation"], layer["groups"]) == (s.c_i, s.c_o, s.k_h, s.k_w, s.stride, s.padding, s.dilation,
                                                    s.groups)
    assert torch.equal(torch.from_numpy(got["x"]), state.X) and torch.equal(torch.from_numpy(got["k"]), state.K)
    assert (got["b"] is None) == (state.b is None) and (state.b is None or torch.equal(torch.from_numpy(got["b"]), state.b))
    assert ex.view.text["summary"] == list(state.lines) and "; ".join(state.lines) == state.summary
    if state.Y is None:
        assert got["y"] is None and got["p"] is None and layer["m_h"] == 0
        return
    assert torch.equal(torch.from_numpy(got["y"]), state.Y) and (layer["m_h"], layer["m_w"]) == tuple(state.Y.shape[1:])
    first = ex.view.p["first"]
    assert first <= s.o < first + got["p"].shape[0]
    assert torch.equal(torch.from_numpy(got["p"][s.o - first]), state.partial)
    assert (ex.view.o, ex.view.u, ex.view.v) == (s.o, s.u, s.v)


@pytest.mark.parametrize("start", [dict(), dict(source="random", n=5, padding=1, bias=True), dict(source="photo")],
                         ids=["lecture", "random", "photo"])
def test_every_value_of_every_control_gives_a_picture(start):
    ex = ChannelExplorer(device="cpu", **start)
    for name in ex.controls:
        before = ex.controls[name].value
        for value in control_values(ex, name):
            ex.controls[name].value = value
            assert ex.summary, (name, value)
            assert ex.view.x and ex.view.k and ex.view.layer["c_i"] == ex.state.settings.c_i, (name, value)
            assert "\n" not in ex.message and all("\n" not in n for n in ex.notes)
            if ex.message:
                assert ex.view.text["message"] == ex.message
            assert ex.payload_bytes <= MAX_PAYLOAD, (name, value, ex.payload_bytes)
        check_state(ex.state)
        check_sent(ex)
        if name not in ("source", "o", "u", "v"):
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
    for tensor in (state.X, state.K, state.b, state.Y, state.partial):  # what the browser gets is exact
        item = encode(tensor)
        assert (decode(item) is None) if tensor is None else torch.equal(torch.from_numpy(decode(item)), tensor)


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
    check_sent(explorer)  # X and K are still sent, to be drawn
    assert words in explorer.view.text["message"] and "Y: none (" + words in " ".join(explorer.view.text["summary"])
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


# -- what the browser gets ------------------------------------------------------------------------

def test_arrays_travel_in_the_smallest_exact_type():
    lecture = explore(Settings())
    assert encode(lecture.X)["dtype"] == "uint8" and encode(lecture.Y)["dtype"] == "uint8"
    largest = explore(Settings(**LARGEST))
    assert encode(largest.X)["dtype"] == "uint8" and encode(largest.K)["dtype"] == "int8"
    assert encode(largest.Y)["dtype"] == "int16" and encode(largest.Y)["z"]  # compressed: it halves integer maps
    photo = explore(Settings(source="photo", c_i=3, n_h=PHOTO_SIZE[0], n_w=PHOTO_SIZE[1], k_h=3, k_w=3))
    x = encode(photo.X)
    assert (x["dtype"], x["scale"]) == ("uint8", 0.01)  # hundredths
    assert encode(photo.Y)["dtype"] == "float32"
    assert encode(torch.tensor([1.0, 1e6]))["dtype"] == "int32" and encode(torch.tensor([0.5, -300.0]))["dtype"] == "int16"
    assert encode(None) == {} and decode({}) is None


def test_the_browser_gets_the_states_numbers(explorer):
    check_sent(explorer)
    layer = explorer.view.layer
    assert layer["scales"] == {"x": [9.0, False], "k": [6.0, False], "y": [224.0, False]}  # one scale per role
    assert explorer.view.p["shape"] == [3, 2, 2, 2]  # small: every output channel's partial maps
    for name, value in dict(source="random", c_i=3, c_o=2, k_h=3, k_w=2, n_h=5, n_w=6, padding=1, stride=2,
                            bias=True, dilation=2, o=1, u=1, v=1).items():
        explorer.controls[name].value = value
        check_sent(explorer)
    large = ChannelExplorer(device="cpu", **LARGEST)
    check_sent(large)
    assert large.view.p["shape"] == [1, 8, 48, 48] and large.view.p["first"] == 0  # the picked o's only
    assert large.view.layer["scales"]["k"][1] is True  # K has negative values: a signed legend


def test_a_full_redraw_and_the_first_display_stay_small():
    ex = ChannelExplorer(device="cpu", **LARGEST)
    state = dependency_state([ex.widget, *ex.links], drop_defaults=False)  # what a notebook stores, the source included
    stored = embed_data(views=[ex.widget], state=state, drop_defaults=False)["manager_state"]["state"]  # every model, buffers in base64
    models = {m["model_name"] for m in stored.values()}
    assert {"AnyModel", "IntSliderModel", "LinkModel", "DropdownModel"} <= models
    assert any(len(m["state"].get("_esm", "")) > 10_000 for m in stored.values())
    assert len(json.dumps(stored)) <= 250_000, len(json.dumps(stored))  # the first display, its source included
    ex.controls["seed"].value = 1  # new X, K, b, Y, partial maps: everything
    assert 20_000 <= ex.payload_bytes <= MAX_PAYLOAD, ex.payload_bytes
    check_sent(ex)


def test_only_what_changed_is_sent(monkeypatch):
    """A control sends the arrays it changes, in one message of the picture; a pick in the page sends nothing back
    (its sliders follow there through links); another output channel's pick sends its partial maps only."""
    ex = ChannelExplorer(device="cpu", **LARGEST)
    sent = []
    monkeypatch.setattr(W.Widget, "_send", lambda self, msg, buffers=None: sent.append((self, msg, buffers or [])))
    names = {id(w): n for n, w in ex.controls.items()} | {id(ex.view): "view"}

    def messages():
        out = [(names.get(id(w), "?"), sorted(m.get("state", {}))) for w, m, _ in sent if m.get("method") == "update"]
        sent.clear()
        return out

    ex.controls["c_o"].set_state({"value": 7})  # a key press on c_o, the way the page sends it
    view = [m for m in messages() if m[0] == "view"]
    assert view[0] == ("view", ["b", "k", "layer", "redraw", "text", "y"])  # X and Y[0]'s partial maps stay
    assert view[1:] == [("view", ["text"])]  # the new layer's time, measured after the picture
    ex.controls["c_o"].set_state({"value": 7})  # the same value again: nothing
    assert messages() == []
    ex.view.set_state({"u": 3, "v": 4})  # a click in Y[0] in the page: the view's o, u, v ...
    ex.controls["u"].set_state({"value": 3})  # ... and the sliders the page's links moved there
    ex.controls["v"].set_state({"value": 4})
    assert ex.state.element.name == "Y[0, 3, 4]" and messages() == []  # nothing goes back
    assert (ex.controls["u"].value, ex.controls["v"].value) == (3, 4)
    ex.view.set_state({"o": 5})  # a click in Y[5]: its partial maps go, nothing else
    ex.controls["o"].set_state({"value": 5})
    assert messages() == [("view", ["p", "redraw"])] and ex.view.p["first"] == 5
    assert ex.state.settings.o == 5 and ex.state.partial.shape == (8, 48, 48)
    ex.controls["u"].value = 7  # code moves a slider: the slider and the picture in the page follow
    assert messages() == [("u", ["value"]), ("view", ["u"])]
    assert (ex.view.u, ex.state.settings.u) == (7, 7)
    ex.controls["full_terms"].set_state({"value": True})  # a display switch in the page: linked there, nothing sent
    assert messages() == [] and ex.controls["full_terms"].value  # the page's picture sends its own copy


def test_every_output_channel_s_partial_maps_go_ahead_when_the_page_asks(monkeypatch):
    """The page, its picture still, asks for every Y[o]'s partial maps: one message answers (only for the picture
    the page shows), exact, and from then on a pick in another output channel sends nothing."""
    ex = ChannelExplorer(device="cpu", **LARGEST)
    replies = []
    ex.view.send = lambda content, buffers=None: replies.append((content, buffers))
    ex.view._answer(ex.view, {"kind": "partials?", "redraw": ex.view.redraw - 1}, [])  # an older picture's question
    assert replies == []
    ex.view._answer(ex.view, {"kind": "partials?", "redraw": ex.view.redraw}, [])
    (content, buffers), = replies
    assert content["kind"] == "partials" and content["redraw"] == ex.view.redraw and content["first"] == 0
    every = decode({**content, "data": buffers[0]})
    assert every.shape == (8, 8, 48, 48)
    for o in (0, 3, 7):
        assert torch.equal(torch.from_numpy(every[o]), partial_of(ex.state, o))
    assert len(buffers[0]) <= 512 * 1024
    sent = []
    monkeypatch.setattr(W.Widget, "_send", lambda self, msg, buffers=None: sent.append(msg))
    ex.view.set_state({"o": 5, "u": 2})  # a click in Y[5] in the page, and the sliders its links moved
    ex.controls["o"].set_state({"value": 5})
    ex.controls["u"].set_state({"value": 2})
    assert ex.state.element.name == "Y[5, 2, 0]"
    assert [m for m in sent if m.get("method") == "update"] == []  # nothing: the page has Y[5]'s partial maps
    ex.controls["c_o"].value = 7  # a new layer: its partial maps travel with the picture again until asked
    assert ex.view.p["first"] == 5 and ex.view.p["shape"][0] == 1


def test_a_page_without_python_is_told_and_a_kernel_answers():
    ex = ChannelExplorer(device="cpu")
    replies = []
    ex.view.send = lambda content, buffers=None: replies.append(content)
    ex.view._answer(ex.view, {"kind": "ping"}, [])
    assert replies == [{"kind": "pong"}]
    assert ex.view.static is False  # the site and slide builds set it in the stored state (scripts/widget_embed.py)


def test_the_picked_element_follows_the_sliders_and_its_sum_is_python_s(explorer):
    explorer.controls["source"].value = "random"
    for name, value in dict(c_i=3, c_o=2, k_h=3, k_w=2, n_h=5, n_w=6, padding=1, stride=2, bias=True).items():
        explorer.controls[name].value = value
    c_o, m_h, m_w = explorer.result.shape
    for o in range(c_o):
        for u in range(m_h):
            for v in range(m_w):
                explorer.controls["o"].value, explorer.controls["u"].value, explorer.controls["v"].value = o, u, v
                assert (explorer.view.o, explorer.view.u, explorer.view.v) == (o, u, v)
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
    assert explorer.view.u == explorer.controls["u"].value
    assert explorer.message == ""


def test_projector_and_the_display_switches_at_the_largest_settings():
    ex = ChannelExplorer(device="cpu", **LARGEST)
    ex.controls["projector"].value = True
    assert "ccx-proj" in ex.widget._dom_classes and ex.view.projector
    ex.controls["full_terms"].value = True
    ex.controls["view3d"].value = True
    ex.controls["gradient"].value = True
    assert ex.view.full_terms and ex.view.view3d and ex.view.gradient
    assert ex.payload_bytes < 1_000  # drawn in the page: nothing to send
    for name in ("c_i", "c_o", "k_h", "k_w", "n_h", "n_w", "stride", "padding", "dilation"):
        assert ex.controls[name].continuous_update is False, name  # a new layer on release
    linked = {(link.source[0], link.source[1], link.target[1]) for link in ex.links}
    assert {(ex.controls[n], "value", n) for n in ("o", "u", "v", "projector", "full_terms", "view3d",
                                                   "gradient")} == linked
    assert all(link.target[0] is ex.view for link in ex.links)


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


def test_the_picked_element_given_to_the_constructor_is_kept():
    ex = ChannelExplorer(device="cpu", source="random", n=8, k_h=3, k_w=3, o=2, u=4, v=5)
    assert ex.element_text.startswith("Y[2, 4, 5] = ")
    assert (ex.controls["o"].max, ex.controls["u"].max, ex.controls["v"].max) == (2, 5, 5)
    far = ChannelExplorer(device="cpu", source="random", n=8, k_h=3, k_w=3, u=40)  # past the output: clamped
    assert far.element_text.startswith("Y[0, 5, 0] = ") and far.controls["u"].value == 5


def test_the_old_html_renderer_is_removed_not_kept_beside_the_new_one():
    """The picture is drawn in the browser only (explorer.js): no Python module writes it as HTML or SVG any
    more (the old html.py and view3d.py, their PNG encoder, CSS gradients and calc() outlines), and no old
    name leads there."""
    package = Path(chanconv.__file__).parent
    assert not (package / "explorer" / "html.py").exists() and not (package / "explorer" / "view3d.py").exists()
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("chanconv.explorer.html")
    assert not any(name.startswith(("explorer_html", "explorer_3d")) for name in MOVED)
    drawn = re.compile(r"<(svg|td|table|div|span|img|canvas)\b|linear-gradient|calc\(|IHDR")
    writers = [str(p.relative_to(package)) for p in package.rglob("*.py") if drawn.search(p.read_text("utf-8"))]
    assert writers == [], f"modules that still write the picture as HTML: {writers}"
