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
# # 3. The 1 × 1 convolution
#
# Notebooks 1 and 2 built kernels of shape c_o × c_i × k_h × k_w. Take k_h = k_w = 1: the kernel
# no longer looks at neighbouring pixels, so at first sight it does nothing useful. In fact it is
# one of the most used layers: it **mixes channels**, the same way at every pixel.
#
# This notebook shows
# 1. the 1 × 1 convolution as a fully connected layer applied at every pixel, computed as one
#    matrix product, and the check that it equals the general version;
# 2. channel reduction 256 → 64 and its parameter count;
# 3. combining a horizontal-edge and a vertical-edge channel into new per-pixel features;
# 4. a 1 × 1 convolution learned by gradient descent that turns RGB into grayscale.

# %% slideshow={"slide_type": "skip"}
import matplotlib.pyplot as plt
import torch

import chanconv
from chanconv.data import load_photo
from chanconv.plotting import plot_maps, plot_multi_in_out

torch.manual_seed(0)
device = chanconv.default_device()
print("device:", device)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A fully connected layer at every pixel
#
# With a 1 × 1 kernel, output channel o at pixel (i, j) is
#
# $$Y_{o,i,j} = \sum_{c=0}^{c_i-1} K_{o,c,0,0}\, X_{c,i,j},$$
#
# a weighted sum of the c_i values **of that pixel only**: the same c_o × c_i weight matrix maps
# the c_i inputs to c_o outputs at every one of the n_h · n_w pixels. Reshape X to a c_i × (n_h n_w)
# matrix (one column per pixel) and K to a c_o × c_i matrix, and the whole layer is one matrix
# product. The output keeps the input's size: m_h = n_h, m_w = n_w.

# %% slideshow={"slide_type": "subslide"}
def corr2d_multi_in_out_1x1(X, K):
    c_i, h, w = X.shape
    c_o = K.shape[0]
    X = X.reshape((c_i, h * w))
    K = K.reshape((c_o, c_i))
    Y = torch.matmul(K, X)  # the fully connected layer, for all h * w pixels at once
    return Y.reshape((c_o, h, w))


# %% [markdown] slideshow={"slide_type": "subslide"}
# The lecture's check: random X with c_i = 3 channels of 3 × 3, a kernel with c_o = 2 output
# channels of 1 × 1. The matrix-product version and the general one agree.

# %%
g = torch.Generator().manual_seed(0)
X = torch.rand((3, 3, 3), generator=g).to(device)
K = torch.rand((2, 3, 1, 1), generator=g).to(device)
Y1 = corr2d_multi_in_out_1x1(X, K)
Y2 = chanconv.corr2d_multi_in_out(X, K)
print("Y1:", tuple(Y1.shape), " Y2:", tuple(Y2.shape))
print("‖Y1 - Y2‖ < 1e-6:", float((Y1 - Y2).norm()) < 1e-6)
print("equals chanconv.corr2d_multi_in_out_1x1:", torch.equal(Y1, chanconv.corr2d_multi_in_out_1x1(X, K)))

# %% [markdown] slideshow={"slide_type": "fragment"}
# Close, but are Y1 and Y2 *exactly* equal? Not always: the matrix product adds the c_i products
# in its own order (and may use fused multiply-adds), the loop in another, and float32 addition
# is not associative. The difference, when there is one, is a few units in the last place.
# (Exercise 4 asks about this.)

# %% tags=["nbval-ignore-output"]
# exact equality depends on the device and its matrix-product kernels: nbval ignores this output
print("exactly equal:", torch.equal(Y1, Y2), " largest |Y1 - Y2|:", float((Y1 - Y2).abs().max()))

# %% [markdown] slideshow={"slide_type": "subslide"}
# What to see: with 1 × 1 kernels each output channel is a weighted sum of the input channels,
# pixel by pixel; no window slides over neighbours.

# %%
X_small = torch.arange(27.0).reshape(3, 3, 3)
K_small = torch.tensor([[1.0, 0.0, -1.0], [0.5, 0.5, 0.0]]).reshape(2, 3, 1, 1)
fig = plot_multi_in_out(X_small, K_small)
print(chanconv.explain.element_terms(X_small, K_small, 0, 0, 0).text())

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Changing the number of channels: 256 → 64
#
# The most common use: if the previous layer produced 256 channels and the next should get 64,
# a 1 × 1 convolution with c_i = 256, c_o = 64 does it, keeping n_h × n_w.
#
# Its parameters: one weight per (output channel, input channel) pair, c_o · c_i, plus **one
# bias per output channel**, c_o. In general a layer has c_o · c_i · k_h · k_w + c_o parameters.
# (The bilingual notes say (c_o + 1) × (c_i + 1); that counts a bias per input channel and one
# more, which no layer has.)

# %%
reduce = chanconv.conv2d_cost(256, 64, 1, 1, 28, 28)
print(reduce)
print("weights c_o·c_i:", reduce.weights, " biases c_o:", reduce.params - reduce.weights)
print("(c_o + 1)(c_i + 1) would be:", (64 + 1) * (256 + 1), "— not a parameter count")
layer = torch.nn.Conv2d(256, 64, kernel_size=1)
print("torch.nn.Conv2d(256, 64, 1) has", sum(p.numel() for p in layer.parameters()), "parameters")

# %% [markdown] slideshow={"slide_type": "fragment"}
# It runs as one matrix product, and `chanconv.conv2d` chooses that method by itself for 1 × 1
# kernels. A 3 × 3 layer with the same channels would have nine times the weights:

# %%
X256 = torch.randn(256, 28, 28, generator=g).to(device)
W64 = torch.randn(64, 256, 1, 1, generator=g).to(device) / 16
print("method chosen:", chanconv.auto_method(256, 64, 1, 1, 28, 28))
print("Y:", tuple(chanconv.conv2d(X256, W64).shape))
print("3×3 instead:", chanconv.conv2d_cost(256, 64, 3, 3, 28, 28, padding=1).params, "parameters")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Combining edge channels, pixel by pixel
#
# The lecture's example: given a horizontal-edge channel and a vertical-edge channel, a 1 × 1
# convolution combines them into a new feature at every pixel. First a 3 × 3 layer with two
# output channels (Sobel kernels) on a grayscale photo:

# %%
photo = load_photo(height=150, device=device)
gray = torch.einsum("c,chw->hw", torch.tensor([0.299, 0.587, 0.114], device=device), photo)[None]
sobel = torch.tensor([[1.0, 2.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -2.0, -1.0]])
W_edges = torch.stack([sobel, sobel.T])[:, None].to(device)  # (c_o, c_i, k_h, k_w) = (2, 1, 3, 3)
E = chanconv.conv2d(gray, W_edges, padding=1)  # channel 0: horizontal edges, 1: vertical edges
print("edges E:", tuple(E.shape))

# %% [markdown] slideshow={"slide_type": "subslide"}
# A 1 × 1 layer with weights [[1, 1], [1, −1]] / √2 turns the two channels into two new ones:
# edges along the two diagonals. A second 1 × 1 layer, applied to the squared channels with
# weights [1, 1], gives the edge strength whatever the orientation.

# %%
W_diag = (torch.tensor([[1.0, 1.0], [1.0, -1.0]]) / 2**0.5).reshape(2, 2, 1, 1).to(device)
D = chanconv.conv2d(E, W_diag)
strength = chanconv.conv2d(E**2, torch.ones(1, 2, 1, 1, device=device)).sqrt()
print("diagonal edges D:", tuple(D.shape), " strength:", tuple(strength.shape))

# %% [markdown] slideshow={"slide_type": "fragment"}
# What to see: the first two maps respond to one orientation each; the 1 × 1 mixtures respond
# to the diagonals (the glasses' rims, the cap's slanted edges); the strength map outlines
# everything.

# %%
fig = plot_maps([E[0].cpu(), E[1].cpu(), D[0].cpu(), D[1].cpu(), strength[0].cpu()],
                ["E[0]: horizontal", "E[1]: vertical", "1×1: diagonal ↘", "1×1: diagonal ↗",
                 "strength √(E[0]² + E[1]²)"], ncols=5)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Without a nonlinearity in between, a 1 × 1 layer after a 3 × 3 layer is itself one 3 × 3 layer:
# its kernel is the 1 × 1 weights applied to the 3 × 3 kernels. (The squaring above is what adds
# something new.)

# %%
W_combined = torch.einsum("oc,cihw->oihw", W_diag[:, :, 0, 0], W_edges)
print("one 3×3 layer gives the same D:",
      torch.allclose(chanconv.conv2d(gray, W_combined, padding=1), D, atol=1e-5))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Learning a 1 × 1 convolution: RGB → grayscale
#
# Grayscale is a 1 × 1 convolution with c_i = 3, c_o = 1 and weights 0.299, 0.587, 0.114. Can
# gradient descent find them from examples? Make training pairs with exactly those weights and
# fit a 1 × 1 `chanconv.conv2d` (weights and bias start at 0) by minimizing the squared error.
#
# The training images are random colours: in a photo R, G and B rise and fall together, so many
# weightings give almost the same gray and the weights are poorly determined. Random colours vary
# the channels independently.

# %%
luma = torch.tensor([0.299, 0.587, 0.114], device=device).reshape(1, 3, 1, 1)
X_train = torch.rand((16, 3, 16, 16), generator=g).to(device)
T_train = chanconv.conv2d(X_train, luma)
W = torch.zeros((1, 3, 1, 1), device=device, requires_grad=True)
b = torch.zeros(1, device=device, requires_grad=True)
optimizer = torch.optim.SGD([W, b], lr=0.5)
for step in range(501):
    optimizer.zero_grad()
    loss = ((chanconv.conv2d(X_train, W, b) - T_train) ** 2).mean()
    loss.backward()
    optimizer.step()
    if step in (0, 10, 100, 500):
        print(f"step {step:3}: loss {loss.item():.1e}  weights {[round(w, 3) for w in W.flatten().tolist()]}"
              f"  bias {b.item():+.3f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# The learned weights are the luminance weights it was generated with. Applied to the photo, the
# learned layer gives the grayscale image:

# %%
learned_gray = chanconv.conv2d(photo, W.detach(), b.detach())
print("learned weights:", [round(w, 3) for w in W.flatten().tolist()])
print("equals the true grayscale within 1e-4:", torch.allclose(learned_gray, gray, atol=1e-4))
fig = plot_maps([photo.permute(1, 2, 0).cpu(), learned_gray[0].cpu()], ["X (RGB)", "learned 1×1: Y"])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Recap
#
# - A 1 × 1 convolution (k_h = k_w = 1) recognizes no spatial pattern: it is a fully connected
#   layer with a c_o × c_i weight matrix applied at every pixel, and runs as one matrix product.
# - It changes the number of channels (256 → 64) at a cost of c_o · c_i + c_o parameters.
# - It combines channels into new per-pixel features (diagonal edges from horizontal and
#   vertical ones); it is linear, so two linear layers in a row are one.
# - Gradient descent recovers a 1 × 1 layer's weights from examples when the inputs vary the
#   channels independently.
#
# Next: the whole convolutional layer, its parameters and its cost.

# %% slideshow={"slide_type": "skip"}
plt.close("all")
