# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% slideshow={"slide_type": "skip"} tags=["colab-setup"]
# Only in Google Colab (anywhere else this cell does nothing): install chanconv from its repository.
import subprocess
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "chanconv @ git+https://github.com/chanconv/chanconv"], check=True)

# %% [markdown] slideshow={"slide_type": "slide"}
# # 2. Multiple output channels
#
# Notebook 1 summed $c_i$ input channels into **one** output channel.

# %% [markdown] slideshow={"slide_type": "notes"}
# A layer that could only make
# one channel would be weak: popular networks grow the number of channels layer after layer,
# trading spatial resolution for channel depth. The idea is simple: for every output channel
# take its own $c_i \times k_h \times k_w$ kernel, and **stack** the results.
#
# This notebook shows
# 1. the kernel tensor of shape $c_o \times c_i \times k_h \times k_w$, drawn as blocks, and the lecture's
#    $\mathbf{K}$, $\mathbf{K} + 1$, $\mathbf{K} + 2$;
# 2. the three output channels 56 72 / 104 120, 76 100 / 148 172, 96 128 / 192 224;
# 3. the same code in MXNet and TensorFlow, and their tensor layouts (NCHW and NHWC);
# 4. each output channel as a detector: edge and blur kernels applied to a photo, and one
#    output channel taken apart into its per-channel maps.

# %% slideshow={"slide_type": "skip"}
import matplotlib.pyplot as plt
import torch

import chanconv
from chanconv import tr
from chanconv.course.data import lecture_K, lecture_X, load_photo
from chanconv.course.element import element_terms
from chanconv.course.figures import CHANNEL_CMAPS, plot_maps, plot_multi_in_out, plot_partial_maps, plot_volume
from chanconv.course.layouts import conv2d_nhwc, nchw_to_nhwc, nhwc_to_nchw, oihw_to_hwio
from chanconv.course.partials import partial_maps

torch.manual_seed(0)
device = chanconv.default_device()
print(tr("device:"), device)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## One kernel per output channel
#
# For $c_o$ output channels we need $c_o$ kernels of shape $c_i \times k_h \times k_w$, stacked on a
# new first axis: the kernel tensor has shape $\boldsymbol{c_o \times c_i \times k_h \times k_w}$
# (PyTorch's `Conv2d.weight` layout).

# %% [markdown] slideshow={"slide_type": "notes"}
# Output channel $o$ is the multi-input cross-correlation of
# $\mathbf{X}$ with kernel $\mathbf{K}_o$ (notebook 1), one kernel channel $\mathbf{K}_{o,i}$ per input
# channel:

# %% [markdown] slideshow={"slide_type": "-"}
# $$\mathbf{Y}_{o} = \mathbf{X} \star \mathbf{K}_{o} = \sum_{i=0}^{c_i-1} \mathbf{X}_{i} \star \mathbf{K}_{o,i},
# \qquad o = 0, \dots, c_o - 1$$

# %% [markdown] slideshow={"slide_type": "notes"}
# $$\mathbf{X}: c_i \times n_h \times n_w,\qquad
# \mathbf{K}: c_o \times c_i \times k_h \times k_w,\qquad
# \mathbf{Y}: c_o \times m_h \times m_w$$
#
# Every output channel reads **all** input channels, through its own kernel.

# %% [markdown] slideshow={"slide_type": "subslide"}
# As volumes: the input is a block of $c_i \times n_h \times n_w$ numbers (one cube per number,
# channel 0 in front, row 0 on top).

# %% [markdown] slideshow={"slide_type": "notes"}
# One kernel is a block of $c_i \times k_h \times k_w$: as deep as
# the input, so at each position of the window (gold) it multiplies all $c_i$ channels at once and
# gives **one** number of one output channel. $c_o$ kernel blocks give $c_o$ output channels,
# stacked into $\mathbf{Y}$ of $c_o \times m_h \times m_w$. All blocks are drawn at the same scale.
# What to see: top row, the kernel block $\mathbf{K}_0$ is exactly the size of the gold window, and
# the window gives the solid cell of $\mathbf{Y}_0$; bottom row, the $c_o = 3$ kernel blocks side by
# side, each applied to the same gold window, and $\mathbf{Y}$ with its three channels stacked one
# behind the other, each in its kernel's colour (on $\mathbf{Y}$'s top face the solid cells of
# $\mathbf{Y}_0$, $\mathbf{Y}_1$, $\mathbf{Y}_2$ lie one behind the other). Sliding the window fills
# the rest of each output channel.

# %% slideshow={"slide_type": "-"}
fig = plot_volume(c_i=3, n_h=5, n_w=5, k_h=3, k_w=3, c_o=3)

# %% slideshow={"slide_type": "notes"}
def corr2d_multi_in_out(X, K):
    # walk the output-channel axis (axis 0) of K; each k has shape (c_i, k_h, k_w)
    return torch.stack([chanconv.corr2d_multi_in(X, k) for k in K], 0)


# %% [markdown] slideshow={"slide_type": "slide"}
# ## The lecture's example: K, K + 1, K + 2
#
# The lecture makes three output channels from its kernel $\mathbf{K}$ by adding 1 and 2 to every
# entry, and stacks them:

# %% slideshow={"slide_type": "-"}
X = lecture_X(device)
K = lecture_K(device)
K = torch.stack((K, K + 1, K + 2), 0)
print("X:", tuple(X.shape), " K:", tuple(K.shape))

# %% [markdown] slideshow={"slide_type": "subslide"}
# $3 \times 2 \times 2 \times 2$: $c_o = 3$ output channels, $c_i = 2$ input channels, $2 \times 2$ kernels.

# %% slideshow={"slide_type": "subslide"}
Y = corr2d_multi_in_out(X, K)
print(Y)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The first channel is the 56 72 / 104 120 of notebook 1: $\mathbf{K}_0$ is that notebook's $\mathbf{K}$.

# %% [markdown] slideshow={"slide_type": "notes"}
# Our
# function equals chanconv's, and the general layer `chanconv.conv2d` (every method) agrees:

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
print(tr("equals chanconv.corr2d_multi_in_out:"), torch.equal(Y, chanconv.corr2d_multi_in_out(X, K)))
for method in ["loops", "unfold", "im2col", "im2row", "shift", "fft", "torch"]:
    same = torch.allclose(chanconv.conv2d(X, K, method=method), Y)
    print(f"conv2d(method={method!r:9})", tr("gives the same Y:"), same)

# %% [markdown] slideshow={"slide_type": "subslide"}
# What to see: the two inputs are drawn once, on top.

# %% [markdown] slideshow={"slide_type": "notes"}
# Row $o$ is output channel $o$: under input
# $\mathbf{X}_i$ (same tint) its kernel $\mathbf{K}_{o,i}$ and the partial result
# $\mathbf{X}_i \star \mathbf{K}_{o,i}$; the partial results are added (+) into $\mathbf{Y}_o$. Adding 1
# to every kernel entry adds the sum of each window (20 for the first element: $0+1+3+4$ plus
# $1+2+4+5$) to the output: $56 + 20 = 76$, and once more, 96.

# %% slideshow={"slide_type": "-"}
fig = plot_multi_in_out(X.cpu(), K.cpu())

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
for o in range(3):
    print(f"Y[{o}, 0, 0] =", element_terms(X, K, o, 0, 0).text())
print(tr("sum of the first window over both channels:"), float(X[:, :2, :2].sum()))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The same code in MXNet and TensorFlow
#
# The lecture's other sources write this section in MXNet (the lecture, Dive into Deep Learning)
# and in TensorFlow (D2L's TensorFlow edition).

# %% [markdown] slideshow={"slide_type": "notes"}
# Only the names of the sum and the stack change
# (shown as text; the course runs on PyTorch):
#
# ```python
# # MXNet (NDArray)                                  # PyTorch (this course)
# def corr2d_multi_in(X, K):                         def corr2d_multi_in(X, K):
#     return nd.add_n(*[d2l.corr2d(x, k)                 return sum(corr2d(x, k)
#                       for x, k in zip(X, K)])                     for x, k in zip(X, K))
#
# def corr2d_multi_in_out(X, K):                     def corr2d_multi_in_out(X, K):
#     return nd.stack(*[corr2d_multi_in(X, k)            return torch.stack([corr2d_multi_in(X, k)
#                       for k in K])                                         for k in K], 0)
#
# # TensorFlow
# def corr2d_multi_in(X, K):
#     return tf.reduce_sum([corr2d(x, k) for x, k in zip(X, K)], axis=0)
#
# def corr2d_multi_in_out(X, K):
#     return tf.stack([corr2d_multi_in(X, k) for k in K])
# ```
#
# `nd.add_n(*maps)`, `tf.reduce_sum(maps, axis=0)` and Python's `sum(maps)` all add the $c_i$
# maps; `nd.stack`, `tf.stack` and `torch.stack` put the $c_o$ maps on a new axis 0. These
# functions use the lecture's layout in all three: `X` as $c_i \times n_h \times n_w$, `K` as
# $c_o \times c_i \times k_h \times k_w$.
#
# The frameworks' **layers** differ. PyTorch's `nn.Conv2d` and MXNet's `nn.Conv2D` take inputs
# as **NCHW**, $(\text{batch}, c_i, n_h, n_w)$, and store kernels as $\boldsymbol{(c_o, c_i, k_h, k_w)}$.
# TensorFlow's `tf.nn.conv2d` and `keras.layers.Conv2D` take **NHWC** inputs,
# $(\text{batch}, n_h, n_w, c_i)$, channels last, and kernels as $\boldsymbol{(k_h, k_w, c_i, c_o)}$;
# the output is NHWC too. Moving weights or data between them is a transpose (`permute`), never a
# `reshape`. The check below converts the lecture's `X` and `K` to TensorFlow's layout, computes the
# layer in that layout with NumPy (`chanconv.course.layouts.conv2d_nhwc`, for sample $n$, output
# row $u$, column $v$ and channel $o$:
# $Y_{n,u,v,o} = \sum_{a,e,i} X_{n,\,u+a,\,v+e,\,i}\, K_{a,e,i,o}$), and converts back:

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
X_nhwc = nchw_to_nhwc(X[None].cpu())             # (batch, n_h, n_w, c_i) = (1, 3, 3, 2)
K_hwio = oihw_to_hwio(K.cpu())                    # (k_h, k_w, c_i, c_o) = (2, 2, 2, 3)
Y_nhwc = conv2d_nhwc(X_nhwc.numpy(), K_hwio.numpy())
print(tr("TensorFlow layout:"), "X", tuple(X_nhwc.shape), " K", tuple(K_hwio.shape), " Y", Y_nhwc.shape)
Y_back = nhwc_to_nchw(torch.from_numpy(Y_nhwc))[0].float()
print(tr("back to (c_o, m_h, m_w):"), tuple(Y_back.shape), tr(" equals Y:"), torch.equal(Y_back, Y.cpu()))
wrong = K.cpu().reshape(2, 2, 2, 3)              # a reshape keeps the memory order: wrong
Y_wrong = conv2d_nhwc(X_nhwc.numpy(), wrong.numpy())
print(tr("a reshape instead of the transpose gives the same Y:"), bool((Y_wrong == Y_nhwc).all()))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Each output channel is a detector
#
# Intuitively each output channel responds to its own pattern.

# %% [markdown] slideshow={"slide_type": "notes"}
# Below, $c_o = 4$ kernels of shape
# $3 \times 3 \times 3$ ($c_i = 3$ for the photo's red, green and blue) are stacked into one
# $4 \times 3 \times 3 \times 3$ kernel tensor: a horizontal-edge detector, a vertical-edge detector, a blur, and a
# "blue minus red" colour detector. Each of the first three uses the same 3 × 3 pattern on all
# three colour channels, weighted by the luminance; the last one weighs the channels differently
# and has no spatial pattern at all.

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
luma = torch.tensor([0.299, 0.587, 0.114])
sobel = torch.tensor([[1.0, 2.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -2.0, -1.0]])
blur = torch.full((3, 3), 1 / 9)
centre = torch.zeros(3, 3)
centre[1, 1] = 1.0
detectors = {
    tr("horizontal edges"): torch.einsum("c,hw->chw", luma, sobel),
    tr("vertical edges"): torch.einsum("c,hw->chw", luma, sobel.T),
    tr("blur"): torch.einsum("c,hw->chw", luma, blur),
    tr("blue minus red"): torch.einsum("c,hw->chw", torch.tensor([-1.0, 0.0, 1.0]), centre),
}
W = torch.stack(list(detectors.values())).to(device)
X_photo = load_photo(height=150, device=device)
Y_photo = chanconv.conv2d(X_photo, W, padding=1)
print("X:", tuple(X_photo.shape), " W:", tuple(W.shape), " Y:", tuple(Y_photo.shape))

# %% [markdown] slideshow={"slide_type": "subslide"}
# What to see: one input, four output channels, four different pictures, each with its own
# colourbar (gray is 0 for the edge channels).

# %% [markdown] slideshow={"slide_type": "notes"}
# The edge channels are white or black along edges
# of their orientation, depending on which side is brighter: the brim of the cap, the glasses
# and the ribbon bars in the first, the sides of the face, the collar and the flagpole in the
# second. The blur is
# the photo softened. The colour channel is bright where the photo is bluish and dark on the skin,
# whatever the brightness.
#
# The frame around the first three maps is the **zero padding**: `padding=1` adds a border of
# zeros (black) around the photo so that $\mathbf{Y}$ keeps the photo's $150 \times 128$ size
# ($m_h = 150 + 2 - 3 + 1 = 150$). A window on the
# border covers 3 (in a corner 5) of those zeros: the blur is darker in its outermost rows and
# columns, and the edge detectors see an edge between the photo and the black border (the
# horizontal one a dark line along the top, where the bright backdrop meets the zeros above it;
# the vertical one lines along the sides). The colour channel has no frame: its kernel reads only
# the centre pixel, never the padding.

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
fig = plot_maps([Y_photo[o].cpu() for o in range(4)],
                [rf"$\mathbf{{Y}}_{o}$: {name}" for o, name in enumerate(detectors)], ncols=4,
                ranges=[None, None, (0, 1), None], symmetric=True)

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
print(tr("blur, mean of row 0:"), round(float(Y_photo[2, 0].mean()), 3),
      tr("  of row 1:"), round(float(Y_photo[2, 1].mean()), 3))
print(tr("horizontal edges, mean of row 0:"), round(float(Y_photo[0, 0].mean()), 3),
      tr("  of row 1:"), round(float(Y_photo[0, 1].mean()), 3))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## One output channel, channel by channel
#
# Each output channel is a sum over the input channels (plus $b_o$; these detectors have no bias):
#
# $$\mathbf{Y}_{o} = \mathbf{X}_{0} \star \mathbf{K}_{o,0} + \mathbf{X}_{1} \star \mathbf{K}_{o,1}
# + \mathbf{X}_{2} \star \mathbf{K}_{o,2}$$

# %% [markdown] slideshow={"slide_type": "notes"}
# Below, every partial map is computed on its own (`chanconv.course.partials.partial_maps`) for the
# horizontal-edge detector and for the "blue minus red" detector. The maps of the bottom row share
# one colour scale, on its colourbar: white is 0, purple positive, orange negative (colours chosen
# to say nothing about red, green or blue).
#
# What to see, horizontal edges: the three partial maps look alike, because the red, green and
# blue channels of a photo have mostly the same edges; each is scaled by its luminance weight
# (green's 0.587 gives the strongest), and their sum is $\mathbf{Y}_0$.

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
names = [r"$\mathbf{X}_0$ " + tr("(red)"), r"$\mathbf{X}_1$ " + tr("(green)"), r"$\mathbf{X}_2$ " + tr("(blue)")]
fig = plot_partial_maps(X_photo.cpu(), W.cpu(), 0, padding=1, input_cmaps=CHANNEL_CMAPS, input_names=names,
                        value_label=tr("edge response (top − bottom)"))

# %% [markdown] slideshow={"slide_type": "notes"}
# What to see, blue minus red: the partial maps are $-\mathbf{X}_0$ (the red channel, negated: orange,
# darkest where the red channel is brightest, on the white cap and collar as much as on the face),
# 0 (the green channel has weight 0) and $+\mathbf{X}_2$ (purple, darkest where the blue channel is
# brightest). Their sum $\mathbf{Y}_3 = \mathbf{X}_2 - \mathbf{X}_0$ is
# purple (positive) where blue outweighs red, on the backdrop, and orange (negative) where red
# outweighs blue, on the face; the printout below gives its value on the regions of
# notebook 1.

# %% slideshow={"slide_type": "subslide"} tags=["slide-output-only"]
fig = plot_partial_maps(X_photo.cpu(), W.cpu(), 3, padding=1, input_cmaps=CHANNEL_CMAPS, input_names=names,
                        value_label=tr("blue − red (> 0: bluer)"))
P3 = partial_maps(X_photo, W, 3, padding=1)
print(tr("the partial maps add up to Y[3]:"), torch.allclose(P3.output, Y_photo[3], atol=1e-6))
for region, (rows, cols) in {tr("blue backdrop"): (slice(20, 60), slice(112, 128)),
                             tr("face"): (slice(55, 85), slice(45, 80))}.items():
    print(tr("Y[3] = blue − red, mean over the {region}: {mean:+.2f}",
             region=region, mean=float(Y_photo[3, rows, cols].mean())))

# %% [markdown] slideshow={"slide_type": "subslide"}
# In a trained network nobody writes these kernels: they are learned, and a feature is often a
# direction in channel space rather than a single channel.

# %% [markdown] slideshow={"slide_type": "notes"}
# Notebook 3 shows how a 1 × 1
# convolution mixes channels into new ones.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Try it
#
# The channel explorer (notebook 6) starts from this example, here with $c_o = 4$: the fourth row of
# kernels is $\mathbf{K} + 3$, which gives 116 at the first element.

# %% [markdown] slideshow={"slide_type": "notes"}
# Point at any cell of an output
# map to see its window in both input channels and its sum written out; click to keep it. Raise
# $c_o$ (with a running kernel) and a new row of kernels and a new output channel appear.

# %% slideshow={"slide_type": "subslide"} tags=["slide-output-only"]
from chanconv.explorer import ChannelExplorer

ChannelExplorer(c_o=4)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Recap

# %% [markdown] slideshow={"slide_type": "notes"}
# - A kernel for $c_o$ output channels has shape $c_o \times c_i \times k_h \times k_w$: one
#   $c_i \times k_h \times k_w$ kernel per output channel.
# - Each output channel reads all input channels through its own kernel; the $c_o$ results are
#   stacked into $\mathbf{Y}$ of shape $c_o \times m_h \times m_w$.
# - With $\mathbf{K}$, $\mathbf{K} + 1$, $\mathbf{K} + 2$ the lecture's example gives 56 72 / 104 120,
#   76 100 / 148 172 and 96 128 / 192 224.
# - Each output channel is a sum of $c_i$ whole maps, $\mathbf{Y}_o = \sum_i \mathbf{X}_i \star
#   \mathbf{K}_{o,i}$ (+ $b_o$).
# - MXNet and TensorFlow write the same functions with `nd.add_n` / `nd.stack` and
#   `tf.reduce_sum` / `tf.stack`; their layers differ in layout: NCHW and $(c_o, c_i, k_h, k_w)$ in
#   PyTorch and MXNet, NHWC and $(k_h, k_w, c_i, c_o)$ in TensorFlow; convert with a transpose.
# - Different kernels make different detectors: the number of output channels is a
#   hyperparameter of the layer.

# %% [markdown] slideshow={"slide_type": "-"}
# Next: the 1 × 1 convolution, which mixes channels without looking at neighbours.

# %% slideshow={"slide_type": "skip"}
plt.close("all")
