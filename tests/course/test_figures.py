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
    plot_maps,
    plot_multi_in_out,
    plot_partial_maps,
    plot_photo_channels,
    plot_volume,
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
    assert t.count("input X[0]") == 1 and t.count("input X[1]") == 1
    for o in range(3):
        assert f"Y[{o}]" in t
        for c in range(2):
            assert f"K[{o}, {c}]" in t and f"X[{c}] ★ K[{o}, {c}]" in t
    assert t.count("+") == 3 * (2 - 1)          # between the c_i partial results of each row
    assert len([p for p in ax.patches if type(p).__name__ == "FancyArrowPatch"]) == 3
    Y = cc.corr2d_multi_in_out(X, K3)
    for v in Y.flatten().tolist() + [19, 25, 37, 43, 37, 47, 67, 77]:   # outputs and partial results
        assert str(int(v)) in t


def test_multi_in_out_1x1_pairs_every_input_with_a_kernel():
    fig = plot_multi_in_out(torch.arange(27.0).reshape(3, 3, 3), torch.ones(2, 3, 1, 1))
    t = texts(fig)
    assert sum(s.startswith("input X[") for s in t) == 3
    assert sum(s.startswith("K[") for s in t) == 6
    assert t.count("+") == 2 * 2


def test_multi_in_out_shows_the_bias():
    fig = plot_multi_in_out(lecture_X(), lecture_K()[None], bias=torch.tensor([5.0]))
    assert any("+ b[0]" in s for s in texts(fig))
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
    assert any("+ b[1]" in s for s in texts(fig))
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
    assert "input X: 2 × 4 × 4" in t and "output Y: c_o × m_h × m_w\n= 3 × 3 × 3" in t
    assert "K[0]: 2 × 2 × 2" in t and "K[2]: 2 × 2 × 2" in t and "c_o × c_i × k_h × k_w = 3 × 2 × 2 × 2" in t
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
    assert "+ b[1] =" in t
    assert "Y[1] = sum + b[1]\n(b[1] = -2)" in [ax.get_title() for ax in fig.axes]
