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
# Notebooks 1–4 computed every output element with the lecture's loops.

# %% [markdown] slideshow={"slide_type": "notes"}
# Nobody runs a network
# that way. This notebook climbs a ladder of implementations of the same layer, all in
# `chanconv.core.methods` with one signature, and measures what each idea buys:
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
# | `compiled` | `im2col` written in C++ (`chanconv/core/methods/csrc/conv_fused.cpp`): the padding copy, the stride copy and the Python calls fused away; built on first use where a C++ compiler and ninja are |
#
# Timings depend on the machine: nbval does not compare the outputs of those cells. `make bench`
# runs the full grid. A layer's label reads `b` batch, `c_i`, `c_o`, `k` (k_h = k_w), `n`
# (n_h = n_w), and where they are not the default `s` stride, `p` padding, `d` dilation, `g` groups.

# %% slideshow={"slide_type": "skip"}
import matplotlib.pyplot as plt
import torch

import chanconv
from chanconv.core.methods import FFT_REL_ERROR, WINOGRAD_REL_ERROR, compiled
from chanconv.perf import roofline
from chanconv.perf.bench import Shape, aten_calls, roofline_points, run, summarize
from chanconv.perf.figures import method_colour, plot_roofline

_ = torch.manual_seed(0)
device = chanconv.default_device()
print("device:", device)

# %% [markdown] slideshow={"slide_type": "-"}
# The compiled rung is built the first time it is used (30–90 s with a C++ compiler; cached
# after that).

# %% [markdown] slideshow={"slide_type": "notes"}
# Where there is no compiler it is simply absent, and every cell below runs
# without it.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output", "slide-output-only"]
# built (or loaded) where it can be; absent or failed (e.g. a compiler without OpenMP): one line saying why
print(compiled.prepare(device))
# the methods this notebook runs: the compiled rung only where it is built
methods_here = tuple(m for m in chanconv.METHODS if m != "compiled" or compiled.loaded())

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Every method computes the same layer
#
# Before timing anything: on a random layer with padding, a batch and a bias, every method
# agrees with PyTorch's `conv2d` (`matmul1x1` handles 1 × 1 kernels only and sits this one out;
# the tests check hundreds of layers, strides, dilations and groups included).

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
g = torch.Generator().manual_seed(0)
X = torch.randn(2, 6, 11, 11, generator=g).to(device)
W = torch.randn(5, 6, 3, 3, generator=g).to(device)
b = torch.randn(5, generator=g).to(device)
reference = torch.nn.functional.conv2d(X, W, b, padding=1)
for method in methods_here:
    if method == "matmul1x1":
        continue
    Y = chanconv.conv2d(X, W, b, padding=1, method=method)
    print(f"{method:9} same as torch: {torch.allclose(Y, reference, atol=1e-4)}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Step 1: leave the Python loops
#
# On a small layer (c_i = c_o = 4, k_h = k_w = 3, n_h = n_w = 12) the lecture's loops are still
# bearable.

# %% [markdown] slideshow={"slide_type": "notes"}
# The loops run O(c_i · c_o · m_h · m_w) tiny tensor operations, each costing
# microseconds of Python and dispatch; the vectorized methods run a handful of large ones.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output", "slide-output-only"]
small = run([Shape("small", 4, 4, 3, 12)], device=device, repeat=3, methods=methods_here, progress=False)
loops_time = next(r["seconds"] for r in small if r["method"] == "loops")
for r in small:
    if r["seconds"] is not None:
        print(f"{r['method']:9} {r['seconds'] * 1e3:9.3f} ms   {loops_time / r['seconds']:8.0f}× faster than loops")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Step 2: one big matrix product
#
# A realistic layer: c_i = c_o = 64, k_h = k_w = 3, n_h = n_w = 32, padding 1 (37.7 million
# multiply-adds).

# %% [markdown] slideshow={"slide_type": "notes"}
# `unfold` materializes every window and lets `einsum` pick the product; `im2col` copies the
# windows into one column matrix and multiplies once; `im2row` is the same product transposed,
# which this CPU's matrix product prefers when c_o is small, at the price of two layout
# changes; `shift` skips the column matrix entirely; `winograd` does 2.25× fewer
# multiplications. The ratio column compares with `torch.nn.functional.conv2d` timed in the same
# round: torch and the methods are timed in turn, in rounds, and the ratio is the median over the
# rounds of each round's time ÷ torch's time (so it need not equal the ratio of the printed medians).

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output", "slide-output-only"]
layer = run([Shape("channels", 64, 64, 3, 32, padding=1)], device=device, repeat=5, methods=methods_here,
            progress=False)
for r in layer:
    if r["seconds"] is not None:
        print(f"{r['method']:9} {r['seconds'] * 1e3:8.3f} ms  {r['gflops']:6.1f} GFLOP/s  ×torch {r['ratio_to_torch']:5.2f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Time against c_i = c_o and against k

# %% [markdown] slideshow={"slide_type": "notes"}
# What to see: at few channels every method pays fixed costs per call (Python, set-up) that torch
# does not, and the gaps are widest; as c_i · c_o grows the work dominates, the curves approach
# torch's and their slope approaches the ×4 per doubling of both that the multiply-adds grow by.
# Likewise with k_h · k_w on the right. Winograd (3 × 3 kernels only) starts far above the others,
# because its transforms cost a fixed amount per channel, and closes the gap as the channels grow:
# the products, where it does 2.25× fewer multiplications, grow with c_i · c_o, the transforms only
# with c_i + c_o (in the full grid of `make bench`, on 32 × 32 inputs, it is level with torch or
# faster at 256 channels). `fft` barely depends on k: its cost is set by the image size and by the
# c_i · c_o products per frequency, not by the kernel; at these sizes it never pays off on a CPU.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output", "slide-output-only"]
sweep_c = run([Shape("c", c, c, 3, 24, padding=1) for c in (8, 16, 32, 64, 128)], device=device, repeat=3,
              methods=tuple(m for m in ("unfold", "im2col", "im2row", "shift", "winograd", "fft", "compiled")
                            if m in methods_here), progress=False)
sweep_k = run([Shape("k", 32, 32, k, 24, padding=k // 2) for k in (1, 3, 5, 7, 9)], device=device, repeat=3,
              methods=tuple(m for m in ("unfold", "im2col", "im2row", "shift", "fft", "compiled") if m in methods_here),
              progress=False)


def plot_sweep(ax, rows, key, label):
    for method in dict.fromkeys(r["method"] for r in rows):
        pts = [(r[key], r["seconds"] * 1e3) for r in rows if r["method"] == method and r["seconds"]]
        ax.plot(*zip(*pts), marker="o", label=method, color=method_colour(method), lw=2.5 if method == "torch" else 1.2)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    values = sorted({r[key] for r in rows})
    ax.set_xticks(values, [str(v) for v in values])
    ax.set_xlabel(label)
    ax.set_ylabel("time (ms)")
    ax.grid(True, which="both", alpha=0.3)


fig, axes = plt.subplots(1, 2, figsize=(11, 4))
plot_sweep(axes[0], sweep_c, "c_i", "c_i = c_o (3 × 3 kernel, 24 × 24 input)")
plot_sweep(axes[1], sweep_k, "k", "k_h = k_w (c_i = c_o = 32, 24 × 24 input)")
axes[0].legend(fontsize=8, loc="upper left")
axes[1].legend(fontsize=8, loc="lower right")
axes[0].set_title("time against channels")
axes[1].set_title("time against kernel size")
fig.tight_layout()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The machine's limits
#
# How fast could any convolution run here?

# %% [markdown] slideshow={"slide_type": "-"}
# Three numbers, each measured or read from the machine
# (`chanconv.perf.roofline`):

# %% [markdown] slideshow={"slide_type": "notes"}
# - the **theoretical peak**: cores used (one thread per core here, printed as threads) × clock ×
#   FMA units × SIMD lanes × 2 FLOPs per fused multiply-add. The clock is the one in the CPU's
#   model name, the lanes come from its flags (`avx512f`: 16 float32 numbers per instruction);
#   the number of FMA units is not readable from the CPU and comes from a table of the vendors'
#   documentation per core family (`roofline.FMA_TABLE`). A Xeon that names no model is assumed
#   to have the server cores' two units; an attainable peak above half the theoretical peak (what
#   one unit allows) confirms it;
# - the **attainable peak**: the best float32 matrix product over several sizes and thread counts,
#   what a tuned BLAS gets out of the machine;
# - the **memory bandwidth**: a copy and a STREAM-like triad a = b + s·c over arrays far larger
#   than the caches (GB/s = 10⁹ bytes per second). The roofline below uses the better of the two.

# %% slideshow={"slide_type": "notes"} tags=["nbval-ignore-output"]
limits_cpu = roofline.cpu_description() if device.type == "cpu" else None
attainable = roofline.attainable_peak(device)
bandwidth = roofline.memory_bandwidth(device)
if limits_cpu is not None:
    print("theoretical peak:", limits_cpu.describe())
print(f"attainable peak: {attainable.gflops:.0f} GFLOP/s, the best of")
print(attainable.format_table())
print(f"memory bandwidth: copy {bandwidth.copy_gbs:.1f} GB/s, triad {bandwidth.triad_gbs:.1f} GB/s "
      f"({bandwidth.array_mib:.0f} MiB arrays)")
ridge = roofline.ridge_point(attainable.gflops, bandwidth.gbs)
print(f"ridge point: {ridge:.1f} FLOP/byte")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The roofline
#
# A layer has to read X, W and b and write Y at least once: `conv2d_cost` gives those bytes and
# the FLOPs, and their ratio is the layer's **arithmetic intensity** I (FLOP/byte).

# %% [markdown] slideshow={"slide_type": "notes"}
# A layer whose
# data come from memory cannot run faster than min(peak, bandwidth × I): the flat roof is
# compute, the slanted one memory; they meet at the ridge point, attainable peak ÷ bandwidth
# (printed above; 9–25 FLOP/byte on the machines of this project, as the measured bandwidth
# varies from run to run).
#
# Ignoring W's bytes (fair when the image is much larger than the kernel):
#
# - A dense 3 × 3 layer does 2 · 9 · c_i · c_o FLOPs per output pixel while moving about
#   4 (c_i + c_o) bytes per pixel: I ≈ 9 c_i c_o / (2 (c_i + c_o)), 144 at 64 channels (112 with
#   W's bytes counted, as printed below for 32 × 32). It sits far right of the ridge, **under the
#   compute roof**: only the arithmetic limits it.
# - A 1 × 1 layer has I ≈ c_i c_o / (2 (c_i + c_o)): 4 for 16 → 16 channels, left of the ridge,
#   **under the memory roof**; with 256 → 64 channels 25.6 (24 with W's bytes), right of the
#   ridge, where the product and not memory sets the limit. Few channels make a 1 × 1 layer memory-bound.
# - A depthwise layer reads one input channel per output channel: I ≈ k_h k_w / 4 ≈ 2.2 for
#   3 × 3, whatever the channels, **always under the memory roof**: nothing a faster multiplier
#   can fix.
# - Tiny layers sit far below every roof: a call costs microseconds whatever its work.
#
# Points of methods that do fewer multiplications than the FLOPs counted (Winograd, FFT) are drawn
# hollow: their nominal GFLOP/s could exceed a roof without breaking it. The methods of one layer
# are drawn a few pixels apart, so that equal rates stay visible; torch (★) sits on the layer's line.
#
# One caveat: the bandwidth is measured on arrays far larger than the caches, while these layers
# (at most a few MB) are timed again and again on the same tensors, which then sit in the 48 MiB
# L3 cache of a machine like this one. The memory roof is the bound for data that come from
# memory, as in a network whose activations do not fit in cache; here a point above it would be
# the cache's doing, not a contradiction.

# %% slideshow={"slide_type": "notes"} tags=["nbval-ignore-output"]
ROOF_GRID = [
    Shape("lecture 5×5", 100, 100, 5, 68),
    Shape("3×3, 64 ch", 64, 64, 3, 32, padding=1),
    Shape("3×3, 256 ch", 256, 256, 3, 32, padding=1),
    Shape("7×7 stem, stride 2", 3, 64, 7, 112, stride=2, padding=3),
    Shape("1×1, 256 → 64", 256, 64, 1, 28),
    Shape("1×1, 16 → 16", 16, 16, 1, 112),
    Shape("depthwise 3×3", 64, 64, 3, 56, padding=1, groups=64),
    Shape("tiny 3 → 8", 3, 8, 3, 16, padding=1),
]
roof_methods = tuple(m for m in ("im2col", "shift", "matmul1x1", "winograd", "compiled") if m in methods_here)
roof_rows = run(ROOF_GRID, device=device, repeat=3, rounds=2, methods=roof_methods, progress=False)
peaks = {"attainable peak (matrix product)": attainable.gflops}
if limits_cpu is not None:
    peaks = {"theoretical peak": limits_cpu.theoretical_peak_gflops, **peaks}
fig = plot_roofline(roofline_points(roof_rows), peaks, bandwidth.gbs, nominal=("winograd",),
                    cpu=limits_cpu.model if limits_cpu is not None else chanconv.device_name(device), figsize=(10, 7))
_, fastest = summarize(roof_rows)  # the fastest from-scratch method per layer, as make bench picks it
torch_rows = {r["shape"]: r for r in roof_rows if r["method"] == "torch"}
for shape in ROOF_GRID:
    best = fastest[shape.label]
    top = roofline.roof(best["intensity"], attainable.gflops, bandwidth.gbs)
    nominal = ", nominal" if best["method"] in ("winograd", "fft") else ""
    print(f"{shape.family:20} I = {best['intensity']:6.1f} FLOP/byte   roof {top:6.1f}   "
          f"torch {torch_rows[shape.label]['gflops']:6.1f}"
          f"   best from scratch {best['gflops']:6.1f} GFLOP/s ({best['method']}{nominal})")

# %% [markdown] slideshow={"slide_type": "notes"}
# What to see: the dense layers (right) climb towards the compute roofs, none past the attainable
# peak; the 1 × 1 16 → 16 and depthwise layers (left) sit under the slanted memory roof, the
# depthwise one far under it (a quarter of its roof or less): with one input channel per output
# channel there is little arithmetic per number loaded, and the loop's overheads, not the memory,
# limit it here. The tiny layer sits far below everything. On the 1 × 1 layers a plain product
# (`matmul1x1`, or `compiled`, which multiplies X in place) beats torch's conv2d, whose 1 × 1
# path here does more than one `addmm`. The
# printed lines give each layer's roof next to what torch and the best from-scratch method
# reach. The attainable peak is a measured best; the theoretical peak is what the chip's
# multipliers could do at the nominal clock if nothing else mattered.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The compiled rung: what it fuses
#
# Each Python-level method is a sequence of PyTorch operations, and every operation that writes a
# new tensor is a full pass over memory.

# %% [markdown] slideshow={"slide_type": "notes"}
# `aten_calls` counts them (a `TorchDispatchMode` sees
# every operation PyTorch dispatches, from Python or from C++; loops written inside the C++
# extension are not operations and are not counted). On a strided layer (c_i = 64 → c_o = 128,
# k_h = k_w = 3, stride 2, n_h = n_w = 56):

# %% slideshow={"slide_type": "notes"}
gen = torch.Generator().manual_seed(0)
Xs = torch.randn(1, 64, 56, 56, generator=gen).to(device)
Ws = torch.randn(128, 64, 3, 3, generator=gen).to(device)
bs = torch.randn(128, generator=gen).to(device)
for method in ("im2col", "im2row", "compiled"):
    if method not in methods_here:
        continue
    passes, views = aten_calls(lambda m=method: chanconv.conv2d(Xs, Ws, bs, stride=2, padding=1, method=m))
    print(f"{method:9} aten operations that write a tensor: {dict(sorted(passes.items()))}")

# %% [markdown] slideshow={"slide_type": "-"}
# Python's `im2col` pays for `constant_pad_nd` (a padded copy of X), `clone` (X split into column
# phases for stride 2), two `copy_` (the column matrix, one kernel column phase at a time) and the
# product `addmm`.

# %% [markdown] slideshow={"slide_type": "notes"}
# `im2row` pays for the padded copy, two `clone` (X to channels-last, then the
# window rows), a copy, the product `mm` and an `add` for the bias (outside its product). In
# `compiled` only the product is left as an operation; one pass is not an operation and not
# counted: the C++ gather that builds the column matrix straight from X, writing a zero where a
# tap falls in the padding and reading every s-th column directly, on all threads; the bias
# rides in the product. What disappears: the padded copy, the phase copy, and the Python calls
# between them (10–20 per layer, each a few microseconds). Groups are written into their channels
# of Y instead of a `torch.cat`; depthwise layers become a vectorized loop; tiny layers skip the
# product's set-up altogether. The matrix product is the same BLAS call as in Python's `im2col`.
#
# The times below compare both with torch (medians over rounds, as above). `compiled` gains most
# over Python's `im2col` where the passes and calls were most of the time: strided, depthwise and
# tiny layers. On the dense 64-channel layer, where the product is nearly all of the time, the two
# are level within the run-to-run noise, and both land near torch's oneDNN convolution, which
# builds no column matrix at all (0.9–1.4× torch over the README's runs).

# %% slideshow={"slide_type": "notes"} tags=["nbval-ignore-output"]
FUSED = [Shape("stride", 64, 128, 3, 56, stride=2, padding=1), Shape("stem", 3, 64, 7, 112, stride=2, padding=3),
         Shape("depthwise", 64, 64, 3, 56, padding=1, groups=64), Shape("tiny", 3, 8, 3, 16, padding=1),
         Shape("channels", 64, 64, 3, 32, padding=1)]
if "compiled" in methods_here:
    fused = run(FUSED, device=device, repeat=5, methods=("im2col", "compiled"), progress=False)
    print(f"(built or loaded in {compiled.build_seconds():.1f} s, not part of the times)")
    for shape in FUSED:
        t = {r["method"]: r for r in fused if r["shape"] == shape.label}
        print(f"{shape.label:42} ×torch: im2col {t['im2col']['ratio_to_torch']:5.2f}  "
              f"compiled {t['compiled']['ratio_to_torch']:5.2f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Fewer multiplications, still accurate
#
# Winograd and the FFT trade multiplications for transforms, and the transforms round too.

# %% [markdown] slideshow={"slide_type": "notes"}
# On
# this layer (float32, compared with a float64 reference) every method stays far inside float32's
# accuracy, Winograd and the FFT within the bound each one states (its error grows with larger
# tiles for Winograd and with the image size for the FFT; the tests check the bounds):

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
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

# %% [markdown] slideshow={"slide_type": "notes"}
# - Leaving Python loops is the first and biggest step: about a hundred to a few thousand times
#   faster already on a small layer (the factors printed in step 1).
# - Expressing the convolution as matrix products (im2col, im2row, shift, the 1 × 1 product)
#   gets within a small factor of PyTorch's tuned convolution, and past it on 1 × 1 layers;
#   laying the data out for the product (which way round, cache-sized chunks, no needless
#   transposes) matters as much as the arithmetic.
# - Methods with fewer multiplications pay in transforms and rounding. Winograd's transforms
#   are additions whose cost grows with c_i + c_o while the products grow with c_i · c_o, so it
#   wins once the channels are many (in the README's runs it is level with PyTorch's own
#   convolution or faster at c_i = c_o = 256); the FFT loses on a CPU at these kernel sizes.
# - Every layer has a roof: min(attainable peak, bandwidth × arithmetic intensity). Dense layers
#   are limited by arithmetic, 1 × 1 layers with few channels and depthwise layers by memory.
# - What separates Python-level methods from PyTorch's C++ kernels on small and strided layers is
#   data movement and calls, not arithmetic: compiling the same idea (`compiled`) removes the
#   padded copy, the phase copy and the calls, and gains most over Python's im2col where those
#   dominate (strided, tiny and depthwise layers). On dense 3 × 3 layers oneDNN's direct
#   convolution still edges out im2col + BLAS: the column matrix is one pass more than it needs.
# - The README lists the full grid's figures from `make bench`.

# %% slideshow={"slide_type": "skip"}
plt.close("all")
