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
# # Channels: multiple input and multiple output channels
#
# An interactive course on how a convolutional layer handles **channels**, after the lecture
# "Multiple Input and Multiple Output Channels" (Dive into Deep Learning; UC Berkeley STAT 157).
# Every number the lecture shows is computed here and checked; every figure is drawn from the
# tensors it shows.
#
# **Prerequisite**: the single-channel 2-D cross-correlation `corr2d`: slide a $k_h \times k_w$ kernel
# over an $n_h \times n_w$ input and sum the element-wise products, giving an
# $(n_h - k_h + 1) \times (n_w - k_w + 1)$ output. Some PyTorch (tensors, `reshape`, `matmul`).
#
# **How to run**: `make lab` in the repository opens JupyterLab here; run each notebook top to
# bottom (Restart & Run All). Everything runs on a CPU in seconds, and unchanged on a GPU.

# %% [markdown] tags=["open-links"]
# **Open this course without installing anything**: [Open in Colab](https://colab.research.google.com/github/chanconv/chanconv/blob/main/notebooks/00_overview.ipynb) (Google's free notebooks; the first cell installs chanconv there) · [Launch on Binder](https://mybinder.org/v2/gh/chanconv/chanconv/main?urlpath=lab/tree/notebooks/00_overview.ipynb) (a JupyterLab with this repository's `environment.yml`, CPU only; it may take a few minutes to start).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The notebooks
#
# | | notebook | what it teaches |
# | --- | --- | --- |
# | 1 | [Multiple input channels](01_multiple_input_channels.ipynb) | the channels of a photo; one kernel channel per input channel, then a sum; 56 72 / 104 120 element by element |
# | 2 | [Multiple output channels](02_multiple_output_channels.ipynb) | the $c_o \times c_i \times k_h \times k_w$ kernel; $\mathbf{K}$, $\mathbf{K} + 1$, $\mathbf{K} + 2$; output channels as detectors |
# | 3 | [The 1 × 1 convolution](03_1x1_convolution.ipynb) | a fully connected layer per pixel; 256 → 64; combining edge channels; learning RGB → gray |
# | 4 | [The convolutional layer and its cost](04_conv_layer_and_cost.ipynb) | shapes of $\mathbf{X}$, $\mathbf{W}$, $\mathbf{b}$, $\mathbf{Y}$; parameters; MACs and FLOPs; timed on this machine |
# | 5 | [Summary](05_summary.ipynb) | the lecture in a few lines, and what the sources get wrong |
# | 6 | [Channel explorer](06_channel_explorer.ipynb) | sliders for $c_i$, $c_o$, the kernel, stride, padding: the whole computation live |
# | 7 | [Exercises](07_exercises.ipynb) | the section's exercises, each with a check that says right or gives a hint |
# | 8 | [Performance](08_performance.ipynb) | from the lecture's loops to one matrix product: what each idea buys, timed |
# | 9 | [Backward pass and training](09_backward_and_training.ipynb) | the three gradients of a layer, each again a convolution; a small CNN trained where colour decides the class |

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The notation
#
# | | |
# | --- | --- |
# | $c_i$, $c_o$ | numbers of input and output channels |
# | $n_h \times n_w$ | input height × width |
# | $k_h \times k_w$ | kernel height × width |
# | $m_h \times m_w$ | output height × width (below) |
# | $p_h, p_w$ and $s_h, s_w$ | padding (zeros added on each side) and stride (step of the window), rows and columns |
# | $\mathbf{X}$ | input, $c_i \times n_h \times n_w$; $\mathbf{X}_i$ is input channel $i$ |
# | $\mathbf{K}$ (or $\mathbf{W}$) | kernel, $c_o \times c_i \times k_h \times k_w$ (PyTorch's `Conv2d.weight` layout); $\mathbf{K}_{o,i}$ is one $k_h \times k_w$ slice |
# | $\mathbf{b}$ | bias, $c_o$: one number $b_o$ per output channel |
# | $\mathbf{Y}$ | output, $c_o \times m_h \times m_w$; $\mathbf{Y}_o$ is output channel $o$, $\mathbf{Y}_{o,u,v}$ its element in row $u$, column $v$ |
# | $\star$ | cross-correlation (what deep learning calls convolution) |
#
# The whole lecture in two lines: each output channel sums one cross-correlation per input channel,
# plus its bias, and the output's size follows from the input's, the kernel's, the padding and the stride:
#
# $$\mathbf{Y}_{o} = \sum_{i=0}^{c_i-1} \mathbf{X}_{i} \star \mathbf{K}_{o,i} + b_o,
# \qquad o = 0, \dots, c_o - 1$$
#
# $$m_h = \left\lfloor \frac{n_h + 2p_h - k_h}{s_h} \right\rfloor + 1, \qquad
#   m_w = \left\lfloor \frac{n_w + 2p_w - k_w}{s_w} \right\rfloor + 1$$
#
# The code lives in the `chanconv` package; the notebooks import it. Check that it is there:

# %%
import chanconv

print("chanconv", chanconv.__version__, "- methods:", ", ".join(chanconv.METHODS))
