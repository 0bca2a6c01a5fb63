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
# # 7. Exercises
#
# The exercises of Dive into Deep Learning's section "Multiple Input and Multiple Output
# Channels", and one beyond the book. Each has a cell for your answer and a cell that checks it:
# it says right, or gives a hint, never the answer. Replace each `None` and run the check.
#
# The instructor edition of this notebook (`make instructor`) has worked solutions after each
# exercise; the student edition (`make student`) does not.

# %% slideshow={"slide_type": "skip"}
import torch

import chanconv
from chanconv.exercises import (
    check_block_diagonal,
    check_combined_kernel_size,
    check_conv_as_matmul,
    check_converse,
    check_cost_factors,
    check_exactly_equal,
    check_forward_backward,
    check_grouped,
    check_strip_reads,
    compose_kernels,
)

_ = torch.manual_seed(0)  # seed every random draw below

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise 1: two convolutions in a row
#
# Convolve with kernel k1, then with kernel k2, with no nonlinearity in between (no padding,
# stride 1). Show that the result equals a single convolution. What is its kernel size (for
# k1 × k1 and k2 × k2 kernels)? Is the converse true: can every convolution be split into two
# smaller ones?

# %% tags=["exercise"]
combined_kernel_size = None  # a function (k1, k2) -> the side of the single kernel
every_convolution_splits = None  # True or False

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["solution"]
# **Solution.** Output pixel (i, j) of the second layer sums the first layer's outputs at
# (i + u, j + v) for 0 ≤ u, v < k2, and each of those sums the input at (i + u + a, j + v + b)
# for 0 ≤ a, b < k1. Everything is linear, so the result is one sum over the input at offsets
# u + a from 0 to k1 + k2 − 2, with weights that depend only on the offset: a single convolution
# whose kernel, of size **k1 + k2 − 1**, is K[o, i, s, t] = Σ_m Σ_{u+a=s, v+b=t} K2[o, m, u, v] K1[m, i, a, b].
# The converse is **false**: a 3 × 3 kernel has 9 free numbers; two 2 × 2 single-channel
# kernels have 8, so they cannot make every 3 × 3 kernel (most are not separable).

# %% tags=["solution"]
def combined_kernel_size(k1, k2):
    return k1 + k2 - 1


every_convolution_splits = False

# the numeric experiment: two layers equal one layer with the composed kernel
K1, K2 = torch.randn(4, 3, 3, 3), torch.randn(2, 4, 5, 5)
X = torch.randn(3, 16, 16)
K = compose_kernels(K1, K2)
print("composed kernel:", tuple(K.shape),
      "  equal:", torch.allclose(chanconv.conv2d(chanconv.conv2d(X, K1), K2), chanconv.conv2d(X, K), atol=1e-3))

# %%
check_combined_kernel_size(combined_kernel_size)
check_converse(every_convolution_splits)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise 2: the cost of forward and backward passes
#
# Input c_i × h × w, kernel c_o × c_i × k_h × k_w, padding (p_h, p_w), stride (s_h, s_w). Write,
# as functions of (c_i, c_o, h, w, k_h, k_w, p_h, p_w, s_h, s_w):
# 1. the multiply-adds of the forward pass (one multiplication and one addition each);
# 2. its memory footprint, in numbers stored: input, weights and biases, output;
# 3. the multiply-adds of the backward pass (gradients of the input and of the weights);
# 4. its memory footprint: what the forward stored, plus the gradients.

# %% tags=["exercise"]
forward_macs = None
forward_memory = None
backward_macs = None
backward_memory = None

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["solution"]
# **Solution.** With m_h = ⌊(h + 2p_h − k_h)/s_h⌋ + 1 and m_w likewise, the forward pass does
# c_o · m_h · m_w · c_i · k_h · k_w multiply-adds (as many multiplications, and as many additions
# counting the bias). It stores c_i h w + c_o c_i k_h k_w + c_o + c_o m_h m_w numbers. The
# backward pass computes ∂L/∂X (each output gradient spreads back through its window: the same
# multiply-adds) and ∂L/∂W (each weight sums over all output positions: the same again), so about
# twice the forward cost, and it needs a gradient of the same size for each of X, W and b, and Y.

# %% tags=["solution"]
def _m(n, k, p, s):
    return (n + 2 * p - k) // s + 1


def forward_macs(c_i, c_o, h, w, k_h, k_w, p_h, p_w, s_h, s_w):
    return c_o * _m(h, k_h, p_h, s_h) * _m(w, k_w, p_w, s_w) * c_i * k_h * k_w


def forward_memory(c_i, c_o, h, w, k_h, k_w, p_h, p_w, s_h, s_w):
    return c_i * h * w + c_o * c_i * k_h * k_w + c_o + c_o * _m(h, k_h, p_h, s_h) * _m(w, k_w, p_w, s_w)


def backward_macs(*args):
    return 2 * forward_macs(*args)


def backward_memory(*args):
    return 2 * forward_memory(*args)


# %%
check_forward_backward(forward_macs, forward_memory, backward_macs, backward_memory)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise 3: what doubling costs
#
# For c_i = c_o = 64, 3 × 3 kernels, a 32 × 32 input and padding 1: by what factor does the
# computation grow when c_i and c_o both double? When the padding doubles (to 2)?

# %% tags=["exercise"]
factor_double_channels = None
factor_double_padding = None

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["solution"]
# **Solution.** The cost c_i · c_o · k_h · k_w · m_h · m_w has c_i and c_o as factors: doubling
# both multiplies it by 4. Padding changes only the output size: with padding 1 the output is
# 32 × 32, with padding 2 it is 34 × 34, a factor (34/32)² ≈ 1.13 (and the extra outputs near the
# border mostly multiply zeros).

# %% tags=["solution"]
base = chanconv.conv2d_cost(64, 64, 3, 3, 32, 32, padding=1)
factor_double_channels = chanconv.conv2d_cost(128, 128, 3, 3, 32, 32, padding=1).macs / base.macs
factor_double_padding = chanconv.conv2d_cost(64, 64, 3, 3, 32, 32, padding=2).macs / base.macs
print(factor_double_channels, round(factor_double_padding, 4))

# %%
check_cost_factors(factor_double_channels, factor_double_padding)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise 4: are Y1 and Y2 exactly equal?
#
# In notebook 3, Y1 = `corr2d_multi_in_out_1x1(X, K)` and Y2 = `corr2d_multi_in_out(X, K)` were
# compared with a tolerance. Are they always *exactly* equal?

# %% tags=["exercise"]
always_exactly_equal = None  # True or False

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["solution"]
# **Solution.** Not always. Mathematically equal, but in float32 the matrix product (BLAS: blocked,
# vectorized, fused multiply-adds) and the loop add the c_i products in different orders and
# round differently; floating-point addition is not associative. Count how often they differ:

# %% tags=["solution", "nbval-ignore-output"]
always_exactly_equal = False
g = torch.Generator().manual_seed(4)
differ = sum(
    not torch.equal(chanconv.corr2d_multi_in_out_1x1(X, K), chanconv.corr2d_multi_in_out(X, K))
    for X, K in ((torch.rand(64, 3, 3, generator=g), torch.rand(8, 64, 1, 1, generator=g)) for _ in range(50))
)
print(f"{differ} of 50 random cases (c_i = 64) differ in at least one element")

# %%
check_exactly_equal(always_exactly_equal)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise 5: any convolution as a matrix product
#
# Write `conv_as_matmul(X, K)` for X (c_i, n_h, n_w) and K (c_o, c_i, k_h, k_w) (no padding,
# stride 1) that computes the cross-correlation as **one** matrix product, for any window size.

# %% tags=["exercise"]
conv_as_matmul = None  # a function (X, K) -> Y of shape (c_o, m_h, m_w)

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["solution"]
# **Solution.** im2col: build a (c_i · k_h · k_w) × (m_h · m_w) matrix whose column p holds the
# window of output pixel p, in the order of K's last three axes; then K reshaped to
# c_o × (c_i · k_h · k_w) times that matrix is Y, reshaped to c_o × m_h × m_w. (chanconv's `im2col`
# method is exactly this, in chunks for large layers; `im2row` is the transposed, channels-last
# variant.)

# %% tags=["solution"]
def conv_as_matmul(X, K):
    c_o, c_i, k_h, k_w = K.shape
    m_h, m_w = X.shape[1] - k_h + 1, X.shape[2] - k_w + 1
    windows = X.unfold(1, k_h, 1).unfold(2, k_w, 1)  # (c_i, m_h, m_w, k_h, k_w), a view
    cols = windows.permute(0, 3, 4, 1, 2).reshape(c_i * k_h * k_w, m_h * m_w)
    return (K.reshape(c_o, -1) @ cols).reshape(c_o, m_h, m_w)


# %%
check_conv_as_matmul(conv_as_matmul)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise 6: a k × (k + Δ) strip
#
# A fast k × k convolution reads a strip k rows high and k + Δ columns wide and produces Δ
# outputs of one row at once, instead of reading a k × k window per output. Write
# `reads_per_output(k, delta)`: the input values read per output this way (one channel). Why is
# it better, and what limits Δ?

# %% tags=["exercise"]
reads_per_output = None

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["solution"]
# **Solution.** The strip holds k (k + Δ) values and serves Δ outputs: k (k + Δ) / Δ reads per
# output, falling from k² (Δ = 1) towards k. Neighbouring windows overlap in k − 1 columns, so
# reading the strip once reuses each value for up to k outputs, and the loads become long
# contiguous rows that vector units and caches handle well. Δ is limited by the registers (or the
# fastest cache) that must hold the strip, the k × k kernel and the Δ partial sums at once; past
# that, values spill and the reuse is lost. The width of the image limits it too.

# %% tags=["solution"]
def reads_per_output(k, delta):
    return k * (k + delta) / delta


print([round(reads_per_output(3, d), 2) for d in (1, 2, 4, 8, 16)])

# %%
check_strip_reads(reads_per_output)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise 7: block-diagonal channel mixing
#
# A c × c weight matrix (a 1 × 1 layer with c_i = c_o = c) is made block-diagonal with b equal
# blocks. Write `speedup(c, b)`: how many times fewer multiply-adds the product needs. What is the
# downside, and how can it be fixed, at least in part?

# %% tags=["exercise"]
speedup = None

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["solution"]
# **Solution.** b blocks of (c/b) × (c/b) cost b · c²/b² = c²/b multiply-adds instead of c²: b
# times fewer (and b times fewer parameters). The downside: output channels of one block see only
# the input channels of that block, so the groups never exchange information and the layer is
# less expressive. The fix: vary the grouping from layer to layer so information crosses groups,
# e.g. a channel shuffle between grouped layers (ShuffleNet), or a cheap 1 × 1 layer that mixes
# all channels after the grouped one (depthwise-separable convolutions, next).

# %% tags=["solution"]
def speedup(c, b):
    return c * c / (b * (c // b) ** 2)


# %%
check_block_diagonal(speedup)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Beyond the book: grouped and depthwise-separable convolutions
#
# `chanconv.conv2d(..., groups=g)` splits the channels into g groups, each an independent
# convolution (the weight then has shape c_o × c_i/g × k_h × k_w); `conv2d_cost(..., groups=g)`
# counts it. For c_i = c_o = 64 and 3 × 3 kernels (bias included), find the parameters of a layer
# with groups = 4, and of a depthwise-separable layer: a depthwise 3 × 3 layer (groups = 64)
# followed by a 1 × 1 layer 64 → 64. Then write the separable layer with padding 1.

# %% tags=["exercise"]
grouped_params = None
separable_params = None
separable = None  # a function (X, Wd, bd, Wp, bp) -> Y

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["solution"]
# **Solution.** With 4 groups each output channel reads 16 input channels: 64 · 16 · 9 + 64
# parameters, a quarter of the full layer's weights. The depthwise layer has one 3 × 3 kernel per
# channel (64 · 9 + 64), the 1 × 1 layer 64 · 64 + 64: together about 8× fewer parameters and
# multiply-adds than a full 3 × 3 layer, with every output still reading every input channel.

# %% tags=["solution"]
full = chanconv.conv2d_cost(64, 64, 3, 3, 32, 32, padding=1)
grouped = chanconv.conv2d_cost(64, 64, 3, 3, 32, 32, padding=1, groups=4)
depthwise = chanconv.conv2d_cost(64, 64, 3, 3, 32, 32, padding=1, groups=64)
pointwise = chanconv.conv2d_cost(64, 64, 1, 1, 32, 32)
grouped_params = grouped.params
separable_params = depthwise.params + pointwise.params
print(f"full 3×3:   {full.params:6,} parameters, {full.macs:11,} MACs")
print(f"groups = 4: {grouped.params:6,} parameters, {grouped.macs:11,} MACs")
print(f"separable:  {separable_params:6,} parameters, {depthwise.macs + pointwise.macs:11,} MACs")


def separable(X, Wd, bd, Wp, bp):
    return chanconv.conv2d(chanconv.conv2d(X, Wd, bd, padding=1, groups=64), Wp, bp)


# %%
check_grouped(grouped_params, separable_params, separable)
