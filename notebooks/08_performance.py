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
# | `loops` | the lecture: `corr2d` per input channel, summed, stacked per output channel |
# | `unfold` | all windows as one strided view, one `einsum`: no Python loop |
# | `im2col` | every convolution as one matrix product: $\mathbf{W}$ ($c_o \times c_i k_h k_w$) times the columns ($c_i k_h k_w \times m_h m_w$); $\mathbf{W}$ is only reshaped, nothing is transposed |
# | `im2row` | the same product transposed, ($m_h m_w \times k_h k_w c_i$) times ($k_h k_w c_i \times c_o$), from a channels-last copy, in cache-sized chunks |
# | `shift` | one ($c_o \times c_i$) times ($c_i \times m_h m_w$) product per kernel offset, read straight from the flattened input |
# | `matmul1x1` | $k_h = k_w = 1$: the fully connected layer per pixel, one product |
# | `winograd` | F(2×2, 3×3): 16 instead of 36 multiplications per $2 \times 2$ output tile, transforms as additions |
# | `fft` | products in the frequency domain: cost independent of the kernel size |
# | `compiled` | C++ built on first use where a compiler is (`chanconv/core/methods/csrc/`): small tiles of $\mathbf{Y}$ kept in the CPU's registers while every tap of the kernel is added in, the input read in place, no column matrix; the backward pass too |
#
# Timings depend on the machine: nbval does not compare the outputs of those cells, and every
# sentence below about which method is faster is printed by the code from this run's numbers.
# `make bench` runs the full grids. A layer's label reads `b` batch, `c_i`, `c_o`, `k`
# ($k_h = k_w$), `n` ($n_h = n_w$), and where they are not the default `s` stride, `p` padding,
# `d` dilation, `g` groups.

# %% slideshow={"slide_type": "skip"}
import matplotlib.pyplot as plt
import torch

import chanconv
from chanconv import tr
from chanconv.core import auto_table
from chanconv.core.i18n import pad  # f"{text:10}" counting a Chinese character as two columns
from chanconv.core.methods import FFT_REL_ERROR, WINOGRAD_REL_ERROR, compiled
from chanconv.perf import roofline
from chanconv.perf.bench import Shape, aten_calls, roofline_points, run, summarize
from chanconv.perf.figures import method_colour, plot_roofline

_ = torch.manual_seed(0)
device = chanconv.default_device()
print(tr("device:"), device)

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

# %% [markdown] slideshow={"slide_type": "notes"}
# Before timing anything: on a random layer with padding, a batch and a bias, every method
# agrees with PyTorch's `conv2d` (`matmul1x1` handles $1 \times 1$ kernels only and sits this one
# out; the tests check hundreds of layers, strides, dilations and groups included).

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
    print(f"{method:9}", tr("same as torch:"), torch.allclose(Y, reference, atol=1e-4))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Step 1: leave the Python loops
#
# On a small layer ($c_i = c_o = 4$, $k_h = k_w = 3$, $n_h = n_w = 12$) the lecture's loops are
# still bearable.

# %% [markdown] slideshow={"slide_type": "notes"}
# The loops run $\mathcal{O}(c_i c_o m_h m_w)$ tiny tensor operations, each
# costing microseconds of Python and dispatch; the vectorized methods run a handful of large ones.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output", "slide-output-only"]
small = run([Shape("small", 4, 4, 3, 12)], device=device, repeat=3, methods=methods_here, progress=False)
loops_time = next(r["seconds"] for r in small if r["method"] == "loops")
for r in small:
    if r["seconds"] is not None:
        print(f"{r['method']:9} {r['seconds'] * 1e3:9.3f} ms   "
              + tr("{times:8.0f}× faster than loops", times=loops_time / r["seconds"]))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Step 2: one big matrix product
#
# A realistic layer: $c_i = c_o = 64$, $k_h = k_w = 3$, $n_h = n_w = 32$, padding 1
# ($64 \cdot 64 \cdot 9 \cdot 32 \cdot 32 \approx 37.7$ million multiply-adds).

# %% [markdown] slideshow={"slide_type": "notes"}
# `unfold` materializes every window and lets `einsum` pick the product; `im2col` copies the
# windows into one column matrix and multiplies once; `im2row` is the same product transposed, at
# the price of two layout changes (which orientation a CPU's matrix product prefers depends on the
# CPU and the shapes: the cell says which won here); `shift` skips the column matrix entirely;
# `winograd` does 2.25× fewer multiplications; `compiled` keeps tiles of $\mathbf{Y}$ in registers.
# The ratio column compares with `torch.nn.functional.conv2d` timed in the same round: torch and
# the methods are timed in turn, in rounds, and the ratio is the median over the rounds of each
# round's time ÷ torch's time (so it need not equal the ratio of the printed medians).

# %% slideshow={"slide_type": "notes"} tags=["nbval-ignore-output"]
layer = run([Shape("channels", 64, 64, 3, 32, padding=1)], device=device, repeat=5, methods=methods_here,
            progress=False)
for r in layer:
    if r["seconds"] is not None:
        print(f"{r['method']:9} {r['seconds'] * 1e3:8.3f} ms  {r['gflops']:6.1f} GFLOP/s  ×torch {r['ratio_to_torch']:5.2f}")
ratio = {r["method"]: r["ratio_to_torch"] for r in layer if r["ratio_to_torch"]}
order = sorted((m for m in ratio if m not in ("torch", "loops")), key=ratio.get)
if abs(ratio["im2row"] / ratio["im2col"] - 1) < 0.03:
    orientation = tr("im2row and im2col were level on this CPU ({row:.2f}× and {col:.2f}×)",
                     row=ratio["im2row"], col=ratio["im2col"])
else:
    won, lost = sorted(("im2row", "im2col"), key=ratio.get)
    orientation = tr("{won} beat {lost} on this CPU ({a:.2f}× against {b:.2f}×)",
                     won=won, lost=lost, a=ratio[won], b=ratio[lost])
print("\n" + tr("fastest here: {method} ({ratio:.2f}× torch); {orientation}",
                method=order[0], ratio=ratio[order[0]], orientation=orientation))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Time against $c_i = c_o$ and against $k$
#
# What to look for.

# %% [markdown] slideshow={"slide_type": "notes"}
# Every chanconv call pays fixed costs (Python, set-up) that torch's does not,
# and they weigh most where the work is smallest. The multiply-adds grow ×4 per doubling of
# $c_i = c_o$ and with $k_h k_w$, so where the work dominates a method's curve runs parallel to
# torch's. Winograd ($3 \times 3$ kernels only) pays transforms whose cost grows with $c_i + c_o$,
# while its products, where it saves 2.25× of the multiplications, grow with $c_i c_o$: its gap to
# torch should shrink as the channels grow. The FFT's cost is set by the image size and the
# $c_i c_o$ products per frequency, not by the kernel. The lines under the figure give, per method,
# its time ÷ torch's at the smallest and the largest setting of this run, and whether the gap
# narrowed or widened.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output", "slide-figure-only"]
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
    ax.set_ylabel(tr("time (ms)"))
    ax.grid(True, which="both", alpha=0.3)


def gaps(rows, key, name):
    """Per method: time ÷ torch's at the smallest and the largest setting, and what the gap did."""
    print(tr("against {name}:", name=name))
    for method in dict.fromkeys(r["method"] for r in rows if r["method"] != "torch"):
        pts = sorted((r[key], r["ratio_to_torch"]) for r in rows if r["method"] == method and r["ratio_to_torch"])
        (v0, r0), (v1, r1) = pts[0], pts[-1]
        trend = (tr("the gap narrowed") if r1 < 0.9 * r0 else tr("the gap widened") if r1 > 1.1 * r0
                 else tr("the gap stayed within 10 %"))
        print(f"  {method:9} " + tr("{r0:6.2f}× torch at {v0:3} → {r1:6.2f}× at {v1:3}: {trend}",
                                     r0=r0, v0=v0, r1=r1, v1=v1, trend=trend))


fig, axes = plt.subplots(1, 2, figsize=(11, 4))
plot_sweep(axes[0], sweep_c, "c_i", r"$c_i = c_o$ " + tr(r"($3 \times 3$ kernel, $24 \times 24$ input)"))
plot_sweep(axes[1], sweep_k, "k", r"$k_h = k_w$ " + tr(r"($c_i = c_o = 32$, $24 \times 24$ input)"))
axes[0].legend(fontsize=8, loc="upper left")
axes[1].legend(fontsize=8, loc="lower right")
axes[0].set_title(tr("time against channels"))
axes[1].set_title(tr("time against kernel size"))
fig.tight_layout()
plt.show()
gaps(sweep_c, "c_i", "c_i = c_o")
gaps(sweep_k, "k", "k_h = k_w")
seconds_k = {(r["method"], r["k"]): r["seconds"] for r in sweep_k if r["seconds"]}
if ("fft", 9) in seconds_k:
    print(tr("from k = 3 to 9 the multiply-adds grow 9×; fft's time grew {fft:.1f}×, torch's {torch:.1f}×; "
             "fft faster than torch anywhere in the two sweeps: {faster}",
             fft=seconds_k["fft", 9] / seconds_k["fft", 3], torch=seconds_k["torch", 9] / seconds_k["torch", 3],
             faster=any(r["ratio_to_torch"] < 1 for r in sweep_c + sweep_k if r["method"] == "fft")))


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
#   model name (else the highest one the system reports), the lanes come from its flags (`avx512f`:
#   16 float32 numbers per instruction); the number of FMA units is not readable from the CPU and
#   comes from a table of the vendors' documentation per core family (`roofline.FMA_TABLE`);
# - the **attainable peak**: the best float32 matrix product over several sizes and thread counts,
#   what a tuned BLAS gets out of the machine;
# - the **memory bandwidth**: a copy and a STREAM-like triad $a = b + s \cdot c$ over arrays far
#   larger than the caches (GB/s = 10⁹ bytes per second). The roofline below uses the better of the two.

# %% slideshow={"slide_type": "notes"} tags=["nbval-ignore-output"]
limits_cpu = roofline.cpu_description() if device.type == "cpu" else None
attainable = roofline.attainable_peak(device)
bandwidth = roofline.memory_bandwidth(device)
if limits_cpu is not None:
    print(tr("theoretical peak:"), limits_cpu.describe())
print(tr("attainable peak: {gflops:.0f} GFLOP/s, the best of", gflops=attainable.gflops))
print(attainable.format_table())
print(tr("memory bandwidth: copy {copy:.1f} GB/s, triad {triad:.1f} GB/s ({mib:.0f} MiB arrays)",
         copy=bandwidth.copy_gbs, triad=bandwidth.triad_gbs, mib=bandwidth.array_mib))
ridge = roofline.ridge_point(attainable.gflops, bandwidth.gbs)
print(tr("ridge point: {ridge:.1f} FLOP/byte", ridge=ridge))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The roofline
#
# A layer has to read $\mathbf{X}$, $\mathbf{W}$ and $\mathbf{b}$ and write $\mathbf{Y}$ at least
# once: `conv2d_cost` gives those bytes and the FLOPs, and their ratio is the layer's **arithmetic
# intensity** $I$ (FLOP/byte).

# %% [markdown] slideshow={"slide_type": "notes"}
# A layer whose data come from memory cannot run faster than
# $\min(\text{peak}, \text{bandwidth} \times I)$: the flat roof is compute, the slanted one memory;
# they meet at the ridge point, attainable peak ÷ bandwidth (printed above).
#
# Ignoring $\mathbf{W}$'s bytes (fair when the image is much larger than the kernel):
#
# - A dense $3 \times 3$ layer does $2 \cdot 9 \cdot c_i c_o$ FLOPs per output pixel while moving
#   about $4 (c_i + c_o)$ bytes per pixel:

# %% [markdown] slideshow={"slide_type": "-"}
#   $$I \approx \frac{9 c_i c_o}{2 (c_i + c_o)},$$

# %% [markdown] slideshow={"slide_type": "notes"}
#   144 at 64 channels (112 with $\mathbf{W}$'s bytes counted, as printed below for $32 \times 32$).
#   It sits far right of the ridge, **under the compute roof**: only the arithmetic limits it.
# - A $1 \times 1$ layer has $I \approx c_i c_o / (2 (c_i + c_o))$: 4 for 16 → 16 channels, and
#   25.6 for 256 → 64 (24 with $\mathbf{W}$'s bytes). Few channels make a $1 \times 1$ layer
#   memory-bound; whether 256 → 64 is left or right of the ridge depends on the ridge printed above.
# - A depthwise layer reads one input channel per output channel: $I \approx k_h k_w / 4 \approx 2.2$
#   for $3 \times 3$, whatever the channels, **always under the memory roof** of a machine whose
#   ridge is above that: nothing a faster multiplier can fix.
# - Tiny layers sit far below every roof: a call costs microseconds whatever its work.
#
# Points of methods that do fewer multiplications than the FLOPs counted (Winograd, FFT) are drawn
# hollow: their nominal GFLOP/s could exceed a roof without breaking it. The methods of one layer
# are drawn a few pixels apart, so that equal rates stay visible; torch (★) sits on the layer's line.
#
# One caveat: the bandwidth is measured on arrays far larger than the caches, while these layers
# (at most a few MB) are timed again and again on the same tensors, which then sit in the
# last-level cache (tens of MiB on a server CPU). The memory roof is the bound for data that come
# from memory, as in a network whose activations do not fit in cache; here a point above it would
# be the cache's doing, not a contradiction.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output", "slide-figure-only"]
ROOF_GRID = [
    Shape(tr("lecture 5×5"), 100, 100, 5, 68),
    Shape(tr("3×3, 64 ch"), 64, 64, 3, 32, padding=1),
    Shape(tr("3×3, 256 ch"), 256, 256, 3, 32, padding=1),
    Shape(tr("7×7 stem, stride 2"), 3, 64, 7, 112, stride=2, padding=3),
    Shape("1×1, 256 → 64", 256, 64, 1, 28),
    Shape("1×1, 16 → 16", 16, 16, 1, 112),
    Shape(tr("depthwise 3×3"), 64, 64, 3, 56, padding=1, groups=64),
    Shape(tr("tiny 3 → 8"), 3, 8, 3, 16, padding=1),
]
roof_methods = tuple(m for m in ("im2col", "shift", "matmul1x1", "winograd", "compiled") if m in methods_here)
roof_rows = run(ROOF_GRID, device=device, repeat=3, rounds=2, methods=roof_methods, progress=False)
peaks = roofline.roof_peaks(attainable.gflops, limits_cpu)
fig = plot_roofline(roofline_points(roof_rows), peaks, bandwidth.gbs, nominal=("winograd",),
                    cpu=limits_cpu.model if limits_cpu is not None else chanconv.device_name(device), figsize=(10, 7))
plt.show()
_, fastest = summarize(roof_rows)  # the fastest from-scratch method per layer, as make bench picks it
torch_rows = {r["shape"]: r for r in roof_rows if r["method"] == "torch"}
for shape in ROOF_GRID:
    best = fastest[shape.label]
    top = roofline.roof(best["intensity"], attainable.gflops, bandwidth.gbs)
    nominal = tr(", nominal") if best["method"] in ("winograd", "fft") else ""
    side = tr("memory roof") if best["intensity"] < ridge else tr("compute roof")
    print(f"{shape.family:20} " + tr("I = {intensity:6.1f} FLOP/byte ({side})  roof {top:6.1f}   torch {torch:6.1f}   "
                                     "best from scratch {best:6.1f} GFLOP/s ({method}{nominal}, {ratio:.2f}× torch's time)",
                                     intensity=best["intensity"], side=side, top=top,
                                     torch=torch_rows[shape.label]["gflops"], best=best["gflops"],
                                     method=best["method"], nominal=nominal, ratio=best["ratio_to_torch"]))
above = sorted({f"{r['shape'].split(':')[0]} ({r['method']})" for r in roof_rows
                if r["gflops"] and r["gflops"] > attainable.gflops})
print(tr("points above the attainable peak:"), ", ".join(above) if above else tr("none"),
      tr("(a layer whose data sit in cache, timed again and again, can beat a product over large matrices)")
      if above else "")

# %% [markdown] slideshow={"slide_type": "notes"}
# What to look for: the dense layers (right) can climb towards the compute roofs; the $1 \times 1$
# 16 → 16 and depthwise layers (left) sit near or left of the ridge, where the slanted memory roof
# can bound them (each printed line says which roof applies to its layer in this run), and with one
# input channel per output channel a depthwise layer does so little arithmetic per number loaded
# that a loop's overheads can matter more than the memory. A tiny layer is bounded by a call's fixed costs,
# not by any roof. Each printed line gives the layer's roof next to what torch and the best
# from-scratch method reached in this run, and the best method's time relative to torch's; the last
# line names any point above the attainable peak. The attainable peak is a measured best; the
# theoretical peak is what the chip's multipliers could do at the nominal clock if nothing else
# mattered.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The compiled rung: what it fuses
#
# Each Python-level method is a sequence of PyTorch operations, and every operation that writes a
# new tensor is a full pass over memory.

# %% [markdown] slideshow={"slide_type": "notes"}
# `aten_calls` counts them (a `TorchDispatchMode` sees
# every operation PyTorch dispatches, from Python or from C++; loops written inside the C++
# extension are not operations and are not counted). On a strided layer ($c_i = 64 \to c_o = 128$,
# $k_h = k_w = 3$, stride 2, $n_h = n_w = 56$):

# %% slideshow={"slide_type": "notes"}
gen = torch.Generator().manual_seed(0)
Xs = torch.randn(1, 64, 56, 56, generator=gen).to(device)
Ws = torch.randn(128, 64, 3, 3, generator=gen).to(device)
bs = torch.randn(128, generator=gen).to(device)
for method in ("im2col", "im2row", "compiled"):
    if method not in methods_here:
        continue
    passes, views = aten_calls(lambda m=method: chanconv.conv2d(Xs, Ws, bs, stride=2, padding=1, method=m))
    print(f"{method:9}", tr("aten operations that write a tensor:"), dict(sorted(passes.items())))

# %% [markdown] slideshow={"slide_type": "-"}
# Python's `im2col` pays for `constant_pad_nd` (a padded copy of $\mathbf{X}$), `clone`
# ($\mathbf{X}$ split into column phases for stride 2), two `copy_` (the column matrix, one kernel
# column phase at a time) and the product `addmm`.

# %% [markdown] slideshow={"slide_type": "notes"}
# `im2row` pays for the padded copy, two `clone`
# ($\mathbf{X}$ to channels-last, then the window rows), a copy, the product `mm` and an `add` for
# the bias. `compiled` dispatches none: the whole layer is one call into C++, which allocates
# $\mathbf{Y}$ and computes it in loops that are not operations. What those loops do:
#
# - each thread copies the rows of $\mathbf{X}$ it will read once, padded and split into the
#   stride's phases (row $y$ of the padded input goes to phase $y \bmod s_h$), so that
#   neighbouring output pixels read neighbouring numbers at every tap;
# - a **tile** of $\mathbf{Y}$, a few pixels of one output row × 16 to 64 output channels, lives in
#   the CPU's vector registers while all $c_i k_h k_w$ taps are added into it: per tap one vector
#   of weights is loaded and each pixel's input number is broadcast and multiplied in, so the
#   multipliers, not the loads, set the pace (a BLAS product works the same way, but needs the
#   column matrix written first);
# - where a group has at most 8 output channels (a first layer with $c_o = 3$, ResNeXt's 4 per group),
#   a vector of channels would be mostly empty: the tile turns round, vectors of consecutive output
#   pixels × up to 8 channels, each weight broadcast;
# - the backward pass uses the same tiles: $\partial L / \partial \mathbf{X}$ phase by phase of the
#   stride as the transpose of the forward's gather, $\partial L / \partial \mathbf{W}$ as one
#   product over the whole batch; depthwise layers are loops over rows in both directions.
#
# The cell below compares Python's `im2col` and `compiled` with torch (medians over rounds, as
# above) and says, from this run's numbers, where compiling gained most.

# %% slideshow={"slide_type": "notes"} tags=["nbval-ignore-output"]
FUSED = [Shape("stride", 64, 128, 3, 56, stride=2, padding=1), Shape("stem", 3, 64, 7, 112, stride=2, padding=3),
         Shape("depthwise", 64, 64, 3, 56, padding=1, groups=64), Shape("tiny", 3, 8, 3, 16, padding=1),
         Shape("channels", 64, 64, 3, 32, padding=1)]
if "compiled" in methods_here:
    fused = run(FUSED, device=device, repeat=5, methods=("im2col", "compiled"), progress=False)
    print(tr("(built or loaded in {seconds:.1f} s, not part of the times)", seconds=compiled.build_seconds()))
    gain = {}
    for shape in FUSED:
        t = {r["method"]: r for r in fused if r["shape"] == shape.label}
        gain[shape.family] = t["im2col"]["ratio_to_torch"] / t["compiled"]["ratio_to_torch"]
        print(f"{shape.label:42} ×torch: im2col {t['im2col']['ratio_to_torch']:5.2f}  "
              f"compiled {t['compiled']['ratio_to_torch']:5.2f}   "
              + tr("compiled {gain:5.1f}× faster than im2col", gain=gain[shape.family]))
    ranked = sorted(gain, key=gain.get, reverse=True)
    print("\n" + tr("compiling gained most on: {most}; least on: {least}", most=", ".join(ranked[:3]), least=ranked[-1]))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## How `auto` chooses

# %% [markdown] slideshow={"slide_type": "notes"}
# `method="auto"` has to pick a method without timing anything (a result must not depend on a
# timing race), yet the best method depends on the layer and the machine. chanconv's rule is a
# small **decision table fitted by measurement** (`chanconv.core.auto_table`):
#
# 1. every layer falls into a class: its kind (depthwise, grouped, $1 \times 1$, $3 \times 3$ at
#    stride 1, strided, other kernels) and its size in multiply-adds (tiny under $2^{17}$, small
#    under $2^{23}$, large);
# 2. `make bench` times every method against torch on its fit grid (25 layers) and gives each class
#    the method with the lowest geometric mean of time ÷ torch's time over the class's layers
#    (a class the grid has no layer of falls back to its kind, then to the whole grid);
# 3. the rule is then judged on a **validation grid** of layers the fit never saw (other kernel
#    sizes, odd channel counts such as 24, 48 and 144, small batches, grouped and depthwise
#    layers) and on real networks' layers; the README gives those figures.
#
# A rule fitted and judged on the same layers would only show that it remembers them. There are
# two tables: one for a process where the compiled rung is loaded, one for a process where it is
# not. They are printed below, with what `auto` picks for this notebook's layers under each.

# %% slideshow={"slide_type": "notes"}
print(tr("fitted on:"), ", ".join(f"{k} {v}" for k, v in auto_table.FITTED.items()))
for name in ("rung", "python"):
    print("\n" + tr("table '{name}' ({when}):", name=name,
                    when=tr("compiled rung loaded") if name == "rung" else tr("no compiled rung")))
    for (kind, size), method in auto_table.TABLE[name].items():
        kind, size = kind or tr("any kind"), size or tr("any size")
        print(f"  {pad(kind, 10)} {pad(size, 9)} -> {method}")
print()
for shape in [Shape("channels", 64, 64, 3, 32, padding=1), *ROOF_GRID[3:]]:
    kind, size = auto_table.layer_class(shape.layer)
    picks = [auto_table.lookup(auto_table.TABLE[t], kind, size) for t in ("rung", "python")]
    print(f"{shape.label:46} {kind:9} {size:5}   "
          + tr("with the rung: {with_rung:9} without: {without}", with_rung=picks[0], without=picks[1]))

# %% [markdown] slideshow={"slide_type": "-"}
# A check on three layers of the validation grid, timed here: `auto` (called as a caller calls it,
# its dispatch included) against the fastest method of this run.

# %% [markdown] slideshow={"slide_type": "notes"}
# `make bench` does this for the
# whole validation grid and the real networks' layers.

# %% slideshow={"slide_type": "notes"} tags=["nbval-ignore-output"]
from chanconv.perf.grids import validation_grid

check = [s for s in validation_grid() if s.family in ("7x7", "3x3 odd", "1x1 odd")][:3]
check_rows = run(check, device=device, repeat=3, rounds=2,
                 methods=tuple(m for m in ("im2col", "im2row", "shift", "matmul1x1", "winograd", "compiled")
                               if m in methods_here) + ("auto",), progress=False)
_, fastest = summarize(check_rows)
for shape in check:
    auto_row = next(r for r in check_rows if r["shape"] == shape.label and r["method"] == "auto")
    best = fastest[shape.label]
    print(f"{shape.label:44} auto ({chanconv.core.pick_method(shape.layer, device)}) "
          + tr("{auto:5.2f}× torch; fastest {method} {best:5.2f}×", auto=auto_row["ratio_to_torch"],
               method=best["method"], best=best["ratio_to_torch"]))

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
    within = "" if bound is None else "   " + tr("within its bound {bound:.0e}: {ok}", bound=bound, ok=rel < bound)
    print(f"{method:9} " + (tr("relative error below 1e-6") if rel < 1e-6 else tr("relative error above 1e-6")) + within)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Recap
#
# The numbers of this run, gathered from the cells above:

# %% slideshow={"slide_type": "notes"} tags=["nbval-ignore-output"]
fast_small = min((r for r in small if r["seconds"] and r["method"] not in ("torch", "loops")), key=lambda r: r["seconds"])
print(tr("step 1: the fastest vectorized method ({method}) ran {times:.0f}× faster than the lecture's loops",
         method=fast_small["method"], times=loops_time / fast_small["seconds"]))
products = {m: ratio[m] for m in ("im2col", "im2row", "shift") if m in ratio}
print(tr("step 2: the matrix-product methods took {products} torch's time; the fastest from-scratch method, "
         "{method}, {ratio:.2f}×", products=", ".join(f"{m} {v:.2f}×" for m, v in products.items()),
         method=order[0], ratio=ratio[order[0]]))

# %% [markdown] slideshow={"slide_type": "notes"}
# - Leaving Python loops is the first step; its factor is printed above.
# - Expressing the convolution as matrix products (im2col, im2row, shift, the $1 \times 1$
#   product) brings the time to the ratios printed above; laying the data out for the product
#   (which way round, cache-sized chunks, no needless transposes) matters as much as the
#   arithmetic.
# - Methods with fewer multiplications pay in transforms and rounding: Winograd's transforms grow
#   with $c_i + c_o$ while its products grow with $c_i c_o$, so its chance comes with many channels.
# - Every layer has a roof, $\min(\text{attainable peak}, \text{bandwidth} \times I)$: dense
#   layers are limited by arithmetic, $1 \times 1$ layers with few channels and depthwise layers
#   by memory.
# - What separates Python-level methods from PyTorch's C++ kernels is data movement and calls:
#   the compiled rung removes the copies and the calls and keeps tiles of $\mathbf{Y}$ in
#   registers, the way oneDNN (torch's CPU convolution) and BLAS libraries do.
# - `auto` is a table fitted on one set of layers and judged on another. The README lists the
#   figures of `make bench`: the fit grid, the validation grid, real networks' layers and training
#   steps.

# %% slideshow={"slide_type": "skip"}
plt.close("all")
