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
# Notebooks 1–4 worked through fixed examples. Here you choose: the number of input channels
# c_i, of output channels c_o, the kernel size k_h × k_w, the stride, the padding and the input,
# and see the whole computation redrawn at once:
# - the input channels, the c_o × c_i grid of kernels, the output channels;
# - the shapes of X, K, b and Y, the parameters and multiply-adds (from `conv2d_cost`), and how
#   long the computation took on this notebook's device;
# - one output element, picked with the sliders on the right or walked with ▶: its window in
#   every input channel, the kernel row it uses, and its sum written out one input channel at a
#   time;
# - the `torch.nn.Conv2d` line that computes the same layer, checked against chanconv.
#
# Run the cell, then move the sliders. (Sliders need a live kernel: in a static view of this page
# you see the last state only.)

# %% slideshow={"slide_type": "slide"}
from chanconv.widgets import ChannelExplorer

explorer = ChannelExplorer()
explorer

# %% [markdown] slideshow={"slide_type": "subslide"}
# It starts with the lecture's example: c_i = 2, c_o = 3 (K, K + 1, K + 2), 2 × 2 kernels on a
# 3 × 3 input. The same state, as text:

# %%
print(explorer.summary)
print(explorer.element_text)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Things to try:
# 1. Raise c_o: every new output channel adds one row of c_i kernels and c_i · k_h · k_w + 1
#    parameters; the input does not change.
# 2. Switch to random integers and raise c_i: every kernel row grows by one kernel, and every
#    output element gains one bracket in its sum.
# 3. Set k_h = k_w = 1: the window is one pixel, each output channel a weighted sum of the input
#    channels at that pixel (notebook 3).
# 4. Raise the stride or the padding and watch m_h × m_w follow ⌊(n + 2p − k) / s⌋ + 1.
# 5. Make the kernel larger than the padded input: the explorer says why nothing can be computed.
#
# Code can set the controls too, which is how the tests drive it:

# %%
explorer.controls["source"].value = "random"
explorer.controls["c_i"].value = 3
explorer.controls["k_h"].value = explorer.controls["k_w"].value = 3
explorer.controls["padding"].value = 1
print(explorer.summary)
print("Y:", tuple(explorer.result.shape))

# %% [markdown] slideshow={"slide_type": "fragment"}
# A combination that cannot be computed gets one line that says why (a second explorer here,
# so that the one above stays as you left it):

# %%
print(ChannelExplorer(source="random", n=4, k_h=7, padding=1).message)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Recap
#
# - c_i sets how many kernels each output channel sums over; c_o sets how many such sums (rows
#   of kernels) there are; k_h × k_w sets each kernel's window.
# - Parameters c_o · c_i · k_h · k_w + c_o and multiply-adds c_o · c_i · k_h · k_w · m_h · m_w grow
#   with every one of them; the output size depends only on n, k, the padding and the stride.
