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
# **Prerequisite**: the single-channel 2-D cross-correlation `corr2d`: slide a k_h × k_w kernel
# over an n_h × n_w input and sum the element-wise products, giving an
# (n_h − k_h + 1) × (n_w − k_w + 1) output. Some PyTorch (tensors, `reshape`, `matmul`).
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
# | 2 | [Multiple output channels](02_multiple_output_channels.ipynb) | the c_o × c_i × k_h × k_w kernel; K, K + 1, K + 2; output channels as detectors |
# | 3 | [The 1 × 1 convolution](03_1x1_convolution.ipynb) | a fully connected layer per pixel; 256 → 64; combining edge channels; learning RGB → gray |
# | 4 | [The convolutional layer and its cost](04_conv_layer_and_cost.ipynb) | shapes of X, W, b, Y; parameters; MACs and FLOPs; timed on this machine |
# | 5 | [Summary](05_summary.ipynb) | the lecture in a few lines, and what the sources get wrong |
# | 6 | [Channel explorer](06_channel_explorer.ipynb) | sliders for c_i, c_o, the kernel, stride, padding: the whole computation live |
# | 7 | [Exercises](07_exercises.ipynb) | the section's exercises, each with a check that says right or gives a hint |
# | 8 | [Performance](08_performance.ipynb) | from the lecture's loops to one matrix product: what each idea buys, timed |

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The notation
#
# | | |
# | --- | --- |
# | c_i, c_o | numbers of input and output channels |
# | n_h × n_w | input height × width |
# | k_h × k_w | kernel height × width |
# | m_h × m_w | output height × width: m_h = ⌊(n_h + 2p_h − k_h) / s_h⌋ + 1 for padding p and stride s |
# | X | input, c_i × n_h × n_w |
# | W (or K) | kernel, c_o × c_i × k_h × k_w (PyTorch's `Conv2d.weight` layout) |
# | b | bias, c_o |
# | Y | output, c_o × m_h × m_w |
#
# The code lives in the `chanconv` package; the notebooks import it. Check that it is there:

# %%
import chanconv

print("chanconv", chanconv.__version__, "- methods:", ", ".join(chanconv.METHODS))
