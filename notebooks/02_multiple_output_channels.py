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
# Notebook 1 summed c_i input channels into **one** output channel. A layer that could only make
# one channel would be weak: popular networks grow the number of channels layer after layer,
# trading spatial resolution for channel depth. The idea is simple: for every output channel
# take its own c_i × k_h × k_w kernel, and **stack** the results.
#
# This notebook shows
# 1. the kernel tensor of shape c_o × c_i × k_h × k_w and the lecture's K, K + 1, K + 2;
# 2. the three output channels 56 72 / 104 120, 76 100 / 148 172, 96 128 / 192 224;
# 3. each output channel as a detector: edge and blur kernels applied to a photo.

# %% slideshow={"slide_type": "skip"}
import matplotlib.pyplot as plt
import torch

import chanconv
from chanconv.data import lecture_K, lecture_X, load_photo
from chanconv.plotting import plot_maps, plot_multi_in_out

torch.manual_seed(0)
device = chanconv.default_device()
print("device:", device)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## One kernel per output channel
#
# For c_o output channels we need c_o kernels of shape c_i × k_h × k_w, stacked on a new first
# axis: the kernel tensor has shape **c_o × c_i × k_h × k_w** (PyTorch's `Conv2d.weight` layout).
# Output channel o is the multi-input cross-correlation of X with kernel K[o]:
#
# $$\mathbf{Y}_{o,:,:} = \mathbf{X} \star \mathbf{K}_{o,:,:,:}
# \qquad \mathbf{X}: c_i \times n_h \times n_w,\;
# \mathbf{K}: c_o \times c_i \times k_h \times k_w,\;
# \mathbf{Y}: c_o \times m_h \times m_w$$
#
# Every output channel reads **all** input channels, through its own kernel.

# %% slideshow={"slide_type": "subslide"}
def corr2d_multi_in_out(X, K):
    # walk the output-channel axis (axis 0) of K; each k has shape (c_i, k_h, k_w)
    return torch.stack([chanconv.corr2d_multi_in(X, k) for k in K], 0)


# %% [markdown] slideshow={"slide_type": "slide"}
# ## The lecture's example: K, K + 1, K + 2
#
# The lecture makes three output channels from its kernel K by adding 1 and 2 to every entry,
# and stacks them:

# %%
X = lecture_X(device)
K = lecture_K(device)
K = torch.stack((K, K + 1, K + 2), 0)
print("X:", tuple(X.shape), " K:", tuple(K.shape))

# %% [markdown] slideshow={"slide_type": "fragment"}
# 3 × 2 × 2 × 2: c_o = 3 output channels, c_i = 2 input channels, 2 × 2 kernels.

# %% slideshow={"slide_type": "subslide"}
Y = corr2d_multi_in_out(X, K)
print(Y)

# %% [markdown] slideshow={"slide_type": "fragment"}
# The first channel is the 56 72 / 104 120 of notebook 1: K[0] is that notebook's K. Our
# function equals chanconv's, and the general layer `chanconv.conv2d` (every method) agrees:

# %%
print("equals chanconv.corr2d_multi_in_out:", torch.equal(Y, chanconv.corr2d_multi_in_out(X, K)))
for method in ["loops", "unfold", "im2col", "im2row", "shift", "fft", "torch"]:
    same = torch.allclose(chanconv.conv2d(X, K, method=method), Y)
    print(f"conv2d(method={method!r:9}) gives the same Y:", same)

# %% [markdown] slideshow={"slide_type": "subslide"}
# What to see: row o holds the kernels K[o, 0] and K[o, 1] that turn **both** input channels into
# output channel Y[o]. Adding 1 to every kernel entry adds the sum of each window (20 for the
# first element: 0+1+3+4 plus 1+2+4+5) to the output: 56 + 20 = 76, and once more, 96.

# %%
fig = plot_multi_in_out(X.cpu(), K.cpu())

# %%
for o in range(3):
    print(f"Y[{o}, 0, 0] =", chanconv.explain.element_terms(X, K, o, 0, 0).text())
print("sum of the first window over both channels:", float(X[:, :2, :2].sum()))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Each output channel is a detector
#
# Intuitively each output channel responds to its own pattern. Below, c_o = 4 kernels of shape
# 3 × 3 × 3 (c_i = 3 for the photo's red, green and blue) are stacked into one 4 × 3 × 3 × 3
# kernel tensor: a horizontal-edge detector, a vertical-edge detector, a blur, and a
# "blue minus red" colour detector. Each of the first three uses the same 3 × 3 pattern on all
# three colour channels, weighted by the luminance; the last one weighs the channels differently
# and has no spatial pattern at all.

# %%
luma = torch.tensor([0.299, 0.587, 0.114])
sobel = torch.tensor([[1.0, 2.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -2.0, -1.0]])
blur = torch.full((3, 3), 1 / 9)
centre = torch.zeros(3, 3)
centre[1, 1] = 1.0
detectors = {
    "horizontal edges": torch.einsum("c,hw->chw", luma, sobel),
    "vertical edges": torch.einsum("c,hw->chw", luma, sobel.T),
    "blur": torch.einsum("c,hw->chw", luma, blur),
    "blue minus red": torch.einsum("c,hw->chw", torch.tensor([-1.0, 0.0, 1.0]), centre),
}
W = torch.stack(list(detectors.values())).to(device)
X_photo = load_photo(height=150, device=device)
Y_photo = chanconv.conv2d(X_photo, W, padding=1)
print("X:", tuple(X_photo.shape), " W:", tuple(W.shape), " Y:", tuple(Y_photo.shape))

# %% [markdown] slideshow={"slide_type": "subslide"}
# What to see: one input, four output channels, four different pictures. The edge channels light
# up (bright or dark) along edges of their orientation: the brim of the cap and the stripes on
# the sleeve in the first, the sides of the face and the flag's edges in the second; the blur is
# the photo softened; the colour channel is bright where the photo is bluish (the background)
# and dark on the skin, whatever the brightness.

# %%
fig = plot_maps([Y_photo[o].cpu() for o in range(4)],
                [f"Y[{o}]: {name}" for o, name in enumerate(detectors)], ncols=4)

# %% [markdown] slideshow={"slide_type": "fragment"}
# In a trained network nobody writes these kernels: they are learned, and a feature is often a
# direction in channel space rather than a single channel. Notebook 3 shows how a 1 × 1
# convolution mixes channels into new ones.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Try it
#
# The channel explorer (notebook 6) starts from this example: raise c_o and watch a new row of
# kernels and a new output channel appear (K + 3 gives 116 at the first element, and so on).

# %%
from chanconv.widgets import ChannelExplorer

ChannelExplorer(c_o=4)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Recap
#
# - A kernel for c_o output channels has shape c_o × c_i × k_h × k_w: one c_i × k_h × k_w kernel
#   per output channel.
# - Each output channel reads all input channels through its own kernel; the c_o results are
#   stacked into Y of shape c_o × m_h × m_w.
# - With K, K + 1, K + 2 the lecture's example gives 56 72 / 104 120, 76 100 / 148 172 and
#   96 128 / 192 224.
# - Different kernels make different detectors: the number of output channels is a
#   hyperparameter of the layer.
#
# Next: the 1 × 1 convolution, which mixes channels without looking at neighbours.

# %% slideshow={"slide_type": "skip"}
plt.close("all")
