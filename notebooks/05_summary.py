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
# # 5. Summary
#
# The lecture in a few lines, each checked once more with chanconv.

# %% [markdown] slideshow={"slide_type": "notes"}
# Notebooks 1–4 have the
# details.

# %% slideshow={"slide_type": "skip"}
import torch

import chanconv
from chanconv.course.data import lecture_K, lecture_X

device = chanconv.default_device()
X, K = lecture_X(device), lecture_K(device)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Each input channel has its own 2-D kernel; the results of all channels are added to give one
# output channel.** $\mathbf{X}$: $c_i \times n_h \times n_w$, $\mathbf{K}$: $c_i \times k_h \times k_w$,
# $\mathbf{Y}$: $m_h \times m_w$:
#
# $$\mathbf{Y} = \sum_{i=0}^{c_i-1} \mathbf{X}_{i} \star \mathbf{K}_{i}$$

# %% slideshow={"slide_type": "-"}
print(chanconv.corr2d_multi_in(X, K))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Each output channel has its own 3-D kernel.** $\mathbf{K}$: $c_o \times c_i \times k_h \times k_w$,
# $\mathbf{Y}$: $c_o \times m_h \times m_w$:
#
# $$\mathbf{Y}_{o} = \sum_{i=0}^{c_i-1} \mathbf{X}_{i} \star \mathbf{K}_{o,i} + b_o$$

# %% [markdown] slideshow={"slide_type": "notes"}
# The number of output channels is a hyperparameter of the layer; more channels extend the model's
# parameters.

# %% slideshow={"slide_type": "-"}
print(chanconv.corr2d_multi_in_out(X, torch.stack((K, K + 1, K + 2))))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **The $1 \times 1$ convolutional layer is a fully connected layer applied at every pixel**, with a
# $c_o \times c_i$ weight matrix: $\mathbf{Y}_{o,u,v} = \sum_i \mathbf{K}_{o,i,0,0}\,\mathbf{X}_{i,u,v}$.

# %% [markdown] slideshow={"slide_type": "notes"}
# It adjusts the number of channels between layers and controls the model's complexity.

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
g = torch.Generator().manual_seed(0)
X3, K1 = torch.rand(3, 3, 3, generator=g), torch.rand(2, 3, 1, 1, generator=g)
print(torch.allclose(chanconv.corr2d_multi_in_out_1x1(X3, K1), chanconv.corr2d_multi_in_out(X3, K1)))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **A convolutional layer has $c_o c_i k_h k_w + c_o$ parameters (the bias has shape $c_o$) and
# costs $c_i c_o k_h k_w m_h m_w$ multiply-adds**, twice that in FLOPs, for an output of
#
# $$m_h = \left\lfloor \frac{n_h + 2p_h - k_h}{s_h} \right\rfloor + 1, \qquad
#   m_w = \left\lfloor \frac{n_w + 2p_w - k_w}{s_w} \right\rfloor + 1.$$

# %% slideshow={"slide_type": "notes"}
print(chanconv.conv2d_cost(100, 100, 5, 5, 68, 68))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What the sources get wrong, and the course gets right
#
# The four sources are the lecture's transcript (MXNet), the Dive into Deep Learning notebook
# (MXNet), its TensorFlow version with a student's bilingual notes, and the Chinese course notes
# (PyTorch).

# %% [markdown] slideshow={"slide_type": "notes"}
# | source | source says | correct |
# | --- | --- | --- |
# | course notes | bias $\mathbf{B}$: $c_o \times c_i$ | $\mathbf{b}$ has shape $c_o$, one per output channel (notebook 4) |
# | bilingual notes | a 1 × 1 layer has $(c_o + 1) \times (c_i + 1)$ parameters | $c_o c_i + c_o$; in general $c_o c_i k_h k_w + c_o$ (notebook 3) |
# | course notes | $c_i = c_o = 100$, $k = 5$, $m = 64$ → "1 GFLOP" | $1.02 \cdot 10^9$ multiply-adds (MACs) $= 2.05 \cdot 10^9$ FLOPs: "1 GFLOP" counts MACs under the name of FLOPs (notebook 4) |
# | course notes, slide | 10 layers, 1M samples, "10 PFlops"; slide: "CPU 0.15 TF = 18 h, GPU 12 TF = 14 min" | work, not a rate: $1.02 \cdot 10^{16}$ MACs $= 2.05 \cdot 10^{16}$ FLOPs (forward only); at 0.15 TFLOP/s ≈ 37.9 h, at 12 TFLOP/s ≈ 28.4 min. The slide's 18 h / 14 min divide $10^{16}$ MACs by FLOP/s rates (notebook 4, computed below) |
# | course notes | $k_h = h_w = 5$ | $k_h = k_w = 5$ |
# | course notes | $\mathbf{Y} = \sum_{i=0}^{c_i} \mathbf{X}_{i,:,:} \star \mathbf{W}_{i,:,:}$ | with channels counted from 0 the sum stops at $c_i - 1$: $c_i$ terms (notebook 1) |
# | D2L (MXNet, TensorFlow) | "First, traverse along the 0th dimension (channel dimension) of X and K" (TensorFlow: "iterate through") | `zip(X, K)` walks both channel axes together, pairing `X[i]` with `K[i]` (notebook 1) |
# | course notes | `nn.Conv2d(input_channel, output_channel, kernel_size, padding, stride)` | the 4th positional parameter of `torch.nn.Conv2d` is `stride`, the 5th `padding`: written positionally this swaps them; pass them by name (checked below) |
# | bilingual notes | $n$ output channels, $m$ input channels, "把 n 个 channels 变成了 m 个 channels" (turns $n$ channels into $m$) | the layer turns the $m$ input channels into $n$ output channels ($n$ kernel tensors of $m$ 1 × 1 pieces) |
# | transcript | "one by one convolutions are effectively multi-layer perceptrons applied on a per pixel basis" | one 1 × 1 layer is a fully connected (linear) layer at every pixel; stacked 1 × 1 layers act as an MLP per pixel only with a nonlinearity between them (Network in Network); without one, two 1 × 1 layers are one (checked below) |
#
# The numbers in the table, computed:

# %% slideshow={"slide_type": "notes"}
import inspect

samples_work = chanconv.conv2d_cost(100, 100, 5, 5, 68, 68, batch=1_000_000)
flops = 10 * samples_work.flops
print(chanconv.tr("10 layers × 1M samples: {macs:.3e} MACs = {flops:.3e} FLOPs", macs=10 * samples_work.macs, flops=flops))
print(chanconv.tr("at 0.15 TFLOP/s: {hours:.1f} h;  at 12 TFLOP/s: {minutes:.1f} min",
                  hours=flops / 0.15e12 / 3600, minutes=flops / 12e12 / 60))
print(chanconv.tr("torch.nn.Conv2d's positional parameters:"), list(inspect.signature(torch.nn.Conv2d).parameters)[:5])
W1, W2 = torch.randn(5, 4, 1, 1, generator=g), torch.randn(3, 5, 1, 1, generator=g)
X4 = torch.rand(4, 6, 6, generator=g)
stacked = chanconv.conv2d(chanconv.conv2d(X4, W1), W2)
one = chanconv.conv2d(X4, (W2[:, :, 0, 0] @ W1[:, :, 0, 0])[:, :, None, None])
with_relu = chanconv.conv2d(torch.relu(chanconv.conv2d(X4, W1)), W2)
print(chanconv.tr("two 1×1 layers = one 1×1 layer with the product of their matrices:"),
      torch.allclose(stacked, one, atol=1e-5))
print(chanconv.tr("with a ReLU between them they are not:"), not torch.allclose(with_relu, one, atol=1e-3))

# %% [markdown] slideshow={"slide_type": "-"}
# The exercises of the section come with their own notebook.
