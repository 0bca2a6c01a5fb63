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
# gradient of a loss L with respect to W, b and (to reach the layers below) X. This notebook
# 1. derives the three gradients of a multi-channel layer in the lecture's notation and shows that
#    **each one is again a convolution**, checked against PyTorch's autograd on the lecture's X and K;
# 2. trains a small CNN built from `chanconv.nn.Conv2d`, a 3 × 3 layer and a 1 × 1 layer, on
#    coloured images where the colour decides the class, and looks at what it learned.

# %% slideshow={"slide_type": "skip"}
import time

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

import chanconv
from chanconv.course.data import lecture_K, lecture_X

torch.manual_seed(0)
torch.set_num_threads(1)  # one thread: the same result every run, and fair on a shared machine
device = chanconv.default_device()
print("device:", device)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The three gradients
#
# The layer (stride 1, no padding, one sample), with c_i input channels and c_o output channels;
# W is the lecture's K (PyTorch's `weight`), of shape (c_o, c_i, k_h, k_w), and (u, v) is a
# position in the output, m_h × m_w:
#
# $$Y[o, u, v] = b[o] + \sum_{c=0}^{c_i-1} \sum_{a=0}^{k_h-1} \sum_{e=0}^{k_w-1} X[c, u + a, v + e]\; W[o, c, a, e].$$
#
# Write dY[o, u, v] = ∂L/∂Y[o, u, v] for what the layers above hand down. The chain rule sums over
# every place a number was used:
#
# * **bias**: b[o] was added to every pixel of output channel o, so
#   db[o] = Σ_u Σ_v dY[o, u, v].
# * **weights**: W[o, c, a, e] multiplied X[c, u + a, v + e] into Y[o, u, v], so
#   dW[o, c, a, e] = Σ_u Σ_v X[c, u + a, v + e] dY[o, u, v]:
#   **dW[o, c] is the cross-correlation of input channel c with the output gradient of channel o**
#   (a k_h × k_w result), one per (output, input) pair, exactly the shape (c_o, c_i, k_h, k_w) of W.
# * **input**: X[c, r, t] (a position (r, t) in the input; s is kept for the stride) fed every
#   Y[o, u, v] with u + a = r, v + e = t, so
#   dX[c, r, t] = Σ_o Σ_a Σ_e dY[o, r − a, t − e] W[o, c, a, e] (terms whose (r − a, t − e) falls
#   outside dY count as 0):
#   dY padded with k − 1 zeros all round, **cross-correlated with W[o, c] flipped** (rows and
#   columns reversed), summed over the output channels o. Reading it as a layer: c_o input
#   channels (dY), c_i output channels (dX), the kernel with its two channel axes swapped and
#   flipped, a *transposed convolution*.
#
# With a batch, dW and db also sum over the samples; stride s puts s − 1 zeros between dY's
# numbers before the flipped correlation, and dilation d spreads the flipped kernel's taps d apart
# (so the "full" padding of dY becomes d (k − 1)). Padding p (p_h rows, p_w columns): dW
# correlates the zero-padded input instead of X; dX is computed as without padding, for the
# padded input (n_h + 2 p_h) × (n_w + 2 p_w), and then p_h rows and p_w columns are dropped on
# each side, since those positions were zeros and not part of X. At dilation 1, where the last
# window ends on the padded input's last row and column, that is the same as padding dY by
# k − 1 − p instead of k − 1. Rows and columns that no window reached (the floor in the
# output-size formula) get a zero gradient.
# [`chanconv.conv2d_backward`](../chanconv/backward.py) does exactly this, and handles groups too.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Checked on the lecture's X and K
#
# The lecture's X (c_i = 2, 3 × 3) and K stacked with K + 1 and K + 2 (c_o = 3), a bias, and the
# loss L = Σ Y ⊙ T for a fixed T, so that dY = T. First the formulas written out with the
# lecture's `corr2d`, then chanconv's `conv2d_backward`, then autograd.

# %%
X = lecture_X().to(device)                       # (c_i, n_h, n_w) = (2, 3, 3)
K = torch.stack((lecture_K(), lecture_K() + 1, lecture_K() + 2)).to(device)  # (c_o, c_i, k_h, k_w) = (3, 2, 2, 2)
b = torch.tensor([1.0, 0.0, -1.0], device=device)
T = torch.tensor([[[1.0, 0.0], [0.0, 0.0]], [[0.0, 1.0], [1.0, 0.0]], [[1.0, 1.0], [1.0, 1.0]]], device=device)
dY = T                                            # L = Σ Y ⊙ T  ⇒  ∂L/∂Y = T, shape (c_o, m_h, m_w) = (3, 2, 2)
c_o, c_i, k_h, k_w = K.shape

# the formulas, one channel pair at a time, with the lecture's corr2d
db = dY.sum(dim=(1, 2))
dW = torch.stack([torch.stack([chanconv.corr2d(X[c], dY[o]) for c in range(c_i)]) for o in range(c_o)])
dY_full = F.pad(dY, (k_w - 1, k_w - 1, k_h - 1, k_h - 1))   # k − 1 zeros all round
dX = torch.stack([sum(chanconv.corr2d(dY_full[o], K[o, c].flip(0, 1)) for o in range(c_o)) for c in range(c_i)])
print("db =", db.tolist())
print("dW[0] (output channel 0, one 2×2 map per input channel):\n", dW[0])
print("dX:\n", dX)

# %%
dX2, dW2, db2 = chanconv.conv2d_backward(dY, X, K)       # the same three, as convolutions
Xg, Kg, bg = (t.clone().requires_grad_() for t in (X, K, b))
(chanconv.conv2d(Xg, Kg, bg) * T).sum().backward()       # PyTorch's autograd on chanconv's forward
for name, mine, formula, auto in [("dX", dX2, dX, Xg.grad), ("dW", dW2, dW, Kg.grad), ("db", db2, db, bg.grad)]:
    print(f"{name}: conv2d_backward = formula: {torch.equal(mine, formula)};  = autograd: {torch.equal(mine, auto)}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# All three agree exactly (these are small integers, so there is no rounding to hide behind).
# With stride, padding, dilation and groups the test suite checks `conv2d_backward` against
# autograd on random layers, and `torch.autograd.gradcheck` checks every method of `chanconv.conv2d`.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Images where the colour matters
#
# Each 10 × 10 image (c_i = 3: red, green, blue) is noise around mid-gray, drawn independently in
# each channel, with one short bar, horizontal or vertical, that is **redder** or **greener** than
# its surroundings: +0.5 in one channel and −0.5 in the other, so the gray level (the mean of the
# three channels) of the bar is the background's.
# Four classes: red horizontal, red vertical, green horizontal, green vertical. Orientation needs
# the spatial kernels; the colour can only be read by comparing channels — in a gray image the
# two colours look the same.

# %%
CLASSES = ["red horizontal", "red vertical", "green horizontal", "green vertical"]


def make_images(count, seed, size=10):
    """count images (count, 3, size, size) and their labels (count,), from one seeded generator."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 4, (count,), generator=g)
    images = 0.5 + 0.15 * torch.randn(count, 3, size, size, generator=g)  # noise around gray, per channel
    for n in range(count):
        green, vertical = divmod(int(labels[n]), 2)
        at = int(torch.randint(1, size - 1, (1,), generator=g))
        start = int(torch.randint(0, size // 2, (1,), generator=g))
        bar = (slice(start, start + size // 2), at) if vertical else (at, slice(start, start + size // 2))
        images[n, green][bar] += 0.5       # more of one colour ...
        images[n, 1 - green][bar] -= 0.5   # ... as much less of the other: the gray level stays
    return images, labels


X_train, y_train = make_images(256, seed=0)
X_test, y_test = make_images(256, seed=1)
print("X_train:", tuple(X_train.shape), " classes in training:", torch.bincount(y_train).tolist())
gray = X_train.mean(dim=1)  # (count, n_h, n_w)
print("mean gray level per class:", ", ".join(f"{gray[y_train == k].mean():.3f}" for k in range(4)),
      "(the bar adds +0.5 − 0.5 = 0)")

fig, axes = plt.subplots(1, 4, figsize=(9, 2.6))
for ax, cls in zip(axes, range(4)):
    n = int((y_train == cls).nonzero()[0])
    ax.imshow(X_train[n].permute(1, 2, 0).clamp(0, 1).numpy())
    ax.set_title(CLASSES[cls], fontsize=10)
    ax.axis("off")
fig.suptitle("one training image per class (RGB)")
fig.tight_layout()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A small CNN from `chanconv.nn.Conv2d`
#
# * `edges`: 3 × 3, c_i = 3 → c_o = 8, padding 1, then ReLU: colour-edge detectors;
# * `mix`: **1 × 1**, 8 → 4: at every pixel, one weighted sum of the 8 detector maps per class
#   (a fully connected layer applied per pixel, as in notebook 3);
# * the largest value of each class map over the image is the class score (global max pooling).
#
# `chanconv.nn.Conv2d` has the parameters, initialisation and padding modes of `torch.nn.Conv2d`,
# so the same network with `torch.nn.Conv2d` gets the very same starting weights through its
# `state_dict`, and both are trained the same way (Adam, full batch, 60 steps).

# %%
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
print("parameters:", sum(p.numel() for p in net.parameters()),
      "= 8·3·3·3 + 8 + 4·8·1·1 + 4 =", 8 * 3 * 3 * 3 + 8 + 4 * 8 * 1 * 1 + 4)

# %% [markdown]
# How fast does it train? chanconv's layers run on the compiled rung where a C++ compiler is (its
# forward and its backward in C++, see notebook 8); it is built the first time (30–90 s, cached
# after that). Without it, each gradient is computed as the convolution derived above, by a Python
# method. The cell times both networks on copies, in turn, after one untimed round (so that neither
# pays a first call's set-up), then trains the two networks themselves.

# %% tags=["nbval-ignore-output"]
# timings vary from run to run and machine to machine: nbval does not compare this output
import copy

from chanconv.core.methods import compiled
from chanconv.perf.bench import describe_machine

print(compiled.prepare("cpu"))
print(f"on the CPU ({describe_machine('cpu')['cpu']}), torch threads: {torch.get_num_threads()}")
print("auto picks", chanconv.auto_method(3, 8, 3, 3, 10, 10, batch=256, padding=1), "for the 3 × 3 layer and",
      chanconv.auto_method(8, 4, 1, 1, 10, 10, batch=256), "for the 1 × 1 layer; the backward runs",
      "in the compiled rung" if compiled.loaded() else "in Python (no compiled rung here)")
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
    print(f"{name:18}: 60 steps in {min(times[name]):5.2f} s (best of two; final training loss {final_loss:.4f})")
ratio = min(times["chanconv.nn.Conv2d"]) / min(times["torch.nn.Conv2d"])
print(f"chanconv.nn.Conv2d trained in {ratio:.2f}× the time of torch.nn.Conv2d on this run")

# %%
acc = {name: accuracy(model, X_test, y_test) for name, model in [("chanconv", net), ("torch", twin)]}
print(f"test accuracy, chanconv.nn.Conv2d: {acc['chanconv']:.3f}   torch.nn.Conv2d: {acc['torch']:.3f}")
print("same accuracy:", acc["chanconv"] == acc["torch"])
print("largest weight difference after training below 1e-4:",
      max((p - q).abs().max().item() for p, q in zip(net.parameters(), twin.parameters())) < 1e-4)

# does the network read colour? Swap the red and green channels: every red bar becomes a green one
swapped = X_test[:, [1, 0, 2]]
swap_label = torch.tensor([2, 3, 0, 1])[y_test]            # red ↔ green, same orientation
as_gray = X_test.mean(dim=1, keepdim=True).expand(-1, 3, -1, -1)  # every channel the gray level
with torch.no_grad():
    print(f"red ↔ green swapped: accuracy against the swapped labels {accuracy(net, swapped, swap_label):.3f}")
    pred_gray = net(as_gray).argmax(dim=1)
print(f"gray images: accuracy {(pred_gray == y_test).float().mean():.3f}; "
      f"orientation still right {(pred_gray % 2 == y_test % 2).float().mean():.3f}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# The two networks start from the same weights and see the same data; chanconv's forward
# (the methods `method="auto"` picked, printed above) and its backward agree with PyTorch's to
# float32 rounding, so the trained weights
# differ only in the last digits and the test accuracy is the same. Swapping red and green turns
# the predictions into the other colour's classes; on gray images (where the bar disappears into
# the noise) the accuracy drops: the network reads colour, as the data demands.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What the first layer learned, per input channel
#
# Each row is one of the 8 learned 3 × 3 kernels W[o], shown as its three slices W[o, c] for the
# red, green and blue input channels (blue: negative, red: positive, one colour scale for all).
# A row labelled *dead* is a kernel whose ReLU fires on no pixel of the training images (next cell).

# %%
W1 = net.edges.weight.detach()                 # (c_o, c_i, k_h, k_w) = (8, 3, 3, 3)
with torch.no_grad():
    before_relu = net.edges(X_train)           # (batch, 8, n_h, n_w): each kernel's map before the ReLU
fires = (before_relu > 0).float().mean(dim=(0, 2, 3))   # (8,): share of pixels whose ReLU passes
active = fires > 0                             # a kernel whose ReLU never fires is dead
lim = W1.abs().max().item()
fig, axes = plt.subplots(8, 3, figsize=(4.2, 10))
for o in range(8):
    for c, colour in enumerate(["red", "green", "blue"]):
        im = axes[o, c].imshow(W1[o, c].numpy(), cmap="RdBu_r", vmin=-lim, vmax=lim)
        axes[o, c].set_xticks([])
        axes[o, c].set_yticks([])
        if o == 0:
            axes[o, c].set_title(f"input: {colour}", fontsize=10)
    axes[o, 0].set_ylabel(f"W[{o}]" + ("" if active[o] else "\ndead"), rotation=0, labelpad=18, va="center")
fig.colorbar(im, ax=axes, shrink=0.5, label="weight")
fig.suptitle("first layer: W[o, c] per output o (rows) and input channel c (columns)", fontsize=10)
plt.show()

# %%
# per kernel W[o]: the share of training pixels where its ReLU passes (map > 0), Σ|W[o]| at its random
# start and now, the share of its weights below zero, its bias, the largest value of its map before the
# ReLU over every training pixel, and its colour contrast Σ(red − green) = Σ(W[o, red] − W[o, green])
b1 = net.edges.bias.detach()
size, size_start = W1.abs().sum(dim=(1, 2, 3)), W1_start.abs().sum(dim=(1, 2, 3))   # (8,) each
negative = (W1 < 0).float().mean(dim=(1, 2, 3))        # (8,)
peak = before_relu.amax(dim=(0, 2, 3))                  # (8,): over every pixel of every training image
contrast = (W1[:, 0] - W1[:, 1]).sum(dim=(1, 2))        # (8,): > 0 redder-than-green, < 0 the reverse
print("X_train's values lie in", f"[{X_train.min():.2f}, {X_train.max():.2f}], mean {X_train.mean():.2f}")
print(f"{'kernel':6}  {'ReLU passes':>11}  {'Σ|W| start -> now':>17}  {'weights < 0':>11}  {'bias':>5}  "
      f"{'max before ReLU':>15}  {'Σ(red − green)':>14}")
for o in range(8):
    kind = ("R−G (red − green)" if contrast[o] > 0 else "G−R (green − red)") if active[o] else "dead: its ReLU never fires"
    print(f"{f'W[{o}]':6}  {100 * fires[o]:10.1f}%  {size_start[o]:8.2f} -> {size[o]:5.2f}  {100 * negative[o]:10.0f}%  "
          f"{b1[o]:+5.2f}  {peak[o]:+15.2f}  {contrast[o]:+14.2f}  {kind}")
print("active kernels:", int(active.sum()), "of 8; dead:", [o for o in range(8) if not active[o]])
print("over the active kernels, mean |W[:, c]| per input channel:",
      ", ".join(f"{c} {W1[active, k].abs().mean():.2f}" for k, c in enumerate(["red", "green", "blue"])))

# %% [markdown] slideshow={"slide_type": "fragment"}
# The kernels marked *dead* did not stay near their random start: training moved them (their
# Σ|W| above grew from its value at the start), but pushed them negative — nearly all of their
# weights are below zero, and so is their bias. The images' values sit around
# 0.5 (the range and mean are printed above), so a kernel of negative weights gives a negative sum
# at every pixel: the largest value any of them reaches before the ReLU, over all training
# pixels, is below zero. The ReLU passes nothing, its derivative is 0 everywhere, and so no gradient
# comes back to these weights: they can never recover. The network did not need them — this task
# needs only a few detectors, and the active kernels suffice for the test accuracy above.
#
# The active kernels have red and green slices that differ (their Σ(red − green) above): they
# respond to a *difference* between the colour channels, which no gray image could show; their
# row or column patterns give the orientation. Blue carries only noise here; compare its mean
# |weight| over the active kernels with red's and green's above.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What the 1 × 1 layer mixes
#
# The 1 × 1 layer's weight (c_o, c_i, 1, 1) = (4, 8, 1, 1) is a 4 × 8 matrix: at every pixel,
# class score map o = b[o] + Σ_c W[o, c] · (detector map c), where detector map c is the ReLU of
# the first layer's output channel c (kernel W[c] above; here the 1 × 1 layer's input channel c).
# Each row says which detectors vote for a class (red, positive) and which against it (blue,
# negative); the dead detectors' maps are zero everywhere, so their column does not matter.

# %%
W2 = net.mix.weight.detach()[:, :, 0, 0]       # (4, 8, 1, 1) -> (4, 8)
lim2 = W2.abs().max().item()
fig, ax = plt.subplots(figsize=(7, 3))
im = ax.imshow(W2.numpy(), cmap="RdBu_r", vmin=-lim2, vmax=lim2)
ax.set_yticks(range(4), CLASSES)
ax.set_xticks(range(8), [f"c = {o}\n" + (("R−G" if contrast[o] > 0 else "G−R") if active[o] else "dead")
                         for o in range(8)])
ax.set_xlabel("first-layer detector c (its colour contrast)")
ax.set_title("1 × 1 layer: weight W[o, c] of detector c in class o")
fig.colorbar(im, ax=ax, label="weight")
fig.tight_layout()
plt.show()

# %%
for o, name in enumerate(CLASSES):
    votes = sorted(((W2[o, c].item(), c) for c in range(8) if active[c]), reverse=True)
    print(f"{name:16}: " + ", ".join(f"detector {c} {'R−G' if contrast[c] > 0 else 'G−R'} {w:+.2f}" for w, c in votes))

# %% [markdown] slideshow={"slide_type": "fragment"}
# The 1 × 1 layer mixes channels and nothing else: every class map is a weighted sum of the
# active detector maps at the same pixel (listed above from the largest vote down). No class
# rests on one detector: each adds some and subtracts others, and a detector of one colour
# contrast can count *against* a class of the other colour. That is the 1 × 1 layer's job in a
# network: recombine the channels below into the channels the next stage needs, here one per class.
#
# **Training with chanconv in your own code**: use `chanconv.nn.Conv2d` wherever you would use
# `torch.nn.Conv2d` (or call `chanconv.conv2d` on tensors that require grad); `method=` picks the
# forward, and the buffer-writing methods train through the from-scratch backward of this notebook.
