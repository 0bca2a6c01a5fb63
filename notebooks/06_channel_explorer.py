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
# # 6. The channel explorer
#
# Notebooks 1–4 worked through fixed examples.

# %% [markdown] slideshow={"slide_type": "notes"}
# Here you choose: the number of input channels
# $c_i$, of output channels $c_o$, the kernel size $k_h \times k_w$, the input size $n_h \times n_w$,
# the stride, the padding, the groups and the dilation, the input (the lecture's $\mathbf{X}$, random
# integers, a photo) and the kernels (the lecture's $\mathbf{K}$, edge detectors, blur, identity,
# random), and see the whole computation drawn:
# - the input channels $\mathbf{X}_i$, the $c_o \times c_i$ grid of kernels $\mathbf{K}_{o,i}$ and
#   the output channels $\mathbf{Y}_o$, each coloured on a **legend** (value → colour; white is 0;
#   one scale for the inputs, one for the kernels, one for the partial maps and the outputs;
#   padding grey and hatched), with the values written in the cells where they fit;
# - **how one output channel is made**: for the picked output channel $o$, one partial map
#   $\mathbf{X}_i \star \mathbf{K}_{o,i}$ per input channel $i$, their sum, $+\, b_o$, $= \mathbf{Y}_o$.
#   This is the lecture's central picture, drawn as whole maps:

# %% [markdown] slideshow={"slide_type": "-"}
#   $$\mathbf{Y}_{o} = \sum_{i=0}^{c_i-1} \mathbf{X}_{i} \star \mathbf{K}_{o,i} + b_o;$$

# %% [markdown] slideshow={"slide_type": "notes"}
# - one output element $\mathbf{Y}_{o,u,v}$ (row $u$, column $v$; $i$ stays the input channel, as in
#   notebook 1): **point at any cell of an output map** to see how it is made, **click** to keep it.
#   Its window lights up in every input channel it reads, its cell in every partial map, their sum
#   and $\mathbf{Y}_o$, and its sum is written out, one partial sum per input channel (and every
#   product). The arrow keys move the picked cell (Tab reaches the maps), ▶ walks the positions one
#   by one from the element you picked, ■ goes back to $\mathbf{Y}_{0,0,0}$, and the sliders
#   `o`, `u`, `v` follow. With dilation $d > 1$ the window is wider than the kernel: only its marked
#   taps, every $d$-th row and column, are read;
# - the shapes of $\mathbf{X}$, $\mathbf{K}$, $\mathbf{b}$ and $\mathbf{Y}$, the parameters and
#   multiply-adds (from `conv2d_cost`), the `torch.nn.Conv2d` line that computes the same layer,
#   checked against chanconv, and chanconv's time for the layer (a median of 5 runs, on the CPU it
#   names).
#
# Python computes every number (`explore` below); the picture is drawn in your browser from them, so
# pointing and picking answer at once, even in a saved copy of this page (the course website, the
# slides). Sliders that change the layer redraw when you let go; they need a running kernel.

# %% slideshow={"slide_type": "slide"} tags=["slide-output-only"]
from chanconv.explorer import ChannelExplorer

explorer = ChannelExplorer()
explorer

# %% [markdown] slideshow={"slide_type": "subslide"}
# It starts with the lecture's example: $c_i = 2$, $c_o = 3$ ($\mathbf{K}$, $\mathbf{K} + 1$,
# $\mathbf{K} + 2$), $2 \times 2$ kernels on a $3 \times 3$ input.

# %% [markdown] slideshow={"slide_type": "notes"}
# The same state, as text (what the
# picture writes for the picked element $\mathbf{Y}_{0,0,0}$ comes from these numbers):

# %% slideshow={"slide_type": "notes"}
from chanconv import tr

print(explorer.summary)
print(explorer.state.element.compact_text(), tr("  (one partial sum per input channel)"))
print(explorer.element_text)

# %% [markdown] slideshow={"slide_type": "notes"}
# Things to try:
# 1. Raise $c_o$: every new output channel adds one row of $c_i$ kernels ($\mathbf{K} + 3$,
#    $\mathbf{K} + 4$, ...) and $c_i k_h k_w$ weights; the input does not change.
# 2. Raise $c_i$: the lecture's $\mathbf{X}$ has 2 channels, so the explorer switches to random
#    integers of the new shape and says so in one line; every kernel row grows by one kernel, and
#    $\mathbf{Y}_o$ gains one partial map. Back at $c_i = 2$ (and $3 \times 3$, $2 \times 2$) the
#    lecture's numbers return.
# 3. Set $k_h = k_w = 1$: the window is one pixel, each output channel a weighted sum of the input
#    channels at that pixel (notebook 3).
# 4. Raise the stride or the padding and watch $m_h \times m_w$ follow the output-size formula
#    $m_h = \lfloor (n_h + 2p_h - k_h) / s_h \rfloor + 1$ (with dilation $d_h$:
#    $\lfloor (n_h + 2p_h - d_h(k_h - 1) - 1) / s_h \rfloor + 1$).
# 5. Set $c_o$ to a multiple of $c_i$ (groups must divide both; e.g. $c_o = 4$ at $c_i = 2$), then
#    choose groups $g = c_i$ (depthwise): every output channel reads one input channel, the kernel
#    block shrinks to $(c_o, 1, k_h, k_w)$, and the weights and MACs drop by a factor $c_i$ (the $c_o$ biases stay).
# 6. Make the kernel larger than the padded input: $\mathbf{X}$ and $\mathbf{K}$ stay, and one line
#    says why there is no $\mathbf{Y}$.
# 7. Pick "the photo": three real colour channels (each drawn on the same value scale, not in its
#    own colour) and four edge detectors, one direction per output channel. Try the other kernel
#    presets on it.
# 8. For a lecture hall, press "projector mode": larger text and cells, and a short sum (tick
#    "every term" for every product). "3-D view" draws the input volume, the kernel block
#    $\mathbf{K}_o$ and the output volume, linked to the picked element.
# 9. Point at the cells of $\mathbf{Y}_1$ one after the other: the window slides over the input by the
#    stride, and the same window serves every output channel; only the kernel row changes.
# 10. Tick "gradient view" for what the picked element sends back in the backward pass (notebook 9).
#     With $L = \mathbf{Y}_{o,u,v}$, the gradient $\mathrm{d}\mathbf{X}_i$ is the kernel
#     $\mathbf{K}_{o,i}$ laid on the window, not flipped, and $\mathrm{d}\mathbf{W}_{o,i}$ is the window of
#     $\mathbf{X}_i$ (notebook 9's $\mathbf{W}$ is the lecture's $\mathbf{K}$); every other kernel row
#     gets 0, and $\mathrm{d}b_o = 1$. It is the window the forward pass read, now sent from
#     $\mathbf{Y}$ back to $\mathbf{X}$. Notebook 9's $\mathrm{d}\mathbf{X}$ and $\mathrm{d}\mathbf{W}$
#     add these up over every output element, each weighted by its $\partial L / \partial \mathbf{Y}$;
#     the flipped kernel appears only when that whole sum for $\mathrm{d}\mathbf{X}$ is written as one
#     cross-correlation over $\mathrm{d}\mathbf{Y}$.
#
# Code can set the controls too (`explorer.controls["c_i"].value = 3`), which is how the tests
# drive it. Behind the widget, `explore(Settings(...))` computes everything the picture shows from
# the controls' values, with no widget at all. Leaving the lecture's shapes says so in a note:

# %% slideshow={"slide_type": "notes"}
from chanconv.explorer import Settings, explore

state = explore(Settings(c_i=3))
print(*state.notes, sep="\n")
print(state.summary)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Output channels as detectors, on a photo
#
# The photo has $c_i = 3$ channels (red, green, blue), shown at $48 \times 41$ pixels.

# %% [markdown] slideshow={"slide_type": "notes"}
# The preset "edge
# detectors" gives each output channel $o$ a $3 \times 3$ edge kernel in one direction (horizontal,
# vertical, and the two diagonals), applied to all three colour channels with weight 1/3: each
# $\mathbf{Y}_o$ is a map of the edges in one direction of the photo's brightness. The partial maps
# show how the red, green and blue channels each contribute to it.

# %% slideshow={"slide_type": "subslide"} tags=["slide-output-only"]
photo = ChannelExplorer(source="photo")
photo

# %% slideshow={"slide_type": "notes"}
print(photo.summary)
print(tr("K[0, i] for every input channel i of output channel 0 (horizontal edges, weight 1/3):"))
print(photo.tensors[1][0, 0])  # the same for i = 1, 2

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Groups: depthwise convolution
#
# With groups $= g$, output channel $o$ reads only the $c_i / g$ input channels of its group, so
# $\mathbf{K}$ has shape $(c_o, c_i / g, k_h, k_w)$ and the weights and MACs are divided by $g$ (the biases are not):
#
# $$\text{parameters} = \frac{c_o c_i k_h k_w}{g} + c_o, \qquad
# \text{MACs} = \frac{c_i c_o k_h k_w m_h m_w}{g}.$$

# %% [markdown] slideshow={"slide_type": "notes"}
# At $g = c_i$ every output channel reads one input channel: a depthwise convolution (notebook 7's
# exercises build the depthwise-separable layer from it).

# %% slideshow={"slide_type": "notes"}
for groups in (1, 2, 4):
    state = explore(Settings(source="random", preset="random", c_i=4, c_o=8, k_h=3, k_w=3, n_h=6, n_w=6,
                             groups=groups))
    print(state.summary.split("; ", 1)[1])

# %% [markdown] slideshow={"slide_type": "notes"}
# A combination that cannot be computed still shows $\mathbf{X}$ and $\mathbf{K}$, and one line says why:

# %% slideshow={"slide_type": "notes"}
print(explore(Settings(source="random", n_h=4, n_w=4, k_h=7, padding=1)).message)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Recap

# %% [markdown] slideshow={"slide_type": "-"}
# - $c_i$ sets how many partial maps $\mathbf{X}_i \star \mathbf{K}_{o,i}$ each output channel sums;
#   $c_o$ sets how many such sums (rows of kernels) there are; $k_h \times k_w$ sets each kernel's
#   window.
# - Parameters $c_o c_i k_h k_w + c_o$ and multiply-adds $c_o c_i k_h k_w m_h m_w$ grow with every
#   one of them (the weights and MACs divided by $g$ with groups); the output size depends only on $n_h \times n_w$,
#   $k_h \times k_w$, the padding, the dilation and the stride.
