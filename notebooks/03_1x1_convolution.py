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
# Notebooks 1 and 2 built kernels of shape $c_o \times c_i \times k_h \times k_w$.

# %% [markdown] slideshow={"slide_type": "notes"}
# Take $k_h = k_w = 1$: the kernel
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
from chanconv import tr
from chanconv.course.data import load_photo
from chanconv.course.element import element_terms
from chanconv.course.figures import plot_maps, plot_multi_in_out

torch.manual_seed(0)
device = chanconv.default_device()
print(tr("device:"), device)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A fully connected layer at every pixel
#
# With a $1 \times 1$ kernel, output channel $o$ at row $u$, column $v$ is
#
# $$\mathbf{Y}_{o,u,v} = \sum_{i=0}^{c_i-1} \mathbf{K}_{o,i,0,0}\, \mathbf{X}_{i,u,v},$$

# %% [markdown] slideshow={"slide_type": "notes"}
# a weighted sum of the $c_i$ values **of that pixel only** ($i$ is the input channel, as in
# notebook 1): the same $c_o \times c_i$ weight matrix maps the $c_i$ inputs to $c_o$ outputs at
# every one of the $n_h n_w$ pixels. Reshape $\mathbf{X}$ to a $c_i \times n_h n_w$ matrix (one column
# per pixel) and $\mathbf{K}$ to a $c_o \times c_i$ matrix, and the whole layer is one matrix product,
# $\mathbf{Y} = \mathbf{K}\mathbf{X}$, a $c_o \times n_h n_w$ matrix reshaped back to
# $c_o \times n_h \times n_w$.
#
# That reshape back assumes what the lecture's code does: stride 1 and no padding. Then the output
# keeps the input's size; in general the output-size formula with $k_h = 1$ gives
#
# $$m_h = \left\lfloor \frac{n_h + 2p_h - 1}{s_h} \right\rfloor + 1,$$
#
# (likewise $m_w$), which is $n_h$ only for $p_h = 0$, $s_h = 1$. Padding adds border pixels whose
# inputs are all zero (their outputs are the bias alone); a stride of 2 keeps every second row and
# column.

# %% slideshow={"slide_type": "notes"}
def corr2d_multi_in_out_1x1(X, K):
    c_i, h, w = X.shape
    c_o = K.shape[0]
    X = X.reshape((c_i, h * w))
    K = K.reshape((c_o, c_i))
    Y = torch.matmul(K, X)  # the fully connected layer, for all h * w pixels at once
    return Y.reshape((c_o, h, w))


# %% slideshow={"slide_type": "notes"}
for n_h, p_h, s_h in [(28, 0, 1), (28, 1, 1), (28, 0, 2)]:
    print(tr("n_h = {n_h}, padding {p_h}, stride {s_h}: m_h =", n_h=n_h, p_h=p_h, s_h=s_h),
          chanconv.output_size(n_h, 1, stride=s_h, padding=p_h))

# %% [markdown] slideshow={"slide_type": "subslide"}
# The lecture's check: random $\mathbf{X}$ with $c_i = 3$ channels of $3 \times 3$, a kernel with
# $c_o = 2$ output channels of $1 \times 1$.

# %% [markdown] slideshow={"slide_type": "notes"}
# The matrix-product version and the general one agree.

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
g = torch.Generator().manual_seed(0)
X = torch.rand((3, 3, 3), generator=g).to(device)
K = torch.rand((2, 3, 1, 1), generator=g).to(device)
Y1 = corr2d_multi_in_out_1x1(X, K)
Y2 = chanconv.corr2d_multi_in_out(X, K)
print("Y1:", tuple(Y1.shape), " Y2:", tuple(Y2.shape))
print("‖Y1 - Y2‖ < 1e-6:", float((Y1 - Y2).norm()) < 1e-6)
print(tr("equals chanconv.corr2d_multi_in_out_1x1:"), torch.equal(Y1, chanconv.corr2d_multi_in_out_1x1(X, K)))

# %% [markdown] slideshow={"slide_type": "subslide"}
# Why does the lecture compare with a tolerance (1e-6) instead of asking for equality?

# %% [markdown] slideshow={"slide_type": "notes"}
# Both
# compute the same $c_i$ products per output element, but not necessarily in the same way: the
# loop adds the channel results one by one, the matrix product (BLAS) adds in its own order, in
# blocks, and may use fused multiply-adds (one rounding instead of two). Float32 addition is not
# associative, so the last bits can differ. Whether they do depends on the CPU and its BLAS, so
# the output below may read differently on your machine (the course's tests do not compare it);
# when they differ, it is by a few units in the last place (float32's machine epsilon is
# $1.2 \cdot 10^{-7}$), far below the tolerance. Longer sums ($c_i = 256$) give the orders more room
# to differ.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output", "slide-output-only"]
X_many = torch.rand((256, 8, 8), generator=g).to(device)
K_many = torch.rand((8, 256, 1, 1), generator=g).to(device)
for name, (A, B) in {"c_i = 3  ": (Y1, Y2),
                     "c_i = 256": (corr2d_multi_in_out_1x1(X_many, K_many),
                                   chanconv.corr2d_multi_in_out(X_many, K_many))}.items():
    rel = float(((A - B).abs() / B.abs()).max())
    print(tr("{name}: exactly equal: {same!s:5}   largest relative difference: {rel:.1e}",
             name=name, same=torch.equal(A, B), rel=rel))

# %% [markdown] slideshow={"slide_type": "notes"}
# What to see: the three inputs are drawn once, on top; each row pairs every input with its
# $1 \times 1$ kernel, a single number (one cell, the size of a pixel), so each partial map is that
# input channel times that number, and $\mathbf{Y}_o$ is their sum, pixel by pixel: no window slides
# over neighbours. $\mathbf{Y}_0 = \mathbf{X}_0 - \mathbf{X}_2 = -18$ at every pixel.

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
X_small = torch.arange(27.0).reshape(3, 3, 3)
K_small = torch.tensor([[1.0, 0.0, -1.0], [0.5, 0.5, 0.0]]).reshape(2, 3, 1, 1)
fig = plot_multi_in_out(X_small, K_small)
print(element_terms(X_small, K_small, 0, 0, 0).text())

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Changing the number of channels: 256 → 64
#
# The most common use: if the previous layer produced 256 channels and the next should get 64,
# a $1 \times 1$ convolution with $c_i = 256$, $c_o = 64$ does it, keeping $n_h \times n_w$.

# %% [markdown] slideshow={"slide_type": "notes"}
# Its parameters: one weight per (output channel, input channel) pair, $c_o c_i$, plus **one
# bias per output channel**, $c_o$. In general a layer has

# %% [markdown] slideshow={"slide_type": "-"}
# $$c_o \cdot c_i \cdot k_h \cdot k_w + c_o \text{ parameters.}$$

# %% [markdown] slideshow={"slide_type": "notes"}
# (The bilingual notes say $(c_o + 1)(c_i + 1) = c_o c_i + c_o + c_i + 1$: besides the $c_o$
# biases that counts $c_i + 1$ more parameters, which no layer has.)

# %% slideshow={"slide_type": "notes"}
reduce = chanconv.conv2d_cost(256, 64, 1, 1, 28, 28)
print(reduce)
print(tr("weights c_o·c_i:"), reduce.weights, tr(" biases c_o:"), reduce.params - reduce.weights)
print(tr("(c_o + 1)(c_i + 1) would be:"), (64 + 1) * (256 + 1), tr("— not a parameter count"))
layer = torch.nn.Conv2d(256, 64, kernel_size=1)
print(tr("torch.nn.Conv2d(256, 64, 1) has {count} parameters", count=sum(p.numel() for p in layer.parameters())))

# %% [markdown] slideshow={"slide_type": "subslide"}
# It runs as one matrix product, and `chanconv.conv2d` chooses that method by itself for $1 \times 1$
# kernels.

# %% [markdown] slideshow={"slide_type": "notes"}
# A $3 \times 3$ layer with the same channels would have nine times the weights:

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
X256 = torch.randn(256, 28, 28, generator=g).to(device)
W64 = torch.randn(64, 256, 1, 1, generator=g).to(device) / 16
print(tr("method chosen:"), chanconv.auto_method(256, 64, 1, 1, 28, 28))
print("Y:", tuple(chanconv.conv2d(X256, W64).shape))
print(tr("3×3 instead: {count} parameters", count=chanconv.conv2d_cost(256, 64, 3, 3, 28, 28, padding=1).params))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Combining edge channels, pixel by pixel
#
# The lecture's example: given a horizontal-edge channel and a vertical-edge channel, a $1 \times 1$
# convolution combines them into a new feature at every pixel.

# %% [markdown] slideshow={"slide_type": "notes"}
# First a $3 \times 3$ layer with two
# output channels (Sobel kernels) on a grayscale photo: the edge channels $\mathbf{E}$, with
# $\mathbf{E}_0$ = "top minus bottom" (horizontal edges) and $\mathbf{E}_1$ = "left minus right"
# (vertical edges).

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
photo = load_photo(height=150, device=device)
gray = torch.einsum("c,chw->hw", torch.tensor([0.299, 0.587, 0.114], device=device), photo)[None]
sobel = torch.tensor([[1.0, 2.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -2.0, -1.0]])
W_edges = torch.stack([sobel, sobel.T])[:, None].to(device)  # (c_o, c_i, k_h, k_w) = (2, 1, 3, 3)
E = chanconv.conv2d(gray, W_edges, padding=1)  # channel 0: horizontal edges, 1: vertical edges
print(tr("edges E:"), tuple(E.shape))

# %% [markdown] slideshow={"slide_type": "subslide"}
# Two $1 \times 1$ layers then read $\mathbf{E}$, side by side (neither reads the other's output):

# %% [markdown] slideshow={"slide_type": "-"}
# * **diagonals**: a $1 \times 1$ layer with $c_i = c_o = 2$ and weight matrix
#   $\tfrac{1}{\sqrt 2}\left(\begin{smallmatrix} 1 & 1 \\ 1 & -1 \end{smallmatrix}\right)$ turns
#   $\mathbf{E}$ into two new channels,

# %% [markdown] slideshow={"slide_type": "-"}
#   $$\mathbf{D}_0 = \frac{\mathbf{E}_0 + \mathbf{E}_1}{\sqrt 2}, \qquad \mathbf{D}_1 = \frac{\mathbf{E}_0 - \mathbf{E}_1}{\sqrt 2};$$

# %% [markdown] slideshow={"slide_type": "notes"}
# * **strength**: every element of $\mathbf{E}$ is squared (elementwise, not a layer), a
#   $1 \times 1$ layer with $c_i = 2$, $c_o = 1$ and weights $[1, 1]$ adds the two squared channels,
#   and the square root is taken elementwise:
#
#   $$\mathbf{S} = \sqrt{\mathbf{E}_0^2 + \mathbf{E}_1^2},$$
#
#   the edge strength whatever the orientation. (Squaring $\mathbf{D}$ instead gives the same sum,
#   $\mathbf{D}_0^2 + \mathbf{D}_1^2 = \mathbf{E}_0^2 + \mathbf{E}_1^2$, since the diagonal layer's
#   weight matrix is orthogonal; checked below.)

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
W_diag = (torch.tensor([[1.0, 1.0], [1.0, -1.0]]) / 2**0.5).reshape(2, 2, 1, 1).to(device)
D = chanconv.conv2d(E, W_diag)                                              # E -> D
strength = chanconv.conv2d(E**2, torch.ones(1, 2, 1, 1, device=device)).sqrt()  # E -> E² -> sum -> √
print(tr("diagonal edges D:"), tuple(D.shape), tr(" strength S:"), tuple(strength.shape))
print(tr("the same S from D² instead of E²:"),
      torch.allclose(chanconv.conv2d(D**2, torch.ones(1, 2, 1, 1, device=device)).sqrt(), strength, atol=1e-4))

# %% [markdown] slideshow={"slide_type": "subslide"}
# What does each $\mathbf{D}$ channel respond to?

# %% [markdown] slideshow={"slide_type": "notes"}
# At every pixel, $(\mathbf{E}_0, \mathbf{E}_1)$ is a
# vector that points from dark to bright ("top minus bottom", "left minus right"), and is longest
# across an edge. $\mathbf{D}_0$ is its component along the diagonal "top-left minus bottom-right",
# $\mathbf{D}_1$ its component along "top-right minus bottom-left". A component along one direction
# is largest for an edge across that direction, zero for an edge along it, and $1/\sqrt 2 \approx 0.71$
# of the largest for an edge at 45° to it. So
# - $\mathbf{D}_0$ responds fully to edges that run like **/**, not at all to edges like **\\**;
# - $\mathbf{D}_1$ the other way round;
# - a horizontal or vertical edge shows in **both**, equally strong, at $1/\sqrt 2$ of its strength
#   (for a vertical edge with opposite signs).
#
# Four test images check it: a bright half above a horizontal edge, left of a vertical one, and
# bright triangles above a "/" and a "\\" diagonal (the largest responses inside the image; at the
# borders the zero padding adds edges of its own).

# %% slideshow={"slide_type": "notes"}
n = 12
u, v = torch.meshgrid(torch.arange(n), torch.arange(n), indexing="ij")  # row u, column v
tests = {tr("horizontal"): (u < n // 2).float(), tr("vertical"): (v < n // 2).float(),
         tr("/ diagonal"): (u + v < n).float(), tr("\\ diagonal"): (u < v).float()}
print(f"{'|E[0]|':>7} {'|E[1]|':>7} {'|D[0]|':>7} {'|D[1]|':>7} {'S':>7}   " + tr("edge (largest inside the image)"))
test_maps = []
for name, img in tests.items():
    E_test = chanconv.conv2d(img[None].to(device), W_edges, padding=1)
    D_test = chanconv.conv2d(E_test, W_diag)
    S_test = E_test.pow(2).sum(0).sqrt()
    largest = [float(m[1:-1, 1:-1].abs().max()) for m in (E_test[0], E_test[1], D_test[0], D_test[1], S_test)]
    print("".join(f"{x:7.3f} " for x in largest) + "  " + name)
    test_maps.append((img[1:-1, 1:-1], D_test.cpu()))
print(tr("1/√2 of the horizontal edge's strength:"), round(4 / 2**0.5, 3))

# %% [markdown] slideshow={"slide_type": "subslide"}
# The same in pictures: each test image (top row) and its $\mathbf{D}_0$ and $\mathbf{D}_1$ (rows below,
# inside the image: the border row and column, where the padding adds edges, are left out; gray is
# 0, white and black the two signs).

# %% [markdown] slideshow={"slide_type": "notes"}
# The horizontal and vertical edges appear in both rows, each
# diagonal in one only.

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
fig = plot_maps([img for img, _ in test_maps] + [d[0, 1:-1, 1:-1] for _, d in test_maps]
                + [d[1, 1:-1, 1:-1] for _, d in test_maps],
                [tr("test image: {name}", name=name) for name in tests] + [rf"$\mathbf{{D}}_0$: {name}" for name in tests]
                + [rf"$\mathbf{{D}}_1$: {name}" for name in tests],
                ncols=4, ranges=[(0, 1)] * 4 + [(-4.3, 4.3)] * 8)

# %% [markdown] slideshow={"slide_type": "subslide"}
# No $1 \times 1$ mixture of these two channels can do better: any $a\,\mathbf{E}_0 + b\,\mathbf{E}_1$
# is the component along one direction $(a, b)$, which vanishes for one orientation only.

# %% [markdown] slideshow={"slide_type": "notes"}
# A
# detector that answers to one orientation alone needs a nonlinearity (a threshold, a ReLU),
# which a $1 \times 1$ layer does not have.
#
# On the photo: $\mathbf{E}_0$ responds to horizontal edges (the cap's brim, the glasses, the ribbon
# bars), $\mathbf{E}_1$ to vertical ones (the sides of the face and the collar, the flagpole).
# $\mathbf{D}_0$ and $\mathbf{D}_1$ show diagonal edges in one of them each, and the horizontal and
# vertical ones, such as the cap's brim, in both. The strength map $\mathbf{S}$ outlines every edge.
# Gray is 0, white positive, black negative: an edge shows white or black depending on which side
# is brighter. The bright line along the top and the sides of the strength map is the zero
# padding: there the photo meets the zeros added around it. Along the bottom the dark uniform is
# close to 0 already, so there is no such line (the means printed above the figure).

# %% slideshow={"slide_type": "notes"}
fig = plot_maps([E[0].cpu(), E[1].cpu(), D[0].cpu(), D[1].cpu(), strength[0].cpu()],
                [r"$\mathbf{E}_0$: " + tr("horizontal edges"), r"$\mathbf{E}_1$: " + tr("vertical edges"),
                 r"$\mathbf{D}_0 = (\mathbf{E}_0 + \mathbf{E}_1)/\sqrt{2}$: " + tr("full for /"),
                 r"$\mathbf{D}_1 = (\mathbf{E}_0 - \mathbf{E}_1)/\sqrt{2}$: " + tr("full for \\"),
                 tr("strength") + r" $\mathbf{S} = \sqrt{\mathbf{E}_0^2 + \mathbf{E}_1^2}$"], ncols=3, symmetric=True,
                ranges=[None, None, None, None, (0, None)])
S = strength[0]
print(tr("strength, mean of the top row:"), round(float(S[0].mean()), 2),
      tr("  left column:"), round(float(S[:, 0].mean()), 2), tr("  right column:"), round(float(S[:, -1].mean()), 2),
      tr("  bottom row:"), round(float(S[-1].mean()), 2), tr("  inside:"), round(float(S[1:-1, 1:-1].mean()), 2))

# %% [markdown] slideshow={"slide_type": "notes"}
# Without a nonlinearity in between, a $1 \times 1$ layer after a $3 \times 3$ layer is itself one
# $3 \times 3$ layer: its kernel is the $1 \times 1$ weights applied to the $3 \times 3$ kernels,
# $\mathbf{K}'_{o} = \sum_{j} \mathbf{W}_{o,j}\, \mathbf{K}_{j}$ (the squaring above is what adds
# something new). The same holds for $1 \times 1$ layers stacked on each other: the lecture's "one by
# one convolutions are effectively multi-layer perceptrons applied on a per pixel basis" needs a
# nonlinearity between them (Network in Network). One $1 \times 1$ layer is one fully connected,
# linear layer per pixel; two without a nonlinearity are still one (notebook 5 checks it).

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
W_combined = torch.einsum("oc,cihw->oihw", W_diag[:, :, 0, 0], W_edges)
print(tr("one 3×3 layer gives the same D:"),
      torch.allclose(chanconv.conv2d(gray, W_combined, padding=1), D, atol=1e-5))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Learning a 1 × 1 convolution: RGB → grayscale
#
# Grayscale is a $1 \times 1$ convolution with $c_i = 3$, $c_o = 1$ and weights 0.299, 0.587, 0.114.

# %% [markdown] slideshow={"slide_type": "notes"}
# Can
# gradient descent find them from examples? Make training pairs with exactly those weights and
# fit a 1 × 1 `chanconv.conv2d` (weights and bias start at 0) by minimizing the squared error.
#
# The training images are random colours: in a photo R, G and B rise and fall together, so many
# weightings give almost the same gray and the weights are poorly determined. Random colours vary
# the channels independently.

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
luma = torch.tensor([0.299, 0.587, 0.114], device=device).reshape(1, 3, 1, 1)
X_train = torch.rand((16, 3, 16, 16), generator=g).to(device)
T_train = chanconv.conv2d(X_train, luma)
W = torch.zeros((1, 3, 1, 1), device=device, requires_grad=True)
b = torch.zeros(1, device=device, requires_grad=True)
optimizer = torch.optim.SGD([W, b], lr=0.5)
for step in range(501):
    optimizer.zero_grad()
    loss = ((chanconv.conv2d(X_train, W, b) - T_train) ** 2).mean()
    if step in (0, 10, 100, 500):  # the weights that gave this loss, before this step's update
        shown = f"{loss.item():.1e}" if loss.item() >= 1e-12 else "< 1e-12"  # below: rounding, not learning
        print(tr("step {step:3}: loss {loss}  weights {weights}  bias {bias:+.3f}",
                 step=step, loss=shown, weights=[round(w, 3) for w in W.flatten().tolist()], bias=b.item()))
    loss.backward()
    optimizer.step()

# %% [markdown] slideshow={"slide_type": "subslide"}
# The learned weights are the luminance weights it was generated with.

# %% [markdown] slideshow={"slide_type": "notes"}
# Applied to the photo, the
# learned layer gives the grayscale image:

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
learned_gray = chanconv.conv2d(photo, W.detach(), b.detach())
print(tr("learned weights (after 501 updates):"), [round(w, 3) for w in W.flatten().tolist()],
      tr(" bias:"), round(b.item(), 4))
print(tr("equals the true grayscale within 1e-4:"), torch.allclose(learned_gray, gray, atol=1e-4))
fig = plot_maps([photo.permute(1, 2, 0).cpu(), learned_gray[0].cpu()],
                [r"$\mathbf{X}$ (RGB)", tr("learned 1×1:") + r" $\mathbf{Y}$"],
                ranges=[None, (0, 1)])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Recap

# %% [markdown] slideshow={"slide_type": "notes"}
# - A $1 \times 1$ convolution ($k_h = k_w = 1$) recognizes no spatial pattern: it is a fully
#   connected layer with a $c_o \times c_i$ weight matrix applied at every pixel, and runs as one
#   matrix product. At stride 1 without padding the output keeps the input's $n_h \times n_w$.
# - It changes the number of channels (256 → 64) at a cost of $c_o c_i + c_o$ parameters.
# - It combines channels into new per-pixel features: from horizontal- and vertical-edge channels,
#   components along the diagonals (full for their own diagonal, zero for the other, $1/\sqrt 2$ for
#   horizontal and vertical edges). It is linear, so two linear layers in a row are one.
# - Gradient descent recovers a 1 × 1 layer's weights from examples when the inputs vary the
#   channels independently.

# %% [markdown] slideshow={"slide_type": "-"}
# Next: the whole convolutional layer, its parameters and its cost.

# %% slideshow={"slide_type": "skip"}
plt.close("all")
