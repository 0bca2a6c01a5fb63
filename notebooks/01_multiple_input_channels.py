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
# # 1. Multiple input channels
#
# So far every input was one matrix of $n_h \times n_w$ numbers and every kernel one $k_h \times k_w$
# matrix: the single-channel **cross-correlation** `corr2d`.

# %% [markdown] slideshow={"slide_type": "notes"}
# Real inputs have **channels**: a colour
# photo has three (red, green, blue), so it is a tensor of shape $c_i \times n_h \times n_w$ with $c_i = 3$.
#
# This notebook shows
# 1. the channels of a real photo, and why we keep them instead of converting to grayscale;
# 2. how a kernel with $c_i$ channels cross-correlates with a $c_i$-channel input: one 2-D
#    cross-correlation per channel, **summed**;
# 3. the lecture's worked example, element by element and as whole maps (one map per input
#    channel, then their sum), and its output 56 72 / 104 120.
#
# Prerequisite: the single-channel cross-correlation `corr2d` (previous lecture).

# %% slideshow={"slide_type": "skip"}
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

import chanconv
from chanconv import tr
from chanconv.course.data import PHOTO_CREDIT, lecture_K, lecture_X, load_photo
from chanconv.course.element import element_terms
from chanconv.course.figures import plot_element, plot_maps, plot_partial_maps, plot_photo_channels
from chanconv.course.partials import partial_maps

torch.manual_seed(0)
device = chanconv.default_device()
print(tr("device:"), device)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A photo has three channels
#
# A colour image is stored as three matrices of the same size: how much red, green and blue
# there is at each pixel.

# %% [markdown] slideshow={"slide_type": "notes"}
# In the lecture's notation the photo is $\mathbf{X}$ of shape
# $c_i \times n_h \times n_w = 3 \times n_h \times n_w$.

# %% slideshow={"slide_type": "notes"}
X_photo = load_photo(height=150, device=device)
print(tr("X shape (c_i, n_h, n_w):"), tuple(X_photo.shape))
print(tr("photo:"), tr(PHOTO_CREDIT))

# %% [markdown] slideshow={"slide_type": "subslide"}
# What to see: each channel is a picture of its own, drawn from black (0: none of that colour)
# to full colour (1), with its colourbar.

# %% [markdown] slideshow={"slide_type": "notes"}
# The blue backdrop on the right is brightest in the blue
# channel; the face is bright in red, darker in green and darkest in blue; the dark uniform is
# dark in all three; the white stars and collar are bright in all three.

# %% slideshow={"slide_type": "-"}
fig = plot_photo_channels(X_photo.cpu())

# %% [markdown] slideshow={"slide_type": "subslide"}
# The same in numbers: the mean of each channel over three regions of the photo (rows and
# columns of the $150 \times 128$ image).

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
regions = {tr("blue backdrop (rows 20-59, cols 112-127)"): (slice(20, 60), slice(112, 128)),
           tr("face (rows 55-84, cols 45-79)"): (slice(55, 85), slice(45, 80)),
           tr("uniform (rows 115-149, cols 10-119)"): (slice(115, 150), slice(10, 120))}
print(tr("   red green  blue   region"))
for name, (rows, cols) in regions.items():
    means = X_photo[:, rows, cols].mean(dim=(1, 2)).tolist()
    print("".join(f"{m:6.2f}" for m in means) + "   " + name)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Converting to grayscale loses information
#
# Grayscale keeps one number per pixel, a weighted sum of the channels (luminance,
# ITU-R BT.601): $\text{gray} = 0.299\,R + 0.587\,G + 0.114\,B$.

# %% [markdown] slideshow={"slide_type": "notes"}
# Different colours can have the same gray.
# Below, the left half is a red, the right half a green chosen to have **the same luminance**.

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
luma = torch.tensor([0.299, 0.587, 0.114])
red = torch.tensor([0.9, 0.2, 0.2])
green = red.clone()
green[0], green[1] = 0.0, (luma @ red - 0.114 * 0.2) / 0.587  # same luminance, no red
patch = torch.empty(3, 6, 8)
patch[:, :, :4] = red.view(3, 1, 1)
patch[:, :, 4:] = green.view(3, 1, 1)
gray = torch.einsum("c,chw->hw", luma, patch)
print(tr("gray of red:"), round(float(luma @ red), 4), tr(" gray of green:"), round(float(luma @ green), 4))

# %% [markdown] slideshow={"slide_type": "subslide"}
# A vertical-edge kernel $[1, -1]$ finds the border between the two halves in the red channel,
# but finds nothing in the grayscale image: the edge is gone.

# %% [markdown] slideshow={"slide_type": "notes"}
# What to see: the white line in the
# third map (response 0.9; mid-gray is 0, see the colourbar) and a uniform mid-gray fourth map.

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
edge = torch.tensor([[1.0, -1.0]])
edge_in_red = chanconv.corr2d(patch[0], edge)
edge_in_gray = chanconv.corr2d(gray, edge)
print(tr("largest |response| in the red channel:"), round(float(edge_in_red.abs().max()), 4))
print(tr("largest |response| in grayscale:      "), round(float(edge_in_gray.abs().max()), 4))
fig = plot_maps([patch.permute(1, 2, 0), gray, edge_in_red, edge_in_gray],
                [tr("the patch (RGB)"), tr("grayscale"), tr("edge in the red channel"), tr("edge in grayscale")],
                cmap="gray", ranges=[None, (0, 1), (-1, 1), (-1, 1)])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## One kernel channel per input channel, then a sum
#
# With $c_i$ input channels the kernel needs a $k_h \times k_w$ matrix **for every input channel**: it
# has shape $c_i \times k_h \times k_w$.

# %% [markdown] slideshow={"slide_type": "notes"}
# Cross-correlate channel $i$ of the input, $\mathbf{X}_i$, with
# channel $i$ of the kernel, $\mathbf{K}_i$, and add the $c_i$ results:

# %% [markdown] slideshow={"slide_type": "-"}
# $$\mathbf{Y} = \sum_{i=0}^{c_i-1} \mathbf{X}_{i} \star \mathbf{K}_{i}
# \qquad \mathbf{X}: c_i \times n_h \times n_w,\;
# \mathbf{K}: c_i \times k_h \times k_w,\;
# \mathbf{Y}: m_h \times m_w$$

# %% [markdown] slideshow={"slide_type": "notes"}
# with $m_h = n_h - k_h + 1$ and $m_w = n_w - k_w + 1$. Element by element, output row $u$ and
# column $v$ sum the products of every input channel's window with its kernel channel:
#
# $$\mathbf{Y}_{u,v} = \sum_{i=0}^{c_i-1} \sum_{a=0}^{k_h-1} \sum_{e=0}^{k_w-1}
# \mathbf{X}_{i,\,u+a,\,v+e}\, \mathbf{K}_{i,a,e}$$
#
# The output has **one** channel, however many input channels there are. (The Chinese course
# notes write the sum up to $c_i$; with indices from 0 it stops at $c_i - 1$.)

# %% [markdown] slideshow={"slide_type": "subslide"}
# In code this is one line on top of `corr2d`.

# %% [markdown] slideshow={"slide_type": "notes"}
# `zip(X, K)` walks the channel axis (axis 0) of
# `X` **and** of `K` together, pairing input channel $i$ with kernel channel $i$. (The book's comment
# "First, traverse along the 0th dimension (channel dimension) of X and K" — in its TensorFlow
# edition "iterate through" — means exactly this pairing, not two separate traversals.)

# %% slideshow={"slide_type": "-"}
def corr2d_multi_in(X, K):
    return sum(chanconv.corr2d(x, k) for x, k in zip(X, K))


# %% [markdown] slideshow={"slide_type": "slide"}
# ## The lecture's example
#
# Two input channels of $3 \times 3$ and a kernel of two $2 \times 2$ channels:

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
X = lecture_X(device)
K = lecture_K(device)
print("X:", tuple(X.shape), " K:", tuple(K.shape))
print(X)
print(K)

# %% [markdown] slideshow={"slide_type": "subslide"}
# What to see: the first output element uses the shaded $2 \times 2$ window of **each** input channel
# and the whole kernel channel that goes with it.

# %% [markdown] slideshow={"slide_type": "notes"}
# Each channel gives a partial sum, and the
# partial sums add up to the output element $\mathbf{Y}_{0,0}$. The title is computed from the tensors.

# %% slideshow={"slide_type": "-"}
fig = plot_element(X.cpu(), K.cpu(), 0, 0, 0, channels=(1, 0))

# %% [markdown] slideshow={"slide_type": "subslide"}
# The same sum as text, in the order the lecture writes it (channel 1 first; addition commutes),
# and the partial sum of each channel:

# %% slideshow={"slide_type": "-"}
terms = element_terms(X, K, 0, 0, 0)
print(terms.text(channels=(1, 0)))
print(terms.partial_text(channels=(1, 0)))

# %% [markdown] slideshow={"slide_type": "subslide"}
# The whole output, 56 72 / 104 120:

# %% slideshow={"slide_type": "-"}
Y = corr2d_multi_in(X, K)
print(Y)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Whole maps: one cross-correlation per channel, then a sum
#
# The same sum, map by map instead of element by element: $\mathbf{X}_0 \star \mathbf{K}_0$ is a
# whole $2 \times 2$ map, and so is $\mathbf{X}_1 \star \mathbf{K}_1$; $\mathbf{Y}$ is their sum.

# %% [markdown] slideshow={"slide_type": "notes"}
# What to see: $19 + 37 = 56$ in the top-left corner (the partial sums of the figure above), and
# likewise in every other position. (The figures write the cross-correlation sign $\star$ as a
# larger star, ★, so that it is not read as a product.)

# %% slideshow={"slide_type": "notes"}
fig = plot_partial_maps(X.cpu(), K.cpu())
P = partial_maps(X, K)
print("X[0] ⋆ K[0] =", P.partials[0].tolist(), "  X[1] ⋆ K[1] =", P.partials[1].tolist())
print(tr("their sum equals Y:"), torch.equal(P.summed, Y))

# %% [markdown] slideshow={"slide_type": "subslide"}
# Our one-liner is chanconv's `corr2d_multi_in`, and PyTorch's `conv2d` (which also computes a
# cross-correlation) agrees.

# %% [markdown] slideshow={"slide_type": "notes"}
# PyTorch wants a batch axis and an output-channel axis: `X` as
# $(1, c_i, n_h, n_w)$, `K` as $(1, c_i, k_h, k_w)$.

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
print(tr("equals chanconv.corr2d_multi_in:"), torch.equal(Y, chanconv.corr2d_multi_in(X, K)))
print(tr("equals torch's conv2d:          "), torch.equal(Y, F.conv2d(X[None], K[None])[0, 0]))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Every element, every channel
#
# What to see: each of the four output elements $\mathbf{Y}_{u,v}$ (row $u$, column $v$) has its own
# window, shifted by one row or column; the kernel channels stay the same.

# %% slideshow={"slide_type": "-"}
for u in range(Y.shape[0]):
    for v in range(Y.shape[1]):
        print(f"Y[{u}, {v}] =", element_terms(X, K, 0, u, v).text())

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Recap

# %% [markdown] slideshow={"slide_type": "notes"}
# - An input with $c_i$ channels has shape $c_i \times n_h \times n_w$; a colour photo has $c_i = 3$.
# - Grayscale keeps one weighted sum per pixel: colours with equal luminance become equal, and
#   what told them apart is lost.
# - A multi-input-channel kernel has shape $c_i \times k_h \times k_w$: one $k_h \times k_w$ kernel per
#   input channel. Each channel is cross-correlated with its own kernel, and the $c_i$ results are
#   added: one output channel, $\mathbf{Y} = \sum_{i} \mathbf{X}_i \star \mathbf{K}_i$.
# - The lecture's example gives 56 72 / 104 120 = (19 25 / 37 43) + (37 47 / 67 77): the map
#   $\mathbf{X}_0 \star \mathbf{K}_0$ plus the map $\mathbf{X}_1 \star \mathbf{K}_1$.

# %% [markdown] slideshow={"slide_type": "-"}
# Next: many output channels, one $c_i \times k_h \times k_w$ kernel each.

# %% slideshow={"slide_type": "skip"}
plt.close("all")
