# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: chanconv (Python 3)
#     language: python
#     name: chanconv
# ---

# %% [markdown] id="ae5095e6" tags=["source"] slideshow={"slide_type": "skip"}
# <!-- The one source of notebook 7. `python scripts/editions.py generate` writes the student
# notebook notebooks/07_exercises.(py|ipynb) from it (cells tagged `solution` dropped);
# `make instructor` builds the instructor edition (cells tagged `exercise` dropped).
# Edit the exercises here, never in notebooks/. Every markdown cell has a fixed id (id="..."):
# its Chinese twin in i18n/zh/07_exercises.md is keyed by it; give a new markdown cell a new one. -->

# %% [markdown] id="49534638" slideshow={"slide_type": "slide"} tags=["exercise"]
# # 7. Exercises
#
# The exercises of Dive into Deep Learning's section "Multiple Input and Multiple Output
# Channels", and one beyond the book.

# %% [markdown] id="f4bbc078" slideshow={"slide_type": "notes"} tags=["exercise"]
# Each has a cell for your answer and a cell that checks it:
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

# %% [markdown] id="8fd3c2f3" slideshow={"slide_type": "skip"} tags=["solution"]
# # 7. Exercises — instructor edition
#
# The exercises of Dive into Deep Learning's section "Multiple Input and Multiple Output
# Channels", and one beyond the book, with a model solution (code) and a model answer (prose)
# after each; every model solution is run through the same checker the students get. Students
# work in `notebooks/07_exercises.ipynb`, which has blanks in place of the solutions.
# `make grade SUBMISSIONS=dir` grades a folder of submitted notebooks, contained, and writes a
# sheet for the LMS, a printable summary and the students' written answers side by side (README,
# "Grading a class").

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

# %% [markdown] id="4b69c036" slideshow={"slide_type": "slide"}
# ## Exercise 1: two convolutions in a row
#
# Cross-correlate with a $k_1 \times k_1$ kernel, then with a $k_2 \times k_2$ kernel, with no
# nonlinearity in between (no padding, stride 1, no bias). **Prove** that the result equals a
# single cross-correlation, and write `combined_kernel_size(k1, k2)`: the side of its kernel, a
# whole number (an `int`).

# %% tags=["exercise"] slideshow={"slide_type": "notes"}
combined_kernel_size = None  # a function (k1, k2) -> the side of the single kernel (an int)

# %% tags=["solution"] slideshow={"slide_type": "skip"}
def combined_kernel_size(k1, k2):
    return k1 + k2 - 1


# the numeric experiment: two layers equal one layer with the composed kernel
from chanconv.exercises import compose_kernels  # noqa: E402

K1, K2 = torch.randn(4, 3, 3, 3), torch.randn(2, 4, 5, 5)
X = torch.randn(3, 16, 16)
K = compose_kernels(K1, K2)
print("composed kernel:", tuple(K.shape),
      "  equal:", torch.allclose(chanconv.conv2d(chanconv.conv2d(X, K1), K2), chanconv.conv2d(X, K), atol=1e-3))

# %% slideshow={"slide_type": "skip"}
check_combined_kernel_size(combined_kernel_size)

# %% [markdown] id="139bf33e" tags=["exercise", "answer"] slideshow={"slide_type": "skip"}
# ✍ **Your proof** (why is it one cross-correlation?): *double-click and write here*

# %% [markdown] id="a032f7bb" slideshow={"slide_type": "skip"} tags=["solution"]
# **Model answer.** Output pixel $(u, v)$ of the second layer sums the first layer's outputs at
# $(u + p, v + q)$ for $0 \le p, q < k_2$, and each of those sums the input at
# $(u + p + a, v + q + e)$ for $0 \le a, e < k_1$. Everything is linear, so the result is one sum
# over the input at offsets $s = p + a$, $t = q + e$ from $0$ to $k_1 + k_2 - 2$, with weights
# that depend only on the offset, not on $(u, v)$: a single cross-correlation whose kernel, of side
# $k_1 + k_2 - 1$, is
#
# $$\mathbf{K}_{o,i,s,t} = \sum_m \sum_{p + a = s,\; q + e = t} \mathbf{K}^{(2)}_{o,m,p,q}\, \mathbf{K}^{(1)}_{m,i,a,e}$$
#
# (`compose_kernels`; $\mathbf{K}^{(1)}$ is the first layer's kernel, $\mathbf{K}^{(2)}$ the second's;
# $o$ and $i$ are the output and input channels, $m$ the middle ones).

# %% [markdown] id="b79b6b94" slideshow={"slide_type": "subslide"}
# ### Exercise 1, the converse
#
# Is the converse true: can every $3 \times 3$ kernel be written as two stacked $2 \times 2$
# layers (1 channel → $c_m$ middle channels → 1 channel, no bias, no nonlinearity)? The answer
# depends on $c_m$. Pick the case you answer in `middle_channels` (an `int` ≥ 1), then give the
# evidence:

# %% [markdown] id="f39fe6db" slideshow={"slide_type": "notes"}
# * if some $3 \times 3$ kernel cannot be expressed with that $c_m$: such a kernel in
#   `counterexample`, a tensor or nested lists (the checker tries to factor it by least squares;
#   it must leave more than 0.1 % of the kernel unexplained);
# * if every $3 \times 3$ kernel can: a function `split(K)` returning the two layers' kernels
#   `K1` of shape `(c_m, 1, 2, 2)` and `K2` of shape `(1, c_m, 2, 2)` (the checker tries it on
#   many kernels; the two layers must give the kernel back to within $10^{-6}$).
#
# Leave the other one at `None`.

# %% tags=["exercise"] slideshow={"slide_type": "notes"}
middle_channels = None  # c_m: the number of channels between the two 2 × 2 layers
counterexample = None  # a 3 × 3 kernel (a tensor) that those two layers cannot express, or
split = None  # a function K (3 × 3) -> (K1 (c_m, 1, 2, 2), K2 (1, c_m, 2, 2)) for every K

# %% tags=["solution"] slideshow={"slide_type": "skip"}
from chanconv.exercises import express_3x3  # noqa: E402 - least squares, as the checker uses it

# one middle channel: 8 numbers cannot make every set of 9; e.g. a kernel with only its corners
corners = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
print(f"c_m = 1: least squares leaves {express_3x3(corners, 1)[0]:.0%} of the corner kernel unexplained")

# four middle channels: each takes the part of K that one shift of a 2 × 2 window covers
middle_channels = 4
counterexample = None  # the claim is "every kernel", so the evidence is split


def split(K):
    K = torch.as_tensor(K, dtype=torch.float64)
    K1 = torch.zeros(4, 1, 2, 2, dtype=K.dtype)  # first layer: channel m holds a piece of K
    K2 = torch.zeros(1, 4, 2, 2, dtype=K.dtype)  # second layer: channel m shifted by (u, v)
    for s in range(3):
        for t in range(3):
            u, v = min(s, 1), min(t, 1)
            K1[2 * u + v, 0, s - u, t - v] = K[s, t]
    for m, (u, v) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        K2[0, m, u, v] = 1.0
    return K1, K2


print("c_m = 4: split(corners) composes back to it:",
      torch.equal(compose_kernels(*split(corners))[0, 0], corners.double()))
# two middle channels: least squares finds exact splits for random and for awkward kernels alike
g = torch.Generator().manual_seed(1)
tried = [corners, torch.tensor([[1.0, 0, 1], [0, 0, 0], [1, 0, 1]])]
tried += [torch.randn(3, 3, generator=g) for _ in range(5)]
print("c_m = 2: largest relative residual over", len(tried), "kernels:",
      f"{max(express_3x3(k, 2)[0] for k in tried):.0e}")

# %% slideshow={"slide_type": "skip"}
check_converse(middle_channels, counterexample, split)

# %% [markdown] id="f3bbf318" tags=["exercise", "answer"] slideshow={"slide_type": "skip"}
# ✍ **Your explanation** (why does the answer depend on $c_m$?): *double-click and write here*

# %% [markdown] id="7b4d5528" slideshow={"slide_type": "skip"} tags=["solution"]
# **Model answer.** It depends on the number of middle channels $c_m$.
# *One middle channel: false.* The two layers have $4 + 4 = 8$ weights (and one of them is
# redundant: scaling $\mathbf{K}^{(1)}$ by $t$ and $\mathbf{K}^{(2)}$ by $1/t$ changes nothing), a
# $3 \times 3$ kernel has 9 free numbers, so most $3 \times 3$ kernels cannot be made — e.g. the
# kernel with 1 in two opposite corners and 0 elsewhere (the checker confirms: least squares leaves
# most of it unexplained). In polynomial terms, the composed kernel is the product of two
# polynomials of degree $\le 1$ in $x$ and in $y$, and most degree-2 polynomials do not factor.
# *Several middle channels: true.* The composed kernel is a sum over middle channels, one product
# per channel. With **four** middle channels, let the second layer's channel $m$ be a one-hot
# $2 \times 2$ kernel (a shift by $(u, v) \in \{0, 1\}^2$) and the first layer's channel $m$ hold
# the entries of $\mathbf{K}$ that this shift places; every one of the 9 positions is reached by
# some shift, so every $3 \times 3$ kernel is expressed exactly (`split` above; a linear solve).
# Least squares suggests even **two** middle channels suffice for every kernel we tried (random
# ones and the counterexamples for $c_m = 1$).
#
# *For marking:* a short answer "the converse is false" (a common one, and the usual textbook
# reading) is right only for one middle channel; with four middle channels it is wrong (the split
# above is a construction, so a proof), and with two, least squares finds exact splits for every
# kernel tried (evidence, not a proof). Give credit to an answer that names the case it answers.

# %% [markdown] id="395b4ddd" slideshow={"slide_type": "slide"}
# ## Exercise 2: the cost of forward and backward passes
#
# Input $c_i \times n_h \times n_w$ (batch 1), kernel $c_o \times c_i \times k_h \times k_w$ with
# a bias, padding $(p_h, p_w)$, stride $(s_h, s_w)$. The layer computes, for every output channel,
#
# $$\mathbf{Y}_{o} = \sum_i \mathbf{X}_{i} \star \mathbf{K}_{o,i} + b_o,$$

# %% [markdown] id="a6443094" slideshow={"slide_type": "notes"}
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

# %% tags=["exercise"] slideshow={"slide_type": "notes"}
forward_macs = None  # each a function (c_i, c_o, n_h, n_w, k_h, k_w, p_h, p_w, s_h, s_w) -> a count
forward_memory = None
backward_macs = None
backward_memory = None

# %% tags=["solution"] slideshow={"slide_type": "skip"}
def _m(n, k, p, s):
    return (n + 2 * p - k) // s + 1


def forward_macs(c_i, c_o, n_h, n_w, k_h, k_w, p_h, p_w, s_h, s_w):
    return c_o * _m(n_h, k_h, p_h, s_h) * _m(n_w, k_w, p_w, s_w) * c_i * k_h * k_w


def forward_memory(c_i, c_o, n_h, n_w, k_h, k_w, p_h, p_w, s_h, s_w):
    return c_i * n_h * n_w + c_o * c_i * k_h * k_w + c_o + c_o * _m(n_h, k_h, p_h, s_h) * _m(n_w, k_w, p_w, s_w)


def backward_macs(*args):
    return 2 * forward_macs(*args)


def backward_memory(*args):
    return 2 * forward_memory(*args)


# %% slideshow={"slide_type": "skip"}
check_forward_backward(forward_macs, forward_memory, backward_macs, backward_memory)

# %% [markdown] id="524c5663" tags=["exercise", "answer"] slideshow={"slide_type": "skip"}
# ✍ **Your explanation** (where do the backward multiply-adds come from?): *double-click and write here*

# %% [markdown] id="49304a66" slideshow={"slide_type": "skip"} tags=["solution"]
# **Model answer.** With $m_h$ and $m_w$ as above, the forward pass does
#
# $$c_o\, m_h\, m_w \cdot c_i\, k_h\, k_w \quad\text{multiply-adds, that is } \mathcal{O}(c_i c_o k_h k_w m_h m_w),$$
#
# and stores $c_i n_h n_w + (c_o c_i k_h k_w + c_o) + c_o m_h m_w$ numbers: the input, the
# $c_o c_i k_h k_w + c_o$ parameters and the output. Every forward product
# $\mathbf{W}_{o,i,a,b} \cdot \mathbf{X}_{i,\cdot,\cdot}$ appears once in $\partial L/\partial \mathbf{X}$
# (the output gradient spreads back through each window: a transposed convolution) and once in
# $\partial L/\partial \mathbf{W}$ (each weight sums input × output gradient over all output
# positions): twice the forward multiply-adds. The bias gradient sums $\partial L/\partial \mathbf{Y}$
# over positions ($c_o m_h m_w$ additions, often left out; likewise the bias additions of the
# forward pass). Memory: the forward's tensors stay, plus a gradient of each one's size for
# $\mathbf{X}$, $\mathbf{W}$ and $b$, and the incoming $\partial L/\partial \mathbf{Y}$ (counted
# here; some count it as the next layer's). Notebook 9 derives each gradient as a convolution.

# %% [markdown] id="d4c49287" slideshow={"slide_type": "slide"}
# ## Exercise 3: what doubling costs
#
# For the layer printed below (your own numbers if you set a student id): by what factor do the
# multiply-adds, $\mathcal{O}(c_i c_o k_h k_w m_h m_w)$, grow when $c_i$ and $c_o$ both double? When
# the padding doubles?

# %% [markdown] id="a99cd7b7" slideshow={"slide_type": "-"}
# Give each factor as a number, an `int` or a `float` (`4` and `4.0` are the same). The channel
# factor must be exact; the padding factor within 0.1 %: give four significant digits (such as
# `1.129`) or compute the ratio exactly — `1.1` is too rough.

# %% slideshow={"slide_type": "-"}
print(describe_3())

# %% tags=["exercise"] slideshow={"slide_type": "-"}
factor_double_channels = None  # a number (exact)
factor_double_padding = None  # a number (within 0.1 %)

# %% tags=["solution"] slideshow={"slide_type": "skip"}
n = chanconv.exercises.numbers("3")
base = chanconv.conv2d_cost(n["c"], n["c"], n["k"], n["k"], n["n"], n["n"], padding=n["p"])
factor_double_channels = chanconv.conv2d_cost(2 * n["c"], 2 * n["c"], n["k"], n["k"], n["n"], n["n"],
                                              padding=n["p"]).macs / base.macs
factor_double_padding = chanconv.conv2d_cost(n["c"], n["c"], n["k"], n["k"], n["n"], n["n"],
                                             padding=2 * n["p"]).macs / base.macs
print(factor_double_channels, round(factor_double_padding, 4))

# %% slideshow={"slide_type": "skip"}
check_cost_factors(factor_double_channels, factor_double_padding)

# %% [markdown] id="e4ce222b" slideshow={"slide_type": "skip"} tags=["solution"]
# **Model answer.** The cost $c_i c_o k_h k_w m_h m_w$ has $c_i$ and $c_o$ as factors: doubling
# both multiplies it by 4. Padding changes only the output size, $m_h = n_h + 2p_h - k_h + 1$ at
# stride 1: for the default numbers (64 channels, $3 \times 3$, $32 \times 32$, padding 1) the
# output grows from $32 \times 32$ to $34 \times 34$, a factor $(34/32)^2 \approx 1.129$ (and the
# extra outputs near the border mostly multiply zeros). A student with their own numbers gets
# their own factors (`describe_3()` shows them); the checker accepts the padding factor to 0.1 %.

# %% [markdown] id="d0598ce7" slideshow={"slide_type": "slide"}
# ## Exercise 4: are Y1 and Y2 exactly equal?
#
# In notebook 3, `Y1 = corr2d_multi_in_out_1x1(X, K)` and `Y2 = corr2d_multi_in_out(X, K)` were
# compared with a tolerance. Are they always *exactly* equal (`torch.equal`)? If not, give
# `X_differ` and `K_differ`, finite `float32` tensors of shapes $(c_i, n_h, n_w)$ and
# $(c_o, c_i, 1, 1)$, for which they differ, and **explain why**.

# %% tags=["exercise"] slideshow={"slide_type": "-"}
X_differ = None  # a float32 tensor (c_i, n_h, n_w)
K_differ = None  # a float32 tensor (c_o, c_i, 1, 1)

# %% tags=["solution", "nbval-ignore-output"] slideshow={"slide_type": "skip"}
g = torch.Generator().manual_seed(4)
tries = 0
while tries < 200:  # random float32 inputs with many channels: rounding shows up quickly
    tries += 1
    X_differ, K_differ = torch.rand(64, 3, 3, generator=g), torch.rand(8, 64, 1, 1, generator=g)
    Y1 = chanconv.corr2d_multi_in_out_1x1(X_differ, K_differ)
    Y2 = chanconv.corr2d_multi_in_out(X_differ, K_differ)
    if not torch.equal(Y1, Y2):
        break
print(f"random X (64, 3, 3), K (8, 64, 1, 1): differ at try {tries}, "
      f"largest difference {float((Y1 - Y2).abs().max()):.1e}")

# %% slideshow={"slide_type": "skip"}
check_exactly_equal(X_differ, K_differ)

# %% [markdown] id="beeedc88" tags=["exercise", "answer"] slideshow={"slide_type": "skip"}
# ✍ **Your explanation** (why can they differ?): *double-click and write here*

# %% [markdown] id="dc6a44cd" slideshow={"slide_type": "skip"} tags=["solution"]
# **Model answer.** Not always. They are equal in exact arithmetic, but in float32 every addition
# rounds, and floating-point addition is not associative: (a + b) + c can differ from
# a + (b + c) in the last bit. The matrix product (BLAS: blocked, vectorized, fused multiply-adds)
# and the loop over channels add the $c_i$ products of one output in different orders, so with
# many channels and values that are not small integers some outputs differ by a few ulps. With
# small integers (the lecture's example) every partial sum is exact and the two agree.

# %% [markdown] id="51a9d8ce" slideshow={"slide_type": "slide"}
# ## Exercise 5: any convolution as one matrix product

# %% [markdown] id="b8d61594" slideshow={"slide_type": "notes"}
# Write `conv_as_matmul(X, K, stride, padding)` for `X` of shape $(\text{batch}, c_i, n_h, n_w)$,
# `K` of shape $(c_o, c_i, k_h, k_w)$, `stride` $(s_h, s_w)$ and `padding` $(p_h, p_w)$ that
# computes the cross-correlation `Y`, of shape $(\text{batch}, c_o, m_h, m_w)$, with **one** matrix
# product for the whole batch (rearranging data — padding, indexing, reshaping — is free; the
# multiply-adds must all be in that one product). The check compares it with
# `torch.nn.functional.conv2d` (a floating-point tensor, within $10^{-4}$ relative and absolute)
# and counts the products it calls. (Notebook 8 times chanconv's `im2col` and `im2row` methods,
# which are this idea made fast: read it after you have tried.)

# %% tags=["exercise"] slideshow={"slide_type": "-"}
conv_as_matmul = None  # a function (X, K, stride, padding) -> Y

# %% tags=["solution"] slideshow={"slide_type": "skip"}
import torch.nn.functional as F  # noqa: E402


def conv_as_matmul(X, K, stride, padding):
    (s_h, s_w), (p_h, p_w) = stride, padding
    c_o, c_i, k_h, k_w = K.shape
    Xp = F.pad(X, (p_w, p_w, p_h, p_h))
    windows = Xp.unfold(2, k_h, s_h).unfold(3, k_w, s_w)  # (batch, c_i, m_h, m_w, k_h, k_w), a view
    batch, _, m_h, m_w = windows.shape[:4]
    rows = windows.permute(0, 2, 3, 1, 4, 5).reshape(batch, m_h * m_w, c_i * k_h * k_w)  # im2row
    Y = rows @ K.reshape(c_o, c_i * k_h * k_w).T  # the one product: (batch, m_h m_w, c_o)
    return Y.reshape(batch, m_h, m_w, c_o).permute(0, 3, 1, 2)


# %% slideshow={"slide_type": "skip"}
check_conv_as_matmul(conv_as_matmul)

# %% [markdown] id="51cfb6f8" slideshow={"slide_type": "skip"} tags=["solution"]
# **Model answer.** im2row: pad, then gather each output pixel's window into one row of an
# $(m_h m_w) \times (c_i k_h k_w)$ matrix per sample, in the order of $\mathbf{K}$'s last three
# axes; $\mathbf{K}$ reshaped to $c_o \times (c_i k_h k_w)$, transposed, multiplies all rows of all
# samples at once. Stride only changes which windows are gathered. (chanconv's `im2col` method is
# the transposed variant, in chunks for large layers; `im2row` is this one; notebook 8 times both.)

# %% [markdown] id="8997f623" slideshow={"slide_type": "slide"}
# ## Exercise 6: a $k \times (k + \Delta - 1)$ strip
#
# A fast $k \times k$ convolution reads a strip $k$ rows high and $k + \Delta - 1$ columns wide and
# produces $\Delta$ outputs of one row at once, instead of reading a $k \times k$ window per output.

# %% [markdown] id="fc44a8b7" slideshow={"slide_type": "notes"}
# Write `reads_per_output(k, delta)`: the input values read per output this way (one channel), as
# an exact ratio (a `float`: use `/`, not `//`). **Why** is it better, and what limits $\Delta$?

# %% tags=["exercise"] slideshow={"slide_type": "notes"}
reads_per_output = None  # a function (k, delta) -> a number (the exact ratio)

# %% tags=["solution"] slideshow={"slide_type": "skip"}
def reads_per_output(k, delta):
    return k * (k + delta - 1) / delta


print([round(reads_per_output(3, d), 2) for d in (1, 2, 4, 8, 16)])

# %% slideshow={"slide_type": "skip"}
check_strip_reads(reads_per_output)

# %% [markdown] id="a56f30c4" tags=["exercise", "answer"] slideshow={"slide_type": "skip"}
# ✍ **Your answer** (why is it better; what limits $\Delta$?): *double-click and write here*

# %% [markdown] id="b3db1a87" slideshow={"slide_type": "skip"} tags=["solution"]
# **Model answer.** The strip's $k(k + \Delta - 1)$ values serve $\Delta$ outputs:
#
# $$\frac{k\,(k + \Delta - 1)}{\Delta} \quad \text{reads per output,}$$
#
# $k^2$ at $\Delta = 1$, falling towards $k$ as $\Delta$ grows. Neighbouring windows overlap in
# $k - 1$ columns, so reading the strip once reuses each value for up to $k$ outputs, and the loads
# become long contiguous rows that vector units and caches handle well. $\Delta$ is limited by the
# registers (or the fastest cache) that must hold the strip, the $k \times k$ kernel and the
# $\Delta$ partial sums at once; past that, values spill and the reuse is lost. The width of the
# image limits it too.

# %% [markdown] id="f2dd2fa6" slideshow={"slide_type": "slide"}
# ## Exercise 7: block-diagonal channel mixing
#
# A $c \times c$ weight matrix (a $1 \times 1$ layer with $c_i = c_o = c$) is made block-diagonal
# with $b$ equal blocks ($b$ divides $c$). Write `speedup(c, b)`: how many times fewer multiply-adds
# the product needs, as an exact ratio (use `/`). What is the **downside**, and how can it be
# fixed, at least in part?

# %% tags=["exercise"] slideshow={"slide_type": "-"}
speedup = None  # a function (c, b) -> a number (the exact ratio)

# %% tags=["solution"] slideshow={"slide_type": "skip"}
def speedup(c, b):
    return c * c / (b * (c // b) ** 2)


# %% slideshow={"slide_type": "skip"}
check_block_diagonal(speedup)

# %% [markdown] id="9b8a6657" tags=["exercise", "answer"] slideshow={"slide_type": "skip"}
# ✍ **Your answer** (the downside, and a fix): *double-click and write here*

# %% [markdown] id="172784db" slideshow={"slide_type": "skip"} tags=["solution"]
# **Model answer.** $b$ blocks of $(c/b) \times (c/b)$ cost $b \cdot c^2/b^2 = c^2/b$ multiply-adds
# instead of $c^2$: $b$ times fewer (and $b$ times fewer parameters). The downside: output channels
# of one block see only
# the input channels of that block, so the groups never exchange information and the layer is
# less expressive. The fix: vary the grouping from layer to layer so information crosses groups,
# e.g. a channel shuffle between grouped layers (ShuffleNet), or a cheap $1 \times 1$ layer that mixes
# all channels after the grouped one (depthwise-separable convolutions, next).

# %% [markdown] id="0fde057d" slideshow={"slide_type": "slide"}
# ## Beyond the book (exercise 8): grouped and depthwise-separable convolutions
#
# `chanconv.conv2d(..., groups=g)` splits the channels into $g$ groups, each an independent
# convolution (the weight then has shape $c_o \times c_i/g \times k_h \times k_w$);
# `conv2d_cost(..., groups=g)` counts it.

# %% [markdown] id="49c718dc" slideshow={"slide_type": "notes"}
# For the numbers printed below (bias included: a full
# layer has $c_o c_i k_h k_w + c_o$ parameters), find the parameters of the grouped layer, and of a
# depthwise-separable layer: a depthwise $k \times k$ layer (groups = $c$) followed by a
# $1 \times 1$ layer $c \to c$; both are exact counts (`int`). Then write that separable layer,
# `separable(X, Wd, bd, Wp, bp)`: input `X (batch, c, n_h, n_w)`; the depthwise layer's weights
# `Wd (c, 1, k, k)` and bias `bd (c,)`, padded by `k // 2` (stride 1); the $1 \times 1$ layer's
# weights `Wp (c, c, 1, 1)` and bias `bp (c,)`; the result `Y (batch, c, n_h, n_w)` has the
# input's size, and must match torch's to within $10^{-3}$.

# %% slideshow={"slide_type": "notes"}
print(describe_8())

# %% tags=["exercise"] slideshow={"slide_type": "notes"}
grouped_params = None  # a number (exact)
separable_params = None  # a number (exact)
separable = None  # a function (X, Wd, bd, Wp, bp) -> Y:
# X (batch, c, n_h, n_w), Wd (c, 1, k, k), bd (c,), Wp (c, c, 1, 1), bp (c,) -> Y (batch, c, n_h, n_w);
# the depthwise layer pads by k // 2

# %% tags=["solution"] slideshow={"slide_type": "skip"}
n = chanconv.exercises.numbers("8")
c, k = n["c"], n["k"]
full = chanconv.conv2d_cost(c, c, k, k, 32, 32, padding=k // 2)
grouped = chanconv.conv2d_cost(c, c, k, k, 32, 32, padding=k // 2, groups=n["groups"])
depthwise = chanconv.conv2d_cost(c, c, k, k, 32, 32, padding=k // 2, groups=c)
pointwise = chanconv.conv2d_cost(c, c, 1, 1, 32, 32)
grouped_params = grouped.params
separable_params = depthwise.params + pointwise.params
print(f"full {k}×{k}:    {full.params:7,} parameters, {full.macs:11,} MACs on 32 × 32")
print(f"groups = {n['groups']}: {grouped.params:7,} parameters, {grouped.macs:11,} MACs")
print(f"separable:  {separable_params:7,} parameters, {depthwise.macs + pointwise.macs:11,} MACs")


def separable(X, Wd, bd, Wp, bp):
    return chanconv.conv2d(chanconv.conv2d(X, Wd, bd, padding=Wd.shape[-1] // 2, groups=Wd.shape[0]), Wp, bp)


# %% slideshow={"slide_type": "skip"}
check_grouped(grouped_params, separable_params, separable)

# %% [markdown] id="7d44c1ca" slideshow={"slide_type": "skip"} tags=["solution"]
# **Model answer.** With $g$ groups each output channel reads $c/g$ input channels:
# $c \cdot (c/g) \cdot k^2 + c$ parameters, $1/g$ of the full layer's weights (default numbers:
# $64 \cdot 16 \cdot 9 + 64 = 9{,}280$). The depthwise layer has one $k \times k$ kernel per
# channel ($c k^2 + c$), the $1 \times 1$ layer $c^2 + c$: together about 8× fewer parameters and
# multiply-adds than a full $3 \times 3$ layer with 64 channels, with every output still reading
# every input channel.
