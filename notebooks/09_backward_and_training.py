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
# # 9. The backward pass, and training a network on chanconv
#
# A layer is only useful in a network if we can learn its weights, and learning needs the
# gradient of a loss $L$ with respect to $\mathbf{W}$, $\mathbf{b}$ and (to reach the layers below)
# $\mathbf{X}$.

# %% [markdown] slideshow={"slide_type": "notes"}
# This notebook
# 1. derives the three gradients of a multi-channel layer in the lecture's notation and shows that
#    **each one is again a convolution**, checked against PyTorch's autograd on the lecture's
#    $\mathbf{X}$ and $\mathbf{K}$;
# 2. trains a small CNN built from `chanconv.nn.Conv2d`, a $3 \times 3$ layer and a $1 \times 1$ layer, on
#    coloured images where the colour decides the class, and looks at what it learned.

# %% slideshow={"slide_type": "skip"}
import time

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

import chanconv
from chanconv import tr
from chanconv.core.i18n import pad  # f"{text:16}" counting a Chinese character as two columns
from chanconv.course.data import lecture_K, lecture_X
from chanconv.course.figures import DIVERGING

torch.manual_seed(0)
torch.set_num_threads(1)  # one thread: the same result every run, and fair on a shared machine
device = chanconv.default_device()
print(tr("device:"), device)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The three gradients

# %% [markdown] slideshow={"slide_type": "notes"}
# The layer (stride 1, no padding, one sample), with $c_i$ input channels and $c_o$ output
# channels; $\mathbf{W}$ is the lecture's $\mathbf{K}$ (PyTorch's `weight`), of shape
# $c_o \times c_i \times k_h \times k_w$, $i$ indexes the input channels, and $(u, v)$ is a position in the
# output, $m_h \times m_w$:

# %% [markdown] slideshow={"slide_type": "-"}
# $$\mathbf{Y}_{o,u,v} = b_o + \sum_{i=0}^{c_i-1} \sum_{a=0}^{k_h-1} \sum_{e=0}^{k_w-1}
# \mathbf{X}_{i,\,u+a,\,v+e}\, \mathbf{W}_{o,i,a,e}.$$

# %% [markdown] slideshow={"slide_type": "notes"}
# Write $\mathrm{d}\mathbf{Y}_{o,u,v} = \partial L / \partial \mathbf{Y}_{o,u,v}$ for what the layers
# above hand down (and likewise $\mathrm{d}\mathbf{W}$, $\mathrm{d}\mathbf{b}$, $\mathrm{d}\mathbf{X}$).
# The chain rule sums over every place a number was used:
#
# * **bias**: $b_o$ was added to every pixel of output channel $o$, so
#
#   $$\mathrm{d}b_o = \sum_{u} \sum_{v} \mathrm{d}\mathbf{Y}_{o,u,v}.$$
#
# * **weights**: $\mathbf{W}_{o,i,a,e}$ multiplied $\mathbf{X}_{i,u+a,v+e}$ into $\mathbf{Y}_{o,u,v}$, so
#
#   $$\mathrm{d}\mathbf{W}_{o,i,a,e} = \sum_{u} \sum_{v} \mathbf{X}_{i,\,u+a,\,v+e}\, \mathrm{d}\mathbf{Y}_{o,u,v}, \qquad \text{i.e.} \qquad \mathrm{d}\mathbf{W}_{o,i} = \mathbf{X}_{i} \star \mathrm{d}\mathbf{Y}_{o}:$$
#
#   **the gradient of kernel slice $\mathbf{W}_{o,i}$ is the cross-correlation of input channel $i$
#   with the output gradient of channel $o$** (a $k_h \times k_w$ result), one per (output, input)
#   pair, exactly the shape $c_o \times c_i \times k_h \times k_w$ of $\mathbf{W}$.
# * **input**: $\mathbf{X}_{i,r,t}$ (row $r$, column $t$ of the input) fed every $\mathbf{Y}_{o,u,v}$
#   with $u + a = r$, $v + e = t$, so
#
#   $$\mathrm{d}\mathbf{X}_{i,r,t} = \sum_{o=0}^{c_o-1} \sum_{a} \sum_{e} \mathrm{d}\mathbf{Y}_{o,\,r-a,\,t-e}\, \mathbf{W}_{o,i,a,e}$$
#
#   (terms whose $(r - a, t - e)$ falls outside $\mathrm{d}\mathbf{Y}$ count as 0): $\mathrm{d}\mathbf{Y}$
#   padded with $k - 1$ zeros all round, **cross-correlated with $\mathbf{W}_{o,i}$ flipped** (rows
#   and columns reversed), summed over the output channels $o$. Reading it as a layer: $c_o$ input
#   channels ($\mathrm{d}\mathbf{Y}$), $c_i$ output channels ($\mathrm{d}\mathbf{X}$), the kernel with
#   its two channel axes swapped and flipped, a *transposed convolution*.
#
# With a batch, $\mathrm{d}\mathbf{W}$ and $\mathrm{d}\mathbf{b}$ also sum over the samples; stride $s$
# puts $s - 1$ zeros between $\mathrm{d}\mathbf{Y}$'s numbers before the flipped correlation, and
# dilation $d$ spreads the flipped kernel's taps $d$ apart (so the "full" padding of $\mathrm{d}\mathbf{Y}$
# becomes $d(k - 1)$). Padding $p_h, p_w$: $\mathrm{d}\mathbf{W}$ correlates the zero-padded input
# instead of $\mathbf{X}$; $\mathrm{d}\mathbf{X}$ is computed as without padding, for the padded input
# $(n_h + 2p_h) \times (n_w + 2p_w)$, and then $p_h$ rows and $p_w$ columns are dropped on each side,
# since those positions were zeros and not part of $\mathbf{X}$. At dilation 1, where the last window
# ends on the padded input's last row and column, that is the same as padding $\mathrm{d}\mathbf{Y}$ by
# $k - 1 - p$ instead of $k - 1$. Rows and columns that no window reached (the floor in the
# output-size formula) get a zero gradient. `chanconv.conv2d_backward` (in
# `chanconv/core/backward.py`) does exactly this, and handles groups too.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Checked on the lecture's X and K

# %% [markdown] slideshow={"slide_type": "notes"}
# The lecture's $\mathbf{X}$ ($c_i = 2$, $3 \times 3$) and $\mathbf{K}$ stacked with $\mathbf{K} + 1$ and
# $\mathbf{K} + 2$ ($c_o = 3$), a bias, and the loss $L = \sum \mathbf{Y} \odot \mathbf{T}$ (the sum of the
# elementwise products) for a fixed $\mathbf{T}$, so that $\mathrm{d}\mathbf{Y} = \mathbf{T}$. First the
# formulas written out with the lecture's `corr2d`, then chanconv's `conv2d_backward`, then autograd.

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
X = lecture_X().to(device)                       # (c_i, n_h, n_w) = (2, 3, 3)
K = torch.stack((lecture_K(), lecture_K() + 1, lecture_K() + 2)).to(device)  # (c_o, c_i, k_h, k_w) = (3, 2, 2, 2)
b = torch.tensor([1.0, 0.0, -1.0], device=device)
T = torch.tensor([[[1.0, 0.0], [0.0, 0.0]], [[0.0, 1.0], [1.0, 0.0]], [[1.0, 1.0], [1.0, 1.0]]], device=device)
dY = T                                            # L = Σ Y ⊙ T  ⇒  ∂L/∂Y = T, shape (c_o, m_h, m_w) = (3, 2, 2)
c_o, c_i, k_h, k_w = K.shape

# the formulas, one channel pair at a time, with the lecture's corr2d
db = dY.sum(dim=(1, 2))
dW = torch.stack([torch.stack([chanconv.corr2d(X[i], dY[o]) for i in range(c_i)]) for o in range(c_o)])
dY_full = F.pad(dY, (k_w - 1, k_w - 1, k_h - 1, k_h - 1))   # k − 1 zeros all round
dX = torch.stack([sum(chanconv.corr2d(dY_full[o], K[o, i].flip(0, 1)) for o in range(c_o)) for i in range(c_i)])
print("db =", db.tolist())
print(tr("dW[0] (output channel 0, one 2×2 map per input channel):") + "\n", dW[0])
print("dX:\n", dX)

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
dX2, dW2, db2 = chanconv.conv2d_backward(dY, X, K)       # the same three, as convolutions
Xg, Kg, bg = (t.clone().requires_grad_() for t in (X, K, b))
(chanconv.conv2d(Xg, Kg, bg) * T).sum().backward()       # PyTorch's autograd on chanconv's forward
for name, mine, formula, auto in [("dX", dX2, dX, Xg.grad), ("dW", dW2, dW, Kg.grad), ("db", db2, db, bg.grad)]:
    print(tr("{name}: conv2d_backward = formula: {formula};  = autograd: {auto}",
             name=name, formula=torch.equal(mine, formula), auto=torch.equal(mine, auto)))

# %% [markdown] slideshow={"slide_type": "subslide"}
# All three agree exactly (these are small integers, so there is no rounding to hide behind).

# %% [markdown] slideshow={"slide_type": "notes"}
# With stride, padding, dilation and groups the test suite checks `conv2d_backward` against
# autograd on random layers, and `torch.autograd.gradcheck` checks every method of `chanconv.conv2d`.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Images where the colour matters

# %% [markdown] slideshow={"slide_type": "notes"}
# Each $10 \times 10$ image ($c_i = 3$: red, green, blue) is noise around mid-gray, drawn
# independently in each channel, with one short bar, horizontal or vertical, that is **redder** or
# **greener** than its surroundings: $+0.5$ in one channel and $-0.5$ in the other, so the gray level
# (the mean of the three channels) of the bar is the background's.
# Four classes: red horizontal, red vertical, green horizontal, green vertical. Orientation needs
# the spatial kernels; the colour can only be read by comparing channels. In a gray image made
# this way (the mean of the three channels) the bar is not there at all: its gray level is the
# background's, by construction. Notebook 1's weighted gray, $0.299\,R + 0.587\,G + 0.114\,B$,
# would still show it faintly: $0.299 \cdot 0.5 - 0.587 \cdot 0.5 \approx -0.14$, a red bar a
# little darker than its surroundings and a green one a little lighter.

# %% slideshow={"slide_type": "-"} tags=["slide-figure-only"]
CLASSES = [tr("red horizontal"), tr("red vertical"), tr("green horizontal"), tr("green vertical")]


def make_images(count, seed, size=10, channels=(0, 1)):
    """count images (count, 3, size, size) and their labels (count,), from one seeded generator.

    The bar changes only the colour channels in ``channels`` (red 0, green 1): (0,) leaves it in the
    red channel only, () gives the same images without any bar (the noise and labels do not change).
    """
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 4, (count,), generator=g)
    images = 0.5 + 0.15 * torch.randn(count, 3, size, size, generator=g)  # noise around gray, per channel
    for n in range(count):
        green, vertical = divmod(int(labels[n]), 2)
        at = int(torch.randint(1, size - 1, (1,), generator=g))
        start = int(torch.randint(0, size // 2, (1,), generator=g))
        bar = (slice(start, start + size // 2), at) if vertical else (at, slice(start, start + size // 2))
        if green in channels:
            images[n, green][bar] += 0.5       # more of one colour ...
        if 1 - green in channels:
            images[n, 1 - green][bar] -= 0.5   # ... as much less of the other: the gray level stays
    return images, labels


X_train, y_train = make_images(256, seed=0)
X_test, y_test = make_images(256, seed=1)
print("X_train:", tuple(X_train.shape), tr(" classes in training:"), torch.bincount(y_train).tolist())
gray = X_train.mean(dim=1)  # (count, n_h, n_w)
print(tr("mean gray level per class:"), ", ".join(f"{gray[y_train == k].mean():.3f}" for k in range(4)),
      tr("(the bar adds +0.5 − 0.5 = 0)"))

fig, axes = plt.subplots(1, 4, figsize=(9, 2.6))
for ax, cls in zip(axes, range(4)):
    n = int((y_train == cls).nonzero()[0])
    ax.imshow(X_train[n].permute(1, 2, 0).clamp(0, 1).numpy())
    ax.set_title(CLASSES[cls], fontsize=10)
    ax.axis("off")
fig.suptitle(tr("one training image per class (RGB)"))
fig.tight_layout()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A small CNN from `chanconv.nn.Conv2d`

# %% [markdown] slideshow={"slide_type": "notes"}
# * `edges`: $3 \times 3$, $c_i = 3 \to c_o = 8$, padding 1, then ReLU: eight detectors. Its weight
#   $\mathbf{W}^{(1)}$ is $8 \times 3 \times 3 \times 3$; detector $j$ reads colour channel $i$ through
#   $\mathbf{W}^{(1)}_{j,i}$, and its map is
#   $\mathbf{Z}_j = \operatorname{ReLU}\bigl(\sum_{i} \mathbf{X}_i \star \mathbf{W}^{(1)}_{j,i} + b^{(1)}_j\bigr)$;
# * `mix`: **$1 \times 1$**, $8 \to 4$: its input channels are the eight detector maps
#   $\mathbf{Z}_j$, and at every pixel it makes one weighted sum of them per class $o$ (a fully
#   connected layer applied per pixel, as in notebook 3), with weight $\mathbf{W}^{(2)}$
#   ($4 \times 8 \times 1 \times 1$);
# * the largest value of each class map over the image is the class score (global max pooling).

# %% [markdown] slideshow={"slide_type": "-"}
# So $i$ counts colour channels, $j$ detectors and $o$ classes.

# %% [markdown] slideshow={"slide_type": "notes"}
# `chanconv.nn.Conv2d` has the parameters, initialisation and padding modes of `torch.nn.Conv2d`,
# so the same network with `torch.nn.Conv2d` gets the very same starting weights through its
# `state_dict`, and both are trained the same way (Adam, full batch, 60 steps).

# %% slideshow={"slide_type": "notes"}
class SmallCNN(torch.nn.Module):
    def __init__(self, Conv2d=chanconv.nn.Conv2d):
        super().__init__()
        self.edges = Conv2d(3, 8, 3, padding=1)   # W (8, 3, 3, 3), b (8,)
        self.mix = Conv2d(8, 4, 1)                # W (4, 8, 1, 1), b (4,)

    def forward(self, X):                         # X (batch, 3, n_h, n_w)
        Z = torch.relu(self.edges(X))             # (batch, 8, n_h, n_w)
        return self.mix(Z).amax(dim=(2, 3))       # (batch, 4, n_h, n_w) -> scores (batch, 4)


def train(net, steps=60, lr=0.05):
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(net(X_train), y_train)
        loss.backward()
        opt.step()
    return loss.item()


def accuracy(net, X, y):
    with torch.no_grad():
        return (net(X).argmax(dim=1) == y).float().mean().item()


torch.manual_seed(0)
net = SmallCNN()
twin = SmallCNN(torch.nn.Conv2d)
twin.load_state_dict(net.state_dict())   # the same starting weights
W1_start = net.edges.weight.detach().clone()   # the first layer's random start, to compare with later
print(net)
print(tr("parameters:"), sum(p.numel() for p in net.parameters()),
      "= 8·3·3·3 + 8 + 4·8·1·1 + 4 =", 8 * 3 * 3 * 3 + 8 + 4 * 8 * 1 * 1 + 4)

# %% [markdown] slideshow={"slide_type": "-"}
# How fast does it train? chanconv's layers run on the compiled rung where a C++ compiler is (its
# forward and its backward in C++, see notebook 8); it is built the first time (30–90 s, cached
# after that).

# %% [markdown] slideshow={"slide_type": "notes"}
# Without it, each gradient is computed as the convolution derived above, by a Python
# method. The cell times both networks on copies, in turn, after one untimed round (so that neither
# pays a first call's set-up), then trains the two networks themselves.

# %% slideshow={"slide_type": "notes"} tags=["nbval-ignore-output"]
# timings vary from run to run and machine to machine: nbval does not compare this output
import copy

from chanconv.core.methods import compiled
from chanconv.perf.bench import describe_machine

print(compiled.prepare("cpu"))
print(tr("on the CPU ({cpu}), torch threads: {threads}", cpu=describe_machine("cpu")["cpu"],
         threads=torch.get_num_threads()))
print(tr("auto picks {first} for the 3 × 3 layer and {second} for the 1 × 1 layer; the backward runs {where}",
         first=chanconv.auto_method(3, 8, 3, 3, 10, 10, batch=256, padding=1),
         second=chanconv.auto_method(8, 4, 1, 1, 10, 10, batch=256),
         where=tr("in the compiled rung") if compiled.loaded() else tr("in Python (no compiled rung here)")))
pairs = [("chanconv.nn.Conv2d", net), ("torch.nn.Conv2d", twin)]
times = {name: [] for name, _ in pairs}
for round_ in range(3):  # round 0 is the warm-up
    for name, model in pairs:
        start = time.perf_counter()
        train(copy.deepcopy(model))
        if round_:
            times[name].append(time.perf_counter() - start)
for name, model in pairs:
    final_loss = train(model)
    print(f"{name:18}: " + tr("60 steps in {seconds:5.2f} s (best of two; final training loss {loss:.4f})",
                              seconds=min(times[name]), loss=final_loss))
ratio = min(times["chanconv.nn.Conv2d"]) / min(times["torch.nn.Conv2d"])
print(tr("chanconv.nn.Conv2d trained in {ratio:.2f}× the time of torch.nn.Conv2d on this run", ratio=ratio))

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
acc = {name: accuracy(model, X_test, y_test) for name, model in [("chanconv", net), ("torch", twin)]}
print(tr("test accuracy, chanconv.nn.Conv2d: {ours:.3f}   torch.nn.Conv2d: {theirs:.3f}",
         ours=acc["chanconv"], theirs=acc["torch"]))
print(tr("same accuracy:"), acc["chanconv"] == acc["torch"])
print(tr("largest weight difference after training below 1e-4:"),
      max((p - q).abs().max().item() for p, q in zip(net.parameters(), twin.parameters())) < 1e-4)

# does the network read colour? Swap the red and green channels: every red bar becomes a green one
swapped = X_test[:, [1, 0, 2]]
swap_label = torch.tensor([2, 3, 0, 1])[y_test]            # red ↔ green, same orientation
with torch.no_grad():
    print(tr("red ↔ green swapped: accuracy against the swapped labels {accuracy:.3f}",
             accuracy=accuracy(net, swapped, swap_label)))

# %% [markdown] slideshow={"slide_type": "notes"}
# The two networks start from the same weights and see the same data; chanconv's forward
# (the methods `method="auto"` picked, printed above the timings) and its backward (compiled or
# Python, as printed there) agree with PyTorch's to float32 rounding, so the
# trained weights differ only in the last digits and the test accuracy is the same. Swapping red
# and green turns the predictions into the other colour's classes (the accuracy against the swapped
# labels above): the network tells the colours apart by which channel is which.
#
# Which channels does the decision rest on? Below, the same test images with the bar left in **one**
# colour channel only (`make_images(..., channels=(0,))`: a red bar is only brighter in red, a green
# bar only darker in red; green has no bar), and with no bar at all. The last two rows cannot come
# out otherwise, for any network: without its bar an image holds nothing to classify, and a gray copy
# of an image (every channel set to the mean of the three) has no bar either, since the bar's gray
# level is the background's. They show the level of guessing: an accuracy of 1/4, colour and
# orientation each right half the time.

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
as_gray = X_test.mean(dim=1, keepdim=True).expand(-1, 3, -1, -1)  # every channel the gray level
variants = {tr("red and green (as trained)"): make_images(256, seed=1)[0],
            tr("red only"): make_images(256, seed=1, channels=(0,))[0],
            tr("green only"): make_images(256, seed=1, channels=(1,))[0],
            tr("no bar at all"): make_images(256, seed=1, channels=())[0],
            tr("gray copies"): as_gray}
widths = (8, 12, 17)  # the columns: accuracy, colour right, orientation right
print(pad(tr("bar in the channels"), 27)
      + "".join(" " + pad(h, w, ">") for h, w in zip((tr("accuracy"), tr("colour right"), tr("orientation right")), widths)))
for name, images in variants.items():
    with torch.no_grad():
        pred = net(images).argmax(dim=1)
    right = [(pred == y_test), (pred // 2 == y_test // 2), (pred % 2 == y_test % 2)]
    print(pad(name, 27) + "".join(f" {r.float().mean():{w}.3f}" for r, w in zip(right, widths)))
print(pad(tr("guessing"), 27) + f" {0.25:8.3f} {0.5:12.3f} {0.5:17.3f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# If the network read the colour from one channel alone, the bar in the other channel only would
# leave it guessing the colour.

# %% [markdown] slideshow={"slide_type": "notes"}
# Compare the two one-channel rows with the guessing level: where both
# stay well above it, the network reads the colour from either channel, that is from the difference
# between red and green, which a bar in one channel still makes.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What the first layer learned, per input channel

# %% [markdown] slideshow={"slide_type": "notes"}
# Each column is one of the 8 learned $3 \times 3$ kernels $\mathbf{W}^{(1)}_j$, shown as its three
# slices $\mathbf{W}^{(1)}_{j,i}$ for the red, green and blue input channels $i$, one per row (one
# colour scale for all, on the colourbar: purple positive, orange negative, white 0). A column labelled
# *dead* is a detector whose ReLU fires on no pixel of the training images (next cell).

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
W1 = net.edges.weight.detach()                 # W⁽¹⁾: (c_o, c_i, k_h, k_w) = (8, 3, 3, 3)
with torch.no_grad():
    before_relu = net.edges(X_train)           # (batch, 8, n_h, n_w): each detector's map before the ReLU
fires = (before_relu > 0).float().mean(dim=(0, 2, 3))   # (8,): share of pixels whose ReLU passes
active = fires > 0                             # a detector whose ReLU never fires is dead
lim = W1.abs().max().item()
fig, axes = plt.subplots(3, 8, figsize=(12, 4.6))
for j in range(8):
    for i, colour in enumerate([tr("red"), tr("green"), tr("blue")]):
        im = axes[i, j].imshow(W1[j, i].numpy(), cmap=DIVERGING, vmin=-lim, vmax=lim)
        axes[i, j].set_xticks([])
        axes[i, j].set_yticks([])
        if j == 0:
            axes[i, 0].set_ylabel(f"{colour}, $i = {i}$", fontsize=10)
    axes[0, j].set_title(rf"$\mathbf{{W}}^{{(1)}}_{{{j}}}$" + ("" if active[j] else " " + tr("dead")), fontsize=11)
fig.colorbar(im, ax=axes, shrink=0.8, label=tr("weight") + r" $W^{(1)}_{j,i,a,e}$")
fig.suptitle(tr(r"first layer: $\mathbf{W}^{(1)}_{j,i}$ for detector $j$ (columns) and colour channel $i$ (rows)"),
             fontsize=11)
plt.show()

# %% slideshow={"slide_type": "notes"}
# per detector j: the share of training pixels where its ReLU passes (map > 0), Σ|W1[j]| at its random
# start and now, the share of its weights below zero, its bias, and the largest value of its map
# before the ReLU over every training pixel
b1 = net.edges.bias.detach()
size, size_start = W1.abs().sum(dim=(1, 2, 3)), W1_start.abs().sum(dim=(1, 2, 3))   # (8,) each
negative = (W1 < 0).float().mean(dim=(1, 2, 3))        # (8,)
peak = before_relu.amax(dim=(0, 2, 3))                  # (8,): over every pixel of every training image
print(tr("X_train's values lie in [{low:.2f}, {high:.2f}], mean {mean:.2f}",
         low=X_train.min(), high=X_train.max(), mean=X_train.mean()))
print("  ".join(pad(h, w, ">") for h, w in zip((tr("detector"), tr("ReLU passes"), tr("Σ|W| start -> now"),
                                                 tr("weights < 0"), tr("bias"), tr("max before ReLU")),
                                                (8, 11, 17, 11, 5, 15))))
for j in range(8):
    note = "" if active[j] else tr("dead: its ReLU never fires")
    print(f"{j:8}  {100 * fires[j]:10.1f}%  {size_start[j]:8.2f} -> {size[j]:5.2f}  {100 * negative[j]:10.0f}%  "
          f"{b1[j]:+5.2f}  {peak[j]:+15.2f}  {note}")
print(tr("active detectors: {active} of 8; dead: {dead}",
         active=int(active.sum()), dead=[j for j in range(8) if not active[j]]))
print(tr("over the active detectors, mean |W1[:, i]| per input channel:"),
      ", ".join(f"{c} {W1[active, i].abs().mean():.2f}" for i, c in enumerate([tr("red"), tr("green"), tr("blue")])))

# %% [markdown] slideshow={"slide_type": "subslide"}
# The detectors marked *dead* did not stay near their random start: training moved them (their
# $\sum |\mathbf{W}^{(1)}_j|$ above grew from its value at the start), but pushed them negative — nearly
# all of their weights are below zero, and so is their bias.

# %% [markdown] slideshow={"slide_type": "notes"}
# The images' values sit around 0.5 (the
# range and mean are printed above), so a kernel of negative weights gives a negative sum at every
# pixel: the largest value any of them reaches before the ReLU, over all training pixels, is below
# zero. The ReLU passes nothing, its derivative is 0 everywhere, and so no gradient comes back to
# these weights: they can never recover. The network did not need them — this task needs only a
# few detectors, and the active ones suffice for the test accuracy above. Blue carries only noise
# here; compare its mean |weight| over the active detectors with red's and green's above.
#
# What does each active detector respond to? Its kernels' weights do not say it plainly (a
# detector's red and green slices have rows and columns of both signs), so measure it on the data:
# for each class, how much the bar raises the detector's largest value over the image, against the
# same image without its bar (`channels=()`), averaged over the training images of that class. The
# label names the colour whose two classes raise it more and, where one of that colour's
# orientations raises it at least 1.5 times as much as the other, that orientation.

# %% slideshow={"slide_type": "notes"}
X_plain, _ = make_images(256, seed=0, channels=())      # the training images without their bars
with torch.no_grad():
    lift = (torch.relu(net.edges(X_train)).amax(dim=(2, 3))
            - torch.relu(net.edges(X_plain)).amax(dim=(2, 3)))   # (count, 8): the bar's effect on each peak
response = torch.stack([lift[y_train == k].mean(dim=0) for k in range(4)], dim=1)  # (8 detectors, 4 classes)


def describe(row):
    """A detector's label from its response to the four classes (red h, red v, green h, green v)."""
    colour = 0 if row[0] + row[1] >= row[2] + row[3] else 1
    h, v = row[2 * colour].item(), row[2 * colour + 1].item()
    name = [tr("red"), tr("green")][colour]
    return (tr("{colour} horizontal", colour=name) if h >= 1.5 * v else tr("{colour} vertical", colour=name)
            if v >= 1.5 * h else tr("{colour} bars", colour=name))


label = {j: describe(response[j]) if active[j] else tr("dead") for j in range(8)}
print(tr("the bar's effect on each detector's largest value, by class (training images):"))
print(pad(tr("detector"), 8) + "  " + "  ".join(pad(c, 16, ">") for c in CLASSES) + "  " + tr("label"))
for j in range(8):
    if active[j]:
        print(f"{j:8}  " + "  ".join(f"{x:+16.2f}" for x in response[j].tolist()) + f"  {label[j]}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What the 1 × 1 layer mixes
#
# The $1 \times 1$ layer's weight $\mathbf{W}^{(2)}$, of shape $(c_o, c_i, 1, 1) = (4, 8, 1, 1)$, is a
# $4 \times 8$ matrix: here its input channels are the detector maps $\mathbf{Z}_j$ and its output
# channels the class score maps $\mathbf{S}_o$.

# %% [markdown] slideshow={"slide_type": "notes"}
# At every pixel $(u, v)$

# %% [markdown] slideshow={"slide_type": "-"}
# $$\mathbf{S}_{o,u,v} = b^{(2)}_o + \sum_{j=0}^{7} W^{(2)}_{o,j}\, \mathbf{Z}_{j,u,v},$$

# %% [markdown] slideshow={"slide_type": "notes"}
# where $\mathbf{Z}_j$ is the ReLU of the first layer's output channel $j$ (kernel $\mathbf{W}^{(1)}_j$
# above). Each row of the matrix says which detectors vote for a class (purple, positive) and which
# against it (orange, negative); the dead detectors' maps are zero everywhere, so their column does
# not matter. The detectors are labelled with what they respond to, from the table above.

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
W2 = net.mix.weight.detach()[:, :, 0, 0]       # W⁽²⁾: (4, 8, 1, 1) -> (4, 8)
lim2 = W2.abs().max().item()
fig, ax = plt.subplots(figsize=(8.5, 3.4))
im = ax.imshow(W2.numpy(), cmap=DIVERGING, vmin=-lim2, vmax=lim2)
ax.set_yticks(range(4), CLASSES)
ax.set_xticks(range(8), [f"$j = {j}$\n" + label[j].replace(" ", "\n") for j in range(8)], fontsize=8)
ax.set_xlabel(tr(r"first-layer detector $j$ (what it responds to)"))
ax.set_title(tr(r"$1 \times 1$ layer: weight $W^{(2)}_{o,j}$ of detector $j$ in class $o$"))
fig.colorbar(im, ax=ax, label=tr("weight") + r" $W^{(2)}_{o,j}$")
fig.tight_layout()
plt.show()

# %% slideshow={"slide_type": "notes"}
for o, name in enumerate(CLASSES):
    votes = sorted(((W2[o, j].item(), j) for j in range(8) if active[j]), reverse=True)
    print(pad(name, 16) + ": " + ", ".join(tr("detector {j} ({label}) {w:+.2f}", j=j, label=label[j], w=w)
                                           for w, j in votes))

# %% [markdown] slideshow={"slide_type": "subslide"}
# The $1 \times 1$ layer mixes channels and nothing else: every class map is a weighted sum of the
# active detector maps at the same pixel (listed above from the largest vote down).

# %% [markdown] slideshow={"slide_type": "notes"}
# No class rests
# on one detector: each adds some detectors and subtracts others, and a class can count a detector
# of the other colour, or of its own colour and the other orientation, *against* itself — a bar
# that fires it is evidence for another class. That is the $1 \times 1$ layer's job in a network:
# recombine the channels below into the channels the next stage needs, here one per class.
#
# **Training with chanconv in your own code**: use `chanconv.nn.Conv2d` wherever you would use
# `torch.nn.Conv2d` (or call `chanconv.conv2d` on tensors that require grad); `method=` picks the
# forward, and the buffer-writing methods train through the from-scratch backward of this notebook.
