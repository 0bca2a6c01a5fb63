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
# # 8. From the lecture's loops to the hardware's limit
#
# Notebooks 1–4 computed every output element with the lecture's loops. Nobody runs a network
# that way. This notebook climbs a ladder of implementations of the same layer, all in
# `chanconv.methods` with one signature, and measures what each idea buys:
#
# | method | idea |
# | --- | --- |
# | `loops` | the lecture: corr2d per input channel, summed, stacked per output channel |
# | `unfold` | all windows as one strided view, one `einsum`: no Python loop |
# | `im2col` | every convolution as one matrix product W (c_o × c_i k_h k_w) @ columns (c_i k_h k_w × pixels): W is only reshaped, nothing is transposed |
# | `im2row` | the same product transposed, (pixels × k_h k_w c_i) @ (k_h k_w c_i × c_o), from a channels-last copy, in cache-sized chunks |
# | `shift` | one (c_o × c_i) @ (c_i × pixels) product per kernel offset, read straight from the flattened input |
# | `matmul1x1` | k_h = k_w = 1: the fully connected layer per pixel, one product |
# | `winograd` | F(2×2, 3×3): 16 instead of 36 multiplications per 2 × 2 output tile, transforms as additions |
# | `fft` | products in the frequency domain: cost independent of the kernel size |
#
# Timings depend on the machine: nbval ignores those cells. `make bench` runs the full grid.

# %% slideshow={"slide_type": "skip"}
import matplotlib.pyplot as plt
import torch

import chanconv
from chanconv.bench import Shape, machine_peak_gflops, run
from chanconv.methods import FFT_REL_ERROR, WINOGRAD_REL_ERROR

_ = torch.manual_seed(0)
device = chanconv.default_device()
print("device:", device)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Every method computes the same layer
#
# Before timing anything: on a random layer with stride, padding, batch and bias, every method
# agrees with PyTorch's `conv2d` (the tests check hundreds of such layers).

# %%
g = torch.Generator().manual_seed(0)
X = torch.randn(2, 6, 11, 11, generator=g).to(device)
W = torch.randn(5, 6, 3, 3, generator=g).to(device)
b = torch.randn(5, generator=g).to(device)
reference = torch.nn.functional.conv2d(X, W, b, padding=1)
for method in chanconv.METHODS:
    if method == "matmul1x1":
        continue
    Y = chanconv.conv2d(X, W, b, padding=1, method=method)
    print(f"{method:9} same as torch: {torch.allclose(Y, reference, atol=1e-4)}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Step 1: leave the Python loops
#
# On a small layer (c_i = c_o = 4, 3 × 3 kernels, 12 × 12 input) the lecture's loops are still
# bearable. The loops run O(c_i · c_o · m_h · m_w) tiny tensor operations, each costing
# microseconds of Python and dispatch; the vectorized methods run a handful of large ones.

# %% tags=["nbval-ignore-output"]
small = run([Shape("small", 4, 4, 3, 12)], device=device, repeat=3, progress=False)
loops_time = next(r["seconds"] for r in small if r["method"] == "loops")
for r in small:
    if r["seconds"] is not None:
        print(f"{r['method']:9} {r['seconds'] * 1e3:9.3f} ms   {loops_time / r['seconds']:8.0f}× faster than loops")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Step 2: one big matrix product
#
# A realistic layer: c_i = c_o = 64, 3 × 3, 32 × 32, padding 1 (37.7 million multiply-adds).
# `unfold` materializes every window and lets `einsum` pick the product; `im2col` copies the
# windows into one column matrix and multiplies once; `im2row` is the same product transposed,
# which this CPU's matrix product prefers when c_o is small, at the price of two layout
# changes; `shift` skips the column matrix entirely; `winograd` does 2.25× fewer
# multiplications. The ratio column is time ÷ the time of `torch.nn.functional.conv2d`.

# %% tags=["nbval-ignore-output"]
layer = run([Shape("channels", 64, 64, 3, 32, padding=1)], device=device, repeat=5, progress=False)
for r in layer:
    if r["seconds"] is not None:
        print(f"{r['method']:9} {r['seconds'] * 1e3:8.3f} ms  {r['gflops']:6.1f} GFLOP/s  ×torch {r['ratio_to_torch']:5.2f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Time against c_i = c_o and against k
#
# What to see: on log axes the matrix-product methods run parallel to torch, a constant factor
# above it; the cost grows with c_i · c_o (four times per doubling of both) and with k_h · k_w.
# Winograd (3 × 3 kernels only) starts above the others, because its transforms cost a fixed
# amount per channel, and ends below them: once the products dominate, 2.25× fewer
# multiplications win. `fft` barely depends on k: its cost is set by the image size, which is
# why it pays off only for large kernels.

# %% tags=["nbval-ignore-output"]
sweep_c = run([Shape("c", c, c, 3, 24, padding=1) for c in (8, 16, 32, 64, 128)], device=device, repeat=3,
              methods=("unfold", "im2col", "im2row", "shift", "winograd", "fft"), progress=False)
sweep_k = run([Shape("k", 32, 32, k, 24, padding=k // 2) for k in (1, 3, 5, 7, 9)], device=device, repeat=3,
              methods=("unfold", "im2col", "im2row", "shift", "fft"), progress=False)


COLORS = dict(zip(("torch", "unfold", "im2col", "im2row", "shift", "winograd", "fft"), plt.get_cmap("tab10").colors))


def plot_sweep(ax, rows, key, label):
    for method in dict.fromkeys(r["method"] for r in rows):
        pts = [(r[key], r["seconds"] * 1e3) for r in rows if r["method"] == method and r["seconds"]]
        ax.plot(*zip(*pts), marker="o", label=method, color=COLORS[method], lw=2.5 if method == "torch" else 1.2)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel(label)
    ax.set_ylabel("time (ms)")
    ax.grid(True, which="both", alpha=0.3)


fig, axes = plt.subplots(1, 2, figsize=(11, 4))
plot_sweep(axes[0], sweep_c, "c_i", "c_i = c_o (3 × 3 kernel, 24 × 24 input)")
plot_sweep(axes[1], sweep_k, "k", "k_h = k_w (c_i = c_o = 32, 24 × 24 input)")
axes[0].legend()
axes[1].legend()
axes[0].set_title("time against channels")
axes[1].set_title("time against kernel size")
fig.tight_layout()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## How close to the machine's limit?
#
# A reference rate: a large float32 matrix product (1024 × 1024), what this machine's BLAS does
# on one big product, measured once (so it varies with the machine's load). Every GFLOP/s below
# is **nominal**: the layer's 2 · c_i · c_o · k_h · k_w · m_h · m_w FLOPs divided by its time.
# What to see: chanconv's matrix-product methods (im2col, im2row, unfold) climb towards the
# reference on big layers and stay below it; small layers are dominated by overheads. A method
# that does fewer multiplications than the direct sum (Winograd, and whatever algorithm
# PyTorch's backend picks for large layers) can show a nominal rate **above** the matrix-product
# reference: it does less arithmetic than it is credited with, not more per second.

# %% tags=["nbval-ignore-output"]
peak = machine_peak_gflops(device, n=1024)
print(f"attainable peak on {chanconv.device_name(device)}: {peak:.0f} GFLOP/s")
fig, ax = plt.subplots(figsize=(7, 3.5))
for method in ("torch", "im2col", "im2row", "winograd", "unfold"):
    pts = [(r["c_i"], r["gflops"]) for r in sweep_c if r["method"] == method and r["gflops"]]
    ax.plot(*zip(*pts), marker="o", label=method, color=COLORS[method])
ax.axhline(peak, color="k", ls="--", label="matrix-product peak")
ax.set_xscale("log", base=2)
ax.set_xlabel("c_i = c_o")
ax.set_ylabel("GFLOP/s")
ax.legend()
fig.tight_layout()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Fewer multiplications, a little more rounding
#
# Winograd and the FFT trade multiplications for transforms, and the transforms round. Their
# error relative to a float64 reference is larger than the direct sum's but within each
# method's stated bound:

# %%
X = torch.randn(2, 32, 30, 30, generator=g, dtype=torch.float64)
W = torch.randn(16, 32, 3, 3, generator=g, dtype=torch.float64)
exact = torch.nn.functional.conv2d(X, W, padding=1)
for method, bound in [("im2col", None), ("winograd", WINOGRAD_REL_ERROR), ("fft", FFT_REL_ERROR)]:
    Y = chanconv.conv2d(X.float().to(device), W.float().to(device), padding=1, method=method).double().cpu()
    rel = float((Y - exact).norm() / exact.norm())
    within = "" if bound is None else f"   within its bound {bound:.0e}: {rel < bound}"
    print(f"{method:9} relative error {'below 1e-6' if rel < 1e-6 else 'above 1e-6'}{within}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Recap
#
# - Leaving Python loops is the first and biggest step: hundreds of times faster already on a
#   tiny layer.
# - Expressing the convolution as matrix products (im2col, im2row, shift, the 1 × 1 product)
#   gets within a small factor of PyTorch's tuned convolution; laying the data out for the
#   product (which way round, cache-sized chunks, no needless transposes) matters as much as
#   the arithmetic.
# - Methods with fewer multiplications pay in transforms and rounding. Winograd's transforms
#   are additions whose cost grows with c_i + c_o while the products grow with c_i · c_o, so it
#   wins once the channels are many (on the README's machine it draws level with PyTorch's own
#   convolution at c_i = c_o = 128 and beats it at 256); the FFT loses on a CPU at these kernel
#   sizes.
# - The README lists the full grid's figures from `make bench`.

# %% slideshow={"slide_type": "skip"}
plt.close("all")
