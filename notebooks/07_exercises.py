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

# %% [markdown] slideshow={"slide_type": "slide"} tags=["exercise"]
# # 7. Exercises
#
# The exercises of Dive into Deep Learning's section "Multiple Input and Multiple Output
# Channels", and one beyond the book. Each has a cell for your answer and a cell that checks it:
# the check says ✓ right, or gives a hint (a nudge first, more on later tries of the same part),
# never the answer. Replace each `None`, run your cell, then run the check. Where a question asks
# *why*, *prove* or *explain*, write in the markdown cell marked ✍ (double-click it); math
# between dollar signs is typeset.
#
# If your instructor gives you a student id, write it in the setup cell below (the one that
# imports the checks, after the Colab cell): `set_student("your id")`. Exercises 3 and 8 then
# have your own numbers, and the grader reads your id from that line.
#
# Each exercise says what its answer must be: a function or a number, an `int` or a `float`, and
# how close a number must come. Counts are exact (an `int`; a float equal to it, such as `4.0`,
# passes too); ratios are compared to within a stated tolerance.

# %% slideshow={"slide_type": "skip"}
import torch

import chanconv  # noqa: F401 - chanconv.conv2d, chanconv.conv2d_cost ... for your answers
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
    describe_3,
    describe_8,
    set_student,
)

set_student(None)  # your student id, if your instructor gives you one: set_student("your id")
_ = torch.manual_seed(0)  # seed every random draw below

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise 1: two convolutions in a row
#
# Cross-correlate with a $k_1 \times k_1$ kernel, then with a $k_2 \times k_2$ kernel, with no
# nonlinearity in between (no padding, stride 1, no bias). **Prove** that the result equals a
# single cross-correlation, and write `combined_kernel_size(k1, k2)`: the side of its kernel, a
# whole number (an `int`).

# %% tags=["exercise"]
combined_kernel_size = None  # a function (k1, k2) -> the side of the single kernel (an int)

# %%
check_combined_kernel_size(combined_kernel_size)

# %% [markdown] tags=["exercise", "answer"]
# ✍ **Your proof** (why is it one cross-correlation?): *double-click and write here*

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 1, the converse
#
# Is the converse true: can every $3 \times 3$ kernel be written as two stacked $2 \times 2$
# layers (1 channel → $c_m$ middle channels → 1 channel, no bias, no nonlinearity)? The answer
# depends on $c_m$. Pick the case you answer in `middle_channels` (an `int` ≥ 1), then give the
# evidence:
#
# * if some $3 \times 3$ kernel cannot be expressed with that $c_m$: such a kernel in
#   `counterexample`, a tensor or nested lists (the checker tries to factor it by least squares;
#   it must leave more than 0.1 % of the kernel unexplained);
# * if every $3 \times 3$ kernel can: a function `split(K)` returning the two layers' kernels
#   `K1` of shape `(c_m, 1, 2, 2)` and `K2` of shape `(1, c_m, 2, 2)` (the checker tries it on
#   many kernels; the two layers must give the kernel back to within $10^{-6}$).
#
# Leave the other one at `None`.

# %% tags=["exercise"]
middle_channels = None  # c_m: the number of channels between the two 2 × 2 layers
counterexample = None  # a 3 × 3 kernel (a tensor) that those two layers cannot express, or
split = None  # a function K (3 × 3) -> (K1 (c_m, 1, 2, 2), K2 (1, c_m, 2, 2)) for every K

# %%
check_converse(middle_channels, counterexample, split)

# %% [markdown] tags=["exercise", "answer"]
# ✍ **Your explanation** (why does the answer depend on $c_m$?): *double-click and write here*

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise 2: the cost of forward and backward passes
#
# Input $c_i \times n_h \times n_w$ (batch 1), kernel $c_o \times c_i \times k_h \times k_w$ with
# a bias, padding $(p_h, p_w)$, stride $(s_h, s_w)$. The layer computes, for every output channel,
#
# $$\mathbf{Y}_{o} = \sum_i \mathbf{X}_{i} \star \mathbf{K}_{o,i} + b_o,$$
#
# an $m_h \times m_w$ map with
#
# $$m_h = \left\lfloor \frac{n_h + 2p_h - k_h}{s_h} \right\rfloor + 1$$
#
# (and $m_w$ likewise). Write, as functions of `(c_i, c_o, n_h, n_w, k_h, k_w, p_h, p_w, s_h, s_w)`:
# 1. `forward_macs`: the multiply-adds of the forward pass (one multiplication and one addition
#    count as one multiply-add; counting the bias additions too is up to you);
# 2. `forward_memory`: its memory footprint, in numbers stored: input, weights and biases, output;
# 3. `backward_macs`: the multiply-adds of the backward pass (gradients of the input and of the
#    weights; the bias gradient's additions may be counted or not);
# 4. `backward_memory`: its footprint: what the forward stored, plus the gradients.
#
# Each returns an exact count: an `int` (a float equal to it, such as `4.0`, passes too). The
# output size rounds down: use `//`, not `/`. You may write the counts out or build them on
# `chanconv.conv2d_cost`. Then **explain** where the backward pass's multiply-adds come from.
# (Notebook 9, *the backward pass*, derives these gradients and shows each as a convolution: read
# it after you have tried.)

# %% tags=["exercise"]
forward_macs = None  # each a function (c_i, c_o, n_h, n_w, k_h, k_w, p_h, p_w, s_h, s_w) -> a count
forward_memory = None
backward_macs = None
backward_memory = None

# %%
check_forward_backward(forward_macs, forward_memory, backward_macs, backward_memory)

# %% [markdown] tags=["exercise", "answer"]
# ✍ **Your explanation** (where do the backward multiply-adds come from?): *double-click and write here*

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise 3: what doubling costs
#
# For the layer printed below (your own numbers if you set a student id): by what factor do the
# multiply-adds, $\mathcal{O}(c_i c_o k_h k_w m_h m_w)$, grow when $c_i$ and $c_o$ both double? When
# the padding doubles?
#
# Give each factor as a number, an `int` or a `float` (`4` and `4.0` are the same). The channel
# factor must be exact; the padding factor within 0.1 %: give four significant digits (such as
# `1.129`) or compute the ratio exactly — `1.1` is too rough.

# %%
print(describe_3())

# %% tags=["exercise"]
factor_double_channels = None  # a number (exact)
factor_double_padding = None  # a number (within 0.1 %)

# %%
check_cost_factors(factor_double_channels, factor_double_padding)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise 4: are Y1 and Y2 exactly equal?
#
# In notebook 3, `Y1 = corr2d_multi_in_out_1x1(X, K)` and `Y2 = corr2d_multi_in_out(X, K)` were
# compared with a tolerance. Are they always *exactly* equal (`torch.equal`)? If not, give
# `X_differ` and `K_differ`, finite `float32` tensors of shapes $(c_i, n_h, n_w)$ and
# $(c_o, c_i, 1, 1)$, for which they differ, and **explain why**.

# %% tags=["exercise"]
X_differ = None  # a float32 tensor (c_i, n_h, n_w)
K_differ = None  # a float32 tensor (c_o, c_i, 1, 1)

# %%
check_exactly_equal(X_differ, K_differ)

# %% [markdown] tags=["exercise", "answer"]
# ✍ **Your explanation** (why can they differ?): *double-click and write here*

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise 5: any convolution as one matrix product
#
# Write `conv_as_matmul(X, K, stride, padding)` for `X` of shape $(\text{batch}, c_i, n_h, n_w)$,
# `K` of shape $(c_o, c_i, k_h, k_w)$, `stride` $(s_h, s_w)$ and `padding` $(p_h, p_w)$ that
# computes the cross-correlation `Y`, of shape $(\text{batch}, c_o, m_h, m_w)$, with **one** matrix
# product for the whole batch (rearranging data — padding, indexing, reshaping — is free; the
# multiply-adds must all be in that one product). The check compares it with
# `torch.nn.functional.conv2d` (a floating-point tensor, within $10^{-4}$ relative and absolute)
# and counts the products it calls. (Notebook 8 times chanconv's `im2col` and `im2row` methods,
# which are this idea made fast: read it after you have tried.)

# %% tags=["exercise"]
conv_as_matmul = None  # a function (X, K, stride, padding) -> Y

# %%
check_conv_as_matmul(conv_as_matmul)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise 6: a $k \times (k + \Delta - 1)$ strip
#
# A fast $k \times k$ convolution reads a strip $k$ rows high and $k + \Delta - 1$ columns wide and
# produces $\Delta$ outputs of one row at once, instead of reading a $k \times k$ window per output.
# Write `reads_per_output(k, delta)`: the input values read per output this way (one channel), as
# an exact ratio (a `float`: use `/`, not `//`). **Why** is it better, and what limits $\Delta$?

# %% tags=["exercise"]
reads_per_output = None  # a function (k, delta) -> a number (the exact ratio)

# %%
check_strip_reads(reads_per_output)

# %% [markdown] tags=["exercise", "answer"]
# ✍ **Your answer** (why is it better; what limits $\Delta$?): *double-click and write here*

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise 7: block-diagonal channel mixing
#
# A $c \times c$ weight matrix (a $1 \times 1$ layer with $c_i = c_o = c$) is made block-diagonal
# with $b$ equal blocks ($b$ divides $c$). Write `speedup(c, b)`: how many times fewer multiply-adds
# the product needs, as an exact ratio (use `/`). What is the **downside**, and how can it be
# fixed, at least in part?

# %% tags=["exercise"]
speedup = None  # a function (c, b) -> a number (the exact ratio)

# %%
check_block_diagonal(speedup)

# %% [markdown] tags=["exercise", "answer"]
# ✍ **Your answer** (the downside, and a fix): *double-click and write here*

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Beyond the book (exercise 8): grouped and depthwise-separable convolutions
#
# `chanconv.conv2d(..., groups=g)` splits the channels into $g$ groups, each an independent
# convolution (the weight then has shape $c_o \times c_i/g \times k_h \times k_w$);
# `conv2d_cost(..., groups=g)` counts it. For the numbers printed below (bias included: a full
# layer has $c_o c_i k_h k_w + c_o$ parameters), find the parameters of the grouped layer, and of a
# depthwise-separable layer: a depthwise $k \times k$ layer (groups = $c$) followed by a
# $1 \times 1$ layer $c \to c$; both are exact counts (`int`). Then write that separable layer,
# `separable(X, Wd, bd, Wp, bp)`: input `X (batch, c, n_h, n_w)`; the depthwise layer's weights
# `Wd (c, 1, k, k)` and bias `bd (c,)`, padded by `k // 2` (stride 1); the $1 \times 1$ layer's
# weights `Wp (c, c, 1, 1)` and bias `bp (c,)`; the result `Y (batch, c, n_h, n_w)` has the
# input's size, and must match torch's to within $10^{-3}$.

# %%
print(describe_8())

# %% tags=["exercise"]
grouped_params = None  # a number (exact)
separable_params = None  # a number (exact)
separable = None  # a function (X, Wd, bd, Wp, bp) -> Y:
# X (batch, c, n_h, n_w), Wd (c, 1, k, k), bd (c,), Wp (c, c, 1, 1), bp (c,) -> Y (batch, c, n_h, n_w);
# the depthwise layer pads by k // 2

# %%
check_grouped(grouped_params, separable_params, separable)
