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
# # 4. The convolutional layer and its cost
#
# Notebooks 1–3 built every piece: $c_i$ input channels summed, $c_o$ output channels stacked, and
# the $1 \times 1$ special case.

# %% [markdown] slideshow={"slide_type": "notes"}
# Together with a bias they make the **2-D convolutional layer**,
# `torch.nn.Conv2d`. This notebook gives
# 1. the shapes of $\mathbf{X}$, $\mathbf{W}$, $\mathbf{b}$ and $\mathbf{Y}$, and the check that
#    `torch.nn.Conv2d` computes what chanconv does;
# 2. the number of parameters, $c_o c_i k_h k_w + c_o$;
# 3. the cost $\mathcal{O}(c_i c_o k_h k_w m_h m_w)$: the lecture's example counted, then timed on
#    this machine, and the lecture's "10 layers × 1M samples" estimate redone.

# %% slideshow={"slide_type": "skip"}
import matplotlib.pyplot as plt
import torch

import chanconv
from chanconv import tr
from chanconv.core.timing import median_seconds
from chanconv.course.data import lecture_K, lecture_X
from chanconv.course.figures import plot_partial_maps

torch.manual_seed(0)
device = chanconv.default_device()
print(tr("device:"), device)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Shapes
#
# | tensor | shape | |
# | --- | --- | --- |
# | input $\mathbf{X}$ | $c_i \times n_h \times n_w$ | |
# | kernel $\mathbf{W}$ | $c_o \times c_i \times k_h \times k_w$ | one $c_i \times k_h \times k_w$ kernel per output channel |
# | bias $\mathbf{b}$ | $c_o$ | **one number per output channel** |
# | output $\mathbf{Y}$ | $c_o \times m_h \times m_w$ | $\mathbf{Y} = \mathbf{X} \star \mathbf{W} + \mathbf{b}$ |

# %% [markdown] slideshow={"slide_type": "notes"}
# Channel by channel, the layer is
#
# $$\mathbf{Y}_{o} = \sum_{i=0}^{c_i-1} \mathbf{X}_{i} \star \mathbf{W}_{o,i} + b_o,
# \qquad o = 0, \dots, c_o - 1,$$
#
# and with padding $p_h, p_w$ (zeros on each side) and stride $s_h, s_w$ the output has
#
# $$m_h = \left\lfloor \frac{n_h + 2p_h - k_h}{s_h} \right\rfloor + 1, \qquad
#   m_w = \left\lfloor \frac{n_w + 2p_w - k_w}{s_w} \right\rfloor + 1.$$
#
# The bias $b_o$ is added to every pixel of its output channel. (The Chinese course notes give the
# bias the shape $c_o \times c_i$; it has shape $c_o$, as `torch.nn.Conv2d.bias` shows below.)

# %% slideshow={"slide_type": "subslide"} tags=["slide-output-only"]
c_i, c_o, k_h, k_w, n_h, n_w = 3, 4, 3, 3, 8, 8
layer = torch.nn.Conv2d(c_i, c_o, kernel_size=(k_h, k_w), padding=1, stride=2).to(device)
print("W:", tuple(layer.weight.shape), " b:", tuple(layer.bias.shape))
X = torch.randn(c_i, n_h, n_w, device=device)
print("X:", tuple(X.shape), " Y:", tuple(layer(X[None])[0].shape))
print(tr("formula m_h = floor((8 + 2·1 − 3) / 2) + 1 ="), chanconv.output_size(n_h, k_h, stride=2, padding=1))

# %% [markdown] slideshow={"slide_type": "notes"}
# Where the bias enters, on the lecture's example ($\mathbf{K}$, $\mathbf{K} + 1$, $\mathbf{K} + 2$ of
# notebook 2) with a bias $\mathbf{b} = (1, -2, 3)$ chosen for the picture: output channel $o = 1$ is
# the sum of the whole maps $\mathbf{X}_0 \star \mathbf{K}_{1,0}$ and $\mathbf{X}_1 \star \mathbf{K}_{1,1}$
# (76 100 / 148 172, as in notebook 2), and then $b_1 = -2$ is added to **every** element of that
# channel: $\mathbf{Y}_1$ = 74 98 / 146 170.

# %% slideshow={"slide_type": "subslide"} tags=["slide-output-only"]
X_lec, K_lec = lecture_X(device), lecture_K(device)
K_lec = torch.stack((K_lec, K_lec + 1, K_lec + 2))
b_lec = torch.tensor([1.0, -2.0, 3.0], device=device)
fig = plot_partial_maps(X_lec.cpu(), K_lec.cpu(), 1, bias=b_lec.cpu())
print(tr("Y = chanconv.conv2d(X, K, b), channel 1:"), chanconv.conv2d(X_lec, K_lec, b_lec)[1].tolist())

# %% [markdown] slideshow={"slide_type": "subslide"}
# `torch.nn.Conv2d`, given chanconv's weights and bias, gives chanconv's output (every method):

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
g = torch.Generator().manual_seed(0)
W = torch.randn(c_o, c_i, k_h, k_w, generator=g).to(device)
b = torch.randn(c_o, generator=g).to(device)
with torch.no_grad():
    layer.weight.copy_(W)
    layer.bias.copy_(b)
    Y_torch = layer(X[None])[0]
for method in ["loops", "unfold", "im2col", "im2row", "shift", "fft"]:
    Y = chanconv.conv2d(X, W, b, stride=2, padding=1, method=method)
    print(f"{method:7}", tuple(Y.shape), torch.allclose(Y, Y_torch, atol=1e-5))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Parameters
#
# $c_o c_i k_h k_w$ weights plus $c_o$ biases:
#
# $$\text{parameters} = c_o \cdot c_i \cdot k_h \cdot k_w + c_o.$$

# %% [markdown] slideshow={"slide_type": "notes"}
# The padding, the stride and the input size do not change it: the same kernel is used at every
# position.

# %% slideshow={"slide_type": "notes"}
for c_i_, c_o_, k in [(3, 4, 3), (3, 64, 7), (256, 64, 1), (100, 100, 5)]:
    cost = chanconv.conv2d_cost(c_i_, c_o_, k, k, 68, 68)
    torch_count = sum(p.numel() for p in torch.nn.Conv2d(c_i_, c_o_, k).parameters())
    print(f"c_i={c_i_:3} c_o={c_o_:3} k={k}: {c_o_}·{c_i_}·{k}·{k} + {c_o_} = {cost.params:7,}"
          f"   torch.nn.Conv2d: {torch_count:7,}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Cost
#
# Every one of the $c_o m_h m_w$ output elements is a sum of $c_i k_h k_w$ products: that many
# **multiply-accumulates** (MACs), one multiplication and one addition each:
#
# $$\text{MACs} = c_i \cdot c_o \cdot k_h \cdot k_w \cdot m_h \cdot m_w, \qquad
# \text{FLOPs} = 2 \cdot \text{MACs},$$

# %% [markdown] slideshow={"slide_type": "notes"}
# a cost of $\mathcal{O}(c_i c_o k_h k_w m_h m_w)$. The lecture's layer: $c_i = c_o = 100$,
# $k_h = k_w = 5$ (the notes write "k_h = h_w = 5": their h_w is $k_w$), an output of $64 \times 64$ (input
# $68 \times 68$, no padding):

# %% slideshow={"slide_type": "notes"}
lecture = chanconv.conv2d_cost(100, 100, 5, 5, 68, 68)
print(lecture)
print(f"MACs  = 100·100·5·5·64·64 = {lecture.macs:,}  ≈ {lecture.macs / 1e9:.2f}e9")
print(f"FLOPs = 2 · MACs          = {lecture.flops:,}  ≈ {lecture.flops / 1e9:.2f}e9")
print(tr("parameters = {params:,}; float32 bytes: X {x:,}, W and b {w:,}, Y {y:,}", params=lecture.params,
         x=lecture.input_bytes, w=lecture.weight_bytes, y=lecture.output_bytes))

# %% [markdown] slideshow={"slide_type": "subslide"}
# MACs or FLOPs?

# %% [markdown] slideshow={"slide_type": "notes"}
# The notes' "1 GFLOP" is the number of multiply-adds, $1.02 \cdot 10^9$ MACs, written
# with the unit of floating-point operations. Counted in FLOPs — the multiplication and the
# addition each one operation, as Dive into Deep Learning does and as hardware FLOP/s rates are
# quoted — the layer costs $2.05 \cdot 10^9$ FLOPs, about 2 GFLOP. So "1 GFLOP" is off by a factor
# of 2 in its unit (notebook 5 lists it among the sources' errors): write "1 G MACs" or "2 GFLOP",
# and divide work by a rate counted in the same unit, as the next sections do.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Timed on this machine
#
# The same layer, one sample, on this notebook's device: chanconv's `conv2d` (its `auto` method)
# and PyTorch's own `conv2d`.

# %% [markdown] slideshow={"slide_type": "notes"}
# Median of 5 runs after a warm-up. These numbers differ from machine
# to machine (and from run to run), so yours will not match the ones stored here.

# %% slideshow={"slide_type": "-"}
X_big = torch.randn(1, 100, 68, 68, generator=g).to(device)
W_big = (torch.randn(100, 100, 5, 5, generator=g) / 50).to(device)
method = chanconv.auto_method(100, 100, 5, 5, 68, 68, device=device)
print(tr("chanconv's method for this shape:"), method)

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output", "slide-output-only"]
t_chanconv = median_seconds(lambda: chanconv.conv2d(X_big, W_big), device=device)
t_torch = median_seconds(lambda: torch.nn.functional.conv2d(X_big, W_big), device=device)
rate = lecture.flops / t_torch  # FLOP/s achieved by torch's conv2d
print(f"chanconv.conv2d ({method}): {t_chanconv * 1e3:6.1f} ms  {lecture.flops / t_chanconv / 1e9:6.1f} GFLOP/s")
print(f"torch conv2d:         {t_torch * 1e3:6.1f} ms  {rate / 1e9:6.1f} GFLOP/s")
print(f"chanconv / torch: {t_chanconv / t_torch:.2f}×   " + tr("({threads} CPU threads)", threads=torch.get_num_threads()))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 10 layers, 1 million samples
#
# The notes' estimate: 10 such layers, 1M samples, "10 PFlops".

# %% [markdown] slideshow={"slide_type": "notes"}
# That is an **amount of work**,
# not a rate (FLOP/s): one forward pass of 10 layers over $10^6$ samples, counted below from
# `conv2d_cost` with batch $= 10^6$, in multiply-adds (MACs) and in FLOPs (2 per MAC):
# $10 \cdot 10^6 \cdot 1.024 \cdot 10^9 \approx 1.02 \cdot 10^{16}$ MACs.
#
# The lecture's slide (in the video; the rates are not in the written notes) then says
# "CPU 0.15 TF = 18 h, GPU 12 TF = 14 min". Hardware rates in TFLOP/s count a multiply-add as
# **two** FLOPs, so the work must be counted in FLOPs too:

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
samples, layers = 1_000_000, 10
work = chanconv.conv2d_cost(100, 100, 5, 5, 68, 68, batch=samples)
work_macs, work_flops = layers * work.macs, layers * work.flops
print(tr("work: {macs:.3e} MACs = {flops:.3e} FLOPs (forward pass only)", macs=work_macs, flops=work_flops))
slide_rates = {"CPU": 0.15e12, "GPU": 12e12}  # FLOP/s, as the lecture's slide gives them
for name, flop_per_s in slide_rates.items():
    seconds = work_flops / flop_per_s
    print(tr("{name} at {rate:5.2f} TFLOP/s: {hours:5.1f} h = {minutes:7.1f} min",
             name=name, rate=flop_per_s / 1e12, hours=seconds / 3600, minutes=seconds / 60))

# %% [markdown] slideshow={"slide_type": "subslide"}
# About **38 hours** on the CPU and **28 minutes** on the GPU.

# %% [markdown] slideshow={"slide_type": "-"}
# The slide's 18 h and 14 min are
# half of that: they divide the round "10 PFlops" $= 10^{16}$, a count of **multiply-adds**, by
# rates in **FLOP/s**, i.e. they count a multiply-add as one FLOP. The slide's own rounding
# gives (read its rates as multiply-adds per second and 18 h / 14 min are right):

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
slide_work = 1e16  # the notes' round "10 PFlops": really 10¹⁶ multiply-adds
for name, rate_ in slide_rates.items():
    seconds = slide_work / rate_
    print(tr("slide's rounding, {name}:", name=name), f"1e16 / {rate_ / 1e12:g}e12 = {seconds / 3600:5.1f} h = {seconds / 60:7.1f} min")

# %% [markdown] slideshow={"slide_type": "subslide"}
# The same work at the rate measured above on this machine (in FLOP/s, 2 FLOPs per MAC):

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output", "slide-output-only"]
seconds = work_flops / rate
print(tr("this {device}, {rate:.3f} TFLOP/s: {hours:,.1f} h = {days:,.1f} days",
         device=device.type.upper(), rate=rate / 1e12, hours=seconds / 3600, days=seconds / 86400))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Recap

# %% [markdown] slideshow={"slide_type": "notes"}
# - A 2-D convolutional layer maps $\mathbf{X}$ ($c_i \times n_h \times n_w$) to $\mathbf{Y}$
#   ($c_o \times m_h \times m_w$) with a kernel $\mathbf{W}$ ($c_o \times c_i \times k_h \times k_w$)
#   and a bias $\mathbf{b}$ ($c_o$): $\mathbf{Y}_o = \sum_i \mathbf{X}_i \star \mathbf{W}_{o,i} + b_o$.
# - It has $c_o c_i k_h k_w + c_o$ parameters, independent of the input size.
# - It costs $c_i c_o k_h k_w m_h m_w$ multiply-adds, twice that in FLOPs: $1.02 \cdot 10^9$ MACs
#   ($2.05 \cdot 10^9$ FLOPs, not the notes' "1 GFLOP") for the lecture's layer; 10 layers over a
#   million samples are $\approx 1.02 \cdot 10^{16}$ MACs $= 2.05 \cdot 10^{16}$ FLOPs, ≈ 38 h at the
#   slide's CPU rate of 0.15 TFLOP/s and ≈ 28 min at its GPU rate of 12 TFLOP/s (the slide's
#   18 h / 14 min count a multiply-add as one FLOP).

# %% [markdown] slideshow={"slide_type": "-"}
# Next: the summary.

# %% slideshow={"slide_type": "skip"}
plt.close("all")
