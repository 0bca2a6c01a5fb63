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
# The lecture in a few lines, each checked once more with chanconv. Notebooks 1–4 have the
# details.

# %% slideshow={"slide_type": "skip"}
import torch

import chanconv
from chanconv.data import lecture_K, lecture_X

device = chanconv.default_device()
X, K = lecture_X(device), lecture_K(device)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Each input channel has its own 2-D kernel; the results of all channels are added to give one
# output channel.** X: c_i × n_h × n_w, K: c_i × k_h × k_w, Y: m_h × m_w.

# %%
print(chanconv.corr2d_multi_in(X, K))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Each output channel has its own 3-D kernel.** K: c_o × c_i × k_h × k_w, Y: c_o × m_h × m_w.
# The number of output channels is a hyperparameter of the layer; more channels extend the model's
# parameters.

# %%
print(chanconv.corr2d_multi_in_out(X, torch.stack((K, K + 1, K + 2))))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **The 1 × 1 convolutional layer is a fully connected layer applied at every pixel.** It adjusts
# the number of channels between layers and controls the model's complexity.

# %%
g = torch.Generator().manual_seed(0)
X3, K1 = torch.rand(3, 3, 3, generator=g), torch.rand(2, 3, 1, 1, generator=g)
print(torch.allclose(chanconv.corr2d_multi_in_out_1x1(X3, K1), chanconv.corr2d_multi_in_out(X3, K1)))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **A convolutional layer has c_o · c_i · k_h · k_w + c_o parameters (the bias has shape c_o) and
# costs c_i · c_o · k_h · k_w · m_h · m_w multiply-adds.**

# %%
print(chanconv.conv2d_cost(100, 100, 5, 5, 68, 68))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What the sources get wrong, and the course gets right
#
# | source says | correct |
# | --- | --- |
# | bias B: c_o × c_i | b has shape c_o, one per output channel (notebook 4) |
# | a 1 × 1 layer has (c_o + 1) × (c_i + 1) parameters | c_o · c_i + c_o; in general c_o · c_i · k_h · k_w + c_o (notebook 3) |
# | c_i = c_o = 100, k = 5, m = 64 → "1 GFLOP" | 1.02e9 multiply-adds = 2.05e9 FLOPs (notebook 4) |
# | 10 layers, 1M samples, "10 PFlops" | 10¹⁶ operations of work, not a rate: ≈ 18 h at 0.15 TFLOP/s, 14 min at 12 TFLOP/s (notebook 4) |
# | k_h = h_w = 5 | k_h = k_w = 5 |
# | "traverse along the 0th dimension of X and K" | `zip(X, K)` walks both channel axes together, pairing X[i] with K[i] (notebook 1) |
#
# The exercises of the section come with their own notebook.
