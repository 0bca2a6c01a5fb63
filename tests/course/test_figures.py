"""The figures draw what their captions say: structure, values and colour scales."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import chanconv as cc  # noqa: E402
from chanconv.course.data import lecture_K, lecture_X  # noqa: E402
from chanconv.course.figures import (  # noqa: E402
    CHANNEL_CMAPS,
    DIVERGING,
    label_number,
    plot_maps,
    plot_multi_in_out,
    plot_partial_maps,
    plot_photo_channels,
    plot_volume,
    sym,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts] + [t.get_text() for t in fig.texts]


def test_multi_in_out_draws_inputs_once_kernels_partials_and_outputs():
    X, K = lecture_X(), lecture_K()
    K3 = torch.stack((K, K + 1, K + 2))
    fig = plot_multi_in_out(X, K3)
    assert len(fig.axes) == 1, "one axes: every cell has the same size"
    ax = fig.axes[0]
    assert ax.get_aspect() == 1.0
    t = texts(fig)
    assert t.count(r"input $\mathbf{X}_{0}$") == 1 and t.count(r"input $\mathbf{X}_{1}$") == 1
    for o in range(3):
        assert sym("Y", o) in t
        for i in range(2):
            assert sym("K", o, i) in t and f"{sym('X', i)} ★ {sym('K', o, i)}" in t
    assert t.count("+") == 3 * (2 - 1)          # between the c_i partial results of each row
    assert len([p for p in ax.patches if type(p).__name__ == "FancyArrowPatch"]) == 3
    Y = cc.corr2d_multi_in_out(X, K3)
    for v in Y.flatten().tolist() + [19, 25, 37, 43, 37, 47, 67, 77]:   # outputs and partial results
        assert str(int(v)) in t


def test_multi_in_out_1x1_pairs_every_input_with_a_kernel():
    fig = plot_multi_in_out(torch.arange(27.0).reshape(3, 3, 3), torch.ones(2, 3, 1, 1))
    t = texts(fig)
    assert sum(s.startswith(r"input $\mathbf{X}_{") for s in t) == 3
    assert sum(s.startswith(r"$\mathbf{K}_{") for s in t) == 6
    assert t.count("+") == 2 * 2


def test_multi_in_out_shows_the_bias():
    fig = plot_multi_in_out(lecture_X(), lecture_K()[None], bias=torch.tensor([5.0]))
    assert any("+ $b_{0}$" in s for s in texts(fig))
    assert "61" in texts(fig)  # 56 + 5


def test_partial_maps_figure_writes_the_partials_and_their_sum():
    fig = plot_partial_maps(lecture_X(), lecture_K())
    t = texts(fig)
    for v in (19, 25, 37, 43, 47, 67, 77, 56, 72, 104, 120):
        assert str(v) in t
    assert t.count("+") == 1 and t.count("=") == 1


def test_partial_maps_figure_of_a_photo_has_shared_colourbar():
    g = torch.Generator().manual_seed(0)
    X = torch.rand(3, 20, 20, generator=g)
    W = torch.randn(2, 3, 3, 3, generator=g)
    fig = plot_partial_maps(X, W, 1, bias=torch.tensor([0.0, 0.5]), padding=1, input_cmaps=CHANNEL_CMAPS)
    images = [ax.images[0] for ax in fig.axes if ax.images and ax.images[0].get_array().shape == (20, 20)]
    bottom = images[3:]  # 3 inputs, then partials, sum, Y
    assert len(bottom) == 5
    clims = {im.get_clim() for im in bottom}
    assert len(clims) == 1 and list(clims)[0][0] == -list(clims)[0][1]
    assert any("+ $b_{1}$" in s for s in texts(fig))
    cbars = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
    assert len(cbars) == 3 + 1


def test_photo_channels_go_from_black_to_colour_with_colourbars():
    for cmap, rgb in zip(CHANNEL_CMAPS, [(1, 0, 0), (0, 1, 0), (0, 0, 1)]):
        assert np.allclose(cmap(0.0)[:3], (0, 0, 0))
        assert np.allclose(cmap(1.0)[:3], rgb)
    fig = plot_photo_channels(torch.rand(3, 10, 8))
    assert len([ax for ax in fig.axes if ax.get_label() == "<colorbar>"]) == 3
    for ax in fig.axes[1:4]:
        assert ax.images[0].get_clim() == (0, 1)


def test_plot_maps_colourbars_and_ranges():
    fig = plot_maps([torch.zeros(4, 4), torch.ones(4, 4), torch.rand(4, 4, 3)], ["a", "b", "rgb"],
                    ranges=[(-1, 1), (0, 2), None])
    assert len([ax for ax in fig.axes if ax.get_label() == "<colorbar>"]) == 2  # not for RGB
    assert fig.axes[0].images[0].get_clim() == (-1, 1)


def test_volume_draws_x_kernel_blocks_side_by_side_and_y_stacked():
    fig = plot_volume(c_i=2, n_h=4, n_w=4, k_h=2, k_w=2, c_o=3)
    panels = [ax for ax in fig.axes if ax.name == "3d"]
    # top row: X, one kernel block, Y[0]; bottom row: X, c_o kernel blocks, Y
    assert len(panels) == 3 + (3 + 2)
    bottom = sorted((ax for ax in panels if ax.get_position().y0 < 0.5), key=lambda ax: ax.get_position().x0)
    boxes = [ax.get_position() for ax in bottom]
    assert all(a.x1 <= b.x0 + 1e-9 for a, b in zip(boxes, boxes[1:]))  # side by side, no overlap
    t = "\n".join(texts(fig))
    assert r"input $\mathbf{X}$: 2 × 4 × 4" in t and r"output $\mathbf{Y}$: $c_o \times m_h \times m_w$" + "\n= 3 × 3 × 3" in t
    assert r"$\mathbf{K}_{0}$: 2 × 2 × 2" in t and r"$\mathbf{K}_{2}$: 2 × 2 × 2" in t
    assert r"$c_o \times c_i \times k_h \times k_w$ = 3 × 2 × 2 × 2" in t
    with pytest.raises(ValueError, match="larger than the input"):
        plot_volume(n_h=2, k_h=3)
    with pytest.raises(ValueError, match="outside"):
        plot_volume(n_h=5, k_h=3, row=3)
    with pytest.raises(ValueError, match="at most 6"):
        plot_volume(c_o=7)


def test_partial_maps_figure_adds_the_bias_and_names_y_o():
    K = lecture_K()
    fig = plot_partial_maps(lecture_X(), torch.stack((K, K + 1, K + 2)), 1, bias=torch.tensor([1.0, -2.0, 3.0]))
    t = texts(fig)
    for v in (27, 37, 57, 67, 49, 63, 91, 105, 76, 100, 148, 172, 74, 98, 146, 170):  # partials, sum, Y[1]
        assert str(v) in t
    assert "+ $b_{1}$ =" in t
    assert r"$\mathbf{Y}_{1}$ = sum + $b_{1}$" + "\n($b_{1}$ = \u22122)" in [ax.get_title() for ax in fig.axes]


def test_labels_are_mathtext_with_a_real_minus_sign():
    """Figure text names symbols in mathtext and writes negative numbers with U+2212, never a hyphen."""
    assert sym("K", 1, 0) == r"$\mathbf{K}_{1,0}$" and sym("X") == r"$\mathbf{X}$"
    assert label_number(-0.299) == "\u22120.299" and label_number(3.0) == "3"
    K = torch.tensor([[[[-1.0, 2.0], [0.5, -0.25]]]])
    fig = plot_partial_maps(torch.ones(1, 3, 3), K[0], bias=None)
    t = texts(fig) + [ax.get_title() for ax in fig.axes]
    assert "\u22121" in t and "\u22120.25" in t
    assert not any(s.startswith("-") for s in t), "a hyphen where a minus sign belongs"
    fig.canvas.draw()  # every mathtext label parses


def test_signed_maps_use_a_diverging_map_that_is_not_red_green_blue():
    """The partial maps of a colour photo must not paint positive red and negative blue (issue 20)."""
    g = torch.Generator().manual_seed(0)
    fig = plot_partial_maps(torch.rand(3, 20, 20, generator=g), torch.randn(1, 3, 3, 3, generator=g), 0,
                            padding=1, value_label="blue − red")
    bottom = [ax.images[0] for ax in fig.axes if ax.images and ax.images[0].get_cmap().name == DIVERGING]
    assert len(bottom) == 4
    # none of the maps whose ends are red, green or blue (RdBu & co.)
    red_green_blue = {"RdBu", "bwr", "seismic", "coolwarm", "RdYlBu", "RdYlGn", "PiYG", "PRGn", "RdGy", "BrBG"}
    assert DIVERGING.removesuffix("_r") not in red_green_blue
    assert [ax for ax in fig.axes if ax.get_label() == "<colorbar>" and ax.get_ylabel() == "blue − red"], "labelled"
